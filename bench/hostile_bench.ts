/**
 * Hostile-input costs (issue #17), ratios against a floor measured in the same run:
 * - the tolerant JSON reader on text full of NaN-placeholder spellings (`-0e-0999`, `-0e-00999`, ...), which
 *   once took seconds per MB, against `JSON.parse` of the same text with every NaN written as 0;
 * - the same at 4× the size against 1×: a linear reader stays near 4 (the quadratic one was at 8).
 *
 *   deno run -A bench/hostile_bench.ts [--rounds 5]
 *
 * @module
 */
import { parseJson } from "../lib/data/json.ts";
import { emit, median, note } from "./_table.ts";

const i = Deno.args.indexOf("--rounds");
const rounds = i >= 0 ? Number(Deno.args[i + 1]) : 5;

/** NaN, then k zero-run spellings of the placeholder: about k²/2 characters. */
function placeholders(k: number): string {
  const parts = ["NaN"];
  for (let j = 0; j < k; j++) parts.push(`-0e-${"0".repeat(j)}999`);
  return `[${parts.join(",")}]`;
}

function time(f: () => unknown): number {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const small = placeholders(1500); // ~1.1 MB
const big = placeholders(3000); // ~4.5 MB
const floorText = small.replace("NaN", "0");
parseJson(small); // warm-up
const tSmall = time(() => parseJson(small));
const tFloor = time(() => JSON.parse(floorText));
const tBig = time(() => parseJson(big));
emit({
  figure: `tolerant JSON, NaN + 1500 placeholder spellings (${(small.length / 1e6).toFixed(1)} MB)`,
  value: tSmall,
  unit: "ms",
  floor: tFloor,
  floorWhat: "JSON.parse of the same text, NaN written as 0",
  target: "≤ 10× floor",
  limit: 10,
  on: "ratio",
});
emit({
  figure: `tolerant JSON, same at ${(big.length / small.length).toFixed(1)}× the size`,
  value: tBig,
  unit: "ms",
  floor: tSmall,
  floorWhat: "the 1× text",
  target: "≤ 6× (linear: ~4×; quadratic: ≥ 8×)",
  limit: 6,
  on: "ratio",
});
note(
  `hostile JSON: ${tSmall.toFixed(1)} ms for ${(small.length / 1e6).toFixed(1)} MB (before the fix: ~1.5 s)`,
);
