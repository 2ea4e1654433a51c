/**
 * Simulations off the event loop: the built-in instruments' products run in
 * a small pool of Deno workers, so that while a 50-pointing mosaic is being
 * computed the sandbox still answers polls and other users' requests
 * (`bench/sandbox_latency_bench.ts` measures it).
 *
 * Only products of {@linkcode builtinInstruments} run in workers (the worker
 * rebuilds them by name); products of instruments passed in
 * `SandboxOptions.instruments` are plain functions and run in-process. One
 * pool is shared by every sandbox of the process and stops when the last
 * sandbox using it closes.
 *
 * @module
 */
import type { ProductOutput, ProgressReport } from "./instrument.ts";
import { PyFloat } from "./pyjson.ts";

/** What a worker is asked to run. */
export interface SimulationTask {
  /** Instrument name (a built-in one). */
  instrument: string;
  /** Product name. */
  product: string;
  /** Run `dummy()` instead of `run()`. */
  dummy: boolean;
  /** Normalised parameters. */
  params: Record<string, unknown>;
  /** Job seed. */
  seed: number;
  /** Job id. */
  jobId: string;
  /** Token user. */
  user?: string | undefined;
  /** numpy module path inside pickles. */
  numpyModule?: "numpy.core" | "numpy._core" | undefined;
}

/** Messages a worker sends back. */
export type WorkerReply =
  | { id: number; type: "report"; report: ProgressReport }
  | { id: number; type: "done"; output: unknown }
  | { id: number; type: "error"; name: string; message: string };

const PYFLOAT_TAG = "\u0000pyfloat";

/**
 * Make a product output safe for `postMessage` (structured clone drops classes): `PyFloat`s become tagged
 * objects that {@linkcode reviveOutput} turns back.
 */
export function packOutput(v: unknown): unknown {
  if (v instanceof PyFloat) return { [PYFLOAT_TAG]: v.value };
  if (Array.isArray(v)) return v.map(packOutput);
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = packOutput(x);
    return o;
  }
  return v;
}

/** Inverse of {@linkcode packOutput}. */
export function reviveOutput(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reviveOutput);
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
    const o = v as Record<string, unknown>;
    if (PYFLOAT_TAG in o && typeof o[PYFLOAT_TAG] === "number") return new PyFloat(o[PYFLOAT_TAG] as number);
    for (const k of Object.keys(o)) o[k] = reviveOutput(o[k]);
    return o;
  }
  return v;
}

/** No worker could be started (no `Worker` in this runtime, or its module failed to load). */
export class WorkerUnavailable extends Error {}

interface Pending {
  resolve(out: ProductOutput): void;
  reject(e: Error): void;
  onReport(r: ProgressReport): void;
  worker: PoolWorker;
}

interface PoolWorker {
  w: Worker;
  busy: number;
}

/** A pool of simulation workers (started lazily, at most `size`). */
class SimulationPool {
  readonly #size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  constructor(size: number) {
    this.#size = size;
  }

  #spawn(): PoolWorker {
    const w = new Worker(new URL("./instruments/worker_main.ts", import.meta.url), { type: "module" });
    const pw: PoolWorker = { w, busy: 0 };
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data;
      const p = this.#pending.get(m.id);
      if (!p) return;
      if (m.type === "report") {
        p.onReport(m.report);
        return;
      }
      this.#pending.delete(m.id);
      pw.busy--;
      if (m.type === "done") p.resolve(reviveOutput(m.output) as ProductOutput);
      else {
        const err = new Error(m.message);
        err.name = m.name;
        p.reject(err);
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      // a worker that died takes its jobs with it; a new one is spawned on demand
      const i = this.#workers.indexOf(pw);
      if (i >= 0) this.#workers.splice(i, 1);
      for (const [id, p] of this.#pending) {
        if (p.worker !== pw) continue;
        this.#pending.delete(id);
        p.reject(new WorkerUnavailable(`simulation worker failed: ${e.message}`));
      }
      w.terminate();
    };
    this.#workers.push(pw);
    return pw;
  }

  /** Run a task; progress reports arrive through `onReport`. */
  run(
    task: SimulationTask,
    onReport: (r: ProgressReport) => void,
    signal: AbortSignal,
  ): Promise<ProductOutput> {
    let pw = this.#workers.find((x) => x.busy === 0);
    if (!pw) {
      try {
        pw = this.#workers.length < this.#size
          ? this.#spawn()
          : this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      } catch (e) {
        return Promise.reject(new WorkerUnavailable(e instanceof Error ? e.message : String(e)));
      }
    }
    const id = this.#next++;
    const worker = pw;
    worker.busy++;
    return new Promise<ProductOutput>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        worker.busy--;
        reject(new Error("the sandbox was closed"));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (o) => {
          signal.removeEventListener("abort", onAbort);
          resolve(o);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
        onReport,
        worker,
      });
      worker.w.postMessage({ id, task });
    });
  }

  /** Stop every worker (pending tasks are rejected). */
  terminate(): void {
    for (const pw of this.#workers) pw.w.terminate();
    this.#workers.length = 0;
    for (const p of this.#pending.values()) p.reject(new Error("the sandbox was closed"));
    this.#pending.clear();
  }
}

let shared: SimulationPool | undefined;
let users = 0;

/** Pool size: one worker per spare core, 1 to 4. */
function poolSize(): number {
  const n = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 2 : 2;
  return Math.max(1, Math.min(4, n - 1));
}

/** A handle on the shared pool; `release()` once (the pool stops with its last user). */
export interface PoolLease {
  /** Run a task in a worker. */
  run(
    task: SimulationTask,
    onReport: (r: ProgressReport) => void,
    signal: AbortSignal,
  ): Promise<ProductOutput>;
  /** Give the lease back. */
  release(): void;
}

/** Take a lease on the shared simulation pool. */
export function leasePool(): PoolLease {
  shared ??= new SimulationPool(poolSize());
  users++;
  let released = false;
  return {
    run: (task, onReport, signal) => {
      if (released) return Promise.reject(new Error("the sandbox was closed"));
      shared ??= new SimulationPool(poolSize());
      return shared.run(task, onReport, signal);
    },
    release: () => {
      if (released) return;
      released = true;
      users--;
      if (users === 0 && shared) {
        shared.terminate();
        shared = undefined;
      }
    },
  };
}
