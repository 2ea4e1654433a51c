/**
 * Display and start-up benchmark (issue 10, targets 4 and 5):
 *
 * - light curve of 1e5 points: the notebook bundle built by
 *   `lightCurveBundle` (what `show()` puts in a cell): size of its JSON
 *   (≤ 1 MB) and build time, warm, best of `--runs` (≤ 200 ms; median noted);
 * - `import` of `mod.ts`: wall time of `deno run -A` of a file importing
 *   `mod.ts` minus that of a file importing nothing (same flags, warm cache,
 *   interleaved, best of `--runs`, medians noted), target ≤ 300 ms.
 *
 * (`bench/display_bench.ts` has more display figures: 1e6 points, mosaics, tables.)
 *
 *   deno run -A bench/display_import_bench.ts [--runs 7]
 *
 * @module
 */
import { lightCurveBundle } from "../lib/display/plots.ts";
import { LightCurve } from "../lib/products/light_curve.ts";
import { best, emit, median, note } from "./_table.ts";

const i = Deno.args.indexOf("--runs");
const RUNS = i >= 0 ? Number(Deno.args[i + 1]) : 7;

// --- import time of mod.ts in a fresh process, against an empty module
{
  const dir = new URL(".", import.meta.url).pathname;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const tmp = await Deno.makeTempDir({ prefix: "oda_bench_import_" });
  const withMod = `${tmp}/with_mod.ts`;
  const empty = `${tmp}/empty.ts`;
  await Deno.writeTextFile(
    withMod,
    `import * as oda from "${new URL("../mod.ts", import.meta.url).href}";\nif (!oda) Deno.exit(1);\n`,
  );
  await Deno.writeTextFile(empty, "export {};\n");
  const run = async (file: string): Promise<number> => {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", config, file],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return performance.now() - t0;
  };
  try {
    await run(withMod); // warm Deno's module cache (and the type-check-free run path)
    await run(empty);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      a.push(await run(withMod));
      b.push(await run(empty));
    }
    emit({
      figure: `import mod.ts, warm (process − empty process), best of ${RUNS}`,
      value: best(a) - best(b),
      unit: "ms",
      target: "≤ 300 ms",
      limit: 300,
      on: "value",
    });
    note(
      `import: deno run of a file importing mod.ts ${median(a).toFixed(0)} ms (best ${
        best(a).toFixed(0)
      }), ` +
        `of an empty file ${median(b).toFixed(0)} ms (best ${best(b).toFixed(0)})`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

// --- light curve display, 1e5 points
{
  const n = 100_000;
  const time = Float64Array.from({ length: n }, (_, i) => 6263 + i * (10 / 86400));
  const rate = Float64Array.from(
    { length: n },
    (_, i) => 100 + 20 * Math.sin(i / 3000) + ((i * 7919) % 97) / 10,
  );
  const error = new Float64Array(n).fill(3);
  const lc = new LightCurve({ time, rate, error, eMin: 30, eMax: 80, detnam: "ISGRI", name: "Crab" });
  const t0 = performance.now();
  await lightCurveBundle(lc); // first call loads the rasteriser (once per kernel)
  const first = performance.now() - t0;
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const bundle = await lightCurveBundle(lc);
    times.push(performance.now() - t);
    bytes = new TextEncoder().encode(JSON.stringify(bundle)).length;
  }
  emit({
    figure: `light curve 1e5 points: display bundle build, warm, best of ${RUNS}`,
    value: best(times),
    unit: "ms",
    target: "≤ 200 ms",
    limit: 200,
    on: "value",
  });
  emit({
    figure: "light curve 1e5 points: display bundle size (JSON)",
    value: bytes / 1e6,
    unit: "MB",
    floor: (n * 3 * 8) / 1e6,
    floorWhat: "raw float64 data",
    target: "≤ 1 MB",
    limit: 1,
    on: "value",
  });
  note(
    `light curve display: bundle build median ${median(times).toFixed(0)} ms; ` +
      `first bundle (loads the PNG rasteriser once per kernel) ${first.toFixed(0)} ms`,
  );
}
