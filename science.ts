/**
 * Science helpers, everything in one entry point: light-curve variability
 * (weighted mean, χ², Fvar, excess episodes), Bayesian blocks and the
 * Lomb–Scargle periodogram as exact as astropy's, folding, catalog
 * extraction for the next request and ds9 regions, with their option and
 * result types. The main functions are also exported by the main module.
 *
 * @example
 * ```ts
 * import { lombScargle, type LombScargleResult, variability } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 300 }, (_, i) => i * 0.01);
 * const rate = t.map((x) => 10 + Math.sin(2 * Math.PI * x / 0.25));
 * const v = variability({ time: t, rate, error: t.map(() => 0.3) });
 * const ls: LombScargleResult = lombScargle(t, rate, t.map(() => 0.3));
 * console.log(v.chi2Probability, ls.bestPeriod);
 * ```
 *
 * @module
 */
export * from "./lib/science/variability.ts";
export * from "./lib/science/bayesian_blocks.ts";
export * from "./lib/science/lomb_scargle.ts";
export * from "./lib/science/fold.ts";
export * from "./lib/products/extract_catalog.ts";
export * from "./lib/client/resolve_objects.ts";
