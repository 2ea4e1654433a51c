/**
 * `@oda-hub/oda-api`: a Deno / TypeScript client for MMODA, the
 * Multi-Messenger Online Data Analysis platform of the University of Geneva
 * (the TypeScript counterpart of the Python `oda_api`).
 *
 * Authenticate with your MMODA token, ask the dispatcher for INTEGRAL,
 * SPI-ACS and other products, watch the job, look at the results inline in a
 * Jupyter notebook running the Deno kernel, and save them as FITS files that
 * XSPEC, ds9 and astropy read.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, getLogger } from "@oda-hub/oda-api";
 * getLogger("oda_api").setLevel("INFO");
 * const disp = new DispatcherAPI({ url: "https://www.astro.unige.ch/mmoda/dispatch-data" });
 * const data = await disp.getProduct({
 *   instrument: "spi_acs",
 *   product: "spi_acs_lc",
 *   product_type: "Real",
 *   T1: "2022-07-01T00:00:00",
 *   T2: "2022-07-01T00:10:00",
 *   time_bin: 1,
 * });
 * data.show();
 * ```
 *
 * @module
 */

// --- foundation: errors and logging ---
export * from "./lib/errors.ts";
export * from "./lib/log.ts";
export * from "./lib/notebook.ts";
// --- codecs ---
export * from "./lib/codecs/ndarray.ts";
export * from "./lib/codecs/pickle.ts";
export * from "./lib/codecs/pickle_encode.ts";
export * from "./lib/codecs/json.ts";
export { makeHash, type PythonFormatOptions, pythonRepr, pythonStr } from "./lib/codecs/python.ts";
export { type Base64Options, decodeBase64, encodeBase64 } from "./lib/codecs/base64.ts";
export * from "./lib/codecs/fits.ts";
export * from "./lib/codecs/ecsv.ts";
// --- token ---
export * from "./lib/token/location.ts";
export * from "./lib/token/decode.ts";
export * from "./lib/token/format.ts";
export * from "./lib/token/compare.ts";
export * from "./lib/token/dotenv.ts";
export * from "./lib/token/discover.ts";
export * from "./lib/token/write.ts";
export { promptToken, type PromptTokenOptions } from "./lib/token/prompt.ts";
// --- products ---
export * from "./lib/products/table_data.ts";
export * from "./lib/products/numpy_data_unit.ts";
export * from "./lib/products/numpy_data_product.ts";
export * from "./lib/products/fits_convert.ts";
export * from "./lib/products/catalog_table.ts";
export * from "./lib/products/api_catalog.ts";
export * from "./lib/products/oda_astropy_table.ts";
export * from "./lib/products/binary_product.ts";
export * from "./lib/products/picture_product.ts";
export * from "./lib/products/text_like_product.ts";
export * from "./lib/products/files.ts";
export * from "./lib/products/magic.ts";
export * from "./lib/products/collection.ts";
export * from "./lib/products/light_curve.ts";
export * from "./lib/products/spectrum.ts";
export * from "./lib/products/sky_image.ts";
export * from "./lib/products/wcs.ts";
// --- client ---
export * from "./lib/client/events.ts";
export * from "./lib/client/params.ts";
export {
  abortableSleep,
  errorForResponse,
  type FetchLike,
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  parseMissingRoles,
  parseResponseJson,
  type RetryInfo,
} from "./lib/client/http.ts";
export * from "./lib/client/description.ts";
export * from "./lib/client/cache.ts";
export * from "./lib/client/batch.ts";
export * from "./lib/client/consistency.ts";
export * from "./lib/client/job.ts";
export * from "./lib/client/dispatcher.ts";
// --- display ---
export * from "./lib/display/jupyter.ts";
export * from "./lib/display/html.ts";
export * from "./lib/display/decimate.ts";
export * from "./lib/display/vegalite.ts";
export * from "./lib/display/render.ts";
export * from "./lib/display/image.ts";
export * from "./lib/display/labels.ts";
export * from "./lib/display/progress.ts";
export * from "./lib/display/light_curve_plot.ts";
export * from "./lib/display/bundles.ts";
export * from "./lib/display/plots.ts";
export * from "./lib/display/descriptions.ts";
export * from "./lib/display/token_view.ts";
export * from "./lib/display/register.ts";
