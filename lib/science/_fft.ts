/**
 * In-place radix-2 complex FFT (private), split real/imaginary arrays.
 *
 * @module
 */

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
  if ((n & (n - 1)) !== 0) throw new Error("FFT size must be a power of two");
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
  for (let size = block << 1; size <= n; size <<= 1) butterflies(size, 0, n);
}

/** Smallest power of two ≥ n (n ≥ 1). */
export function bitCeil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
