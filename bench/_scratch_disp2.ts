import { plotSvg, svgToPng } from "../lib/display/render.ts";
import { minMaxDecimate, takeIndices } from "../lib/display/decimate.ts";
const n = 100_000;
const time = Float64Array.from({ length: n }, (_, i) => 6263 + i * (10 / 86400));
const rate = Float64Array.from(
  { length: n },
  (_, i) => 100 + 20 * Math.sin(i / 3000) + ((i * 7919) % 97) / 10,
);
const error = new Float64Array(n).fill(3);
function svgOf(k: number) {
  const s = minMaxDecimate(rate, k, error);
  return plotSvg([{
    x: takeIndices(time, s),
    y: takeIndices(rate, s),
    yerr: takeIndices(error, s),
    color: "#111827",
  }], { title: "t", xLabel: "x", yLabel: "y" });
}
const base = svgOf(2600);
const variants: Record<string, string> = {
  base,
  noopacity: base.replace('stroke-opacity="0.55"', ""),
  k1300: svgOf(1300),
  noerr: base.replace(/<path d="[^"]*" stroke="#111827" stroke-opacity="0.55"[^>]*>/, ""),
  butt: base.replace('stroke-linecap="square"', 'stroke-linecap="butt"'),
};
await svgToPng(base);
for (let r = 0; r < 3; r++) {
  for (const [k, v] of Object.entries(variants)) {
    const t = performance.now();
    await svgToPng(v);
    console.log(k, (performance.now() - t).toFixed(0), v.length);
  }
}
