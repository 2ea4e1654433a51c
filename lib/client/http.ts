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
import { parseJson } from "../data/json.ts";
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
  fetch?: FetchLike;
  /** Own timeout of one request, in milliseconds. @default 60000 */
  requestTimeout?: number;
  /** Longest time spent retrying one request when the caller gave no deadline, in ms. @default 600000 */
  retryBudget?: number;
  /** First backoff delay in ms (doubled each attempt, full jitter). @default 250 */
  backoffBase?: number;
  /** Largest backoff delay in ms. @default 8000 */
  backoffMax?: number;
  /** Longest silence while a response body streams in, in ms. @default requestTimeout */
  idleTimeout?: number;
  /** Longest time to receive one whole response body, in ms (drips end here). @default 900000 */
  bodyTimeout?: number;
  /** Largest response body accepted, in bytes (after HTTP gzip decoding). @default 524288000 (500 MiB) */
  maxResponseBytes?: number;
  /** Largest number of redirects followed for one request. @default 5 */
  maxRedirects?: number;
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
  signal?: AbortSignal;
  /** Absolute deadline (epoch ms) for the request including retries. */
  deadline?: number;
  /** Whether transient failures are retried. @default true */
  retry?: boolean;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Replace the request's own token, wherever the answer echoes it, by `<redacted token>` before the text
   * reaches anyone (`false` only for endpoints whose answer is a token). @default true
   */
  redactEcho?: boolean;
  /**
   * Decode a 2xx body from its chunks as they arrive instead of reading it as text: the result is
   * {@linkcode HttpResponse.json} (`text` is then empty). A chunk is only valid until the next one is asked
   * for. `total` is the declared Content-Length, if any; `redact` must be applied to every string of the
   * answer (it replaces echoes of the request's token, as is done to the text).
   */
  decodeBody?: (
    chunks: AsyncIterable<Uint8Array>,
    info: { total: number | undefined; redact: (s: string) => string },
  ) => Promise<unknown>;
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
 * Sleep that ends early (rejecting) when `signal` aborts; leaves no timer behind.
 *
 * @example
 * ```ts
 * import { abortableSleep } from "./http.ts";
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
 * import { parseResponseJson } from "./http.ts";
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
 * import { parseMissingRoles } from "./http.ts";
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
 * import { errorForResponse } from "./http.ts";
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
    const page = body === undefined ? htmlErrorLine(text) : undefined;
    const message = serverError ?? str(get(body, "message")) ?? page ??
      (body === undefined && text.trim() ? snippet(text) : "[no error message reported]");
    return new DispatcherError("DISPATCHER_ERROR", `dispatcher error (HTTP 500): ${message}`, {
      status,
      url,
      ...(page !== undefined ? { details: { page: snippet(text, 64 * 1024) } } : {}),
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

/**
 * Limits of {@linkcode readBodyChunks}.
 *
 * @example
 * ```ts
 * import type { BodyLimits } from "./http.ts";
 * const limits: BodyLimits = { maxBytes: 1 << 20, idleTimeout: 5_000, bodyTimeout: 60_000 };
 * ```
 */
export interface BodyLimits {
  /** Largest number of (decoded) bytes; more is a `RESPONSE_TOO_LARGE` error. */
  maxBytes: number;
  /** Longest silence between two chunks, in ms (`TIMEOUT`). */
  idleTimeout: number;
  /** Longest time for the whole body, in ms (`TIMEOUT`). */
  bodyTimeout: number;
  /** Absolute deadline (epoch ms): the idle and body timeouts never run past it. */
  deadline?: number;
  /** Cancels the read (and the transfer) promptly. */
  signal?: AbortSignal;
  /** URL for error messages (token removed). */
  url?: string;
  /** Stop quietly after `maxBytes` (the rest is cancelled) instead of raising `RESPONSE_TOO_LARGE`. */
  truncate?: boolean;
}

/**
 * How much of an error answer (non-2xx) is read: its message is at the start, and a huge error page is not
 * worth downloading (the rest is cancelled).
 *
 * @example
 * ```ts
 * import { ERROR_BODY_BYTES } from "./http.ts";
 * console.log(ERROR_BODY_BYTES); // 1048576
 * ```
 */
export const ERROR_BODY_BYTES = 1 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The one way this client reads a response body: chunks as they arrive, with
 * a byte cap (checked against `content-length` first, and counted on the
 * decoded bytes: a body still gzip-encoded by a custom `fetch` is decoded here
 * under the same cap), an idle timeout re-armed by every chunk, a total body
 * timeout, the caller's deadline and `AbortSignal`. Whenever it stops early
 * (error, abort, timeout, or the consumer leaving the loop) the body stream is
 * cancelled, so nothing keeps downloading in the background.
 *
 * Throws `OdaError` `TIMEOUT` (idle, body or deadline; `details.phase` tells
 * which), `DispatcherError` `RESPONSE_TOO_LARGE`, or the abort error of the
 * signal.
 *
 * @example
 * ```ts
 * import { readBodyChunks } from "./http.ts";
 * const res = new Response("[1, 2, 3]");
 * let n = 0;
 * for await (const chunk of readBodyChunks(res, { maxBytes: 1024, idleTimeout: 1000, bodyTimeout: 5000 })) {
 *   n += chunk.length;
 * }
 * console.log(n); // 9
 * ```
 */
export async function* readBodyChunks(res: Response, limits: BodyLimits): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const { signal, url } = limits;
  const tooLarge = (what: string) =>
    new DispatcherError(
      "RESPONSE_TOO_LARGE",
      `the answer is larger than ${limits.maxBytes} bytes (${what}); raise maxResponseBytes if it is expected`,
      { url, status: res.status, details: { maxBytes: limits.maxBytes } },
    );
  const declared = Number(res.headers.get("content-length") ?? NaN);
  const encoded = /\bgzip\b/i.test(res.headers.get("content-encoding") ?? "");
  if (Number.isSafeInteger(declared) && declared > limits.maxBytes && !encoded && !limits.truncate) {
    await res.body.cancel().catch(() => {});
    throw tooLarge(`content-length ${declared}`);
  }
  // Read into one reused 64 KiB buffer when the body allows it (a "bytes" stream, as `fetch` gives): a
  // 100 MB answer then leaves no trail of chunk buffers for the garbage collector. A yielded chunk is only
  // valid until the next one is asked for.
  let byob: ReadableStreamBYOBReader | undefined;
  if (!encoded) {
    try {
      byob = res.body.getReader({ mode: "byob" });
    } catch { /* not a byte stream */ }
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader = byob ??
    res.body.getReader();
  let spare = new ArrayBuffer(1 << 16);
  let stop: OdaError | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let total: ReturnType<typeof setTimeout> | undefined;
  const halt = (e: OdaError) => {
    if (stop) return;
    stop = e;
    reader.cancel(e).catch(() => {});
  };
  const left = () => limits.deadline === undefined ? Infinity : limits.deadline - Date.now();
  const timeout = (phase: "idle" | "body" | "deadline", ms: number) =>
    new OdaError(
      "TIMEOUT",
      phase === "idle"
        ? `no data for ${ms} ms while receiving the answer`
        : phase === "body"
        ? `the answer took longer than ${ms} ms to arrive`
        : "Deadline reached while receiving the answer",
      { url, details: { phase } },
    );
  const armIdle = () => {
    clearTimeout(idle);
    const rest = left();
    const ms = Math.max(1, Math.min(limits.idleTimeout, rest));
    idle = setTimeout(() => halt(timeout(rest <= limits.idleTimeout ? "deadline" : "idle", ms)), ms);
  };
  {
    const rest = left();
    const ms = Math.max(1, Math.min(limits.bodyTimeout, rest));
    total = setTimeout(() => halt(timeout(rest <= limits.bodyTimeout ? "deadline" : "body", ms)), ms);
  }
  const onAbort = () => halt(abortError(signal!));
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let n = 0;
  let first = true;
  try {
    armIdle();
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = byob
          ? await byob.read(new Uint8Array(spare))
          : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      } catch (e) {
        if (stop) throw stop;
        throw e;
      }
      if (stop) throw stop;
      if (r.done) break;
      armIdle();
      const value = r.value;
      if (byob) spare = value.buffer as ArrayBuffer;
      if (first) {
        first = false;
        if (encoded && value.length >= 2 && value[0] === GZIP_MAGIC[0] && value[1] === GZIP_MAGIC[1]) {
          // still gzip-encoded (fetch did not decode it): decode here, the cap counting decoded bytes
          const source = reader as ReadableStreamDefaultReader<Uint8Array>;
          const head = value;
          const raw: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(head);
            },
            async pull(c) {
              const x = await source.read();
              if (x.done) c.close();
              else c.enqueue(x.value);
            },
            cancel(reason) {
              return source.cancel(reason);
            },
          });
          reader = raw.pipeThrough(
            new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
          ).getReader();
          continue;
        }
      }
      n += value.length;
      if (n > limits.maxBytes) {
        if (limits.truncate) {
          const keep = value.length - (n - limits.maxBytes);
          if (keep > 0) yield value.subarray(0, keep);
          return; // `finally` cancels the rest
        }
        const e = tooLarge(`${n} bytes received so far`);
        halt(e);
        throw e;
      }
      yield value;
      if (stop) throw stop;
    }
  } catch (e) {
    if (!stop) reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    signal?.removeEventListener("abort", onAbort);
    if (!stop) reader.cancel().catch(() => {}); // consumer left early: stop the transfer
  }
}

/**
 * Read a whole body into one string with {@linkcode readBodyChunks}'s limits.
 * Bytes are gathered into one buffer (sized from `content-length` when given,
 * grown by doubling) and decoded once: a 100 MB product costs one buffer and
 * one flat string, not thousands of chunk strings that `JSON.parse` must
 * flatten.
 *
 * @example
 * ```ts
 * import { readBodyText } from "./http.ts";
 * const text = await readBodyText(new Response("[1]"), { maxBytes: 1024, idleTimeout: 1000, bodyTimeout: 5000 });
 * console.log(text); // "[1]"
 * ```
 */
export async function readBodyText(res: Response, limits: BodyLimits): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  let buf = new Uint8Array(
    Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, limits.maxBytes, 1 << 30) : 1 << 16,
  );
  let n = 0;
  for await (const value of readBodyChunks(res, limits)) {
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

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: " " };

/**
 * The one line that says what went wrong in a server's HTML error page: the
 * exception line of a Python traceback (Werkzeug debugger pages, tracebacks
 * printed in the page), else the page's heading and first paragraph;
 * `undefined` when the text is not HTML. At most 300 characters, secrets
 * removed.
 *
 * @example
 * ```ts
 * import { htmlErrorLine } from "./http.ts";
 * htmlErrorLine("<html><pre>Traceback (most recent call last):\n  File x\nKeyError: 'T1'</pre></html>"); // "KeyError: 'T1'"
 * ```
 */
export function htmlErrorLine(text: string): string | undefined {
  const head = text.slice(0, 1024).trimStart().toLowerCase();
  if (!head.startsWith("<!doctype html") && !head.startsWith("<html") && !/<(title|h1|body)\b/.test(head)) {
    return undefined;
  }
  const page = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  const plain = (html: string) =>
    html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ").replace(/<br\s*\/?>/gi, "\n").replace(
      /<[^>]*>/g,
      "",
    )
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
        if (e[0] === "#") {
          const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
        }
        return ENTITIES[e.toLowerCase()] ?? m;
      });
  const one = (t: string) => snippet(t.replace(/\s+/g, " ").trim(), 300);
  const lines = plain(page).split("\n").map((l) => l.trim()).filter(Boolean);
  const tb = lines.findLastIndex((l) => l.startsWith("Traceback (most recent call last)"));
  if (tb >= 0) {
    const exc = lines.slice(tb + 1).find((l) =>
      /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b/.test(l)
    );
    if (exc) return one(exc);
  }
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(page)?.[1];
  const debuggerTitle = title && /^(.*?)\s*\/\/\s*Werkzeug Debugger/i.exec(plain(title).trim());
  if (debuggerTitle && debuggerTitle[1]) return one(debuggerTitle[1]);
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(page)?.[1];
  const p = /<p[^>]*>([\s\S]*?)<\/p>/i.exec(page)?.[1];
  const parts = [h1 ?? title, p].filter((x): x is string => x !== undefined).map((x) => plain(x).trim());
  return parts.length ? one(parts.filter(Boolean).join(": ")) : undefined;
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
    let safeUrl = redactSecrets(target);
    const remaining = req.deadline === undefined ? Infinity : req.deadline - Date.now();
    const ownTimeout = Math.max(1, Math.min(this.requestTimeout, remaining));
    // `ctrl` covers the wait for the answer's headers (all redirect hops); the body has its own limits
    // (readBodyChunks), which also cancel it on abort
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new OdaError("TIMEOUT", `request timed out after ${ownTimeout} ms`));
    }, ownTimeout);
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
            headers: postBody !== undefined
              ? { "content-type": "application/x-www-form-urlencoded" }
              : undefined,
            body: postBody,
          });
        } catch (e) {
          throw this.#classifyThrown(e, req, timedOut, safeUrl);
        }
        const location = res.headers.get("location");
        if (!REDIRECT_STATUSES.has(res.status) || req.followRedirects === false || !location) break;
        await res.body?.cancel().catch(() => {});
        if (hop >= this.maxRedirects) {
          throw new DispatcherError(
            "TOO_MANY_REDIRECTS",
            `more than ${this.maxRedirects} redirects for ${req.path}; raise maxRedirects if this is expected`,
            { url: safeUrl, status: res.status, details: { location: redactSecrets(location) } },
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
            details: { location: redactSecrets(location) },
          });
        }
        log.debug(`${req.path}: HTTP ${res.status} redirect to ${redactSecrets(next.href)}`);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          postBody = undefined;
        }
        previous = here;
        target = next.href;
        safeUrl = redactSecrets(target);
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
      if (ok && req.decodeBody) json = await this.#decodeBody(req, res, limits);
      else text = await readBodyText(res, limits);
    } catch (e) {
      if (req.signal?.aborted) throw abortError(req.signal);
      if (e instanceof OdaError && e.code === "TIMEOUT") {
        if (req.deadline !== undefined && Date.now() >= req.deadline - 1) throw deadlineError(req);
        throw new Transient(new OdaError("TIMEOUT", `${req.path}: ${e.message}`, { url: safeUrl }));
      }
      if (e instanceof OdaError) throw e;
      throw new Transient(
        new DispatcherError("NETWORK", `connection error: ${errorMessage(e)}`, { url: safeUrl, cause: e }),
      );
    }
    if (json !== undefined) {
      return { status: res.status, text, json, headers: res.headers, url: safeUrl, attempts: attempt };
    }
    if (req.redactEcho !== false) text = redactEchoedTokens(text, req.params);
    if (ok) return { status: res.status, text, headers: res.headers, url: safeUrl, attempts: attempt };
    const err = errorForResponse(res.status, text, safeUrl, res.headers.get("location"));
    if (err.code === "DISPATCHER_UNAVAILABLE") throw new Transient(err);
    throw err;
  }

  /** A 2xx body through `req.decodeBody`; malformed JSON is `MALFORMED_RESPONSE` with the body's start. */
  async #decodeBody(req: HttpRequest, res: Response, limits: BodyLimits): Promise<unknown> {
    const head = { bytes: new Uint8Array(1024), length: 0 };
    const redact = req.redactEcho !== false
      ? (s: string) => redactEchoedTokens(s, req.params)
      : (s: string) => s;
    const declared = Number(res.headers.get("content-length") ?? NaN);
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

/**
 * The answer's text with every verbatim copy of the request's token(s)
 * replaced by `<redacted token>` (the dispatcher echoes the token in
 * `analysis_parameters` and `api_code`; a hostile one anywhere). Linear in the
 * text; the text is returned unchanged when there is nothing to replace.
 *
 * @example
 * ```ts
 * import { redactEchoedTokens } from "./http.ts";
 * redactEchoedTokens('{"token": "abc.def.ghi"}', [["token", "abc.def.ghi"]]); // '{"token": "<redacted token>"}'
 * ```
 */
export function redactEchoedTokens(text: string, params: ReadonlyArray<readonly [string, string]>): string {
  for (const [k, v] of params) {
    if (k !== "token" || v.length < 8 || !text.includes(v)) continue;
    text = text.split(v).join("<redacted token>");
  }
  return text;
}

/** Pass chunks on, copying the first bytes into `head` (for error messages). */
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

function deadlineError(req: HttpRequest): OdaError {
  return new OdaError("TIMEOUT", `Deadline reached before ${req.path} could complete`);
}
