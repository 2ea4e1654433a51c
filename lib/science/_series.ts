/**
 * Validation of light-curve arrays shared by the science helpers (private).
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import type { BinnedSeries } from "./variability.ts";

/** Validate and copy light-curve arrays; throws `OdaError("PRODUCT")` on bad input. */
export function lightCurveArrays(
  lc: BinnedSeries,
): { time: Float64Array; rate: Float64Array; error: Float64Array; halfWidth: Float64Array } {
  const n = lc.time.length;
  if (lc.rate.length !== n || lc.error.length !== n || (lc.halfWidth && lc.halfWidth.length !== n)) {
    throw new OdaError("INVALID_ARGUMENT", "time, rate, error (and halfWidth) must have the same length");
  }
  const time = Float64Array.from(lc.time);
  const rate = Float64Array.from(lc.rate);
  const error = Float64Array.from(lc.error);
  const halfWidth = lc.halfWidth ? Float64Array.from(lc.halfWidth) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(time[i]) || !Number.isFinite(rate[i]) || !(error[i] > 0 && error[i] < Infinity)) {
      throw new OdaError("INVALID_ARGUMENT", `bin ${i} has a non-finite time/rate or a non-positive error`);
    }
  }
  return { time, rate, error, halfWidth };
}
