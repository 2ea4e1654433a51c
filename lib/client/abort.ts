/**
 * Cancellation helpers of the client: the error an aborted `AbortSignal`
 * stands for, and a sleep that an abort cuts short.
 *
 * @module
 */
import { OdaError } from "../errors.ts";

/**
 * Sleep that ends early (rejecting) when `signal` aborts; leaves no timer behind.
 *
 * @example
 * ```ts
 * import { abortableSleep } from "./abort.ts";
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
 * import { abortError } from "./abort.ts";
 * import assert from "node:assert/strict";
 * const c = new AbortController();
 * c.abort();
 * assert.equal(abortError(c.signal).code, "ABORTED");
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
 * The longest delay a timer holds: 2^31−1 ms (about 24.8 days); `setTimeout` fires a longer one (or
 * `Infinity`) after 1 ms. Timers of the client's limits are armed with at most this.
 *
 * @example
 * ```ts
 * import { MAX_TIMER_MS } from "./abort.ts";
 * const timer = setTimeout(() => {}, Math.min(Infinity, MAX_TIMER_MS));
 * clearTimeout(timer);
 * ```
 */
export const MAX_TIMER_MS: number = 2 ** 31 - 1;
