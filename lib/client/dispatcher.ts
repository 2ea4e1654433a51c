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
 * Where it connects is in `dispatcher_url.ts`, its options in
 * `dispatcher_options.ts` and the parameter checks in `_parameter_checks.ts`;
 * the public names are re-exported here.
 *
 * Size: one class that mirrors oda_api's `DispatcherAPI` method for method
 * (queries, jobs, descriptions, token endpoints), kept whole.
 *
 * @module
 */
import type { DecodeOptions } from "../codecs/budget.ts";
import { DecodeError, errorMessage, OdaError, TokenError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { decodeOdaToken } from "../token/decode.ts";
import { explicitToken, randomSessionId, userOf } from "./_identity.ts";
import { discoverToken } from "../token/discover.ts";
import { checkTokenReplacement, writeToken } from "../token/write.ts";
import { DataCollection } from "../products/collection.ts";
import { type ApiCode, parseApiCode } from "../codecs/api_code.ts";
import type { Catalogue } from "./catalogue.ts";
import type { MmodaProducts } from "./mmoda_products.ts";
import type { CheckedQuery } from "./typed_query.ts";
import { getProducts as runBatch, type GetProductsOptions, type ProductResult } from "./batch.ts";
import { cacheKey, ResponseCache } from "./cache.ts";
import { describeProduct, type ProductDescription } from "./description.ts";
import { echoRedactor, HttpClient, isLoopbackHost, parseResponseJson } from "./http.ts";
import { deadlineAfter, timeLeft } from "../codecs/budget.ts";
import { Job, type JobHost, type RunAnalysisResponse, type SavedJob, sharedDecodeBudget } from "./job.ts";
import { resolveDispatcherUrl } from "./dispatcher_url.ts";
import { checkParameterNames, type ParameterInfo, parameterUnits } from "./_parameter_checks.ts";
import { DescriptionRequests } from "./_descriptions.ts";
import type {
  DispatcherAPIOptions,
  GetProductOptions,
  RefreshTokenOptions,
  RequestOptions,
  ResumeOptions,
} from "./dispatcher_options.ts";
export { PRODUCTION_URL, resolveDispatcherUrl, STAGING_URL } from "./dispatcher_url.ts";
export type {
  DispatcherAPIOptions,
  GetProductOptions,
  RefreshTokenOptions,
  RequestOptions,
  ResumeOptions,
} from "./dispatcher_options.ts";

const log = getLogger("oda_api.api");
const adviceLog = getLogger("oda_api.advice");

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
let adviceShown = false;

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
  #descriptions: DescriptionRequests;
  #parameters: ParameterInfo;

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
    deadlineAfter(options.timeout); // checked now (INVALID_ARGUMENT), applied per call
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
    this.#descriptions = new DescriptionRequests(this.#http);
    this.#parameters = { descriptions: this.#descriptions, catalogue: this.#catalogue };
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
        parameterUnits(this.#parameters, { instrument, product, token, signal, deadline }),
      onDone: (job, _response, text) => {
        if (!this.#cache) return;
        this.#cache.set(cacheKey(this.url, job.requestPairs(), job.user), text);
      },
    };
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

  #checkParameterNames(
    instrument: string,
    product: string,
    names: string[],
    token: string | undefined,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<void> {
    const query = { instrument, product, token, signal, deadline };
    return checkParameterNames(this.#parameters, this.strict_parameter_check, query, names);
  }

  /** The absolute deadline of a call: its `timeout`, else this client's, from now (none without either). */
  #deadline(options: { timeout?: number | undefined }): number | undefined {
    return deadlineAfter(options.timeout ?? this.#timeout);
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
    const deadline = this.#deadline(options);
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
    const deadline = this.#deadline(options);
    if (this.parameter_check) {
      await this.#checkParameterNames(job.instrument, job.product, names, token, options.signal, deadline);
    }
    // one budget for the answer streamed in and its products
    const decodeBudget = sharedDecodeBudget(options.decodeBudget);
    const answer = await job.wait({
      signal: options.signal,
      timeout: timeLeft(deadline),
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

  /** The token of this instance for an information request (checked against the transport rule). */
  #infoToken(): string | undefined {
    this.#assertTokenTransport(this.#token);
    return this.#token;
  }

  /** This instance's token and the call's signal and deadline, as a description request takes them. */
  #descriptionBounds(
    options: RequestOptions,
  ): { token: string | undefined; signal: AbortSignal | undefined; deadline: number | undefined } {
    return { token: this.#infoToken(), signal: options.signal, deadline: this.#deadline(options) };
  }

  /** A GET of an information endpoint with the call's bounds, with this instance's token unless `withToken` is false. */
  async #getJson(
    path: string,
    params: [string, string][],
    options: RequestOptions,
    withToken = true,
  ): Promise<unknown> {
    const p = [...params];
    const token = withToken ? this.#infoToken() : undefined;
    if (token !== undefined) p.push(["token", token]);
    const deadline = this.#deadline(options);
    const res = await this.#http.request({ path, params: p, signal: options.signal, deadline });
    return parseResponseJson(res.text, res.url);
  }

  /**
   * Names of the instruments visible to this token (`/instr-list`). `timeout` and `signal` bound the call as
   * in `getProduct` (`OdaError` `TIMEOUT` / `ABORTED`).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * console.log(await disp.getInstrumentsList({ timeout: 10_000 })); // ["isgri", "jemx", "spi_acs", ...]
   * ```
   */
  async getInstrumentsList(options: RequestOptions = {}): Promise<string[]> {
    const list = await this.#getJson("instr-list", [["instrument", "mock"]], options);
    if (!Array.isArray(list)) {
      throw new DecodeError("MALFORMED_RESPONSE", "instr-list answer is not a list");
    }
    return list as string[];
  }

  /**
   * The raw `/api/meta-data` description of an instrument (all its queries), with this instance's token.
   * Answers are cached per client (instrument, product and token), shared with `getProductDescription` and
   * the checks around `getProduct`. `timeout` and `signal` bound the call as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const meta = await disp.getInstrumentDescription({ instrument: "isgri", timeout: 10_000 });
   * ```
   */
  async getInstrumentDescription(options: { instrument: string } & RequestOptions): Promise<unknown> {
    const res = await this.#descriptions.metaData({
      instrument: options.instrument,
      ...this.#descriptionBounds(options),
    });
    return parseResponseJson(res.text, res.url);
  }

  /**
   * Parameter names a product accepts (`/api/par-names`), with this instance's token. Answers are cached
   * per client (instrument, product and token), shared with the parameter check of `getProduct`.
   * `timeout` and `signal` bound the call as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * console.log(await disp.getParameterNames({ instrument: "isgri", product: "isgri_lc", timeout: 10_000 })); // ["src_name", "RA", ...]
   * ```
   */
  async getParameterNames(
    options: { instrument: string; product: string } & RequestOptions,
  ): Promise<string[]> {
    return await this.#descriptions.parNames({
      instrument: options.instrument,
      product: options.product,
      ...this.#descriptionBounds(options),
    });
  }

  /**
   * Describe the parameters of a product: prints oda_api's grouped listing
   * (unless `silent`) and returns it with structured data. The `/api/meta-data` answer is cached per
   * client (see `getInstrumentDescription`); `timeout` and `signal` bound the call as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const descr = await disp.getProductDescription({ instrument: "isgri", product_name: "isgri_lc", timeout: 10_000 });
   * console.log(descr.queries.map((q) => q.query_name));
   * ```
   */
  async getProductDescription(
    options: { instrument: string; product_name: string; silent?: boolean | undefined } & RequestOptions,
  ): Promise<ProductDescription> {
    const res = await this.#descriptions.metaData({
      instrument: options.instrument,
      product: options.product_name,
      ...this.#descriptionBounds(options),
    });
    let d: ProductDescription;
    try {
      d = describeProduct(res.text, { instrument: options.instrument, product: options.product_name });
    } catch (e) {
      parseResponseJson(res.text, res.url); // typed error (with the URL) for an answer that is not JSON
      throw e;
    }
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

  async #tokenEndpoint(path: string, params: [string, string][], options: RequestOptions): Promise<string> {
    const res = await this.#http.request({
      path,
      params,
      signal: options.signal,
      deadline: this.#deadline(options),
      redactEcho: false,
    });
    const text = res.text.trim();
    try {
      decodeOdaToken(text);
    } catch (e) {
      throw new DecodeError(
        "MALFORMED_RESPONSE",
        // the answer is not redacted (it is a token when all goes well); what is shown of it is
        `${path} did not return a token: ${JSON.stringify(echoRedactor(params)(text).slice(0, 120))}`,
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
   * `refresh-tokens` role); optionally write it where tokens are discovered. `timeout` and `signal` bound
   * the request as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const token = await disp.refreshToken(undefined, {
   *   write_token: true,
   *   token_write_methods: ["FILE_HOME"],
   *   timeout: 30_000,
   * });
   * ```
   */
  async refreshToken(token?: string | undefined, options: RefreshTokenOptions = {}): Promise<string> {
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
    const fresh = await this.#tokenEndpoint("refresh_token", p, options);
    this.#afterNewToken(t, fresh, options, false);
    return fresh;
  }

  /**
   * Get a token with the e-mail notifications disabled
   * (`/update_token_email_options`); optionally write it (forced, since the
   * e-mail options change on purpose). `timeout` and `signal` bound the request as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const quiet = await disp.disableEmailToken(undefined, { write_token: true, timeout: 30_000 });
   * ```
   */
  async disableEmailToken(
    token?: string | undefined,
    options: Omit<RefreshTokenOptions, "refresh_interval"> = {},
  ): Promise<string> {
    const t = this.#tokenArg(token, "disable the e-mails of the token");
    const fresh = await this.#tokenEndpoint("update_token_email_options", [
      ["token", t],
      ["msfail", "False"],
      ["mssub", "False"],
      ["msdone", "False"],
      ["query_status", "new"],
    ], options);
    this.#afterNewToken(t, fresh, options, true);
    return fresh;
  }

  /**
   * The user's recent jobs (`/inspect-state`, role `job manager`). A full
   * job id is accepted (the server matches its first 8 characters). `timeout` and `signal` bound the
   * request as in `getProduct`.
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011" });
   * const state = await disp.inspectState({ group_by_job: true, timeout: 30_000 });
   * ```
   */
  async inspectState(
    options: { job_id?: string; group_by_job?: boolean; token?: string | undefined } & RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const t = this.#tokenArg(options.token, "inspect the state");
    const p: [string, string][] = [["token", t], ["group_by_job", options.group_by_job ? "True" : "False"]];
    if (options.job_id) p.push(["job_id", options.job_id.slice(0, 8)]);
    return await this.#getJson("inspect-state", p, options, false) as Record<string, unknown>;
  }

  /**
   * Resolve an object name to coordinates (`/resolve_name`). `timeout` and `signal` bound the request as in
   * `getProduct` (`OdaError` `TIMEOUT` / `ABORTED`).
   *
   * @example
   * ```ts
   * import { DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const r = await disp.resolveName("Crab", { timeout: 10_000, signal: AbortSignal.timeout(20_000) });
   * console.log(r.RA, r.DEC);
   * ```
   */
  async resolveName(name: string, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    return await this.#getJson("resolve_name", [["name", name]], options) as Record<string, unknown>;
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
