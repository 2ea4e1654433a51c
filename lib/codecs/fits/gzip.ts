/**
 * gzip support for `.fits.gz`, through `node:zlib` (synchronous, native speed).
 *
 * @module
 */
import { DecodeError, errorMessage, OdaError } from "../../errors.ts";
import { nodeBuiltin } from "../../_runtime.ts";
import type { DecodeBudget } from "../budget.ts";

type Zlib = {
  gunzipSync(b: Uint8Array, o?: { maxOutputLength?: number }): Uint8Array;
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

/**
 * Inflate gzip bytes (all members); corrupt input → `DecodeError("FITS")`. With a budget, the output is capped
 * at {@linkcode DecodeBudget.inflateLimit} bytes (a gzip bomb stops there: `DecodeError("DECODE_LIMIT")`).
 */
export function gunzip(bytes: Uint8Array, budget?: DecodeBudget): Uint8Array {
  const { gunzipSync } = zlib("reading gzip-compressed FITS");
  const max = budget?.inflateLimit(bytes.length);
  let out;
  try {
    // maxOutputLength 0 would mean "no limit" to zlib: 1 byte makes any non-empty output fail
    out = max === undefined ? gunzipSync(bytes) : gunzipSync(bytes, { maxOutputLength: Math.max(1, max) });
  } catch (e) {
    if (max !== undefined && (e as { code?: unknown })?.code === "ERR_BUFFER_TOO_LARGE") {
      throw new DecodeError(
        "DECODE_LIMIT",
        `gzip data inflates to more than ${max} bytes (${bytes.length} compressed): refused. If the file is ` +
          `trusted, raise the cap with { decodeBudget: { maxInflatedBytes: ${2 * max} } }`,
      );
    }
    throw new DecodeError("FITS", `gzip data could not be inflated: ${errorMessage(e)}`, { cause: e });
  }
  budget?.chargeInflated(out.byteLength);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Deflate into gzip format. */
export function gzip(bytes: Uint8Array, level = 6): Uint8Array {
  const out = zlib("writing gzip-compressed FITS").gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
