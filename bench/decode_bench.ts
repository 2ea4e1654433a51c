/**
 * Decode benchmark (issue 3): a `run_analysis` response holding a 4×2000×2000 float32 mosaic (4 data units,
 * big-endian like FITS data) and a 1e6-row light curve (structured `numpy.record` array, FITS-style `>f8`/`>f4`
 * columns), all pickled by our encoder and base64'd into one JSON text.
 *
 * - floor: `JSON.parse` + `Uint8Array.fromBase64` (fastest built-in) of every `binarys`;
 * - ours:  `parseJson` + `decodeBase64` + `decodeNumpyPickle(…, { reuseInput: true })` into NdArray/Table.
 *
 * Each measurement runs in a fresh child process (so memory numbers are not polluted by the other mode):
 * time = median of 5 runs; memory = peak RSS during the first run (sampled `Deno.memoryUsage().rss` after
 * every step, and the kernel's high-water mark VmHWM reset just before decoding), both relative to the state
 * where the response text is already in memory, and as a ratio to the response size. Targets: ours ≤ 1.5×
 * floor time, peak growth ≤ 2× response size.
 *
 *   deno run -A bench/decode_bench.ts            # prints the table
 *   deno run -A bench/decode_bench.ts --json     # machine-readable
 *
 * "ours*" additionally drops each base64 string once decoded, as a products layer that owns the parsed response
 * can do.
 */
import { encodeNumpyPickle } from "../lib/codecs/pickle_encode.ts";
import { decodeNumpyPickle } from "../lib/codecs/pickle.ts";
import { decodeBase64, encodeBase64 } from "../lib/data/base64.ts";
import { parseJson } from "../lib/data/json.ts";
import type { NdArray, Table } from "../lib/data/ndarray.ts";

const MiB = 1024 * 1024;
const REPS = 3;
const REPS_T = 7;

function buildResponse(): string {
  const units = [];
  for (let k = 0; k < 4; k++) {
    const img = new Float32Array(2000 * 2000);
    for (let i = 0; i < img.length; i++) img[i] = Math.sin(i * 0.001 + k) * 100 + k;
    const b = encodeNumpyPickle({ kind: "ndarray", dtype: ">f4", shape: [2000, 2000], values: img });
    units.push({
      data: null,
      dt: ">f4",
      name: `ISGR-MOSA-IMA-${k}`,
      header: {
        XTENSION: "IMAGE",
        BITPIX: -32,
        NAXIS: 2,
        NAXIS1: 2000,
        NAXIS2: 2000,
        EXTNAME: "ISGR-MOSA-IMA",
      },
      binarys: encodeBase64(b),
      meta_data: {},
      hdu_type: "image",
      units_dict: null,
    });
  }
  const n = 1_000_000;
  const time = new Float64Array(n).map((_, i) => 58000 + i / 86400);
  const rate = new Float32Array(n).map((_, i) => 10 + Math.sin(i / 1000));
  const err = new Float32Array(n).fill(0.5);
  const frac = new Float32Array(n).fill(1);
  const lc: Table = {
    kind: "table",
    length: n,
    columns: [
      { name: "TIME", dtype: ">f8", shape: [], values: time },
      { name: "RATE", dtype: ">f4", shape: [], values: rate },
      { name: "ERROR", dtype: ">f4", shape: [], values: err },
      { name: "FRACEXP", dtype: ">f4", shape: [], values: frac },
    ],
  };
  const lcUnit = {
    data: null,
    dt: "(numpy.record, [('TIME', '>f8'), ('RATE', '>f4'), ('ERROR', '>f4'), ('FRACEXP', '>f4')])",
    name: "RATE",
    header: { XTENSION: "BINTABLE", NAXIS2: n },
    binarys: encodeBase64(encodeNumpyPickle(lc)),
    meta_data: {},
    hdu_type: "bintable",
    units_dict: null,
  };
  return JSON.stringify({
    query_status: "done",
    products: {
      numpy_data_product_list: [
        { data_unit_list: units, name: "mosaic_image", meta_data: "{}" },
        { data_unit_list: [lcUnit], name: "isgri_lc", meta_data: "{}" },
      ],
    },
    job_monitor: { job_id: "0123456789abcdef", status: "done" },
  });
}

// deno-lint-ignore no-explicit-any
type Any = any;

function floor(text: string, sample: () => void): number {
  const d = JSON.parse(text) as Any;
  sample();
  let bytes = 0;
  for (const p of d.products.numpy_data_product_list) {
    for (const u of p.data_unit_list) {
      bytes += Uint8Array.fromBase64(u.binarys).length;
      sample();
    }
  }
  return bytes;
}

function ours(text: string, sample: () => void, dropBase64 = false): (NdArray | Table)[] {
  const d = parseJson(text) as Any;
  sample();
  const out: (NdArray | Table)[] = [];
  for (const p of d.products.numpy_data_product_list) {
    for (const u of p.data_unit_list) {
      out.push(decodeNumpyPickle(decodeBase64(u.binarys), { reuseInput: true }));
      // what a products layer that owns the parsed response can do: let the base64 text be collected
      if (dropBase64) u.binarys = null;
      sample();
    }
  }
  return out;
}

function hwm(): number {
  const s = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : NaN;
}

function resetHwm(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

async function child(mode: string, file: string): Promise<void> {
  const rssStart = Deno.memoryUsage().rss;
  const text = await Deno.readTextFile(file);
  const rssLoaded = Deno.memoryUsage().rss;
  const hwmReset = resetHwm();
  let peak = rssLoaded;
  const sample = () => {
    const r = Deno.memoryUsage().rss;
    if (r > peak) peak = r;
  };
  const times: number[] = [];
  let check = "";
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const res = mode === "floor" ? floor(text, sample) : ours(text, sample, mode === "ours-drop");
    times.push(performance.now() - t0);
    if (r === 0) {
      const hw = hwm();
      if (mode !== "floor") {
        const arrs = res as (NdArray | Table)[];
        const img = arrs[0] as NdArray;
        const lc = arrs[4] as Table;
        check = `img[1]=${(img.values as Float32Array)[1].toFixed(4)} lc.rows=${lc.length} TIME[2]=${
          (lc.columns[0].values as Float64Array)[2].toFixed(6)
        }`;
      }
      console.log(JSON.stringify({
        mode,
        responseBytes: text.length,
        rssStart,
        rssLoaded,
        rssPeakSampled: peak,
        hwm: hwmReset ? hw : null,
        check,
      }));
    }
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ mode, medianMs: times[Math.floor(times.length / 2)], times }));
}

/** Interleaved timing of both paths in one process (min and median of REPS_T runs each, gc in between). */
function timeChild(file: string): void {
  const text = Deno.readTextFileSync(file);
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  const t: Record<string, number[]> = { floor: [], ours: [], parse: [], b64: [], pickle: [] };
  const nop = () => {};
  for (let r = 0; r < REPS_T; r++) {
    for (const mode of r % 2 ? ["ours", "floor"] : ["floor", "ours"]) {
      gc?.();
      const t0 = performance.now();
      if (mode === "floor") floor(text, nop);
      else ours(text, nop);
      t[mode].push(performance.now() - t0);
    }
    // breakdown of ours
    gc?.();
    let t0 = performance.now();
    const d = parseJson(text) as Any;
    t.parse.push(performance.now() - t0);
    const bufs: Uint8Array[] = [];
    t0 = performance.now();
    for (const p of d.products.numpy_data_product_list) {
      for (const u of p.data_unit_list) bufs.push(decodeBase64(u.binarys));
    }
    t.b64.push(performance.now() - t0);
    t0 = performance.now();
    for (const b of bufs) decodeNumpyPickle(b, { reuseInput: true });
    t.pickle.push(performance.now() - t0);
  }
  const stat = (xs: number[]) => {
    const s = xs.slice().sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)] };
  };
  console.log(
    JSON.stringify({ timing: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stat(v)])) }),
  );
}

async function main(): Promise<void> {
  const asJson = Deno.args.includes("--json");
  const t0 = performance.now();
  const text = buildResponse();
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, text);
  const buildMs = performance.now() - t0;
  const results: Record<string, Any> = {};
  for (const mode of ["floor", "ours", "ours-drop"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--max-old-space-size=8192",
        new URL(import.meta.url).pathname,
        "--child",
        mode,
        file,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`child ${mode} failed`);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    results[mode] = Object.assign({}, ...lines);
  }
  {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--max-old-space-size=8192,--expose-gc",
        new URL(import.meta.url).pathname,
        "--time",
        file,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("timing child failed");
    Object.assign(results, JSON.parse(new TextDecoder().decode(out.stdout).trim()));
  }
  await Deno.remove(file);
  const size = text.length;
  const f = results.floor;
  const o = results.ours;
  const row = (r: Any) => ({
    medianMs: r.medianMs,
    peakGrowthMiB: (r.rssPeakSampled - r.rssLoaded) / MiB,
    peakGrowthRatio: (r.rssPeakSampled - r.rssLoaded) / size,
    hwmGrowthRatio: r.hwm ? (r.hwm - r.rssLoaded) / size : null,
    peakTotalRatio: (r.rssPeakSampled - r.rssStart) / size,
  });
  const summary = {
    responseMiB: size / MiB,
    buildMs,
    floor: row(f),
    ours: row(o),
    oursDrop: row(results["ours-drop"]),
    timing: results.timing,
    timeRatioMin: results.timing.ours.min / results.timing.floor.min,
    timeRatioMedian: results.timing.ours.median / results.timing.floor.median,
    timeRatio: o.medianMs / f.medianMs,
    check: o.check,
    throughputMiBps: size / MiB / (o.medianMs / 1000),
  };
  if (asJson) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const fmt = (x: number | null, d = 2) => (x === null ? "n/a" : x.toFixed(d));
  console.log(
    `response: ${fmt(summary.responseMiB, 1)} MiB JSON (4×2000×2000 >f4 mosaic + 1e6-row light curve)`,
  );
  console.log(`decoded check: ${summary.check}`);
  console.log("");
  console.log(
    "| path  | median ms | ratio | peak RSS growth MiB | growth/response | VmHWM growth/response | total/response |",
  );
  console.log(
    "| ----- | --------- | ----- | ------------------- | --------------- | --------------------- | -------------- |",
  );
  for (
    const [name, r] of [["floor", summary.floor], ["ours", summary.ours], [
      "ours*",
      summary.oursDrop,
    ]] as const
  ) {
    console.log(
      `| ${name.padEnd(5)} | ${fmt(r.medianMs, 1).padStart(9)} | ${
        fmt(r.medianMs / summary.floor.medianMs).padStart(5)
      } | ${fmt(r.peakGrowthMiB, 1).padStart(19)} | ${fmt(r.peakGrowthRatio).padStart(15)} | ${
        fmt(r.hwmGrowthRatio).padStart(21)
      } | ${fmt(r.peakTotalRatio).padStart(14)} |`,
    );
  }
  console.log("");
  console.log(
    "ours* = ours, dropping each base64 string once decoded (u.binarys = null) as a products layer can",
  );
  console.log(
    "(median ms above: separate processes, 3 runs each; the interleaved ratio below is the robust one)",
  );
  const tm = summary.timing;
  console.log("");
  console.log(`interleaved in one process, ${REPS_T} runs each (min / median ms):`);
  console.log(
    `  floor  JSON.parse + Uint8Array.fromBase64   ${fmt(tm.floor.min, 1)} / ${fmt(tm.floor.median, 1)}`,
  );
  console.log(
    `  ours   parseJson + decodeBase64 + pickle    ${fmt(tm.ours.min, 1)} / ${fmt(tm.ours.median, 1)}`,
  );
  console.log(
    `    of which parseJson ${fmt(tm.parse.min, 1)}, decodeBase64 ${fmt(tm.b64.min, 1)}, decodeNumpyPickle ${
      fmt(tm.pickle.min, 1)
    } (min)`,
  );
  console.log(
    `ours/floor time: ${fmt(summary.timeRatioMin)} (min), ${
      fmt(summary.timeRatioMedian)
    } (median); target ≤ 1.5`,
  );
  console.log(`ours throughput ${fmt(summary.responseMiB / (tm.ours.min / 1000), 0)} MiB/s (best run)`);
}

if (Deno.args[0] === "--child") await child(Deno.args[1], Deno.args[2]);
else if (Deno.args[0] === "--time") timeChild(Deno.args[1]);
else await main();
