/**
 * Wiring: attaches `[Symbol.for("Jupyter.display")]` methods to the product
 * classes (so the products layer never imports the display layer) and
 * installs the live-progress reporter. Importing the package does both.
 *
 * | object | notebook output |
 * |---|---|
 * | `DataCollection` | table: ID, attribute, kind, meta_data, data units + `show()` text |
 * | `NumpyDataProduct` | metadata, units (shapes, dtypes, columns, headers collapsed); light curves and mosaics with an inline picture |
 * | `NumpyDataUnit` | the unit |
 * | `ApiCatalog`, `CatalogTable` | HTML table (50 rows) + `application/vnd.dataresource+json` |
 *
 * @module
 */
import { NumpyDataProduct } from "../products/numpy_data_product.ts";
import { NumpyDataUnit } from "../products/numpy_data_unit.ts";
import { ApiCatalog } from "../products/api_catalog.ts";
import { CatalogTable } from "../products/catalog_table.ts";
import { DataCollection } from "../products/collection.ts";
import { ODAAstropyTable } from "../products/oda_astropy_table.ts";
import { PictureProduct } from "../products/picture_product.ts";
import { TextLikeProduct } from "../products/text_like_product.ts";
import { BinaryProduct } from "../products/binary_product.ts";
import { $display, mimeBase64, type MimeBundle } from "./jupyter.ts";
import { escapeHtml, formatValue, viewHtml } from "./html.ts";
import {
  dataCollectionBundle,
  type DataCollectionLike,
  dataProductBundle,
  type DataProductLike,
  dataUnitBundle,
  imageFromProduct,
  lightCurveFromProduct,
  plotImage,
  plotLightCurve,
  tableBundle,
} from "./views.ts";
import { getProgressReporterFactory } from "../client/events.ts";
import { installProgressReporter } from "./progress.ts";

/**
 * Give every instance of `cls` a display method built by `fn` (the products
 * layer's classes get theirs from {@linkcode registerDisplays}).
 *
 * @example
 * ```ts
 * import { attachDisplay } from "@oda-hub/oda-api/display";
 * class Thing { n = 3 }
 * attachDisplay(Thing, (t) => ({ "text/plain": `Thing ${t.n}` }));
 * ```
 */
export function attachDisplay<T>(
  cls: { prototype: T },
  fn: (obj: T) => MimeBundle | Promise<MimeBundle>,
): void {
  Object.defineProperty(cls.prototype, $display, {
    value: function (this: T) {
      return fn(this);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

async function productBundle(p: DataProductLike): Promise<MimeBundle> {
  const b = dataProductBundle(p);
  let picture: PromiseLike<MimeBundle> | undefined;
  try {
    if (lightCurveFromProduct(p)) picture = plotLightCurve(p).bundle();
    else if (imageFromProduct(p)) picture = plotImage(p).bundle();
  } catch { /* no picture */ }
  if (!picture) return b;
  const pic = await picture;
  const png = pic["image/png"];
  if (typeof png === "string") {
    // put the picture inside the HTML so every front end shows it with the summary
    const img = `<img style="max-width:100%" alt="${
      escapeHtml(pic["text/plain"])
    }" src="data:image/png;base64,${png}">`;
    b["text/html"] = String(b["text/html"]).replace(/<\/div>$/, `${img}</div>`);
  }
  return b;
}

function pictureBundle(p: PictureProduct): MimeBundle {
  const type = p.img_type.toLowerCase();
  const mime = type === "png"
    ? "image/png"
    : type === "jpg" || type === "jpeg"
    ? "image/jpeg"
    : type === "svg"
    ? "image/svg+xml"
    : "";
  const label = `PictureProduct ${p.name ?? ""} (${p.img_type}, ${p.binary_data.length} bytes)`;
  if (!mime) return noteBundle(label);
  return {
    "text/plain": label,
    [mime]: mime === "image/svg+xml" ? new TextDecoder().decode(p.binary_data) : mimeBase64(p.binary_data),
  };
}

function catalogBundle(c: ApiCatalog): MimeBundle {
  const t = c.table.toTable();
  const b = tableBundle(t, {
    title: `ApiCatalog ${c.name ?? ""}: ${t.length} sources (lon ${c.lon_name ?? "?"}, lat ${
      c.lat_name ?? "?"
    })`,
  });
  return b;
}

let registered = false;

/**
 * Attach the display methods to the product classes and install the
 * progress reporter (idempotent; runs when the package is imported).
 *
 * @example
 * ```ts
 * import { registerDisplays } from "@oda-hub/oda-api/display";
 * registerDisplays();
 * ```
 */
export function registerDisplays(): void {
  if (registered) return;
  registered = true;
  attachDisplay(NumpyDataProduct, (p) => productBundle(p as unknown as DataProductLike));
  attachDisplay(NumpyDataUnit, (u) => dataUnitBundle(u));
  attachDisplay(ApiCatalog, catalogBundle);
  attachDisplay(CatalogTable, (t) => tableBundle(t.toTable(), { title: `CatalogTable: ${t.length} rows` }));
  attachDisplay(DataCollection, (c) => dataCollectionBundle(c));
  attachDisplay(
    ODAAstropyTable,
    (t) => tableBundle(t.table, { title: `ODAAstropyTable ${t.name ?? ""}: ${t.table.length} rows` }),
  );
  attachDisplay(PictureProduct, pictureBundle);
  attachDisplay(TextLikeProduct, (t) => {
    const v = typeof t.value === "string" ? t.value : formatValue(t.value, 100_000);
    return {
      "text/plain": `${t.name ?? "text"}: ${v}`,
      "text/html": viewHtml(
        `<div class="title">${escapeHtml(t.name ?? "text")}</div><pre>${escapeHtml(v)}</pre>`,
      ),
    };
  });
  attachDisplay(
    BinaryProduct,
    (b) => noteBundle(`BinaryProduct ${b.name ?? ""}: ${b.bin_data.length} bytes`),
  );
  if (!getProgressReporterFactory()) installProgressReporter();
}

/**
 * Display bundle of anything collection-like (`_p_list` + `_n_list`), for
 * the collection class to use.
 *
 * @example
 * ```ts
 * import { collectionDisplay } from "@oda-hub/oda-api/display";
 * collectionDisplay({ _p_list: [], _n_list: [] });
 * ```
 */
export function collectionDisplay(c: DataCollectionLike): MimeBundle {
  return dataCollectionBundle(c);
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

registerDisplays();
