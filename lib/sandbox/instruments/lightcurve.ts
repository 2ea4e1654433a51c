/**
 * Coded-mask light curves (`isgri_lc`, `jemx_lc`): per target a binned rate
 * table on a `time_bin` grid restricted to the science windows where the
 * source is in the field of view, with flares, pulsations or outburst trends.
 *
 * @module
 */
import type { JobContext, ProductOutput } from "../instrument.ts";
import { PyFloat } from "../../data/json.ts";
import {
  bintableHeader,
  col,
  encodeProduct,
  primaryHeader,
  type SimProduct,
  type SimUnit,
  table,
} from "./encode.ts";
import {
  type CodedMaskSetup,
  instrumentCards,
  num,
  type Observation,
  observe,
  reportScws,
  requireProducts,
  selectTargets,
  type Target,
  timeCards,
} from "./integral.ts";
import { sourceRate } from "./mosaic.ts";
import { fovResponse, tanProject } from "./observation.ts";
import { bandVariance } from "./response.ts";
import { hashSeed, Rng } from "./rng.ts";

/**
 * Light-curve modulation of a target: a function of a bin [t1, t2] (IJD)
 * giving the mean flux relative to the catalogue level. Flares are
 * deterministic in sky time (not in the job seed).
 */
function variability(t: Target, key: string, tmin: number, tmax: number): (t1: number, t2: number) => number {
  const r = new Rng(hashSeed(`var|${t.name}|${key}`));
  switch (t.variability) {
    case "pulsing": {
      const p = (t.period_s ?? 300) / 86400;
      const w = (2 * Math.PI) / p;
      const phase = r.uniform() * 2 * Math.PI;
      return (t1, t2) =>
        1 + 0.3 * (t2 > t1 ? (Math.cos(w * t1 + phase) - Math.cos(w * t2 + phase)) / (w * (t2 - t1)) : 0);
    }
    case "outburst": {
      const period = 20 + 20 * r.uniform();
      const phase = r.uniform() * period;
      return (t1, t2) => 0.6 + 0.4 * Math.cos((2 * Math.PI * (0.5 * (t1 + t2) - phase)) / period);
    }
    case "flaring": {
      // ~1.5 flares per day: fast rise, exponential decay
      const flares: { tf: number; amp: number; tau: number }[] = [];
      for (let d = Math.floor(tmin) - 1; d <= Math.floor(tmax); d++) {
        const rd = new Rng(hashSeed(`flares|${t.name}|${d}`));
        const n = rd.int(4);
        for (let k = 0; k < n; k++) {
          flares.push({ tf: d + rd.uniform(), amp: rd.range(0.5, 3), tau: rd.range(300, 3000) / 86400 });
        }
      }
      return (t1, t2) => {
        const mid = 0.5 * (t1 + t2);
        let f = 1;
        for (const { tf, amp, tau } of flares) {
          const x = mid >= tf ? (mid - tf) / tau : (tf - mid) / (tau / 10);
          if (x < 30) f += amp * Math.exp(-x);
        }
        return f;
      };
    }
    default:
      return () => 1;
  }
}

/**
 * Barycentric correction (s) at time t (IJD) for a source: the Earth's Rømer
 * delay, 499 s × cos(β) cos(λ − λ☉), from a circular-orbit Sun longitude.
 *
 * @example
 * ```ts
 * import { barycentricDelay } from "./lightcurve.ts";
 * Math.abs(barycentricDelay(6650, 83.63, 22.01)) <= 499.1; // true
 * ```
 */
export function barycentricDelay(t: number, ra: number, dec: number): number {
  const d2r = Math.PI / 180;
  const eps = 23.4393 * d2r;
  const a = ra * d2r;
  const d = dec * d2r;
  const sinBeta = Math.sin(d) * Math.cos(eps) - Math.cos(d) * Math.sin(eps) * Math.sin(a);
  const beta = Math.asin(sinBeta);
  const lambda = Math.atan2(Math.sin(a) * Math.cos(eps) + Math.tan(d) * Math.sin(eps), Math.cos(a));
  const days = t - 0.5; // IJD 0 = 2000-01-01T00:00, J2000.0 = IJD 0.5
  const g = (357.529 + 0.98560028 * days) * d2r;
  const sun = (280.459 + 0.98564736 * days + 1.915 * Math.sin(g) + 0.02 * Math.sin(2 * g)) * d2r;
  return -499.005 * Math.cos(beta) * Math.cos(lambda - sun);
}

/**
 * Maximum number of light-curve bins per source.
 *
 * @example
 * ```ts
 * import { MAX_LC_BINS } from "./lightcurve.ts";
 * console.log(MAX_LC_BINS); // 1000000
 * ```
 */
export const MAX_LC_BINS = 1_000_000;

/**
 * Light curves: one product per target, table `<prefix>-SRC.-LCR` with
 * TIME/TIMEDEL/RATE/ERROR/XAX_E/FRACEXP/BACKV/BACKE.
 *
 * @example
 * ```ts ignore
 * const products = simulateLightCurves(ISGRI_SETUP, { ...params, time_bin: 1000 }, 42);
 * ```
 */
export function simulateLightCurves(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  seed: number,
): { products: SimProduct[]; obs: Observation } {
  const obs = observe(setup, params);
  const targets = selectTargets(setup, obs, params);
  const dtS = num(params.time_bin, 1000);
  if (!(dtS > 0)) throw new Error(`time_bin must be positive, got ${params.time_bin}`);
  const dt = dtS / 86400;
  const det = setup.imaging.detector;
  const bkgVar = bandVariance(det, obs.e1, obs.e2);
  const t0 = obs.scws[0].start;
  const totalBins = obs.scws.reduce((a, s) => a + Math.ceil((s.stop - s.start) / dt) + 1, 0);
  if (totalBins * Math.max(1, targets.length) > MAX_LC_BINS) {
    throw new Error(
      `time_bin ${dtS} s gives ${totalBins} bins per source over ${obs.scws.length} science windows; use a larger time_bin`,
    );
  }
  const products: SimProduct[] = [];
  for (const t of targets) {
    // bin index -> [covered seconds, effective exposure seconds]
    const bins = new Map<number, [number, number]>();
    for (const s of obs.scws) {
      const [dx, dy] = tanProject(s.ra, s.dec, t.ra, t.dec);
      const coding = Number.isNaN(dx) ? 0 : fovResponse(setup.imaging.fov, dx, dy);
      if (coding <= 0) continue;
      const live = s.livetime / ((s.stop - s.start) * 86400);
      const k0 = Math.floor((s.start - t0) / dt);
      const k1 = Math.floor((s.stop - t0) / dt);
      for (let k = k0; k <= k1; k++) {
        const a = Math.max(s.start, t0 + k * dt);
        const b = Math.min(s.stop, t0 + (k + 1) * dt);
        if (b <= a) continue;
        const sec = (b - a) * 86400;
        const cur = bins.get(k) ?? [0, 0];
        cur[0] += sec;
        cur[1] += sec * live * coding;
        bins.set(k, cur);
      }
    }
    const keys = [...bins.keys()].filter((k) => bins.get(k)![1] >= 1).sort((a, b) => a - b);
    if (keys.length === 0) continue;
    const n = keys.length;
    const time = new Float64Array(n);
    const timedel = new Float64Array(n);
    const rateCol = new Float32Array(n);
    const errCol = new Float32Array(n);
    const xax = new Float32Array(n);
    const frac = new Float32Array(n);
    const backv = new Float32Array(n);
    const backe = new Float32Array(n);
    const rng = new Rng(hashSeed(`lc|${t.name}`, seed));
    const r0 = sourceRate(det, t, obs.e1, obs.e2);
    const bkgRate = 0.025 * bkgVar;
    const tEnd = obs.scws[obs.scws.length - 1].stop;
    const span = tEnd - t0;
    const modulation = variability(t, obs.obsKey, t0, span > 3650 ? t0 : tEnd);
    keys.forEach((k, i) => {
      const [covered, eff] = bins.get(k)!;
      const a = t0 + k * dt;
      const r = r0 * modulation(a, a + dt);
      const sd = Math.sqrt((bkgVar + r) / eff);
      time[i] = a + dt / 2;
      timedel[i] = dt;
      rateCol[i] = r + sd * rng.normal();
      errCol[i] = sd;
      xax[i] = dt / 2;
      frac[i] = Math.min(1, covered / dtS);
      backv[i] = bkgRate * (1 + 0.05 * rng.normal());
      backe[i] = Math.sqrt(bkgRate / eff);
    });
    const lc = setup.prefix.startsWith("JMX")
      ? table([
        // j_src_lc layout (as tests/fixtures/oda_api/tests/test_data/lc.fits)
        col("TIME", ">f8", time, "d"),
        col("RATE", ">f4", rateCol, "count/s"),
        col("ERROR", ">f4", errCol, "count/s"),
        col("BRATE", ">f4", backv, "count/s"),
        col("BERROR", ">f4", backe, "count/s"),
        col("BARYTIME", ">f8", time.map((x) => x + barycentricDelay(x, t.ra, t.dec) / 86400), "d"),
        col("FRACEXP", ">f4", frac),
        col("TIMEDEL", ">f8", timedel, "d"),
      ])
      : table([
        // ii_lc_extract layout
        col("TIME", ">f8", time, "d"),
        col("TIMEDEL", ">f8", timedel, "d"),
        col("RATE", ">f4", rateCol, "count/s"),
        col("ERROR", ">f4", errCol, "count/s"),
        col("XAX_E", ">f4", xax, "d"),
        col("FRACEXP", ">f4", frac),
        col("BACKV", ">f4", backv, "count/s"),
        col("BACKE", ">f4", backe, "count/s"),
      ]);
    const ext = `${setup.prefix}-SRC.-LCR`;
    const inst = instrumentCards(setup);
    // JEM-X light curves come as OSA group files: the member index (GROUPING) precedes the rate table,
    // which oda_api's OdaLightCurve therefore reads at data_unit[2] (ISGRI: data_unit[1])
    const grouping = table([
      col("MEMBER_XTENSION", "|S8", ["BINTABLE"]),
      col("MEMBER_NAME", "|S32", [ext]),
      col("MEMBER_VERSION", ">i4", Int32Array.from([1])),
      col("MEMBER_POSITION", ">i4", Int32Array.from([3])),
      col("MEMBER_LOCATION", "|S64", [""]),
      col("MEMBER_URI_TYPE", "|S3", [""]),
    ]);
    const groupUnits: SimUnit[] = setup.prefix.startsWith("JMX")
      ? [{
        name: "GROUPING",
        hdu_type: "bintable",
        data: grouping,
        header: bintableHeader(grouping, {
          EXTNAME: "GROUPING",
          GRPNAME: `${ext}-IDX`,
          BASETYPE: "DAL_GROUP",
          ...inst,
        }),
      }]
      : [];
    products.push({
      // the plugin names the product after the query (OsaLightCurve(name="isgri_lc" / "jemx_lc"))
      name: `${setup.productPrefix}_lc`,
      meta_data: {
        src_name: t.name,
        time_bin: new PyFloat(dt),
        time: "TIME",
        rate: "RATE",
        rate_err: "ERROR",
      },
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
        ...groupUnits,
        {
          name: ext,
          hdu_type: "bintable",
          data: lc,
          header: bintableHeader(lc, {
            EXTNAME: ext,
            ...inst,
            CREATOR: setup.creators.lc,
            HDUCLASS: "OGIP",
            HDUCLAS1: "LIGHTCURVE",
            HDUCLAS2: "NET",
            HDUCLAS3: "RATE",
            NAME: t.name,
            RA_OBJ: t.ra,
            DEC_OBJ: t.dec,
            E_MIN: obs.e1,
            E_MAX: obs.e2,
            EUNIT: "keV",
            TIMEDEL: dt,
            TIMEPIXR: 0.5,
            ...timeCards(obs.scws),
            TIMVERS: "OGIP/93-003",
          }),
        },
      ],
    });
  }
  requireProducts(products, targets);
  return { products, obs };
}

/**
 * Run the light-curve product for the server.
 *
 * @example
 * ```ts ignore
 * const out = runLightCurve(ISGRI_SETUP, { ...params, time_bin: 100 }, ctx);
 * ```
 */
export function runLightCurve(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  ctx: JobContext,
): ProductOutput {
  const { products, obs } = simulateLightCurves(setup, params, ctx.seed);
  reportScws(ctx, obs.scws, setup.steps.lc);
  return { numpy_data_product_list: products.map((p) => encodeProduct(p, ctx.numpyModule)) };
}
