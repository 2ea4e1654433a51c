/**
 * Data products: decoding real/generated responses into collections named and
 * ordered like oda_api, exact show()/get_api_dictionary text, encode/decode
 * round trips, files checked by fitsverify and astropy, hostile names.
 */
import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "node:assert/strict";
import { runPython, testWithTool } from "./_validators.ts";
import {
  ApiCatalog,
  BinaryProduct,
  DataCollection,
  lightCurve,
  NumpyDataProduct,
  NumpyDataUnit,
  ODAAstropyTable,
  PictureProduct,
  spectrumWithEnergies,
  TextLikeProduct,
} from "../mod.ts";
import { saveSpectrumSet } from "../fits.ts";
import { decodeLegacyBinary } from "../lib/products/binary_product.ts";
import { cleanVarName } from "../lib/products/collection.ts";
import { DecodeError, FileError } from "../lib/errors.ts";
import { parseJson, pythonJsonDumps } from "../lib/data/json.ts";
import type { NdArray, Table } from "../lib/data/ndarray.ts";

const FIX = new URL("./fixtures/", import.meta.url);
const readJson = (rel: string) => JSON.parse(Deno.readTextFileSync(new URL(rel, FIX)));
const GEN = "oda_api/generated/";
const TR = "dispatcher-transcripts/";

function assertThrows<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  throw new Error("expected an exception");
}

async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: new (...a: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

function python(code: string, ...args: string[]): Promise<string> {
  return runPython(code, { args });
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** What `fn` prints with console.log (each call one line, as a terminal shows it). */
function quiet(fn: () => void): string {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    fn();
  } finally {
    console.log = log;
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

// ------------------------------------------------------------------ responses

Deno.test("collection: synthetic full response decodes in oda_api order with oda_api names", () => {
  const res = readJson(GEN + "synthetic_run_analysis_done_response.json");
  const data = DataCollection.fromResponseJson(res, { instrument: "empty", product: "dummy" });
  assertEquals(data._n_list, [
    "demo_image_0_GX1p4_mosaic",
    "lc_from_arrays_1",
    "first_fits_block_2",
    "dispatcher_catalog_3",
    "astropy_table_4",
    "tiny_plot_5",
    "text_output_6",
  ]);
  strictEqual(data.request_job_id, "0123456789abcdef");
  assert(data.demo_image_0_GX1p4_mosaic instanceof NumpyDataProduct);
  assert(data.first_fits_block_2 instanceof BinaryProduct);
  assert(data.dispatcher_catalog_3 instanceof ApiCatalog);
  assert(data.astropy_table_4 instanceof ODAAstropyTable);
  assert(data.tiny_plot_5 instanceof PictureProduct);
  assert(data.text_output_6 instanceof TextLikeProduct);
  strictEqual(data.get("lc_from_arrays_1"), data._p_list[1]);
  const img = data.demo_image_0_GX1p4_mosaic.data_unit[1].data as NdArray;
  assertEquals([img.shape, img.dtype, Array.from(img.values as Int16Array)], [[3, 4], ">i2", [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
  ]]);
  const lc = data.lc_from_arrays_1;
  assertEquals(Array.from(lc.data_unit[1].data["FLUX"]), [2, 3, 4]);
  assertEquals(lc.data_unit[1].units_dict, { TIME: "d" });
  assertEquals(data.dispatcher_catalog_3.table.column("src_names"), ["GRS 1915+105", "MAXI J1820+070"]);
  assertEquals(data.text_output_6.value, "Just some text");
  const text = quiet(() => data.show());
  assertEquals(
    text,
    "ID=0 prod_name=demo_image_0_GX1p4_mosaic  meta_data: {'product': 'mosaic', 'src_name': 'GX 1+4'}\n\n" +
      "ID=1 prod_name=lc_from_arrays_1  meta_data: {}\n\n" +
      "ID=2 prod_name=first_fits_block_2  meta_data: \n\n" +
      "ID=3 prod_name=dispatcher_catalog_3  meta_data: \n\n" +
      'ID=4 prod_name=astropy_table_4  meta_data: {"origin": "demo"}\n\n' +
      "ID=5 prod_name=tiny_plot_5  meta_data: \n\n" +
      "ID=6 prod_name=text_output_6  meta_data: {}\n\n",
  );
  assertEquals(data.asList()[0], {
    ID: 0,
    prod_name: "demo_image_0_GX1p4_mosaic",
    "meta_data:": { product: "mosaic", src_name: "GX 1+4" },
  });
  assertEquals(data.asList()[3]["meta_data:"], "");
});

Deno.test("collection: real dispatcher responses (numerical, catalog, echo, structured)", () => {
  const num = readJson(TR + "run_analysis-empty-numerical-api-done.json");
  const d1 = DataCollection.fromResponseJson(num, { instrument: "empty", product: "numerical" });
  assertEquals(d1._n_list, ["numerical_0"]);
  // what the real Python client reported for the same response
  const jsonl = Deno.readTextFileSync(new URL(TR + "oda_api-get_product-numerical-sync.jsonl", FIX)).trim()
    .split("\n");
  const expected = JSON.parse(jsonl.at(-1)!).client_side_result;
  strictEqual(d1.length, expected.n);
  const units = d1.numerical_0.data_unit.map((
    u: NumpyDataUnit,
  ) => [u.name, u.hdu_type, [u.image.shape, numpyName(u.image.dtype)]]);
  assertEquals(units, expected.products[0].units);
  const vals = d1.numerical_0.data_unit[0].image.values as Float64Array;
  strictEqual(vals.length, 10000);
  assert(vals.every(Number.isFinite));

  const cat = readJson(TR + "run_analysis-empty-numerical-catalog.json");
  const d2 = DataCollection.fromResponseJson(cat, { instrument: "empty", product: "numerical" });
  assertEquals(d2._n_list, ["numerical_0", "dispatcher_catalog_1"]);
  const c = d2.dispatcher_catalog_1 as ApiCatalog;
  assertEquals(c.table.colnames, cat.products.catalog.cat_column_names);
  assertEquals(c.table.column("src_names"), ["Test A"]);
  assertEquals(c.table.units, { ra: "deg", dec: "deg" });
  assertEquals(c.table.meta, { FRAME: "fk5", COORD_UNIT: "deg", LON_NAME: "ra", LAT_NAME: "dec" });
  // the coordinate columns become float (astropy Angle), the rest keep the server's dtypes
  assertEquals(JSON.parse(c.getApiDictionary()).cat_column_descr.map((x: string[]) => x[1]), [
    "<i8",
    "<U6",
    "<i8",
    "<f8",
    "<f8",
    "<i8",
    "<i8",
    "<i8",
    "<i8",
  ]);
  for (
    const f of [
      "run_analysis-empty-echo-units.json",
      "run_analysis-empty-structured.json",
      "run_analysis-empty-dummy-done.json",
    ]
  ) {
    const d = DataCollection.fromResponseJson(readJson(TR + f), { instrument: "empty", product: "echo" });
    strictEqual(d.length, 0, f);
    strictEqual(quiet(() => d.show()), "");
  }
});

function numpyName(dtype: string): string {
  return { "<f8": "float64", "<f4": "float32", ">f8": ">f8" }[dtype] ?? dtype;
}

Deno.test("collection: nb2workflow outputs (binary, picture, raw text, light curve, table)", () => {
  const ab =
    readJson("oda_api/related/dispatcher-plugin-nb2workflow/tests/responses/ascii_binary.json").output;
  const lcj =
    readJson("oda_api/related/dispatcher-plugin-nb2workflow/tests/responses/lightcurve.json").output;
  const tj = readJson("oda_api/related/dispatcher-plugin-nb2workflow/tests/responses/table.json").output;
  const res = {
    job_monitor: { job_id: "abc" },
    products: {
      numpy_data_product_list: [lcj.result],
      binary_data_product_list: [ab.binary_output],
      astropy_table_product_ascii_list: [tj.output],
      binary_image_product_list: [ab.image_output],
      text_product_list: [ab.text_output],
    },
  };
  const d = DataCollection.fromResponseJson(res, { instrument: "lightcurve-example", product: "lc" });
  assertEquals(d._n_list, ["lightcurve_0", "lc_1", "astropy_table_2", "lc_3", "lc_4"]);
  const bin = d.lc_1 as BinaryProduct;
  strictEqual(bin.suggestFnExtension(), "png");
  strictEqual((d.lc_3 as PictureProduct).img_type, "png");
  strictEqual((d.lc_3 as PictureProduct).file_path, "tmp.png");
  strictEqual(d.lc_4, "Just some random text"); // undecodable text element kept raw, like oda_api
  const lc = d.lightcurve_0 as NumpyDataProduct;
  const exp = readJson(GEN + "EXPECTED_DECODED.json")[
    "../related/dispatcher-plugin-nb2workflow/tests/responses/lightcurve.json (output.result)"
  ];
  strictEqual(lc.data_unit[1].table.length, exp["data_unit_list[1]"].shape[0]);
  for (const [col, vals] of Object.entries(exp["data_unit_list[1]"].first_rows as Record<string, number[]>)) {
    assertEquals(Array.from(lc.data_unit[1].data![col] as Float64Array).slice(0, 5), vals);
  }
  assertEquals((d.lightcurve_0.data_unit[0].data as NdArray).shape, [0]);
});

Deno.test("collection: attribute names follow oda_api's rule", () => {
  const mk = (name: string | null, meta: Record<string, unknown>) =>
    new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY" })], name, meta_data: meta });
  const d = new DataCollection([
    mk("isgri_lc", { src_name: "MAXI J1820+070" }),
    mk("", { src_name: "query", product: "" }),
    mk(null, { src_name: "GX 1+4", product: "isgri_spectrum" }),
    mk("mosaic_image", { src_name: "", product: "mosaic" }),
    mk("jemx_lc", { src_name: "String" }),
    mk("../../etc/passwd", { src_name: "A.B-C+D" }),
  ], { product: "spi_acs_lc" });
  assertEquals(d._n_list, [
    "isgri_lc_0_MAXIJ1820p070",
    "spi_acs_lc_1_query",
    "spi_acs_lc_2_GX1p4_isgri_spectrum",
    "mosaic_image_3_mosaic",
    "jemx_lc_4_String",
    "etcpasswd_5_ABmCpD",
  ]);
  strictEqual(cleanVarName("4U 1700-377"), "U_1700m377");
  strictEqual(cleanVarName("-+é x"), "mp_x");
});

Deno.test("collection: show() matches oda_api's test expectation; floats keep their decimal point", () => {
  const lc = NumpyDataProduct.decode({
    data_unit_list: [],
    name: "isgri_lc",
    meta_data:
      '{"src_name": "OAO 1657-415", "time_bin": 0.0115739687598762, "time": "TIME", "rate": "RATE", "rate_err": "ERROR"}',
  });
  const d = new DataCollection([lc]);
  strictEqual(
    quiet(() => d.show()),
    "ID=0 prod_name=isgri_lc_0_OAO1657m415  meta_data: {'src_name': 'OAO 1657-415', 'time_bin': 0.0115739687598762, 'time': 'TIME', 'rate': 'RATE', 'rate_err': 'ERROR'}\n\n",
  );
  const spi = NumpyDataProduct.decode({
    data_unit_list: [],
    name: "",
    meta_data: '{"src_name": "query", "time_bin": 1.0, "time": "TIME", "rate": "RATE", "rate_err": "ERROR"}',
  });
  const d2 = new DataCollection([spi], { instrument: "spi_acs", product: "spi_acs_lc" });
  strictEqual(
    quiet(() => d2.show()),
    "ID=0 prod_name=spi_acs_lc_0_query  meta_data: {'src_name': 'query', 'time_bin': 1.0, 'time': 'TIME', 'rate': 'RATE', 'rate_err': 'ERROR'}\n\n",
  );
  strictEqual(spi.meta_data.time_bin, 1);
  spi.meta_data.time_bin = 2.5; // edited metadata: formatted from the value
  strictEqual(
    spi.metaDataRepr(),
    "{'src_name': 'query', 'time_bin': 2.5, 'time': 'TIME', 'rate': 'RATE', 'rate_err': 'ERROR'}",
  );
  // legacy Python-literal metadata
  const legacy = NumpyDataProduct.decode({
    data_unit_list: [],
    name: "x",
    meta_data: "{'src_name': 'Crab', 'ok': True, 'n': None}",
  });
  assertEquals(legacy.meta_data, { src_name: "Crab", ok: true, n: null });
  // NumpyDataProduct.show()
  const p = NumpyDataProduct.decode(readJson(GEN + "numpy_image_be_int16.json"));
  strictEqual(
    quiet(() => p.show()),
    "------------------------------\nname: demo_image\nmeta_data dict_keys(['product', 'src_name'])\nnumber of data units 2\n" +
      "------------------------------\ndata uniti 0 ,name: PRIMARY\ndata uniti 1 ,name: IMAGE\n",
  );
});

Deno.test("collection: newFromMetadata builds prod_<i>_... names as in the seed notebook", () => {
  const mk = (product: string, src: string) =>
    new NumpyDataProduct({
      data_unit: [new NumpyDataUnit({ name: "PRIMARY" })],
      name: "",
      meta_data: { src_name: src, product },
    });
  const d = new DataCollection([
    mk("isgri_spectrum", "GRS 1915+105"),
    mk("isgri_spectrum", "MAXI J1820+070"),
    mk("isgri_arf", "MAXI J1820+070"),
    mk("isgri_rmf", "MAXI J1820+070"),
  ], { instrument: "isgri", product: "isgri_spectrum" });
  assertEquals(d._n_list[0], "isgri_spectrum_0_GRS1915p105_isgri_spectrum");
  const sel = d.newFromMetadata("src_name", "MAXI J1820+070")!;
  assertEquals(sel._n_list, [
    "prod_0_MAXIJ1820p070_isgri_spectrum",
    "prod_1_MAXIJ1820p070_isgri_arf",
    "prod_2_MAXIJ1820p070_isgri_rmf",
  ]);
  strictEqual(sel.prod_1_MAXIJ1820p070_isgri_arf, d._p_list[2]);
  strictEqual(d.newFromMetadata("src_name", "nothing"), null);
});

// ------------------------------------------------------------------ encodings

const NUMPY_FIXTURES = [
  "numpy_image_be_int16.json",
  "numpy_image_le_float64.json",
  "numpy_recarray_lc.json",
  "numpy_fitsrec_lc.json",
  "numpy_fitsrec_variable_length.json",
];

Deno.test("numpy products: generated encodings decode to EXPECTED_DECODED values", () => {
  const expected = readJson(GEN + "EXPECTED_DECODED.json");
  for (const f of NUMPY_FIXTURES) {
    const p = NumpyDataProduct.decode(readJson(GEN + f));
    for (const [key, exp] of Object.entries(expected[f] as Record<string, Record<string, unknown>>)) {
      const m = /data_unit_list\[(\d)\]/.exec(key);
      if (!m) continue;
      const du = p.getDataUnit(Number(m[1]));
      if (du.data?.kind === "ndarray") {
        assertEquals(du.data.shape, exp.shape, `${f} ${key}`);
        strictEqual(du.data.dtype, exp.dtype);
        if (exp.values_flat) assertEquals(Array.from(du.data.values as ArrayLike<number>), exp.values_flat);
      } else {
        const t = du.table;
        strictEqual(t.length, (exp.shape as number[])[0]);
        const rows = (exp.first_rows ?? exp.columns_as_seen_by_astropy) as Record<string, unknown[]>;
        for (const [col, vals] of Object.entries(rows ?? {})) {
          const c = t.columns.find((x) => x.name === col)!;
          if (c.variableLength) {
            assertEquals((c.values as ArrayLike<number>[]).map((v) => Array.from(v)), vals);
          } else if (c.shape.length) {
            const per = c.shape[0];
            const flat = Array.from(c.values as ArrayLike<number>);
            assertEquals(vals.map((_, i) => flat.slice(i * per, (i + 1) * per)), vals);
          } else {
            assertEquals(Array.from(t[col] as ArrayLike<number>).slice(0, vals.length), vals, `${f} ${col}`);
          }
        }
      }
    }
  }
  const du5 = NumpyDataUnit.decode(readJson(GEN + "numpy_image_be_int16_pickle_protocol5_dataunit.json"));
  assertEquals([du5.image.shape, Array.from(du5.image.values as Int16Array).at(-1)], [[3, 4], 11]);
  // the (legacy, use_pickle=False) JSON-list form of the same unit
  const listForm = NumpyDataUnit.decode({
    ...readJson(GEN + "numpy_image_be_int16_pickle_protocol5_dataunit.json"),
    binarys: null,
  });
  assertEquals(
    [listForm.image.shape, listForm.image.dtype, Array.from(listForm.image.values as Int16Array)],
    [
      [3, 4],
      ">i2",
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ],
  );
});

Deno.test("numpy products: encode() gives oda_api's key set/order and dt; decode(encode()) round trips", () => {
  for (const f of NUMPY_FIXTURES.slice(0, 4)) {
    const wire = readJson(GEN + f);
    const p = NumpyDataProduct.decode(wire);
    const enc = p.encode();
    assertEquals(Object.keys(enc), Object.keys(wire));
    strictEqual(enc.meta_data, wire.meta_data);
    strictEqual(enc.name, wire.name);
    enc.data_unit_list.forEach((u, i) => {
      const w = wire.data_unit_list[i];
      assertEquals(Object.keys(u), Object.keys(w));
      assertEquals([u.dt, u.name, u.header, u.hdu_type, u.units_dict, u.data], [
        w.dt,
        w.name,
        w.header,
        w.hdu_type,
        w.units_dict,
        null,
      ]);
      strictEqual(u.binarys === null, w.binarys === null);
    });
    const back = NumpyDataProduct.decode(JSON.parse(JSON.stringify(enc)));
    back.data_unit.forEach((du, i) => {
      const orig = p.data_unit[i];
      if (orig.data === null) return strictEqual(du.data, null);
      if (orig.data.kind === "ndarray") {
        assertEquals([du.image.shape, du.image.dtype, Array.from(du.image.values as ArrayLike<number>)], [
          orig.data.shape,
          orig.data.dtype,
          Array.from(orig.data.values as ArrayLike<number>),
        ]);
      } else {
        for (const c of orig.data.columns) {
          assertEquals(
            Array.from(du.table[c.name] as ArrayLike<number>),
            Array.from(c.values as ArrayLike<number>),
          );
        }
      }
    });
  }
  // the constructor path the sandbox uses
  const made = new NumpyDataProduct({
    data_unit: [
      new NumpyDataUnit({
        name: "PRIMARY",
        hdu_type: "primary",
        data_header: { SIMPLE: true, BITPIX: 8, NAXIS: 0 },
      }),
      new NumpyDataUnit({
        name: "LC",
        hdu_type: "bintable",
        units_dict: { TIME: "d" },
        data: {
          kind: "table",
          length: 2,
          columns: [
            { name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([1.5, 2.5]) },
            { name: "RATE", dtype: ">f4", shape: [], values: new Float32Array([3, 4]) },
          ],
        },
      }),
    ],
    name: "isgri_lc",
    meta_data: { src_name: "Crab", time_bin: 0.5 },
  });
  const enc = made.encode();
  strictEqual(enc.meta_data, '{"src_name": "Crab", "time_bin": 0.5}');
  strictEqual(enc.data_unit_list[1].dt, "(numpy.record, [('TIME', '<f8'), ('RATE', '>f4')])");
  strictEqual(enc.data_unit_list[0].dt, null);
  assertThrows(() => new NumpyDataUnit({ hdu_type: "weird" as "image" }), Error);
  assertThrows(() => NumpyDataProduct.decode({ name: "x" }), DecodeError);
  assertThrows(
    () =>
      NumpyDataUnit.decode({
        ...readJson(GEN + "numpy_image_le_float64.json").data_unit_list[0],
        binarys: "gASVxx",
      }),
    DecodeError,
  );
});

testWithTool(
  "numpy products: Python unpickles what encode() produces with equal values",
  "astropy",
  async () => {
    const p = NumpyDataProduct.decode(readJson(GEN + "numpy_fitsrec_lc.json"));
    const img = NumpyDataProduct.decode(readJson(GEN + "numpy_image_be_int16.json"));
    const path = await Deno.makeTempFile({ suffix: ".json" });
    await Deno.writeTextFile(path, JSON.stringify([p.encode(), img.encode()]));
    const out = await python(
      `
import json, sys, base64, pickle, numpy as np
try:
    import numpy._core  # numpy >= 2
except ImportError:  # Debian's numpy 1.24 reads numpy-2 pickles through module aliases
    import numpy.core.multiarray, numpy.core.numeric
    sys.modules['numpy._core'] = np.core
    sys.modules['numpy._core.multiarray'] = np.core.multiarray
    sys.modules['numpy._core.numeric'] = np.core.numeric
enc = json.load(open(sys.argv[1]))
res = []
for prod in enc:
    for du in prod['data_unit_list']:
        if du['binarys'] is None: res.append(None); continue
        a = pickle.loads(base64.b64decode(du['binarys']), encoding='bytes')
        if a.dtype.names:
            assert str(a.dtype) == du['dt'], (str(a.dtype), du['dt'])
        else:  # numpy 1.24 loads numpy-2 '>i2' pickles as native int16 (values intact), so compare kind/size
            assert (np.dtype(du['dt']).kind, np.dtype(du['dt']).itemsize) == (a.dtype.kind, a.dtype.itemsize), (str(a.dtype), du['dt'])
        res.append({'shape': list(a.shape), 'values': {n: a[n].astype(float).tolist() for n in a.dtype.names} if a.dtype.names else a.astype(float).ravel().tolist()})
print(json.dumps(res))
`,
      path,
    );
    const res = JSON.parse(out);
    strictEqual(res[0], null);
    assertEquals(res[1].shape, [198]);
    const t = p.data_unit[1].table;
    for (const c of t.columns) {
      assertEquals(
        res[1].values[c.name],
        Array.from(c.values as Float64Array),
        c.name,
      );
    }
    assertEquals(res[3], { shape: [3, 4], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
  },
);

Deno.test("binary products: md5 checked, legacy form, magic-byte extension", () => {
  const wire = readJson(GEN + "binary_product.json");
  const b = BinaryProduct.decode(wire);
  strictEqual(b.bin_data.length, 2880);
  strictEqual(b.suggestFnExtension(), "fits");
  assertEquals(b.encode(), wire);
  const e = assertThrows(() => BinaryProduct.decode({ ...wire, md5: "0".repeat(32) }), DecodeError);
  strictEqual(e.code, "PRODUCT");
  const legacy = Deno.readTextFileSync(new URL(GEN + "binary_data_legacy.txt", FIX));
  const raw = decodeLegacyBinary(legacy);
  assertEquals(raw, b.bin_data);
  strictEqual(new BinaryProduct(new Uint8Array([1, 2, 3]), "None").name, null);
  strictEqual(new BinaryProduct(new Uint8Array([1, 2, 3])).suggestFnExtension(), "bin");
  // a list of legacy strings decodes as raw bytes, named by the product
  const d = DataCollection.fromResponseJson({
    job_monitor: { job_id: "j" },
    products: { binary_data_product_list: [legacy.trim()] },
  }, {
    instrument: "polar",
    product: "polar_lc",
  });
  assertEquals(d._n_list, ["polar_lc_0"]);
  assert(d.polar_lc_0 instanceof Uint8Array);
});

Deno.test("picture, text and astropy-table products round trip to the Python encodings", () => {
  const pic = readJson(GEN + "picture_product.json");
  const p = PictureProduct.decode(pic);
  strictEqual(p.img_type, "png");
  assertEquals(p.encode(), pic);
  assertThrows(() => new PictureProduct(new TextEncoder().encode("not an image")), DecodeError);
  assertThrows(() => PictureProduct.decode({ b64data: pic.b64data, name: "x" }), DecodeError);
  const txt = readJson(GEN + "text_product.json");
  const t = TextLikeProduct.decode(txt);
  assertEquals(t.encode(), txt);
  strictEqual(
    String(t),
    "{'name': 'text_output', 'value': 'Just some text', 'meta_data': {'uri': 'http://odahub.io/ontology#String'}}",
  );
  const tab = readJson(GEN + "astropy_table_ascii.json");
  const a = ODAAstropyTable.decode(tab);
  strictEqual(a.meta_data, '{"origin": "demo"}'); // stays JSON text, as in oda_api
  assertEquals(a.metaDataDict(), { origin: "demo" });
  assertEquals(a.encode(), tab);
  assertEquals(Array.from(a.column("value") as Float64Array), [60, 61.5, 62]);
  const a2 = ODAAstropyTable.decode(JSON.stringify(tab));
  assertEquals(a2.encode(), tab);
  assertThrows(
    () => ODAAstropyTable.decode(readJson(GEN + "astropy_table_binary_protocol2.json")),
    DecodeError,
  );
});

// ------------------------------------------------------------------ catalog

Deno.test("catalog: getApiDictionary() equals the upstream string byte for byte; filter and assign back", () => {
  const res = readJson(GEN + "synthetic_run_analysis_done_response.json");
  const cat = ApiCatalog.fromCatalogDict(res.products.catalog);
  const upstream = Deno.readTextFileSync(new URL(GEN + "catalog_get_api_dictionary.json", FIX)).trimEnd();
  strictEqual(cat.getApiDictionary(), upstream);
  assertEquals(cat.toCatalogDict(), res.products.catalog);
  strictEqual(pythonJsonDumps(cat.toCatalogDict({ pyFloats: true })), upstream); // what a Python server would send
  const clean = cat.table.filter((r) => r.significance >= 100 && !r.src_names.includes("NEW"));
  cat.table = clean;
  const sel = JSON.parse(cat.getApiDictionary());
  assertEquals(sel.cat_column_list[1], ["MAXI J1820+070"]);
  assertEquals(sel.cat_column_descr[1], ["src_names", "<U14"]); // numpy keeps the dtype after indexing
  assertEquals(sel.cat_column_list[8], [null]);
  // a float column whose values are integral keeps its decimal point
  const c2 = ApiCatalog.fromColumns({
    columns: { meta_ID: [1], src_names: ["Crab"], significance: [30], ra: [83], dec: [22] },
    dtypes: { significance: "<f8" },
  });
  strictEqual(
    c2.getApiDictionary(),
    '{"cat_frame": "fk5", "cat_coord_units": "deg", "cat_column_list": [[1], ["Crab"], [30.0], [83.0], [22.0]], ' +
      '"cat_column_names": ["meta_ID", "src_names", "significance", "ra", "dec"], "cat_column_descr": [["meta_ID", "<i8"], ' +
      '["src_names", "<U4"], ["significance", "<f8"], ["ra", "<f8"], ["dec", "<f8"]], "cat_lat_name": "dec", "cat_lon_name": "ra"}',
  );
  assertThrows(() => new ApiCatalog({ cat_column_list: [[1]], cat_column_names: [] }), DecodeError);
});

testWithTool("catalog: same string as oda_api's ApiCatalog logic run with astropy", "astropy", async () => {
  const dict = readJson(TR + "run_analysis-empty-numerical-catalog.json").products.catalog;
  dict.cat_column_list[3] = [5.25];
  dict.cat_column_list[8] = [null];
  dict.cat_column_list[1] = ["Tést A"];
  const ours = ApiCatalog.fromCatalogDict(dict).getApiDictionary();
  // oda_api 1.3.5 ApiCatalog.__init__ + get_api_dictionary, verbatim logic
  const py = await python(
    `
import json, sys
from astropy.table import Table
from astropy.coordinates import Angle
d = json.loads(sys.argv[1])
meta = {'FRAME': d['cat_frame'], 'COORD_UNIT': d['cat_coord_units'], 'LON_NAME': d['cat_lon_name'], 'LAT_NAME': d['cat_lat_name']}
t = Table(d['cat_column_list'], names=d['cat_column_names'], meta=meta)
t[d['cat_lon_name']] = Angle(t[d['cat_lon_name']], unit=d['cat_coord_units'])
t[d['cat_lat_name']] = Angle(t[d['cat_lat_name']], unit=d['cat_coord_units'])
cl = [t[n].tolist() for n in t.colnames]
cl = [[x if str(x) != 'nan' else None for x in c] for c in cl]
sys.stdout.write(json.dumps(dict(cat_frame=t.meta['FRAME'], cat_coord_units=t.meta['COORD_UNIT'], cat_column_list=cl,
  cat_column_names=t.colnames, cat_column_descr=t.dtype.descr, cat_lat_name=d['cat_lat_name'], cat_lon_name=d['cat_lon_name'])))
`,
    JSON.stringify(dict),
  );
  strictEqual(ours, py);
});

// ------------------------------------------------------------------ files

const VERIFY_AND_DUMP = `
import json, sys, subprocess, numpy as np
from astropy.io import fits
out = {}
for path in sys.argv[1:]:
    v = subprocess.run(['fitsverify', '-q', '-e', path], capture_output=True, text=True)
    hd = []
    with fits.open(path) as h:
        for hdu in h:
            d = hdu.data
            if d is None: hd.append({'name': hdu.name, 'data': None}); continue
            if d.dtype.names:
                hd.append({'name': hdu.name, 'cols': {n: np.asarray(d[n]).astype(float).tolist() if d[n].dtype.kind in 'iuf' else [str(x) for x in d[n]] for n in d.dtype.names},
                           'header': {k: hdu.header[k] for k in ('RESPFILE', 'ANCRFILE') if k in hdu.header}})
            else:
                hd.append({'name': hdu.name, 'shape': list(d.shape), 'flat': d.astype(float).ravel().tolist()})
    out[path.split('/')[-1]] = {'verify': v.stdout.strip(), 'ok': v.returncode == 0, 'hdus': hd}
print(json.dumps(out))
`;

testWithTool(
  "saveAllData: oda_api names and extensions; FITS pass fitsverify and read back equal in astropy",
  [
    "astropy",
    "fitsverify",
  ],
  async () => {
    const res = readJson(GEN + "synthetic_run_analysis_done_response.json");
    const data = DataCollection.fromResponseJson(res, { instrument: "empty", product: "dummy" });
    const dir = await Deno.makeTempDir();
    const files = await data.saveAllData({ dir, prefix: "mixed" });
    assertEquals(await listDir(dir), [
      "mixed_astropy_table_4.fits",
      "mixed_demo_image_0_GX1p4_mosaic.fits",
      "mixed_dispatcher_catalog_3.ecsv",
      "mixed_first_fits_block_2.fits",
      "mixed_lc_from_arrays_1.fits",
      "mixed_text_output_6.txt",
      "mixed_tiny_plot_5.png",
    ]);
    strictEqual(files.length, 7);
    const fitsFiles = files.filter((f) => f.endsWith(".fits"));
    const got = JSON.parse(await python(VERIFY_AND_DUMP, ...fitsFiles));
    for (const [name, r] of Object.entries(got) as [string, { ok: boolean; verify: string }][]) {
      assert(r.ok, `${name}: ${r.verify}`);
    }
    assertEquals(got["mixed_demo_image_0_GX1p4_mosaic.fits"].hdus[1], {
      name: "IMAGE",
      shape: [3, 4],
      flat: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    });
    const lc = got["mixed_lc_from_arrays_1.fits"].hdus[1];
    strictEqual(lc.name, "LC");
    assertEquals(lc.cols.TIME, Array.from(data.lc_from_arrays_1.data_unit[1].data.TIME as Float64Array));
    assertEquals(lc.cols.ERROR, [0.1, 0.2, 0.3]);
    assertEquals(got["mixed_astropy_table_4.fits"].hdus[1].cols.name, ["a", "bb", "ccc"]);
    assertEquals(await Deno.readTextFile(`${dir}/mixed_text_output_6.txt`), "Just some text");
    assertEquals(
      await Deno.readFile(`${dir}/mixed_tiny_plot_5.png`),
      (data.tiny_plot_5 as PictureProduct).binary_data,
    );
    const ecsv = await python(
      "import sys; from astropy.table import Table; t = Table.read(sys.argv[1]); print(list(t['src_names']), str(t['ra'].unit), t.meta['FRAME'])",
      `${dir}/mixed_dispatcher_catalog_3.ecsv`,
    );
    strictEqual(ecsv.trim(), "['GRS 1915+105', 'MAXI J1820+070'] deg fk5");
    // existing files are kept unless overwrite
    const e = await assertRejects(() => data.saveAllData({ dir, prefix: "mixed" }), FileError);
    strictEqual(e.code, "FILE_EXISTS");
    await data.saveAllData({ dir, prefix: "mixed", overwrite: true });
    assertEquals((await listDir(dir)).length, 7); // no temp files left behind
  },
);

Deno.test("saveAllData: hostile names and prefixes never leave the directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/out`;
  const hostile = [
    "../../escape",
    "/etc/passwd",
    "a\u0000b",
    "..",
    "x/../../y",
    "con\u001b[31mtrol",
    "C:\\win",
  ];
  const prods = hostile.map((name) => new TextLikeProduct("v", name));
  const d = new DataCollection(prods);
  const files = await d.saveAllData({ dir });
  for (const f of files) assert(f.startsWith(dir + "/") && !f.slice(dir.length + 1).includes("/"), f);
  assertEquals(await listDir(root), ["out"]);
  strictEqual((await listDir(dir)).length, hostile.length);
  for (const prefix of ["../up", "/abs", "a/../../b", "nul\u0000", "tab\there", "a\\b"]) {
    const e = await assertRejects(() => d.saveAllData({ dir, prefix, overwrite: true }), FileError);
    strictEqual(e.code, "UNSAFE_PATH", prefix);
  }
  assertEquals(await listDir(root), ["out"]);
  // a prefix with a sub-directory stays inside dir
  const sub = await d.saveAllData({ dir, prefix: "sub/run1" });
  assert(sub.every((f) => f.startsWith(`${dir}/sub/run1_`)));
});

Deno.test("saveAllData: products with colliding names never overwrite each other", async () => {
  const dir = await Deno.makeTempDir();
  // same name three times, and one differing only by case (one file on case-insensitive file systems)
  const d = new DataCollection([
    new TextLikeProduct("first", "lc"),
    new TextLikeProduct("second", "lc"),
    new TextLikeProduct("third", "LC"),
    new TextLikeProduct("fourth", "lc"),
  ]);
  // oda_api's names carry the ID, but meta data suffixes, a prefix or an edited _n_list can still collide
  d._n_list = ["lc", "lc", "LC", "lc"];
  for (const overwrite of [false, true]) {
    const files = await d.saveAllData({ dir, overwrite });
    strictEqual(new Set(files.map((f) => f.toLowerCase())).size, 4, files.join(", "));
    const texts = await Promise.all(files.map((f) => Deno.readTextFile(f)));
    assertEquals(texts, ["first", "second", "third", "fourth"]);
    assertEquals(files.map((f) => f.slice(dir.length + 1)), ["lc.txt", "lc_1.txt", "LC_2.txt", "lc_3.txt"]);
  }
});

Deno.test("fromFitsFile reads lc.fits like the Python from_fits_file; writeFitsFile round trips", async () => {
  const path = new URL("oda_api/tests/test_data/lc.fits", FIX).pathname;
  const p = await NumpyDataProduct.fromFitsFile(path, { name: "lc" });
  assertEquals(p.data_unit.map((u) => [u.name, u.hdu_type]), [["PRIMARY", "primary"], [
    "JMX1-SRC.-LCR",
    "bintable",
  ]]);
  const wire = NumpyDataProduct.decode(readJson(GEN + "numpy_fitsrec_lc.json"));
  for (const c of wire.data_unit[1].table.columns) {
    assertEquals(
      Array.from(p.data_unit[1].data![c.name] as Float64Array),
      Array.from(c.values as Float64Array),
      c.name,
    );
  }
  const out = `${await Deno.makeTempDir()}/lc_copy.fits`;
  await p.writeFitsFile(out);
  const back = await NumpyDataProduct.fromFitsFile(out);
  for (const c of p.data_unit[1].table.columns) {
    assertEquals(
      Array.from(back.data_unit[1].table[c.name] as Float64Array),
      Array.from(c.values as Float64Array),
    );
  }
  strictEqual(back.data_unit[1].header.EXTNAME, "JMX1-SRC.-LCR");
  strictEqual(back.data_unit[1].header.MJDREF, 51544);
});

// ------------------------------------------------------------------ science helpers

testWithTool(
  "lightCurve: IJD times, seed-notebook cleaning, half widths (checked with numpy on lc.fits)",
  "astropy",
  async () => {
    const p = NumpyDataProduct.decode(readJson(GEN + "numpy_fitsrec_lc.json"));
    const lc = lightCurve(p);
    const path = new URL("oda_api/tests/test_data/lc.fits", FIX).pathname;
    const py = JSON.parse(
      await python(
        `
import sys, json, numpy as np
from astropy.io import fits
d = fits.open(sys.argv[1])[1]
t, r, e = d.data['TIME'].astype(float), d.data['RATE'].astype(float), d.data['ERROR'].astype(float)
ind = (r != 0) & (e != 0) & np.isfinite(t) & np.isfinite(r) & np.isfinite(e)
o = np.argsort(t[ind], kind='stable')
print(json.dumps({'t': t[ind][o].tolist(), 'r': r[ind][o].tolist(), 'e': e[ind][o].tolist(),
  'hw': (d.data['TIMEDEL'].astype(float)[ind][o] / 2).tolist(), 'mjdref': d.header['MJDREF'],
  'emin': d.header['E_MIN'], 'emax': d.header['E_MAX'], 'name': d.header['NAME'], 'inst': d.header['INSTRUME']}))
`,
        path,
      ),
    );
    strictEqual(py.mjdref, 51544);
    assertEquals(Array.from(lc.time), py.t);
    assertEquals(Array.from(lc.rate), py.r);
    assertEquals(Array.from(lc.error), py.e);
    assertEquals(Array.from(lc.halfWidth), py.hw);
    assertEquals([lc.eMin, lc.eMax, lc.name, lc.detnam, lc.timeSystem], [
      py.emin,
      py.emax,
      py.name,
      py.inst,
      "TT",
    ]);
    const arrow = await lc.toArrow();
    strictEqual(arrow.numRows, lc.length);
    const unitArrow = await p.data_unit[1].toArrow();
    strictEqual(unitArrow.numRows, 198);
    assertEquals(
      Array.from(unitArrow.getChild("RATE")!.toArray() as Float32Array),
      Array.from(p.data_unit[1].table.RATE as Float32Array),
    );
    assertEquals(Array.from(arrow.getChild("time")!.toArray() as Float64Array), Array.from(lc.time));
  },
);

Deno.test("lightCurve: seconds since TIMEZERO with MJDREF (SPI-ACS style) and MJD times without MJDREF", () => {
  const unit = (header: Record<string, unknown>, time: number[], rate: number[], err: number[]) =>
    new NumpyDataProduct({
      name: "spi_acs_lc",
      meta_data: { src_name: "query", time: "TIME", rate: "RATE", rate_err: "ERROR" },
      data_unit: [
        new NumpyDataUnit({ name: "PRIMARY" }),
        new NumpyDataUnit({
          name: "RATE",
          hdu_type: "bintable",
          data_header: header,
          data: {
            kind: "table",
            length: time.length,
            columns: [
              { name: "TIME", dtype: ">f8", shape: [], values: new Float64Array(time) },
              { name: "RATE", dtype: ">f8", shape: [], values: new Float64Array(rate) },
              { name: "ERROR", dtype: ">f8", shape: [], values: new Float64Array(err) },
            ],
          },
        }),
      ],
    });
  const spi = lightCurve(
    unit({ TIMEUNIT: "s", MJDREF: 51544, TIMEZERO: 86400 * 8000, TIMEDEL: 0.05 }, [0, 43200, 86400, 1], [
      5,
      0,
      7,
      NaN,
    ], [
      1,
      1,
      1,
      1,
    ]),
  );
  assertEquals(Array.from(spi.time), [8000, 8001]);
  assertEquals(Array.from(spi.halfWidth), [0.025 / 86400, 0.025 / 86400]);
  strictEqual(spi.name, "query");
  // SPI-ACS style without TIMEUNIT: seconds since TIMEZERO (s)
  const spi2 = lightCurve(unit({ MJDREF: 51544, TIMEZERO: 86400 * 8000 }, [0, 86400], [5, 7], [1, 1]));
  assertEquals(Array.from(spi2.time), [8000, 8001]);
  const mjd = lightCurve(unit({}, [59630.5, 59631.5], [1, 2], [0.1, 0.2]), { systematic_fraction: 0.1 });
  assertEquals(Array.from(mjd.time), [59630.5 - 51544, 59631.5 - 51544]);
  assertEquals(
    Array.from(mjd.error),
    [Math.hypot(0.1, 0.1 * 1), Math.hypot(0.2, 0.1 * 2)].map((x, i) =>
      [Math.sqrt(0.1 ** 2 + (0.1 * 1) ** 2), Math.sqrt(0.2 ** 2 + (0.1 * 2) ** 2)][i] ?? x
    ),
  );
});

function spectrumSet(): { spec: NumpyDataProduct; arf: NumpyDataProduct; rmf: NumpyDataProduct } {
  const tab = (cols: [string, string, number[] | ArrayLike<number>][]): Table => ({
    kind: "table",
    length: cols[0][2].length,
    columns: cols.map(([name, dtype, v]) => ({
      name,
      dtype,
      shape: [],
      values: dtype.endsWith("i2")
        ? new Int16Array(Array.from(v))
        : dtype.endsWith("i4")
        ? new Int32Array(Array.from(v))
        : new Float32Array(Array.from(v)),
    })),
  });
  const n = 4;
  const spec = new NumpyDataProduct({
    name: "isgri_spectrum",
    meta_data: { src_name: "Crab", product: "isgri_spectrum" },
    data_unit: [
      new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }),
      new NumpyDataUnit({
        name: "ISGR-EVTS-SPE",
        hdu_type: "bintable",
        data_header: {
          EXTNAME: "ISGR-EVTS-SPE",
          HDUCLASS: "OGIP",
          HDUCLAS1: "SPECTRUM",
          EXPOSURE: 1000.0,
          TELESCOP: "INTEGRAL",
        },
        data: tab([["CHANNEL", ">i2", [0, 1, 2, 3]], ["RATE", ">f4", [1, 2, 3, 4]], ["STAT_ERR", ">f4", [
          0.5,
          0.5,
          1,
          1,
        ]]]),
      }),
    ],
  });
  const arf = new NumpyDataProduct({
    name: "isgri_arf",
    meta_data: { src_name: "Crab", product: "isgri_arf" },
    data_unit: [
      new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }),
      new NumpyDataUnit({
        name: "SPECRESP",
        hdu_type: "bintable",
        data: tab([["ENERG_LO", ">f4", [20, 30, 40, 60]], ["ENERG_HI", ">f4", [30, 40, 60, 100]], [
          "SPECRESP",
          ">f4",
          [100, 200, 300, 400],
        ]]),
      }),
    ],
  });
  const rmf = new NumpyDataProduct({
    name: "isgri_rmf",
    meta_data: { src_name: "Crab", product: "isgri_rmf" },
    data_unit: [
      new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }),
      new NumpyDataUnit({
        name: "EBOUNDS",
        hdu_type: "bintable",
        data: tab([["CHANNEL", ">i2", [0, 1, 2, 3]], ["E_MIN", ">f4", [20, 30, 40, 60]], ["E_MAX", ">f4", [
          30,
          40,
          60,
          100,
        ]]]),
      }),
    ],
  });
  strictEqual(n, 4);
  return { spec, arf, rmf };
}

Deno.test("spectrum: channels to energies through EBOUNDS, rate per keV", () => {
  const { spec, rmf } = spectrumSet();
  const s = spectrumWithEnergies(spec, rmf);
  assertEquals(Array.from(s.energy), [25, 35, 50, 80]);
  assertEquals(Array.from(s.ratePerKeV), [0.1, 0.2, 3 / 20, 0.1]);
  assertEquals(Array.from(s.errorPerKeV), [0.05, 0.05, 1 / 20, 1 / 40]);
  strictEqual(s.exposure, 1000);
});

testWithTool("spectrum: saved PHA/ARF/RMF set carries RESPFILE/ANCRFILE and passes fitsverify", [
  "astropy",
  "fitsverify",
], async () => {
  const { spec, arf, rmf } = spectrumSet();
  const dir = await Deno.makeTempDir();
  const files = await saveSpectrumSet(spec, arf, rmf, { dir, base: "crab" });
  assertEquals(await listDir(dir), ["crab_arf.fits", "crab_rmf.fits", "crab_spectrum.fits"]);
  const got = JSON.parse(await python(VERIFY_AND_DUMP, files.spectrum, files.arf!, files.rmf));
  for (const [name, r] of Object.entries(got) as [string, { ok: boolean; verify: string }][]) {
    assert(r.ok, `${name}: ${r.verify}`);
  }
  assertEquals(got["crab_spectrum.fits"].hdus[1].header, {
    RESPFILE: "crab_rmf.fits",
    ANCRFILE: "crab_arf.fits",
  });
  assertEquals(got["crab_spectrum.fits"].hdus[1].cols.RATE, [1, 2, 3, 4]);
  assertEquals(got["crab_rmf.fits"].hdus[1].cols.E_MAX, [30, 40, 60, 100]);
  strictEqual(spec.data_unit[1].header.RESPFILE, undefined); // the product itself is not modified
  await assertRejects(() => saveSpectrumSet(spec, arf, rmf, { dir, base: "crab" }), FileError);
  await assertRejects(() => saveSpectrumSet(spec, arf, rmf, { dir, base: "../crab" }), FileError);
});

Deno.test("catalog and ECSV tables convert to Arrow", async () => {
  const res = readJson(GEN + "synthetic_run_analysis_done_response.json");
  const cat = ApiCatalog.fromCatalogDict(res.products.catalog);
  const arrow = await cat.table.toArrow();
  strictEqual(arrow.numRows, 2);
  assertEquals(arrow.getChild("src_names")!.toArray(), ["GRS 1915+105", "MAXI J1820+070"]);
  assertEquals(Array.from(arrow.getChild("ra")!.toArray() as Float64Array), [288.7995, 275.0911]);
  const t = ODAAstropyTable.decode(readJson(GEN + "astropy_table_ascii.json"));
  const a2 = await t.toArrow();
  assertEquals(a2.schema.fields.map((f) => f.name), ["number", "value", "name"]);
  assertEquals(a2.getChild("name")!.toArray(), ["a", "bb", "ccc"]);
});

Deno.test("catalog: a response parsed with keepFloats (PyFloat values) gives the same catalog", () => {
  const text = Deno.readTextFileSync(new URL(GEN + "synthetic_run_analysis_done_response.json", FIX));
  const res = parseJson(text, { keepFloats: true }) as { products: { catalog: Record<string, unknown> } };
  const cat = ApiCatalog.fromCatalogDict(res.products.catalog);
  const withFloats = parseJson(
    '{"cat_column_list": [[1.0, 2.0]], "cat_column_names": ["x"], "cat_column_descr": [["x", "<i8"]]}',
    {
      keepFloats: true,
    },
  ) as Record<string, unknown>;
  const fc = ApiCatalog.fromCatalogDict(withFloats);
  assertEquals([fc.table.columns[0].dtype, fc.table.column("x")], ["<f8", [1, 2]]);
  strictEqual(
    cat.getApiDictionary(),
    Deno.readTextFileSync(new URL(GEN + "catalog_get_api_dictionary.json", FIX)).trimEnd(),
  );
  const data = DataCollection.fromResponseJson(text, { instrument: "empty", product: "dummy" });
  strictEqual(data.showText(), quiet(() => data.show()));
});
