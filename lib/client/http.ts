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
 * @module
 */
import {
  DecodeError,
  DispatcherError,
  errorMessage,
  OdaError,
  redactSecrets,
  TokenError,
  UnauthorizedError,
} from "../errors.ts";
import { getLogger } from "../log.ts";
import { parseJson } from "../codecs/json.ts";
import { formEncode, MAX_GET_METHOD_SIZE, payloadJsonLength } from "./params.ts";

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
 * import type { RetryInfo } from "@oda-hub/oda-api";
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
 * import { HttpClient } from "@oda-hub/oda-api";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011", requestTimeout: 10_000 });
 * ```
 */
export interface HttpClientOptions {
  /** Base URL of the dispatcher (no trailing slash needed). */
  baseUrl: string;
  /** `fetch` implementation; defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Own timeout of one request, in milliseconds. @default 60000 */
  requestTimeout?: number;
  /** Longest time spent retrying one request when the caller gave no deadline, in ms. @default 600000 */
  retryBudget?: number;
  /** First backoff delay in ms (doubled each attempt, full jitter). @default 250 */
  backoffBase?: number;
  /** Largest backoff delay in ms. @default 8000 */
  backoffMax?: number;
}

/**
 * One request to the dispatcher.
 *
 * @example
 * ```ts
 * import { HttpClient } from "@oda-hub/oda-api";
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
  /** Whether to follow redirects (not on `run_analysis`). @default true */
  followRedirects?: boolean;
  /** Cancels the request (and the retries) promptly. */
  signal?: AbortSignal;
  /** Absolute deadline (epoch ms) for the request including retries. */
  deadline?: number;
  /** Whether transient failures are retried. @default true */
  retry?: boolean;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Decode a 2xx body from its chunks as they arrive instead of reading it as text (the result is
   * {@linkcode HttpResponse.json}, `text` is then empty). A chunk is only valid until the next one is asked
   * for. `total` is the declared Content-Length, if any.
   */
  decodeBody?: (chunks: AsyncIterable<Uint8Array>, total: number | undefined) => Promise<unknown>;
}

/**
 * A successful (2xx) answer.
 *
 * @example
 * ```ts
 * import { HttpClient } from "@oda-hub/oda-api";
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
 * Sleep that ends early (rejecting) when `signal` aborts; leaves no timer behind.
 *
 * @example
 * ```ts
 * import { abortableSleep } from "@oda-hub/oda-api";
 * await abortableSleep(10);
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The error to raise for an aborted signal: its reason if that is an
 * `OdaError`, else an `ABORTED` error.
 *
 * @example
 * ```ts
 * import { abortError } from "./http.ts";
 * const c = new AbortController();
 * c.abort();
 * console.log(abortError(c.signal).code); // "ABORTED"
 * ```
 */
export function abortError(signal: AbortSignal): OdaError {
  const r = signal.reason;
  if (r instanceof OdaError) return r;
  return new OdaError("ABORTED", "The request was aborted" + (r instanceof Error ? `: ${r.message}` : ""), {
    cause: r,
  });
}

/**
 * Loopback hosts, to which a token may travel over plain http.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./http.ts";
 * isLoopbackHost("127.0.0.1"); // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * First characters of a body, secrets removed, for error messages.
 *
 * @example
 * ```ts
 * import { snippet } from "./http.ts";
 * snippet("x".repeat(1000), 10); // "xxxxxxxxxx…"
 * ```
 */
export function snippet(text: string, max = 300): string {
  const t = text.length > max ? text.slice(0, max) + "…" : text;
  return redactSecrets(t);
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/**
 * Parse a 200 JSON body (NaN/Infinity tolerant) or raise
 * `DecodeError("MALFORMED_RESPONSE")` with a snippet of what came back.
 *
 * @example
 * ```ts
 * import { parseResponseJson } from "@oda-hub/oda-api";
 * parseResponseJson('{"a": NaN}', "http://127.0.0.1/x");
 * ```
 */
export function parseResponseJson(text: string, url: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new DecodeError(
      "MALFORMED_RESPONSE",
      `The dispatcher's answer is not valid JSON (${errorMessage(e)}); it starts with: ${
        JSON.stringify(snippet(text, 200))
      }`,
      { url, cause: e },
    );
  }
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/**
 * Roles named as missing in a dispatcher 403 message (both the run_analysis
 * "lacking all of the following roles" list and the endpoint
 * "following roles are missing: a, b." form).
 *
 * @example
 * ```ts
 * import { parseMissingRoles } from "@oda-hub/oda-api";
 * parseMissingRoles("...but the following roles are missing: job manager."); // ["job manager"]
 * ```
 */
export function parseMissingRoles(message: string): string[] {
  const m1 = /following roles are missing:\s*([^\n]*)/i.exec(message);
  if (m1) return m1[1].replace(/\.\s*$/, "").split(",").map((s) => s.trim()).filter(Boolean);
  const idx = message.search(/lacking all of the following roles:/i);
  if (idx >= 0) {
    const roles: string[] = [];
    for (const line of message.slice(idx).split("\n").slice(1)) {
      const m = /^\s*-\s*([^:]+?)\s*(:|$)/.exec(line);
      if (!m) break;
      roles.push(m[1]);
    }
    return roles;
  }
  return [];
}

/**
 * Map a non-2xx dispatcher answer to a typed error with the server's words.
 *
 * @example
 * ```ts
 * import { errorForResponse } from "@oda-hub/oda-api";
 * const e = errorForResponse(500, '{"error_message": "boom"}', "http://127.0.0.1/run_analysis");
 * console.log(e.code); // "DISPATCHER_ERROR"
 * ```
 */
export function errorForResponse(
  status: number,
  text: string,
  url: string,
  location?: string | null,
): OdaError {
  const body = tryParse(text);
  const serverError = str(get(body, "error_message")) ?? str(get(body, "error"));
  if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
    const where = location ?? "(no Location header)";
    const base = url.replace(/\?.*$/, "");
    return new DispatcherError(
      "URL_REDIRECTED",
      `the service was moved${
        status === 301 || status === 308 ? " permanently" : ""
      }, please reinitialize DispatcherAPI with "${
        where.replace(/\?.*$/, "").replace(/\/run_analysis$/, "")
      }" (you asked for "${base.replace(/\/run_analysis$/, "")}")`,
      { status, url, details: { location: redactSecrets(where) } },
    );
  }
  if (status === 403) {
    const message = str(get(body, "exit_status", "message")) ?? serverError ??
      (body === undefined ? text.trim() : undefined) ?? `undecodable: ${snippet(text)}`;
    const debug = str(get(body, "exit_status", "debug_message")) ?? str(get(body, "debug_message"));
    if (/expired/i.test(message)) {
      return new TokenError(
        "TOKEN_EXPIRED",
        `${message} — the token has expired: refresh it or get a new one (https://www.astro.unige.ch/mmoda/)`,
        { status, url },
      );
    }
    const missing = parseMissingRoles(message);
    const full = debug && !message.includes(debug) ? `${message} (${debug})` : message;
    return new UnauthorizedError(full, {
      status,
      url,
      details: {
        ...(missing.length ? { missing_roles: missing } : {}),
        server_message: redactSecrets(message),
      },
    });
  }
  if (status === 400) {
    const message = serverError ?? (body === undefined ? text.trim() : snippet(text));
    if (/unable to find any record for/i.test(message)) {
      return new DispatcherError("JOB_NOT_FOUND", message, { status, url });
    }
    return new DispatcherError("REQUEST_NOT_UNDERSTOOD", `request not understood: ${message}`, {
      status,
      url,
      details: { error: str(get(body, "error")) },
    });
  }
  if (status === 500) {
    const message = serverError ?? str(get(body, "message")) ??
      (body === undefined && text.trim() ? snippet(text) : "[no error message reported]");
    return new DispatcherError("DISPATCHER_ERROR", `dispatcher error (HTTP 500): ${message}`, {
      status,
      url,
    });
  }
  if (status === 502 || status === 503 || status === 504) {
    return new DispatcherError("DISPATCHER_UNAVAILABLE", `dispatcher not available (HTTP ${status})`, {
      status,
      url,
    });
  }
  return new DispatcherError("UNEXPECTED_STATUS", `status: ${status}, raw: ${snippet(text)}`, {
    status,
    url,
  });
}

class Transient extends Error {
  constructor(readonly error: OdaError) {
    super(error.message);
  }
}

/**
 * Sends requests to one dispatcher with per-request timeouts, retries and
 * error mapping. Used by {@linkcode DispatcherAPI}; usable on its own.
 *
 * @example
 * ```ts
 * import { HttpClient } from "@oda-hub/oda-api";
 * const http = new HttpClient({ baseUrl: "http://127.0.0.1:8011" });
 * // const res = await http.request({ path: "instr-list", params: [] });
 * ```
 */
export class HttpClient {
  /** Base URL (no trailing slash). */
  readonly baseUrl: string;
  #fetch: FetchLike;
  /** Own timeout of one request, ms. */
  requestTimeout: number;
  /** Retry budget without a deadline, ms. */
  retryBudget: number;
  /** First backoff delay, ms. */
  backoffBase: number;
  /** Largest backoff delay, ms. */
  backoffMax: number;

  /** Create a client for one base URL. */
  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.requestTimeout = options.requestTimeout ?? 60_000;
    this.retryBudget = options.retryBudget ?? 600_000;
    this.backoffBase = options.backoffBase ?? 250;
    this.backoffMax = options.backoffMax ?? 8_000;
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

  async #once(req: HttpRequest, _attempt: number): Promise<HttpResponse> {
    const url = this.endpoint(req.path);
    const body = formEncode(req.params);
    const method = req.method === "GET" || req.method === "POST"
      ? req.method
      : payloadJsonLength(req.params) > MAX_GET_METHOD_SIZE
      ? "POST"
      : "GET";
    const fullUrl = method === "GET" && body ? `${url}?${body}` : url;
    const safeUrl = redactSecrets(fullUrl);
    const remaining = req.deadline === undefined ? Infinity : req.deadline - Date.now();
    const ownTimeout = Math.max(1, Math.min(this.requestTimeout, remaining));
    const ctrl = new AbortController();
    let timedOut = false;
    // The own timeout covers the wait for the answer's headers; while a (possibly
    // large) body streams in, it is an idle timeout re-armed by every chunk, so a
    // 100 MB product on a slow link is not cut, but a stalled transfer is.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort(new OdaError("TIMEOUT", `request timed out after ${ms} ms`));
      }, ms);
    };
    arm(ownTimeout);
    const onUserAbort = () => ctrl.abort(req.signal!.reason);
    req.signal?.addEventListener("abort", onUserAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await this.#fetch(fullUrl, {
          method,
          redirect: req.followRedirects === false ? "manual" : "follow",
          signal: ctrl.signal,
          headers: method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : undefined,
          body: method === "POST" ? body : undefined,
        });
      } catch (e) {
        throw this.#classifyThrown(e, req, timedOut, safeUrl);
      }
      const onChunk = () => {
        const left = req.deadline === undefined ? Infinity : req.deadline - Date.now();
        arm(Math.max(1, Math.min(this.requestTimeout, left)));
      };
      const ok = res.status >= 200 && res.status < 300;
      if (ok && req.decodeBody) {
        let json: unknown;
        const head = { bytes: new Uint8Array(1024), length: 0 }; // the start of the body, for error messages
        try {
          json = await req.decodeBody(
            keepHead(bodyChunks(res, ctrl.signal, onChunk), head),
            declaredLength(res),
          );
        } catch (e) {
          if (e instanceof OdaError && !(timedOut && e.code === "TIMEOUT") && !req.signal?.aborted) {
            if (e.code !== "JSON") throw e;
            const text = new TextDecoder().decode(head.bytes.subarray(0, head.length));
            throw new DecodeError(
              "MALFORMED_RESPONSE",
              `The dispatcher's answer is not valid JSON (${errorMessage(e)}); it starts with: ${
                JSON.stringify(snippet(text, 200))
              }`,
              { url: safeUrl, cause: e },
            );
          }
          throw this.#classifyThrown(e, req, timedOut, safeUrl);
        }
        return { status: res.status, text: "", json, headers: res.headers, url: safeUrl, attempts: _attempt };
      }
      let text: string;
      try {
        text = await readBody(res, ctrl.signal, onChunk);
      } catch (e) {
        throw this.#classifyThrown(e, req, timedOut, safeUrl);
      }
      if (ok) {
        return { status: res.status, text, headers: res.headers, url: safeUrl, attempts: _attempt };
      }
      const err = errorForResponse(res.status, text, safeUrl, res.headers.get("location"));
      if (err.code === "DISPATCHER_UNAVAILABLE") throw new Transient(err);
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onUserAbort);
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

function declaredLength(res: Response): number | undefined {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
}

/** Pass chunks on, copying the first bytes into `head`. */
async function* keepHead(
  chunks: AsyncIterable<Uint8Array>,
  head: { bytes: Uint8Array; length: number },
): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    if (head.length < head.bytes.length) {
      const k = Math.min(c.length, head.bytes.length - head.length);
      head.bytes.set(c.subarray(0, k), head.length);
      head.length += k;
    }
    yield c;
  }
}

/**
 * The body's chunks; every chunk re-arms the idle timeout; an abort cancels the body. Read into one reused
 * 64 KiB buffer when the body allows it (a "bytes" stream, as `fetch` gives): a 100 MB answer then leaves no
 * trail of chunk buffers for the garbage collector; a chunk is only valid until the next one is asked for.
 */
async function* bodyChunks(
  res: Response,
  signal: AbortSignal,
  onChunk: () => void,
): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  let byob: ReadableStreamBYOBReader | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
  try {
    reader = byob = res.body.getReader({ mode: "byob" });
  } catch {
    reader = res.body.getReader();
  }
  // fetch errors the body on abort; a body that does not (custom fetch) is cancelled here
  const onAbort = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  let buf = new ArrayBuffer(1 << 16);
  try {
    for (;;) {
      const { done, value } = byob
        ? await byob.read(new Uint8Array(buf))
        : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      if (signal.aborted) throw signal.reason;
      if (done || !value) break;
      if (byob) buf = value.buffer as ArrayBuffer;
      onChunk();
      yield value;
    }
    finished = true;
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!finished) reader.cancel().catch(() => {});
  }
}

async function readBody(res: Response, signal: AbortSignal, onChunk: () => void): Promise<string> {
  // Bytes are gathered into one buffer (sized from content-length when given, grown by doubling) and decoded
  // once: a 100 MB product then costs one buffer and one flat string, instead of thousands of per-chunk
  // strings joined into a rope that JSON.parse must flatten (a third full copy).
  const declared = declaredLength(res);
  let buf = new Uint8Array(declared ? Math.min(declared, 1 << 30) : 1 << 16);
  let n = 0;
  for await (const value of bodyChunks(res, signal, onChunk)) {
    if (n + value.length > buf.length) {
      const grown = new Uint8Array(Math.max(n + value.length, buf.length * 2));
      grown.set(buf.subarray(0, n));
      buf = grown;
    }
    buf.set(value, n);
    n += value.length;
  }
  return new TextDecoder().decode(buf.subarray(0, n));
}

function deadlineError(req: HttpRequest): OdaError {
  return new OdaError("TIMEOUT", `Deadline reached before ${req.path} could complete`);
}
