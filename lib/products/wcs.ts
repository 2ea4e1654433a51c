/**
 * A minimal celestial WCS (TAN, CAR and linear) read from a FITS header:
 * the rule that maps image pixels to the sky lives with the products; the
 * mosaic pictures only ask it. Also the angular separation of two sky
 * positions (catalog matching, the sandbox's source search).
 *
 * @module
 */
import { toTextSafe } from "../data/_coerce.ts";

/**
 * A minimal celestial WCS read from a FITS header.
 *
 * @example
 * ```ts
 * import { pixToWorld, type SimpleWcs } from "@oda-hub/oda-api/display";
 * const w: SimpleWcs = {
 *   projection: "CAR",
 *   crval: [83.63, 22.01],
 *   crpix: [50, 50],
 *   cd: [[-0.08, 0], [0, 0.08]],
 * };
 * pixToWorld(w, 50, 50); // [83.63, 22.01]
 * ```
 */
export interface SimpleWcs {
  /** Projection code (`TAN`, `CAR`, ...) or `""` for linear. */
  projection: string;
  /** Reference world coordinates (deg). */
  crval: [number, number];
  /** Reference pixel (1-based). */
  crpix: [number, number];
  /** Linear transform pixel offset → intermediate world (deg): [[cd11, cd12], [cd21, cd22]]. */
  cd: [[number, number], [number, number]];
}

function num(h: Record<string, unknown>, k: string): number | undefined {
  const v = h[k] ?? h[k.toLowerCase()];
  const n = typeof v === "string" ? Number(v) : typeof v === "number" ? v : undefined;
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/**
 * Read a celestial WCS (CTYPE/CRVAL/CRPIX with CD, or PC × CDELT, or CDELT
 * and CROTA2) from a header; `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { wcsFromHeader } from "@oda-hub/oda-api/display";
 * const w = wcsFromHeader({ CTYPE1: "RA---TAN", CTYPE2: "DEC--TAN", CRVAL1: 275, CRVAL2: 7,
 *   CRPIX1: 50, CRPIX2: 50, CDELT1: -0.08, CDELT2: 0.08 });
 * console.log(w?.projection); // "TAN"
 * ```
 */
export function wcsFromHeader(h: Record<string, unknown>): SimpleWcs | undefined {
  const c1 = toTextSafe(h.CTYPE1 ?? "", "CTYPE1"), c2 = toTextSafe(h.CTYPE2 ?? "", "CTYPE2");
  const crval1 = num(h, "CRVAL1"), crval2 = num(h, "CRVAL2");
  const crpix1 = num(h, "CRPIX1"), crpix2 = num(h, "CRPIX2");
  if (crval1 === undefined || crval2 === undefined || crpix1 === undefined || crpix2 === undefined) {
    return undefined;
  }
  if (!/^(RA|GLON|ELON)/.test(c1) || !/^(DEC|GLAT|ELAT)/.test(c2)) return undefined;
  let cd: [[number, number], [number, number]];
  const cd11 = num(h, "CD1_1");
  if (cd11 !== undefined) {
    cd = [[cd11, num(h, "CD1_2") ?? 0], [num(h, "CD2_1") ?? 0, num(h, "CD2_2") ?? 0]];
  } else {
    const d1 = num(h, "CDELT1") ?? 1, d2 = num(h, "CDELT2") ?? 1;
    const pc11 = num(h, "PC1_1"),
      pc12 = num(h, "PC1_2") ?? 0,
      pc21 = num(h, "PC2_1") ?? 0,
      pc22 = num(h, "PC2_2");
    if (pc11 !== undefined || pc22 !== undefined) {
      cd = [[d1 * (pc11 ?? 1), d1 * pc12], [d2 * pc21, d2 * (pc22 ?? 1)]];
    } else {
      const rot = ((num(h, "CROTA2") ?? 0) * Math.PI) / 180;
      const c = Math.cos(rot), s = Math.sin(rot);
      cd = [[d1 * c, -d2 * s], [d1 * s, d2 * c]];
    }
  }
  const proj = c1.length > 5 ? c1.slice(5).replace(/-/g, "").trim() : "";
  return { projection: proj, crval: [crval1, crval2], crpix: [crpix1, crpix2], cd };
}

const D2R = Math.PI / 180;

/**
 * Pixel (1-based FITS convention) → world (deg) for a {@linkcode SimpleWcs}.
 *
 * @example
 * ```ts
 * import { pixToWorld, wcsFromHeader } from "@oda-hub/oda-api/display";
 * const w = wcsFromHeader({ CTYPE1: "RA---TAN", CTYPE2: "DEC--TAN", CRVAL1: 275, CRVAL2: 7,
 *   CRPIX1: 50, CRPIX2: 50, CDELT1: -0.08, CDELT2: 0.08 })!;
 * pixToWorld(w, 50, 50); // [275, 7]
 * ```
 */
export function pixToWorld(w: SimpleWcs, px: number, py: number): [number, number] {
  const dx = px - w.crpix[0], dy = py - w.crpix[1];
  const x = w.cd[0][0] * dx + w.cd[0][1] * dy;
  const y = w.cd[1][0] * dx + w.cd[1][1] * dy;
  if (w.projection !== "TAN") return [((w.crval[0] + x) % 360 + 360) % 360, w.crval[1] + y];
  const xr = x * D2R, yr = y * D2R;
  const a0 = w.crval[0] * D2R, d0 = w.crval[1] * D2R;
  const den = Math.cos(d0) - yr * Math.sin(d0);
  const ra = a0 + Math.atan2(xr, den);
  const dec = Math.atan2(Math.sin(d0) + yr * Math.cos(d0), Math.hypot(xr, den));
  return [((ra / D2R) % 360 + 360) % 360, dec / D2R];
}

/**
 * World (deg) → pixel (1-based) for a {@linkcode SimpleWcs}; `undefined` for
 * points on the far side of a TAN projection.
 *
 * @example
 * ```ts
 * import { worldToPix, wcsFromHeader } from "@oda-hub/oda-api/display";
 * const w = wcsFromHeader({ CTYPE1: "RA---TAN", CTYPE2: "DEC--TAN", CRVAL1: 275, CRVAL2: 7,
 *   CRPIX1: 50, CRPIX2: 50, CDELT1: -0.08, CDELT2: 0.08 })!;
 * worldToPix(w, 275, 7); // [50, 50]
 * ```
 */
export function worldToPix(w: SimpleWcs, ra: number, dec: number): [number, number] | undefined {
  let x: number, y: number;
  if (w.projection !== "TAN") {
    let d = ra - w.crval[0];
    d = ((d + 540) % 360) - 180;
    x = d;
    y = dec - w.crval[1];
  } else {
    const a = ra * D2R, d = dec * D2R, a0 = w.crval[0] * D2R, d0 = w.crval[1] * D2R;
    const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a - a0);
    if (cosc <= 0) return undefined;
    x = (Math.cos(d) * Math.sin(a - a0)) / cosc / D2R;
    y = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a - a0)) / cosc / D2R;
  }
  const [[a11, a12], [a21, a22]] = w.cd;
  const det = a11 * a22 - a12 * a21;
  if (det === 0) return undefined;
  const dx = (a22 * x - a12 * y) / det, dy = (-a21 * x + a11 * y) / det;
  return [dx + w.crpix[0], dy + w.crpix[1]];
}

// --------------------------------------------------------------- sources

/**
 * Angular separation in degrees between two J2000 positions (haversine: exact near the poles and across
 * RA 0/360).
 *
 * @example
 * ```ts
 * import { angularSeparation } from "./wcs.ts";
 * angularSeparation(83.63, 22.01, 84.73, 26.32); // ≈ 4.4
 * ```
 */
export function angularSeparation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d2r = Math.PI / 180;
  const sdd = Math.sin(((dec2 - dec1) * d2r) / 2);
  const sda = Math.sin(((ra2 - ra1) * d2r) / 2);
  const a = sdd * sdd + Math.cos(dec1 * d2r) * Math.cos(dec2 * d2r) * sda * sda;
  return (2 * Math.asin(Math.min(1, Math.sqrt(a)))) / d2r;
}
