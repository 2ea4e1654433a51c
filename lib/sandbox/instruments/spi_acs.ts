/**
 * The simulated `spi_acs` instrument: the INTEGRAL SPI anti-coincidence
 * shield count rate (>80 keV, 50 ms native resolution), ~70–100 k counts/s of
 * background with Poisson noise, a slow orbital modulation and now and then a
 * gamma-ray-burst-like pulse. Synchronous, like the real service.
 *
 * @module
 */
import type { JobContext, ParameterSpec, ProductOutput, SandboxInstrument } from "../instrument.ts";
import { PyFloat } from "../../data/json.ts";
import { bintableHeader, col, encodeProduct, primaryHeader, type SimProduct, table } from "./encode.ts";
import { num } from "./integral.ts";
import { timeBinParameter } from "./isgri.ts";
import { MJDREF, mjdToIsot, toMjd } from "./observation.ts";
import { hashSeed, Rng } from "./rng.ts";

/**
 * Native ACS time resolution (s).
 *
 * @example
 * ```ts
 * import { ACS_RESOLUTION_S } from "./spi_acs.ts";
 * console.log(ACS_RESOLUTION_S); // 0.05
 * ```
 */
export const ACS_RESOLUTION_S = 0.05;
/**
 * Maximum number of bins in one light curve.
 *
 * @example
 * ```ts
 * import { ACS_MAX_BINS } from "./spi_acs.ts";
 * console.log(ACS_MAX_BINS); // 2000000
 * ```
 */
export const ACS_MAX_BINS = 2_000_000;

/** A burst: peak time (IJD), peak rate (counts/s), rise and decay times (s). */
export interface AcsBurst {
  /** Peak time (IJD). */
  peak: number;
  /** Peak count rate above background (counts/s). */
  amplitude: number;
  /** e-folding rise time (s). */
  rise: number;
  /** e-folding decay time (s). */
  decay: number;
}

/**
 * Bursts whose peaks fall in [t1, t2] (IJD): on average one every ~8 hours,
 * deterministic per hour of sky time (independent of the job seed).
 *
 * @example
 * ```ts
 * import { acsBursts } from "./spi_acs.ts";
 * const bursts = acsBursts(6650, 6651); // those of one day
 * ```
 */
export function acsBursts(t1: number, t2: number): AcsBurst[] {
  const out: AcsBurst[] = [];
  const h1 = Math.floor(t1 * 24) - 1;
  const h2 = Math.floor(t2 * 24) + 1;
  if (h2 - h1 > 24 * 400) return out; // more than a year: skip the burst search
  for (let h = h1; h <= h2; h++) {
    const r = new Rng(hashSeed(`acs-burst|${h}`));
    if (r.uniform() >= 0.125) continue;
    const short = r.uniform() < 0.25;
    out.push({
      peak: (h + r.uniform()) / 24,
      amplitude: Math.exp(r.range(Math.log(3e3), Math.log(3e5))),
      rise: short ? r.range(0.02, 0.2) : r.range(0.3, 3),
      decay: short ? r.range(0.1, 0.6) : r.range(2, 40),
    });
  }
  return out;
}

const levels = new Map<number, number>();
function dayLevel(day: number): number {
  let v = levels.get(day);
  if (v === undefined) {
    v = 70000 + 30000 * new Rng(hashSeed(`acs-bkg|${day}`)).uniform();
    if (levels.size > 10000) levels.clear();
    levels.set(day, v);
  }
  return v;
}

/**
 * Background rate (counts/s) at time t (IJD): daily level 70–100 k, orbital modulation.
 *
 * @example
 * ```ts
 * import { acsBackground } from "./spi_acs.ts";
 * acsBackground(6650.5); // ≈ 7e4–1e5 counts/s
 * ```
 */
export function acsBackground(t: number): number {
  const day = Math.floor(t);
  const level = dayLevel(day);
  const next = dayLevel(day + 1);
  const f = t - day;
  const base = level + (next - level) * f;
  return base * (1 + 0.03 * Math.sin((2 * Math.PI * t) / 0.35));
}

/** Counts of a burst in [a, b] seconds relative to its peak (closed form). */
function burstCounts(bu: AcsBurst, a: number, b: number): number {
  let c = 0;
  if (a < 0) {
    const hi = Math.min(b, 0);
    c += bu.amplitude * bu.rise * (Math.exp(hi / bu.rise) - Math.exp(a / bu.rise));
  }
  if (b > 0) {
    const lo = Math.max(a, 0);
    c += bu.amplitude * bu.decay * (Math.exp(-lo / bu.decay) - Math.exp(-b / bu.decay));
  }
  return c;
}

/**
 * Simulate the ACS light curve product.
 *
 * @example
 * ```ts
 * import { simulateAcsLightCurve } from "./spi_acs.ts";
 * const p = simulateAcsLightCurve({ T1: "2022-07-01T00:00:00", T2: "2022-07-01T00:10:00", time_bin: 1 }, 42);
 * console.log(p.units[1].name); // "RATE"
 * ```
 */
export function simulateAcsLightCurve(params: Record<string, unknown>, seed: number): SimProduct {
  const dtS = num(params.time_bin, 1);
  if (!(dtS >= ACS_RESOLUTION_S - 1e-9)) {
    throw new Error(`time_bin ${dtS} s is below the SPI-ACS resolution of ${ACS_RESOLUTION_S} s`);
  }
  const m1 = toMjd(params.T1);
  const m2 = toMjd(params.T2);
  if (!(m2 > m1)) throw new Error(`T2 (${params.T2}) must be after T1 (${params.T1})`);
  const t1 = m1 - MJDREF;
  const t2 = m2 - MJDREF;
  const dt = dtS / 86400;
  const n = Math.max(1, Math.floor((t2 - t1) / dt + 1e-6));
  if (n > ACS_MAX_BINS) {
    throw new Error(
      `${n} bins requested (T2-T1 / time_bin); the maximum is ${ACS_MAX_BINS}: use a larger time_bin`,
    );
  }
  const bursts = acsBursts(t1 - 0.01, t2 + 0.01);
  const rng = new Rng(hashSeed("spi_acs", seed));
  const time = new Float64Array(n);
  const rate = new Float32Array(n);
  const error = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = t1 + i * dt;
    const mid = a + dt / 2;
    let expected = acsBackground(mid) * dtS;
    for (const bu of bursts) {
      const ra = (a - bu.peak) * 86400;
      const rb = ra + dtS;
      if (rb < -20 * bu.rise || ra > 30 * bu.decay) continue;
      expected += burstCounts(bu, ra, rb);
    }
    const counts = rng.poisson(expected);
    time[i] = mid;
    rate[i] = counts / dtS;
    error[i] = Math.sqrt(Math.max(counts, 1)) / dtS;
  }
  const lc = table([
    col("TIME", ">f8", time, "d"),
    col("RATE", ">f4", rate, "count/s"),
    col("ERROR", ">f4", error, "count/s"),
  ]);
  // INSTRUME as the real service writes it (oda_api plot_tools keys its SPI-ACS branch on it)
  const inst = { TELESCOP: "INTEGRAL", INSTRUME: "SPI-ACS", ORIGIN: "ISDC" };
  return {
    name: "spi_acs_lc",
    meta_data: {
      src_name: "query",
      time_bin: new PyFloat(dtS),
      time: "TIME",
      rate: "RATE",
      rate_err: "ERROR",
    },
    units: [
      { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
      {
        name: "RATE",
        hdu_type: "bintable",
        data: lc,
        header: bintableHeader(lc, {
          EXTNAME: "RATE",
          ...inst,
          HDUCLASS: "OGIP",
          HDUCLAS1: "LIGHTCURVE",
          HDUCLAS2: "TOTAL",
          HDUCLAS3: "RATE",
          OBJECT: String(params.src_name ?? ""),
          RA_OBJ: num(params.RA, 0),
          DEC_OBJ: num(params.DEC, 0),
          E_MIN: 80,
          E_MAX: 10000,
          EUNIT: "keV",
          TIMEDEL: dt,
          TIMEPIXR: 0.5,
          TIMEZERO: 0,
          TSTART: t1,
          TSTOP: t1 + n * dt,
          "DATE-OBS": mjdToIsot(m1),
          "DATE-END": mjdToIsot(t1 + n * dt + MJDREF),
          MJDREF: MJDREF,
          TIMESYS: "TT",
          TIMEUNIT: "d",
          TIMEREF: "LOCAL",
          TIMVERS: "OGIP/93-003",
        }),
      },
    ],
  };
}

/**
 * The `spi_acs` instrument.
 *
 * @example
 * ```ts
 * import { spiAcsInstrument } from "./spi_acs.ts";
 * console.log(Object.keys(spiAcsInstrument().products)); // ["spi_acs_lc"]
 * ```
 */
export function spiAcsInstrument(): SandboxInstrument {
  const parameters: ParameterSpec[] = [
    { name: "selected_catalog", type: "string", units: null, default: null, optional: true },
    {
      name: "data_level",
      type: "select",
      units: "str",
      default: "ordinary",
      allowedValues: ["ordinary", "realtime"],
    },
  ];
  return {
    name: "spi_acs",
    queryName: "spi_acs_parameters",
    parameters,
    products: {
      spi_acs_lc: {
        name: "spi_acs_lc",
        queryName: "spi_acs_lc_query",
        parameters: [timeBinParameter(1.0)],
        async: false,
        durationSeconds: () => 0,
        run: (p: Record<string, unknown>, ctx: JobContext): ProductOutput => ({
          numpy_data_product_list: [encodeProduct(simulateAcsLightCurve(p, ctx.seed), ctx.numpyModule)],
        }),
        dummy: (p: Record<string, unknown>, ctx: JobContext): ProductOutput => ({
          numpy_data_product_list: [
            encodeProduct(
              simulateAcsLightCurve({ ...p, T1: 58195.455, T2: 58195.456, time_bin: 1 }, ctx.seed),
              ctx.numpyModule,
            ),
          ],
        }),
      },
    },
  };
}
