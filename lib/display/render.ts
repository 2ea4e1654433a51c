/**
 * Static plots without a browser: a small SVG plotter (axes with nice ticks,
 * linear or log scales, error bars, points, title and labels) and SVG → PNG
 * rasterisation with `npm:@resvg/resvg-wasm` (loaded lazily on first use,
 * with the DejaVu Sans font so text renders).
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
   * Where the labelled series are named: `inside` (default, top right of the plot area, when two or more
   * are labelled) or `below` (one line per labelled series under the plot, with a swatch of how it is
   * drawn: box, line or marker; the picture grows by the legend's height).
   */
  legend?: "inside" | "below";
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

function extent(
  arrays: { v: ArrayLike<number>; lo?: ArrayLike<number> | undefined; hi?: ArrayLike<number> | undefined }[],
  log: boolean,
): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const { v, lo: el, hi: eh } of arrays) {
    for (let i = 0; i < v.length; i++) {
      const c = v[i];
      if (!Number.isFinite(c)) continue;
      const a = el ? c - (el[i] || 0) : c, b = eh ? c + (eh[i] || 0) : c;
      const aa = log && a <= 0 ? c : a;
      if (log && c <= 0) continue;
      if (aa < lo) lo = aa;
      if (b > hi) hi = b;
    }
  }
  if (!Number.isFinite(lo)) return log ? [1, 10] : [0, 1];
  if (lo === hi) {
    return log ? [lo / 2, hi * 2] : [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  }
  if (log) return [lo / Math.pow(hi / lo, 0.03), hi * Math.pow(hi / lo, 0.03)];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

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
  const below = opts.legend === "below" ? series.filter((s) => s.label) : [];
  const legendH = below.length ? 8 + 16 * below.length : 0;
  const ml = 70, mr = 16, mt = (opts.title ? 30 : 12) + (opts.subtitle ? 14 : 0), mb = 46;
  const pw = W - ml - mr, ph = H - mt - mb;
  const [x0, x1] = extent(
    series.flatMap((s) => [
      { v: s.x, lo: s.xerr, hi: s.xerr },
      ...(s.boxes ? [{ v: s.boxes.x0 }, { v: s.boxes.x1 }] : []),
      ...(s.segments ? [{ v: s.segments.x0 }, { v: s.segments.x1 }] : []),
    ]),
    !!opts.xLog,
  );
  const [y0, y1] = extent(
    series.flatMap((s) => [
      { v: s.y, lo: s.yerr, hi: s.yerr },
      ...(s.boxes ? [{ v: s.boxes.y0 }, { v: s.boxes.y1 }] : []),
      ...(s.segments ? [{ v: s.segments.y }] : []),
    ]),
    !!opts.yLog,
  );
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
    `<clipPath id="pa"><rect x="${ml}" y="${mt}" width="${pw}" height="${ph}"/></clipPath><g clip-path="url(#pa)">`,
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
      if (s.yerr && s.yerr[i] > 0) {
        const lo = yv - s.yerr[i];
        err += `M${px} ${f1(ty(opts.yLog && lo <= 0 ? y0 : lo))}V${f1(ty(yv + s.yerr[i]))}`;
      }
      if (s.xerr && s.xerr[i] > 0) {
        const lo = xv - s.xerr[i];
        err += `M${f1(tx(opts.xLog && lo <= 0 ? x0 : lo))} ${py}H${f1(tx(xv + s.xerr[i]))}`;
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
  if (opts.subtitle) {
    out.push(
      `<text x="${ml + pw / 2}" y="${mt - 8}" text-anchor="middle" font-size="11" fill="#4b5563">${
        escapeHtml(opts.subtitle)
      }</text>`,
    );
  }
  if (opts.title) {
    out.push(
      `<text x="${ml + pw / 2}" y="${
        mt - 10 - (opts.subtitle ? 14 : 0)
      }" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(opts.title)}</text>`,
    );
  }
  if (opts.xLabel) {
    out.push(
      `<text x="${ml + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${
        escapeHtml(opts.xLabel)
      }</text>`,
    );
  }
  if (opts.yLabel) {
    out.push(
      `<text transform="translate(16 ${mt + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${
        escapeHtml(opts.yLabel)
      }</text>`,
    );
  }
  below.forEach((s, i) => {
    const y = H + 4 + 16 * i, x = ml, c = s.color ?? palette[series.indexOf(s) % palette.length];
    if (s.boxes) {
      out.push(
        `<rect x="${x}" y="${y - 5}" width="22" height="10" fill="${c}" fill-opacity="${
          s.boxOpacity ?? 0.35
        }"/>`,
      );
    } else if (s.segments || s.line) {
      out.push(
        `<path d="M${x} ${y}h22" stroke="${c}" stroke-width="2"${
          s.dash ? ` stroke-dasharray="${s.dash}"` : ""
        }/>`,
      );
    } else if (s.marker === "cross") {
      out.push(`<path d="M${x + 7} ${y - 4}l8 8m0 -8l-8 8" stroke="${c}" stroke-width="2"/>`);
    } else {
      out.push(`<rect x="${x + 8}" y="${y - 3}" width="6" height="6" fill="${c}"/>`);
    }
    out.push(`<text x="${x + 30}" y="${y + 4}">${escapeHtml(s.label!)}</text>`);
  });
  const legend = opts.legend === "below" ? [] : series.filter((s) => s.label);
  if (legend.length > 1) {
    legend.forEach((s, i) => {
      const y = mt + 14 + i * 15;
      const c = s.color ?? palette[series.indexOf(s) % palette.length];
      out.push(`<circle cx="${ml + pw - 120}" cy="${y - 4}" r="4" fill="${c}"/>`);
      out.push(`<text x="${ml + pw - 110}" y="${y}">${escapeHtml(s.label!)}</text>`);
    });
  }
  out.push("</svg>");
  return out.join("");
}

// ---------------------------------------------------------------- SVG → PNG

interface ResvgModule {
  initWasm(m: BufferSource | WebAssembly.Module): Promise<void>;
  Resvg: new (
    svg: string | Uint8Array,
    opts?: Record<string, unknown>,
  ) => { render(): { asPng(): Uint8Array; free?: () => void }; free?: () => void };
}

let resvgReady: Promise<ResvgModule | undefined> | undefined;
let fontBuffers: Uint8Array[] = [];

/**
 * Font files tried for text in rasterised SVGs, first found wins (plus the bold face).
 *
 * @example
 * ```ts
 * import { FONT_CANDIDATES } from "@oda-hub/oda-api/display";
 * const font = FONT_CANDIDATES.find((p) => {
 *   try {
 *     return Deno.statSync(p).isFile;
 *   } catch {
 *     return false;
 *   }
 * }); // the font resvg will use (the ODA_FONT_FILE environment variable takes precedence)
 * ```
 */
export const FONT_CANDIDATES: readonly string[] = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/Library/Fonts/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

function loadFonts(): Uint8Array[] {
  const env = (() => {
    try {
      return Deno.env.get("ODA_FONT_FILE");
    } catch {
      return undefined;
    }
  })();
  for (const p of env ? [env, ...FONT_CANDIDATES] : FONT_CANDIDATES) {
    try {
      const regular = Deno.readFileSync(p);
      const out = [regular];
      try {
        out.push(Deno.readFileSync(p.replace(/\.ttf$/i, "-Bold.ttf")));
      } catch { /* bold face optional */ }
      return out;
    } catch { /* try next */ }
  }
  return [];
}

async function loadResvg(): Promise<ResvgModule | undefined> {
  try {
    const mod = await import("npm:@resvg/resvg-wasm@2.6.2") as unknown as ResvgModule;
    const wasmUrl = new URL(import.meta.resolve("npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm"));
    await mod.initWasm(await Deno.readFile(wasmUrl));
    fontBuffers = loadFonts();
    return mod;
  } catch {
    return undefined;
  }
}

/**
 * Whether text will render in rasterised plots (a TTF font was found; set
 * `ODA_FONT_FILE` to point at one otherwise).
 *
 * @example
 * ```ts
 * import { rasterFontAvailable, svgToPng } from "@oda-hub/oda-api/display";
 * await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>');
 * console.log(rasterFontAvailable());
 * ```
 */
export function rasterFontAvailable(): boolean {
  return fontBuffers.length > 0;
}

/**
 * Rasterise an SVG to PNG bytes with resvg-wasm (lazily loaded). Resolves to
 * `undefined` when the rasteriser cannot be loaded, so callers can fall back
 * to SVG only.
 *
 * @example
 * ```ts
 * import { plotSvg, svgToPng } from "@oda-hub/oda-api/display";
 * const png = await svgToPng(plotSvg([{ x: [1, 2], y: [1, 2] }]));
 * console.log(png?.length);
 * ```
 */
export async function svgToPng(svg: string, opts: { width?: number } = {}): Promise<Uint8Array | undefined> {
  resvgReady ??= loadResvg();
  const mod = await resvgReady;
  if (!mod) return undefined;
  const r = new mod.Resvg(svg, {
    fitTo: opts.width ? { mode: "width", value: opts.width } : { mode: "original" },
    font: {
      fontBuffers,
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  const img = r.render();
  const png = img.asPng();
  img.free?.();
  r.free?.();
  return png;
}
