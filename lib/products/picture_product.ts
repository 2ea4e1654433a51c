/**
 * `PictureProduct`: an image file (PNG, JPEG, SVG, ...) with metadata, as in
 * `binary_image_product_list`.
 *
 * @module
 */
import type { Product } from "./product.ts";
import { decodeBase64, encodeBase64 } from "../data/base64.ts";
import { encodedDict } from "./_decode.ts";
import { DecodeError } from "../errors.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "./files.ts";
import { guessExtension, IMAGE_EXTENSIONS } from "./magic.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

/**
 * The wire form of a {@linkcode PictureProduct}.
 *
 * @example
 * ```ts
 * import { PictureProduct } from "@oda-hub/oda-api";
 * import { type EncodedPictureProduct } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
 * const wire: EncodedPictureProduct = new PictureProduct(png, { name: "plot" }).encode();
 * assert.equal(wire.img_type, "png");
 * assert.equal(PictureProduct.decode(wire).binary_data.length, 12);
 * ```
 */
export interface EncodedPictureProduct {
  /** Image type (`png`, `jpeg`, ...). */
  img_type: string;
  /** URL-safe base64 of the image file. */
  b64data: string;
  /** Metadata dict. */
  metadata: Record<string, unknown>;
  /** Product name or `null`. */
  name: string | null;
  /** Original file name, if any. */
  filename?: string;
}

/**
 * Options of the {@linkcode PictureProduct} constructor.
 *
 * @example
 * ```ts
 * import { PictureProduct } from "@oda-hub/oda-api";
 * import { type PictureProductOptions } from "./picture_product.ts";
 * import assert from "node:assert/strict";
 * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
 * const opts: PictureProductOptions = {
 *   name: "lc_plot",
 *   metadata: { source: "Crab" },
 *   filename: "/tmp/plots/lc.png",
 * };
 * assert.equal(new PictureProduct(png, opts).file_path, "lc.png");
 * ```
 */
export interface PictureProductOptions {
  /** Product name. */
  name?: string | null | undefined;
  /** Metadata dict (note: `metadata`, not `meta_data`, as in oda_api). */
  metadata?: Record<string, unknown>;
  /** Original file name (only its base name is kept). */
  filename?: string | null;
}

/**
 * An image product (the Python `PictureProduct`). The bytes must be an image
 * (`DecodeError("PRODUCT")` otherwise); `img_type` is detected from them.
 *
 * @example
 * ```ts
 * import { PictureProduct } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
 * const pic = new PictureProduct(png, { name: "plot" });
 * assert.equal(pic.img_type, "png");
 * ```
 */
export class PictureProduct implements Product {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return {
      kind: "picture",
      title: `PictureProduct ${this.name ?? ""} (${this.img_type}, ${this.binary_data.length} bytes)`,
      imgType: this.img_type,
      bytes: this.binary_data,
    };
  }

  /** Image file bytes. */
  binary_data: Uint8Array;
  /** Metadata dict. */
  metadata: Record<string, unknown>;
  /** Name. */
  name: string | null;
  /** Detected type (`png`, `jpeg`, `gif`, `svg`, ...). */
  img_type: string;
  /** Base name of the original file, if known. */
  file_path: string | null;

  /** Wrap image bytes. */
  constructor(binary_data: Uint8Array, options: PictureProductOptions = {}) {
    const ext = guessExtension(binary_data);
    if (ext === undefined || !IMAGE_EXTENSIONS.has(ext)) {
      throw new DecodeError("PRODUCT", "Provided data is not an image");
    }
    this.binary_data = binary_data;
    this.metadata = options.metadata ?? {};
    this.name = options.name ?? null;
    this.img_type = ext === "jpg" ? "jpeg" : ext;
    this.file_path = options.filename ? options.filename.slice(options.filename.lastIndexOf("/") + 1) : null;
  }

  /** The wire dict. */
  encode(): EncodedPictureProduct {
    const out: EncodedPictureProduct = {
      img_type: this.img_type,
      b64data: encodeBase64(this.binary_data, { urlSafe: true }),
      metadata: this.metadata,
      name: this.name,
    };
    if (this.file_path) out.filename = this.file_path;
    return out;
  }

  /**
   * Decode the wire dict (or its JSON text); `metadata` is required, as in
   * oda_api.
   *
   * @example
   * ```ts ignore
   * const pic = PictureProduct.decode(response.products.binary_image_product_list[0]);
   * ```
   */
  static decode(encoded: EncodedPictureProduct | string | Record<string, unknown>): PictureProduct {
    const o = encodedDict(encoded, "PictureProduct");
    if (typeof o.b64data !== "string") {
      throw new DecodeError("PRODUCT", "PictureProduct needs 'b64data'");
    }
    if (!o.metadata || typeof o.metadata !== "object") {
      throw new DecodeError("PRODUCT", "PictureProduct needs 'metadata'");
    }
    return new PictureProduct(decodeBase64(o.b64data, { urlSafe: true }), {
      metadata: o.metadata as Record<string, unknown>,
      name: typeof o.name === "string" ? o.name : null,
      filename: typeof o.filename === "string" ? o.filename : null,
    });
  }

  /** File extension: the image type. */
  suggestFnExtension(): string {
    return this.img_type;
  }

  /**
   * Write the image file (atomic; `overwrite` default `false`).
   *
   * @example
   * ```ts ignore
   * await pic.writeFile("plot.png");
   * ```
   */
  async writeFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    await writeFileAtomic(path, this.binary_data, options);
  }
}
