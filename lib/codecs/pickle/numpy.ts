/**
 * Turn the inert objects of the restricted pickle VM ({@linkcode runPickle}) into the shared array model:
 * numpy `ndarray`/`recarray` → {@linkcode NdArray} or {@linkcode Table}, astropy `FITS_rec` → {@linkcode Table}.
 *
 * @module
 */
import {
  allocNumeric,
  type ArrayValues,
  isNumericKind,
  type NdArray,
  type NumericArray,
  readStrings,
  type SimpleDType,
  swapBytesInPlace,
  type Table,
  type TableColumn,
} from "../../data/ndarray.ts";
import { PickleObject } from "./vm.ts";
import { LazyBytes } from "./lazy_bytes.ts";
import { type DTypeInfo, err, MAX_DEPTH, parseDType, shapeOf, str } from "./dtype.ts";
import { fortranToC, laneOf, needsSwap, readField, viewNumeric } from "./strided.ts";
import { structToTable } from "./records.ts";
import { DecodeBudget } from "../budget.ts";

export { type DTypeInfo, type FieldInfo, parseDType } from "./dtype.ts";

/** Options of {@linkcode arrayFromPickleObject}. */
export interface ConvertOptions {
  /**
   * The input buffer belongs to the decoder: plain numeric arrays may be byte-swapped and moved in place and
   * returned as views into it (no copy).
   */
  reuseInput?: boolean;
  /** Range of the input the decoder may overwrite (when `reuseInput`). */
  input?: Uint8Array | undefined;
  /** Total input length: bounds element counts of zero-sized dtypes. */
  inputLength: number;
  /**
   * Byte ranges of the input already handed out as in-place views (when `reuseInput`): a crafted pickle can
   * reference the same bytes object twice, or put two payloads side by side; such data is copied instead of
   * being swapped or moved a second time.
   */
  claimed?: Array<[number, number]>;
  /**
   * Element budget shared by a whole decode (default: {@linkcode DecodeBudget.of} the input length): memo
   * references could otherwise make a small pickle expand into huge outputs (the same array referenced a
   * million times), and zero-size elements take no input bytes at all.
   */
  budget?: DecodeBudget | undefined;
  /** Conversions already done, by identity (shared references give shared results). */
  cache?: Map<PickleObject, NdArray | Table>;
}

function budgetOf(opts: ConvertOptions): DecodeBudget {
  return opts.budget ??= DecodeBudget.of({}, opts.inputLength);
}

function nested(opts: ConvertOptions): ConvertOptions {
  if (!opts.cache) opts.cache = new Map();
  return { inputLength: opts.inputLength, budget: budgetOf(opts), cache: opts.cache };
}

interface ArrayState {
  shape: number[];
  dtype: DTypeInfo;
  fortran: boolean;
  raw: Uint8Array | unknown[] | LazyBytes;
  extra?: Map<string, unknown> | undefined;
}

function arrayState(o: PickleObject, depth: number): ArrayState {
  const s = o.state;
  if (!Array.isArray(s)) throw err(`${o.className} has no array state (BUILD missing)`);
  const st = s.length === 4 ? [1, ...s] : s;
  if (st.length < 5) throw err(`${o.className} state has ${s.length} items`);
  const shape = shapeOf(st[1], "array shape");
  const dtype = parseDType(st[2], depth + 1);
  const fortran = st[3] === true || st[3] === 1;
  const raw = st[4];
  if (!(raw instanceof Uint8Array) && !Array.isArray(raw) && !(raw instanceof LazyBytes)) {
    throw err("array data is neither bytes nor a list");
  }
  let extra: Map<string, unknown> | undefined;
  if (st.length >= 7 && Array.isArray(st[5]) && Array.isArray(st[6])) {
    extra = new Map();
    const vals = st[5] as unknown[];
    (st[6] as unknown[]).forEach((k, i) => {
      const key = str(k);
      if (key !== undefined) extra!.set(key, vals[i]);
    });
  }
  return { shape, dtype, fortran, raw, extra };
}

function countOf(
  shape: number[],
  dtype: DTypeInfo,
  raw: Uint8Array | unknown[] | LazyBytes,
): number {
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) throw err("array shape too large");
  }
  if (raw instanceof Uint8Array || raw instanceof LazyBytes) {
    if (dtype.itemsize > 0 && count * dtype.itemsize !== raw.length) {
      throw err(
        `array of shape ${JSON.stringify(shape)} and dtype ${dtype.typestr} needs ${
          count * dtype.itemsize
        } bytes but the pickle holds ${raw.length}`,
      );
    }
  } else if (raw.length !== count) {
    throw err(`object array of ${count} elements holds ${raw.length} items`);
  }
  return count;
}

/**
 * In-place views per decode: real pickles hold one big array (plus a few column copies for FITS_rec); past
 * this many, arrays are copied, which keeps the overlap check below linear overall.
 */
const MAX_IN_PLACE = 64;

/** Contiguous numeric bytes → native TypedArray (copy, or in place when allowed). */
function numericFromContiguous(
  raw: Uint8Array,
  d: SimpleDType,
  count: number,
  opts: ConvertOptions,
): NumericArray {
  const lane = laneOf(d);
  const mis = raw.byteOffset % lane;
  const start = raw.byteOffset - mis, end = raw.byteOffset + raw.length;
  const claimed = opts.claimed ??= [];
  if (
    opts.reuseInput && opts.input && raw.buffer === opts.input.buffer && claimed.length < MAX_IN_PLACE &&
    !claimed.some(([a, b]) => start < b && a < end)
  ) {
    claimed.push([start, end]);
    let data = raw;
    if (mis !== 0 && raw.byteOffset - mis >= opts.input.byteOffset) {
      // Move the data down to an aligned offset: the bytes before it are pickle opcodes already consumed.
      const buf = new Uint8Array(raw.buffer);
      buf.copyWithin(raw.byteOffset - mis, raw.byteOffset, raw.byteOffset + raw.length);
      data = buf.subarray(raw.byteOffset - mis, raw.byteOffset - mis + raw.length);
    }
    if (data.byteOffset % lane === 0) {
      if (needsSwap(d)) swapBytesInPlace(data, lane);
      return viewNumeric(data, d, count);
    }
  }
  const out = allocNumeric(d, count);
  const ob = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  ob.set(raw.subarray(0, ob.length));
  if (needsSwap(d)) swapBytesInPlace(ob, lane);
  return out;
}

/** Numeric bytes still in base64 → native TypedArray: decoded straight into it, then swapped in place. */
function numericFromLazy(raw: LazyBytes, d: SimpleDType, count: number): NumericArray {
  const out = allocNumeric(d, count);
  const ob = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  raw.readInto(0, ob.length, ob);
  if (needsSwap(d)) swapBytesInPlace(ob, laneOf(d));
  return out;
}

/** Convert an inert pickled ndarray-like object into the array model. */
export function arrayFromPickleObject(o: unknown, opts: ConvertOptions, depth = 0): NdArray | Table {
  if (depth > MAX_DEPTH) throw err("arrays nested too deeply");
  if (!(o instanceof PickleObject)) throw err(`pickle does not hold an array (got ${typeName(o)})`);
  const cached = opts.cache?.get(o);
  if (cached) return cached;
  const res = convertArray(o, opts, depth);
  if (!opts.cache) opts.cache = new Map();
  opts.cache.set(o, res);
  return res;
}

function convertArray(o: PickleObject, opts: ConvertOptions, depth: number): NdArray | Table {
  switch (o.className) {
    case "numpy.ndarray":
    case "numpy.core.records.recarray":
    case "numpy.recarray":
    case "numpy.chararray":
    case "numpy.core.defchararray.chararray":
    case "astropy.io.fits.column._VLF":
      break;
    case "astropy.io.fits.fitsrec.FITS_rec":
      return fitsRecToTable(o, opts, depth);
    default:
      throw err(`pickle holds a ${o.className}, not an array`);
  }
  const st = arrayState(o, depth);
  const count = countOf(st.shape, st.dtype, st.raw);
  const dt = st.dtype;
  const budget = budgetOf(opts);
  if (dt.fields) {
    if (!(st.raw instanceof Uint8Array) && !(st.raw instanceof LazyBytes)) {
      throw err("structured array data is not bytes");
    }
    if (st.fortran && st.shape.length > 1) throw err("Fortran-ordered structured arrays are not supported");
    return structToTable(st.raw, dt, count, depth, budget);
  }
  const d = dt.simple;
  const shape = st.shape;
  const fortran = st.fortran && shape.length > 1;
  budget.charge(
    fortran ? 2 * count : count,
    `array of shape ${JSON.stringify(shape)} and dtype ${dt.typestr}`,
  );
  let values: ArrayValues;
  if (d.kind === "O") {
    if (!Array.isArray(st.raw)) throw err("object array data is not a list");
    values = st.raw.map((v) => convertObject(v, nested(opts), depth + 1));
  } else if (st.raw instanceof LazyBytes && isNumericKind(d.kind)) {
    values = numericFromLazy(st.raw, d, count);
  } else {
    if (st.raw instanceof LazyBytes) st.raw = st.raw.materialize();
    if (!(st.raw instanceof Uint8Array)) throw err(`array data of dtype ${dt.typestr} is not bytes`);
    const raw = st.raw;
    if (isNumericKind(d.kind)) {
      values = numericFromContiguous(raw, d, count, fortran ? nested(opts) : opts);
    } else if (d.kind === "S" || d.kind === "U") {
      values = readStrings(raw, 0, d, count);
    } else {
      values = readField(raw, 0, d.itemsize, count, d, 1);
    }
  }
  if (fortran) {
    const w = d.kind === "c" ? 2 : 1;
    const dst = isNumericKind(d.kind) ? allocNumeric(d, count) : new Array(count);
    fortranToC(values as ArrayLike<unknown>, dst as unknown as { [i: number]: unknown }, shape, w);
    values = dst as ArrayValues;
  }
  return { kind: "ndarray", dtype: dt.typestr, shape, values };
}

function typeName(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof Map) return "dict";
  if (Array.isArray(v)) return "tuple/list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof PickleObject) return v.className;
  return typeof v;
}

const ARRAY_CLASSES = new Set([
  "numpy.ndarray",
  "numpy.core.records.recarray",
  "numpy.recarray",
  "numpy.chararray",
  "numpy.core.defchararray.chararray",
  "astropy.io.fits.column._VLF",
  "astropy.io.fits.fitsrec.FITS_rec",
]);

/** Elements of object arrays: arrays and numpy scalars are converted, anything else is kept as decoded. */
function convertObject(v: unknown, opts: ConvertOptions, depth: number): unknown {
  if (v instanceof LazyBytes) return v.materialize();
  if (!(v instanceof PickleObject)) return v;
  if (v.className === "numpy.core.multiarray.scalar") return scalarValue(v);
  if (ARRAY_CLASSES.has(v.className)) {
    return arrayFromPickleObject(v, nested(opts), depth + 1);
  }
  return v;
}

/** Value of a pickled numpy scalar (`numpy.core.multiarray.scalar(dtype, bytes)`). */
export function scalarValue(o: PickleObject): unknown {
  const dt = parseDType(o.args[0]);
  const raw = o.args[1];
  if (dt.simple.kind === "O") return raw;
  if (!(raw instanceof Uint8Array) || raw.length !== dt.itemsize) {
    throw err("numpy scalar data has the wrong size");
  }
  const v = readField(raw, 0, dt.itemsize, 1, dt.simple, 1);
  if (dt.simple.kind === "c") return [(v as NumericArray)[0], (v as NumericArray)[1]];
  if (dt.simple.kind === "b") return (v as Uint8Array)[0] !== 0;
  return (v as ArrayLike<unknown>)[0];
}

// ---------------------------------------------------------------- FITS_rec

interface ColumnMeta {
  name?: string | undefined;
  unit?: string | undefined;
  bscale?: number | undefined;
  bzero?: number | undefined;
  format?: string | undefined;
}

function columnMeta(col: unknown): ColumnMeta {
  if (!(col instanceof PickleObject) || !(col.state instanceof Map)) return {};
  const s = col.state;
  const num = (v: unknown): number | undefined =>
    typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;
  const fmtObj = s.get("_format");
  let format = str(fmtObj);
  if (format === undefined && fmtObj instanceof PickleObject) {
    format = str(fmtObj.args[0]) ??
      (fmtObj.state instanceof Map ? str(fmtObj.state.get("canonical")) : undefined);
  }
  const unitV = s.get("_unit");
  return {
    name: str(s.get("_name")),
    unit: str(unitV),
    bscale: num(s.get("_bscale")),
    bzero: num(s.get("_bzero")),
    format,
  };
}

function fitsRecToTable(o: PickleObject, opts: ConvertOptions, depth: number): Table {
  const st = arrayState(o, depth);
  if (!(st.raw instanceof Uint8Array) && !(st.raw instanceof LazyBytes)) {
    throw err("FITS_rec data is not bytes");
  }
  if (!st.dtype.fields) throw err("FITS_rec without a structured dtype");
  const rows = countOf(st.shape, st.dtype, st.raw);
  const raw = st.raw;
  const base = structToTable(raw, st.dtype, rows, depth, budgetOf(opts));
  const converted = st.extra?.get("_converted");
  const coldefs = st.extra?.get("_coldefs");
  const metas: ColumnMeta[] = [];
  if (coldefs instanceof PickleObject && coldefs.state instanceof Map) {
    const cols = coldefs.state.get("columns");
    if (Array.isArray(cols)) { for (const c of cols) metas.push(columnMeta(c)); }
  }
  const metaByName = new Map<string, ColumnMeta>();
  for (const m of metas) if (m.name !== undefined) metaByName.set(m.name, m);
  base.columns = base.columns.map((col, i) => {
    const meta = metaByName.get(col.name) ?? metas[i] ?? {};
    let out: TableColumn;
    const conv = converted instanceof Map ? converted.get(col.name) : undefined;
    if (conv instanceof PickleObject) {
      out = convertedColumn(col, conv, rows, opts, depth);
    } else if ((meta.format ?? "").match(/^[PQ]/)) {
      throw err(
        `variable-length column '${col.name}' has no converted data in the pickle (the heap is not pickled)`,
      );
    } else {
      out = scaleRawColumn(col, meta);
    }
    if (meta.unit) out.unit = meta.unit;
    return out;
  });
  return base;
}

function convertedColumn(
  col: TableColumn,
  conv: PickleObject,
  rows: number,
  opts: ConvertOptions,
  depth: number,
): TableColumn {
  const arr = arrayFromPickleObject(conv, nested(opts), depth + 1);
  if (arr.kind === "table") throw err(`converted column '${col.name}' is a table`);
  if (conv.className === "astropy.io.fits.column._VLF" || arr.dtype === "|O") {
    if (arr.values.length !== rows) {
      throw err(`variable-length column '${col.name}' has ${arr.values.length} rows`);
    }
    const values = (arr.values as unknown[]).map((v) => (isNdArray(v) ? v.values : v));
    const res: TableColumn = { name: col.name, dtype: "|O", shape: [], values, variableLength: true };
    if (col.title !== undefined) res.title = col.title;
    return res;
  }
  if (arr.shape[0] !== rows) {
    throw err(`converted column '${col.name}' has ${arr.shape[0]} rows, table ${rows}`);
  }
  let values = arr.values;
  if (/^\|S/.test(arr.dtype)) values = (values as string[]).map((s) => s.replace(/ +$/, ""));
  const res: TableColumn = { name: col.name, dtype: arr.dtype, shape: arr.shape.slice(1), values };
  if (col.title !== undefined) res.title = col.title;
  return res;
}

function isNdArray(v: unknown): v is NdArray {
  return typeof v === "object" && v !== null && (v as NdArray).kind === "ndarray";
}

/** Apply TSCAL/TZERO (Column `_bscale`/`_bzero`) to a raw FITS column that astropy had not converted. */
function scaleRawColumn(col: TableColumn, meta: ColumnMeta): TableColumn {
  const format = (meta.format ?? "").toUpperCase();
  // Logical columns are stored as 'T'/'F' bytes.
  if (/^\d*L/.test(format) && col.values instanceof Int8Array) {
    const v = new Uint8Array(col.values.length);
    for (let i = 0; i < v.length; i++) v[i] = col.values[i] === 84 ? 1 : 0;
    return { ...col, dtype: "|b1", values: v };
  }
  if (/^\d*A/.test(format) && Array.isArray(col.values)) {
    return { ...col, values: (col.values as string[]).map((s) => s.replace(/ +$/, "")) };
  }
  const bscale = meta.bscale ?? 1;
  const bzero = meta.bzero ?? 0;
  if (bscale === 1 && bzero === 0) return col;
  const v = col.values;
  if (bscale === 1) {
    if (v instanceof Int16Array && bzero === 32768) {
      const u = new Uint16Array(v.length);
      for (let i = 0; i < v.length; i++) u[i] = v[i] + 32768;
      return { ...col, dtype: col.dtype[0] + "u2", values: u };
    }
    if (v instanceof Int32Array && bzero === 2147483648) {
      const u = new Uint32Array(v.length);
      for (let i = 0; i < v.length; i++) u[i] = v[i] + 2147483648;
      return { ...col, dtype: col.dtype[0] + "u4", values: u };
    }
    if (v instanceof BigInt64Array && bzero === 9223372036854775808) {
      const u = new BigUint64Array(v.length);
      for (let i = 0; i < v.length; i++) u[i] = BigInt.asUintN(64, v[i]) ^ (1n << 63n);
      return { ...col, dtype: col.dtype[0] + "u8", values: u };
    }
    if (v instanceof Uint8Array && bzero === -128) {
      const u = new Int8Array(v.length);
      for (let i = 0; i < v.length; i++) u[i] = v[i] - 128;
      return { ...col, dtype: "|i1", values: u };
    }
  }
  if (typeof (v as NumericArray).BYTES_PER_ELEMENT !== "number") return col;
  const src = v as NumericArray;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Number(src[i]) * bscale + bzero;
  return { ...col, dtype: "<f8", values: out };
}
