import { lightCurveBundle } from "../lib/display/views.ts";
const n = 100_000;
const time = Float64Array.from({ length: n }, (_, i) => 6263 + i * (10 / 86400));
const rate = Float64Array.from(
  { length: n },
  (_, i) => 100 + 20 * Math.sin(i / 3000) + ((i * 7919) % 97) / 10,
);
const error = new Float64Array(n).fill(3);
const lc = { time, rate, error, eMin: 30, eMax: 80, detnam: "ISGRI", name: "Crab" };
await lightCurveBundle(lc);
for (let i = 0; i < 6; i++) {
  let t = performance.now();
  await lightCurveBundle(lc);
  const a = performance.now() - t;
  t = performance.now();
  await lightCurveBundle(lc, { png: false });
  const b = performance.now() - t;
  console.log(`full ${a.toFixed(0)} nopng ${b.toFixed(0)}`);
}
