// Display layer: bundles built by calling [Symbol.for("Jupyter.display")]() directly (the kernel's
// own call path), real PNGs decoded back, real product classes.
import assert from "node:assert/strict";
import { isCI } from "./_validators.ts";
import type { JobEvent } from "../lib/client/events.ts";
import {
  DataCollection,
  displayToken,
  LightCurve,
  lightCurve,
  plotImage,
  plotLightCurve,
  plotSpectrum,
  spectrumWithEnergies,
} from "../mod.ts";
import {
  $display,
  createProgressReporter,
  dataCollectionBundle,
  envelopeColumns,
  errorBarSpec,
  escapeHtml,
  ijdToDate,
  type LabelBox,
  lightCurveBundle,
  LightCurvePlot,
  type MimeBundle,
  mosaicPng,
  niceTicks,
  pixToWorld,
  placeLabels,
  plotSvg,
  productDescriptionView,
  progressBundle,
  scaleImage,
  scienceWindowsDone,
  scienceWindowsTotal,
  seriesExtent,
  sourcesFromTable,
  tableBundle,
  tableToDataResource,
  tableToHtml,
  toBundle,
  wcsFromHeader,
  worldToPix,
} from "../display.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { NumpyDataUnit } from "../lib/products/numpy_data_unit.ts";
import { ApiCatalog } from "../lib/products/api_catalog.ts";
import type { Table } from "../lib/data/ndarray.ts";
import type { NotebookView, Product } from "../mod.ts";
import { notebookDisplay } from "../display.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "../lib/products/files.ts";
import { writeEcsv } from "../fits.ts";
import { decodeAnswerProducts, PRODUCT_TYPES, type ProductType } from "../lib/products/registry.ts";
import { decode as decodePng } from "fast-png";

const assertEquals = (a: unknown, b: unknown, msg?: string): void => assert.deepStrictEqual(a, b, msg);
const assertMatch = (s: string, re: RegExp): void => assert.match(s, re);
const assertNotMatch = (s: string, re: RegExp): void => assert.doesNotMatch(s, re);

const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function lcTable(n: number): Table {
  const t = new Float64Array(n), r = new Float32Array(n), e = new Float32Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 6263.4 + i * (1000 / 86400);
    r[i] = 10 + 3 * Math.sin(i / 50);
    e[i] = 0.5;
    w[i] = 500 / 86400;
  }
  return {
    kind: "table",
    length: n,
    columns: [
      { name: "TIME", dtype: ">f8", shape: [], values: t, unit: "d" },
      { name: "RATE", dtype: ">f4", shape: [], values: r, unit: "count/s" },
      { name: "ERROR", dtype: ">f4", shape: [], values: e, unit: "count/s" },
      { name: "XAX_E", dtype: ">f8", shape: [], values: w, unit: "d" },
    ],
  };
}

function lcProduct(n = 300): NumpyDataProduct {
  return new NumpyDataProduct({
    name: "isgri_lc_0_MAXIJ1820p070",
    meta_data: {
      src_name: "MAXI J1820+070",
      time_bin: 0.01157,
      time: "TIME",
      rate: "RATE",
      rate_err: "ERROR",
    },
    data_unit: [
      new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary", data_header: { SIMPLE: true } }),
      new NumpyDataUnit({
        name: "ISGR-SRC.-LCR",
        hdu_type: "bintable",
        data: lcTable(n),
        data_header: {
          EXTNAME: "ISGR-SRC.-LCR",
          DETNAM: "ISGRI",
          NAME: "MAXI J1820+070",
          E_MIN: 30,
          E_MAX: 80,
          MJDREF: 51544,
          TIMEUNIT: "d",
        },
      }),
    ],
  });
}

const WCS_HEADER = {
  CTYPE1: "RA---TAN",
  CTYPE2: "DEC--TAN",
  CRVAL1: 275.09,
  CRVAL2: 7.18,
  CRPIX1: 50.5,
  CRPIX2: 50.5,
  CDELT1: -0.0822,
  CDELT2: 0.0822,
};

Deno.test("escapeHtml and tables escape hostile text and keep a row limit", () => {
  assertEquals(
    escapeHtml(`<script>"x"&'y'</script>`),
    "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;",
  );
  const n = 1234;
  const t: Table = {
    kind: "table",
    length: n,
    columns: [
      {
        name: "src_names",
        dtype: "<U20",
        shape: [],
        values: Array.from({ length: n }, (_, i) => `<b>S${i}</b>`),
      },
      {
        name: "ra",
        dtype: "<f8",
        shape: [],
        unit: "deg",
        values: Float64Array.from({ length: n }, (_, i) => i / 7),
      },
    ],
  };
  const html = tableToHtml(t, { limit: 50 });
  assertNotMatch(html, /<b>S/);
  assertMatch(html, /&lt;b&gt;S49&lt;\/b&gt;/);
  assertNotMatch(html, /S50&lt;/);
  assertMatch(html, /1184 more rows \(1234 in total\)/);
  assertMatch(html, /deg · &lt;f8/);
  const dr = tableToDataResource(t, 50);
  assertEquals(dr.data.length, 50);
  assertEquals(dr.schema.fields, [{ name: "src_names", type: "string" }, {
    name: "ra",
    type: "number",
    unit: "deg",
  }]);
  const b = tableBundle(t);
  assert(b["text/plain"].includes("1224 more rows"));
  assert(JSON.stringify(b).length < 20_000, "a large table's bundle stays small");
});

Deno.test("tables: NaN becomes null in the data resource, tokens never leak into cells", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const t: Table = {
    kind: "table",
    length: 2,
    columns: [
      { name: "x", dtype: "<f8", shape: [], values: new Float64Array([NaN, 1.5]) },
      { name: "note", dtype: "<U80", shape: [], values: [`token=${jwt}`, "ok"] },
    ],
  };
  const dr = tableToDataResource(t);
  assertEquals(dr.data[0].x, null);
  const b = tableBundle(t);
  assert(!JSON.stringify(b).includes(jwt));
});

Deno.test("envelopeColumns: true min, max and error envelope per column; gaps stay empty", () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => (i < 50_000 ? i : i + 20_000)); // a gap
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
  y[777] = 99; // spike
  y[54321] = -99; // dip
  const err = new Float64Array(n).fill(0.1);
  err[90000] = 500; // a huge error bar sets its column's error envelope
  const env = envelopeColumns(x, y, { columns: 600, err });
  assert(env.x0.length < 600, "the gap leaves columns empty");
  assertEquals(env.total, n);
  assertEquals(env.count.reduce((a, b) => a + b, 0), n);
  // brute force: every column's min/max/lo/hi are those of its bins
  for (let c = 0; c < env.x0.length; c++) {
    let mn = Infinity, mx = -Infinity, lo = Infinity, hi = -Infinity, k = 0;
    for (let i = 0; i < n; i++) {
      const inCol = x[i] >= env.x0[c] && (x[i] < env.x1[c] || (c === env.x0.length - 1 && x[i] <= env.x1[c]));
      if (!inCol) continue;
      k++;
      mn = Math.min(mn, y[i]), mx = Math.max(mx, y[i]);
      lo = Math.min(lo, y[i] - err[i]), hi = Math.max(hi, y[i] + err[i]);
    }
    assertEquals(
      [k, mn, mx, lo, hi],
      [env.count[c], env.min[c], env.max[c], env.lo[c], env.hi[c]],
      `column ${c}`,
    );
  }
  assertEquals(Math.max(...env.max), 99);
  assertEquals(Math.min(...env.min), -99);
  assertEquals(Math.max(...env.hi), Math.sin(90000 / 1000) + 500);
});

Deno.test("light curve bundle: vega-lite with the seed's labels, PNG fallback, bounded size", async () => {
  const n = 100_000;
  const time = Float64Array.from({ length: n }, (_, i) => 6263 + i / 86400);
  const rate = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 2000));
  rate[4242] = 1000;
  const error = new Float64Array(n).fill(2);
  const b = await lightCurveBundle(
    new LightCurve({ time, rate, error, eMin: 30, eMax: 80, detnam: "ISGRI", name: "MAXI J1820+070" }),
  );
  const spec = b["application/vnd.vegalite.v5+json"] as {
    title: { text: string; subtitle: string };
    data: { values: { t: number; t2: number; max: number }[] };
    layer: { encoding: { x: { title: string }; y: { title: string } } }[];
  };
  assertEquals(spec.title.text, "ISGRI light curve of MAXI J1820+070");
  assertEquals(spec.title.subtitle, `${spec.data.values.length} of 100,000 bins shown (min–max per column)`);
  assertMatch(
    spec.layer[0].encoding.x.title,
    /^Time \[h\] since 2017-02-23 00:00 \(IJD 6263; IJD = MJD − 51544\)$/,
  );
  assertEquals(spec.layer[0].encoding.y.title, "Rate [30-80 keV]");
  assert(spec.data.values.length <= 600 && spec.data.values.length > 500);
  assert(spec.data.values.some((v) => v.max === 1000), "the spike is a column max");
  assertMatch(b["text/plain"], /of 100,000 bins shown/);
  const size = JSON.stringify(b).length;
  assert(size <= 300_000, `bundle is ${size} bytes`);
  const png = decodePng(b64ToBytes(String(b["image/png"])));
  assert(png.width >= 600 && png.height >= 250, `${png.width}x${png.height}`);
  // the plot is not blank: many distinct dark pixels (band/axes/text)
  let dark = 0;
  const ch = png.channels;
  for (let i = 0; i < png.data.length; i += ch) if (png.data[i] < 100 && png.data[i + 1] < 100) dark++;
  assert(dark > 2000, `${dark} dark pixels`);
});

Deno.test("light-curve product: summary with a small thumbnail; the full plot is explicit", async () => {
  const p = lcProduct(300);
  const rate = (p.data_unit[1].data as Table).columns[1].values as Float32Array;
  const err = (p.data_unit[1].data as Table).columns[2].values as Float32Array;
  rate[5] = 0;
  err[5] = 0;
  const lc = lightCurve(p);
  assertEquals(lc.time.length, 299);
  assertEquals(lc.eMin, 30);
  assertEquals(lc.detnam, "ISGRI");
  assert(Math.abs(lc.halfWidth[0] - 500 / 86400) < 1e-12);
  const bundle = await p[$display]();
  assertMatch(String(bundle["text/html"]), /NumpyDataProduct isgri_lc_0_MAXIJ1820p070/);
  assertMatch(String(bundle["text/html"]), /<details><summary>header \(7 cards\)/);
  const img = String(bundle["text/html"]).match(/<img [^>]*src="data:image\/png;base64,([^"]+)"/);
  assert(img, "thumbnail inline");
  assert(b64ToBytes(img[1]).length <= 40_000, `thumbnail ${b64ToBytes(img[1]).length} bytes`);
  assert(!("application/vnd.vegalite.v5+json" in bundle), "no full plot on attribute access");
  assertMatch(bundle["text/plain"], /data_unit\[1\] ISGR-SRC.-LCR \(bintable\): table 300 rows × 4 columns/);
  const view = plotLightCurve(p);
  const vb = await view[$display]();
  assert("application/vnd.vegalite.v5+json" in vb && "image/png" in vb && "text/plain" in vb);
  assert(JSON.stringify(vb).length < 300_000);
  // unit.data shows as an HTML table with a row limit
  const data = p.data_unit[1].data as unknown as { [$display](): Promise<MimeBundle> };
  const tb = await data[$display]();
  assertMatch(String(tb["text/html"]), /<th>TIME<br>/);
  assertMatch(String(tb["text/html"]), /250 more rows/);
  // and so does a light curve's table
  const lt = await (lc.toTable() as unknown as { [$display](): Promise<MimeBundle> })[$display]();
  assertMatch(String(lt["text/html"]), /<th>half_width<br>/);
});

Deno.test("NumpyDataUnit display shows dtype, shape and a collapsible header", async () => {
  const u = new NumpyDataUnit({
    name: "ISGR-MOSA-IMA",
    hdu_type: "image",
    data: { kind: "ndarray", dtype: ">f4", shape: [3, 4], values: new Float32Array(12).fill(2) },
    data_header: { EXTNAME: "ISGR-MOSA-IMA", BUNIT: "cts/s" },
  });
  const b = await (u as unknown as { [$display](): MimeBundle })[$display]();
  assertMatch(b["text/plain"], /image >f4 \[3, 4\]/);
  assertMatch(
    String(b["text/html"]),
    /<details><summary>header \(2 cards\)<\/summary><pre>EXTNAME *= &#39;ISGR-MOSA-IMA&#39;/,
  );
});

Deno.test("DataCollection bundle: ID, attribute, kind, meta data, units with shapes; show() text", () => {
  const p = lcProduct(10);
  const b = dataCollectionBundle(new DataCollection([p]));
  assertMatch(
    b["text/plain"],
    /^ID=0 prod_name=isgri_lc_0_MAXIJ1820p070\S* {2}meta_data: \{'src_name': 'MAXI J1820\+070'/,
  );
  const html = String(b["text/html"]);
  for (const h of ["ID", "attribute", "kind", "meta_data", "data units"]) {
    assert(html.includes(`<th>${h}</th>`), h);
  }
  assertMatch(html, /<td>NumpyDataProduct<\/td>/);
  assertMatch(
    html,
    /<td>\{&#39;src_name&#39;: &#39;MAXI J1820\+070&#39;, &#39;time_bin&#39;: 0\.01157/,
  );
  assertMatch(html, /ISGR-SRC.-LCR: table 10 rows × 4 columns/);
});

Deno.test("catalog display: table with units/dtypes + data resource; sources for the image overlay", async () => {
  const cat = new ApiCatalog({
    cat_frame: "fk5",
    cat_coord_units: "deg",
    cat_column_list: [
      [17, 87, 3],
      ["GRS 1915+105", "MAXI J1820+070", "NEW_1"],
      [29.4, 1803.2, 9.1],
      [
        288.8,
        275.09,
        276.0,
      ],
      [10.94, 7.185, 6.0],
      [-32768, -32768, 1],
    ],
    cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec", "NEW_SOURCE"],
    cat_column_descr: [["meta_ID", "<i8"], ["src_names", "<U14"], ["significance", "<f8"], ["ra", "<f8"], [
      "dec",
      "<f8",
    ], ["NEW_SOURCE", "<i8"]],
    cat_lat_name: "dec",
    cat_lon_name: "ra",
  }, "dispatcher_catalog_1");
  const b = await (cat as unknown as { [$display](): MimeBundle })[$display]();
  assert("application/vnd.dataresource+json" in b);
  assertMatch(String(b["text/html"]), /MAXI J1820\+070/);
  const srcs = sourcesFromTable(cat.table.toTable());
  assertEquals(srcs.map((s) => s.isNew), [false, false, true]);
  assertEquals(srcs[1].name, "MAXI J1820+070");
});

Deno.test("WCS: TAN round trip and reference pixel", () => {
  const w = wcsFromHeader(WCS_HEADER)!;
  const [ra, dec] = pixToWorld(w, 50.5, 50.5);
  assert(Math.abs(ra - 275.09) < 1e-9 && Math.abs(dec - 7.18) < 1e-9);
  for (const [x, y] of [[1, 1], [100, 3], [37.2, 88.9]]) {
    const [a, d] = pixToWorld(w, x, y);
    const [x2, y2] = worldToPix(w, a, d)!;
    assert(Math.abs(x2 - x) < 1e-6 && Math.abs(y2 - y) < 1e-6, `${x},${y} → ${x2},${y2}`);
  }
  // RA increases to the left (CDELT1 < 0)
  assert(pixToWorld(w, 1, 50.5)[0] > pixToWorld(w, 100, 50.5)[0]);
  assertEquals(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

Deno.test("mosaic PNG: colour mapped, sources circled (new ones magenta), scale bar", async () => {
  const nx = 100, ny = 100;
  const img = new Float32Array(nx * ny);
  const w = wcsFromHeader(WCS_HEADER)!;
  const [px, py] = worldToPix(w, 275.09, 7.185)!;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      img[y * nx + x] = 100 * Math.exp(-((x + 1 - px) ** 2 + (y + 1 - py) ** 2) / 6);
    }
  }
  const sources = [{ ra: 275.09, dec: 7.185, name: "MAXI J1820+070" }, {
    ra: 273.5,
    dec: 8.5,
    name: "NEW_1",
    isNew: true,
  }];
  const bytes = await mosaicPng(img, [ny, nx], { header: WCS_HEADER, sources, title: "ISGRI mosaic" });
  const png = decodePng(bytes);
  assert(png.width > 400 && png.height > 400, `${png.width}x${png.height}`);
  let magenta = 0, yellow = 0;
  for (let i = 0; i < png.data.length; i += png.channels) {
    const r = png.data[i], g = png.data[i + 1], b = png.data[i + 2];
    if (r > 230 && g < 90 && b > 200) magenta++;
    if (r > 230 && g > 210 && b < 80) yellow++; // top of viridis: the bright source
  }
  assert(magenta > 30, `new-source marker drawn (${magenta} magenta pixels)`);
  assert(yellow > 30, `bright source mapped to the top colour (${yellow})`);
  const { bytes: s } = scaleImage(new Float32Array([0, 1, 2, NaN]), { stretch: "linear", min: 0, max: 2 });
  assertEquals(Array.from(s), [0, 128, 255, 0]);
  const view = plotImage({ values: img, shape: [ny, nx], header: WCS_HEADER }, { sources });
  const vb = await view[$display]();
  assert(typeof vb["image/png"] === "string" && vb["text/plain"].includes("2 catalog sources"));
});

Deno.test("spectrum from EBOUNDS: rate per keV on log axes", async () => {
  const nch = 5;
  const spec = new NumpyDataProduct({
    name: "prod_0_MAXIJ1820p070_isgri_spectrum",
    meta_data: { src_name: "MAXI J1820+070", product: "isgri_spectrum" },
    data_unit: [
      new NumpyDataUnit({
        name: "SPECTRUM",
        hdu_type: "bintable",
        data_header: { INSTRUME: "IBIS", EXPOSURE: 1000 },
        data: {
          kind: "table",
          length: nch,
          columns: [
            { name: "CHANNEL", dtype: ">i2", shape: [], values: Int16Array.from([0, 1, 2, 3, 4]) },
            { name: "RATE", dtype: ">f4", shape: [], values: Float32Array.from([10, 8, 6, 4, 2]) },
            { name: "STAT_ERR", dtype: ">f4", shape: [], values: Float32Array.from([1, 1, 1, 1, 1]) },
          ],
        },
      }),
    ],
  });
  const rmf = new NumpyDataProduct({
    name: "prod_2_MAXIJ1820p070_isgri_rmf",
    data_unit: [
      new NumpyDataUnit({
        name: "EBOUNDS",
        hdu_type: "bintable",
        data: {
          kind: "table",
          length: nch,
          columns: [
            { name: "CHANNEL", dtype: ">i2", shape: [], values: Int16Array.from([0, 1, 2, 3, 4]) },
            { name: "E_MIN", dtype: ">f4", shape: [], values: Float32Array.from([20, 30, 40, 60, 100]) },
            { name: "E_MAX", dtype: ">f4", shape: [], values: Float32Array.from([30, 40, 60, 100, 200]) },
          ],
        },
      }),
    ],
  });
  const s = spectrumWithEnergies(spec, rmf);
  assertEquals(Array.from(s.energy), [25, 35, 50, 80, 150]);
  assertEquals(Array.from(s.ratePerKeV), [1, 0.8, 0.3, 0.1, 0.02]);
  const b = await plotSpectrum(spec, rmf)[$display]();
  const vl = b["application/vnd.vegalite.v5+json"] as { encoding: { x: { scale: { type: string } } } };
  assertEquals(vl.encoding.x.scale.type, "log");
  assert("image/png" in b);
});

Deno.test("token view: payload table with expiry, never the token string", async () => {
  const enc = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const now = Date.UTC(2026, 0, 1);
  const token = `${enc({ alg: "HS256", typ: "JWT" })}.${
    enc({
      sub: "a@b.c",
      name: "ab",
      roles: "authenticated user, refresh-tokens",
      exp: now / 1000 + 7200,
      msdone: true,
    })
  }.c2lnbmF0dXJlc2lnbmF0dXJl`;
  const info = displayToken(token, now);
  const b = await info[$display]();
  const all = JSON.stringify(b) + info.toString() + Deno.inspect(info);
  assert(!all.includes(token) && !all.includes(token.split(".")[1]), "no token text");
  assertMatch(b["text/plain"], /expires in 2\.0 h/);
  assertMatch(String(b["text/html"]), /refresh-tokens/);
  assertMatch(String(b["text/html"]), /e-mail when done/);
});

Deno.test("product description view: tidy table", async () => {
  const d = productDescriptionView({
    instrument: "isgri",
    product: "isgri_lc",
    queries: [
      { query_name: "src_query", parameters: [{ name: "RA", units: "deg", value: 265.97845833 }] },
      {
        query_name: "isgri_lc_query",
        product_name: "isgri_lc",
        parameters: [{ name: "time_bin", units: "sec", value: 1000 }],
      },
    ],
    text: "--------------\nparameters for product isgri_lc and instrument isgri",
  });
  const b = await d[$display]();
  assertMatch(
    String(b["text/html"]),
    /<td>isgri_lc_query<\/td><td>time_bin<\/td><td>1000<\/td><td>sec<\/td>/,
  );
  assert(b["text/plain"].startsWith("--------------"));
  assertEquals(Object.keys(d).includes(String($display)), false, "display hook is not enumerable");
});

Deno.test("progress: one display updated in place, collapsing into a summary; log/silent modes", async () => {
  const published: { bundle: MimeBundle; id: string; update: boolean }[] = [];
  let t = 0;
  const r = createProgressReporter({ instrument: "isgri", product: "isgri_image" }, {
    mode: "jupyter",
    now: () => t,
    publish: (bundle, o) => {
      published.push({ bundle, id: o.display_id, update: o.update });
      return Promise.resolve();
    },
  });
  const ev = (e: Partial<JobEvent>): JobEvent => ({
    type: "progress",
    instrument: "isgri",
    product: "isgri_image",
    status: "submitted",
    elapsedMs: t,
    requests: 1,
    ...e,
  });
  r.onEvent(ev({ type: "submitted", jobId: "0eac4a0faa636ce3" }));
  t = 100;
  r.onEvent(ev({ type: "progress", requests: 2 })); // throttled (same status, < 250 ms)
  t = 2000;
  r.onEvent(ev({
    type: "status",
    status: "progress",
    requests: 3,
    reports: [{ node_id: "ii_skyimage", scw: "066500230010.001", message: "main done" }, {
      node_id: "ii_skyimage",
      scw: "066500240010.001",
      message: "main done",
    }],
  }));
  t = 5000;
  r.onEvent(ev({ type: "done", status: "done", requests: 4, elapsedMs: 5000 }));
  r.close();
  await new Promise((res) => setTimeout(res, 10));
  assertEquals(published.length, 3);
  assert(published.every((p) => p.id === published[0].id), "one display id");
  assertEquals(published.map((p) => p.update), [false, true, true]);
  assertMatch(String(published[1].bundle["text/html"]), /science windows done<\/th><td>2</);
  assertMatch(String(published[1].bundle["text/html"]), /0eac4a0faa636ce3/);
  const last = published[2].bundle["text/plain"];
  assertMatch(
    last,
    /^✔ isgri_image \(isgri\) done in 5\.0 s · job 0eac4a0faa636ce3 · 2 science windows · 4 requests$/,
  );
  assert(!last.includes("\n"));
  assertEquals(scienceWindowsDone([{ scw: "a", message: "started" }, { scw: "a", message: "main done" }]), 1);
  assertMatch(
    progressBundle({
      instrument: "a",
      product: "b",
      status: "failed",
      elapsedMs: 1,
      requests: 1,
      scwDone: 0,
      reports: 0,
      outcome: "failed",
      message: "boom",
    })["text/plain"],
    /✘ b \(a\) failed/,
  );

  const lines: string[] = [];
  const lr = createProgressReporter({ instrument: "spi_acs", product: "spi_acs_lc" }, {
    mode: "log",
    write: (s) => lines.push(s),
    now: () => 0,
  });
  lr.onEvent({ ...ev({ type: "submitted", jobId: "j1" }), instrument: "spi_acs", product: "spi_acs_lc" });
  lr.onEvent({ ...ev({ type: "progress" }), instrument: "spi_acs", product: "spi_acs_lc" }); // throttled
  lr.onEvent({ ...ev({ type: "status", status: "done" }), instrument: "spi_acs", product: "spi_acs_lc" });
  lr.close();
  assertEquals(lines.length, 3);
  assertMatch(lines[2], /^\[oda_api\] ✔ spi_acs_lc \(spi_acs\) done/);

  const tty: string[] = [];
  const tr = createProgressReporter({ instrument: "x", product: "y" }, {
    mode: "tty",
    write: (s) => tty.push(s),
    now: () => 0,
  });
  tr.onEvent({ ...ev({ type: "submitted", jobId: "j" }), instrument: "x", product: "y" });
  tr.close();
  assert(tty[0].startsWith("\r") && tty[1].endsWith("\n"));

  const { defaultProgressReporterFactory } = await import("../display.ts");
  assertEquals(defaultProgressReporterFactory({ instrument: "a", product: "b", silent: true }), undefined);
});

Deno.test("vega-lite spec drops non-finite and (log) non-positive points", () => {
  const s = errorBarSpec({ x: [1, 2, NaN, 4], y: [1, -1, 3, 4] }, { yLog: true }) as {
    data: { values: unknown[] };
  };
  assertEquals(s.data.values.length, 2);
});

Deno.test("plots: an infinite, negative or NaN error keeps the window on the data; both renderers draw the same bars", () => {
  // rows: a normal bar, an unbounded one (drawn across the window), a negative and a NaN error (no bar)
  const d = {
    x: [1, 2, 3, 4],
    y: [10, 12, 9, 11],
    yerr: [1, Infinity, -5, NaN],
    xerr: [0.5, 0.5, Infinity, 0.5],
  };
  // the window: every value, and the ends of the finite positive error bars
  const want = { x: [0.5, 4.5], y: [9, 12] };
  assertEquals(seriesExtent([d]), want);
  const spec = errorBarSpec(d) as { data: { values: Record<string, number | null>[] }; layer: unknown[] };
  const domains = JSON.stringify(spec).match(/"domain":\[[^\]]*\]/g) ?? [];
  assert(domains.length >= 2);
  for (const dom of domains) assert([`"domain":[0.5,4.5]`, `"domain":[9,12]`].includes(dom), dom);
  // Vega-Lite: the rows that get a bar, and where it is drawn
  const rows = spec.data.values;
  assertEquals(rows.map((r) => [r.ylo ?? null, r.yhi ?? null]), [[9, 11], [9, 12], [null, null], [
    null,
    null,
  ]]);
  assertEquals(rows.map((r) => [r.xlo ?? null, r.xhi ?? null]), [[0.5, 1.5], [1.5, 2.5], [0.5, 4.5], [
    3.5,
    4.5,
  ]]);
  // static: the same bars (vertical: 2, horizontal: 4), no coordinate off the numbers
  const svg = plotSvg([d]);
  assert(!/Infinity|NaN/.test(svg), "the static picture has no infinite or NaN coordinate");
  const err = svg.match(/<path d="([^"]*)"[^>]*stroke-opacity="0.55"/)![1];
  assertEquals([(err.match(/V/g) ?? []).length, (err.match(/H/g) ?? []).length], [2, 4]);
});

Deno.test("light-curve display: a time beyond the calendar (a fill value) is shown as such, never a RangeError", async () => {
  // Date holds ±10^8 days: an IJD of 1e9 or 1e300 (a fill value in a TIME column) has no calendar date
  assertEquals(ijdToDate(1e9), "?");
  assertEquals(ijdToDate(-1e300), "?");
  assertEquals(ijdToDate(6650.25), "2018-03-17 06:00:00");
  for (const time of [[6650, 1e9], [-1e300, 1e300]]) {
    const lc = new LightCurve({ time, rate: [1, 2], error: [0.1, 0.1] });
    const plot = new LightCurvePlot(lc);
    assert(plot.svg().startsWith("<svg"), `${time}`);
    assert(JSON.stringify(plot.spec()).length > 0);
    const bundle = await toBundle(lc);
    assert("text/plain" in bundle, `${time}: ${Object.keys(bundle)}`);
  }
});

Deno.test("progress: the elapsed time keeps moving between events (ticker), and stops at close", async () => {
  const published: MimeBundle[] = [];
  const r = createProgressReporter({ instrument: "isgri", product: "isgri_lc" }, {
    mode: "jupyter",
    tickMs: 15,
    throttleMs: 0,
    publish: (b) => {
      published.push(b);
      return Promise.resolve();
    },
  });
  r.onEvent({
    type: "submitted",
    instrument: "isgri",
    product: "isgri_lc",
    status: "submitted",
    jobId: "j",
    elapsedMs: 0,
    requests: 1,
  });
  await new Promise((res) => setTimeout(res, 120));
  r.close();
  await new Promise((res) => setTimeout(res, 0)); // publishing is chained on promises
  const n = published.length;
  await new Promise((res) => setTimeout(res, 60));
  assert(n >= 4, `${n} updates while waiting`);
  assertEquals(published.length, n, "no update after close");
  const elapsed = published.slice(0, -1).map((b) => b["text/plain"].match(/· ([\d.]+) s/)?.[1]).map(Number);
  assert(elapsed[elapsed.length - 1] > elapsed[0], `elapsed moves: ${elapsed}`);
  assertMatch(published[n - 1]["text/plain"], /^✘ isgri_lc \(isgri\) failed/); // closed without a done event
});

Deno.test("progress with the real client: a failed job ends on one ✘ line, a timed-out wait is 'stopped'", async () => {
  const { startSandbox } = await import("../sandbox.ts");
  const { DispatcherAPI } = await import("../lib/client/dispatcher.ts");
  const { getProgressReporterFactory, setProgressReporterFactory } = await import("../lib/client/events.ts");
  const { JobFailedError, OdaError } = await import("../lib/errors.ts");
  await using sb = await startSandbox({ port: 0, seed: 5, jobDuration: 30 });
  const lines: string[] = [];
  const previous = getProgressReporterFactory();
  setProgressReporterFactory((job) =>
    createProgressReporter(job, { mode: "log", throttleMs: 0, write: (t) => lines.push(t) })
  );
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    await assert.rejects(
      () => disp.getProduct({ instrument: "empty", product: "failing", product_type: "Dummy" }),
      JobFailedError,
    );
    const failed = lines.at(-1)!;
    assertMatch(
      failed,
      /^\[oda_api\] ✘ failing \(empty\) failed in [\d.]+ s · job [0-9a-f]{16} · 1 request · job [0-9a-f]{16} failed: \S/,
    );
    assertEquals(failed.indexOf("\n"), failed.length - 1, "one line");
    lines.length = 0;
    await assert.rejects(
      () => disp.getProduct({ instrument: "empty-async", product: "dummy", timeout: 400 }),
      (err: unknown) => err instanceof OdaError && err.code === "TIMEOUT",
    );
    assertMatch(
      lines.at(-1)!,
      /^\[oda_api\] ‖ dummy \(empty-async\) stopped waiting \(status submitted, still running on the server\) in [\d.]+ s · job [0-9a-f]{16}/,
    );
  } finally {
    setProgressReporterFactory(previous);
  }
});

Deno.test("progress is determinate when the reports say how many science windows there are", () => {
  const reports = [
    { node_id: "ii_skyimage", scw: "066500220010.001", message: "processing science window 1/12" },
    { node_id: "ii_skyimage", scw: "066500230010.001", message: "processing science window 2/12" },
  ];
  assertEquals(scienceWindowsTotal(reports), 12);
  assertEquals(scienceWindowsTotal([{ scw: "x", message: "main done" }]), undefined);
  const running = progressBundle({
    instrument: "isgri",
    product: "isgri_image",
    status: "progress",
    elapsedMs: 4000,
    requests: 3,
    scwDone: 6,
    scwTotal: 12,
    reports: 6,
  });
  assertMatch(
    String(running["text/html"]),
    /<progress style="width:320px" value="6" max="12"><\/progress> 50 %/,
  );
  assertMatch(running["text/plain"], /6\/12 science windows/);
  const unknown = progressBundle({
    instrument: "isgri",
    product: "isgri_image",
    status: "submitted",
    elapsedMs: 1000,
    requests: 1,
    scwDone: 0,
    reports: 0,
  });
  assertMatch(String(unknown["text/html"]), /<progress style="width:320px"><\/progress>/);
  // glyphs that DejaVu Sans has (no ⏳/⏸, which render as boxes with the DejaVu fonts)
  for (const b of [running, unknown]) assertNotMatch(JSON.stringify(b), /[⏳⏸⌛]/);
});

Deno.test("mosaic labels of close sources do not overlap each other or the circles", () => {
  // GX 5-1 and GX 1+4 style: two bright sources a few pixels apart, and a third one near the edge
  const pts = [
    { x: 200, y: 200, text: "GX 5-1 (85.2σ)", priority: 85 },
    { x: 206, y: 211, text: "GX 1+4 (40.1σ)", priority: 40 },
    { x: 212, y: 196, text: "GRS 1758-258 (30.0σ)", priority: 30 },
    { x: 395, y: 5, text: "edge source (9.0σ)", priority: 9 },
  ];
  const bounds = { x0: 0, y0: 0, x1: 400, y1: 400 };
  const boxes = placeLabels(pts, bounds);
  const circles = pts.map((p) => ({ x0: p.x - 9, y0: p.y - 9, x1: p.x + 9, y1: p.y + 9 }));
  const meet = (a: LabelBox, b: LabelBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  boxes.forEach((b, i) => {
    assert(
      b.x0 >= bounds.x0 && b.x1 <= bounds.x1 && b.y0 >= bounds.y0 && b.y1 <= bounds.y1,
      `label ${i} inside`,
    );
    boxes.forEach((o, j) => assert(i === j || !meet(b, o), `labels ${i} and ${j} overlap`));
    circles.forEach((c, j) => assert(!meet(b, c), `label ${i} covers circle ${j}`));
  });
});

// ---- glyphs: every character the notebook views print is in DejaVu Sans (read from the font's cmap)

const DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const hasDejaVu = (() => {
  try {
    return Deno.statSync(DEJAVU).isFile;
  } catch {
    return false;
  }
})();

/** Code points mapped by a TrueType font's Unicode cmap (formats 4 and 12). */
function fontCodePoints(bytes: Uint8Array): (cp: number) => boolean {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const numTables = v.getUint16(4);
  let cmap = -1;
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    if (String.fromCharCode(...bytes.subarray(rec, rec + 4)) === "cmap") cmap = v.getUint32(rec + 8);
  }
  assert(cmap >= 0, "font has a cmap");
  const ranges: [number, number][] = [];
  for (let i = 0, n = v.getUint16(cmap + 2); i < n; i++) {
    const off = cmap + v.getUint32(cmap + 4 + 8 * i + 4);
    const format = v.getUint16(off);
    if (format === 4) {
      const segs = v.getUint16(off + 6) / 2;
      for (let s = 0; s < segs; s++) {
        const end = v.getUint16(off + 14 + 2 * s), start = v.getUint16(off + 16 + 2 * segs + 2 * s);
        if (start !== 0xffff) ranges.push([start, end]);
      }
    } else if (format === 12) {
      for (let g = 0, ng = v.getUint32(off + 12); g < ng; g++) {
        ranges.push([v.getUint32(off + 16 + 12 * g), v.getUint32(off + 20 + 12 * g)]);
      }
    }
  }
  return (cp) => ranges.some(([a, b]) => cp >= a && cp <= b);
}

Deno.test({
  name: "progress and plot texts use glyphs DejaVu Sans has (no boxes in place of icons)",
  // outside CI a missing font skips the check; under CI=true it runs and fails (as tests/_validators.ts does)
  ignore: !hasDejaVu && !isCI(),
  fn: async () => {
    const has = fontCodePoints(await Deno.readFile(DEJAVU));
    assert(has(0x41) && !has(0x23f3), "the cmap reader works: 'A' present, ⏳ absent");
    const base = {
      instrument: "isgri",
      product: "isgri_image",
      status: "progress",
      elapsedMs: 4000,
      requests: 3,
      scwDone: 6,
      scwTotal: 12,
      reports: 6,
      jobId: "0eac4a0f",
    };
    const texts: string[] = [];
    for (const outcome of [undefined, "done", "failed", "stopped"] as const) {
      const b = progressBundle(outcome ? { ...base, outcome } : base);
      texts.push(b["text/plain"], String(b["text/html"]).replace(/<[^>]*>/g, ""));
    }
    const lc = new LightCurve({ time: [6650.1, 6650.2], rate: [1, 2], error: [0.1, 0.1], timeSystem: "TT" });
    const b = await lightCurveBundle(lc, { png: false });
    texts.push(b["text/plain"], JSON.stringify(b["application/vnd.vegalite.v5+json"]));
    const missing = new Set<string>();
    for (const t of texts) {
      for (const ch of t) if (ch.codePointAt(0)! > 0x7f && !has(ch.codePointAt(0)!)) missing.add(ch);
    }
    assertEquals([...missing], []);
  },
});

// A product type added as docs/CONTRIBUTING.md says ("Add a product type"): its class implements Product
// (notebookView() included) and has the [$display]() method calling notebookDisplay(this); its decoder is an
// entry in the registry's list. Nothing under lib/display/ knows it, yet it displays as what it says it is.
class EventListProduct implements Product {
  [$display](): Promise<MimeBundle> {
    return notebookDisplay(this);
  }
  constructor(readonly name: string | null, readonly events: Table) {}
  static decode(d: Record<string, unknown>): EventListProduct {
    const ev = d.events as Record<string, number[]>;
    const columns = Object.entries(ev).map(([name, v]) => ({
      name,
      dtype: "<f8",
      shape: [],
      values: Float64Array.from(v),
    }));
    return new EventListProduct(d.name as string, {
      kind: "table",
      length: columns[0].values.length,
      columns,
    });
  }
  suggestFnExtension(): string {
    return "ecsv";
  }
  async writeFile(path: string, options?: AtomicWriteOptions): Promise<void> {
    await writeFileAtomic(path, writeEcsv(this.events), options);
  }
  notebookView(): NotebookView {
    return {
      kind: "table",
      title: `EventListProduct ${this.name}: ${this.events.length} events`,
      summary: `${this.events.length} events`,
      table: () => this.events,
    };
  }
}
const EVENT_LIST_TYPE: ProductType = {
  decode: (_products, list) =>
    list("event_list_product_list").map((d) => EventListProduct.decode(d as never)),
};

Deno.test("a product type added the documented way displays through its own view; display code never names it", async () => {
  const products = {
    text_product_list: [{ name: "log", value: "done", meta_data: {} }],
    event_list_product_list: [{
      name: "isgri_events",
      events: { TIME: [7000.25, 7000.5, 7001], PI: [31, 77, 12] },
    }],
  };
  const decoded = decodeAnswerProducts(products, {}, [...PRODUCT_TYPES, EVENT_LIST_TYPE]);
  assertEquals(decoded.map((p) => p.constructor.name), ["TextLikeProduct", "EventListProduct"]);
  const data = new DataCollection(decoded);
  const events = data.isgri_events_1 as EventListProduct;
  // its own display: the table view drawn as HTML with the rows, the data resource and the text
  const b = await events[$display]();
  assertMatch(b["text/plain"], /^EventListProduct isgri_events: 3 events\n/);
  const html = String(b["text/html"]);
  assertMatch(html, /<th>TIME<br>/);
  assertMatch(html, /7000\.25/);
  const resource = b["application/vnd.dataresource+json"] as { data: Record<string, number>[] };
  assertEquals(resource.data.map((r) => r.PI), [31, 77, 12]);
  // the collection's table names its kind and takes its "data units" line from the view
  const cb = await data[$display]();
  const chtml = String(cb["text/html"]);
  assertMatch(chtml, /<td>isgri_events_1<\/td><td>EventListProduct<\/td>/);
  assertMatch(chtml, /3 events/);
  // no bundle lookup by class in the display layer (the view kind decides)
  const src = await Deno.readTextFile(new URL("../lib/display/bundles.ts", import.meta.url));
  assertNotMatch(src, /\binstanceof\b/);
  assertNotMatch(
    src,
    /^import \{[^}]*\b(ApiCatalog|PictureProduct|TextLikeProduct|BinaryProduct|ODAAstropyTable)\b/m,
  );
});
