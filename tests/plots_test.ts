// Plots that tell the truth: the same light-curve product fed to the data API (lightCurve()) and to the
// plots (Vega-Lite data, static fallback), compared point by point against astropy's time arithmetic for
// the FITS time-keyword layouts met in practice; honest decimation; Vega-Lite rendered by vega + vega-lite +
// vega-embed in headless Chromium without warnings.
import assert from "node:assert/strict";
import { LightCurve, lightCurve, NumpyDataProduct, NumpyDataUnit, plotLightCurve } from "../mod.ts";
import {
  $display,
  LC_COLUMNS,
  LC_POINT_BUDGET,
  LightCurvePlot,
  type PlotLayer,
  spectrumBundle,
  type VegaLiteSpec,
} from "../display.ts";
import type { Table } from "../lib/data/ndarray.ts";
import { runPython, testWithTool } from "./_validators.ts";
import { npmFile, runChromium } from "./_chromium.ts";
import { plotLightCurveAnalysis, plotPeriodogram } from "../display.ts";
import { lombScargle } from "../mod.ts";
import { decode as decodePng } from "fast-png";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/tests/out/plots`;

interface Variant {
  name: string;
  header: Record<string, unknown>;
  time: number[];
  /** extra columns: XAX_E (half-width) or TIMEDEL (full width), in TIMEUNIT */
  widths?: { column: "XAX_E" | "TIMEDEL"; values: number[] };
  /** what astropy is told: reference MJD (integer + fraction), offset and unit of TIME */
  ref: { i: number; f: number; timezero: number; unit: "s" | "d"; width: number[] };
}

function lcProduct(v: Variant, rate: ArrayLike<number>, err: ArrayLike<number>): NumpyDataProduct {
  const n = v.time.length;
  const columns: Table["columns"] = [
    { name: "TIME", dtype: ">f8", shape: [], values: Float64Array.from(v.time) },
    { name: "RATE", dtype: ">f4", shape: [], values: Float32Array.from(rate) },
    { name: "ERROR", dtype: ">f4", shape: [], values: Float32Array.from(err) },
  ];
  if (v.widths) {
    columns.push({
      name: v.widths.column,
      dtype: ">f8",
      shape: [],
      values: Float64Array.from(v.widths.values),
    });
  }
  return new NumpyDataProduct({
    name: `lc_${v.name}`,
    meta_data: { src_name: "Crab" },
    data_unit: [
      new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }),
      new NumpyDataUnit({
        name: "RATE",
        hdu_type: "bintable",
        data_header: { EXTNAME: "RATE", ...v.header },
        data: { kind: "table", length: n, columns },
      }),
    ],
  });
}

function variants(n: number): Variant[] {
  const seq = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  const tzS = 574_560_000.125; // SPI-ACS: seconds since MJDREF, the start in TIMEZERO
  return [
    {
      name: "timezero_seconds",
      header: { TIMEUNIT: "s", MJDREF: 51544, TIMEZERO: tzS, TIMEDEL: 0.05, TIMESYS: "TT" },
      time: seq((i) => i * 0.05),
      ref: { i: 51544, f: 0, timezero: tzS, unit: "s", width: seq(() => 0.025) },
    },
    {
      name: "timezero_seconds_no_timeunit",
      header: { MJDREF: 51544, TIMEZERO: tzS, TIMEDEL: 1 },
      time: seq((i) => i),
      ref: { i: 51544, f: 0, timezero: tzS, unit: "s", width: seq(() => 0.5) },
    },
    {
      name: "mjdref_split",
      header: { TIMEUNIT: "s", MJDREFI: 51910, MJDREFF: 7.428703703703703e-4, TIMESYS: "TT" },
      time: seq((i) => 5.3e8 + i * 16 + 0.000123),
      widths: { column: "XAX_E", values: seq(() => 8) },
      ref: { i: 51910, f: 7.428703703703703e-4, timezero: 0, unit: "s", width: seq(() => 8) },
    },
    {
      name: "timeunit_d_xax_e",
      header: { TIMEUNIT: "d", MJDREF: 51544, TIMESYS: "TT" },
      time: seq((i) => 6650.1 + i * 0.01157407407407407),
      widths: { column: "XAX_E", values: seq(() => 0.005787037037037035) },
      ref: { i: 51544, f: 0, timezero: 0, unit: "d", width: seq(() => 0.005787037037037035) },
    },
    {
      name: "timedel_column_only",
      header: { TIMEUNIT: "s", MJDREFI: 51544, MJDREFF: 0.5, TIMEZERO: 1e8 },
      time: seq((i) => i * 10 + (i % 3) * 0.001),
      widths: { column: "TIMEDEL", values: seq((i) => 10 + (i % 2)) },
      ref: { i: 51544, f: 0.5, timezero: 1e8, unit: "s", width: seq((i) => (10 + (i % 2)) / 2) },
    },
  ];
}

/** Expected IJD and half-widths (days) of each variant, from astropy.time (two-part JD arithmetic). */
async function astropyTimes(vs: Variant[]): Promise<{ ijd: number[]; hw: number[] }[]> {
  const code = `
import json, sys
import numpy as np
from astropy.time import Time, TimeDelta
import astropy.units as u
out = []
for v in json.load(sys.stdin):
    r = v["ref"]
    unit = u.s if r["unit"] == "s" else u.d
    ref = Time(r["i"], r["f"], format="mjd", scale="tt")
    t = ref + TimeDelta((np.array(v["time"], dtype=float) + r["timezero"]) * unit)
    ijd = (t.jd1 - 2451544.5) + t.jd2          # IJD = MJD - 51544 = JD - 2451544.5, in two parts
    hw = (np.array(r["width"], dtype=float) * unit).to_value(u.d)
    out.append({"ijd": ijd.tolist(), "hw": hw.tolist()})
print(json.dumps(out))
`;
  return JSON.parse(await runPython(code, { stdin: JSON.stringify(vs) }));
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

testWithTool(
  "light curves: lightCurve(), Vega-Lite data and the static fallback agree with astropy to 1e-9 d",
  "astropy",
  async () => {
    const n = 200;
    const vs = variants(n);
    const expected = await astropyTimes(vs);
    const rate = Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 7));
    const err = Array.from({ length: n }, (_, i) => 3 + (i % 5) * 0.1);
    vs.forEach((v, k) => {
      const p = lcProduct(v, rate, err);
      const lc = lightCurve(p);
      const want = expected[k];
      assert.equal(lc.length, n, v.name);
      for (let i = 0; i < n; i++) {
        assert.ok(
          close(lc.time[i], want.ijd[i], 1e-9),
          `${v.name}: lightCurve time ${i}: ${lc.time[i]} vs ${want.ijd[i]}`,
        );
        assert.ok(
          close(lc.halfWidth[i], want.hw[i], 1e-12),
          `${v.name}: half-width ${i}: ${lc.halfWidth[i]} vs ${want.hw[i]}`,
        );
      }
      const plot = new LightCurvePlot(lc);
      assert.equal(plot.envelope, undefined, "below the budget every bin is drawn");
      const spec = plot.spec() as {
        usermeta: { halfWidth?: number };
        data: { values: { t: number; r: number; e: number; w?: number }[] };
      };
      const rows = spec.data.values;
      assert.equal(rows.length, n);
      assert.equal(new Set(rows.map((r) => r.t)).size, n, `${v.name}: ${n} distinct times in the spec`);
      const [series] = plot.staticSeries();
      const { t0, perDay } = plot.axis;
      for (let i = 0; i < n; i++) {
        assert.ok(close(rows[i].t, want.ijd[i], 1e-9), `${v.name}: spec time ${i}`);
        assert.ok(
          close(rows[i].w ?? spec.usermeta.halfWidth!, want.hw[i], 1e-12),
          `${v.name}: spec half-width ${i}`,
        );
        assert.equal(
          Math.fround(rows[i].r),
          Math.fround(rate[i]),
          `${v.name}: spec rate ${i} is the float32 measured`,
        );
        assert.equal(Math.fround(rows[i].e), Math.fround(err[i]), `${v.name}: spec error ${i}`);
        const tStatic = t0 + series.x[i] / perDay;
        assert.ok(
          close(tStatic, want.ijd[i], 1e-9),
          `${v.name}: static time ${i}: ${tStatic} vs ${want.ijd[i]}`,
        );
        assert.ok(close(series.xerr![i] / perDay, want.hw[i], 1e-12), `${v.name}: static half-width ${i}`);
        assert.equal(series.y[i], rows[i].r);
        assert.equal(series.yerr![i], rows[i].e);
      }
      // the SVG draws one marker per bin
      const svg = plot.svg();
      const markers = svg.match(/stroke-linecap="square"/)
        ? (svg.match(/M[\d.]+ [\d.]+h0/g) ?? []).length
        : 0;
      assert.equal(markers, n, `${v.name}: ${markers} markers drawn`);
    });
  },
);

Deno.test("an 8,640-bin curve: every time in the spec below the budget, true min and max per column above", () => {
  const n = 8640; // one day of 10 s SPI-ACS bins
  const v: Variant = {
    name: "spi_acs_day",
    header: {
      TIMEUNIT: "s",
      MJDREF: 51544,
      TIMEZERO: 574_560_000,
      TIMEDEL: 10,
      INSTRUME: "SPI",
      DETNAM: "ACS",
    },
    time: Array.from({ length: n }, (_, i) => i * 10),
    ref: { i: 51544, f: 0, timezero: 0, unit: "s", width: [] },
  };
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rate = Array.from(
    { length: n },
    () => 1000 + 30 * Math.sqrt(-2 * Math.log(rnd() || 1e-9)) * Math.cos(2 * Math.PI * rnd()),
  );
  const err = Array.from({ length: n }, () => 30);
  const lc = lightCurve(lcProduct(v, rate, err));
  assert.equal(lc.detnam, "SPI-ACS");

  const all = new LightCurvePlot(lc, { budget: 10_000 }).spec() as { data: { values: { t: number }[] } };
  assert.deepEqual(all.data.values.map((r) => r.t), Array.from(lc.time), "8,640 distinct, exact times");

  const plot = new LightCurvePlot(lc);
  assert.ok(n > LC_POINT_BUDGET);
  const spec = plot.spec() as {
    title: { subtitle: string };
    data: {
      values: { t: number; t2: number; n: number; min: number; max: number; lo: number; hi: number }[];
    };
  };
  const cols = spec.data.values;
  assert.ok(cols.length <= LC_COLUMNS && cols.length > LC_COLUMNS * 0.9, `${cols.length} columns`);
  assert.equal(spec.title.subtitle, `${cols.length} of 8,640 bins shown (min–max per column)`);
  let seen = 0;
  cols.forEach((c, k) => {
    const last = k === cols.length - 1;
    const idx = [...lc.time.keys()].filter((i) =>
      lc.time[i] >= c.t && (lc.time[i] < c.t2 || (last && lc.time[i] <= c.t2))
    );
    seen += idx.length;
    assert.equal(c.n, idx.length, `column ${k} count`);
    assert.equal(Math.fround(c.min), Math.fround(Math.min(...idx.map((i) => lc.rate[i]))), `column ${k} min`);
    assert.equal(Math.fround(c.max), Math.fround(Math.max(...idx.map((i) => lc.rate[i]))), `column ${k} max`);
    assert.equal(
      c.lo,
      Math.min(...idx.map((i) => lc.rate[i] - lc.error[i])),
      `column ${k} lowest error-bar end`,
    );
    assert.equal(
      c.hi,
      Math.max(...idx.map((i) => lc.rate[i] + lc.error[i])),
      `column ${k} highest error-bar end`,
    );
  });
  assert.equal(seen, n, "every bin is in one column");
  // the static fallback draws the same columns
  const boxes = plot.staticSeries().map((s) => s.boxes).filter((b) => b !== undefined);
  assert.equal(boxes.length, 2, "error envelope and min–max band");
  const band = boxes[1]!;
  for (let k = 0; k < cols.length; k++) {
    assert.equal(Math.fround(band.y0[k]), Math.fround(cols[k].min), `static column ${k} min`);
    assert.equal(Math.fround(band.y1[k]), Math.fround(cols[k].max), `static column ${k} max`);
    assert.ok(
      close(plot.axis.t0 + band.x0[k] / plot.axis.perDay, cols[k].t, 1e-9),
      `static column ${k} start`,
    );
  }
});

Deno.test("light-curve plot bundle: under 300 KB, zoom/pan and full-precision tooltips, readable axis", async () => {
  const n = 8640;
  const time = Float64Array.from({ length: n }, (_, i) => 6650 + 0.4 + i * 10 / 86400);
  const rate = Float64Array.from({ length: n }, (_, i) => 1000 + 30 * Math.sin(i));
  const lc = new LightCurve({
    time,
    rate,
    error: new Float64Array(n).fill(30),
    halfWidth: new Float64Array(n).fill(5 / 86400),
    timeSystem: "TT",
    detnam: "SPI-ACS",
    name: "GRB",
  });
  for (const budget of [undefined, 10_000]) {
    const b = await plotLightCurve(lc, { budget })[$display]();
    const size = JSON.stringify(b).length;
    // under 300 KB unless the user asks for more (a larger budget)
    if (budget === undefined) assert.ok(size < 300_000, `plot bundle ${size} bytes`);
    const spec = b["application/vnd.vegalite.v5+json"] as {
      layer: {
        params?: { bind: string }[];
        encoding: { x: { title: string }; tooltip?: { field: string; format?: string | undefined }[] };
      }[];
    };
    const zoom = spec.layer.find((l) => l.params?.some((p) => p.bind === "scales"));
    assert.ok(zoom, "a scale-bound interval (zoom and pan)");
    assert.equal(
      spec.layer[0].encoding.x.title,
      "Time [h] since 2018-03-17 00:00 TT (IJD 6650; IJD = MJD − 51544)",
    );
    const tip = zoom.encoding.tooltip!.map((t) => t.field);
    assert.ok(tip.some((f) => f === "t" || f === "first"), "time in the tooltip");
    assert.ok(zoom.encoding.tooltip!.some((t) => t.format === ".9f"), "IJD to 1e-9 d");
  }
});

// ------------------------------------------------------------ Chromium: vega + vega-lite + vega-embed

function noiseCurve(n: number): LightCurve {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const time = Float64Array.from({ length: n }, (_, i) => 6651.2 + (i * 20) / 86400);
  const rate = Float64Array.from({ length: n }, () => 120 + 8 * gauss());
  return new LightCurve({
    time,
    rate,
    error: new Float64Array(n).fill(8),
    halfWidth: new Float64Array(n).fill(10 / 86400),
    detnam: "SPI-ACS",
    name: "noise",
    timeSystem: "TT",
  });
}

function chromium(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runChromium(["--hide-scrollbars", "--allow-file-access-from-files", ...args]);
}

testWithTool(
  "Vega-Lite specs render with vega-embed in headless Chromium without warnings",
  "chromium",
  async () => {
    await Deno.mkdir(OUT, { recursive: true });
    const [vega, vegaLite, vegaEmbed] = await Promise.all([
      npmFile("vega", "build/vega.min.js"),
      npmFile("vega-lite", "build/vega-lite.min.js"),
      npmFile("vega-embed", "build/vega-embed.min.js"),
    ]);
    const points = noiseCurve(300);
    const mean: PlotLayer = {
      vegaLite: {
        data: { values: [{ t: points.time[0], t2: points.time[299], level: 120 }] },
        mark: { type: "rule", color: "#d62728", strokeDash: [4, 3] },
        encoding: {
          x: { field: "x", type: "quantitative" },
          x2: { field: "x2" },
          y: { field: "level", type: "quantitative" },
        },
      },
    };
    const spectrum = (await spectrumBundle({
      channel: Float64Array.from([0, 1, 2]),
      eMin: Float64Array.from([20, 30, 40]),
      eMax: Float64Array.from([30, 40, 60]),
      energy: Float64Array.from([25, 35, 50]),
      rate: Float64Array.from([10, 8, 6]),
      error: Float64Array.from([1, 1, 1]),
      ratePerKeV: Float64Array.from([1, 0.8, 0.3]),
      errorPerKeV: Float64Array.from([0.1, 0.1, 0.05]),
    }, { png: false }))["application/vnd.vegalite.v5+json"] as VegaLiteSpec;
    // h14's science plots are light-curve plots with extra layers: they render cleanly too
    const flare = noiseCurve(400);
    for (let i = 200; i < 215; i++) flare.rate[i] += 60;
    const analysis = (await plotLightCurveAnalysis(flare, { blocks: true }).bundle())[
      "application/vnd.vegalite.v5+json"
    ] as VegaLiteSpec;
    const tt = Array.from({ length: 3000 }, (_, i) => i * 0.01);
    const periodogram = (await plotPeriodogram(
      lombScargle(tt, tt.map((x) => Math.sin(2 * Math.PI * x / 0.3)), tt.map(() => 0.2)),
    ).bundle())["application/vnd.vegalite.v5+json"] as VegaLiteSpec;
    const specs: Record<string, VegaLiteSpec> = {
      noise: new LightCurvePlot(noiseCurve(20_000), { title: "Decimated noise: one band" }).spec(),
      points: new LightCurvePlot(points, { layers: [mean] }).spec(),
      spectrum,
      analysis,
      periodogram,
    };
    const page = `<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="file://${vega}"></script><script src="file://${vegaLite}"></script><script src="file://${vegaEmbed}"></script>
</head><body style="margin:8px;background:#fff">
${Object.keys(specs).map((k) => `<div id="${k}"></div>`).join("\n")}
<pre id="result">pending</pre>
<script>
const problems = [];
for (const k of ["warn", "error"]) {
  const orig = console[k];
  console[k] = (...a) => { problems.push(k + ": " + a.map(String).join(" ")); orig.apply(console, a); };
}
window.addEventListener("error", (e) => problems.push("uncaught: " + e.message));
const logger = { _l: 0, level(l) { if (l !== undefined) this._l = l; return this._l; },
  warn: (...a) => problems.push("vega warn: " + a.join(" ")), error: (...a) => problems.push("vega error: " + a.join(" ")),
  info() {}, debug() {} };
const specs = ${JSON.stringify(specs)};
(async () => {
  const marks = {};
  for (const [id, spec] of Object.entries(specs)) {
    try {
      const r = await vegaEmbed("#" + id, spec, { renderer: "svg", actions: false, logger, logLevel: vega.Warn });
      marks[id] = document.querySelectorAll("#" + id + " svg .mark-rect path, #" + id + " svg .mark-symbol path, #" + id + " svg .mark-rule line").length;
      r.view.finalize;
    } catch (e) { problems.push(id + ": " + e); }
  }
  document.getElementById("result").textContent = "RESULT " + JSON.stringify({ problems, marks });
})();
</script></body></html>`;
    const html = `${OUT}/vega-embed.html`;
    await Deno.writeTextFile(html, page);
    const dom = await chromium(["--virtual-time-budget=20000", "--dump-dom", `file://${html}`]);
    assert.equal(dom.code, 0, dom.stderr.slice(-2000));
    const m = dom.stdout.match(/RESULT (\{.*\})/);
    assert.ok(m, `no result in the page: ${dom.stdout.slice(-500)} ${dom.stderr.slice(-1500)}`);
    const result = JSON.parse(
      m[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"),
    ) as {
      problems: string[];
      marks: Record<string, number>;
    };
    assert.deepEqual(result.problems, [], "no warnings or errors from vega / vega-lite / vega-embed");
    assert.ok(result.marks.noise > 500, `noise: ${result.marks.noise} marks`);
    assert.ok(result.marks.points >= 300, `points: ${result.marks.points} marks`);
    assert.ok(result.marks.spectrum >= 3, `spectrum: ${result.marks.spectrum} marks`);
    assert.ok(result.marks.analysis >= 400, `analysis: ${result.marks.analysis} marks`);

    // screenshot of the decimated noise curve (docs/decimated-noise.png is a copy checked by eye)
    const shot = `${OUT}/decimated-noise.png`;
    await Deno.remove(shot).catch(() => {});
    const only = page.replace(
      /const specs = .*;\n/,
      `const specs = ${JSON.stringify({ noise: specs.noise })};\n`,
    );
    await Deno.writeTextFile(`${OUT}/vega-embed-noise.html`, only);
    const r = await chromium([
      "--virtual-time-budget=20000",
      "--window-size=760,420",
      `--screenshot=${shot}`,
      `file://${OUT}/vega-embed-noise.html`,
    ]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const png = decodePng(await Deno.readFile(shot));
    // one band: in the middle of the plot, each pixel column has one contiguous run of band-coloured pixels
    // (a run is at least 2 px tall: a lone antialiased pixel is the edge of the neighbouring column's rect,
    // a cloud of min or max markers would draw runs of the marker's size, 4 px)
    let columnsWithOneRun = 0, columnsWithBand = 0;
    for (let x = 120; x < 600; x++) {
      let runs = 0, len = 0;
      for (let y = 40; y <= 330; y++) {
        const i = (y * png.width + x) * png.channels;
        const [rr, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
        // the min–max band and the column means over it are darker than the error envelope and the grid
        const inBand = y < 330 && 0.299 * rr + 0.587 * g + 0.114 * b < 185;
        if (inBand) len++;
        else {
          if (len >= 2) runs++;
          len = 0;
        }
      }
      if (runs) columnsWithBand++;
      if (runs === 1) columnsWithOneRun++;
    }
    assert.ok(columnsWithBand > 400, `band visible in ${columnsWithBand} columns`);
    assert.ok(
      columnsWithOneRun >= columnsWithBand * 0.98,
      `one band: ${columnsWithOneRun}/${columnsWithBand} columns have one run`,
    );
  },
  { sanitizeResources: false },
);

Deno.test("plot bundle at the point budget (noise with error bars) stays under 300 KB", async () => {
  const lc = noiseCurve(LC_POINT_BUDGET);
  const b = await plotLightCurve(lc)[$display]();
  const size = JSON.stringify(b).length;
  assert.ok(size < 300_000, `${size} bytes`);
  assert.equal(
    (b["application/vnd.vegalite.v5+json"] as { data: { values: unknown[] } }).data.values.length,
    LC_POINT_BUDGET,
  );
});
