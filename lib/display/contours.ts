/**
 * Contour lines of a 2-D image (marching squares) and a sky image with
 * significance contours drawn over it.
 *
 * @module
 */
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { type MosaicOptions, mosaicSvg } from "./image.ts";
import { svgToPng } from "./render.ts";
import { escapeHtml } from "./html.ts";
import { textWidth } from "./_text.ts";
import { PlotView } from "./plots.ts";
import { OdaError } from "../errors.ts";

/**
 * Contour segments of `values` (`shape = [ny, nx]`, row 0 at the bottom as in
 * FITS) at `level`, by marching squares with linear interpolation along the
 * cell edges (saddles resolved by the cell-centre mean). Coordinates are
 * FITS pixels (1-based, pixel centres at integers); each segment is
 * `[x1, y1, x2, y2]`. NaN corners skip the cell.
 *
 * @example
 * ```ts
 * import { contourSegments } from "@oda-hub/oda-api/display";
 * // a 3×3 image with a peak in the middle: a closed diamond around pixel (2, 2)
 * const segs = contourSegments([0, 0, 0, 0, 4, 0, 0, 0, 0], [3, 3], 2);
 * console.assert(segs.length === 4 && segs.every((s) => s.every((v) => v >= 1 && v <= 3)));
 * ```
 */
export function contourSegments(
  values: ArrayLike<number>,
  shape: number[],
  level: number,
): [number, number, number, number][] {
  const ny = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const nx = shape[shape.length - 1] ?? values.length;
  const out: [number, number, number, number][] = [];
  const v = (i: number, j: number) => Number(values[j * nx + i]);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = v(i, j), b = v(i + 1, j), c = v(i + 1, j + 1), d = v(i, j + 1);
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      const idx = (a >= level ? 1 : 0) | (b >= level ? 2 : 0) | (c >= level ? 4 : 0) | (d >= level ? 8 : 0);
      if (idx === 0 || idx === 15) continue;
      // crossing points on the edges (pixel coordinates, 1-based)
      const t = (p: number, q: number) => (level - p) / (q - p);
      const x0 = i + 1, y0 = j + 1;
      const bottom = (): [number, number] => [x0 + t(a, b), y0];
      const right = (): [number, number] => [x0 + 1, y0 + t(b, c)];
      const top = (): [number, number] => [x0 + t(d, c), y0 + 1];
      const left = (): [number, number] => [x0, y0 + t(a, d)];
      const seg = (p: [number, number], q: [number, number]) => out.push([p[0], p[1], q[0], q[1]]);
      const centreHigh = (a + b + c + d) / 4 >= level;
      switch (idx) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(right(), top());
          break;
        case 6:
        case 9:
          seg(bottom(), top());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5: // a and c high
          if (centreHigh) {
            seg(left(), top());
            seg(bottom(), right());
          } else {
            seg(left(), bottom());
            seg(right(), top());
          }
          break;
        case 10: // b and d high
          if (centreHigh) {
            seg(left(), bottom());
            seg(right(), top());
          } else {
            seg(left(), top());
            seg(bottom(), right());
          }
          break;
      }
    }
  }
  return out;
}

/**
 * Options of {@linkcode plotMosaicContours}.
 *
 * @example
 * ```ts
 * import type { MosaicContourOptions } from "@oda-hub/oda-api/display";
 * const opts: MosaicContourOptions = { levels: [5, 10, 20], title: "ISGRI 28-40 keV" };
 * ```
 */
export interface MosaicContourOptions extends MosaicOptions {
  /** Contour levels (in the unit of the contoured image, e.g. σ). */
  levels: number[];
  /** Image to contour (default: the displayed image), same shape, e.g. the significance map. */
  contourValues?: ArrayLike<number>;
  /** Contour colours, one per level (default white to red). */
  colors?: string[];
}

const DEFAULT_COLORS = ["#ffffff", "#fde047", "#fb923c", "#ef4444", "#be123c"];

/**
 * A sky image (as `mosaicSvg` draws it: colour map, WCS grid, sources) with
 * contours of a significance map at the chosen levels drawn over it (PNG and
 * SVG). The contours are those of {@linkcode contourSegments}, at the same
 * pixel scale as the image.
 *
 * @example
 * ```ts
 * import { plotMosaicContours } from "@oda-hub/oda-api/display";
 * const n = 64;
 * const sig = Float32Array.from({ length: n * n }, (_, k) => 30 * Math.exp(-(((k % n) - 32) ** 2 + (Math.floor(k / n) - 32) ** 2) / 40));
 * const view = plotMosaicContours(sig, [n, n], { levels: [5, 10, 20], unit: "sigma" });
 * const bundle = await view.bundle();
 * ```
 */
export function plotMosaicContours(
  values: ArrayLike<number>,
  shape: number[],
  options: MosaicContourOptions,
): PlotView {
  const levels = [...options.levels].filter(Number.isFinite).sort((x, y) => x - y);
  const text = `${options.title ?? "image"} [${shape.join(", ")}], contours at ${levels.join(", ")}${
    options.unit ? ` ${options.unit}` : ""
  }`;
  return new PlotView(text, async (): Promise<MimeBundle> => {
    const svg = await mosaicSvg(values, shape, options);
    const ny = shape[shape.length - 2] ?? 1, nx = shape[shape.length - 1] ?? values.length;
    // the image's placement in the SVG: `<image x y width height>`
    const m = /<image x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
    if (!m) throw new OdaError("INTERNAL", "unexpected mosaic SVG layout");
    const [ml, mt, iw, ih] = m.slice(1).map(Number);
    const sx = (px: number) => ml + (px - 0.5) * (iw / nx);
    const sy = (py: number) => mt + ih - (py - 0.5) * (ih / ny);
    const colors = options.colors ?? DEFAULT_COLORS;
    const paths = levels.map((level, k) => {
      const segs = contourSegments(options.contourValues ?? values, shape, level);
      const d = segs.map(([x1, y1, x2, y2]) =>
        `M${sx(x1).toFixed(1)} ${sy(y1).toFixed(1)}L${sx(x2).toFixed(1)} ${sy(y2).toFixed(1)}`
      ).join("");
      const color = colors[k % colors.length];
      return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.2" data-level="${level}"/>`;
    });
    // the legend below the picture (as every plot's): per level a swatch (the contour's colour on the
    // colour map's dark end, so a white contour shows) and its value, flowing onto more lines as needed
    const size = /^<svg [^>]*?width="(\d+)" height="(\d+)"/.exec(svg);
    if (!size) throw new OdaError("INTERNAL", "unexpected mosaic SVG layout");
    const W = Number(size[1]), H = Number(size[2]);
    const items = levels.map((level, k) => ({
      text: `${level}${options.unit ? ` ${options.unit}` : ""}`,
      color: colors[k % colors.length],
    }));
    const legend: string[] = [];
    let x = ml, y = H + 8;
    const head = "contours:";
    legend.push(`<text class="legend" x="${x}" y="${y + 4}">${head}</text>`);
    x += textWidth(head) + 10;
    for (const it of items) {
      const w = 26 + textWidth(it.text) + 14;
      if (x + w > W - 8 && x > ml + textWidth(head) + 10) (x = ml + textWidth(head) + 10), (y += 16);
      legend.push(
        `<rect x="${x.toFixed(1)}" y="${y - 5}" width="22" height="10" fill="#1f2937"/>`,
        `<path d="M${(x + 2).toFixed(1)} ${y}h18" stroke="${it.color}" stroke-width="1.6"/>`,
        `<text class="legend" x="${(x + 26).toFixed(1)}" y="${y + 4}">${escapeHtml(it.text)}</text>`,
      );
      x += w;
    }
    const H2 = y + 14;
    const out = svg
      .replace(
        /^<svg ([^>]*?)width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/,
        `<svg $1width="${W}" height="${H2}" viewBox="0 0 ${W} ${H2}"`,
      )
      .replace(
        `<rect width="${W}" height="${H}" fill="#fff"/>`,
        `<rect width="${W}" height="${H2}" fill="#fff"/>`,
      )
      .replace(/<\/svg>\s*$/, `<g clip-path="url(#im)">${paths.join("")}</g>${legend.join("")}</svg>`);
    const bundle: MimeBundle = { "text/plain": text, "image/svg+xml": out };
    const png = await svgToPng(out);
    if (png) bundle["image/png"] = mimeBase64(png);
    return bundle;
  });
}
