/**
 * Strided reads of row-ordered records into columns, shared by the pickle decoder (numpy record arrays) and
 * the FITS reader (binary tables): up to three scalar 4-byte columns (float32/int32/uint32, either byte
 * order) read in one loop over the rows through big/little-endian DataView int32 loads (bit exact, and about
 * 2× faster than one loop per column). `dv` starts at the first row; row `r` goes to index `o + r`.
 *
 * @module
 */

/**
 * Three 4-byte columns at byte offsets `oa`, `ob`, `oc` of each `stride`-byte row.
 *
 * @example
 * ```ts ignore
 * read4x3(new DataView(rows.buffer), 20, n, false, 8, 12, 16, rate, error, fracexp, 0);
 * ```
 */
export function read4x3(
  dv: DataView,
  stride: number,
  rows: number,
  le: boolean,
  oa: number,
  ob: number,
  oc: number,
  a: Int32Array,
  b: Int32Array,
  c: Int32Array,
  o: number,
): void {
  for (let r = 0, p = 0, q = o; r < rows; r++, p += stride, q++) {
    a[q] = dv.getInt32(p + oa, le);
    b[q] = dv.getInt32(p + ob, le);
    c[q] = dv.getInt32(p + oc, le);
  }
}

/**
 * One 8-byte column (float64, or int64 through its float64 bits) at byte offset `o8` and three 4-byte columns
 * at `oa`, `ob`, `oc` of each `stride`-byte row, in one loop (a light curve's TIME, RATE, ERROR, FRACEXP):
 * one pass over the rows instead of two (see {@linkcode read4x3}). `t` holds the 8-byte
 * values as int32 pairs (native order); they are read with int32 loads, so every bit is kept (a float64 load
 * quiets signalling NaNs in V8's unoptimised tiers).
 *
 * @example
 * ```ts ignore
 * read8x1x4x3(new DataView(rows.buffer), 20, n, false, 0, 8, 12, 16, time, rate, error, fracexp, 0);
 * ```
 */
export function read8x1x4x3(
  dv: DataView,
  stride: number,
  rows: number,
  le: boolean,
  o8: number,
  oa: number,
  ob: number,
  oc: number,
  t: Int32Array,
  a: Int32Array,
  b: Int32Array,
  c: Int32Array,
  o: number,
): void {
  // the 8-byte lanes as two int32 loads: a float64 load would quiet a signalling NaN in V8's unoptimised tiers
  const hi = le ? 4 : 0;
  const lo = 4 - hi;
  for (let r = 0, p = 0, q = o; r < rows; r++, p += stride, q++) {
    t[2 * q] = dv.getInt32(p + o8 + lo, le);
    t[2 * q + 1] = dv.getInt32(p + o8 + hi, le);
    a[q] = dv.getInt32(p + oa, le);
    b[q] = dv.getInt32(p + ob, le);
    c[q] = dv.getInt32(p + oc, le);
  }
}

/**
 * Two 4-byte columns (see {@linkcode read4x3}).
 *
 * @example
 * ```ts ignore
 * read4x2(new DataView(rows.buffer), 20, n, false, 8, 12, rate, error, 0);
 * ```
 */
export function read4x2(
  dv: DataView,
  stride: number,
  rows: number,
  le: boolean,
  oa: number,
  ob: number,
  a: Int32Array,
  b: Int32Array,
  o: number,
): void {
  for (let r = 0, p = 0, q = o; r < rows; r++, p += stride, q++) {
    a[q] = dv.getInt32(p + oa, le);
    b[q] = dv.getInt32(p + ob, le);
  }
}

/**
 * One 4-byte column (see {@linkcode read4x3}).
 *
 * @example
 * ```ts ignore
 * read4x1(new DataView(rows.buffer), 20, n, false, 8, rate, 0);
 * ```
 */
export function read4x1(
  dv: DataView,
  stride: number,
  rows: number,
  le: boolean,
  oa: number,
  a: Int32Array,
  o: number,
): void {
  for (let r = 0, p = oa, q = o; r < rows; r++, p += stride, q++) a[q] = dv.getInt32(p, le);
}

/**
 * The reverse of {@linkcode read4x3}, big-endian (FITS): values `vals[o + r]` of three int32 views go to byte
 * offsets `oa`, `ob`, `oc` of row `r` of `dv`.
 *
 * @example
 * ```ts ignore
 * write4x3(new DataView(chunk.buffer), 20, n, 8, 12, 16, rate, error, fracexp, 0);
 * ```
 */
export function write4x3(
  dv: DataView,
  stride: number,
  rows: number,
  oa: number,
  ob: number,
  oc: number,
  a: Int32Array,
  b: Int32Array,
  c: Int32Array,
  o: number,
): void {
  for (let r = 0, p = 0, q = o; r < rows; r++, p += stride, q++) {
    dv.setInt32(p + oa, a[q], false);
    dv.setInt32(p + ob, b[q], false);
    dv.setInt32(p + oc, c[q], false);
  }
}

/**
 * Two columns (see {@linkcode write4x3}).
 *
 * @example
 * ```ts ignore
 * write4x2(new DataView(chunk.buffer), 20, n, 8, 12, rate, error, 0);
 * ```
 */
export function write4x2(
  dv: DataView,
  stride: number,
  rows: number,
  oa: number,
  ob: number,
  a: Int32Array,
  b: Int32Array,
  o: number,
): void {
  for (let r = 0, p = 0, q = o; r < rows; r++, p += stride, q++) {
    dv.setInt32(p + oa, a[q], false);
    dv.setInt32(p + ob, b[q], false);
  }
}

/**
 * One column (see {@linkcode write4x3}).
 *
 * @example
 * ```ts ignore
 * write4x1(new DataView(chunk.buffer), 20, n, 8, rate, 0);
 * ```
 */
export function write4x1(
  dv: DataView,
  stride: number,
  rows: number,
  oa: number,
  a: Int32Array,
  o: number,
): void {
  for (let r = 0, p = oa, q = o; r < rows; r++, p += stride, q++) dv.setInt32(p, a[q], false);
}
