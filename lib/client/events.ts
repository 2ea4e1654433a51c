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

/** Kinds of job events, in the order they usually happen. */
export type JobEventType =
  | "submitted" // first answer received; jobId known
  | "status" // query_status changed (e.g. submitted → progress → ready)
  | "progress" // a poll returned (maybe with new per-science-window reports)
  | "retry" // a transient failure; the client will retry
  | "done" // job finished successfully; products decoded
  | "failed"; // job failed, or the wait ended with an error

/** One event of a job's life. */
export interface JobEvent {
  /** What happened. */
  type: JobEventType;
  /** Instrument name. */
  instrument: string;
  /** Product name. */
  product: string;
  /** Dispatcher job id (undefined before the first answer). */
  jobId?: string;
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
  /** `job_monitor.full_report_dict_list` of the last answer (per-science-window reports), if any. */
  reports?: ReadonlyArray<Record<string, unknown>>;
  /** Human-readable detail (retry reason, failure message, server comment). */
  message?: string;
}

/** A function receiving job events. */
export type JobListener = (event: JobEvent) => void;

/** Something that shows progress for one job (a notebook display, a terminal bar). */
export interface ProgressReporter {
  /** Called for every event of the job. */
  onEvent(event: JobEvent): void;
  /** Called once when the wait ends (after the final `done`/`failed` event, or on abort). */
  close(): void;
}

/** Creates a reporter for a job, or `undefined` when nothing should be shown. */
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
 * import { setProgressReporterFactory } from "@oda-hub/oda-api";
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
 * import { getProgressReporterFactory } from "@oda-hub/oda-api";
 * console.log(getProgressReporterFactory() === undefined);
 * ```
 */
export function getProgressReporterFactory(): ProgressReporterFactory | undefined {
  return factory;
}
