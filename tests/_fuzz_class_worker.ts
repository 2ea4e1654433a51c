/**
 * Runs one hostile class of `_hostile.ts` (argv: class name, seed, count, RSS MiB) in this process, started
 * by `fuzz_classes_test.ts` with a V8 heap limit and a wall-clock limit for the whole class (a hang guard, no
 * speed target): every case must end in a value or an `OdaError` without the resident set growing past the
 * limit. Prints one JSON line of statistics; exits 1 naming the case otherwise (a fatal out-of-memory kills
 * the process: the parent sees the crash). The cost of hostile inputs is measured in bench/hostile_bench.ts.
 */
import { OdaError } from "../lib/errors.ts";
import { getLogger } from "../lib/log.ts";
import { HOSTILE_CLASSES } from "./_hostile.ts";

getLogger("oda_api").setLevel("CRITICAL");
const [name, seedS, countS, rssS] = Deno.args;
const cls = HOSTILE_CLASSES[name];
if (!cls) throw new Error(`unknown class ${name}`);
const seed = Number(seedS),
  count = Number(countS),
  rssLimit = Number(rssS) * 2 ** 20;
const cases = cls.cases(seed, count);
const stats = {
  class: name,
  cases: 0,
  values: 0,
  errors: 0,
  codes: {} as Record<string, number>,
  maxRssMiB: 0,
};
for (let i = 0; i < cases.length; i++) {
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
  const rss = Deno.memoryUsage().rss;
  stats.maxRssMiB = Math.max(stats.maxRssMiB, Math.round(rss / 2 ** 20));
  if (rss > rssLimit) {
    console.error(
      `${name} seed=${seed} case=${i}: resident set ${(rss / 2 ** 20).toFixed(0)} MiB (limit ${rssS})`,
    );
    Deno.exit(1);
  }
  stats.cases++;
}
console.log(JSON.stringify(stats));
