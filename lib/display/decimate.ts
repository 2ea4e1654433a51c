/**
 * Honest decimation for plotting long series: above the point budget, the x
 * range is cut into pixel columns and each column is drawn as its min–max
 * envelope (one band, plus the mean), never as separate clouds of minima and
 * maxima. The error envelope of a column runs from the lowest lower error-bar
 * end to the highest upper one, so no error bar is shortened. Columns without
 * bins stay empty, so gaps in the data stay visible.
 *
 * @module
 */

/**
 * Anything indexable by number (TypedArray or array).
 *
 * @example
 * ```ts
 * import { envelopeColumns, type NumberArrayLike } from "@oda-hub/oda-api/display";
 * const rate: NumberArrayLike = new Float32Array([1, 5, 2, 8, 3]); // a plain number[] works too
 * const env = envelopeColumns([0, 1, 2, 3, 4], rate, { columns: 2 });
 * ```
 */
export type NumberArrayLike = ArrayLike<number>;

/**
 * Per-column summary of a decimated series (all arrays have one entry per
 * non-empty column, in x order).
 *
 * @example
 * ```ts
 * import { type Envelope, envelopeColumns } from "@oda-hub/oda-api/display";
 * const env: Envelope = envelopeColumns([0, 1, 2, 3], [5, 7, 6, 2], { columns: 2 });
 * env.max; // Float64Array [7, 6]
 * ```
 */
export interface Envelope {
  /** Number of bins summarised (finite x and y). */
  total: number;
  /** Column start (x units). */
  x0: Float64Array;
  /** Column end (x units). */
  x1: Float64Array;
  /** Bins in each column. */
  count: Uint32Array;
  /** x of the first bin of the column. */
  xFirst: Float64Array;
  /** x of the last bin of the column. */
  xLast: Float64Array;
  /** Smallest y of the column. */
  min: Float64Array;
  /** Largest y of the column. */
  max: Float64Array;
  /** Mean y of the column. */
  mean: Float64Array;
  /** Lowest `y − err` of the column (NaN without errors). */
  lo: Float64Array;
  /** Highest `y + err` of the column (NaN without errors). */
  hi: Float64Array;
}

/**
 * Options of {@linkcode envelopeColumns}.
 *
 * @example
 * ```ts
 * import { type EnvelopeOptions, envelopeColumns } from "@oda-hub/oda-api/display";
 * const opts: EnvelopeOptions = { columns: 600, err: [0.1, 0.1, 0.2] };
 * const env = envelopeColumns([1, 2, 3], [4, 5, 6], opts);
 * ```
 */
export interface EnvelopeOptions {
  /** Number of columns across the x range (about the plot width in px). */
  columns: number;
  /** Symmetric y errors: the column's error envelope is `[min(y − err), max(y + err)]`. */
  err?: NumberArrayLike;
  /** x range to cut (default: the data's finite min and max). */
  range?: [number, number];
}

/**
 * Summarise `(x, y)` in `columns` equal-width x columns: for every column
 * that holds bins, its bounds, bin count, first/last x, min, max and mean of
 * y and the error envelope. Rows with a non-finite x or y are skipped; a
 * non-finite error leaves the error envelope alone.
 *
 * @example
 * ```ts
 * import { envelopeColumns } from "@oda-hub/oda-api/display";
 * const n = 100_000;
 * const x = Float64Array.from({ length: n }, (_, i) => i);
 * const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500));
 * y[12345] = 50; // a spike: it is the max of its column
 * const env = envelopeColumns(x, y, { columns: 600 });
 * console.log(env.x0.length, Math.max(...env.max)); // 600 50
 * ```
 */
export function envelopeColumns(x: NumberArrayLike, y: NumberArrayLike, opts: EnvelopeOptions): Envelope {
  const n = Math.min(x.length, y.length);
  const cols = Math.max(1, Math.floor(opts.columns));
  let xmin = Infinity, xmax = -Infinity;
  if (opts.range) [xmin, xmax] = opts.range;
  else {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (!Number.isFinite(v) || !Number.isFinite(y[i])) continue;
      if (v < xmin) xmin = v;
      if (v > xmax) xmax = v;
    }
  }
  const width = xmax > xmin ? (xmax - xmin) / cols : 1;
  const count = new Uint32Array(cols);
  const xFirst = new Float64Array(cols).fill(Infinity), xLast = new Float64Array(cols).fill(-Infinity);
  const min = new Float64Array(cols).fill(Infinity), max = new Float64Array(cols).fill(-Infinity);
  const sum = new Float64Array(cols);
  const lo = new Float64Array(cols).fill(Infinity), hi = new Float64Array(cols).fill(-Infinity);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xv = x[i], yv = y[i];
    if (!Number.isFinite(xv) || !Number.isFinite(yv) || xv < xmin || xv > xmax) continue;
    const c = Math.min(cols - 1, Math.floor((xv - xmin) / width));
    total++;
    count[c]++;
    if (xv < xFirst[c]) xFirst[c] = xv;
    if (xv > xLast[c]) xLast[c] = xv;
    if (yv < min[c]) min[c] = yv;
    if (yv > max[c]) max[c] = yv;
    sum[c] += yv;
    const e = opts.err ? Number(opts.err[i]) : NaN;
    if (Number.isFinite(e)) {
      if (yv - e < lo[c]) lo[c] = yv - e;
      if (yv + e > hi[c]) hi[c] = yv + e;
    }
  }
  const keep: number[] = [];
  for (let c = 0; c < cols; c++) if (count[c]) keep.push(c);
  const take = (a: Float64Array, f?: (v: number, c: number) => number) =>
    Float64Array.from(keep, (c) => (f ? f(a[c], c) : a[c]));
  const finiteOrNaN = (v: number) => (Number.isFinite(v) ? v : NaN);
  return {
    total,
    x0: Float64Array.from(keep, (c) => xmin + c * width),
    x1: Float64Array.from(keep, (c) => (c === cols - 1 ? xmax : xmin + (c + 1) * width)),
    count: Uint32Array.from(keep, (c) => count[c]),
    xFirst: take(xFirst),
    xLast: take(xLast),
    min: take(min),
    max: take(max),
    mean: take(sum, (s, c) => s / count[c]),
    lo: take(lo, finiteOrNaN),
    hi: take(hi, finiteOrNaN),
  };
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

/**
 * The shortest decimal that reads back as the same value: for numbers that
 * are exactly a float32 (columns stored as FITS `E`), the shortest decimal of
 * that float32 (`10.003344`, not `10.00334358215332`), otherwise the double
 * itself. Keeps plot data small without changing any measured value.
 *
 * @example
 * ```ts
 * import { shortestExact } from "@oda-hub/oda-api/display";
 * const v = Math.fround(10.003344); // a float32 rate
 * shortestExact(v); // 10.003344, and Math.fround(10.003344) === v
 * shortestExact(6651.123456789012); // unchanged (not a float32)
 * ```
 */
export function shortestExact(v: number): number {
  if (!Number.isFinite(v) || Math.fround(v) !== v || Number.isInteger(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return s;
  }
  return v;
}
