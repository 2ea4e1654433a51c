/**
 * Hostile-input costs (issue #17), ratios against a floor measured in the same run:
 * - the tolerant JSON reader on text full of NaN-placeholder spellings (`-0e-0999`, `-0e-00999`, ...), which
 *   once took seconds per MB, against `JSON.parse` of the same text with every NaN written as 0;
 * - the same at 4× the size against 1×: a linear reader stays near 4 (the quadratic one was at 8);
 * - a pickle whose every level holds the previous list twice (memo references: 2^levels lists if copied),
 *   at 2× the depth against 1×: a decoder that shares stays near 2 (moved here from tests/pickle_test.ts,
 *   which checks the sharing itself).
 *
 *   deno run -A bench/hostile_bench.ts [--rounds 5]
 *
 * @module
 */
import { decodePickle } from "../lib/codecs/pickle.ts";
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
/** `levels` lists, each `[(previous, previous)]` through memo references (LONG_BINGET). */
function sharedLevels(levels: number): Uint8Array {
  const out: number[] = [0x80, 4, 0x5d];
  const u32 = (i: number) => [i & 255, (i >> 8) & 255, (i >> 16) & 255, i >>> 24];
  for (let i = 0; i < levels; i++) out.push(0x94, 0x5d, 0x6a, ...u32(i), 0x6a, ...u32(i), 0x86, 0x61);
  out.push(0x2e);
  return new Uint8Array(out);
}
const shallow = sharedLevels(20_000);
const deep = sharedLevels(40_000);
const decodeMany = (b: Uint8Array) => () => {
  for (let k = 0; k < 10; k++) decodePickle(b);
};
decodeMany(shallow)(); // warm-up
const tShallow = time(decodeMany(shallow));
const tDeep = time(decodeMany(deep));
emit({
  figure: "pickle, each level the previous list twice (memo), 40 000 levels",
  value: tDeep,
  unit: "ms",
  floor: tShallow,
  floorWhat: "the same at 20 000 levels",
  target: "≤ 3× (shared: ~2×; copied: 2^20000×)",
  limit: 3,
  on: "ratio",
});
note(
  `hostile JSON: ${tSmall.toFixed(1)} ms for ${(small.length / 1e6).toFixed(1)} MB (before the fix: ~1.5 s)`,
);
