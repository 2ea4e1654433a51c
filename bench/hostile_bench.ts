/**
 * Hostile-input costs (issue #17), ratios against a floor measured in the same run:
 * - the tolerant JSON reader on text full of NaN-placeholder spellings (`-0e-0999`, `-0e-00999`, ...), which
 *   once took seconds per MB, against `JSON.parse` of the same text with every NaN written as 0;
 * - the same at 4× the size against 1×: a linear reader stays near 4 (the quadratic one was at 8);
 * - a pickle whose every level holds the previous list twice (memo references: 2^levels lists if copied),
 *   at 2× the depth against 1×: a decoder that shares stays near 2 (moved here from tests/pickle_test.ts,
 *   which checks the sharing itself).
 *
 * - token echo redaction (`tokenEchoRedactor`) of a text dense with escapes, runs of backslashes, `%25`
 *   chains and near-copies of the token's base64 forms, at 4× the size against 1× (linear: ~4×), and against
 *   the floor of one regex pass over the same text's escapes and a verbatim `split`/`join`.
 *
 *   deno run -A bench/hostile_bench.ts [--rounds 5]
 *
 * @module
 */
import { decodePickle } from "../lib/codecs/pickle.ts";
import { parseJson } from "../lib/data/json.ts";
import { tokenEchoRedactor } from "../lib/token/echoes.ts";
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

// token echo redaction: a hostile answer full of escapes and near misses (the token minus its last character,
// base64 of it, backslash runs that lead to no escape, %25 chains) costs linear time
const ECHO_TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaEBleGFtcGxlLm9yZyIsImV4cCI6NDEwMjQ0NDgwMH0.YmVuY2gtc2lnbmF0dXJlLWZvci1lY2hv";
function echoText(kb: number): string {
  const near = ECHO_TOKEN.slice(0, -1);
  const piece = `${near} %41\\\\\\u00 ${btoa(near)} %25252541 \\\\x4 ${encodeURIComponent(near)}%2 ` +
    `\u0041${near.split(".")[2]} `;
  return piece.repeat(Math.ceil((kb * 1024) / piece.length));
}
const redact = tokenEchoRedactor(ECHO_TOKEN);
const echo1 = echoText(2048), echo4 = echoText(8192);
redact(echo1); // warm-up
const tEcho1 = time(() => redact(echo1));
const tEcho4 = time(() => redact(echo4));
const ESCAPE_RE = /%[0-9a-f]{2}|\\u[0-9a-f]{4}|\\x[0-9a-f]{2}/gi;
const tEchoFloor = time(() =>
  echo1.replace(ESCAPE_RE, (e) => e.slice(-2)).split(ECHO_TOKEN).join("<redacted token>")
);
emit({
  figure: `token echo redaction, hostile text (${(echo1.length / 1e6).toFixed(1)} MB)`,
  value: tEcho1,
  unit: "ms",
  floor: tEchoFloor,
  floorWhat: "one regex pass over the escapes + verbatim split/join",
  target: "≤ 10× floor",
  limit: 10,
  on: "ratio",
});
emit({
  figure: `token echo redaction, same at ${(echo4.length / echo1.length).toFixed(1)}× the size`,
  value: tEcho4,
  unit: "ms",
  floor: tEcho1,
  floorWhat: "the 1× text",
  target: "≤ 6× (linear: ~4×; quadratic: ≥ 8×)",
  limit: 6,
  on: "ratio",
});
