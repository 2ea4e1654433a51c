/**
 * In-place radix-2 complex FFT (private), split real/imaginary arrays.
 *
 * @module
 */

import { OdaError } from "../errors.ts";

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const half = n >> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const a = (2 * Math.PI * k) / n;
      cos[k] = Math.cos(a);
      sin[k] = Math.sin(a);
    }
    t = { cos, sin };
    if (twiddleCache.size > 4) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

/**
 * Unnormalized transform with kernel exp(+2πi·jk/n) (numpy's `n · ifft`),
 * in place; `n` must be a power of two. O(n log n).
 */
export function fftInversePlus(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n <= 1) return;
  if ((n & (n - 1)) !== 0) throw new OdaError("INTERNAL", "FFT size must be a power of two");
  // bit reversal permutation
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let tmp = re[i];
      re[i] = re[j];
      re[j] = tmp;
      tmp = im[i];
      im[i] = im[j];
      im[j] = tmp;
    }
  }
  const { cos, sin } = twiddles(n);
  const butterflies = (size: number, from: number, to: number): void => {
    const half = size >> 1;
    const step = n / size;
    for (let start = from; start < to; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  };
  // the small stages block by block (each block stays in cache), then the large ones over the whole array
  const block = Math.min(n, 1 << 12);
  for (let from = 0; from < n; from += block) {
    for (let size = 2; size <= block; size <<= 1) butterflies(size, from, from + block);
  }
  // large stages two at a time (radix-2², one pass over memory per pair): stage `size` on (k, k+h) and
  // (k+2h, k+3h), then stage `2·size` on (k, k+2h) and (k+h, k+3h), h = size/2
  let size = block << 1;
  for (; size * 2 <= n; size <<= 2) {
    const h = size >> 1;
    const step1 = n / size, step2 = n / (2 * size);
    for (let base = 0; base < n; base += 2 * size) {
      for (let k = 0; k < h; k++) {
        const i0 = base + k, i1 = i0 + h, i2 = i1 + h, i3 = i2 + h;
        const w1r = cos[k * step1], w1i = sin[k * step1];
        // stage 1
        let xr = re[i1] * w1r - im[i1] * w1i, xi = re[i1] * w1i + im[i1] * w1r;
        const a0r = re[i0] + xr, a0i = im[i0] + xi, a1r = re[i0] - xr, a1i = im[i0] - xi;
        xr = re[i3] * w1r - im[i3] * w1i;
        xi = re[i3] * w1i + im[i3] * w1r;
        const a2r = re[i2] + xr, a2i = im[i2] + xi, a3r = re[i2] - xr, a3i = im[i2] - xi;
        // stage 2
        const wa = k * step2, wb = (k + h) * step2;
        const war = cos[wa], wai = sin[wa], wbr = cos[wb], wbi = sin[wb];
        xr = a2r * war - a2i * wai;
        xi = a2r * wai + a2i * war;
        re[i0] = a0r + xr;
        im[i0] = a0i + xi;
        re[i2] = a0r - xr;
        im[i2] = a0i - xi;
        xr = a3r * wbr - a3i * wbi;
        xi = a3r * wbi + a3i * wbr;
        re[i1] = a1r + xr;
        im[i1] = a1i + xi;
        re[i3] = a1r - xr;
        im[i3] = a1i - xi;
      }
    }
  }
  if (size <= n) butterflies(size, 0, n);
}

/** Smallest power of two ≥ n (n ≥ 1). */
export function bitCeil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
