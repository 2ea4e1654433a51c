/**
 * Returned-parameters consistency (oda_api's
 * `returned_analysis_parameters_consistency`): compare what a finished job's
 * `products.analysis_parameters` says was computed with what was requested.
 *
 * The dispatcher's job id hashes each value's *sorted characters*, so values
 * that are anagrams of each other (`T2=…T00:10:00` vs `…T01:00:00`) share a
 * job id, and a query could silently receive another query's products. The
 * server also normalises what it echoes (times to `isot`, numbers to floats,
 * unit/format selectors to their defaults, defaults added, unknown arguments
 * dropped), so only the keys the user passed are compared, numbers and times
 * by value, and values the server may have converted are skipped.
 *
 * @module
 */
import { redactSecrets } from "../errors.ts";
import { PyFloat } from "../data/json.ts";

/** Keys never compared: wire/control keys, the token, and keys the server rewrites. */
const SKIP = new Set([
  "token",
  "session_id",
  "job_id",
  "query_status",
  "off_line",
  "verbose",
  "dry_run",
  "api",
  "oda_api_version",
  "client-name",
  "instrument",
  "product_type",
  "query_type",
  "selected_catalog",
  "user_catalog",
]);
const SELECTOR_RE = /_(units?|format)$/;
const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

/**
 * One requested parameter the dispatcher reports differently.
 *
 * @example
 * ```ts
 * import type { ParameterMismatch } from "./consistency.ts";
 * const m: ParameterMismatch = { key: "T2", requested: "2022-07-01T00:10:00", returned: "2022-07-01T01:00:00.000" };
 * ```
 */
export interface ParameterMismatch {
  /** Parameter name. */
  key: string;
  /** Value as requested. */
  requested: unknown;
  /** Value in `products.analysis_parameters`. */
  returned: unknown;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && NUMBER_RE.test(v.trim())) return Number(v);
  // a PyFloat (parseJson keepFloats); any other object's valueOf is never called (a hostile answer's)
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? v.value : undefined;
  return undefined;
}

function asTime(v: unknown): number | undefined {
  if (typeof v !== "string" || !DATE_RE.test(v.trim())) return undefined;
  const ms = Date.parse(
    v.trim().replace(" ", "T") + (v.includes("T") || v.includes(" ") ? "Z" : "T00:00:00Z"),
  );
  return Number.isNaN(ms) ? undefined : ms;
}

function asList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) {
    return v.every((x) => typeof x !== "object") ? v.map((x) => String(x).trim()) : undefined;
  }
  if (typeof v === "string") return v.split(",").map((x) => x.trim()).filter((x) => x !== "");
  return undefined;
}

/** Whether two values agree, or `undefined` when they cannot be compared safely. */
function agree(requested: unknown, returned: unknown, numbers: boolean): boolean | undefined {
  if (requested instanceof Date) requested = requested.toISOString().replace(/Z$/, ""); // as sent
  if (typeof requested === "string" && typeof returned === "string" && requested.trim() === returned.trim()) {
    return true;
  }
  if (Array.isArray(requested) || Array.isArray(returned)) {
    const a = asList(requested);
    const b = asList(returned);
    if (!a || !b) return undefined;
    return a.length === b.length && a.every((x, i) => agree(x, b[i], numbers) !== false);
  }
  if (typeof requested === "boolean" || typeof returned === "boolean") {
    // objects (a hostile answer's valueOf/toString) are never converted: they cannot be compared
    if (
      (requested !== null && typeof requested === "object") ||
      (returned !== null && typeof returned === "object")
    ) {
      return undefined;
    }
    const norm = (v: unknown) => String(v).trim().toLowerCase();
    return norm(requested) === norm(returned);
  }
  const n1 = asNumber(requested);
  const n2 = asNumber(returned);
  if (n1 !== undefined && n2 !== undefined) {
    if (!numbers) return undefined;
    // Python echoes floats with their shortest round-trip repr: equal values parse to the same double
    return n1 === n2;
  }
  const t1 = asTime(requested);
  const t2 = asTime(returned);
  if (t1 !== undefined && t2 !== undefined) return t1 === t2;
  if (typeof requested !== "string" || typeof returned !== "string") return undefined;
  const s = requested.trim();
  if (s.startsWith("{") || s.startsWith("[")) return undefined; // JSON text the server re-serialises
  return s === returned.trim();
}

/** Units of one physical kind, as factors to a common unit. */
const UNIT_TABLES: ReadonlyArray<Readonly<Record<string, number>>> = [
  { eV: 1e-3, keV: 1, MeV: 1e3, GeV: 1e6, TeV: 1e9, PeV: 1e12 },
  { deg: 3600, arcmin: 60, arcsec: 1, mas: 1e-3, rad: 180 / Math.PI * 3600 },
  { s: 1, ms: 1e-3, us: 1e-6, ks: 1e3, min: 60, h: 3600, d: 86400 },
  { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 },
];

/**
 * Whether `returned` is `requested` (given in `unit`) expressed in another
 * unit of the same kind: the dispatcher stores values in each parameter's
 * default unit, converting even when no unit selector was sent (an energy of
 * 20 keV may come back as 20000 eV).
 */
function sameQuantity(requested: unknown, returned: unknown, unit: string | null | undefined): boolean {
  if (!unit) return false;
  const q = asNumber(requested);
  const r = asNumber(returned);
  if (q === undefined || r === undefined) return false;
  const table = UNIT_TABLES.find((t) => unit in t);
  if (!table) return false;
  return Object.values(table).some((f) => {
    const expected = q * table[unit] / f;
    return Math.abs(expected - r) <= 1e-9 * Math.max(Math.abs(expected), Math.abs(r));
  });
}

/**
 * Whether a mismatch could be a unit conversion, i.e. worth asking for the
 * parameters' units: both values are numbers.
 *
 * @example
 * ```ts
 * import { mayBeUnitConversion } from "./consistency.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mayBeUnitConversion({ key: "E1", requested: 20, returned: 20000 }), true);
 * ```
 */
export function mayBeUnitConversion(m: ParameterMismatch): boolean {
  return asNumber(m.requested) !== undefined && asNumber(m.returned) !== undefined;
}

/**
 * The requested parameters that `products.analysis_parameters` clearly
 * contradicts. Only keys the user passed are compared; unit/format selectors,
 * times given in another `T_format` than `isot`, and numbers when any other
 * unit/format selector was passed are skipped (the server converts them);
 * keys missing from the answer (unused arguments) are skipped too. With
 * `options.units` (each parameter's unit, as `/api/meta-data` describes it),
 * numbers are compared in the parameter's units: a value converted to another
 * unit of the same kind (keV → eV, deg → arcsec, s → d...) agrees.
 *
 * @example
 * ```ts
 * import { analysisParametersMismatches } from "./consistency.ts";
 * analysisParametersMismatches(
 *   { T1: "2022-07-01T00:00:00", time_bin: 1 },
 *   { T1: "2022-07-01T00:00:00.000", time_bin: 1.0, T_format: "isot" },
 * ); // []
 * ```
 */
export function analysisParametersMismatches(
  requested: Record<string, unknown>,
  returned: Record<string, unknown>,
  options: { units?: Readonly<Record<string, string | null | undefined>> } = {},
): ParameterMismatch[] {
  const keys = Object.keys(requested);
  const tFormat = requested.T_format;
  const skipTimes = tFormat !== undefined && tFormat !== null &&
    String(tFormat).trim().toLowerCase() !== "isot";
  const numbers = !keys.some((k) => k !== "T_format" && SELECTOR_RE.test(k));
  const out: ParameterMismatch[] = [];
  for (const key of keys) {
    if (SKIP.has(key) || SELECTOR_RE.test(key) || !(key in returned)) continue;
    if (skipTimes && (key === "T1" || key === "T2")) continue;
    const req = requested[key];
    const ret = returned[key];
    if (req === undefined || req === null || ret === undefined || ret === null) continue;
    if (agree(req, ret, numbers) === false && !sameQuantity(req, ret, options.units?.[key])) {
      out.push({ key, requested: req, returned: ret });
    }
  }
  return out;
}

/**
 * oda_api's message for mismatches (`k: returned X != requested Y; ...`), secrets removed.
 *
 * @example
 * ```ts
 * import { formatParameterMismatches } from "./consistency.ts";
 * formatParameterMismatches([{ key: "T2", requested: "2022-07-01T00:10:00", returned: "2022-07-01T01:00:00.000" }]);
 * ```
 */
export function formatParameterMismatches(mismatches: readonly ParameterMismatch[]): string {
  const show = (v: unknown) => typeof v === "string" ? v : JSON.stringify(v);
  return redactSecrets(
    "dispatcher returned different parameters: " +
      mismatches.map((m) => `${m.key}: returned ${show(m.returned)} != requested ${show(m.requested)}`).join(
        "; ",
      ),
  );
}
