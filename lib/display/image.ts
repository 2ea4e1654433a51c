/**
 * Sky images (mosaics) as pictures: intensity scaling (linear, sqrt, asinh,
 * log with percentile clipping), colour maps, RA/Dec grid (WCS from
 * `products/wcs.ts`) and ticks, catalog sources circled and labelled (new
 * sources in a distinct colour), a scale bar and a colour bar.
 *
 * The raster is encoded with `npm:fast-png` (loaded lazily); the overlays are
 * drawn as SVG around it and the whole is rasterised with resvg
 * ({@linkcode svgToPng}). Without the rasteriser, the plain colour-mapped
 * raster is returned.
 *
 * Size: ~690 lines, one concept (the mosaic picture: stretch, colour maps,
 * raster, grid, overlays, colour bar); the WCS lives in `products/wcs.ts`,
 * label placement in `labels.ts`.
 *
 * @module
 */
import { textWidth } from "./_text.ts";
import { escapeHtml } from "./html.ts";
import { formatTick, niceTicks, svgToPng } from "./render.ts";
import { mimeBase64 } from "./jupyter.ts";
import { pixToWorld, wcsFromHeader, worldToPix } from "../products/wcs.ts";
import { placeLabels } from "./labels.ts";

/**
 * Intensity stretches.
 *
 * @example
 * ```ts
 * import { type ImageStretch, scaleImage } from "@oda-hub/oda-api/display";
 * const stretch: ImageStretch = "sqrt";
 * const { bytes } = scaleImage(new Float32Array([0, 1, 4, 9]), { stretch });
 * ```
 */
export type ImageStretch = "linear" | "sqrt" | "asinh" | "log";
/**
 * Built-in colour maps.
 *
 * @example
 * ```ts
 * import { colorMap, type ColorMapName } from "@oda-hub/oda-api/display";
 * const name: ColorMapName = "inferno";
 * const lut = colorMap(name); // 256 RGB triplets
 * ```
 */
export type ColorMapName = "viridis" | "inferno" | "gray" | "cubehelix";

const CMAP_ANCHORS: Record<ColorMapName, number[][]> = {
  viridis: [
    [68, 1, 84],
    [72, 40, 120],
    [62, 74, 137],
    [49, 104, 142],
    [38, 130, 142],
    [31, 158, 137],
    [
      53,
      183,
      121,
    ],
    [109, 205, 89],
    [180, 222, 44],
    [253, 231, 37],
  ],
  inferno: [
    [0, 0, 4],
    [31, 12, 72],
    [85, 15, 109],
    [136, 34, 106],
    [186, 54, 85],
    [227, 89, 51],
    [
      249,
      140,
      10,
    ],
    [249, 201, 50],
    [252, 255, 164],
  ],
  gray: [[0, 0, 0], [255, 255, 255]],
  cubehelix: [
    [0, 0, 0],
    [22, 5, 59],
    [60, 4, 105],
    [109, 1, 135],
    [160, 6, 155],
    [211, 20, 142],
    [
      251,
      75,
      88,
    ],
    [254, 138, 51],
    [248, 197, 50],
    [255, 255, 255],
  ],
};

/**
 * A 256-entry RGB lookup table (768 bytes) for a colour map.
 *
 * @example
 * ```ts
 * import { colorMap } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const lut = colorMap("viridis");
 * assert.equal(lut.length, 768);
 * ```
 */
export function colorMap(name: ColorMapName = "viridis"): Uint8Array {
  const a = CMAP_ANCHORS[name] ?? CMAP_ANCHORS.viridis;
  const lut = new Uint8Array(768);
  for (let i = 0; i < 256; i++) {
    const p = (i / 255) * (a.length - 1);
    const k = Math.min(a.length - 2, Math.floor(p));
    const f = p - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(a[k][c] + (a[k + 1][c] - a[k][c]) * f);
  }
  return lut;
}

/**
 * Options of {@linkcode scaleImage}.
 *
 * @example
 * ```ts
 * import { scaleImage, type ScaleOptions } from "@oda-hub/oda-api/display";
 * const opts: ScaleOptions = { stretch: "log", lowPercentile: 5, highPercentile: 99.5 };
 * const { min, max } = scaleImage(new Float32Array([1, 10, 100, 1000]), opts); // clip range used
 * ```
 */
export interface ScaleOptions {
  /** Stretch (default `asinh`). */
  stretch?: ImageStretch;
  /** Lower clip value (default: the `lowPercentile` of finite pixels). */
  min?: number;
  /** Upper clip value (default: the `highPercentile` of finite pixels). */
  max?: number;
  /** Percentile for the lower clip (default 50: the median, so the sky background is dark). */
  lowPercentile?: number;
  /** asinh softening, as a fraction of the range (default: 1 noise sigma, or 0.05 with an explicit top). */
  softening?: number;
  /** Percentile for the upper clip (default: for asinh the brightest pixel, else 99.8). */
  highPercentile?: number;
}

/**
 * Percentiles of the finite values (estimated on at most 100k samples).
 *
 * @example
 * ```ts
 * import { percentiles } from "@oda-hub/oda-api/display";
 * percentiles([1, 2, 3, 4, 5], [0, 100]); // [1, 5]
 * ```
 */
export function percentiles(values: ArrayLike<number>, ps: number[]): number[] {
  const step = Math.max(1, Math.floor(values.length / 100_000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const v = Number(values[i]);
    if (Number.isFinite(v)) sample.push(v);
  }
  if (!sample.length) return ps.map(() => 0);
  const s = Float64Array.from(sample).sort();
  return ps.map((p) => s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))]);
}

/**
 * Map values to 0..255 with clipping and a stretch; NaN becomes 0. Returns
 * the bytes and the clip range used.
 *
 * @example
 * ```ts
 * import { scaleImage } from "@oda-hub/oda-api/display";
 * const { bytes } = scaleImage(new Float32Array([0, 1, 2, NaN]), { stretch: "linear", min: 0, max: 2 });
 * console.log(Array.from(bytes)); // [0, 128, 255, 0]
 * ```
 */
export function scaleImage(
  values: ArrayLike<number>,
  opts: ScaleOptions = {},
): { bytes: Uint8Array; min: number; max: number } {
  const stretch = opts.stretch ?? "asinh";
  // asinh with no explicit top: show the full range up to the brightest pixel, with the softening set at
  // ~1 noise sigma (robust, from the quartiles) so the noise stays dark and faint sources remain visible
  const autoTop = stretch === "asinh" && opts.max === undefined && opts.highPercentile === undefined;
  const [pLo, pHi, q25, q75] = percentiles(values, [
    opts.lowPercentile ?? 50,
    opts.highPercentile ?? 99.8,
    25,
    75,
  ]);
  const lo = opts.min ?? pLo;
  let hi = opts.max ?? pHi;
  if (autoTop) {
    let mx = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (v > mx && v !== Infinity) mx = v;
    }
    if (mx > hi) hi = mx;
  }
  if (!(hi > lo)) hi = lo + 1;
  const span = hi - lo;
  const sigma = (q75 - q25) / 1.349;
  const a = opts.softening ??
    (autoTop && sigma > 0 ? Math.min(0.5, Math.max(1e-4, sigma / span)) : 0.05);
  const norm = stretch === "asinh" ? Math.asinh(1 / a) : stretch === "log" ? Math.log(1001) : 1;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v !== v) continue;
    let t = (v - lo) / span;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    if (stretch === "sqrt") t = Math.sqrt(t);
    else if (stretch === "asinh") t = Math.asinh(t / a) / norm;
    else if (stretch === "log") t = Math.log(1 + 1000 * t) / norm;
    out[i] = Math.round(t * 255);
  }
  return { bytes: out, min: lo, max: hi };
}

/**
 * A catalog source to mark on an image.
 *
 * @example
 * ```ts
 * import { mosaicSvg, type SkySource } from "@oda-hub/oda-api/display";
 * const crab: SkySource = { ra: 83.633, dec: 22.014, name: "Crab", significance: 120.5 };
 * const header = {
 *   CTYPE1: "RA---TAN",
 *   CTYPE2: "DEC--TAN",
 *   CRVAL1: 83.633,
 *   CRVAL2: 22.014,
 *   CRPIX1: 32,
 *   CRPIX2: 32,
 *   CDELT1: -0.08,
 *   CDELT2: 0.08,
 * };
 * const svg = await mosaicSvg(new Float32Array(64 * 64), [64, 64], { header, sources: [crab] });
 * ```
 */
export interface SkySource {
  /** Right ascension (deg). */
  ra: number;
  /** Declination (deg). */
  dec: number;
  /** Label. */
  name?: string | undefined;
  /** A newly detected source (drawn in a distinct colour). */
  isNew?: boolean;
  /** Detection significance, shown in the label when given. */
  significance?: number | undefined;
}

// --------------------------------------------------------------- mosaic

/**
 * Options of {@linkcode mosaicSvg} / {@linkcode mosaicPng}.
 *
 * @example
 * ```ts
 * import { type MosaicOptions, mosaicPng } from "@oda-hub/oda-api/display";
 * const opts: MosaicOptions = {
 *   cmap: "gray",
 *   stretch: "asinh",
 *   title: "ISGRI significance",
 *   unit: "sigma",
 *   size: 480,
 * };
 * const png = await mosaicPng(new Float32Array(64 * 64), [64, 64], opts);
 * ```
 */
export interface MosaicOptions extends ScaleOptions {
  /** Colour map (default viridis). */
  cmap?: ColorMapName;
  /** Displayed size of the longer image side, px (default: the image size, within 420-640). */
  size?: number;
  /** Title above the image. */
  title?: string;
  /** FITS header holding the WCS. */
  header?: Record<string, unknown> | undefined;
  /** Sources to circle and label. */
  sources?: SkySource[];
  /** Label of the colour bar (unit). */
  unit?: string | undefined;
  /** Max raster side in pixels; larger images are block-averaged down (default 1024). */
  maxRaster?: number;
}

/**
 * A colour-mapped raster: RGB bytes and size (top row first).
 *
 * @example
 * ```ts
 * import { encodePng, type Raster, rasterize } from "@oda-hub/oda-api/display";
 * const r: Raster = rasterize(new Float32Array(100).map((_, i) => i), [10, 10]);
 * const png = await encodePng(r.rgb, r.width, r.height);
 * ```
 */
export interface Raster {
  /** Width in px. */
  width: number;
  /** Height in px. */
  height: number;
  /** RGB8 pixels, top row first. */
  rgb: Uint8Array;
  /** Downsampling factor applied. */
  factor: number;
  /** Clip range used. */
  min: number;
  /** Clip range used. */
  max: number;
}

/**
 * Colour-map a 2-D image (`shape = [ny, nx]`, FITS row 0 at the bottom, as
 * ds9 shows it) into an RGB raster, block-averaging images larger than
 * `maxRaster`.
 *
 * @example
 * ```ts
 * import { rasterize } from "@oda-hub/oda-api/display";
 * const r = rasterize(new Float32Array(100).map((_, i) => i), [10, 10]);
 * console.log(r.width, r.rgb.length); // 10 300
 * ```
 */
export function rasterize(values: ArrayLike<number>, shape: number[], opts: MosaicOptions = {}): Raster {
  const ny = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const nx = shape[shape.length - 1] ?? values.length;
  const maxR = opts.maxRaster ?? 1024;
  const f = Math.max(1, Math.ceil(Math.max(nx, ny) / maxR));
  let src: ArrayLike<number> = values;
  let w = nx, h = ny;
  if (f > 1) {
    w = Math.floor(nx / f);
    h = Math.floor(ny / f);
    const acc = new Float64Array(w * h);
    for (let y = 0; y < h * f; y++) {
      const row = y * nx, orow = Math.floor(y / f) * w;
      for (let x = 0; x < w * f; x++) acc[orow + Math.floor(x / f)] += Number(values[row + x]);
    }
    for (let i = 0; i < acc.length; i++) acc[i] /= f * f;
    src = acc;
  }
  const { bytes, min, max } = scaleImage(src, opts);
  const lut = colorMap(opts.cmap);
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const srow = (h - 1 - y) * w; // flip: FITS row 0 is the bottom
    for (let x = 0; x < w; x++) {
      const v = bytes[srow + x] * 3, o = (y * w + x) * 3;
      rgb[o] = lut[v];
      rgb[o + 1] = lut[v + 1];
      rgb[o + 2] = lut[v + 2];
    }
  }
  return { width: w, height: h, rgb, factor: f, min, max };
}

/**
 * Encode RGB8 pixels as PNG with `npm:fast-png` (loaded lazily).
 *
 * @example
 * ```ts
 * import { encodePng } from "@oda-hub/oda-api/display";
 * const png = await encodePng(new Uint8Array(2 * 2 * 3), 2, 2);
 * console.log(png[1] === 0x50); // "P" of the PNG signature
 * ```
 */
export async function encodePng(
  rgb: Uint8Array,
  width: number,
  height: number,
  level = 6,
): Promise<Uint8Array> {
  const { encode } = await import("npm:fast-png@^8.0.0");
  return encode({ width, height, data: rgb, channels: 3, depth: 8 }, {
    zlib: { level: level as 0 | 1 | 3 | 6 | 9 },
  });
}

function niceDegStep(spanDeg: number, target: number): number {
  const steps = [1 / 60, 2 / 60, 5 / 60, 10 / 60, 15 / 60, 20 / 60, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 90];
  const raw = spanDeg / target;
  return steps.find((s) => s >= raw) ?? 90;
}

function fmtDeg(v: number, step: number): string {
  if (step >= 1) return `${Math.round(v)}°`;
  if (step >= 1 / 6 - 1e-9 && Math.abs(v * 2 - Math.round(v * 2)) < 1e-6) {
    return `${formatTick(Number(v.toFixed(1)))}°`;
  }
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  let d = Math.floor(a + 1e-9);
  let m = Math.round((a - d) * 60);
  if (m === 60) (d += 1), (m = 0);
  return `${sign}${d}°${String(m).padStart(2, "0")}′`;
}

function fmtScale(deg: number): string {
  if (deg >= 1) return `${formatTick(deg)}°`;
  if (deg * 60 >= 1) return `${formatTick(Number((deg * 60).toPrecision(3)))}′`;
  return `${formatTick(Number((deg * 3600).toPrecision(3)))}″`;
}

/**
 * Build the mosaic picture as SVG: the colour-mapped raster (embedded PNG),
 * RA/Dec grid with ticks, catalog sources circled and labelled (new sources
 * in magenta, known ones in white), a scale bar and a colour bar.
 *
 * @example
 * ```ts
 * import { mosaicSvg } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const img = new Float32Array(64 * 64).map(() => Math.random());
 * const svg = await mosaicSvg(img, [64, 64], { title: "noise" });
 * assert.equal(svg.includes("<image"), true);
 * ```
 */
export async function mosaicSvg(
  values: ArrayLike<number>,
  shape: number[],
  opts: MosaicOptions = {},
): Promise<string> {
  const ny = shape[shape.length - 2] ?? 1, nx = shape[shape.length - 1] ?? values.length;
  // native resolution when it fits (crisp pixels, no resampling), else block-averaged to at most 640 px:
  // drawn with nearest-neighbour scaling, the picture keeps the colour map's colours only, so its PNG
  // stays small (smooth resampling of a noisy map multiplies the colours and the PNG size by 4)
  const size = opts.size ?? Math.min(640, Math.max(420, Math.max(nx, ny)));
  const raster = rasterize(values, shape, {
    ...opts,
    maxRaster: Math.min(opts.maxRaster ?? 1024, Math.ceil(size)),
  });
  const png = await encodePng(raster.rgb, raster.width, raster.height, 1);
  const scale = size / Math.max(nx, ny);
  const iw = nx * scale, ih = ny * scale;
  // right margin: the colour bar (34 px) and its widest label (unit, stretch, end values), so none is cut
  const barLabels = [opts.unit ?? "", opts.stretch ?? "asinh", "≥ -0.000e-00", "○ new"];
  const mr = Math.max(118, Math.ceil(34 + Math.max(...barLabels.map((t) => textWidth(t))) + 10));
  const ml = 78, mt = opts.title ? 30 : 12, mb = 44;
  const W = Math.round(ml + iw + mr), H = Math.round(mt + ih + mb);
  // FITS pixel (1-based, centre of first pixel = 1) → SVG coordinates
  const sx = (px: number) => ml + (px - 0.5) * scale;
  const sy = (py: number) => mt + ih - (py - 0.5) * scale;
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<image x="${ml}" y="${mt}" width="${iw.toFixed(1)}" height="${
      ih.toFixed(1)
    }" preserveAspectRatio="none" image-rendering="optimizeSpeed" xlink:href="data:image/png;base64,${
      mimeBase64(png)
    }"/>`,
    `<clipPath id="im"><rect x="${ml}" y="${mt}" width="${iw.toFixed(1)}" height="${
      ih.toFixed(1)
    }"/></clipPath>`,
  ];
  const wcs = opts.header ? wcsFromHeader(opts.header) : undefined;
  const labels: string[] = [];
  if (wcs) {
    // world extent from a lattice of pixels
    let raMin = Infinity, raMax = -Infinity, decMin = Infinity, decMax = -Infinity;
    const [ra0] = pixToWorld(wcs, (nx + 1) / 2, (ny + 1) / 2);
    for (let i = 0; i <= 20; i++) {
      for (let j = 0; j <= 20; j++) {
        const [ra, dec] = pixToWorld(wcs, 0.5 + (nx * i) / 20, 0.5 + (ny * j) / 20);
        const r = ra0 + (((ra - ra0 + 540) % 360) - 180); // unwrap around the centre
        raMin = Math.min(raMin, r), raMax = Math.max(raMax, r);
        decMin = Math.min(decMin, dec), decMax = Math.max(decMax, dec);
      }
    }
    const decStep = niceDegStep(decMax - decMin, 5);
    const raStep = niceDegStep(raMax - raMin, 5);
    let grid = "", ticks = "";
    const N = 60;
    // RA lines: constant RA, dec varying; tick where they cross the bottom edge
    for (let ra = Math.ceil(raMin / raStep) * raStep; ra <= raMax; ra += raStep) {
      let d = "", prev: [number, number] | undefined;
      for (let k = 0; k <= N; k++) {
        const dec = decMin + ((decMax - decMin) * k) / N;
        const p = worldToPix(wcs, ra, dec);
        if (!p) continue;
        d += `${d ? "L" : "M"}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`;
        if (prev && (prev[1] - 0.5) * (p[1] - 0.5) <= 0 && prev[1] !== p[1]) {
          const t = (0.5 - prev[1]) / (p[1] - prev[1]);
          const xb = prev[0] + t * (p[0] - prev[0]);
          if (xb >= 0.5 && xb <= nx + 0.5) {
            ticks += `M${sx(xb).toFixed(1)} ${mt + ih}v5`;
            labels.push(
              `<text x="${sx(xb).toFixed(1)}" y="${mt + ih + 17}" text-anchor="middle">${
                escapeHtml(fmtDeg(((ra % 360) + 360) % 360, raStep))
              }</text>`,
            );
          }
        }
        prev = p;
      }
      grid += d;
    }
    for (let dec = Math.ceil(decMin / decStep) * decStep; dec <= decMax; dec += decStep) {
      let d = "", prev: [number, number] | undefined;
      for (let k = 0; k <= N; k++) {
        const ra = raMin + ((raMax - raMin) * k) / N;
        const p = worldToPix(wcs, ra, dec);
        if (!p) continue;
        d += `${d ? "L" : "M"}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`;
        if (prev && (prev[0] - 0.5) * (p[0] - 0.5) <= 0 && prev[0] !== p[0]) {
          const t = (0.5 - prev[0]) / (p[0] - prev[0]);
          const yb = prev[1] + t * (p[1] - prev[1]);
          if (yb >= 0.5 && yb <= ny + 0.5) {
            ticks += `M${ml} ${sy(yb).toFixed(1)}h-5`;
            labels.push(
              `<text x="${ml - 8}" y="${(sy(yb) + 4).toFixed(1)}" text-anchor="end">${
                escapeHtml(fmtDeg(dec, decStep))
              }</text>`,
            );
          }
        }
        prev = p;
      }
      grid += d;
    }
    o.push(
      `<path d="${grid}" clip-path="url(#im)" stroke="#ffffff" stroke-opacity="0.55" stroke-width="0.8" stroke-dasharray="3 3" fill="none"/>`,
      `<path d="${ticks}" stroke="#374151"/>`,
    );
    labels.push(
      `<text x="${ml + iw / 2}" y="${H - 6}" text-anchor="middle" font-size="12">RA (J2000)</text>`,
      `<text transform="translate(16 ${
        mt + ih / 2
      }) rotate(-90)" text-anchor="middle" font-size="12">Dec (J2000)</text>`,
    );
    // scale bar: ~1/5 of the image width
    const degPerPix = Math.hypot(wcs.cd[0][0], wcs.cd[1][0]);
    const want = (degPerPix * nx) / 5;
    const bar = [1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.25, 0.5, 1, 2, 5, 10, 20].reduce(
      (b, s) => s <= want ? s : b,
      1 / 60,
    );
    const len = (bar / degPerPix) * scale;
    const bx = ml + iw - 12 - len, by = mt + ih - 14;
    o.push(
      `<path d="M${bx.toFixed(1)} ${by}h${len.toFixed(1)}" stroke="#000" stroke-width="5"/>`,
      `<path d="M${bx.toFixed(1)} ${by}h${len.toFixed(1)}" stroke="#fff" stroke-width="3"/>`,
      `<text x="${(bx + len / 2).toFixed(1)}" y="${
        by - 6
      }" text-anchor="middle" fill="#fff" stroke="#000" stroke-width="2.5" paint-order="stroke" font-weight="bold">${
        fmtScale(bar)
      }</text>`,
    );
    // sources: circles, then labels placed so that they overlap neither each other nor the circles
    const shown: { cx: number; cy: number; color: string; label: string; sig: number }[] = [];
    for (const s of opts.sources ?? []) {
      const p = worldToPix(wcs, s.ra, s.dec);
      if (!p || p[0] < 0.5 || p[0] > nx + 0.5 || p[1] < 0.5 || p[1] > ny + 0.5) continue;
      const label = (s.name ?? "") + (s.significance !== undefined ? ` (${s.significance.toFixed(1)}σ)` : "");
      shown.push({
        cx: sx(p[0]),
        cy: sy(p[1]),
        color: s.isNew ? "#ff3df2" : "#ffffff",
        label,
        sig: s.significance ?? 0,
      });
    }
    for (const s of shown) {
      o.push(
        `<circle cx="${s.cx.toFixed(1)}" cy="${
          s.cy.toFixed(1)
        }" r="9" fill="none" stroke="#000" stroke-width="3"/>`,
        `<circle cx="${s.cx.toFixed(1)}" cy="${
          s.cy.toFixed(1)
        }" r="9" fill="none" stroke="${s.color}" stroke-width="1.6"/>`,
      );
    }
    const boxes = placeLabels(
      shown.map((s) => ({ x: s.cx, y: s.cy, text: s.label, priority: s.sig })),
      { x0: ml, y0: mt, x1: ml + iw, y1: mt + ih },
    );
    shown.forEach((s, i) => {
      const b = boxes[i];
      if (!s.label || !b) return;
      o.push(
        `<text x="${b.x0.toFixed(1)}" y="${
          (b.y1 - 3).toFixed(1)
        }" fill="${s.color}" stroke="#000" stroke-width="2.5" paint-order="stroke" font-weight="bold">${
          escapeHtml(s.label)
        }</text>`,
      );
    });
  } else {
    // no WCS: FITS pixel axes (pixel centres at integers, the image spans 0.5 … n + 0.5), so the picture
    // can still be read off
    let ticks = "";
    for (const v of niceTicks(1, nx, Math.max(3, Math.floor(iw / 90)))) {
      if (!Number.isInteger(v)) continue;
      ticks += `M${sx(v).toFixed(1)} ${mt + ih}v5`;
      labels.push(`<text x="${sx(v).toFixed(1)}" y="${mt + ih + 17}" text-anchor="middle">${v}</text>`);
    }
    for (const v of niceTicks(1, ny, Math.max(3, Math.floor(ih / 60)))) {
      if (!Number.isInteger(v)) continue;
      ticks += `M${ml} ${sy(v).toFixed(1)}h-5`;
      labels.push(`<text x="${ml - 8}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
    }
    o.push(`<path d="${ticks}" stroke="#374151"/>`);
    labels.push(
      `<text x="${ml + iw / 2}" y="${H - 6}" text-anchor="middle" font-size="12">x [pixel]</text>`,
      `<text transform="translate(16 ${
        mt + ih / 2
      }) rotate(-90)" text-anchor="middle" font-size="12">y [pixel]</text>`,
    );
  }
  o.push(
    `<rect x="${ml}" y="${mt}" width="${iw.toFixed(1)}" height="${
      ih.toFixed(1)
    }" fill="none" stroke="#374151"/>`,
  );
  // colour bar; an end whose colour also stands for pixels beyond it (clipped) says so: "≤ min", "≥ max"
  const clipped = { below: false, above: false };
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v < raster.min) clipped.below = true;
    else if (v > raster.max) clipped.above = true;
  }
  const lut = colorMap(opts.cmap);
  const cbx = ml + iw + 16, cbw = 14;
  let stops = "";
  for (let i = 0; i <= 16; i++) {
    const k = Math.round((i / 16) * 255) * 3;
    stops += `<stop offset="${(i / 16).toFixed(3)}" stop-color="rgb(${lut[k]},${lut[k + 1]},${
      lut[k + 2]
    })"/>`;
  }
  o.push(
    `<linearGradient id="cb" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient>`,
    `<rect x="${cbx}" y="${mt}" width="${cbw}" height="${ih.toFixed(1)}" fill="url(#cb)" stroke="#374151"/>`,
    `<text x="${cbx + cbw + 4}" y="${mt + 10}">${clipped.above ? "≥ " : ""}${
      escapeHtml(formatTick(Number(raster.max.toPrecision(3))))
    }</text>`,
    `<text x="${cbx + cbw + 4}" y="${(mt + ih).toFixed(1)}">${clipped.below ? "≤ " : ""}${
      escapeHtml(formatTick(Number(raster.min.toPrecision(3))))
    }</text>`,
    `<text x="${cbx + cbw + 4}" y="${(mt + ih / 2).toFixed(1)}" fill="#6b7280">${
      escapeHtml(opts.stretch ?? "asinh")
    }</text>`,
  );
  if (opts.unit) {
    o.push(
      `<text x="${cbx + cbw + 4}" y="${(mt + ih / 2 + 14).toFixed(1)}" fill="#6b7280">${
        escapeHtml(opts.unit)
      }</text>`,
    );
  }
  if (opts.title) {
    o.push(
      `<text x="${ml + iw / 2}" y="${mt - 10}" text-anchor="middle" font-size="14" font-weight="bold">${
        escapeHtml(opts.title)
      }</text>`,
    );
  }
  if (opts.sources?.some((s) => s.isNew)) {
    o.push(
      `<text x="${cbx}" y="${(mt + ih + 17).toFixed(1)}" fill="#c026d3" font-weight="bold">○ new</text>`,
    );
  }
  o.push(...labels, "</svg>");
  return o.join("");
}

/**
 * The mosaic picture as PNG bytes ({@linkcode mosaicSvg} rasterised); when
 * the rasteriser is unavailable, the bare colour-mapped raster.
 *
 * @example
 * ```ts
 * import { mosaicPng } from "@oda-hub/oda-api/display";
 * const png = await mosaicPng(new Float32Array(32 * 32), [32, 32]);
 * console.log(png.length > 0);
 * ```
 */
export async function mosaicPng(
  values: ArrayLike<number>,
  shape: number[],
  opts: MosaicOptions = {},
): Promise<Uint8Array> {
  const svg = await mosaicSvg(values, shape, opts);
  const png = await svgToPng(svg);
  if (png) return png;
  const r = rasterize(values, shape, opts);
  return await encodePng(r.rgb, r.width, r.height);
}
