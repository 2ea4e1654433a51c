/**
 * ISO-8859-1 decoding (one byte → the code point of the same value), as Python's `bytes.decode("latin-1")`.
 * `new TextDecoder("latin1")` is NOT that: the Encoding Standard maps the label to windows-1252, which turns
 * bytes 0x80–0x9F into other characters (0x80 → "€"), so strings would not survive an encode round trip.
 *
 * @module
 */

const win1252 = new TextDecoder("windows-1252");
const CHUNK = 8192;

/**
 * Decode `bytes` as ISO-8859-1.
 *
 * @example
 * ```ts
 * import { decodeLatin1 } from "./latin1.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeLatin1(new Uint8Array([0x43, 0x80, 0xe9])), "C\u0080é");
 * ```
 */
export function decodeLatin1(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 64) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  // windows-1252 agrees with ISO-8859-1 outside 0x80–0x9F and its native decoder is the fastest for long runs
  let c1 = false;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b >= 0x80 && b <= 0x9f) {
      c1 = true;
      break;
    }
  }
  if (!c1) return win1252.decode(bytes);
  let out = "";
  for (let i = 0; i < n; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return out;
}
