/**
 * `deno task demo`: the seed notebooks' whole workflow as one script, against
 * an embedded sandbox dispatcher — token discovery, SPI-ACS light curve,
 * product description, ISGRI image, catalog filtering, spectra with ARF/RMF,
 * ISGRI light curves — with terminal progress, FITS files and an offline
 * `index.html` report.
 *
 * `signal` (Ctrl-C in `oda demo`) cancels it: the running request or wait stops, the embedded sandbox is
 * closed, every file written so far is whole (each goes through a temporary file renamed into place) and the
 * report is not written.
 *
 * @module
 */
import { DispatcherAPI } from "../client/dispatcher.ts";
import { TokenError } from "../errors.ts";
import { escapeHtml, tableToHtml, VIEW_CSS } from "../display/html.ts";
import { mosaicSvg } from "../display/image.ts";
import { plotSvg } from "../display/render.ts";
import { LightCurvePlot } from "../display/light_curve_plot.ts";
import { sourcesFromTable } from "../display/plots.ts";
import { getLogger } from "../log.ts";
import type { ApiCatalog } from "../products/api_catalog.ts";
import type { CatalogRow } from "../products/catalog_table.ts";
import type { DataCollection } from "../products/collection.ts";
import { lightCurve } from "../products/light_curve.ts";
import type { NumpyDataProduct } from "../products/numpy_data_product.ts";
import { spectrumWithEnergies } from "../products/spectrum.ts";
import { decodeOdaToken } from "../token/decode.ts";
import { discoverTokenAndMethod } from "../token/discover.ts";
import { formatTokenReport } from "../token/format.ts";
import { tokenLocationName } from "../token/location.ts";
import { startSandbox } from "../sandbox/server.ts";
import { writeAtomic } from "../data/atomic_write.ts";
import { interruptCheck } from "../codecs/budget.ts";
import { type CliIO, processIO } from "./io.ts";

/**
 * Options of {@linkcode runDemo}.
 *
 * @example
 * ```ts
 * import type { DemoOptions } from "@oda-hub/oda-api/cli";
 * const options: DemoOptions = { out: "/tmp/oda-demo", seed: 7, jobSeconds: 0.5 };
 * ```
 */
export interface DemoOptions {
  /** Output directory (FITS files and index.html). @default "oda-demo-output" */
  out?: string;
  /** Seed of the simulated sky. @default 42 */
  seed?: number | undefined;
  /** Duration of each simulated asynchronous job, seconds. @default 1.5 */
  jobSeconds?: number;
  /** Where to print. */
  io?: CliIO;
  /**
   * Cancels the demo (`oda demo` passes Ctrl-C's): it rejects with the signal's reason (an `OdaError`),
   * after closing its sandbox; files already saved are whole, the report is not written.
   */
  signal?: AbortSignal | undefined;
}

/**
 * What the demo produced.
 *
 * @example
 * ```ts ignore
 * import { type DemoResult, runDemo } from "@oda-hub/oda-api/cli";
 * const r: DemoResult = await runDemo({ out: "/tmp/oda-demo" });
 * console.log(`${r.files.length} files in ${r.seconds.toFixed(1)} s, open ${r.report}`);
 * ```
 */
export interface DemoResult {
  /** Output directory. */
  out: string;
  /** Files written (FITS, ECSV, index.html). */
  files: string[];
  /** Path of the HTML report. */
  report: string;
  /** Wall time in seconds. */
  seconds: number;
}

interface Section {
  title: string;
  html: string;
}

function pre(text: string): string {
  return `<pre>${escapeHtml(text)}</pre>`;
}

/** The query window of the seed notebooks (MAXI J1820+070 field, March–May 2018). */
const FIELD = {
  RA: 275.09142677,
  DEC: 7.18535523,
  T1: 58193.455,
  T2: 58246.892,
  T_format: "mjd",
  radius: 8,
  osa_version: "OSA11.2",
  E1_keV: 30,
  E2_keV: 80,
} as const;

/**
 * Run the demo; returns the files it wrote.
 *
 * @example
 * ```ts ignore
 * import { runDemo } from "@oda-hub/oda-api/cli";
 * const r = await runDemo({ out: "/tmp/oda-demo" });
 * console.log(r.report);
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const io = options.io ?? processIO();
  const out = options.out ?? "oda-demo-output";
  const started = performance.now();
  const say = (s: string) => io.out(s + "\n");
  const sections: Section[] = [];
  const files: string[] = [];

  // Show what the client does (INFO), like the seed's logging cell.
  const root = getLogger("oda_api");
  const previousLevel = root.getEffectiveLevel();
  root.setLevel("INFO");
  // Per-science-window reports are shown by the progress bar, not as log lines.
  const progressLog = getLogger("oda_api.api.dispatcherapi.progress");
  progressLog.setLevel("WARNING");
  const detach = root.addHandler((r) => io.err(`${r.message}\n`));
  const signal = options.signal;
  // between steps: stop before starting the next one (requests and saves also take the signal); only an
  // OdaError escapes (the signal's reason when it is one)
  const step = interruptCheck({ signal }, "running the demo");

  step();
  const sb = await startSandbox({ seed: options.seed ?? 42, jobDuration: options.jobSeconds ?? 1.5 });
  const previousToken = Deno.env.get("ODA_TOKEN");
  try {
    say(`== sandbox dispatcher running at ${sb.url}`);
    // 1. Token: the sandbox signs one for us; we "discover" it like a user would.
    Deno.env.set("ODA_TOKEN", await sb.mintToken(undefined, { expiresIn: 24 * 3600 }));
    const found = discoverTokenAndMethod();
    if (!found.token) {
      throw new TokenError("TOKEN_NOT_FOUND", "the demo could not discover its own sandbox token");
    }
    step();
    const token = found.token;
    const tokenText = formatTokenReport(
      decodeOdaToken(token),
      found.location ? tokenLocationName(found.location) : "?",
    );
    say(`\n== 1. token\n${tokenText}`);
    sections.push({
      title: "1. Token (payload only; the token itself is never shown)",
      html: pre(tokenText),
    });

    const disp = new DispatcherAPI({ url: sb.url, token });
    const bound = signal ? { signal } : {};

    step();
    // 2. SPI-ACS light curve (synchronous).
    say(`\n== 2. SPI-ACS light curve of 4U 1700-377`);
    const acs = await disp.getProduct({
      instrument: "spi_acs",
      product: "spi_acs_lc",
      product_type: "Real",
      src_name: "4U 1700-377",
      RA: 257.815417,
      DEC: -41.593417,
      T1: "58195.455",
      T2: "58195.555",
      T_format: "mjd",
      time_bin: 1,
      silent: true,
      ...bound,
    });
    const acsText = acs.showText();
    say(acsText.trimEnd());
    files.push(...await acs.saveAllData({ dir: out, prefix: "spi_acs", ...bound }));
    sections.push({
      title: "2. SPI-ACS light curve",
      html: pre(acsText) + lightCurveSvg(acs._p_list[0] as NumpyDataProduct),
    });

    step();
    // 3. Product description.
    say(`\n== 3. parameters of isgri_spectrum`);
    const descr = await disp.getProductDescription({
      instrument: "isgri",
      product_name: "isgri_spectrum",
      ...bound,
    });
    const descrText = (descr as { text?: string }).text ?? JSON.stringify(descr, null, 2);
    sections.push({ title: "3. Parameters of the ISGRI spectrum", html: pre(descrText) });

    step();
    // 4. ISGRI image on a few pointings.
    say(`\n== 4. ISGRI mosaic image (30-80 keV, 10 pointings)`);
    const image = await disp.getProduct({
      instrument: "isgri",
      product: "isgri_image",
      product_type: "Real",
      ...FIELD,
      max_pointings: 10,
      silent: true,
      ...bound,
    });
    const imageText = image.showText();
    say(imageText.trimEnd());
    files.push(...await image.saveAllData({ dir: out, prefix: "image", ...bound }));
    const catalog = image.get("dispatcher_catalog_1") as ApiCatalog;
    const mosaic = image.get("mosaic_image_0_mosaic") as NumpyDataProduct;

    step();
    // 5. Keep significant, known sources; turn them into `selected_catalog`.
    const detSigma = 8;
    const clean = catalog.table.filter((row: CatalogRow) =>
      Number(row.significance) >= detSigma && !String(row.src_names).includes("NEW")
    );
    say(
      `\n== 5. catalog: ${catalog.table.length} detections, ${clean.length} known sources above ${detSigma} sigma`,
    );
    const fullTable = catalog.table.toTable();
    catalog.table = clean;
    const apiCatStr = catalog.getApiDictionary();
    say(apiCatStr);
    sections.push({
      title: "4. ISGRI mosaic with the detected sources",
      html: pre(imageText) + await mosaicFigure(mosaic, fullTable),
    });
    sections.push({
      title: `5. Catalog (all detections; ${clean.length} kept for the next queries)`,
      html: tableToHtml(fullTable, { limit: 50 }) + pre(apiCatStr),
    });

    step();
    // 6. Spectra of the selected sources, with ARF and RMF.
    say(`\n== 6. ISGRI spectra of the selected sources`);
    const spectrum = await disp.getProduct({
      instrument: "isgri",
      product: "isgri_spectrum",
      product_type: "Real",
      ...FIELD,
      max_pointings: 50,
      selected_catalog: apiCatStr,
      silent: true,
      ...bound,
    });
    const spectrumText = spectrum.showText();
    say(spectrumText.trimEnd());
    const spectraHtml: string[] = [pre(spectrumText)];
    for (const name of clean.column("src_names") as string[]) {
      const sel = spectrum.newFromMetadata("src_name", name);
      if (!sel) continue;
      files.push(...await sel.saveAllData({ dir: out, ...bound }));
      spectraHtml.push(spectrumSvg(sel, name));
    }
    sections.push({
      title: "6. ISGRI spectra (saved with ARF and RMF for XSPEC)",
      html: spectraHtml.join("\n"),
    });

    step();
    // 7. ISGRI light curves with 1000 s bins.
    say(`\n== 7. ISGRI light curves, 1000 s bins`);
    const lcs = await disp.getProduct({
      instrument: "isgri",
      product: "isgri_lc",
      product_type: "Real",
      ...FIELD,
      max_pointings: 50,
      time_bin: 1000,
      selected_catalog: apiCatStr,
      silent: true,
      ...bound,
    });
    const lcsText = lcs.showText();
    say(lcsText.trimEnd());
    files.push(...await lcs.saveAllData({ dir: out, prefix: "lc", ...bound }));
    sections.push({
      title: "7. ISGRI light curves",
      html: pre(lcsText) + lcs._p_list.map((p) => lightCurveSvg(p as NumpyDataProduct)).join("\n"),
    });

    step();
    const report = `${out}/index.html`;
    await Deno.mkdir(out, { recursive: true });
    const html = reportHtml(sections, sb.url, files.map((f) => f.split("/").pop()!));
    await writeAtomic(report, new TextEncoder().encode(html), true);
    files.push(report);
    const seconds = (performance.now() - started) / 1000;
    say(`\n== done in ${seconds.toFixed(1)} s: ${files.length} files in ${out}/ (open ${report})`);
    return { out, files, report, seconds };
  } finally {
    if (previousToken === undefined) Deno.env.delete("ODA_TOKEN");
    else Deno.env.set("ODA_TOKEN", previousToken);
    detach();
    root.setLevel(previousLevel);
    progressLog.setLevel(undefined);
    await sb.close();
  }
}

function lightCurveSvg(p: NumpyDataProduct): string {
  // the same plot as plotLightCurve's PNG: every bin, or min–max envelopes above the point budget
  return new LightCurvePlot(lightCurve(p)).svg();
}

function spectrumSvg(sel: DataCollection, name: string): string {
  const [spec, , rmf] = sel._p_list as NumpyDataProduct[];
  const s = spectrumWithEnergies(spec, rmf);
  const keep: number[] = [];
  for (let i = 0; i < s.energy.length; i++) if (s.ratePerKeV[i] > 0 && s.errorPerKeV[i] > 0) keep.push(i);
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const half = Float64Array.from(keep, (i) => (s.eMax[i] - s.eMin[i]) / 2);
  return plotSvg([{ x: pick(s.energy), y: pick(s.ratePerKeV), yerr: pick(s.errorPerKeV), xerr: half }], {
    title: `ISGRI spectrum of ${name}`,
    xLabel: "Energy [keV]",
    yLabel: "Rate [counts/s/keV]",
    xLog: true,
    yLog: true,
  });
}

async function mosaicFigure(mosaic: NumpyDataProduct, catalog: import("../data/ndarray.ts").Table) {
  const unit = mosaic.data_unit.find((u) => u.header?.IMATYPE === "SIGNIFICANCE") ??
    mosaic.data_unit.filter((u) => u.data?.kind === "ndarray" && u.data.shape.length === 2)[0];
  if (!unit || unit.data?.kind !== "ndarray") return "<p>(no image)</p>";
  return await mosaicSvg(unit.data.values as ArrayLike<number>, unit.data.shape, {
    header: unit.header,
    sources: sourcesFromTable(catalog),
    title: `ISGRI significance mosaic, ${FIELD.E1_keV}-${FIELD.E2_keV} keV`,
    unit: "sigma",
    stretch: "asinh",
  });
}

function reportHtml(sections: Section[], url: string, files: string[]): string {
  const body = sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`).join(
    "\n",
  );
  const list = files.map((f) => `<li><a href="${encodeURIComponent(f)}">${escapeHtml(f)}</a></li>`).join("");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>oda-api demo report</title>
<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
svg { max-width: 100%; height: auto; display: block; margin: .5em 0; }
</style>${VIEW_CSS}</head><body>
<h1>oda-api for Deno: the seed workflow, end to end</h1>
<p>Simulated INTEGRAL data from the offline sandbox dispatcher (${escapeHtml(url)}), generated ${
    escapeHtml(new Date().toISOString())
  }. Everything below was fetched over HTTP with the same client you use against MMODA.</p>
${body}
<section><h2>Files</h2><ul>${list}</ul></section>
</body></html>
`;
}

if (import.meta.main) {
  await runDemo();
}
