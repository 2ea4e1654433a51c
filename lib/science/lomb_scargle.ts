/**
 * Lomb–Scargle periodogram of an unevenly sampled light curve with errors
 * (the generalised, floating-mean form; "standard" normalisation), with the
 * frequency grid, methods and Baluev false-alarm probability of
 * `astropy.timeseries.LombScargle`.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { bitCeil, fftInversePlus } from "./_fft.ts";
import { logGammaHalfRatio } from "./_special.ts";
import type { BinnedSeries } from "./variability.ts";

/**
 * Options of {@linkcode lombScargle} (astropy's `autopower` keywords).
 *
 * @example
 * ```ts
 * import type { LombScargleOptions } from "@oda-hub/oda-api/science";
 * // periods between 100 s and 1000 s for times in days
 * const opts: LombScargleOptions = { minFrequency: 86400 / 1000, maxFrequency: 86400 / 100 };
 * ```
 */
export interface LombScargleOptions {
  /** Lowest frequency (1/unit of t); default half the grid step. */
  minFrequency?: number;
  /** Highest frequency; default `nyquistFactor` × the average Nyquist frequency ½N/baseline. */
  maxFrequency?: number;
  /** Grid points per peak width 1/baseline (default 5). */
  samplesPerPeak?: number;
  /** Multiple of the average Nyquist frequency used as the default maximum (default 5). */
  nyquistFactor?: number;
  /**
   * `"fast"`: Press & Rybicki (1989) extirpolation + FFT, O(N + Nf log Nf), the
   * algorithm of astropy's `method="fast"`; `"exact"`: direct sums, O(N·Nf), the
   * mathematics of astropy's `"slow"`/`"cython"`; `"auto"` (default): `"fast"`
   * above 200 frequencies, else `"exact"`, as astropy's `"auto"`.
   */
  method?: "auto" | "fast" | "exact";
}

/**
 * Result of {@linkcode lombScargle}.
 *
 * @example
 * ```ts
 * import { lombScargle } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 300 }, (_, i) => i * 0.37);
 * const y = t.map((x) => Math.sin((2 * Math.PI * x) / 7.5));
 * const ls = lombScargle(t, y, t.map(() => 0.1), { maxFrequency: 1 }); // below the Nyquist frequency 1.35
 * console.assert(Math.abs(ls.bestPeriod - 7.5) < 0.1);
 * ```
 */
export interface LombScargleResult {
  /** Frequencies, `fmin + df·k` (1/unit of t). */
  frequency: Float64Array;
  /** Standard-normalised power, 1 − χ²(sinusoid + mean)/χ²(mean), in [0, 1]. */
  power: Float64Array;
  /** The method used. */
  method: "fast" | "exact";
  /** Frequency of the highest power. */
  bestFrequency: number;
  /** 1/bestFrequency. */
  bestPeriod: number;
  /** Highest power. */
  bestPower: number;
  /** Baluev (2008) false-alarm probability of the highest power (astropy's default `"baluev"`). */
  falseAlarmProbability: number;
  /** The grid's last frequency, the `fmax` of the false-alarm probability. */
  maxFrequency: number;
}

interface Prepared {
  t: Float64Array;
  y: Float64Array;
  dy: Float64Array | null;
}

function prepare(t: ArrayLike<number>, y: ArrayLike<number>, dy?: ArrayLike<number> | null): Prepared {
  const n = t.length;
  if (y.length !== n || (dy && dy.length !== n)) {
    throw new OdaError("INVALID_ARGUMENT", "t, y (and dy) must have the same length");
  }
  if (n < 4) throw new OdaError("INVALID_ARGUMENT", "lombScargle needs at least 4 points");
  const tt = Float64Array.from(t);
  const yy = Float64Array.from(y);
  const ee = dy ? Float64Array.from(dy) : null;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(tt[i]) || !Number.isFinite(yy[i]) || (ee && !(ee[i] > 0 && ee[i] < Infinity))) {
      throw new OdaError("INVALID_ARGUMENT", `point ${i} has a non-finite value or a non-positive error`);
    }
  }
  return { t: tt, y: yy, dy: ee };
}

/**
 * The frequency grid of astropy's `LombScargle.autofrequency`: df =
 * 1/(samplesPerPeak·baseline), fmin = df/2 unless given, fmax =
 * nyquistFactor·½N/baseline unless given, Nf = 1 + round((fmax − fmin)/df)
 * frequencies fmin + df·k.
 *
 * @example
 * ```ts
 * import { autoFrequency } from "@oda-hub/oda-api/science";
 * const f = autoFrequency([0, 10], { samplesPerPeak: 5, nyquistFactor: 5 });
 * console.assert(f[0] === 0.01 && f.length === 25);
 * ```
 */
export function autoFrequency(t: ArrayLike<number>, options: LombScargleOptions = {}): Float64Array {
  let tmin = Infinity, tmax = -Infinity;
  for (let i = 0; i < t.length; i++) {
    if (t[i] < tmin) tmin = t[i];
    if (t[i] > tmax) tmax = t[i];
  }
  const baseline = tmax - tmin;
  if (!(baseline > 0)) throw new OdaError("INVALID_ARGUMENT", "the time baseline must be positive");
  const df = 1.0 / baseline / (options.samplesPerPeak ?? 5);
  const fmin = options.minFrequency ?? 0.5 * df;
  const fmax = options.maxFrequency ?? (options.nyquistFactor ?? 5) * (0.5 * t.length / baseline);
  // numpy rounds half to even
  const q = (fmax - fmin) / df;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 !== 0) r -= 1;
  const nf = 1 + r;
  if (!(nf >= 1) || nf > 2 ** 28) throw new OdaError("INVALID_ARGUMENT", `frequency grid of ${nf} points`);
  const f = new Float64Array(nf);
  for (let k = 0; k < nf; k++) f[k] = fmin + df * k;
  return f;
}

/** Normalised weights w = dy⁻² / Σdy⁻² (uniform without dy). */
function weights(p: Prepared): Float64Array {
  const n = p.t.length;
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    w[i] = p.dy ? p.dy[i] ** -2.0 : 1;
    s += w[i];
  }
  for (let i = 0; i < n; i++) w[i] /= s;
  return w;
}

/**
 * The normalised weights `w`, the weighted-mean-subtracted values `y`, `wy = w·y`, and the sums
 * `yy = Σ w·y²`, `ySum = Σ w·y` (both paths of the periodogram start from these).
 */
function centred(
  p: Prepared,
): { w: Float64Array; y: Float64Array; wy: Float64Array; yy: number; ySum: number } {
  const n = p.t.length;
  const w = weights(p);
  let ym = 0;
  for (let i = 0; i < n; i++) ym += w[i] * p.y[i];
  const y = new Float64Array(n);
  const wy = new Float64Array(n);
  let yy = 0, ySum = 0;
  for (let i = 0; i < n; i++) {
    y[i] = p.y[i] - ym;
    wy[i] = w[i] * y[i];
    yy += w[i] * y[i] * y[i];
    ySum += w[i] * y[i];
  }
  return { w, y, wy, yy, ySum };
}

/** Press & Rybicki extirpolation of (x, re + i·im) onto an n-point grid, Legendre weights of order m. */
function extirpolate(
  x: Float64Array,
  re: Float64Array,
  im: Float64Array | null,
  n: number,
  m: number,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const len = x.length;
  const rest: number[] = [];
  for (let i = 0; i < len; i++) {
    if (x[i] % 1 === 0) {
      outRe[x[i]] += re[i];
      if (im) outIm[x[i]] += im[i];
    } else rest.push(i);
  }
  const half = Math.floor(m / 2);
  const k = rest.length;
  const ilo = new Int32Array(k);
  const numRe = new Float64Array(k);
  const numIm = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const i = rest[j];
    const xi = x[i];
    const lo = Math.min(Math.max(Math.trunc(xi - half), 0), n - m);
    ilo[j] = lo;
    let prod = xi - lo - 0;
    for (let q = 1; q < m; q++) prod *= xi - lo - q;
    numRe[j] = re[i] * prod;
    numIm[j] = im ? im[i] * prod : 0;
  }
  let factorial = 1;
  for (let q = 2; q < m; q++) factorial *= q;
  let denominator = factorial;
  for (let q = 0; q < m; q++) {
    if (q > 0) denominator *= q / (q - m);
    for (let j = 0; j < k; j++) {
      const ind = ilo[j] + (m - 1 - q);
      const d = denominator * (x[rest[j]] - ind);
      outRe[ind] += numRe[j] / d;
      if (im) outIm[ind] += numIm[j] / d;
    }
  }
}

/**
 * Σ h·sin(2πft) and Σ h·cos(2πft) on the grid f = f0 + df·k, k < nf, by
 * extirpolation onto bitceil(5·nf) points (4 per point) and one FFT.
 */
function trigSum(
  t: Float64Array,
  h: Float64Array,
  f0: number,
  df: number,
  nf: number,
  freqFactor: number,
): { S: Float64Array; C: Float64Array } {
  df *= freqFactor;
  f0 *= freqFactor;
  const nfft = bitCeil(nf * 5);
  const n = t.length;
  let t0 = Infinity;
  for (let i = 0; i < n; i++) if (t[i] < t0) t0 = t[i];
  let hRe = h;
  let hIm: Float64Array | null = null;
  if (f0 > 0) {
    hRe = new Float64Array(n);
    hIm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = 2 * Math.PI * f0 * (t[i] - t0);
      hRe[i] = h[i] * Math.cos(a);
      hIm[i] = h[i] * Math.sin(a);
    }
  }
  const tnorm = new Float64Array(n);
  for (let i = 0; i < n; i++) tnorm[i] = ((t[i] - t0) * nfft * df) % nfft;
  const gRe = new Float64Array(nfft);
  const gIm = new Float64Array(nfft);
  extirpolate(tnorm, hRe, hIm, nfft, 4, gRe, gIm);
  fftInversePlus(gRe, gIm);
  const S = new Float64Array(nf);
  const C = new Float64Array(nf);
  for (let k = 0; k < nf; k++) {
    let re = gRe[k], im = gIm[k];
    if (t0 !== 0) {
      const a = 2 * Math.PI * t0 * (f0 + df * k);
      const c = Math.cos(a), s = Math.sin(a);
      const r2 = re * c - im * s;
      im = re * s + im * c;
      re = r2;
    }
    C[k] = re;
    S[k] = im;
  }
  return { S, C };
}

function powerFast(p: Prepared, f0: number, df: number, nf: number): Float64Array {
  const { t } = p;
  const { w, wy, yy } = centred(p);
  const { S: Sh, C: Ch } = trigSum(t, wy, f0, df, nf, 1);
  const { S: S2, C: C2 } = trigSum(t, w, f0, df, nf, 2);
  const { S, C } = trigSum(t, w, f0, df, nf, 1);
  const power = new Float64Array(nf);
  const rootHalf = Math.sqrt(0.5);
  for (let k = 0; k < nf; k++) {
    const tan2 = (S2[k] - 2 * S[k] * C[k]) / (C2[k] - (C[k] * C[k] - S[k] * S[k]));
    const root = Math.sqrt(1 + tan2 * tan2);
    const S2w = tan2 / root;
    const C2w = 1 / root;
    const Cw = rootHalf * Math.sqrt(1 + C2w);
    const Sw = rootHalf * Math.sign(S2w) * Math.sqrt(1 - C2w);
    const YC = Ch[k] * Cw + Sh[k] * Sw;
    const YS = Sh[k] * Cw - Ch[k] * Sw;
    const CC = 0.5 * (1 + C2[k] * C2w + S2[k] * S2w) - (C[k] * Cw + S[k] * Sw) ** 2;
    const SS = 0.5 * (1 - C2[k] * C2w - S2[k] * S2w) - (S[k] * Cw - C[k] * Sw) ** 2;
    power[k] = (YC * YC / CC + YS * YS / SS) / yy;
  }
  return power;
}

function powerExact(p: Prepared, frequency: Float64Array): Float64Array {
  const { t } = p;
  const n = t.length;
  const { w, y, yy, ySum } = centred(p);
  const power = new Float64Array(frequency.length);
  const sn = new Float64Array(n);
  const cs = new Float64Array(n);
  for (let k = 0; k < frequency.length; k++) {
    const omega = 2 * Math.PI * frequency[k];
    let S2 = 0, C2 = 0, S = 0, C = 0;
    for (let i = 0; i < n; i++) {
      const a = omega * t[i];
      const s = Math.sin(a), c = Math.cos(a);
      sn[i] = s;
      cs[i] = c;
      S2 += w[i] * s * c;
      C2 += w[i] * (0.5 - s * s);
      S += w[i] * s;
      C += w[i] * c;
    }
    S2 = 2 * S2 - 2 * S * C;
    C2 = 2 * C2 - (C * C - S * S);
    // rotate by ωτ: sin/cos(ωt − ωτ) from the angle-difference identities
    const half = 0.5 * Math.atan2(S2, C2);
    const ch = Math.cos(half), sh = Math.sin(half);
    let YC = 0, YS = 0, CC = 0, SS = 0, Ct = 0, St = 0;
    for (let i = 0; i < n; i++) {
      const c = cs[i] * ch + sn[i] * sh;
      const s = sn[i] * ch - cs[i] * sh;
      const wy = w[i] * y[i];
      YC += wy * c;
      YS += wy * s;
      CC += w[i] * c * c;
      SS += w[i] * s * s;
      Ct += w[i] * c;
      St += w[i] * s;
    }
    YC -= ySum * Ct;
    YS -= ySum * St;
    CC -= Ct * Ct;
    SS -= St * St;
    power[k] = (YC * YC / CC + YS * YS / SS) / yy;
  }
  return power;
}

/**
 * Baluev (2008) false-alarm probability of a standard-normalised
 * Lomb–Scargle peak `z` (astropy's `false_alarm_probability(method="baluev")`):
 * the alias-free Davies bound with the effective baseline √(4π·Var_w(t)) and
 * `fmax` the highest frequency searched.
 *
 * @example
 * ```ts
 * import { baluevFalseAlarmProbability } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 100 }, (_, i) => i);
 * const fap = baluevFalseAlarmProbability(0.3, t, null, 2.5);
 * console.assert(fap > 0 && fap < 1e-3);
 * ```
 */
export function baluevFalseAlarmProbability(
  z: number,
  t: ArrayLike<number>,
  dy: ArrayLike<number> | null | undefined,
  fmax: number,
): number {
  const n = t.length;
  const nh = n - 1;
  const nk = n - 3;
  // weighted variance of t, centred for accuracy
  let sw = 0, swt = 0;
  for (let i = 0; i < n; i++) {
    const w = dy ? dy[i] ** -2 : 1;
    sw += w;
    swt += w * t[i];
  }
  const tm = swt / sw;
  let sv = 0;
  for (let i = 0; i < n; i++) {
    const w = dy ? dy[i] ** -2 : 1;
    sv += w * (t[i] - tm) ** 2;
  }
  const teff = Math.sqrt(4 * Math.PI * (sv / sw));
  const W = fmax * teff;
  const gamma = Math.sqrt(2 / nh) * Math.exp(logGammaHalfRatio(nh / 2));
  const tau = gamma * W * (1 - z) ** (0.5 * (nk - 1)) * Math.sqrt(0.5 * nh * z);
  const fapSingle = (1 - z) ** (0.5 * nk);
  return -Math.expm1(-tau) + fapSingle * Math.exp(-tau);
}

/**
 * Lomb–Scargle periodogram with astropy's `autopower` grid
 * (`LombScargle(t, y, dy).autopower(...)`, standard normalisation, floating
 * mean), the best period and its Baluev false-alarm probability. Accepts a
 * {@linkcode BinnedSeries} (e.g. `lightCurve(product)`, times in days, so
 * frequencies are per day) or separate arrays.
 *
 * Agreement with astropy 5.2 on the same input and method (tested): `"fast"`
 * vs `method="fast"` and `"exact"` vs `method="slow"` to 1e-6 relative.
 * Complexity: `"fast"` O(N + Nf log Nf) with Nf ≈ 2.5·samplesPerPeak·nyquistFactor/5·N,
 * `"exact"` O(N·Nf).
 *
 * @example
 * ```ts
 * import { lombScargle } from "@oda-hub/oda-api/science";
 * const t = Array.from({ length: 500 }, (_, i) => i * 0.1 + 0.03 * Math.sin(i));
 * const y = t.map((x) => 10 + Math.sin(2 * Math.PI * x / 2.5));
 * const ls = lombScargle({ time: t, rate: y, error: t.map(() => 0.5) });
 * console.assert(Math.abs(ls.bestPeriod - 2.5) < 0.01 && ls.falseAlarmProbability < 1e-10);
 * ```
 */
export function lombScargle(lc: BinnedSeries, options?: LombScargleOptions): LombScargleResult;
/** Separate arrays: times, values and (optional) 1σ errors. */
export function lombScargle(
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  dy?: ArrayLike<number> | null,
  options?: LombScargleOptions,
): LombScargleResult;
export function lombScargle(
  a: BinnedSeries | ArrayLike<number>,
  b?: ArrayLike<number> | LombScargleOptions,
  c?: ArrayLike<number> | null,
  d?: LombScargleOptions,
): LombScargleResult {
  let p: Prepared;
  let options: LombScargleOptions;
  if ("rate" in a && "time" in a) {
    p = prepare(a.time, a.rate, a.error);
    options = (b as LombScargleOptions | undefined) ?? {};
  } else {
    p = prepare(a as ArrayLike<number>, b as ArrayLike<number>, c);
    options = d ?? {};
  }
  const frequency = autoFrequency(p.t, options);
  const nf = frequency.length;
  const choice = options.method ?? "auto";
  const method = choice === "auto" ? (nf > 200 ? "fast" : "exact") : choice;
  let power: Float64Array;
  if (method === "fast") {
    // astropy takes the step from the grid itself (a one-point grid uses f0)
    const df = nf > 1 ? frequency[1] - frequency[0] : frequency[0];
    power = powerFast(p, frequency[0], df, nf);
  } else power = powerExact(p, frequency);
  let best = 0;
  for (let k = 1; k < nf; k++) if (power[k] > power[best]) best = k;
  const maxFrequency = frequency[nf - 1];
  return {
    frequency,
    power,
    method,
    bestFrequency: frequency[best],
    bestPeriod: 1 / frequency[best],
    bestPower: power[best],
    falseAlarmProbability: baluevFalseAlarmProbability(power[best], p.t, p.dy, maxFrequency),
    maxFrequency,
  };
}
