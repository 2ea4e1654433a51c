/**
 * gzip support for `.fits.gz`, through `node:zlib` (synchronous, native speed).
 *
 * @module
 */
import { DecodeError, OdaError } from "../../errors.ts";
import { nodeBuiltin } from "../../_runtime.ts";

type Zlib = {
  gunzipSync(b: Uint8Array): Uint8Array;
  gzipSync(b: Uint8Array, o: { level: number }): Uint8Array;
};

function zlib(what: string): Zlib {
  const z = nodeBuiltin<Zlib>("node:zlib");
  if (!z) {
    throw new OdaError(
      "UNSUPPORTED_RUNTIME",
      `${what} needs zlib (Deno or Node); not available in this runtime`,
    );
  }
  return z;
}

/** Whether `bytes` starts with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflate gzip bytes (all members); corrupt input → `DecodeError("FITS")`. */
export function gunzip(bytes: Uint8Array): Uint8Array {
  const { gunzipSync } = zlib("reading gzip-compressed FITS");
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new DecodeError("FITS", `gzip data could not be inflated: ${(e as Error).message}`, { cause: e });
  }
}

/** Deflate into gzip format. */
export function gzip(bytes: Uint8Array, level = 6): Uint8Array {
  const out = zlib("writing gzip-compressed FITS").gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
