/**
 * Internal: the one decode prelude of every product type. A product's wire form arrives as a dict or as its
 * JSON text; text is parsed by the tolerant `parseJson` (Python's `NaN`, `Infinity`, big integers), and
 * anything that is not a dict is `DecodeError("PRODUCT")` naming the product type.
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import { parseJson } from "../data/json.ts";

/**
 * The encoded product as a dict (parsed when given as text).
 *
 * @example
 * ```ts
 * import { encodedDict } from "./_decode.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(encodedDict('{"value": NaN}', "TextLikeProduct"), { value: NaN });
 * ```
 */
export function encodedDict(encoded: unknown, type: string): Record<string, unknown> {
  let o = encoded;
  if (typeof encoded === "string") {
    try {
      o = parseJson(encoded);
    } catch (e) {
      throw new DecodeError("PRODUCT", `${type} text is not JSON`, { cause: e });
    }
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new DecodeError("PRODUCT", `${type} is not a dict`);
  }
  return o as Record<string, unknown>;
}
