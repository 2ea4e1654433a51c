/**
 * Client: parameter encoding and the state loop replayed against the real
 * oda_api traffic (exact URLs) recorded in tests/fixtures/dispatcher-transcripts.
 */
import { assert, assertEquals, assertInstanceOf, assertMatch, assertRejects } from "./client_replay.ts";
import { fixtureText, loadSession, replayFetch, stripClientName } from "./client_replay.ts";
import { JobFailedError, OdaError, TokenError, UnauthorizedError } from "../lib/errors.ts";
import {
  encodeParams,
  encodeParamValue,
  formEncode,
  payloadJsonLength,
  pyFloat,
  quotePlus,
} from "../lib/client/params.ts";
import { PyFloat } from "../lib/data/json.ts";
import { pythonRepr } from "../lib/data/python.ts";
import { errorForResponse, HttpClient, parseMissingRoles } from "../lib/client/http.ts";
import { Job, type JobHost } from "../lib/client/job.ts";
import { formatProductDescription, parseMetaData } from "../lib/client/description.ts";
import { PYTHON, testWithTool } from "./_validators.ts";

function assertThrowsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e: unknown) {
    assertInstanceOf(e, OdaError);
    assertEquals(e.code, code);
    return;
  }
  throw new Error("expected a throw");
}

testWithTool(
  "parameter values are Python's str() / json.dumps text (checked with /usr/bin/python3)",
  "python3",
  async () => {
    const values: unknown[] = [
      0.1,
      1e-5,
      2.5e-7,
      1e21,
      3.141592653589793,
      83.63,
      12345.678,
      1e-4,
      28,
      -3,
      true,
      false,
    ];
    const structures = [{ a: 1, b: [1, 2.5, "x", null, true], c: { d: 'é\n"' } }, [], {}, [1e-5, 0.5]];
    const code = `import json,sys
vals=json.loads(sys.argv[1]); structs=json.loads(sys.argv[2])
print(json.dumps([[str(v) for v in vals],[json.dumps(s) for s in structs]]))`;
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", code, JSON.stringify(values), JSON.stringify(structures)],
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const [strs, dumps] = JSON.parse(new TextDecoder().decode(out.stdout));
    // python's json.loads reads 28 as int and 0.1 as float: the same split as our number rule
    assertEquals(values.map((v) => encodeParamValue("x", v)), strs);
    assertEquals(structures.map((v) => encodeParamValue("x", v)), dumps);
    assertEquals(encodeParamValue("E1_keV", new PyFloat(28)), "28.0");
  },
);

Deno.test("encodeParams: None, lists, dicts, scw_list, selected_catalog, booleans, floats", () => {
  const catalog = '{"cat_frame": "fk5", "cat_column_list": [[1], ["Crab"]]}';
  const pairs = encodeParams({
    RA: 83.63,
    T1: "2019-01-01T00:00:00",
    scw_list: ["066500220010.001", "066500230010.001"],
    unknown_par: null,
    skipped: undefined,
    E1_keV: pyFloat(28),
    E2_keV: 40,
    extra_dict: { a: 1 },
    flag: true,
    selected_catalog: catalog,
    catalog_selected_objects: [1, 2],
  });
  assertEquals(pairs, [
    ["RA", "83.63"],
    ["T1", "2019-01-01T00:00:00"],
    ["scw_list", "066500220010.001"],
    ["scw_list", "066500230010.001"],
    ["unknown_par", "\x00"],
    ["E1_keV", "28.0"],
    ["E2_keV", "40"],
    ["extra_dict", '{"a": 1}'],
    ["flag", "True"],
    ["selected_catalog", catalog],
    ["catalog_selected_objects", "1,2"],
  ]);
  // the exact query string of the reference capture (oda_api-client.md §2.2)
  assertEquals(
    formEncode(pairs.slice(0, 8)),
    "RA=83.63&T1=2019-01-01T00%3A00%3A00&scw_list=066500220010.001&scw_list=066500230010.001&unknown_par=%00" +
      "&E1_keV=28.0&E2_keV=40&extra_dict=%7B%22a%22%3A+1%7D",
  );
  assertEquals(
    encodeParamValue("scw_list", "066500220010.001,066500230010.001"),
    "066500220010.001,066500230010.001",
  );
  assertEquals(encodeParamValue("selected_catalog", { cat_frame: "fk5" }), '{"cat_frame": "fk5"}');
  assertEquals(encodeParamValue("token", null), undefined);
  assertEquals(quotePlus("a b~*é"), "a+b~%2A%C3%A9");
  assertEquals(encodeParamValue("x", () => 1), undefined);
  assertThrowsCode(() => encodeParamValue("scw_list", [{}] as unknown as string[]), "INVALID_ARGUMENT");
});

Deno.test("payloadJsonLength is the length of Python's json.dumps of the payload", () => {
  assertEquals(payloadJsonLength([["a", "1"], ["s", "x"], ["s", "y"]]), '{"a": "1", "s": ["x", "y"]}'.length);
});

function host(fetch: ReturnType<typeof replayFetch>["fetch"], url = "http://127.0.0.1:8011"): JobHost {
  return {
    http: new HttpClient({ baseUrl: url, fetch, backoffBase: 1, backoffMax: 2 }),
    url,
    polling: { min: 1, max: 4, factor: 1.5 },
    assertTokenTransport() {},
    decode: () => {
      throw new Error("not used");
    },
  };
}

function runAnalysisOnly(name: string) {
  const { exchanges, result } = loadSession(name);
  return { exchanges: exchanges.filter((e) => new URL(e.url).pathname === "/run_analysis"), result };
}

Deno.test("state loop replays oda_api's async lifecycle with the exact URLs", async () => {
  const { exchanges, result } = runAnalysisOnly("oda_api-get_product-async-lifecycle.jsonl");
  const replay = replayFetch(exchanges);
  const job = new Job(host(replay.fetch), {
    instrument: "empty-async",
    product: "dummy",
    productType: "Real",
    params: { scw_list: ["066500220010.001", "066500230010.001"] },
    sessionId: "AP7RIUR0WT08LDX3",
  });
  const seen: string[] = [];
  job.onEvent((e) => {
    if (e.type === "status") seen.push(`${e.previousStatus}->${e.status}`);
  });
  const answer = await job.wait();
  assertEquals(answer.query_status, "done");
  assertEquals(replay.remaining(), 0);
  assertEquals(replay.requests.map((r) => stripClientName(r.url)), exchanges.map((e) => e.url));
  assert(replay.requests.every((r) => /client-name=oda-api-deno/.test(r.url)));
  const py = result as { job_id: string; session_id: string };
  assertEquals(job.jobId, py.job_id);
  assertEquals(job.sessionId, py.session_id);
  assertEquals(seen, ["new->submitted", "submitted->progress", "progress->ready", "ready->done"]);
  assertEquals(job.requests, exchanges.length);
});

Deno.test("sync query with a token: exact URL, done at once", async () => {
  const { exchanges } = runAnalysisOnly("oda_api-get_product-numerical-sync.jsonl");
  const token = new URL(exchanges[0].url).searchParams.get("token")!;
  const replay = replayFetch(exchanges);
  const job = new Job(host(replay.fetch), {
    instrument: "empty",
    product: "numerical",
    productType: "Dummy",
    params: { p: 5 },
    token,
    sessionId: "WGOURKJ8VOKXZ37M",
  });
  const answer = await job.wait();
  assertEquals(answer.query_status, "done");
  assertEquals(replay.requests.map((r) => stripClientName(r.url)), exchanges.map((e) => e.url));
  // the token is not in the saved job
  assert(!JSON.stringify(job).includes(token));
  assert(!Deno.inspect(job).includes(token));
});

Deno.test("failed query (HTTP 200, query_status failed) raises JobFailedError with the server message", async () => {
  const { exchanges } = runAnalysisOnly("oda_api-get_product-failing.jsonl");
  const replay = replayFetch(exchanges);
  const job = new Job(host(replay.fetch), {
    instrument: "empty",
    product: "failing",
    productType: "Dummy",
    params: {},
    sessionId: "WGOURKJ8VOKXZ37M",
  });
  const err = await assertRejects(() => job.wait(), JobFailedError);
  assertMatch(err.message, /Error when getting query products/);
  assertEquals(err.jobId, job.jobId);
  assertEquals(replay.requests.map((r) => stripClientName(r.url)), exchanges.map((e) => e.url));
});

Deno.test("403 with missing roles raises UnauthorizedError listing them, not retried", async () => {
  const { exchanges } = runAnalysisOnly("oda_api-get_product-unauthorized.jsonl");
  const token = new URL(exchanges[0].url).searchParams.get("token")!;
  const replay = replayFetch(exchanges);
  const job = new Job(host(replay.fetch), {
    instrument: "empty",
    product: "numerical",
    productType: "Dummy",
    params: { p: 55 },
    token,
    sessionId: "WGOURKJ8VOKXZ37M",
  });
  const err = await assertRejects(() => job.wait(), UnauthorizedError);
  assertEquals(err.status, 403);
  assertEquals(err.details?.missing_roles, ["unige-hpc-full"]);
  assertMatch(err.message, /lacking all of the following roles/);
  assertEquals(replay.requests.length, 1);
});

Deno.test("error mapping uses the server's words (transcripts)", () => {
  const url = "http://127.0.0.1:8011/run_analysis";
  const expired = errorForResponse(403, fixtureText("run_analysis-token-expired.json"), url);
  assertInstanceOf(expired, TokenError);
  assertEquals(expired.code, "TOKEN_EXPIRED");
  assertMatch(expired.message, /The token provided is expired.*refresh it or get a new one/s);
  const range = errorForResponse(400, fixtureText("run_analysis-restricted-out-of-range.json"), url);
  assertEquals(range.code, "REQUEST_NOT_UNDERSTOOD");
  assertMatch(range.message, /Parameter bounded_int_par wrong value 20: should be lower or equal than 8.0/);
  const roles = errorForResponse(403, fixtureText("refresh_token-missing-role.html"), url);
  assertInstanceOf(roles, UnauthorizedError);
  assertEquals(roles.details?.missing_roles, ["refresh-tokens"]);
  const wrongJob = errorForResponse(400, fixtureText("run_analysis-async-wrong-job_id.json"), url);
  assertEquals(wrongJob.code, "JOB_NOT_FOUND");
  const e500 = errorForResponse(
    500,
    '{"message":"request not valid","error_message":"division by zero"}',
    url,
  );
  assertEquals(e500.code, "DISPATCHER_ERROR");
  assertMatch(e500.message, /division by zero/);
  const html500 = errorForResponse(500, fixtureText("update_token_email_options-no-token.html"), url);
  assertEquals(html500.code, "DISPATCHER_ERROR");
  const moved = errorForResponse(
    301,
    "",
    url + "?token=eyJabc.eyJdef.sig",
    "https://new.example.org/dispatch/run_analysis",
  );
  assertEquals(moved.code, "URL_REDIRECTED");
  assertMatch(
    moved.message,
    /moved permanently, please reinitialize DispatcherAPI with "https:\/\/new.example.org\/dispatch"/,
  );
  assert(!moved.message.includes("eyJabc"));
  assertEquals(errorForResponse(418, "teapot", url).code, "UNEXPECTED_STATUS");
  assertEquals(parseMissingRoles("no roles here"), []);
});

Deno.test("meta-data: structured description and oda_api's grouped listing", () => {
  const { exchanges } = loadSession("oda_api-get_product_description.jsonl");
  const text = exchanges[0].response_body;
  const md = parseMetaData(text);
  assertEquals(md.instrument, "empty");
  assertEquals(md.queries.map((q) => q.query_name), [
    "src_query",
    "empty_instrument_query",
    "numerical_parameters_dummy_query",
  ]);
  const listing = formatProductDescription(text, { instrument: "empty", product: "numerical" }).split("\n");
  assertEquals(listing.slice(0, 4), [
    "--------------",
    "parameters for product numerical and instrument empty",
    "--------------",
    "query_name: src_query",
  ]);
  assert(listing.includes(" name: RA,  value: 265.97845833,  units: deg, "));
  assert(listing.includes(" name: token,  value: None,  units: str, "));
  assert(listing.includes("product_name: numerical"));
  // floats keep Python's ".0"
  const p = listing.find((l) => l.startsWith(" name: p,"));
  assertMatch(p!, /value: \d+\.\d/);
  assertEquals(pythonRepr(["a", null, 1]), "['a', None, 1]");
});
