import { parseJson } from "../lib/codecs/json.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { responseText } from "./_workloads.ts";
const which = (Deno.args[0] ?? "lightcurve") as "lightcurve" | "mosaic";
const text = responseText(which);
for (let r = 0; r < 8; r++) {
  let t = performance.now();
  const d = JSON.parse(text);
  let n = 0;
  for (const p of d.products.numpy_data_product_list) {
    for (const u of p.data_unit_list) if (u.binarys) n += Uint8Array.fromBase64(u.binarys).length;
  }
  const tf = performance.now() - t;
  t = performance.now();
  DataCollection.fromResponseJson(parseJson(text));
  const to = performance.now() - t;
  console.log(`floor ${tf.toFixed(1)} ours ${to.toFixed(1)}`);
}
