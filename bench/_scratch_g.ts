import { gatherRowsInto } from "../lib/codecs/fits/bytes.ts";
const n = 1_000_000, rb = 20;
const src = new Uint8Array(n * rb + 2880); for (let i = 0; i < src.length; i++) src[i] = i * 31;
const cols = [[0, 8, 8], [8, 4, 4], [12, 4, 4], [16, 4, 4]];
function alt(src: Uint8Array, offset: number, rowBytes: number, r0: number, r1: number, width: number, size: number, out: Uint8Array) {
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
  const lead = src.byteOffset % 4;
  const a = new Uint32Array(src.buffer, src.byteOffset - lead, (src.byteLength + lead) >>> 2);
  const base = (offset + lead) >>> 2;
  const stride = rowBytes >>> 2;
  if (size === 4 && width === 4) {
    for (let r = r0, s = base + r0 * stride; r < r1; r++, s += stride) {
      const x = a[s];
      o32[r] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
    }
    return;
  }
  if (size === 8 && width === 8) {
    for (let r = r0, s = base + r0 * stride, o = 2 * r0; r < r1; r++, s += stride, o += 2) {
      const x = a[s], y = a[s + 1];
      o32[o] = (y << 24) | ((y & 0xff00) << 8) | ((y >>> 8) & 0xff00) | (y >>> 24);
      o32[o + 1] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
    }
    return;
  }
}
for (const [name, fn] of [["new", gatherRowsInto], ["alt", alt], ["new", gatherRowsInto]] as const) {
  const ts: number[] = [];
  for (let it = 0; it < 6; it++) {
    const outs = cols.map(([, w]) => new Uint8Array(n * w));
    const t = performance.now();
    const block = Math.floor(256 * 1024 / rb);
    for (let r0 = 0; r0 < n; r0 += block) {
      const r1 = Math.min(n, r0 + block);
      cols.forEach(([off, w, s], k) => fn(src, 2880 + off, rb, r0, r1, w, s, outs[k]));
    }
    ts.push(performance.now() - t);
  }
  console.log(name, ts.map((x) => x.toFixed(1)).join(" "));
}
