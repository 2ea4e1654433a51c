/**
 * Test helper (time): behavioural time bounds. A test may check that a deadline, timeout or abort the code
 * must honour really FIRED — never how fast something runs (speed targets live in `bench/`, as ratios
 * against a floor measured in the same run).
 *
 * A bound is relative to two timers the test configures: `firesMs`, the one that must end the operation, and
 * `fallbackMs`, the longer one the code would reach if it missed the first (the next poll, the request
 * timeout, the backoff, the end of a finite body). The operation must not end before `firesMs` (when it is
 * a deadline: the code really waited) and must end before the midpoint of the two: with a fallback far
 * above the timer, CPU load cannot fail the check, and a missed timer (a real regression) always does.
 *
 * @module
 */

/** How an operation ended and after how many ms. */
export interface Settled<T> {
  /** Its value, when it resolved. */
  value?: T;
  /** Its rejection, when it rejected. */
  error?: unknown;
  /** Whether it rejected. */
  rejected: boolean;
  /** Milliseconds from the call to the settlement. */
  ms: number;
}

/** Runs `op` and reports how it settled and after how long (it never throws). */
export async function settle<T>(op: () => Promise<T>): Promise<Settled<T>> {
  const t0 = performance.now();
  try {
    const value = await op();
    return { value, rejected: false, ms: performance.now() - t0 };
  } catch (error) {
    return { error, rejected: true, ms: performance.now() - t0 };
  }
}

/**
 * Asserts that an operation that took `ms` was ended by a timer of `firesMs` (0 for an abort fired by the
 * test itself), not by the `fallbackMs` one it would reach otherwise. Checks that the two are far apart
 * (the fallback at least 4× the timer plus 4 s), so the window (up to the midpoint) is generous.
 */
export function assertFired(
  what: string,
  ms: number,
  timers: { firesMs: number; fallbackMs: number; earliestMs?: number },
): void {
  const { firesMs, fallbackMs } = timers;
  if (!(fallbackMs >= 4 * firesMs + 4000)) {
    throw new Error(`${what}: the fallback (${fallbackMs} ms) is too close to the timer (${firesMs} ms)`);
  }
  const earliest = timers.earliestMs ?? firesMs;
  // timers never fire early; 20 ms for the clocks' granularity
  if (ms < earliest - 20) throw new Error(`${what}: ended after ${ms.toFixed(0)} ms, before ${earliest} ms`);
  const latest = (firesMs + fallbackMs) / 2;
  if (ms >= latest) {
    throw new Error(
      `${what}: ended after ${ms.toFixed(0)} ms, not by its ${firesMs} ms timer (limit ${latest} ms; ` +
        `the fallback is ${fallbackMs} ms)`,
    );
  }
}

/** What an attempt of {@linkcode growingTimer} returns when the machine was too slow for its timer. */
export const TOO_SLOW: unique symbol = Symbol("too slow");

/**
 * Runs `attempt(ms)` with a timer of `firstMs`, then 4× longer (at most `tries` attempts in all) while it
 * returns {@linkcode TOO_SLOW}: work the test does not control (opening a file, allocating its buffer,
 * getting a request to the server) took the whole timer under load, so the timer rightly fired before the
 * moment the test is about. An attempt may say so only on that evidence (it measured at least `ms` before
 * the point of interest); every other check holds on every attempt, and a regression fails each one. Too
 * slow on every attempt fails the test: it never passes without having seen the behaviour. Returns the
 * timer that worked.
 */
export async function growingTimer(
  what: string,
  firstMs: number,
  attempt: (ms: number) => Promise<void | typeof TOO_SLOW>,
  tries = 3,
): Promise<number> {
  let ms = firstMs;
  for (let i = 1;; i++, ms *= 4) {
    if ((await attempt(ms)) !== TOO_SLOW) return ms;
    if (i >= tries) {
      throw new Error(`${what}: the machine was too slow for the timer ${tries} times (last ${ms} ms)`);
    }
  }
}
