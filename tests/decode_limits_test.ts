/**
 * Bounded decoding (issue #17): one element budget per decode, raised by `decodeBudget`, shared by the products
 * of a response; the gzip output cap; the caller's signal and deadline checked between chunks; typed errors
 * where a hostile cell has no value (compared with astropy where it defines one).
 */
import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  BUDGET_ELEMENTS_PER_BYTE,
  BUDGET_FLOOR_ELEMENTS,
  DecodeBudget,
  INFLATE_BYTES_PER_BYTE,
  INFLATE_FLOOR_BYTES,
} from "../lib/codecs/budget.ts";
import { readEcsv } from "../lib/codecs/ecsv.ts";
import { readFits } from "../lib/codecs/fits.ts";
import { decodeNumpyPickle, decodeNumpyPickleBase64 } from "../lib/codecs/pickle.ts";
import { encodeNumpyPickle } from "../lib/codecs/pickle_encode.ts";
import { encodeBase64 } from "../lib/data/base64.ts";
import { OdaError } from "../lib/errors.ts";
import { DataCollection } from "../lib/products/collection.ts";
import type { ApiCatalog } from "../lib/products/api_catalog.ts";
import { NumpyDataUnit } from "../lib/products/numpy_data_unit.ts";
import { binTable, HOSTILE_CLASSES, ndarrayPickle } from "./_hostile.ts";
import { runPython, testWithTool } from "./_validators.ts";
import { analysisParametersMismatches } from "../lib/client/consistency.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import { startSandbox } from "../sandbox.ts";

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    assert(e instanceof OdaError, `not an OdaError: ${e}`);
    return e.code;
  }
  return undefined;
}

const ecsvShape = (shape: string, rows: string[]) =>
  `# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: string, subtype: 'float64[${shape}]'}\n` +
  `# schema: astropy-2.0\na\n${rows.join("\n")}\n`;

Deno.test("budget: default limit grows with the input; decodeBudget raises it; a refused decode then passes", () => {
  assertEquals(DecodeBudget.of({}, 1000).limit, BUDGET_FLOOR_ELEMENTS + BUDGET_ELEMENTS_PER_BYTE * 1000);
  // 97 bytes declaring 2 rows × 3e6 cells (one masked row: nothing to check, everything to allocate)
  const text = ecsvShape("3000000", ['""', '""']);
  assertEquals(code(() => readEcsv(text)), "DECODE_LIMIT");
  const t = readEcsv(text, { decodeBudget: { maxElements: 7e6 } });
  assertEquals(t.columns[0].shape, [3000000]);
  assertEquals((t.columns[0].values as Float64Array).length, 6e6);
  // the message says how to raise it
  assertThrows(() => readEcsv(text), (e: Error) => e.message.includes("decodeBudget"));
  assertEquals(code(() => readEcsv(text, { decodeBudget: { maxElements: -1 } })), "INVALID_ARGUMENT");
});

Deno.test("budget: zero-size numpy elements are counted, not their bytes", () => {
  // 1000 records whose V0 field is a (1e6, 1e3) sub-array: 0 bytes each, 1e12 elements
  const sub = { code: "V0", subarray: { base: { code: "V0" }, shape: [1e6, 1e3] } };
  const fields = [{ name: "z", dtype: sub, offset: 0 }, {
    name: "b",
    dtype: { code: "i2", order: "<" },
    offset: 0,
  }];
  const p = ndarrayPickle({ code: "V2", elsize: 2, fields }, [1000], new Uint8Array(2000));
  assert(p.length < 3000);
  assertEquals(code(() => decodeNumpyPickle(p)), "DECODE_LIMIT");
  assertEquals(code(() => decodeNumpyPickleBase64(encodeBase64(p))), "DECODE_LIMIT");
  // a small sub-array decodes: one column of 0-byte items, one of int16
  const ok = ndarrayPickle(
    {
      code: "V2",
      elsize: 2,
      fields: [{ ...fields[0], dtype: { ...sub, subarray: { ...sub.subarray, shape: [3] } } }, fields[1]],
    },
    [4],
    new Uint8Array(8),
  );
  const t = decodeNumpyPickle(ok);
  assert(t.kind === "table");
  assertEquals(t.columns.map((c) => [c.name, c.shape, c.values.length]), [["z", [3], 12], ["b", [], 4]]);
});

Deno.test("budget: FITS 0A with a huge TDIM and variable-length rows sharing heap bytes are charged per element", () => {
  const tdim = binTable(4, 10, [{ tform: "0A", ttype: "S", tdim: "(0,100000,100000)" }, {
    tform: "1J",
    ttype: "N",
  }], new Uint8Array(40));
  assertEquals(code(() => readFits(tdim)), "DECODE_LIMIT");
  // 50,000 rows all pointing at the same 400 kB of heap: 5e9 elements from ~800 kB
  const rows = 50_000, n = 100_000;
  const data = new Uint8Array(rows * 8 + n * 4);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < rows; i++) dv.setInt32(i * 8, n);
  const shared = binTable(8, rows, [{ tform: `1PJ(${n})`, ttype: "V" }], data, n * 4);
  assertEquals(code(() => readFits(shared)), "DECODE_LIMIT");
  // the same file with a few rows decodes
  const few = binTable(
    8,
    3,
    [{ tform: `1PJ(${n})`, ttype: "V" }],
    data.slice(0, 24 + n * 4).fill(0, 24).map((x, i) => (i < 24 ? data[i] : x)),
    n * 4,
  );
  const hdus = readFits(few);
  const col = hdus[1].data!.kind === "table" ? hdus[1].data!.columns[0] : undefined;
  assertEquals((col?.values as Int32Array[]).map((v) => v.length), [n, n, n]);
});

Deno.test("budget: .fits.gz output is capped relative to the compressed size; the real mosaic decodes", async () => {
  const head = new TextEncoder().encode(
    [
      "SIMPLE  =                    T",
      "BITPIX  =                    8",
      "NAXIS   =                    1",
      `NAXIS1  = ${String(64 << 20).padStart(20)}`,
      "END",
    ]
      .map((c) => c.padEnd(80)).join("").padEnd(2880),
  );
  const plain = new Uint8Array(head.length + (64 << 20));
  plain.set(head);
  const gz = gzipSync(plain, { level: 9 }); // ~64 kB inflating to 64 MiB: over 16 MiB + 256 × 64 kB
  assert(INFLATE_FLOOR_BYTES + INFLATE_BYTES_PER_BYTE * gz.length < plain.length);
  assertEquals(code(() => readFits(gz)), "DECODE_LIMIT");
  const big = readFits(gz, { decodeBudget: { maxInflatedBytes: 2 ** 27, maxElements: 2 ** 27 } });
  assertEquals(big[0].data?.kind === "ndarray" ? big[0].data.shape : undefined, [64 << 20]);
  const mosaic = await Deno.readFile(
    new URL(
      "./fixtures/oda_api/tests/test_data/1E_1740_7_2942_isgri_mosaic_clean_significance25_40.fits.gz",
      import.meta.url,
    ),
  );
  assert(readFits(mosaic)[0].data?.kind === "ndarray");
  assertEquals(code(() => readFits(mosaic, { decodeBudget: { maxInflatedBytes: 1000 } })), "DECODE_LIMIT");
});

Deno.test("budget: the products of one response share one budget", () => {
  const unit = (n: number) => ({
    name: "u",
    hdu_type: "image",
    binarys: encodeBase64(
      encodeNumpyPickle({ kind: "ndarray", dtype: "<f8", shape: [n], values: new Float64Array(n) }),
    ),
  });
  const response = {
    query_status: "done",
    job_monitor: { job_id: "abc" },
    products: { numpy_data_product_list: [{ name: "p", data_unit_list: [unit(600), unit(600)] }] },
  };
  assertEquals(DataCollection.fromResponseJson(response).length, 1);
  // each unit alone fits in 1000 elements, both together do not
  assertEquals(
    code(() => NumpyDataUnit.decode(unit(600), { decodeBudget: { maxElements: 1000 } })),
    undefined,
  );
  assertEquals(
    code(() => DataCollection.fromResponseJson(response, { decodeBudget: { maxElements: 1000 } })),
    "DECODE_LIMIT",
  );
});

Deno.test("signal and deadline: checked before and between chunks of a synchronous decode", () => {
  const n = 1 << 21;
  const pickle = encodeNumpyPickle({
    kind: "ndarray",
    dtype: ">f8",
    shape: [n],
    values: new Float64Array(n),
  });
  const aborted = new AbortController();
  aborted.abort();
  assertEquals(code(() => decodeNumpyPickle(pickle, { signal: aborted.signal })), "ABORTED");
  const timedOut = new AbortController();
  timedOut.abort(new OdaError("TIMEOUT", "deadline of getProduct"));
  assertEquals(
    code(() => decodeNumpyPickleBase64(encodeBase64(pickle), { signal: timedOut.signal })),
    "TIMEOUT",
  );
  assertEquals(code(() => decodeNumpyPickle(pickle, { deadline: Date.now() - 1 })), "TIMEOUT");
  // mid-decode: 100,000 ECSV rows take far longer than 5 ms; the deadline stops the row loop
  const rows = Array.from({ length: 100_000 }, (_, i) => `${i} ${i * 0.5}`).join("\n");
  const text =
    `# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int64}\n# - {name: b, datatype: float64}\n# schema: astropy-2.0\na b\n${rows}\n`;
  // counted on a clock that advances 1 ms per look (no dependence on CPU speed or load): with a deadline 5 ms
  // ahead the decode must stop after a few checkpoints, far before the checkpoints of a whole decode
  const realNow = Date.now;
  const checkpoints = (ahead: number): { outcome: string | undefined; looks: number } => {
    const start = realNow();
    let looks = 0;
    Date.now = () => start + looks++;
    try {
      return { outcome: code(() => readEcsv(text, { deadline: start + ahead })), looks };
    } finally {
      Date.now = realNow;
    }
  };
  const stopped = checkpoints(5);
  const whole = checkpoints(1e12);
  assertEquals(stopped.outcome, "TIMEOUT");
  assertEquals(whole.outcome, undefined);
  assert(
    stopped.looks < whole.looks,
    `stopped after ${stopped.looks} clock looks, a whole decode looks ${whole.looks} times`,
  );
  // one shared budget carries the signal to every product of a response
  assertEquals(
    code(() =>
      DataCollection.fromResponseJson({ query_status: "done", products: {} }, { signal: aborted.signal })
    ),
    "ABORTED",
  );
});

Deno.test("typed errors: ECSV int64 fractions, deep variable-length cells, malformed json subtypes", () => {
  const head = (sub: string) =>
    `# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: string, subtype: '${sub}'}\n# schema: astropy-2.0\na\n`;
  assertEquals(code(() => readEcsv(head("int64[2]") + '"[1,1.5]"\n')), "ECSV");
  assertEquals(code(() => readEcsv(head("int64[2]") + '"[1,NaN]"\n')), "ECSV");
  assertEquals(code(() => readEcsv(head("int64[2]") + '"[1,9223372036854775808]"\n')), "ECSV");
  assertEquals(
    code(() => readEcsv(head("int64[null]") + `"${"[".repeat(100000)}1${"]".repeat(100000)}"\n`)),
    "ECSV",
  );
  assertEquals(code(() => readEcsv(head("json") + '"{"\n')), "ECSV");
  // what astropy reads: NaN and nested lists in a json column, int64 rows of a fixed shape
  const t = readEcsv(head("json") + '"[1, NaN, {""a"": [2]}]"\n');
  assertEquals(t.columns[0].values, [[1, NaN, { a: [2] }]]);
  const v = readEcsv(head("int64[2,2]") + '"[[1,2],[3,-4]]"\n');
  assertEquals(Array.from(v.columns[0].values as BigInt64Array), [1n, 2n, 3n, -4n]);
});

Deno.test("typed errors: list-encoded data units with non-integers for integer dtypes and deep nesting", () => {
  const unit = (data: string, dt: string) => ({ name: "u", data, dt, binarys: null });
  assertEquals(code(() => NumpyDataUnit.decode(unit("[1, 1.5]", "int16"))), "PRODUCT");
  assertEquals(code(() => NumpyDataUnit.decode(unit("[1, NaN]", "int64"))), "PRODUCT");
  assertEquals(code(() => NumpyDataUnit.decode(unit("[1, Infinity]", "uint64"))), "PRODUCT");
  assertEquals(code(() => NumpyDataUnit.decode(unit('[{"toString": 1}]', "<U3"))), "PRODUCT");
  assertEquals(
    code(() => NumpyDataUnit.decode(unit("[".repeat(200000) + "]".repeat(200000), "float64"))),
    "PRODUCT",
  );
  assertEquals(code(() => NumpyDataUnit.decode(unit("[[1, 2], [3]]", "float64"))), "PRODUCT");
  const du = NumpyDataUnit.decode(unit("[[1, NaN], [Infinity, 4]]", "float64"));
  assert(du.data?.kind === "ndarray");
  assertEquals(du.data.shape, [2, 2]);
  assertEquals(Array.from(du.data.values as Float64Array), [1, NaN, Infinity, 4]);
  const big = NumpyDataUnit.decode(unit("[9007199254740993, -2]", "int64"));
  assertEquals(Array.from(big.data!.values as BigInt64Array), [9007199254740992n, -2n]);
});

Deno.test("typed errors: hostile valueOf/toString objects in responses never escape as TypeError", () => {
  const cls = HOSTILE_CLASSES["hostile-objects"];
  for (const c of cls.cases(99, 200)) {
    try {
      cls.decode(c);
    } catch (e) {
      assert(e instanceof OdaError, `escaped: ${e}`);
    }
  }
  // catalog column names are written as Python's str() of the value, never through its own toString
  const data = DataCollection.fromResponseJson({
    query_status: "done",
    products: {
      catalog: {
        cat_column_list: [[1]],
        cat_column_names: [{ toString: 1, valueOf: 1 }],
        cat_column_descr: [],
      },
    },
  });
  assertEquals((data._p_list[0] as ApiCatalog).table.colnames, ["{'toString': 1, 'valueOf': 1}"]);
});

testWithTool(
  "typed errors: FITS ASCII integer cells and BITPIX 64 with a fractional BLANK agree with astropy",
  [
    "astropy",
  ],
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "oda-limits-" });
    try {
      const cases = HOSTILE_CLASSES["fits-ascii-int-and-blank"].cases(5, 30) as Uint8Array[];
      const ours: unknown[] = [];
      for (let i = 0; i < cases.length; i++) {
        await Deno.writeFile(`${dir}/c${i}.fits`, cases[i]);
        try {
          const h = readFits(cases[i]);
          const d = h[h.length - 1].data!;
          const vals = d.kind === "table" ? d.columns[0].values : d.values;
          ours.push(Array.from(vals as ArrayLike<number | bigint>, Number));
        } catch (e) {
          assert(e instanceof OdaError && e.code === "FITS", String(e));
          ours.push("error");
        }
      }
      const py = JSON.parse(
        await runPython(
          `
import sys, json, warnings
warnings.simplefilter("ignore")
from astropy.io import fits
out = []
for i in range(int(sys.argv[2])):
    try:
        h = fits.open(f"{sys.argv[1]}/c{i}.fits")
        d = h[-1].data
        vals = d.field(0) if h[-1].header.get("XTENSION") == "TABLE" else d
        out.append([float(x) for x in vals])
    except Exception:
        out.append("error")
print(json.dumps(out))
`,
          { args: [dir, String(cases.length)] },
        ),
      );
      assertEquals(ours, py);
      assert(ours.includes("error") && ours.some((x) => x !== "error"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("typed errors: returned analysis parameters with hostile objects are not compared, never converted", () => {
  const hostile = { toString: 1, valueOf: 1 };
  assertEquals(
    analysisParametersMismatches({ flag: true, src_name: "Crab" }, { flag: hostile, src_name: hostile }),
    [],
  );
  assertEquals(analysisParametersMismatches({ flag: true }, { flag: false }).map((m) => m.key), ["flag"]);
});

Deno.test("getProduct: decodeBudget reaches the streamed answer and its products; an aborted signal stops", async () => {
  const sb = await startSandbox({ port: 0, seed: 7 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const q = {
      instrument: "spi_acs",
      product: "spi_acs_lc",
      T1: "2022-07-01T00:00:00",
      T2: "2022-07-01T00:10:00",
      silent: true,
    } as const;
    const data = await disp.getProduct(q);
    assert(data.length > 0);
    const err = await disp.getProduct({ ...q, decodeBudget: { maxElements: 10 } }).catch((e) => e);
    assert(err instanceof OdaError && err.code === "DECODE_LIMIT", String(err));
    // an already-aborted signal stops before anything is decoded
    const stop = new AbortController();
    stop.abort();
    const err3 = await disp.getProduct({ ...q, signal: stop.signal }).catch((e) => e);
    assert(err3 instanceof OdaError && err3.code === "ABORTED", String(err3));
  } finally {
    await sb.close();
  }
});
