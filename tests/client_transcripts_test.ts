/**
 * DispatcherAPI replayed against the real oda_api sessions recorded in
 * tests/fixtures/dispatcher-transcripts/oda_api-*.jsonl: every request must be
 * the exact URL the Python client sent (our `client-name` parameter aside).
 */
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import { UnauthorizedError } from "../lib/errors.ts";
import { decodeOdaToken } from "../lib/token/decode.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  type Exchange,
  loadSession,
  replayFetch,
  stripClientName,
} from "./client_replay.ts";

const BASE = "http://127.0.0.1:8011";

function tokenOf(ex: Exchange): string {
  return new URL(ex.url).searchParams.get("token")!;
}

/**
 * Our URL as oda_api would send it: without `client-name`, and without the token we add (on purpose, unlike
 * oda_api) to `/api/par-names` so that restricted instruments are described to their users.
 */
function asOdaApi(url: string, token?: string): string {
  const u = stripClientName(url);
  if (!u.includes("/api/par-names")) return u;
  const suffix = token === undefined ? "" : `&token=${token}`;
  assertEquals(u.endsWith(suffix), true, `par-names carries the query's token: ${u.slice(0, 80)}`);
  if (token === undefined) assertEquals(u.includes("token="), false);
  return u.slice(0, u.length - suffix.length);
}

Deno.test("get_product (sync, token): par-names then one run_analysis, exact URLs", async () => {
  const { exchanges, result } = loadSession("oda_api-get_product-numerical-sync.jsonl");
  const token = tokenOf(exchanges[1]);
  const replay = replayFetch(exchanges);
  const disp = new DispatcherAPI({ url: BASE, token, fetch: replay.fetch, session_id: "WGOURKJ8VOKXZ37M" });
  const data = await disp.getProduct({
    instrument: "empty",
    product: "numerical",
    product_type: "Dummy",
    p: 5,
    silent: true,
  });
  assertEquals(replay.requests.map((r) => asOdaApi(r.url, token)), exchanges.map((e) => e.url));
  assertEquals(data._p_list.length, (result as { n: number }).n);
});

Deno.test("get_product async lifecycle: exact URLs including the parameter check", async () => {
  const { exchanges, result } = loadSession("oda_api-get_product-async-lifecycle.jsonl");
  const client = exchanges.filter((e) => !e.url.includes("/call_back"));
  const replay = replayFetch(client);
  const disp = new DispatcherAPI({
    url: BASE,
    token: null,
    fetch: replay.fetch,
    session_id: "AP7RIUR0WT08LDX3",
    pollInterval: { min: 1, max: 2 },
  });
  await disp.getProduct({
    instrument: "empty-async",
    product: "dummy",
    scw_list: ["066500220010.001", "066500230010.001"],
    silent: true,
  });
  assertEquals(replay.requests.map((r) => asOdaApi(r.url)), client.map((e) => e.url));
  assertEquals(replay.remaining(), 0);
  assert((result as { job_id: string }).job_id.length === 16);
});

Deno.test("get_product unauthorized: 403 → UnauthorizedError with the server's text", async () => {
  const { exchanges, result } = loadSession("oda_api-get_product-unauthorized.jsonl");
  const token = tokenOf(exchanges[1]);
  const replay = replayFetch(exchanges);
  const disp = new DispatcherAPI({ url: BASE, token, fetch: replay.fetch, session_id: "WGOURKJ8VOKXZ37M" });
  const e = await assertRejects(
    () =>
      disp.getProduct({
        instrument: "empty",
        product: "numerical",
        product_type: "Dummy",
        p: 55,
        silent: true,
      }),
    UnauthorizedError,
  );
  assertEquals(replay.requests.map((r) => asOdaApi(r.url, token)), exchanges.map((x) => x.url));
  // same message as the Python client's exception text
  assert(String(result).endsWith(e.message), e.message);
});

Deno.test("refresh_token and disable_email_token: exact URLs, raw JWT answers", async () => {
  const refresh = loadSession("oda_api-refresh_token.jsonl");
  const r1 = replayFetch(refresh.exchanges);
  const t1 = tokenOf(refresh.exchanges[0]);
  const disp1 = new DispatcherAPI({ url: BASE, token: null, fetch: r1.fetch });
  const fresh = await disp1.refreshToken(t1);
  assertEquals(r1.requests.map((r) => r.url), refresh.exchanges.map((e) => e.url));
  assertEquals(decodeOdaToken(fresh).exp, (refresh.result as { new: { exp: number } }).new.exp);

  const email = loadSession("oda_api-disable_email_token.jsonl");
  const r2 = replayFetch(email.exchanges);
  const disp2 = new DispatcherAPI({ url: BASE, token: tokenOf(email.exchanges[0]), fetch: r2.fetch });
  const quiet = await disp2.disableEmailToken();
  assertEquals(r2.requests.map((r) => r.url), email.exchanges.map((e) => e.url));
  assertEquals(decodeOdaToken(quiet), (email.result as { new: unknown }).new);
  assertEquals(disp2.token, quiet);
});

Deno.test("get_instruments_list and get_product_description: exact URLs and results", async () => {
  const instr = loadSession("oda_api-get_instruments_list.jsonl");
  const r1 = replayFetch([instr.exchanges[0]]);
  const disp = new DispatcherAPI({ url: BASE, token: null, fetch: r1.fetch });
  assertEquals(await disp.getInstrumentsList(), instr.result);
  assertEquals(r1.requests.map((r) => r.url), [instr.exchanges[0].url]);

  const descr = loadSession("oda_api-get_product_description.jsonl");
  const r2 = replayFetch(descr.exchanges);
  const disp2 = new DispatcherAPI({ url: BASE, token: null, fetch: r2.fetch });
  const d = await disp2.getProductDescription({
    instrument: "empty",
    product_name: "numerical",
    silent: true,
  });
  assertEquals(r2.requests.map((r) => r.url), descr.exchanges.map((e) => e.url));
  assertEquals(d.instrument, "empty");
  assert(d.text.includes("query_name: numerical_parameters_dummy_query\nproduct_name: numerical"));
});
