/**
 * The sky image of a product: which data unit holds the picture to show
 * (the rule lives here, the plots only ask).
 *
 * @module
 */
import type { NdArray } from "../data/ndarray.ts";
import type { NumpyDataProduct } from "./numpy_data_product.ts";
import type { NumpyDataUnit } from "./numpy_data_unit.ts";
import { type SimpleWcs, wcsFromHeader } from "./wcs.ts";
import { toTextSafe } from "../data/_coerce.ts";

/**
 * A 2-D image with the data unit (and so the header, with its WCS) it came from.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * import { skyImage, type SkyImage } from "@oda-hub/oda-api/display";
 * const unit = new NumpyDataUnit({
 *   name: "ISGR-MOSA-IMA",
 *   hdu_type: "image",
 *   data: { kind: "ndarray", dtype: ">f4", shape: [2, 2], values: new Float32Array(4) },
 * });
 * const img: SkyImage | undefined = skyImage(new NumpyDataProduct({ data_unit: [unit] }));
 * img?.image.shape; // [2, 2]
 * ```
 */
export interface SkyImage {
  /** The data unit (its `header` carries the WCS, IMATYPE, BUNIT, E_MIN/E_MAX...). */
  unit: NumpyDataUnit;
  /** The image array (the last two axes are y, x). */
  image: NdArray;
  /** The celestial WCS of its header, when it has one (TAN, CAR or linear). */
  wcs?: SimpleWcs;
}

function isImage(u: NumpyDataUnit): boolean {
  const d = u.data;
  if (!d || d.kind !== "ndarray" || d.shape.length < 2) return false;
  const [ny, nx] = d.shape.slice(-2);
  return ny > 1 && nx > 1;
}

/**
 * The image of a product to show: the unit given by index, `IMATYPE`
 * (`"INTENSITY"`) or name, else the `SIGNIFICANCE` map of an INTEGRAL
 * mosaic, else the first 2-D image; `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct } from "@oda-hub/oda-api";
 * import { skyImage } from "@oda-hub/oda-api/display";
 * skyImage(new NumpyDataProduct({ data_unit: [] })); // undefined
 * ```
 */
export function skyImage(product: NumpyDataProduct, which?: number | string): SkyImage | undefined {
  const images = product.data_unit.filter(isImage);
  let u: NumpyDataUnit | undefined;
  if (typeof which === "number") u = product.data_unit[which];
  else if (typeof which === "string") {
    u = images.find((x) =>
      toTextSafe(x.header?.IMATYPE ?? "", "IMATYPE").toUpperCase() === which.toUpperCase()
    ) ??
      images.find((x) =>
        x.name === which
      );
  } else {
    u = images.find((x) => toTextSafe(x.header?.IMATYPE ?? "", "IMATYPE").toUpperCase() === "SIGNIFICANCE") ??
      images[0];
  }
  if (!u || !images.includes(u)) return undefined;
  const wcs = wcsFromHeader(u.header);
  return { unit: u, image: u.data as NdArray, ...(wcs ? { wcs } : {}) };
}
