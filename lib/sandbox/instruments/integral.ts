/**
 * Shared simulation of INTEGRAL coded-mask products (ISGRI and JEM-X): the
 * observation set-up from the request parameters, the mosaic image with its
 * catalogue, per-source spectra (PHA + ARF + RMF) and light curves. The
 * instrument files only add their parameters and names.
 *
 * @module
 */
import type { JobContext, ProductOutput } from "../instrument.ts";
import { PyFloat } from "../../codecs/json.ts";
import {
  bintableHeader,
  catalogDict,
  col,
  encodeProduct,
  type HeaderDict,
  imageHeader,
  primaryHeader,
  type SimProduct,
  type SimUnit,
  table,
} from "./encode.ts";
import {
  catalogueOf,
  type Detection,
  detectSources,
  type ImagingModel,
  type MosaicGeometry,
  mosaicGeometry,
  simulateMosaic,
  type SkySource,
  sourceRate,
} from "./mosaic.ts";
import {
  exposureAt,
  fovResponse,
  MJDREF,
  mjdToIsot,
  planScienceWindows,
  type ScienceWindow,
  tanProject,
} from "./observation.ts";
import { bandVariance, buildResponse, channelVariance, foldSpectrum, powerLaw } from "./response.ts";
import { hashSeed, Rng } from "./rng.ts";
import { BRIGHT_SOURCES, type CatalogSource, resolveName } from "./sources.ts";

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

/** Time keywords of a set of science windows. */
function timeCards(scws: readonly ScienceWindow[]): HeaderDict {
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

function instrumentCards(setup: CodedMaskSetup): HeaderDict {
  return {
    TELESCOP: "INTEGRAL",
    INSTRUME: setup.imaging.detector.instrume,
    DETNAM: setup.imaging.detector.detnam,
    ORIGIN: "ISDC",
  };
}

function reportScws(ctx: JobContext | undefined, scws: readonly ScienceWindow[], node: string): void {
  if (!ctx) return;
  scws.forEach((s, i) => {
    ctx.report({ node_id: node, message: `processing science window ${i + 1}/${scws.length}`, scw: s.id });
  });
  ctx.report({ node_id: node, message: "main done" });
}

/**
 * The image product: a `mosaic_image` NumpyDataProduct (PRIMARY, GROUPING,
 * INTENSITY/VARIANCE/SIGNIFICANCE/EXPOSURE) and the catalogue dictionary.
 *
 * @example
 * ```ts ignore
 * const out = runImage(ISGRI_SETUP, params, ctx); // { numpy_data_product_list: [...], catalog: {...} }
 * ```
 */
export function simulateImage(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  seed: number,
): { product: SimProduct; catalogue: Detection[]; obs: Observation } {
  const obs = observe(setup, params);
  const threshold = num(params.detection_threshold, 0);
  const catalogue = catalogueOf(setup.imaging, obs.detections, threshold);
  const maps = simulateMosaic({
    imaging: setup.imaging,
    scws: obs.scws,
    geometry: obs.geometry,
    e1: obs.e1,
    e2: obs.e2,
    sources: obs.detections,
    rng: new Rng(hashSeed("mosaic", seed)),
  });
  const g = obs.geometry;
  const extname = `${setup.prefix}-MOSA-IMA`;
  const common: HeaderDict = {
    ...instrumentCards(setup),
    CREATOR: setup.creators.image,
    CONFIGUR: `osa_${obs.osa.replace(/^OSA/, "")}`,
    E_MIN: obs.e1,
    E_MAX: obs.e2,
    EUNIT: "keV",
    ...timeCards(obs.scws),
    NSCW: obs.scws.length,
    RADESYS: "FK5",
    EQUINOX: 2000,
    CTYPE1: "RA---TAN",
    CTYPE2: "DEC--TAN",
    CUNIT1: "deg",
    CUNIT2: "deg",
    CRPIX1: g.crpix1,
    CRPIX2: g.crpix2,
    CRVAL1: g.ra0,
    CRVAL2: g.dec0,
    CDELT1: -g.pixelDeg,
    CDELT2: g.pixelDeg,
  };
  const images: [string, Float32Array, string][] = [
    ["INTENSITY", maps.intensity, "count/s"],
    ["VARIANCE", maps.variance, "count2/s2"],
    ["SIGNIFICANCE", maps.significance, ""],
    ["EXPOSURE", maps.exposure, "s"],
  ];
  const grouping = table([
    col("MEMBER_XTENSION", "|S8", images.map(() => "IMAGE")),
    col("MEMBER_NAME", "|S32", images.map(() => extname)),
    col("MEMBER_VERSION", ">i4", Int32Array.from(images.map((_, i) => i + 1))),
    col("MEMBER_POSITION", ">i4", Int32Array.from(images.map((_, i) => i + 3))),
    col("MEMBER_LOCATION", "|S64", images.map(() => "")),
    col("MEMBER_URI_TYPE", "|S3", images.map(() => "")),
  ]);
  const units: SimUnit[] = [
    {
      name: "PRIMARY",
      hdu_type: "primary",
      header: primaryHeader({ ...instrumentCards(setup), CREATOR: setup.creators.image }),
      data: null,
    },
    {
      name: "GROUPING",
      hdu_type: "bintable",
      header: bintableHeader(grouping, {
        EXTNAME: "GROUPING",
        GRPNAME: `${extname}-IDX`,
        BASETYPE: "DAL_GROUP",
        ...instrumentCards(setup),
      }),
      data: grouping,
    },
    ...images.map(([imatype, values, bunit], i): SimUnit => ({
      name: extname,
      hdu_type: "image",
      header: imageHeader(g.nx, g.ny, {
        EXTNAME: extname,
        EXTVER: i + 1,
        IMATYPE: imatype,
        ...(bunit ? { BUNIT: bunit } : {}),
        ...common,
      }),
      data: { kind: "ndarray", dtype: ">f4", shape: [g.ny, g.nx], values },
    })),
  ];
  const query =
    `[{"query_name": "${setup.instrument}_image_query"}, {"product_name": "${setup.instrument}_image_query"}, ` +
    `{"name": "detection_threshold", "units": "sigma", "value": ${pyFloatText(threshold)}}, ` +
    `{"name": "image_scale_min", "units": None, "value": ${pyOpt(params.image_scale_min)}}, ` +
    `{"name": "image_scale_max", "units": None, "value": ${pyOpt(params.image_scale_max)}}]`;
  return {
    product: {
      name: "mosaic_image",
      meta_data: { product: "mosaic", instrument: setup.instrument, src_name: "", query_parameters: query },
      units,
    },
    catalogue,
    obs,
  };
}

function pyFloatText(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}
function pyOpt(v: unknown): string {
  return v === undefined || v === null || v === "" ? "None" : pyFloatText(num(v, 0));
}

/**
 * Run the image product for the server.
 *
 * @example
 * ```ts ignore
 * const out = runImage(ISGRI_SETUP, params, ctx); // { numpy_data_product_list, catalog }
 * ```
 */
export function runImage(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  ctx: JobContext,
): ProductOutput {
  const { product, catalogue, obs } = simulateImage(setup, params, ctx.seed);
  reportScws(ctx, obs.scws, setup.steps.image);
  return { numpy_data_product_list: [encodeProduct(product)], catalog: catalogDict(catalogue) as never };
}

/** A source chosen for spectra / light curves. */
export interface Target extends SkySource {
  /** Light-curve behaviour. */
  variability: CatalogSource["variability"];
  /** Pulse period (s), if any. */
  period_s?: number;
}

function targetFromCatalogue(name: string, ra: number, dec: number, significance?: number): Target {
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

/** Effective exposure of a target over the science windows (s). */
function targetExposure(setup: CodedMaskSetup, obs: Observation, t: SkySource): number {
  return exposureAt(obs.scws, setup.imaging.fov, t.ra, t.dec);
}

/**
 * Spectra: three products per target (PHA, ARF, RMF), OGIP conventions.
 *
 * @example
 * ```ts ignore
 * const products = simulateSpectra(ISGRI_SETUP, params, 42);
 * ```
 */
export function simulateSpectra(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  seed: number,
): { products: SimProduct[]; obs: Observation } {
  const obs = observe(setup, params);
  const targets = selectTargets(setup, obs, params);
  const det = setup.imaging.detector;
  const rsp = buildResponse(det, obs.osa);
  const bkg = channelVariance(rsp);
  const nch = rsp.eMin.length;
  const products: SimProduct[] = [];
  const p = setup.prefix;
  const inst = instrumentCards(setup);
  const ogip: HeaderDict = { ...inst, FILTER: "none", HDUCLASS: "OGIP" };
  // RMF tables are the same for every source
  const ebounds = table([
    col("CHANNEL", ">i2", Int16Array.from({ length: nch }, (_, i) => i + rsp.firstChannel)),
    col("E_MIN", ">f4", rsp.eMin.slice(), "keV"),
    col("E_MAX", ">f4", rsp.eMax.slice(), "keV"),
  ]);
  const nE = rsp.rows.length;
  const maxN = Math.max(1, ...rsp.rows.map((r) => r.matrix.length));
  const matrix = new Float32Array(nE * maxN);
  const nGrp = new Int16Array(nE);
  const fChan = new Int16Array(nE);
  const nChan = new Int16Array(nE);
  rsp.rows.forEach((r, i) => {
    if (r.matrix.length === 0) return;
    nGrp[i] = 1;
    fChan[i] = r.fChan[0] + rsp.firstChannel;
    nChan[i] = r.nChan[0];
    matrix.set(r.matrix, i * maxN);
  });
  const rmfTable = table([
    col("ENERG_LO", ">f4", rsp.energLo.slice(), "keV"),
    col("ENERG_HI", ">f4", rsp.energHi.slice(), "keV"),
    col("N_GRP", ">i2", nGrp),
    col("F_CHAN", ">i2", fChan),
    col("N_CHAN", ">i2", nChan),
    col("MATRIX", ">f4", matrix, undefined, [maxN]),
  ]);
  const arfTable = table([
    col("ENERG_LO", ">f4", rsp.energLo.slice(), "keV"),
    col("ENERG_HI", ">f4", rsp.energHi.slice(), "keV"),
    col("SPECRESP", ">f4", rsp.specresp.slice(), "cm**2"),
  ]);
  const chanCards: HeaderDict = {
    CHANTYPE: "PI",
    DETCHANS: nch,
  };
  for (const t of targets) {
    const exposure = targetExposure(setup, obs, t);
    if (exposure < 1) continue;
    const rng = new Rng(hashSeed(`spectrum|${t.name}`, seed));
    const counts = foldSpectrum(rsp, powerLaw(t.flux_mCrab, t.index, t.cutoff_keV));
    const rate = new Float32Array(nch);
    const err = new Float32Array(nch);
    for (let c = 0; c < nch; c++) {
      const s = counts[c] * exposure;
      const sd = Math.sqrt(s + bkg[c] * exposure) / exposure;
      err[c] = sd;
      rate[c] = counts[c] + sd * rng.normal();
    }
    const spec = table([
      col("CHANNEL", ">i2", Int16Array.from({ length: nch }, (_, i) => i + rsp.firstChannel)),
      col("RATE", ">f4", rate, "count/s"),
      col("STAT_ERR", ">f4", err, "count/s"),
      col("SYS_ERR", ">f4", new Float32Array(nch)),
      col("QUALITY", ">i2", new Int16Array(nch)),
    ]);
    const srcCards: HeaderDict = { NAME: t.name, RA_OBJ: t.ra, DEC_OBJ: t.dec };
    const meta = (product: string) => ({ src_name: t.name, product: `${setup.productPrefix}_${product}` });
    products.push({
      name: "",
      meta_data: meta("spectrum"),
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
        {
          name: `${p}-EVTS-SPE`,
          hdu_type: "bintable",
          data: spec,
          header: bintableHeader(spec, {
            EXTNAME: `${p}-EVTS-SPE`,
            ...ogip,
            HDUCLAS1: "SPECTRUM",
            HDUVERS: "1.2.1",
            HDUCLAS2: "NET",
            HDUCLAS3: "RATE",
            HDUCLAS4: "TYPE:I",
            CREATOR: setup.creators.spectrum,
            ...srcCards,
            ...chanCards,
            TLMIN1: rsp.firstChannel,
            TLMAX1: rsp.firstChannel + nch - 1,
            EXPOSURE: exposure,
            ...timeCards(obs.scws),
            AREASCAL: 1,
            BACKSCAL: 1,
            CORRSCAL: 0,
            BACKFILE: "NONE",
            CORRFILE: "NONE",
            RESPFILE: "NONE",
            ANCRFILE: "NONE",
            POISSERR: false,
            GROUPING: 0,
          }),
        },
      ],
    });
    products.push({
      name: "",
      meta_data: meta("arf"),
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
        {
          name: `${p}-ARF.-RSP`,
          hdu_type: "bintable",
          data: arfTable,
          header: bintableHeader(arfTable, {
            EXTNAME: `${p}-ARF.-RSP`,
            ...ogip,
            HDUCLAS1: "RESPONSE",
            HDUCLAS2: "SPECRESP",
            HDUVERS: "1.1.0",
            ...srcCards,
          }),
        },
      ],
    });
    products.push({
      name: "",
      meta_data: meta("rmf"),
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
        {
          name: `${p}-EBDS-MOD`,
          hdu_type: "bintable",
          data: ebounds,
          header: bintableHeader(ebounds, {
            EXTNAME: `${p}-EBDS-MOD`,
            ...ogip,
            HDUCLAS1: "RESPONSE",
            HDUCLAS2: "EBOUNDS",
            HDUVERS: "1.2.0",
            ...chanCards,
            TLMIN1: rsp.firstChannel,
            TLMAX1: rsp.firstChannel + nch - 1,
          }),
        },
        {
          name: `${p}-RMF.-RSP`,
          hdu_type: "bintable",
          data: rmfTable,
          header: bintableHeader(rmfTable, {
            EXTNAME: `${p}-RMF.-RSP`,
            ...ogip,
            HDUCLAS1: "RESPONSE",
            HDUCLAS2: "RSP_MATRIX",
            HDUCLAS3: "REDIST",
            HDUVERS: "1.3.0",
            ...chanCards,
            TLMIN4: rsp.firstChannel,
            TLMAX4: rsp.firstChannel + nch - 1,
            LO_THRES: 1e-6,
          }),
        },
      ],
    });
  }
  if (products.length === 0) {
    throw new Error(
      targets.length === 0
        ? "no sources selected: the image catalogue of this observation is empty, pass selected_catalog"
        : `none of the selected sources (${targets.map((t) => t.name).join(", ")}) is in the field of view`,
    );
  }
  return { products, obs };
}

/**
 * Run the spectrum product for the server.
 *
 * @example
 * ```ts ignore
 * const out = runSpectrum(ISGRI_SETUP, params, ctx); // 3 products per source
 * ```
 */
export function runSpectrum(
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  ctx: JobContext,
): ProductOutput {
  const { products, obs } = simulateSpectra(setup, params, ctx.seed);
  reportScws(ctx, obs.scws, setup.steps.spectrum);
  return { numpy_data_product_list: products.map(encodeProduct) };
}

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
 * import { barycentricDelay } from "./integral.ts";
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
 * import { MAX_LC_BINS } from "./integral.ts";
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
    products.push({
      name: "",
      meta_data: {
        src_name: t.name,
        time_bin: new PyFloat(dt),
        time: "TIME",
        rate: "RATE",
        rate_err: "ERROR",
      },
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
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
  if (products.length === 0) {
    throw new Error(
      targets.length === 0
        ? "no sources selected: the image catalogue of this observation is empty, pass selected_catalog"
        : `none of the selected sources (${targets.map((t) => t.name).join(", ")}) is in the field of view`,
    );
  }
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
  return { numpy_data_product_list: products.map(encodeProduct) };
}

/**
 * Simulated duration: a few seconds plus ~0.2 s per science window.
 *
 * @example
 * ```ts
 * import { durationFor } from "./integral.ts";
 * durationFor({ max_pointings: 10 }); // 5 seconds
 * ```
 */
export function durationFor(params: Record<string, unknown>): number {
  const n = Array.isArray(params.scw_list) && params.scw_list.length > 0
    ? params.scw_list.length
    : Math.max(1, Math.min(500, num(params.max_pointings, 50)));
  return 3 + 0.2 * n;
}
