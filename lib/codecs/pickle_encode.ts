/**
 * numpy 2 style protocol-4 pickles of plain and structured ndarrays, as `pickle.dumps(numpy.array(x))` writes
 * them on a numpy ≥ 2 server (`numpy._core.multiarray._reconstruct`, FRAME, STACK_GLOBAL, MEMOIZE). The
 * sandbox dispatcher uses it to send products.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import {
  type NdArray,
  type NumericArray,
  parseTypestr,
  shapeSize,
  type SimpleDType,
  type Table,
  type TableColumn,
  writeNumeric,
} from "../data/ndarray.ts";

const enc = new TextEncoder();

function bad(msg: string): OdaError {
  return new OdaError("INVALID_ARGUMENT", `encodeNumpyPickle: ${msg}`);
}

/** Growable byte writer for the (small) opcode part. */
class Out {
  buf = new Uint8Array(256);
  len = 0;
  private memo = new Map<string, number>();
  private memoNext = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(...bs: number[]): void {
    this.ensure(bs.length);
    for (const b of bs) this.buf[this.len++] = b;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  u64(v: number): void {
    this.u32(v >>> 0);
    this.u32(Math.floor(v / 0x100000000));
  }
  memoize(): void {
    this.byte(0x94);
    this.memoNext++;
  }
  get(idx: number): void {
    if (idx < 256) this.byte(0x68, idx);
    else {
      this.byte(0x6a);
      this.u32(idx);
    }
  }
  /** A str, memoized by value like Python's pickler does. */
  str(s: string): void {
    const key = `s:${s}`;
    const m = this.memo.get(key);
    if (m !== undefined) return this.get(m);
    const b = enc.encode(s);
    if (b.length < 256) this.byte(0x8c, b.length);
    else {
      this.byte(0x58);
      this.u32(b.length);
    }
    this.raw(b);
    this.memo.set(key, this.memoNext);
    this.memoize();
  }
  global(module: string, name: string): void {
    const key = `g:${module}.${name}`;
    const m = this.memo.get(key);
    if (m !== undefined) return this.get(m);
    this.str(module);
    this.str(name);
    this.byte(0x93);
    this.memo.set(key, this.memoNext);
    this.memoize();
  }
  int(v: number): void {
    if (v >= 0 && v < 256) this.byte(0x4b, v);
    else if (v >= 0 && v < 65536) this.byte(0x4d, v & 0xff, v >> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.byte(0x4a);
      this.u32(v >>> 0);
    } else throw bad(`integer ${v} too large`);
  }
  tuple(n: number): void {
    if (n === 0) this.byte(0x29);
    else if (n <= 3) this.byte(0x84 + n);
    else throw new Error("use mark + TUPLE");
    if (n > 0) this.memoize();
  }
  shortBytes(b: Uint8Array): void {
    this.byte(0x43, b.length);
    this.raw(b);
    this.memoize();
  }
}

interface FieldSpec {
  name: string;
  d: SimpleDType;
  shape: number[];
  offset: number;
  size: number;
}

const MOD = "numpy._core.multiarray";

function simpleCode(d: SimpleDType): string {
  if (d.kind === "U") return `U${d.itemsize / 4}`;
  if (d.kind === "O") return "O8";
  return `${d.kind}${d.itemsize}`;
}

function endianOf(d: SimpleDType): string {
  if (d.kind === "S" || d.kind === "V" || d.kind === "O" || d.itemsize <= 1) return "|";
  return d.byteorder === ">" ? ">" : "<";
}

/**
 * After the dtype class and its first argument: `False, True` TUPLE3 REDUCE (the `dtype(x, False, True)` call),
 * then MARK and the state's version 3 — the rest of the state follows.
 */
function openDTypeState(o: Out): void {
  o.byte(0x89, 0x88);
  o.tuple(3);
  o.byte(0x52);
  o.memoize();
  o.byte(0x28);
  o.int(3);
}

/** Write `numpy.dtype(code, False, True)` + BUILD state for a simple dtype. */
function writeSimpleDType(o: Out, d: SimpleDType): void {
  o.global("numpy", "dtype");
  o.str(simpleCode(d));
  openDTypeState(o);
  o.str(endianOf(d));
  o.byte(0x4e, 0x4e, 0x4e);
  if (d.kind === "S" || d.kind === "U" || d.kind === "V") {
    o.int(d.itemsize);
    o.int(d.kind === "U" ? 4 : 1);
    o.int(d.kind === "U" ? 8 : 0);
  } else {
    o.int(-1);
    o.int(-1);
    o.int(d.kind === "O" ? 63 : 0);
  }
  o.byte(0x74);
  o.memoize();
  o.byte(0x62);
}

function alignmentOf(d: SimpleDType): number {
  if (d.kind === "S" || d.kind === "V") return 1;
  if (d.kind === "U") return 4;
  return d.kind === "c" ? d.itemsize / 2 : d.itemsize;
}

function writeFieldDType(o: Out, f: FieldSpec): void {
  if (f.shape.length === 0) return writeSimpleDType(o, f.d);
  o.global("numpy", "dtype");
  o.str(`V${f.size}`);
  openDTypeState(o);
  o.str("|");
  writeSimpleDType(o, f.d);
  o.byte(0x28);
  for (const s of f.shape) o.int(s);
  o.byte(0x74);
  o.memoize();
  o.tuple(2);
  o.byte(0x4e, 0x4e);
  o.int(f.size);
  o.int(alignmentOf(f.d));
  o.int(f.d.kind === "U" ? 8 : 0);
  o.byte(0x74);
  o.memoize();
  o.byte(0x62);
}

function writeRecordDType(o: Out, fields: FieldSpec[], itemsize: number): void {
  o.global("numpy", "dtype");
  o.global("numpy", "record");
  openDTypeState(o);
  o.str("|");
  o.byte(0x4e);
  o.byte(0x28);
  for (const f of fields) o.str(f.name);
  o.byte(0x74);
  o.memoize();
  o.byte(0x7d);
  o.memoize();
  o.byte(0x28);
  for (const f of fields) {
    o.str(f.name);
    writeFieldDType(o, f);
    o.int(f.offset);
    o.tuple(2);
  }
  o.byte(0x75);
  o.int(itemsize);
  o.int(1);
  o.int(16);
  o.byte(0x74);
  o.memoize();
  o.byte(0x62);
}

function dtypeOf(s: string, what: string): SimpleDType {
  try {
    return parseTypestr(s);
  } catch {
    throw bad(`${what}: unsupported dtype '${s}'`);
  }
}

function writeStrings(
  values: readonly unknown[],
  d: SimpleDType,
  out: Uint8Array,
  offset: number,
  stride: number,
): void {
  const chars = d.kind === "U" ? d.itemsize / 4 : d.itemsize;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const little = d.byteorder !== ">";
  for (let i = 0; i < values.length; i++) {
    const s = String(values[i] ?? "");
    const base = offset + i * stride;
    let n = 0;
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (n >= chars) throw bad(`string '${s.slice(0, 40)}' does not fit in ${d.kind}${chars}`);
      if (d.kind === "S") {
        if (cp > 255) throw bad(`string '${s.slice(0, 40)}' has a character outside latin-1 for an S dtype`);
        out[base + n] = cp;
      } else view.setUint32(base + n * 4, cp, little);
      n++;
    }
  }
}

function maxChars(values: readonly unknown[]): number {
  let m = 1;
  for (const v of values) m = Math.max(m, [...String(v ?? "")].length);
  return m;
}

function fillColumn(
  col: TableColumn,
  f: FieldSpec,
  rows: number,
  out: Uint8Array,
  base: number,
  itemsize: number,
): void {
  const per = shapeSize(f.shape);
  const vals = col.values;
  const k = f.d.kind;
  if (k === "S" || k === "U") {
    if (!Array.isArray(vals) || vals.length !== rows * per) {
      throw bad(`column '${col.name}' must hold ${rows * per} strings`);
    }
    if (per === 1) return writeStrings(vals, f.d, out, base + f.offset, itemsize);
    for (let r = 0; r < rows; r++) {
      writeStrings(
        vals.slice(r * per, (r + 1) * per),
        f.d,
        out,
        base + r * itemsize + f.offset,
        f.d.itemsize,
      );
    }
    return;
  }
  if (Array.isArray(vals) || !ArrayBuffer.isView(vals)) {
    throw bad(`column '${col.name}' must be a TypedArray`);
  }
  const w = k === "c" ? 2 : 1;
  if (vals.length !== rows * per * w) {
    throw bad(`column '${col.name}' has ${vals.length} values, expected ${rows * per * w}`);
  }
  if (per === 1) return writeNumeric(vals as NumericArray, f.d, out, base + f.offset, itemsize);
  for (let r = 0; r < rows; r++) {
    const row = (vals as NumericArray).subarray(r * per * w, (r + 1) * per * w) as NumericArray;
    writeNumeric(row, f.d, out, base + r * itemsize + f.offset);
  }
}

/**
 * Options of {@linkcode encodeNumpyPickle}.
 *
 * @example
 * ```ts
 * import { encodeNumpyPickle, type EncodeNumpyPickleOptions } from "@oda-hub/oda-api/pickle";
 * const forNumpy1: EncodeNumpyPickleOptions = { numpyModule: "numpy.core" };
 * const bytes = encodeNumpyPickle({
 *   kind: "ndarray",
 *   dtype: "<i4",
 *   shape: [1],
 *   values: new Int32Array([7]),
 * }, forNumpy1);
 * ```
 */
export interface EncodeNumpyPickleOptions {
  /**
   * Module path of `_reconstruct`: `"numpy._core"` (numpy ≥ 2, the default) or `"numpy.core"` (numpy 1.x,
   * which numpy 2 still reads; numpy 1 cannot read the numpy 2 path).
   */
  numpyModule?: "numpy._core" | "numpy.core" | undefined;
}

/**
 * Encode an {@linkcode NdArray} (numeric, bool, complex, `S`, `U`) or a {@linkcode Table} (as a structured
 * ndarray with a `numpy.record` dtype, like `numpy.array(recarray)`) as a numpy 2 protocol-4 pickle that
 * Python's `pickle.loads` reads back with identical dtype, shape and values. Big data is written once into
 * the output buffer (no intermediate copies).
 *
 * @example
 * ```ts
 * import { encodeNumpyPickle } from "@oda-hub/oda-api/pickle";
 * const img = { kind: "ndarray" as const, dtype: "<f4", shape: [2, 2], values: new Float32Array([1, 2, 3, 4]) };
 * const bytes = encodeNumpyPickle(img); // pickle.loads(bytes) -> array([[1., 2.], [3., 4.]], dtype=float32)
 * const b64 = btoa(String.fromCharCode(...bytes)); // what goes into a data unit's "binarys"
 * ```
 */
export function encodeNumpyPickle(
  value: NdArray | Table,
  options: EncodeNumpyPickleOptions = {},
): Uint8Array {
  const o = new Out();
  o.byte(0x80, 4, 0x95);
  const frameLenAt = o.len;
  o.u64(0);
  o.global(options.numpyModule === "numpy.core" ? "numpy.core.multiarray" : MOD, "_reconstruct");
  o.global("numpy", "ndarray");
  o.int(0);
  o.tuple(1);
  o.shortBytes(new Uint8Array([0x62]));
  o.tuple(3);
  o.byte(0x52);
  o.memoize();
  o.byte(0x28);
  o.int(1);
  let shape: number[];
  let dataLen: number;
  let fill: (out: Uint8Array, at: number) => void;
  if (value.kind === "ndarray") {
    shape = value.shape;
    const count = shapeSize(shape);
    let d = dtypeOf(value.dtype, "array");
    if (d.kind === "O" || d.kind === "V") throw bad(`dtype ${value.dtype} is not supported`);
    if ((d.kind === "S" || d.kind === "U") && d.itemsize === 0) {
      const n = maxChars(value.values as unknown[]);
      d = { ...d, itemsize: d.kind === "U" ? n * 4 : n };
    }
    const vals = value.values;
    if (d.kind === "S" || d.kind === "U") {
      if (!Array.isArray(vals) || vals.length !== count) throw bad(`expected ${count} strings`);
    } else {
      const w = d.kind === "c" ? 2 : 1;
      if (!ArrayBuffer.isView(vals) || (vals as NumericArray).length !== count * w) {
        throw bad(`expected a TypedArray of ${count * w} values for shape ${JSON.stringify(shape)}`);
      }
    }
    // Like CPython: EMPTY_TUPLE, TUPLE1/2/3 for short shapes, MARK … TUPLE otherwise.
    if (shape.length <= 3) {
      for (const s of shape) o.int(s);
      o.tuple(shape.length);
    } else {
      o.byte(0x28);
      for (const s of shape) o.int(s);
      o.byte(0x74);
      o.memoize();
    }
    writeSimpleDType(o, d);
    dataLen = count * d.itemsize;
    fill = (out, at) => {
      if (d.kind === "S" || d.kind === "U") writeStrings(vals as unknown[], d, out, at, d.itemsize);
      else writeNumeric(vals as NumericArray, d, out, at);
    };
  } else {
    const rows = value.length;
    shape = [rows];
    let offset = 0;
    const fields: FieldSpec[] = value.columns.map((c) => {
      if (c.variableLength) {
        throw bad(`variable-length column '${c.name}' cannot be pickled as a plain ndarray`);
      }
      let d = dtypeOf(c.dtype, `column '${c.name}'`);
      if (d.kind === "O" || d.kind === "V") {
        throw bad(`column '${c.name}': dtype ${c.dtype} is not supported`);
      }
      if ((d.kind === "S" || d.kind === "U") && d.itemsize === 0) {
        const n = maxChars(c.values as unknown[]);
        d = { ...d, itemsize: d.kind === "U" ? n * 4 : n };
      }
      const size = d.itemsize * shapeSize(c.shape);
      const f = { name: c.name, d, shape: c.shape, offset, size };
      offset += size;
      return f;
    });
    const itemsize = offset;
    o.int(rows);
    o.tuple(1);
    writeRecordDType(o, fields, itemsize);
    dataLen = rows * itemsize;
    fill = (out, at) => {
      value.columns.forEach((c, i) => fillColumn(c, fields[i], rows, out, at, itemsize));
    };
  }
  o.byte(0x89); // is_fortran False
  // data opcode header
  if (dataLen < 256) o.byte(0x43, dataLen);
  else if (dataLen < 0x100000000) {
    o.byte(0x42);
    o.u32(dataLen);
  } else {
    o.byte(0x8e);
    o.u64(dataLen);
  }
  const prefixLen = o.len;
  const suffix = [0x94, 0x74, 0x94, 0x62, 0x2e]; // MEMOIZE, TUPLE, MEMOIZE, BUILD, STOP
  // CPython's framer: everything in one FRAME for small pickles; a payload of 64 KiB or more is written
  // outside any frame (the frame is committed before its opcode header) and the rest gets a new frame.
  const large = dataLen >= 65536;
  const headerLen = dataLen < 256 ? 2 : dataLen < 0x100000000 ? 5 : 9;
  const tailFrame = large ? 9 : 0;
  const total = prefixLen + dataLen + tailFrame + suffix.length;
  const out = new Uint8Array(total);
  out.set(o.buf.subarray(0, prefixLen));
  fill(out, prefixLen);
  let at = prefixLen + dataLen;
  if (large) {
    out[at] = 0x95;
    out[at + 1] = suffix.length; // 8-byte little-endian length; the rest stays 0
    at += 9;
  }
  out.set(suffix, at);
  const framed = large ? prefixLen - headerLen - 11 : total - 11;
  const dv = new DataView(out.buffer);
  dv.setUint32(frameLenAt, framed % 0x100000000, true);
  dv.setUint32(frameLenAt + 4, Math.floor(framed / 0x100000000), true);
  return out;
}
