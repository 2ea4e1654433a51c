import { gatherRowsInto } from "../lib/codecs/fits/bytes.ts";
const n = 1_000_000, rb = 20;
const src = new Uint8Array(n * rb + 2880);
for (let i = 0; i < src.length; i++) src[i] = i * 31;
const cols = [[0, 8, 8], [8, 4, 4], [12, 4, 4], [16, 4, 4]];
const B = (x: number) => (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
function fusedGen(layout: number[][], stride: number) {
  // layout: [wordOffset, words]
  const lines: string[] = [];
  layout.forEach(([w, words], k) => {
    if (words === 1) {
      lines.push(
        `x = a[s + ${w}]; o${k}[r] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);`,
      );
    } else {lines.push(
        `x = a[s + ${w}]; y = a[s + ${
          w + 1
        }]; o${k}[2 * r] = (y << 24) | ((y & 0xff00) << 8) | ((y >>> 8) & 0xff00) | (y >>> 24); o${k}[2 * r + 1] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);`,
      );}
  });
  return new Function(
    "a",
    "base",
    "r0",
    "r1",
    ...layout.map((_, k) => `o${k}`),
    `let x = 0, y = 0; for (let r = r0, s = base + r0 * ${stride}; r < r1; r++, s += ${stride}) { ${
      lines.join(" ")
    } }`,
  );
}
const f = fusedGen([[0, 2], [2, 1], [3, 1], [4, 1]], 5);
for (const name of ["cur", "fused", "cur", "fused"]) {
  const ts: number[] = [];
  for (let it = 0; it < 6; it++) {
    const outs = cols.map(([, w]) => new Uint8Array(n * w));
    const t = performance.now();
    if (name === "cur") {
      const block = Math.floor(256 * 1024 / rb);
      for (let r0 = 0; r0 < n; r0 += block) {
        const r1 = Math.min(n, r0 + block);
        cols.forEach(([off, w, s], k) => gatherRowsInto(src, 2880 + off, rb, r0, r1, w, s, outs[k]));
      }
    } else {
      const a = new Uint32Array(src.buffer);
      f(a, 2880 / 4, 0, n, ...outs.map((o) => new Uint32Array(o.buffer)));
    }
    ts.push(performance.now() - t);
  }
  console.log(name, ts.map((x) => x.toFixed(1)).join(" "));
}
