/**
 * Reading a response body, bounded: a byte cap, an idle timeout between
 * chunks, a total body timeout, the caller's deadline and `AbortSignal`; the
 * stream is cancelled whenever reading stops early.
 *
 * @module
 */
import { DispatcherError, OdaError } from "../errors.ts";
import { abortError, MAX_TIMER_MS } from "./abort.ts";

/**
 * Limits of {@linkcode readBodyChunks}.
 *
 * @example
 * ```ts
 * import type { BodyLimits } from "./http_body.ts";
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
  deadline?: number | undefined;
  /** Cancels the read (and the transfer) promptly. */
  signal?: AbortSignal | undefined;
  /** URL for error messages (token removed). */
  url?: string | undefined;
  /** Stop quietly after `maxBytes` (the rest is cancelled) instead of raising `RESPONSE_TOO_LARGE`. */
  truncate?: boolean;
}

/**
 * How much of an error answer (non-2xx) is read: its message is at the start, and a huge error page is not
 * worth downloading (the rest is cancelled).
 *
 * @example
 * ```ts
 * import { ERROR_BODY_BYTES } from "./http_body.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ERROR_BODY_BYTES, 1048576);
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
 * import { readBodyChunks } from "./http_body.ts";
 * import assert from "node:assert/strict";
 * const res = new Response("[1, 2, 3]");
 * let n = 0;
 * for await (const chunk of readBodyChunks(res, { maxBytes: 1024, idleTimeout: 1000, bodyTimeout: 5000 })) {
 *   n += chunk.length;
 * }
 * assert.equal(n, 9);
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
    idle = setTimeout(
      () => halt(timeout(rest <= limits.idleTimeout ? "deadline" : "idle", ms)),
      Math.min(ms, MAX_TIMER_MS),
    );
  };
  {
    const rest = left();
    const ms = Math.max(1, Math.min(limits.bodyTimeout, rest));
    total = setTimeout(
      () => halt(timeout(rest <= limits.bodyTimeout ? "deadline" : "body", ms)),
      Math.min(ms, MAX_TIMER_MS),
    );
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
 * import { readBodyText } from "./http_body.ts";
 * import assert from "node:assert/strict";
 * const text = await readBodyText(new Response("[1]"), { maxBytes: 1024, idleTimeout: 1000, bodyTimeout: 5000 });
 * assert.equal(text, "[1]");
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

/** Pass chunks on, copying the first bytes into `head` (for error messages). */
export async function* keepHead(
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
