/**
 * Static plots without a browser: a small SVG plotter (axes with ticks,
 * linear or log scales over the data's exact extent, error bars, points, title,
 * labels, legends that stay inside the picture); SVG → PNG rasterisation
 * (`npm:@resvg/resvg-wasm`) lives in `raster.ts` and is re-exported here.
 *
 * Why our own plotter and not vega's `toSVG()`: vega needs ~0.4 s and writes
 * 5 MB of SVG for 10k points (toolchain.md §4); this plotter draws all error
 * bars as one path and all points as one path, so a decimated 1e5-point light
 * curve becomes ~0.2 MB of SVG in a few ms. The interactive plot is still the
 * Vega-Lite spec in the same bundle.
 *
 * @module
 */
import { escapeHtml } from "./html.ts";
import { textWidth, wrapText } from "./_text.ts";

/**
 * One series of a plot.
 *
 * @example
 * ```ts
 * import { type PlotSeries, plotSvg } from "@oda-hub/oda-api/display";
 * const lc: PlotSeries = {
 *   x: [1, 2, 3],
 *   y: [10, 12, 9],
 *   yerr: [1, 1, 1],
 *   xerr: [0.5, 0.5, 0.5],
 *   color: "#1f77b4",
 *   label: "ISGRI",
 * };
 * const svg = plotSvg([lc]);
 * ```
 */
export interface PlotSeries {
  /** x values. */
  x: ArrayLike<number>;
  /** y values. */
  y: ArrayLike<number>;
  /** Symmetric y errors. */
  yerr?: ArrayLike<number>;
  /** Symmetric x errors (half bin widths). */
  xerr?: ArrayLike<number>;
  /** Colour (CSS). */
  color?: string;
  /** Draw markers (default true). */
  points?: boolean;
  /** Join the points with a line (default false). */
  line?: boolean;
  /** Legend label. */
  label?: string;
  /** Filled boxes (e.g. min–max envelopes of decimated columns), drawn under the points. */
  boxes?: { x0: ArrayLike<number>; x1: ArrayLike<number>; y0: ArrayLike<number>; y1: ArrayLike<number> };
  /** Fill opacity of the boxes (default 0.35). */
  boxOpacity?: number;
  /** Horizontal segments from `x0` to `x1` at `y` (e.g. column means, constant levels). */
  segments?: { x0: ArrayLike<number>; x1: ArrayLike<number>; y: ArrayLike<number> };
  /** Dash pattern of the segments and line (SVG `stroke-dasharray`, e.g. `"4 3"`). */
  dash?: string;
  /** Marker shape (default `square`; `cross`: an × of 8 px). */
  marker?: "square" | "cross";
}

/**
 * Options of {@linkcode plotSvg}.
 *
 * @example
 * ```ts
 * import { type PlotOptions, plotSvg } from "@oda-hub/oda-api/display";
 * const opts: PlotOptions = {
 *   title: "Spectrum",
 *   xLabel: "Energy [keV]",
 *   yLabel: "Rate",
 *   xLog: true,
 *   yLog: true,
 * };
 * const svg = plotSvg([{ x: [20, 40, 80], y: [0.3, 0.1, 0.02] }], opts);
 * ```
 */
export interface PlotOptions {
  /** Width in px (default 720). */
  width?: number;
  /** Height in px (default 340). */
  height?: number;
  /** Title above the plot. */
  title?: string;
  /** Smaller line under the title (e.g. "2,400 of 86,400 bins shown (min–max per column)"). */
  subtitle?: string;
  /** x axis label. */
  xLabel?: string;
  /** y axis label. */
  yLabel?: string;
  /** Logarithmic x axis. */
  xLog?: boolean;
  /** Logarithmic y axis. */
  yLog?: boolean;
  /**
   * Where the labelled series are named (when two or more are labelled): `below` (default: one entry per
   * labelled series under the plot, a swatch of how it is drawn — box, line or marker — then the label,
   * wrapped to the picture's width; the picture grows by the legend's height) or `inside` (top right of
   * the plot area, each label right-aligned before its swatch, so a long label grows to the left and
   * never past the right edge). Both renderers put legends below the plot ({@linkcode legendLayout}).
   */
  legend?: "inside" | "below";
  /**
   * x range of the plot area (default: {@linkcode seriesExtent}, the data's own extent). The Vega-Lite
   * spec of the same plot is given the same range, so both renderers show the same window.
   */
  xDomain?: [number, number];
  /** y range of the plot area (default: {@linkcode seriesExtent}). */
  yDomain?: [number, number];
  /** Marker radius in px (default 1.6). */
  pointRadius?: number;
}

/**
 * "Nice" tick values covering `[lo, hi]` (1, 2, 5 × 10^k steps), about
 * `count` of them.
 *
 * @example
 * ```ts
 * import { niceTicks } from "@oda-hub/oda-api/display";
 * niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const r = raw / mag;
  const step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Decade (and 2, 5 when few decades) ticks for a log axis. */
function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const mult = b - a <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) {
    for (const m of mult) {
      const v = m * Math.pow(10, e);
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

/**
 * Short tick label: integers as they are, small or large numbers in
 * exponent form, others with up to 6 significant digits.
 *
 * @example
 * ```ts
 * import { formatTick } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(formatTick(6263.5), "6263.5");
 * ```
 */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 && Number.isInteger(v) && a < 1e9) return String(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(1).replace(".0e", "e").replace("e+", "e");
  return String(Number(v.toPrecision(6)));
}

/** The error a bar is drawn with for `e`: `e` when finite and positive, else 0 (no bar, or one across). */
function drawnError(e: number): number {
  const v = Number(e);
  return v > 0 && v < Infinity ? v : 0;
}

function extent(
  arrays: { v: ArrayLike<number>; lo?: ArrayLike<number> | undefined; hi?: ArrayLike<number> | undefined }[],
  log: boolean,
): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const { v, lo: el, hi: eh } of arrays) {
    for (let i = 0; i < v.length; i++) {
      const c = v[i];
      if (!Number.isFinite(c)) continue;
      if (log && c <= 0) continue;
      // an error bar counts when it is drawn: a finite positive error (an unbounded one runs across the
      // window, a negative or NaN one is not drawn)
      const a = el ? c - drawnError(el[i]) : c, b = eh ? c + drawnError(eh[i]) : c;
      const aa = log && a <= 0 ? c : a;
      if (aa < lo) lo = aa;
      if (b > hi) hi = b;
    }
  }
  if (!Number.isFinite(lo)) return log ? [1, 10] : [0, 1];
  if (lo === hi) {
    return log ? [lo / 2, hi * 2] : [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  }
  return [lo, hi];
}

/**
 * The extent of what the series draw, the default window of {@linkcode plotSvg} and the explicit domain
 * of the Vega-Lite specs: on x the points with their x errors (bin half-widths), boxes and segments; on
 * y the points with their error bars, boxes and segments. Exact (no rounding to "nice" numbers, no
 * padding): the axes end where the data end. Non-finite values are skipped, and on a log axis so are
 * non-positive values (an error bar reaching zero or below stops at the value). Only finite positive errors
 * count: a negative or NaN error draws no bar, an infinite one a bar across the window. A single value `v` gets
 * `v ± 5 %` (log: `v / 2 … 2v`); no value at all gives `[0, 1]` (log: `[1, 10]`).
 *
 * @example
 * ```ts
 * import { seriesExtent } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const e = seriesExtent([{ x: [1, 2, 3], y: [10, 12, 9], yerr: [1, 1, 1], xerr: [0.5, 0.5, 0.5] }]);
 * assert.deepEqual(e, { x: [0.5, 3.5], y: [8, 13] });
 * ```
 */
export function seriesExtent(
  series: PlotSeries[],
  opts: { xLog?: boolean | undefined; yLog?: boolean | undefined } = {},
): { x: [number, number]; y: [number, number] } {
  const x = extent(
    series.flatMap((s) => [
      { v: s.x, lo: s.xerr, hi: s.xerr },
      ...(s.boxes ? [{ v: s.boxes.x0 }, { v: s.boxes.x1 }] : []),
      ...(s.segments ? [{ v: s.segments.x0 }, { v: s.segments.x1 }] : []),
    ]),
    !!opts.xLog,
  );
  const y = extent(
    series.flatMap((s) => [
      { v: s.y, lo: s.yerr, hi: s.yerr },
      ...(s.boxes ? [{ v: s.boxes.y0 }, { v: s.boxes.y1 }] : []),
      ...(s.segments ? [{ v: s.segments.y }] : []),
    ]),
    !!opts.yLog,
  );
  return { x, y };
}

const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Height of one legend line (px, 11 px text). */
const LEGEND_LINE = 14;

/**
 * Where the legend entries go: `below` the plot (the picture grows by `height`), or `inside` its top right
 * corner; every label wrapped so that its measured width ({@linkcode textWidth}, DejaVu Sans) fits the
 * picture. `y` is the centre of an entry's first line.
 */
function legendLayout(
  series: PlotSeries[],
  opts: PlotOptions,
  box: { W: number; H: number; ml: number; mt: number; pw: number },
): {
  mode: "inside" | "below";
  height: number;
  entries: { series: PlotSeries; lines: string[]; y: number }[];
} {
  const mode = opts.legend ?? "below";
  const labelled = series.filter((s) => s.label);
  // a single labelled series needs no legend, unless one was asked for explicitly
  if (labelled.length < (opts.legend === "below" ? 1 : 2)) return { mode, height: 0, entries: [] };
  const entries: { series: PlotSeries; lines: string[]; y: number }[] = [];
  if (mode === "below") {
    let y = box.H + 4;
    for (const s of labelled) {
      const lines = wrapText(s.label!, box.W - (box.ml + 30) - 8);
      entries.push({ series: s, lines, y: y + 7 });
      y += LEGEND_LINE * lines.length + 3;
    }
    return { mode, height: y - box.H + 6, entries };
  }
  let y = box.mt + 8;
  for (const s of labelled) {
    const lines = wrapText(s.label!, Math.max(60, box.pw * 0.6 - 40));
    entries.push({ series: s, lines, y: y + 7 });
    y += LEGEND_LINE * lines.length + 3;
  }
  return { mode, height: 0, entries };
}

/**
 * Draw series as an SVG plot (axes, ticks, grid, error bars, points, title,
 * labels). All error bars of a series are one `<path>`, all markers another
 * (square markers: round caps make rasterising 3× slower), so the size grows
 * by ~20 bytes per point.
 *
 * @example
 * ```ts
 * import { plotSvg } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const svg = plotSvg([{ x: [1, 2, 3], y: [2, 4, 3], yerr: [0.5, 0.5, 0.5] }], { title: "demo" });
 * assert.equal(svg.startsWith("<svg"), true);
 * ```
 */
export function plotSvg(series: PlotSeries[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 720, H = opts.height ?? 340;
  const ml = 70, mr = 16, mb = 46;
  // title and subtitle centred over the plot area, wrapped so that no line runs past either edge
  const cx = ml + (W - ml - mr) / 2, lineW = 2 * Math.min(cx, W - cx) - 12;
  const titleLines = opts.title ? wrapText(opts.title, lineW, 14, true) : [];
  const subLines = opts.subtitle ? wrapText(opts.subtitle, lineW, 11) : [];
  const mt = (titleLines.length ? 30 + 17 * (titleLines.length - 1) : 12) + 14 * subLines.length;
  const pw = W - ml - mr, ph = H - mt - mb;
  const legend = legendLayout(series, opts, { W, H, ml, mt, pw });
  const legendH = legend.height;
  const data = opts.xDomain && opts.yDomain ? undefined : seriesExtent(series, opts);
  const [x0, x1] = opts.xDomain ?? data!.x;
  const [y0, y1] = opts.yDomain ?? data!.y;
  const tx = opts.xLog
    ? (v: number) => ml + (Math.log(v / x0) / Math.log(x1 / x0)) * pw
    : (v: number) => ml + ((v - x0) / (x1 - x0)) * pw;
  const ty = opts.yLog
    ? (v: number) => mt + ph - (Math.log(v / y0) / Math.log(y1 / y0)) * ph
    : (v: number) => mt + ph - ((v - y0) / (y1 - y0)) * ph;
  const font = `font-family="DejaVu Sans, Verdana, sans-serif"`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + legendH}" viewBox="0 0 ${W} ${
      H + legendH
    }" ${font} font-size="11">`,
    `<rect width="${W}" height="${H + legendH}" fill="#fff"/>`,
  ];
  const xt = opts.xLog ? logTicks(x0, x1) : niceTicks(x0, x1, Math.max(3, Math.floor(pw / 90)));
  const yt = opts.yLog ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(3, Math.floor(ph / 45)));
  let grid = "";
  for (const v of xt) grid += `M${f1(tx(v))} ${mt}V${mt + ph}`;
  for (const v of yt) grid += `M${ml} ${f1(ty(v))}H${ml + pw}`;
  out.push(`<path d="${grid}" stroke="#e5e7eb" stroke-width="1"/>`);
  // series, clipped to the plot area
  out.push(
    `<clipPath id="pa"><rect x="${ml - 5}" y="${mt - 5}" width="${pw + 10}" height="${
      ph + 10
    }"/></clipPath><g clip-path="url(#pa)">`,
  );
  const r = opts.pointRadius ?? 1.6;
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
  series.forEach((s, k) => {
    const color = s.color ?? palette[k % palette.length];
    const ok = (xv: number, yv: number) =>
      Number.isFinite(xv) && Number.isFinite(yv) && !(opts.xLog && xv <= 0) && !(opts.yLog && yv <= 0);
    if (s.boxes) {
      const b = s.boxes;
      let d = "";
      for (let i = 0; i < b.x0.length; i++) {
        if (!ok(b.x0[i], b.y0[i]) || !ok(b.x1[i], b.y1[i])) continue;
        const xa = tx(b.x0[i]), xb = tx(b.x1[i]), ya = ty(b.y1[i]), yb = ty(b.y0[i]);
        // at least one px wide and tall, so a column with one bin stays visible
        const w = Math.max(1, xb - xa), h = Math.max(1, yb - ya);
        d += `M${f1(xa)} ${f1(ya)}h${f1(w)}v${f1(h)}h${f1(-w)}z`;
      }
      if (d) {
        out.push(`<path d="${d}" fill="${color}" fill-opacity="${s.boxOpacity ?? 0.35}" stroke="none"/>`);
      }
    }
    if (s.segments) {
      const g = s.segments;
      let d = "";
      for (let i = 0; i < g.x0.length; i++) {
        if (!ok(g.x0[i], g.y[i]) || !ok(g.x1[i], g.y[i])) continue;
        const py = f1(ty(g.y[i]));
        d += `M${f1(tx(g.x0[i]))} ${py}H${f1(Math.max(tx(g.x1[i]), tx(g.x0[i]) + 1))}`;
      }
      if (d) {
        out.push(
          `<path d="${d}" stroke="${color}" stroke-width="1.2" fill="none"${
            s.dash ? ` stroke-dasharray="${s.dash}"` : ""
          }/>`,
        );
      }
    }
    const n = Math.min(s.x.length, s.y.length);
    let err = "", pts = "", line = "";
    for (let i = 0; i < n; i++) {
      const xv = s.x[i], yv = s.y[i];
      if (!Number.isFinite(xv) || !Number.isFinite(yv)) continue;
      if ((opts.xLog && xv <= 0) || (opts.yLog && yv <= 0)) continue;
      const px = f1(tx(xv)), py = f1(ty(yv));
      // a bar for a positive error; an unbounded one (Infinity) runs across the window
      if (s.yerr && s.yerr[i] > 0) {
        const lo = yv - s.yerr[i], hi = yv + s.yerr[i];
        err += `M${px} ${f1(ty(lo === -Infinity || (opts.yLog && lo <= 0) ? y0 : lo))}V${
          f1(ty(hi === Infinity ? y1 : hi))
        }`;
      }
      if (s.xerr && s.xerr[i] > 0) {
        const lo = xv - s.xerr[i], hi = xv + s.xerr[i];
        err += `M${f1(tx(lo === -Infinity || (opts.xLog && lo <= 0) ? x0 : lo))} ${py}H${
          f1(tx(hi === Infinity ? x1 : hi))
        }`;
      }
      if (s.points !== false) {
        pts += s.marker === "cross"
          ? `M${f1(Number(px) - 4)} ${f1(Number(py) - 4)}l8 8m0 -8l-8 8`
          : `M${px} ${py}h0`;
      }
      if (s.line) line += `${line ? "L" : "M"}${px} ${py}`;
    }
    if (err) {
      out.push(
        `<path d="${err}" stroke="${color}" stroke-opacity="0.55" stroke-width="1" fill="none" shape-rendering="crispEdges"/>`,
      );
    }
    if (line) {
      out.push(
        `<path d="${line}" stroke="${color}" stroke-width="1" fill="none"${
          s.dash ? ` stroke-dasharray="${s.dash}"` : ""
        }/>`,
      );
    }
    if (pts && s.marker === "cross") {
      out.push(`<path d="${pts}" stroke="${color}" stroke-width="2" fill="none"/>`);
    } else if (pts) {
      out.push(
        `<path d="${pts}" stroke="${color}" stroke-width="${
          2 * r
        }" stroke-linecap="square" fill="none" shape-rendering="crispEdges"/>`,
      );
    }
  });
  out.push("</g>");
  // axes and ticks
  let ticks = "";
  const labels: string[] = [];
  for (const v of xt) {
    const p = f1(tx(v));
    ticks += `M${p} ${mt + ph}v5`;
    labels.push(
      `<text x="${p}" y="${mt + ph + 17}" text-anchor="middle">${escapeHtml(formatTick(v))}</text>`,
    );
  }
  for (const v of yt) {
    const p = f1(ty(v));
    ticks += `M${ml} ${p}h-5`;
    labels.push(
      `<text x="${ml - 8}" y="${(Number(p) + 4).toFixed(1)}" text-anchor="end">${
        escapeHtml(formatTick(v))
      }</text>`,
    );
  }
  out.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="#374151"/>`);
  out.push(`<path d="${ticks}" stroke="#374151"/>`, ...labels);
  subLines.forEach((line, j) => {
    out.push(
      `<text x="${cx}" y="${
        mt - 8 - 14 * (subLines.length - 1 - j)
      }" text-anchor="middle" font-size="11" fill="#4b5563">${escapeHtml(line)}</text>`,
    );
  });
  titleLines.forEach((line, j) => {
    out.push(
      `<text x="${cx}" y="${
        mt - 10 - 14 * subLines.length - 17 * (titleLines.length - 1 - j)
      }" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(line)}</text>`,
    );
  });
  // axis titles: 12 px, or smaller when that is what keeps them inside the picture (small thumbnails)
  const fit = (text: string, room: number) =>
    Math.min(12, Math.floor((12 * room / textWidth(text, 12)) * 10) / 10);
  if (opts.xLabel) {
    out.push(
      `<text x="${cx}" y="${H - 8}" text-anchor="middle" font-size="${
        fit(opts.xLabel, 2 * Math.min(cx, W - cx) - 8)
      }">${escapeHtml(opts.xLabel)}</text>`,
    );
  }
  if (opts.yLabel) {
    const cy = mt + ph / 2;
    out.push(
      `<text transform="translate(16 ${cy}) rotate(-90)" text-anchor="middle" font-size="${
        fit(opts.yLabel, 2 * Math.min(cy, H - cy) - 8)
      }">${escapeHtml(opts.yLabel)}</text>`,
    );
  }
  // the legend: a swatch of how each labelled series is drawn, and its label (wrapped to fit the picture)
  const swatch = (s: PlotSeries, x: number, y: number, c: string): string => {
    if (s.boxes) {
      return `<rect x="${x}" y="${y - 5}" width="22" height="10" fill="${c}" fill-opacity="${
        s.boxOpacity ?? 0.35
      }"/>`;
    }
    if (s.segments || s.line) {
      return `<path d="M${x} ${y}h22" stroke="${c}" stroke-width="2"${
        s.dash ? ` stroke-dasharray="${s.dash}"` : ""
      }/>`;
    }
    if (s.marker === "cross") {
      return `<path d="M${x + 7} ${y - 4}l8 8m0 -8l-8 8" stroke="${c}" stroke-width="2"/>`;
    }
    return `<rect x="${x + 8}" y="${y - 3}" width="6" height="6" fill="${c}"/>`;
  };
  const colorOf = (s: PlotSeries) => s.color ?? palette[series.indexOf(s) % palette.length];
  if (legend.mode === "below") {
    for (const e of legend.entries) {
      out.push(swatch(e.series, ml, e.y, colorOf(e.series)));
      e.lines.forEach((line, j) => {
        out.push(
          `<text class="legend" x="${ml + 30}" y="${e.y + 4 + LEGEND_LINE * j}">${escapeHtml(line)}</text>`,
        );
      });
    }
  } else if (legend.entries.length) {
    // inside, top right: each label right-aligned before its swatch, on a white ground
    const right = ml + pw - 6, textRight = right - 28;
    const wide = Math.max(...legend.entries.flatMap((e) => e.lines.map((l) => textWidth(l))));
    const last = legend.entries[legend.entries.length - 1];
    out.push(
      `<rect x="${f1(textRight - wide - 6)}" y="${mt + 4}" width="${
        f1(right - textRight + wide + 8)
      }" height="${
        f1(last.y + 4 + LEGEND_LINE * (last.lines.length - 1) + 6 - mt - 4)
      }" fill="#fff" fill-opacity="0.85" stroke="#d1d5db"/>`,
    );
    for (const e of legend.entries) {
      out.push(swatch(e.series, right - 22, e.y, colorOf(e.series)));
      e.lines.forEach((line, j) => {
        out.push(
          `<text class="legend" x="${textRight}" y="${e.y + 4 + LEGEND_LINE * j}" text-anchor="end">${
            escapeHtml(line)
          }</text>`,
        );
      });
    }
  }
  out.push("</svg>");
  return out.join("");
}

export { FONT_CANDIDATES, rasterFontAvailable, svgToPng } from "./raster.ts";
