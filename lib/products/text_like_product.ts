/**
 * `TextLikeProduct`: a named value (usually text) with metadata, as in
 * `text_product_list` (nb2workflow outputs).
 *
 * @module
 */
import type { Product } from "./product.ts";
import { encodedDict } from "./_decode.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { pythonRepr } from "../data/python.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "./files.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

/**
 * The wire form of a {@linkcode TextLikeProduct}.
 *
 * @example
 * ```ts
 * import { TextLikeProduct } from "@oda-hub/oda-api";
 * import { type EncodedTextLikeProduct } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const wire: EncodedTextLikeProduct = { name: "text_output", value: "Just some text", meta_data: {} };
 * assert.equal(TextLikeProduct.decode(wire).value, "Just some text");
 * ```
 */
export interface EncodedTextLikeProduct {
  /** Name or `null`. */
  name: string | null;
  /** The value (any JSON; usually a string). */
  value: unknown;
  /** Metadata dict (nb2workflow adds `uri`). */
  meta_data: Record<string, unknown>;
}

/**
 * A text-like product (the Python `TextLikeProduct`).
 *
 * @example
 * ```ts
 * import { TextLikeProduct } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const t = TextLikeProduct.decode({ name: "text_output", value: "Just some text", meta_data: {} });
 * assert.equal(t.toString(), "{'name': 'text_output', 'value': 'Just some text', 'meta_data': {}}");
 * ```
 */
export class TextLikeProduct implements Product {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "text", title: this.name ?? "text", value: this.value };
  }

  /** The value. */
  value: unknown;
  /** Name. */
  name: string | null;
  /** Metadata dict. */
  meta_data: Record<string, unknown>;

  /** Build a product. */
  constructor(value: unknown, name: string | null = null, meta_data: Record<string, unknown> = {}) {
    this.value = value;
    this.name = name;
    this.meta_data = meta_data;
  }

  /** The wire dict. */
  encode(): EncodedTextLikeProduct {
    return { name: this.name, value: this.value, meta_data: this.meta_data };
  }

  /**
   * Decode the wire dict (or its JSON text); `value` is required.
   *
   * @example
   * ```ts
   * import { TextLikeProduct } from "@oda-hub/oda-api";
   * TextLikeProduct.decode('{"name": "n", "value": 5}').value; // 5
   * ```
   */
  static decode(encoded: EncodedTextLikeProduct | string | Record<string, unknown>): TextLikeProduct {
    const o = encodedDict(encoded, "TextLikeProduct");
    if (!("value" in o)) {
      throw new DecodeError("PRODUCT", "TextLikeProduct needs a 'value'");
    }
    const meta = o.meta_data;
    return new TextLikeProduct(
      o.value,
      typeof o.name === "string" ? o.name : null,
      meta && typeof meta === "object" && !Array.isArray(meta) ? meta as Record<string, unknown> : {},
    );
  }

  /** Python `repr()` of the encoded dict (what oda_api prints). */
  toString(): string {
    return pythonRepr(this.encode());
  }

  /** File extension: `txt`. */
  suggestFnExtension(): string {
    return "txt";
  }

  /**
   * Write the value as text (strings as they are, anything else as JSON).
   *
   * @example
   * ```ts ignore
   * await text.writeFile("out.txt");
   * ```
   */
  async writeFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    let text: string;
    try {
      text = typeof this.value === "string" ? this.value : JSON.stringify(this.value);
    } catch {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `text product ${this.name ?? "None"}: its value cannot be written as JSON`,
      );
    }
    await writeFileAtomic(path, text, options);
  }
}
