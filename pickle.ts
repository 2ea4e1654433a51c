/**
 * Python interchange without Python: numpy pickles (decode and encode),
 * Python-flavoured JSON (`NaN`, `Infinity`, big integers), `repr`/`str`
 * formatting, base64, and the dispatcher's job hash.
 *
 * @example
 * ```ts
 * import { decodeNumpyPickle, encodeNumpyPickle } from "@oda-hub/oda-api/pickle";
 * const bytes = encodeNumpyPickle({ kind: "ndarray", dtype: "<f8", shape: [3], values: new Float64Array([1, 2, 3]) });
 * const a = decodeNumpyPickle(bytes);
 * console.log("shape" in a && a.shape); // [3]
 * ```
 *
 * @module
 */
export * from "./lib/codecs/pickle.ts";
export * from "./lib/codecs/pickle_encode.ts";
export * from "./lib/data/json.ts";
export {
  DecodedBinarys,
  parseJsonBytes,
  parseJsonStream,
  type ParseJsonStreamOptions,
} from "./lib/codecs/response_stream.ts";
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
export { makeHash, type PythonFormatOptions, pythonRepr, pythonStr } from "./lib/data/python.ts";
export { type Base64Options, decodeBase64, encodeBase64 } from "./lib/data/base64.ts";
export * from "./lib/data/ndarray.ts";
// the encoded (wire) forms of products, as oda_api's `encode()` gives them
export type { EncodedNumpyDataUnit } from "./lib/products/numpy_data_unit.ts";
export type { EncodedNumpyDataProduct } from "./lib/products/numpy_data_product.ts";
export type { CatalogDict } from "./lib/products/api_catalog.ts";
export type { EncodedODAAstropyTable } from "./lib/products/oda_astropy_table.ts";
export type { EncodedBinaryProduct } from "./lib/products/binary_product.ts";
export type { EncodedPictureProduct } from "./lib/products/picture_product.ts";
export type { EncodedTextLikeProduct } from "./lib/products/text_like_product.ts";
export { parsePythonLiteral } from "./lib/data/python_literal.ts";
export { apiParamsFromAnalysisParameters } from "./lib/codecs/api_code.ts";
