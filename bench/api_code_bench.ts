/**
 * API-code reader costs (issue #15), ratios against floors measured in the same run:
 * - `parseApiCode` of a large pasted API code (20 000 science windows, a 2 000-source catalogue as JSON text)
 *   against `JSON.parse` of the same dictionary written as JSON;
 * - the same at 4× the size against 1× (a linear reader stays near 4);
 * - 10 MB of hostile nesting (`[[[[...`) refused, against the 1× parse.
 *
 *   deno run -A bench/api_code_bench.ts [--rounds 5]
 *
 * @module
 */
import { parseApiCode, renderApiCode } from "../lib/codecs/api_code.ts";
import { emit, median, note } from "./_table.ts";

const i = Deno.args.indexOf("--rounds");
const rounds = i >= 0 ? Number(Deno.args[i + 1]) : 5;

function time(f: () => unknown): number {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    try {
      f();
    } catch { /* hostile inputs end in an error: that is what is timed */ }
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function query(scale: number): Record<string, unknown> {
  const scw = Array.from(
    { length: 20_000 * scale },
    (_, k) => `${String(66500000 + k).padStart(8, "0")}0010.001`,
  );
  const sources = Array.from({ length: 2_000 * scale }, (_, k) => ({
    src_names: `SRC ${k}`,
    ra: 83.6 + k * 1e-3,
    dec: 22.0 - k * 1e-3,
    significance: 5 + (k % 17) * 0.25,
  }));
  return {
    instrument: "isgri",
    product: "isgri_image",
    product_type: "Real",
    E1_keV: 28,
    E2_keV: 40,
    scw_list: scw,
    selected_catalog: JSON.stringify({ cat_column_list: sources }),
  };
}

const small = query(1);
const big = query(4);
const codeSmall = renderApiCode(small, { url: "https://www.astro.unige.ch/mmoda/dispatch-data" });
const codeBig = renderApiCode(big, { url: "https://www.astro.unige.ch/mmoda/dispatch-data" });
const jsonSmall = JSON.stringify(small);
const hostile = "par_dict=" + "[".repeat(10 * 1024 * 1024);
for (let w = 0; w < 5; w++) parseApiCode(codeSmall); // warm-up (JIT tiers)
JSON.parse(jsonSmall);
const tSmall = time(() => parseApiCode(codeSmall));
const tFloor = time(() => JSON.parse(jsonSmall));
const tBig = time(() => parseApiCode(codeBig));
const tHostile = time(() => parseApiCode(hostile));
emit({
  figure: `parseApiCode, 20 000 scw + 2 000-source catalogue (${(codeSmall.length / 1e6).toFixed(2)} MB)`,
  value: tSmall,
  unit: "ms",
  floor: tFloor,
  floorWhat: "JSON.parse of the same dictionary",
  target: "≤ 40× floor (a JS tokenizer vs native JSON)",
  limit: 40,
  on: "ratio",
});
emit({
  figure: `parseApiCode, same at ${(codeBig.length / codeSmall.length).toFixed(1)}× the size`,
  value: tBig,
  unit: "ms",
  floor: tSmall,
  floorWhat: "the 1× code",
  target: "≤ 6× (linear: ~4×)",
  limit: 6,
  on: "ratio",
});
emit({
  figure: "parseApiCode of 10 MB of nesting (refused)",
  value: tHostile,
  unit: "ms",
  floor: tSmall,
  floorWhat: "the 1× code",
  target: "≤ 1× (refused at depth 100)",
  limit: 1,
  on: "ratio",
});
note(
  `API code: ${tSmall.toFixed(1)} ms for ${
    (codeSmall.length / 1e6).toFixed(2)
  } MB; 10 MB nesting refused in ${tHostile.toFixed(1)} ms`,
);
