/**
 * Simulated INTEGRAL observation planning: science windows (ScW) between T1
 * and T2 or from an explicit `scw_list`, their pointing directions (a 5×5
 * dither pattern around the target mixed with Galactic-plane-scan-like
 * pointings within `radius`), tangent-plane geometry and the coded
 * field-of-view response used for exposure maps.
 *
 * Times are INTEGRAL Julian Dates (IJD = MJD − 51544, TT).
 *
 * @module
 */
import { hashSeed, Rng } from "./rng.ts";

/**
 * MJD of the INTEGRAL time origin (IJD 0 = 2000-01-01T00:00:00 TT).
 *
 * @example
 * ```ts
 * import { MJDREF } from "./observation.ts";
 * console.log(58000 - MJDREF); // IJD 6456
 * ```
 */
export const MJDREF = 51544;
const SECONDS_PER_DAY = 86400;
/**
 * Mean length of one simulated pointing slot (ScW + slew) in seconds.
 *
 * @example
 * ```ts
 * import { SCW_CADENCE_S } from "./observation.ts";
 * console.log(SCW_CADENCE_S); // 3600
 * ```
 */
export const SCW_CADENCE_S = 3600;
/** Orbit length used to number revolutions (days). */
const REV_DAYS = 2.8493;
/** MJD at which revolution 0 starts. */
const REV0_MJD = 52563.0;

/** One simulated science window. */
export interface ScienceWindow {
  /** ScW id `RRRRPPPPSSSF.001`. */
  id: string;
  /** Revolution number. */
  revolution: number;
  /** Start (IJD). */
  start: number;
  /** Stop (IJD). */
  stop: number;
  /** Pointing right ascension (deg). */
  ra: number;
  /** Pointing declination (deg). */
  dec: number;
  /** Good time (s) after dead time. */
  livetime: number;
}

/** A coded-mask field of view: fully coded out to `full`, zero response at `zero` (deg). */
export interface FieldOfView {
  /** `square` (IBIS) or `circle` (JEM-X). */
  shape: "square" | "circle";
  /** Half-width / radius of the fully coded field (deg). */
  full: number;
  /** Half-width / radius where the response reaches zero (deg). */
  zero: number;
}

/**
 * Convert an isot string (UTC, treated as TT) or a number (MJD) to MJD.
 *
 * @example
 * ```ts
 * import { toMjd } from "./observation.ts";
 * toMjd("2017-03-06T13:26:48.000"); // 57818.56027777778
 * toMjd(58000); // 58000
 * ```
 */
export function toMjd(t: unknown): number {
  if (typeof t === "number") return t;
  const s = String(t).trim();
  if (/^[-+]?[0-9.]+([eE][-+]?\d+)?$/.test(s)) return Number(s);
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`can not parse time '${s}'`);
  return ms / 86400000 + 40587;
}

/**
 * MJD → isot string with milliseconds.
 *
 * @example
 * ```ts
 * import { mjdToIsot } from "./observation.ts";
 * mjdToIsot(57818.56027777778); // "2017-03-06T13:26:48.000"
 * ```
 */
export function mjdToIsot(mjd: number): string {
  return new Date(Math.round((mjd - 40587) * 86400000)).toISOString().replace("Z", "");
}

/**
 * Revolution containing an MJD.
 *
 * @example
 * ```ts
 * import { revolutionOf } from "./observation.ts";
 * revolutionOf(59862.6); // 2561
 * ```
 */
export function revolutionOf(mjd: number): number {
  return Math.max(0, Math.floor((mjd - REV0_MJD) / REV_DAYS));
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/**
 * Gnomonic (TAN) projection of (ra, dec) about (ra0, dec0): offsets (ξ, η) in degrees.
 *
 * @example
 * ```ts
 * import { tanProject } from "./observation.ts";
 * const [xi, eta] = tanProject(83.63, 22.01, 84.63, 22.01); // ≈ [0.927, 0.006]
 * ```
 */
export function tanProject(ra0: number, dec0: number, ra: number, dec: number): [number, number] {
  const d2r = Math.PI / 180;
  const a = (ra - ra0) * d2r;
  const d = dec * d2r;
  const d0 = dec0 * d2r;
  const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a);
  if (cosc <= 1e-6) return [Number.NaN, Number.NaN];
  const xi = (Math.cos(d) * Math.sin(a)) / cosc;
  const eta = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a)) / cosc;
  return [xi / d2r, eta / d2r];
}

/**
 * Inverse gnomonic projection: (ξ, η) degrees about (ra0, dec0) → (ra, dec).
 *
 * @example
 * ```ts
 * import { tanDeproject } from "./observation.ts";
 * tanDeproject(83.63, 22.01, 0, 1); // ≈ [83.63, 23.01]
 * ```
 */
export function tanDeproject(ra0: number, dec0: number, xi: number, eta: number): [number, number] {
  const d2r = Math.PI / 180;
  const x = xi * d2r;
  const y = eta * d2r;
  const d0 = dec0 * d2r;
  const rho = Math.hypot(x, y);
  if (rho === 0) return [ra0, dec0];
  const c = Math.atan(rho);
  const dec = Math.asin(Math.cos(c) * Math.sin(d0) + (y * Math.sin(c) * Math.cos(d0)) / rho);
  const ra = ra0 * d2r +
    Math.atan2(x * Math.sin(c), rho * Math.cos(d0) * Math.cos(c) - y * Math.sin(d0) * Math.sin(c));
  let raDeg = ra / d2r;
  raDeg = ((raDeg % 360) + 360) % 360;
  return [raDeg, dec / d2r];
}

/**
 * Response (0..1) of a coded field of view at offsets (dx, dy) degrees from the axis.
 *
 * @example
 * ```ts
 * import { fovResponse } from "./observation.ts";
 * fovResponse({ shape: "square", full: 4.5, zero: 14.5 }, 9.5, 0); // 0.5
 * ```
 */
export function fovResponse(fov: FieldOfView, dx: number, dy: number): number {
  const ramp = fov.zero - fov.full;
  if (fov.shape === "circle") {
    const r = Math.hypot(dx, dy);
    return Math.min(1, Math.max(0, (fov.zero - r) / ramp));
  }
  const wx = Math.min(1, Math.max(0, (fov.zero - Math.abs(dx)) / ramp));
  const wy = Math.min(1, Math.max(0, (fov.zero - Math.abs(dy)) / ramp));
  return wx * wy;
}

/**
 * Effective exposure (s) of a sky position summed over science windows.
 *
 * @example
 * ```ts ignore
 * const seconds = exposureAt(scws, { shape: "square", full: 4.5, zero: 14.5 }, 83.63, 22.01);
 * ```
 */
export function exposureAt(
  scws: readonly ScienceWindow[],
  fov: FieldOfView,
  ra: number,
  dec: number,
): number {
  let t = 0;
  for (const s of scws) {
    const [dx, dy] = tanProject(s.ra, s.dec, ra, dec);
    if (Number.isNaN(dx)) continue;
    t += s.livetime * fovResponse(fov, dx, dy);
  }
  return t;
}

/** Inputs of {@linkcode planScienceWindows}. */
export interface PlanOptions {
  /** Target right ascension (deg). */
  ra: number;
  /** Target declination (deg). */
  dec: number;
  /** Start time (isot string or MJD). */
  T1: unknown;
  /** Stop time (isot string or MJD). */
  T2: unknown;
  /** Explicit science windows (`066500220010.001`); overrides T1/T2. */
  scw_list?: readonly string[];
  /** Maximum number of pointings drawn from T1–T2. */
  max_pointings?: number;
  /** Maximum pointing offset from the target (deg). */
  radius?: number;
  /** Dead-time factor: livetime = duration × this. */
  liveFraction?: number;
}

const SCW_RE = /^(\d{4})(\d{4})(\d{3})(\d)(\.\d{3})?$/;

/**
 * Plan the science windows of an observation. Deterministic: it depends only
 * on the inputs (the simulated "archive" is the same for every seed).
 *
 * @example
 * ```ts
 * import { planScienceWindows } from "./observation.ts";
 * const scws = planScienceWindows({ ra: 83.63, dec: 22.01, T1: "2020-01-01T00:00:00", T2: "2020-01-02T00:00:00", max_pointings: 5 });
 * console.log(scws.length, scws[0].id); // 5 "220600150010.001"
 * ```
 */
export function planScienceWindows(o: PlanOptions): ScienceWindow[] {
  const radius = Math.max(0, o.radius ?? 15);
  const live = o.liveFraction ?? 0.8;
  const key = `${o.ra.toFixed(4)}|${o.dec.toFixed(4)}|${radius}`;
  type Slot = { revolution: number; pointing: number; startMjd: number };
  const slots: Slot[] = [];
  if (o.scw_list && o.scw_list.length > 0) {
    for (const raw of o.scw_list) {
      const id = String(raw).trim();
      const m = SCW_RE.exec(id);
      if (!m) throw new Error(`science window id '${id}' is not of the form RRRRPPPPSSSF.001`);
      const revolution = Number(m[1]);
      const pointing = Number(m[2]);
      slots.push({
        revolution,
        pointing,
        startMjd: REV0_MJD + revolution * REV_DAYS + (pointing * SCW_CADENCE_S) / SECONDS_PER_DAY,
      });
    }
  } else {
    const m1 = toMjd(o.T1);
    const m2 = toMjd(o.T2);
    if (!(m2 > m1)) throw new Error(`T2 (${o.T2}) must be after T1 (${o.T1})`);
    const cad = SCW_CADENCE_S / SECONDS_PER_DAY;
    const first = Math.floor(m1 / cad);
    const last = Math.max(first, Math.ceil(m2 / cad) - 1);
    const available = last - first + 1;
    const want = Math.max(1, Math.min(available, Math.floor(o.max_pointings ?? 50)));
    const rng = new Rng(hashSeed(`slots|${first}|${last}|${key}`));
    let chosen: number[];
    if (want === available) chosen = Array.from({ length: available }, (_, i) => first + i);
    else if (want * 4 < available) {
      const set = new Set<number>();
      while (set.size < want) set.add(first + rng.int(available));
      chosen = [...set];
    } else {
      const all = Array.from({ length: available }, (_, i) => first + i);
      for (let i = all.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [all[i], all[j]] = [all[j], all[i]];
      }
      chosen = all.slice(0, want);
    }
    chosen.sort((a, b) => a - b);
    for (const slot of chosen) {
      const startMjd = slot * cad;
      const revolution = revolutionOf(startMjd);
      const pointing = Math.max(
        0,
        Math.floor(((startMjd - (REV0_MJD + revolution * REV_DAYS)) * SECONDS_PER_DAY) / SCW_CADENCE_S),
      );
      slots.push({ revolution, pointing, startMjd });
    }
  }
  const out: ScienceWindow[] = [];
  for (const s of slots) {
    const id = `${pad(s.revolution, 4)}${pad(s.pointing, 4)}0010.001`;
    const rng = new Rng(hashSeed(`scw|${id}|${key}`));
    const slew = rng.range(200, 400);
    const duration = rng.range(1800, SCW_CADENCE_S - 400);
    // pointing: 60 % dither pattern around the target, 40 % elsewhere within radius
    let dx: number;
    let dy: number;
    if (rng.uniform() < 0.6) {
      const k = s.pointing % 25;
      dx = ((k % 5) - 2) * 2.17;
      dy = (Math.floor(k / 5) - 2) * 2.17;
    } else {
      const r = radius * Math.sqrt(rng.uniform());
      const phi = 2 * Math.PI * rng.uniform();
      dx = r * Math.cos(phi);
      dy = r * Math.sin(phi);
    }
    const off = Math.hypot(dx, dy);
    if (off > radius && off > 0) {
      dx *= radius / off;
      dy *= radius / off;
    }
    const [pra, pdec] = tanDeproject(o.ra, o.dec, dx, dy);
    const start = s.startMjd - MJDREF + slew / SECONDS_PER_DAY;
    out.push({
      id,
      revolution: s.revolution,
      start,
      stop: start + duration / SECONDS_PER_DAY,
      ra: pra,
      dec: pdec,
      livetime: duration * live,
    });
  }
  return out;
}
