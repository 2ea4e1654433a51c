/**
 * Deterministic fault injection for reliability tests: HTTP errors, slow
 * replies, connection resets, failing jobs and tokens expiring mid-job.
 *
 * @module
 */

/**
 * Fault configuration of a sandbox (all probabilities in [0, 1], decided from `seed`).
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({
 *   faults: { errorRate: 0.2, statuses: [502, 503], resetRate: 0.05, failJobs: 0.1, seed: 42 },
 * });
 * ```
 */
export interface FaultOptions {
  /** Probability that a request is answered with an HTTP error from `statuses`. */
  errorRate?: number;
  /** Error statuses to draw from (default `[500, 502, 503, 504]`). */
  statuses?: number[];
  /** Probability that a reply is delayed by `slowMs`. */
  slowRate?: number;
  /** Delay of a slow reply, ms (default 2000). */
  slowMs?: number;
  /** Probability that the connection is reset (the client's fetch fails with a network error). */
  resetRate?: number;
  /** Probability that a Real async job fails (decided per job id and attempt). */
  failJobs?: number;
  /**
   * Probability that the token used to submit a job is reported expired
   * (403, upstream message) by polls after half of the job's duration; a
   * refreshed token (another JWT) is accepted again.
   */
  expireTokenMidJob?: number;
  /** Which paths faults apply to (default: `/run_analysis` only). */
  paths?: string[];
  /** Seed of the fault sequence (default: the sandbox seed). */
  seed?: number | undefined;
}

/** What to do with one request. */
export interface FaultDecision {
  /** Answer with this HTTP status instead of handling the request. */
  status?: number | undefined;
  /** Delay the reply by this many ms. */
  delayMs?: number;
  /** Reset the connection. */
  reset?: boolean;
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic fault injector (a fixed sequence of decisions for a seed). */
export class FaultInjector {
  readonly #o: FaultOptions;
  readonly #rand: () => number;
  readonly #paths: Set<string>;
  /** Counters of injected faults. */
  readonly counts: { errors: number; slow: number; resets: number } = { errors: 0, slow: 0, resets: 0 };

  /** Create an injector. */
  constructor(o: FaultOptions, seed: number) {
    this.#o = o;
    this.#rand = mulberry32(o.seed ?? seed);
    this.#paths = new Set(o.paths ?? ["/run_analysis"]);
  }

  /** Decide the fate of one request. */
  decide(path: string): FaultDecision {
    if (!this.#paths.has(path)) return {};
    const o = this.#o;
    const d: FaultDecision = {};
    // always draw the same number of values so that the sequence only depends on the request count
    const r1 = this.#rand(), r2 = this.#rand(), r3 = this.#rand(), r4 = this.#rand();
    if (o.resetRate && r1 < o.resetRate) {
      d.reset = true;
      this.counts.resets++;
      return d;
    }
    if (o.errorRate && r2 < o.errorRate) {
      const st = o.statuses && o.statuses.length > 0 ? o.statuses : [500, 502, 503, 504];
      d.status = st[Math.floor(r4 * st.length)];
      this.counts.errors++;
    }
    if (o.slowRate && r3 < o.slowRate) {
      d.delayMs = o.slowMs ?? 2000;
      this.counts.slow++;
    }
    return d;
  }
}

/** Per-job decision from a hash in [0, 1): `rate` > value. */
export function jobFault(rate: number | undefined, h: number): boolean {
  return !!rate && (h % 1_000_003) / 1_000_003 < rate;
}
