/**
 * Plots of the science helpers: a light curve with its weighted mean, the
 * per-bin excess threshold and the excess bins, oda_api's ±nσ_d band and
 * Bayesian blocks; a Lomb–Scargle periodogram; a
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
import {
  type BinnedSeries,
  excessThresholds,
  rateScatter,
  variability,
  type VariabilityResult,
} from "../science/variability.ts";
import { LightCurve } from "../products/light_curve.ts";
import { envelopeColumns, shortestExact } from "./decimate.ts";
import { formatValue } from "./html.ts";
import { mimeBase64, type MimeBundle } from "./jupyter.ts";
import { type PlotSeries, plotSvg, seriesExtent, svgToPng } from "./render.ts";
import { datumLegend, errorBarSpec, exactScale, VEGALITE_MIME, type VegaLiteSpec } from "./vegalite.ts";
import { PlotView } from "./plots.ts";
import { clipMarks } from "./_clip.ts";
import { vegaTitle } from "./_text.ts";
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
/** An × as a Vega symbol path (the PNG's marker), unit size. */
const CROSS = "M-1,-1L1,1M-1,1L1,-1";

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
   * Threshold of the excess bins in units of each bin's own error, and half-width of oda_api's band in
   * units of σ_d (default 3); with `variability` given, that result's own `nSigma` is used.
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

/**
 * A plot drawn both ways from one preparation (made once, on first use): the view's bundle (text,
 * Vega-Lite, PNG) and its static SVG.
 */
function dualView(text: string, prepare: () => { spec: VegaLiteSpec; svg: string }): PlotView {
  let made: { spec: VegaLiteSpec; svg: string } | undefined;
  const get = () => (made ??= prepare());
  return new PlotView(text, async (): Promise<MimeBundle> => {
    const { spec, svg } = get();
    const bundle: MimeBundle = { "text/plain": text, [VEGALITE_MIME]: spec };
    const png = await svgToPng(svg);
    if (png) bundle["image/png"] = mimeBase64(png);
    return bundle;
  }, () => get().svg);
}

/** Step line through block edges: x = e0, e1, e1, e2, …; y = v0, v0, v1, v1, …. */
function stepLine(b: BayesianBlocks): { x: Float64Array; y: Float64Array } {
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
 * What {@linkcode lightCurveAnalysisPlot} prepared: the plot (Vega-Lite spec, static series, SVG/PNG, all
 * from one set of rows), the numbers it draws and its caption.
 *
 * @example
 * ```ts
 * import { type LightCurveAnalysis, lightCurveAnalysisPlot } from "@oda-hub/oda-api/display";
 * const a: LightCurveAnalysis = lightCurveAnalysisPlot({ time: [0, 1, 2], rate: [1, 5, 1], error: [1, 1, 1] });
 * console.log(a.caption);
 * ```
 */
export interface LightCurveAnalysis {
  /** The plot: the light curve with the analysis layers. */
  plot: LightCurvePlot;
  /** The `variability` result drawn. */
  variability: VariabilityResult;
  /** The excess threshold of each bin (the light curve's order): weighted mean + nSigma × its own error. */
  thresholds: Float64Array;
  /** oda_api's σ_d: the standard deviation of the rates (N in the denominator). */
  scatter: number;
  /** The Bayesian blocks drawn, if any. */
  blocks?: BayesianBlocks | undefined;
  /** One line of numbers (n, mean, χ², Fvar, episodes, blocks). */
  text: string;
  /** What each drawn element shows and which rule it follows. */
  caption: string;
}

/** One step of the excess threshold: from `t` to `t2` (IJD), at `thr`. */
interface Step {
  t: number;
  t2: number;
  thr: number;
}

/** Joins consecutive steps at the same level that adjoin (within a millionth of a step's width). */
function mergeSteps(steps: Step[]): Step[] {
  const out: Step[] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    if (
      last && last.thr === s.thr && Math.abs(s.t - last.t2) <= 1e-6 * Math.max(last.t2 - last.t, s.t2 - s.t)
    ) {
      last.t2 = s.t2;
    } else out.push({ ...s });
  }
  return out;
}

/** Per-bin x extents of the threshold steps: the bin itself, or half-way to its neighbours without widths. */
function binCells(time: ArrayLike<number>, halfWidth: ArrayLike<number> | undefined): [number, number][] {
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a] - time[b]);
  const cells: [number, number][] = new Array(n);
  order.forEach((i, k) => {
    const hw = halfWidth ? Number(halfWidth[i]) : 0;
    if (hw > 0) {
      cells[i] = [time[i] - hw, time[i] + hw];
      return;
    }
    const prev = k > 0 ? time[order[k - 1]] : undefined, next = k < n - 1 ? time[order[k + 1]] : undefined;
    const left = prev !== undefined ? (time[i] - prev) / 2 : next !== undefined ? (next - time[i]) / 2 : 0.5;
    const right = next !== undefined ? (next - time[i]) / 2 : left;
    cells[i] = [time[i] - left, time[i] + right];
  });
  return cells;
}

/**
 * The light curve with what `variability` (and optionally `bayesianBlocks`) measured, each element named
 * in a legend with the rule it follows:
 *
 * - the error-weighted mean (green line);
 * - the excess threshold (red dashed steps): weighted mean + nSigma × each bin's OWN error σᵢ, the rule
 *   that decides an excess bin ({@linkcode excessThresholds}); bins at or above their step are the excess
 *   bins (red ×), every other bin is below its step;
 * - oda_api's band (cyan): weighted mean ± nSigma × σ_d, σ_d the standard deviation of the rates
 *   (`numpy.std`, {@linkcode rateScatter}), as `OdaLightCurve.build_fig` draws it. It shows the scatter and
 *   decides nothing: an excess bin may sit inside it, a bin outside it need not be an excess;
 * - the Bayesian blocks (purple steps, each at its block's weighted mean).
 *
 * Above the plot's point budget the curve is decimated, and so are the steps: the lowest and the highest
 * threshold of each pixel column.
 *
 * @example
 * ```ts
 * import { lightCurveAnalysisPlot } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const rate = [10, 11, 9, 10, 18, 19, 10, 9, 11, 10];
 * const a = lightCurveAnalysisPlot({ time: rate.map((_, i) => i), rate, error: rate.map(() => 1) });
 * assert.equal(a.thresholds[4], a.variability.weightedMean + 3); // rate 18 ≥ it: an excess bin
 * const spec = a.plot.spec(); // Vega-Lite, the same rows as a.plot.staticSeries()
 * ```
 */
export function lightCurveAnalysisPlot(
  lc: BinnedSeries & { name?: string | undefined; detnam?: string | undefined },
  options: LightCurveAnalysisOptions = {},
): LightCurveAnalysis {
  // a given result was measured at its own threshold: band, steps and title use that one
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
  const thresholds = excessThresholds(lc, v);
  const scatter = rateScatter(lc);
  // the light-curve plot's own labels (title, rate with its energy band) unless the caller names them
  const defaults = lightCurveLabels(curve);
  const title = options.title ?? defaults.title;
  const yLabel = options.yLabel ?? defaults.yLabel;
  const nExcess = v.episodes.reduce((a, e) => a + e.last - e.first + 1, 0);
  const text = `${title}: ${v.n} bins, weighted mean ${formatValue(v.weightedMean)} ± ${
    formatValue(v.weightedMeanError)
  }, χ²/dof ${formatValue(v.chi2)}/${v.dof} (p = ${v.chi2Probability.toExponential(2)}), Fvar ${
    v.fvar === null ? "undefined" : `${formatValue(v.fvar)} ± ${formatValue(v.fvarError!)}`
  }, ${v.episodes.length} excess episode(s) ≥ ${nSigma}σ${
    blocks ? `, ${blocks.value.length} Bayesian blocks` : ""
  }`;
  const n = thresholds.length;
  const decimated = n > LC_POINT_BUDGET;
  const label = {
    mean: `weighted mean ${formatValue(v.weightedMean)} ± ${formatValue(v.weightedMeanError)}`,
    threshold: `excess threshold: mean + ${nSigma}σᵢ, each bin's own error${
      decimated ? " (lowest and highest per column)" : ""
    }`,
    excess: `excess bins, rate ≥ their threshold: ${nExcess} in ${v.episodes.length} episode(s)`,
    band: `oda_api band: mean ± ${nSigma}σ_d, σ_d = rms scatter of the rates (decides nothing)`,
    blocks: `Bayesian blocks: ${blocks?.value.length ?? 0}`,
  };
  const caption = [
    `green line: ${label.mean} (error-weighted)`,
    `red dashed steps: the excess rule, bin by bin: weighted mean + ${nSigma} × the bin's own error σᵢ; ` +
    `red ×: the ${nExcess} bin(s) at or above their step (every other bin is below its step; ` +
    `the rule is one-sided: dips are not flagged)`,
    `cyan band: weighted mean ± ${nSigma} × σ_d = ${
      formatValue(scatter)
    } (standard deviation of the rates, ` +
    `as oda_api draws it); it describes the scatter and flags nothing`,
    ...(blocks ? [`purple steps: ${blocks.value.length} Bayesian blocks at their weighted means`] : []),
  ].join("\n");
  const t0 = n ? curve.time[0] - curve.halfWidth[0] : 0;
  const t1 = n ? curve.time[curve.length - 1] + curve.halfWidth[curve.length - 1] : 1;
  const lo = v.weightedMean - nSigma * scatter, hi = v.weightedMean + nSigma * scatter;
  const q = (field: string) => ({ field, type: "quantitative" });
  const x = q("x"), x2 = { field: "x2" };
  // one colour scale for every analysis layer: the Vega-Lite legend names each element as the PNG's does,
  // with a symbol of how it is drawn (band: square, lines: strokes, the threshold dashed, excess bins: ×)
  const entries: { name: string; color: string; shape: string; dash?: string }[] = [
    { name: label.band, color: BAND_COLOR, shape: "square" },
    { name: label.mean, color: MEAN_COLOR, shape: "stroke" },
    { name: label.threshold, color: EXCESS_COLOR, shape: "stroke", dash: "4,2" },
    ...(blocks ? [{ name: label.blocks, color: BLOCK_COLOR, shape: "stroke" }] : []),
    ...(nExcess ? [{ name: label.excess, color: EXCESS_COLOR, shape: CROSS }] : []),
  ];
  const color = datumLegend(entries);
  // the threshold steps: one row per bin (or the lowest and highest per pixel column when decimated)
  // (adjoining steps at the same level are one: fewer rows, and the dashes stay visible)
  let steps: Step[];
  if (decimated) {
    const env = envelopeColumns(curve.time, thresholds, { columns: LC_COLUMNS });
    const lowest: Step[] = [], highest: Step[] = [];
    for (let c = 0; c < env.x0.length; c++) {
      lowest.push({ t: env.x0[c], t2: env.x1[c], thr: env.min[c] });
      if (env.max[c] !== env.min[c]) highest.push({ t: env.x0[c], t2: env.x1[c], thr: env.max[c] });
    }
    steps = [...mergeSteps(lowest), ...mergeSteps(highest)];
  } else {
    steps = mergeSteps(
      binCells(lc.time, lc.halfWidth).map(([a, b], i) => ({ t: a, t2: b, thr: thresholds[i] })),
    );
  }
  const layers: PlotLayer[] = [
    {
      vegaLite: {
        data: { values: [{ t: t0, t2: t1, lo, hi }] },
        mark: { type: "rect", opacity: 0.2 },
        encoding: { x, x2, y: q("lo"), y2: { field: "hi" }, color: color(label.band) },
      },
      svg: {
        x: [],
        y: [],
        boxes: { x0: [t0], x1: [t1], y0: [lo], y1: [hi] },
        boxOpacity: 0.2,
        color: BAND_COLOR,
        label: label.band,
      },
    },
    {
      vegaLite: {
        data: { values: [{ t: t0, t2: t1, level: v.weightedMean }] },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: { x, x2, y: q("level"), color: color(label.mean) },
      },
      svg: {
        x: [],
        y: [],
        segments: { x0: [t0], x1: [t1], y: [v.weightedMean] },
        color: MEAN_COLOR,
        label: label.mean,
      },
    },
    {
      vegaLite: {
        data: { values: steps },
        mark: { type: "rule", strokeWidth: 1.5, strokeDash: [4, 2] },
        encoding: {
          x,
          x2,
          y: q("thr"),
          color: color(label.threshold),
          tooltip: [{ field: "thr", type: "quantitative", title: "excess threshold", format: ".7~g" }],
        },
      },
      svg: {
        x: [],
        y: [],
        segments: { x0: steps.map((r) => r.t), x1: steps.map((r) => r.t2), y: steps.map((r) => r.thr) },
        color: EXCESS_COLOR,
        dash: "4 2",
        label: label.threshold,
      },
    },
  ];
  if (blocks) {
    const st = stepLine(blocks);
    layers.push({
      vegaLite: {
        data: { values: Array.from(st.x, (t, i) => ({ t, y: st.y[i] })) },
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y: q("y"), color: color(label.blocks) },
      },
      svg: { x: st.x, y: st.y, color: BLOCK_COLOR, line: true, points: false, label: label.blocks },
    });
  }
  const excess: { t: number; y: number }[] = [];
  for (const e of v.episodes) {
    for (let i = e.first; i <= e.last; i++) excess.push({ t: Number(lc.time[i]), y: Number(lc.rate[i]) });
  }
  if (excess.length) {
    layers.push({
      vegaLite: {
        data: { values: excess.map((r) => ({ t: r.t, y: shortestExact(r.y) })) },
        mark: { type: "point", shape: CROSS, size: 60, strokeWidth: 2, filled: false },
        encoding: { x, y: q("y"), color: color(label.excess) },
      },
      svg: {
        x: excess.map((r) => r.t),
        y: excess.map((r) => r.y),
        color: EXCESS_COLOR,
        marker: "cross",
        label: label.excess,
      },
    });
  }
  const plot = new LightCurvePlot(curve, { title, yLabel, layers, legend: "below" });
  return { plot, variability: v, thresholds, scatter, blocks, text, caption };
}

/**
 * A light curve with what `variability` (and optionally `bayesianBlocks`)
 * measured, as {@linkcode lightCurveAnalysisPlot} draws it (weighted mean,
 * the per-bin excess threshold and the excess bins it flags, oda_api's ±nσ_d
 * band, Bayesian blocks), each element named in the legend with its rule;
 * the text form adds the numbers and the caption.
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
  const a = lightCurveAnalysisPlot(lc, options);
  const text = `${a.text}\n${a.caption}`;
  return new PlotView(text, async () => {
    const b = await a.plot.bundle();
    b["text/plain"] = `${text}\n${b["text/plain"]}`;
    return b;
  }, () => a.plot.svg());
}

/** The unit of frequencies when times are in units of `seconds` s: 1/d, 1/h, 1/s or 1/(N s). */
function frequencyUnit(seconds: number): string {
  const named: Record<number, string> = { 86400: "1/d", 3600: "1/h", 60: "1/min", 1: "1/s" };
  return named[seconds] ?? `1/(${formatValue(seconds)} s)`;
}

/** A false-alarm probability for a title; one that underflowed to 0 is said to be below the smallest double. */
function fapText(p: number): string {
  return p === 0 ? "< 1e-308" : p.toExponential(1);
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
    `Lomb–Scargle: best period ${formatValue(periodS)} s (FAP ${fapText(ls.falseAlarmProbability)})`;
  const labels = {
    title,
    xLabel: options.xLabel ?? `Frequency [${frequencyUnit(unit)}]`,
    yLabel: "Power (standard)",
  };
  const text = `${title}; ${ls.frequency.length} frequencies (${ls.method}), best power ${
    formatValue(ls.bestPower)
  } at ${formatValue(ls.bestFrequency)}`;
  const freqUnit = ` ${frequencyUnit(unit)}`;
  const names = {
    power: "Lomb–Scargle power",
    best: `best frequency ${formatValue(ls.bestFrequency)}${freqUnit} (period ${
      formatValue(periodS)
    } s), power ${formatValue(ls.bestPower)}`,
  };
  return dualView(text, () => {
    const q = (field: string) => ({ field, type: "quantitative" });
    const decimated = ls.frequency.length > LC_POINT_BUDGET;
    const env = decimated ? envelopeColumns(ls.frequency, ls.power, { columns: LC_COLUMNS }) : undefined;
    const series: PlotSeries[] = env
      ? [{
        x: [],
        y: [],
        boxes: { x0: env.x0, x1: env.x1, y0: env.min, y1: env.max },
        boxOpacity: 1,
        color: "#111827",
        label: `${names.power} (min–max per column)`,
      }]
      : [{ x: ls.frequency, y: ls.power, color: "#111827", line: true, points: false, label: names.power }];
    series.push({ x: [ls.bestFrequency], y: [ls.bestPower], color: EXCESS_COLOR, label: names.best });
    // x: the frequencies searched, exactly; y: from zero (no power, a meaningful baseline) to the highest
    const ext = seriesExtent(series);
    const domain = { x: ext.x, y: [Math.min(0, ext.y[0]), ext.y[1]] as [number, number] };
    const color = datumLegend([
      env
        ? { name: series[0].label!, color: "#111827", shape: "square", opacity: 1 }
        : { name: names.power, color: "#111827", shape: "stroke" },
      { name: names.best, color: EXCESS_COLOR, shape: "circle" },
    ]);
    const xEnc = { ...q("f"), title: labels.xLabel, scale: exactScale(domain.x) };
    const yEnc = { ...q("p"), title: labels.yLabel, scale: exactScale(domain.y) };
    const best = {
      data: { values: [{ f: ls.bestFrequency, p: ls.bestPower }] },
      mark: { type: "point", size: 80, filled: true, opacity: 1 },
      encoding: {
        x: xEnc,
        y: yEnc,
        color: color(names.best),
        tooltip: [{ ...q("f"), title: "frequency", format: ".9~g" }, {
          ...q("p"),
          title: "power",
          format: ".6~g",
        }],
      },
    };
    const zoom = { name: "zoom", select: { type: "interval", encodings: ["x", "y"] }, bind: "scales" };
    let curve: Record<string, unknown>, subtitle: string;
    if (env) {
      // honest decimation: the min–max of the power in each pixel column, every peak's height kept
      subtitle = `${env.x0.length} of ${ls.frequency.length} frequencies shown (min–max per column)`;
      curve = {
        data: {
          values: Array.from(env.x0, (f, k) => ({ f, f2: env.x1[k], lo: env.min[k], p: env.max[k] })),
        },
        params: [zoom],
        mark: { type: "rect", strokeWidth: 1 },
        encoding: {
          x: xEnc,
          x2: { field: "f2" },
          y: { ...q("lo"), title: labels.yLabel, scale: yEnc.scale },
          y2: { field: "p" },
          color: color(series[0].label!),
          stroke: { value: "#111827" },
        },
      };
    } else {
      subtitle = `${ls.frequency.length} frequencies`;
      curve = {
        data: { values: Array.from(ls.frequency, (f, i) => ({ f, p: ls.power[i] })) },
        params: [zoom],
        mark: { type: "line", strokeWidth: 1 },
        encoding: { x: xEnc, y: yEnc, color: color(names.power) },
      };
    }
    const spec: VegaLiteSpec = {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: vegaTitle(title, 640, subtitle),
      width: 640,
      height: 300,
      // the best frequency's marker sits on the window's top edge: left whole (unclipped)
      layer: [...clipMarks([curve]), best],
    };
    const svg = plotSvg(series, {
      ...labels,
      subtitle,
      legend: "below",
      xDomain: domain.x,
      yDomain: domain.y,
    });
    return { spec, svg };
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
  const labels = {
    title,
    subtitle: `${f.phase.length} phase bins, shown twice: phase 1–2 repeats 0–1`,
    xLabel: "Phase",
    yLabel: options.yLabel ?? "Rate",
  };
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
  return dualView(text, () => {
    // x: the two cycles' phase bins edge to edge (0 to 2), y: the error bars' extent
    const ext = seriesExtent([{ x, y, yerr: e, xerr: half }]);
    const axes = { ...labels, xDomain: ext.x, yDomain: ext.y };
    const spec = errorBarSpec({ x, y, yerr: e, xerr: half }, axes);
    return { spec, svg: plotSvg([{ x, y, yerr: e, xerr: half, color: "#111827" }], axes) };
  });
}
