/**
 * JSON the way the Python side writes and reads it: a reader that accepts the bare `NaN`, `Infinity` and
 * `-Infinity` tokens Python's `json.dumps` emits (never inside strings), and a writer that reproduces
 * `json.dumps` byte for byte (separators, `ensure_ascii` escapes, float formatting).
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";

/**
 * A Python `float` whose value happens to be integral (`5.0`): JS numbers cannot tell `5` from `5.0`, so the
 * Python-compatible writers ({@linkcode pythonJsonDumps}, `pythonRepr`, `pythonStr`, `makeHash`) format plain
 * integral numbers as Python `int`s and `PyFloat`s as floats.
 *
 * @example
 * ```ts
 * import { PyFloat, pythonJsonDumps } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(pythonJsonDumps({ p: new PyFloat(5), n: 5 }), '{"p": 5.0, "n": 5}');
 * ```
 */
export class PyFloat {
  /** Wrap a number that must be written as a Python float. */
  constructor(
    /** The value. */
    readonly value: number,
  ) {}
  /** The plain number (so arithmetic and comparisons keep working). */
  valueOf(): number {
    return this.value;
  }
  /** JSON.stringify writes the plain number. */
  toJSON(): number {
    return this.value;
  }
}

/**
 * Options of {@linkcode parseJson}.
 *
 * @example
 * ```ts
 * import { parseJson, type ParseJsonOptions, pythonJsonDumps } from "@oda-hub/oda-api/pickle";
 * const opts: ParseJsonOptions = { keepFloats: true };
 * const v = parseJson('{"E1_keV": 30.0, "n": 5}', opts);
 * pythonJsonDumps(v); // '{"E1_keV": 30.0, "n": 5}' (without keepFloats: '{"E1_keV": 30, "n": 5}')
 * ```
 */
export interface ParseJsonOptions {
  /**
   * Return numbers written with a fraction or exponent but integral value (`5.0`, `1e3`) as
   * {@linkcode PyFloat}, so they can be written back exactly like Python would (job-id hashing). Slower.
   */
  keepFloats?: boolean;
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

function jsonError(e: unknown, text: string): DecodeError {
  const pos = locateJsonError(text);
  let where = "";
  if (pos !== undefined) {
    let line = 1;
    let col = 1;
    for (let i = 0; i < pos && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    where = pos >= text.length
      ? ` at position ${pos} (end of input)`
      : ` at position ${pos} (line ${line} column ${col})`;
  }
  const near = pos !== undefined && pos < text.length
    ? `: unexpected ${JSON.stringify(text.slice(pos, pos + 12))}`
    : "";
  return new DecodeError("JSON", `malformed JSON${where}${near}`, { cause: e });
}

const WS_TABLE = new Uint8Array(128);
for (const c of [9, 10, 13, 32]) WS_TABLE[c] = 1;
const NUM_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Position of the first syntax error of `text` (JSON plus NaN/Infinity/-Infinity), or undefined if it is valid.
 * Iterative (explicit stack), linear; only used to report errors.
 */
function locateJsonError(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  const stack: number[] = []; // 0 = array, 1 = object
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 128 && WS_TABLE[c]) i++;
      else break;
    }
  };
  const str = (): boolean => {
    // at '"'
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 92) {
        const d = text[i + 1];
        if (d === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (d !== undefined && '"\\/bfnrt'.includes(d)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  // expect a value at i; returns false on error (i at the error)
  const scalar = (): boolean => {
    const c = text[i];
    if (c === '"') return str();
    for (const lit of ["true", "false", "null", "NaN", "Infinity", "-Infinity"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return true;
      }
    }
    NUM_RE.lastIndex = i;
    const m = NUM_RE.exec(text);
    if (m && m[0].length > 0) {
      i += m[0].length;
      return true;
    }
    return false;
  };
  ws();
  // state machine: after a value, look at the container on top of the stack
  let needValue = true;
  while (true) {
    if (needValue) {
      ws();
      if (i >= n) return n;
      const c = text[i];
      if (c === "[") {
        i++;
        ws();
        if (text[i] === "]") {
          i++;
          needValue = false;
        } else stack.push(0);
        continue;
      }
      if (c === "{") {
        i++;
        ws();
        if (text[i] === "}") {
          i++;
          needValue = false;
          continue;
        }
        if (text[i] !== '"' || !str()) return Math.min(i, n);
        ws();
        if (text[i] !== ":") return Math.min(i, n);
        i++;
        stack.push(1);
        continue;
      }
      const start = i;
      if (!scalar()) return Math.min(i >= n ? n : Math.max(i, start), n);
      needValue = false;
      continue;
    }
    ws();
    if (stack.length === 0) return i < n ? i : undefined;
    if (i >= n) return n;
    const top = stack[stack.length - 1];
    const c = text[i];
    if (c === ",") {
      i++;
      if (top === 1) {
        ws();
        if (text[i] !== '"' || !str()) return Math.min(i, n);
        ws();
        if (text[i] !== ":") return Math.min(i, n);
        i++;
      }
      needValue = true;
      continue;
    }
    if ((top === 0 && c === "]") || (top === 1 && c === "}")) {
      i++;
      stack.pop();
      continue;
    }
    return i;
  }
}

interface Rewrite {
  text: string;
  /** [rewritten position, original position] at each replacement, ascending. */
  marks: number[];
  hasNaN: boolean;
  /** How many NaN tokens were replaced. */
  nanCount: number;
}

/**
 * Rewrite bare `NaN`/`Infinity`/`-Infinity` tokens outside strings: infinities become `1e999`/`-1e999`
 * (JSON.parse turns them into ±Infinity), NaN becomes the string `sentinel`. Strings are skipped with
 * `indexOf` (no regex over their content). Returns undefined if there is nothing to rewrite.
 */
function rewriteTokens(text: string, sentinel: string): Rewrite | undefined {
  const parts: string[] = [];
  const marks: number[] = [];
  let outLen = 0;
  let last = 0;
  let hasNaN = false;
  let nanCount = 0;
  const n = text.length;
  let i = 0;
  const emit = (upto: number, repl: string, skip: number): void => {
    parts.push(text.slice(last, upto), repl);
    outLen += upto - last + repl.length;
    last = upto + skip;
    marks.push(outLen, last);
  };
  // the regex engine finds the next quote or token start (native scan); strings are skipped with indexOf
  const re = /["NI]/g;
  while (i < n) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) break;
    i = m.index;
    const c = text.charCodeAt(i);
    if (c === 34) { // string: jump to the closing quote
      let j = i + 1;
      while (true) {
        const q = text.indexOf('"', j);
        if (q < 0) return undefined; // unterminated: let JSON.parse report it
        let b = q - 1;
        while (text.charCodeAt(b) === 92) b--;
        if ((q - 1 - b) % 2 === 0) {
          i = q + 1;
          break;
        }
        j = q + 1;
      }
      continue;
    }
    if (c === 78 && text.startsWith("NaN", i)) {
      emit(i, sentinel, 3);
      hasNaN = true;
      nanCount++;
      i += 3;
      continue;
    }
    if (c === 73 && text.startsWith("Infinity", i)) {
      const neg = i > 0 && text.charCodeAt(i - 1) === 45;
      emit(neg ? i - 1 : i, neg ? "-1e999" : "1e999", neg ? 9 : 8);
      i += 8;
      continue;
    }
    i++;
  }
  if (marks.length === 0) return undefined;
  parts.push(text.slice(last));
  return { text: parts.join(""), marks, hasNaN, nanCount };
}

const NAN_MARK = "\u0000oda_api:NaN\u0000";
const NAN_MARK_JSON = JSON.stringify(NAN_MARK);

/**
 * Replace every value equal to the NaN marker in `root` (arrays and plain objects, iteratively) by NaN; false
 * (and `root` partly restored: the caller parses again) when there are more markers than NaN tokens.
 */
function restoreNaN(root: unknown, expected: number): boolean {
  let hits = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const x = node[i];
        if (x === NAN_MARK) {
          node[i] = NaN;
          hits++;
        } else if (x !== null && typeof x === "object") stack.push(x);
      }
    } else if (node !== null && typeof node === "object") {
      const o = node as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (x === NAN_MARK) {
          // defineProperty: a "__proto__" key is an own data property here, never the prototype
          Object.defineProperty(o, k, { value: NaN, writable: true, enumerable: true, configurable: true });
          hits++;
        } else if (x !== null && typeof x === "object") stack.push(x);
      }
    }
  }
  return hits === expected;
}

/**
 * A zero literal `-0e-<digits>` that occurs nowhere in `text`: one pass collects every `-0e-<digits>` spelling
 * present, then the first free exponent from 999 up is taken (at most as many tries as spellings found), so
 * the search is linear in the text and the placeholder stays short (a text full of placeholder spellings once
 * made this quadratic).
 */
function nanPlaceholder(text: string): string {
  const taken = new Set<string>();
  for (let at = text.indexOf("-0e-"); at >= 0; at = text.indexOf("-0e-", at + 4)) {
    let e = at + 4;
    while (e < text.length && text.charCodeAt(e) >= 48 && text.charCodeAt(e) <= 57) e++;
    if (e - at - 4 <= 16) taken.add(text.slice(at + 4, e)); // longer digit runs cannot equal a short exponent
  }
  let exp = 999;
  while (taken.has(String(exp))) exp++;
  return `-0e-${exp}`;
}

/**
 * Parse JSON text as Python's `json.loads` does: standard JSON plus bare `NaN`, `Infinity` and `-Infinity`
 * values. Clean input goes straight to `JSON.parse` (same speed); only input that fails is scanned once
 * (string-aware) and re-parsed. Malformed input raises `DecodeError` (code `"JSON"`) with the position.
 *
 * @example
 * ```ts
 * import { parseJson } from "@oda-hub/oda-api/pickle";
 * parseJson('{"rate": NaN, "max": Infinity, "s": "NaN"}'); // { rate: NaN, max: Infinity, s: "NaN" }
 * ```
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): unknown {
  const keep = options.keepFloats === true;
  const floatReviver: Reviver | undefined = keep
    ? function (_k, v, ctx) {
      if (typeof v === "number" && Number.isInteger(v) && ctx?.source && /[.eE]/.test(ctx.source)) {
        return new PyFloat(v);
      }
      return v;
    }
    : undefined;
  try {
    return floatReviver ? JSON.parse(text, floatReviver as never) : JSON.parse(text);
  } catch (e) {
    if (!floatReviver) {
      // NaN becomes a marker string, put back by one walk over the result: JSON.parse with a reviver is 20×
      // slower. A real string equal to the marker shows as one hit too many: the reviver path then decides.
      const rw = rewriteTokens(text, NAN_MARK_JSON);
      if (!rw) throw jsonError(e, text);
      let v: unknown;
      try {
        v = JSON.parse(rw.text);
      } catch (e2) {
        throw jsonError(e2, text);
      }
      if (!rw.hasNaN || restoreNaN(v, rw.nanCount)) return v;
    }
    // NaN becomes a number literal that cannot occur in the input, recognised through the reviver's source text.
    const nanLiteral = nanPlaceholder(text);
    const rw = rewriteTokens(text, nanLiteral);
    if (!rw) throw jsonError(e, text);
    try {
      if (!rw.hasNaN && !floatReviver) return JSON.parse(rw.text);
      const reviver: Reviver = function (k, v, ctx) {
        if (typeof v === "number" && v === 0 && ctx?.source === nanLiteral) return NaN;
        return floatReviver ? floatReviver.call(this, k, v, ctx) : v;
      };
      return JSON.parse(rw.text, reviver as never);
    } catch (e2) {
      throw jsonError(e2, text);
    }
  }
}

// ------------------------------------------------------------------ writer

/**
 * Python's `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| < 1e16, otherwise
 * `d.ddde±XX`; integral values keep `.0`. NaN/Infinity are returned as `nan`/`inf`/`-inf`.
 *
 * @example
 * ```ts
 * import { pythonFloatRepr } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(pythonFloatRepr(1), "1.0");
 * assert.equal(pythonFloatRepr(0.00001), "1e-05");
 * assert.equal(pythonFloatRepr(1e16), "1e+16");
 * ```
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const e = Math.abs(x).toExponential(); // shortest round-trip digits
  const ei = e.indexOf("e");
  const digits = e.slice(0, ei).replace(".", "");
  const exp = Number(e.slice(ei + 1));
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const ae = Math.abs(exp);
  return `${sign}${mant}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
}

/**
 * Whether a JS number is written as a Python int by the Python-compatible writers (integral and exactly
 * representable, i.e. a safe integer); anything else is written as a float.
 *
 * @example
 * ```ts
 * import { isPythonInt } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(isPythonInt(5), true);
 * assert.equal(isPythonInt(0.5), false);
 * ```
 */
export function isPythonInt(x: number): boolean {
  return Number.isSafeInteger(x);
}

/** `json.dumps` of a number (int if integral, else float repr; NaN/Infinity tokens). */
function jsonNumber(x: number, forceFloat: boolean): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (!forceFloat && isPythonInt(x)) return String(x);
  return pythonFloatRepr(x);
}

const HEX = "0123456789abcdef";
function u4(c: number): string {
  return "\\u" + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
}

/**
 * `json.dumps` of a str with `ensure_ascii=True` (every character outside printable ASCII as `\uXXXX`).
 *
 * @example
 * ```ts
 * import { pythonJsonString } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(pythonJsonString('é"\n'), String.raw`"\u00e9\"\n"`);
 * ```
 */
export function pythonJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 34 && c !== 92) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 34:
        out += '\\"';
        break;
      case 92:
        out += "\\\\";
        break;
      case 10:
        out += "\\n";
        break;
      case 13:
        out += "\\r";
        break;
      case 9:
        out += "\\t";
        break;
      case 8:
        out += "\\b";
        break;
      case 12:
        out += "\\f";
        break;
      default:
        out += u4(c);
    }
  }
  return out + s.slice(start) + '"';
}

/**
 * Options of {@linkcode pythonJsonDumps}.
 *
 * @example
 * ```ts
 * import { pythonJsonDumps, type PythonJsonDumpsOptions } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const compact: PythonJsonDumpsOptions = { sortKeys: true, separators: [",", ":"] };
 * assert.equal(pythonJsonDumps({ b: [1, 2], a: 1 }, compact), '{"a":1,"b":[1,2]}');
 * ```
 */
export interface PythonJsonDumpsOptions {
  /** `sort_keys=True`. */
  sortKeys?: boolean;
  /** `indent=`: a number of spaces or an indent string. */
  indent?: number | string;
  /**
   * `separators=(item, key)`; default `(", ", ": ")`, or `(",", ": ")` with an indent. Flask's `jsonify`
   * uses `(",", ":")`.
   */
  separators?: readonly [string, string];
}

function dictKey(k: unknown): string {
  if (typeof k === "string") return k;
  if (k === null || k === undefined) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (k instanceof PyFloat) return jsonNumber(k.value, true);
  if (typeof k === "number") return jsonNumber(k, false);
  if (typeof k === "bigint") return k.toString();
  throw new OdaError("INVALID_ARGUMENT", `keys must be str, int, float, bool or None, not ${typeof k}`);
}

/**
 * Reproduce Python's `json.dumps(value, sort_keys=..., indent=...)` exactly: `", "` and `": "` separators
 * (`","` + newline with indent), `ensure_ascii` `\uXXXX` escapes, `NaN`/`Infinity`/`-Infinity`, floats as
 * Python's `repr`. Integral JS numbers are written as ints (`5`), {@linkcode PyFloat} as floats (`5.0`),
 * bigint as ints; `Map` and plain objects are dicts (object properties that are `undefined` are skipped),
 * arrays, `Set`s and TypedArrays are lists.
 *
 * @example
 * ```ts
 * import { pythonJsonDumps } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(pythonJsonDumps({ b: 1e-5, a: ["é", NaN] }, { sortKeys: true }), '{"a": ["\\u00e9", NaN], "b": 1e-05}');
 * ```
 */
export function pythonJsonDumps(value: unknown, options: PythonJsonDumpsOptions = {}): string {
  const ind = options.indent === undefined
    ? undefined
    : typeof options.indent === "number"
    ? " ".repeat(Math.max(0, options.indent))
    : options.indent;
  const itemSep = options.separators?.[0] ?? (ind === undefined ? ", " : ",");
  const keySep = options.separators?.[1] ?? ": ";
  const seen = new Set<unknown>();
  const enc = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return jsonNumber(v, false);
    if (v instanceof PyFloat) return jsonNumber(v.value, true);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "string") return pythonJsonString(v);
    if (typeof v !== "object") throw new OdaError("INVALID_ARGUMENT", `cannot JSON-encode a ${typeof v}`);
    if (seen.has(v)) throw new OdaError("INVALID_ARGUMENT", "Circular reference detected");
    if (level > 1000) throw new OdaError("INVALID_ARGUMENT", "value nested too deeply");
    seen.add(v);
    try {
      const nl = ind === undefined ? "" : "\n" + ind.repeat(level + 1);
      const close = ind === undefined ? "" : "\n" + ind.repeat(level);
      let items: unknown[] | undefined;
      if (Array.isArray(v)) items = v;
      else if (v instanceof Set) items = [...v];
      else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        items = Array.from(v as unknown as ArrayLike<unknown>);
      }
      if (items) {
        if (items.length === 0) return "[]";
        return "[" + nl + items.map((x) => enc(x, level + 1)).join(itemSep + nl) + close + "]";
      }
      let entries: [string, unknown][] = v instanceof Map
        ? [...v.entries()].map(([k, x]) => [dictKey(k), x])
        : Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (options.sortKeys) entries = entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      if (entries.length === 0) return "{}";
      return "{" + nl + entries.map(([k, x]) =>
        pythonJsonString(k) + keySep + enc(x, level + 1)
      ).join(itemSep + nl) +
        close + "}";
    } finally {
      seen.delete(v);
    }
  };
  try {
    return enc(value, 0);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    // plain data never throws: a getter, a proxy trap or a revoked proxy did
    throw new OdaError("INVALID_ARGUMENT", "value cannot be read as plain data (a getter or proxy threw)");
  }
}
