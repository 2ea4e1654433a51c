/**
 * The benchmark suite (`deno task bench`): runs every workload in its own
 * subprocess (so peak RSS is per workload), collects their `BENCH` rows and
 * prints ONE table — figure, value, floor measured in the same run, ratio,
 * target, pass/fail — then the notes and each workload's peak RSS.
 *
 *   deno task bench                       # everything (about 3 minutes)
 *   deno task bench --quick               # fewer rounds, 60 s long job
 *   deno task bench --only response,fits  # some workloads
 *   deno task bench --markdown out.md     # also write the table as Markdown
 *
 * Exit code 1 when a target is missed or a workload fails. The long-job
 * polling workload mostly sleeps, so it runs alongside the others.
 *
 * @module
 */
import { type BenchRow, passes, renderTable } from "./_table.ts";

interface Workload {
  name: string;
  script: string;
  args: string[];
  /** Runs concurrently with the others (idle-bound). */
  background?: boolean;
}

const quick = Deno.args.includes("--quick");
const onlyIdx = Deno.args.indexOf("--only");
const only = onlyIdx >= 0 ? Deno.args[onlyIdx + 1].split(",") : null;
const mdIdx = Deno.args.indexOf("--markdown");
const mdPath = mdIdx >= 0 ? Deno.args[mdIdx + 1] : null;

const workloads: Workload[] = [
  {
    name: "polling",
    script: "client_latency_bench.ts",
    args: ["--only-long", "--long-seconds", quick ? "60" : "100"],
    background: true,
  },
  { name: "response", script: "response_bench.ts", args: ["--rounds", quick ? "3" : "5"] },
  { name: "fits", script: "fits_product_bench.ts", args: ["--rounds", quick ? "3" : "5"] },
  { name: "growth", script: "growth_bench.ts", args: quick ? ["--quick"] : [] },
  { name: "latency", script: "client_latency_bench.ts", args: ["--skip-long", "--runs", quick ? "2" : "3"] },
  { name: "display", script: "display_import_bench.ts", args: ["--runs", quick ? "3" : "7"] },
  { name: "sandbox", script: "sandbox_latency_bench.ts", args: ["--rounds", quick ? "2" : "3"] },
  { name: "science", script: "science_bench.ts", args: ["--rounds", quick ? "2" : "3"] },
  { name: "hostile", script: "hostile_bench.ts", args: ["--rounds", quick ? "3" : "5"] },
  { name: "api_code", script: "api_code_bench.ts", args: ["--rounds", quick ? "3" : "5"] },
].filter((w) => !only || only.includes(w.name));

interface Outcome {
  workload: Workload;
  rows: BenchRow[];
  notes: string[];
  peakRssMiB: number | null;
  seconds: number;
  ok: boolean;
  stderr: string;
}

async function runWorkload(w: Workload): Promise<Outcome> {
  const script = new URL(w.script, import.meta.url).pathname;
  const t0 = performance.now();
  // /usr/bin/time reports the child's peak RSS (maximum over the process tree's largest member)
  const time = await Deno.stat("/usr/bin/time").then(() => true, () => false);
  const denoArgs = ["run", "-A", "--v8-flags=--expose-gc,--max-old-space-size=4096", script, ...w.args];
  const cmd = time
    ? new Deno.Command("/usr/bin/time", {
      args: ["-f", "PEAKRSS %M", Deno.execPath(), ...denoArgs],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), { args: denoArgs, stdout: "piped", stderr: "piped" });
  const out = await cmd.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("BENCH ")) rows.push({ ...JSON.parse(line.slice(6)), workload: w.name });
    else if (line.startsWith("BENCHNOTE ")) notes.push(JSON.parse(line.slice(10)));
  }
  const m = /PEAKRSS (\d+)/.exec(stderr);
  return {
    workload: w,
    rows,
    notes,
    peakRssMiB: m ? Number(m[1]) / 1024 : null,
    seconds: (performance.now() - t0) / 1000,
    ok: out.success,
    stderr,
  };
}

function machine(): string {
  const cpus = navigator.hardwareConcurrency;
  let model = "";
  try {
    model = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "";
  } catch { /* not Linux */ }
  const memGiB = Deno.systemMemoryInfo().total / 2 ** 30;
  return `${cpus} cores${model ? ` (${model})` : ""}, ${
    memGiB.toFixed(0)
  } GiB RAM, ${Deno.build.os}/${Deno.build.arch}, ` +
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`;
}

const started = new Date();
const t0 = performance.now();
console.error(
  `oda-api benchmark suite: ${workloads.map((w) => w.name).join(", ")}${quick ? " (quick)" : ""}`,
);
const background = workloads.filter((w) => w.background).map((w) => {
  console.error(`  started ${w.name} (in the background)`);
  return runWorkload(w);
});
const outcomes: Outcome[] = [];
for (const w of workloads.filter((w) => !w.background)) {
  console.error(`  running ${w.name} ...`);
  const o = await runWorkload(w);
  console.error(`  ${w.name}: ${o.ok ? "ok" : "FAILED"} in ${o.seconds.toFixed(0)} s`);
  outcomes.push(o);
}
if (background.length) console.error("  waiting for the background workloads ...");
for (const o of await Promise.all(background)) outcomes.push(o);

const rows = outcomes.flatMap((o) => o.rows);
const table = renderTable(rows);
const header = `Machine: ${machine()}\nDate: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
  `suite ran ${((performance.now() - t0) / 1000).toFixed(0)} s`;
const notes = outcomes.flatMap((o) => o.notes.map((n) => `- ${n}`));
const rss = outcomes.map((o) =>
  `- ${o.workload.name}: peak RSS ${o.peakRssMiB === null ? "n/a" : `${o.peakRssMiB.toFixed(0)} MiB`}, ` +
  `${o.seconds.toFixed(0)} s${o.ok ? "" : " — FAILED"}`
);
console.log(
  `\n${header}\n\n${table}\n\nNotes:\n${notes.join("\n")}\n\nWorkloads (each in its own process):\n${
    rss.join("\n")
  }`,
);
for (const o of outcomes.filter((o) => !o.ok)) {
  console.log(`\n${o.workload.name} failed:\n${o.stderr.split("\n").slice(-30).join("\n")}`);
}
if (mdPath) await Deno.writeTextFile(mdPath, `${header}\n\n${table}\n\n${notes.join("\n")}\n`);
const missed = rows.filter((r) => !passes(r)).length;
console.log(`\n${rows.length - missed} of ${rows.length} targets met${missed ? `, ${missed} missed` : ""}`);
if (missed || outcomes.some((o) => !o.ok)) Deno.exit(1);
