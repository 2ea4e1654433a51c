/**
 * Growth benchmark: `DispatcherAPI.getProduct` over HTTP (a local server sending a finished answer built by
 * the sandbox's encoder) at three sizes of each workload — light curves of 1e5, 1e6 and 1e7 rows, mosaics of
 * 1, 4 and 16 images of 2000² float32 — each in a fresh process (cold: the time a user waits for the first
 * product), measuring the time and the peak RSS growth (kernel VmHWM, reset just before). The exponent of
 * each (least-squares slope of log value against log response size) must stay ≤ 1.1: linear in the size.
 *
 *   deno run -A bench/growth_bench.ts [--quick]   # --quick: 1e5/3e5/1e6 rows, 1/2/4 images
 *
 * @module
 */
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import { responseText, type WorkloadSize } from "./_workloads.ts";
import { currentRss, emit, note, peakRss, resetPeakRss } from "./_table.ts";

const argv = Deno.args;

/** Child: one getProduct against `url`, its time and peak RSS growth. */
async function child(url: string): Promise<void> {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  gc?.();
  const before = currentRss();
  const reset = resetPeakRss();
  const t0 = performance.now();
  const disp = new DispatcherAPI({ url, token: null, parameter_check: false });
  // deno-lint-ignore no-explicit-any
  const dc = await disp.getProduct({ instrument: "isgri", product: "bench", silent: true } as any);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, grown: peakRss() - before, reset, products: dc._p_list.length }));
}

/** Least-squares slope of log y against log x. */
function exponent(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

async function measure(text: string): Promise<{ ms: number; grown: number }> {
  const bytes = new TextEncoder().encode(text);
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    () => new Response(bytes, { headers: { "content-type": "application/json" } }),
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc,--max-old-space-size=8192",
        new URL(import.meta.url).pathname,
        "--child",
        `http://127.0.0.1:${server.addr.port}`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("growth child failed");
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  } finally {
    ac.abort();
    await server.finished;
  }
}

async function main(): Promise<void> {
  const quick = argv.includes("--quick");
  const series: [string, "lightcurve" | "mosaic", [string, WorkloadSize][]][] = [
    [
      "light curve",
      "lightcurve",
      (quick ? [1e5, 3e5, 1e6] : [1e5, 1e6, 1e7]).map((r) => [`${r.toExponential(0)} rows`, { rows: r }]),
    ],
    ["mosaic", "mosaic", (quick ? [1, 2, 4] : [1, 4, 16]).map((n) => [`${n}×2000²`, { images: n }])],
  ];
  for (const [label, which, sizes] of series) {
    const xs: number[] = [];
    const ts: number[] = [];
    const ms: number[] = [];
    const parts: string[] = [];
    for (const [name, size] of sizes) {
      let text: string | null = responseText(which, size);
      const n = text.length;
      const r = await measure(text);
      text = null;
      xs.push(n);
      ts.push(r.ms);
      ms.push(r.grown);
      parts.push(
        `${name} (${(n / 1e6).toFixed(0)} MB): ${r.ms.toFixed(0)} ms, +${(r.grown / 1e6).toFixed(0)} MB`,
      );
    }
    const sizesText = sizes.map(([s]) => s).join(", ");
    emit({
      figure: `getProduct growth, ${label} (${sizesText}): time exponent, cold`,
      value: exponent(xs, ts),
      unit: "",
      target: "≤ 1.1",
      limit: 1.1,
      on: "value",
    });
    emit({
      figure: `getProduct growth, ${label} (${sizesText}): peak RSS exponent`,
      value: exponent(xs, ms),
      unit: "",
      target: "≤ 1.1",
      limit: 1.1,
      on: "value",
    });
    note(`getProduct growth, ${label}, each in a fresh process: ${parts.join("; ")}`);
  }
}

if (argv[0] === "--child") await child(argv[1]);
else await main();
