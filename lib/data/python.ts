/**
 * Python compatibility helpers: `repr()`/`str()` of plain data, and `make_hash`, the function oda_api and the
 * dispatcher use for job ids and cache keys.
 *
 * Int vs float: JS has one number type. These helpers write a number as a Python `float` when it is a
 * {@linkcode PyFloat}, when it is not an integer (`0.5`, `1e-05`, NaN, ±Infinity) or when `{ float: true }` is
 * given; otherwise (integral, safe) as an `int`. `bigint` is always an int.
 *
 * @module
 */
import { md5Hex } from "./md5.ts";
import { isPythonInt, PyFloat, pythonFloatRepr, pythonJsonDumps, pythonJsonString } from "./json.ts";
import { OdaError } from "../errors.ts";

/**
 * Options of {@linkcode pythonRepr} and {@linkcode pythonStr}.
 *
 * @example
 * ```ts
 * import { type PythonFormatOptions, pythonRepr } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const asFloats: PythonFormatOptions = { float: true };
 * assert.equal(pythonRepr([1, 2.5], asFloats), "[1.0, 2.5]");
 * ```
 */
export interface PythonFormatOptions {
  /** Write every integral JS number as a float (`1.0`). */
  float?: boolean;
}

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(n: number, w: number): string {
  return n.toString(16).padStart(w, "0");
}

/** Python's `repr(str)`. */
function reprStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f) out += ch;
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      out += cp <= 0xff ? "\\x" + hex(cp, 2) : cp <= 0xffff ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8);
    } else out += ch;
  }
  return out + q;
}

/** Python's `repr(bytes)`. */
function reprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 39) hasSingle = true;
    if (c === 34) hasDouble = true;
  }
  const q = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + q;
  for (const c of b) {
    const ch = String.fromCharCode(c);
    if (ch === q || c === 92) out += "\\" + ch;
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + hex(c, 2);
    else out += ch;
  }
  return out + q;
}

function reprNumber(x: number, opts: PythonFormatOptions): string {
  if (!opts.float && isPythonInt(x)) return String(x);
  return pythonFloatRepr(x);
}

/**
 * Python's `repr()` of plain data: dicts (`Map` or plain objects) as `{'k': v}`, arrays and TypedArrays as
 * lists, `Set` as `{a, b}` / `set()`, strings with Python's quoting and escapes, `None`/`True`/`False`,
 * numbers as int or float (see the module note), `Uint8Array` as `b'...'`.
 *
 * @example
 * ```ts
 * import { pythonRepr } from "@oda-hub/oda-api/pickle";
 * pythonRepr({ src_name: "OAO 1657-415", time_bin: 0.0115739687598762 });
 * // "{'src_name': 'OAO 1657-415', 'time_bin': 0.0115739687598762}"
 * pythonRepr(["it's", null, true, 1e-5]); // `["it's", None, True, 1e-05]`
 * ```
 */
export function pythonRepr(value: unknown, options: PythonFormatOptions = {}): string {
  const seen = new Set<unknown>();
  const rec = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return "None";
    if (v === true) return "True";
    if (v === false) return "False";
    if (typeof v === "number") return reprNumber(v, options);
    if (v instanceof PyFloat) return pythonFloatRepr(v.value);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "string") return reprStr(v);
    if (v instanceof Uint8Array) return reprBytes(v);
    if (typeof v !== "object") return reprStr(String(v));
    if (depth > 1000) throw new OdaError("INVALID_ARGUMENT", "value nested too deeply");
    if (seen.has(v)) return Array.isArray(v) ? "[...]" : "{...}";
    seen.add(v);
    try {
      if (Array.isArray(v)) return "[" + v.map((x) => rec(x, depth + 1)).join(", ") + "]";
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        return "[" + Array.from(v as unknown as ArrayLike<unknown>, (x) => rec(x, depth + 1)).join(", ") +
          "]";
      }
      if (v instanceof Set) {
        return v.size === 0 ? "set()" : "{" + [...v].map((x) => rec(x, depth + 1)).join(", ") + "}";
      }
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
      return "{" + entries.map(([k, x]) => rec(k, depth + 1) + ": " + rec(x, depth + 1)).join(", ") + "}";
    } finally {
      seen.delete(v);
    }
  };
  try {
    return rec(value, 0);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    // plain data never throws: a getter, a proxy trap or a revoked proxy did
    throw new OdaError("INVALID_ARGUMENT", "value cannot be read as plain data (a getter or proxy threw)");
  }
}

/**
 * Python's `str()`: strings unchanged, numbers as `str(int)`/`str(float)` (`1.0`, `1e-05`, `1e+16`, `nan`,
 * `inf`), `None`/`True`/`False`, containers as their `repr`. A JS number is a float if it has a fractional
 * part, is not finite, is a {@linkcode PyFloat}, or `{ float: true }` is given; otherwise an int.
 *
 * @example
 * ```ts
 * import { pythonStr } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(pythonStr(1), "1");
 * assert.equal(pythonStr(1, { float: true }), "1.0");
 * assert.equal(pythonStr(0.00001), "1e-05");
 * assert.equal(pythonStr("abc"), "abc");
 * ```
 */
export function pythonStr(value: unknown, options: PythonFormatOptions = {}): string {
  if (typeof value === "string") return value;
  return pythonRepr(value, options);
}

function md5hex16(text: string): string {
  return md5Hex(text).slice(0, 16);
}

/** `format_hash(x)` = md5(json.dumps(sorted(x)))[:16]. */
function formatHash(items: string[]): string {
  const sorted = items.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return md5hex16("[" + sorted.map(pythonJsonString).join(", ") + "]");
}

function sortedChars(s: string): string[] {
  // sorted() of a str: by code point; JS strings iterate by code point.
  return Array.from(s).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/**
 * oda_api's / the dispatcher's `make_hash` (oda_api misc_helpers.py, dispatcher analysis/hash.py): the job id of
 * a request is `makeHash` of its parameters (minus `session_id, job_id, token, dry_run, oda_api_version, api,
 * off_line, query_status, async_dispatcher` and `null` values, plus `sub` = the token's e-mail).
 *
 * - scalars: md5 of `json.dumps(sorted(json.dumps(x)))` (the sorted characters of the JSON text), first 16 hex;
 * - arrays, `Set`s: md5 of `json.dumps(sorted(member hashes))`;
 * - dicts (`Map` or plain objects): the hash of the list of `(key, value)` pairs, each pair hashed as a list.
 *
 * Numbers follow the module's int/float rule: wrap integral Python floats in {@linkcode PyFloat} (or parse the
 * response with `parseJson(text, { keepFloats: true })`) to get `5.0` rather than `5`.
 *
 * @example
 * ```ts
 * import { makeHash, PyFloat } from "@oda-hub/oda-api/pickle";
 * makeHash({ instrument: "empty", product_type: "dummy", p: new PyFloat(5) }); // 16 hex characters
 * ```
 */
export function makeHash(value: unknown): string {
  const rec = (v: unknown, depth: number): string => {
    if (depth > 1000) throw new OdaError("INVALID_ARGUMENT", "value nested too deeply");
    if (Array.isArray(v) || v instanceof Set) return formatHash([...v].map((x) => rec(x, depth + 1)));
    if (v instanceof Map) return formatHash([...v.entries()].map((kv) => rec(kv, depth + 1)));
    if (typeof v === "object" && v !== null && !(v instanceof PyFloat) && !ArrayBuffer.isView(v)) {
      return formatHash(Object.entries(v as Record<string, unknown>).map((kv) => rec(kv, depth + 1)));
    }
    return formatHash(sortedChars(pythonJsonDumps(v)));
  };
  return rec(value, 0);
}
