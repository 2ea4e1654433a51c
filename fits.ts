/**
 * FITS and ECSV, the file formats astropy reads and writes: headers, HDUs,
 * images and binary tables (read whole or streamed from a file), ECSV tables,
 * and the conversions between products and HDUs.
 *
 * @example
 * ```ts
 * import { readFits, writeFits } from "@oda-hub/oda-api/fits";
 * const bytes = writeFits([{ data: { kind: "ndarray", dtype: "<f8", shape: [2], values: new Float64Array([1, 2]) } }]);
 * const [primary] = readFits(bytes);
 * console.log(primary.header.get("NAXIS1")); // 2
 * ```
 *
 * @module
 */
export * from "./lib/codecs/fits.ts";
export * from "./lib/codecs/ecsv.ts";
export { fromFitsHdu, toFitsHdu } from "./lib/products/fits_convert.ts";
export type { FromFitsFileOptions, WriteFitsOptions } from "./lib/products/numpy_data_product.ts";
export type { HduType } from "./lib/products/numpy_data_unit.ts";
