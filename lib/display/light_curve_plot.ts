/**
 * The light-curve plot: one set of plotted data (every bin below the point
 * budget, min–max envelopes per pixel column above it) drawn three ways — a
 * Vega-Lite spec (zoom/pan, tooltips), a static SVG and its PNG. All three
 * come from the same numbers, which come from the product's
 * {@linkcode lightCurve} (this file reads no FITS keyword).
 *
 * Times keep full double precision: the Vega-Lite data hold IJD values as they
 * are, and the x axis shows offsets from a named reference epoch
 * ("Time [h] since 2018-03-17 00:00 TT (IJD 6650)"), computed by the
 * renderer in double precision.
 *
 * Extra layers (mean and σ bands, Bayesian blocks...) are given as
 * {@linkcode PlotLayer}s with times in IJD; the plot maps them to its axis.
 *
 * @module
 */
import type { LightCurve } from "../products/light_curve.ts";
import { type Envelope, envelopeColumns, shortestExact } from "./decimate.ts";
import { type PlotSeries, plotSvg, seriesExtent, svgToPng } from "./render.ts";
import { exactScale, VEGALITE_MIME, type VegaLiteSpec } from "./vegalite.ts";
import { vegaTitle } from "./_text.ts";
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { clipMarks } from "./_clip.ts";
import { IJD0_MS, ijdToDate, type TimeAxis, timeAxis } from "./time_axis.ts";

export { ijdToDate, type TimeAxis, timeAxis } from "./time_axis.ts";

/**
 * Bins drawn one by one in a light-curve plot; longer curves are drawn as
 * min–max envelopes per pixel column ({@linkcode LC_COLUMNS} of them).
 *
 * @example
 * ```ts
 * import { LightCurve } from "@oda-hub/oda-api";
 * import { LC_POINT_BUDGET, LightCurvePlot } from "@oda-hub/oda-api/display";
 * const n = LC_POINT_BUDGET + 1;
 * const lc = new LightCurve({ time: Float64Array.from({ length: n }, (_, i) => i / 100), rate: new Float64Array(n) });
 * new LightCurvePlot(lc).envelope !== undefined; // true: above the budget
 * ```
 */
export const LC_POINT_BUDGET = 2000;

/**
 * Pixel columns of a decimated light curve (about the plot width).
 *
 * @example
 * ```ts
 * import { LC_COLUMNS } from "@oda-hub/oda-api/display";
 * console.log(`decimated curves show at most ${LC_COLUMNS} envelopes`);
 * ```
 */
export const LC_COLUMNS = 600;

const DAYS_UNIX_TO_IJD0 = IJD0_MS / 86_400_000; // 10957

/**
 * Title and axis labels of a light curve, as the seed notebook makes them:
 * "<DETNAM> light curve of <NAME>", "Rate [E_MIN-E_MAX keV]"; when the
 * product names the rate's unit (the column's `TUNIT`), the brackets hold
 * it: "Rate 30-80 keV [count/s]".
 *
 * @example
 * ```ts
 * import { LightCurve } from "@oda-hub/oda-api";
 * import { lightCurveLabels } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const lc = new LightCurve({ time: [], rate: [], detnam: "ISGRI", name: "Crab", eMin: 30, eMax: 80 });
 * assert.equal(lightCurveLabels(lc).yLabel, "Rate [30-80 keV]");
 * ```
 */
export function lightCurveLabels(lc: LightCurve): { title: string; xLabel: string; yLabel: string } {
  const title = lc.detnam || lc.name
    ? `${lc.detnam ?? ""} light curve of ${lc.name ?? ""}`.trim()
    : "Light curve";
  const band = lc.eMin !== undefined && lc.eMax !== undefined
    ? `${Math.round(lc.eMin)}-${Math.round(lc.eMax)} keV`
    : "";
  // the rate's unit in the brackets when the product gives one; the band then goes before them
  return {
    title,
    xLabel: "Time [IJD = MJD - 51544]",
    yLabel: lc.rateUnit ? `Rate${band ? ` ${band}` : ""} [${lc.rateUnit}]` : band ? `Rate [${band}]` : "Rate",
  };
}

/**
 * An extra layer on a light-curve plot, with times in IJD. The Vega-Lite
 * layer's data rows give times as `t` (and `t2` for an end time): the plot
 * adds the fields `x` (and `x2`) on its own axis, so encode `x`/`x2`.
 * Without its own `data`, a Vega-Lite layer sees the plot's rows. The static
 * series has `x` (and `boxes.x0/x1`, `segments.x0/x1`) in IJD and `xerr` in
 * days.
 *
 * @example
 * ```ts
 * import { LightCurve, plotLightCurve } from "@oda-hub/oda-api";
 * import { type PlotLayer } from "@oda-hub/oda-api/display";
 * const lc = new LightCurve({ time: [6650.1, 6650.2, 6650.3], rate: [10, 14, 11], error: [1, 1, 1] });
 * const mean: PlotLayer = {
 *   vegaLite: {
 *     data: { values: [{ t: 6650.1, t2: 6650.3, level: 11.67 }] },
 *     mark: { type: "rule", color: "#d62728", strokeDash: [4, 3] },
 *     encoding: { x: { field: "x", type: "quantitative" }, x2: { field: "x2" }, y: { field: "level", type: "quantitative" } },
 *   },
 *   svg: { x: [], y: [], segments: { x0: [6650.1], x1: [6650.3], y: [11.67] }, color: "#d62728", dash: "4 3" },
 * };
 * const view = plotLightCurve(lc, { layers: [mean] });
 * ```
 */
export interface PlotLayer {
  /** A Vega-Lite layer (unit spec) using `x`/`x2` for time. */
  vegaLite?: Record<string, unknown>;
  /** The same for the static SVG/PNG, x in IJD. */
  svg?: PlotSeries;
}

/**
 * Options of {@linkcode LightCurvePlot}.
 *
 * @example
 * ```ts
 * import { LightCurve } from "@oda-hub/oda-api";
 * import { LightCurvePlot, type LightCurvePlotOptions } from "@oda-hub/oda-api/display";
 * const opts: LightCurvePlotOptions = { title: "Crab, 20-40 keV", width: 800 };
 * const plot = new LightCurvePlot(new LightCurve({ time: [1, 2], rate: [3, 4] }), opts);
 * ```
 */
export interface LightCurvePlotOptions {
  /** Title (default "<DETNAM> light curve of <NAME>"). */
  title?: string;
  /** y axis title (default "Rate [E_MIN-E_MAX keV]"). */
  yLabel?: string;
  /** Plot width in px (default 640 in Vega-Lite, 720 in the static image). */
  width?: number;
  /** Plot height in px (default 300 / 340). */
  height?: number;
  /** Bins drawn one by one (default {@linkcode LC_POINT_BUDGET}). */
  budget?: number | undefined;
  /** Columns of a decimated curve (default {@linkcode LC_COLUMNS}). */
  columns?: number;
  /** Extra layers drawn on top. */
  layers?: PlotLayer[];
  /** Where the static picture names its labelled layers (see `PlotOptions.legend`; default `below`). */
  legend?: "inside" | "below";
}

const BLUE = "#1f77b4";
// the band colours, opaque (BLUE at 75 % and 25 % over white): adjacent columns leave no lighter seams
const BAND = "#5799c7";
const ENVELOPE = "#c7ddec";
const INK = "#111827";

/**
 * A light curve prepared for plotting: the time axis, and either every bin
 * (`points`) or the per-column envelopes (`envelope`, times in IJD).
 *
 * @example
 * ```ts
 * import { LightCurve } from "@oda-hub/oda-api";
 * import { LightCurvePlot } from "@oda-hub/oda-api/display";
 * const lc = new LightCurve({ time: [6650.1, 6650.2], rate: [3, 4], error: [0.5, 0.5] });
 * const plot = new LightCurvePlot(lc);
 * const spec = plot.spec(); // Vega-Lite
 * const svg = plot.svg(); // static
 * ```
 */
export class LightCurvePlot {
  /** The light curve (from the product). */
  readonly lc: LightCurve;
  /** Time axis. */
  readonly axis: TimeAxis;
  /** Title. */
  readonly title: string;
  /** y axis title. */
  readonly yLabel: string;
  /** Per-column envelopes when the curve is above the budget (x in IJD). */
  readonly envelope?: Envelope;
  /** "N bins" or "N of M bins shown (min–max per column)". */
  readonly summary: string;
  /** Options. */
  readonly options: LightCurvePlotOptions;

  /** Prepare the plot. */
  constructor(lc: LightCurve, options: LightCurvePlotOptions = {}) {
    this.lc = lc;
    this.options = options;
    const labels = lightCurveLabels(lc);
    this.title = options.title ?? labels.title;
    this.yLabel = options.yLabel ?? labels.yLabel;
    let lo = Infinity, hi = -Infinity, finite = 0;
    for (let i = 0; i < lc.length; i++) {
      const t = lc.time[i];
      if (!Number.isFinite(t) || !Number.isFinite(lc.rate[i])) continue;
      finite++;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    this.axis = timeAxis(lo, hi, lc.timeSystem);
    const budget = options.budget ?? LC_POINT_BUDGET;
    if (finite > budget) {
      this.envelope = envelopeColumns(lc.time, lc.rate, {
        columns: options.columns ?? LC_COLUMNS,
        err: lc.error,
      });
      this.summary = `${this.envelope.x0.length.toLocaleString("en-US")} of ${
        finite.toLocaleString("en-US")
      } bins shown (min–max per column)`;
    } else {
      this.summary = `${finite.toLocaleString("en-US")} bin${finite === 1 ? "" : "s"}`;
    }
  }

  /** The half-width shared by every bin (days), when they all have the same one. */
  #uniformHalfWidth(): number | undefined {
    const w = this.lc.halfWidth;
    if (!w.length || !(w[0] > 0)) return undefined;
    for (let i = 1; i < w.length; i++) if (w[i] !== w[0]) return undefined;
    return w[0];
  }

  /** Whether any bin has a finite error. */
  #hasErrors(): boolean {
    return this.lc.error.some((e) => Number.isFinite(e));
  }

  /**
   * The rows of the Vega-Lite data: `{t, r, e?, w?}` per bin (IJD, rate,
   * error, half-width in days; `w` left out when all bins share one, which
   * the spec's `usermeta.halfWidth` then gives), or per column `{t, t2, n, first, last, min,
   * max, mean, lo?, hi?}`.
   */
  rows(): Record<string, number>[] {
    const out: Record<string, number>[] = [];
    const env = this.envelope;
    if (env) {
      for (let c = 0; c < env.x0.length; c++) {
        const row: Record<string, number> = {
          t: env.x0[c],
          t2: env.x1[c],
          n: env.count[c],
          first: env.xFirst[c],
          last: env.xLast[c],
          min: shortestExact(env.min[c]),
          max: shortestExact(env.max[c]),
          mean: env.mean[c],
        };
        if (Number.isFinite(env.lo[c])) (row.lo = env.lo[c]), (row.hi = env.hi[c]);
        out.push(row);
      }
      return out;
    }
    const { time, rate, error, halfWidth } = this.lc;
    const uniform = this.#uniformHalfWidth() !== undefined;
    for (let i = 0; i < time.length; i++) {
      if (!Number.isFinite(time[i]) || !Number.isFinite(rate[i])) continue;
      const row: Record<string, number> = { t: time[i], r: shortestExact(rate[i]) };
      if (Number.isFinite(error[i])) row.e = shortestExact(error[i]);
      if (!uniform && halfWidth[i] > 0) row.w = halfWidth[i];
      out.push(row);
    }
    return out;
  }

  /**
   * The Vega-Lite v5 spec: zoom and pan (scale-bound interval), tooltips with
   * the full-precision time, calendar date, rate, error and bin width.
   */
  spec(): VegaLiteSpec {
    const { t0, perDay } = this.axis;
    const xOf = (f: string) => ({
      calculate: `(datum.${f} - ${t0}) * ${perDay}`,
      as: f === "t" ? "x" : "x2",
    });
    const dateOf = (f: string, as: string) => ({
      calculate: `utcFormat((datum.${f} + ${DAYS_UNIX_TO_IJD0}) * 86400000, '%Y-%m-%d %H:%M:%S.%L')`,
      as,
    });
    // the window is the data's extent (bin edges, error bars, the layers' static extents), on every layer
    const dom = this.domain();
    const xScale = exactScale(dom.x), yScale = exactScale(dom.y);
    const x = {
      field: "x",
      type: "quantitative",
      title: this.axis.title,
      scale: xScale,
      axis: { labelFlush: true },
    };
    const y = (field: string) => ({
      field,
      type: "quantitative",
      title: this.yLabel,
      scale: yScale,
    });
    const zoom = { name: "zoom", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" };
    const layer: Record<string, unknown>[] = [];
    let transform: Record<string, unknown>[];
    if (this.envelope) {
      transform = [xOf("t"), xOf("t2"), dateOf("first", "first_date"), dateOf("last", "last_date")];
      if (this.#hasErrors()) {
        layer.push({
          mark: { type: "rect", fill: ENVELOPE, stroke: ENVELOPE, strokeWidth: 0.5 },
          encoding: { x, x2: { field: "x2" }, y: y("lo"), y2: { field: "hi" } },
        });
      }
      layer.push({
        params: [zoom],
        mark: { type: "rect", fill: BAND, stroke: BAND, strokeWidth: 0.5 },
        encoding: {
          x,
          x2: { field: "x2" },
          y: y("min"),
          y2: { field: "max" },
          tooltip: [
            { field: "first", type: "quantitative", title: "first bin (IJD)", format: ".9f" },
            { field: "first_date", type: "nominal", title: "first bin (date)" },
            { field: "last", type: "quantitative", title: "last bin (IJD)", format: ".9f" },
            { field: "n", type: "quantitative", title: "bins" },
            { field: "min", type: "quantitative", title: "min rate", format: ".7~g" },
            { field: "max", type: "quantitative", title: "max rate", format: ".7~g" },
            { field: "mean", type: "quantitative", title: "mean rate", format: ".7~g" },
            ...(this.#hasErrors()
              ? [
                { field: "lo", type: "quantitative", title: "lowest rate − error", format: ".7~g" },
                { field: "hi", type: "quantitative", title: "highest rate + error", format: ".7~g" },
              ]
              : []),
          ],
        },
      });
      layer.push({
        mark: { type: "rule", color: INK, strokeWidth: 1 },
        encoding: { x, x2: { field: "x2" }, y: y("mean") },
      });
    } else {
      transform = [
        xOf("t"),
        { calculate: "isValid(datum.e) ? datum.r - datum.e : null", as: "lo" },
        { calculate: "isValid(datum.e) ? datum.r + datum.e : null", as: "hi" },
        { calculate: `isValid(datum.w) ? datum.w : ${this.#uniformHalfWidth() ?? "null"}`, as: "hw" },
        { calculate: `isValid(datum.hw) ? (datum.t - datum.hw - ${t0}) * ${perDay} : null`, as: "x0" },
        { calculate: `isValid(datum.hw) ? (datum.t + datum.hw - ${t0}) * ${perDay} : null`, as: "x1" },
        { calculate: "isValid(datum.hw) ? 2 * datum.hw * 86400 : null", as: "width_s" },
        dateOf("t", "date"),
      ];
      if (this.#hasErrors()) {
        layer.push({
          mark: { type: "rule", color: BLUE, opacity: 0.6 },
          encoding: { x, y: y("lo"), y2: { field: "hi" } },
        });
      }
      if (this.lc.halfWidth.some((w) => w > 0)) {
        layer.push({
          mark: { type: "rule", color: BLUE, opacity: 0.6 },
          encoding: {
            x: { ...x, field: "x0" },
            x2: { field: "x1" },
            y: y("r"),
          },
        });
      }
      layer.push({
        params: [zoom],
        mark: { type: "point", filled: true, size: 14, color: BLUE },
        encoding: {
          x,
          y: y("r"),
          tooltip: [
            { field: "t", type: "quantitative", title: "time (IJD)", format: ".9f" },
            {
              field: "date",
              type: "nominal",
              title: `date${this.lc.timeSystem ? ` (${this.lc.timeSystem})` : ""}`,
            },
            { field: "r", type: "quantitative", title: "rate", format: ".7~g" },
            { field: "e", type: "quantitative", title: "error", format: ".7~g" },
            { field: "width_s", type: "quantitative", title: "bin width (s)", format: ".6~g" },
          ],
        },
      });
    }
    for (const extra of this.options.layers ?? []) {
      if (!extra.vegaLite) continue;
      const l = { ...extra.vegaLite };
      const enc = l.encoding as Record<string, Record<string, unknown>> | undefined;
      if (enc) {
        // one axis title: the plot's, whatever the extra layer encodes
        l.encoding = {
          ...enc,
          ...(enc.x
            ? { x: { title: this.axis.title, ...enc.x, scale: { ...enc.x.scale as object, ...xScale } } }
            : {}),
          ...(enc.y
            ? { y: { title: this.yLabel, ...enc.y, scale: { ...enc.y.scale as object, ...yScale } } }
            : {}),
        };
      }
      const data = l.data as { values?: Record<string, unknown>[] } | undefined;
      if (data) {
        const has2 = Array.isArray(data.values) && data.values.some((r) => r && "t2" in r);
        l.transform = [xOf("t"), ...(has2 ? [xOf("t2")] : []), ...((l.transform as unknown[]) ?? [])];
      }
      layer.push(l);
    }
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: vegaTitle(this.title, this.options.width ?? 640, this.summary),
      width: this.options.width ?? 640,
      height: this.options.height ?? 300,
      usermeta: {
        t0,
        perDay,
        ...(this.#uniformHalfWidth() !== undefined ? { halfWidth: this.#uniformHalfWidth() } : {}),
      },
      data: { values: this.rows() },
      transform,
      layer: clipMarks(layer),
    };
  }

  /**
   * The series the static SVG/PNG draws (x on the plot's time axis:
   * `axis.t0 + x / axis.perDay` is the IJD), built from the same rows as the
   * Vega-Lite spec.
   */
  staticSeries(): PlotSeries[] {
    const { toX, perDay } = this.axis;
    const map = (a: ArrayLike<number>) => Float64Array.from(a, toX);
    const series: PlotSeries[] = [];
    const env = this.envelope;
    if (env) {
      const x0 = map(env.x0), x1 = map(env.x1);
      if (this.#hasErrors()) {
        series.push({
          x: [],
          y: [],
          boxes: { x0, x1, y0: env.lo, y1: env.hi },
          boxOpacity: 0.25,
          color: BLUE,
        });
      }
      series.push({
        x: [],
        y: [],
        boxes: { x0, x1, y0: env.min, y1: env.max },
        boxOpacity: 0.75,
        color: BLUE,
      });
      series.push({ x: [], y: [], segments: { x0, x1, y: env.mean }, color: INK });
    } else {
      const rows = this.rows();
      const w = this.#uniformHalfWidth() ?? 0;
      series.push({
        x: rows.map((r) => toX(r.t)),
        y: rows.map((r) => r.r),
        yerr: rows.map((r) => r.e ?? NaN),
        xerr: rows.map((r) => (r.w ?? w) * perDay),
        color: INK,
      });
    }
    for (const extra of this.options.layers ?? []) {
      const s = extra.svg;
      if (!s) continue;
      series.push({
        ...s,
        x: map(s.x),
        ...(s.xerr ? { xerr: Float64Array.from(s.xerr, (w) => w * perDay) } : {}),
        ...(s.boxes ? { boxes: { ...s.boxes, x0: map(s.boxes.x0), x1: map(s.boxes.x1) } } : {}),
        ...(s.segments
          ? { segments: { ...s.segments, x0: map(s.segments.x0), x1: map(s.segments.x1) } }
          : {}),
      });
    }
    return series;
  }

  /**
   * The window both renderers show, on the plot's axis (x: `axis.toX` of IJD): x from the first bin's
   * start to the last bin's end (time ± half-width; a bin without a width is its time), y from the lowest
   * to the highest error-bar end (the rate without errors), widened to what the extra layers' static
   * series draw (levels, bands, steps). Exact: no rounding out to "nice" numbers, no padding, so an axis
   * never runs past the data into a stretch that would look like missing data. The Vega-Lite spec sets it
   * as every layer's scale domain (`nice: false`, `zero: false`; zoom and pan start from it, double-click
   * returns to it) and the static picture as its `xDomain`/`yDomain`. A Vega-Lite layer without a static
   * counterpart does not widen it.
   */
  domain(): { x: [number, number]; y: [number, number] } {
    const ext = seriesExtent(this.staticSeries());
    const { time, rate, halfWidth } = this.lc;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < time.length; i++) {
      if (!Number.isFinite(time[i]) || !Number.isFinite(rate[i])) continue;
      const w = halfWidth[i] > 0 ? halfWidth[i] : 0;
      if (time[i] - w < lo) lo = time[i] - w;
      if (time[i] + w > hi) hi = time[i] + w;
    }
    if (lo < hi) ext.x = [Math.min(ext.x[0], this.axis.toX(lo)), Math.max(ext.x[1], this.axis.toX(hi))];
    return ext;
  }

  /** The static plot as SVG, drawn from {@linkcode LightCurvePlot.staticSeries}. */
  svg(size: { width?: number; height?: number } = {}): string {
    const dom = this.domain();
    return plotSvg(this.staticSeries(), {
      xDomain: dom.x,
      yDomain: dom.y,
      title: this.title,
      subtitle: this.summary,
      xLabel: this.axis.title,
      yLabel: this.yLabel,
      width: size.width ?? this.options.width ?? 720,
      height: size.height ?? this.options.height ?? 340,
      pointRadius: this.envelope ? 1.2 : 1.6,
      ...(this.options.legend ? { legend: this.options.legend } : {}),
    });
  }

  /** One-line text form. */
  text(): string {
    const n = this.lc.length;
    const span = n
      ? `, time ${this.lc.time[0].toFixed(6)} … ${this.lc.time[n - 1].toFixed(6)} IJD` +
        ` (${ijdToDate(this.lc.time[0])} … ${ijdToDate(this.lc.time[n - 1])}${
          this.lc.timeSystem ? " " + this.lc.timeSystem : ""
        })`
      : "";
    return `${this.title}: ${this.summary}${span}`;
  }

  /**
   * The mime bundle: Vega-Lite (JupyterLab), PNG (classic notebook,
   * nbconvert), text. `svg: true` adds the SVG.
   */
  async bundle(opts: { png?: boolean; svg?: boolean } = {}): Promise<MimeBundle> {
    const b: MimeBundle = { "text/plain": this.text(), [VEGALITE_MIME]: this.spec() };
    const svg = this.svg();
    if (opts.svg) b["image/svg+xml"] = svg;
    if (opts.png !== false) {
      const png = await svgToPng(svg);
      if (png) b["image/png"] = mimeBase64(png);
    }
    return b;
  }
}
