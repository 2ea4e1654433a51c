/**
 * Base64 for the wire: products carry standard base64 (`binarys`) and URL-safe base64 (`BinaryProduct.data`,
 * pictures). Uses V8's native `Uint8Array.fromBase64`/`toBase64` when present (measured in
 * bench/decode_bench.ts: several times faster than `atob` + a copy loop) and a table-driven fallback otherwise.
 *
 * @module
 */
import { DecodeError } from "../errors.ts";

/**
 * Options of {@linkcode decodeBase64} and {@linkcode encodeBase64}.
 *
 * @example
 * ```ts
 * import { type Base64Options, encodeBase64 } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const opts: Base64Options = { urlSafe: true };
 * assert.equal(encodeBase64(new Uint8Array([251, 255]), opts), "-_8=");
 * ```
 */
export interface Base64Options {
  /** URL-safe alphabet (`-` `_`) preferred. Decoding always accepts both alphabets. */
  urlSafe?: boolean;
}

type FromBase64 = (s: string, o?: { alphabet?: string; lastChunkHandling?: string }) => Uint8Array;
type ToBase64 = (this: Uint8Array, o?: { alphabet?: string; omitPadding?: boolean }) => string;

const nativeFrom: FromBase64 | undefined = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
/** The signature of `Uint8Array.prototype.setFromBase64` (TC39 base64 proposal). */
export type SetFromBase64 = (
  this: Uint8Array,
  s: string,
  o?: { alphabet?: string; lastChunkHandling?: string },
) => { read: number; written: number };

/**
 * The runtime's own `Uint8Array.prototype.setFromBase64`, or `undefined` where it has none.
 *
 * @example
 * ```ts
 * import { nativeSetFromBase64 } from "./base64.ts";
 * const out = new Uint8Array(3);
 * if (nativeSetFromBase64) nativeSetFromBase64.call(out, "AQID"); // out = [1, 2, 3]
 * ```
 */
export const nativeSetFromBase64: SetFromBase64 | undefined =
  (Uint8Array.prototype as unknown as { setFromBase64?: SetFromBase64 }).setFromBase64;

/**
 * Bytes that base64 text without whitespace decodes to (an upper bound when it has whitespace, which only
 * wastes a little room).
 */
function decodedLength(text: string): number {
  let n = text.length;
  while (n > 0 && text.charCodeAt(n - 1) === 61) n--;
  const rem = n % 4;
  return Math.floor(n / 4) * 3 + (rem === 0 ? 0 : rem - 1 > 0 ? rem - 1 : 0);
}
const nativeTo: ToBase64 | undefined = (Uint8Array.prototype as unknown as { toBase64?: ToBase64 }).toBase64;

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  LOOKUP[STD.charCodeAt(i)] = i;
  LOOKUP[URL.charCodeAt(i)] = i;
}
const WS = -2;
for (const c of [9, 10, 12, 13, 32]) LOOKUP[c] = WS;

function badChar(text: string): DecodeError {
  let pad = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? LOOKUP[c] : -1;
    if (c === 61) {
      pad = true;
      continue;
    }
    if (v === WS) continue;
    if (v < 0 || pad) {
      const shown = c >= 32 && c < 127 ? `'${text[i]}'` : `U+${c.toString(16).padStart(4, "0")}`;
      return new DecodeError(
        "MALFORMED_RESPONSE",
        `invalid base64: ${pad && v >= 0 ? "data after padding" : `character ${shown}`} at position ${i}`,
      );
    }
  }
  return new DecodeError("MALFORMED_RESPONSE", "invalid base64: bad length or padding");
}

/** Portable decoder (both alphabets, whitespace skipped, padding optional). */
function decodeFallback(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let bits = 0;
  let i = 0;
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? LOOKUP[c] : -1;
    if (v >= 0) {
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >> bits) & 0xff;
      }
    } else if (v === WS) continue;
    else if (c === 61) break;
    else throw badChar(text);
  }
  // only padding and whitespace may follow
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 61 && !(c < 256 && LOOKUP[c] === WS)) throw badChar(text);
  }
  if (bits >= 6) throw new DecodeError("MALFORMED_RESPONSE", "invalid base64: truncated final group");
  return out.subarray(0, o);
}

/**
 * Decode base64 text into bytes. Accepts the standard and the URL-safe alphabet (also mixed, like Python's
 * `urlsafe_b64decode`), ASCII whitespace anywhere and missing `=` padding; any other character raises
 * `DecodeError` (code `"MALFORMED_RESPONSE"`) with its position.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "@oda-hub/oda-api/pickle";
 * decodeBase64("AQID-_8"); // Uint8Array [1, 2, 3, 251, 255]
 * decodeBase64("AQID+/8=", { urlSafe: false }); // the same bytes
 * ```
 */
export function decodeBase64(text: string, options: Base64Options = {}): Uint8Array {
  if (nativeFrom === undefined) return decodeFallback(text);
  const first = options.urlSafe ? "base64url" : "base64";
  if (nativeSetFromBase64 !== undefined) {
    // Decode into a buffer of the exact size: `fromBase64` decodes into a temporary and copies (twice the
    // memory of the bytes at its peak, and about 2× slower for big payloads).
    const out = new Uint8Array(decodedLength(text));
    try {
      const r = nativeSetFromBase64.call(out, text, { alphabet: first });
      if (r.read === text.length) return r.written === out.length ? out : out.subarray(0, r.written);
    } catch {
      // other alphabet or a real error: the paths below sort it out
    }
  }
  try {
    return nativeFrom(text, { alphabet: first });
  } catch {
    // other alphabet, mixed alphabets, or a real error (reported by the scan below)
  }
  try {
    return nativeFrom(text, { alphabet: options.urlSafe ? "base64" : "base64url" });
  } catch {
    // fall through
  }
  if (text.includes("-") || text.includes("_")) {
    try {
      return nativeFrom(text.replaceAll("-", "+").replaceAll("_", "/"), { alphabet: "base64" });
    } catch {
      // fall through
    }
  }
  throw badChar(text);
}

/** Portable encoder. */
function encodeFallback(bytes: Uint8Array, urlSafe: boolean): string {
  const chunk = 0x8000 - (0x8000 % 3);
  let out = "";
  for (let i = 0; i < bytes.length; i += chunk) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]));
  }
  return urlSafe ? out.replaceAll("+", "-").replaceAll("/", "_") : out;
}

/**
 * Encode bytes as base64 with `=` padding: the standard alphabet by default (what `binarys` uses), the
 * URL-safe one with `{ urlSafe: true }` (what `BinaryProduct.data` and pictures use).
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * assert.equal(encodeBase64(new Uint8Array([1, 2, 3, 251, 255])), "AQID+/8=");
 * assert.equal(encodeBase64(new Uint8Array([1, 2, 3, 251, 255]), { urlSafe: true }), "AQID-_8=");
 * ```
 */
export function encodeBase64(bytes: Uint8Array, options: Base64Options = {}): string {
  if (nativeTo !== undefined) {
    return nativeTo.call(bytes, { alphabet: options.urlSafe ? "base64url" : "base64" });
  }
  return encodeFallback(bytes, options.urlSafe === true);
}

/** @internal Portable implementations, exported for tests and the benchmark. */
export const _base64Fallback: {
  decode: (text: string) => Uint8Array;
  encode: (bytes: Uint8Array, urlSafe: boolean) => string;
} = { decode: decodeFallback, encode: encodeFallback };
