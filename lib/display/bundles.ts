/**
 * Mime bundles of the product objects a user looks at in a notebook: data
 * units and products (a compact summary with a small thumbnail; full plots
 * come from the explicit `plot…()` calls), collections, tables and catalogs
 * (HTML with a row limit), pictures, texts. Every bundle has `text/plain`.
 *
 * The product classes call {@linkcode productDisplay} from their own
 * `[Symbol.for("Jupyter.display")]()` methods; it asks the object for its
 * `notebookView()` (lib/products/view.ts: a table, a picture, a text, data
 * units...) and draws that kind of view ({@linkcode viewBundle}). This file
 * never branches on product classes: a new product type says what it shows in
 * its own class and needs no code here. It only asks the products
 * (`notebookView()`, `lightCurve()`, `skyImage()`) and draws.
 *
 * @module
 */
import type { NdArray, Table, TableColumn } from "../data/ndarray.ts";
import { redactSecrets } from "../errors.ts";
import type { NumpyDataProduct } from "../products/numpy_data_product.ts";
import type { NumpyDataUnit } from "../products/numpy_data_unit.ts";
import type { DataCollection } from "../products/collection.ts";
import { type LightCurve, lightCurve } from "../products/light_curve.ts";
import { skyImage } from "../products/sky_image.ts";
import { type NotebookView, notebookViewOf } from "../products/view.ts";
import {
  DEFAULT_ROW_LIMIT,
  details,
  escapeHtml,
  formatValue,
  htmlTable,
  recordTable,
  tableToDataResource,
  tableToHtml,
  tableToText,
  viewHtml,
} from "./html.ts";
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { LightCurvePlot } from "./light_curve_plot.ts";
import { svgToPng } from "./render.ts";
import { encodePng, rasterize } from "./image.ts";

/**
 * Largest thumbnail (PNG bytes) embedded in a product summary.
 *
 * @example
 * ```ts
 * import { THUMBNAIL_MAX_BYTES } from "@oda-hub/oda-api/display";
 * console.log(`summaries embed at most ${THUMBNAIL_MAX_BYTES / 1000} KB of picture`);
 * ```
 */
export const THUMBNAIL_MAX_BYTES = 40_000;

function isNdArray(d: unknown): d is NdArray {
  return !!d && (d as NdArray).kind === "ndarray";
}
function isTable(d: unknown): d is Table {
  return !!d && (d as Table).kind === "table" && Array.isArray((d as Table).columns);
}

/**
 * A short description of a unit's data: `image float32 [400, 400]`,
 * `table 1000 rows × 5 columns`, `empty`.
 *
 * @example
 * ```ts
 * import { dataShapeText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(dataShapeText({ kind: "ndarray", dtype: "<f4", shape: [2, 3], values: new Float32Array(6) }), "image <f4 [2, 3]");
 * ```
 */
export function dataShapeText(d: NdArray | Table | null | undefined): string {
  if (isNdArray(d)) return `${d.shape.length >= 2 ? "image" : "array"} ${d.dtype} [${d.shape.join(", ")}]`;
  if (isTable(d)) return `table ${d.length} rows × ${d.columns.length} columns`;
  return "empty";
}

/**
 * FITS-card-like text of a header (strings quoted, secrets redacted).
 *
 * @example
 * ```ts
 * import { headerText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(headerText({ EXTNAME: "EBOUNDS", NAXIS: 2 }), "EXTNAME = 'EBOUNDS'\nNAXIS   = 2");
 * ```
 */
export function headerText(h: Record<string, unknown>): string {
  return Object.entries(h).map(([k, v]) => {
    const val = typeof v === "string"
      ? `'${v}'`
      : typeof v === "boolean"
      ? (v ? "T" : "F")
      : formatValue(v, 70);
    return `${k.padEnd(8)}= ${redactSecrets(val)}`;
  }).join("\n");
}

function columnsTable(cols: TableColumn[]): string {
  return htmlTable({
    headers: ["column", "dtype", "shape", "unit"],
    rows: cols.map((
      c,
    ) => [c.name, c.dtype, c.shape.length ? `[${c.shape.join(", ")}]` : "scalar", c.unit ?? ""]),
  });
}

function arrayStats(v: ArrayLike<number>): { min: number; max: number; nan: number } | undefined {
  if (!v || typeof v.length !== "number" || typeof v[0] !== "number" && v.length) return undefined;
  let min = Infinity, max = -Infinity, nan = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== "number") continue; // an object array's other cells are never compared (converted)
    if (x !== x) nan++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return { min, max, nan };
}

/**
 * HTML of one data unit: name, HDU type, data shape, columns (for tables),
 * the first rows, and the header collapsed.
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { dataUnitHtml } from "@oda-hub/oda-api/display";
 * dataUnitHtml(new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary", data_header: { SIMPLE: true } }));
 * ```
 */
export function dataUnitHtml(u: NumpyDataUnit, rowLimit = 10): string {
  const parts = [
    `<div class="title">${escapeHtml(u.name)}${
      typeof u.header?.IMATYPE === "string" ? ` <span class="sub">${escapeHtml(u.header.IMATYPE)}</span>` : ""
    } <span class="sub">(${escapeHtml(u.hdu_type ?? "")}) ${escapeHtml(dataShapeText(u.data))}</span></div>`,
  ];
  if (isTable(u.data)) {
    parts.push(details(`columns (${u.data.columns.length})`, columnsTable(u.data.columns)));
    parts.push(details(`first rows`, tableToHtml(u.data, { limit: rowLimit })));
  } else if (isNdArray(u.data)) {
    const st = arrayStats(u.data.values as ArrayLike<number>);
    if (st) {
      parts.push(
        `<div class="sub">min ${formatValue(st.min)} · max ${formatValue(st.max)} · NaN ${st.nan}</div>`,
      );
    }
  }
  const n = Object.keys(u.header ?? {}).length;
  if (n) parts.push(details(`header (${n} cards)`, `<pre>${escapeHtml(headerText(u.header))}</pre>`));
  return parts.join("");
}

/**
 * Bundle of one data unit.
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { dataUnitBundle } from "@oda-hub/oda-api/display";
 * dataUnitBundle(new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }))["text/plain"];
 * ```
 */
export function dataUnitBundle(u: NumpyDataUnit): MimeBundle {
  return {
    "text/plain": `NumpyDataUnit ${u.name} (${u.hdu_type ?? "?"}): ${dataShapeText(u.data)}`,
    "text/html": viewHtml(dataUnitHtml(u)),
  };
}

function metaText(p: NumpyDataProduct): string {
  try {
    return redactSecrets(p.metaDataRepr());
  } catch {
    return formatValue(p.meta_data, 10_000);
  }
}

/**
 * Bundle of a `NumpyDataProduct` without pictures: name, metadata table, and
 * every data unit (shapes, dtypes, columns, header collapsible).
 *
 * @example
 * ```ts
 * import { NumpyDataProduct } from "@oda-hub/oda-api";
 * import { dataProductBundle } from "@oda-hub/oda-api/display";
 * const b = dataProductBundle(new NumpyDataProduct({ name: "lc", meta_data: { src_name: "Crab" }, data_unit: [] }));
 * console.log(b["text/plain"]);
 * ```
 */
export function dataProductBundle(p: NumpyDataProduct): MimeBundle {
  const text = [
    `NumpyDataProduct ${p.name ?? "None"}  meta_data: ${metaText(p)}`,
    ...p.data_unit.map((u, i) =>
      `  data_unit[${i}] ${u.name} (${u.hdu_type ?? "?"}): ${dataShapeText(u.data)}`
    ),
  ].join("\n");
  const meta = Object.keys(p.meta_data ?? {}).length ? recordTable(p.meta_data, ["meta_data", "value"]) : "";
  const units = p.data_unit.map((u, i) =>
    `<div style="margin:4px 0 4px 8px;border-left:3px solid #e5e7eb;padding-left:8px"><span class="sub">data_unit[${i}]</span> ${
      dataUnitHtml(u)
    }</div>`
  ).join("");
  return {
    "text/plain": text,
    "text/html": viewHtml(
      `<div class="title">NumpyDataProduct ${escapeHtml(p.name ?? "None")}</div>${meta}${units}`,
    ),
  };
}

function lightCurveOf(p: NumpyDataProduct): LightCurve | undefined {
  try {
    const lc = lightCurve(p);
    return lc.length ? lc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A small PNG (at most {@linkcode THUMBNAIL_MAX_BYTES}) of a product: its
 * light curve, or its sky image; `undefined` when it has neither (or no
 * rasteriser is available).
 *
 * @example
 * ```ts
 * import { NumpyDataProduct } from "@oda-hub/oda-api";
 * import { productThumbnail } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(await productThumbnail(new NumpyDataProduct({ data_unit: [] })), undefined);
 * ```
 */
export async function productThumbnail(
  p: NumpyDataProduct,
): Promise<{ png: Uint8Array; alt: string } | undefined> {
  const t = await thumbnailOf(p);
  return t && { png: t.png, alt: t.alt };
}

/** The thumbnail and which plot it previews (one `lightCurve()` per product). */
async function thumbnailOf(
  p: NumpyDataProduct,
): Promise<{ png: Uint8Array; alt: string; kind: "plotLightCurve" | "plotImage" } | undefined> {
  const lc = lightCurveOf(p);
  if (lc) {
    const plot = new LightCurvePlot(lc, { columns: 300 });
    for (const width of [420, 320]) {
      const png = await svgToPng(plot.svg({ width, height: Math.round(width * 0.45) }), { width });
      if (png && png.length <= THUMBNAIL_MAX_BYTES) return { png, alt: plot.text(), kind: "plotLightCurve" };
    }
    return undefined;
  }
  const img = skyImage(p);
  if (img) {
    for (const side of [160, 112, 80]) {
      const r = rasterize(img.image.values as ArrayLike<number>, img.image.shape, {
        maxRaster: side,
        stretch: "asinh",
      });
      const png = await encodePng(r.rgb, r.width, r.height);
      if (png.length <= THUMBNAIL_MAX_BYTES) {
        return {
          png,
          alt: `${img.unit.name} ${img.image.shape.join("×")} (thumbnail ${r.width}×${r.height})`,
          kind: "plotImage",
        };
      }
    }
  }
  return undefined;
}

/**
 * What a `NumpyDataProduct` shows as a cell result: the summary of
 * {@linkcode dataProductBundle} with a thumbnail of its light curve or image
 * (at most {@linkcode THUMBNAIL_MAX_BYTES}); the full plot comes from
 * `plotLightCurve(product)` / `plotImage(product)`.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct } from "@oda-hub/oda-api";
 * import { productSummaryBundle } from "@oda-hub/oda-api/display";
 * const b = await productSummaryBundle(new NumpyDataProduct({ name: "x", data_unit: [] }));
 * ```
 */
export async function productSummaryBundle(p: NumpyDataProduct): Promise<MimeBundle> {
  const b = dataProductBundle(p);
  const thumb = await thumbnailOf(p).catch(() => undefined);
  if (thumb) {
    const kind = thumb.kind;
    const img = `<div><img style="max-width:100%" alt="${escapeHtml(thumb.alt)}" src="data:image/png;base64,${
      mimeBase64(thumb.png)
    }"><div class="sub">thumbnail: the full plot is <code>${kind}(product)</code></div></div>`;
    b["text/html"] = String(b["text/html"]).replace(/<\/div>$/, `${img}</div>`);
  }
  return b;
}

/**
 * Bundle of a table or catalog: HTML with at most `limit` rows (units and
 * dtypes in the header), the tabular data resource, and aligned text.
 *
 * @example
 * ```ts
 * import { tableBundle } from "@oda-hub/oda-api/display";
 * const t = { kind: "table" as const, length: 1, columns: [
 *   { name: "ra", dtype: "<f8", shape: [], unit: "deg", values: new Float64Array([83.6]) }] };
 * Object.keys(tableBundle(t)); // text/plain, text/html, application/vnd.dataresource+json
 * ```
 */
export function tableBundle(t: Table, opts: { limit?: number; title?: string } = {}): MimeBundle {
  const limit = opts.limit ?? DEFAULT_ROW_LIMIT;
  const title = opts.title ? `<div class="title">${escapeHtml(opts.title)}</div>` : "";
  return {
    "text/plain": (opts.title ? opts.title + "\n" : "") + tableToText(t),
    "text/html": viewHtml(title + tableToHtml(t, { limit })),
    "application/vnd.dataresource+json": tableToDataResource(t, limit),
  };
}

/** Kind label of a product object (class name). */
function kindOf(p: unknown): string {
  const n = (p as { constructor?: { name?: string | undefined } })?.constructor?.name;
  return n && n !== "Object" ? n : typeof p;
}

/** A product's line in the collection's "data units" column: its view's `summary`, or its units. */
function unitsSummary(p: unknown): string {
  const view = notebookViewOf(p);
  if (!view) return "";
  if (view.summary !== undefined) return view.summary;
  if (view.kind === "dataProduct") {
    return view.product.data_unit.map((u) => {
      const kind = typeof u.header?.IMATYPE === "string" ? ` (${u.header.IMATYPE})` : "";
      return `${u.name}${kind}: ${dataShapeText(u.data)}`;
    }).join("\n");
  }
  return "";
}

/**
 * Bundle of a `DataCollection`: a table with ID, attribute name, product
 * kind, metadata and data units with shapes, plus the `show()` text.
 *
 * @example
 * ```ts
 * import { DataCollection } from "@oda-hub/oda-api";
 * import { dataCollectionBundle } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(dataCollectionBundle(new DataCollection([]))["text/plain"], "");
 * ```
 */
export function dataCollectionBundle(c: DataCollection): MimeBundle {
  // the metadata as show() prints it (Python's str of the dict), one entry per product
  const shown = c.showText().split("\n\n").map((l) => l.slice(l.indexOf("  meta_data: ") + 13));
  const rows = c._p_list.map((p, i) => [
    String(i),
    c._n_list[i] ?? "",
    kindOf(p),
    redactSecrets(shown[i] ?? ""),
    unitsSummary(p),
  ]);
  const html = htmlTable({
    headers: ["ID", "attribute", "kind", "meta_data", "data units"],
    rows: rows.map((r) => [
      ...r.slice(0, 4),
      `<span style="white-space:nowrap">${escapeHtml(r[4]).split("\n").join("<br>")}</span>`,
    ]),
    rawHtml: (_r, col) => col === 4,
  });
  return {
    "text/plain": redactSecrets(c.showText().replace(/\n+$/, "")),
    "text/html": viewHtml(
      `<div class="title">DataCollection: ${c._p_list.length} product${
        c._p_list.length === 1 ? "" : "s"
      }</div>${html}`,
    ),
  };
}

/**
 * Minimal bundle with a note (used when something cannot be displayed richly).
 *
 * @example
 * ```ts
 * import { noteBundle } from "@oda-hub/oda-api/display";
 * noteBundle("BinaryProduct x: 12 bytes")["text/plain"];
 * ```
 */
export function noteBundle(text: string): MimeBundle {
  return { "text/plain": text, "text/html": viewHtml(escapeHtml(text)) };
}

function pictureBundle(view: Extract<NotebookView, { kind: "picture" }>): MimeBundle {
  const type = view.imgType.toLowerCase();
  const mime = type === "png"
    ? "image/png"
    : type === "jpg" || type === "jpeg"
    ? "image/jpeg"
    : type === "svg"
    ? "image/svg+xml"
    : "";
  if (!mime) return noteBundle(view.title);
  return {
    "text/plain": view.title,
    [mime]: mime === "image/svg+xml" ? new TextDecoder().decode(view.bytes) : mimeBase64(view.bytes),
  };
}

/**
 * The bundle of one notebook view (what {@linkcode productDisplay} draws for
 * an object's `notebookView()`): each kind of view has one drawing here, and
 * product classes choose the kind.
 *
 * @example
 * ```ts
 * import { viewBundle } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const b = await viewBundle({ kind: "text", title: "log", value: "job done" });
 * assert.equal(b["text/plain"], "log: job done");
 * ```
 */
export async function viewBundle(view: NotebookView): Promise<MimeBundle> {
  switch (view.kind) {
    case "collection":
      return dataCollectionBundle(view.collection);
    case "dataProduct":
      return await productSummaryBundle(view.product);
    case "dataUnit":
      return dataUnitBundle(view.unit);
    case "lightCurve":
      return await new LightCurvePlot(view.lightCurve).bundle();
    case "table":
      return tableBundle(view.table(), { title: view.title });
    case "picture":
      return pictureBundle(view);
    case "text": {
      const v = typeof view.value === "string" ? view.value : formatValue(view.value, 100_000);
      return {
        "text/plain": `${view.title}: ${v}`,
        "text/html": viewHtml(
          `<div class="title">${escapeHtml(view.title)}</div><pre>${escapeHtml(v)}</pre>`,
        ),
      };
    }
    case "note":
      return noteBundle(view.text);
    default: {
      const unknown: never = view;
      return { "text/plain": `a view of kind ${String((unknown as { kind?: unknown }).kind)}` };
    }
  }
}

/**
 * The notebook bundle of any product-layer object (what the classes'
 * `[Symbol.for("Jupyter.display")]()` methods return): the drawing of its
 * `notebookView()` ({@linkcode viewBundle}), a plain data table as a table,
 * anything else as its text.
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { productDisplay } from "@oda-hub/oda-api/display";
 * const b = await productDisplay(new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }));
 * b["text/plain"]; // "NumpyDataUnit PRIMARY (primary): empty"
 * ```
 */
export async function productDisplay(obj: unknown): Promise<MimeBundle> {
  const view = notebookViewOf(obj);
  if (view) return await viewBundle(view);
  if (isTable(obj)) {
    return tableBundle(obj, { title: `table: ${obj.length} rows × ${obj.columns.length} columns` });
  }
  return { "text/plain": String(obj) };
}
