/**
 * The coded-mask mosaic product (`isgri_image`, `jemx_image`): a
 * `mosaic_image` NumpyDataProduct (PRIMARY, GROUPING, INTENSITY / VARIANCE /
 * SIGNIFICANCE / EXPOSURE images) and the catalogue of detections.
 *
 * @module
 */
import type { JobContext, ProductOutput } from "../instrument.ts";
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
import { catalogueOf, type Detection, simulateMosaic } from "./mosaic.ts";
import {
  type CodedMaskSetup,
  instrumentCards,
  num,
  type Observation,
  observe,
  reportScws,
  timeCards,
} from "./integral.ts";
import { hashSeed, Rng } from "./rng.ts";

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
  return {
    numpy_data_product_list: [encodeProduct(product, ctx.numpyModule)],
    catalog: catalogDict(catalogue) as never,
  };
}
