/**
 * What every product type of a `DataCollection` has in common, as in oda_api: a name, a file-name
 * suggestion and a writer, plus its notebook view. The collection names, lists and saves products, and the
 * display draws them, through this interface only; a new product type implements it (see
 * docs/CONTRIBUTING.md, "Add a product type").
 *
 * @module
 */
import type { AtomicWriteOptions } from "./files.ts";
import type { HasNotebookView } from "./view.ts";

/**
 * A decoded product (`NumpyDataProduct`, `BinaryProduct`, `ApiCatalog`, `ODAAstropyTable`,
 * `PictureProduct`, `TextLikeProduct`): its name, how it is saved, and what it shows in a notebook
 * (`notebookView()`, drawn by the display layer).
 *
 * @example
 * ```ts
 * import { type Product, TextLikeProduct } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const p: Product = new TextLikeProduct("hello", "note");
 * assert.equal(p.suggestFnExtension(), "txt");
 * ```
 */
export interface Product extends HasNotebookView {
  /** oda_api's product name (`null` when the server gave none). */
  readonly name: string | null | undefined;
  /** File extension oda_api would use when saving (`fits`, `ecsv`, `png`, `txt`...). */
  suggestFnExtension(): string;
  /** Write the product to `path` (atomically). */
  writeFile(path: string, options?: AtomicWriteOptions): Promise<void>;
}

/**
 * Whether `x` is a decoded product (as opposed to a raw dict or text the collection keeps undecoded).
 *
 * @example
 * ```ts
 * import { isProduct } from "./product.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isProduct({ undecoded: true }), false);
 * ```
 */
export function isProduct(x: unknown): x is Product {
  return typeof x === "object" && x !== null && "name" in x &&
    typeof (x as Product).suggestFnExtension === "function" && typeof (x as Product).writeFile === "function";
}
