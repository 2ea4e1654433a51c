/**
 * The big products of the benchmark suite, built with the sandbox's own
 * encoder (`lib/sandbox/instruments/encode.ts` → `NumpyDataProduct.encode`)
 * and serialised exactly as the sandbox dispatcher sends a finished
 * `/run_analysis` answer (`pyDumps` compact + newline):
 *
 * - `mosaic`: `mosaic_image` with PRIMARY + four 2000×2000 `>f4` image units
 *   (INTENSITY / VARIANCE / SIGNIFICANCE / EXPOSURE, ~90 MB of JSON) and a
 *   500-row detection catalog (`products.catalog`);
 * - `lightcurve`: a 1e6-row FITS_rec-like (`numpy.record`) light curve
 *   (TIME `>f8`, RATE / ERROR / FRACEXP `>f4`).
 *
 * @module
 */
import type { Table } from "../lib/data/ndarray.ts";
import {
  bintableHeader,
  catalogDict,
  col,
  encodeProduct,
  imageHeader,
  primaryHeader,
  type SimProduct,
  table,
  toNumpyDataProduct,
} from "../lib/sandbox/instruments/encode.ts";
import type { Detection } from "../lib/sandbox/instruments/mosaic.ts";
import { exitStatus, runAnalysisBody, timeRequest } from "../lib/sandbox/responses.ts";
import { pyDumps } from "../lib/sandbox/pyjson.ts";
import type { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";

/** Side of the mosaic images. */
export const SIDE = 2000;
/** Rows of the big light curve. */
export const LC_ROWS = 1_000_000;
/** Rows of the catalog. */
export const CATALOG_ROWS = 500;

/** The simulated mosaic product (PRIMARY + 4 images of SIDE×SIDE float32). */
export function mosaicSim(side = SIDE, images = 4): SimProduct {
  const kinds = Array.from(
    { length: images },
    (_, k) => ["INTENSITY", "VARIANCE", "SIGNIFICANCE", "EXPOSURE"][k % 4],
  );
  let s = 12345;
  return {
    name: "mosaic_image",
    meta_data: { product: "mosaic", instrument: "isgri", src_name: "" },
    units: [
      { name: "PRIMARY", hdu_type: "primary", header: primaryHeader({ TELESCOP: "INTEGRAL" }), data: null },
      ...kinds.map((imatype, k) => {
        const values = new Float32Array(side * side);
        for (let i = 0; i < values.length; i++) {
          s = (s * 1103515245 + 12345) >>> 0; // noise, so the data do not compress to nothing
          values[i] = Math.sin(i * 1e-3 + k) * 10 + (s >>> 8) / 16777216 - 0.5;
        }
        return {
          name: "ISGR-MOSA-IMA",
          hdu_type: "image" as const,
          header: imageHeader(side, side, {
            EXTNAME: "ISGR-MOSA-IMA",
            EXTVER: k + 1,
            IMATYPE: imatype,
            CTYPE1: "RA---TAN",
            CTYPE2: "DEC--TAN",
            CRPIX1: side / 2,
            CRPIX2: side / 2,
            CRVAL1: 83.63,
            CRVAL2: 22.01,
            CDELT1: -0.0822,
            CDELT2: 0.0822,
          }),
          data: { kind: "ndarray" as const, dtype: ">f4", shape: [side, side], values },
        };
      }),
    ],
  };
}

/** The simulated light curve product (`isgri_lc`, RATE bintable of `rows` rows). */
export function lightCurveSim(rows = LC_ROWS): SimProduct {
  const time = new Float64Array(rows);
  const rate = new Float32Array(rows);
  const err = new Float32Array(rows);
  const frac = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    time[i] = 6263.5 + i * (10 / 86400);
    rate[i] = 100 + 20 * Math.sin(i / 3000) + ((i * 7919) % 97) / 10;
    err[i] = 3 + (i % 7) / 10;
    frac[i] = 1;
  }
  const t: Table = table([
    col("TIME", ">f8", time, "d"),
    col("RATE", ">f4", rate, "count/s"),
    col("ERROR", ">f4", err, "count/s"),
    col("FRACEXP", ">f4", frac),
  ]);
  return {
    name: "isgri_lc",
    meta_data: { product: "isgri_lc", src_name: "Crab", time_bin: 10 },
    units: [
      { name: "PRIMARY", hdu_type: "primary", header: primaryHeader(), data: null },
      {
        name: "ISGR-SRC.-LCR",
        hdu_type: "bintable",
        header: bintableHeader(t, { EXTNAME: "ISGR-SRC.-LCR" }),
        data: t,
      },
    ],
  };
}

/** A catalog of `rows` detections. */
export function detections(rows = CATALOG_ROWS): Detection[] {
  return Array.from({ length: rows }, (_, i) => ({
    name: i % 10 === 9 ? `NEW_${i}` : `SRC J${(1000 + i).toString()}+${(i % 90).toString().padStart(2, "0")}`,
    ra: (i * 0.7) % 360,
    dec: ((i * 0.37) % 180) - 90,
    flux_mCrab: 1 + (i % 50),
    index: 2,
    meta_ID: i,
    isNew: i % 10 === 9,
    errRad: i % 10 === 9 ? null : 0.0003,
    significance: 5 + (i % 40),
    rate: 1,
    exposure: 1e5,
  }));
}

/** The products layer's object of a simulated product (for FITS writing). */
export function productOf(sim: SimProduct): NumpyDataProduct {
  return toNumpyDataProduct(sim);
}

/** Sizes of a workload (defaults: the standard ones). */
export interface WorkloadSize {
  /** Side of the mosaic images. */
  side?: number;
  /** Number of mosaic images. */
  images?: number;
  /** Light-curve rows. */
  rows?: number;
}

/** A finished `/run_analysis` answer, exactly as the sandbox serialises it. */
export function responseText(which: "mosaic" | "lightcurve", size: WorkloadSize = {}): string {
  const products: Record<string, unknown> = which === "mosaic"
    ? {
      numpy_data_product_list: [encodeProduct(mosaicSim(size.side ?? SIDE, size.images ?? 4))],
      catalog: catalogDict(detections()),
    }
    : { numpy_data_product_list: [encodeProduct(lightCurveSim(size.rows ?? LC_ROWS))] };
  const body = runAnalysisBody({
    queryStatus: "done",
    products,
    exit: exitStatus("done", 0),
    jobMonitor: { job_id: "0123456789abcdef", status: "done", full_report_dict_list: [] },
    sessionId: "BENCHSESSION0000",
    time: timeRequest(),
  });
  return pyDumps(body, { compact: true }) + "\n";
}
