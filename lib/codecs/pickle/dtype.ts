/**
 * numpy dtypes as the restricted pickle VM leaves them (inert `numpy.dtype` objects with their BUILD state):
 * simple, sub-array and structured dtypes.
 *
 * @module
 */
import { DecodeError } from "../../errors.ts";
import {
  type DTypeKind,
  formatTypestr,
  HOST_IS_LITTLE_ENDIAN,
  isNumericKind,
  type SimpleDType,
} from "../../data/ndarray.ts";
import { PickleGlobal, PickleObject } from "./vm.ts";
import { decodeLatin1 } from "../../data/latin1.ts";

/** Deepest nesting of dtypes and arrays. */
export const MAX_DEPTH = 32;

/** A `DecodeError("PICKLE")`. */
export function err(msg: string): DecodeError {
  return new DecodeError("PICKLE", msg);
}

/** A parsed numpy dtype (simple, sub-array or structured). */
export interface DTypeInfo {
  /** Simple part (for structured dtypes: kind `V`). */
  simple: SimpleDType;
  /** numpy type string (`"<f8"`, `"|S3"`, `"|V16"`). */
  typestr: string;
  /** Bytes per element. */
  itemsize: number;
  /** Fields of a structured dtype, in `names` order. */
  fields?: FieldInfo[];
  /** Sub-array: element dtype and shape. */
  subarray?: { base: DTypeInfo; shape: number[] };
  /** Whether the dtype was built from `numpy.record`. */
  isRecord: boolean;
}

/** One field of a structured dtype. */
export interface FieldInfo {
  /** Field name. */
  name: string;
  /** Field dtype. */
  dtype: DTypeInfo;
  /** Byte offset inside one record. */
  offset: number;
  /** Optional title. */
  title?: string;
}

/** A Python str or bytes as a string (latin-1), else undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return decodeLatin1(v);
  return undefined;
}

/** A safe integer, else `DecodeError`. */
export function int(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  throw err(`${what} is not an integer`);
}

/** A shape tuple (or a single int) of non-negative integers. */
export function shapeOf(v: unknown, what: string): number[] {
  if (typeof v === "number") v = [v];
  if (!Array.isArray(v)) throw err(`${what} is not a tuple`);
  if (v.length > 64) throw err(`${what} has ${v.length} dimensions`);
  return v.map((d) => {
    const n = int(d, what);
    if (n < 0) throw err(`${what} has a negative dimension`);
    return n;
  });
}

/** Whether `v` is an inert instance of one of the classes. */
export function isClass(v: unknown, ...names: string[]): v is PickleObject {
  return v instanceof PickleObject && names.includes(v.className);
}

/** Parse an inert `numpy.dtype` object (constructor args + BUILD state). */
export function parseDType(o: unknown, depth = 0): DTypeInfo {
  if (depth > MAX_DEPTH) throw err("dtype nesting too deep");
  if (!isClass(o, "numpy.dtype")) throw err("expected a numpy.dtype");
  const code0 = o.args[0];
  const state = Array.isArray(o.state) ? o.state : [];
  const endianRaw = str(state[1]) ?? "|";
  const subarrayState = state[2] ?? null;
  const names = state[3] ?? null;
  const fieldsState = state[4] ?? null;
  const elsize = typeof state[5] === "number" ? state[5] : -1;
  let isRecord = false;
  let code: string;
  if (code0 instanceof PickleGlobal) {
    if (code0.qualname !== "numpy.record" && code0.qualname !== "numpy.core.records.record") {
      throw err(`dtype of class ${code0.module}.${code0.name}`);
    }
    isRecord = true;
    code = `V${elsize > 0 ? elsize : 0}`;
  } else {
    const c = str(code0);
    if (c === undefined) throw err("dtype code is not a string");
    code = c;
  }
  const m = /^([<>|=]?)([biufcSUOVa?])(\d*)$/.exec(code);
  if (!m) throw err(`unsupported numpy dtype '${code}'`);
  let kind = (m[2] === "?" ? "b" : m[2] === "a" ? "S" : m[2]) as DTypeKind;
  let n = m[3] === "" ? -1 : Number(m[3]);
  if (kind === "b" && n === -1) n = 1;
  if (kind === "O") n = 8;
  let itemsize: number;
  if (kind === "U") itemsize = elsize > 0 ? elsize : Math.max(n, 0) * 4;
  else if (kind === "S" || kind === "V") itemsize = elsize > 0 ? elsize : Math.max(n, 0);
  else itemsize = n;
  if (isNumericKind(kind)) {
    const ok = kind === "b"
      ? itemsize === 1
      : kind === "c"
      ? itemsize === 8 || itemsize === 16
      : kind === "f"
      ? itemsize === 4 || itemsize === 8
      : [1, 2, 4, 8].includes(itemsize);
    if (!ok) throw err(`unsupported numpy dtype '${code}'`);
  }
  const e = endianRaw === "=" ? (HOST_IS_LITTLE_ENDIAN ? "<" : ">") : endianRaw;
  let byteorder: "<" | ">" | "|" = e === ">" ? ">" : e === "<" ? "<" : "|";
  if (itemsize <= 1 || kind === "S" || kind === "V" || kind === "O") byteorder = "|";
  else if (byteorder === "|") byteorder = HOST_IS_LITTLE_ENDIAN ? "<" : ">";
  const info: DTypeInfo = {
    simple: { kind, itemsize, byteorder },
    typestr: "",
    itemsize,
    isRecord,
  };
  if (names !== null && names !== undefined) {
    if (!Array.isArray(names)) throw err("dtype names is not a tuple");
    if (!(fieldsState instanceof Map)) throw err("dtype fields is not a dict");
    kind = "V";
    info.simple = { kind: "V", itemsize, byteorder: "|" };
    info.fields = names.map((nm) => {
      const name = str(nm);
      if (name === undefined) throw err("dtype field name is not a string");
      const f = fieldsState.get(name);
      if (!Array.isArray(f) || f.length < 2) throw err(`dtype field '${name}' is missing`);
      const dt = parseDType(f[0], depth + 1);
      const offset = int(f[1], `offset of field '${name}'`);
      if (offset < 0 || offset + dt.itemsize > itemsize) {
        throw err(
          `field '${name}' (offset ${offset}, ${dt.itemsize} bytes) lies outside the ${itemsize}-byte record`,
        );
      }
      const title = f.length > 2 ? str(f[2]) : undefined;
      return title !== undefined ? { name, dtype: dt, offset, title } : { name, dtype: dt, offset };
    });
  }
  if (subarrayState !== null && subarrayState !== undefined) {
    if (!Array.isArray(subarrayState) || subarrayState.length !== 2) {
      throw err("dtype subarray is not a pair");
    }
    const base = parseDType(subarrayState[0], depth + 1);
    const shape = shapeOf(subarrayState[1], "sub-array shape");
    let size = base.itemsize;
    for (const d of shape) size *= d;
    if (size !== itemsize) {
      throw err(`sub-array ${base.typestr}${JSON.stringify(shape)} does not fill ${itemsize} bytes`);
    }
    info.subarray = { base, shape };
  }
  info.typestr = formatTypestr(info.simple);
  return info;
}
