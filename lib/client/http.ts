/**
 * HTTP layer of the client: one dispatcher request with its own timeout,
 * transient failures retried with jittered exponential backoff inside the
 * caller's total deadline, cancellation through `AbortSignal`, and the mapping
 * of the dispatcher's error answers to typed errors carrying the server's words.
 *
 * Transient (retried, logged at WARNING): connection errors and resets,
 * HTTP 502/503/504, a request exceeding its own timeout. Fatal (thrown at
 * once): 400, 403, 500, redirects where they are not followed, any other
 * unexpected status, and malformed JSON.
 *
 * Body reading lives in `http_body.ts`, the mapping of answers to errors in
 * `http_errors.ts`, cancellation helpers in `abort.ts`; their names are
 * re-exported here.
 *
 * @module
 */
import {
  DecodeError,
  DispatcherError,
  errorMessage,
  OdaError,
  redactCause,
  redactSecrets,
  TokenError,
} from "../errors.ts";
import { getLogger } from "../log.ts";
import { formEncode, MAX_GET_METHOD_SIZE, payloadJsonLength } from "./params.ts";
import { abortableSleep, abortError, MAX_TIMER_MS } from "./abort.ts";
import { echoRedactor, errorForResponse, snippet } from "./http_errors.ts";
import { type BodyLimits, ERROR_BODY_BYTES, keepHead, readBodyChunks, readBodyText } from "./http_body.ts";
export { abortableSleep, abortError } from "./abort.ts";
export { type BodyLimits, ERROR_BODY_BYTES, readBodyChunks, readBodyText } from "./http_body.ts";
export {
  echoRedactor,
  errorForResponse,
  htmlErrorLine,
  parseMissingRoles,
  parseResponseJson,
  redactEchoedTokens,
  snippet,
} from "./http_errors.ts";

const log = getLogger("oda_api.api");

/**
 * The `fetch` signature the client uses (inject one for tests or proxies).
 *
 * @example
 * ```ts
 * import { DispatcherAPI, type FetchLike } from "@oda-hub/oda-api";
 * const logged: FetchLike = (input, init) => { console.log(String(input).split("?")[0]); return fetch(input, init); };
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", fetch: logged });
 * ```
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Information passed to a retry observer.
 *
 * @example
 * ```ts
 * import type { RetryInfo } from "./http.ts";
 * const onRetry = (i: RetryInfo) => console.log(`attempt ${i.attempt} failed: ${i.reason}`);
 * ```
 */
export interface RetryInfo {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  /** Delay before the next attempt, in milliseconds. */
  delayMs: number;
  /** Why the attempt failed (no token inside). */
  reason: string;
  /** Error that will be raised if no attempt succeeds. */
  error: OdaError;
}

/**
 * Retry and timeout settings of a {@linkcode HttpClient}.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http.ts";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011", requestTimeout: 10_000 });
 * ```
 */
export interface HttpClientOptions {
  /** Base URL of the dispatcher (no trailing slash needed). */
  baseUrl: string;
  /** `fetch` implementation; defaults to `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
  /** Own timeout of one request, in milliseconds. @default 60000 */
  requestTimeout?: number | undefined;
  /** Longest time spent retrying one request when the caller gave no deadline, in ms. @default 600000 */
  retryBudget?: number | undefined;
  /** First backoff delay in ms (doubled each attempt, full jitter). @default 250 */
  backoffBase?: number | undefined;
  /** Largest backoff delay in ms. @default 8000 */
  backoffMax?: number | undefined;
  /** Longest silence while a response body streams in, in ms. @default requestTimeout */
  idleTimeout?: number | undefined;
  /** Longest time to receive one whole response body, in ms (drips end here). @default 900000 */
  bodyTimeout?: number | undefined;
  /** Largest response body accepted, in bytes (after HTTP gzip decoding). @default 524288000 (500 MiB) */
  maxResponseBytes?: number | undefined;
  /** Largest number of redirects followed for one request. @default 5 */
  maxRedirects?: number | undefined;
}

/**
 * Default largest response body, in bytes (500 MiB: close to the longest string V8 can hold, so a larger
 * answer could not be decoded anyway).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_RESPONSE_BYTES, HttpClient } from "./http.ts";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011", maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES / 5 });
 * ```
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 500 * 1024 * 1024;

/**
 * One request to the dispatcher.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http.ts";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011" });
 * // await http.request({ path: "api/par-names", params: [["instrument", "isgri"]] });
 * ```
 */
export interface HttpRequest {
  /** Endpoint path relative to the base URL (`run_analysis`, `api/par-names`...). */
  path: string;
  /** Query / form parameters in order. */
  params: ReadonlyArray<readonly [string, string]>;
  /** `auto` (default) = GET unless the payload is large, then a form POST. */
  method?: "GET" | "POST" | "auto";
  /** Whether to follow redirects (not on `run_analysis`: a redirect there is `URL_REDIRECTED`). @default true */
  followRedirects?: boolean;
  /** Cancels the request (and the retries) promptly. */
  signal?: AbortSignal | undefined;
  /** Absolute deadline (epoch ms) for the request including retries. */
  deadline?: number | undefined;
  /** Whether transient failures are retried. @default true */
  retry?: boolean;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Replace the request's own token, wherever the answer echoes it, by `<redacted token>` before the text
   * reaches anyone (`false` only for endpoints whose answer is a token; error answers are redacted always).
   * @default true
   */
  redactEcho?: boolean;
  /**
   * Decode a 2xx body from its chunks as they arrive instead of reading it as text: the result is
   * {@linkcode HttpResponse.json} (`text` is then empty). A chunk is only valid until the next one is asked
   * for. `total` is the declared Content-Length, if any (none with a content encoding); `redact` must be
   * applied to every string of the answer (it replaces echoes of the request's token, as is done to the text).
   */
  decodeBody?:
    | ((
      chunks: AsyncIterable<Uint8Array>,
      info: { total: number | undefined; redact: (s: string) => string },
    ) => Promise<unknown>)
    | undefined;
}

/**
 * A successful (2xx) answer.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http.ts";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011" });
 * // const res = await http.request({ path: "instr-list", params: [] }); console.log(res.status, res.text);
 * ```
 */
export interface HttpResponse {
  /** HTTP status. */
  status: number;
  /** Response body as text. */
  text: string;
  /** Response headers. */
  headers: Headers;
  /** The URL requested (token removed). */
  url: string;
  /** Number of attempts it took. */
  attempts: number;
  /** The body decoded by {@linkcode HttpRequest.decodeBody}, when the request had one. */
  json?: unknown;
}

/**
 * Loopback hosts, to which a token may travel over plain http.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isLoopbackHost("127.0.0.1"), true);
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

class Transient extends Error {
  constructor(readonly error: OdaError) {
    super(error.message);
  }
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Whether a token may travel to `next` (reached from `previous`, if any): only
 * over https or to a loopback host, and never from https down to http.
 * Returns the reason when it may not.
 */
function tokenTransportProblem(next: URL, previous: URL | undefined): string | undefined {
  if (previous?.protocol === "https:" && next.protocol !== "https:") {
    return `a redirect from https://${previous.host} to ${next.protocol}//${next.host} would downgrade the connection`;
  }
  if (next.protocol === "https:") return undefined;
  if (next.protocol === "http:" && isLoopbackHost(next.hostname)) return undefined;
  return `${next.protocol}//${next.host} is not https (nor a loopback address)`;
}

/**
 * Sends requests to one dispatcher with per-request timeouts, retries and
 * error mapping. Used by {@linkcode DispatcherAPI}; usable on its own.
 *
 * Limits of every request (all configurable): `requestTimeout` until the
 * answer's headers arrive (across redirects), `idleTimeout` between two body
 * chunks, `bodyTimeout` for the whole body, `maxResponseBytes` of body, and
 * `maxRedirects` redirects, each followed by this client with the token
 * transport rule re-checked (https or loopback only, never https → http).
 * The caller's `deadline` and `signal` bound all of them.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http.ts";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011", maxResponseBytes: 50 * 1024 * 1024 });
 * // const res = await http.request({ path: "instr-list", params: [] });
 * ```
 */
export class HttpClient {
  /** Base URL (no trailing slash). */
  readonly baseUrl: string;
  #fetch: FetchLike;
  /** Own timeout of one request until its headers arrive, ms. */
  requestTimeout: number;
  /** Retry budget without a deadline, ms. */
  retryBudget: number;
  /** First backoff delay, ms. */
  backoffBase: number;
  /** Largest backoff delay, ms. */
  backoffMax: number;
  /** Longest silence while a body streams in, ms. */
  idleTimeout: number;
  /** Longest time for one whole body, ms. */
  bodyTimeout: number;
  /** Largest body accepted, bytes. */
  maxResponseBytes: number;
  /** Largest number of redirects followed. */
  maxRedirects: number;

  /** Create a client for one base URL. */
  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.requestTimeout = options.requestTimeout ?? 60_000;
    this.retryBudget = options.retryBudget ?? 600_000;
    this.backoffBase = options.backoffBase ?? 250;
    this.backoffMax = options.backoffMax ?? 8_000;
    this.idleTimeout = options.idleTimeout ?? this.requestTimeout;
    this.bodyTimeout = options.bodyTimeout ?? 900_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /** The full URL of an endpoint. */
  endpoint(path: string): string {
    return `${this.baseUrl}/${path.replace(/^\/+/, "")}`;
  }

  /**
   * Send a request; resolves with a 2xx answer, retries transient failures,
   * throws typed errors for the rest.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const start = Date.now();
    const budgetEnd = req.deadline ?? start + this.retryBudget;
    const retry = req.retry ?? true;
    let attempt = 0;
    for (;;) {
      attempt++;
      if (req.signal?.aborted) throw abortError(req.signal);
      if (req.deadline !== undefined && Date.now() >= req.deadline) throw deadlineError(req);
      try {
        const res = await this.#once(req, attempt);
        return res;
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        const now = Date.now();
        const exp = Math.min(this.backoffMax, this.backoffBase * 2 ** (attempt - 1));
        const delay = Math.round(exp / 2 + Math.random() * exp / 2);
        if (!retry || now + delay >= budgetEnd) {
          if (req.deadline !== undefined && now + delay >= req.deadline && retry) {
            throw new OdaError(
              "TIMEOUT",
              `Deadline reached while retrying ${req.path} after ${attempt} attempt(s): ${e.error.message}`,
              { url: e.error.url, status: e.error.status, cause: e.error },
            );
          }
          throw e.error;
        }
        const reason = e.error.message;
        log.warning(
          `transient failure on ${req.path} (${reason}); retrying in ${
            (delay / 1000).toFixed(1)
          } s (attempt ${attempt + 1})`,
          { event: "retry", attempt, delayMs: delay },
        );
        req.onRetry?.({ attempt, delayMs: delay, reason, error: e.error });
        await abortableSleep(delay, req.signal);
      }
    }
  }

  async #once(req: HttpRequest, attempt: number): Promise<HttpResponse> {
    const body = formEncode(req.params);
    let method: "GET" | "POST" = req.method === "GET" || req.method === "POST"
      ? req.method
      : payloadJsonLength(req.params) > MAX_GET_METHOD_SIZE
      ? "POST"
      : "GET";
    const base = this.endpoint(req.path);
    let target = method === "GET" && body ? `${base}?${body}` : base;
    let postBody: string | undefined = method === "POST" ? body : undefined;
    const withToken = req.params.some(([k]) => k === "token");
    // URLs (ours, and where redirects point) are shown without the token in any of its encodings
    const echo = echoRedactor(req.params);
    const hide = (u: string) => echo(redactSecrets(u));
    let safeUrl = hide(target);
    const remaining = req.deadline === undefined ? Infinity : req.deadline - Date.now();
    const ownTimeout = Math.max(1, Math.min(this.requestTimeout, remaining));
    // `ctrl` covers the wait for the answer's headers (all redirect hops); the body has its own limits
    // (readBodyChunks), which also cancel it on abort
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new OdaError("TIMEOUT", `request timed out after ${ownTimeout} ms`));
    }, Math.min(ownTimeout, MAX_TIMER_MS));
    const onUserAbort = () => ctrl.abort(req.signal!.reason);
    req.signal?.addEventListener("abort", onUserAbort, { once: true });
    let res: Response;
    try {
      let previous: URL | undefined;
      for (let hop = 0;; hop++) {
        const here = new URL(target);
        if (withToken) {
          const problem = tokenTransportProblem(here, previous);
          if (problem) {
            throw new TokenError(
              "TOKEN_INSECURE_TRANSPORT",
              `refusing to send your token: ${problem}${hop > 0 ? ` (redirect ${hop} of ${req.path})` : ""}`,
              { url: safeUrl },
            );
          }
        }
        try {
          res = await this.#fetch(target, {
            method,
            redirect: "manual",
            signal: ctrl.signal,
            ...(postBody !== undefined
              ? { headers: { "content-type": "application/x-www-form-urlencoded" }, body: postBody }
              : {}),
          });
        } catch (e) {
          // fetch errors name the URL, here possibly a redirect target holding the token encoded
          throw this.#classifyThrown(redactCause(e, 0, echo), req, timedOut, safeUrl);
        }
        const location = res.headers.get("location");
        if (!REDIRECT_STATUSES.has(res.status) || req.followRedirects === false || !location) break;
        await res.body?.cancel().catch(() => {});
        if (hop >= this.maxRedirects) {
          throw new DispatcherError(
            "TOO_MANY_REDIRECTS",
            `more than ${this.maxRedirects} redirects for ${req.path}; raise maxRedirects if this is expected`,
            { url: safeUrl, status: res.status, details: { location: hide(location) } },
          );
        }
        let next: URL;
        try {
          next = new URL(location, here);
        } catch (e) {
          throw new DispatcherError("UNEXPECTED_STATUS", `redirect to an invalid location`, {
            url: safeUrl,
            status: res.status,
            cause: e,
            details: { location: hide(location) },
          });
        }
        log.debug(`${req.path}: HTTP ${res.status} redirect to ${hide(next.href)}`);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          postBody = undefined;
        }
        previous = here;
        target = next.href;
        safeUrl = hide(target);
      }
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onUserAbort);
    }
    const limits: BodyLimits = {
      maxBytes: this.maxResponseBytes,
      idleTimeout: this.idleTimeout,
      bodyTimeout: this.bodyTimeout,
      deadline: req.deadline,
      signal: req.signal,
      url: safeUrl,
    };
    const ok = res.status >= 200 && res.status < 300;
    if (!ok) Object.assign(limits, { maxBytes: Math.min(limits.maxBytes, ERROR_BODY_BYTES), truncate: true });
    let text = "";
    let json: unknown;
    try {
      if (ok && req.decodeBody) json = await this.#decodeBody(req, res, limits, echo);
      else text = await readBodyText(res, limits);
    } catch (e) {
      if (req.signal?.aborted) throw abortError(req.signal);
      if (e instanceof OdaError && e.code === "TIMEOUT") {
        if (req.deadline !== undefined && Date.now() >= req.deadline - 1) throw deadlineError(req);
        throw new Transient(new OdaError("TIMEOUT", `${req.path}: ${e.message}`, { url: safeUrl }));
      }
      if (e instanceof OdaError) throw e;
      const safe = redactCause(e, 0, echo);
      throw new Transient(
        new DispatcherError("NETWORK", `connection error: ${errorMessage(safe)}`, {
          url: safeUrl,
          cause: safe,
        }),
      );
    }
    if (json !== undefined) {
      return { status: res.status, text, json, headers: res.headers, url: safeUrl, attempts: attempt };
    }
    // an error answer is always redacted (`redactEcho: false` is for a token endpoint's successful answer)
    if (req.redactEcho !== false || !ok) text = echo(text);
    if (ok) return { status: res.status, text, headers: res.headers, url: safeUrl, attempts: attempt };
    const location = res.headers.get("location");
    const err = errorForResponse(res.status, text, safeUrl, location === null ? null : hide(location));
    if (err.code === "DISPATCHER_UNAVAILABLE") throw new Transient(err);
    throw err;
  }

  /** A 2xx body through `req.decodeBody`; malformed JSON is `MALFORMED_RESPONSE` with the body's start. */
  async #decodeBody(
    req: HttpRequest,
    res: Response,
    limits: BodyLimits,
    echo: (s: string) => string,
  ): Promise<unknown> {
    const head = { bytes: new Uint8Array(1024), length: 0 };
    const redact = req.redactEcho !== false ? echo : (s: string) => s;
    // the declared length counts the bytes on the wire: with a content encoding (gzip) it says nothing of the
    // decoded body the decoder sees
    const declared = res.headers.get("content-encoding")
      ? NaN
      : Number(res.headers.get("content-length") ?? NaN);
    try {
      return await req.decodeBody!(keepHead(readBodyChunks(res, limits), head), {
        total: Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined,
        redact,
      });
    } catch (e) {
      if (!(e instanceof OdaError) || e.code !== "JSON") throw e;
      const text = redact(new TextDecoder().decode(head.bytes.subarray(0, head.length)));
      throw new DecodeError(
        "MALFORMED_RESPONSE",
        `The dispatcher's answer is not valid JSON (${errorMessage(e)}); it starts with: ${
          JSON.stringify(snippet(text, 200))
        }`,
        { url: limits.url, cause: e },
      );
    }
  }

  #classifyThrown(e: unknown, req: HttpRequest, timedOut: boolean, url: string): unknown {
    if (req.signal?.aborted) return abortError(req.signal);
    if (e instanceof OdaError && !(timedOut && e.code === "TIMEOUT")) return e;
    if (timedOut) {
      if (req.deadline !== undefined && Date.now() >= req.deadline - 1) return deadlineError(req);
      return new Transient(
        new OdaError("TIMEOUT", `request to ${req.path} timed out after ${this.requestTimeout} ms`, { url }),
      );
    }
    return new Transient(
      new DispatcherError("NETWORK", `connection error: ${errorMessage(e)}`, { url, cause: e }),
    );
  }
}

function deadlineError(req: HttpRequest): OdaError {
  return new OdaError("TIMEOUT", `Deadline reached before ${req.path} could complete`);
}
