/**
 * Pretty-printing of token payloads exactly as oda_api prints them
 * (`json.dumps(payload, indent=4, sort_keys=True)`).
 *
 * @module
 */
import type { OdaTokenPayload } from "./decode.ts";

function pyString(s: string): string {
  // json.dumps(ensure_ascii=True): every non-ASCII code unit becomes \uXXXX
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  return JSON.stringify(n);
}

function dump(value: unknown, indent: string): string {
  const inner = indent + "    ";
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return "[\n" + value.map((v) => inner + dump(v, inner)).join(",\n") + "\n" + indent + "]";
  }
  if (typeof value === "object") {
    const keys = Object.keys(value as Record<string, unknown>).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return "{}";
    return "{\n" +
      keys.map((k) => `${inner}${pyString(k)}: ${dump((value as Record<string, unknown>)[k], inner)}`).join(
        ",\n",
      ) +
      "\n" + indent + "}";
  }
  return pyString(String(value));
}

/**
 * The payload as pretty JSON with sorted keys and a 4-space indent, byte for
 * byte like Python's `json.dumps(payload, indent=4, sort_keys=True)` (non-ASCII
 * characters escaped as `\uXXXX`). This is what follows "your token payload:".
 *
 * @example
 * ```ts
 * import { formatToken } from "@oda-hub/oda-api";
 * formatToken({ sub: "a@b", exp: 1 });
 * // '{\n    "exp": 1,\n    "sub": "a@b"\n}'
 * ```
 */
export function formatToken(payload: OdaTokenPayload | Record<string, unknown>): string {
  return dump(payload, "");
}
