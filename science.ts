/**
 * Science helpers on light curves, spectra and catalogues, with all their
 * options: variability tests, Bayesian blocks, Lomb-Scargle periodograms with
 * false-alarm probabilities, epoch folding, catalogue extraction and DS9
 * regions. The main functions are also in the main entry point.
 *
 * @example
 * ```ts
 * import { autoFrequency, lombScargle } from "@oda-hub/oda-api/science";
 * import assert from "node:assert/strict";
 * const t = Array.from({ length: 200 }, (_, i) => i * 10);
 * const y = t.map((x) => 5 + Math.sin((2 * Math.PI * x) / 400));
 * const dy = t.map(() => 0.1);
 * const result = lombScargle(t, y, dy);
 * assert.equal(Math.round(result.bestPeriod), 400);
 * assert.equal(autoFrequency(t).length > 0, true);
 * ```
 *
 * @module
 */
export {
  type BinnedSeries,
  type ExcessEpisode,
  variability,
  type VariabilityOptions,
  type VariabilityResult,
} from "./lib/science/variability.ts";
export {
  type BayesianBlocks,
  bayesianBlocks,
  type BayesianBlocksOptions,
  ncpPriorFromP0,
} from "./lib/science/bayesian_blocks.ts";
export {
  autoFrequency,
  baluevFalseAlarmProbability,
  lombScargle,
  type LombScargleOptions,
  type LombScargleResult,
} from "./lib/science/lomb_scargle.ts";
export { type FoldedLightCurve, foldLightCurve } from "./lib/science/fold.ts";
export {
  type Ds9RegionOptions,
  extractCatalog,
  type ExtractCatalogOptions,
  type ObjectOfInterest,
  toDs9Regions,
} from "./lib/products/extract_catalog.ts";
export { type NameResolver, resolveObjectsOfInterest } from "./lib/client/resolve_objects.ts";
