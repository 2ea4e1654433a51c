/**
 * Runs one hostile class of `_hostile.ts` (argv: class name, seed, count, per-case ms, RSS MiB) in this
 * process, started by `fuzz_classes_test.ts` with a V8 heap limit: every case must end in a value or an
 * `OdaError`, within the per-case time and without the resident set growing past the limit. Prints one JSON
 * line of statistics; exits 1 naming the case otherwise (a fatal out-of-memory kills the process: the parent
 * sees the crash).
 */
import { OdaError } from "../lib/errors.ts";
import { getLogger } from "../lib/log.ts";
import { HOSTILE_CLASSES } from "./_hostile.ts";

getLogger("oda_api").setLevel("CRITICAL");
const [name, seedS, countS, msS, rssS] = Deno.args;
const cls = HOSTILE_CLASSES[name];
if (!cls) throw new Error(`unknown class ${name}`);
const seed = Number(seedS),
  count = Number(countS),
  perCaseMs = Number(msS),
  rssLimit = Number(rssS) * 2 ** 20;
const cases = cls.cases(seed, count);
const stats = {
  class: name,
  cases: 0,
  values: 0,
  errors: 0,
  codes: {} as Record<string, number>,
  slowestMs: 0,
  maxRssMiB: 0,
};
for (let i = 0; i < cases.length; i++) {
  const t0 = performance.now();
  try {
    cls.decode(cases[i]);
    stats.values++;
  } catch (e) {
    if (!(e instanceof OdaError)) {
      console.error(
        `${name} seed=${seed} case=${i}: not an OdaError: ${
          e instanceof Error ? `${e.name}: ${e.message}` : typeof e
        }`,
      );
      Deno.exit(1);
    }
    stats.errors++;
    stats.codes[e.code] = (stats.codes[e.code] ?? 0) + 1;
  }
  const ms = performance.now() - t0;
  stats.slowestMs = Math.max(stats.slowestMs, Math.round(ms));
  const rss = Deno.memoryUsage().rss;
  stats.maxRssMiB = Math.max(stats.maxRssMiB, Math.round(rss / 2 ** 20));
  if (ms > perCaseMs) {
    console.error(`${name} seed=${seed} case=${i}: took ${ms.toFixed(0)} ms (limit ${perCaseMs})`);
    Deno.exit(1);
  }
  if (rss > rssLimit) {
    console.error(
      `${name} seed=${seed} case=${i}: resident set ${(rss / 2 ** 20).toFixed(0)} MiB (limit ${rssS})`,
    );
    Deno.exit(1);
  }
  stats.cases++;
}
console.log(JSON.stringify(stats));
