/**
 * Job store and job lifecycle of the sandbox dispatcher (dispatcher-protocol.md
 * §5): deterministic ids, time-driven async progress, callback-driven jobs,
 * bounded memory (result LRU + record TTL/cap; evicted results are recomputed
 * from the seeded instrument, so handles stay resumable).
 *
 * @module
 */
import type { ProductOutput, ProductSpec, ProgressReport, SandboxInstrument } from "./instrument.ts";
import { md5Hex } from "../data/md5.ts";
import { makeHash } from "../data/python.ts";
import { pyDumps } from "./pyjson.ts";
import { type PoolLease, SimulationCancelled, WorkerUnavailable } from "./workers.ts";
import { builtinInstrumentOf, heavySimulation } from "./instruments/index.ts";

/** How a Real query of a product progresses on the sandbox. */
export type BackendMode =
  /** Submitted → progress (reports revealed over time) → done after the scaled duration. */
  | "timed"
  /** Stays submitted until `/call_back` reports (upstream empty-async). */
  | "callback"
  /** Status decided from the parameters at submission (upstream empty-semi-async). */
  | "semi"
  /** Runs immediately; the response is final (sync instruments). */
  | "sync";

/** Server-side extras of a product (not part of the instrument contract). */
export interface ServerProductSpec extends ProductSpec {
  /** Overrides the mode derived from `async`. */
  backend?: BackendMode;
  /** For `semi`: the backend status for these parameters. */
  semiStatus?(params: Record<string, unknown>): "submitted" | "done" | "failed";
  /** Adds `prod_process_message: ""` to done products (upstream dummy plugin). */
  prodProcessMessage?: boolean;
  /**
   * Run on the parameters as upstream's parameter objects hold them (`.value`: as given, in input units and
   * time format) instead of the normalised values (upstream's `EchoProductQuery`).
   */
  runOnGiven?: boolean;
  /** Message of a failing Real query (default "Error when getting query products"). */
  failMessage?: string;
  /**
   * Partial products for `return_progress=True` requests (nb2workflow-style backends): the job stays
   * submitted and no job monitor is written, so later polls see it `unaccessible` (upstream behaviour).
   */
  returnProgress?(params: Record<string, unknown>): ProductOutput;
}

/**
 * A backend failure with the exact `exit_status` texts upstream reports for it (thrown by a product's
 * `run()`); other errors get the generic "Error when getting query products" with their message.
 */
export class ExitFailure extends Error {
  /** `exit_status.message`. */
  readonly exitMessage: string;
  /** `exit_status.debug_message`. */
  readonly debugMessage: string;
  /** Build one: `message` (exit), `errorMessage` (the error's own message), `debugMessage`. */
  constructor(message: string, errorMessage: string, debugMessage = "") {
    super(errorMessage);
    this.exitMessage = message;
    this.debugMessage = debugMessage;
  }
}

/** A job record. */
export interface Job {
  /** 16 hex digits. */
  id: string;
  /**
   * Store key: `id` plus a full digest of the hashed parameters. Upstream `make_hash` hashes strings by their
   * sorted characters, so different requests can share a job id (anagram values); upstream then re-runs the
   * query with each request's own parameters. The sandbox keeps such requests apart under one wire id.
   */
  key: string;
  /** Session of the request that created it. */
  sessionId: string;
  /** Instrument. */
  instrument: SandboxInstrument;
  /** Product. */
  product: ServerProductSpec;
  /** `Real` or `Dummy`. */
  queryType: string;
  /** analysis_parameters of the first request (used to authorise polls). */
  analysis: Record<string, unknown>;
  /** Values given to `run()`. */
  values: Record<string, unknown>;
  /** Token `sub`, if any. */
  user?: string | undefined;
  /** Token used at submission (for the token-expiry fault). */
  token?: string | undefined;
  /** Mode. */
  mode: BackendMode;
  /** Creation time, ms. */
  created: number;
  /** Simulated duration, ms. */
  durationMs: number;
  /** Seed for the instrument. */
  seed: number;
  /** Attempt number (re-submissions after failure). */
  attempt: number;
  /** Reports from `/call_back` (full_report_dict_list). */
  callbackReports: Record<string, unknown>[];
  /** Estimated bytes of the record (parameters and `/call_back` reports), charged by the store. */
  bytes?: number;
  /** Estimated bytes of `callbackReports`. */
  callbackBytes?: number;
  /** Status from `/call_back` (`progress`, `done`, `failed`, ...). */
  callbackStatus?: string;
  /** Reports from the instrument, revealed over time. */
  runReports: ProgressReport[];
  /** Output once computed (may be evicted). */
  result?: ProductOutput | undefined;
  /** Error of a failed run. */
  error?: Error | undefined;
  /** Whether the run has settled. */
  settled: boolean;
  /** Run in flight. */
  running?: Promise<void> | undefined;
  /** Cancels the run in flight (aborted when the record is replaced or dropped while running). */
  cancel?: AbortController | undefined;
  /** Forced failure (fault injection). */
  forcedFailure?: string;
  /** Time after which the submission token is reported expired (fault injection), ms epoch. */
  tokenExpiresAt?: number;
  /** Last access, ms. */
  lastAccess: number;
  /** Set when the job was polled to completion (`done` sent). */
  delivered?: boolean;
  /** Submitted with `return_progress=True`: no job monitor exists. */
  noMonitor?: boolean;
  /** Callback-driven job whose backend (the sandbox) reports `done` by itself after `durationMs`. */
  selfCallback?: boolean;
}

/** Visible status of a job. */
export type JobStatus = "submitted" | "progress" | "done" | "failed";

/** Keys removed before hashing (`dispatcher_query.py:711-762`). */
const HASH_SKIP = new Set([
  "session_id",
  "job_id",
  "token",
  "dry_run",
  "oda_api_version",
  "api",
  "off_line",
  "query_status",
  "async_dispatcher",
]);

/**
 * The dispatcher's job id: `make_hash` of the normalised parameters without
 * the volatile keys and `None` values, plus the token's `sub`.
 */
export function computeJobId(analysis: Record<string, unknown>, user?: string): string {
  const d: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(analysis)) {
    if (HASH_SKIP.has(k) || v === null || v === undefined) continue;
    d[k] = v;
  }
  if (user !== undefined) d.sub = user;
  return makeHash(d);
}

/** Full digest of the parameters that make a job (the store key suffix). */
export function paramsFingerprint(analysis: Record<string, unknown>, user?: string): string {
  const d: Record<string, unknown> = {};
  for (const k of Object.keys(analysis).sort()) {
    const v = analysis[k];
    if (HASH_SKIP.has(k) || v === null || v === undefined) continue;
    d[k] = v;
  }
  if (user !== undefined) d.sub = user;
  return md5Hex(pyDumps(d));
}

/** 32-bit seed from a string. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("\u0000")) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Most progress reports of an instrument run kept per job (the newest win): a run over thousands of science
 * windows reports once per window.
 */
export const MAX_RUN_REPORTS = 1000;

/**
 * Estimated memory of a product output: string lengths (one byte per character, as the base64 and JSON text
 * of encoded products are), typed array sizes, 8 bytes per other value, object key or list.
 *
 * @example
 * ```ts
 * import { outputBytes } from "./jobs.ts";
 * outputBytes({ text_product_list: ["abcd"] }); // 8 + 17 (key) + 8 + 4
 * ```
 */
export function outputBytes(v: unknown): number {
  let n = 0;
  const stack: unknown[] = [v];
  const seen = new Set<object>(); // a shared object is counted once
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === "string") n += x.length;
    else if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) n += x.byteLength;
    else if (x !== null && typeof x === "object") {
      if (seen.has(x)) continue;
      seen.add(x);
      n += 8;
      if (Array.isArray(x)) { for (const y of x) stack.push(y); }
      else {
        for (const [k, y] of Object.entries(x)) {
          n += k.length;
          stack.push(y);
        }
      }
    } else n += 8;
  }
  return n;
}

/** Options of {@linkcode JobStore}. */
export interface JobStoreOptions {
  /** Records idle for longer than this are dropped (ms). Default 24 h. */
  ttlMs?: number;
  /** Maximum job records. Default 100 000. */
  maxJobs?: number | undefined;
  /** Maximum estimated bytes of all job records (parameters and `/call_back` reports). Default 256 MiB. */
  maxJobBytes?: number | undefined;
  /** Maximum finished results kept in memory. Default 200. */
  maxResults?: number | undefined;
  /** Maximum bytes of finished results kept in memory (estimated). Default 256 MiB. */
  maxResultBytes?: number | undefined;
  /** numpy module path inside pickled arrays (default `numpy.core`). */
  numpyModule?: "numpy.core" | "numpy._core" | undefined;
  /** Simulation workers: built-in products run there instead of on the event loop. */
  pool?: PoolLease | undefined;
}

/** In-memory jobs with bounded memory. */
export class JobStore {
  readonly #jobs = new Map<string, Job>(); // by key, oldest first
  readonly #byId = new Map<string, string[]>(); // wire id -> keys
  readonly #results = new Map<string, number>(); // LRU order of jobs holding a result, with its bytes
  #resultBytes = 0;
  readonly #ttl: number;
  readonly #maxJobs: number;
  readonly #maxJobBytes: number;
  #jobBytes = 0;
  readonly #maxResults: number;
  readonly #maxResultBytes: number;
  #lastSweep = 0;
  readonly #numpyModule: "numpy.core" | "numpy._core";
  readonly #pool?: PoolLease | undefined;
  /** Aborted when the sandbox closes. */
  readonly abort: AbortController = new AbortController();

  /** Create a store. */
  constructor(opts: JobStoreOptions = {}) {
    this.#ttl = opts.ttlMs ?? 24 * 3600_000;
    this.#maxJobs = opts.maxJobs ?? 100_000;
    this.#maxJobBytes = opts.maxJobBytes ?? 256 * 1024 * 1024;
    this.#maxResults = opts.maxResults ?? 200;
    this.#maxResultBytes = opts.maxResultBytes ?? 256 * 1024 * 1024;
    this.#numpyModule = opts.numpyModule ?? "numpy.core";
    this.#pool = opts.pool;
    this.abort.signal.addEventListener("abort", () => {
      for (const j of this.#jobs.values()) j.cancel?.abort();
    }, { once: true });
  }

  /** Number of job records. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Estimated bytes of the job records held (parameters and `/call_back` reports). */
  get jobBytes(): number {
    return this.#jobBytes;
  }

  /** Number of results held in memory. */
  get resultCount(): number {
    return this.#results.size;
  }

  /** Estimated bytes of the results held in memory. */
  get resultBytes(): number {
    return this.#resultBytes;
  }

  /**
   * Look a job up by wire id (touches it): the variant whose parameters have `fingerprint` if given and
   * present, else (unless `exact`) the first variant.
   */
  get(id: string, fingerprint?: string, exact = false): Job | undefined {
    let j = fingerprint !== undefined ? this.#jobs.get(`${id}:${fingerprint}`) : undefined;
    if (!j && !exact) {
      const keys = this.#byId.get(id);
      if (keys && keys.length > 0) j = this.#jobs.get(keys[0]);
    }
    if (j) j.lastAccess = Date.now();
    return j;
  }

  /** All variants sharing a wire id. */
  variants(id: string): Job[] {
    return (this.#byId.get(id) ?? []).map((k) => this.#jobs.get(k)!).filter((j) => j !== undefined);
  }

  /** All jobs (for `/inspect-state`). */
  all(): IterableIterator<Job> {
    return this.#jobs.values();
  }

  /** Insert or replace a job (a replaced record's run in flight is cancelled). */
  put(job: Job): void {
    const old = this.#jobs.get(job.key);
    if (!old) {
      const keys = this.#byId.get(job.id) ?? [];
      keys.push(job.key);
      this.#byId.set(job.id, keys);
    } else if (old !== job) old.cancel?.abort();
    if (old) this.#jobBytes -= old.bytes ?? 0;
    if (old !== job) {
      job.bytes = outputBytes(job.analysis) + outputBytes(job.values) + (job.callbackBytes ?? 0);
    }
    this.#jobBytes += job.bytes ?? 0;
    this.#jobs.delete(job.key);
    this.#jobs.set(job.key, job);
    this.sweep();
  }

  /**
   * Remember that `job` holds a result; evict the least recently used ones beyond the count and byte caps
   * (the newest result is always kept, even alone over the byte cap, so that it can be delivered).
   */
  holdResult(job: Job): void {
    this.#forgetResult(job.key);
    const bytes = outputBytes(job.result);
    this.#results.set(job.key, bytes);
    this.#resultBytes += bytes;
    while (
      this.#results.size > 1 &&
      (this.#results.size > this.#maxResults || this.#resultBytes > this.#maxResultBytes)
    ) {
      const oldest = this.#results.keys().next().value as string;
      this.#forgetResult(oldest);
      const j = this.#jobs.get(oldest);
      if (j && j.settled && !j.error) j.result = undefined;
    }
  }

  #forgetResult(key: string): void {
    const b = this.#results.get(key);
    if (b === undefined) return;
    this.#results.delete(key);
    this.#resultBytes -= b;
  }

  /** Change the byte estimate of a job's record by `delta` (its `/call_back` reports grew or shrank). */
  charge(job: Job, delta: number): void {
    job.bytes = (job.bytes ?? 0) + delta;
    if (this.#jobs.get(job.key) === job) {
      this.#jobBytes += delta;
      if (delta > 0 && this.#jobBytes > this.#maxJobBytes) this.sweep(true);
    }
  }

  /** Drop expired records and enforce the record caps, count and bytes (cheap, rate limited). */
  sweep(force = false): void {
    const now = Date.now();
    const over = () => this.#jobs.size > this.#maxJobs || this.#jobBytes > this.#maxJobBytes;
    if (!force && now - this.#lastSweep < 1000 && !over()) return;
    this.#lastSweep = now;
    for (const [id, j] of this.#jobs) {
      if (now - j.lastAccess > this.#ttl && (j.settled || !j.running)) this.#drop(id);
    }
    if (over()) {
      // oldest first, settled records before running ones; the newest record always stays
      for (const [id, j] of this.#jobs) {
        if (!over() || this.#jobs.size <= 1) break;
        if (j.settled) this.#drop(id);
      }
      // still over a cap: only running jobs are left; the oldest are cancelled and dropped
      for (const id of this.#jobs.keys()) {
        if (!over() || this.#jobs.size <= 1) break;
        this.#drop(id);
      }
    }
  }

  #drop(key: string): void {
    const j = this.#jobs.get(key);
    j?.cancel?.abort();
    if (j) this.#jobBytes -= j.bytes ?? 0;
    this.#jobs.delete(key);
    this.#forgetResult(key);
    if (j) {
      const keys = (this.#byId.get(j.id) ?? []).filter((k) => k !== key);
      if (keys.length > 0) this.#byId.set(j.id, keys);
      else this.#byId.delete(j.id);
    }
  }

  /** Start (or restart) the instrument run of a job in the background. */
  start(job: Job, dummy: boolean): Promise<void> {
    job.settled = false;
    job.error = undefined;
    job.result = undefined;
    job.runReports = [];
    job.cancel?.abort(); // a previous run of this record
    // one controller per run, aborted on close by the store's listener (no AbortSignal.any: in Deno a
    // signal made by it stays referenced by its long-lived source, one leak per job)
    const cancel = new AbortController();
    job.cancel = cancel;
    if (this.abort.signal.aborted) cancel.abort();
    const signal = cancel.signal;
    const ctx = {
      seed: job.seed,
      jobId: job.id,
      user: job.user,
      report: (r: ProgressReport) => {
        job.runReports.push(r);
        if (job.runReports.length > MAX_RUN_REPORTS) job.runReports.shift();
      },
      signal,
      numpyModule: this.#numpyModule,
    };
    const fn = dummy && job.product.dummy ? job.product.dummy : job.product.run;
    // big built-in simulations go to a worker; small ones (and Dummy queries) stay in-process
    const builtin = this.#pool && !dummy && heavySimulation(job.instrument.name, job.values)
      ? builtinInstrumentOf(job.product)
      : undefined;
    const p = (async () => {
      try {
        // let the submission reply go out before a CPU-heavy simulation starts
        await new Promise((r) => setTimeout(r, 0));
        if (signal.aborted) throw new SimulationCancelled("the simulation was cancelled");
        if (job.forcedFailure) throw new Error(job.forcedFailure);
        const inProcess = async () => await fn.call(job.product, structuredClone(job.values), ctx);
        const task = {
          instrument: builtin ?? "",
          product: job.product.name,
          dummy,
          params: job.values,
          seed: job.seed,
          jobId: job.id,
          user: job.user,
          numpyModule: this.#numpyModule,
        };
        const out = builtin && this.#pool
          ? await this.#pool.run(task, ctx.report, signal).catch((e) => {
            // no worker to be had: compute here rather than fail the job
            if (!(e instanceof WorkerUnavailable)) throw e;
            job.runReports = [];
            return inProcess();
          })
          : await inProcess();
        // an in-process run cannot be interrupted; a cancelled one's result is not kept
        if (signal.aborted) throw new SimulationCancelled("the simulation was cancelled");
        job.result = out ?? {};
        this.holdResult(job);
      } catch (e) {
        if (job.cancel === cancel) job.error = e instanceof Error ? e : new Error(String(e));
      } finally {
        if (job.cancel === cancel) {
          // (a run superseded by a newer start() of the same record leaves the record to that run)
          job.settled = true;
          job.running = undefined;
          job.cancel = undefined;
        }
      }
    })();
    job.running = p;
    return p;
  }

  /** Make sure a finished job has its result in memory (recomputes an evicted one). */
  async ensureResult(job: Job): Promise<void> {
    if (job.running) await job.running;
    if (job.result || job.error) return;
    await this.start(job, job.queryType === "Dummy");
  }

  /** Status of a job now. */
  status(job: Job, now = Date.now()): JobStatus {
    switch (job.mode) {
      case "callback": {
        const cs = job.callbackStatus;
        if (cs === "done") return job.error || job.forcedFailure ? "failed" : "done";
        if (cs === "failed") return "failed";
        if (cs !== undefined) return "progress";
        // upstream: submitted until the backend calls back; with an explicit `jobDuration` the sandbox plays
        // the backend and reports `done` itself at the end of the duration
        if (job.selfCallback && now - job.created >= job.durationMs && job.settled) {
          return job.error ? "failed" : "done";
        }
        return "submitted";
      }
      case "semi": {
        const s = job.product.semiStatus?.(job.values) ?? "done";
        return s;
      }
      case "sync":
        if (!job.settled) return "submitted";
        return job.error ? "failed" : "done";
      case "timed": {
        if (job.callbackStatus === "failed") return "failed";
        const t = now - job.created;
        if (t >= job.durationMs && job.settled) return job.error ? "failed" : "done";
        if (t < job.durationMs * 0.1 && job.callbackStatus === undefined) return "submitted";
        return "progress";
      }
    }
  }

  /** Progress reports visible now (callback reports, then instrument reports revealed over time). */
  reports(job: Job, now = Date.now()): Record<string, unknown>[] {
    const out = [...job.callbackReports];
    if (job.mode !== "timed") return out;
    const n = job.runReports.length;
    if (n === 0) return out;
    const t = now - job.created;
    const done = job.settled && t >= job.durationMs;
    const visible = done
      ? n
      : Math.max(0, Math.min(n, Math.floor(((t / job.durationMs) - 0.1) / 0.9 * (n + 1))));
    // a callback report is the callback's whole request; upstream's callback URL carries the job's token
    // (dispatcher-app job_manager.py get_call_back_url), so the report echoes it as upstream's does
    const token = job.token ? { token: job.token } : {};
    for (let i = 0; i < visible; i++) {
      out.push({
        job_id: job.id,
        session_id: job.sessionId,
        instrument_name: job.instrument.name,
        ...token,
        action: "progress",
        time_original_request: String(Math.floor(job.created / 1000)),
        ...job.runReports[i],
        progressing: "",
      });
    }
    return out;
  }
}
