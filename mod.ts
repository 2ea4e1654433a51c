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

// Names a notebook user needs. Codecs and OGIP FITS files (spectrum sets, light curves) live in ./fits and ./pickle, display internals in ./display, token tooling
// in ./token, science options and secondary helpers in ./science, the offline dispatcher in ./sandbox, the command line in ./cli. tests/api_surface_test.ts keeps this list ≤ 120 names.

// --- errors and logging ---
export {
  DecodeError,
  DispatcherError,
  FileError,
  JobFailedError,
  OdaError,
  type OdaErrorCode,
  TokenError,
  UnauthorizedError,
} from "./lib/errors.ts";
export { configureNotebook, type NotebookSettings } from "./lib/notebook.ts";
export {
  configureLogging,
  getLogger,
  Logger,
  type LogHandler,
  type LogLevelLike,
  type LogLevelName,
  type LogRecord,
} from "./lib/log.ts";
// --- data model ---
export type { NdArray, Table, TableColumn } from "./lib/data/ndarray.ts";
// --- tokens ---
export { TokenLocation } from "./lib/token/location.ts";
export {
  decodeOdaToken,
  isTokenExpired,
  type OdaTokenPayload,
  tokenExpiresIn,
  tokenRoles,
} from "./lib/token/decode.ts";
export { formatTokenReport } from "./lib/token/format.ts";
export {
  type DiscoveredToken,
  discoverToken,
  discoverTokenAndMethod,
  type TokenDiscoveryOptions,
} from "./lib/token/discover.ts";
export {
  type TokenWriteLocation,
  writeToken,
  type WriteTokenOptions,
  type WriteTokenResult,
} from "./lib/token/write.ts";
export { promptToken, type PromptTokenOptions } from "./lib/token/prompt.ts";
// --- products ---
export type { TableData } from "./lib/products/table_data.ts";
export type { Product } from "./lib/products/product.ts";
export type { HasNotebookView, NotebookView } from "./lib/products/view.ts";
export { NumpyDataUnit, type UnitData } from "./lib/products/numpy_data_unit.ts";
export { NumpyDataProduct } from "./lib/products/numpy_data_product.ts";
export { ApiCatalog } from "./lib/products/api_catalog.ts";
export { type CatalogColumn, type CatalogRow, CatalogTable } from "./lib/products/catalog_table.ts";
export type { AtomicWriteOptions } from "./lib/products/files.ts";
export { ODAAstropyTable } from "./lib/products/oda_astropy_table.ts";
export { BinaryProduct } from "./lib/products/binary_product.ts";
export { PictureProduct } from "./lib/products/picture_product.ts";
export { TextLikeProduct } from "./lib/products/text_like_product.ts";
export {
  type CollectionListEntry,
  type CollectionProduct,
  DataCollection,
  type DataCollectionOptions,
  type SaveAllDataOptions,
} from "./lib/products/collection.ts";
export {
  LightCurve,
  lightCurve,
  type LightCurveInit,
  type LightCurveOptions,
} from "./lib/products/light_curve.ts";
export {
  type EnergySpectrum,
  type SpectrumEnergiesOptions,
  spectrumWithEnergies,
} from "./lib/products/spectrum.ts";
// --- client ---
export type { JobEvent, JobEventType, JobListener } from "./lib/client/events.ts";
export type { FetchLike } from "./lib/client/http.ts";
export { pyFloat } from "./lib/client/params.ts";
export type {
  InstrumentMetaData,
  ParameterDescription,
  ParameterRestrictions,
  ProductDescription,
  QueryDescription,
} from "./lib/client/description.ts";
export { type CacheOptions, ResponseCache } from "./lib/client/cache.ts";
export { getProducts, type GetProductsOptions, type ProductResult } from "./lib/client/batch.ts";
export {
  type ExitStatus,
  Job,
  type RunAnalysisResponse,
  type SavedJob,
  type WaitOptions,
} from "./lib/client/job.ts";
export {
  DispatcherAPI,
  type DispatcherAPIOptions,
  type GetProductOptions,
  PRODUCTION_URL,
  type RefreshTokenOptions,
  type RequestOptions,
  type ResumeOptions,
  STAGING_URL,
} from "./lib/client/dispatcher.ts";
// --- plots and notebook display (the rest: ./display) ---
export { display } from "./lib/display/jupyter.ts";
export { displayToken } from "./lib/display/token_view.ts";
export { plotImage, plotLightCurve, plotSpectrum, PlotView } from "./lib/display/plots.ts";
import "./lib/display/register.ts";
// --- API code (the Python snippet MMODA shows for a request) ---
export {
  ApiCode,
  type ApiCodeOptions,
  type ApiCodeParams,
  parseApiCode,
  renderApiCode,
} from "./lib/codecs/api_code.ts";
export type { PythonLiteralLimits } from "./lib/data/python_literal.ts";
// --- typed parameters (types, generator and description data: ./types) ---
export { Catalogue } from "./lib/client/catalogue.ts";
export { sandboxCatalogue } from "./lib/client/sandbox_catalogue.ts";
// science (option and result types, and the lower-level helpers, in ./science)
export { bayesianBlocks } from "./lib/science/bayesian_blocks.ts";
export { foldLightCurve } from "./lib/science/fold.ts";
export { lombScargle } from "./lib/science/lomb_scargle.ts";
export { variability } from "./lib/science/variability.ts";
export { extractCatalog, toDs9Regions } from "./lib/products/extract_catalog.ts";
export { resolveObjectsOfInterest } from "./lib/client/resolve_objects.ts";
