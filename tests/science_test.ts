/**
 * Science helpers against their references: `bayesianBlocks` and
 * `lombScargle` against Debian's astropy on the same random and real
 * (sandbox ISGRI) inputs, `variability` against an independent numpy /
 * closed-form computation, the GX 1+4 pulse recovered from a sandbox light
 * curve.
 */
import { deepStrictEqual as assertDeepEqual, ok as assert, strictEqual } from "node:assert/strict";
import { assertFitsverifyClean, runPython, testWithTool } from "./_validators.ts";
import { startSandbox } from "../sandbox.ts";
import { DispatcherError } from "../lib/errors.ts";
import {
  ApiCatalog,
  bayesianBlocks,
  DispatcherAPI,
  extractCatalog,
  foldLightCurve,
  type LightCurve,
  lightCurve,
  lombScargle,
  NumpyDataProduct,
  resolveObjectsOfInterest,
  spectrumWithEnergies,
  toDs9Regions,
  variability,
} from "../mod.ts";
import { autoFrequency, excessThresholds, rateScatter } from "../science.ts";
import {
  contourSegments,
  lightCurveAnalysisPlot,
  plotFoldedLightCurve,
  plotLightCurveAnalysis,
  plotMosaicContours,
  plotPeriodogram,
  type PlotSeries,
  shortestExact,
} from "../display.ts";
import { saveSpectrumSet, writeLightCurveFits } from "../fits.ts";
import { mulberry32 } from "../lib/sandbox/faults.ts";

async function assertRejects(fn: () => Promise<unknown>, cls: new (...a: never[]) => Error): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof cls) return;
    throw e;
  }
  throw new Error("expected a rejection");
}

/** Deterministic pseudo-random numbers (mulberry32) and normal deviates. */
function rng(seed: number): { u: () => number; n: () => number } {
  const u = mulberry32(seed);
  const n = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, n };
}

interface Series {
  label: string;
  t: number[];
  y: number[];
  dy: number[];
}

/** Irregular sampling, a sinusoid, a flare and steps, heteroscedastic errors. */
function randomSeries(seed: number, n: number, t0: number): Series {
  const r = rng(seed);
  const t: number[] = [], y: number[] = [], dy: number[] = [];
  let tt = t0;
  for (let i = 0; i < n; i++) {
    tt += 0.002 + 0.02 * r.u() + (r.u() < 0.01 ? 0.5 : 0); // gaps like pointings
    const e = 0.3 + 1.5 * r.u();
    const step = tt - t0 > 2 && tt - t0 < 3 ? 4 : 0;
    t.push(tt);
    dy.push(e);
    y.push(20 + 2 * Math.sin(2 * Math.PI * tt / 0.37) + step + e * r.n());
  }
  return { label: `random seed ${seed} n ${n}`, t, y, dy };
}

// ---- the sandbox light curves (real products over HTTP), fetched once --------------------------------------------

let sandboxCurves: Promise<LightCurve[]> | undefined;
/** ISGRI light curves around GX 1+4 (4 days, 20 s bins, 28–40 keV) from the sandbox dispatcher. */
function isgriCurves(): Promise<LightCurve[]> {
  sandboxCurves ??= (async () => {
    const sb = await startSandbox({ port: 0, seed: 7, jobDuration: 0 });
    try {
      const disp = new DispatcherAPI({ url: sb.url, token: await sb.mintToken() });
      const data = await disp.getProduct({
        instrument: "isgri",
        product: "isgri_lc",
        T1: "2020-03-01T00:00:00",
        T2: "2020-03-05T00:00:00",
        RA: 263.009,
        DEC: -24.7456,
        E1_keV: 28,
        E2_keV: 40,
        time_bin: 20,
        max_pointings: 50,
        silent: true,
      });
      return data._p_list.map((p) => lightCurve(p as NumpyDataProduct));
    } finally {
      await sb.close();
    }
  })();
  return sandboxCurves;
}

function asSeries(lc: LightCurve, limit = Infinity): Series {
  const cut = <T>(a: ArrayLike<T>) => Array.from(a).slice(0, limit);
  return { label: `sandbox ${lc.name}`, t: cut(lc.time), y: cut(lc.rate), dy: cut(lc.error) };
}

/** astropy side: one python run for a batch of cases (JSON on stdin, JSON out). */
const ASTROPY = `
import json, math, sys, types
import numpy as np
# Debian's astropy imports scipy.special.gammaln for the Baluev bound; scipy is not installed here,
# so the same function is provided from the standard library (math.lgamma).
sp = types.ModuleType("scipy"); sps = types.ModuleType("scipy.special")
sps.gammaln = np.vectorize(math.lgamma, otypes=[float]); sp.special = sps
sys.modules.setdefault("scipy", sp); sys.modules.setdefault("scipy.special", sps)
from astropy.stats import bayesian_blocks
from astropy.timeseries import LombScargle
out = []
for c in json.load(sys.stdin):
    t, y, dy = (np.array(c[k], dtype=float) for k in ("t", "y", "dy"))
    r = {}
    if c.get("bb"):
        r["edges"] = bayesian_blocks(t, y, dy, fitness="measures", p0=c["p0"]).tolist()
    if "ls" in c:
        kw = c["ls"]
        ls = LombScargle(t, y, dy)
        f, p = ls.autopower(method=c["method"], **kw)
        r["f"] = f.tolist(); r["p"] = p.tolist()
        r["fap"] = float(ls.false_alarm_probability(p.max(), method="baluev", **kw))
        f2 = LombScargle(t - t.min(), y, dy)
        r["fap_shifted"] = float(f2.false_alarm_probability(p.max(), method="baluev", **kw))
    out.append(r)
json.dump(out, sys.stdout)
`;

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
}

testWithTool("bayesianBlocks equals astropy's bayesian_blocks (measures, p0) on random and sandbox data", [
  "astropy",
], async () => {
  const cases: (Series & { p0: number })[] = [
    { ...randomSeries(1, 300, 0), p0: 0.05 },
    { ...randomSeries(2, 800, 7000), p0: 0.01 },
    { ...randomSeries(3, 50, 100), p0: 0.3 },
  ];
  const curves = await isgriCurves();
  // sandbox curves (an outburst, a flaring and a pulsing source), 1500 bins each (O(N²) in astropy's loop)
  for (const lc of curves.slice(0, 3)) cases.push({ ...asSeries(lc, 1500), p0: 0.05 });
  const ref = JSON.parse(
    await runPython(ASTROPY, { stdin: JSON.stringify(cases.map((c) => ({ ...c, bb: true }))) }),
  ) as { edges: number[] }[];
  cases.forEach((c, i) => {
    const b = bayesianBlocks(c.t, c.y, c.dy, { p0: c.p0 });
    strictEqual(b.edges.length, ref[i].edges.length, `${c.label}: number of edges`);
    // same operations in the same order: the edges are identical
    assert(b.edges.every((e, k) => e === ref[i].edges[k]), `${c.label}: edges differ`);
    strictEqual(b.value.length, b.edges.length - 1);
  });
  // the step of the random series is found
  const b0 = bayesianBlocks(cases[0].t, cases[0].y, cases[0].dy);
  assert(b0.edges.length >= 3, "a change point at least");
});

testWithTool("lombScargle equals astropy's autopower (fast vs fast, exact vs slow) and Baluev FAP", [
  "astropy",
], async () => {
  const curves = await isgriCurves();
  const gx = curves.find((c) => c.name === "GX 1+4");
  assert(gx, "GX 1+4 light curve in the sandbox answer");
  type Case = Series & { method: "fast" | "exact"; ls: Record<string, number> };
  const r1 = randomSeries(11, 2000, 8000);
  const r2 = randomSeries(12, 150, 0);
  const g = asSeries(gx);
  const cases: Case[] = [
    { ...r1, method: "fast", ls: {} },
    { ...r2, method: "exact", ls: {} },
    { ...r2, method: "fast", ls: { minimum_frequency: 0.5, maximum_frequency: 20, samples_per_peak: 10 } },
    { ...g, method: "fast", ls: {} },
    { ...g, method: "exact", ls: { minimum_frequency: 86400 / 163, maximum_frequency: 86400 / 155 } },
  ];
  const ref = JSON.parse(
    await runPython(ASTROPY, {
      stdin: JSON.stringify(cases.map((c) => ({ ...c, method: c.method === "exact" ? "slow" : "fast" }))),
    }),
  ) as { f: number[]; p: number[]; fap: number; fap_shifted: number }[];
  cases.forEach((c, i) => {
    const opts = {
      method: c.method,
      minFrequency: c.ls.minimum_frequency,
      maxFrequency: c.ls.maximum_frequency,
      samplesPerPeak: c.ls.samples_per_peak,
      nyquistFactor: c.ls.nyquist_factor,
    };
    const ls = lombScargle(c.t, c.y, c.dy, opts);
    const what = `${c.label} ${c.method} ${JSON.stringify(c.ls)}`;
    strictEqual(ls.method, c.method);
    strictEqual(ls.frequency.length, ref[i].f.length, `${what}: grid size`);
    assert(ls.frequency.every((f, k) => f === ref[i].f[k]), `${what}: grid values identical`);
    assert(autoFrequency(c.t, opts).every((f, k) => f === ref[i].f[k]));
    const rel = maxRel(ls.power, ref[i].p);
    assert(rel < 1e-6, `${what}: power max relative difference ${rel}`);
    // Baluev FAP: astropy's weighted time variance loses digits for absolute times; compare with both
    const fapRef = c.t[0] > 1000 ? ref[i].fap_shifted : ref[i].fap;
    const fr = Math.abs(ls.falseAlarmProbability - fapRef);
    assert(fr <= 1e-6 * fapRef, `${what}: FAP ${ls.falseAlarmProbability} vs ${fapRef}`);
  });
  // the GX 1+4 pulse (159 s in the sandbox) is the best period and significant
  const pulse = lombScargle(gx, { minFrequency: 86400 / 1000, maxFrequency: 86400 / 60 });
  assert(Math.abs(pulse.bestPeriod * 86400 - 159) < 0.5, `GX 1+4 period ${pulse.bestPeriod * 86400} s`);
  assert(pulse.falseAlarmProbability < 1e-6, `GX 1+4 FAP ${pulse.falseAlarmProbability}`);
});

/** Independent reference: numpy formulas and the closed forms of the χ² survival function. */
const VARIABILITY_REF = `
import json, math, sys
import numpy as np
def chi2_sf(x, k):
    # closed forms: even k, Q = e^-h sum_{j<k/2} h^j/j!; odd k, Q = erfc(sqrt h) + e^-h sum_{j=1}^{(k-1)/2} h^(j-1/2)/Gamma(j+1/2)
    h = x / 2.0
    if k % 2 == 0:
        logs = [-h + j * math.log(h) - math.lgamma(j + 1) for j in range(k // 2)] if h > 0 else [0.0]
        base = 0.0
    else:
        logs = [-h + (j - 0.5) * math.log(h) - math.lgamma(j + 0.5) for j in range(1, (k - 1) // 2 + 1)] if h > 0 else []
        base = math.erfc(math.sqrt(h))
    if not logs:
        return base
    m = max(logs)
    return base + math.exp(m) * math.fsum(math.exp(l - m) for l in logs)
out = []
for c in json.load(sys.stdin):
    x, e, t, hw = (np.array(c[k], dtype=float) for k in ("y", "dy", "t", "hw"))
    n = len(x); w = 1 / e**2
    wm = np.sum(w * x) / np.sum(w)
    chi2 = float(np.sum(((x - wm) / e) ** 2))
    s2 = float(np.var(x, ddof=1)); mse = float(np.mean(e**2)); xb = float(np.mean(x))
    fvar = fvar_err = None
    if s2 >= mse:
        fvar = math.sqrt((s2 - mse) / xb**2)
        fvar_err = math.sqrt((math.sqrt(1 / (2 * n)) * mse / (xb**2 * fvar)) ** 2 + (math.sqrt(mse / n) / xb) ** 2)
    z = (x - wm) / e
    eps = []; i = 0
    while i < n:
        if z[i] >= c["nsig"]:
            j = i
            while j + 1 < n and z[j + 1] >= c["nsig"]:
                j += 1
            k = i + int(np.argmax(x[i:j + 1]))
            eps.append([i, j, t[i] - hw[i], t[j] + hw[j], t[k], x[k], float(np.sum(z[i:j + 1]) / math.sqrt(j - i + 1))])
            i = j + 1
        else:
            i += 1
    out.append(dict(wm=float(wm), wme=float(np.sum(w) ** -0.5), chi2=chi2, p=chi2_sf(chi2, n - 1), s2=s2, mse=mse,
                    fvar=fvar, fvar_err=fvar_err, eps=eps))
json.dump(out, sys.stdout)
`;

testWithTool(
  "variability matches an independent computation (numpy, χ² closed forms)",
  ["astropy"],
  async () => {
    const curves = await isgriCurves();
    const cases = [
      { ...randomSeries(21, 400, 0), hw: [] as number[], nsig: 3 },
      { ...randomSeries(22, 31, 0), hw: [] as number[], nsig: 2 },
      { label: "constant", t: [0, 1, 2, 3, 4], y: [5, 5.1, 4.9, 5, 5], dy: [1, 1, 1, 1, 1], hw: [], nsig: 3 },
      ...curves.slice(0, 4).map((lc) => ({ ...asSeries(lc), hw: [...lc.halfWidth], nsig: 3 })),
    ];
    for (const c of cases) if (c.hw.length === 0) c.hw = c.t.map(() => 0.001);
    const ref = JSON.parse(await runPython(VARIABILITY_REF, { stdin: JSON.stringify(cases) })) as {
      wm: number;
      wme: number;
      chi2: number;
      p: number;
      s2: number;
      mse: number;
      fvar: number | null;
      fvar_err: number | null;
      eps: number[][];
    }[];
    const close = (a: number, b: number, tol: number, what: string) =>
      assert(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);
    let sawFvar = false, sawUndefined = false, sawEpisode = false;
    cases.forEach((c, i) => {
      const v = variability({ time: c.t, rate: c.y, error: c.dy, halfWidth: c.hw }, { nSigma: c.nsig });
      const r = ref[i];
      close(v.weightedMean, r.wm, 1e-12, `${c.label} mean`);
      close(v.weightedMeanError, r.wme, 1e-12, `${c.label} mean error`);
      close(v.chi2, r.chi2, 1e-11, `${c.label} chi2`);
      strictEqual(v.dof, c.t.length - 1);
      close(v.chi2Probability, r.p, 1e-9, `${c.label} chi2 probability`);
      close(v.sampleVariance, r.s2, 1e-11, `${c.label} S2`);
      close(v.meanSquareError, r.mse, 1e-12, `${c.label} MSE`);
      if (r.fvar === null) {
        strictEqual(v.fvar, null, `${c.label}: Fvar undefined`);
        strictEqual(v.fvarError, null);
        sawUndefined = true;
      } else {
        close(v.fvar!, r.fvar, 1e-9, `${c.label} Fvar`);
        close(v.fvarError!, r.fvar_err!, 1e-9, `${c.label} Fvar error`);
        sawFvar = true;
      }
      strictEqual(v.episodes.length, r.eps.length, `${c.label}: episodes`);
      v.episodes.forEach((e, k) => {
        const [first, last, start, stop, pt, pr, sig] = r.eps[k];
        strictEqual(e.first, first);
        strictEqual(e.last, last);
        close(e.start, start, 1e-15, "start");
        close(e.stop, stop, 1e-15, "stop");
        strictEqual(e.peakTime, pt);
        strictEqual(e.peakRate, pr);
        close(e.significance, sig, 1e-12, "significance");
        sawEpisode = true;
      });
    });
    assert(sawFvar && sawUndefined && sawEpisode, "cases cover defined/undefined Fvar and episodes");
  },
);

// ---- XSPEC-ready spectra ----------------------------------------------------------------------------------------------

testWithTool(
  "spectrum sets saved by saveAllData and saveSpectrumSet: OGIP, fitsverify-clean, RESPFILE/ANCRFILE exist",
  [
    "astropy",
    "fitsverify",
  ],
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "oda-science-spec-" });
    const sb = await startSandbox({ port: 0, seed: 7, jobDuration: 0 });
    try {
      const disp = new DispatcherAPI({ url: sb.url, token: await sb.mintToken() });
      const data = await disp.getProduct({
        instrument: "isgri",
        product: "isgri_spectrum",
        T1: "2020-03-01T00:00:00",
        T2: "2020-03-02T00:00:00",
        RA: 83.63,
        DEC: 22.01,
        silent: true,
      });
      const files = await data.saveAllData({ dir: `${dir}/all`, prefix: "crab" });
      const spectra = files.filter((f) => f.endsWith("_spectrum.fits"));
      assert(spectra.length >= 2, "two sources with spectrum sets");
      // the same set through saveSpectrumSet with grouping, systematics and an energy range
      const [spec, arf, rmf] = data._p_list.slice(0, 3) as NumpyDataProduct[];
      const plain = spectrumWithEnergies(spec, rmf);
      // a tenth of the total counts per group: several channels per group, known from the data
      const minCounts = Math.round(plain.rate.reduce((a, r) => a + Math.max(0, r), 0) * plain.exposure! / 10);
      const set = await saveSpectrumSet(spec, arf, rmf, {
        dir: `${dir}/set`,
        base: "crab",
        grouping: { minCounts },
        systematicFraction: 0.02,
        energyRange: [25, 300],
      });
      const sig = await saveSpectrumSet(spec, arf, rmf, {
        dir: `${dir}/sig`,
        base: "crab",
        grouping: { minSignificance: 50 },
      });
      for (const f of [...files, set.spectrum, set.arf!, set.rmf, sig.spectrum]) {
        await assertFitsverifyClean(f);
      }
      const report = JSON.parse(
        await runPython(
          `
import json, os, sys
import numpy as np
from astropy.io import fits
out = []
for path in sys.argv[1:]:
    with fits.open(path) as h:
        e = [x for x in h[1:] if x.header.get("HDUCLAS1") == "SPECTRUM"][0]
        hd = e.header
        d = os.path.dirname(path)
        r = {k: hd.get(k) for k in ("HDUCLASS", "HDUCLAS1", "HDUCLAS2", "HDUCLAS3", "HDUVERS", "TELESCOP", "INSTRUME",
             "FILTER", "EXPOSURE", "AREASCAL", "BACKSCAL", "CORRSCAL", "BACKFILE", "CORRFILE", "RESPFILE", "ANCRFILE",
             "CHANTYPE", "DETCHANS", "POISSERR", "GROUPING", "SYS_ERR", "QUALITY")}
        r["path"] = path
        for k in ("RESPFILE", "ANCRFILE"):
            r[k + "_exists"] = os.path.isfile(os.path.join(d, hd[k]))
            if r[k + "_exists"]:
                with fits.open(os.path.join(d, hd[k])) as o:
                    r[k + "_classes"] = [x.header.get("HDUCLAS2") for x in o[1:]]
        cols = e.columns.names
        r["cols"] = cols
        if "GROUPING" in cols:
            g = e.data["GROUPING"].astype(int); q = e.data["QUALITY"].astype(int)
            rate = e.data["RATE"].astype(float); err = e.data["STAT_ERR"].astype(float)
            counts = rate * hd["EXPOSURE"]
            starts = [i for i in range(len(g)) if g[i] == 1] + [len(g)]
            groups = [(a, b) for a, b in zip(starts[:-1], starts[1:])]
            r["groups"] = [[int(a), int(b), float(counts[a:b].sum()), float(rate[a:b].sum() / np.sqrt((err[a:b]**2).sum())),
                            int(q[a:b].max())] for a, b in groups]
            r["grouping_values"] = sorted(set(g.tolist()))
            r["sys"] = sorted(set(np.round(e.data["SYS_ERR"].astype(float), 6).tolist())) if "SYS_ERR" in cols else None
        out.append(r)
json.dump(out, sys.stdout)
`,
          { args: [...spectra, set.spectrum, sig.spectrum] },
        ),
      ) as Record<string, unknown>[];
      for (const r of report) {
        const what = String(r.path);
        for (
          const [k, v] of Object.entries({
            HDUCLASS: "OGIP",
            HDUCLAS1: "SPECTRUM",
            HDUCLAS3: "RATE",
            HDUVERS: "1.2.1",
          })
        ) {
          strictEqual(r[k], v, `${what} ${k}`);
        }
        for (const k of ["TELESCOP", "INSTRUME", "FILTER", "CHANTYPE", "BACKFILE", "CORRFILE"]) {
          assert(typeof r[k] === "string" && r[k] !== "", `${what} ${k}`);
        }
        for (const k of ["EXPOSURE", "AREASCAL", "BACKSCAL", "CORRSCAL", "DETCHANS"]) {
          assert(typeof r[k] === "number", `${what} ${k}`);
        }
        strictEqual(r.POISSERR, false, `${what}: STAT_ERR given`);
        assert(
          r.RESPFILE_exists && r.ANCRFILE_exists,
          `${what}: RESPFILE ${r.RESPFILE} / ANCRFILE ${r.ANCRFILE} exist`,
        );
        assert(
          (r.RESPFILE_classes as string[]).includes("RSP_MATRIX") &&
            (r.RESPFILE_classes as string[]).includes("EBOUNDS"),
        );
        assert((r.ANCRFILE_classes as string[]).includes("SPECRESP"));
      }
      // saveAllData names the neighbours of the same source
      strictEqual(report[0].RESPFILE, "crab_isgri_spectrum_2_Crab_isgri_rmf.fits");
      strictEqual(report[0].ANCRFILE, "crab_isgri_spectrum_1_Crab_isgri_arf.fits");
      // grouping: every good group of the min-counts set reaches minCounts, bad channels stand alone
      const grouped = report[spectra.length];
      assert((grouped.cols as string[]).includes("GROUPING"));
      assertDeepEqual(grouped.sys, [0.02]);
      const groups = grouped.groups as [number, number, number, number, number][];
      assert(groups.some(([a, b]) => b - a > 1), "some channels were grouped");
      for (const [a, b, counts, , q] of groups) {
        if (q !== 0) strictEqual(b - a, 1, "a bad channel is its own group");
        else assert(counts >= minCounts * (1 - 1e-6), `group ${a}-${b} has ${counts} counts`);
      }
      assert(groups.some(([, , , , q]) => q === 5), "channels outside 25-300 keV are bad");
      const bySig = report[spectra.length + 1].groups as [number, number, number, number, number][];
      for (const [a, b, , s, q] of bySig) if (q === 0) assert(s >= 50, `group ${a}-${b}: ${s} sigma`);
      // saveAllData applies the same options to every spectrum of a set
      const grouped2 = await data.saveAllData({
        dir: `${dir}/grouped`,
        spectrum: { grouping: { minSignificance: 50 }, systematicFraction: 0.03 },
      });
      const pha = await NumpyDataProduct.fromFitsFile(grouped2.find((f) => f.endsWith("_spectrum.fits"))!);
      const t = pha.data_unit.find((u) => u.header.HDUCLAS1 === "SPECTRUM")!.table;
      assert(t.columns.some((c) => c.name === "GROUPING"), "GROUPING written by saveAllData");
      assert(
        [...t.columns.find((c) => c.name === "SYS_ERR")!.values as Float32Array].every((x) =>
          Math.abs(x - 0.03) < 1e-7
        ),
      );
      // spectrumWithEnergies adds the systematic fraction in quadrature
      const sys = spectrumWithEnergies(spec, rmf, { systematicFraction: 0.05 });
      for (let i = 0; i < plain.rate.length; i++) {
        const want = Math.sqrt(plain.error[i] ** 2 + (0.05 * plain.rate[i]) ** 2);
        assert(Math.abs(sys.error[i] - want) <= 1e-12 * want, `channel ${i}`);
      }
    } finally {
      await sb.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testWithTool(
  "writeLightCurveFits: OGIP light curve, fitsverify-clean, astropy keywords, read back by lightCurve",
  [
    "astropy",
    "fitsverify",
  ],
  async () => {
    const curves = await isgriCurves();
    const gx = curves.find((c) => c.name === "GX 1+4")!;
    const dir = await Deno.makeTempDir({ prefix: "oda-science-lc-" });
    try {
      const path = `${dir}/gx1p4_lc.fits`;
      await writeLightCurveFits(gx, path);
      await assertFitsverifyClean(path);
      const r = JSON.parse(
        await runPython(
          `
import json, sys
from astropy.io import fits
with fits.open(sys.argv[1]) as h:
    e = h["RATE"]; hd = e.header
    print(json.dumps({**{k: hd.get(k) for k in ("HDUCLAS1", "HDUCLAS2", "HDUCLAS3", "TIMESYS", "MJDREF", "TIMEZERO",
        "TIMEUNIT", "TSTART", "TSTOP", "TELAPSE", "ONTIME", "TIMEDEL", "TIMEPIXR", "E_MIN", "E_MAX")},
        "cols": e.columns.names, "n": len(e.data), "t0": float(e.data["TIME"][0]), "r0": float(e.data["RATE"][0])}))
`,
          { args: [path] },
        ),
      );
      strictEqual(r.HDUCLAS1, "LIGHTCURVE");
      strictEqual(r.HDUCLAS3, "RATE");
      strictEqual(r.TIMESYS, "TT");
      strictEqual(r.MJDREF, 51544);
      strictEqual(r.TIMEUNIT, "d");
      assertDeepEqual(r.cols.slice(0, 4), ["TIME", "RATE", "ERROR", "FRACEXP"]);
      strictEqual(r.n, gx.length);
      strictEqual(r.t0, gx.time[0]);
      strictEqual(r.r0, gx.rate[0]);
      strictEqual(r.TSTART, gx.time[0] - gx.halfWidth[0]);
      // the sandbox's bin half-widths are float32 (XAX_E)
      assert(Math.abs(r.TIMEDEL - 20 / 86400) < 1e-7 * r.TIMEDEL);
      assert(Math.abs(r.TELAPSE - (r.TSTOP - r.TSTART)) < 1e-12);
      assert(Math.abs(r.ONTIME - gx.length * 20 / 86400) < 1e-6 * r.ONTIME);
      const back = lightCurve(await NumpyDataProduct.fromFitsFile(path));
      assertDeepEqual(back.time, gx.time);
      assertDeepEqual(back.rate, gx.rate);
      assertDeepEqual(back.error, gx.error);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("foldLightCurve at the recovered GX 1+4 period matches a direct fold and shows the pulse", async () => {
  const curves = await isgriCurves();
  const gx = curves.find((c) => c.name === "GX 1+4")!;
  const period = 159 / 86400;
  const f = foldLightCurve(gx, period, { nBins: 10 });
  // direct computation
  const sw = new Array(10).fill(0), swx = new Array(10).fill(0);
  gx.time.forEach((t, i) => {
    const x = (t - gx.time[0]) / period;
    const k = Math.floor((x - Math.floor(x)) * 10);
    sw[k] += gx.error[i] ** -2;
    swx[k] += gx.rate[i] * gx.error[i] ** -2;
  });
  for (let k = 0; k < 10; k++) assert(Math.abs(f.rate[k] - swx[k] / sw[k]) <= 1e-12 * Math.abs(f.rate[k]));
  strictEqual([...f.count].reduce((a, b) => a + b, 0), gx.length);
  // a 30 % modulation: the folded profile is far from flat
  const v = variability({ time: f.phase, rate: f.rate, error: f.error });
  assert(v.chi2Probability < 1e-6, `folded profile χ² probability ${v.chi2Probability}`);
});

// ---- catalogs ---------------------------------------------------------------------------------------------------------

testWithTool(
  "extractCatalog: the sandbox accepts it as selected_catalog and extracts exactly the chosen sources; ds9 regions parse",
  [
    "regions",
  ],
  async () => {
    const sb = await startSandbox({ port: 0, seed: 7, jobDuration: 0 });
    const dir = await Deno.makeTempDir({ prefix: "oda-science-cat-" });
    try {
      const disp = new DispatcherAPI({ url: sb.url, token: await sb.mintToken() });
      const common = {
        instrument: "isgri",
        T1: "2020-03-01T00:00:00",
        T2: "2020-03-05T00:00:00",
        RA: 263.009,
        DEC: -24.7456,
        max_pointings: 50,
        silent: true,
      };
      const image = await disp.getProduct({ ...common, product: "isgri_image" });
      const catalog = image._p_list.find((p) => p instanceof ApiCatalog) as ApiCatalog;
      const all = catalog.table.rows();
      const detSigma = 20;
      const strong = all.filter((r) => r.significance >= detSigma && !String(r.src_names).includes("NEW"))
        .map((r) => String(r.src_names));
      const weak = all.find((r) => r.significance < detSigma && !String(r.src_names).includes("NEW"));
      assert(strong.length >= 2 && weak, "the image has strong and weak detections");
      // a detected-but-weak source by name (resolved by the dispatcher) and a known one flagged
      const objects = await resolveObjectsOfInterest(disp, [String(weak.src_names), strong[0]]);
      await assertRejects(() => resolveObjectsOfInterest(disp, ["No Such Source 123"]), DispatcherError);
      const sel = extractCatalog(catalog, {
        det_sigma: detSigma,
        include_new: false,
        objects_of_interest: objects,
      });
      const chosen = sel.table.column("src_names").map(String);
      assertDeepEqual(chosen, [...strong, String(weak.src_names)]);
      // columns and dtypes of the dispatcher's catalog; the added row flagged
      assertDeepEqual(sel.table.colnames, catalog.table.colnames);
      const dict = JSON.parse(sel.getApiDictionary());
      assertDeepEqual(
        dict.cat_column_descr.map((d: string[]) => d[1].replace(/U\d+/, "U")),
        catalog.toCatalogDict().cat_column_descr.map((d) => d[1].replace(/U\d+/, "U")),
      );
      const added = sel.table.rows().at(-1)!;
      strictEqual(added.FLAG, 1);
      strictEqual(added.ISGRI_FLAG, 2);
      strictEqual(added.significance, 0);
      // the follow-up spectrum has exactly these sources
      const spectra = await disp.getProduct({
        ...common,
        product: "isgri_spectrum",
        selected_catalog: sel.getApiDictionary(),
      });
      const srcs = new Set(
        (spectra._p_list as NumpyDataProduct[]).map((p) =>
          String((p.meta_data as Record<string, unknown>).src_name)
        ),
      );
      assertDeepEqual([...srcs].sort(), [...chosen].sort());
      // ds9 regions: astropy-regions reads every circle with its label and position
      const regPath = `${dir}/sel.reg`;
      await Deno.writeTextFile(regPath, toDs9Regions(sel, { radiusArcmin: 4 }));
      const parsed = JSON.parse(
        await runPython(
          `
import json, sys
from regions import Regions
rs = Regions.read(sys.argv[1], format="ds9")
print(json.dumps([[r.meta.get("text"), r.center.ra.deg, r.center.dec.deg, r.radius.to("arcmin").value] for r in rs]))
`,
          { args: [regPath] },
        ),
      ) as [string, number, number, number][];
      assertDeepEqual(parsed.map((p) => p[0]), chosen);
      parsed.forEach(([, ra, dec, r], i) => {
        assert(Math.abs(ra - Number(sel.table.column("ra")[i])) < 1e-7);
        assert(Math.abs(dec - Number(sel.table.column("dec")[i])) < 1e-7);
        assert(Math.abs(r - 4) < 1e-9);
      });
    } finally {
      await sb.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("science plots draw what the science functions measured (mean, band, episodes, blocks, best period)", async () => {
  const curves = await isgriCurves();
  const lc = curves[0];
  const v = variability(lc, { nSigma: 2.5 });
  const b = bayesianBlocks(lc.time, lc.rate, lc.error, { p0: 0.01 });
  const view = plotLightCurveAnalysis(lc, { variability: v, blocks: b });
  const bundle = await view.bundle();
  for (const m of ["text/plain", "application/vnd.vegalite.v5+json", "image/png"]) assert(m in bundle, m);
  assert((await view.svg())?.startsWith("<svg"), "the static picture");
  const spec = bundle["application/vnd.vegalite.v5+json"] as {
    layer: { data?: { values: Record<string, number>[] } }[];
  };
  // the extra layers carry exact values, times in IJD (`t`, `t2`)
  const layers = spec.layer.filter((l) => l.data).map((l) => l.data!.values);
  // oda_api's band: weighted mean ± 2.5 σ_d (numpy.std of the rates; checked against numpy below)
  const band = layers.find((vals) => vals.length === 1 && "lo" in vals[0])![0];
  strictEqual(band.lo, v.weightedMean - 2.5 * rateScatter(lc));
  strictEqual(band.hi, v.weightedMean + 2.5 * rateScatter(lc));
  // the mean line and the block steps
  assert(layers.some((vals) => vals.length === 1 && vals[0].level === v.weightedMean));
  const stepsLayer = layers.find((vals) => vals.length === 2 * b.value.length && vals[0].t === b.edges[0])!;
  b.value.forEach((val, j) => strictEqual(stepsLayer[2 * j].y, val));
  // the excess bins, one cross per bin of every episode
  const nExcess = v.episodes.reduce((a, e) => a + e.last - e.first + 1, 0);
  if (nExcess > 0) assert(layers.some((vals) => vals.length === nExcess));
  assert(String(bundle["text/plain"]).includes(`${v.episodes.length} excess episode(s)`));
  // periodogram: the marked point is the best frequency
  const gx = curves.find((c) => c.name === "GX 1+4")!;
  const ls = lombScargle(gx, { minFrequency: 86400 / 1000, maxFrequency: 86400 / 60 });
  const pb = await plotPeriodogram(ls).bundle();
  const pspec = pb["application/vnd.vegalite.v5+json"] as {
    layer: { data: { values: Record<string, number>[] } }[];
  };
  assertDeepEqual(pspec.layer[1].data.values, [{ f: ls.bestFrequency, p: ls.bestPower }]);
  assert(pspec.layer[0].data.values.some((p) => p.p === ls.bestPower), "the peak survives decimation");
  // folded: two cycles of the fold's numbers
  const f = foldLightCurve(gx, ls.bestPeriod, { nBins: 8 });
  const fb = await plotFoldedLightCurve(f).bundle();
  const fspec = fb["application/vnd.vegalite.v5+json"] as { data: { values: Record<string, number>[] } };
  strictEqual(fspec.data.values.length, 16);
  fspec.data.values.forEach((p, i) => strictEqual(p.y, shortestExact(f.rate[i % 8])));
});

/** A flare with large errors and a small rise with small errors: excess bins inside oda_api's σ_d band. */
function twoFlares(): Series & { hw: number[] } {
  const r = rng(5);
  const t: number[] = [], y: number[] = [], dy: number[] = [], hw: number[] = [];
  for (let i = 0; i < 80; i++) {
    const e = i >= 30 && i < 36 ? 4 : i >= 54 && i < 57 ? 0.6 : 1;
    t.push(6651.2 + i * 600 / 86400);
    hw.push(300 / 86400);
    dy.push(e);
    y.push(20 + (i >= 30 && i < 36 ? 15 : 0) + (i >= 54 && i < 57 ? 3.2 : 0) + 0.5 * e * r.n());
  }
  return { label: "two flares", t, y, dy, hw };
}

testWithTool(
  "analysis plot: the drawn excess threshold separates exactly the flagged bins (Vega-Lite rows and static series); σ_d is numpy.std",
  ["astropy"],
  async () => {
    const curves = await isgriCurves();
    const cases: (Series & { hw?: number[]; nsig: number })[] = [
      { ...twoFlares(), nsig: 3 },
      { ...randomSeries(22, 300, 0), nsig: 2 }, // no widths: each step spans half-way to the neighbours
      { ...asSeries(curves[0], 1500), hw: Array.from(curves[0].halfWidth).slice(0, 1500), nsig: 2.5 },
    ];
    const ref = JSON.parse(
      await runPython(
        `import json, sys\nimport numpy as np\njson.dump([float(np.std(np.array(c["y"], dtype=float))) for c in json.load(sys.stdin)], sys.stdout)`,
        { stdin: JSON.stringify(cases) },
      ),
    ) as number[];
    let insideBand = 0;
    cases.forEach((c, k) => {
      const lc = { time: c.t, rate: c.y, error: c.dy, ...(c.hw ? { halfWidth: c.hw } : {}) };
      const a = lightCurveAnalysisPlot(lc, { nSigma: c.nsig });
      const v = a.variability;
      assert(
        Math.abs(a.scatter - ref[k]) <= 1e-12 * ref[k],
        `${c.label}: σ_d ${a.scatter} vs numpy ${ref[k]}`,
      );
      assertDeepEqual(Array.from(a.thresholds), Array.from(excessThresholds(lc, v)));
      const flagged = new Set<number>();
      for (const e of v.episodes) for (let i = e.first; i <= e.last; i++) flagged.add(i);
      assert(flagged.size > 0 && flagged.size < c.t.length, `${c.label}: ${flagged.size} excess bins`);
      // Vega-Lite: the threshold step drawn over each bin, and the crosses
      const spec = a.plot.spec() as { layer: { data?: { values: Record<string, number>[] } }[] };
      const stepRows = spec.layer.find((l) => l.data?.values[0] && "thr" in l.data.values[0])!.data!.values;
      const crossRows = spec.layer.find((l) =>
        l.data?.values.length === flagged.size && !("t2" in l.data.values[0]) && "y" in l.data.values[0] &&
        (l as { mark?: { type?: string } }).mark?.type === "point"
      )!.data!.values;
      assertDeepEqual(
        crossRows.map((r) =>
          r.t
        ),
        [...flagged].map((i) => c.t[i]),
      );
      // static: the dashed segments and the × markers, x on the plot's axis
      const series = a.plot.staticSeries();
      const seg = series.find((s: PlotSeries) => s.dash && s.segments)!.segments!;
      const cross = series.find((s: PlotSeries) => s.marker === "cross")!;
      assertDeepEqual(Array.from(cross.x), [...flagged].map((i) => a.plot.axis.toX(c.t[i])));
      const bandRow = spec.layer.find((l) => l.data?.values.length === 1 && "lo" in l.data.values[0])!.data!
        .values[0];
      strictEqual(bandRow.hi, v.weightedMean + c.nsig * a.scatter);
      for (let i = 0; i < c.t.length; i++) {
        const over = stepRows.filter((r) => r.t < c.t[i] && c.t[i] < r.t2);
        strictEqual(over.length, 1, `${c.label}: one step over bin ${i}`);
        const x = a.plot.axis.toX(c.t[i]);
        const js = Array.from({ length: seg.x0.length }, (_, j) => j)
          .filter((j) => seg.x0[j] < x && x < seg.x1[j]);
        strictEqual(js.length, 1, `${c.label}: one static step over bin ${i}`);
        strictEqual(seg.y[js[0]], over[0].thr, "one set of rows");
        const drawnAbove = c.y[i] >= over[0].thr;
        strictEqual(drawnAbove, flagged.has(i), `${c.label} bin ${i}: rate ${c.y[i]}, step ${over[0].thr}`);
        if (flagged.has(i) && c.y[i] < bandRow.hi) insideBand++;
      }
    });
    assert(insideBand > 0, "some excess bins sit inside oda_api's σ_d band: the band is not the rule");
    // the caption and both legends say which rule each element shows
    const a = lightCurveAnalysisPlot({ time: twoFlares().t, rate: twoFlares().y, error: twoFlares().dy });
    assert(a.caption.includes("weighted mean + 3 × the bin's own error σᵢ"), a.caption);
    const svg = a.plot.svg();
    for (const needle of ["excess threshold: mean + 3σᵢ, each bin", "oda_api band: mean ± 3σ_d"]) {
      assert(svg.includes(needle), needle);
      assert(JSON.stringify(a.plot.spec()).includes(needle), needle);
    }
    // above the point budget the steps are decimated with the curve (lowest and highest per column)
    const long = randomSeries(23, 5000, 0);
    const d = lightCurveAnalysisPlot({ time: long.t, rate: long.y, error: long.dy });
    const dSteps = (d.plot.spec() as { layer: { data?: { values: Record<string, number>[] } }[] }).layer
      .find((l) => l.data?.values[0] && "thr" in l.data.values[0])!.data!.values;
    assert(dSteps.length <= 1200 && dSteps.length >= 600, `${dSteps.length} decimated steps`);
    const thrMin = Math.min(...d.thresholds), thrMax = Math.max(...d.thresholds);
    strictEqual(Math.min(...dSteps.map((r) => r.thr)), thrMin);
    strictEqual(Math.max(...dSteps.map((r) => r.thr)), thrMax);
  },
);

Deno.test("mosaic contours: marching squares lie on the level set; drawn over the sky image at each level", async () => {
  const n = 96, c = 47.3, s = 9;
  const img = Float32Array.from({ length: n * n }, (_, k) => {
    const x = k % n, y = Math.floor(k / n);
    return 40 * Math.exp(-((x - c) ** 2 + (y - c) ** 2) / (2 * s * s));
  });
  for (const level of [5, 10, 30]) {
    const segs = contourSegments(img, [n, n], level);
    const r = s * Math.sqrt(2 * Math.log(40 / level)); // exact radius of the level set
    assert(segs.length > 20, `level ${level}: ${segs.length} segments`);
    for (const [x1, y1, x2, y2] of segs) {
      for (const [x, y] of [[x1, y1], [x2, y2]]) {
        // FITS pixel (1-based) → array index: x − 1; linear interpolation error stays below 0.1 px here
        const d = Math.hypot(x - 1 - c, y - 1 - c);
        assert(Math.abs(d - r) < 0.1, `level ${level}: point at radius ${d}, expected ${r}`);
      }
    }
  }
  const b = await plotMosaicContours(img, [n, n], { levels: [30, 5, 10], unit: "sigma" }).bundle();
  const svg = String(b["image/svg+xml"]);
  assertDeepEqual([...svg.matchAll(/data-level="([\d.]+)"/g)].map((m) => Number(m[1])), [5, 10, 30]);
});
