/**
 * Client benchmark against the sandbox over real HTTP (127.0.0.1):
 *
 * 1. latency from "backend done" (submission + the sandbox's job duration) to
 *    `getProduct()` returning, for short and medium jobs;
 * 2. requests per minute while waiting for a long job (overall and in the
 *    steady state), compared with oda_api's fixed 1 s polling.
 *
 * Usage: deno run -A bench/client_bench.ts [--long-seconds 60] [--runs 5]
 *
 * @module
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";

function arg(name: string, def: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : def;
}

const LONG = arg("long-seconds", 60);
const RUNS = arg("runs", 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function countingFetch() {
  const times: number[] = [];
  const f = (input: string | URL | Request, init?: RequestInit) => {
    if (String(input).includes("/run_analysis")) times.push(performance.now());
    return fetch(input, init);
  };
  return { fetch: f, times };
}

const rows: string[][] = [];

for (const seconds of [0.3, 1, 3, 10]) {
  const sb = await startSandbox({ port: 0, seed: 3, jobDuration: seconds });
  try {
    const lat: number[] = [];
    const reqs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const c = countingFetch();
      const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: c.fetch, parameter_check: false });
      await disp.getProduct({
        instrument: "empty-async",
        product: "dummy",
        scw_list: `bench${seconds}_${run}`,
        silent: true,
      });
      const end = performance.now();
      const backendDone = c.times[0] + seconds * 1000;
      lat.push(end - backendDone);
      reqs.push(c.times.length);
    }
    rows.push([
      `${seconds} s job`,
      `${median(lat).toFixed(0)} ms`,
      `${Math.max(...lat).toFixed(0)} ms`,
      `${median(reqs)}`,
    ]);
  } finally {
    await sb.close();
  }
}

console.log(`\nTime from "backend done" to getProduct() returning (median of ${RUNS} runs)\n`);
console.log("| job | median latency | worst latency | run_analysis requests |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);

{
  const sb = await startSandbox({ port: 0, seed: 3, jobDuration: LONG });
  try {
    const c = countingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: c.fetch, parameter_check: false });
    const t0 = performance.now();
    await disp.getProduct({ instrument: "empty-async", product: "dummy", scw_list: "long", silent: true });
    const minutes = (performance.now() - t0) / 60_000;
    const steadyFrom = t0 + 30_000;
    // polls after the ramp-up; the last request is the immediate products fetch after `ready`
    const polls = c.times.slice(0, -1);
    const gaps = polls.slice(1).map((t, i) => t - polls[i]).filter((_, i) => polls[i + 1] >= steadyFrom);
    const steadyRate = gaps.length ? 60_000 / median(gaps) : NaN;
    const firstMinute = c.times.filter((t) => t < t0 + 60_000).length;
    console.log(`\nRequests while waiting for a ${LONG} s job\n`);
    console.log(
      "| client | requests | first minute | overall per minute | steady state per minute (median poll gap) |",
    );
    console.log("|---|---|---|---|---|");
    console.log(
      `| this client | ${c.times.length} | ${firstMinute} | ${(c.times.length / minutes).toFixed(1)} | ${
        steadyRate.toFixed(1)
      } (${(median(gaps) / 1000).toFixed(2)} s) |`,
    );
    console.log(`| oda_api (1 s sleep) | ~${Math.round(LONG) + 1} | ~60 | ~60 | 60 (1 s) |`);
  } finally {
    await sb.close();
  }
}
