/**
 * The shapes around a {@linkcode Job}: the dispatcher's `/run_analysis` answer,
 * a saved job, the options of waiting, what a job needs from its client
 * (`JobHost`), and the protocol version and client name sent with queries.
 *
 * @module
 */
import type { DecodeBudget, DecodeLimits, DecodeOptions } from "../codecs/budget.ts";
import type { HttpClient } from "./http.ts";
import type { DataCollection } from "../products/collection.ts";
import type { Job } from "./job.ts";

/**
 * The protocol version oda_api declares (`oda_api_version`); the server only compares it for a warning.
 *
 * @example
 * ```ts
 * import { ODA_API_PROTOCOL_VERSION } from "./job_types.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ODA_API_PROTOCOL_VERSION, "1.3.5");
 * ```
 */
export const ODA_API_PROTOCOL_VERSION = "1.3.5";
/**
 * Client name sent as `client-name` (logged by the dispatcher).
 *
 * @example
 * ```ts
 * import { CLIENT_NAME } from "./job_types.ts";
 * console.log(CLIENT_NAME);
 * ```
 */
export const CLIENT_NAME = "oda-api-deno/0.1.0";

/**
 * `exit_status` of a `/run_analysis` answer.
 *
 * @example
 * ```ts
 * import type { ExitStatus } from "@oda-hub/oda-api";
 * const e: ExitStatus = { status: 0, comment: "Please note that argument foo is not used" };
 * ```
 */
export interface ExitStatus {
  /** 0 ok, 1 failed. */
  status?: number | undefined;
  /** Job status as seen by the query. */
  job_status?: string;
  /** Main message. */
  message?: string | undefined;
  /** Error message (often the repr of a server exception). */
  error_message?: string;
  /** Debug message. */
  debug_message?: string;
  /** Server comment, e.g. "Please note that argument X is not used". */
  comment?: string;
  /** Server warning. */
  warning?: string;
  /** Other keys. */
  [key: string]: unknown;
}

/**
 * A `/run_analysis` JSON answer (API mode).
 *
 * @example
 * ```ts
 * import type { Job } from "@oda-hub/oda-api";
 * declare const job: Job;
 * const answer = await job.wait();
 * console.log(answer.query_status, answer.job_monitor?.job_id);
 * ```
 */
export interface RunAnalysisResponse {
  /** New client state: submitted, progress, ready, done, failed (or echoed unknown/unaccessible). */
  query_status: string;
  /** Session id of the request. */
  session_id?: string;
  /** Job status. */
  job_status?: string;
  /** Request outcome. */
  exit_status?: ExitStatus;
  /** Job monitor, with `job_id` and progress reports. */
  job_monitor?: {
    job_id?: string;
    session_id?: string;
    status?: string | undefined;
    /** Every callback report (OSA backends keep one per node and message). */
    full_report_dict_list?: Record<string, unknown>[];
    /** The backend's last callback report (its whole request: `action`, `message`, `stage`, `progress`...). */
    full_report_dict?: Record<string, unknown>;
    [key: string]: unknown;
  };
  /** Products (encoded) and `analysis_parameters`. */
  products?: Record<string, unknown>;
  /** Other keys. */
  [key: string]: unknown;
}

/**
 * A job saved with {@linkcode Job.toJSON} (contains no token).
 *
 * @example
 * ```ts
 * import { DispatcherAPI, type SavedJob } from "@oda-hub/oda-api";
 * declare const job: import("@oda-hub/oda-api").Job;
 * const saved: SavedJob = job.toJSON();
 * const again = DispatcherAPI.resume(saved);
 * ```
 */
export interface SavedJob {
  /** Marker of the format. */
  kind: "oda-job";
  /** Format version. */
  version: 1;
  /** Dispatcher URL. */
  url: string;
  /** Instrument. */
  instrument: string;
  /** Product name (wire `product_type`). */
  product: string;
  /** Query kind (wire `query_type`), e.g. `Real`. */
  product_type: string;
  /** Science parameters as given (token removed). */
  params: Record<string, unknown>;
  /** Dispatcher job id, once known. */
  job_id?: string;
  /** Session id to poll with. */
  session_id: string;
  /** Last `query_status`. */
  status: string;
  /** When the job was submitted (epoch ms). */
  submitted_at: number;
}

/**
 * Options of {@linkcode Job.wait} / {@linkcode Job.result}.
 *
 * @example
 * ```ts
 * import type { Job, WaitOptions } from "@oda-hub/oda-api";
 * declare const job: Job;
 * const opts: WaitOptions = { timeout: 60_000, signal: AbortSignal.timeout(120_000) };
 * await job.wait(opts);
 * ```
 */
export interface WaitOptions {
  /** Cancels the wait promptly (the job keeps running on the server). */
  signal?: AbortSignal | undefined;
  /** Total deadline in milliseconds for this wait. */
  timeout?: number | undefined;
  /** Do not show progress through the installed reporter. */
  silent?: boolean | undefined;
  /**
   * Limits of the products' decode (`DecodeLimits`), or one `DecodeBudget` for the answer streamed in and
   * its products; default 4 Mi + 16 elements per answer byte, at most 1 Gi. Applies to answers downloaded
   * during this call (an answer a previous call already decoded is not decoded again).
   */
  decodeBudget?: DecodeLimits | DecodeBudget | undefined;
}

/**
 * What a job needs from its {@linkcode DispatcherAPI} (internal contract).
 *
 * @example
 * ```ts
 * import type { JobHost } from "./job_types.ts";
 * // implemented by DispatcherAPI; only needed to build a Job by hand in tests
 * declare const host: JobHost;
 * console.log(host.url);
 * ```
 */
export interface JobHost {
  /** HTTP layer. */
  readonly http: HttpClient;
  /** Dispatcher URL. */
  readonly url: string;
  /** Smallest and largest poll interval (ms) and the growth factor. */
  readonly polling: { min: number; max: number; factor: number };
  /** Default total deadline (ms) of a wait, if any. */
  readonly defaultTimeout?: number | undefined;
  /** Check that the token may be sent to this URL (throws otherwise). */
  assertTokenTransport(token: string | undefined): void;
  /** Decode a finished answer into a DataCollection (with the caller's signal, deadline and limits). */
  decode(response: RunAnalysisResponse, job: Job, options?: DecodeOptions): DataCollection;
  /** Called with every finished `done` answer (cache; only when answers are not streamed). */
  onDone?(job: Job, response: RunAnalysisResponse, text: string): void;
  /**
   * Decode `/run_analysis` answers from the byte stream (`parseJsonStream`: the data units' arrays are
   * decoded as they arrive, the body is never held whole). Off when the answers' text is needed (cache).
   */
  readonly streamAnswers?: boolean;
  /** Units of a product's parameters (name → unit, as `/api/meta-data` describes them), if they can be had. */
  parameterUnits?(
    instrument: string,
    product: string,
    token: string | undefined,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<Record<string, string | null> | undefined>;
}
