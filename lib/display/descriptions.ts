/**
 * Product descriptions (`getProductDescription()` results) as one tidy table:
 * query, parameter, default value, units.
 *
 * @module
 */
import { escapeHtml, formatValue, htmlTable, viewHtml } from "./html.ts";
import { $display, type Displayable, type MimeBundle } from "./jupyter.ts";

/**
 * The shape of a product description (`getProductDescription()` result).
 *
 * @example
 * ```ts
 * import { type ProductDescriptionLike, productDescriptionView } from "@oda-hub/oda-api/display";
 * const d: ProductDescriptionLike = {
 *   instrument: "isgri",
 *   product: "isgri_image",
 *   queries: [{ query_name: "src_query", parameters: [{ name: "RA", units: "deg", value: 83.63 }] }],
 * };
 * const view = productDescriptionView(d); // shows a query / parameter / default / units table
 * ```
 */
export interface ProductDescriptionLike {
  /** Instrument. */
  instrument: string;
  /** Product. */
  product: string;
  /** Queries with their parameters. */
  queries: {
    query_name: string;
    product_name?: string;
    parameters: { name: string; units: string | null; value: unknown }[];
  }[];
  /** The printed listing. */
  text?: string;
}

/**
 * Bundle of a product description: one tidy table (query, parameter,
 * default value, units) plus the oda_api-style listing as text.
 *
 * @example
 * ```ts
 * import { productDescriptionBundle } from "@oda-hub/oda-api/display";
 * productDescriptionBundle({ instrument: "isgri", product: "isgri_lc", queries: [
 *   { query_name: "src_query", parameters: [{ name: "RA", units: "deg", value: 0 }] }] });
 * ```
 */
export function productDescriptionBundle(d: ProductDescriptionLike): MimeBundle {
  const rows: string[][] = [];
  for (const q of d.queries) {
    for (const p of q.parameters) {
      // defaults in full precision (coordinates!), not the 6 significant digits of data tables
      const v = typeof p.value === "number" ? String(p.value) : formatValue(p.value, 120);
      rows.push([q.query_name, p.name, v, p.units ?? "None"]);
    }
    if (!q.parameters.length) {
      rows.push([q.query_name, q.product_name ? `(product ${q.product_name})` : "", "", ""]);
    }
  }
  return {
    "text/plain": d.text ?? rows.map((r) => r.join("  ")).join("\n"),
    "text/html": viewHtml(
      `<div class="title">parameters for product ${escapeHtml(d.product)} and instrument ${
        escapeHtml(d.instrument)
      }</div>` +
        htmlTable({ headers: ["query", "parameter", "default value", "units"], rows }),
    ),
  };
}

/**
 * Wrap a product description so it displays as a table in a notebook.
 *
 * @example
 * ```ts
 * import { productDescriptionView } from "@oda-hub/oda-api/display";
 * const view = productDescriptionView({ instrument: "isgri", product: "isgri_lc", queries: [] });
 * ```
 */
export function productDescriptionView<T extends ProductDescriptionLike>(d: T): T & Displayable {
  Object.defineProperty(d, $display, {
    value: () => productDescriptionBundle(d),
    enumerable: false,
    configurable: true,
  });
  return d as T & Displayable;
}
