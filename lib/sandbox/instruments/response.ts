/**
 * Simple but physically shaped INTEGRAL detector responses for the sandbox:
 * ISGRI (CdTe, 15 keV–1 MeV) and JEM-X (Xe gas, 3–35 keV) effective areas
 * (ARF), energy redistribution (RMF: Gaussian photopeak whose width grows as
 * √E plus a low-energy charge-loss tail) and the background variance used for
 * every noise estimate, so that images, spectra and light curves agree.
 *
 * @module
 */

/** A detector's spectral model. */
export interface DetectorModel {
  /** Short key (`ISGRI`, `JMX1`, `JMX2`). */
  key: string;
  /** FITS `INSTRUME`. */
  instrume: string;
  /** FITS `DETNAM`. */
  detnam: string;
  /** Input energy grid: lower edge, upper edge (keV) and number of log bins. */
  energyGrid: { lo: number; hi: number; n: number };
  /** Output channel grid (log spaced) for an OSA version. */
  channelGrid(osaVersion: string): { lo: number; hi: number; n: number };
  /** Effective area in cm² at energy E (keV). */
  arf(e: number): number;
  /** Photopeak FWHM in keV at energy E. */
  fwhm(e: number): number;
  /** Fraction of events in the photopeak (the rest goes to a flat tail down to E/2). */
  peakFraction(e: number): number;
  /**
   * Background variance density (counts/s/keV): the variance of a deconvolved
   * source rate in a band [E1, E2] measured over T seconds is
   * ∫ varianceDensity dE / T (plus the source's own Poisson term).
   */
  varianceDensity(e: number): number;
}

/**
 * INTEGRAL/IBIS ISGRI: ~1000 cm² CdTe layer behind a 50 % open mask; low
 * threshold ~17 keV, efficiency falling above 150 keV.
 *
 * @example
 * ```ts
 * import { ISGRI } from "./response.ts";
 * console.log(Math.round(ISGRI.arf(60))); // 891 cm²
 * ```
 */
export const ISGRI: DetectorModel = {
  key: "ISGRI",
  instrume: "IBIS",
  detnam: "ISGRI",
  energyGrid: { lo: 12, hi: 1000, n: 300 },
  channelGrid(osa: string) {
    return osa.startsWith("OSA10") ? { lo: 18, hi: 1000, n: 16 } : { lo: 15, hi: 1000, n: 37 };
  },
  arf(e: number): number {
    const threshold = 1 / (1 + Math.exp(-(e - 18.5) / 1.8));
    const absorption = 1 - Math.exp(-4.5 * Math.pow(e / 100, -2.6)); // 2 mm CdTe
    const maskLeak = 1 / (1 + Math.pow(e / 600, 2)); // mask becomes transparent
    return 900 * threshold * absorption * maskLeak;
  },
  fwhm(e: number): number {
    return Math.sqrt(4 + 0.317 * e);
  },
  peakFraction(e: number): number {
    return 0.92 - 0.3 * (e / (e + 250));
  },
  // calibrated to the published sensitivity: 1 mCrab at 5σ in 1 Ms on axis, 20–40 keV (science.md)
  varianceDensity(e: number): number {
    return 3643 * Math.pow(e, -1.3);
  },
};

function jemx(unit: 1 | 2): DetectorModel {
  return {
    key: `JMX${unit}`,
    instrume: `JMX${unit}`,
    detnam: `JMX${unit}`,
    energyGrid: { lo: 2, hi: 40, n: 200 },
    channelGrid() {
      return { lo: 3, hi: 35, n: 32 };
    },
    arf(e: number): number {
      const window = 1 - Math.exp(-Math.pow(e / 4.2, 3)); // Be window
      const gas = Math.exp(-Math.pow(e / 30, 2.2)); // Xe stopping power
      return (unit === 1 ? 110 : 100) * window * gas;
    },
    fwhm(e: number): number {
      return 0.4 * Math.sqrt(e);
    },
    peakFraction(): number {
      return 0.97;
    },
    // calibrated to "a few mCrab at 5σ in ~100 ks, 3–15 keV" (science.md): 3 mCrab
    varianceDensity(e: number): number {
      return 987 * Math.pow(e, -1.3);
    },
  };
}

/** JEM-X unit 1. @example
 * ```ts
 * import { JEMX1 } from "./response.ts";
 * console.log(JEMX1.detnam); // JMX1
 * ```
 */
export const JEMX1: DetectorModel = jemx(1);
/** JEM-X unit 2. @example
 * ```ts
 * import { JEMX2 } from "./response.ts";
 * console.log(JEMX2.detnam); // JMX2
 * ```
 */
export const JEMX2: DetectorModel = jemx(2);

/** A photon spectrum N(E) in photons/cm²/s/keV. */
export type PhotonSpectrum = (e: number) => number;

/** Crab 20–80 keV energy flux in keV/cm²/s for N(E) = 10 E^-2.1. */
const CRAB_20_80 = integrate((e) => 10 * Math.pow(e, -1.1), 20, 80);

/**
 * A power law (optionally with exponential cut-off) normalised to a 20–80
 * keV flux in mCrab (1 Crab = 10 E^-2.1 photons/cm²/s/keV).
 *
 * @example
 * ```ts
 * import { powerLaw } from "./response.ts";
 * const crab = powerLaw(1000, 2.1);
 * crab(1); // ≈ 10 photons/cm²/s/keV
 * ```
 */
export function powerLaw(flux_mCrab: number, index: number, cutoff_keV?: number): PhotonSpectrum {
  const shape = (e: number) => Math.pow(e, -index) * (cutoff_keV ? Math.exp(-e / cutoff_keV) : 1);
  const norm = ((flux_mCrab / 1000) * CRAB_20_80) / integrate((e) => e * shape(e), 20, 80);
  return (e: number) => norm * shape(e);
}

/**
 * Trapezoid integral on a log grid (smooth, positive integrands).
 *
 * @example
 * ```ts
 * import { integrate } from "./response.ts";
 * integrate((x) => 1 / x, 1, Math.E); // ≈ 1
 * ```
 */
export function integrate(f: (x: number) => number, a: number, b: number, n = 200): number {
  if (!(b > a) || a <= 0) return 0;
  const la = Math.log(a);
  const step = (Math.log(b) - la) / n;
  let sum = 0;
  let prevX = a;
  let prev = f(a) * a;
  for (let i = 1; i <= n; i++) {
    const x = Math.exp(la + i * step);
    const v = f(x) * x; // d(lnx) substitution
    sum += 0.5 * (v + prev) * step;
    prevX = x;
    prev = v;
  }
  void prevX;
  return sum;
}

/**
 * Detected count rate (counts/s) of a source with spectrum `spec` in the band
 * [e1, e2] keV, on axis.
 *
 * @example
 * ```ts
 * import { bandRate, ISGRI, powerLaw } from "./response.ts";
 * bandRate(ISGRI, powerLaw(1000, 2.1), 20, 40); // ≈ 150 counts/s for the Crab
 * ```
 */
export function bandRate(model: DetectorModel, spec: PhotonSpectrum, e1: number, e2: number): number {
  return integrate((e) => spec(e) * model.arf(e), e1, e2);
}

/**
 * Background variance rate in a band (counts²/s per s): σ(rate) over T
 * seconds is √(bandVariance / T).
 *
 * @example
 * ```ts
 * import { bandVariance, ISGRI } from "./response.ts";
 * Math.sqrt(bandVariance(ISGRI, 20, 40) / 2000); // ≈ 1.5 counts/s in one science window
 * ```
 */
export function bandVariance(model: DetectorModel, e1: number, e2: number): number {
  return integrate((e) => model.varianceDensity(e), e1, e2);
}

/** One RMF row: first channel, number of channels and the matrix values (single group). */
export interface RmfRow {
  /** First channel of the group (empty arrays when the row has no group). */
  fChan: Int16Array;
  /** Number of channels of the group. */
  nChan: Int16Array;
  /** Redistribution probabilities for those channels. */
  matrix: Float32Array;
}

/** A full response: ARF, RMF rows and channel boundaries. */
export interface Response {
  /** The model it was built from. */
  model: DetectorModel;
  /** OSA version the channel grid belongs to. */
  osaVersion: string;
  /** Input energy bin lower edges (keV). */
  energLo: Float32Array;
  /** Input energy bin upper edges (keV). */
  energHi: Float32Array;
  /** Effective area per input bin (cm²). */
  specresp: Float32Array;
  /** Channel lower edges (keV). */
  eMin: Float32Array;
  /** Channel upper edges (keV). */
  eMax: Float32Array;
  /** First channel number (TLMIN of CHANNEL). */
  firstChannel: number;
  /** One row per input energy bin. */
  rows: RmfRow[];
}

/**
 * Error function (Abramowitz & Stegun 7.1.26, |ε| < 1.5e-7).
 *
 * @example
 * ```ts
 * import { erf } from "./response.ts";
 * erf(1); // ≈ 0.8427
 * ```
 */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 -
    (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
      Math.exp(-ax * ax);
  return s * y;
}

function logEdges(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n + 1);
  const a = Math.log(lo);
  const step = (Math.log(hi) - a) / n;
  for (let i = 0; i <= n; i++) out[i] = Math.exp(a + i * step);
  out[0] = lo;
  out[n] = hi;
  return out;
}

const cache = new Map<string, Response>();

/**
 * Build (and cache) the response of a detector for an OSA version.
 *
 * @example
 * ```ts
 * import { buildResponse, ISGRI } from "./response.ts";
 * const rsp = buildResponse(ISGRI, "OSA11.2");
 * console.log(rsp.eMin.length, rsp.energLo.length); // 37 300
 * ```
 */
export function buildResponse(model: DetectorModel, osaVersion: string): Response {
  const key = `${model.key}|${model.channelGrid(osaVersion).n}|${model.channelGrid(osaVersion).lo}`;
  const hit = cache.get(key);
  if (hit) return { ...hit, osaVersion };
  const eg = model.energyGrid;
  const ee = logEdges(eg.lo, eg.hi, eg.n);
  const cg = model.channelGrid(osaVersion);
  const ce = logEdges(cg.lo, cg.hi, cg.n);
  // round channel edges to 0.01 keV like calibration files
  for (let i = 0; i < ce.length; i++) ce[i] = Math.round(ce[i] * 100) / 100;
  const energLo = new Float32Array(eg.n);
  const energHi = new Float32Array(eg.n);
  const specresp = new Float32Array(eg.n);
  const rows: RmfRow[] = [];
  const nch = cg.n;
  const probs = new Float64Array(nch);
  for (let i = 0; i < eg.n; i++) {
    energLo[i] = ee[i];
    energHi[i] = ee[i + 1];
    const e = Math.sqrt(ee[i] * ee[i + 1]);
    specresp[i] = model.arf(e);
    const sigma = model.fwhm(e) / 2.3548;
    const pf = model.peakFraction(e);
    const tailLo = 0.5 * e;
    for (let c = 0; c < nch; c++) {
      const a = ce[c];
      const b = ce[c + 1];
      const peak = 0.5 * (erf((b - e) / (Math.SQRT2 * sigma)) - erf((a - e) / (Math.SQRT2 * sigma)));
      const ov = Math.max(0, Math.min(b, e) - Math.max(a, tailLo));
      const tail = ov / (e - tailLo);
      probs[c] = pf * peak + (1 - pf) * tail;
    }
    let first = -1;
    let last = -1;
    for (let c = 0; c < nch; c++) {
      if (probs[c] >= 1e-6) {
        if (first < 0) first = c;
        last = c;
      }
    }
    if (first < 0) {
      rows.push({ fChan: new Int16Array(0), nChan: new Int16Array(0), matrix: new Float32Array(0) });
      continue;
    }
    const m = new Float32Array(last - first + 1);
    for (let c = first; c <= last; c++) m[c - first] = probs[c];
    rows.push({ fChan: Int16Array.of(first), nChan: Int16Array.of(last - first + 1), matrix: m });
  }
  const eMin = new Float32Array(nch);
  const eMax = new Float32Array(nch);
  for (let c = 0; c < nch; c++) {
    eMin[c] = ce[c];
    eMax[c] = ce[c + 1];
  }
  const rsp: Response = { model, osaVersion, energLo, energHi, specresp, eMin, eMax, firstChannel: 0, rows };
  cache.set(key, rsp);
  return rsp;
}

/**
 * Fold a photon spectrum through a response: expected counts/s per channel.
 *
 * @example
 * ```ts
 * import { buildResponse, foldSpectrum, ISGRI, powerLaw } from "./response.ts";
 * const rate = foldSpectrum(buildResponse(ISGRI, "OSA11.2"), powerLaw(1000, 2.1));
 * ```
 */
export function foldSpectrum(rsp: Response, spec: PhotonSpectrum): Float64Array {
  const out = new Float64Array(rsp.eMin.length);
  for (let i = 0; i < rsp.rows.length; i++) {
    const row = rsp.rows[i];
    if (row.fChan.length === 0) continue;
    const lo = rsp.energLo[i];
    const hi = rsp.energHi[i];
    const photons = spec(Math.sqrt(lo * hi)) * (hi - lo) * rsp.specresp[i];
    const f = row.fChan[0];
    for (let k = 0; k < row.matrix.length; k++) out[f + k] += photons * row.matrix[k];
  }
  return out;
}

/**
 * Background variance rate per channel (see {@linkcode bandVariance}).
 *
 * @example
 * ```ts
 * import { buildResponse, channelVariance, ISGRI } from "./response.ts";
 * const v = channelVariance(buildResponse(ISGRI, "OSA11.2"));
 * ```
 */
export function channelVariance(rsp: Response): Float64Array {
  const out = new Float64Array(rsp.eMin.length);
  for (let c = 0; c < out.length; c++) out[c] = bandVariance(rsp.model, rsp.eMin[c], rsp.eMax[c]);
  return out;
}
