/**
 * The hostile classes of issue #17 (`_hostile.ts`), each run in its own subprocess with a V8 heap limit, a
 * wall-clock limit (a hang guard) and a resident-set limit: every case must end in a value or an
 * `OdaError`. A class that allocates without bound dies of a fatal out-of-memory in its subprocess, which
 * fails its test here instead of killing the test runner. Fixed seeds: CI runs the same cases every time.
 */
import { ok as assert } from "node:assert/strict";
import { HOSTILE_CLASSES } from "./_hostile.ts";

const HEAP_MIB = 384;
const RSS_MIB = 1024;
/** A class still running after this is hung (its cases take about a second in all): no speed target. */
const CLASS_TIMEOUT_MS = 60_000;

interface Stats {
  class: string;
  cases: number;
  values: number;
  errors: number;
  codes: Record<string, number>;
  maxRssMiB: number;
}

async function runClass(name: string, seed: number, count: number): Promise<Stats> {
  const worker = new URL("./_fuzz_class_worker.ts", import.meta.url);
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      `--v8-flags=--max-old-space-size=${HEAP_MIB}`,
      worker.pathname,
      name,
      String(seed),
      String(count),
      String(RSS_MIB),
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CLASS_TIMEOUT_MS),
  });
  const out = await cmd.output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert(
    out.success,
    `class ${name} failed (exit ${out.code}${out.signal ? `, ${out.signal}` : ""}): ${stderr.slice(-2000)}`,
  );
  return JSON.parse(stdout.split("\n").pop()!) as Stats;
}

/** (class, seed, cases, what the stats must show) */
const PLAN: [string, number, number, (s: Stats) => boolean][] = [
  ["pickle-zero-size", 1701, 60, (s) => (s.codes.DECODE_LIMIT ?? 0) > 0],
  ["fits-zero-width-tdim", 1702, 40, (s) => (s.codes.DECODE_LIMIT ?? 0) > 0 && s.values > 0],
  ["fits-shared-heap", 1703, 24, (s) => (s.codes.DECODE_LIMIT ?? 0) > 0 && s.values > 0],
  ["fits-gzip-bomb", 1704, 8, (s) => (s.codes.DECODE_LIMIT ?? 0) > 0],
  ["ecsv-shapes-and-cells", 1705, 120, (s) => (s.codes.DECODE_LIMIT ?? 0) > 0 && (s.codes.ECSV ?? 0) > 0],
  ["json-nan-placeholders", 1706, 12, (s) => s.values === s.cases],
  ["list-data-units", 1707, 150, (s) => s.values > 0 && (s.codes.PRODUCT ?? 0) > 0],
  ["fits-ascii-int-and-blank", 1708, 80, (s) => s.values > 0 && (s.codes.FITS ?? 0) > 0],
  ["hostile-objects", 1709, 150, (s) => s.cases === 150],
];

// Two subprocesses at a time (the machine has 2 cores); all classes start together and report per class.
let running = 0;
const waiters: (() => void)[] = [];
async function limited<T>(f: () => Promise<T>): Promise<T> {
  while (running >= 2) await new Promise<void>((r) => waiters.push(r));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiters.shift()?.();
  }
}
const results = new Map(
  PLAN.map(([name, seed, count]) => [name, limited(() => runClass(name, seed, count))]),
);
for (const p of results.values()) p.catch(() => {}); // reported by each class's test

for (const [name, , count, check] of PLAN) {
  Deno.test(`fuzz class ${name}: ${HOSTILE_CLASSES[name].about} (${count} cases, heap ${HEAP_MIB} MiB)`, async () => {
    const s = await results.get(name)!;
    assert(s.cases === count, JSON.stringify(s));
    assert(check(s), `unexpected outcome: ${JSON.stringify(s)}`);
  });
}
