// Every plot shows the data's window, in both renderers, and keeps its labels inside the picture.
//
// For each plot kind (light curve, decimated light curve, light curve with labelled layers, analysis overlay,
// spectrum, periodogram with every frequency and decimated, folded curve, the product thumbnail, a mosaic with
// contours on FITS pixel axes) the test computes the data's
// extent from the inputs itself — bin edges (time ± half-width, energy ± half-width, phase bins), error-bar
// ends, the overlay's band, thresholds and blocks — and checks that
//   1. every layer of the Vega-Lite spec has exactly that domain (no "nice" rounding, no forced zero),
//   2. vega-embed in headless Chromium resolves the x and y scales to it,
//   3. the static SVG (the PNG is rasterised from it) maps its tick values to pixels with the same domain,
//      to a quarter of a pixel;
// and that the text of every picture lies inside it: Vega legend labels and all other text within the
// rendered SVG (Chromium bounding boxes), static legend labels within the picture (inside legends within the
// plot area), measured no wider than the width the layout assumed (DejaVu Sans advances), and no ink in the
// PNGs' right-most pixel columns.
import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { foldLightCurve, LightCurve, lombScargle } from "../mod.ts";
import {
  lightCurveAnalysisPlot,
  LightCurvePlot,
  plotFoldedLightCurve,
  plotLightCurveAnalysis,
  plotMosaicContours,
  plotPeriodogram,
  type PlotView,
  spectrumBundle,
  svgToPng,
  type VegaLiteSpec,
} from "../display.ts";
import { textWidth } from "../lib/display/_text.ts";
import { testWithTool } from "./_validators.ts";
import { npmFile, runChromium } from "./_chromium.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/tests/out/plot_windows`;

type Domain = [number, number];
interface Case {
  /** The Vega-Lite spec (undefined: a static-only picture). */
  spec?: VegaLiteSpec;
  /** The static SVG the PNG is made from. */
  svg: string;
  png?: Uint8Array;
  /** The data's extent, computed here from the inputs (undefined: not an x/y plot). */
  want?: { x: Domain; y: Domain; xLog?: boolean; yLog?: boolean };
  /** The static legend is inside the plot area. */
  inside?: boolean;
}

let seed = 99;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());

function minMax(values: Iterable<number>): Domain {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v), hi = Math.max(hi, v);
  }
  return [lo, hi];
}
const union = (a: Domain, b: Domain): Domain => [Math.min(a[0], b[0]), Math.max(a[1], b[1])];

/** A light curve from 01:15 to 17:55 (10-min bins): a "nice" axis would run on to 18 or 20 h. */
function curve(n: number, binS: number, start: number): LightCurve {
  const time = Float64Array.from({ length: n }, (_, i) => start + (i + 0.5) * binS / 86400);
  const error = Float64Array.from({ length: n }, (_, i) => 2 + (i % 7) * 0.3);
  const rate = Float64Array.from(
    { length: n },
    (_, i) => 20 + 3 * gauss() + (i > n / 2 && i < n / 2 + 6 ? 25 : 0),
  );
  return new LightCurve({
    time,
    rate,
    error,
    halfWidth: new Float64Array(n).fill(binS / 2 / 86400),
    detnam: "ISGRI",
    name: "MAXI J1820+070",
    timeSystem: "TT",
    eMin: 30,
    eMax: 80,
  });
}

/** The light curve's own extent on the plot's axis: bin edges, error-bar ends. */
function curveExtent(plot: LightCurvePlot): { x: Domain; y: Domain } {
  const { time, rate, error, halfWidth } = plot.lc;
  const idx = [...time.keys()];
  return {
    x: minMax(idx.flatMap((i) => [time[i] - halfWidth[i], time[i] + halfWidth[i]]).map(plot.axis.toX)),
    y: minMax(idx.flatMap((i) => [rate[i] - error[i], rate[i] + error[i]])),
  };
}

async function bundleOf(view: PlotView): Promise<{ spec: VegaLiteSpec; png: Uint8Array; svg: string }> {
  const b = await view.bundle();
  return {
    spec: b["application/vnd.vegalite.v5+json"] as VegaLiteSpec,
    png: Uint8Array.from(atob(b["image/png"] as string), (c) => c.charCodeAt(0)),
    svg: (await view.svg())!,
  };
}

async function cases(): Promise<Record<string, Case>> {
  const out: Record<string, Case> = {};
  // a light curve whose data end at 17:55 (the issue: Vega-Lite showed an empty stretch to 20 h)
  const lc = curve(100, 600, 6650 + 1.25 / 24);
  const plain = new LightCurvePlot(lc);
  out.lightCurve = { spec: plain.spec(), svg: plain.svg(), want: curveExtent(plain) };

  // the product summary's thumbnail (bundles.ts draws it at 420 × 189): titles and axis titles still fit
  out.thumbnail = { svg: plain.svg({ width: 420, height: 189 }), want: curveExtent(plain) };

  // decimated: 6,000 bins of 20 s drawn as 600 columns; the window is still the bins' edges and error bars
  const long = curve(6000, 20, 6651.2);
  const dec = new LightCurvePlot(long);
  assert.ok(dec.envelope);
  out.decimated = { spec: dec.spec(), svg: dec.svg(), want: curveExtent(dec) };

  // extra labelled layers with long labels, legend below (the default) and inside
  const level = 24.5;
  const layers = [{
    vegaLite: {
      data: { values: [{ t: lc.time[0], t2: lc.time[99], level }] },
      mark: { type: "rule", color: "#d62728" },
      encoding: {
        x: { field: "x", type: "quantitative" },
        x2: { field: "x2" },
        y: { field: "level", type: "quantitative" },
      },
    },
    svg: {
      x: [],
      y: [],
      segments: { x0: [lc.time[0]], x1: [lc.time[99]], y: [level] },
      color: "#d62728",
      label: "a reference level with a label long enough to need two lines in a legend drawn inside the " +
        "plot area, and still a few words more so that it also wraps below the plot: " +
        "Wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww",
    },
  }, {
    svg: {
      x: [lc.time[10]],
      y: [95],
      color: "#2ca02c",
      label: "one marked bin far above the rest (rate 95)",
    },
  }];
  for (const legend of ["below", "inside"] as const) {
    const title = legend === "below"
      ? "ISGRI light curve of MAXI J1820+070 (IGR J18197+0705, ASASSN-18ey) in the 30-80 keV band, " +
        "revolutions 1931 to 1935, one flare"
      : undefined;
    const p = new LightCurvePlot(lc, { layers, legend, ...(title ? { title } : {}) });
    const own = curveExtent(p);
    out[`layers_${legend}`] = {
      spec: p.spec(),
      svg: p.svg(),
      want: { x: own.x, y: union(own.y, [level, 95]) },
      inside: legend === "inside",
    };
  }

  // the analysis overlay: the band, the threshold steps and the blocks are part of the window
  const view = plotLightCurveAnalysis(lc, { blocks: true });
  const a = await bundleOf(view);
  const { variability: v, thresholds, scatter, blocks } = lightCurveAnalysisPlot(lc, { blocks: true });
  const ownA = curveExtent(new LightCurvePlot(lc));
  out.analysis = {
    ...a,
    want: {
      x: ownA.x,
      y: [
        ownA.y,
        [v.weightedMean - 3 * scatter, v.weightedMean + 3 * scatter] as Domain,
        minMax(thresholds),
        minMax(
          blocks!.value,
        ),
      ].reduce(union),
    },
  };

  // the overlay on a decimated curve: lowest and highest threshold per column, the band, the bins' edges
  const longA = lightCurveAnalysisPlot(long);
  const ownL = curveExtent(new LightCurvePlot(long));
  out.analysisDecimated = {
    spec: longA.plot.spec(),
    svg: longA.plot.svg(),
    want: {
      x: ownL.x,
      y: [
        ownL.y,
        [
          longA.variability.weightedMean - 3 * longA.scatter,
          longA.variability.weightedMean + 3 * longA.scatter,
        ] as Domain,
        minMax(longA.thresholds),
      ].reduce(union),
    },
  };

  // a spectrum: channel edges on a log energy axis, error-bar ends on a log rate axis (no whole decades)
  const nc = 40;
  const eMin = Float64Array.from({ length: nc }, (_, i) => 20 * 1.08 ** i);
  const eMax = Float64Array.from({ length: nc }, (_, i) => 20 * 1.08 ** (i + 1));
  const energy = Float64Array.from({ length: nc }, (_, i) => (eMin[i] + eMax[i]) / 2);
  const ratePerKeV = Float64Array.from(energy, (e, i) => (i === 39 ? -0.001 : 3 * (e / 20) ** -2.1));
  const errorPerKeV = Float64Array.from(ratePerKeV, (r, i) => (i === 0 ? 5 : Math.abs(r) * 0.1)); // ch 0 reaches below 0
  const sb = await spectrumBundle({
    channel: Float64Array.from({ length: nc }, (_, i) => i),
    eMin,
    eMax,
    energy,
    rate: ratePerKeV,
    error: errorPerKeV,
    ratePerKeV,
    errorPerKeV,
    instrument: "ISGRI",
    name: "Crab",
  }, { svg: true });
  const kept = [...energy.keys()].filter((i) => ratePerKeV[i] > 0);
  // the channel a log axis cannot show is said to be missing, in both pictures
  const missing =
    "39 of 40 channels shown: 1 without a positive rate or an energy cannot be drawn on log axes";
  assert.deepEqual((sb["application/vnd.vegalite.v5+json"] as { title: unknown }).title, {
    text: "ISGRI spectrum of Crab",
    subtitle: missing,
  });
  assert.ok((sb["image/svg+xml"] as string).includes(`>${missing}</text>`), "the PNG says it too");
  // channel 0's error bar reaches below zero: the tooltip keeps the measured end, the bar runs off the log
  // scale to the axis's lower end, as the static picture draws it
  const sSpec = sb["application/vnd.vegalite.v5+json"] as {
    data: { values: { ylo: number }[] };
    layer: {
      transform?: { calculate: string }[];
      encoding: { y: { field: string; scale: { domain: Domain } } };
    }[];
  };
  assert.equal(Math.fround(sSpec.data.values[0].ylo), Math.fround(ratePerKeV[0] - errorPerKeV[0]));
  const bar = sSpec.layer.find((l) => l.encoding.y.field === "ylo_drawn");
  assert.ok(bar, "the y error bars are drawn from ylo_drawn");
  assert.equal(bar.transform![0].calculate, `datum.ylo > 0 ? datum.ylo : ${bar.encoding.y.scale.domain[0]}`);
  out.spectrum = {
    spec: sb["application/vnd.vegalite.v5+json"] as VegaLiteSpec,
    svg: sb["image/svg+xml"] as string,
    png: Uint8Array.from(atob(sb["image/png"] as string), (c) => c.charCodeAt(0)),
    want: {
      x: [eMin[kept[0]], eMax[kept[kept.length - 1]]],
      y: minMax(kept.flatMap((i) => {
        const lo = ratePerKeV[i] - errorPerKeV[i];
        return [lo > 0 ? lo : ratePerKeV[i], ratePerKeV[i] + errorPerKeV[i]];
      })),
      xLog: true,
      yLog: true,
    },
  };

  // periodograms: the frequencies searched, power from zero to the highest peak
  for (const [name, n] of [["periodogram", 200], ["periodogramDecimated", 3000]] as const) {
    const t = Array.from({ length: n }, (_, i) => 0.003 + i * 0.01);
    const ls = lombScargle(
      t,
      t.map((x) => Math.sin(2 * Math.PI * x / 0.3) + 0.3 * gauss()),
      t.map(() => 0.2),
    );
    const p = await bundleOf(plotPeriodogram(ls));
    out[name] = {
      ...p,
      want: { x: minMax(ls.frequency), y: [Math.min(0, ...ls.power), Math.max(...ls.power)] },
    };
  }

  // a folded curve: two cycles edge to edge, error-bar ends
  const t = Array.from({ length: 300 }, (_, i) => i * 0.01);
  const f = foldLightCurve({
    time: t,
    rate: t.map((x) => 5 + Math.cos(2 * Math.PI * x / 0.3) + 0.2 * gauss()),
    error: t.map(() => 0.2),
  }, 0.3);
  out.folded = {
    ...await bundleOf(plotFoldedLightCurve(f, { timeUnitSeconds: 1 })),
    want: {
      x: [0, 2],
      y: minMax([...f.rate.keys()].flatMap((k) => [f.rate[k] - f.error[k], f.rate[k] + f.error[k]])),
    },
  };

  // a mosaic with contours and a long colour-bar unit (static only)
  const nm = 48;
  const sig = Float32Array.from(
    { length: nm * nm },
    (_, k) => 30 * Math.exp(-(((k % nm) - 24) ** 2 + (Math.floor(k / nm) - 24) ** 2) / 30) + gauss(),
  );
  const mosaic = plotMosaicContours(sig, [nm, nm], {
    levels: [5, 10, 20],
    unit: "photons/cm2/s/keV (significance-weighted)",
    title: "ISGRI 28-40 keV significance",
  });
  const mb = await mosaic.bundle();
  out.contours = {
    svg: mb["image/svg+xml"] as string,
    png: Uint8Array.from(atob(mb["image/png"] as string), (c) => c.charCodeAt(0)),
    // without a WCS the axes are FITS pixels: the image spans 0.5 … n + 0.5
    want: { x: [0.5, nm + 0.5], y: [0.5, nm + 0.5] },
  };
  return out;
}

/** Every x/y scale domain written in a spec (layers and top-level encodings). */
function specDomains(spec: VegaLiteSpec, channel: "x" | "y"): unknown[] {
  const found: unknown[] = [];
  const walk = (node: Record<string, unknown>) => {
    const enc = node.encoding as Record<string, { scale?: { domain?: unknown } }> | undefined;
    if (enc?.[channel]) found.push(enc[channel].scale?.domain);
    for (const l of (node.layer as Record<string, unknown>[] | undefined) ?? []) walk(l);
  };
  walk(spec);
  return found;
}

/** The domain the static SVG draws: from its tick marks (pixel) and tick labels (value). */
function staticDomain(
  svg: string,
  log: { x?: boolean | undefined; y?: boolean | undefined },
): { x: Domain; y: Domain; px: Domain } {
  const frame =
    /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#374151"\/>/
      .exec(svg);
  assert.ok(frame, "plot area frame");
  const [ml, mt, pw, ph] = frame.slice(1).map(Number);
  const ticks = /<path d="((?:M[\d.]+ [\d.]+(?:v5|h-5))+)" stroke="#374151"\/>/.exec(svg);
  assert.ok(ticks, "tick marks");
  const xs = [...ticks[1].matchAll(/M([\d.]+) [\d.]+v5/g)].map((m) => Number(m[1]));
  const ys = [...ticks[1].matchAll(/M[\d.]+ ([\d.]+)h-5/g)].map((m) => Number(m[1]));
  const xLabels = [
    ...svg.matchAll(
      new RegExp(`<text x="[\\d.]+" y="${mt + ph + 17}" text-anchor="middle">([^<]+)</text>`, "g"),
    ),
  ]
    .map((m) => Number(m[1]));
  const yLabels = [
    ...svg.matchAll(new RegExp(`<text x="${ml - 8}" y="[\\d.]+" text-anchor="end">([^<]+)</text>`, "g")),
  ]
    .map((m) => Number(m[1]));
  assert.equal(xLabels.length, xs.length, "one label per x tick");
  assert.equal(yLabels.length, ys.length, "one label per y tick");
  assert.ok(xs.length >= 2 && ys.length >= 2, `at least two ticks per axis: ${xs.length}, ${ys.length}`);
  const solve = (vals: number[], pix: number[], p0: number, len: number, isLog: boolean, flip: boolean) => {
    const f = isLog ? Math.log10 : (v: number) => v;
    const a = 0, b = vals.length - 1;
    const slope = (f(vals[b]) - f(vals[a])) / (pix[b] - pix[a]); // value per pixel
    const start = flip ? p0 + len : p0;
    const end = flip ? p0 : p0 + len;
    const lo = f(vals[a]) + (start - pix[a]) * slope, hi = f(vals[a]) + (end - pix[a]) * slope;
    return (isLog ? [10 ** lo, 10 ** hi] : [lo, hi]) as Domain;
  };
  return {
    x: solve(xLabels, xs, ml, pw, !!log.x, false),
    y: solve(yLabels, ys, mt, ph, !!log.y, true),
    px: [pw, ph],
  };
}

/** Close within `tol` of the span (linear) or of the log span (log). */
function assertDomain(got: Domain, want: Domain, tol: number, log: boolean | undefined, what: string): void {
  const f = log ? Math.log10 : (v: number) => v;
  const span = f(want[1]) - f(want[0]);
  assert.ok(span > 0, `${what}: empty expected domain`);
  for (const k of [0, 1]) {
    assert.ok(
      Math.abs(f(got[k]) - f(want[k])) <= tol * span,
      `${what}: domain [${got}] vs the data's [${want}] (tolerance ${tol} of the span)`,
    );
  }
}

interface Box {
  text: string;
  legend: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
}
interface PageResult {
  problems: string[];
  vega: Record<string, { x: Domain; y: Domain; width: number; height: number; texts: Box[] }>;
  svgs: Record<string, { width: number; height: number; texts: Box[] }>;
}

testWithTool(
  "every plot's window is the data's extent in Vega-Lite (spec and resolved scales) and in the PNG; " +
    "legends and labels stay inside the picture",
  "chromium",
  async () => {
    const all = await cases();
    await Deno.mkdir(OUT, { recursive: true });
    const SPEC_TOL = 1e-9, PX = 0.25;
    // 1. the spec's domains; 3. the static picture's domain (from its ticks) — before any browser
    for (const [name, c] of Object.entries(all)) {
      if (!c.want || !c.spec) continue;
      for (const ch of ["x", "y"] as const) {
        const ds = specDomains(c.spec, ch);
        assert.ok(ds.length > 0, `${name}: layers encode ${ch}`);
        for (const d of ds) {
          assert.ok(Array.isArray(d), `${name}: every layer's ${ch} scale has an explicit domain`);
          assertDomain(d as Domain, c.want[ch], SPEC_TOL, c.want[`${ch}Log`], `${name} spec ${ch}`);
        }
      }
      // zoom and pan keep the marks inside the plot area (the periodogram's best-frequency marker, on the
      // top edge by construction, stays whole)
      const layers = (c.spec.layer as { mark?: { clip?: boolean } }[]).filter((l) => l.mark);
      const unclipped = layers.filter((l) => l.mark!.clip !== true).length;
      assert.equal(
        unclipped,
        name.startsWith("periodogram") ? 1 : 0,
        `${name}: ${unclipped} unclipped layers`,
      );
      const st = staticDomain(c.svg, { x: c.want.xLog, y: c.want.yLog });
      assertDomain(st.x, c.want.x, PX / st.px[0], c.want.xLog, `${name} static x`);
      assertDomain(st.y, c.want.y, PX / st.px[1], c.want.yLog, `${name} static y`);
    }

    // 2. + labels: one page, every Vega-Lite spec embedded, every static SVG inline
    const [vega, vegaLite, vegaEmbed] = await Promise.all([
      npmFile("vega", "build/vega.min.js"),
      npmFile("vega-lite", "build/vega-lite.min.js"),
      npmFile("vega-embed", "build/vega-embed.min.js"),
    ]);
    const specs = Object.fromEntries(
      Object.entries(all).filter(([, c]) => c.spec).map(([k, c]) => [k, c.spec]),
    );
    const page = `<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="file://${vega}"></script><script src="file://${vegaLite}"></script><script src="file://${vegaEmbed}"></script>
</head><body style="margin:8px;background:#fff">
${Object.keys(specs).map((k) => `<div id="vl_${k}"></div>`).join("\n")}
${Object.entries(all).map(([k, c]) => `<div id="svg_${k}">${c.svg}</div>`).join("\n")}
<pre id="result">pending</pre>
<script>
const problems = [];
window.addEventListener("error", (e) => problems.push("uncaught: " + e.message));
const logger = { _l: 0, level(l) { if (l !== undefined) this._l = l; return this._l; },
  warn: (...a) => problems.push("vega warn: " + a.join(" ")), error: (...a) => problems.push("vega error: " + a.join(" ")),
  info() {}, debug() {} };
function boxes(svg, legendSelector) {
  const r = svg.getBoundingClientRect();
  const legend = new Set(legendSelector ? svg.querySelectorAll(legendSelector) : []);
  return [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim()).map((t) => {
    const b = t.getBoundingClientRect();
    return { text: t.textContent, legend: legend.has(t), x: b.left - r.left, y: b.top - r.top, w: b.width, h: b.height };
  });
}
const specs = ${JSON.stringify(specs)};
(async () => {
  const vega = {}, svgs = {};
  for (const [id, spec] of Object.entries(specs)) {
    try {
      const r = await vegaEmbed("#vl_" + id, spec, { renderer: "svg", actions: false, logger, logLevel: 2 });
      const svg = document.querySelector("#vl_" + id + " svg");
      const b = svg.getBoundingClientRect();
      vega[id] = { x: r.view.scale("x").domain(), y: r.view.scale("y").domain(), width: b.width, height: b.height,
        texts: boxes(svg, ".role-legend-label text") };
    } catch (e) { problems.push(id + ": " + e); }
  }
  for (const div of document.querySelectorAll("[id^=svg_]")) {
    const svg = div.querySelector("svg");
    const b = svg.getBoundingClientRect();
    svgs[div.id.slice(4)] = { width: b.width, height: b.height, texts: boxes(svg, "text.legend") };
  }
  document.getElementById("result").textContent = "RESULT " + JSON.stringify({ problems, vega, svgs });
})();
</script></body></html>`;
    const html = `${OUT}/windows.html`;
    await Deno.writeTextFile(html, page);
    const dom = await runChromium([
      "--allow-file-access-from-files",
      "--window-size=900,700",
      "--virtual-time-budget=30000",
      "--dump-dom",
      `file://${html}`,
    ]);
    assert.equal(dom.code, 0, dom.stderr.slice(-2000));
    const m = dom.stdout.match(/RESULT (\{.*\})/);
    assert.ok(m, `no result in the page: ${dom.stdout.slice(-500)} ${dom.stderr.slice(-1500)}`);
    const result = JSON.parse(
      m[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"),
    ) as PageResult;
    assert.deepEqual(result.problems, [], "no warnings or errors from vega / vega-lite / vega-embed");

    const inside = (b: Box, w: number, h: number) =>
      b.x >= -0.5 && b.y >= -0.5 && b.x + b.w <= w + 0.5 && b.y + b.h <= h + 0.5;
    for (const [name, c] of Object.entries(all)) {
      if (c.spec) {
        const r = result.vega[name];
        assert.ok(r, `${name}: rendered by vega-embed`);
        // 2. the scales vega resolves are the data's extent
        if (c.want) {
          assertDomain(r.x, c.want.x, SPEC_TOL, c.want.xLog, `${name} vega x`);
          assertDomain(r.y, c.want.y, SPEC_TOL, c.want.yLog, `${name} vega y`);
        }
        for (const b of r.texts) {
          assert.ok(
            inside(b, r.width, r.height),
            `${name} (vega): "${b.text}" at ${JSON.stringify(b)} outside ${r.width}×${r.height}`,
          );
        }
      }
      // the static picture: every text inside it, legend labels no wider than the layout assumed
      const s = result.svgs[name];
      const size = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(c.svg)!.slice(1).map(Number);
      assert.deepEqual(
        [Math.round(s.width), Math.round(s.height)],
        size,
        `${name}: SVG laid out at its size`,
      );
      for (const b of s.texts) {
        assert.ok(
          inside(b, s.width, s.height),
          `${name} (static): "${b.text}" at ${JSON.stringify(b)} outside ${s.width}×${s.height}`,
        );
        if (b.legend) {
          assert.ok(
            b.w <= textWidth(b.text) + 0.5,
            `${name}: "${b.text}" measures ${b.w} px, laid out for ${textWidth(b.text)}`,
          );
        }
      }
      const legendTexts = s.texts.filter((b) => b.legend);
      if (c.inside) {
        const frame =
          /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#374151"\/>/
            .exec(c.svg)!.slice(1).map(Number);
        assert.ok(legendTexts.length >= 3, `${name}: the long label wraps (${legendTexts.length} lines)`);
        for (const b of legendTexts) {
          assert.ok(
            b.x >= frame[0] && b.x + b.w <= frame[0] + frame[2],
            `${name}: inside legend "${b.text}" within the plot area`,
          );
        }
      }
      // the PNG is that SVG rasterised: same size, and no ink in its right-most columns
      const png = c.png ?? (await svgToPng(c.svg))!;
      await Deno.writeFile(`${OUT}/${name}.png`, png);
      const img = decodePng(png);
      assert.deepEqual([img.width, img.height], size, `${name}: PNG size`);
      for (let y = 0; y < img.height; y++) {
        for (let x = img.width - 3; x < img.width; x++) {
          const i = (y * img.width + x) * img.channels;
          const lum = 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
          assert.ok(lum > 200, `${name}: ink at the PNG's right edge (${x}, ${y})`);
        }
      }
    }
    // the legends are where the layout says: below the plot in the PNG, inside when asked
    assert.ok(result.svgs.layers_below.texts.filter((b) => b.legend).every((b) => b.y > 340), "legend below");
    assert.ok(
      result.svgs.analysis.texts.filter((b) => b.legend).length >= 5,
      "the analysis legend names 5 elements",
    );
  },
  { sanitizeResources: false },
);
