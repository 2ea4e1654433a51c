/**
 * Fold a light curve at a period: error-weighted mean rate in phase bins.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import type { BinnedSeries } from "./variability.ts";
import { lightCurveArrays } from "./_series.ts";

/**
 * A folded light curve (one entry per phase bin).
 *
 * @example
 * ```ts
 * import { foldLightCurve } from "@oda-hub/oda-api/science";
 * import assert from "node:assert/strict";
 * const t = Array.from({ length: 400 }, (_, i) => i * 0.013);
 * const f = foldLightCurve({ time: t, rate: t.map((x) => 5 + Math.cos(2 * Math.PI * x / 0.5)), error: t.map(() => 0.1) }, 0.5);
 * assert.equal(f.rate.length, 16);
 * ```
 */
export interface FoldedLightCurve {
  /** Period used (unit of the times). */
  period: number;
  /** Reference time of phase 0. */
  epoch: number;
  /** Phase-bin centres in [0, 1). */
  phase: Float64Array;
  /** Error-weighted mean rate per phase bin (NaN when the bin is empty). */
  rate: Float64Array;
  /** Error of that mean, (Σ 1/σ²)^(−½). */
  error: Float64Array;
  /** Number of light-curve bins in each phase bin. */
  count: Int32Array;
}

/**
 * Fold at `period` (same unit as the times; a `LightCurve` uses days, so a
 * period in seconds is `seconds / 86400`): phase = frac((t − epoch)/period)
 * of each bin centre, `nBins` phase bins (default 16), error-weighted mean
 * per bin. `epoch` defaults to the first time.
 *
 * @example
 * ```ts
 * import { foldLightCurve } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 1000 }, (_, i) => i * 0.0107);
 * const lc = { time: t, rate: t.map((x) => 5 + Math.cos(2 * Math.PI * x / 0.5)), error: t.map(() => 0.1) };
 * const f = foldLightCurve(lc, 0.5, { nBins: 10 });
 * console.assert(f.rate[0] > 5.8 && f.rate[5] < 4.2); // peak at phase 0, minimum at 0.5
 * ```
 */
export function foldLightCurve(
  lc: BinnedSeries,
  period: number,
  options: { nBins?: number; epoch?: number } = {},
): FoldedLightCurve {
  if (!(period > 0)) throw new OdaError("INVALID_ARGUMENT", "period must be positive");
  const nBins = options.nBins ?? 16;
  if (!(Number.isInteger(nBins) && nBins >= 1 && nBins <= 1e6)) {
    throw new OdaError("INVALID_ARGUMENT", "nBins must be an integer in [1, 1e6]");
  }
  const { time, rate, error } = lightCurveArrays(lc);
  const epoch = options.epoch ?? (time.length ? time[0] : 0);
  const sw = new Float64Array(nBins);
  const swx = new Float64Array(nBins);
  const count = new Int32Array(nBins);
  for (let i = 0; i < time.length; i++) {
    const x = (time[i] - epoch) / period;
    const ph = x - Math.floor(x);
    const k = Math.min(nBins - 1, Math.floor(ph * nBins));
    const w = 1 / (error[i] * error[i]);
    sw[k] += w;
    swx[k] += w * rate[i];
    count[k]++;
  }
  return {
    period,
    epoch,
    phase: Float64Array.from({ length: nBins }, (_, k) => (k + 0.5) / nBins),
    rate: Float64Array.from(sw, (w, k) => (w > 0 ? swx[k] / w : NaN)),
    error: Float64Array.from(sw, (w) => (w > 0 ? 1 / Math.sqrt(w) : NaN)),
    count,
  };
}
