/**
 * ECSV codec: fixtures, and exact round trips with astropy in both directions.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type EcsvTable, readEcsv, writeEcsv } from "../lib/codecs/ecsv.ts";
import { DecodeError } from "../lib/errors.ts";
import { runPython, testWithTool } from "./_validators.ts";

function assertThrows<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  throw new Error("expected an exception");
}

const FIX = new URL("./fixtures/oda_api/", import.meta.url);
const readJson = (rel: string) => JSON.parse(Deno.readTextFileSync(new URL(rel, FIX)));

function colValues(t: EcsvTable, name: string): unknown[] {
  const c = t.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return Array.from(c.values as ArrayLike<unknown>, (v, i) => (c.mask?.[i] ? null : v));
}

Deno.test("ecsv: reads the oda_api ODAAstropyTable fixture and writes it back byte for byte", () => {
  const fx = readJson("generated/astropy_table_ascii.json");
  const t = readEcsv(fx.ascii);
  assertEquals(t.length, 3);
  assertEquals(t.columns.map((c) => [c.name, c.dtype, c.unit]), [
    ["number", "<f8", undefined],
    ["value", "<f8", "keV"],
    ["name", "<U3", undefined],
  ]);
  assertEquals(colValues(t, "value"), [60, 61.5, 62]);
  assertEquals(colValues(t, "name"), ["a", "bb", "ccc"]);
  assertEquals(writeEcsv(t), fx.ascii);
});

Deno.test("ecsv: nb2workflow table.json output reads and re-writes exactly", () => {
  const fx = readJson("related/dispatcher-plugin-nb2workflow/tests/responses/table.json");
  const text = fx.output.output.ascii as string;
  const t = readEcsv(text);
  assertEquals(t.length, 10);
  assertEquals(colValues(t, "number"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert(t.columns[0].values instanceof Float64Array);
  assertEquals(writeEcsv(t), text);
});

Deno.test("ecsv: malformed input gives DecodeError ECSV", () => {
  const head = "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int64}\n# schema: astropy-2.0\na\n";
  for (
    const bad of [
      "a b\n1 2\n",
      "# %ECSV 1.0\n# datatype: []\na\n",
      head + "1 2\n",
      head + "x\n",
      head.replace("int64", "complex256") + "1\n",
      head + '"1\n',
      "# %ECSV 1.0\n# ---\n# datatype: [\n",
      head.replace("a\n", "b\n") + "1\n",
    ]
  ) {
    const e = assertThrows(() => readEcsv(bad), DecodeError);
    assertEquals((e as DecodeError).code, "ECSV");
  }
});

Deno.test("ecsv: masks, quotes and special floats", () => {
  const text = [
    "# %ECSV 1.0",
    "# ---",
    "# datatype:",
    "# - {name: f, datatype: float64}",
    "# - {name: s, datatype: string}",
    "# - {name: i, datatype: int32}",
    "# - {name: b, datatype: bool}",
    "# schema: astropy-2.0",
    "f s i b",
    'nan "a ""q"" b" "" True',
    '"" x 3 ""',
    '-inf "" -7 False',
    "",
  ].join("\n");
  const t = readEcsv(text);
  const f = t.columns[0];
  assert(Number.isNaN((f.values as Float64Array)[0]) && !f.mask?.[0]);
  assert(Number.isNaN((f.values as Float64Array)[1]) && f.mask?.[1] === 1);
  assertEquals((f.values as Float64Array)[2], -Infinity);
  assertEquals(t.columns[1].values, ['a "q" b', "x", null]);
  assertEquals(Array.from(t.columns[2].mask!), [1, 0, 0]);
  assertEquals(Array.from(t.columns[2].values as Int32Array), [0, 3, -7]);
  assertEquals(Array.from(t.columns[3].values as Uint8Array), [1, 0, 0]);
  assertEquals(Array.from(t.columns[3].mask!), [0, 1, 0]);
  assertEquals(writeEcsv(t), text);
});

const ASTROPY_CASES = `
from astropy.table import Table, MaskedColumn, Column
import numpy as np, io, json, sys
out = {}
def w(name, t, **kw):
    s = io.StringIO(); t.write(s, format='ascii.ecsv', **kw); out[name] = s.getvalue()
t = Table()
t['b'] = np.array([True, False, True])
t['i8'] = np.array([1, -2, 3], dtype='int8')
t['u16'] = np.array([1, 2, 65535], dtype='uint16')
t['u64'] = np.array([1, 2, 18446744073709551615], dtype='uint64')
t['i64'] = np.array([1, 2, -9223372036854775808], dtype='int64')
t['f4'] = np.array([0.1, 1e-5, 3.4028235e38], dtype='float32')
t['f8'] = Column([0.1, float('nan'), 1e16], unit='keV', description='a float col', format='%.3f')
t['s'] = ['a b', 'x', 'he said "hi"']
t['u'] = ['\u00e9t\u00e9', 'GRS 1915+105', '#x']
t['m'] = MaskedColumn([1.5, 2.5, 3.5], mask=[False, True, False])
t['ms'] = MaskedColumn(['x', 'y', 'z'], mask=[False, True, False])
t['mi'] = MaskedColumn([1, 2, 3], mask=[True, False, False])
t['v'] = np.array([[1., 2.], [3., 4.], [5., 6.]])
t['inf'] = [float('inf'), -float('inf'), 1e-300]
t.meta['origin'] = 'demo'
t.meta['nested'] = {'b': [1, 2], 'a': 1.5}
t.meta['comments'] = ['c1', 'two words']
w('mixed', t)
t3 = Table({'a b': [1, 2], 'yes': ['no', 'true'], 'x:y': [1.0, 2.0], 'c': ['1', '- x']})
t3['a b'].description = "it's: odd"
t3['a b'].unit = 'cm / s'
t3.meta = {'k': 1.5, 'when': '2020-01-01', 'l': [1, 'a b'], 'n': None, 'bool': True, 'e': 'x: y'}
w('odd', t3)
t4 = Table({'vl': np.array([np.array([1., 2.]), np.array([3.])], dtype=object), 'm2': np.arange(8).reshape(2, 2, 2)})
w('arrays', t4)
t6 = Table({'a': [1, 2]}); t6['a'].meta = {'x': 1}
w('colmeta', t6)
t7 = Table({'a': [1, 2], 'b': ['x y', 'z']}); t7.meta['k'] = 'v'
w('comma', t7, delimiter=',')
json.dump(out, sys.stdout)
`;

function python(code: string, stdin?: string): Promise<string> {
  return runPython(code, { stdin });
}

testWithTool("ecsv: astropy-written files read and re-write byte for byte", "astropy", async () => {
  const cases = JSON.parse(await python(ASTROPY_CASES)) as Record<string, string>;
  assertEquals(Object.keys(cases).length, 5);
  for (const [name, text] of Object.entries(cases)) {
    const t = readEcsv(text);
    const back = writeEcsv(t, { delimiter: name === "comma" ? "," : " " });
    assertEquals(back, text, `case ${name}`);
  }
  const mixed = readEcsv(cases.mixed);
  assertEquals(colValues(mixed, "u64"), [1n, 2n, 18446744073709551615n]);
  assertEquals(colValues(mixed, "i64"), [1n, 2n, -9223372036854775808n]);
  assertEquals(colValues(mixed, "u"), ["été", "GRS 1915+105", "#x"]);
  assertEquals(colValues(mixed, "ms"), ["x", null, "z"]);
  assertEquals(colValues(mixed, "mi"), [null, 2n, 3n]);
  assertEquals(mixed.columns.find((c) => c.name === "v")!.shape, [2]);
  assertEquals(mixed.meta, { origin: "demo", nested: { a: 1.5, b: [1, 2] }, comments: ["c1", "two words"] });
  const f8 = mixed.columns.find((c) => c.name === "f8")!;
  assertEquals([f8.unit, f8.description, f8.format], ["keV", "a float col", "%.3f"]);
});

const ASTROPY_DUMP = `
import sys, json, math
from astropy.table import Table
t = Table.read(sys.stdin.read(), format='ascii.ecsv')
def conv(v):
    if hasattr(v, 'tolist'): v = v.tolist()
    if isinstance(v, float) and math.isnan(v): return 'nan'
    if isinstance(v, float) and math.isinf(v): return 'inf' if v > 0 else '-inf'
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    if isinstance(v, list): return [conv(x) for x in v]
    return v
cols = {}
for c in t.colnames:
    col = t[c]
    mask = [bool(m) for m in col.mask] if hasattr(col, 'mask') and col.mask is not None and hasattr(col.mask, '__len__') else [False]*len(col)
    cols[c] = {'dtype': col.dtype.str if col.dtype.kind != 'O' else '|O', 'unit': str(col.unit) if col.unit else None,
               'description': col.description, 'values': [None if m else conv(v) for v, m in zip(col.tolist() if col.dtype.kind != 'O' else list(col), mask)]}
print(json.dumps({'cols': cols, 'meta': dict(t.meta)}))
`;

testWithTool("ecsv: files we write are read by astropy with identical values", "astropy", async () => {
  const table: EcsvTable = {
    kind: "table",
    length: 3,
    meta: { origin: "oda-api ts", n: 3, nested: { x: [1, 2] } },
    columns: [
      {
        name: "time",
        dtype: "<f8",
        shape: [],
        values: new Float64Array([0.1, 1e-7, 59630.573310185185]),
        unit: "d",
      },
      {
        name: "rate",
        dtype: "<f4",
        shape: [],
        values: new Float32Array([1.5, NaN, 3.25]),
        description: "count rate",
      },
      { name: "n", dtype: "<i8", shape: [], values: new BigInt64Array([1n, -(2n ** 63n), 2n ** 62n]) },
      { name: "flag", dtype: "|b1", shape: [], values: new Uint8Array([1, 0, 1]) },
      { name: "src", dtype: "<U16", shape: [], values: ["GX 1+4", 'it\'s "q"', "ñ ü"] },
      {
        name: "m",
        dtype: "<i4",
        shape: [],
        values: new Int32Array([5, 0, 7]),
        mask: new Uint8Array([0, 1, 0]),
      },
      { name: "vec", dtype: "<f8", shape: [2], values: new Float64Array([1, 2, 3, 4, 5, 6.5]) },
    ],
  };
  const text = writeEcsv(table);
  const got = JSON.parse(await python(ASTROPY_DUMP, text));
  assertEquals(got.meta, { origin: "oda-api ts", n: 3, nested: { x: [1, 2] } });
  assertEquals(got.cols.time, {
    dtype: "<f8",
    unit: "d",
    description: null,
    values: [0.1, 1e-7, 59630.573310185185],
  });
  assertEquals(got.cols.rate.dtype, "<f4");
  assertEquals(got.cols.rate.values, [1.5, "nan", 3.25]);
  assertEquals(got.cols.rate.description, "count rate");
  assertEquals(got.cols.n.values, [1, String(-(2n ** 63n)), String(2n ** 62n)]);
  assertEquals(got.cols.flag.values, [true, false, true]);
  assertEquals(got.cols.src.values, ["GX 1+4", 'it\'s "q"', "ñ ü"]);
  assertEquals(got.cols.m.values, [5, null, 7]);
  assertEquals(got.cols.vec.values, [[1, 2], [3, 4], [5, 6.5]]);
  // and our reader gets back exactly what we wrote
  const back = readEcsv(text);
  assertEquals(writeEcsv(back), text);
});

testWithTool(
  "ecsv: astropy mixin columns (Time, Quantity, SkyCoord) read as plain columns; output stays readable",
  "astropy",
  async () => {
    const text = await python(`
import sys, io
from astropy.table import QTable
from astropy.time import Time
from astropy.coordinates import SkyCoord
import astropy.units as u
t = QTable({'t': Time([59000.5, 59001.5], format='mjd'), 'q': [1, 2] * u.keV, 'c': SkyCoord([1, 2], [3, 4], unit='deg')})
s = io.StringIO(); t.write(s, format='ascii.ecsv'); sys.stdout.write(s.getvalue())
`);
    const t = readEcsv(text);
    assertEquals(t.columns.map((c) => [c.name, c.unit]), [["t", undefined], ["q", "keV"], ["c.ra", "deg"], [
      "c.dec",
      "deg",
    ]]);
    assertEquals(colValues(t, "t"), [59000.5, 59001.5]);
    const back = JSON.parse(await python(ASTROPY_DUMP, writeEcsv(t)));
    assertEquals(back.cols.q.values, [1, 2]);
    assertEquals(back.cols["c.dec"].unit, "deg");
  },
);

testWithTool(
  "a first field starting with '#' is quoted, so neither reader takes the row for a comment",
  "astropy",
  async () => {
    const text = writeEcsv({
      kind: "table",
      length: 2,
      columns: [
        { name: "#name", dtype: "<U4", shape: [], values: ["#src", "Crab"] },
        { name: "n", dtype: "<i8", shape: [], values: new BigInt64Array([1n, 2n]) },
      ],
    });
    const back = readEcsv(text);
    assertEquals(back.columns.map((c) => c.name), ["#name", "n"]);
    assertEquals(colValues(back, "#name"), ["#src", "Crab"]);
    const py = await python(
      "import sys, json\nfrom astropy.table import Table\nt = Table.read(sys.stdin.read(), format='ascii.ecsv')\n" +
        "print(json.dumps([t.colnames, [str(v) for v in t['#name']]]))",
      text,
    );
    assertEquals(JSON.parse(py), [["#name", "n"], ["#src", "Crab"]]);
  },
);
