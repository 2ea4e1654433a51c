/**
 * `DispatcherAPI`: the MMODA / ODA dispatcher client (the TypeScript
 * counterpart of `oda_api.api.DispatcherAPI`).
 *
 * Differences from the Python client, on purpose: no network lookup for the
 * default URL; the discovered token is sent with queries; a token never
 * travels over plain http to a non-loopback host; a total deadline, per
 * request timeouts, `AbortSignal`, adaptive polling, jittered retries, typed
 * errors; jobs that can be saved and resumed; JSON parsed once.
 *
 * @module
 */
import type { DecodeBudget, DecodeLimits, DecodeOptions } from "../codecs/budget.ts";
import { DecodeError, errorMessage, OdaError, TokenError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { decodeOdaToken } from "../token/decode.ts";
import { discoverToken, type TokenDiscoveryOptions } from "../token/discover.ts";
import { checkTokenReplacement, writeToken, type WriteTokenOptions } from "../token/write.ts";
import { DataCollection } from "../products/collection.ts";
import { pythonRepr } from "../data/python.ts";
import { type ApiCode, parseApiCode } from "../codecs/api_code.ts";
import type { Catalogue } from "./catalogue.ts";
import type { MmodaProducts } from "./mmoda_products.ts";
import type { CheckedQuery } from "./typed_query.ts";
import { getProducts as runBatch, type GetProductsOptions, type ProductResult } from "./batch.ts";
import { cacheKey, type CacheOptions, ResponseCache } from "./cache.ts";
import { describeProduct, parseMetaData, type ProductDescription } from "./description.ts";
import type { JobListener } from "./events.ts";
import { abortError, type FetchLike, HttpClient, isLoopbackHost, parseResponseJson } from "./http.ts";
import { Job, type JobHost, type RunAnalysisResponse, type SavedJob, sharedDecodeBudget } from "./job.ts";

const log = getLogger("oda_api.api");
const adviceLog = getLogger("oda_api.advice");

/**
 * The production MMODA dispatcher.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, PRODUCTION_URL } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: PRODUCTION_URL });
 * ```
 */
export const PRODUCTION_URL = "https://www.astro.unige.ch/mmoda/dispatch-data";
/**
 * The staging dispatcher.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, STAGING_URL } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: STAGING_URL });
 * ```
 */
export const STAGING_URL = "https://dispatcher-staging.obsuks1.unige.ch";

/**
 * Site aliases (as in odahub.io's oda-sites.ttl, built in: no network lookup).
 *
 * @example
 * ```ts
 * import { SITE_ALIASES } from "./dispatcher.ts";
 * console.log(SITE_ALIASES.production);
 * ```
 */
export const SITE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  "unige-production": PRODUCTION_URL,
  production: PRODUCTION_URL,
  prod: PRODUCTION_URL,
  "unige-staging": STAGING_URL,
  staging: STAGING_URL,
});

const URL_RE =
  /^https?:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d+)?(\/[a-z0-9/-]*)?$/i;

/**
 * Resolve an alias and validate a dispatcher URL like oda_api does
 * (host labels, optional port, a path of `[a-z0-9/-]`, nothing else).
 *
 * @example
 * ```ts
 * import { resolveDispatcherUrl } from "./dispatcher.ts";
 * resolveDispatcherUrl("production"); // "https://www.astro.unige.ch/mmoda/dispatch-data"
 * resolveDispatcherUrl("http://127.0.0.1:8011"); // "http://127.0.0.1:8011"
 * ```
 */
export function resolveDispatcherUrl(url: string | undefined): string {
  if (url === undefined || url === "") return PRODUCTION_URL;
  let u = url.trim();
  if (!/^https?:\/\//i.test(u)) {
    log.info(`url ${u} is not of http(s) schema, trying to interpretting url as an alias`);
    const alias = SITE_ALIASES[u];
    if (!alias) {
      throw new OdaError(
        "INVALID_URL",
        `${u} is not a valid url nor a known alias (${Object.keys(SITE_ALIASES).join(", ")}). ` +
          `A valid url should be like \`${PRODUCTION_URL}\``,
      );
    }
    log.info(`url ${u} interpretted an alias for ${alias}`);
    u = alias;
  }
  if (!URL_RE.test(u)) {
    throw new OdaError(
      "INVALID_URL",
      `${u} is not a valid url. \nA valid url should be like \`${PRODUCTION_URL}\`, ` +
        "i.e. scheme, host, optional port and a path of letters, digits, '-' and '/' (no query string)",
    );
  }
  return u.replace(/\/+$/, "");
}

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
  url?: string;
  /**
   * Token to send. `undefined`: discovered with `discoverToken()`
   * (`ODA_TOKEN`, `.oda-token`...); `null`: public, no token.
   */
  token?: string | null;
  /** Options of the token discovery (`token_discovery_methods`, `cwd`, `home`, `env`) when `token` is undefined. */
  token_discovery?: TokenDiscoveryOptions;
  /** `fetch` implementation (tests, proxies). */
  fetch?: FetchLike;
  /** Session id (16 chars `[A-Z0-9]` generated when absent). */
  session_id?: string;
  /** Default total deadline of `getProduct` / `wait`, in ms (none by default). */
  timeout?: number;
  /** Own timeout of each HTTP request until its answer's headers arrive, in ms. @default 60000 */
  requestTimeout?: number;
  /** Longest silence while an answer's body streams in, in ms. @default requestTimeout */
  idleTimeout?: number;
  /** Longest time to receive one answer's whole body, in ms. @default 900000 */
  bodyTimeout?: number;
  /** Largest answer accepted, in bytes (after HTTP gzip decoding). @default 524288000 (500 MiB) */
  maxResponseBytes?: number;
  /** Largest number of redirects followed (never on `run_analysis`). @default 5 */
  maxRedirects?: number;
  /** Poll intervals in ms: a number = the largest; or `{ min, max, factor }`. @default { min: 150, max: 5000, factor: 1.2 } */
  pollInterval?: number | { min?: number; max?: number; factor?: number };
  /** Time spent retrying one request when no deadline applies, ms. @default 600000 */
  retryBudget?: number;
  /** First retry backoff delay, ms (doubles, jittered). @default 250 */
  backoffBase?: number;
  /** Largest retry backoff delay, ms. @default 8000 */
  backoffMax?: number;
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
  silent?: boolean;
  /** Cancels the wait. */
  signal?: AbortSignal;
  /** Total deadline in ms (the products' decode included: it stops between chunks when the deadline passes). */
  timeout?: number;
  /**
   * Limits of the products' decode (elements, gzip output) or a shared `DecodeBudget`: default 4 Mi + 16
   * elements per response byte, at most 1 Gi; past it `DecodeError("DECODE_LIMIT")`. Not sent to the server.
   */
  decodeBudget?: DecodeLimits | DecodeBudget;
  /** Receives the job's events. */
  onEvent?: JobListener;
  /** Token for this query (overrides the instance's; `null` = public). */
  token?: string | null;
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
export interface RefreshTokenOptions {
  /** Write the new token with the token module's rules. @default false */
  write_token?: boolean;
  /** Where to write (`ODA_ENV_VAR`, `FILE_CUR_DIR`, `FILE_HOME`). */
  token_write_methods?: WriteTokenOptions["token_write_methods"];
  /** Extension in seconds (server default and maximum: 7 days). */
  refresh_interval?: number;
  /** Remove the previously discovered token from where it was found. */
  discard_discovered_token?: boolean;
  /** Extra options for `writeToken` (`cwd`, `home`, `env`, `force`). */
  write_options?: Omit<WriteTokenOptions, "token_write_methods" | "discard_discovered_token">;
  /** Cancels the request. */
  signal?: AbortSignal;
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
  silent?: boolean;
}

const CONTROL_KEYS = new Set([
  "decodeBudget",
  "instrument",
  "product",
  "product_type",
  "silent",
  "signal",
  "timeout",
  "onEvent",
]);
const PAR_CHECK_SKIP = new Set([
  "instrument",
  "product_type",
  "query_type",
  "off_line",
  "query_status",
  "verbose",
  "session_id",
]);

let adviceShown = false;

function randomSessionId(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => chars[b % 36]).join("");
}

/**
 * The dispatcher client.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, getLogger } from "@oda-hub/oda-api";
 * getLogger("oda_api").setLevel("INFO");
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
 * const data = await disp.getProduct({
 *   instrument: "isgri",
 *   product: "isgri_image",
 *   T1: "2019-01-01T00:00:00",
 *   T2: "2019-03-31T23:59:59",
 *   RA: 83.63,
 *   DEC: 22.01,
 *   E1_keV: 28,
 *   E2_keV: 40,
 * });
 * data.show();
 * ```
 */
export class DispatcherAPI<P = MmodaProducts> {
  /** Dispatcher base URL. */
  readonly url: string;
  /** Session id sent with every query of this instance. */
  readonly sessionId: string;
  /** Unknown parameter names are an error instead of a warning. */
  strict_parameter_check: boolean;
  /** Check parameter names with `/api/par-names` before a query. */
  parameter_check: boolean;
  #token: string | undefined;
  #catalogue: Catalogue | undefined;
  #http: HttpClient;
  #timeout: number | undefined;
  #polling: { min: number; max: number; factor: number };
  #cache: ResponseCache | undefined;
  #parNames = new Map<string, string[]>();
  #units = new Map<string, Record<string, string | null>>();

  /** Create a client (no network access happens here). */
  constructor(options: DispatcherAPIOptions = {}) {
    this.url = resolveDispatcherUrl(options.url);
    this.sessionId = options.session_id ?? randomSessionId();
    if (options.token === undefined) {
      try {
        this.#token = discoverToken(options.token_discovery);
        if (this.#token) log.info("discovered token in environment");
      } catch (e) {
        log.debug(`no token discovered: ${errorMessage(e)}`);
      }
    } else {
      this.#token = explicitToken(options.token);
    }
    this.#http = new HttpClient({
      baseUrl: this.url,
      fetch: options.fetch,
      requestTimeout: options.requestTimeout,
      idleTimeout: options.idleTimeout,
      bodyTimeout: options.bodyTimeout,
      maxResponseBytes: options.maxResponseBytes,
      maxRedirects: options.maxRedirects,
      retryBudget: options.retryBudget,
      backoffBase: options.backoffBase,
      backoffMax: options.backoffMax,
    });
    this.#timeout = options.timeout;
    const pi = typeof options.pollInterval === "number"
      ? { max: options.pollInterval }
      : options.pollInterval ?? {};
    const max = pi.max ?? 5000;
    this.#polling = { min: Math.min(pi.min ?? 150, max), max, factor: Math.max(1, pi.factor ?? 1.2) };
    if (options.cache) this.#cache = new ResponseCache(options.cache === true ? {} : options.cache);
    this.parameter_check = options.parameter_check ?? true;
    this.strict_parameter_check = options.strict_parameter_check ?? false;
    this.#catalogue = options.catalogue;
  }

  /**
   * The token this instance sends (given or discovered), if any. Never shown
   * by `console.log(disp)`, `JSON.stringify(disp)` or `String(disp)`.
   */
  get token(): string | undefined {
    return this.#token;
  }

  /** Replace the token (e.g. after `refreshToken`); `null` = public. */
  setToken(token: string | null): void {
    this.#token = explicitToken(token);
  }

  /** The response cache, if enabled. */
  get cache(): ResponseCache | undefined {
    return this.#cache;
  }

  /** Whether a token may be sent to this instance's URL. */
  get secureTransport(): boolean {
    const u = new URL(this.url);
    return u.protocol === "https:" || isLoopbackHost(u.hostname);
  }

  #assertTokenTransport(token: string | undefined): void {
    if (token === undefined || this.secureTransport) return;
    throw new TokenError(
      "TOKEN_INSECURE_TRANSPORT",
      `refusing to send your token over plain http to ${
        new URL(this.url).host
      }: use an https:// URL (or a loopback address), or pass token: null for a public query`,
      { url: this.url },
    );
  }

  #host(): JobHost {
    return {
      http: this.#http,
      url: this.url,
      polling: this.#polling,
      defaultTimeout: this.#timeout,
      assertTokenTransport: (t) => this.#assertTokenTransport(t),
      decode: (response, job, options) => this.#decode(response, job, options),
      streamAnswers: !this.#cache,
      parameterUnits: (instrument, product, token, signal, deadline) =>
        this.#parameterUnits(instrument, product, token, signal, deadline),
      onDone: (job, _response, text) => {
        if (!this.#cache) return;
        this.#cache.set(cacheKey(this.url, job.requestPairs(), job.user), text);
      },
    };
  }

  async #parameterUnits(
    instrument: string,
    product: string,
    token: string | undefined,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<Record<string, string | null> | undefined> {
    const key = `${userOf(token)}\u0000${instrument}\u0000${product}`;
    const known = this.#units.get(key);
    if (known) return known;
    const params: [string, string][] = [["instrument", instrument], ["product_type", product]];
    if (token !== undefined) params.push(["token", token]);
    const res = await this.#http.request({ path: "api/meta-data", params, retry: false, signal, deadline });
    const units: Record<string, string | null> = {};
    for (const q of parseMetaData(res.text).queries) {
      for (const p of q.parameters) if (!(p.name in units)) units[p.name] = p.units;
    }
    if (this.#units.size > 256) this.#units.clear();
    this.#units.set(key, units);
    return units;
  }

  #decode(response: RunAnalysisResponse, job: Job, options: DecodeOptions = {}): DataCollection {
    return DataCollection.fromResponseJson(response, {
      ...options,
      instrument: job.instrument,
      product: job.product,
      request_job_id: job.jobId,
    });
  }

  #splitParams(opts: GetProductOptions): {
    params: Record<string, unknown>;
    token: string | undefined;
  } {
    const params: Record<string, unknown> = {};
    let token = this.#token;
    for (const [k, v] of Object.entries(opts)) {
      if (CONTROL_KEYS.has(k)) continue;
      if (k === "token") {
        token = v === null || v === undefined || v === ""
          ? (v === undefined ? this.#token : undefined)
          : explicitToken(String(v));
        continue;
      }
      params[k] = v;
    }
    if ("dry_run" in params) {
      log.warning(
        "The dry_run parameter you included is not going to have any effect on the execution.\n" +
          "However the oda_api will perform a check of the list of valid parameters for your request.",
      );
      delete params.dry_run;
    }
    return { params, token };
  }

  async #checkParameterNames(
    instrument: string,
    product: string,
    names: string[],
    token: string | undefined,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<void> {
    // with the query's token (restricted instruments are only described to their users), deadline and signal;
    // only a successful answer is cached
    const key = `${userOf(token)}\u0000${instrument}\u0000${product}`;
    let valid = this.#parNames.get(key) ?? this.#catalogue?.find(instrument, product)?.names;
    if (!valid) {
      const params: [string, string][] = [["instrument", instrument], ["product_type", product]];
      if (token !== undefined) params.push(["token", token]);
      try {
        // advisory (as in oda_api): one attempt
        const res = await this.#http.request({
          path: "api/par-names",
          params,
          retry: false,
          signal,
          deadline,
        });
        const list = parseResponseJson(res.text, res.url);
        if (Array.isArray(list)) {
          valid = list.map(String);
          if (this.#parNames.size > 256) this.#parNames.clear();
          this.#parNames.set(key, valid);
        }
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        if (
          e instanceof OdaError && e.code === "TIMEOUT" && deadline !== undefined && Date.now() >= deadline
        ) {
          throw e;
        }
        if (e instanceof OdaError && (e.status === 400 || e.status === 403)) {
          // the server rejected the instrument or product itself: the query's own answer names the problem
          log.debug(`par-names refused (${e.message}); the query will report it`);
          return;
        }
        log.debug(`par-names failed: ${errorMessage(e)}`);
      }
    }
    if (!valid) {
      log.warning("parameter check not available on remote server, check carefully parameters name");
      return;
    }
    for (const name of names) {
      if (PAR_CHECK_SKIP.has(name) || valid.includes(name)) continue;
      if (this.strict_parameter_check) {
        throw new OdaError(
          "UNKNOWN_PARAMETER",
          `the parameter: ${name} is not among the valid ones: ${pythonRepr(valid)}` +
            "(you can set disp.strict_parameter_check = false, but beware!",
        );
      }
      const bar = "----------------------------------------------------------------------------";
      log.warning(
        `\n${bar}\nthe parameter: ${name}   is not among valid ones:\n${pythonRepr(valid)}\n${bar}\n`,
        {
          event: "unknown_parameter",
          parameter: name,
        },
      );
    }
  }

  #advice(silent: boolean | undefined): void {
    if (silent || adviceShown) return;
    adviceShown = true;
    adviceLog.warning(
      "please beware that by default, in a typical setup, oda_api will not output much. To learn how to increase " +
        "the verbosity, please refer to the documentation: " +
        "https://oda-api.readthedocs.io/en/latest/user_guide/ScienceWindowList.html?highlight=logging#Let's-get-some-logging . " +
        '\nIn TypeScript: getLogger("oda_api").setLevel("INFO"). ' +
        "To disable this message you can pass `getProduct({ ..., silent: true })`",
    );
  }

  /**
   * Submit a query and return its {@linkcode Job} once the dispatcher has
   * answered the first request (the job id is then known).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const job = await disp.submit({ instrument: "spi_acs", product: "spi_acs_lc", T1: "2022-07-01T00:00:00", T2: "2022-07-01T00:10:00" });
   * console.log(job.jobId, job.status);
   * const saved = JSON.stringify(job); // resume later with DispatcherAPI.resume(JSON.parse(saved))
   * ```
   */
  async submit<const Q extends GetProductOptions>(query: CheckedQuery<Q, P>): Promise<Job> {
    const options = query as GetProductOptions;
    const { job, names, token } = this.#newJob(options);
    const timeout = options.timeout ?? this.#timeout;
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    if (this.parameter_check) {
      await this.#checkParameterNames(job.instrument, job.product, names, token, options.signal, deadline);
    }
    await job.poll({ signal: options.signal, deadline });
    return job;
  }

  #newJob(options: GetProductOptions): { job: Job; names: string[]; token: string | undefined } {
    if (typeof options.instrument !== "string" || !options.instrument) {
      throw new OdaError("INVALID_ARGUMENT", "getProduct needs an instrument (e.g. instrument: 'isgri')");
    }
    if (typeof options.product !== "string" || !options.product) {
      throw new OdaError("INVALID_ARGUMENT", "getProduct needs a product name (e.g. product: 'isgri_image')");
    }
    const { params, token } = this.#splitParams(options);
    this.#catalogue?.find(options.instrument, options.product)?.validate(params);
    this.#assertTokenTransport(token);
    const job = new Job(this.#host(), {
      instrument: options.instrument,
      product: options.product,
      productType: typeof options.product_type === "string" ? options.product_type : "Real",
      params,
      token,
      user: userOf(token),
      sessionId: this.sessionId,
    });
    if (options.onEvent) job.onEvent(options.onEvent);
    return { job, names: Object.keys(params), token };
  }

  /**
   * Run a query to the end and decode its products (oda_api's
   * `get_product`): checks parameter names, submits, polls with adaptive
   * intervals, retries transient failures, and returns a `DataCollection`.
   * Throws `JobFailedError` for a failed job and typed errors for the rest.
   * Literal instrument/product names are type-checked against the shipped
   * `MmodaProducts` (see `CheckedQuery`); for other services use
   * `getProduct<GetProductOptions>(...)` or `new DispatcherAPI<MyProducts>()`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const data = await disp.getProduct({
   *   instrument: "spi_acs",
   *   product: "spi_acs_lc",
   *   product_type: "Real",
   *   T1: "2022-07-01T00:00:00",
   *   T2: "2022-07-01T00:10:00",
   *   time_bin: 1,
   *   timeout: 300_000,
   * });
   * data.show();
   * ```
   */
  async getProduct<const Q extends GetProductOptions>(query: CheckedQuery<Q, P>): Promise<DataCollection> {
    const options = query as GetProductOptions;
    this.#advice(options.silent);
    const { job, names, token } = this.#newJob(options);
    if (this.#cache) {
      const text = this.#cache.get(cacheKey(this.url, job.requestPairs(), job.user));
      if (text !== undefined) {
        log.info(`result found in the local cache (${job.instrument}/${job.product})`);
        const r = parseResponseJson(text, this.url) as RunAnalysisResponse;
        return this.#decode(r, job, { signal: options.signal, decodeBudget: options.decodeBudget });
      }
    }
    const timeout = options.timeout ?? this.#timeout;
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    if (this.parameter_check) {
      await this.#checkParameterNames(job.instrument, job.product, names, token, options.signal, deadline);
    }
    // one budget for the answer streamed in and its products
    const decodeBudget = sharedDecodeBudget(options.decodeBudget);
    const answer = await job.wait({
      signal: options.signal,
      timeout: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      silent: options.silent,
      decodeBudget,
    });
    // the decode is synchronous: the deadline is passed as a time (a timer cannot fire during it)
    return this.#decode(answer, job, { signal: options.signal, deadline, decodeBudget });
  }

  /**
   * Run many queries with at most `concurrency` at a time; resolves with one
   * settled result per query, in order.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const results = await disp.getProducts(
   *   ["Crab", "Cyg X-1"].map((src_name) => ({ instrument: "isgri", product: "isgri_image", src_name })),
   *   { concurrency: 2 },
   * );
   * for (const r of results) console.log(r.status === "fulfilled" ? r.value : r.reason);
   * ```
   */
  getProducts(
    list: readonly GetProductOptions[],
    options: GetProductsOptions = {},
  ): Promise<ProductResult[]> {
    return runBatch((o) => this.getProduct(o), list, options);
  }

  /**
   * Continue a job saved with `job.toJSON()` (after a kernel restart or a
   * lost connection). The token comes from `options.token` or discovery.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const saved = JSON.parse(localStorage.getItem("job")!);
   * const job = DispatcherAPI.resume(saved);
   * const data = await job.result();
   * ```
   */
  static resume(saved: SavedJob | string, options: ResumeOptions = {}): Job {
    const s: SavedJob = typeof saved === "string" ? JSON.parse(saved) : saved;
    if (!s || s.kind !== "oda-job" || typeof s.instrument !== "string" || typeof s.session_id !== "string") {
      throw new OdaError("INVALID_ARGUMENT", "not a saved job (expected the output of job.toJSON())");
    }
    const api = new DispatcherAPI({ ...options, url: options.url ?? s.url, session_id: s.session_id });
    return api.resumeJob(s);
  }

  /**
   * Continue a saved job with this instance's URL, token and settings.
   *
   * @example
   * ```ts
   * import { DispatcherAPI, type SavedJob } from "@oda-hub/oda-api";
   * declare const saved: SavedJob;
   * const job = new DispatcherAPI({ url: "http://127.0.0.1:8011" }).resumeJob(saved);
   * await job.wait();
   * ```
   */
  resumeJob(saved: SavedJob): Job {
    const token = this.#token;
    this.#assertTokenTransport(token);
    // A finished job is asked again with `ready`, which makes the dispatcher
    // return its products; an unsubmitted one is submitted again (same id).
    const status = saved.job_id === undefined ? "new" : saved.status === "done" ? "ready" : saved.status;
    return new Job(this.#host(), {
      instrument: saved.instrument,
      product: saved.product,
      productType: saved.product_type ?? "Real",
      params: saved.params ?? {},
      token,
      user: userOf(token),
      sessionId: saved.session_id,
      jobId: saved.job_id,
      status,
      submittedAt: saved.submitted_at,
    });
  }

  /**
   * A client for pasted API code (MMODA's "API code" button, a dispatcher's `api_code`): the URL and the
   * token written in the code are used unless `options` gives them (a `PRODUCTS_URL` placeholder needs
   * `options.url`); run the query with `disp.getProduct(parseApiCode(text).params)`. The token is never shown.
   *
   * @example
   * ```ts
   * import { DispatcherAPI, parseApiCode } from "@oda-hub/oda-api";
   * const text = `disp = DispatcherAPI(url="http://127.0.0.1:8011")\ndisp.get_product(instrument="spi_acs", product="spi_acs_lc")`;
   * const disp = DispatcherAPI.fromApiCode(text, { token: null });
   * const data = await disp.getProduct(parseApiCode(text).params);
   * ```
   */
  static fromApiCode(text: string | ApiCode, options: DispatcherAPIOptions = {}): DispatcherAPI {
    const code = typeof text === "string" ? parseApiCode(text) : text;
    const url = options.url ?? code.url;
    if (url === undefined) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        code.placeholder === undefined
          ? "the API code names no dispatcher: pass { url }"
          : `the API code names the placeholder '${code.placeholder}': pass { url } (e.g. "production")`,
      );
    }
    return new DispatcherAPI({
      ...options,
      url,
      token: options.token !== undefined ? options.token : code.token,
    });
  }

  /** A GET of an information endpoint, with this instance's token unless `withToken` is false. */
  async #getText(
    path: string,
    params: [string, string][],
    signal?: AbortSignal,
    withToken = true,
  ): Promise<{ text: string; url: string }> {
    const p = [...params];
    if (withToken && this.#token !== undefined) {
      this.#assertTokenTransport(this.#token);
      p.push(["token", this.#token]);
    }
    return await this.#http.request({ path, params: p, signal });
  }

  async #getJson(
    path: string,
    params: [string, string][],
    signal?: AbortSignal,
    withToken = true,
  ): Promise<unknown> {
    const res = await this.#getText(path, params, signal, withToken);
    return parseResponseJson(res.text, res.url);
  }

  /**
   * Names of the instruments visible to this token (`/instr-list`).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * console.log(await disp.getInstrumentsList()); // ["isgri", "jemx", "spi_acs", ...]
   * ```
   */
  async getInstrumentsList(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const list = await this.#getJson("instr-list", [["instrument", "mock"]], options.signal);
    if (!Array.isArray(list)) {
      throw new DecodeError("MALFORMED_RESPONSE", "instr-list answer is not a list");
    }
    return list as string[];
  }

  /**
   * The raw `/api/meta-data` description of an instrument (all its queries).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const meta = await disp.getInstrumentDescription({ instrument: "isgri" });
   * ```
   */
  async getInstrumentDescription(options: { instrument: string; signal?: AbortSignal }): Promise<unknown> {
    return await this.#getJson("api/meta-data", [["instrument", options.instrument]], options.signal);
  }

  /**
   * Parameter names a product accepts (`/api/par-names`), with this instance's token.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * console.log(await disp.getParameterNames({ instrument: "isgri", product: "isgri_lc" })); // ["src_name", "RA", ...]
   * ```
   */
  async getParameterNames(
    options: { instrument: string; product: string; signal?: AbortSignal },
  ): Promise<string[]> {
    const list = await this.#getJson("api/par-names", [
      ["instrument", options.instrument],
      ["product_type", options.product],
    ], options.signal);
    if (!Array.isArray(list)) throw new DecodeError("MALFORMED_RESPONSE", "par-names answer is not a list");
    return list.map(String);
  }

  /**
   * Describe the parameters of a product: prints oda_api's grouped listing
   * (unless `silent`) and returns it with structured data.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const descr = await disp.getProductDescription({ instrument: "isgri", product_name: "isgri_lc" });
   * console.log(descr.queries.map((q) => q.query_name));
   * ```
   */
  async getProductDescription(
    options: { instrument: string; product_name: string; silent?: boolean; signal?: AbortSignal },
  ): Promise<ProductDescription> {
    const res = await this.#getText(
      "api/meta-data",
      [["instrument", options.instrument], ["product_type", options.product_name]],
      options.signal,
    );
    parseResponseJson(res.text, res.url); // typed error (with the URL) for a malformed answer
    const d = describeProduct(res.text, { instrument: options.instrument, product: options.product_name });
    // printed once at any log level: to the console, or (silent) to the debug log only
    if (!options.silent) console.log(d.text);
    else for (const line of d.text.split("\n")) log.debug(line);
    return d;
  }

  #tokenArg(token: string | undefined, what: string): string {
    const t = token === undefined ? this.#token : explicitToken(token);
    if (!t) {
      throw new TokenError("TOKEN_NOT_FOUND", `unable to ${what}: no token given and none discovered`);
    }
    this.#assertTokenTransport(t);
    return t;
  }

  async #tokenEndpoint(path: string, params: [string, string][], signal?: AbortSignal): Promise<string> {
    const res = await this.#http.request({ path, params, signal, redactEcho: false });
    const text = res.text.trim();
    try {
      decodeOdaToken(text);
    } catch (e) {
      throw new DecodeError(
        "MALFORMED_RESPONSE",
        `${path} did not return a token: ${JSON.stringify(text.slice(0, 120))}`,
        { url: res.url, cause: e },
      );
    }
    return text;
  }

  #afterNewToken(oldToken: string, newToken: string, opts: RefreshTokenOptions, force: boolean): void {
    // the rules of writeToken (no earlier expiry, no lost keys or roles, same e-mail options) apply before the
    // new token is adopted, written or not (writeToken checks them itself when it writes)
    if (!force && !opts.write_token && !opts.write_options?.force) checkTokenReplacement(newToken, oldToken);
    if (opts.write_token) {
      writeToken(newToken, {
        ...opts.write_options,
        token_write_methods: opts.token_write_methods,
        discard_discovered_token: opts.discard_discovered_token,
        old_token: oldToken,
        ...(force ? { force: true } : {}),
      });
    }
    if (this.#token === oldToken) this.#token = newToken;
  }

  /**
   * Get a token with a later expiry from `/refresh_token` (needs the
   * `refresh-tokens` role); optionally write it where tokens are discovered.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const token = await disp.refreshToken(undefined, { write_token: true, token_write_methods: ["FILE_HOME"] });
   * ```
   */
  async refreshToken(token?: string, options: RefreshTokenOptions = {}): Promise<string> {
    const interval = options.refresh_interval;
    if (
      interval !== undefined && !(typeof interval === "number" && Number.isFinite(interval) && interval > 0)
    ) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `refresh_interval must be a positive number of seconds, got ${
          JSON.stringify(interval) ?? String(interval)
        }`,
      );
    }
    const t = this.#tokenArg(token, "refresh the token");
    const p: [string, string][] = [["token", t], ["query_status", "new"]];
    if (options.refresh_interval !== undefined) {
      p.push(["refresh_interval", String(options.refresh_interval)]);
    }
    const fresh = await this.#tokenEndpoint("refresh_token", p, options.signal);
    this.#afterNewToken(t, fresh, options, false);
    return fresh;
  }

  /**
   * Get a token with the e-mail notifications disabled
   * (`/update_token_email_options`); optionally write it (forced, since the
   * e-mail options change on purpose).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const quiet = await disp.disableEmailToken(undefined, { write_token: true });
   * ```
   */
  async disableEmailToken(
    token?: string,
    options: Omit<RefreshTokenOptions, "refresh_interval"> = {},
  ): Promise<string> {
    const t = this.#tokenArg(token, "disable the e-mails of the token");
    const fresh = await this.#tokenEndpoint("update_token_email_options", [
      ["token", t],
      ["msfail", "False"],
      ["mssub", "False"],
      ["msdone", "False"],
      ["query_status", "new"],
    ], options.signal);
    this.#afterNewToken(t, fresh, options, true);
    return fresh;
  }

  /**
   * The user's recent jobs (`/inspect-state`, role `job manager`). A full
   * job id is accepted (the server matches its first 8 characters).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const state = await disp.inspectState({ group_by_job: true });
   * ```
   */
  async inspectState(
    options: { job_id?: string; group_by_job?: boolean; token?: string; signal?: AbortSignal } = {},
  ): Promise<Record<string, unknown>> {
    const t = this.#tokenArg(options.token, "inspect the state");
    const p: [string, string][] = [["token", t], ["group_by_job", options.group_by_job ? "True" : "False"]];
    if (options.job_id) p.push(["job_id", options.job_id.slice(0, 8)]);
    return await this.#getJson("inspect-state", p, options.signal, false) as Record<string, unknown>;
  }

  /**
   * Resolve an object name to coordinates (`/resolve_name`).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const r = await disp.resolveName("Crab");
   * console.log(r.RA, r.DEC);
   * ```
   */
  async resolveName(name: string, options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown>> {
    return await this.#getJson("resolve_name", [["name", name]], options.signal) as Record<string, unknown>;
  }

  /** `[ DispatcherAPI: <url> ]`, as oda_api's repr. */
  toString(): string {
    return `[ DispatcherAPI: ${this.url} ]`;
  }

  /** JSON view (no token). */
  toJSON(): Record<string, unknown> {
    return { url: this.url, session_id: this.sessionId, has_token: this.#token !== undefined };
  }

  /** Deno inspect (no token). */
  [Symbol.for("Deno.customInspect")](): string {
    return `DispatcherAPI { url: ${JSON.stringify(this.url)}, sessionId: ${
      JSON.stringify(this.sessionId)
    }, token: ${this.#token === undefined ? "none" : "<redacted>"} }`;
  }
}

/** A token given by the caller: trimmed, empty = none, otherwise it must be a well-formed JWT (TOKEN_MALFORMED). */
function explicitToken(token: string | null): string | undefined {
  if (token === null) return undefined;
  const t = String(token).trim();
  if (t === "") return undefined;
  decodeOdaToken(t); // structure only (no signature, no expiry): the server judges those
  return t;
}

function userOf(token: string | undefined): string {
  if (!token) return "public";
  try {
    const p = decodeOdaToken(token) as { sub?: unknown; email?: unknown };
    return String(p.sub ?? p.email ?? "unknown-user");
  } catch {
    return "unknown-user";
  }
}
