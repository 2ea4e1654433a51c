/**
 * The in-memory array model shared by every codec (pickle, FITS, ECSV) and by
 * the products layer: numpy-style n-dimensional arrays and columnar tables.
 *
 * - Numeric values live in TypedArrays in **native** byte order, C order.
 *   Booleans are `Uint8Array` (0/1); complex numbers are interleaved
 *   `(re, im)` pairs in a `Float32Array`/`Float64Array`; 64-bit integers are
 *   `BigInt64Array`/`BigUint64Array`.
 * - Fixed-width text (`S`, `U`) is `string[]` with trailing NULs removed.
 * - Object arrays (`O`) are `unknown[]`.
 * - `dtype` keeps numpy's type string as it was received (`">i2"`, `"<f8"`,
 *   `"|S8"`, `"<U12"`, `"|b1"`, `"|O"`), so users see what numpy would show.
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import { decodeLatin1 } from "./latin1.ts";
import { simdSwapInPlace } from "./_swap_simd.ts";

/**
 * Any numeric TypedArray.
 *
 * @example
 * ```ts
 * import type { NumericArray } from "@oda-hub/oda-api/pickle";
 * const v: NumericArray = new Float64Array([1.5, 2.5]);
 * ```
 */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * Values of an array or column: numbers, strings or arbitrary objects.
 *
 * @example
 * ```ts
 * import type { ArrayValues } from "@oda-hub/oda-api/pickle";
 * const names: ArrayValues = ["GRB 221009A", "Crab"];
 * const counts: ArrayValues = new Int32Array([10, 20]);
 * ```
 */
export type ArrayValues = NumericArray | string[] | unknown[];

/**
 * numpy's kind letters.
 *
 * @example
 * ```ts
 * import { type DTypeKind, parseTypestr } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const kind: DTypeKind = parseTypestr(">f8").kind;
 * assert.equal(kind, "f");
 * ```
 */
export type DTypeKind = "b" | "i" | "u" | "f" | "c" | "S" | "U" | "O" | "V";

/**
 * A parsed simple (non-structured) numpy type string.
 *
 * @example
 * ```ts
 * import { formatTypestr, type SimpleDType } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const d: SimpleDType = { kind: "i", itemsize: 2, byteorder: ">" };
 * assert.equal(formatTypestr(d), ">i2");
 * ```
 */
export interface SimpleDType {
  /** numpy kind letter. */
  kind: DTypeKind;
  /** Bytes per element (for `U`: 4 per character). */
  itemsize: number;
  /** `<` little, `>` big, `|` not applicable. `=` is resolved to `<`. */
  byteorder: "<" | ">" | "|";
}

/**
 * A numpy-style n-dimensional array.
 *
 * @example
 * ```ts
 * import type { NdArray } from "@oda-hub/oda-api";
 * const image: NdArray = { kind: "ndarray", dtype: "<f4", shape: [2, 3], values: new Float32Array(6) };
 * ```
 */
export interface NdArray {
  /** Discriminator. */
  readonly kind: "ndarray";
  /** numpy type string, e.g. `">i2"`, `"<f8"`, `"|S8"`. */
  dtype: string;
  /** Dimensions, slowest first (C order). */
  shape: number[];
  /** Flat values in C order, native byte order. */
  values: ArrayValues;
}

/**
 * One column of a {@linkcode Table}.
 *
 * @example
 * ```ts
 * import type { TableColumn } from "@oda-hub/oda-api";
 * const rate: TableColumn = {
 *   name: "RATE",
 *   dtype: "<f8",
 *   shape: [],
 *   values: new Float64Array([3.1, 2.7]),
 *   unit: "ct/s",
 * };
 * ```
 */
export interface TableColumn {
  /** Column name. */
  name: string;
  /** numpy type string of one element (`">f8"`, `"|S8"`); `"|O"` for variable-length columns. */
  dtype: string;
  /** Per-row sub-shape: `[]` for scalars, `[2]` for a 2-vector column. */
  shape: number[];
  /**
   * Flat values, `length × prod(shape)` of them; for variable-length columns an
   * array holding one value array per row.
   */
  values: ArrayValues;
  /** Physical unit string, if known. */
  unit?: string | undefined;
  /** Whether `values` holds one array per row (FITS `P`/`Q` columns). */
  variableLength?: boolean;
  /** numpy field title (the optional third item of a structured dtype field), if any. */
  title?: string;
}

/**
 * A columnar table (numpy structured array, FITS table, ECSV table).
 *
 * @example
 * ```ts
 * import type { Table } from "@oda-hub/oda-api";
 * const t: Table = {
 *   kind: "table",
 *   length: 2,
 *   columns: [{ name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([0, 1]) }],
 * };
 * ```
 */
export interface Table {
  /** Discriminator. */
  readonly kind: "table";
  /** Number of rows. */
  length: number;
  /** Columns in order. */
  columns: TableColumn[];
}

/**
 * Product of the dimensions (1 for a scalar shape).
 *
 * @example
 * ```ts
 * import { shapeSize } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(shapeSize([2, 3, 4]), 24);
 * assert.equal(shapeSize([]), 1);
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parse a simple numpy type string like `">i2"`, `"f8"`, `"|S8"`, `"<U3"`, `"bool"`.
 *
 * @example
 * ```ts
 * import { parseTypestr } from "@oda-hub/oda-api/pickle";
 * parseTypestr(">i2"); // { kind: "i", itemsize: 2, byteorder: ">" }
 * parseTypestr("<U3"); // { kind: "U", itemsize: 12, byteorder: "<" }
 * ```
 */
export function parseTypestr(typestr: string): SimpleDType {
  const aliases: Record<string, string> = {
    bool: "|b1",
    float64: "<f8",
    float32: "<f4",
    int64: "<i8",
    int32: "<i4",
    int16: "<i2",
    int8: "|i1",
    uint8: "|u1",
    uint16: "<u2",
    uint32: "<u4",
    uint64: "<u8",
    complex64: "<c8",
    complex128: "<c16",
    object: "|O",
  };
  const t = aliases[typestr] ?? typestr;
  const m = /^([<>|=!]?)([biufcSUOV?])(\d*)$/.exec(t);
  if (!m) throw new DecodeError("PICKLE", `unsupported numpy type string '${typestr}'`);
  const kind = (m[2] === "?" ? "b" : m[2]) as DTypeKind;
  let itemsize = m[3] === "" ? (kind === "b" ? 1 : kind === "O" ? 8 : 0) : Number(m[3]);
  if (kind === "U") itemsize = m[3] === "" ? 0 : itemsize * 4;
  const o = m[1];
  let byteorder: "<" | ">" | "|" = o === ">" || o === "!" ? ">" : o === "|" ? "|" : "<";
  if (itemsize <= 1 || kind === "S" || kind === "O" || kind === "V") byteorder = "|";
  if (o === "" && (kind === "S" || kind === "O" || kind === "V" || kind === "b")) byteorder = "|";
  return { kind, itemsize, byteorder };
}

/**
 * Build a numpy type string from parts (`U` itemsize is in bytes, 4 per char).
 *
 * @example
 * ```ts
 * import { formatTypestr } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(formatTypestr({ kind: "U", itemsize: 12, byteorder: "<" }), "<U3");
 * ```
 */
export function formatTypestr(d: SimpleDType): string {
  const n = d.kind === "U" ? d.itemsize / 4 : d.itemsize;
  const order = d.kind === "S" || d.kind === "V" || d.kind === "O" || d.itemsize <= 1 ? "|" : d.byteorder;
  return `${order}${d.kind}${d.kind === "O" ? "" : n}`;
}

/**
 * Allocate an empty native TypedArray for a numeric dtype (complex: 2 per element).
 *
 * @example
 * ```ts
 * import { allocNumeric, parseTypestr } from "@oda-hub/oda-api/pickle";
 * const c = allocNumeric(parseTypestr("<c16"), 3); // Float64Array of length 6 (re, im pairs)
 * ```
 */
export function allocNumeric(d: SimpleDType, count: number): NumericArray {
  switch (`${d.kind}${d.itemsize}`) {
    case "b1":
    case "u1":
      return new Uint8Array(count);
    case "i1":
      return new Int8Array(count);
    case "i2":
      return new Int16Array(count);
    case "u2":
      return new Uint16Array(count);
    case "i4":
      return new Int32Array(count);
    case "u4":
      return new Uint32Array(count);
    case "i8":
      return new BigInt64Array(count);
    case "u8":
      return new BigUint64Array(count);
    case "f4":
      return new Float32Array(count);
    case "f8":
      return new Float64Array(count);
    case "c8":
      return new Float32Array(count * 2);
    case "c16":
      return new Float64Array(count * 2);
  }
  throw new DecodeError("PICKLE", `unsupported numeric dtype ${d.kind}${d.itemsize}`);
}

/**
 * Whether a kind is stored as numbers.
 *
 * @example
 * ```ts
 * import { isNumericKind } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(isNumericKind("f"), true);
 * assert.equal(isNumericKind("U"), false);
 * ```
 */
export function isNumericKind(kind: DTypeKind): boolean {
  return kind === "b" || kind === "i" || kind === "u" || kind === "f" || kind === "c";
}

/**
 * Read `count` numeric elements of type `d` from `bytes`, starting at `offset`
 * and stepping `stride` bytes between elements (default: the itemsize), into a
 * new native TypedArray: the elements are copied (one `set` when contiguous),
 * then swapped in place when their byte order is not the host's.
 *
 * @example
 * ```ts
 * import { parseTypestr, readNumeric } from "@oda-hub/oda-api/pickle";
 * const bytes = new Uint8Array([0, 1, 0, 2]);
 * readNumeric(bytes, 0, parseTypestr(">i2"), 2); // Int16Array [1, 2]
 * ```
 */
export function readNumeric(
  bytes: Uint8Array,
  offset: number,
  d: SimpleDType,
  count: number,
  stride: number = d.itemsize,
): NumericArray {
  const need = count === 0 ? 0 : offset + (count - 1) * stride + d.itemsize;
  if (need > bytes.length) {
    throw new DecodeError("PICKLE", `array data needs ${need} bytes but only ${bytes.length} are present`);
  }
  const out = allocNumeric(d, count);
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const size = d.itemsize;
  const swap = d.byteorder !== "|" && (d.byteorder === "<") !== LITTLE_ENDIAN_HOST;
  const lane = d.kind === "c" ? size / 2 : size; // complex: swap each half separately
  if (stride === size) {
    outBytes.set(bytes.subarray(offset, offset + count * size));
  } else {
    for (let i = 0, o = 0; i < count; i++, o += size) {
      const s = offset + i * stride;
      for (let k = 0; k < size; k++) outBytes[o + k] = bytes[s + k];
    }
  }
  if (swap) swapBytesInPlace(outBytes, lane);
  return out;
}

/**
 * Write native values into `bytes` with the byte order of `d` (the inverse of
 * {@linkcode readNumeric}).
 *
 * @example
 * ```ts
 * import { parseTypestr, writeNumeric } from "@oda-hub/oda-api/pickle";
 * const out = new Uint8Array(4);
 * writeNumeric(new Int16Array([1, 2]), parseTypestr(">i2"), out, 0); // out is [0, 1, 0, 2]
 * ```
 */
export function writeNumeric(
  values: NumericArray,
  d: SimpleDType,
  bytes: Uint8Array,
  offset: number,
  stride: number = d.itemsize,
): void {
  const size = d.itemsize;
  const count = d.kind === "c" ? values.length / 2 : values.length;
  const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const swap = d.byteorder !== "|" && (d.byteorder === "<") !== LITTLE_ENDIAN_HOST;
  const lane = d.kind === "c" ? size / 2 : size;
  if (stride === size) {
    bytes.set(src, offset);
    if (swap) swapBytesInPlace(bytes.subarray(offset, offset + src.length), lane);
    return;
  }
  for (let i = 0; i < count; i++) {
    const base = offset + i * stride;
    const s0 = i * size;
    if (!swap) {
      for (let k = 0; k < size; k++) bytes[base + k] = src[s0 + k];
      continue;
    }
    for (let j = 0; j < size; j += lane) {
      for (let k = 0; k < lane; k++) bytes[base + j + k] = src[s0 + j + lane - 1 - k];
    }
  }
}

const utf32Cache = new Map<number, string>();

/**
 * Decode fixed-width `S` (bytes) or `U` (UCS-4) elements into strings, trailing NULs removed.
 *
 * @example
 * ```ts
 * import { parseTypestr, readStrings } from "@oda-hub/oda-api/pickle";
 * const bytes = new TextEncoder().encode("Crab\0\0Vela\0\0");
 * readStrings(bytes, 0, parseTypestr("|S6"), 2); // ["Crab", "Vela"]
 * ```
 */
export function readStrings(
  bytes: Uint8Array,
  offset: number,
  d: SimpleDType,
  count: number,
  stride: number = d.itemsize,
): string[] {
  const out: string[] = new Array(count);
  const size = d.itemsize;
  if (count > 0 && offset + (count - 1) * stride + size > bytes.length) {
    throw new DecodeError("PICKLE", "string data runs past the end of the buffer");
  }
  if (d.kind === "S") {
    for (let i = 0; i < count; i++) {
      const s = offset + i * stride;
      let e = s + size;
      while (e > s && bytes[e - 1] === 0) e--;
      out[i] = decodeLatin1(bytes.subarray(s, e));
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = d.byteorder !== ">";
  const chars = size / 4;
  for (let i = 0; i < count; i++) {
    const s = offset + i * stride;
    let str = "";
    for (let c = 0; c < chars; c++) {
      const cp = view.getUint32(s + c * 4, little);
      if (cp === 0) break;
      let ch = utf32Cache.get(cp);
      if (ch === undefined) {
        ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
        if (utf32Cache.size < 4096) utf32Cache.set(cp, ch);
      }
      str += ch;
    }
    out[i] = str;
  }
  return out;
}

/**
 * Reverse the byte order of every `lane`-byte word of `bytes` in place (`lane` 1, 2, 4 or 8; complex numbers
 * use the size of one part). Uses word-wide operations when `bytes` is aligned, a byte loop otherwise.
 *
 * @example
 * ```ts
 * import { swapBytesInPlace } from "@oda-hub/oda-api/pickle";
 * const b = new Uint8Array([0, 1, 0, 2]);
 * swapBytesInPlace(b, 2); // b is now [1, 0, 2, 0]
 * ```
 */
export function swapBytesInPlace(bytes: Uint8Array, lane: number): void {
  if (lane <= 1) return;
  const n = bytes.length - (bytes.length % lane);
  // WebAssembly SIMD where available (lib/data/_swap_simd.ts), 16 bytes per instruction
  if (simdSwapInPlace(bytes, n, lane)) return;
  // DataView accesses have no alignment requirement and V8 compiles them to single loads/stores + bswap.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (lane === 2) {
    for (let i = 0; i < n; i += 2) dv.setUint16(i, dv.getUint16(i, false), true);
  } else if (lane === 4) {
    for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, false), true);
  } else if (lane === 8) {
    for (let i = 0; i < n; i += 8) {
      const a = dv.getUint32(i, false);
      dv.setUint32(i, dv.getUint32(i + 4, false), true);
      dv.setUint32(i + 4, a, true);
    }
  } else {
    for (let s = 0; s < n; s += lane) {
      for (let i = s, j = s + lane - 1; i < j; i++, j--) {
        const t = bytes[i];
        bytes[i] = bytes[j];
        bytes[j] = t;
      }
    }
  }
}

/**
 * Whether the host is little-endian (it is on every platform Deno supports today).
 *
 * @example
 * ```ts
 * import { HOST_IS_LITTLE_ENDIAN } from "@oda-hub/oda-api/pickle";
 * const native = HOST_IS_LITTLE_ENDIAN ? "<f8" : ">f8"; // dtype string of a native Float64Array
 * ```
 */
export const HOST_IS_LITTLE_ENDIAN: boolean = LITTLE_ENDIAN_HOST;
