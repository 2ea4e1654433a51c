/**
 * Conversions of values that may come from a server answer (header values, `meta_data`, column names, table
 * cells) without ever running code the value carries: an object's own `valueOf`, `toString`,
 * `Symbol.toPrimitive`, getters or proxy traps are never used to turn it into a number or a string
 * (issue #17: only `OdaError` escapes a public entry point).
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { PyFloat } from "./json.ts";
import { pythonStr } from "./python.ts";

/**
 * The values as a `Float64Array`: the array itself when it already is one, else each value through
 * {@linkcode toNumberSafe}.
 *
 * @example
 * ```ts
 * import { toFloat64Safe } from "./_coerce.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(toFloat64Safe(["1.5", 2])), [1.5, 2]);
 * ```
 */
export function toFloat64Safe(values: ArrayLike<unknown>): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values, toNumberSafe);
}

/**
 * A number from a primitive (as `Number(v)` does: strings parsed, `null` → 0, `true` → 1, bigints rounded),
 * a {@linkcode PyFloat}'s value, and `NaN` for any other object, function or symbol: their conversions are
 * never called.
 *
 * @example
 * ```ts
 * import { toNumberSafe } from "./_coerce.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toNumberSafe("2.5"), 2.5);
 * toNumberSafe({ valueOf: () => 3 }); // NaN
 * ```
 */
export function toNumberSafe(v: unknown): number {
  switch (typeof v) {
    case "number":
      return v;
    case "string":
    case "bigint":
    case "boolean":
    case "undefined":
      return Number(v);
    case "object":
      if (v === null) return 0;
      try {
        return v instanceof PyFloat ? v.value : NaN;
      } catch {
        return NaN; // a proxy whose getPrototypeOf trap throws
      }
    default:
      return NaN;
  }
}

/**
 * A string from any value: primitives as `String(v)` does, objects as Python's `str()` (a dict or list as its
 * repr, through {@linkcode pythonStr}, which reads plain data and never calls an object's own conversions).
 * An object that cannot even be read (a throwing getter, a revoked proxy) is a
 * `DecodeError("PRODUCT")` naming `what`.
 *
 * @example
 * ```ts
 * import { toTextSafe } from "./_coerce.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toTextSafe("RA---TAN"), "RA---TAN");
 * assert.equal(toTextSafe({ toString: 1 }), "{'toString': 1}");
 * ```
 */
export function toTextSafe(v: unknown, what = "a value"): string {
  if (typeof v === "string") return v;
  if ((typeof v !== "object" && typeof v !== "function") || v === null) return String(v);
  try {
    return pythonStr(v);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    throw new DecodeError("PRODUCT", `${what} cannot be read as text (an object whose conversion fails)`);
  }
}

/**
 * `v instanceof PyFloat` that is `false`, not an exception, for a proxy whose `getPrototypeOf` trap throws
 * or that was revoked.
 *
 * @example
 * ```ts
 * import { isPyFloatSafe } from "./_coerce.ts";
 * import { PyFloat } from "../data/json.ts";
 * isPyFloatSafe(new PyFloat(1)); // true
 * ```
 */
export function isPyFloatSafe(v: unknown): v is PyFloat {
  if (typeof v !== "object" || v === null) return false;
  try {
    return v instanceof PyFloat;
  } catch {
    return false;
  }
}

/**
 * `Array.isArray(v)` that is `false`, not an exception, for a revoked proxy.
 *
 * @example
 * ```ts
 * import { isArraySafe } from "./_coerce.ts";
 * isArraySafe([1]); // true
 * ```
 */
export function isArraySafe(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}
