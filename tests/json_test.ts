/** parseJson / pythonJsonDumps / base64 tests, cross-checked with Python's json module. */
import { PY_UNTAG, tag } from "./_python_values.ts";
import assert from "node:assert/strict";
import { runPython, testWithTool } from "./_validators.ts";
import { parseJson, PyFloat, pythonFloatRepr, pythonJsonDumps } from "../lib/data/json.ts";
import { _base64Fallback, decodeBase64, encodeBase64 } from "../lib/data/base64.ts";
import { DecodeError } from "../lib/errors.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function python(script: string, stdin: string): Promise<string> {
  return runPython(script, { stdin });
}

Deno.test("parseJson: clean input is exactly JSON.parse", () => {
  const text = Deno.readTextFileSync(
    new URL("./fixtures/oda_api/generated/synthetic_run_analysis_done_response.json", import.meta.url),
  );
  assert.deepEqual(parseJson(text), JSON.parse(text));
});

Deno.test("parseJson: bare NaN/Infinity/-Infinity outside strings only", () => {
  const v = parseJson(
    '{"a": NaN, "b": [Infinity, -Infinity, 1, NaN], "s": "NaN, Infinity \\" -Infinity", "k\\"NaN": {"x": -Infinity}}',
  ) as Any;
  assert.ok(Number.isNaN(v.a));
  assert.deepEqual(v.b.slice(0, 3), [Infinity, -Infinity, 1]);
  assert.ok(Number.isNaN(v.b[3]));
  assert.equal(v.s, 'NaN, Infinity " -Infinity');
  assert.equal(v['k"NaN'].x, -Infinity);
  // a string that happens to look like our NaN sentinel stays a string
  const w = parseJson('["\\u0000oda-NaN\\u0000", NaN]') as Any;
  assert.equal(w[0], "\u0000oda-NaN\u0000");
  assert.ok(Number.isNaN(w[1]));
  // backslashes right before a closing quote
  assert.equal(String(parseJson('["a\\\\", NaN]')), "a\\,NaN");
  assert.equal(parseJson("NaN"), NaN);
});

Deno.test("parseJson: malformed input is a DecodeError('JSON') with a position", () => {
  const cases: [string, number | undefined][] = [
    ['{"a": 1,', undefined],
    ["[1, 2 3]", 6],
    ['{"a": NaN, "b": }', undefined],
    ['{"a": Nan}', 6],
    ['["unterminated', undefined],
    ["", undefined],
    ['{"a": NaN, "b": 1,}', undefined],
  ];
  for (const [text, pos] of cases) {
    assert.throws(() => parseJson(text), (e: unknown) => {
      assert.ok(e instanceof DecodeError, String(e));
      assert.equal(e.code, "JSON");
      assert.match(e.message, /malformed JSON/);
      assert.doesNotMatch(e.message, /oda-NaN|1e999/, "internal rewrite must not leak");
      if (pos !== undefined) assert.match(e.message, new RegExp(`position ${pos}\\b`), text);
      return true;
    }, text);
  }
});

Deno.test("parseJson keepFloats marks integral floats", () => {
  const v = parseJson('{"p": 5.0, "q": 5, "r": 1e3, "s": 0.5, "t": NaN}', { keepFloats: true }) as Any;
  assert.ok(v.p instanceof PyFloat && v.p.value === 5);
  assert.equal(v.q, 5);
  assert.ok(v.r instanceof PyFloat);
  assert.equal(v.s, 0.5);
  assert.ok(Number.isNaN(v.t));
});

function corpus(seed: number, n: number): unknown[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const chars = [
    "a",
    "Z",
    " ",
    '"',
    "\\",
    "\n",
    "\t",
    "\r",
    "\b",
    "\f",
    "\u0001",
    "\u001f",
    "\u007f",
    "é",
    "日",
    "\u{1F600}",
    "'",
    "/",
    "\u2028",
    "\u00a0",
  ];
  const str = () =>
    Array.from({ length: Math.floor(rnd() * 8) }, () => chars[Math.floor(rnd() * chars.length)]).join("");
  const num = (): unknown => {
    const k = Math.floor(rnd() * 8);
    if (k === 0) return Math.floor(rnd() * 2000) - 1000;
    if (k === 1) return new PyFloat(Math.floor(rnd() * 100));
    if (k === 2) {
      return [
        NaN,
        Infinity,
        -Infinity,
        -0,
        1e16,
        1e-5,
        1e-4,
        9999999999999998,
        123456789012345680000,
      ][Math.floor(rnd() * 9)];
    }
    const e = Math.floor(rnd() * 80) - 40;
    return (rnd() - 0.5) * 10 ** e;
  };
  const val = (d: number): unknown => {
    const k = Math.floor(rnd() * (d > 3 ? 5 : 7));
    if (k === 0) return str();
    if (k === 1) return num();
    if (k === 2) return [true, false, null][Math.floor(rnd() * 3)];
    if (k === 3) return num();
    if (k === 4) return str();
    if (k === 5) return Array.from({ length: Math.floor(rnd() * 4) }, () => val(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), val(d + 1)]));
  };
  return Array.from({ length: n }, () => val(0));
}

testWithTool(
  "pythonJsonDumps reproduces Python json.dumps (plain, sort_keys, indent)",
  "python3",
  async () => {
    const values = corpus(7, 300);
    const py = await python(
      PY_UNTAG + `
out = []
for v in json.load(sys.stdin):
    v = untag(v)
    out.append([json.dumps(v), json.dumps(v, sort_keys=True), json.dumps(v, indent=2), json.dumps(v, indent='\\t', sort_keys=True)])
json.dump(out, sys.stdout)
`,
      JSON.stringify(values.map(tag)),
    );
    const expected = JSON.parse(py) as string[][];
    values.forEach((v, i) => {
      assert.equal(pythonJsonDumps(v), expected[i][0], `#${i}`);
      assert.equal(pythonJsonDumps(v, { sortKeys: true }), expected[i][1], `#${i} sort_keys`);
      assert.equal(pythonJsonDumps(v, { indent: 2 }), expected[i][2], `#${i} indent`);
      assert.equal(pythonJsonDumps(v, { indent: "\t", sortKeys: true }), expected[i][3], `#${i} indent tab`);
      // and our reader reads Python's output back
      assert.deepEqual(
        JSON.stringify(tag(parseJson(expected[i][0], { keepFloats: true }))),
        JSON.stringify(tag(v)),
      );
    });
  },
);

testWithTool("pythonFloatRepr matches repr(float) on 5000 doubles", "python3", async () => {
  let s = 99;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const xs: number[] = [];
  const buf = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 5000; i++) {
    if (i % 2) xs.push((rnd() - 0.5) * 10 ** (Math.floor(rnd() * 40) - 20));
    else {
      buf.setUint32(0, Math.floor(rnd() * 2 ** 32));
      buf.setUint32(4, Math.floor(rnd() * 2 ** 32));
      const x = buf.getFloat64(0);
      if (Number.isFinite(x)) xs.push(x);
    }
  }
  xs.push(0, -0, 1, 0.1, 1e-4, 1e-5, 1e16, 1e15, 123456789.0, 5e-324, 1.7976931348623157e308);
  const py = JSON.parse(
    await python(
      "import sys, json\nprint(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))",
      JSON.stringify(xs.map((x) => (Object.is(x, -0) ? "-0" : String(x)))),
    ),
  ) as string[];
  xs.forEach((x, i) => assert.equal(pythonFloatRepr(x), py[i], `${x}`));
});

testWithTool("parseJson reads Python's NaN/Infinity output", "python3", async () => {
  const text = await python(
    "import json\nprint(json.dumps({'a': float('nan'), 'b': [float('inf'), -float('inf')], 's': 'NaN Infinity', 'c': 1.0}))",
    "",
  );
  const v = parseJson(text) as Any;
  assert.ok(Number.isNaN(v.a));
  assert.deepEqual(v.b, [Infinity, -Infinity]);
  assert.equal(v.s, "NaN Infinity");
});

Deno.test("base64: both alphabets, whitespace, optional padding, typed errors", () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  const std = encodeBase64(bytes);
  const url = encodeBase64(bytes, { urlSafe: true });
  assert.ok(std.includes("+") && std.includes("/") && std.endsWith("="));
  assert.ok(url.includes("-") && url.includes("_"));
  for (
    const t of [std, url, std.replace(/=+$/, ""), url.replace(/=+$/, ""), std.replace(/(.{76})/g, "$1\n")]
  ) {
    assert.deepEqual(decodeBase64(t), bytes);
    assert.deepEqual(decodeBase64(t, { urlSafe: true }), bytes);
    assert.deepEqual(_base64Fallback.decode(t), bytes);
  }
  // mixed alphabets (Python's urlsafe_b64decode accepts + and /)
  const mixed = std.slice(0, 100).replace(/\+/g, "-") + std.slice(100);
  assert.deepEqual(decodeBase64(mixed), bytes);
  assert.equal(_base64Fallback.encode(bytes, false), std);
  assert.equal(_base64Fallback.encode(bytes, true), url);
  for (const bad of ["AQ*D", "AQID\u00e9", "A", "AQ=D"]) {
    assert.throws(
      () => decodeBase64(bad),
      (e: unknown) => e instanceof DecodeError && /base64/.test(e.message),
      bad,
    );
  }
  assert.throws(() => decodeBase64("AQ*D"), /position 2/);
  // random lengths round trip
  for (let n = 0; n < 70; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
    assert.deepEqual(decodeBase64(encodeBase64(b)), b);
    assert.deepEqual(_base64Fallback.decode(encodeBase64(b, { urlSafe: true })), b);
  }
});
