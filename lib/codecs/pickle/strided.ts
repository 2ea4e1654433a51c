/**
 * Strided readers: numeric, string and void elements at `base + row·stride` of a byte buffer into native
 * arrays (DataView loads handle the byte order), and the Fortran → C order transpose.
 *
 * @module
 */
import { DecodeError } from "../../errors.ts";
import {
  allocNumeric,
  type ArrayValues,
  HOST_IS_LITTLE_ENDIAN,
  isNumericKind,
  type NumericArray,
  readStrings,
  type SimpleDType,
  swapBytesInPlace,
} from "../../data/ndarray.ts";

function err(msg: string): DecodeError {
  return new DecodeError("PICKLE", msg);
}

/** Transpose Fortran-ordered flat values (width values per element) into C order. */
export function fortranToC<T extends ArrayLike<unknown>>(
  src: T,
  dst: { [i: number]: unknown },
  shape: number[],
  width = 1,
): void {
  const nd = shape.length;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) return;
  const fstride = new Array<number>(nd);
  let acc = 1;
  for (let k = 0; k < nd; k++) {
    fstride[k] = acc;
    acc *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let i = 0; i < count; i++) {
    for (let w = 0; w < width; w++) dst[i * width + w] = src[off * width + w];
    let k = nd - 1;
    while (k >= 0) {
      idx[k]++;
      off += fstride[k];
      if (idx[k] < shape[k]) break;
      off -= fstride[k] * shape[k];
      idx[k] = 0;
      k--;
    }
  }
}

/** Bytes per byte-swap lane (half an element for complex numbers). */
export function laneOf(d: SimpleDType): number {
  return d.kind === "c" ? d.itemsize / 2 : d.itemsize;
}

/** Whether values of `d` are stored in the opposite byte order of this host. */
export function needsSwap(d: SimpleDType): boolean {
  return d.byteorder !== "|" && (d.byteorder === "<") !== HOST_IS_LITTLE_ENDIAN;
}

/** Wrap an aligned native byte range as the TypedArray of `d` (a view, no copy). */
export function viewNumeric(bytes: Uint8Array, d: SimpleDType, count: number): NumericArray {
  const Ctor = allocNumeric(d, 0).constructor as unknown as new (
    b: ArrayBufferLike,
    o: number,
    n: number,
  ) => NumericArray;
  return new Ctor(bytes.buffer, bytes.byteOffset, d.kind === "c" ? count * 2 : count);
}

/**
 * Read `rows × per` elements of numeric dtype `d` at `base + r·stride + k·itemsize` straight into `out` with
 * DataView loads (byte order handled by the load; no gather buffer, no separate swap pass).
 */
export function stridedRead(
  raw: Uint8Array,
  base: number,
  stride: number,
  rows: number,
  per: number,
  d: SimpleDType,
  out: NumericArray,
): void {
  // One small function per element type: each stays monomorphic, so V8 optimises it after a few calls
  // (one function with every case in a switch kept deoptimising between column types for several decodes).
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = d.byteorder !== ">";
  switch (`${d.kind}${d.itemsize}`) {
    case "f8":
      if (per === 1) return readF8(dv, base, stride, rows, le, out as Float64Array);
      return readF8s(dv, base, stride, rows, per, le, out as Float64Array);
    case "f4":
      if (per === 1) return readF4(dv, base, stride, rows, le, out as Float32Array);
      return readF4s(dv, base, stride, rows, per, le, out as Float32Array);
    case "c16":
      return readF8s(dv, base, stride, rows, 2 * per, le, out as Float64Array);
    case "c8":
      return readF4s(dv, base, stride, rows, 2 * per, le, out as Float32Array);
    case "i4":
      return readI4s(dv, base, stride, rows, per, le, out as Int32Array);
    case "u4":
      return readU4s(dv, base, stride, rows, per, le, out as Uint32Array);
    case "i2":
    case "u2":
      return readU2s(dv, base, stride, rows, per, le, out as Int16Array | Uint16Array);
    case "i8":
      return readI8s(dv, base, stride, rows, per, le, out as BigInt64Array);
    case "u8":
      return readU8s(dv, base, stride, rows, per, le, out as BigUint64Array);
    default: {
      // 1-byte kinds (b1, i1, u1): plain byte copy
      const ob = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      gather(raw, base, stride, rows, d.itemsize * per, ob);
    }
  }
}

/** `rows` float64 scalars at `base + r·stride` into `a` (byte order by `le`). */
export function readF8(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  le: boolean,
  a: Float64Array,
): void {
  // as int32 pairs: a float load quiets signalling NaNs while the loop still runs unoptimised
  const w = new Int32Array(a.buffer, a.byteOffset, 2 * rows);
  const lo = HOST_IS_LITTLE_ENDIAN === le ? 0 : 4; // the word that comes first in native order
  const hi = 4 - lo;
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride, o += 2) {
    w[o] = dv.getInt32(p + lo, le);
    w[o + 1] = dv.getInt32(p + hi, le);
  }
}

function readF4(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  le: boolean,
  a: Float32Array,
): void {
  // int32 loads: a float32 load widens to float64 and quiets signalling NaNs
  const w = new Int32Array(a.buffer, a.byteOffset, rows);
  for (let r = 0, p = base; r < rows; r++, p += stride) w[r] = dv.getInt32(p, le);
}

/** `rows × per` 8-byte elements at `base + r·stride + k·8` into `a`, copied as int32 words (bit exact). */
export function readF8s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: Float64Array,
): void {
  const w = new Int32Array(a.buffer, a.byteOffset, 2 * rows * per);
  const lo = HOST_IS_LITTLE_ENDIAN === le ? 0 : 4; // the word that comes first in native order
  const hi = 4 - lo;
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 8, o += 2) {
      w[o] = dv.getInt32(q + lo, le);
      w[o + 1] = dv.getInt32(q + hi, le);
    }
  }
}

function readF4s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: Float32Array,
): void {
  const w = new Int32Array(a.buffer, a.byteOffset, rows * per);
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 4) w[o++] = dv.getInt32(q, le);
  }
}

/** `rows × per` int32 elements at `base + r·stride + k·4` into `a` (byte order by `le`). */
export function readI4s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: Int32Array,
): void {
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 4) a[o++] = dv.getInt32(q, le);
  }
}

function readU4s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: Uint32Array,
): void {
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 4) a[o++] = dv.getUint32(q, le);
  }
}

/** `rows × per` 16-bit elements at `base + r·stride + k·2` into `a` (byte order by `le`). */
export function readU2s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: Int16Array | Uint16Array,
): void {
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 2) a[o++] = dv.getUint16(q, le);
  }
}

function readI8s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: BigInt64Array,
): void {
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 8) a[o++] = dv.getBigInt64(q, le);
  }
}

function readU8s(
  dv: DataView,
  base: number,
  stride: number,
  rows: number,
  per: number,
  le: boolean,
  a: BigUint64Array,
): void {
  for (let r = 0, p = base, o = 0; r < rows; r++, p += stride) {
    for (let k = 0, q = p; k < per; k++, q += 8) a[o++] = dv.getBigUint64(q, le);
  }
}

/** Gather `rows` chunks of `chunk` bytes spaced `stride` apart starting at `base` into one contiguous buffer. */
export function gather(
  raw: Uint8Array,
  base: number,
  stride: number,
  rows: number,
  chunk: number,
  out: Uint8Array,
): void {
  if (chunk === 8) {
    for (let r = 0, s = base, o = 0; r < rows; r++, s += stride, o += 8) {
      out[o] = raw[s];
      out[o + 1] = raw[s + 1];
      out[o + 2] = raw[s + 2];
      out[o + 3] = raw[s + 3];
      out[o + 4] = raw[s + 4];
      out[o + 5] = raw[s + 5];
      out[o + 6] = raw[s + 6];
      out[o + 7] = raw[s + 7];
    }
  } else if (chunk === 4) {
    for (let r = 0, s = base, o = 0; r < rows; r++, s += stride, o += 4) {
      out[o] = raw[s];
      out[o + 1] = raw[s + 1];
      out[o + 2] = raw[s + 2];
      out[o + 3] = raw[s + 3];
    }
  } else if (chunk <= 16) {
    for (let r = 0, s = base, o = 0; r < rows; r++, s += stride, o += chunk) {
      for (let k = 0; k < chunk; k++) out[o + k] = raw[s + k];
    }
  } else {
    for (let r = 0, s = base, o = 0; r < rows; r++, s += stride, o += chunk) {
      out.set(raw.subarray(s, s + chunk), o);
    }
  }
}

const EMPTY_VOID: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/** Values of `rows × perRow` elements of simple dtype `d` at `base` + r·stride. */
export function readField(
  raw: Uint8Array,
  base: number,
  stride: number,
  rows: number,
  d: SimpleDType,
  perRow: number,
): ArrayValues {
  const chunk = d.itemsize * perRow;
  const count = rows * perRow;
  if (isNumericKind(d.kind)) {
    const out = allocNumeric(d, count);
    if (stride === chunk) {
      const ob = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      ob.set(raw.subarray(base, base + rows * chunk));
      if (needsSwap(d)) swapBytesInPlace(ob, laneOf(d));
    } else if (rows > 0) {
      if (base + (rows - 1) * stride + chunk > raw.length) {
        throw err("field data runs past the end of the array");
      }
      stridedRead(raw, base, stride, rows, perRow, d, out);
    }
    return out;
  }
  if (d.kind === "S" || d.kind === "U") {
    if (stride === chunk) return readStrings(raw, base, d, count);
    const out: string[] = new Array(count);
    for (let r = 0; r < rows; r++) {
      const part = readStrings(raw, base + r * stride, d, perRow);
      for (let k = 0; k < perRow; k++) out[r * perRow + k] = part[k];
    }
    return out;
  }
  if (d.kind === "V") {
    // zero-size void elements are all the same empty value: one shared (frozen, it has no bytes) instance
    // instead of millions of objects
    if (d.itemsize === 0) return new Array<Uint8Array>(count).fill(EMPTY_VOID);
    const out: Uint8Array[] = new Array(count);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < perRow; k++) {
        const s = base + r * stride + k * d.itemsize;
        out[r * perRow + k] = raw.slice(s, s + d.itemsize);
      }
    }
    return out;
  }
  throw err(`object fields inside structured arrays are not supported`);
}
