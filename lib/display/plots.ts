/**
 * Explicit plots: `plotLightCurve`, `plotSpectrum`, `plotImage` return a
 * {@linkcode PlotView} that the notebook shows (interactive Vega-Lite plus a
 * PNG), or that saves a PNG. The data come from the products
 * (`lightCurve()`, `spectrumWithEnergies()`, `skyImage()`); nothing here
 * reads a FITS column or keyword on its own.
 *
 * @module
 */
import { requireDeno } from "../_runtime.ts";
import type { Table } from "../data/ndarray.ts";
import { NumpyDataProduct } from "../products/numpy_data_product.ts";
import {
  LightCurve,
  lightCurve,
  type LightCurveInit,
  type LightCurveOptions,
} from "../products/light_curve.ts";
import { type EnergySpectrum, spectrumWithEnergies } from "../products/spectrum.ts";
import { skyImage } from "../products/sky_image.ts";
import { DecodeError, FileError, OdaError } from "../errors.ts";
import { $display, mimeBase64, type MimeBundle } from "./jupyter.ts";
import { errorBarSpec, VEGALITE_MIME, type VegaLiteSpec } from "./vegalite.ts";
import { plotSvg, seriesExtent, svgToPng } from "./render.ts";
import { type MosaicOptions, mosaicPng, scaleImage, type SkySource } from "./image.ts";
import { LightCurvePlot, type LightCurvePlotOptions } from "./light_curve_plot.ts";
import { toNumberSafe, toTextSafe } from "../data/_coerce.ts";

/**
 * A lazily built plot: displayed by the kernel (the bundle is computed when
 * shown), or shown now with `await view.show()`.
 *
 * @example
 * ```ts
 * import { PlotView } from "@oda-hub/oda-api";
 * const v = new PlotView("demo", () => Promise.resolve({ "text/plain": "demo" }));
 * const b = await v.bundle();
 * ```
 */
export class PlotView {
  /** Short description (the text form). */
  readonly label: string;
  #build: () => Promise<MimeBundle>;
  #svg?: () => string | Promise<string>;
  #cached?: Promise<MimeBundle>;

  /** Wrap a bundle builder (and, optionally, the builder of the static SVG). */
  constructor(label: string, build: () => Promise<MimeBundle>, svg?: () => string | Promise<string>) {
    this.label = label;
    this.#build = build;
    if (svg) this.#svg = svg;
  }

  /**
   * The static picture as SVG (the one the PNG is rasterised from), for
   * pages and reports; `undefined` for plots without one.
   */
  async svg(): Promise<string | undefined> {
    return this.#svg ? await this.#svg() : undefined;
  }

  /** The mime bundle (built once). */
  bundle(): Promise<MimeBundle> {
    this.#cached ??= this.#build();
    return this.#cached;
  }

  /** Publish the plot now (`display_data`); outside Jupyter prints the text form. */
  async show(): Promise<void> {
    const { publishDisplay } = await import("./jupyter.ts");
    await publishDisplay(await this.bundle());
  }

  /** Write the static PNG to a file. */
  async savePng(path: string | URL): Promise<void> {
    const b = await this.bundle();
    const png = b["image/png"];
    if (typeof png !== "string") {
      throw new FileError("IO", "no PNG rendering available (resvg could not be loaded)");
    }
    await requireDeno("savePng").writeFile(path, Uint8Array.from(atob(png), (c) => c.charCodeAt(0)));
  }

  /** The kernel's display hook. */
  [$display](): Promise<MimeBundle> {
    return this.bundle();
  }

  /** Text form. */
  toString(): string {
    return this.label;
  }
}

/**
 * Options of {@linkcode plotLightCurve}: the plot's options (title, size,
 * budget, extra layers) and, for a product, which unit and what systematic
 * error {@linkcode lightCurve} uses.
 *
 * @example
 * ```ts
 * import type { PlotLightCurveOptions } from "@oda-hub/oda-api/display";
 * const opts: PlotLightCurveOptions = { title: "MAXI J1820+070, 30-80 keV", systematic_fraction: 0.01 };
 * ```
 */
export interface PlotLightCurveOptions extends LightCurvePlotOptions, LightCurveOptions {}

/**
 * Plot a light curve: a light-curve product (through {@linkcode lightCurve}:
 * its time axis, bin widths, rate and error columns, labels), a
 * {@linkcode LightCurve}, or the arrays of one ({@linkcode LightCurveInit},
 * times in IJD). Error bars, "Rate E_MIN-E_MAX keV [unit]", title
 * "<DETNAM> light curve of <NAME>"; every bin up to
 * {@linkcode LC_POINT_BUDGET}, min–max envelopes per pixel column above.
 *
 * @example
 * ```ts
 * import { plotLightCurve } from "@oda-hub/oda-api";
 * const view = plotLightCurve({ time: [6650.1, 6650.2], rate: [3, 4], error: [0.5, 0.5], detnam: "ISGRI", name: "Crab" });
 * view; // last expression of a cell → interactive plot + PNG fallback
 * ```
 */
export function plotLightCurve(
  lc: NumpyDataProduct | LightCurve | LightCurveInit,
  opts: PlotLightCurveOptions = {},
): PlotView {
  const curve = lc instanceof NumpyDataProduct
    ? lightCurve(lc, opts)
    : lc instanceof LightCurve
    ? lc
    : new LightCurve(lc);
  const plot = new LightCurvePlot(curve, opts);
  return new PlotView(`${plot.title} (${plot.summary})`, () => plot.bundle(), () => plot.svg());
}

/**
 * Bundle of a light curve ({@linkcode LightCurvePlot}: Vega-Lite, PNG, text).
 *
 * @example
 * ```ts
 * import { LightCurve } from "@oda-hub/oda-api";
 * import { lightCurveBundle } from "@oda-hub/oda-api/display";
 * const b = await lightCurveBundle(new LightCurve({ time: [1, 2, 3], rate: [5, 6, 4], error: [1, 1, 1] }));
 * console.log(Object.keys(b));
 * ```
 */
export function lightCurveBundle(
  lc: LightCurve,
  opts: LightCurvePlotOptions & { png?: boolean; svg?: boolean } = {},
): Promise<MimeBundle> {
  return new LightCurvePlot(lc, opts).bundle(opts);
}

/**
 * Bundle of a spectrum: rate per keV against energy on log axes (Vega-Lite
 * with zoom and tooltips, PNG), channels without energies or with a
 * non-positive rate left out.
 *
 * @example
 * ```ts
 * import { spectrumBundle } from "@oda-hub/oda-api/display";
 * const b = await spectrumBundle({
 *   channel: new Float64Array([0, 1]), eMin: new Float64Array([20, 30]), eMax: new Float64Array([30, 40]),
 *   energy: new Float64Array([25, 35]), rate: new Float64Array([1, 0.5]), error: new Float64Array([0.1, 0.1]),
 *   ratePerKeV: new Float64Array([0.1, 0.05]), errorPerKeV: new Float64Array([0.01, 0.01]),
 * });
 * ```
 */
export async function spectrumBundle(
  s: EnergySpectrum,
  opts: { png?: boolean; svg?: boolean } = {},
): Promise<MimeBundle> {
  const { text, spec, svg } = spectrumDrawing(s);
  const bundle: MimeBundle = { "text/plain": text, [VEGALITE_MIME]: spec };
  if (opts.svg) bundle["image/svg+xml"] = svg;
  if (opts.png !== false) {
    const png = await svgToPng(svg);
    if (png) bundle["image/png"] = mimeBase64(png);
  }
  return bundle;
}

/** The spectrum's text form, Vega-Lite spec and static SVG, from one set of rows and one window. */
function spectrumDrawing(s: EnergySpectrum): { text: string; spec: VegaLiteSpec; svg: string } {
  const title = `${s.instrument ? s.instrument + " " : ""}spectrum${s.name ? " of " + s.name : ""}`;
  const keep: number[] = [];
  for (let i = 0; i < s.energy.length; i++) {
    if (Number.isFinite(s.energy[i]) && s.ratePerKeV[i] > 0) keep.push(i);
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const half = Float64Array.from(keep, (i) => (s.eMax[i] - s.eMin[i]) / 2);
  const data = { x: pick(s.energy), y: pick(s.ratePerKeV), yerr: pick(s.errorPerKeV), xerr: half };
  // channels a log axis cannot show are said to be missing, in both pictures
  const dropped = s.energy.length - keep.length;
  const axes = {
    title,
    ...(dropped
      ? {
        subtitle:
          `${keep.length} of ${s.energy.length} channels shown: ${dropped} without a positive rate or ` +
          `an energy cannot be drawn on log axes`,
      }
      : {}),
    xLabel: "Energy [keV]",
    yLabel: "Rate [counts/s/keV]",
    xLog: true,
    yLog: true,
  };
  // both renderers show the channels' extent: the first channel's lower edge to the last one's upper
  // edge, the lowest to the highest error-bar end (log axes: no rounding out to whole decades)
  const ext = seriesExtent([data], axes);
  const labels = { ...axes, xDomain: ext.x, yDomain: ext.y };
  return {
    text: `${title}: ${keep.length} channels with a positive rate (of ${s.energy.length})`,
    spec: errorBarSpec(data, labels),
    svg: plotSvg([{ ...data, color: "#111827" }], labels),
  };
}

/**
 * Plot a spectrum: rate per keV against energy on log axes. Give the
 * spectrum product and its response (RMF, for EBOUNDS) — the energies come
 * from {@linkcode spectrumWithEnergies} — or its result.
 *
 * @example
 * ```ts
 * import { plotSpectrum } from "@oda-hub/oda-api";
 * const view = plotSpectrum({
 *   channel: new Float64Array([0, 1]), eMin: new Float64Array([20, 30]), eMax: new Float64Array([30, 40]),
 *   energy: new Float64Array([25, 35]), rate: new Float64Array([1, 0.5]), error: new Float64Array([0.1, 0.1]),
 *   ratePerKeV: new Float64Array([0.1, 0.05]), errorPerKeV: new Float64Array([0.01, 0.01]),
 * });
 * ```
 */
export function plotSpectrum(s: NumpyDataProduct | EnergySpectrum, rmf?: NumpyDataProduct): PlotView {
  let data: EnergySpectrum;
  if (s instanceof NumpyDataProduct) {
    if (!rmf) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        "plotSpectrum(spectrum, rmf): the response product (EBOUNDS) is needed",
      );
    }
    data = spectrumWithEnergies(s, rmf);
  } else data = s;
  return new PlotView(
    `spectrum${data.name ? " of " + data.name : ""} (${data.energy.length} channels)`,
    () => spectrumBundle(data),
    () => spectrumDrawing(data).svg,
  );
}

/**
 * Options of {@linkcode plotImage}.
 *
 * @example
 * ```ts
 * import { plotImage } from "@oda-hub/oda-api";
 * import { type PlotImageOptions } from "@oda-hub/oda-api/display";
 * const opts: PlotImageOptions = {
 *   cmap: "inferno",
 *   stretch: "sqrt",
 *   sources: [{ ra: 83.63, dec: 22.01, name: "Crab" }],
 * };
 * const view = plotImage({ values: new Float32Array(64 * 64), shape: [64, 64] }, opts);
 * ```
 */
export interface PlotImageOptions extends MosaicOptions {
  /** Which image unit of a product: index, IMATYPE (`"INTENSITY"`) or name (default: SIGNIFICANCE, else the first). */
  hdu?: number | string;
  /** Catalog to overlay: an object with a `table` (ApiCatalog), a table, or sources. */
  catalog?: unknown;
}

function isTable(d: unknown): d is Table {
  return !!d && (d as Table).kind === "table" && Array.isArray((d as Table).columns);
}

function catalogSources(cat: unknown): SkySource[] {
  if (!cat) return [];
  if (Array.isArray(cat)) return cat as SkySource[];
  const tableOf = (x: unknown): Table | undefined => {
    if (isTable(x)) return x;
    const t = (x as { toTable?: () => Table })?.toTable;
    if (typeof t === "function") return t.call(x);
    return undefined;
  };
  const t = tableOf((cat as { table?: unknown }).table) ?? tableOf(cat);
  return t ? sourcesFromTable(t) : [];
}

/**
 * Picture of a sky image (a mosaic product, or values + shape): colour map,
 * scale bar, RA/Dec grid, catalog sources circled and labelled (new sources
 * in magenta).
 *
 * @example
 * ```ts
 * import { plotImage } from "@oda-hub/oda-api";
 * const view = plotImage({ values: new Float32Array(64 * 64), shape: [64, 64] });
 * ```
 */
export function plotImage(
  img: NumpyDataProduct | { values: ArrayLike<number>; shape: number[]; header?: Record<string, unknown> },
  opts: PlotImageOptions = {},
): PlotView {
  const p = img instanceof NumpyDataProduct ? img : undefined;
  let values: ArrayLike<number>, shape: number[], header: Record<string, unknown> | undefined;
  if (p) {
    const found = skyImage(p, opts.hdu);
    if (!found) throw new DecodeError("PRODUCT", `product ${p.name ?? ""} holds no 2-D image`);
    values = found.image.values as ArrayLike<number>;
    shape = found.image.shape;
    header = found.unit.header;
  } else {
    const i = img as { values: ArrayLike<number>; shape: number[]; header?: Record<string, unknown> };
    values = i.values, shape = i.shape, header = i.header;
  }
  const sources = opts.sources ?? catalogSources(opts.catalog);
  const h = opts.header ?? header;
  const title = opts.title ?? imageTitle(h, p);
  return new PlotView(
    `${title} [${shape.join(", ")}]`,
    () =>
      mosaicBundle(values, shape, {
        ...opts,
        header: h,
        sources,
        title,
        unit: opts.unit ?? (typeof h?.BUNIT === "string"
          ? h.BUNIT
          : typeof h?.IMATYPE === "string"
          ? h.IMATYPE.toLowerCase()
          : undefined),
      }),
  );
}

function imageTitle(h: Record<string, unknown> | undefined, p?: NumpyDataProduct): string {
  const inst = h?.DETNAM ?? h?.INSTRUME ?? p?.meta_data?.instrument;
  const kind = typeof h?.IMATYPE === "string" ? ` ${h.IMATYPE.toLowerCase()}` : "";
  const e1 = toNumberSafe(h?.E_MIN), e2 = toNumberSafe(h?.E_MAX);
  const band = Number.isFinite(e1) && Number.isFinite(e2) && h?.E_MIN !== undefined
    ? ` ${Math.round(e1)}-${Math.round(e2)} keV`
    : "";
  return `${inst ? toTextSafe(inst, "INSTRUME").toUpperCase() + " " : ""}mosaic${kind}${band}`.replace(
    / {2,}/g,
    " ",
  );
}

/**
 * Bundle of a sky image: a PNG with colour map, scale bar, RA/Dec grid and
 * circled, labelled catalog sources.
 *
 * @example
 * ```ts
 * import { mosaicBundle } from "@oda-hub/oda-api/display";
 * const b = await mosaicBundle(new Float32Array(16), [4, 4], { title: "tiny" });
 * ```
 */
export async function mosaicBundle(
  values: ArrayLike<number>,
  shape: number[],
  opts: MosaicOptions = {},
): Promise<MimeBundle> {
  let png = await mosaicPng(values, shape, opts);
  let note = "";
  const side = Math.max(shape[shape.length - 1] ?? 1, shape[shape.length - 2] ?? 1);
  // a noisy map is hard to compress: keep the cell under the output budget unless the caller chose the
  // raster size, by averaging 2×2 (then 3×3...) pixel blocks, and say so
  // (the colour scale stays the full-resolution one: the colour bar keeps the measured range)
  let full: { min: number; max: number } | undefined;
  for (let f = 2; png.length * 4 / 3 > MOSAIC_MAX_BYTES && opts.maxRaster === undefined && f <= 4; f++) {
    full ??= scaleImage(values, opts);
    const maxRaster = Math.ceil(side / f);
    png = await mosaicPng(values, shape, {
      ...opts,
      maxRaster,
      min: opts.min ?? full.min,
      max: opts.max ?? full.max,
    });
    note = ` (shown block-averaged to ${maxRaster} px; { maxRaster: ${side} } for every pixel)`;
  }
  const srcs = opts.sources ?? [];
  return {
    "text/plain": `${opts.title ?? "image"} [${shape.join(", ")}]${
      srcs.length ? `, ${srcs.length} catalog sources` : ""
    }${note}`,
    "image/png": mimeBase64(png),
  };
}

/**
 * Largest PNG output of {@linkcode mosaicBundle} (base64 bytes) before it
 * averages pixel blocks, unless `maxRaster` is given.
 *
 * @example
 * ```ts
 * import { MOSAIC_MAX_BYTES } from "@oda-hub/oda-api/display";
 * console.log(`mosaic outputs stay under ${MOSAIC_MAX_BYTES / 1000} KB`);
 * ```
 */
export const MOSAIC_MAX_BYTES = 280_000;

/**
 * Catalog sources from a table with `ra`/`dec` columns (and `src_names`,
 * `significance`, `NEW_SOURCE` when present). Sources whose name starts with
 * "NEW" or whose NEW_SOURCE flag is positive are marked new.
 *
 * @example
 * ```ts
 * import { sourcesFromTable } from "@oda-hub/oda-api/display";
 * sourcesFromTable({ kind: "table", length: 1, columns: [
 *   { name: "ra", dtype: "<f8", shape: [], values: new Float64Array([275.1]) },
 *   { name: "dec", dtype: "<f8", shape: [], values: new Float64Array([7.2]) },
 *   { name: "src_names", dtype: "<U14", shape: [], values: ["MAXI J1820+070"] }] });
 * ```
 */
export function sourcesFromTable(t: Table): SkySource[] {
  const col = (...names: string[]) =>
    t.columns.find((c) => names.some((n) => c.name.toLowerCase() === n.toLowerCase()));
  const ra = col("ra", "ra_obj", "ra_fin"), dec = col("dec", "dec_obj", "dec_fin");
  if (!ra || !dec) return [];
  const name = col("src_names", "name", "src_name", "source");
  const sig = col("significance", "detsig", "sig");
  const isNew = col("NEW_SOURCE");
  const out: SkySource[] = [];
  for (let i = 0; i < t.length; i++) {
    const nm = name ? toTextSafe((name.values as ArrayLike<unknown>)[i], "a source name") : undefined;
    const flag = isNew ? toNumberSafe((isNew.values as ArrayLike<unknown>)[i]) : 0;
    out.push({
      ra: toNumberSafe((ra.values as ArrayLike<unknown>)[i]),
      dec: toNumberSafe((dec.values as ArrayLike<unknown>)[i]),
      name: nm,
      significance: sig ? toNumberSafe((sig.values as ArrayLike<unknown>)[i]) : undefined,
      isNew: (nm !== undefined && /^NEW/i.test(nm)) || flag > 0,
    });
  }
  return out;
}
