/**
 * What a product-layer object shows in a notebook, described as data: each product class says what it is
 * through its own `notebookView()` method (a table with a title, a picture, a text, data units...), and the
 * display layer draws each kind of view. The product type → view mapping therefore lives in the product
 * class itself, the one place a product type is written; the display never branches on product classes, so
 * a new product type whose view is one of these kinds needs no display code (docs/CONTRIBUTING.md, "Add a
 * product type").
 *
 * @module
 */
import type { Table } from "../data/ndarray.ts";
import type { DataCollection } from "./collection.ts";
import type { LightCurve } from "./light_curve.ts";
import type { NumpyDataProduct } from "./numpy_data_product.ts";
import type { NumpyDataUnit } from "./numpy_data_unit.ts";

/**
 * A product-layer object's notebook view, by kind:
 *
 * | kind | drawn as |
 * |---|---|
 * | `table` | HTML table (row limit), tabular data resource, aligned text, under `title` |
 * | `picture` | the image itself (`png`, `jpg`/`jpeg`, `svg`; other types: the title only) |
 * | `text` | `title` and the value as text |
 * | `note` | one line of text |
 * | `dataProduct` | metadata, data units, thumbnail of its light curve or sky image |
 * | `dataUnit` | one unit: shape, columns, first rows, header |
 * | `lightCurve` | the full light-curve plot |
 * | `collection` | the products' table (each product's kind and `summary`) |
 *
 * `summary` is the product's line in a collection's "data units" column (empty when absent).
 *
 * @example
 * ```ts
 * import type { NotebookView } from "@oda-hub/oda-api";
 * const rows = { kind: "table" as const, length: 1, columns: [
 *   { name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([7000.5]) }] };
 * const view: NotebookView = { kind: "table", title: "EventList: 1 event", summary: "1 event", table: () => rows };
 * console.log(view.kind); // "table"
 * ```
 */
export type NotebookView =
  | {
    kind: "table";
    /** Heading over the table (and first line of its text). */
    title: string;
    /** The rows, built when drawn. */
    table: () => Table;
    /** The product's line in a collection's "data units" column. */
    summary?: string | undefined;
  }
  | {
    kind: "picture";
    /** One line naming the picture (its text form). */
    title: string;
    /** oda_api's `img_type` (`png`, `jpg`, `svg`...). */
    imgType: string;
    /** The image file's bytes. */
    bytes: Uint8Array;
    /** The product's line in a collection's "data units" column. */
    summary?: string | undefined;
  }
  | {
    kind: "text";
    /** Heading. */
    title: string;
    /** The text (a non-string value is shown formatted). */
    value: unknown;
    /** The product's line in a collection's "data units" column. */
    summary?: string | undefined;
  }
  | {
    kind: "note";
    /** The line shown. */
    text: string;
    /** The product's line in a collection's "data units" column. */
    summary?: string | undefined;
  }
  | { kind: "dataProduct"; product: NumpyDataProduct; summary?: string | undefined }
  | { kind: "dataUnit"; unit: NumpyDataUnit; summary?: string | undefined }
  | { kind: "lightCurve"; lightCurve: LightCurve; summary?: string | undefined }
  | { kind: "collection"; collection: DataCollection; summary?: string | undefined };

/**
 * An object with a notebook view (every product class; `Product` includes it).
 *
 * @example
 * ```ts
 * import type { HasNotebookView } from "@oda-hub/oda-api";
 * const hello: HasNotebookView = { notebookView: () => ({ kind: "note", text: "hello" }) };
 * ```
 */
export interface HasNotebookView {
  /** What this object shows in a notebook (the display layer draws it; see {@linkcode NotebookView}). */
  notebookView(): NotebookView;
}

/**
 * The notebook view of `x`, or `undefined` when it has none (a raw dict the collection keeps undecoded).
 *
 * @example
 * ```ts
 * import { TextLikeProduct } from "@oda-hub/oda-api";
 * import { notebookViewOf } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(notebookViewOf(new TextLikeProduct("hi", "note"))?.kind, "text");
 * assert.equal(notebookViewOf({ undecoded: true }), undefined);
 * ```
 */
export function notebookViewOf(x: unknown): NotebookView | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const f = (x as Partial<HasNotebookView>).notebookView;
  return typeof f === "function" ? f.call(x) : undefined;
}
