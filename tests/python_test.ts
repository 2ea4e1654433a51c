/** pythonRepr / pythonStr / makeHash tests: job ids of real dispatcher transcripts, Python cross-checks. */
import { PY_UNTAG as SHARED_UNTAG, tag } from "./_python_values.ts";
import assert from "node:assert/strict";
import { runPython, testWithTool } from "./_validators.ts";
import { makeHash, pythonRepr, pythonStr } from "../lib/data/python.ts";
import { parseJson, PyFloat } from "../lib/data/json.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const DIR = new URL("./fixtures/dispatcher-transcripts/", import.meta.url).pathname;
const EXCLUDED = [
  "session_id",
  "job_id",
  "token",
  "dry_run",
  "oda_api_version",
  "api",
  "off_line",
  "query_status",
  "async_dispatcher",
];

function tokenSub(): string {
  // sub of the tokens used for the transcripts (tokens-used.env); decode the JWT payload, never print the token
  const env = Deno.readTextFileSync(DIR + "tokens-used.env");
  const jwt = /T_GEN=(\S+)/.exec(env)![1];
  const payload = JSON.parse(
    new TextDecoder().decode(Uint8Array.fromBase64(jwt.split(".")[1], { alphabet: "base64url" })),
  );
  return payload.sub;
}

function python(script: string, stdin: string): Promise<string> {
  return runPython(script, { stdin });
}

Deno.test("makeHash recomputes job_monitor.job_id of every run_analysis transcript", () => {
  const sub = tokenSub();
  assert.equal(sub, "mtm@mtmco.net");
  let checked = 0;
  let withToken = 0;
  for (const e of Deno.readDirSync(DIR)) {
    if (!e.name.endsWith(".json")) continue;
    let d: Any;
    try {
      d = parseJson(Deno.readTextFileSync(DIR + e.name), { keepFloats: true });
    } catch {
      continue;
    }
    const ap = d?.products?.analysis_parameters;
    const jobId = d?.job_monitor?.job_id;
    if (!ap || !jobId) continue;
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ap)) if (!EXCLUDED.includes(k) && v !== null) params[k] = v;
    if (ap.token) {
      params.sub = sub;
      withToken++;
    }
    assert.equal(makeHash(params), jobId, e.name);
    checked++;
  }
  assert.ok(checked >= 20, `checked ${checked}`);
  // the int/float distinction matters: read without keepFloats, p=5.0 hashes as p=5 and the id differs
  const d = parseJson(Deno.readTextFileSync(DIR + "run_analysis-empty-numerical-api-done.json")) as Any;
  const params: Record<string, unknown> = { sub };
  for (const [k, v] of Object.entries(d.products.analysis_parameters)) {
    if (!EXCLUDED.includes(k) && v !== null) params[k] = v;
  }
  assert.notEqual(makeHash(params), d.job_monitor.job_id);
  assert.ok(withToken >= 1, "at least one token job");
});

Deno.test("makeHash: float vs int, containers, Map == object", () => {
  assert.notEqual(makeHash({ p: 5 }), makeHash({ p: new PyFloat(5) }));
  assert.equal(
    makeHash(new Map<string, unknown>([["a", 1], ["b", [1, "x"]]])),
    makeHash({ a: 1, b: [1, "x"] }),
  );
  assert.match(makeHash("x"), /^[0-9a-f]{16}$/);
  // lists are order-insensitive in make_hash (member hashes are sorted)
  assert.equal(makeHash([1, 2, 3]), makeHash([3, 1, 2]));
});

const PY_UNTAG = SHARED_UNTAG + `
def make_hash(o):
    def format_hash(x): return hashlib.md5(json.dumps(sorted(x)).encode()).hexdigest()[:16]
    if isinstance(o, (set, tuple, list)): return format_hash(tuple(map(make_hash, o)))
    elif isinstance(o, dict): return make_hash(tuple(o.items()))
    else: return format_hash(json.dumps(o))
`;

const SAMPLES: unknown[] = [
  { src_name: "OAO 1657-415", time_bin: 0.0115739687598762 },
  [
    "it's",
    null,
    true,
    false,
    1e-5,
    'a"b',
    "a'b\"c",
    "\u00e9\u200b\n\t\r\u0000\u007f\u0085\u00a0",
    "\u{1F600}",
    "\\",
  ],
  {
    RA: 265.97845833,
    DEC: -29.74516667,
    p: new PyFloat(5),
    n: 3,
    l: [],
    d: {},
    nested: { x: [1, [2, [3]]] },
  },
  [0.1, 1e16, 1e15, 123456789012, -0, NaN, Infinity, -Infinity, 1e-4, 1.5e300, 2 ** 53 - 1],
  "plain 'string'",
  'only "double"',
  "T1 2017-03-06T13:26:48.000",
  [new PyFloat(1), new PyFloat(100), new PyFloat(1e22)],
];

testWithTool("pythonRepr / pythonStr / makeHash agree with Python", "python3", async () => {
  const out = JSON.parse(
    await python(
      PY_UNTAG + `
res = []
for v in json.load(sys.stdin):
    v = untag(v)
    res.append([repr(v), str(v), make_hash(v)])
print(json.dumps(res))
`,
      JSON.stringify(SAMPLES.map(tag)),
    ),
  ) as string[][];
  SAMPLES.forEach((v, i) => {
    assert.equal(pythonRepr(v), out[i][0], `repr #${i}`);
    assert.equal(pythonStr(v), out[i][1], `str #${i}`);
    assert.equal(makeHash(v), out[i][2], `make_hash #${i}`);
  });
});

Deno.test("pythonStr of numbers: int/float rule", () => {
  assert.equal(pythonStr(1), "1");
  assert.equal(pythonStr(1, { float: true }), "1.0");
  assert.equal(pythonStr(new PyFloat(1)), "1.0");
  assert.equal(pythonStr(0.00001), "1e-05");
  assert.equal(pythonStr(1e16, { float: true }), "1e+16");
  assert.equal(pythonStr(2.5), "2.5");
  assert.equal(pythonStr(NaN), "nan");
  assert.equal(pythonStr(-Infinity), "-inf");
  assert.equal(pythonStr(12345678901234567890n), "12345678901234567890");
  assert.equal(pythonStr(true), "True");
  assert.equal(pythonStr(null), "None");
  assert.equal(pythonStr("x'y"), "x'y");
  assert.equal(pythonRepr(new Map([[1, "a"]])), "{1: 'a'}");
  assert.equal(pythonRepr(new Set()), "set()");
  assert.equal(pythonRepr(new Uint8Array([97, 39, 0, 200])), 'b"a\'\\x00\\xc8"');
});
