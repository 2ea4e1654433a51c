/**
 * The API-code bridge: every `api_code` the real dispatcher wrote in the transcripts is read back and
 * rewritten byte for byte; the Python literal subset, hostile inputs, the token rule; jobs and collections
 * from the sandbox give the dispatcher's text and round-trip; the TypeScript rendering runs.
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import {
  type ApiCodeParams,
  apiParamsFromAnalysisParameters,
  parseApiCode,
  renderApiCode,
} from "../lib/codecs/api_code.ts";
import { parsePythonLiteral } from "../lib/data/python_literal.ts";
import { parseJson, PyFloat } from "../lib/data/json.ts";
import { DecodeError, OdaError } from "../lib/errors.ts";
import { assert, assertEquals, assertInstanceOf, assertMatch } from "./client_replay.ts";

// deno-lint-ignore no-explicit-any
function assertThrows<T>(fn: () => unknown, cls: abstract new (...args: any[]) => T): T {
  try {
    fn();
  } catch (e) {
    assert(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? e.stack : String(e)}`);
    return e as T;
  }
  throw new Error(`expected a ${cls.name}`);
}

const DIR = new URL("./fixtures/dispatcher-transcripts/", import.meta.url);

interface Capture {
  name: string;
  response: Record<string, unknown>;
  request?: [string, string][];
}

/** Every dispatcher answer carrying `products.api_code`: the JSON captures and the oda_api traffic logs. */
function captures(): Capture[] {
  const out: Capture[] = [];
  for (const e of [...Deno.readDirSync(DIR)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (e.name.endsWith(".json")) {
      const r = parseJson(Deno.readTextFileSync(new URL(e.name, DIR)), { keepFloats: true });
      const products = (r as { products?: { api_code?: unknown } })?.products;
      if (typeof products?.api_code !== "string") continue;
      const txt = Deno.readTextFileSync(new URL(e.name.replace(/\.json$/, ".txt"), DIR));
      const block = txt.split("request params (decoded")[1]?.split("response status")[0] ?? "";
      const request = block.split("\n").slice(1).map((l) => l.trim()).filter((l) =>
        l && !l.startsWith("RAW:")
      )
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]);
      const merged = new Map<string, string>(); // repeated keys (scw_list=a&scw_list=b) as one list
      for (const [k, v] of request) merged.set(k, merged.has(k) ? `${merged.get(k)},${v}` : v);
      out.push({ name: e.name, response: r as Record<string, unknown>, request: [...merged] });
    } else if (e.name.endsWith(".jsonl")) {
      for (const [i, line] of Deno.readTextFileSync(new URL(e.name, DIR)).split("\n").entries()) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line) as { response_body?: unknown };
        if (typeof rec.response_body !== "string" || !rec.response_body.includes('"api_code"')) continue;
        const r = parseJson(rec.response_body, { keepFloats: true }) as Record<string, unknown>;
        out.push({ name: `${e.name}:${i + 1}`, response: r });
      }
    }
  }
  return out;
}

function products(c: Capture): { api_code: string; analysis_parameters: Record<string, unknown> } {
  return c.response.products as { api_code: string; analysis_parameters: Record<string, unknown> };
}

/** Request values the dispatcher normalises before writing api_code (unit/format conversion, list form). */
const NORMALISED: Record<string, string[]> = {
  "run_analysis-empty-echo-units.json": ["ang_deg", "T1", "T2", "T_format"], // arcsec units, mjd → isot
  "run_analysis-file-upload.json": ["dummy_file"], // upload → download URL
  "run_analysis-empty-structured.json": ["struct"], // JSON text re-dumped
};

Deno.test("api_code: every transcript's api_code is read and rewritten byte for byte", () => {
  const all = captures();
  assert(all.length >= 25, `found ${all.length} captures with api_code`);
  let withToken = 0;
  for (const c of all) {
    const { api_code, analysis_parameters } = products(c);
    const code = parseApiCode(api_code);
    assertEquals(code.placeholder, "PRODUCTS_URL/dispatch-data", c.name);
    assertEquals(code.url, undefined, c.name);
    // the parameters are the dispatcher's (renamed as oda_api does), the token apart
    const expected = apiParamsFromAnalysisParameters(analysis_parameters);
    const expectedToken = expected.token;
    delete expected.token;
    assertEquals({ ...code.params }, expected, c.name);
    assertEquals(code.token, expectedToken as string | undefined, c.name);
    if (code.token) withToken++;
    // rewritten byte for byte, from the parsed code and from analysis_parameters
    const again = renderApiCode(
      code.token ? { ...code.params, token: code.token } : code.params,
      { url: code.placeholder, token: "include" },
    );
    assertEquals(again, api_code, c.name);
    assertEquals(
      renderApiCode(apiParamsFromAnalysisParameters(analysis_parameters), {
        url: "PRODUCTS_URL/dispatch-data",
        token: "include",
      }),
      api_code,
      c.name,
    );
    // every parameter the request carried is there with the value sent (except normalised ones)
    for (const [k, v] of c.request ?? []) {
      if (
        [
          "query_status",
          "session_id",
          "job_id",
          "token",
          "api",
          "off_line",
          "oda_api_version",
          "return_progress",
        ].includes(k)
      ) continue;
      if (NORMALISED[c.name]?.includes(k)) continue;
      const name = k === "product_type" ? "product" : k === "query_type" ? "product_type" : k;
      if (!(name in code.params)) {
        // dropped by the dispatcher (unknown argument: reported in exit_status.comment)
        assert(JSON.stringify(c.response.exit_status).includes(k), `${c.name}: ${k} missing`);
        continue;
      }
      let got = code.params[name];
      if (Array.isArray(got) && k === "scw_list") got = got.join(","); // one comma-separated value or repeated keys
      const text = got instanceof PyFloat || typeof got === "number" ? Number(got) : got;
      const sent = typeof text === "number" ? Number(v) : v;
      assertEquals(text, sent, `${c.name}: ${k}`);
    }
  }
  assert(withToken >= 2, "captures with a token");
});

Deno.test("api_code: the token of pasted code is used but never shown", () => {
  const c = captures().find((c) => c.name === "run_analysis-async-token-submitted.json")!;
  const code = parseApiCode(products(c).api_code);
  const token = code.token!;
  assertMatch(token, /^eyJ/);
  assert(!("token" in code.params));
  for (const shown of [JSON.stringify(code), String(code), Deno.inspect(code), Deno.inspect(code.params)]) {
    assert(!shown.includes(token), shown);
  }
  assertEquals(JSON.parse(JSON.stringify(code)).has_token, true);
  const disp = DispatcherAPI.fromApiCode(products(c).api_code, { url: "http://127.0.0.1:9" });
  assertEquals(disp.token, token);
  assert(!Deno.inspect(disp).includes(token) && !JSON.stringify(disp).includes(token));
  // by default a rewritten query leaves the token out
  const shared = renderApiCode({ ...code.params, token });
  assert(!shared.includes(token) && !shared.includes('"token"'));
  // a placeholder URL needs an explicit one; placeholder tokens are no tokens
  const e = assertThrows(() => DispatcherAPI.fromApiCode(products(c).api_code), OdaError);
  assertMatch(e.message, /PRODUCTS_URL\/dispatch-data.*pass \{ url \}/);
  assertEquals(
    parseApiCode(
      `get_product(instrument="a", product="b", token="<your token>")`.replace(/^/, "d=DispatcherAPI()\nd."),
    ).token,
    undefined,
  );
});

Deno.test("api_code: the Python literal subset", () => {
  const v = parsePythonLiteral(`{
    'a': 'single', "b": "double", 'c': '''tri'ple''', "d": """tri"ple""",  # comment
    'e': r'raw\\n', 'f': u'uni', 'g': 'esc\\t\\x41\\u00e9\\U0001F600\\101\\q', 'h': 'con' "cat",
    'i': (1, 2,), 'j': (3,), 'k': (), 'l': [[], {}, [1, [2, [3]]]], 'm': {1, 2}, 'n': -1_000, 'o': 0x1F,
    'p': 1.5e3, 'q': 2.0, 'r': .5, 's': True, 't': False, 'u': None, 'v': true, 'w': null, 'x': NaN,
    'y': -Infinity, 'z': 12345678901234567890, 'line': 'a\\
b', 1: 'int key',
  }`);
  const o = v as Record<string, unknown>;
  assertEquals(o.a, "single");
  assertEquals(o.c, "tri'ple");
  assertEquals(o.d, 'tri"ple');
  assertEquals(o.e, "raw\\n");
  assertEquals(o.g, "esc\tA\u00e9\u{1F600}A\\q");
  assertEquals(o.h, "concat");
  assertEquals([o.i, o.j, o.k, o.l, o.m], [[1, 2], [3], [], [[], {}, [1, [2, [3]]]], [1, 2]]);
  assertEquals([o.n, o.o, Number(o.p), o.r], [-1000, 31, 1500, 0.5]);
  assertInstanceOf(o.p, PyFloat);
  assertInstanceOf(o.q, PyFloat);
  assertEquals([o.s, o.t, o.u, o.v, o.w], [true, false, null, true, null]);
  assert(Number.isNaN(o.x as number) && o.y === -Infinity);
  assertEquals(o.z, 12345678901234567890n);
  assertEquals(o.line, "ab");
  assertEquals(o["1"], "int key");
  assertEquals(parsePythonLiteral("{'__proto__': 1}"), JSON.parse('{"__proto__": 1}'));
  // keyword arguments, **dict and a kwarg together; DispatcherAPI through a module alias; trailing commas
  const code = parseApiCode(`
import oda_api.api as api
from oda_api.api import (DispatcherAPI,)
d = api.DispatcherAPI(url="https://www.astro.unige.ch/mmoda/dispatch-data", instrument="mock",)
base = {"instrument": "isgri", "product": "isgri_image"}
d.get_product(**base, E1_keV=28.0, scw_list=("0665", "0666"), token=None,);
`);
  assertEquals(code.url, "https://www.astro.unige.ch/mmoda/dispatch-data");
  assertEquals({ ...code.params }, {
    instrument: "isgri",
    product: "isgri_image",
    E1_keV: new PyFloat(28),
    scw_list: ["0665", "0666"],
  });
  // the call alone (the dispatcher was made in another cell)
  const alone = parseApiCode(`data = disp.get_product(instrument="spi_acs", product="spi_acs_lc")`);
  assertEquals([alone.url, alone.params.product], [undefined, "spi_acs_lc"]);
  // just the dict (indented, as pasted into a template string)
  assertEquals(
    parseApiCode(`  par_dict = {"instrument": "jemx", "product": "jemx_lc"}`).params.product,
    "jemx_lc",
  );
});

function apiError(fn: () => unknown): DecodeError {
  const e = assertThrows(fn, DecodeError);
  assertEquals(e.code, "API_CODE");
  return e;
}

Deno.test("api_code: anything but literals is refused at its line and column", () => {
  const cases: [string, RegExp][] = [
    ['import os\npar_dict={"instrument": "a", "product": "b"}', /line 1, column 8: import of 'os' refused/],
    ["from subprocess import run", /line 1, column 6: import of 'subprocess' refused/],
    [
      'd=DispatcherAPI()\nd.get_product(instrument=open("/etc/passwd").read(), product="b")',
      /line 2, column 26: 'open\(\.\.\.\)' is a function call/,
    ],
    [
      'par_dict={"instrument": __import__("os"), "product": "b"}',
      /line 1, column 25: '__import__\(\.\.\.\)' is a function call/,
    ],
    ['par_dict={"instrument": "a" + "b", "product": "b"}', /line 1, column 29: operator '\+'/],
    ['par_dict={"instrument": f"{x}", "product": "b"}', /line 1, column 25: f-strings are code/],
    ['par_dict={"instrument": x, "product": "b"}', /line 1, column 25: 'x' is not defined/],
    [
      'par_dict={"instrument": "a", "product": "b"}\nprint(par_dict)',
      /line 2, column 1: 'print\(\.\.\.\)' is not understood/,
    ],
    ['par_dict={"instrument": "a", "product": "b"', /unbalanced brackets/],
    ['par_dict={"instrument": "a", "product": "b"]]', /line 1, column 44: expected ',' or '\}'/],
    ['par_dict={"instrument": "a\n", "product": "b"}', /line 1, column 25: unterminated string/],
    ['par_dict={"instrument": 1j}', /complex numbers/],
    ['par_dict={"instrument": "a", "product": "b"}.keys()', /line 1, column 45: attribute access/],
    ["d=DispatcherAPI(evil=1)", /DispatcherAPI\(\) has no argument 'evil'/],
    ['d=DispatcherAPI()\nd.get_product("a")', /line 2, column 15: get_product\(\): only name=value/],
    [
      'd=DispatcherAPI()\nd.get_product(instrument="a", instrument="b", product="c")',
      /multiple values for argument 'instrument'/,
    ],
    ["x = 1", /without a get_product/],
    ['par_dict={"product": "b"}', /without 'instrument'/],
  ];
  for (const [text, re] of cases) assertMatch(apiError(() => parseApiCode(text)).message, re, text);
});

Deno.test("api_code: hostile inputs end in typed errors quickly", () => {
  const MB10 = 10 * 1024 * 1024;
  for (const open of ["[", "(", "{'a':", "[(", "-"]) {
    const text = "par_dict=" + open.repeat(Math.ceil(MB10 / open.length));
    const e = apiError(() => parseApiCode(text));
    assertMatch(
      e.message,
      open === "-" ? /more than 100 signs in a row/ : /nesting deeper than 100/,
    );
  }
  apiError(() => parseApiCode("par_dict=" + "]".repeat(MB10)));
  // 10 MB of adjacent strings: the element budget (lowered here: tests share one process and its RSS)
  assertMatch(
    apiError(() => parseApiCode("par_dict=" + '"x" '.repeat(MB10 / 4), { maxElements: 100_000 })).message,
    /too many values/,
  );
  apiError(() => parseApiCode('par_dict={"a": "' + "x".repeat(MB10))); // unterminated
  assertMatch(apiError(() => parseApiCode(" ".repeat(17 * 1024 * 1024))).message, /more than/);
  // many values: the element budget
  const many = "par_dict=[" + "0,".repeat(50_000) + "]";
  assertMatch(apiError(() => parseApiCode(many, { maxElements: 10_000 })).message, /too many values/);
  // deep but allowed nesting is fine
  assertEquals(parsePythonLiteral("[".repeat(100) + "]".repeat(100)) !== undefined, true);
});

Deno.test("api_code: jobs and collections give the dispatcher's api_code; round trip; TypeScript runs", async () => {
  const sb = await startSandbox({ port: 0, seed: 7 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null, parameter_check: false });
    // the dispatcher's api_code for a query sent with every parameter it names
    const first = await disp.submit({
      instrument: "spi_acs",
      product: "spi_acs_lc",
      T1: "2022-07-01T00:00:00",
      T2: "2022-07-01T00:10:00",
      silent: true,
    });
    const server = first.response!.products!.api_code as string;
    const code = parseApiCode(server);
    assertEquals(code.url, `${sb.url}/dispatch-data`);
    const job = await disp.submit({ ...code.params, silent: true });
    await job.wait({ silent: true });
    assertEquals(job.apiCode({ url: `${sb.url}/dispatch-data` }), server);
    assertEquals(job.response!.products!.api_code, server);
    // round trip
    assertEquals({ ...parseApiCode(job.apiCode()).params }, { ...code.params });
    assertEquals(parseApiCode(job.apiCode()).url, sb.url);
    // the collection's api_code is the dispatcher's
    const data = await job.result();
    assertEquals(data.apiCode(), server);
    assertEquals(
      data.apiCode({ url: "https://example.org/x" }),
      server.replace(`${sb.url}/dispatch-data`, "https://example.org/x"),
    );
    // TypeScript: the generated program runs the same query (typed_params_test type-checks such a program)
    const ts = job.apiCode({ language: "typescript" });
    assertMatch(ts, /pyFloat\(1\)/); // time_bin: 1.0 stays a float (same job id)
    const dir = await Deno.makeTempDir({
      dir: new URL("../.tmp/", import.meta.url).pathname.replace(/\/$/, ""),
    })
      .catch(async () => {
        await Deno.mkdir(new URL("../.tmp/", import.meta.url), { recursive: true });
        return await Deno.makeTempDir({ dir: new URL("../.tmp/", import.meta.url).pathname });
      });
    const file = `${dir}/query.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      ts.replace('"@oda-hub/oda-api"', JSON.stringify(mod)).replace(
        "new DispatcherAPI({ url:",
        "new DispatcherAPI({ token: null, parameter_check: false, url:",
      ) + 'console.log("JOB", dataCollection.request_job_id);\n',
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "--no-check", file], // type-checked in typed_params_test
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert(out.success, new TextDecoder().decode(out.stderr));
    assertMatch(stdout, new RegExp(`JOB ${job.jobId}`));
    await Deno.remove(dir, { recursive: true });
  } finally {
    await sb.close();
  }
});

Deno.test("api_code: parsed params type as getProduct options", () => {
  const p: ApiCodeParams = parseApiCode('par_dict={"instrument": "isgri", "product": "isgri_lc"}').params;
  assertEquals(p.instrument, "isgri");
});

Deno.test("api_code: oda get --api-code FILE|- and --print-api-code", async () => {
  const { main } = await import("../cli.ts");
  const sb = await startSandbox({ port: 0, seed: 5 });
  const dir = await Deno.makeTempDir({ prefix: "oda-api-code-" });
  try {
    const token = await sb.mintToken({ roles: "general" });
    const run = async (args: string[]) => {
      const io = {
        stdout: "",
        stderr: "",
        isTerminal: false,
        env: (_: string) => undefined as string | undefined,
      };
      const code = await main(args, {
        out: (t) => void (io.stdout += t),
        err: (t) => void (io.stderr += t),
        env: io.env,
        isTerminal: false,
      });
      return { code, ...io };
    };
    const pasted = `from oda_api.api import DispatcherAPI
disp=DispatcherAPI(url='${sb.url}', instrument='mock')
par_dict={
    "T1": "2022-07-01T00:00:00",
    "T2": "2022-07-01T00:05:00",
    "instrument": "spi_acs",
    "product": "spi_acs_lc",
    "product_type": "Real",
    "time_bin": 2.0,
    "token": "${token}",
}
data_collection = disp.get_product(**par_dict)
`;
    const file = `${dir}/query.py`;
    await Deno.writeTextFile(file, pasted);
    const got = await run(["-q", "get", "--api-code", file, "--json"]);
    assertEquals(got.code, 0, got.stderr);
    assertMatch(got.stdout, /spi_acs_lc/);
    assert(!got.stdout.includes(token) && !got.stderr.includes(token));
    const printed = await run(["get", "--api-code", file, "--print-api-code"]);
    assertEquals(printed.code, 0, printed.stderr);
    assert(!printed.stdout.includes(token), "the token is not printed");
    const back = parseApiCode(printed.stdout);
    assertEquals(back.url, sb.url);
    assertEquals(back.params.time_bin, new PyFloat(2));
    const ts = await run([
      "--url",
      sb.url,
      "get",
      "-i",
      "isgri",
      "-p",
      "isgri_image",
      "-a",
      "E1_keV=28",
      "--print-api-code",
      "typescript",
    ]);
    assertEquals(ts.code, 0, ts.stderr);
    assertMatch(ts.stdout, /await disp\.getProduct\(parDict\)/);
    // stdin
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli.ts", import.meta.url).pathname,
        "get",
        "--api-code",
        "-",
        "--print-api-code",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(pasted));
    await w.close();
    const out = await child.output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(new TextDecoder().decode(out.stdout), printed.stdout);
    // refused code: usage error naming line and column, no token
    await Deno.writeTextFile(file, pasted.replace('"T1": "2022', '"T1": __import__("os") or "2022'));
    const bad = await run(["get", "--api-code", file]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /line 4, column 11: '__import__\(\.\.\.\)' is a function call/);
    assert(!bad.stderr.includes(token));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await sb.close();
  }
});

Deno.test("api_code: pasted into a String.raw template string in a notebook", () => {
  const code = parseApiCode(String.raw`
    from oda_api.api import DispatcherAPI
    disp=DispatcherAPI(url='http://127.0.0.1:8011', instrument='mock')
    par_dict={
        "instrument": "empty",
        "product": "structured",
        "struct": "{\"b\": [3, 4]}",
    }
    data_collection = disp.get_product(**par_dict)
  `);
  assertEquals(code.params.struct, '{"b": [3, 4]}');
});
