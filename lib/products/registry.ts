/**
 * Internal: the product types of a `run_analysis` answer, in oda_api's order (numpy products, binaries, the
 * catalog, ASCII tables, binary tables, pictures, texts, GW products). `DataCollection.fromResponseJson`
 * walks this list once; adding a product type is its file, its test and one entry here.
 *
 * @module
 */
import type { DecodeOptions } from "../codecs/budget.ts";
import { DecodeError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { ApiCatalog } from "./api_catalog.ts";
import { BinaryProduct, decodeLegacyBinary } from "./binary_product.ts";
import type { CollectionProduct } from "./collection.ts";
import { NumpyDataProduct } from "./numpy_data_product.ts";
import { ODAAstropyTable } from "./oda_astropy_table.ts";
import { PictureProduct } from "./picture_product.ts";
import { TextLikeProduct } from "./text_like_product.ts";

const log = getLogger("oda_api.api");

/** One product type: how it is found in the answer's `products` dict and decoded. */
export interface ProductType {
  /** Decode what the answer holds for it (nothing when its keys are absent): `list(key)` is the list under `key`. */
  decode(
    products: Record<string, unknown>,
    list: (key: string) => unknown[],
    options: DecodeOptions,
  ): CollectionProduct[];
}

type Dict = Record<string, unknown>;

/**
 * The product types, in the order oda_api's `DataCollection.from_response_json` reads them (attribute names
 * depend on it).
 */
export const PRODUCT_TYPES: readonly ProductType[] = [
  {
    decode: (products, list, options) =>
      "numpy_data_product" in products
        ? [NumpyDataProduct.decode(products.numpy_data_product as Dict, options)]
        : list("numpy_data_product_list").map((d) => NumpyDataProduct.decode(d as Dict, options)),
  },
  {
    decode: (_products, list) => {
      const items = list("binary_data_product_list");
      try {
        return items.map((d) => BinaryProduct.decode(d as Dict));
      } catch (e) {
        if (!items.every((d) => typeof d === "string")) throw e;
        return items.map((d) => decodeLegacyBinary(d as string));
      }
    },
  },
  {
    decode: (products) =>
      "catalog" in products && products.catalog !== null
        ? [new ApiCatalog(products.catalog as Dict, "dispatcher_catalog")]
        : [],
  },
  {
    decode: (_products, list, options) =>
      list("astropy_table_product_ascii_list").map((t) => ODAAstropyTable.decode(t as Dict, options)),
  },
  {
    decode: (_products, list) =>
      list("astropy_table_product_binary_list").map((t) => {
        log.warning(
          "astropy_table_product_binary_list holds Python pickles of astropy tables: kept undecoded",
        );
        return { undecoded: t };
      }),
  },
  {
    decode: (_products, list) =>
      list("binary_image_product_list").map((p) => PictureProduct.decode(p as Dict)),
  },
  {
    decode: (_products, list) =>
      list("text_product_list").map((t) => {
        try {
          return TextLikeProduct.decode(t as Dict);
        } catch {
          return t as Dict;
        }
      }),
  },
  {
    decode: (products, list, options) => {
      const out: CollectionProduct[] = list("gw_strain_product_list").map((g) => g as Dict);
      if (products.gw_spectrogram_product) out.push(products.gw_spectrogram_product as Dict);
      const sky = products.gw_skymap_product as Dict | undefined;
      if (sky && typeof sky === "object") {
        const maps = (sky.skymaps ?? {}) as Dict;
        for (const ev of Object.keys(maps)) out.push(NumpyDataProduct.decode(maps[ev] as Dict, options));
        if (sky.contours) out.push(sky.contours as Dict);
      }
      return out;
    },
  },
];

/**
 * Decode the answer's `products` dict by walking `types` (oda_api's order, {@linkcode PRODUCT_TYPES}) once:
 * what `DataCollection.fromResponseJson` does with them.
 */
export function decodeAnswerProducts(
  products: Record<string, unknown>,
  options: DecodeOptions,
  types: readonly ProductType[] = PRODUCT_TYPES,
): CollectionProduct[] {
  const list = (key: string): unknown[] => {
    const v = products[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new DecodeError("MALFORMED_RESPONSE", `products.${key} is not a list`);
    return v;
  };
  const data: CollectionProduct[] = [];
  // one by one: spreading a long list into push() overflows the stack (a 300 000-product answer did)
  for (const type of types) for (const p of type.decode(products, list, options)) data.push(p);
  return data;
}
