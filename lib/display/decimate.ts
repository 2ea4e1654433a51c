/**
 * Min/max decimation for plotting long series: split the x range into
 * buckets and keep, in every bucket, the points holding the lowest and
 * highest values (and the lowest lower / highest upper error-bar ends), plus
 * the first and last point. Every extreme of the series stays visible, and
 * the output is bounded by about 4 points per bucket.
 *
 * @module
 */

/**
 * Anything indexable by number (TypedArray or array).
 *
 * @example
 * ```ts
 * import { minMaxDecimate, type NumberArrayLike } from "@oda-hub/oda-api/display";
 * const rate: NumberArrayLike = new Float32Array([1, 5, 2, 8, 3]); // a plain number[] works too
 * const keep = minMaxDecimate(rate, 4); // indices of the points to plot
 * ```
 */
export type NumberArrayLike = ArrayLike<number>;

/**
 * Indices (ascending) of the points to keep so that every local extreme
 * stays visible with about `maxPoints` points. Series not longer than
 * `maxPoints` come back whole. `err` (symmetric or lower/upper) makes the
 * error-bar ends count as extremes too. NaN values are skipped.
 *
 * @example
 * ```ts
 * import { minMaxDecimate } from "@oda-hub/oda-api/display";
 * const y = Float64Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 500));
 * y[12345] = 50; // a spike: kept
 * const idx = minMaxDecimate(y, 5000);
 * console.log(idx.length <= 5000, Array.from(idx).includes(12345)); // true true
 * ```
 */
export function minMaxDecimate(
  y: NumberArrayLike,
  maxPoints: number,
  err?: NumberArrayLike | { lower: NumberArrayLike; upper: NumberArrayLike },
): Uint32Array {
  const n = y.length;
  if (n <= maxPoints) return Uint32Array.from({ length: n }, (_, i) => i);
  const lowerErr = err && "lower" in err ? err.lower : err as NumberArrayLike | undefined;
  const upperErr = err && "upper" in err ? err.upper : err as NumberArrayLike | undefined;
  const perBucket = lowerErr ? 4 : 2;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / perBucket));
  const size = n / buckets;
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor(b * size);
    const e = Math.min(n, Math.floor((b + 1) * size));
    let iMin = -1, iMax = -1, iLo = -1, iHi = -1;
    let vMin = Infinity, vMax = -Infinity, vLo = Infinity, vHi = -Infinity;
    for (let i = s; i < e; i++) {
      const v = y[i];
      if (v !== v) continue; // NaN
      if (v < vMin) (vMin = v), (iMin = i);
      if (v > vMax) (vMax = v), (iMax = i);
      if (lowerErr) {
        const lo = v - (lowerErr[i] || 0);
        const hi = v + (upperErr![i] || 0);
        if (lo < vLo) (vLo = lo), (iLo = i);
        if (hi > vHi) (vHi = hi), (iHi = i);
      }
    }
    if (iMin >= 0) keep[iMin] = 1;
    if (iMax >= 0) keep[iMax] = 1;
    if (iLo >= 0) keep[iLo] = 1;
    if (iHi >= 0) keep[iHi] = 1;
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += keep[i];
  const out = new Uint32Array(count);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) out[k++] = i;
  return out;
}

/**
 * Pick `idx` elements of `a` into a new Float64Array.
 *
 * @example
 * ```ts
 * import { takeIndices } from "@oda-hub/oda-api/display";
 * takeIndices([10, 20, 30], new Uint32Array([0, 2])); // Float64Array [10, 30]
 * ```
 */
export function takeIndices(a: NumberArrayLike, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = Number(a[idx[i]]);
  return out;
}
