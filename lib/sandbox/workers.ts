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
 * Cancelling a job (its sandbox closes, or its record is replaced or dropped) stops its simulation at once:
 * a queued task leaves the queue, a running one has its worker terminated and replaced. Terminating is
 * chosen over cooperative checks inside the simulation loops because it needs nothing from the simulation
 * code (every loop, encoder and `postMessage` copy stops alike, including code added later) and a worker
 * starts again in about 0.1 s, well below what a simulation big enough for a worker costs.
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

/** A task's signal was aborted: the task was dropped from the queue, or its worker was terminated. */
export class SimulationCancelled extends Error {
  override name = "SimulationCancelled";
}

interface Pending {
  id: number;
  task: SimulationTask;
  resolve(out: ProductOutput): void;
  reject(e: Error): void;
  onReport(r: ProgressReport): void;
  signal: AbortSignal;
  onAbort(): void;
  /** The worker running it (undefined while queued). */
  worker?: PoolWorker | undefined;
}

interface PoolWorker {
  w: Worker;
  /** The task it runs (one at a time). */
  current?: Pending | undefined;
}

/**
 * A pool of simulation workers (started lazily, at most `size`), each running one task at a time; tasks wait
 * in a FIFO queue. Cancelling a queued task removes it; cancelling a running one terminates its worker (the
 * computation stops at once, whatever loop it is in) and starts a fresh one for the queue, so the next task
 * never waits for a cancelled computation.
 */
class SimulationPool {
  readonly #size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: Pending[] = [];
  #next = 1;
  #closed = false;

  constructor(size: number) {
    this.#size = size;
  }

  #spawn(): PoolWorker {
    const w = new Worker(new URL("./instruments/worker_main.ts", import.meta.url), { type: "module" });
    const pw: PoolWorker = { w };
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data;
      const p = pw.current;
      if (!p || p.id !== m.id) return;
      if (m.type === "report") {
        p.onReport(m.report);
        return;
      }
      pw.current = undefined;
      this.#settle(p);
      if (m.type === "done") p.resolve(reviveOutput(m.output) as ProductOutput);
      else {
        const err = new Error(m.message);
        err.name = m.name;
        p.reject(err);
      }
      this.#dispatch();
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      // a worker that died takes its task with it; a new one is spawned on demand
      const p = pw.current;
      this.#retire(pw);
      if (p) {
        this.#settle(p);
        p.reject(new WorkerUnavailable(`simulation worker failed: ${e.message}`));
      }
      this.#dispatch();
    };
    this.#workers.push(pw);
    return pw;
  }

  /** Stop a worker and forget it. */
  #retire(pw: PoolWorker): void {
    pw.current = undefined;
    const i = this.#workers.indexOf(pw);
    if (i >= 0) this.#workers.splice(i, 1);
    pw.w.terminate();
  }

  #settle(p: Pending): void {
    p.signal.removeEventListener("abort", p.onAbort);
    p.worker = undefined;
  }

  /** Give queued tasks to idle workers, spawning up to the pool size. */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let pw = this.#workers.find((x) => !x.current);
      if (!pw) {
        if (this.#workers.length >= this.#size) return;
        try {
          pw = this.#spawn();
        } catch (e) {
          const err = new WorkerUnavailable(e instanceof Error ? e.message : String(e));
          for (const p of this.#queue.splice(0)) {
            this.#settle(p);
            p.reject(err);
          }
          return;
        }
      }
      const p = this.#queue.shift()!;
      pw.current = p;
      p.worker = pw;
      pw.w.postMessage({ id: p.id, task: p.task });
    }
  }

  /** Cancel a task: out of the queue, or its worker terminated (and replaced when tasks wait). */
  #cancel(p: Pending): void {
    const pw = p.worker;
    const running = pw !== undefined && pw.current === p;
    if (running) this.#retire(pw);
    else {
      const i = this.#queue.indexOf(p);
      if (i < 0) return; // already settled
      this.#queue.splice(i, 1);
    }
    this.#settle(p);
    p.reject(new SimulationCancelled("the simulation was cancelled"));
    this.#dispatch();
    if (running && !this.#closed && this.#workers.length < this.#size) {
      // replace the terminated worker now, so that the next task does not wait for a module load
      try {
        this.#spawn();
      } catch {
        // spawned (or reported unavailable) on demand
      }
    }
  }

  /** Tasks running and waiting. */
  get load(): { running: number; queued: number; workers: number } {
    return {
      running: this.#workers.filter((x) => x.current).length,
      queued: this.#queue.length,
      workers: this.#workers.length,
    };
  }

  /** Run a task; progress reports arrive through `onReport`; aborting `signal` cancels it. */
  run(
    task: SimulationTask,
    onReport: (r: ProgressReport) => void,
    signal: AbortSignal,
  ): Promise<ProductOutput> {
    return new Promise<ProductOutput>((resolve, reject) => {
      if (signal.aborted) return reject(new SimulationCancelled("the simulation was cancelled"));
      const p: Pending = {
        id: this.#next++,
        task,
        resolve,
        reject,
        onReport,
        signal,
        onAbort: () => this.#cancel(p),
      };
      signal.addEventListener("abort", p.onAbort, { once: true });
      this.#queue.push(p);
      this.#dispatch();
    });
  }

  /** Stop every worker (running and queued tasks are rejected). */
  terminate(): void {
    this.#closed = true;
    const pending = [...this.#workers.map((x) => x.current), ...this.#queue.splice(0)];
    for (const pw of this.#workers) pw.w.terminate();
    this.#workers.length = 0;
    for (const p of pending) {
      if (!p) continue;
      this.#settle(p);
      p.reject(new Error("the sandbox was closed"));
    }
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
  /** Simulations running and queued in the shared pool, and its workers. */
  load(): { running: number; queued: number; workers: number };
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
    load: () => shared?.load ?? { running: 0, queued: 0, workers: 0 },
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
