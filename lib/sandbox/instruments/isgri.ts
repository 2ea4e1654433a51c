/**
 * The simulated `isgri` instrument (INTEGRAL/IBIS ISGRI, 15 keV–1 MeV):
 * `isgri_image` (mosaic + catalogue), `isgri_spectrum` (PHA/ARF/RMF per
 * source) and `isgri_lc` (light curve per source), with the parameters of the
 * real MMODA plugin.
 *
 * @module
 */
import type {
  JobContext,
  ParameterSpec,
  ProductOutput,
  ProductSpec,
  SandboxInstrument,
} from "../instrument.ts";
import { type CodedMaskSetup, durationFor } from "./integral.ts";
import { runImage } from "./image.ts";
import { runSpectrum } from "./spectrum.ts";
import { runLightCurve } from "./lightcurve.ts";
import type { ImagingModel } from "./mosaic.ts";
import { ISGRI } from "./response.ts";

/**
 * ISGRI imaging: 9°×9° fully coded, 29°×29° zero response, 12′ PSF, 4.94′ mosaic pixels.
 *
 * @example
 * ```ts
 * import { ISGRI_IMAGING } from "./isgri.ts";
 * console.log(ISGRI_IMAGING.psfFwhmDeg * 60); // 12 arcmin
 * ```
 */
export const ISGRI_IMAGING: ImagingModel = {
  detector: ISGRI,
  fov: { shape: "square", full: 4.5, zero: 14.5 },
  pixelDeg: 0.082286253915591,
  psfFwhmDeg: 0.2,
  knownThreshold: 5,
  newThreshold: 7,
};

/**
 * Naming of the ISGRI products.
 *
 * @example
 * ```ts
 * import { ISGRI_SETUP } from "./isgri.ts";
 * console.log(ISGRI_SETUP.prefix); // "ISGR"
 * ```
 */
export const ISGRI_SETUP: CodedMaskSetup = {
  instrument: "isgri",
  imaging: ISGRI_IMAGING,
  prefix: "ISGR",
  productPrefix: "isgri",
  energyRange: [15, 1000],
  liveFraction: 0.8,
  creators: { image: "ii_skyimage 5.4.5", spectrum: "ii_spectra_extract 3.4.3", lc: "ii_lc_extract 3.3.5" },
  steps: { image: "ii_skyimage", spectrum: "ii_spectra_extract", lc: "ii_lc_extract" },
};

/**
 * OSA versions the sandbox accepts for INTEGRAL instruments.
 *
 * @example
 * ```ts
 * import { OSA_VERSIONS } from "./isgri.ts";
 * OSA_VERSIONS.includes("OSA11.2"); // true
 * ```
 */
export const OSA_VERSIONS: readonly string[] = ["OSA10.2", "OSA11.0", "OSA11.1", "OSA11.2"];

/**
 * Instrument-level parameters shared by ISGRI and JEM-X (before the energy band).
 *
 * @example
 * ```ts
 * import { integralParameters } from "./isgri.ts";
 * integralParameters(15).map((p) => p.name); // ["user_catalog", "scw_list", ...]
 * ```
 */
export function integralParameters(radius: number): ParameterSpec[] {
  return [
    { name: "user_catalog", type: "string", units: null, default: null, optional: true },
    {
      name: "scw_list",
      type: "list",
      units: null,
      default: [],
      optional: true,
      owl_uri: ["http://odahub.io/ontology#InputProdList"],
    },
    { name: "selected_catalog", type: "string", units: null, default: null, optional: true },
    { name: "radius", type: "float", units: "deg", default: radius, min: 0, max: 180 },
    { name: "max_pointings", type: "int", units: null, default: 50, min: 1 },
    { name: "osa_version", type: "select", units: "str", default: "OSA11.2", allowedValues: OSA_VERSIONS },
    {
      name: "integral_data_rights",
      type: "select",
      units: "str",
      default: "public",
      allowedValues: ["public", "all-private"],
    },
  ];
}

/**
 * Science windows a request without the `unige-hpc-full` role may ask for (`max_pointings` or `scw_list`
 * length), as the MMODA INTEGRAL plugin enforces; above {@linkcode EXTREME_SCW_LIMIT} `unige-hpc-extreme` is
 * needed too.
 *
 * @example
 * ```ts
 * import { PUBLIC_SCW_LIMIT } from "./isgri.ts";
 * console.log(PUBLIC_SCW_LIMIT); // 50
 * ```
 */
export const PUBLIC_SCW_LIMIT = 50;
/**
 * Science windows a request with `unige-hpc-full` (but not `unige-hpc-extreme`) may ask for.
 *
 * @example
 * ```ts
 * import { EXTREME_SCW_LIMIT } from "./isgri.ts";
 * console.log(EXTREME_SCW_LIMIT); // 500
 * ```
 */
export const EXTREME_SCW_LIMIT = 500;
/**
 * OSA versions of public data.
 *
 * @example
 * ```ts
 * import { PUBLIC_OSA_VERSIONS } from "./isgri.ts";
 * PUBLIC_OSA_VERSIONS.includes("OSA11.2"); // true
 * ```
 */
export const PUBLIC_OSA_VERSIONS: readonly string[] = ["OSA10.2", "OSA11.2"];

/**
 * Roles an INTEGRAL (ISGRI / JEM-X) request needs, with upstream's comments (the plugin's
 * `OsaQuery.check_query_roles`): `unige-hpc-full` for more than {@linkcode PUBLIC_SCW_LIMIT} science
 * windows (by `max_pointings` or `scw_list`), `unige-hpc-extreme` for more than
 * {@linkcode EXTREME_SCW_LIMIT}, `integral-public-nrt` for near-real-time (`.000`) pointings requested as
 * public data, `integral-private-qla` for private data or an OSA version other than the public ones.
 *
 * @example
 * ```ts
 * import { integralRoles } from "./isgri.ts";
 * Object.keys(integralRoles({ max_pointings: 100, integral_data_rights: "public", osa_version: "OSA11.2" }));
 * // ["unige-hpc-full"]
 * ```
 */
export function integralRoles(params: Record<string, unknown>): Record<string, string> {
  const maxPointings = Math.trunc(Number(params.max_pointings ?? 50));
  const raw = params.scw_list;
  const scws = Array.isArray(raw)
    ? raw.map(String)
    : typeof raw === "string" && raw !== ""
    ? raw.split(",")
    : [];
  const rights = params.integral_data_rights ?? "public";
  const osa = String(params.osa_version ?? "OSA11.2");
  const needed: Record<string, string> = {};
  if (maxPointings > PUBLIC_SCW_LIMIT) {
    needed["unige-hpc-full"] =
      `it is needed to request > ${PUBLIC_SCW_LIMIT} ScW, you requested max_pointings=${maxPointings}`;
  }
  if (scws.length > PUBLIC_SCW_LIMIT) {
    needed["unige-hpc-full"] =
      `it is needed to request > ${PUBLIC_SCW_LIMIT} ScW, you requested scw_list) = [ .. ${scws.length} items .. ]`;
  }
  if (maxPointings > EXTREME_SCW_LIMIT || scws.length > EXTREME_SCW_LIMIT) {
    needed["unige-hpc-extreme"] = `it is needed to request > ${EXTREME_SCW_LIMIT} ScW`;
  }
  if (scws.some((s) => s.endsWith(".000")) && rights === "public") {
    needed["integral-public-nrt"] =
      "some of the pointings you requested are NRT, but you requested public data. " +
      "This was likely a mistake, since almost none of of NRT data is public.";
  }
  if (rights === "all-private") {
    needed["integral-private-qla"] = "this role is needed to access private INTEGRAL data " +
      'requested with integral_data_rights == "all-private"';
  }
  if (!PUBLIC_OSA_VERSIONS.includes(osa)) {
    needed["integral-private-qla"] = `the requested OSA (${osa}) version is restricted, ` +
      `publicly available osa versions: are ${PUBLIC_OSA_VERSIONS.join(", ")}. ` +
      "Most likely you do not need to request it.";
  }
  return needed;
}

/**
 * `detection_threshold`, `image_scale_min`, `image_scale_max` of image queries.
 *
 * @example
 * ```ts
 * import { IMAGE_PARAMETERS } from "./isgri.ts";
 * IMAGE_PARAMETERS[0].name; // "detection_threshold"
 * ```
 */
export const IMAGE_PARAMETERS: ParameterSpec[] = [
  { name: "detection_threshold", type: "float", units: "sigma", default: 0.0 },
  { name: "image_scale_min", type: "float", units: null, default: null, optional: true },
  { name: "image_scale_max", type: "float", units: null, default: null, optional: true },
];

/**
 * `time_bin` (seconds) with its `time_bin_format` selector.
 *
 * @example
 * ```ts
 * import { timeBinParameter } from "./isgri.ts";
 * timeBinParameter(1000).unitsName; // "time_bin_format"
 * ```
 */
export function timeBinParameter(def: number): ParameterSpec {
  return { name: "time_bin", type: "float", units: "sec", default: def, unitsName: "time_bin_format" };
}

/**
 * Canned parameters for `query_type=Dummy`: the Crab field, two science
 * windows, the Crab selected (like upstream's fixed dummy products).
 *
 * @example
 * ```ts
 * import { dummyParams } from "./isgri.ts";
 * dummyParams({ time_bin: 100 }).scw_list; // ["066500220010.001", "066500230010.001"]
 * ```
 */
export function dummyParams(params: Record<string, unknown>): Record<string, unknown> {
  return {
    ...params,
    RA: 83.6332,
    DEC: 22.0145,
    scw_list: ["066500220010.001", "066500230010.001"],
    selected_catalog: {
      cat_frame: "fk5",
      cat_coord_units: "deg",
      cat_column_list: [[0], ["Crab"], [100.0], [83.6332], [22.0145]],
      cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec"],
      cat_column_descr: [["meta_ID", "<i8"], ["src_names", "<U4"], ["significance", "<f8"], ["ra", "<f8"], [
        "dec",
        "<f8",
      ]],
      cat_lat_name: "dec",
      cat_lon_name: "ra",
    },
  };
}

/** A product runner of `image.ts`, `spectrum.ts` or `lightcurve.ts`. */
type CodedMaskRun = (
  setup: CodedMaskSetup,
  params: Record<string, unknown>,
  ctx: JobContext,
) => ProductOutput;

/**
 * The three products of a coded-mask instrument (`<name>_image`,
 * `<name>_spectrum`, `<name>_lc`), run with the setup `setupFor` picks from the
 * parameters; `query_type=Dummy` runs them on {@linkcode dummyParams} plus
 * `dummyOverrides`.
 *
 * @example
 * ```ts
 * import { codedMaskProducts, ISGRI_SETUP } from "./isgri.ts";
 * Object.keys(codedMaskProducts("isgri", () => ISGRI_SETUP)); // ["isgri_image", "isgri_spectrum", "isgri_lc"]
 * ```
 */
export function codedMaskProducts(
  name: string,
  setupFor: (params: Record<string, unknown>) => CodedMaskSetup,
  dummyOverrides: Record<string, unknown> = {},
): Record<string, ProductSpec> {
  const product = (kind: string, parameters: ParameterSpec[], runner: CodedMaskRun): ProductSpec => ({
    name: `${name}_${kind}`,
    queryName: `${name}_${kind}_query`,
    parameters,
    async: true,
    durationSeconds: durationFor,
    requiredRoles: integralRoles,
    run: (p, ctx) => runner(setupFor(p), p, ctx),
    dummy: (p, ctx) => runner(setupFor(p), { ...dummyParams(p), ...dummyOverrides }, ctx),
  });
  const products = [
    product("image", IMAGE_PARAMETERS, runImage),
    product("spectrum", [], runSpectrum),
    product("lc", [timeBinParameter(1000.0)], runLightCurve),
  ];
  return Object.fromEntries(products.map((p) => [p.name, p]));
}

/**
 * The `isgri` instrument.
 *
 * @example
 * ```ts
 * import { isgriInstrument } from "./isgri.ts";
 * const isgri = isgriInstrument();
 * console.log(Object.keys(isgri.products)); // ["isgri_image", "isgri_spectrum", "isgri_lc"]
 * ```
 */
export function isgriInstrument(): SandboxInstrument {
  return {
    name: "isgri",
    queryName: "isgri_parameters",
    parameters: [
      ...integralParameters(15),
      { name: "E1_keV", type: "float", units: "keV", default: 20.0 },
      { name: "E2_keV", type: "float", units: "keV", default: 40.0 },
    ],
    products: codedMaskProducts("isgri", () => ISGRI_SETUP),
  };
}
