/**
 * Sandbox fidelity (issue 16): what a Python client sees. The sandbox's
 * isgri / jemx / spi_acs products are decoded with Debian's numpy 1.x and
 * astropy the way oda_api does (pickles, FITS HDUs, `plot_tools` reading
 * spectra through EBOUNDS and light curves at data_unit[1] for IBIS, [2]
 * otherwise); the description endpoints check tokens like /run_analysis; the
 * per-instrument argument rules, callback-driven jobs, INTEGRAL role rules,
 * progress keys and the simulated sky's calibration.
 */
import nodeAssert from "node:assert/strict";
import { assert, assertEquals } from "./client_replay.ts";
import { EMPTY_ASYNC, get } from "./_sandbox_http.ts";
import { assertFitsverifyClean, runPython, testWithTool } from "./_validators.ts";
import { startSandbox } from "../sandbox.ts";
import { builtinInstruments } from "../lib/sandbox/instruments/index.ts";
import { bandRate, bandVariance, ISGRI, JEMX2, powerLaw } from "../lib/sandbox/instruments/response.ts";
import { EXTREME_SCW_LIMIT, PUBLIC_SCW_LIMIT } from "../lib/sandbox/instruments/isgri.ts";
import { fovResponse } from "../lib/sandbox/instruments/observation.ts";
import { ISGRI_IMAGING } from "../lib/sandbox/instruments/isgri.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Submit and poll a job to its end, as oda_api does; returns the final response. */
async function runJob(base: string, params: Record<string, string>): Promise<Json> {
  let [, r] = await get(base, "/run_analysis", { ...params, query_status: "new" });
  // generous: the simulations share two cores with the rest of the suite
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !["done", "failed"].includes(r.query_status)) {
    if (r.query_status !== "ready") await new Promise((res) => setTimeout(res, 25));
    [, r] = await get(base, "/run_analysis", {
      ...params,
      query_status: r.query_status,
      job_id: r.job_monitor.job_id,
      session_id: r.session_id,
    });
  }
  return r;
}

const MAXI = {
  RA: "275.09142677",
  DEC: "7.18535523",
  T1: "58193.455",
  T2: "58246.892",
  T_format: "mjd",
  radius: "8",
  max_pointings: "4",
  osa_version: "OSA11.2",
  api: "True",
  query_type: "Real",
};
const CRAB_CATALOG = JSON.stringify({
  cat_frame: "fk5",
  cat_coord_units: "deg",
  cat_column_list: [[0], ["MAXI J1820+070"], [100.0], [275.09142677], [7.18535523]],
  cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec"],
  cat_column_descr: [["meta_ID", "<i8"], ["src_names", "<U14"], ["significance", "<f8"], ["ra", "<f8"], [
    "dec",
    "<f8",
  ]],
  cat_lat_name: "dec",
  cat_lon_name: "ra",
});

const TMP = await Deno.makeTempDir({ prefix: "oda-fidelity-" });
addEventListener("unload", () => {
  try {
    Deno.removeSync(TMP, { recursive: true });
  } catch { /* gone */ }
});

/**
 * What oda_api 1.3.5 does with a response, in plain numpy/astropy (oda_api itself is not installable here):
 * NumpyDataUnit.decode (pickle.loads of the base64 `binarys`), to_fits_hdu (header dict, then the unit name
 * as EXTNAME), OdaSpectrum.get_values (RATE of products[0].data_unit[1], energies from the EBOUNDS unit of
 * products[2]), OdaLightCurve.write_fits (data_unit[1] for INSTRUME IBIS, else [2]), OdaImage (SIGNIFICANCE
 * at data_unit[4], WCS from its header). Writes each product as a FITS file like write_fits_file.
 */
const PYTHON_CLIENT = `
import sys, json, base64, pickle, numpy as np
from astropy.io import fits
from astropy.wcs import WCS
products = json.load(sys.stdin)
outdir = sys.argv[1]
def unit_hdu(du):
    data = None
    if du['binarys'] is not None:
        data = pickle.loads(base64.b64decode(du['binarys']))
        assert isinstance(data, np.ndarray), type(data)
        assert str(data.dtype) == du['dt'] or data.dtype.names, (data.dtype, du['dt'])
    header = fits.Header(du['header'])
    cls = {'primary': fits.PrimaryHDU, 'image': fits.ImageHDU, 'bintable': fits.BinTableHDU}[du['hdu_type']]
    h = cls(data=data, header=header)
    h.name = du['name']
    return h
report = {'numpy': np.__version__}
for tag, plist in products.items():
    decoded = []
    for i, p in enumerate(plist):
        hdus = [unit_hdu(du) for du in p['data_unit_list']]
        meta = json.loads(p['meta_data'])
        fn = '%s/%s_%d.fits' % (outdir, tag, i)
        hl = fits.HDUList(hdus)
        hl.writeto(fn, overwrite=True)
        decoded.append((p['name'], meta, hdus, fn))
    r = {'files': [d[3] for d in decoded], 'names': [d[0] for d in decoded],
         'units': [[h.name for h in d[2]] for d in decoded]}
    if tag.endswith('spectrum'):
        spec = decoded[0][2][1]
        ebounds = [h for h in decoded[2][2] if h.header['EXTNAME'] == 'EBOUNDS'][0]
        x = (ebounds.data['E_MAX'] + ebounds.data['E_MIN']) / 2.
        dx = (ebounds.data['E_MAX'] - ebounds.data['E_MIN']) / 2.
        y = spec.data['RATE']
        dy = np.sqrt(spec.data['STAT_ERR'] ** 2 + spec.data['SYS_ERR'] ** 2)
        ok = ~np.isnan(y)
        r['spectrum'] = {'n': int(ok.sum()), 'x': [float(v) for v in x[ok]], 'y': [float(v) for v in (y / dx)[ok]],
                         'dy': [float(v) for v in (dy / dx)[ok]], 'src': decoded[0][1]['src_name']}
        m = [h for h in decoded[2][2] if h.header['EXTNAME'] in ('SPECRESP MATRIX', 'MATRIX')][0]
        r['rmf'] = {k: m.header.get(k) for k in ('HDUCLAS1', 'HDUCLAS2', 'CHANTYPE', 'DETCHANS', 'TLMIN4', 'TLMAX4')}
        r['rmf']['ebounds'] = {k: ebounds.header.get(k) for k in ('HDUCLAS1', 'HDUCLAS2', 'CHANTYPE', 'DETCHANS')}
    if tag.endswith('lc'):
        out = []
        for name, meta, hdus, fn in decoded:
            instrument = hdus[1].header['INSTRUME']
            ind = 1 if instrument == 'IBIS' else 2
            if instrument == 'SPI-ACS':
                ind = 1
            lc = hdus[ind]
            out.append({'instrument': instrument, 'extname': lc.header['EXTNAME'], 'n': len(lc.data),
                        'rate_sum': float(np.sum(lc.data['RATE'], dtype=np.float64)),
                        'timedel': float(lc.header['TIMEDEL']), 'src': meta.get('src_name')})
        r['lc'] = out
    if tag.endswith('image'):
        sig = decoded[0][2][4]
        w = WCS(sig.header)
        r['image'] = {'imatype': sig.header['IMATYPE'], 'shape': list(sig.data.shape),
                      'max': float(np.nanmax(sig.data)), 'ctype': list(w.wcs.ctype)}
    report[tag] = r
print(json.dumps(report))
`;

testWithTool(
  "Python numpy 1.x / astropy read the sandbox's isgri, jemx and spi_acs products as oda_api does",
  ["astropy", "fitsverify"],
  async () => {
    await using sb = await startSandbox({ seed: 3, jobDuration: 0 });
    const token = await sb.mintToken();
    const products: Record<string, unknown[]> = {};
    const outputs: Record<string, Json> = {};
    const jobs: [string, Record<string, string>][] = [
      ["isgri_image", {
        ...MAXI,
        instrument: "isgri",
        product_type: "isgri_image",
        E1_keV: "30",
        E2_keV: "80",
      }],
      ["jemx_image", {
        ...MAXI,
        instrument: "jemx",
        product_type: "jemx_image",
        radius: "4",
        max_pointings: "2",
      }],
      ["isgri_spectrum", {
        ...MAXI,
        instrument: "isgri",
        product_type: "isgri_spectrum",
        selected_catalog: CRAB_CATALOG,
      }],
      ["isgri_lc", {
        ...MAXI,
        instrument: "isgri",
        product_type: "isgri_lc",
        time_bin: "2000",
        selected_catalog: CRAB_CATALOG,
      }],
      ["jemx_spectrum", {
        ...MAXI,
        instrument: "jemx",
        product_type: "jemx_spectrum",
        radius: "4",
        selected_catalog: CRAB_CATALOG,
      }],
      ["jemx_lc", {
        ...MAXI,
        instrument: "jemx",
        product_type: "jemx_lc",
        radius: "4",
        time_bin: "2000",
        selected_catalog: CRAB_CATALOG,
      }],
      ["spi_acs_lc", {
        instrument: "spi_acs",
        product_type: "spi_acs_lc",
        query_type: "Real",
        api: "True",
        T1: "2018-03-16T00:00:00",
        T2: "2018-03-16T00:05:00",
        time_bin: "1",
      }],
    ];
    for (const [tag, params] of jobs) {
      const r = await runJob(sb.url, { ...params, token });
      assertEquals(r.query_status, "done", `${tag}: ${JSON.stringify(r.exit_status)}`);
      products[tag] = r.products.numpy_data_product_list;
      outputs[tag] = r;
      // numpy 1.x's module path inside every pickle (numpy 2 still reads it)
      for (const p of products[tag] as Json[]) {
        for (const du of p.data_unit_list) {
          if (du.binarys) {
            const head = atob(du.binarys.slice(0, 64));
            assert(head.includes("numpy.core.multiarray") && !head.includes("numpy._core"), `${tag}: module`);
          }
        }
      }
    }
    const report = JSON.parse(
      await runPython(PYTHON_CLIENT, { stdin: JSON.stringify(products), args: [TMP] }),
    );
    assert(/^1\./.test(report.numpy), `Debian's numpy 1.x (${report.numpy})`);
    // names as upstream sets them
    assertEquals(report.isgri_image.names, ["mosaic_image"]);
    assertEquals(report.isgri_lc.names, ["isgri_lc"]);
    assertEquals(report.jemx_lc.names, ["jemx_lc"]);
    assertEquals(report.spi_acs_lc.names, ["spi_acs_lc"]);
    // OGIP response extensions, in the order of MMODA's ISGRI responses
    assertEquals(report.isgri_spectrum.units.slice(0, 3), [
      ["PRIMARY", "ISGR-EVTS-SPE"],
      ["PRIMARY", "SPECRESP"],
      ["PRIMARY", "EBOUNDS", "SPECRESP MATRIX"],
    ]);
    assertEquals(report.jemx_spectrum.units[2], ["PRIMARY", "EBOUNDS", "SPECRESP MATRIX"]);
    for (const tag of ["isgri_spectrum", "jemx_spectrum"]) {
      const rmf = report[tag].rmf;
      assertEquals([rmf.HDUCLAS1, rmf.HDUCLAS2, rmf.CHANTYPE], ["RESPONSE", "RSP_MATRIX", "PI"]);
      assertEquals([rmf.ebounds.HDUCLAS1, rmf.ebounds.HDUCLAS2], ["RESPONSE", "EBOUNDS"]);
      assertEquals(rmf.DETCHANS, rmf.ebounds.DETCHANS);
      assertEquals(rmf.TLMAX4 - rmf.TLMIN4 + 1, rmf.DETCHANS);
      // OdaSpectrum.get_values: one point per channel, energies from EBOUNDS, the source's power law
      const s = report[tag].spectrum;
      assertEquals(s.src, "MAXI J1820+070");
      assertEquals(s.n, rmf.DETCHANS);
      assert(s.x.every((x: number, i: number) => i === 0 || x > s.x[i - 1]), `${tag}: increasing energies`);
    }
    // a falling hard-X-ray spectrum: the 20–40 keV points above the 100–200 keV ones
    const isp = report.isgri_spectrum.spectrum;
    const mean = (lo: number, hi: number) => {
      const v = isp.x.map((x: number, i: number) => [x, isp.y[i]]).filter(([x]: number[]) =>
        x >= lo && x < hi
      );
      return v.reduce((a: number, [, y]: number[]) => a + y, 0) / v.length;
    };
    assert(mean(20, 40) > 3 * mean(100, 200), "counts/s/keV fall with energy");
    // light curves where oda_api reads them, with the values the TypeScript decoder sees
    const lcOf = (tag: string) => report[tag].lc[0];
    assertEquals([lcOf("isgri_lc").instrument, lcOf("isgri_lc").extname], ["IBIS", "ISGR-SRC.-LCR"]);
    assertEquals([lcOf("jemx_lc").instrument, lcOf("jemx_lc").extname], ["JMX2", "JMX2-SRC.-LCR"]);
    assertEquals([lcOf("spi_acs_lc").instrument, lcOf("spi_acs_lc").extname], ["SPI-ACS", "RATE"]);
    assertEquals(lcOf("spi_acs_lc").n, 300);
    const { NumpyDataProduct } = await import("../lib/products/numpy_data_product.ts");
    for (const [tag, ind] of [["isgri_lc", 1], ["jemx_lc", 2], ["spi_acs_lc", 1]] as const) {
      const p = NumpyDataProduct.decode((products[tag] as Json[])[0]);
      const rate = p.data_unit[ind].column("RATE") as Float32Array;
      const sum = rate.reduce((a, x) => a + x, 0);
      nodeAssert.ok(Math.abs(sum - lcOf(tag).rate_sum) <= 1e-6 * Math.max(1, Math.abs(sum)), `${tag}: RATE`);
    }
    // the mosaic: SIGNIFICANCE at data_unit[4] (OdaImage's default unit_ID) with a TAN WCS
    assertEquals(report.isgri_image.image.imatype, "SIGNIFICANCE");
    assertEquals(report.isgri_image.image.ctype, ["RA---TAN", "DEC--TAN"]);
    assertEquals(report.jemx_image.image.imatype, "SIGNIFICANCE");
    assertEquals(report.jemx_image.names, ["mosaic_image"]);
    // what astropy wrote from the decoded units is valid FITS
    for (const tag of Object.keys(products)) {
      for (const f of report[tag].files as string[]) await assertFitsverifyClean(f);
    }
  },
);

testWithTool(
  "numpyModule: numpy._core pickles (a numpy 2 server's) fail in numpy 1.x, as the issue saw",
  "astropy",
  async () => {
    await using sb = await startSandbox({ seed: 3, numpyModule: "numpy._core", jobDuration: 0 });
    const r = await runJob(sb.url, {
      instrument: "spi_acs",
      product_type: "spi_acs_lc",
      query_type: "Real",
      T1: "2018-03-16T00:00:00",
      T2: "2018-03-16T00:01:00",
    });
    const b = r.products.numpy_data_product_list[0].data_unit_list[1].binarys as string;
    const out = await runPython(
      [
        "import sys, base64, pickle",
        "try:",
        "    pickle.loads(base64.b64decode(sys.stdin.read()))",
        "    print('loaded')",
        "except ModuleNotFoundError as e:",
        "    print(e)",
      ].join("\n"),
      { stdin: b },
    );
    assertEquals(out.trim(), "No module named 'numpy._core'");
  },
);

Deno.test("description endpoints check the token and the instrument's roles like /run_analysis", async () => {
  await using sb = await startSandbox({ seed: 1 });
  const expired = await sb.mintToken({ sub: "a@b.c" }, { expiresIn: -60 });
  const dev = await sb.mintToken({ sub: "a@b.c", roles: "general, oda workflow developer" });
  const other = await (await startSandbox({ seed: 1 })).mintToken();
  const expiredText =
    "The token provided is expired, please try to logout and login again. If already logged out, please clean the cookies, and resubmit you request.";
  for (
    const path of ["/api/meta-data", "/meta-data", "/api/par-names", "/meta-data-src", "/api/parameters"]
  ) {
    const [s1, b1] = await get(sb.url, path, { instrument: "isgri", token: expired });
    assertEquals([s1, b1.error_message, b1.debug_message], [403, expiredText, ""], path);
    assertEquals(b1.error, `RequestNotAuthorized():${expiredText}`, path);
    const [s2, b2] = await get(sb.url, path, { instrument: "isgri", token: other });
    assertEquals(s2, 403, `${path}: badly signed`);
    assert(/not valid/.test(b2.error_message), path);
    const [s3, b3] = await get(sb.url, path, { instrument: "isgri", token: "abc" });
    assertEquals([s3, b3.error_message], [
      400,
      "[ InstrumentQueryBackEnd : instrument-not-set ] constructor failed: Not enough segments",
    ], path);
    // a restricted instrument is not described to the public
    const [s4, b4] = await get(sb.url, path, { instrument: "empty-development" });
    assertEquals([s4, b4.error_message], [
      403,
      "Unfortunately, your priviledges are not sufficient to make the request for this instrument.\n",
    ], path);
    const [s5] = await get(sb.url, path, { instrument: "empty-development", token: dev });
    assertEquals(s5, 200, path);
    const [s6, b6] = await get(sb.url, path, {});
    assertEquals(s6, 400, path);
    assert(/^have parameters: \[.*'session_id'\] $/.test(b6.error_message), `${path}: ${b6.error_message}`);
  }
});

Deno.test("arguments of the instrument's other products are kept and enter the job id", async () => {
  await using sb = await startSandbox({ seed: 1 });
  const base = {
    instrument: "isgri",
    product_type: "isgri_image",
    query_type: "Dummy",
    query_status: "new",
  };
  const [, a] = await get(sb.url, "/run_analysis", base);
  const [, b] = await get(sb.url, "/run_analysis", { ...base, time_bin: "100" }); // an isgri_lc argument
  const [, c] = await get(sb.url, "/run_analysis", { ...base, time_bin: "200" });
  assertEquals([a.query_status, b.query_status, c.query_status], ["done", "done", "done"]);
  const ids = [a, b, c].map((r) => r.job_monitor.job_id);
  assertEquals(new Set(ids).size, 3, `job ids ${ids}`);
  assertEquals(b.products.analysis_parameters.time_bin, "100");
  assertEquals(b.exit_status.comment, "");
  // arguments no product of the instrument knows: dropped, one sentence for several
  const [, d] = await get(sb.url, "/run_analysis", { ...base, aa: "1", bb: "2" });
  assertEquals(d.exit_status.comment, "Please note that arguments aa, bb are not used");
  assertEquals(d.job_monitor.job_id, a.job_monitor.job_id);
  const [, e] = await get(sb.url, "/run_analysis", { ...base, aa: "1" });
  assertEquals(e.exit_status.comment, "Please note that argument aa is not used");
  // after the backend's own comment, separated by a space
  const [, f] = await get(sb.url, "/run_analysis", {
    instrument: "empty-with-conf",
    product_type: "dummy",
    query_type: "Real",
    query_status: "new",
    aa: "1",
  });
  assertEquals(
    f.exit_status.comment,
    "dataserver products url: PRODUCTS_URL Please note that argument aa is not used",
  );
});

Deno.test("empty-async stays submitted until the backend calls back", async () => {
  await using sb = await startSandbox({ seed: 1 });
  const p = EMPTY_ASYNC;
  const [, r0] = await get(sb.url, "/run_analysis", { ...p, query_status: "new" });
  const ids = { job_id: r0.job_monitor.job_id, session_id: r0.session_id };
  assertEquals(r0.query_status, "submitted");
  await new Promise((r) => setTimeout(r, 250));
  const [, r1] = await get(sb.url, "/run_analysis", { ...p, ...ids, query_status: "submitted" });
  assertEquals(r1.query_status, "submitted");
  await get(sb.url, "/call_back", {
    ...ids,
    action: "progress",
    node_id: "n1",
    message: "m",
    progressing: "",
  });
  const [, r2] = await get(sb.url, "/run_analysis", { ...p, ...ids, query_status: "submitted" });
  assertEquals(r2.query_status, "progress");
  await get(sb.url, "/call_back", { ...ids, action: "done", node_id: "n2", message: "done" });
  const [, r3] = await get(sb.url, "/run_analysis", { ...p, ...ids, query_status: "progress" });
  assertEquals(r3.query_status, "ready");
  const [, r4] = await get(sb.url, "/run_analysis", { ...p, ...ids, query_status: "ready" });
  assertEquals(r4.query_status, "done");
});

Deno.test("INTEGRAL role rules: more than 50 science windows need unige-hpc-full, more than 500 unige-hpc-extreme", async () => {
  await using sb = await startSandbox({ seed: 1 });
  const base = { instrument: "isgri", product_type: "isgri_image", query_type: "Dummy", query_status: "new" };
  const scws = (n: number, suffix = ".001") =>
    Array.from({ length: n }, (_, i) => `0665${String(i).padStart(4, "0")}0010${suffix}`).join(",");
  const head = "Unfortunately, your priviledges are not sufficient to make the request for this particular " +
    "product and parameter combination.\n";
  const tail = "You can request support if you think you should be able to make this request.";
  // public, max_pointings over the limit
  let [st, r] = await get(sb.url, "/run_analysis", { ...base, max_pointings: String(PUBLIC_SCW_LIMIT + 1) });
  assertEquals([st, r.query_status, r.status_code], [403, "failed", 403]);
  assertEquals(
    r.exit_status.message,
    head + "- Your priviledge roles include []\n- You are lacking all of the following roles:\n" +
      ` - unige-hpc-full: it is needed to request > 50 ScW, you requested max_pointings=51\n` + tail,
  );
  // a list over the extreme limit: both roles, sorted
  [st, r] = await get(sb.url, "/run_analysis", { ...base, scw_list: scws(EXTREME_SCW_LIMIT + 50) });
  assertEquals(st, 403);
  assertEquals(
    r.exit_status.message,
    head + "- Your priviledge roles include []\n- You are lacking all of the following roles:\n" +
      " - unige-hpc-extreme: it is needed to request > 500 ScW\n" +
      " - unige-hpc-full: it is needed to request > 50 ScW, you requested scw_list) = [ .. 550 items .. ]\n" +
      tail,
  );
  // the role lifts the limit; 50 is public
  const full = await sb.mintToken({ sub: "a@b.c", roles: "unige-hpc-full" });
  [st, r] = await get(sb.url, "/run_analysis", { ...base, scw_list: scws(100), token: full });
  assertEquals([st, r.query_status], [200, "done"]);
  [st, r] = await get(sb.url, "/run_analysis", { ...base, max_pointings: String(PUBLIC_SCW_LIMIT) });
  assertEquals([st, r.query_status], [200, "done"]);
  // NRT pointings asked as public data; a restricted OSA version
  [st, r] = await get(sb.url, "/run_analysis", { ...base, scw_list: scws(2, ".000") });
  assertEquals(st, 403);
  assert(
    r.exit_status.message.includes(" - integral-public-nrt: some of the pointings you requested are NRT"),
  );
  [st, r] = await get(sb.url, "/run_analysis", { ...base, osa_version: "OSA11.0" });
  assertEquals(st, 403);
  assert(
    r.exit_status.message.includes(
      " - integral-private-qla: the requested OSA (OSA11.0) version is restricted",
    ),
  );
});

/** oda_api's progress formatter for isgri/jemx (custom_formatters.py), on a job monitor's report list. */
function customProgressFormatter(list: Json[]): string {
  const re = /^[0-9]{12}\.00[0-9]/;
  const nscw = new Set(list.map((l) => l.scwid ?? "none").filter((s: string) => re.test(s))).size;
  const ndone =
    new Set(list.filter((l) => (l.message ?? "none") === "main done").map((l) => l.node ?? "none")).size;
  const nnodes = new Set(list.map((l) => l.node ?? "none")).size;
  const last = list.length
    ? `${list.at(-1).node ?? "none"} : ${list.at(-1).message} : ${list.at(-1).scwid ?? "none"}`
    : "";
  return `in ${nscw} SCW so far; nodes (${nnodes}): ${ndone} computed ... ${last}`;
}

Deno.test("isgri progress reports carry the keys oda_api's progress formatter reads", async () => {
  await using sb = await startSandbox({ seed: 1, jobDuration: 0 });
  const r = await runJob(sb.url, {
    ...MAXI,
    instrument: "isgri",
    product_type: "isgri_image",
    max_pointings: "3",
  });
  assertEquals(r.query_status, "done");
  const list = r.job_monitor.full_report_dict_list as Json[];
  const line = customProgressFormatter(list);
  assert(line.startsWith("in 3 SCW so far; nodes (2): 2 computed"), line);
  assert(/ii_skyimage_sum : main done : none$/.test(line), line);
});

Deno.test("the simulated sky: published sensitivity, off-axis loss, the seed field's sources and transients", async () => {
  // ISGRI 1 mCrab at 5σ in 1 Ms (20–40 keV), JEM-X a few mCrab at 5σ in 100 ks (3–15 keV)
  const isgri1 = bandRate(ISGRI, powerLaw(1, 2.1), 20, 40) * Math.sqrt(1e6 / bandVariance(ISGRI, 20, 40));
  nodeAssert.ok(Math.abs(isgri1 - 5) < 0.05, `ISGRI: ${isgri1}σ`);
  const jemx5 = 5 / (bandRate(JEMX2, powerLaw(1, 2.1), 3, 15) * Math.sqrt(1e5 / bandVariance(JEMX2, 3, 15)));
  nodeAssert.ok(jemx5 > 2 && jemx5 < 5, `JEM-X: ${jemx5} mCrab at 5σ`);
  // the response falls over the partially coded field
  const fov = ISGRI_IMAGING.fov;
  const resp = [0, 4, 8, 12, 16].map((d) => fovResponse(fov, d, 0));
  assert(resp[0] === 1 && resp[1] === 1 && resp[2] < 1 && resp[3] < resp[2] && resp[4] === 0, `${resp}`);

  const isgri = builtinInstruments()[0];
  const ctx = { seed: 1, jobId: "x", report: () => {}, signal: new AbortController().signal };
  const catalog = async (params: Record<string, unknown>) => {
    const out = await isgri.products.isgri_image.run(params, ctx) as Json;
    const c = out.catalog;
    return (c.cat_column_list[1] as string[]).map((name, i) => ({
      name,
      sig: c.cat_column_list[2][i] as number,
    }));
  };
  // the default source query (1E 1740.7-2942, 2017-03-06, 3 pointings) lists its centre source
  const def = await catalog({
    T1: "2017-03-06T13:26:48.000",
    T2: "2017-03-06T15:32:27.000",
    RA: 265.97845833,
    DEC: -29.74516667,
  });
  const e1740 = def.find((s) => s.name === "1E 1740.7-2942");
  assert(e1740 && e1740.sig > 7, JSON.stringify(def));
  // 40 mCrab on axis in 10 pointings: a clear detection, as √t predicts (5σ × 40 × √(T/1 Ms))
  const ten = await catalog({
    T1: "2017-03-06T00:00:00",
    T2: "2017-03-08T00:00:00",
    RA: 265.97845833,
    DEC: -29.74516667,
    max_pointings: 10,
  });
  const e10 = ten.find((s) => s.name === "1E 1740.7-2942")!;
  assert(e10.sig > 1.4 * e1740.sig && e10.sig > 20, `${e10.sig} vs ${e1740.sig}`);
  // transients: quiescent outside their outbursts, NEW_ detections in the seed notebooks' field
  const maxiField = {
    RA: 275.09142677,
    DEC: 7.18535523,
    radius: 8,
    max_pointings: 10,
    E1_keV: 30,
    E2_keV: 80,
  };
  const in2018 = await catalog({
    ...maxiField,
    T1: "2018-03-16T10:55:12.000",
    T2: "2018-05-08T21:24:28.800",
  });
  const in2016 = await catalog({
    ...maxiField,
    T1: "2016-03-16T10:55:12.000",
    T2: "2016-05-08T21:24:28.800",
  });
  assert(in2018.some((s) => s.name === "MAXI J1820+070") && !in2016.some((s) => s.name === "MAXI J1820+070"));
  assert(in2018.some((s) => s.name.startsWith("NEW") && s.sig >= 8), JSON.stringify(in2018));
  assert(!def.some((s) => s.name === "Swift J1727.8-1613"), "a 2023 transient is not in a 2017 image");
});

testWithTool(
  "dummy numerical catalog: columns and dtypes as astropy's Table rebuilds them (ERR_RAD)",
  "astropy",
  async () => {
    await using sb = await startSandbox({ seed: 1 });
    const token = await sb.mintToken({ sub: "a@b.c", roles: "general" });
    const selected = JSON.stringify({
      cat_frame: "fk5",
      cat_coord_units: "deg",
      cat_column_list: [
        [1, 2, 3],
        ["Crab", "NEW_1", "Cyg X-1"],
        [30.5, 8, 12.25],
        [83.63, 84, 299.59],
        [
          22.01,
          21.5,
          35.2,
        ],
        [-32768, 1, -32768],
        [2, 0, 2],
        [0, 0, 0],
        [0.00028, null, 0.0004166666768],
      ],
      cat_column_names: [
        "meta_ID",
        "src_names",
        "significance",
        "ra",
        "dec",
        "NEW_SOURCE",
        "ISGRI_FLAG",
        "FLAG",
        "ERR_RAD",
      ],
      cat_column_descr: [
        ["meta_ID", "<i8"],
        ["src_names", "<U7"],
        ["significance", "<f8"],
        ["ra", "<f8"],
        [
          "dec",
          "<f8",
        ],
        ["NEW_SOURCE", "<i8"],
        ["ISGRI_FLAG", "<i8"],
        ["FLAG", "<i8"],
        ["ERR_RAD", "<f8"],
      ],
      cat_lat_name: "dec",
      cat_lon_name: "ra",
    });
    const [, r] = await get(sb.url, "/run_analysis", {
      instrument: "empty",
      product_type: "numerical",
      query_type: "Dummy",
      query_status: "new",
      token,
      selected_catalog: selected,
      catalog_selected_objects: "1,3",
    });
    const expected = await runPython(
      `
import sys, json
from astropy.table import Table
d = json.loads(sys.stdin.read())
t = Table(d['cat_column_list'], names=d['cat_column_names'])
t = t[[i for i, m in enumerate(t['meta_ID']) if m in (1, 3)]]
cols = [[x if str(x) != 'nan' else None for x in t[n].tolist()] for n in t.colnames]
print(json.dumps({'cat_column_list': cols, 'cat_column_descr': [list(x) for x in t.dtype.descr]}))
`,
      { stdin: selected },
    );
    const want = JSON.parse(expected);
    assertEquals(r.products.catalog.cat_column_descr, want.cat_column_descr);
    assertEquals(r.products.catalog.cat_column_list, want.cat_column_list);
    assertEquals(r.products.catalog.cat_column_descr[8], ["ERR_RAD", "|O"]);
  },
);

Deno.test("big simulations run in a worker and give the same bytes as on the event loop", async () => {
  const params = {
    ...MAXI,
    instrument: "isgri",
    product_type: "isgri_image",
    max_pointings: "12", // more than 10 science windows: a worker's job
    E1_keV: "30",
    E2_keV: "80",
  };
  const out: string[] = [];
  for (const workers of [true, false]) {
    await using sb = await startSandbox({ seed: 9, jobDuration: 0, workers });
    const r = await runJob(sb.url, params);
    assertEquals(r.query_status, "done", JSON.stringify(r.exit_status));
    out.push(JSON.stringify([r.products.numpy_data_product_list, r.products.catalog]));
    assertEquals(r.job_monitor.full_report_dict_list.filter((x: Json) => x.scwid).length, 12);
  }
  assert(out[0] === out[1], "worker and in-process products differ");
});
