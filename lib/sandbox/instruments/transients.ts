/**
 * Time on the simulated sky: outbursts of catalogued transients happen only
 * in their real outburst windows (a 2017 image of the Galactic bulge does not
 * show Swift J1727.8-1613, discovered in 2023), and uncatalogued transients
 * show up as `NEW_<n>` detections in the fields and months they are active —
 * some placed in the fields the seed notebooks and README use, so that
 * their "drop the NEW sources" step has something to drop.
 *
 * @module
 */
import type { PointSource } from "./sources.ts";
import type { ScienceWindow } from "./observation.ts";
import { MJDREF } from "./observation.ts";

/**
 * Outburst windows (MJD, inclusive) of catalogued transients that are quiescent (undetectable by INTEGRAL)
 * outside them. Sources not listed are active at all times.
 *
 * @example
 * ```ts
 * import { OUTBURSTS } from "./transients.ts";
 * OUTBURSTS["MAXI J1820+070"]; // [58188, 58420]: 2018 March to October
 * ```
 */
export const OUTBURSTS: Readonly<Record<string, readonly [number, number]>> = {
  // discovered 2018-03-11, hard state until July, back to quiescence in autumn 2018
  "MAXI J1820+070": [58188, 58420],
  // discovered 2023-08-24, bright until early 2024
  "Swift J1727.8-1613": [60180, 60400],
};

/** An uncatalogued transient of the sandbox sky. */
export interface SkyTransient extends PointSource {
  /** Active window (MJD, inclusive). */
  active: readonly [number, number];
}

/**
 * Uncatalogued transients placed on the sandbox sky: each becomes a `NEW_<n>` detection in the images whose
 * science windows overlap its active window and whose field contains it.
 *
 * @example
 * ```ts
 * import { SANDBOX_TRANSIENTS } from "./transients.ts";
 * SANDBOX_TRANSIENTS.length > 0; // true
 * ```
 */
export const SANDBOX_TRANSIENTS: readonly SkyTransient[] = [
  // 3.2° from MAXI J1820+070, during its outburst (the seed notebooks' field)
  { name: "NEW", ra: 277.42, dec: 5.11, flux_mCrab: 60, index: 2.2, active: [58185, 58275] },
  // Galactic Centre, March 2017 (the default source query's field and times)
  { name: "NEW", ra: 266.93, dec: -28.41, flux_mCrab: 45, index: 2.0, active: [57815, 57850] },
  // near the Crab, late 2019
  { name: "NEW", ra: 86.12, dec: 19.63, flux_mCrab: 40, index: 2.3, active: [58790, 58830] },
];

/** Whether any science window overlaps `[mjd1, mjd2]`. */
function overlaps(scws: readonly ScienceWindow[], [m1, m2]: readonly [number, number]): boolean {
  return scws.some((s) => s.stop + MJDREF >= m1 && s.start + MJDREF <= m2);
}

/**
 * Whether a catalogued source is active (detectable) during the science windows.
 *
 * @example
 * ```ts
 * import { isActive } from "./transients.ts";
 * isActive("MAXI J1820+070", []); // false: no time, no outburst
 * ```
 */
export function isActive(name: string, scws: readonly ScienceWindow[]): boolean {
  const w = OUTBURSTS[name];
  return w === undefined || overlaps(scws, w);
}

/**
 * The sandbox transients active during the science windows.
 *
 * @example
 * ```ts
 * import { activeTransients } from "./transients.ts";
 * activeTransients([]).length; // 0
 * ```
 */
export function activeTransients(scws: readonly ScienceWindow[]): SkyTransient[] {
  return SANDBOX_TRANSIENTS.filter((t) => overlaps(scws, t.active));
}
