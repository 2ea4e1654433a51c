/**
 * Response decode benchmark (issue 10, target 1): a finished `/run_analysis`
 * answer built by the sandbox's encoder (`bench/_workloads.ts`: the ~90 MB
 * mosaic with a 500-row catalog, and the 1e6-row light curve) decoded into a
 * `DataCollection`.
 *
 * - time: `parseJson` + `DataCollection.fromResponseJson` against the floor
 *   `JSON.parse` + `Uint8Array.fromBase64` of every `binarys` of the same
 *   text, interleaved in one process (gc between runs), best and median of
 *   `--rounds` (default 5). Target ≤ 1.5×.
 * - memory of the decode: a fresh process holding the response text decodes
 *   it; the kernel's peak RSS (VmHWM, reset just before) minus the RSS just
 *   before, divided by the response size. Target ≤ 2×.
 * - memory end to end: a fresh process runs `DispatcherAPI.getProduct`
 *   against a local HTTP server (in this process) answering with the text,
 *   measured the same way (everything the body costs on the way in counts);
 *   compared with the naive floor `fetch` + `await res.text()` + `JSON.parse` +
 *   `Uint8Array.fromBase64` (target: no worse). The live memory still held
 *   after a full GC is noted (the client must keep no copy of the body).
 *
 *   deno run -A bench/response_bench.ts [--rounds 5] [--only mosaic|lightcurve]
 *
 * @module
 */
import { parseJson } from "../lib/data/json.ts";
import { parseJsonBytes } from "../lib/codecs/response_stream.ts";
import { DataCollection } from "../lib/products/collection.ts";
import type { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import type { NdArray } from "../lib/data/ndarray.ts";
import { responseText } from "./_workloads.ts";
import { best, currentRss, emit, interleave, median, note, peakRss, resetPeakRss } from "./_table.ts";

const MB = 1e6;
const argv = Deno.args;
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};

// deno-lint-ignore no-explicit-any
type Any = any;

function floorDecode(text: string): Uint8Array[] {
  const d = JSON.parse(text) as Any;
  const out: Uint8Array[] = [];
  for (const p of d.products.numpy_data_product_list) {
    for (const u of p.data_unit_list) {
      if (typeof u.binarys === "string") out.push(Uint8Array.fromBase64(u.binarys));
    }
  }
  return out;
}

function oursDecode(text: string): DataCollection {
  return DataCollection.fromResponseJson(parseJson(text), { instrument: "isgri", product: "bench" });
}

/** The client's path: the answer's bytes through the streaming decoder. */
function streamDecode(bytes: Uint8Array): DataCollection {
  return DataCollection.fromResponseJson(parseJsonBytes(bytes), { instrument: "isgri", product: "bench" });
}

/** Child: the first streaming decode of the process (cold: module loaded, JIT and page faults not), then warm. */
async function coldChild(file: string, rounds: number): Promise<void> {
  const bytes = await Deno.readFile(file);
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  gc?.();
  let t0 = performance.now();
  streamDecode(bytes);
  const cold = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    gc?.();
    t0 = performance.now();
    streamDecode(bytes);
    warm.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ cold, warm }));
}

function check(dc: DataCollection): string {
  const p = dc._p_list[0] as NumpyDataProduct;
  const u = p.data_unit[p.data_unit.length - 1];
  const d = u.data as NdArray | { kind: "table"; length: number };
  return d.kind === "table" ? `rows=${d.length}` : `shape=${(d as NdArray).shape.join("x")}`;
}

/** Child: timing, both paths interleaved. */
async function timeChild(file: string, rounds: number): Promise<void> {
  const text = await Deno.readTextFile(file);
  // warm both paths once (JIT), then measure
  floorDecode(text);
  const c = check(oursDecode(text));
  const [ours, floor] = await interleave(rounds, () => oursDecode(text), () => floorDecode(text));
  console.log(JSON.stringify({ ours, floor, check: c }));
}

/** Child: peak RSS growth of the decode step alone, the response text already in memory. */
async function decodeMemChild(file: string, mode: string): Promise<void> {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  const bytes = mode === "bytes" ? await Deno.readFile(file) : undefined;
  const text = bytes ? "" : await Deno.readTextFile(file);
  gc?.();
  const before = currentRss();
  const reset = resetPeakRss();
  const opts = { instrument: "isgri", product: "bench" };
  const held = mode === "floor"
    ? floorDecode(text)
    : mode === "object"
    ? oursDecode(text)
    : DataCollection.fromResponseJson(bytes ?? text, opts);
  const peak = peakRss();
  console.log(JSON.stringify({ before, peak, reset, ok: held !== undefined }));
}

/** Child: memory of the client path (or of the floor) against the local server. */
async function memChild(url: string, mode: string): Promise<void> {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  // load the code paths first (module init, JIT of small paths) with a tiny request
  gc?.();
  const live = () => Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
  const liveBefore = live();
  const before = currentRss();
  const reset = resetPeakRss();
  let held: unknown;
  if (mode === "floor") {
    const res = await fetch(`${url}/run_analysis`);
    held = floorDecode(await res.text());
  } else {
    const disp = new DispatcherAPI({ url, token: null, parameter_check: false });
    held = await disp.getProduct({ instrument: "isgri", product: "bench", silent: true } as Any);
  }
  const peak = peakRss();
  // array buffers are released by a task after the collection: collect, let it run, collect again
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
  const retained = live() - liveBefore;
  console.log(JSON.stringify({ before, peak, retained, reset, ok: held !== undefined }));
}

async function main(): Promise<void> {
  const rounds = Number(opt("rounds", "5"));
  const only = opt("only", "");
  const self = new URL(import.meta.url).pathname;
  for (const which of ["mosaic", "lightcurve"] as const) {
    if (only && only !== which) continue;
    let text: string | null = responseText(which);
    const size = text.length;
    const file = await Deno.makeTempFile({ suffix: ".json" });
    await Deno.writeTextFile(file, text);
    const bytes = new TextEncoder().encode(text);
    text = null;
    const label = which === "mosaic"
      ? `mosaic 4×2000² f32 + 500-row catalog (${(size / MB).toFixed(0)} MB)`
      : `light curve 1e6 rows (${(size / MB).toFixed(0)} MB)`;
    try {
      const t = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--v8-flags=--expose-gc,--max-old-space-size=4096",
          self,
          "--time-child",
          file,
          String(rounds),
        ],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!t.success) throw new Error("timing child failed");
      const tr = JSON.parse(new TextDecoder().decode(t.stdout).trim().split("\n").pop()!);
      emit({
        figure: `decode → DataCollection: ${label}, best of ${rounds}`,
        value: best(tr.ours),
        unit: "ms",
        floor: best(tr.floor),
        floorWhat: "JSON.parse+fromBase64",
        target: "≤ 1.5× floor",
        limit: 1.5,
        on: "ratio",
      });
      // cold (first decode in a fresh process) and warm, of the streaming path the client takes
      const colds: number[] = [];
      let warm: number[] = [];
      for (let k = 0; k < 3; k++) {
        const c = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--v8-flags=--expose-gc,--max-old-space-size=4096",
            self,
            "--cold-child",
            file,
            String(rounds),
          ],
          stdout: "piped",
          stderr: "inherit",
        }).output();
        if (!c.success) throw new Error("cold child failed");
        const cr = JSON.parse(new TextDecoder().decode(c.stdout).trim().split("\n").pop()!);
        colds.push(cr.cold);
        warm = warm.concat(cr.warm);
      }
      emit({
        figure: `streamed decode → DataCollection: ${label}, cold (first in a fresh process), median of 3`,
        value: median(colds),
        unit: "ms",
        floor: best(warm),
        floorWhat: `the same, warm, best of ${warm.length}`,
        target: "reported",
        limit: 1e12,
        on: "value",
      });
      note(
        `${which}: decode median ${median(tr.ours).toFixed(0)} ms vs floor ${
          median(tr.floor).toFixed(0)
        } ms ` +
          `(${(median(tr.ours) / median(tr.floor)).toFixed(2)}×); decoded ${tr.check}`,
      );
      // memory of the decode step: text already in memory, fresh process per path
      const dmem: Record<string, Any> = {};
      for (const mode of ["text", "bytes", "object", "floor"]) {
        const m = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--v8-flags=--expose-gc,--max-old-space-size=4096",
            self,
            "--decode-mem-child",
            file,
            mode,
          ],
          stdout: "piped",
          stderr: "inherit",
        }).output();
        if (!m.success) throw new Error(`decode memory child ${mode} failed`);
        dmem[mode] = JSON.parse(new TextDecoder().decode(m.stdout).trim().split("\n").pop()!);
      }
      const grow = (m: Any) => (m.peak - m.before) / size;
      for (const [mode, what] of [["text", "its text"], ["bytes", "its bytes"]]) {
        emit({
          figure: `fromResponseJson(${what}): peak RSS growth / response size, ${which}`,
          value: grow(dmem[mode]),
          unit: "×",
          floor: grow(dmem.floor),
          floorWhat: "JSON.parse+fromBase64",
          target: "≤ 1.5× response",
          limit: 1.5,
          on: "value",
        });
      }
      note(
        `${which}: fromResponseJson of the parsed object (JSON.parse of the text first): peak RSS growth ${
          grow(dmem.object).toFixed(2)
        }× the response`,
      );
      // memory end to end: serve the bytes over real HTTP from this process, the client in a fresh one
      const ac = new AbortController();
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
        () => new Response(bytes, { headers: { "content-type": "application/json" } }),
      );
      const url = `http://127.0.0.1:${server.addr.port}`;
      const mem: Record<string, Any> = {};
      try {
        for (const mode of ["ours", "floor"]) {
          const m = await new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              "--v8-flags=--expose-gc,--max-old-space-size=4096",
              self,
              "--mem-child",
              url,
              mode,
            ],
            stdout: "piped",
            stderr: "inherit",
          }).output();
          if (!m.success) throw new Error(`memory child ${mode} failed`);
          mem[mode] = JSON.parse(new TextDecoder().decode(m.stdout).trim().split("\n").pop()!);
        }
      } finally {
        ac.abort();
        await server.finished;
      }
      if (!mem.ours.reset) note("could not reset VmHWM: peak RSS includes start-up");
      const growth = (r: Any) => (r.peak - r.before) / size;
      const kept = (r: Any) => r.retained / size;
      emit({
        figure: `getProduct over HTTP, end to end: peak RSS growth / response size, ${which}`,
        value: growth(mem.ours),
        unit: "×",
        floor: growth(mem.floor),
        floorWhat: "fetch+res.text+JSON.parse+fromBase64",
        target: "≤ 1.5× response",
        limit: 1.5,
        on: "value",
      });
      note(
        `${which}: live memory (V8 heap + array buffers) still held after getProduct and a full GC: ${
          kept(mem.ours).toFixed(2)
        }× the response ` +
          `(the decoded arrays alone: ~${(which === "mosaic" ? 64e6 / size : 20e6 / size).toFixed(2)}×)`,
      );
    } finally {
      await Deno.remove(file);
    }
  }
}

if (argv[0] === "--cold-child") await coldChild(argv[1], Number(argv[2]));
else if (argv[0] === "--decode-mem-child") await decodeMemChild(argv[1], argv[2]);
else if (argv[0] === "--time-child") await timeChild(argv[1], Number(argv[2]));
else if (argv[0] === "--mem-child") await memChild(argv[1], argv[2]);
else await main();
