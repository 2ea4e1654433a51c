/**
 * Client building blocks: retries/backoff/deadline/abort of the HTTP layer
 * (injected fetch for the fault cases), the response cache, the batch runner,
 * URL resolution and the poll schedule.
 */
import { HttpClient } from "../lib/client/http.ts";
import { cacheKey, ResponseCache } from "../lib/client/cache.ts";
import { getProducts } from "../lib/client/batch.ts";
import { resolveDispatcherUrl } from "../lib/client/dispatcher.ts";
import { analysisParametersMismatches, formatParameterMismatches } from "../lib/client/consistency.ts";
import { DispatcherError, OdaError } from "../lib/errors.ts";
import { assert, assertEquals, assertRejects } from "./client_replay.ts";
import { assertFired, settle } from "./_deadline.ts";

function flaky(failures: Array<"reset" | 502 | 503 | 504 | 500 | 400>, final = '{"ok":true}') {
  let n = 0;
  const calls: number[] = [];
  const fetch = (_u: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push(Date.now());
    if (init?.signal?.aborted) return Promise.reject(init.signal.reason);
    const f = failures[n++];
    if (f === undefined) return Promise.resolve(new Response(final, { status: 200 }));
    if (f === "reset") return Promise.reject(new TypeError("connection reset"));
    return Promise.resolve(new Response(`{"error_message":"e${f}"}`, { status: f }));
  };
  return { fetch, calls };
}

Deno.test("transient failures are retried with growing jittered backoff; fatal ones are not", async () => {
  const f = flaky(["reset", 502, 503, 504]);
  const http = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: f.fetch,
    backoffBase: 10,
    backoffMax: 80,
  });
  const retries: number[] = [];
  const res = await http.request({ path: "x", params: [], onRetry: (i) => retries.push(i.delayMs) });
  assertEquals(res.attempts, 5);
  assertEquals(f.calls.length, 5);
  // delay of attempt n is within [base*2^(n-1)/2, base*2^(n-1)] capped at max
  retries.forEach((d, i) => {
    const cap = Math.min(80, 10 * 2 ** i);
    assert(d >= cap / 2 && d <= cap, `delay ${d} outside [${cap / 2}, ${cap}]`);
  });
  for (const code of [500, 400] as const) {
    const g = flaky([code]);
    const h = new HttpClient({ baseUrl: "http://127.0.0.1:9", fetch: g.fetch, backoffBase: 1 });
    const e = await assertRejects(() => h.request({ path: "x", params: [] }), DispatcherError);
    assertEquals(e.status, code);
    assertEquals(g.calls.length, 1);
  }
});

Deno.test("retries stop at the deadline (TIMEOUT) and the budget (last error)", async () => {
  const always = flaky(Array(1000).fill(503));
  const http = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: always.fetch,
    backoffBase: 20,
    backoffMax: 40,
  });
  // a missed deadline would run the 1000 retries: at least 999 × 20 ms (the jittered 40 ms cap's lower half)
  const r = await settle(() => http.request({ path: "x", params: [], deadline: Date.now() + 200 }));
  assert(r.error instanceof OdaError, `no OdaError after ${r.ms} ms: ${r.error}`);
  assertEquals(r.error.code, "TIMEOUT");
  assertFired("the deadline", r.ms, { firesMs: 200, fallbackMs: 999 * 20, earliestMs: 200 - 40 });
  assert(always.calls.length < 1000, `${always.calls.length} attempts`);
  const budget = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: flaky(Array(1000).fill(502)).fetch,
    retryBudget: 100,
    backoffBase: 10,
  });
  const b = await assertRejects(() => budget.request({ path: "x", params: [] }), DispatcherError);
  assertEquals(b.code, "DISPATCHER_UNAVAILABLE");
});

Deno.test("a hanging request hits its own timeout and is retried; abort during backoff is prompt", async () => {
  let n = 0;
  const hanging = (_u: string | URL | Request, init?: RequestInit): Promise<Response> => {
    n++;
    if (n === 1) {
      return new Promise((_res, rej) =>
        init!.signal!.addEventListener("abort", () => rej(init!.signal!.reason))
      );
    }
    return Promise.resolve(new Response("[]", { status: 200 }));
  };
  const http = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: hanging,
    requestTimeout: 50,
    backoffBase: 5,
  });
  const res = await http.request({ path: "x", params: [] });
  assertEquals(res.attempts, 2);

  const ctrl = new AbortController();
  const slow = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: flaky(Array(10).fill(503)).fetch,
    backoffBase: 20_000,
    backoffMax: 20_000,
  });
  setTimeout(() => ctrl.abort(), 30);
  // an abort noticed only after the backoff would take at least 10 s (the jittered 20 s delay's lower half)
  const e = await settle(() => slow.request({ path: "x", params: [], signal: ctrl.signal }));
  assert(e.error instanceof OdaError, `no OdaError after ${e.ms} ms: ${e.error}`);
  assertEquals(e.error.code, "ABORTED");
  assertFired("the abort during backoff", e.ms, { firesMs: 30, fallbackMs: 10_000 });
});

Deno.test("ResponseCache: TTL, LRU eviction by count and size", () => {
  const c = new ResponseCache({ ttlMs: 100, maxEntries: 2, maxBytes: 10 });
  c.set("a", "1234", 0);
  c.set("b", "5678", 0);
  assertEquals(c.get("a", 50), "1234"); // a is now most recent
  c.set("c", "9", 50); // evicts b (least recently used)
  assertEquals(c.get("b", 50), undefined);
  assertEquals(c.get("a", 99), "1234");
  assertEquals(c.get("a", 200), undefined); // expired
  c.set("big", "x".repeat(11), 0); // larger than maxBytes: not stored
  assertEquals(c.get("big", 0), undefined);
  c.set("d", "123456", 60);
  c.set("e", "123456", 60); // 12 > 10 bytes: d evicted
  assertEquals([c.get("d", 61), c.get("e", 61)], [undefined, "123456"]);
  assert(c.bytes <= 10);
  // keys ignore volatile parameters and parameter order, but not the user or repeated-key order
  const k1 = cacheKey("u", [["b", "2"], ["a", "1"], ["session_id", "X"], ["token", "T"]], "me");
  const k2 = cacheKey("u/", [["a", "1"], ["b", "2"], ["session_id", "Y"]], "me");
  assertEquals(k1, k2);
  assert(k1 !== cacheKey("u", [["a", "1"], ["b", "2"]], "other"));
  assert(cacheKey("u", [["s", "1"], ["s", "2"]], "me") !== cacheKey("u", [["s", "2"], ["s", "1"]], "me"));
});

Deno.test("getProducts: concurrency limit, input order, failures isolated", async () => {
  let inFlight = 0;
  let peak = 0;
  const run = async (x: number) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5 + (x % 3) * 5));
    inFlight--;
    if (x === 4) throw new Error("four");
    return x * 10;
  };
  const results = await getProducts(run, [0, 1, 2, 3, 4, 5, 6, 7, 8], { concurrency: 3 });
  assertEquals(peak, 3);
  assertEquals(results.map((r) => r.status === "fulfilled" ? r.value : "x"), [
    0,
    10,
    20,
    30,
    "x",
    50,
    60,
    70,
    80,
  ]);
  await assertRejects(() => getProducts(run, [1], { concurrency: 0 }), OdaError);
});

Deno.test("URL resolution: default, aliases, validation like oda_api, loopback http allowed", () => {
  assertEquals(resolveDispatcherUrl(undefined), "https://www.astro.unige.ch/mmoda/dispatch-data");
  assertEquals(resolveDispatcherUrl("prod"), "https://www.astro.unige.ch/mmoda/dispatch-data");
  assertEquals(resolveDispatcherUrl("unige-production"), "https://www.astro.unige.ch/mmoda/dispatch-data");
  assertEquals(resolveDispatcherUrl("http://127.0.0.1:8011/"), "http://127.0.0.1:8011");
  assertEquals(
    resolveDispatcherUrl("https://Dispatcher.Example.org:443/mmoda/dispatch-data"),
    "https://Dispatcher.Example.org:443/mmoda/dispatch-data",
  );
  for (const bad of ["https://x.org/a.b", "https://-x.org", "http://x.org/p#f", "https://x.org:port"]) {
    let code = "";
    try {
      resolveDispatcherUrl(bad);
    } catch (e) {
      code = (e as OdaError).code;
    }
    assertEquals(code, "INVALID_URL", bad);
  }
});

Deno.test("body timeout is an idle timeout: a slow steady body completes, a stalled one is retried", async () => {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const streamed = (chunks: number, gapMs: number, stallAfter?: number) =>
    new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        const i = (this as unknown as { i?: number }).i ?? 0;
        (this as unknown as { i: number }).i = i + 1;
        if (i === chunks) return ctrl.close();
        if (stallAfter !== undefined && i === stallAfter) return new Promise<void>(() => {}); // never resolves
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, gapMs);
          timers.add(t);
        });
        ctrl.enqueue(new TextEncoder().encode(i === 0 ? "[" : i === chunks - 1 ? "1]" : " "));
      },
    });
  // 8 chunks 30 ms apart = 240 ms of body, with a 100 ms request timeout
  const steady = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    requestTimeout: 100,
    fetch: () => Promise.resolve(new Response(streamed(8, 30), { status: 200 })),
  });
  const ok = await steady.request({ path: "x", params: [] });
  assertEquals(JSON.parse(ok.text), [1]);
  let n = 0;
  const stalling = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    requestTimeout: 100,
    backoffBase: 1,
    fetch: () => Promise.resolve(new Response(n++ === 0 ? streamed(8, 5, 3) : "[2]", { status: 200 })),
  });
  const res = await stalling.request({ path: "x", params: [] });
  assertEquals([res.attempts, res.text], [2, "[2]"]);
  for (const t of timers) clearTimeout(t);
});

Deno.test("analysisParametersMismatches: server normalisation is not a mismatch, changed values are", () => {
  const returned = {
    T1: "2017-09-04T06:00:00.000",
    T2: "2017-09-05T00:00:00.000",
    T_format: "isot",
    RA: 83.63,
    E1_keV: 28,
    scw_list: ["066500220010.001"],
    energy_units: "keV",
    flag: true,
    src_name: "Crab",
    token: "eyJ.x.y",
  };
  const keys = (req: Record<string, unknown>) =>
    analysisParametersMismatches(req, returned).map((m) => m.key);
  // same values in other spellings; T1/T2 in mjd; an unused argument; the token; a selector
  assertEquals(
    keys({
      T1: 58000.25,
      T2: "58001",
      T_format: "mjd",
      RA: "83.63",
      E1_keV: 28.0,
      scw_list: "066500220010.001",
      flag: "True",
      foo: 1,
      token: "other",
      src_name: " Crab ",
    }),
    [],
  );
  assertEquals(keys({ T1: "2017-09-04T06:00:00", T2: new Date("2017-09-05T00:00:00Z") }), []);
  assertEquals(keys({ T2: new Date("2017-09-05T00:00:01Z") }), ["T2"]);
  // anagram times, another scw (numerically close), another number, another name
  assertEquals(
    keys({
      T1: "2017-09-04T00:00:06",
      scw_list: ["066500220010.002"],
      RA: 83.64,
      flag: false,
      src_name: "Vela",
    }),
    ["T1", "scw_list", "RA", "flag", "src_name"],
  );
  // another unit selector: numbers may have been converted, so they are not compared
  assertEquals(keys({ E1_keV: 0.028, energy_units: "MeV", src_name: "Crab" }), []);
  const msg = formatParameterMismatches([{
    key: "T2",
    requested: "a",
    returned: "eyJhbGciOi.eyJzdWIiOi.sig",
  }]);
  assertEquals(msg, "dispatcher returned different parameters: T2: returned <redacted token> != requested a");
});

Deno.test("connection error: the token in Deno's fetch error (cause) is redacted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  const secret = "c2lnbmF0dXJlc2lnbmF0dXJl";
  const token = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9.${secret}`;
  const http = new HttpClient({ baseUrl: `http://127.0.0.1:${port}` });
  const e = await assertRejects(
    () => http.request({ path: "run_analysis", params: [["token", token]], retry: false }),
    DispatcherError,
  );
  assertEquals(e.code, "NETWORK");
  assert(e.cause !== undefined, "the cause is kept");
  assert(!Deno.inspect(e).includes(secret), Deno.inspect(e));
});
