/**
 * Variability of a binned light curve: error-weighted mean, χ² against a
 * constant and its probability, fractional rms variability Fvar (Vaughan et
 * al. 2003) and the excess episodes above the weighted mean.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { chi2Survival } from "./_special.ts";
import { lightCurveArrays } from "./_series.ts";

/**
 * The arrays a light-curve statistic needs: a {@linkcode LightCurve} from
 * `lightCurve(product)` satisfies it, and so do plain arrays.
 *
 * @example
 * ```ts
 * import type { BinnedSeries } from "@oda-hub/oda-api/science";
 * const lc: BinnedSeries = { time: [1, 2, 3], rate: [10, 12, 11], error: [1, 1, 1] };
 * ```
 */
export interface BinnedSeries {
  /** Bin centres (any time unit; `LightCurve` uses IJD days). */
  time: ArrayLike<number>;
  /** Rates. */
  rate: ArrayLike<number>;
  /** 1σ errors of the rates (all > 0). */
  error: ArrayLike<number>;
  /** Bin half-widths in the unit of `time` (default 0). */
  halfWidth?: ArrayLike<number>;
}

/**
 * Options of {@linkcode variability}.
 *
 * @example
 * ```ts
 * import type { VariabilityOptions } from "@oda-hub/oda-api/science";
 * const opts: VariabilityOptions = { nSigma: 4 };
 * ```
 */
export interface VariabilityOptions {
  /** Threshold of an excess bin, (rate − weighted mean)/error ≥ nSigma (default 3). */
  nSigma?: number;
}

/**
 * An excess episode: a maximal run of consecutive bins with
 * (rate − weighted mean)/error ≥ nSigma.
 *
 * @example
 * ```ts
 * import type { ExcessEpisode } from "@oda-hub/oda-api/science";
 * const describe = (e: ExcessEpisode) => `${e.start}–${e.stop}: ${e.significance.toFixed(1)}σ`;
 * ```
 */
export interface ExcessEpisode {
  /** Index of the first bin of the run. */
  first: number;
  /** Index of the last bin of the run (inclusive). */
  last: number;
  /** Start of the run: time − halfWidth of its first bin. */
  start: number;
  /** Stop of the run: time + halfWidth of its last bin. */
  stop: number;
  /** Time of the bin with the highest rate in the run. */
  peakTime: number;
  /** Highest rate in the run. */
  peakRate: number;
  /** Combined significance of the run: Σ zᵢ / √k over its k bins (Stouffer), zᵢ = (rateᵢ − mean)/errorᵢ. */
  significance: number;
}

/**
 * Result of {@linkcode variability}.
 *
 * @example
 * ```ts
 * import { variability } from "@oda-hub/oda-api/science";
 * const v = variability({ time: [0, 1, 2, 3], rate: [1, 1, 9, 1], error: [1, 1, 1, 1] });
 * if (v.chi2Probability < 1e-3) console.log("variable");
 * ```
 */
export interface VariabilityResult {
  /** Number of bins used. */
  n: number;
  /** Error-weighted mean Σwᵢxᵢ/Σwᵢ, wᵢ = 1/σᵢ². */
  weightedMean: number;
  /** Its error (Σwᵢ)^(−½). */
  weightedMeanError: number;
  /** Arithmetic mean of the rates (the x̄ of Fvar). */
  mean: number;
  /** χ² against the weighted mean: Σ((xᵢ − mean)/σᵢ)². */
  chi2: number;
  /** Degrees of freedom, n − 1. */
  dof: number;
  /** Probability of a χ² this large or larger for a constant source: Q(dof/2, χ²/2). */
  chi2Probability: number;
  /** Sample variance S² (n − 1 in the denominator). */
  sampleVariance: number;
  /** Mean square error ⟨σ²⟩. */
  meanSquareError: number;
  /** Fractional rms variability (Vaughan et al. 2003 eq. 10); `null` when S² < ⟨σ²⟩ (undefined). */
  fvar: number | null;
  /** Error of Fvar (eq. B2); `null` when Fvar is undefined. */
  fvarError: number | null;
  /** Threshold used for the episodes. */
  nSigma: number;
  /** Excess episodes in time order. */
  episodes: ExcessEpisode[];
}

/**
 * Is the light curve variable, did it flare? Error-weighted mean and its
 * error, χ² against that constant with n − 1 degrees of freedom and its
 * probability (regularized incomplete gamma), Fvar with its error
 * (Vaughan, Edelson, Warwick & Uttley 2003, eq. 10 and B2; `null` when the
 * excess variance is negative), and the excess episodes: maximal runs of
 * consecutive bins (in the given order) with (rate − weighted mean)/error ≥
 * `nSigma`, i.e. rate ≥ weighted mean + nSigma × the bin's own error (the
 * threshold {@linkcode excessThresholds} gives, bin by bin).
 *
 * @example
 * ```ts
 * import { variability } from "@oda-hub/oda-api/science";
 * const rate = [10, 10.5, 9.5, 10, 16, 17, 10, 9.8, 10.2, 10];
 * const v = variability({ time: rate.map((_, i) => i), rate, error: rate.map(() => 1) }, { nSigma: 3 });
 * console.assert(v.dof === 9);
 * console.assert(v.episodes.length === 1 && v.episodes[0].first === 4 && v.episodes[0].last === 5);
 * ```
 */
export function variability(lc: BinnedSeries, options: VariabilityOptions = {}): VariabilityResult {
  const { time, rate, error, halfWidth } = lightCurveArrays(lc);
  const n = time.length;
  if (n < 2) throw new OdaError("INVALID_ARGUMENT", "variability needs at least 2 bins");
  const nSigma = options.nSigma ?? 3;
  let sw = 0, swx = 0, sum = 0, sumErr2 = 0;
  for (let i = 0; i < n; i++) {
    const w = 1 / (error[i] * error[i]);
    sw += w;
    swx += w * rate[i];
    sum += rate[i];
    sumErr2 += error[i] * error[i];
  }
  const weightedMean = swx / sw;
  const mean = sum / n;
  let chi2 = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const z = (rate[i] - weightedMean) / error[i];
    chi2 += z * z;
    ss += (rate[i] - mean) ** 2;
  }
  const dof = n - 1;
  const sampleVariance = ss / (n - 1);
  const meanSquareError = sumErr2 / n;
  let fvar: number | null = null;
  let fvarError: number | null = null;
  const excess = sampleVariance - meanSquareError;
  if (excess >= 0 && mean !== 0) {
    fvar = Math.sqrt(excess / (mean * mean));
    const a = fvar > 0 ? Math.sqrt(1 / (2 * n)) * meanSquareError / (mean * mean * fvar) : Infinity;
    const b = Math.sqrt(meanSquareError / n) / Math.abs(mean);
    fvarError = Math.sqrt(a * a + b * b);
  }
  const episodes: ExcessEpisode[] = [];
  let i = 0;
  while (i < n) {
    if (!(rate[i] >= excessThreshold(weightedMean, nSigma, error[i]))) {
      i++;
      continue;
    }
    const first = i;
    let zsum = 0, peak = i;
    while (i < n && rate[i] >= excessThreshold(weightedMean, nSigma, error[i])) {
      zsum += (rate[i] - weightedMean) / error[i];
      if (rate[i] > rate[peak]) peak = i;
      i++;
    }
    const last = i - 1;
    episodes.push({
      first,
      last,
      start: time[first] - halfWidth[first],
      stop: time[last] + halfWidth[last],
      peakTime: time[peak],
      peakRate: rate[peak],
      significance: zsum / Math.sqrt(last - first + 1),
    });
  }
  return {
    n,
    weightedMean,
    weightedMeanError: 1 / Math.sqrt(sw),
    mean,
    chi2,
    dof,
    chi2Probability: chi2Survival(chi2, dof),
    sampleVariance,
    meanSquareError,
    fvar,
    fvarError,
    nSigma,
    episodes,
  };
}

/** The excess rule, in one place: bin i is an excess bin when rateᵢ ≥ weighted mean + nSigma·errorᵢ. */
function excessThreshold(weightedMean: number, nSigma: number, error: number): number {
  return weightedMean + nSigma * error;
}

/**
 * The rule that decides {@linkcode variability}'s excess bins, as numbers to draw: bin i is an excess bin
 * exactly when `rate[i] >= threshold[i]`, threshold[i] = weighted mean + nSigma × error[i] (each bin's OWN
 * error, so the threshold moves from bin to bin; it is not a band of the scatter of the rates).
 *
 * @example
 * ```ts
 * import { excessThresholds, variability } from "@oda-hub/oda-api/science";
 * import assert from "node:assert/strict";
 * const lc = { time: [0, 1, 2, 3], rate: [10, 10, 16, 10], error: [1, 1, 2, 1] };
 * const v = variability(lc, { nSigma: 2 });
 * const thr = excessThresholds(lc, v);
 * assert.equal(thr[2], v.weightedMean + 2 * 2);
 * assert.deepEqual(v.episodes.map((e) => [e.first, e.last]), [[2, 2]]); // rate 16 ≥ its threshold
 * ```
 */
export function excessThresholds(
  lc: BinnedSeries,
  v: Pick<VariabilityResult, "weightedMean" | "nSigma">,
): Float64Array {
  const { error } = lightCurveArrays(lc);
  return Float64Array.from(error, (e) => excessThreshold(v.weightedMean, v.nSigma, e));
}

/**
 * oda_api's σ_d (`OdaLightCurve.build_fig`): the standard deviation of the rates with N in the
 * denominator (`numpy.std(y)`), the half-width unit of the cyan band it draws around the weighted mean. It
 * describes the scatter of the light curve; it decides no excess ({@linkcode excessThresholds} does).
 *
 * @example
 * ```ts
 * import { rateScatter } from "@oda-hub/oda-api/science";
 * import assert from "node:assert/strict";
 * assert.equal(rateScatter({ time: [0, 1], rate: [9, 11], error: [1, 1] }), 1);
 * ```
 */
export function rateScatter(lc: BinnedSeries): number {
  const { rate } = lightCurveArrays(lc);
  let sum = 0;
  for (const r of rate) sum += r;
  const mean = sum / rate.length;
  let ss = 0;
  for (const r of rate) ss += (r - mean) ** 2;
  return Math.sqrt(ss / rate.length);
}
