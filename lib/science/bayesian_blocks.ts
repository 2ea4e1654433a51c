/**
 * Bayesian blocks for binned data with Gaussian errors (Scargle et al. 2013,
 * ApJ 764, 167, "measures" fitness), the optimal piecewise-constant
 * segmentation of a light curve.
 *
 * @module
 */
import { OdaError } from "../errors.ts";

/**
 * Options of {@linkcode bayesianBlocks}.
 *
 * @example
 * ```ts
 * import type { BayesianBlocksOptions } from "@oda-hub/oda-api/science";
 * const opts: BayesianBlocksOptions = { p0: 0.01 };
 * ```
 */
export interface BayesianBlocksOptions {
  /** False-alarm probability giving the prior on the number of change points (default 0.05). */
  p0?: number;
  /** Use this prior directly instead of the one from `p0`. */
  ncpPrior?: number;
}

/**
 * Result of {@linkcode bayesianBlocks}.
 *
 * @example
 * ```ts
 * import { bayesianBlocks } from "@oda-hub/oda-api/science";
 * const b = bayesianBlocks([0, 1, 2, 3], [1, 1, 5, 5], [0.1, 0.1, 0.1, 0.1]);
 * b.edges; // Float64Array [0, 1.5, 3]
 * ```
 */
export interface BayesianBlocks {
  /** Block edges (M + 1 values), as `astropy.stats.bayesian_blocks` returns them. */
  edges: Float64Array;
  /** Index of the first data point of each block (M values). */
  start: Int32Array;
  /** Error-weighted mean of each block (M values). */
  value: Float64Array;
  /** Error of each block's weighted mean (M values). */
  error: Float64Array;
  /** The prior on the number of change points that was used. */
  ncpPrior: number;
}

/**
 * The prior on the number of change points from a false-alarm probability
 * p0 and N points, `4 − ln(73.53 · p0 · N^−0.478)` (Scargle et al. 2013,
 * eq. 21 with its logarithm restored, as in astropy).
 *
 * @example
 * ```ts
 * import { ncpPriorFromP0 } from "@oda-hub/oda-api/science";
 * console.assert(Math.abs(ncpPriorFromP0(0.05, 100) - (4 - Math.log(73.53 * 0.05 * 100 ** -0.478))) < 1e-12);
 * ```
 */
export function ncpPriorFromP0(p0: number, n: number): number {
  return 4 - Math.log(73.53 * p0 * n ** -0.478);
}

/**
 * Bayesian blocks of binned measurements `x ± sigma` at times `t`
 * ("measures" fitness: for a block, aₖ = ½Σwᵢ, bₖ = −Σwᵢxᵢ, fitness bₖ²/(4aₖ),
 * w = 1/σ²), found by dynamic programming over all change points in O(N²).
 * Times must be strictly increasing. The change points equal those of
 * `astropy.stats.bayesian_blocks(t, x, sigma, fitness="measures", p0=p0)`:
 * the sums run in the same order, so ties resolve identically; the edges
 * are the first time, the midpoints between data, and the last time.
 *
 * @example
 * ```ts
 * import { bayesianBlocks } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 40 }, (_, i) => i);
 * const x = t.map((i) => (i >= 20 && i < 30 ? 5 : 1));
 * const b = bayesianBlocks(t, x, t.map(() => 0.2));
 * console.assert(b.edges.length === 4 && b.edges[1] === 19.5 && b.edges[2] === 29.5);
 * ```
 */
export function bayesianBlocks(
  t: ArrayLike<number>,
  x: ArrayLike<number>,
  sigma: ArrayLike<number> | number,
  options: BayesianBlocksOptions = {},
): BayesianBlocks {
  const n = t.length;
  if (n === 0) throw new OdaError("INVALID_ARGUMENT", "bayesianBlocks needs at least one point");
  if (x.length !== n) throw new OdaError("INVALID_ARGUMENT", "x must have the same length as t");
  const sig = (i: number) => (typeof sigma === "number" ? sigma : sigma[i]);
  if (typeof sigma !== "number" && sigma.length !== n) {
    throw new OdaError("INVALID_ARGUMENT", "sigma must have the same length as t");
  }
  const ak = new Float64Array(n);
  const bk = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && !(t[i] > t[i - 1])) throw new OdaError("INVALID_ARGUMENT", "t must be strictly increasing");
    const s = sig(i);
    if (!(s > 0) || !Number.isFinite(x[i])) {
      throw new OdaError("INVALID_ARGUMENT", `point ${i} has a non-finite value or a non-positive sigma`);
    }
    ak[i] = 1 / (s * s);
    bk[i] = x[i] / (s * s);
  }
  const ncpPrior = options.ncpPrior ?? ncpPriorFromP0(options.p0 ?? 0.05, n);
  const best = new Float64Array(n);
  const last = new Int32Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    // suffix sums over the candidate last block [i, r], accumulated from r downwards
    let sa = 0, sb = 0;
    for (let i = r; i >= 0; i--) {
      sa += ak[i];
      sb += bk[i];
      a[i] = sa;
      b[i] = sb;
    }
    let iMax = 0;
    let vMax = -Infinity;
    for (let i = 0; i <= r; i++) {
      const aa = 0.5 * a[i];
      const bb = -b[i];
      let v = (bb * bb) / (4 * aa) - ncpPrior;
      if (i > 0) v += best[i - 1];
      if (v > vMax || Number.isNaN(v) && !Number.isNaN(vMax)) {
        vMax = v;
        iMax = i;
      }
    }
    last[r] = iMax;
    best[r] = vMax;
  }
  // peel off the blocks from the end
  const starts: number[] = [];
  let ind = n;
  while (ind > 0) {
    ind = last[ind - 1];
    starts.push(ind);
  }
  starts.reverse();
  const m = starts.length;
  const edges = new Float64Array(m + 1);
  const edgeAt = (
    k: number,
  ) => (k === 0 ? Number(t[0]) : k === n ? Number(t[n - 1]) : 0.5 * (t[k] + t[k - 1]));
  const value = new Float64Array(m);
  const error = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    edges[j] = edgeAt(starts[j]);
    const end = j + 1 < m ? starts[j + 1] : n;
    let sw = 0, swx = 0;
    for (let i = starts[j]; i < end; i++) {
      sw += ak[i];
      swx += bk[i];
    }
    value[j] = swx / sw;
    error[j] = 1 / Math.sqrt(sw);
  }
  edges[m] = edgeAt(n);
  return { edges, start: Int32Array.from(starts), value, error, ncpPrior };
}
