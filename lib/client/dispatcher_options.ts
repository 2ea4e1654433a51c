/**
 * The options of {@linkcode DispatcherAPI}: of the client itself, of one
 * query (`getProduct`, `submit`), of token refresh and of resuming a job.
 *
 * @module
 */
import type { DecodeBudget, DecodeLimits } from "../codecs/budget.ts";
import type { TokenDiscoveryOptions } from "../token/discover.ts";
import type { WriteTokenOptions } from "../token/write.ts";
import type { Catalogue } from "./catalogue.ts";
import type { CacheOptions } from "./cache.ts";
import type { JobListener } from "./events.ts";
import type { FetchLike } from "./http.ts";

/**
 * Options of the {@linkcode DispatcherAPI} constructor.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, type DispatcherAPIOptions } from "@oda-hub/oda-api";
 * const opts: DispatcherAPIOptions = { url: "production", timeout: 3_600_000, pollInterval: { max: 5000 } };
 * const disp = new DispatcherAPI(opts);
 * ```
 */
export interface DispatcherAPIOptions {
  /** Dispatcher URL or alias (`production`, `prod`, `staging`). @default PRODUCTION_URL */
  url?: string | undefined;
  /**
   * Token to send. `undefined`: discovered with `discoverToken()`
   * (`ODA_TOKEN`, `.oda-token`...); `null`: public, no token.
   */
  token?: string | null | undefined;
  /** Options of the token discovery (`token_discovery_methods`, `cwd`, `home`, `env`) when `token` is undefined. */
  token_discovery?: TokenDiscoveryOptions;
  /** `fetch` implementation (tests, proxies). */
  fetch?: FetchLike | undefined;
  /** Session id (16 chars `[A-Z0-9]` generated when absent). */
  session_id?: string;
  /**
   * Default total deadline, in ms, of `getProduct` / `submit` / `wait` and of every other request method
   * (`getInstrumentsList`, `getProductDescription`, `resolveName`...) called without its own `timeout`
   * (none by default; a number ≥ 0, else `OdaError("INVALID_ARGUMENT")`).
   */
  timeout?: number | undefined;
  /** Own timeout of each HTTP request until its answer's headers arrive, in ms. @default 60000 */
  requestTimeout?: number | undefined;
  /** Longest silence while an answer's body streams in, in ms. @default requestTimeout */
  idleTimeout?: number | undefined;
  /** Longest time to receive one answer's whole body, in ms. @default 900000 */
  bodyTimeout?: number | undefined;
  /** Largest answer accepted, in bytes (after HTTP gzip decoding). @default 524288000 (500 MiB) */
  maxResponseBytes?: number | undefined;
  /** Largest number of redirects followed (never on `run_analysis`). @default 5 */
  maxRedirects?: number | undefined;
  /** Poll intervals in ms: a number = the largest; or `{ min, max, factor }`. @default { min: 150, max: 5000, factor: 1.2 } */
  pollInterval?: number | { min?: number; max?: number; factor?: number };
  /** Time spent retrying one request when no deadline applies, ms. @default 600000 */
  retryBudget?: number | undefined;
  /** First retry backoff delay, ms (doubles, jittered). @default 250 */
  backoffBase?: number | undefined;
  /** Largest retry backoff delay, ms. @default 8000 */
  backoffMax?: number | undefined;
  /** Cache finished answers in memory (`true` or limits). @default false */
  cache?: boolean | CacheOptions;
  /** Check parameter names with `/api/par-names` before a query. @default true */
  parameter_check?: boolean;
  /** Unknown parameter names are an error instead of a warning. @default false */
  strict_parameter_check?: boolean;
  /**
   * Description to check queries against before sending (no round trip): wrong values are an
   * `INVALID_ARGUMENT` error listing what is allowed, parameter names are checked without `/api/par-names`.
   * E.g. `sandboxCatalogue()` or `await Catalogue.fromServer(disp)`.
   */
  catalogue?: Catalogue;
}

/**
 * Per-call bounds of every {@linkcode DispatcherAPI} method that asks the dispatcher something
 * (`getInstrumentsList`, `getInstrumentDescription`, `getProductDescription`, `getParameterNames`,
 * `resolveName`, `inspectState`, `refreshToken`, `disableEmailToken`), with the names and meaning they have
 * in `getProduct`: `timeout` is a total deadline for the call (retries, redirects and the answer's body
 * included; past it `OdaError("TIMEOUT")`), and `signal` cancels it at once (`OdaError("ABORTED")`, or the
 * signal's reason when that is an `OdaError`). The client's own limits (`requestTimeout`, `idleTimeout`,
 * `bodyTimeout`, `maxResponseBytes`) still apply inside.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, type RequestOptions } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
 * const bounds: RequestOptions = { timeout: 10_000, signal: AbortSignal.timeout(30_000) };
 * const instruments = await disp.getInstrumentsList(bounds);
 * ```
 */
export interface RequestOptions {
  /** Cancels the call (and its retries) at once. */
  signal?: AbortSignal | undefined;
  /**
   * Total deadline of the call in ms (default: the client's `timeout`, if any); `Infinity`: none. Anything
   * but a number ≥ 0 is `OdaError("INVALID_ARGUMENT")`, before any request.
   */
  timeout?: number | undefined;
}

/**
 * Science parameters and options of {@linkcode DispatcherAPI.getProduct}.
 *
 * @example
 * ```ts
 * import type { GetProductOptions } from "@oda-hub/oda-api";
 * const q: GetProductOptions = { instrument: "isgri", product: "isgri_lc", T1: "2019-01-01", T2: "2019-02-01", time_bin: 1000 };
 * ```
 */
export interface GetProductOptions {
  /** Instrument (`isgri`, `jemx`, `spi_acs`...). */
  instrument: string;
  /** Product name (`isgri_image`, `spi_acs_lc`...), sent as `product_type`. */
  product: string;
  /** Query kind (`Real`, `Dummy`), sent as `query_type`. @default "Real" */
  product_type?: string;
  /** No advice, no progress display. */
  silent?: boolean | undefined;
  /** Cancels the wait. */
  signal?: AbortSignal | undefined;
  /** Total deadline in ms (the products' decode included: it stops between chunks when the deadline passes). */
  timeout?: number | undefined;
  /**
   * Limits of the products' decode (elements, gzip output) or a shared `DecodeBudget`: default 4 Mi + 16
   * elements per response byte, at most 1 Gi; past it `DecodeError("DECODE_LIMIT")`. Not sent to the server.
   */
  decodeBudget?: DecodeLimits | DecodeBudget | undefined;
  /** Receives the job's events. */
  onEvent?: JobListener;
  /** Token for this query (overrides the instance's; `null` = public). */
  token?: string | null | undefined;
  /** Science parameters: `RA`, `DEC`, `T1`, `T2`, `E1_keV`, `scw_list`, `selected_catalog`, ... */
  [param: string]: unknown;
}

/**
 * Options of {@linkcode DispatcherAPI.refreshToken}.
 *
 * @example
 * ```ts
 * import type { RefreshTokenOptions } from "@oda-hub/oda-api";
 * const o: RefreshTokenOptions = { write_token: true, token_write_methods: ["FILE_HOME"], refresh_interval: 86400 };
 * ```
 */
export interface RefreshTokenOptions extends RequestOptions {
  /** Write the new token with the token module's rules. @default false */
  write_token?: boolean;
  /** Where to write (`ODA_ENV_VAR`, `FILE_CUR_DIR`, `FILE_HOME`). */
  token_write_methods?: WriteTokenOptions["token_write_methods"] | undefined;
  /** Extension in seconds (server default and maximum: 7 days). */
  refresh_interval?: number;
  /** Remove the previously discovered token from where it was found. */
  discard_discovered_token?: boolean | undefined;
  /** Extra options for `writeToken` (`cwd`, `home`, `env`, `force`). */
  write_options?: Omit<WriteTokenOptions, "token_write_methods" | "discard_discovered_token">;
}

/**
 * Options of {@linkcode DispatcherAPI.resume}.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, type SavedJob } from "@oda-hub/oda-api";
 * declare const saved: SavedJob;
 * const job = DispatcherAPI.resume(saved, { timeout: 600_000, silent: true });
 * ```
 */
export interface ResumeOptions extends Omit<DispatcherAPIOptions, "session_id"> {
  /** Do not show progress. */
  silent?: boolean | undefined;
}
