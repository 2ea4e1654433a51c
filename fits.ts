/**
 * FITS and ECSV, the file formats astropy reads and writes: headers, HDUs,
 * images and binary tables (read whole or streamed from a file), ECSV tables,
 * the conversions between products and HDUs, and OGIP files for XSPEC
 * (spectrum sets with grouping, light curves).
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
export {
  BUDGET_ELEMENTS_PER_BYTE,
  BUDGET_FLOOR_ELEMENTS,
  BUDGET_MAX_ELEMENTS,
  DecodeBudget,
  type DecodeLimits,
  type DecodeOptions,
  INFLATE_BYTES_PER_BYTE,
  INFLATE_FLOOR_BYTES,
  INFLATE_MAX_BYTES,
} from "./lib/codecs/budget.ts";
export { fromFitsHdu, toFitsHdu } from "./lib/products/fits_convert.ts";
export type { FromFitsFileOptions, WriteFitsOptions } from "./lib/products/numpy_data_product.ts";
export type { HduType } from "./lib/products/numpy_data_unit.ts";
// OGIP files for XSPEC and friends: spectrum sets (PHA + RMF + ARF), grouping, light curves
export {
  saveSpectrumSet,
  type SaveSpectrumSetOptions,
  type SpectrumSetFiles,
} from "./lib/products/spectrum.ts";
export {
  groupChannels,
  ogipSpectrum,
  type OgipSpectrumOptions,
  type SpectrumGrouping,
} from "./lib/products/spectrum_ogip.ts";
export { type LightCurveFitsOptions, writeLightCurveFits } from "./lib/science/light_curve_fits.ts";
