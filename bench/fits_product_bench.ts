/**
 * FITS product benchmark (issue 10, target 2): `NumpyDataProduct.writeFitsFile`
 * and `NumpyDataProduct.fromFitsFile` of the mosaic product (PRIMARY + four
 * 2000×2000 float32 images, built by the sandbox's encoder, `bench/_workloads.ts`)
 * and of the 1e6-row light curve, against writing / reading the same number of
 * raw bytes (`Deno.writeFile` / `Deno.readFile`), interleaved round by round.
 * Target ≤ 2× the raw floor. (`bench/fits_bench.ts` times the codec layer.)
 *
 *   deno run -A bench/fits_product_bench.ts [--rounds 5]
 *
 * @module
 */
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { lightCurveSim, mosaicSim, productOf } from "./_workloads.ts";
import { best, emit, interleave, median, note } from "./_table.ts";

const i = Deno.args.indexOf("--rounds");
const rounds = i >= 0 ? Number(Deno.args[i + 1]) : 5;
const dir = await Deno.makeTempDir({ prefix: "oda_bench_fits_" });

try {
  for (
    const [label, sim] of [["mosaic 4×2000² f32", mosaicSim()], [
      "light curve 1e6 rows",
      lightCurveSim(),
    ]] as const
  ) {
    const product = productOf(sim);
    const path = `${dir}/product.fits`;
    const rawPath = `${dir}/raw.bin`;
    await product.writeFitsFile(path);
    const size = (await Deno.stat(path)).size;
    const raw = new Uint8Array(size).fill(7);
    await Deno.writeFile(rawPath, raw);
    let units = 0;
    const [w, wf] = await interleave(
      rounds,
      () => product.writeFitsFile(path),
      () => Deno.writeFile(rawPath, raw),
    );
    const [r, rf] = await interleave(rounds, async () => {
      units = (await NumpyDataProduct.fromFitsFile(path)).data_unit.length;
    }, () => Deno.readFile(rawPath));
    const mb = `${(size / 1e6).toFixed(0)} MB`;
    emit({
      figure: `writeFitsFile: ${label} (${mb}), best of ${rounds}`,
      value: best(w),
      unit: "ms",
      floor: best(wf),
      floorWhat: "Deno.writeFile",
      target: "≤ 2× floor",
      limit: 2,
      on: "ratio",
    });
    emit({
      figure: `fromFitsFile: ${label} (${mb}), best of ${rounds}`,
      value: best(r),
      unit: "ms",
      floor: best(rf),
      floorWhat: "Deno.readFile",
      target: "≤ 2× floor",
      limit: 2,
      on: "ratio",
    });
    note(
      `FITS ${label}: medians write ${median(w).toFixed(0)}/${median(wf).toFixed(0)} ms, ` +
        `read ${median(r).toFixed(0)}/${median(rf).toFixed(0)} ms (ours/raw); ${units} HDUs read back`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
