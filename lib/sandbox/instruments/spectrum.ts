/**
 * Coded-mask spectra (`isgri_spectrum`, `jemx_spectrum`): for each target a
 * PHA, an ARF and an RMF product following the OGIP conventions, the counts
 * being the source power law folded through the response plus noise.
 *
 * @module
 */
import type { JobContext, ProductOutput } from "../instrument.ts";
import {
  bintableHeader,
  col,
  encodeProduct,
  type HeaderDict,
  primaryHeader,
  type SimProduct,
  type SimUnit,
  table,
} from "./encode.ts";
import {
  type CodedMaskSetup,
  instrumentCards,
  type Observation,
  observe,
  reportScws,
  requireProducts,
  selectTargets,
  targetExposure,
  timeCards,
} from "./integral.ts";
import { buildResponse, channelVariance, foldSpectrum, powerLaw } from "./response.ts";
import { hashSeed, Rng } from "./rng.ts";

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
  // OGIP RMF (CAL/GEN/92-002): EBOUNDS then SPECRESP MATRIX, as in MMODA's ISGRI responses; any
  // instrument-specific extension would follow them
  const lastChannel = rsp.firstChannel + nch - 1;
  const rmfUnits: SimUnit[] = [
    { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
    {
      name: "EBOUNDS",
      hdu_type: "bintable",
      data: ebounds,
      header: bintableHeader(ebounds, {
        EXTNAME: "EBOUNDS",
        ...ogip,
        HDUCLAS1: "RESPONSE",
        HDUCLAS2: "EBOUNDS",
        HDUVERS: "1.2.0",
        ...chanCards,
        TLMIN1: rsp.firstChannel,
        TLMAX1: lastChannel,
      }),
    },
    {
      name: "SPECRESP MATRIX",
      hdu_type: "bintable",
      data: rmfTable,
      header: bintableHeader(rmfTable, {
        EXTNAME: "SPECRESP MATRIX",
        ...ogip,
        HDUCLAS1: "RESPONSE",
        HDUCLAS2: "RSP_MATRIX",
        HDUCLAS3: "REDIST",
        HDUVERS: "1.3.0",
        ...chanCards,
        TLMIN4: rsp.firstChannel,
        TLMAX4: lastChannel,
        NUMGRP: nGrp.reduce((a, x) => a + x, 0),
        NUMELT: nChan.reduce((a, x) => a + x, 0),
        LO_THRES: 1e-6,
      }),
    },
  ];
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
    // ARF and RMF under their OGIP extension names, as the MMODA plugin renames them
    // (ISGR-ARF.-RSP → SPECRESP, ISGR-EBDS-MOD → EBOUNDS, ISGR-RMF.-RSP → SPECRESP MATRIX)
    products.push({
      name: "",
      meta_data: meta("arf"),
      units: [
        { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(inst), data: null },
        {
          name: "SPECRESP",
          hdu_type: "bintable",
          data: arfTable,
          header: bintableHeader(arfTable, {
            EXTNAME: "SPECRESP",
            ...ogip,
            HDUCLAS1: "RESPONSE",
            HDUCLAS2: "SPECRESP",
            HDUVERS: "1.1.0",
            ...srcCards,
          }),
        },
      ],
    });
    products.push({ name: "", meta_data: meta("rmf"), units: rmfUnits });
  }
  requireProducts(products, targets);
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
  return { numpy_data_product_list: products.map((p) => encodeProduct(p, ctx.numpyModule)) };
}
