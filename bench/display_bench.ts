/**
 * Display benchmarks (run: `deno run -A bench/display_bench.ts [--vega]`).
 *
 * Targets (issue 7/10): a 1e5-point light curve gives ≤ 1 MB of notebook
 * output and takes ≤ 200 ms to build (warm); `import "mod.ts"` ≤ 300 ms warm.
 * Target rows are emitted as `BENCH {json}` lines for `bench/run.ts`
 * (`bench/_table.ts`), other figures as notes; exits 1 when a target is missed.
 * `--vega` also times vega-lite + vega `toSVG()` on the same decimated data,
 * the alternative we did not take.
 *
 * @module
 */
import { LightCurve } from "../mod.ts";
import { lightCurveBundle, mosaicBundle, svgToPng, tableBundle } from "../display.ts";
import type { Table } from "../lib/data/ndarray.ts";
import { emit, median, note } from "./_table.ts";

const results: { name: string; ms?: number; bytes?: number; target?: string; ok?: boolean }[] = [];
/** A target row for the suite table (absolute limit; the floor is shown for context). */
function target(
  figure: string,
  value: number,
  unit: string,
  limit: number,
  floor?: { value: number; what: string },
): void {
  results.push({ name: figure, target: `≤ ${limit} ${unit}`, ok: value <= limit });
  emit({
    figure,
    value,
    unit,
    target: `≤ ${limit} ${unit}`,
    limit,
    on: "value",
    ...(floor ? { floor: floor.value, floorWhat: floor.what } : {}),
  });
}
/** A figure without target (printed under the table). */
function report(r: { name: string; ms?: number; bytes?: number }): void {
  const parts = [
    r.ms !== undefined ? `${r.ms} ms` : "",
    r.bytes !== undefined ? `${(r.bytes / 1e6).toFixed(3)} MB` : "",
  ];
  note(`${r.name}: ${parts.filter(Boolean).join(", ")}`);
}

// --- import time of mod.ts in a fresh process (warm cache), against `deno eval 0`
{
  const spawn = async (code: string) => {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return performance.now() - t0;
  };
  const mod = new URL("../mod.ts", import.meta.url).href;
  const times: number[] = [], floors: number[] = [];
  for (let i = 0; i < 5; i++) {
    times.push(await spawn(`import "${mod}";`));
    floors.push(await spawn("0"));
  }
  target("import mod.ts (fresh process, warm cache)", Math.round(median(times)), "ms", 300, {
    value: Math.round(median(floors)),
    what: "deno eval 0",
  });
}

// --- light curve, 1e5 points
const n = 100_000;
const time = Float64Array.from({ length: n }, (_, i) => 6263 + i * (10 / 86400));
const rate = Float64Array.from(
  { length: n },
  (_, i) => 100 + 20 * Math.sin(i / 3000) + ((i * 7919) % 97) / 10,
);
const error = new Float64Array(n).fill(3);
const lc = new LightCurve({ time, rate, error, eMin: 30, eMax: 80, detnam: "ISGRI", name: "MAXI J1820+070" });
{
  const t0 = performance.now();
  await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
  report({ name: "resvg-wasm first load (once per kernel)", ms: Math.round(performance.now() - t0) });
  const t1 = performance.now();
  await lightCurveBundle(lc);
  report({ name: "light curve 1e5: first bundle", ms: Math.round(performance.now() - t1) });
  const times: number[] = [], floors: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const b = await lightCurveBundle(lc);
    times.push(performance.now() - t);
    bytes = JSON.stringify(b).length;
    // floor: serialising the raw points once (what any plot spec of all 1e5 points costs at least)
    const f = performance.now();
    const rows = Array.from({ length: n }, (_, k) => ({ x: time[k], y: rate[k], e: error[k] }));
    JSON.stringify(rows);
    floors.push(performance.now() - f);
  }
  target("light curve 1e5 points: display bundle build (warm)", Math.round(median(times)), "ms", 200, {
    value: Math.round(median(floors)),
    what: "JSON of the raw 1e5 points",
  });
  target("light curve 1e5 points: notebook output size", Number((bytes / 1e6).toFixed(3)), "MB", 1, {
    value: Number(
      (JSON.stringify(Array.from({ length: n }, (_, k) => [time[k], rate[k], error[k]])).length / 1e6)
        .toFixed(3),
    ),
    what: "JSON of the raw 1e5 points",
  });
  const tj = performance.now();
  const nopng = await lightCurveBundle(lc, { png: false });
  report({
    name: "  without PNG (vega-lite only)",
    ms: Math.round(performance.now() - tj),
    bytes: JSON.stringify(nopng).length,
  });
}

// --- 1e6 points
{
  const N = 1_000_000;
  const big = new LightCurve({
    time: Float64Array.from({ length: N }, (_, i) => i / 86400),
    rate: Float64Array.from({ length: N }, (_, i) => Math.sin(i / 10000)),
    error: new Float64Array(N).fill(0.1),
  });
  await lightCurveBundle(big);
  const t = performance.now();
  const b = await lightCurveBundle(big);
  report({
    name: "light curve 1e6: bundle build (warm)",
    ms: Math.round(performance.now() - t),
    bytes: JSON.stringify(b).length,
  });
}

// --- mosaic 500x500 and 2000x2000 with sources
for (const side of [500, 2000]) {
  const img = new Float32Array(side * side);
  for (let i = 0; i < img.length; i++) img[i] = ((i * 2654435761) % 1000) / 1000;
  const header = {
    CTYPE1: "RA---TAN",
    CTYPE2: "DEC--TAN",
    CRVAL1: 275,
    CRVAL2: 7,
    CRPIX1: side / 2,
    CRPIX2: side / 2,
    CDELT1: -16 / side,
    CDELT2: 16 / side,
  };
  const sources = [{ ra: 275, dec: 7, name: "MAXI J1820+070" }, {
    ra: 277,
    dec: 5,
    name: "NEW_1",
    isNew: true,
  }];
  await mosaicBundle(img, [side, side], { header, sources });
  const t = performance.now();
  const b = await mosaicBundle(img, [side, side], { header, sources });
  report({
    name: `mosaic ${side}x${side}: PNG bundle (warm)`,
    ms: Math.round(performance.now() - t),
    bytes: JSON.stringify(b).length,
  });
}

// --- table 1e6 rows → bounded bundle
{
  const N = 1_000_000;
  const t: Table = {
    kind: "table",
    length: N,
    columns: [
      { name: "TIME", dtype: ">f8", shape: [], values: new Float64Array(N) },
      { name: "RATE", dtype: ">f4", shape: [], values: new Float32Array(N) },
    ],
  };
  const t0 = performance.now();
  const b = tableBundle(t);
  report({
    name: "table 1e6 rows: bundle (50 rows shown)",
    ms: Math.round(performance.now() - t0),
    bytes: JSON.stringify(b).length,
  });
}

if (Deno.args.includes("--vega")) {
  const { LightCurvePlot } = await import("../lib/display/light_curve_plot.ts");
  const vl = await import("vega-lite");
  const vega = await import("vega");
  const spec = new LightCurvePlot(lc).spec();
  const idx = { length: (spec.data as { values: unknown[] }).values.length };
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: "none" });
    const svg = await view.toSVG();
    report({
      name: `alternative: vega toSVG of the same ${idx.length} points (run ${i + 1})`,
      ms: Math.round(performance.now() - t),
      bytes: svg.length,
    });
  }
}

const failed = results.filter((r) => r.ok === false);
console.log(`${results.filter((r) => r.ok).length} targets met, ${failed.length} missed`);
if (failed.length) Deno.exit(1);
