/**
 * Shared set-up of the INTEGRAL coded-mask instruments (ISGRI and JEM-X): the
 * observation planned from the request parameters (science windows, band,
 * geometry, simulated sky), header cards, progress reports and the choice of
 * target sources. Products are made in `image.ts`, `spectrum.ts` and
 * `lightcurve.ts`; the instrument files only add parameters and names.
 *
 * @module
 */
import type { JobContext } from "../instrument.ts";
import type { HeaderDict } from "./encode.ts";
import {
  catalogueOf,
  type Detection,
  detectSources,
  type ImagingModel,
  type MosaicGeometry,
  mosaicGeometry,
  type SkySource,
} from "./mosaic.ts";
import {
  exposureAt,
  MJDREF,
  mjdToIsot,
  planScienceWindows,
  type ScienceWindow,
  SCW_CADENCE_S,
  toMjd,
} from "./observation.ts";
import { hashSeed, Rng } from "./rng.ts";
import { BRIGHT_SOURCES, type CatalogSource, type PointSource, resolveName } from "./sources.ts";

/** Naming and imaging of one coded-mask instrument. */
export interface CodedMaskSetup {
  /** Instrument name on the wire (`isgri`, `jemx`). */
  instrument: string;
  /** Imaging model. */
  imaging: ImagingModel;
  /** EXTNAME prefix (`ISGR`, `JMX1`). */
  prefix: string;
  /** Product name prefix for spectra/ARF/RMF meta (`isgri`, `jemx`). */
  productPrefix: string;
  /** Energy range the instrument covers (keV): bands are clipped to it. */
  energyRange: [number, number];
  /** Dead-time factor. */
  liveFraction: number;
  /** `CREATOR` values of the OSA executables that make each product. */
  creators: { image: string; spectrum: string; lc: string };
  /** Names of the analysis steps reported as progress. */
  steps: { image: string; spectrum: string; lc: string };
}

/** Everything that follows from the request: science windows, band, geometry, sky. */
export interface Observation {
  /** Target position (deg). */
  ra: number;
  /** Target position (deg). */
  dec: number;
  /** Science windows. */
  scws: ScienceWindow[];
  /** Band (keV). */
  e1: number;
  /** Band (keV). */
  e2: number;
  /** OSA version. */
  osa: string;
  /** Mosaic geometry. */
  geometry: MosaicGeometry;
  /** Key of the simulated sky (independent of the job seed). */
  obsKey: string;
  /** Every source in the field with measured significance. */
  detections: Detection[];
}

/**
 * A number parameter (accepts numbers, numeric strings and `{ value }` wrappers).
 *
 * @example
 * ```ts
 * import { num } from "./integral.ts";
 * num("8", 15); // 8
 * num(undefined, 15); // 15
 * ```
 */
export function num(v: unknown, fallback: number): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v && typeof v === "object" && typeof (v as { value?: unknown }).value === "number") {
    return (v as { value: number }).value;
  }
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return fallback;
}

function scwList(v: unknown): string[] {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter((x) => x !== "");
  return String(v).split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/**
 * Plan the observation of a request (science windows, band, sky).
 *
 * @example
 * ```ts ignore
 * const obs = observe(ISGRI_SETUP, { RA: 83.63, DEC: 22.01, T1: "2020-01-01T00:00:00", T2: "2020-01-02T00:00:00" });
 * ```
 */
export function observe(setup: CodedMaskSetup, params: Record<string, unknown>): Observation {
  const ra = num(params.RA, 265.97845833);
  const dec = num(params.DEC, -29.74516667);
  const [emin, emax] = setup.energyRange;
  const e1 = Math.max(emin, num(params.E1_keV, emin));
  const e2 = Math.min(emax, num(params.E2_keV, emax));
  if (!(e2 > e1)) {
    throw new Error(
      `energy band ${params.E1_keV}-${params.E2_keV} keV is empty for ${setup.instrument} (${emin}-${emax} keV)`,
    );
  }
  const osa = String(params.osa_version ?? "OSA11.2");
  const scws = planScienceWindows({
    ra,
    dec,
    T1: params.T1,
    T2: params.T2,
    scw_list: scwList(params.scw_list),
    max_pointings: num(params.max_pointings, 50),
    radius: num(params.radius, 15),
    liveFraction: setup.liveFraction,
  });
  const geometry = mosaicGeometry(setup.imaging, scws, ra, dec);
  const obsKey = `${setup.prefix}|${ra.toFixed(5)}|${dec.toFixed(5)}|${e1}|${e2}|${osa}|${
    scws.map((s) => s.id).join(",")
  }`;
  const detections = detectSources({ imaging: setup.imaging, scws, geometry, e1, e2, obsKey });
  return { ra, dec, scws, e1, e2, osa, geometry, obsKey, detections };
}

/**
 * Time keywords (TSTART, TSTOP, DATE-OBS, MJDREF...) of a set of science windows.
 *
 * @example
 * ```ts ignore
 * const cards = timeCards(obs.scws); // { TSTART: 6652.04, TSTOP: 6695.03, ..., TIMESYS: "TT" }
 * ```
 */
export function timeCards(scws: readonly ScienceWindow[]): HeaderDict {
  const tstart = Math.min(...scws.map((s) => s.start));
  const tstop = Math.max(...scws.map((s) => s.stop));
  const ontime = scws.reduce((a, s) => a + (s.stop - s.start) * 86400, 0);
  return {
    TSTART: tstart,
    TSTOP: tstop,
    TELAPSE: (tstop - tstart) * 86400,
    ONTIME: ontime,
    "DATE-OBS": mjdToIsot(tstart + MJDREF),
    "DATE-END": mjdToIsot(tstop + MJDREF),
    MJDREF: MJDREF,
    TIMESYS: "TT",
    TIMEUNIT: "d",
    TIMEREF: "LOCAL",
  };
}

/**
 * TELESCOP / INSTRUME / DETNAM / ORIGIN cards of an instrument.
 *
 * @example
 * ```ts ignore
 * instrumentCards(ISGRI_SETUP); // { TELESCOP: "INTEGRAL", INSTRUME: "IBIS", DETNAM: "ISGRI", ORIGIN: "ISDC" }
 * ```
 */
export function instrumentCards(setup: CodedMaskSetup): HeaderDict {
  return {
    TELESCOP: "INTEGRAL",
    INSTRUME: setup.imaging.detector.instrume,
    DETNAM: setup.imaging.detector.detnam,
    ORIGIN: "ISDC",
  };
}

/**
 * Progress as an OSA (ddosa) backend reports it through `/call_back`: one
 * `main done` per science window (`node` the analysis step, `scwid` the
 * science window, `node_id` the node signature, distinct per science window
 * as upstream keeps one job-monitor file per `(node_id, message)`), then the
 * step's own `main done`. These are the keys oda_api's progress formatter
 * for isgri/jemx reads (`scwid`, `node`, `message`).
 *
 * @example
 * ```ts ignore
 * reportScws(ctx, obs.scws, "ii_skyimage"); // ctx.report({ node_id, node, message, scwid }) × N + 1
 * ```
 */
export function reportScws(ctx: JobContext | undefined, scws: readonly ScienceWindow[], node: string): void {
  if (!ctx) return;
  for (const s of scws) {
    ctx.report({ node_id: `${node}.${s.id}`, node, message: "main done", scwid: s.id });
  }
  ctx.report({ node_id: node, node: `${node}_sum`, message: "main done" });
}

/** A source chosen for spectra / light curves. */
export interface Target extends SkySource, Pick<CatalogSource, "variability" | "period_s"> {}

/**
 * A target from a catalogue row: catalogue flux/index for known names, a
 * guess from the significance otherwise.
 *
 * @example
 * ```ts
 * import { targetFromCatalogue } from "./integral.ts";
 * targetFromCatalogue("Crab", 83.63, 22.01).flux_mCrab; // 1000
 * ```
 */
export function targetFromCatalogue(name: string, ra: number, dec: number, significance?: number): Target {
  const known = resolveName(name);
  if (known) {
    return {
      name,
      ra,
      dec,
      flux_mCrab: known.flux_mCrab,
      index: known.index,
      cutoff_keV: known.cutoff_keV,
      meta_ID: BRIGHT_SOURCES.indexOf(known),
      isNew: false,
      errRad: null,
      variability: known.variability,
      period_s: known.period_s,
    };
  }
  const r = new Rng(hashSeed(`unknown|${name}`));
  const sig = significance && significance > 0 ? significance : 10;
  return {
    name,
    ra,
    dec,
    flux_mCrab: Math.min(500, Math.max(2, sig * r.range(0.8, 1.5))),
    index: r.range(1.7, 2.6),
    meta_ID: -1,
    isNew: /NEW/i.test(name),
    errRad: null,
    variability: r.uniform() < 0.5 ? "flaring" : "steady",
  };
}

/**
 * Sources for spectra and light curves: the rows of `selected_catalog` if
 * given, otherwise the image catalogue of the same observation.
 *
 * @example
 * ```ts ignore
 * const targets = selectTargets(ISGRI_SETUP, observe(ISGRI_SETUP, params), params);
 * ```
 */
export function selectTargets(
  setup: CodedMaskSetup,
  obs: Observation,
  params: Record<string, unknown>,
): Target[] {
  let sc = params.selected_catalog;
  if (typeof sc === "string" && sc.trim().startsWith("{")) {
    try {
      sc = JSON.parse(sc);
    } catch {
      throw new Error("selected_catalog is not a valid catalog JSON string");
    }
  }
  if (sc && typeof sc === "object") {
    const d = sc as Record<string, unknown>;
    const names = (d.cat_column_names ?? []) as string[];
    const cols = (d.cat_column_list ?? []) as unknown[][];
    const colOf = (n: string) => cols[names.indexOf(n)];
    const srcNames = colOf("src_names") ?? [];
    const raCol = colOf(String(d.cat_lon_name ?? "ra")) ?? [];
    const decCol = colOf(String(d.cat_lat_name ?? "dec")) ?? [];
    const sigCol = colOf("significance") ?? [];
    const idCol = colOf("meta_ID");
    let rows = srcNames.map((_, i) => i);
    const sel = params.catalog_selected_objects;
    if (idCol && sel !== undefined && sel !== null && String(sel) !== "") {
      const want = new Set(String(sel).split(",").map((x) => Number(x.trim())));
      rows = rows.filter((i) => want.has(Number(idCol[i])));
    }
    return rows.map((i) => {
      const name = String(srcNames[i]);
      const known = resolveName(name);
      const ra = raCol[i] === null || raCol[i] === undefined ? known?.ra ?? obs.ra : Number(raCol[i]);
      const dec = decCol[i] === null || decCol[i] === undefined ? known?.dec ?? obs.dec : Number(decCol[i]);
      const t = targetFromCatalogue(name, ra, dec, Number(sigCol[i] ?? NaN));
      if (idCol) t.meta_ID = Number(idCol[i]);
      return t;
    });
  }
  const catalogue = catalogueOf(setup.imaging, obs.detections, num(params.detection_threshold, 0));
  return catalogue.map((d) => {
    const t = targetFromCatalogue(d.name, d.ra, d.dec, d.significance);
    if (d.isNew) {
      t.flux_mCrab = d.flux_mCrab;
      t.index = d.index;
    }
    return t;
  });
}

/**
 * Fail a spectrum / light-curve run that made no product: either no target
 * was selected, or none of them is in the field of view.
 *
 * @example
 * ```ts
 * import { requireProducts } from "./integral.ts";
 * requireProducts([{}], []); // fine: there is a product
 * ```
 */
export function requireProducts(products: readonly unknown[], targets: readonly Target[]): void {
  if (products.length > 0) return;
  throw new Error(
    targets.length === 0
      ? "no sources selected: the image catalogue of this observation is empty, pass selected_catalog"
      : `none of the selected sources (${targets.map((t) => t.name).join(", ")}) is in the field of view`,
  );
}

/**
 * Effective exposure of a target over the science windows (s).
 *
 * @example
 * ```ts ignore
 * const seconds = targetExposure(ISGRI_SETUP, obs, target);
 * ```
 */
export function targetExposure(setup: CodedMaskSetup, obs: Observation, t: PointSource): number {
  return exposureAt(obs.scws, setup.imaging.fov, t.ra, t.dec);
}

/**
 * Simulated duration: a few seconds plus ~0.2 s per science window.
 *
 * @example
 * ```ts
 * import { durationFor } from "./integral.ts";
 * durationFor({ T1: 58000, T2: 58001, max_pointings: 10 }); // 5 seconds
 * ```
 */
export function durationFor(params: Record<string, unknown>): number {
  return 3 + 0.2 * scienceWindowCount(params);
}

/**
 * Number of science windows a request will use (`scw_list` length, else the
 * hourly slots between T1 and T2 capped by `max_pointings`), without planning them.
 *
 * @example
 * ```ts
 * import { scienceWindowCount } from "./integral.ts";
 * scienceWindowCount({ T1: 58000, T2: 58000.5, max_pointings: 50 }); // 12
 * ```
 */
export function scienceWindowCount(params: Record<string, unknown>): number {
  const list = scwList(params.scw_list);
  if (list.length > 0) return list.length;
  const cap = Math.max(1, Math.floor(num(params.max_pointings, 50)));
  try {
    const m1 = toMjd(params.T1);
    const m2 = toMjd(params.T2);
    if (m2 > m1) {
      const cad = SCW_CADENCE_S / 86400;
      return Math.max(1, Math.min(cap, Math.ceil(m2 / cad) - Math.floor(m1 / cad)));
    }
  } catch {
    // unparsable times: the run itself reports the error
  }
  return Math.min(cap, 1);
}
