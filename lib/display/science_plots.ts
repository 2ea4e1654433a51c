/**
 * Plots of the science helpers: a light curve with its weighted mean, ±nσ
 * band, excess episodes and Bayesian blocks; a Lomb–Scargle periodogram; a
 * folded light curve. Each is a {@linkcode PlotView} (Vega-Lite for
 * JupyterLab, SVG and PNG for nbconvert), drawn from the numbers the
 * science functions return.
 *
 * @module
 */
import { type BayesianBlocks, bayesianBlocks } from "../science/bayesian_blocks.ts";
import type { FoldedLightCurve } from "../science/fold.ts";
import type { LombScargleResult } from "../science/lomb_scargle.ts";
import { type BinnedSeries, variability, type VariabilityResult } from "../science/variability.ts";
import { minMaxDecimate, takeIndices } from "./decimate.ts";
import { formatValue } from "./html.ts";
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { type PlotSeries, plotSvg, svgToPng } from "./render.ts";
import { errorBarSpec, VEGALITE_MIME, type VegaLiteSpec } from "./vegalite.ts";
import { PlotView, VEGALITE_MAX_POINTS } from "./views.ts";

const MEAN_COLOR = "#15803d";
const BAND_COLOR = "#06b6d4";
const EXCESS_COLOR = "#dc2626";
const BLOCK_COLOR = "#7c3aed";

/**
 * Options of {@linkcode plotLightCurveAnalysis}.
 *
 * @example
 * ```ts
 * import type { LightCurveAnalysisOptions } from "@oda-hub/oda-api/display";
 * const opts: LightCurveAnalysisOptions = { nSigma: 3, blocks: true, p0: 0.01 };
 * ```
 */
export interface LightCurveAnalysisOptions {
  /** Threshold of the excess episodes and half-width of the band in sample standard deviations (default 3). */
  nSigma?: number;
  /** A `variability` result to draw (default: computed with `nSigma`). */
  variability?: VariabilityResult;
  /** Bayesian blocks to draw as steps: a result, or `true` to compute them with `p0` (default: none). */
  blocks?: BayesianBlocks | boolean;
  /** False-alarm probability of computed blocks (default 0.05). */
  p0?: number;
  /** Plot title. */
  title?: string;
  /** x axis label (default `Time [IJD = MJD - 51544]`). */
  xLabel?: string;
  /** y axis label (default `Rate`). */
  yLabel?: string;
}

const r7 = (v: number) => Number(v.toPrecision(7));

async function finish(
  text: string,
  spec: VegaLiteSpec,
  series: PlotSeries[],
  labels: object,
): Promise<MimeBundle> {
  const svg = plotSvg(series, labels);
  const bundle: MimeBundle = { "text/plain": text, [VEGALITE_MIME]: spec, "image/svg+xml": svg };
  const png = await svgToPng(svg);
  if (png) bundle["image/png"] = mimeBase64(png);
  return bundle;
}

/** Step line through block edges: x = e0, e1, e1, e2, …; y = v0, v0, v1, v1, …. */
function steps(b: BayesianBlocks): { x: Float64Array; y: Float64Array } {
  const m = b.value.length;
  const x = new Float64Array(2 * m), y = new Float64Array(2 * m);
  for (let j = 0; j < m; j++) {
    x[2 * j] = b.edges[j];
    x[2 * j + 1] = b.edges[j + 1];
    y[2 * j] = y[2 * j + 1] = b.value[j];
  }
  return { x, y };
}

/**
 * A light curve with what `variability` (and optionally `bayesianBlocks`)
 * measured: the error-weighted mean (green line), the band weighted mean ±
 * nSigma × the sample standard deviation √S² (cyan, as oda_api's σ_d band),
 * the bins of the excess episodes (red) and the Bayesian blocks (purple
 * steps, each at its block's weighted mean).
 *
 * @example
 * ```ts
 * import { plotLightCurveAnalysis } from "@oda-hub/oda-api/display";
 * const rate = [10, 11, 9, 10, 18, 19, 10, 9, 11, 10];
 * const view = plotLightCurveAnalysis({ time: rate.map((_, i) => i), rate, error: rate.map(() => 1) }, { blocks: true });
 * const bundle = await view.bundle(); // text, Vega-Lite, SVG, PNG
 * ```
 */
export function plotLightCurveAnalysis(
  lc: BinnedSeries & { name?: string; detnam?: string },
  options: LightCurveAnalysisOptions = {},
): PlotView {
  const nSigma = options.nSigma ?? options.variability?.nSigma ?? 3;
  const v = options.variability ?? variability(lc, { nSigma });
  const blocks = options.blocks === true
    ? bayesianBlocks(lc.time, lc.rate, lc.error, { p0: options.p0 ?? 0.05 })
    : options.blocks || undefined;
  const title = options.title ??
    (lc.detnam || lc.name ? `${lc.detnam ?? ""} light curve of ${lc.name ?? ""}`.trim() : "Light curve");
  const labels = {
    title,
    xLabel: options.xLabel ?? "Time [IJD = MJD - 51544]",
    yLabel: options.yLabel ?? "Rate",
  };
  const text = `${title}: ${v.n} bins, weighted mean ${formatValue(v.weightedMean)} ± ${
    formatValue(v.weightedMeanError)
  }, χ²/dof ${formatValue(v.chi2)}/${v.dof} (p = ${v.chi2Probability.toExponential(2)}), Fvar ${
    v.fvar === null ? "undefined" : `${formatValue(v.fvar)} ± ${formatValue(v.fvarError!)}`
  }, ${v.episodes.length} excess episode(s) ≥ ${nSigma}σ${
    blocks ? `, ${blocks.value.length} Bayesian blocks` : ""
  }`;
  return new PlotView(text, async () => {
    const n = lc.time.length;
    const t0 = n ? Number(lc.time[0]) - Number(lc.halfWidth?.[0] ?? 0) : 0;
    const t1 = n ? Number(lc.time[n - 1]) + Number(lc.halfWidth?.[n - 1] ?? 0) : 1;
    const sd = Math.sqrt(v.sampleVariance);
    const lo = v.weightedMean - nSigma * sd, hi = v.weightedMean + nSigma * sd;
    const idx = minMaxDecimate(lc.rate, VEGALITE_MAX_POINTS, lc.error);
    const pick = (a?: ArrayLike<number>) => (a ? takeIndices(a, idx) : undefined);
    const spec = errorBarSpec(
      { x: pick(lc.time)!, y: pick(lc.rate)!, yerr: pick(lc.error), xerr: pick(lc.halfWidth) },
      labels,
    );
    const layer = spec.layer as Record<string, unknown>[];
    const q = (field: string) => ({ field, type: "quantitative" });
    layer.unshift({
      data: { values: [{ x: r7(t0), x2: r7(t1), lo: r7(lo), hi: r7(hi) }] },
      mark: { type: "rect", color: BAND_COLOR, opacity: 0.2 },
      encoding: { x: q("x"), x2: { field: "x2" }, y: q("lo"), y2: { field: "hi" } },
    });
    layer.push({
      data: { values: [{ x: r7(t0), y: r7(v.weightedMean) }, { x: r7(t1), y: r7(v.weightedMean) }] },
      mark: { type: "line", color: MEAN_COLOR, strokeWidth: 2 },
      encoding: { x: q("x"), y: q("y") },
    });
    const excess: { x: number[]; y: number[] } = { x: [], y: [] };
    for (const e of v.episodes) {
      for (let i = e.first; i <= e.last; i++) {
        excess.x.push(Number(lc.time[i]));
        excess.y.push(Number(lc.rate[i]));
      }
    }
    if (excess.x.length) {
      layer.push({
        data: { values: excess.x.map((x, i) => ({ x: r7(x), y: r7(excess.y[i]) })) },
        mark: { type: "point", shape: "cross", color: EXCESS_COLOR, size: 60, strokeWidth: 2 },
        encoding: { x: q("x"), y: q("y") },
      });
    }
    const series: PlotSeries[] = [
      { x: [t0, t1], y: [lo, lo], color: BAND_COLOR, line: true, points: false, label: `±${nSigma} sd` },
      { x: [t0, t1], y: [hi, hi], color: BAND_COLOR, line: true, points: false },
    ];
    const sIdx = minMaxDecimate(lc.rate, 1600, lc.error);
    series.push({
      x: takeIndices(lc.time, sIdx),
      y: takeIndices(lc.rate, sIdx),
      yerr: takeIndices(lc.error, sIdx),
      xerr: lc.halfWidth && takeIndices(lc.halfWidth, sIdx),
      color: "#111827",
      label: "light curve",
    });
    series.push({
      x: [t0, t1],
      y: [v.weightedMean, v.weightedMean],
      color: MEAN_COLOR,
      line: true,
      points: false,
      label: "weighted mean",
    });
    if (blocks) {
      const s = steps(blocks);
      layer.push({
        data: { values: Array.from(s.x, (x, i) => ({ x: r7(x), y: r7(s.y[i]) })) },
        mark: { type: "line", color: BLOCK_COLOR, strokeWidth: 2 },
        encoding: { x: q("x"), y: q("y") },
      });
      series.push({
        x: s.x,
        y: s.y,
        color: BLOCK_COLOR,
        line: true,
        points: false,
        label: "Bayesian blocks",
      });
    }
    if (excess.x.length) {
      series.push({ x: excess.x, y: excess.y, color: EXCESS_COLOR, label: "excess" });
    }
    return await finish(text, spec, series, labels);
  });
}

/**
 * A Lomb–Scargle periodogram: power against frequency (min/max decimated
 * so every peak stays), the best frequency marked, its period and Baluev
 * false-alarm probability in the title. `timeUnitSeconds` (default 86400:
 * times in days) turns the best period into seconds in the text.
 *
 * @example
 * ```ts
 * import { lombScargle } from "@oda-hub/oda-api";
 * import { plotPeriodogram } from "@oda-hub/oda-api/display";
 * const t = Array.from({ length: 200 }, (_, i) => i * 0.01);
 * const ls = lombScargle(t, t.map((x) => Math.sin(2 * Math.PI * x / 0.3)), t.map(() => 0.2));
 * const view = plotPeriodogram(ls);
 * ```
 */
export function plotPeriodogram(
  ls: LombScargleResult,
  options: { title?: string; timeUnitSeconds?: number; xLabel?: string } = {},
): PlotView {
  const unit = options.timeUnitSeconds ?? 86400;
  const periodS = ls.bestPeriod * unit;
  const title = options.title ??
    `Lomb–Scargle: best period ${formatValue(periodS)} s (FAP ${ls.falseAlarmProbability.toExponential(1)})`;
  const labels = {
    title,
    xLabel: options.xLabel ?? (unit === 86400 ? "Frequency [1/d]" : "Frequency"),
    yLabel: "Power (standard)",
  };
  const text = `${title}; ${ls.frequency.length} frequencies (${ls.method}), best power ${
    formatValue(ls.bestPower)
  } at ${formatValue(ls.bestFrequency)}`;
  return new PlotView(text, async () => {
    const idx = minMaxDecimate(ls.power, VEGALITE_MAX_POINTS);
    const x = takeIndices(ls.frequency, idx), y = takeIndices(ls.power, idx);
    const q = (field: string) => ({ field, type: "quantitative" });
    const spec: VegaLiteSpec = {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title,
      width: 640,
      height: 300,
      layer: [
        {
          data: { values: Array.from(x, (f, i) => ({ f: r7(f), p: r7(y[i]) })) },
          mark: { type: "line", color: "#111827", strokeWidth: 1 },
          encoding: {
            x: { ...q("f"), title: labels.xLabel, scale: { zero: false } },
            y: { ...q("p"), title: labels.yLabel },
          },
        },
        {
          data: { values: [{ f: r7(ls.bestFrequency), p: r7(ls.bestPower) }] },
          mark: { type: "point", color: EXCESS_COLOR, size: 80, filled: true },
          encoding: { x: q("f"), y: q("p"), tooltip: [{ ...q("f"), title: "frequency", format: ".7~g" }] },
        },
      ],
    };
    const sIdx = minMaxDecimate(ls.power, 1600);
    const series: PlotSeries[] = [
      {
        x: takeIndices(ls.frequency, sIdx),
        y: takeIndices(ls.power, sIdx),
        color: "#111827",
        line: true,
        points: false,
        label: "power",
      },
      { x: [ls.bestFrequency], y: [ls.bestPower], color: EXCESS_COLOR, label: "best" },
    ];
    return await finish(text, spec, series, labels);
  });
}

/**
 * A folded light curve over two cycles (phase 0–2), error bars per phase
 * bin.
 *
 * @example
 * ```ts
 * import { foldLightCurve } from "@oda-hub/oda-api";
 * import { plotFoldedLightCurve } from "@oda-hub/oda-api/display";
 * const t = Array.from({ length: 300 }, (_, i) => i * 0.013);
 * const f = foldLightCurve({ time: t, rate: t.map((x) => 5 + Math.cos(2 * Math.PI * x / 0.5)), error: t.map(() => 0.2) }, 0.5);
 * const view = plotFoldedLightCurve(f, { timeUnitSeconds: 1 });
 * ```
 */
export function plotFoldedLightCurve(
  f: FoldedLightCurve,
  options: { title?: string; timeUnitSeconds?: number; yLabel?: string } = {},
): PlotView {
  const unit = options.timeUnitSeconds ?? 86400;
  const title = options.title ?? `Folded at ${formatValue(f.period * unit)} s`;
  const labels = { title, xLabel: "Phase", yLabel: options.yLabel ?? "Rate" };
  const nb = f.phase.length;
  const x = new Float64Array(2 * nb), y = new Float64Array(2 * nb), e = new Float64Array(2 * nb);
  for (let c = 0; c < 2; c++) {
    for (let k = 0; k < nb; k++) {
      x[c * nb + k] = f.phase[k] + c;
      y[c * nb + k] = f.rate[k];
      e[c * nb + k] = f.error[k];
    }
  }
  const half = new Float64Array(2 * nb).fill(0.5 / nb);
  const text = `${title}: ${nb} phase bins, ${f.count.reduce((a, b) => a + b, 0)} light-curve bins`;
  return new PlotView(text, async () => {
    const spec = errorBarSpec({ x, y, yerr: e, xerr: half }, labels);
    return await finish(text, spec, [{ x, y, yerr: e, xerr: half, color: "#111827" }], labels);
  });
}
