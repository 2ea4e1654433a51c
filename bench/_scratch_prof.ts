import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { lightCurveSim, productOf } from "./_workloads.ts";
const p = productOf(lightCurveSim());
const path = await Deno.makeTempFile({ suffix: ".fits" });
await p.writeFitsFile(path);
for (let r = 0; r < 10; r++) {
  let t = performance.now();
  await Deno.readFile(path);
  const tr = performance.now() - t;
  t = performance.now();
  await NumpyDataProduct.fromFitsFile(path);
  const tf = performance.now() - t;
  t = performance.now();
  await p.writeFitsFile(path);
  const tw = performance.now() - t;
  console.log(`read ${tr.toFixed(1)} fromFitsFile ${tf.toFixed(1)} write ${tw.toFixed(1)}`);
}
await Deno.remove(path);
