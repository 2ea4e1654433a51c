/**
 * `BinaryProduct` (any file, URL-safe base64 + MD5 on the wire) and the
 * legacy `BinaryData` form (a bare URL-safe base64 string, e.g. POLAR ROOT
 * files).
 *
 * @module
 */
import type { Product } from "./product.ts";
import { md5Hex as md5 } from "../data/md5.ts";
import { decodeBase64, encodeBase64 } from "../data/base64.ts";
import { encodedDict } from "./_decode.ts";
import { DecodeError, FileError, OdaError } from "../errors.ts";
import { type DecodeOptions, interruptCheck, withDeadline } from "../codecs/budget.ts";
import { readFileInPieces } from "../data/read_pieces.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "./files.ts";
import { guessExtension } from "./magic.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";
import { requireDeno } from "../_runtime.ts";

/**
 * The wire form of a {@linkcode BinaryProduct}.
 *
 * @example
 * ```ts
 * import { BinaryProduct } from "@oda-hub/oda-api";
 * import { type EncodedBinaryProduct } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const wire: EncodedBinaryProduct = {
 *   name: "greeting",
 *   data: "aGVsbG8=",
 *   md5: "5d41402abc4b2a76b9719d911017c592",
 * };
 * assert.equal(new TextDecoder().decode(BinaryProduct.decode(wire).bin_data), "hello");
 * ```
 */
export interface EncodedBinaryProduct {
  /** Product name or `null`. */
  name: string | null;
  /** URL-safe base64 (`-`, `_`, `=` padding) of the bytes. */
  data: string;
  /** Hex MD5 of the bytes. */
  md5: string;
}

/** Hex MD5 of bytes. */
function md5Hex(bytes: Uint8Array): string {
  return md5(bytes);
}

/**
 * A binary file product (the Python `BinaryProduct`).
 *
 * @example
 * ```ts
 * import { BinaryProduct } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const p = new BinaryProduct(new TextEncoder().encode("hello"), "greeting");
 * const wire = p.encode(); // { name: "greeting", data: "aGVsbG8=", md5: "5d41402abc4b2a76b9719d911017c592" }
 * assert.equal(BinaryProduct.decode(wire).bin_data.length, 5);
 * ```
 */
export class BinaryProduct implements Product {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "note", text: `BinaryProduct ${this.name ?? ""}: ${this.bin_data.length} bytes` };
  }

  /** The raw bytes. */
  bin_data: Uint8Array;
  /** Name (`"None"` becomes `null`, as in oda_api). */
  name: string | null;

  /** Wrap bytes. */
  constructor(bin_data: Uint8Array, name: string | null = null) {
    this.bin_data = bin_data;
    this.name = name === "None" ? null : name;
  }

  /** The wire dict. */
  encode(): EncodedBinaryProduct {
    return {
      name: this.name,
      data: encodeBase64(this.bin_data, { urlSafe: true }),
      md5: md5Hex(this.bin_data),
    };
  }

  /**
   * Decode the wire dict (or its JSON text); the MD5 must match
   * (`DecodeError("PRODUCT")` otherwise).
   *
   * @example
   * ```ts
   * import { BinaryProduct } from "@oda-hub/oda-api";
   * BinaryProduct.decode({ name: null, data: "aGVsbG8=", md5: "5d41402abc4b2a76b9719d911017c592" }).name; // null
   * ```
   */
  static decode(encoded: EncodedBinaryProduct | string | Record<string, unknown>): BinaryProduct {
    const o = encodedDict(encoded, "BinaryProduct");
    if (typeof o.data !== "string" || typeof o.md5 !== "string") {
      throw new DecodeError("PRODUCT", "BinaryProduct needs 'data' and 'md5' strings");
    }
    const bytes = decodeBase64(o.data, { urlSafe: true });
    const md5 = md5Hex(bytes);
    if (md5 !== o.md5.toLowerCase()) {
      throw new DecodeError(
        "PRODUCT",
        `BinaryProduct MD5 mismatch: expected ${o.md5.slice(0, 64)}, got ${md5}`,
      );
    }
    return new BinaryProduct(bytes, typeof o.name === "string" ? o.name : null);
  }

  /** File extension from the magic bytes, default `bin`. */
  suggestFnExtension(): string {
    return guessExtension(this.bin_data) ?? "bin";
  }

  /**
   * Write the bytes (atomic; `overwrite` default `false`).
   *
   * @example
   * ```ts ignore
   * await product.writeFile("lc.fits", { overwrite: true });
   * ```
   */
  async writeFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    await writeFileAtomic(path, this.bin_data, options);
  }

  /**
   * Read a file into a product (oda_api's `from_file(file_path, name)`). `options.signal` and the time limit
   * (`timeout` in milliseconds from the call, as the client's, or `deadline`, a `Date.now()` time) are
   * checked before every piece read (at most 4 MiB): an abort ends the read with `OdaError("ABORTED")` (or
   * the signal's reason if an `OdaError`), the time limit with `TIMEOUT`.
   *
   * @example
   * ```ts ignore
   * const p = await BinaryProduct.fromFile("lc.fits", "lc", { timeout: 10_000 });
   * ```
   */
  static async fromFile(
    path: string,
    name: string | null = null,
    options: Pick<DecodeOptions, "signal" | "timeout" | "deadline"> = {},
  ): Promise<BinaryProduct> {
    requireDeno("BinaryProduct.fromFile");
    const bounded = withDeadline(options);
    const check = interruptCheck(bounded, `reading ${path}`);
    check();
    let bytes: Uint8Array;
    try {
      bytes = await readFileInPieces(path, check);
    } catch (e) {
      if (e instanceof OdaError) throw e;
      throw new FileError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    return new BinaryProduct(bytes, name);
  }
}

/**
 * Decode a legacy `BinaryData` element (URL-safe base64 text) into raw bytes.
 *
 * @example
 * ```ts
 * import { decodeLegacyBinary } from "./binary_product.ts";
 * decodeLegacyBinary("aGVsbG8="); // Uint8Array(5)
 * ```
 */
export function decodeLegacyBinary(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw new DecodeError("PRODUCT", "legacy binary data must be a base64 string");
  }
  return decodeBase64(text.replace(/[^A-Za-z0-9+/=_-]/g, ""), { urlSafe: true });
}

/**
 * Encode bytes as a legacy `BinaryData` element (URL-safe base64 with padding).
 *
 * @example
 * ```ts
 * import { encodeLegacyBinary } from "./binary_product.ts";
 * import assert from "node:assert/strict";
 * assert.equal(encodeLegacyBinary(new TextEncoder().encode("hello")), "aGVsbG8=");
 * ```
 */
export function encodeLegacyBinary(bytes: Uint8Array): string {
  return encodeBase64(bytes, { urlSafe: true });
}
