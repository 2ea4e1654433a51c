/**
 * Sandbox responsiveness while a big simulation computes (issue 16): a
 * 50-pointing `isgri_image` mosaic is submitted, then the job is polled (and
 * `/instr-list` asked, as another user would) back to back until the mosaic
 * is ready. Every poll answered before the job turned `ready` was served while
 * the simulation was computing. Target: median poll latency ≤ 50 ms with the
 * simulations in workers (the default). The same run with `--no-workers`
 * (simulation on the event loop) is noted for contrast, as is an idle poll.
 * The sandbox runs in its own process (`deno task sandbox`), so the polling
 * client never shares its event loop.
 *
 *   deno run -A bench/sandbox_latency_bench.ts [--rounds 3]
 *
 * @module
 */
import { emit, median, note } from "./_table.ts";

const arg = (name: string, def: number): number => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : def;
};
const ROUNDS = arg("rounds", 3);

const MOSAIC = {
  instrument: "isgri",
  product_type: "isgri_image",
  query_type: "Real",
  src_name: "1E 1740.7-2942",
  RA: "265.97845833",
  DEC: "-29.74516667",
  T1: "2003-03-15T00:00:00",
  T2: "2018-03-15T00:00:00",
  max_pointings: "50",
  radius: "15",
  E1_keV: "20",
  E2_keV: "40",
  api: "True",
};

async function get(url: string, params: Record<string, string>): Promise<[number, Record<string, unknown>]> {
  const t0 = performance.now();
  const r = await fetch(`${url}/run_analysis?${new URLSearchParams(params)}`);
  const body = await r.json() as Record<string, unknown>;
  return [performance.now() - t0, body];
}

/** A sandbox in a child process (`lib/sandbox/main.ts`); resolves once it prints its URL. */
async function spawnSandbox(args: string[]): Promise<{ url: string } & AsyncDisposable> {
  const main = new URL("../lib/sandbox/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "--port", "0", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`sandbox exited: ${text}`);
    text += value;
    url = /dispatcher: (http:\/\/\S+)/.exec(text)?.[1];
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    url,
    [Symbol.asyncDispose]: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

/** Poll latencies (ms) while the mosaic computes, how long it computed (ms), the slowest poll. */
async function measure(
  workers: boolean,
  round: number,
): Promise<{ polls: number[]; others: number[]; ms: number; worst: number }> {
  await using sb = await spawnSandbox([
    "--seed",
    String(11 + round),
    "--job-seconds",
    "0",
    ...(workers ? [] : ["--no-workers"]),
  ]);
  // warm the worker and the code paths with a tiny job
  await get(sb.url, { ...MOSAIC, max_pointings: "1", query_status: "new", T2: "2003-03-16T00:00:00" });
  const t0 = performance.now();
  const [, first] = await get(sb.url, { ...MOSAIC, query_status: "new" });
  const jobId = (first.job_monitor as Record<string, string>).job_id;
  const session = first.session_id as string;
  const polls: number[] = [];
  const others: number[] = [];
  let worst = 0;
  let status = String(first.query_status);
  while (status === "submitted" || status === "progress") {
    const [dt, body] = await get(sb.url, {
      ...MOSAIC,
      query_status: status,
      job_id: jobId,
      session_id: session,
    });
    const t1 = performance.now();
    await (await fetch(`${sb.url}/instr-list`)).arrayBuffer();
    others.push(performance.now() - t1);
    status = String(body.query_status);
    worst = Math.max(worst, dt);
    if (status === "submitted" || status === "progress") polls.push(dt);
  }
  const ms = performance.now() - t0;
  if (status !== "ready" && status !== "done") throw new Error(`mosaic job ended ${status}`);
  return { polls, others, ms, worst };
}

const withWorkers: number[] = [];
const otherUsers: number[] = [];
const computeMs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const m = await measure(true, r);
  withWorkers.push(...m.polls);
  otherUsers.push(...m.others);
  computeMs.push(m.ms);
}
const inline = await measure(false, 0);
{
  await using sb = await spawnSandbox(["--seed", "5"]);
  const idle: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await (await fetch(`${sb.url}/instr-list`)).arrayBuffer();
    idle.push(performance.now() - t0);
  }
  note(`idle sandbox: /instr-list median ${median(idle).toFixed(1)} ms`);
}
if (withWorkers.length < 10) throw new Error(`only ${withWorkers.length} polls while computing`);
emit({
  figure: `poll latency while a 50-pointing ISGRI mosaic computes (median of ${withWorkers.length})`,
  value: median(withWorkers),
  unit: "ms",
  target: "≤ 50 ms",
  limit: 50,
  on: "value",
});
note(
  `mosaic computed in ${
    computeMs.map((x) => (x / 1000).toFixed(1)).join(", ")
  } s; other users' /instr-list ` +
    `median ${median(otherUsers).toFixed(1)} ms, worst poll ${Math.max(...withWorkers).toFixed(0)} ms`,
);
note(
  `same job with --no-workers (simulation on the event loop): ${inline.polls.length} polls answered while ` +
    `computing (${(inline.ms / 1000).toFixed(1)} s); the poll queued behind the simulation waited ` +
    `${inline.worst.toFixed(0)} ms`,
);
