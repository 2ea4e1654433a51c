/**
 * What the client tells the user is true: numbers compared in the parameter's units (no false "another
 * query" warning), no "parameter check not available" before a 400 that names the problem, one progress
 * line per report even when the server repeats it, the exception line of a server's 500 HTML page.
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI, type GetProductOptions } from "../lib/client/dispatcher.ts";
import { analysisParametersMismatches } from "../lib/client/consistency.ts";
import { errorForResponse, htmlErrorLine } from "../lib/client/http.ts";
import { OdaError } from "../lib/errors.ts";
import { assert, assertEquals, assertRejects, captureLogs, fixtureText } from "./client_replay.ts";
import { loopback } from "./_loopback.ts";

Deno.test("returned parameters are compared in the parameter's units (server-side conversions are not mismatches)", async () => {
  // unit level: 20 keV stored as 20000 eV agrees; 20001 eV does not; without units nothing is assumed
  const units = { E1: "keV", ang: "deg" };
  assertEquals(analysisParametersMismatches({ E1: 20, ang: 0.5 }, { E1: 20000, ang: 1800 }, { units }), []);
  assertEquals(
    analysisParametersMismatches({ E1: 20 }, { E1: 20001 }, { units }).map((m) => m.key),
    ["E1"],
  );
  assertEquals(analysisParametersMismatches({ E1: 20 }, { E1: 20000 }).map((m) => m.key), ["E1"]);
  // against the sandbox: `echo` stores ang_deg (deg) in arcsec and energ (MeV) in keV, without any selector
  const sb = await startSandbox({ seed: 3, jobDuration: 0 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const echo = {
      instrument: "empty",
      product: "echo",
      product_type: "Real",
      ang_deg: 0.5,
      energ: 2,
      silent: true,
    };
    const { error, records, value } = await captureLogs(() => disp.getProduct(echo));
    if (error) throw error;
    assert(value);
    assertEquals(records.filter((r) => r.fields.event === "parameters_mismatch"), []);
    // a value the server really changed is still reported (the answer altered in transit)
    const altering = async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      const text = await res.text();
      const j = JSON.parse(text);
      if (j.query_status === "done" && j.products?.analysis_parameters) {
        j.products.analysis_parameters.energ = 2001;
      }
      return new Response(JSON.stringify(j), { status: res.status, headers: res.headers });
    };
    const other = new DispatcherAPI({ url: sb.url, token: null, fetch: altering });
    const r2 = await captureLogs(() => other.getProduct(echo));
    if (r2.error) throw r2.error;
    const w = r2.records.filter((r) => r.fields.event === "parameters_mismatch");
    assertEquals(w.map((r) => r.fields.parameters), [["energ"]]);
  } finally {
    await sb.close();
  }
});

Deno.test("a 400 that names the problem is not preceded by 'parameter check not available'", async () => {
  const sb = await startSandbox({ seed: 3, jobDuration: 0 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const { error, records } = await captureLogs(() =>
      disp.getProduct<GetProductOptions>({ instrument: "no_such_instrument", product: "x", silent: true })
    );
    assert(error instanceof OdaError, String(error));
    assertEquals(error.status, 400);
    assertEquals(records.filter((r) => /parameter check not available/.test(r.message)), []);
  } finally {
    await sb.close();
  }
});

Deno.test("a report the server repeats is shown once", async () => {
  const reports = [
    { node: "ii_skyimage", message: "science window 1/2" },
    { node: "ii_skyimage", message: "science window 1/2" },
  ];
  let n = 0;
  await using server = loopback((_req, u) => {
    if (u.pathname !== "/run_analysis") return new Response("[]");
    n++;
    const list = n === 1
      ? reports
      : [...reports, { node: "ii_skyimage", message: "science window 2/2" }, reports[0]];
    return new Response(JSON.stringify({
      query_status: n === 1 ? "submitted" : "done",
      session_id: "ABCDEFGHIJ012345",
      exit_status: { status: 0 },
      job_monitor: { job_id: "0123456789abcdef", full_report_dict_list: list },
      products: {},
    }));
  });
  const disp = new DispatcherAPI({
    url: server.url,
    token: null,
    pollInterval: { min: 1, max: 2 },
    parameter_check: false,
  });
  const { error, records } = await captureLogs(() =>
    disp.getProduct<GetProductOptions>({ instrument: "i", product: "p", silent: true })
  );
  if (error) throw error;
  const lines = records.filter((r) => r.name === "oda_api.api.dispatcherapi.progress").map((r) => r.message);
  assertEquals(lines, ["... ii_skyimage : science window 1/2", "... ii_skyimage : science window 2/2"]);
});

Deno.test("a server's 500 HTML page: the exception line in the message, the page in details", () => {
  const page = fixtureText("update_token_email_options-no-token.html");
  const e = errorForResponse(500, page, "http://127.0.0.1:8011/update_token_email_options");
  assertEquals(e.code, "DISPATCHER_ERROR");
  assertEquals(
    e.message,
    "dispatcher error (HTTP 500): Internal Server Error: The server encountered an internal error and was " +
      "unable to complete your request. Either the server is overloaded or there is an error in the application.",
  );
  assert(!e.message.includes("<"), "no markup in the message");
  assertEquals(e.details?.page, page);
  // a Werkzeug debugger page and a traceback printed in the page name the exception
  const debuggerPage =
    `<!doctype html><html><head><title>KeyError: &#x27;token&#x27; // Werkzeug Debugger</title>` +
    `</head><body><h1>KeyError</h1><div class="plain"><textarea>Traceback (most recent call last):\n` +
    `  File "app.py", line 1, in update_token_email_options\nKeyError: &#x27;token&#x27;</textarea></div></body></html>`;
  assertEquals(htmlErrorLine(debuggerPage), "KeyError: 'token'");
  const titled =
    `<html><head><title>ValueError: bad T1 // Werkzeug Debugger</title></head><body></body></html>`;
  assertEquals(htmlErrorLine(titled), "ValueError: bad T1");
  assertEquals(htmlErrorLine('{"error_message": "x"}'), undefined);
  // JSON 500 answers keep the server's own message
  assertEquals(
    errorForResponse(500, '{"error_message": "boom"}', "http://127.0.0.1/x").message,
    "dispatcher error (HTTP 500): boom",
  );
});

Deno.test("the whole client: a 500 HTML page from a live server", async () => {
  await using server = loopback(() =>
    new Response(
      "<html><body><pre>Traceback (most recent call last):\n  File x\nZeroDivisionError: division by zero</pre></body></html>",
      { status: 500, headers: { "content-type": "text/html" } },
    )
  );
  const disp = new DispatcherAPI({ url: server.url, token: null });
  const e = await assertRejects(() => disp.getInstrumentsList(), OdaError);
  assertEquals(e.message, "dispatcher error (HTTP 500): ZeroDivisionError: division by zero");
  assert(String(e.details?.page).includes("<pre>"));
});

Deno.test("refreshToken: a non-positive interval is refused locally; a token expiring earlier is not adopted", async () => {
  await using sb = await startSandbox({ seed: 3 });
  const current = await sb.mintToken({ sub: "r@example.org", roles: "general,refresh-tokens" }, {
    expiresIn: 7200,
  });
  const earlier = await sb.mintToken({ sub: "r@example.org", roles: "general,refresh-tokens" }, {
    expiresIn: 600,
  });
  let asked = 0;
  await using server = loopback(() => {
    asked++;
    return new Response(earlier, { headers: { "content-type": "text/html" } });
  });
  const disp = new DispatcherAPI({ url: server.url, token: current });
  for (const bad of [0, -5, Number.NaN, Infinity, "3600" as unknown as number]) {
    const e = await assertRejects(() => disp.refreshToken(undefined, { refresh_interval: bad }), OdaError);
    assertEquals(e.code, "INVALID_ARGUMENT");
  }
  assertEquals(asked, 0, "refused before any request");
  const e = await assertRejects(() => disp.refreshToken(undefined, { refresh_interval: 3600 }), OdaError);
  assertEquals(e.code, "TOKEN_REWRITE_REFUSED");
  assertEquals(asked, 1);
  assertEquals(disp.token, current, "the current token is kept");
  // the real refresh (sandbox: exp = old exp + interval) is adopted
  const real = new DispatcherAPI({ url: sb.url, token: current });
  const fresh = await real.refreshToken(undefined, { refresh_interval: 3600 });
  assertEquals(real.token, fresh);
});

Deno.test("a malformed explicit token is refused locally as TOKEN_MALFORMED (nothing is sent)", async () => {
  let asked = 0;
  const counting = () => {
    asked++;
    return Promise.resolve(new Response("[]"));
  };
  const malformed = ["not-a-token", "a.b", "eyJhbGciOiJIUzI1NiJ9.not-base64-json.sig"];
  for (const token of malformed) {
    const e1 = (() => {
      try {
        new DispatcherAPI({ url: "http://127.0.0.1:9", token, fetch: counting });
      } catch (e) {
        return e;
      }
    })();
    assert(e1 instanceof OdaError && e1.code === "TOKEN_MALFORMED", String(e1));
    const disp = new DispatcherAPI({ url: "http://127.0.0.1:9", token: null, fetch: counting });
    const e2 = await assertRejects(
      () => disp.getProduct<GetProductOptions>({ instrument: "i", product: "p", token, silent: true }),
      OdaError,
    );
    assertEquals(e2.code, "TOKEN_MALFORMED");
    const e3 = await assertRejects(() => disp.refreshToken(token), OdaError);
    assertEquals(e3.code, "TOKEN_MALFORMED");
    assert(!JSON.stringify(e2).includes(token) && !e2.message.includes(token), "the token is not echoed");
  }
  assertEquals(asked, 0);
});
