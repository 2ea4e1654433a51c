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
// --- codecs ---
export * from "./lib/codecs/ndarray.ts";
// --- token ---
// --- products ---
// --- client ---
// --- display ---
