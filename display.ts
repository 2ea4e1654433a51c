/**
 * Display internals for people building their own views: MIME bundles for
 * Jupyter, HTML tables, SVG/PNG plots, the light-curve plot with extra layers
 * (`LightCurvePlot`, `PlotLayer`), Vega-Lite specs, image scaling, the sky
 * image and WCS of a product, label placement, the notebook switches, the
 * live progress reporter. The everyday plots (`plotLightCurve`,
 * `plotSpectrum`, `plotImage`) and `display` are also in the main entry point.
 *
 * @example
 * ```ts
 * import { niceTicks } from "@oda-hub/oda-api/display";
 * console.log(niceTicks(0, 10, 5)); // [0, 2, 4, 6, 8, 10]
 * ```
 *
 * @module
 */
export * from "./lib/display/jupyter.ts";
export * from "./lib/display/html.ts";
export * from "./lib/display/decimate.ts";
export * from "./lib/display/vegalite.ts";
export * from "./lib/display/render.ts";
export * from "./lib/display/image.ts";
export * from "./lib/display/labels.ts";
export * from "./lib/display/progress.ts";
export * from "./lib/display/light_curve_plot.ts";
export * from "./lib/display/bundles.ts";
export * from "./lib/display/plots.ts";
export * from "./lib/display/descriptions.ts";
export * from "./lib/notebook.ts";
export * from "./lib/products/view.ts";
export * from "./lib/products/sky_image.ts";
export * from "./lib/products/wcs.ts";
export * from "./lib/display/token_view.ts";
export * from "./lib/display/register.ts";
export {
  getProgressReporterFactory,
  type ProgressReporter,
  type ProgressReporterFactory,
  setProgressReporterFactory,
} from "./lib/client/events.ts";
export * from "./lib/display/science_plots.ts";
export * from "./lib/display/contours.ts";
