/**
 * gzip support for `.fits.gz`, through `node:zlib` (synchronous, native speed).
 *
 * @module
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { DecodeError } from "../../errors.ts";

/** Whether `bytes` starts with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflate gzip bytes (all members); corrupt input → `DecodeError("FITS")`. */
export function gunzip(bytes: Uint8Array): Uint8Array {
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new DecodeError("FITS", `gzip data could not be inflated: ${(e as Error).message}`, { cause: e });
  }
}

/** Deflate into gzip format. */
export function gzip(bytes: Uint8Array, level = 6): Uint8Array {
  const out = gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
