/**
 * Token grep: a hostile dispatcher on 127.0.0.1 echoes the token everywhere it can (analysis_parameters,
 * api_code, comments, job_id, session_id, error pages, failure messages, another user's token). Nothing the
 * client hands out may contain it: `job.response`, `job.toJSON()`, `Deno.inspect` of jobs, collections and
 * errors (causes and details included), displays, progress lines and log records.
 */
import {
  DispatcherAPI,
  getLogger,
  type GetProductOptions,
  type JobEvent,
  type LogRecord,
  OdaError,
} from "../mod.ts";
import { applyJobEvent, progressLine, type ProgressState, toBundle } from "../display.ts";
import { assert, assertEquals, assertRejects } from "./client_replay.ts";
import { loopback } from "./_loopback.ts";
import { renderings, tokenLeakDetector } from "./_token_leaks.ts";

const TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJncmVwQGV4YW1wbGUub3JnIiwiZXhwIjo0MTAyNDQ0ODAwfQ.Z3JlcC1zaWduYXR1cmU";
const OTHER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvdGhlckBleGFtcGxlLm9yZyJ9.b3RoZXItc2lnbmF0dXJl";
const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ/;
/** The token in any encoding (percent, escapes, base64 at any offset, its signature alone). */
const leaks = tokenLeakDetector(TOKEN);
const pct = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");

function assertNoToken(what: string, v: unknown): void {
  for (const text of renderings(v)) {
    assert(!text.includes(TOKEN), `${what} shows the token`);
    assert(!text.includes(OTHER), `${what} shows another token`);
    assert(!JWT_RE.test(text), `${what} shows a JWT: ${text.slice(text.search(JWT_RE) - 40).slice(0, 120)}`);
    const leak = leaks(text);
    assert(leak === undefined, `${what} shows ${leak}`);
  }
}

type Mode = "echo" | "job_id" | "session_id" | "html500" | "json400" | "failed" | "text403";

function hostile(mode: () => Mode) {
  return loopback((_req, u) => {
    const json = (o: unknown, status = 200) =>
      new Response(JSON.stringify(o), { status, headers: { "content-type": "application/json" } });
    if (u.pathname === "/api/par-names") return json(["T1", "T2", "RA", "DEC", `note ${TOKEN}`]);
    if (u.pathname === "/instr-list") return json(["isgri", TOKEN]);
    const m = mode();
    const echoed = u.searchParams.get("token") ?? "";
    if (m === "html500") {
      return new Response(
        `<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1>` +
          `<p>Traceback: KeyError: '${echoed}' in run_analysis?token=${echoed}</p></body></html>`,
        { status: 500, headers: { "content-type": "text/html" } },
      );
    }
    if (m === "json400") {
      return json({ error_message: `bad token ${echoed}`, error: `RequestNotUnderstood ${echoed}` }, 400);
    }
    if (m === "text403") return new Response(`The token provided is not valid: ${echoed}`, { status: 403 });
    const jobId = m === "job_id" ? echoed : "0123456789abcdef";
    const sessionId = m === "session_id" ? `S-${echoed}` : "ABCDEFGHIJ012345";
    const failed = m === "failed";
    return json({
      query_status: failed ? "failed" : "done",
      session_id: sessionId,
      job_status: failed ? "failed" : "done",
      exit_status: {
        status: failed ? 1 : 0,
        message: failed ? `failed for token=${echoed}` : "",
        error_message: failed ? `{"token": "${echoed}"}` : "",
        debug_message: `Bearer ${echoed}`,
        comment: `Please note that argument ${echoed} is not used`,
      },
      job_monitor: {
        job_id: jobId,
        session_id: sessionId,
        status: "done",
        // a callback report keeps the callback's request, token and URL included (upstream job_manager.py)
        full_report_dict_list: [
          { node: "n", message: `working for ${echoed}` },
          { node: "n", message: `call_back?job_id=J&token=${pct(echoed)}&progressing`, token: echoed },
        ],
      },
      products: {
        analysis_parameters: { T1: "2020-01-01T00:00:00", token: m === "echo" ? OTHER : echoed, RA: 1 },
        api_code:
          `from oda_api.api import DispatcherAPI\npar_dict = {"T1": "2020-01-01", "token": "${echoed}"}\n` +
          `# other ${OTHER}\n# state ${btoa(`{"token": "${echoed}"}`)}`,
        text_product_list: [
          `download: /download_products?session_id=S&token=${pct(echoed)}`,
          `signature ${echoed.split(".")[2] ?? ""}`,
        ],
      },
    });
  });
}

Deno.test("token grep: responses, handles, errors, displays and logs never show the token", async () => {
  let mode: Mode = "echo";
  const srv = hostile(() => mode);
  const records: LogRecord[] = [];
  const root = getLogger("oda_api");
  const detach = root.addHandler((r) => records.push(r));
  const before = root.getLevel();
  root.setLevel("DEBUG");
  try {
    const disp = new DispatcherAPI({ url: srv.url, token: TOKEN, pollInterval: { min: 1, max: 2 } });
    const events: JobEvent[] = [];
    const job = await disp.submit({
      instrument: "isgri",
      product: "isgri_image",
      T1: "2020-01-01T00:00:00",
      RA: 1,
      onEvent: (e) => events.push(e),
    });
    await job.wait({ silent: true });
    assertEquals(job.status, "done");
    assertEquals(job.response?.products?.analysis_parameters, {
      T1: "2020-01-01T00:00:00",
      token: "<redacted token>",
      RA: 1,
    });
    assertNoToken("job.response", job.response);
    assertNoToken("job", job);
    assertNoToken("job.toJSON()", job.toJSON());
    const data = await job.result({ silent: true });
    assertNoToken("collection", data);
    assertNoToken("collection.showText()", data.showText());
    assertNoToken("collection display", await toBundle(data));
    let state: ProgressState = {
      instrument: "isgri",
      product: "isgri_image",
      status: "submitting",
      elapsedMs: 0,
      requests: 0,
      scwDone: 0,
      reports: 0,
    };
    for (const e of events) state = applyJobEvent(state, e);
    assertNoToken("events", events);
    assertNoToken("progress line", progressLine(state));
    assertNoToken("instrument list", await disp.getInstrumentsList());

    for (const m of ["job_id", "session_id", "html500", "json400", "failed", "text403"] as const) {
      mode = m;
      const e = await assertRejects(
        () =>
          disp.getProduct<GetProductOptions>({
            instrument: "isgri",
            product: `p_${m}`,
            T1: "2020-01-01",
            silent: true,
          }),
        OdaError,
      );
      assertNoToken(`error (${m})`, e);
      assertNoToken(`error (${m}) details`, e.details);
      assert(e.jobId === undefined || e.jobId === "0123456789abcdef", `${m}: jobId ${e.jobId}`);
      if (m === "job_id" || m === "session_id") assertEquals(e.code, "MALFORMED_RESPONSE");
      if (m === "html500") {
        assertEquals(e.code, "DISPATCHER_ERROR");
        assert(/KeyError/.test(e.message), e.message);
      }
    }
    assertNoToken("log records", records.map((r) => [r.message, r.fields]));
  } finally {
    detach();
    root.setLevel(before);
    await srv.close();
  }
});
