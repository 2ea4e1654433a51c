/**
 * Cancellation helpers of the client: the error an aborted `AbortSignal`
 * stands for, a sleep that an abort cuts short, and the deadline of a
 * call's `timeout`.
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
 * The absolute deadline (`Date.now()` ms) of a call given `timeout` milliseconds from now: `undefined` for
 * none (`undefined` or `Infinity`). `OdaError("INVALID_ARGUMENT")` unless `timeout` is a number ≥ 0, as the
 * file readers and decoders say it (a `NaN` or negative timeout is a mistake, not a deadline in the past).
 *
 * @example
 * ```ts
 * import { deadlineAfter } from "./abort.ts";
 * import assert from "node:assert/strict";
 * assert.equal(deadlineAfter(undefined), undefined);
 * assert.equal(deadlineAfter(Infinity), undefined);
 * assert.ok(deadlineAfter(5000)! <= Date.now() + 5000);
 * assert.throws(() => deadlineAfter(-1), /timeout must be a number of milliseconds >= 0/);
 * ```
 */
export function deadlineAfter(timeout: number | undefined): number | undefined {
  checkTimeout(timeout);
  return timeout === undefined || timeout === Infinity ? undefined : Date.now() + timeout;
}

/**
 * `OdaError("INVALID_ARGUMENT")` unless `timeout` is `undefined` or a number of milliseconds ≥ 0.
 *
 * @example
 * ```ts
 * import { checkTimeout } from "./abort.ts";
 * checkTimeout(60_000);
 * ```
 */
export function checkTimeout(timeout: unknown): void {
  if (timeout !== undefined && !(typeof timeout === "number" && timeout >= 0)) {
    throw new OdaError("INVALID_ARGUMENT", "timeout must be a number of milliseconds >= 0");
  }
}
