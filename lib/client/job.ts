/**
 * A dispatcher job: the `/run_analysis` state loop as an object that can be
 * polled, waited for with a deadline and an `AbortSignal`, saved with
 * `toJSON()` and resumed later (after a kernel restart or a lost connection)
 * with `DispatcherAPI.resume(saved)`.
 *
 * The loop follows the dispatcher protocol: the first request carries
 * `query_status=new`; every later one echoes the last `query_status`
 * received, the `job_id` and the `session_id` of the first answer; `ready`
 * means "ask again" (that request fetches the products); only `done` and
 * `failed` end it. Polls start quickly and back off to a few seconds.
 *
 * The shapes around a job (answer, saved job, options, host) are in
 * `job_types.ts` and re-exported here; the answer boundary is `_answer.ts`.
 *
 * Size: one class, the `/run_analysis` state loop (poll, wait, result, save)
 * whose steps share the job's state, kept whole.
 *
 * @module
 */
import { DecodeBudget, type DecodeLimits } from "../codecs/budget.ts";
import { pythonStr } from "../data/python.ts";
import {
  DecodeError,
  DispatcherError,
  errorMessage,
  JobFailedError,
  OdaError,
  REDACTED_TOKEN,
} from "../errors.ts";
import { getLogger } from "../log.ts";
import {
  getProgressReporterFactory,
  type JobEvent,
  type JobEventType,
  type JobListener,
  type ProgressReporter,
} from "./events.ts";
import { abortableSleep, abortError, parseResponseJson } from "./http.ts";
import { deadlineAfter } from "../codecs/budget.ts";
import { encodeParams } from "./params.ts";
import {
  analysisParametersMismatches,
  formatParameterMismatches,
  mayBeUnitConversion,
} from "./consistency.ts";
import type { DataCollection } from "../products/collection.ts";
import { parseJsonChunks } from "../codecs/response_stream.ts";
import { type ApiCodeOptions, renderApiCode } from "../codecs/api_code.ts";
import {
  CLIENT_NAME,
  type JobHost,
  ODA_API_PROTOCOL_VERSION,
  type RunAnalysisResponse,
  type SavedJob,
  type WaitOptions,
} from "./job_types.ts";
import { sanitizeAnswer, withJobId } from "./_answer.ts";
export {
  CLIENT_NAME,
  type ExitStatus,
  type JobHost,
  ODA_API_PROTOCOL_VERSION,
  type RunAnalysisResponse,
  type SavedJob,
  type WaitOptions,
} from "./job_types.ts";

const log = getLogger("oda_api.api");
const progressLog = getLogger("oda_api.api.dispatcherapi.progress");
/** Answers smaller than this raise no `download` events. */
const DOWNLOAD_EVENTS_FROM = 1 << 20;

/**
 * Terminal query statuses.
 *
 * @example
 * ```ts
 * import { TERMINAL_STATUSES } from "./job.ts";
 * TERMINAL_STATUSES.includes("ready"); // false: poll again
 * ```
 */
export const TERMINAL_STATUSES: readonly string[] = Object.freeze(["done", "failed"]);

function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}`;
}

/**
 * One dispatcher job. Get one from `DispatcherAPI.submit()` or
 * `DispatcherAPI.resume()`.
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
 * const job = await disp.submit({ instrument: "isgri", product: "isgri_image", T1: "2019-01-01", T2: "2019-01-31" });
 * localStorage.setItem("job", JSON.stringify(job)); // survives a kernel restart
 * const data = await job.result({ timeout: 600_000 });
 * ```
 */
export class Job {
  /** Instrument name. */
  readonly instrument: string;
  /** Product name (wire `product_type`). */
  readonly product: string;
  /** Query kind (wire `query_type`: `Real`, `Dummy`). */
  readonly productType: string;
  /** Dispatcher job id (known after the first answer). */
  jobId: string | undefined;
  /** Session id used for polling (the first answer's). */
  sessionId: string;
  /** Last `query_status` (`new` before submission). */
  status: string;
  /** Last answer. */
  response: RunAnalysisResponse | undefined;
  /** Who the job belongs to: the token's `sub`, or `public` (used as part of cache keys). */
  readonly user: string;
  /** HTTP requests made for this job (including retries). */
  requests = 0;
  /** When the job was submitted or resumed (epoch ms). */
  readonly startedAt: number;
  /** When the job was first submitted (epoch ms). */
  readonly submittedAt: number;
  readonly #host: JobHost;
  readonly #params: Record<string, unknown>;
  readonly #token: string | undefined;
  readonly #listeners = new Set<JobListener>();
  #reportsSeen = 0;
  readonly #scwRequested: number | undefined;
  readonly #linesShown = new Set<string>();
  #firstAnswer = true;
  #consistencyChecked = false;
  #delay: number;
  #lastStatusChange: number;

  /** Use `DispatcherAPI.submit()` / `DispatcherAPI.resume()` instead. */
  constructor(
    host: JobHost,
    init: {
      instrument: string;
      product: string;
      productType: string;
      params: Record<string, unknown>;
      token?: string | undefined;
      user?: string | undefined;
      sessionId: string;
      jobId?: string | undefined;
      status?: string | undefined;
      submittedAt?: number;
    },
  ) {
    this.#host = host;
    this.instrument = init.instrument;
    this.product = init.product;
    this.productType = init.productType;
    this.#params = { ...init.params };
    delete this.#params.token;
    this.#scwRequested = scwCount(this.#params.scw_list);
    this.#token = init.token;
    this.user = init.user ?? (init.token ? "unknown-user" : "public");
    this.sessionId = init.sessionId;
    this.jobId = init.jobId;
    this.status = init.status ?? "new";
    this.startedAt = Date.now();
    this.submittedAt = init.submittedAt ?? this.startedAt;
    this.#firstAnswer = init.jobId === undefined;
    this.#delay = host.polling.min;
    this.#lastStatusChange = this.startedAt;
  }

  /** Whether the job reached `done` or `failed`. */
  get isComplete(): boolean {
    return TERMINAL_STATUSES.includes(this.status);
  }

  /**
   * Subscribe to this job's events; returns an unsubscribe function.
   *
   * @example
   * ```ts
   * import type { Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * const off = job.onEvent((e) => console.log(e.type, e.status));
   * off();
   * ```
   */
  onEvent(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The parameters of the next `/run_analysis` request, in oda_api's order,
   * as they go on the wire, except the token (shown as `<redacted token>`).
   *
   * @example
   * ```ts
   * import type { Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * console.log(new URLSearchParams(job.requestPairs()).toString());
   * ```
   */
  requestPairs(): [string, string][] {
    return this.#pairs(false);
  }

  #pairs(withToken: boolean): [string, string][] {
    const user: Record<string, unknown> = { ...this.#params };
    if (this.#token !== undefined) user.token = withToken ? this.#token : REDACTED_TOKEN;
    const pairs = encodeParams(user);
    pairs.push(
      ["instrument", this.instrument],
      ["product_type", this.product],
      ["query_type", this.productType],
      ["off_line", "False"],
      ["query_status", this.status],
      ["session_id", this.sessionId],
      ["api", "True"],
      ["oda_api_version", ODA_API_PROTOCOL_VERSION],
    );
    if (this.jobId !== undefined && this.status !== "new") pairs.push(["job_id", this.jobId]);
    pairs.push(["client-name", CLIENT_NAME]);
    return pairs;
  }

  #emit(type: JobEventType, extra: Partial<JobEvent> = {}, reporter?: ProgressReporter): void {
    const event: JobEvent = {
      type,
      instrument: this.instrument,
      product: this.product,
      jobId: this.jobId,
      sessionId: this.sessionId,
      status: this.status,
      elapsedMs: Date.now() - this.startedAt,
      requests: this.requests,
      ...(this.#scwRequested ? { scwRequested: this.#scwRequested } : {}),
      ...extra,
    };
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (e) {
        log.warning(`job event listener failed: ${errorMessage(e)}`);
      }
    }
    if (reporter) {
      try {
        reporter.onEvent(event);
      } catch (e) {
        log.warning(`progress reporter failed: ${errorMessage(e)}`);
      }
    }
  }

  /**
   * One `/run_analysis` round trip: sends the current state, records the
   * answer, returns the new `query_status`. Does not throw for a `failed`
   * job (see {@linkcode Job.wait}); throws typed errors for HTTP failures.
   *
   * Bounds, as in {@linkcode Job.wait}: `signal` cancels (`ABORTED`), `timeout` is a total deadline in ms for
   * this round trip (retries and the answer's body included; `TIMEOUT`). `deadline` (an absolute `Date.now()`
   * time) serves to share one deadline among several calls; with both, the earlier holds. With neither, the
   * client's `timeout` applies (none by default).
   *
   * @example
   * ```ts
   * import type { Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * console.log(await job.poll({ timeout: 30_000 })); // "submitted", "progress", "ready", "done" or "failed"
   * ```
   */
  async poll(
    options: {
      /** Cancels the round trip (and its retries) at once. */
      signal?: AbortSignal | undefined;
      /** Total deadline of the round trip in ms (default: the client's `timeout`, if any). */
      timeout?: number | undefined;
      /** Absolute deadline (`Date.now()` ms), e.g. one shared by several calls. */
      deadline?: number | undefined;
    } = {},
  ): Promise<string> {
    const timeout = options.timeout ??
      (options.deadline === undefined ? this.#host.defaultTimeout : undefined);
    if (
      options.deadline !== undefined && !(typeof options.deadline === "number" && !isNaN(options.deadline))
    ) {
      throw new OdaError("INVALID_ARGUMENT", "deadline must be a Date.now() timestamp in milliseconds");
    }
    const deadline = Math.min(deadlineAfter(timeout) ?? Infinity, options.deadline ?? Infinity);
    return await this.#poll(options.signal, Number.isFinite(deadline) ? deadline : undefined, undefined);
  }

  /**
   * `download` events while a big answer streams in: from 1 MB on, at most every 100 ms and at the end of
   * the body (when its size is declared).
   */
  #downloadProgress(total: number | undefined, reporter?: ProgressReporter): (received: number) => void {
    let last = 0;
    return (received) => {
      const now = Date.now();
      const final = total !== undefined && received >= total;
      if (received < DOWNLOAD_EVENTS_FROM || (now - last < 100 && !final)) return;
      last = now;
      this.#emit("download", { bytesReceived: received, bytesTotal: total }, reporter);
    };
  }

  async #poll(
    signal: AbortSignal | undefined,
    deadline: number | undefined,
    reporter?: ProgressReporter,
    decodeBudget?: DecodeLimits | DecodeBudget | undefined,
  ) {
    // a job resumed as `failed` has no answer yet: ask once (the dispatcher answers with the failure)
    if (this.isComplete && this.response) return this.status;
    this.#host.assertTokenTransport(this.#token);
    if (this.status === "new") {
      log.info(
        `- waiting for remote response (since ${
          formatTime(Date.now())
        }), please wait for ${this.#host.url}/run_analysis`,
      );
    }
    // A retried `query_status=new` request never creates a second job: the
    // dispatcher derives the job id deterministically from the parameters
    // (and the token's user), so a repeated submission lands on the same job
    // directory. Polls are idempotent reads. Hence every request of the loop
    // may be retried safely after a transient failure.
    const res = await this.#host.http.request({
      path: "run_analysis",
      params: this.#pairs(true),
      followRedirects: false,
      signal,
      deadline,
      onRetry: (info) => {
        this.requests++;
        this.#emit("retry", { message: info.reason }, reporter);
      },
      decodeBody: this.#host.streamAnswers
        ? (chunks, { total, redact }) =>
          parseJsonChunks(chunks, {
            onBytes: this.#downloadProgress(total, reporter),
            mapString: redact,
            total,
            signal,
            deadline,
            decodeBudget,
          })
        : undefined,
    }).catch((e) => {
      this.requests++;
      throw e instanceof OdaError && this.jobId !== undefined && e.jobId === undefined
        ? withJobId(e, this.jobId)
        : e;
    });
    this.requests++;
    const json = res.json !== undefined ? res.json : parseResponseJson(res.text, res.url);
    if (
      json === null || typeof json !== "object" ||
      typeof (json as RunAnalysisResponse).query_status !== "string"
    ) {
      throw new DecodeError(
        "MALFORMED_RESPONSE",
        `The dispatcher's answer has no query_status: ${
          res.json !== undefined
            ? `keys ${
              JSON.stringify(json && typeof json === "object" ? Object.keys(json).slice(0, 20) : json)
            }`
            : JSON.stringify(res.text.slice(0, 200))
        }`,
        { url: res.url, jobId: this.jobId },
      );
    }
    const r = json as RunAnalysisResponse;
    sanitizeAnswer(r, res.url, this.jobId);
    this.response = r;
    const previous = this.status;
    const newStatus = r.query_status;
    const answerJobId = typeof r.job_monitor?.job_id === "string" ? r.job_monitor.job_id : undefined;
    if (this.#firstAnswer) {
      this.#firstAnswer = false;
      if (typeof r.session_id === "string" && r.session_id) this.sessionId = r.session_id;
      if (answerJobId) this.jobId = answerJobId;
      log.info(`session: ${this.sessionId} job: ${this.jobId}`);
      log.info(`... query status ${previous === "new" ? "prepared" : previous} => ${newStatus}`);
      if (this.jobId) log.info(`... assigned job id: ${this.jobId}`);
      this.status = newStatus;
      this.#emit("submitted", {}, reporter);
      if (previous !== newStatus) this.#emit("status", { previousStatus: previous }, reporter);
    } else {
      if (answerJobId && this.jobId && answerJobId !== this.jobId) {
        throw new DispatcherError(
          "JOB_MISMATCH",
          `the dispatcher answered for job ${answerJobId} while polling job ${this.jobId}`,
          { jobId: this.jobId, url: res.url },
        );
      }
      if (answerJobId && !this.jobId) this.jobId = answerJobId;
      this.status = newStatus;
      if (previous !== newStatus) {
        log.info(`... query status ${previous} => ${newStatus}`);
        this.#lastStatusChange = Date.now();
        this.#emit("status", { previousStatus: previous }, reporter);
      } else {
        log.debug(`... query status ${previous} => ${newStatus}`);
      }
    }
    const reports = jobReports(r.job_monitor);
    // a lone full_report_dict is the backend's last callback: it may change at every poll
    if (reports !== undefined && !Array.isArray(r.job_monitor?.full_report_dict_list)) this.#reportsSeen = 0;
    if (reports !== undefined && reports.length > this.#reportsSeen) {
      for (const rep of reports.slice(this.#reportsSeen)) {
        const parts = ["node", "node_id", "stage", "substage", "message", "scwid", "scw"].map((k) => rep?.[k])
          .filter((v) => typeof v === "string" && v);
        if (!parts.length) continue;
        // a report the server repeats (the same node saying the same thing) is shown once
        const line = `... ${parts.join(" : ")}`;
        if (this.#linesShown.has(line)) continue;
        if (this.#linesShown.size < 10_000) this.#linesShown.add(line);
        progressLog.info(line);
      }
      this.#reportsSeen = reports.length;
    }
    progressLog.debug(
      `the job is working remotely, please wait status=${this.status} job_id=${
        (this.jobId ?? "").slice(0, 8)
      } in ${this.requests} messages since ${((Date.now() - this.startedAt) / 1000).toFixed(0)} seconds`,
    );
    this.#emit("progress", reports !== undefined ? { reports } : {}, reporter);
    const exit = r.exit_status ?? {};
    if (newStatus === "done") {
      log.info("query COMPLETED SUCCESSFULLY (state done)");
      log.info("query complete: terminating");
      if (typeof exit.comment === "string" && exit.comment.trim()) log.warning(exit.comment);
      if (typeof exit.warning === "string" && exit.warning.trim()) log.warning(exit.warning);
      await this.#checkReturnedParameters(r, signal, deadline);
      if (res.json === undefined) this.#host.onDone?.(this, r, res.text);
    } else if (newStatus === "failed") {
      log.info("query COMPLETED with FAILURE (state failed)");
      log.info("query failed!");
      // pythonStr: a hostile answer's objects are written as Python would, never through their own toString
      log.info(`Remote server message:-> ${pythonStr(exit.message ?? "")}`);
      log.info(`Remote server error_message-> ${pythonStr(exit.error_message ?? "")}`);
      log.info(`Remote server debug_message-> ${pythonStr(exit.debug_message ?? "")}`);
    }
    return this.status;
  }

  /**
   * Warn (once per job) when the answer's `products.analysis_parameters`
   * contradict what was requested: the job id the dispatcher derives collides
   * for anagram values, so this may be another query's result.
   */
  async #checkReturnedParameters(
    r: RunAnalysisResponse,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<void> {
    const returned = r.products?.analysis_parameters;
    if (this.#consistencyChecked || returned === null || typeof returned !== "object") return;
    this.#consistencyChecked = true;
    let mismatches = analysisParametersMismatches(this.#params, returned as Record<string, unknown>);
    if (mismatches.some(mayBeUnitConversion) && this.#host.parameterUnits) {
      // numbers are compared in each parameter's units (the server converts to its default unit)
      let units: Record<string, string | null> | undefined;
      try {
        units = await this.#host.parameterUnits(this.instrument, this.product, this.#token, signal, deadline);
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        log.debug(`parameter units not available: ${errorMessage(e)}`);
      }
      if (units) {
        mismatches = analysisParametersMismatches(this.#params, returned as Record<string, unknown>, {
          units,
        });
      }
    }
    if (mismatches.length === 0) return;
    log.warning(
      `${formatParameterMismatches(mismatches)} (job ${
        this.jobId ?? "(no id)"
      }): these products may belong to ` +
        "another query (the dispatcher's job id collides for some parameter values); check them before use",
      { event: "parameters_mismatch", jobId: this.jobId, parameters: mismatches.map((m) => m.key) },
    );
  }

  /** The error describing a failed job (from the last answer). */
  failure(): JobFailedError {
    const exit = this.response?.exit_status ?? {};
    const msg = [exit.message, exit.error_message].find((m) => typeof m === "string" && m.trim()) ??
      "the dispatcher reported the job as failed";
    return new JobFailedError(`job ${this.jobId ?? "(no id)"} failed: ${msg}`, {
      jobId: this.jobId,
      details: {
        message: exit.message,
        error_message: exit.error_message,
        debug_message: exit.debug_message,
        job_status: this.response?.job_status,
        no_results: exit.message === "failed: get dataserver products ",
      },
    });
  }

  #nextDelay(): number {
    // Adaptive polling: quick first polls (a short job is noticed within a
    // fraction of a second), growing geometrically to `max` (at most 12
    // requests/minute for a long job with the default 5 s). After `ready`
    // the products are fetched at once.
    if (this.status === "ready") return 0;
    const d = this.#delay;
    this.#delay = Math.min(this.#host.polling.max, this.#delay * this.#host.polling.factor);
    return d;
  }

  /**
   * Poll until `done` or `failed`; resolves with the final answer, throws
   * {@linkcode JobFailedError} for a failed job, `OdaError` `TIMEOUT` at the
   * deadline and `ABORTED` when the signal fires (the job keeps running on
   * the server and can be resumed). Answers are decoded as they stream in:
   * each data unit's `binarys` is then a `DecodedBinarys` holding the array
   * (not the base64 text; a client with `cache: true` keeps the text).
   *
   * @example
   * ```ts
   * import type { Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * const answer = await job.wait({ timeout: 60_000, signal: AbortSignal.timeout(120_000) });
   * console.log(answer.query_status); // "done"
   * ```
   */
  async wait(options: WaitOptions = {}): Promise<RunAnalysisResponse> {
    const timeout = options.timeout ?? this.#host.defaultTimeout;
    const deadline = deadlineAfter(timeout);
    const factory = getProgressReporterFactory();
    let reporter: ProgressReporter | undefined;
    if (!options.silent && factory) {
      try {
        reporter = factory({ instrument: this.instrument, product: this.product, silent: false });
      } catch (e) {
        log.warning(`progress reporter could not be created: ${errorMessage(e)}`);
      }
    }
    try {
      // a job that already has an answer waits before asking again; a fresh
      // or resumed one asks at once
      let sleepFirst = this.response !== undefined;
      for (;;) {
        if (options.signal?.aborted) throw abortError(options.signal);
        if (this.status === "done" && this.response) {
          const comment = this.response.exit_status?.comment;
          this.#emit(
            "done",
            typeof comment === "string" && comment.trim() ? { message: comment } : {},
            reporter,
          );
          return this.response;
        }
        if (this.status === "failed" && this.response) throw this.failure();
        if (sleepFirst) {
          const d = this.#nextDelay();
          if (deadline !== undefined && Date.now() + d >= deadline) {
            await abortableSleep(Math.max(0, deadline - Date.now()), options.signal);
            throw this.#deadlineError(timeout!);
          }
          if (d > 0) await abortableSleep(d, options.signal);
        }
        sleepFirst = true;
        if (deadline !== undefined && Date.now() >= deadline) throw this.#deadlineError(timeout!);
        try {
          await this.#poll(options.signal, deadline, reporter, options.decodeBudget);
        } catch (e) {
          if (
            e instanceof OdaError && e.code === "TIMEOUT" && deadline !== undefined &&
            Date.now() >= deadline - 5
          ) {
            throw this.#deadlineError(timeout!, e);
          }
          throw e;
        }
      }
    } catch (e) {
      this.#emit(
        "failed",
        { message: errorMessage(e), ...(e instanceof OdaError ? { code: e.code } : {}) },
        reporter,
      );
      throw e;
    } finally {
      try {
        reporter?.close();
      } catch (e) {
        log.warning(`progress reporter close failed: ${errorMessage(e)}`);
      }
    }
  }

  #deadlineError(timeout: number, cause?: unknown): OdaError {
    return new OdaError(
      "TIMEOUT",
      `job ${this.jobId ?? "(not yet submitted)"} did not finish within ${
        (timeout / 1000).toFixed(1)
      } s (last status: ${this.status}); it keeps running on the server: resume it with DispatcherAPI.resume(job.toJSON())`,
      { jobId: this.jobId, cause, details: { status: this.status } },
    );
  }

  /**
   * Wait for the job (if needed) and decode its products into a
   * `DataCollection`.
   *
   * @example
   * ```ts
   * import type { DataCollection, Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * const data = await job.result({ timeout: 600_000 }) as DataCollection;
   * data.show();
   * ```
   */
  async result(options: WaitOptions = {}): Promise<DataCollection> {
    const timeout = options.timeout ?? this.#host.defaultTimeout;
    const deadline = deadlineAfter(timeout);
    // one budget for the answer streamed in and its products; one total deadline for the wait and the
    // (synchronous) decode
    const decodeBudget = sharedDecodeBudget(options.decodeBudget);
    const answer = await this.wait({ ...options, decodeBudget });
    return this.#host.decode(answer, this, { signal: options.signal, deadline, decodeBudget });
  }

  /**
   * This query as API code (see {@linkcode renderApiCode}): Python for oda_api, byte for byte what the
   * dispatcher writes for these parameters, or `{ language: "typescript" }`. The URL defaults to this job's
   * dispatcher; the token is left out unless `token: "include"`. `parseApiCode(job.apiCode()).params` gives
   * the query back.
   *
   * @example
   * ```ts
   * import type { Job } from "@oda-hub/oda-api";
   * declare const job: Job;
   * console.log(job.apiCode()); // from oda_api.api import DispatcherAPI ...
   * ```
   */
  apiCode(options: ApiCodeOptions = {}): string {
    const params: Record<string, unknown> = {
      ...this.#params,
      instrument: this.instrument,
      product: this.product,
      product_type: this.productType,
    };
    if (this.#token !== undefined && options.token === "include") params.token = this.#token;
    return renderApiCode(params, { ...options, url: options.url ?? this.#host.url });
  }

  /** A JSON-safe record of the job (no token) for {@linkcode DispatcherAPI.resume}. */
  toJSON(): SavedJob {
    return {
      kind: "oda-job",
      version: 1,
      url: this.#host.url,
      instrument: this.instrument,
      product: this.product,
      product_type: this.productType,
      params: JSON.parse(JSON.stringify(this.#params)),
      ...(this.jobId !== undefined ? { job_id: this.jobId } : {}),
      session_id: this.sessionId,
      status: this.status,
      submitted_at: this.submittedAt,
    };
  }

  /** Deno inspect: the job without its token. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Job { instrument: ${JSON.stringify(this.instrument)}, product: ${
      JSON.stringify(this.product)
    }, jobId: ${JSON.stringify(this.jobId)}, sessionId: ${JSON.stringify(this.sessionId)}, status: ${
      JSON.stringify(this.status)
    } }`;
  }
}

/** Given limits as one `DecodeBudget` (shared by a streamed answer and its products); undefined stays so. */
export function sharedDecodeBudget(b: DecodeLimits | DecodeBudget | undefined): DecodeBudget | undefined {
  return b === undefined || b instanceof DecodeBudget ? b : new DecodeBudget({ decodeBudget: b });
}

/** The answer's progress reports: `full_report_dict_list`, else `[full_report_dict]`, else undefined. */
function jobReports(monitor: unknown): ReadonlyArray<Record<string, unknown>> | undefined {
  if (monitor === null || typeof monitor !== "object") return undefined;
  const m = monitor as Record<string, unknown>;
  if (Array.isArray(m.full_report_dict_list)) return m.full_report_dict_list as Record<string, unknown>[];
  const last = m.full_report_dict;
  return last !== null && typeof last === "object" && !Array.isArray(last)
    ? [last as Record<string, unknown>]
    : undefined;
}

/** Distinct science windows a `scw_list` parameter names (a list, or comma-separated text); undefined if none. */
function scwCount(v: unknown): number | undefined {
  const items = Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(",") : [];
  const n = new Set(items.map((x) => x.trim()).filter(Boolean)).size;
  return n > 0 ? n : undefined;
}
