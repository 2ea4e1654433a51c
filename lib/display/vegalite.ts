/**
 * Vega-Lite v5 specs (plain JSON, no vega runtime) for light curves and
 * spectra, shown interactively by JupyterLab (`application/vnd.vegalite.v5+json`).
 *
 * @module
 */
import { shortestExact } from "./decimate.ts";
import { seriesExtent } from "./render.ts";
import { clipMarks } from "./_clip.ts";
import { vegaTitle } from "./_text.ts";

/**
 * A Vega-Lite v5 spec as plain JSON.
 *
 * @example
 * ```ts
 * import { errorBarSpec, type VegaLiteSpec } from "@oda-hub/oda-api/display";
 * const spec: VegaLiteSpec = errorBarSpec({ x: [1, 2], y: [3, 4] });
 * spec.width = 800; // plain JSON: adjust before displaying
 * ```
 */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * The Vega-Lite mime type JupyterLab renders.
 *
 * @example
 * ```ts
 * import { errorBarSpec, type MimeBundle, VEGALITE_MIME } from "@oda-hub/oda-api/display";
 * const bundle: MimeBundle = {
 *   "text/plain": "light curve",
 *   [VEGALITE_MIME]: errorBarSpec({ x: [1, 2], y: [3, 4] }),
 * };
 * ```
 */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/**
 * Series given to the spec builders.
 *
 * @example
 * ```ts
 * import { errorBarSpec, type XYErrorData } from "@oda-hub/oda-api/display";
 * const lc: XYErrorData = { x: [7000.1, 7000.2], y: [12.5, 14.1], yerr: [1.1, 1.2], xerr: [0.05, 0.05] };
 * const spec = errorBarSpec(lc);
 * ```
 */
export interface XYErrorData {
  /** x values (time in IJD, energy in keV...). */
  x: ArrayLike<number>;
  /** y values. */
  y: ArrayLike<number>;
  /** Symmetric y errors. */
  yerr?: ArrayLike<number>;
  /** Half widths of the x bins. */
  xerr?: ArrayLike<number>;
}

/**
 * Labels and sizes of a plot.
 *
 * @example
 * ```ts
 * import { errorBarSpec, type SpecOptions } from "@oda-hub/oda-api/display";
 * const opts: SpecOptions = {
 *   title: "Crab spectrum",
 *   xLabel: "Energy [keV]",
 *   xLog: true,
 *   yLog: true,
 *   width: 480,
 * };
 * const spec = errorBarSpec({ x: [30, 60], y: [0.2, 0.05] }, opts);
 * ```
 */
export interface SpecOptions {
  /** Plot title. */
  title?: string;
  /** Smaller line under the title (e.g. what is not drawn). */
  subtitle?: string;
  /** x axis title. */
  xLabel?: string;
  /** y axis title. */
  yLabel?: string;
  /** Width in px (default 640). */
  width?: number;
  /** Height in px (default 300). */
  height?: number;
  /** Log x scale. */
  xLog?: boolean;
  /** Log y scale. */
  yLog?: boolean;
  /** x domain (default: the data's extent, x errors included, {@linkcode seriesExtent}). */
  xDomain?: [number, number];
  /** y domain (default: the data's extent, error bars included). */
  yDomain?: [number, number];
}

/**
 * A Vega-Lite scale showing exactly `domain`: no rounding out to "nice" numbers (which would add an empty
 * stretch past the data that looks like missing data), no forced zero; `log` for a log axis. The static
 * renderer is given the same domain (`PlotOptions.xDomain`/`yDomain`), so both show the same window.
 *
 * @example
 * ```ts
 * import { exactScale } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.deepEqual(exactScale([0, 18]), { domain: [0, 18], nice: false, zero: false });
 * ```
 */
export function exactScale(domain: [number, number], log = false): Record<string, unknown> {
  return log ? { type: "log", domain, nice: false } : { domain, nice: false, zero: false };
}

/** Exact value (float32 columns as their shortest decimal), `null` when not finite. */
function exact(v: number): number | null {
  return Number.isFinite(v) ? shortestExact(v) : null;
}

/**
 * A layered error-bar plot: rules for the y (and x) error bars plus points,
 * with tooltips and zoom/pan (drag, wheel; double-click resets). Values keep
 * their full precision. Rows with non-finite x or y are dropped; on log
 * axes, non-positive values are dropped too.
 *
 * @example
 * ```ts
 * import { errorBarSpec } from "@oda-hub/oda-api/display";
 * const spec = errorBarSpec({ x: [1, 2], y: [3, 4], yerr: [0.1, 0.2] }, { title: "t" });
 * console.log(spec.$schema);
 * ```
 */
export function errorBarSpec(d: XYErrorData, opts: SpecOptions = {}): VegaLiteSpec {
  // the window: the data's own extent, computed as the static renderer computes it
  const ext = opts.xDomain && opts.yDomain ? undefined : seriesExtent([{
    x: d.x,
    y: d.y,
    ...(d.xerr ? { xerr: d.xerr } : {}),
    ...(d.yerr ? { yerr: d.yerr } : {}),
  }], opts);
  const xDom = opts.xDomain ?? ext!.x, yDom = opts.yDomain ?? ext!.y;
  const xScale = exactScale(xDom, !!opts.xLog);
  const yScale = exactScale(yDom, !!opts.yLog);
  const values: Record<string, number | string | null>[] = [];
  let unbounded = false;
  const n = Math.min(d.x.length, d.y.length);
  for (let i = 0; i < n; i++) {
    const x = d.x[i], y = d.y[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if ((opts.xLog && x <= 0) || (opts.yLog && y <= 0)) continue;
    const row: Record<string, number | string | null> = { x: exact(x), y: exact(y) };
    // the error-bar ends as measured (the tooltip's numbers); on a log axis a bar reaching zero or below
    // is drawn down to the axis's end (off the scale), as the static picture draws it. As there, a bar only
    // for a positive error; an unbounded one (Infinity) spans the window and its tooltip says so
    if (d.yerr && d.yerr[i] > 0) {
      const e = d.yerr[i];
      if (e === Infinity) [row.ylo, row.yhi, row.err, unbounded] = [yDom[0], yDom[1], "unbounded", true];
      else [row.ylo, row.yhi] = [exact(y - e), exact(y + e)];
    }
    if (d.xerr && d.xerr[i] > 0) {
      const e = d.xerr[i];
      if (e === Infinity) [row.xlo, row.xhi, row.err, unbounded] = [xDom[0], xDom[1], "unbounded", true];
      else [row.xlo, row.xhi] = [exact(x - e), exact(x + e)];
    }
    values.push(row);
  }
  const xTitle = opts.xLabel ?? "x", yTitle = opts.yLabel ?? "y";
  const offScale = (field: string, end: number) => ({
    transform: [{ calculate: `datum.${field} > 0 ? datum.${field} : ${end}`, as: `${field}_drawn` }],
  });
  const layer: Record<string, unknown>[] = [];
  if (d.yerr) {
    layer.push({
      ...(opts.yLog ? offScale("ylo", yDom[0]) : {}),
      mark: { type: "rule", opacity: 0.6 },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: opts.yLog ? "ylo_drawn" : "ylo", type: "quantitative" },
        y2: { field: "yhi" },
      },
    });
  }
  if (d.xerr) {
    layer.push({
      ...(opts.xLog ? offScale("xlo", xDom[0]) : {}),
      mark: { type: "rule", opacity: 0.6 },
      encoding: {
        x: { field: opts.xLog ? "xlo_drawn" : "xlo", type: "quantitative" },
        x2: { field: "xhi" },
        y: { field: "y", type: "quantitative" },
      },
    });
  }
  layer.push({
    params: [{ name: "zoom", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" }],
    mark: { type: "point", filled: true, size: 14 },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      tooltip: [
        { field: "x", type: "quantitative", title: xTitle, format: ".9~g" },
        { field: "y", type: "quantitative", title: yTitle, format: ".7~g" },
        ...(d.yerr ? [{ field: "ylo", type: "quantitative", title: "lower", format: ".7~g" }] : []),
        ...(d.yerr ? [{ field: "yhi", type: "quantitative", title: "upper", format: ".7~g" }] : []),
        ...(d.xerr ? [{ field: "xlo", type: "quantitative", title: "bin start", format: ".9~g" }] : []),
        ...(d.xerr ? [{ field: "xhi", type: "quantitative", title: "bin end", format: ".9~g" }] : []),
        ...(unbounded ? [{ field: "err", type: "nominal", title: "error" }] : []),
      ],
    },
  });
  // every layer names the axes (Vega-Lite would otherwise join the field names into the axis titles)
  for (const l of layer) {
    const enc = l.encoding as Record<string, Record<string, unknown>>;
    enc.x = { ...enc.x, title: xTitle, scale: xScale };
    enc.y = { ...enc.y, title: yTitle, scale: yScale };
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...(opts.title ? { title: vegaTitle(opts.title, opts.width ?? 640, opts.subtitle || undefined) } : {}),
    width: opts.width ?? 640,
    height: opts.height ?? 300,
    data: { values },
    encoding: {
      x: { field: "x", type: "quantitative", title: xTitle, scale: xScale },
      y: { field: "y", type: "quantitative", title: yTitle, scale: yScale },
    },
    layer: clipMarks(layer),
    config: { mark: { color: "#1f77b4" } },
  };
}

/**
 * One entry of a legend drawn below a Vega-Lite plot by {@linkcode datumLegend}: the label, its colour,
 * and the symbol of how the element is drawn (`square` for a band, `stroke` for a line, `circle`, or an
 * SVG path such as an ×), optionally dashed (`"4,2"`).
 *
 * @example
 * ```ts
 * import type { LegendEntry } from "@oda-hub/oda-api/display";
 * const e: LegendEntry = { name: "weighted mean 21.3", color: "#15803d", shape: "stroke" };
 * ```
 */
export interface LegendEntry {
  /** The label (also the colour scale's datum). */
  name: string;
  /** CSS colour. */
  color: string;
  /** Vega symbol shape: `square` (drawn as a translucent band swatch), `stroke`, `circle`, or a path. */
  shape: string;
  /** Dash pattern of a stroke symbol (`"4,2"`). */
  dash?: string;
  /** Fill opacity of a `square` symbol, as the band it names is drawn (default 0.35). */
  opacity?: number;
}

/**
 * A colour encoding per legend entry, all sharing one scale whose legend sits below the plot (one entry
 * per line, labels never truncated, symbols drawn as the elements are), as the static pictures put theirs
 * (`PlotOptions.legend: "below"`): legends stay out of the data and grow the picture instead of running
 * past its edge. Use the returned function as a layer's `color` encoding: `color: legend(entry.name)`.
 *
 * @example
 * ```ts
 * import { datumLegend } from "@oda-hub/oda-api/display";
 * const legend = datumLegend([
 *   { name: "power", color: "#111827", shape: "stroke" },
 *   { name: "best frequency", color: "#dc2626", shape: "circle" },
 * ]);
 * const layer = { mark: "line", encoding: { color: legend("power") } };
 * ```
 */
export function datumLegend(entries: LegendEntry[]): (name: string) => Record<string, unknown> {
  const pick = (f: (e: LegendEntry) => string) =>
    entries.map((e) => `datum.value === ${JSON.stringify(e.name)} ? ${JSON.stringify(f(e))} : `).join("") +
    "''";
  const legend = {
    title: null,
    orient: "bottom",
    direction: "vertical",
    labelLimit: 0,
    symbolOpacity: 1,
    symbolStrokeWidth: 2,
    encode: {
      symbols: {
        update: {
          shape: { signal: pick((e) => e.shape) },
          strokeDash: { signal: `split(${pick((e) => e.dash ?? "")}, ',')` },
          fill: {
            signal: `${
              pick((e) => (e.shape === "square" || e.shape === "circle" ? e.color : "transparent"))
            }`,
          },
          stroke: { signal: pick((e) => e.color) },
          fillOpacity: { signal: `${pick((e) => (e.shape === "square" ? String(e.opacity ?? 0.35) : "1"))}` },
        },
      },
    },
  };
  return (name: string) => ({
    datum: name,
    type: "nominal",
    scale: { domain: entries.map((e) => e.name), range: entries.map((e) => e.color) },
    legend,
  });
}
