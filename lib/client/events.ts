/**
 * Job events: what the client tells observers (notebook progress display,
 * terminal progress bar, your own code) while a dispatcher job runs.
 *
 * The display layer only depends on these types; it registers a default
 * reporter factory with {@linkcode setProgressReporterFactory} so that
 * `getProduct` shows live progress without the client importing the display.
 *
 * @module
 */

/**
 * Kinds of job events, in the order they usually happen.
 *
 * @example
 * ```ts
 * import type { JobEventType } from "@oda-hub/oda-api";
 * const finished = (t: JobEventType): boolean => t === "done" || t === "failed";
 * ```
 */
export type JobEventType =
  | "submitted" // first answer received; jobId known
  | "status" // query_status changed (e.g. submitted → progress → ready)
  | "progress" // a poll returned (maybe with new per-science-window reports)
  | "retry" // a transient failure; the client will retry
  | "download" // a big answer is streaming in (bytesReceived of bytesTotal)
  | "done" // job finished successfully; products decoded
  | "failed"; // job failed, or the wait ended with an error

/**
 * One event of a job's life.
 *
 * @example
 * ```ts
 * import type { JobEvent } from "@oda-hub/oda-api";
 * const e: JobEvent = {
 *   type: "status",
 *   instrument: "spi_acs",
 *   product: "spi_acs_lc",
 *   status: "ready",
 *   elapsedMs: 1200,
 *   requests: 3,
 * };
 * console.log(`${e.product}: ${e.status} after ${e.requests} requests`);
 * ```
 */
export interface JobEvent {
  /** What happened. */
  type: JobEventType;
  /** Instrument name. */
  instrument: string;
  /** Product name. */
  product: string;
  /** Dispatcher job id (undefined before the first answer). */
  jobId?: string | undefined;
  /** Session id used for the job. */
  sessionId?: string;
  /** Current `query_status` as the client sees it. */
  status: string;
  /** Previous status, for `status` events. */
  previousStatus?: string;
  /** Milliseconds since the job was submitted (or resumed). */
  elapsedMs: number;
  /** Number of HTTP requests made for this job so far. */
  requests: number;
  /**
   * Progress reports of the last answer: `job_monitor.full_report_dict_list` (OSA backends: one per
   * node and science window), or `[job_monitor.full_report_dict]` when the answer has only that (the last
   * callback of another backend, e.g. a notebook's `ProgressReporter` stage progress); absent when none.
   */
  reports?: ReadonlyArray<Record<string, unknown>>;
  /** Science windows the request names (its `scw_list`), when it names them: the job's total. */
  scwRequested?: number;
  /** Human-readable detail (retry reason, failure message, server comment). */
  message?: string | undefined;
  /** For `download` events: bytes of the answer received so far. */
  bytesReceived?: number;
  /** For `download` events: the answer's declared size (Content-Length), when known. */
  bytesTotal?: number | undefined;
  /** For `failed` events: the `OdaError` code that ended the wait (`JOB_FAILED`, `TIMEOUT`, `ABORTED`...). */
  code?: string;
}

/**
 * A function receiving job events.
 *
 * @example
 * ```ts
 * import type { JobListener } from "@oda-hub/oda-api";
 * const log: JobListener = (e) => console.log(e.type, e.jobId ?? "(no id yet)", e.message ?? "");
 * ```
 */
export type JobListener = (event: JobEvent) => void;

/**
 * Something that shows progress for one job (a notebook display, a terminal bar).
 *
 * @example
 * ```ts
 * import type { ProgressReporter } from "@oda-hub/oda-api/display";
 * const reporter: ProgressReporter = {
 *   onEvent: (e) => console.log(`[${e.elapsedMs} ms] ${e.status}`),
 *   close: () => console.log("wait ended"),
 * };
 * ```
 */
export interface ProgressReporter {
  /** Called for every event of the job. */
  onEvent(event: JobEvent): void;
  /** Called once when the wait ends (after the final `done`/`failed` event, or on abort). */
  close(): void;
}

/**
 * Creates a reporter for a job, or `undefined` when nothing should be shown.
 *
 * @example
 * ```ts
 * import { type ProgressReporterFactory, setProgressReporterFactory } from "@oda-hub/oda-api/display";
 * const quiet: ProgressReporterFactory = (job) =>
 *   job.silent ? undefined : { onEvent: (e) => console.log(job.product, e.status), close() {} };
 * setProgressReporterFactory(quiet);
 * ```
 */
export type ProgressReporterFactory = (job: {
  instrument: string;
  product: string;
  silent: boolean;
}) => ProgressReporter | undefined;

let factory: ProgressReporterFactory | undefined;

/**
 * Install the factory used by `getProduct` to show progress (the display
 * module installs a notebook/terminal one); pass `undefined` to show nothing.
 *
 * @example
 * ```ts
 * import { setProgressReporterFactory } from "@oda-hub/oda-api/display";
 * setProgressReporterFactory(() => ({ onEvent: (e) => console.log(e.type, e.status), close() {} }));
 * ```
 */
export function setProgressReporterFactory(f: ProgressReporterFactory | undefined): void {
  factory = f;
}

/**
 * The factory currently installed, if any.
 *
 * @example
 * ```ts
 * import { getProgressReporterFactory } from "@oda-hub/oda-api/display";
 * console.log(getProgressReporterFactory() === undefined);
 * ```
 */
export function getProgressReporterFactory(): ProgressReporterFactory | undefined {
  return factory;
}
