/**
 * The time axis of light-curve plots: offsets from a named reference epoch
 * in days, hours or seconds, and calendar dates of IJD times (in the data's
 * own time system; the product says which, display only names it).
 *
 * @module
 */

/** IJD 0 = MJD 51544 = 2000-01-01T00:00 (in the file's time system), in ms since the Unix epoch. */
export const IJD0_MS = Date.UTC(2000, 0, 1);

/**
 * Calendar date of an IJD (`"2018-03-17 06:00:00"`), in the time system of
 * the data (no leap-second or TT→UTC conversion); `"?"` for a time that is not finite or beyond the
 * calendar (±10^8 days).
 *
 * @example
 * ```ts
 * import { ijdToDate } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(ijdToDate(6650.25), "2018-03-17 06:00:00");
 * ```
 */
export function ijdToDate(ijd: number, withSeconds = true): string {
  const ms = IJD0_MS + Math.round(ijd * 86_400_000);
  // beyond what a Date holds (±10^8 days: a fill value, not a time) there is no calendar date
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return "?";
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + " " + iso.slice(11, withSeconds ? 19 : 16);
}

/**
 * The x axis of a light curve: offsets from a reference epoch `t0` (IJD) in
 * a unit that suits the span (days, hours or seconds).
 *
 * @example
 * ```ts
 * import { timeAxis } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const axis = timeAxis(6650.4, 6650.6, "TT");
 * assert.equal(axis.unit, "h");
 * axis.toX(6650.5); // 12 (hours since IJD 6650)
 * ```
 */
export interface TimeAxis {
  /** Reference epoch (IJD). */
  t0: number;
  /** Unit of the offsets. */
  unit: "d" | "h" | "s";
  /** Offset units per day (1, 24 or 86400). */
  perDay: number;
  /** Axis title naming the epoch. */
  title: string;
  /** IJD → axis value. */
  toX(t: number): number;
}

/**
 * Choose the time axis for IJD times spanning `[tMin, tMax]`: days from the
 * start of the first day for spans of 2 days or more, hours for 2 hours or
 * more, seconds from the start of the first hour otherwise.
 *
 * @example
 * ```ts
 * import { timeAxis } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(timeAxis(6650.2, 6700.9).title, "Time [d] since 2018-03-17 00:00 (IJD 6650; IJD = MJD − 51544)");
 * ```
 */
export function timeAxis(tMin: number, tMax: number, timeSystem?: string): TimeAxis {
  const lo = Number.isFinite(tMin) ? tMin : 0, hi = Number.isFinite(tMax) ? tMax : lo;
  const span = hi - lo;
  const unit: TimeAxis["unit"] = span >= 2 ? "d" : span >= 2 / 24 ? "h" : "s";
  const perDay = unit === "d" ? 1 : unit === "h" ? 24 : 86400;
  const t0 = unit === "s" ? Math.floor(lo * 24) / 24 : Math.floor(lo);
  const sys = timeSystem ? ` ${timeSystem}` : "";
  const epoch = `${ijdToDate(t0, false)}${sys}`;
  const ijd = Number.isInteger(t0) ? String(t0) : t0.toFixed(6).replace(/0+$/, "");
  return {
    t0,
    unit,
    perDay,
    title: `Time [${unit}] since ${epoch} (IJD ${ijd}; IJD = MJD − 51544)`,
    toX: (t: number) => (t - t0) * perDay,
  };
}
