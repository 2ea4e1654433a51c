/**
 * Parameter encoding for `/run_analysis`, exactly as the Python `oda_api`
 * (1.3.5) puts it on the wire, so that the dispatcher sees the same values
 * (and computes the same job ids) whichever client submitted a query:
 *
 * - `null` → the single NUL character (`%00`), which the server maps to None;
 *   `undefined` → the parameter is not sent at all;
 * - arrays / objects → Python `json.dumps` text (`{"a": 1}`, `[1, 2.5]`);
 * - `scw_list` given as an array → repeated keys (`scw_list=a&scw_list=b`),
 *   as a string → sent as is (comma separated);
 * - `selected_catalog` → passed through when it is a string (the JSON text of
 *   a catalog); an object is JSON-dumped (upstream would mangle it);
 * - `catalog_selected_objects` given as an array → comma separated;
 * - numbers → Python `str()`: integers as ints (`5`), others as Python floats
 *   (`28.5`, `1e-05`); wrap a number with {@linkcode pyFloat} to send an
 *   integer-valued float the way Python would (`28.0`);
 * - booleans → `True` / `False`; `Date` → ISO time without the `Z`.
 *
 * Query strings use Python's `quote_plus` rules (space → `+`, `:` → `%3A`).
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { PyFloat, pythonJsonDumps } from "../data/json.ts";
export {
  /**
   * Re-exported from the JSON codec: a number that must be sent as a Python float (see {@linkcode pyFloat}).
   *
   * @example
   * ```ts
   * import { encodeParams } from "./params.ts";
   * import { PyFloat } from "@oda-hub/oda-api/pickle";
   * encodeParams({ E2_keV: new PyFloat(80) }); // [["E2_keV", "80.0"]]
   * ```
   */
  PyFloat,
};
import { pythonStr } from "../data/python.ts";

/**
 * Mark a number as a Python float, so that `E1_keV: pyFloat(30)` is sent as
 * `30.0`, like Python's `E1_keV=30.0` (same wire text, same job id).
 *
 * @example
 * ```ts
 * import { pyFloat } from "@oda-hub/oda-api";
 * import { encodeParams } from "./params.ts";
 * encodeParams({ E1_keV: pyFloat(30) }); // [["E1_keV", "30.0"]]
 * ```
 */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** Keys that upstream never JSON-encodes. */
const RAW_KEYS = new Set(["scw_list", "selected_catalog", "catalog_selected_objects"]);

function scalarText(key: string, value: unknown): string {
  if (value === null) return "\x00";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pythonStr(value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof PyFloat) return pythonStr(value);
  if (value instanceof Date) return value.toISOString().replace(/Z$/, "");
  throw new OdaError(
    "INVALID_ARGUMENT",
    `Cannot encode parameter '${key}': unsupported value of type ${typeof value}`,
  );
}

/**
 * Encode one parameter value; returns the wire text(s), or `undefined` when
 * the parameter must not be sent.
 *
 * @example
 * ```ts
 * import { encodeParamValue } from "./params.ts";
 * import assert from "node:assert/strict";
 * assert.equal(encodeParamValue("extra_dict", { a: 1 }), '{"a": 1}');
 * encodeParamValue("scw_list", ["066500220010.001", "066500230010.001"]); // two values
 * assert.equal(encodeParamValue("unknown_par", null), "\x00");
 * ```
 */
export function encodeParamValue(key: string, value: unknown): string | string[] | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  if (key === "token" && (value === null || value === "")) return undefined;
  if (RAW_KEYS.has(key)) {
    if (key === "scw_list" && Array.isArray(value)) return value.map((v) => scalarText(key, v));
    if (key === "catalog_selected_objects" && Array.isArray(value)) {
      return value.map((v) => scalarText(key, v)).join(",");
    }
    if (key === "selected_catalog" && value !== null && typeof value === "object") {
      return pythonJsonDumps(value);
    }
    if (
      Array.isArray(value) || (value !== null && typeof value === "object" && !(value instanceof PyFloat))
    ) {
      return pythonJsonDumps(value);
    }
    return scalarText(key, value);
  }
  if (
    Array.isArray(value) || value instanceof Set ||
    (value !== null && typeof value === "object" && !(value instanceof PyFloat) && !(value instanceof Date))
  ) {
    return pythonJsonDumps(value instanceof Set ? [...value] : value);
  }
  return scalarText(key, value);
}

/**
 * Encode a parameter dictionary into ordered `[key, value]` pairs (repeated
 * keys for `scw_list` arrays), keeping the caller's key order.
 *
 * @example
 * ```ts
 * import { encodeParams } from "./params.ts";
 * encodeParams({ RA: 83.63, E1_keV: 28.5, flag: true, x: null });
 * // [["RA", "83.63"], ["E1_keV", "28.5"], ["flag", "True"], ["x", "\x00"]]
 * ```
 */
export function encodeParams(params: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(params)) {
    const enc = encodeParamValue(k, v);
    if (enc === undefined) continue;
    if (Array.isArray(enc)) { for (const e of enc) out.push([k, e]); }
    else out.push([k, enc]);
  }
  return out;
}

const encoder = new TextEncoder();
const SAFE = /[A-Za-z0-9_.~-]/;

/**
 * Python's `urllib.parse.quote_plus` (what `requests` uses for query strings
 * and form bodies): UTF-8, `[A-Za-z0-9_.~-]` kept, space → `+`, rest `%XX`.
 *
 * @example
 * ```ts
 * import { quotePlus } from "./params.ts";
 * import assert from "node:assert/strict";
 * assert.equal(quotePlus("2019-01-01T00:00:00"), "2019-01-01T00%3A00%3A00");
 * ```
 */
export function quotePlus(text: string): string {
  let out = "";
  for (const ch of text) {
    if (SAFE.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else {
      for (const b of encoder.encode(ch)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

/**
 * Form-encode pairs (`a=1&b=2`), for a query string or an
 * `application/x-www-form-urlencoded` body.
 *
 * @example
 * ```ts
 * import { formEncode } from "./params.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formEncode([["T1", "2019-01-01T00:00:00"], ["x", "\x00"]]), "T1=2019-01-01T00%3A00%3A00&x=%00");
 * ```
 */
export function formEncode(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join("&");
}

/**
 * The size oda_api compares with its 1000-character limit to choose POST:
 * the length of the Python `json.dumps` of the payload (repeated keys as a list).
 *
 * @example
 * ```ts
 * import { payloadJsonLength } from "./params.ts";
 * payloadJsonLength([["a", "1"]]); // 10, the length of '{"a": "1"}'
 * ```
 */
export function payloadJsonLength(pairs: ReadonlyArray<readonly [string, string]>): number {
  const dict: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = dict[k];
    if (prev === undefined) dict[k] = v;
    else dict[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return pythonJsonDumps(dict).length;
}

/**
 * oda_api's `max_get_method_size`: above this JSON size the request is a form POST.
 *
 * @example
 * ```ts
 * import { MAX_GET_METHOD_SIZE, payloadJsonLength } from "./params.ts";
 * import assert from "node:assert/strict";
 * const post = payloadJsonLength([["RA", "83.63"]]) > MAX_GET_METHOD_SIZE;
 * assert.equal(post, false);
 * ```
 */
export const MAX_GET_METHOD_SIZE = 1000;
