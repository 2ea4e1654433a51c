/**
 * Plots of the science helpers: a light curve with its weighted mean, ±nσ
 * band, excess episodes and Bayesian blocks; a Lomb–Scargle periodogram; a
 * folded light curve. Each is a {@linkcode PlotView} (Vega-Lite for
 * JupyterLab, PNG for nbconvert), drawn from the numbers the science
 * functions return; the light-curve one is a `LightCurvePlot` with extra
 * layers (exact times, honest decimation).
 *
 * @module
 */
import { type BayesianBlocks, bayesianBlocks } from "../science/bayesian_blocks.ts";
import type { FoldedLightCurve } from "../science/fold.ts";
import type { LombScargleResult } from "../science/lomb_scargle.ts";
import { type BinnedSeries, variability, type VariabilityResult } from "../science/variability.ts";
import { LightCurve } from "../products/light_curve.ts";
import { envelopeColumns, shortestExact } from "./decimate.ts";
import { formatValue } from "./html.ts";
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { type PlotSeries, plotSvg, svgToPng } from "./render.ts";
import { errorBarSpec, VEGALITE_MIME, type VegaLiteSpec } from "./vegalite.ts";
import { PlotView } from "./plots.ts";
import {
  LC_COLUMNS,
  LC_POINT_BUDGET,
  lightCurveLabels,
  LightCurvePlot,
  type PlotLayer,
} from "./light_curve_plot.ts";

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
  /**
   * Threshold of the excess episodes and half-width of the band in sample standard deviations (default 3);
   * with `variability` given, that result's own `nSigma` is used.
   */
  nSigma?: number;
  /** A `variability` result to draw (default: computed with `nSigma`). */
  variability?: VariabilityResult;
  /** Bayesian blocks to draw as steps: a result, or `true` to compute them with `p0` (default: none). */
  blocks?: BayesianBlocks | boolean;
  /** False-alarm probability of computed blocks (default 0.05). */
  p0?: number;
  /** Plot title. */
  title?: string;
  /** y axis label (default `Rate`). */
  yLabel?: string;
}

async function finish(
  text: string,
  spec: VegaLiteSpec,
  series: PlotSeries[],
  labels: object,
): Promise<MimeBundle> {
  const svg = plotSvg(series, labels);
  const bundle: MimeBundle = { "text/plain": text, [VEGALITE_MIME]: spec };
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
  lc: BinnedSeries & { name?: string | undefined; detnam?: string | undefined },
  options: LightCurveAnalysisOptions = {},
): PlotView {
  // a given result was measured at its own threshold: band and title use that one
  const nSigma = options.variability?.nSigma ?? options.nSigma ?? 3;
  const v = options.variability ?? variability(lc, { nSigma });
  const blocks = options.blocks === true
    ? bayesianBlocks(lc.time, lc.rate, lc.error, { p0: options.p0 ?? 0.05 })
    : options.blocks || undefined;
  const curve = lc instanceof LightCurve ? lc : new LightCurve({
    time: lc.time,
    rate: lc.rate,
    error: lc.error,
    ...(lc.halfWidth ? { halfWidth: lc.halfWidth } : {}),
    ...(lc.name !== undefined ? { name: lc.name } : {}),
    ...(lc.detnam !== undefined ? { detnam: lc.detnam } : {}),
  });
  // the light-curve plot's own labels (title, rate with its energy band) unless the caller names them
  const defaults = lightCurveLabels(curve);
  const title = options.title ?? defaults.title;
  const labels = { title, yLabel: options.yLabel ?? defaults.yLabel };
  const text = `${title}: ${v.n} bins, weighted mean ${formatValue(v.weightedMean)} ± ${
    formatValue(v.weightedMeanError)
  }, χ²/dof ${formatValue(v.chi2)}/${v.dof} (p = ${v.chi2Probability.toExponential(2)}), Fvar ${
    v.fvar === null ? "undefined" : `${formatValue(v.fvar)} ± ${formatValue(v.fvarError!)}`
  }, ${v.episodes.length} excess episode(s) ≥ ${nSigma}σ${
    blocks ? `, ${blocks.value.length} Bayesian blocks` : ""
  }`;
  const n = curve.length;
  // the extra layers, times in IJD (the light-curve plot maps them to its axis)
  const t0 = n ? curve.time[0] - curve.halfWidth[0] : 0;
  const t1 = n ? curve.time[n - 1] + curve.halfWidth[n - 1] : 1;
  const sd = Math.sqrt(v.sampleVariance);
  const lo = v.weightedMean - nSigma * sd, hi = v.weightedMean + nSigma * sd;
  const q = (field: string) => ({ field, type: "quantitative" });
  const x = q("x"), x2 = { field: "x2" };
  const layers: PlotLayer[] = [
    {
      vegaLite: {
        data: { values: [{ t: t0, t2: t1, lo, hi }] },
        mark: { type: "rect", color: BAND_COLOR, opacity: 0.2 },
        encoding: { x, x2, y: q("lo"), y2: { field: "hi" } },
      },
      svg: {
        x: [],
        y: [],
        boxes: { x0: [t0], x1: [t1], y0: [lo], y1: [hi] },
        boxOpacity: 0.2,
        color: BAND_COLOR,
      },
    },
    {
      vegaLite: {
        data: { values: [{ t: t0, t2: t1, level: v.weightedMean }] },
        mark: { type: "rule", color: MEAN_COLOR, strokeWidth: 2 },
        encoding: { x, x2, y: q("level") },
      },
      svg: { x: [], y: [], segments: { x0: [t0], x1: [t1], y: [v.weightedMean] }, color: MEAN_COLOR },
    },
  ];
  if (blocks) {
    const st = steps(blocks);
    layers.push({
      vegaLite: {
        data: { values: Array.from(st.x, (t, i) => ({ t, y: st.y[i] })) },
        mark: { type: "line", color: BLOCK_COLOR, strokeWidth: 2 },
        encoding: { x, y: q("y") },
      },
      svg: { x: st.x, y: st.y, color: BLOCK_COLOR, line: true, points: false, label: "Bayesian blocks" },
    });
  }
  const excess: { t: number[]; y: number[] } = { t: [], y: [] };
  for (const e of v.episodes) {
    for (let i = e.first; i <= e.last; i++) {
      excess.t.push(Number(lc.time[i]));
      excess.y.push(Number(lc.rate[i]));
    }
  }
  if (excess.t.length) {
    layers.push({
      vegaLite: {
        data: { values: excess.t.map((t, i) => ({ t, y: shortestExact(excess.y[i]) })) },
        mark: { type: "point", shape: "cross", color: EXCESS_COLOR, size: 60, strokeWidth: 2 },
        encoding: { x, y: q("y") },
      },
      svg: { x: excess.t, y: excess.y, color: EXCESS_COLOR, label: "excess" },
    });
  }
  const plot = new LightCurvePlot(curve, { title, yLabel: labels.yLabel, layers });
  return new PlotView(text, async () => {
    const b = await plot.bundle();
    b["text/plain"] = `${text}\n${b["text/plain"]}`;
    return b;
  }, () => plot.svg());
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
    const q = (field: string) => ({ field, type: "quantitative" });
    const xEnc = { ...q("f"), title: labels.xLabel, scale: { zero: false } };
    const yEnc = { ...q("p"), title: labels.yLabel };
    const best = {
      data: { values: [{ f: ls.bestFrequency, p: ls.bestPower }] },
      mark: { type: "point", color: EXCESS_COLOR, size: 80, filled: true },
      encoding: { x: xEnc, y: yEnc, tooltip: [{ ...q("f"), title: "frequency", format: ".9~g" }] },
    };
    const zoom = { name: "zoom", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" };
    const series: PlotSeries[] = [];
    let curve: Record<string, unknown>, subtitle: string;
    if (ls.frequency.length > LC_POINT_BUDGET) {
      // honest decimation: the min–max of the power in each pixel column, every peak's height kept
      const env = envelopeColumns(ls.frequency, ls.power, { columns: LC_COLUMNS });
      subtitle = `${env.x0.length} of ${ls.frequency.length} frequencies shown (min–max per column)`;
      curve = {
        data: {
          values: Array.from(env.x0, (f, k) => ({ f, f2: env.x1[k], lo: env.min[k], p: env.max[k] })),
        },
        params: [zoom],
        mark: { type: "rect", color: "#111827", stroke: "#111827", strokeWidth: 1 },
        encoding: {
          x: xEnc,
          x2: { field: "f2" },
          y: { ...q("lo"), title: labels.yLabel },
          y2: { field: "p" },
        },
      };
      series.push({
        x: [],
        y: [],
        boxes: { x0: env.x0, x1: env.x1, y0: env.min, y1: env.max },
        boxOpacity: 1,
        color: "#111827",
      });
    } else {
      subtitle = `${ls.frequency.length} frequencies`;
      curve = {
        data: { values: Array.from(ls.frequency, (f, i) => ({ f, p: ls.power[i] })) },
        params: [zoom],
        mark: { type: "line", color: "#111827", strokeWidth: 1 },
        encoding: { x: xEnc, y: yEnc },
      };
      series.push({
        x: ls.frequency,
        y: ls.power,
        color: "#111827",
        line: true,
        points: false,
        label: "power",
      });
    }
    series.push({ x: [ls.bestFrequency], y: [ls.bestPower], color: EXCESS_COLOR, label: "best" });
    const spec: VegaLiteSpec = {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: { text: title, subtitle },
      width: 640,
      height: 300,
      layer: [curve, best],
    };
    return await finish(text, spec, series, { ...labels, subtitle });
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
