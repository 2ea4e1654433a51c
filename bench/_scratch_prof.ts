import { readFits } from "../lib/codecs/fits.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { lightCurveSim, productOf } from "./_workloads.ts";
const p = productOf(lightCurveSim());
const path = await Deno.makeTempFile({ suffix: ".fits" });
await p.writeFitsFile(path);
const bytes = await Deno.readFile(path);
for (let r = 0; r < 8; r++) {
  let t = performance.now(); const b2 = await Deno.readFile(path); const tr = performance.now() - t;
  t = performance.now(); readFits(bytes.slice()); const tp = performance.now() - t;
  t = performance.now(); await NumpyDataProduct.fromFitsFile(path); const tf = performance.now() - t;
  console.log(`read ${tr.toFixed(1)} readFits ${tp.toFixed(1)} fromFitsFile ${tf.toFixed(1)} ${b2.length}`);
}
await Deno.remove(path);
