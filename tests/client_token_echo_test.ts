/**
 * Token echoes in other encodings: a hostile dispatcher on 127.0.0.1 sends the request's token back
 * percent-encoded (download and callback URLs), with JSON `\u` escapes written into the raw answer, with
 * Python `\x` escapes (api_code), as base64 / base64url at every byte offset inside a longer base64 text,
 * padded or not, and as the JWT signature alone (both alphabets). In the streamed path and in the text path
 * (a client with a cache reads answers as text), nothing the client returns, saves, displays or logs may
 * carry the token in any of these encodings. The leak detector (`leaks`) decodes what it looks at by itself
 * (it does not use the client's list of forms), so switching off the redaction of any one encoding fails
 * this test.
 */
import { DispatcherAPI, getLogger, type GetProductOptions, type LogRecord, OdaError } from "../mod.ts";
import { tokenEchoForms, tokenEchoRedactor } from "../token.ts";
import { toBundle } from "../display.ts";
import { assert, assertEquals, assertRejects } from "./client_replay.ts";
import { loopback } from "./_loopback.ts";
import { renderings, tokenLeakDetector } from "./_token_leaks.ts";

// a JWT whose signature holds `-` and `_`, so that its standard-alphabet form differs
const SIG_BYTES = new Uint8Array(32).map((_, i) => (i * 97 + 251) & 0xff);
const SIG = btoa(String.fromCharCode(...SIG_BYTES)).replaceAll("+", "-").replaceAll("/", "_").replace(
  /=+$/,
  "",
);
const HEAD_PAYLOAD = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlY2hvQGV4YW1wbGUub3JnIiwiZXhwIjo0MTAyNDQ0ODAwfQ";
const TOKEN = `${HEAD_PAYLOAD}.${SIG}`;
const SIG_STD = SIG.replaceAll("-", "+").replaceAll("_", "/");

const b64 = (s: string) => btoa(s);
const b64url = (s: string) => b64(s).replaceAll("+", "-").replaceAll("/", "_");
const pct = (s: string, lower = false) =>
  [...s].map((c) => {
    const h = c.charCodeAt(0).toString(16).padStart(2, "0");
    return `%${lower ? h : h.toUpperCase()}`;
  }).join("");

/** What a hostile server writes: a string (JSON-encoded as usual) or raw JSON string content (`raw`). */
interface Echo {
  value: string;
  raw?: boolean;
}

/** Each encoding of the token a server may send back. */
const ENCODINGS: Record<string, Echo> = {
  "percent-encoded download link": {
    value: `https://www.astro.unige.ch/mmoda/dispatch-data/download_products?session_id=S&job_id=J&token=${
      pct(TOKEN)
    }&file_list=a.fits`,
  },
  "percent-encoded, lower-case hex": { value: `call_back?token=${pct(TOKEN, true)}&action=progress` },
  "percent-encoded twice (a URL inside a URL)": {
    value: `resolve?next=${encodeURIComponent(`call_back?token=${pct(TOKEN)}`)}`,
  },
  "JSON \\u escapes in the raw answer": {
    value: [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
    raw: true,
  },
  "JSON \\u escapes, mixed": {
    value: [...TOKEN].map((c, i) => (i % 3 ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`))
      .join(""),
    raw: true,
  },
  "Python \\x escapes in api_code": {
    value: `token = "${[...TOKEN].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join("")}"`,
  },
  "base64, padded": { value: b64(TOKEN) },
  "base64url, no padding": { value: b64url(TOKEN).replace(/=+$/, "") },
  "base64 at offset 1 mod 3": { value: b64(`{"token": "${TOKEN}", "x": 1}`) },
  "base64 at offset 2 mod 3": { value: b64(`{"token":"${TOKEN}"}`) },
  "base64url at offset 1 mod 3": { value: b64url(`x{"token":"${TOKEN}"}`) },
  "base64url at offset 0 mod 3": { value: b64url(`xx{"token":"${TOKEN}"}`) },
  "base64 inside a percent-encoded URL": { value: `?state=${encodeURIComponent(b64(`u=${TOKEN};`))}` },
  "the signature alone": { value: `signature: ${SIG}` },
  "the signature in the standard alphabet": { value: `sig=${SIG_STD}` },
  "base64 of the signature at offset 0 mod 3": { value: b64(`s: ${SIG}`) },
  "base64 of the signature at offset 1 mod 3": { value: b64(`s${SIG}`) },
  "base64url of the signature at offset 2 mod 3": { value: b64url(`s=${SIG}!`).replace(/=+$/, "") },
};

const leaks = tokenLeakDetector(TOKEN);

function assertNoEcho(what: string, v: unknown): void {
  for (const text of renderings(v)) {
    const found = leaks(text);
    assert(found === undefined, `${what} shows ${found}`);
  }
}

Deno.test("the detector sees every encoding of the test (so the end-to-end test below can fail)", () => {
  for (const [name, e] of Object.entries(ENCODINGS)) {
    assert(leaks(e.value) !== undefined, `the detector misses ${name}`);
    assert(leaks(tokenEchoRedactor(TOKEN)(e.raw ? e.value : e.value)) === undefined, `${name} not redacted`);
  }
  // header.payload without the signature is no secret and is left alone
  assertEquals(
    tokenEchoRedactor(TOKEN)(`${HEAD_PAYLOAD} ${b64(HEAD_PAYLOAD)}`),
    `${HEAD_PAYLOAD} ${b64(HEAD_PAYLOAD)}`,
  );
});

Deno.test("tokenEchoRedactor: base64 of the token at every offset, alphabet and padding", () => {
  const redact = tokenEchoRedactor(TOKEN);
  for (let before = 0; before < 6; before++) {
    for (let after = 0; after < 4; after++) {
      const inner = `${"p".repeat(before)}${TOKEN}${"q".repeat(after)}`;
      for (const enc of [b64(inner), b64url(inner), b64url(inner).replace(/=+$/, "")]) {
        const out = redact(`data: "${enc}"`);
        assert(out.includes("<redacted token>"), `${before}/${after}: ${out}`);
        assert(leaks(out) === undefined, `${before}/${after}: ${out}`);
        // only the ends of the core's run are kept: at most 2 base64 characters on either side
        const kept = out.slice(7, -1).split("<redacted token>");
        assert(
          kept[1].replace(/=+$/, "").length <= 2 + Math.ceil((after * 4) / 3),
          `${before}/${after}: ${out}`,
        );
      }
    }
  }
  // an opaque (non-JWT) token whose base64 and base64url differ: both alphabets are searched for
  const opaque = "k~?>k~?>opaque~token?>";
  const redactOpaque = tokenEchoRedactor(opaque);
  for (let before = 0; before < 3; before++) {
    const inner = `${"p".repeat(before)}${opaque}`;
    assert(b64(inner) !== b64url(inner), "the test needs differing alphabets");
    for (const enc of [b64(inner), b64url(inner)]) {
      assert(redactOpaque(enc).includes("<redacted token>"), `opaque at ${before}: ${enc}`);
    }
  }
  // a text without the token comes back as the same string
  const clean = "x".repeat(1000) + "%41\\u0042";
  assert(redact(clean) === clean);
  assertEquals(tokenEchoForms("short"), []);
});

Deno.test("tokenEchoRedactor: escapes map back to the text exactly", () => {
  const redact = tokenEchoRedactor(TOKEN);
  const u = [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
  assertEquals(
    redact(`{"a": "x${u}y", "b": "%41 ${pct(TOKEN)}%42"}`),
    `{"a": "x<redacted token>y", "b": "%41 <redacted token>%42"}`,
  );
  assertEquals(JSON.parse(redact(`{"a": "\\u0041${u}\\/"}`)), { a: "A<redacted token>/" });
  assertEquals(redact(`a${pct(SIG)}b${SIG}c`), "a<redacted token>b<redacted token>c");
  // escapes that decode to characters no form uses (é, space) leave the text searched as it is
  assertEquals(redact(`\\u00e9%20${TOKEN}%20\\u00e9`), "\\u00e9%20<redacted token>%20\\u00e9");
  const plain = `caf\\u00e9 %20 ${"x".repeat(50)}`;
  assert(redact(plain) === plain);
});

type Mode = { encoding: string; status: "done" | "error400" };

function hostile(mode: () => Mode) {
  return loopback((_req, u) => {
    const m = mode();
    const e = ENCODINGS[m.encoding];
    const token = u.searchParams.get("token") ?? "";
    // the echo, as a JSON string (raw escapes are written into the JSON text as they are)
    const MARK = "@@ECHO@@";
    const send = (o: unknown, status: number) => {
      const text = JSON.stringify(o).replaceAll(MARK, e.raw ? e.value : JSON.stringify(e.value).slice(1, -1));
      return new Response(text, { status, headers: { "content-type": "application/json" } });
    };
    if (m.status === "error400") {
      return send(
        { error_message: `RequestNotUnderstood: ${MARK}`, error: MARK, installed_instruments: [] },
        400,
      );
    }
    return send({
      query_status: "done",
      session_id: "ABCDEFGHIJ012345",
      job_status: "done",
      exit_status: { status: 0, message: "", error_message: "", debug_message: MARK, comment: `see ${MARK}` },
      job_monitor: {
        job_id: "0123456789abcdef",
        session_id: "ABCDEFGHIJ012345",
        status: "done",
        // upstream keeps each callback's whole request as a report, token included (job_manager.py:227)
        full_report_dict: { action: "done", node_id: "n", message: MARK, token },
        full_report_dict_list: [{ node: "ii_skyimage", message: MARK, scwid: "066500220010.001", token }],
      },
      products: {
        analysis_parameters: { T1: "2020-01-01T00:00:00", token, note: MARK },
        api_code: `from oda_api.api import DispatcherAPI\n# ${MARK}\npar_dict = {"token": "${token}"}\n`,
        text_product_list: [{ name: "download", value: MARK, meta_data: { link: MARK } }],
        [MARK]: "a key",
      },
    }, 200);
  });
}

Deno.test("token echoes in other encodings: never returned, saved, displayed or logged (streamed and text paths)", async () => {
  let mode: Mode = { encoding: "", status: "done" };
  const srv = hostile(() => mode);
  const records: LogRecord[] = [];
  const root = getLogger("oda_api");
  const detach = root.addHandler((r) => records.push(r));
  const before = root.getLevel();
  root.setLevel("DEBUG");
  const dir = await Deno.makeTempDir({ prefix: "oda-echo-" });
  try {
    for (const cache of [false, true]) {
      const path = cache ? "text" : "streamed";
      const disp = new DispatcherAPI({ url: srv.url, token: TOKEN, cache, pollInterval: { min: 1, max: 2 } });
      for (const encoding of Object.keys(ENCODINGS)) {
        const what = `${encoding} (${path})`;
        mode = { encoding, status: "done" };
        const job = await disp.submit<GetProductOptions>({
          instrument: "isgri",
          product: `p${Object.keys(ENCODINGS).indexOf(encoding)}`,
          T1: "2020-01-01T00:00:00",
        });
        await job.wait({ silent: true });
        assertEquals(job.status, "done", what);
        assertNoEcho(`job.response: ${what}`, job.response);
        assertNoEcho(`job: ${what}`, job);
        const data = await job.result({ silent: true });
        assertNoEcho(`collection: ${what}`, data);
        assertNoEcho(`collection display: ${what}`, await toBundle(data));
        const saved = await data.saveAllData({
          dir: `${dir}/${path}-${Object.keys(ENCODINGS).indexOf(encoding)}`,
        });
        for (const f of saved) assertNoEcho(`saved ${f}: ${what}`, await Deno.readTextFile(f));

        mode = { encoding, status: "error400" };
        const err = await assertRejects(
          () =>
            disp.getProduct<GetProductOptions>({
              instrument: "isgri",
              product: "e",
              T1: "2020",
              silent: true,
            }),
          OdaError,
        );
        assertNoEcho(`error: ${what}`, err);
        assertNoEcho(`error details: ${what}`, err.details);
      }
    }
    assertNoEcho("log records", records.map((r) => [r.message, r.fields]));
  } finally {
    detach();
    root.setLevel(before);
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandbox callback reports echo the token as upstream's do; the client redacts them", async () => {
  const { startSandbox } = await import("../sandbox.ts");
  await using sb = await startSandbox({ port: 0, seed: 2, jobDuration: 0 });
  const token = await sb.mintToken({ roles: "general" });
  const disp = new DispatcherAPI({ url: sb.url, token, pollInterval: { min: 1, max: 2 } });
  const job = await disp.submit({
    instrument: "isgri",
    product: "isgri_image",
    T1: "2017-03-06T13:26:48",
    T2: "2017-03-06T15:32:27",
    scw_list: ["066500220010.001"],
  });
  await job.wait({ silent: true });
  const reports = job.response?.job_monitor?.full_report_dict_list ?? [];
  assert(reports.length > 0, "reports");
  // dispatcher-app job_manager.py get_call_back_url puts the job's token in the callback URL, and
  // run_call_back stores the callback's request as the report: the sandbox does the same
  const raw = await (await fetch(`${sb.url}/run_analysis?${new URLSearchParams([
    ...job.requestPairs().filter(([k]) => k !== "token" && k !== "query_status"),
    ["query_status", "ready"],
    ["token", token],
  ])}`)).json();
  assert(
    raw.job_monitor.full_report_dict_list.every((r: Record<string, unknown>) => r.token === token),
    "upstream form",
  );
  assert(reports.every((r) => r.token === "<redacted token>"), JSON.stringify(reports[0]));
  const leaksOf = tokenLeakDetector(token);
  for (const text of renderings(job)) assertEquals(leaksOf(text), undefined);
  // /inspect-state shows stored tokens decoded (analysis_parameters, and the reports' too)
  const manager = await sb.mintToken({ sub: "admin@example.org", roles: "job manager" });
  const state = await (await fetch(`${sb.url}/inspect-state?token=${manager}`)).text();
  assert(state.includes(job.jobId!) && state.includes('"roles"'), state.slice(0, 300));
  assertEquals(leaksOf(state), undefined);
});

Deno.test("a job or session id that is the token in another encoding is refused", async () => {
  const ids = [b64url(TOKEN).replace(/=+$/, ""), pct(TOKEN), `S-${SIG}`];
  let id = "";
  await using srv = loopback((_req, u) => {
    if (u.pathname !== "/run_analysis") return Response.json([]);
    return Response.json({
      query_status: "submitted",
      job_status: "submitted",
      session_id: "S",
      exit_status: { status: 0, message: "", error_message: "", debug_message: "", comment: "", warning: "" },
      job_monitor: { job_id: id, session_id: "S", status: "submitted" },
      products: {},
    });
  });
  const disp = new DispatcherAPI({ url: srv.url, token: TOKEN, pollInterval: { min: 1, max: 2 } });
  for (id of ids) {
    const e = await assertRejects(
      () =>
        disp.getProduct<GetProductOptions>({ instrument: "isgri", product: "p", T1: "2020", silent: true }),
      OdaError,
    );
    assertEquals(e.code, "MALFORMED_RESPONSE", id);
    assertNoEcho(`error for job id ${id.slice(0, 12)}…`, e);
  }
});

Deno.test("a redirect of run_analysis whose Location holds the token in another encoding shows none of it", async () => {
  await using srv = loopback((_req, u) => {
    if (u.pathname !== "/run_analysis") return Response.json([]);
    const to = `http://127.0.0.1:9/${b64url(`t=${TOKEN}`)}/run_analysis?next=${pct(TOKEN)}`;
    return new Response(null, { status: 302, headers: { location: to } });
  });
  const disp = new DispatcherAPI({ url: srv.url, token: TOKEN });
  const e = await assertRejects(
    () => disp.getProduct<GetProductOptions>({ instrument: "isgri", product: "p", T1: "2020", silent: true }),
    OdaError,
  );
  assertEquals(e.code, "URL_REDIRECTED");
  assertNoEcho("redirect error", e);
  assertNoEcho("redirect error details", e.details);
});

Deno.test("a followed redirect to a URL holding the token encoded: the connection error shows none of it", async () => {
  // a closed port: connecting fails at once, and fetch's error names the URL it tried
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  await using srv = loopback(() =>
    new Response(null, {
      status: 302,
      headers: { location: `http://127.0.0.1:${port}/${b64url(`t=${TOKEN}`)}/instr-list?s=${SIG}` },
    })
  );
  const records: LogRecord[] = [];
  const root = getLogger("oda_api");
  const detach = root.addHandler((r) => records.push(r));
  const before = root.getLevel();
  root.setLevel("DEBUG");
  try {
    const disp = new DispatcherAPI({ url: srv.url, token: TOKEN, retryBudget: 300, backoffBase: 10 });
    const e = await assertRejects(() => disp.getInstrumentsList(), OdaError);
    assert(e.code === "NETWORK" || e.code === "TIMEOUT", e.code);
    assertNoEcho("connection error", e);
    assertNoEcho("connection error details", e.details);
    assertNoEcho("log records", records.map((r) => [r.message, r.fields]));
  } finally {
    detach();
    root.setLevel(before);
  }
});

Deno.test("token endpoints: an answer that is not a token, or an error page, shows no encoded echo", async () => {
  let status = 200;
  await using srv = loopback(() =>
    new Response(`not a token: ${b64(SIG)} / ${pct(TOKEN)} / ${b64(`"${TOKEN}"`)}`, {
      status,
      headers: { "content-type": "text/html" },
    })
  );
  const disp = new DispatcherAPI({ url: srv.url, token: TOKEN });
  for (status of [200, 403, 500]) {
    const e = await assertRejects(() => disp.refreshToken(), OdaError);
    assertNoEcho(`refreshToken, HTTP ${status}`, e);
    assertNoEcho(`refreshToken details, HTTP ${status}`, e.details);
  }
});
