/**
 * Every request method of `DispatcherAPI` has the caller's deadline and signal (`timeout`, `signal`, as in
 * `getProduct`), enforced by the client's one bounded HTTP path: a server on 127.0.0.1 that never sends its
 * headers, one that drips its body forever; the call ends with `OdaError("TIMEOUT")` at its deadline (bounds
 * generous relative to it), an aborted signal wins with `ABORTED`. And the description requests
 * (`/api/par-names`, `/api/meta-data`) share one cache per client, counted at the sandbox.
 */
import { DispatcherAPI, type GetProductOptions, type RequestOptions } from "../lib/client/dispatcher.ts";
import { describeDispatcher } from "../lib/client/catalogue.ts";
import { resolveObjectsOfInterest } from "../lib/client/resolve_objects.ts";
import { OdaError } from "../lib/errors.ts";
import { startSandbox } from "../sandbox.ts";
import { assert, assertEquals, assertRejects } from "./client_replay.ts";
import { endless, eventually, type Loopback, loopback, sleep } from "./_loopback.ts";
import { assertFired, growingTimer, settle, TOO_SLOW } from "./_deadline.ts";

const TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3VuZHNAZXhhbXBsZS5vcmciLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";

/** Every public request method, called with `bounds` (the token methods with the test's token). */
const CALLS: Record<string, (d: DispatcherAPI, bounds: RequestOptions) => Promise<unknown>> = {
  getInstrumentsList: (d, b) => d.getInstrumentsList(b),
  getInstrumentDescription: (d, b) => d.getInstrumentDescription({ instrument: "isgri", ...b }),
  getParameterNames: (d, b) => d.getParameterNames({ instrument: "isgri", product: "isgri_lc", ...b }),
  getProductDescription: (d, b) =>
    d.getProductDescription({ instrument: "isgri", product_name: "isgri_lc", silent: true, ...b }),
  resolveName: (d, b) => d.resolveName("Crab", b),
  inspectState: (d, b) => d.inspectState({ ...b }),
  refreshToken: (d, b) => d.refreshToken(undefined, b),
  disableEmailToken: (d, b) => d.disableEmailToken(undefined, b),
  describeDispatcher: (d, b) => describeDispatcher(d, { instruments: ["isgri"], ...b }),
  resolveObjectsOfInterest: (d, b) => resolveObjectsOfInterest(d, ["Crab"], b),
};

/** A server whose answers never get their headers (until it is closed). */
function stallingServer(): Loopback {
  const waiting: (() => void)[] = [];
  const srv = loopback(() => new Promise<Response>((r) => waiting.push(() => r(new Response("[]")))));
  return { ...srv, close: () => (waiting.forEach((w) => w()), srv.close()) };
}

/** A server whose answers send one byte every 100 ms forever; `drips` are the bodies it started. */
function drippingServer(): Loopback & { drips: ReturnType<typeof endless>[] } {
  const drips: ReturnType<typeof endless>[] = [];
  const srv = loopback(() => {
    const d = endless(new TextEncoder().encode(" "), 100);
    drips.push(d);
    return new Response(d.stream, { headers: { "content-type": "application/json" } });
  });
  return { ...srv, drips };
}

/** The call's timeout; the client's own limits (60 s) are the fallback a missed deadline would reach. */
const DEADLINE = 400;
const FALLBACK = 60_000;

/** A client whose own limits are far away: only the call's bounds can end a request. */
function client(url: string, timeout?: number): DispatcherAPI {
  return new DispatcherAPI({ url, token: TOKEN, requestTimeout: FALLBACK, idleTimeout: FALLBACK, timeout });
}

/** Run `call`, expecting an OdaError; its code and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ code: string; ms: number }> {
  const r = await settle(call);
  assert(r.error instanceof OdaError, `expected an OdaError, got ${r.rejected ? r.error : "a value"}`);
  return { code: r.error.code, ms: r.ms };
}

for (
  const [kind, start] of [["stalled headers", stallingServer], ["dripping body", drippingServer]] as const
) {
  Deno.test(`bounds: every request method ends at its timeout on ${kind}, and an abort wins`, async () => {
    const srv = start();
    try {
      const names = Object.keys(CALLS);
      // per-call timeout (all methods at once: each must end on its own, its request held by the server);
      // under load a timer may fire before its request got there: the round is then run with a longer one
      await growingTimer(`every method on ${kind}`, DEADLINE, async (ms) => {
        const before = srv.hits.length;
        const timed = await Promise.all(
          names.map((n) => failure(() => CALLS[n](client(srv.url), { timeout: ms }))),
        );
        timed.forEach((r, i) => {
          assertEquals(r.code, "TIMEOUT", `${names[i]} on ${kind}`);
          assertFired(`${names[i]} on ${kind}`, r.ms, { firesMs: ms, fallbackMs: FALLBACK });
        });
        if (!(await eventually(() => srv.hits.length - before >= names.length, 500))) return TOO_SLOW;
      });
      // the client's default timeout applies when the call gives none
      await growingTimer(`the client's default timeout on ${kind}`, DEADLINE, async (ms) => {
        const before = srv.hits.length;
        const byDefault = await failure(() => CALLS.getParameterNames(client(srv.url, ms), {}));
        assertEquals(byDefault.code, "TIMEOUT");
        assertFired("the client's default timeout", byDefault.ms, { firesMs: ms, fallbackMs: FALLBACK });
        if (!(await eventually(() => srv.hits.length > before, 500))) return TOO_SLOW;
      });
      // an abort wins over a far deadline: sent once every call's request is held by the server (one request
      // each), so the abort ends the wait for an answer, however slow the machine
      const before = srv.hits.length;
      const ctrls = names.map(() => new AbortController());
      const ends = names.map((n, i) =>
        failure(() => CALLS[n](client(srv.url), { timeout: FALLBACK, signal: ctrls[i].signal }))
          .then((r) => ({ ...r, end: performance.now() }))
      );
      assert(
        await eventually(() => srv.hits.length - before >= names.length, 30_000),
        `${srv.hits.length - before} of ${names.length} requests reached the server`,
      );
      const abortedAt = performance.now();
      ctrls.forEach((c) => c.abort());
      const aborted = await Promise.all(ends);
      aborted.forEach((r, i) => {
        assertEquals(r.code, "ABORTED", `${names[i]} aborted on ${kind}`);
        assertFired(`${names[i]} aborted on ${kind}`, r.end - abortedAt, {
          firesMs: 0,
          fallbackMs: FALLBACK,
        });
      });
      if ("drips" in srv) {
        const drips = srv.drips as ReturnType<typeof endless>[];
        assert(drips.length >= 2 * names.length, `${drips.length} bodies started`);
        assert(
          await eventually(() => drips.every((d) => d.state.cancelled), 10_000),
          "every dripping body was cancelled",
        );
      }
    } finally {
      await srv.close();
    }
  });
}

Deno.test("bounds: an already-aborted signal wins over an expired deadline and sends nothing", async () => {
  const srv = stallingServer();
  try {
    const ctrl = new AbortController();
    ctrl.abort();
    for (const [name, call] of Object.entries(CALLS)) {
      const r = await failure(() => call(client(srv.url), { timeout: 0, signal: ctrl.signal }));
      assertEquals(r.code, "ABORTED", name);
    }
    assertEquals(srv.hits, [], "no request left the client");
    // an expired deadline alone: TIMEOUT, still nothing sent
    const r = await failure(() => CALLS.getProductDescription(client(srv.url), { timeout: 0 }));
    assertEquals(r.code, "TIMEOUT");
    assertEquals(srv.hits, []);
  } finally {
    await srv.close();
  }
});

Deno.test("bounds: hostile answers to every request method end in a value or an OdaError, nothing else", async () => {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const bodies = [
    deep(200_000),
    `[[${deep(100_000)}]]`,
    `[[{"instrumet": {"toString": 1}}, {"prod_dict": ${deep(50_000)}}, [{"query_name": []}, {"name": {}}]]]`,
    `["RA", {"valueOf": 1}, ["DEC"]]`,
    `{"RA": ${deep(100_000)}, "DEC": {}}`,
    "<html><body>Internal error</body></html>",
    "",
  ];
  let current = "";
  const srv = loopback(() => new Response(current, { headers: { "content-type": "application/json" } }));
  try {
    for (const body of bodies) {
      current = body;
      for (const [name, call] of Object.entries(CALLS)) {
        try {
          await call(client(srv.url), { timeout: 5000 });
        } catch (e) {
          assert(e instanceof OdaError, `${name} on ${JSON.stringify(body.slice(0, 40))}: ${e}`);
        }
      }
    }
  } finally {
    await srv.close();
  }
});

Deno.test("descriptions: par-names and meta-data share one cache per client, keyed by product and token", async () => {
  const sb = await startSandbox({ port: 0, seed: 7 });
  try {
    const asked: string[] = [];
    const counting: typeof fetch = (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      asked.push(`${u.pathname}${u.searchParams.has("token") ? " +token" : ""}`);
      return fetch(input, init);
    };
    const served = () => sb.stats().requests;
    const count = async (f: () => Promise<unknown>): Promise<string[]> => {
      const before = asked.length, atServer = served();
      await f();
      assertEquals(served() - atServer, asked.length - before, "every request counted reached the sandbox");
      return asked.slice(before);
    };
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: counting });
    const lc = { instrument: "spi_acs", product: "spi_acs_lc" };
    // the public methods: one request each, then none
    assertEquals(await count(() => disp.getParameterNames(lc)), ["/api/par-names"]);
    const names = await disp.getParameterNames(lc);
    assert(names.includes("time_bin"), names.join());
    names.push("mutated");
    assertEquals(await count(() => disp.getParameterNames(lc)), []);
    assert(!(await disp.getParameterNames(lc)).includes("mutated"), "callers get copies");
    const descr = { instrument: "spi_acs", product_name: "spi_acs_lc", silent: true };
    assertEquals(await count(() => disp.getProductDescription(descr)), ["/api/meta-data"]);
    assertEquals(await count(() => disp.getProductDescription(descr)), []);
    // a cached answer does not outlive the caller's bounds: an aborted signal or a passed deadline still wins
    const gone = AbortSignal.abort();
    assertEquals(
      (await assertRejects(() => disp.getProductDescription({ ...descr, signal: gone }), OdaError)).code,
      "ABORTED",
    );
    assertEquals(
      (await assertRejects(() => disp.getParameterNames({ ...lc, timeout: 0 }), OdaError)).code,
      "TIMEOUT",
    );
    // the instrument's whole description is another entry
    assertEquals(await count(() => disp.getInstrumentDescription({ instrument: "spi_acs" })), [
      "/api/meta-data",
    ]);
    assertEquals(await count(() => disp.getInstrumentDescription({ instrument: "spi_acs" })), []);
    // a query's parameter check uses the same cache: no par-names request
    const query: GetProductOptions = {
      ...lc,
      T1: "2022-07-01T00:00:00",
      T2: "2022-07-01T00:05:00",
      time_bin: 10,
      silent: true,
    };
    const run = await count(() => disp.getProduct(query));
    assert(run.length > 0 && run.every((p) => p === "/run_analysis"), run.join());
    // the check first (with an empty cache) fills it for the public method
    const fresh = new DispatcherAPI({ url: sb.url, token: null, fetch: counting });
    const first = await count(() => fresh.getProduct(query));
    assertEquals(first.filter((p) => p === "/api/par-names").length, 1, first.join());
    assertEquals(await count(() => fresh.getParameterNames(lc)), []);
    // a token is another entry (restricted products are described to their users); the same token is not
    const alice = await sb.mintToken({ sub: "alice@example.org" });
    const bob = await sb.mintToken({ sub: "bob@example.org" });
    const withToken = new DispatcherAPI({ url: sb.url, token: alice, fetch: counting });
    assertEquals(await count(() => withToken.getParameterNames(lc)), ["/api/par-names +token"]);
    assertEquals(await count(() => withToken.getParameterNames(lc)), []);
    withToken.setToken(bob);
    assertEquals(await count(() => withToken.getParameterNames(lc)), ["/api/par-names +token"]);
    withToken.setToken(alice);
    assertEquals(await count(() => withToken.getParameterNames(lc)), []);
    withToken.setToken(null);
    assertEquals(await count(() => withToken.getParameterNames(lc)), ["/api/par-names"]);
    // a failure is not cached
    const bad = { instrument: "no_such_instrument", product: "x" };
    for (let i = 0; i < 2; i++) {
      const before = asked.length;
      await assertRejects(() => disp.getParameterNames(bad), OdaError);
      assertEquals(asked.slice(before), ["/api/par-names"], `attempt ${i + 1}`);
    }
  } finally {
    await sb.close();
  }
});

Deno.test("descriptions: concurrent callers share one request; one caller's abort or deadline ends only its own wait", async () => {
  const sb = await startSandbox({ port: 0, seed: 7 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const lc = { instrument: "spi_acs", product: "spi_acs_lc" };
    const before = sb.stats().requests;
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => disp.getParameterNames(lc)),
      ...Array.from(
        { length: 3 },
        () => disp.getProductDescription({ instrument: "spi_acs", product_name: "spi_acs_lc", silent: true }),
      ),
    ]);
    assertEquals(sb.stats().requests - before, 2, "one par-names and one meta-data request for 8 callers");
    assertEquals(answers[4], answers[0]);
  } finally {
    await sb.close();
  }
  // a slow server to overlap callers (its waits end when it closes)
  let delay = 0;
  const waiting = new Set<() => void>();
  const srv = loopback(async () => {
    await new Promise<void>((ok) => {
      const timer = setTimeout(release, delay);
      function release() {
        clearTimeout(timer);
        waiting.delete(release);
        ok();
      }
      waiting.add(release);
    });
    return new Response('["RA", "DEC"]');
  });
  const lc = { instrument: "isgri", product: "isgri_lc" };
  try {
    // the first caller aborts: the one waiting for its request asks again and gets the answer. Each step
    // waits for the request it needs at the server (the first is held there until the server closes)
    delay = 10_000;
    let d = new DispatcherAPI({ url: srv.url, token: null });
    const owner = new AbortController();
    const first = d.getParameterNames({ ...lc, signal: owner.signal });
    assert(await eventually(() => srv.hits.length === 1, 30_000), "the first request reached the server");
    delay = 0; // the next request is answered at once
    const second = d.getParameterNames(lc);
    await sleep(50);
    assertEquals(srv.hits.length, 1, "the second caller waits for the first one's request");
    owner.abort();
    assertEquals((await assertRejects(() => first, OdaError)).code, "ABORTED");
    assertEquals(await second, ["RA", "DEC"]);
    assertEquals(srv.hits.length, 2, "the waiting caller asked again");
    // a waiting caller's own abort and deadline end its wait only (not the answer, 10 s away); the first
    // caller's request goes on
    srv.hits.length = 0;
    delay = 10_000;
    d = new DispatcherAPI({ url: srv.url, token: null });
    const leader = new AbortController();
    const lead = settle(() => d.getParameterNames({ ...lc, signal: leader.signal }));
    assert(await eventually(() => srv.hits.length === 1, 30_000), "the leader's request reached the server");
    const quitter = new AbortController();
    setTimeout(() => quitter.abort(), 80);
    const [aborted, late] = await Promise.all([
      failure(() => d.getParameterNames({ ...lc, signal: quitter.signal })),
      failure(() => d.getParameterNames({ ...lc, timeout: 100 })),
    ]);
    assertEquals([aborted.code, late.code], ["ABORTED", "TIMEOUT"]);
    assertFired("a waiting caller's abort", aborted.ms, { firesMs: 80, fallbackMs: delay });
    assertFired("a waiting caller's deadline", late.ms, { firesMs: 100, fallbackMs: delay });
    assertEquals(srv.hits.length, 1, "one request for the three callers");
    leader.abort();
    const led = await lead;
    assert(led.error instanceof OdaError && led.error.code === "ABORTED", `${led.error}`);
    assertEquals(srv.hits.length, 1);
  } finally {
    waiting.forEach((release) => release());
    await srv.close();
  }
});

Deno.test("descriptions: a caller waiting for a shared request with a far or no deadline waits for its answer", async () => {
  // timers hold at most 2^31-1 ms: a wait armed with more (a timeout of 30 days, or Infinity) must not fire
  // at once
  await using srv = loopback(async () => {
    await sleep(200);
    return new Response('["RA", "DEC"]');
  });
  const lc = { instrument: "isgri", product: "isgri_lc" };
  for (const timeout of [Infinity, 30 * 24 * 3600_000]) {
    srv.hits.length = 0;
    const d = new DispatcherAPI({ url: srv.url, token: null });
    const first = d.getParameterNames(lc);
    await sleep(20);
    const second = await settle(() => d.getParameterNames({ ...lc, timeout }));
    assert(!second.rejected, `timeout ${timeout}: ${second.error}`);
    assertEquals(second.value, ["RA", "DEC"]);
    assertEquals(await first, ["RA", "DEC"]);
    assertEquals(srv.hits.length, 1, "the waiting caller joined the running request");
  }
});

Deno.test("bounds: a timeout that is not a number of ms >= 0 is INVALID_ARGUMENT everywhere, before any request", async () => {
  // as Job.poll, the file readers, the decoders and the CLI: NaN, a negative number or a string is refused
  // (not a deadline in the past, nor one computed by string concatenation); Infinity means none
  await using srv = loopback(() => new Response("[]"));
  const bad = [NaN, -1, "5" as unknown as number];
  for (const timeout of bad) {
    const d = client(srv.url);
    for (const [name, call] of Object.entries(CALLS)) {
      const r = await settle(() => call(d, { timeout }));
      assert(r.error instanceof OdaError, `${name}(${timeout}): ${r.rejected ? r.error : "a value"}`);
      assertEquals(`${name}: ${r.error.code}`, `${name}: INVALID_ARGUMENT`);
    }
    const query: GetProductOptions = { instrument: "isgri", product: "isgri_lc", timeout, silent: true };
    for (
      const [name, call] of [["getProduct", () => d.getProduct(query)], ["submit", () => d.submit(query)]]
    ) {
      const r = await settle(call as () => Promise<unknown>);
      assert(r.error instanceof OdaError, `${name}(${timeout}): ${r.error}`);
      assertEquals(`${name}: ${r.error.code}`, `${name}: INVALID_ARGUMENT`);
    }
    const job = DispatcherAPI.resume({
      kind: "oda-job",
      version: 1,
      url: srv.url,
      instrument: "isgri",
      product: "isgri_lc",
      product_type: "Real",
      params: {},
      job_id: "0123456789abcdef",
      session_id: "ABCDEFGHIJKLMNOP",
      status: "submitted",
      submitted_at: Date.now(),
    }, { token: null, silent: true });
    for (
      const [name, call] of [["wait", () => job.wait({ timeout })], ["result", () => job.result({ timeout })]]
    ) {
      const r = await settle(call as () => Promise<unknown>);
      assert(r.error instanceof OdaError, `${name}(${timeout}): ${r.error}`);
      assertEquals(`${name}: ${r.error.code}`, `${name}: INVALID_ARGUMENT`);
    }
    // the client's default timeout is checked when the client is made
    const made = await settle(() =>
      Promise.resolve().then(() => new DispatcherAPI({ url: srv.url, token: null, timeout }))
    );
    assert(
      made.error instanceof OdaError && made.error.code === "INVALID_ARGUMENT",
      `new DispatcherAPI: ${made.error}`,
    );
  }
  assertEquals(srv.hits, [], "no request was sent");
  // Infinity: no deadline
  assertEquals(await client(srv.url).getInstrumentsList({ timeout: Infinity }), []);
});

Deno.test("bounds: the client's own limits may be Infinity or longer than a timer holds (no limit, not an instant timeout)", async () => {
  // timers hold at most 2^31-1 ms; more (Infinity too) fired after 1 ms: every request "timed out after
  // Infinity ms"
  await using srv = loopback(async () => {
    await sleep(50);
    return new Response('["isgri"]');
  });
  for (const limit of ["requestTimeout", "idleTimeout", "bodyTimeout"]) {
    for (const ms of [Infinity, 3e9]) {
      const d = new DispatcherAPI({ url: srv.url, token: null, retryBudget: 0, [limit]: ms });
      const r = await settle(() => d.getInstrumentsList());
      assert(!r.rejected, `${limit}: ${ms}: ${r.error}`);
      assertEquals(r.value, ["isgri"]);
    }
  }
});

Deno.test("bounds: a meta-data answer holding a huge list ends describeDispatcher in a value or an OdaError", async () => {
  // prodDictOf spread each list onto its stack: 300 000 entries overflowed it, a RangeError out of a public
  // entry point
  const huge = JSON.stringify([Array.from({ length: 300_000 }, () => 0)]);
  await using srv = loopback((_req, u) => new Response(u.pathname.endsWith("par-names") ? "[]" : huge));
  const r = await settle(() => describeDispatcher(client(srv.url), { instruments: ["isgri"] }));
  assert(!r.rejected || r.error instanceof OdaError, `${r.error}`);
});

Deno.test("descriptions: when a shared request fails on its own (not its owner's bounds), the waiting callers get that failure at once", async () => {
  // before: each waiting caller asked again, one after the other (N callers, N requests in a row: a batch's
  // checks against a failing par-names took N times its timeout)
  let asked = 0;
  await using srv = loopback(async () => {
    asked++;
    await sleep(200);
    return new Response("<html>boom</html>", { status: 500 });
  });
  const d = new DispatcherAPI({ url: srv.url, token: null, retryBudget: 0 });
  const lc = { instrument: "isgri", product: "isgri_lc" };
  const t0 = Date.now();
  const all = await Promise.all(Array.from({ length: 5 }, () => settle(() => d.getParameterNames(lc))));
  const codes = all.map((r) => r.error instanceof OdaError ? r.error.code : `${r.error}`);
  assertEquals(new Set(codes).size, 1, codes.join());
  assertEquals(asked, 1, "one request for the five callers");
  assert(Date.now() - t0 < 800, `${Date.now() - t0} ms: the callers asked one after the other`);
  // a caller that wants retries does not settle for the failure of a request made without them (the
  // advisory check of a query makes one attempt): it asks again
  const { DescriptionRequests } = await import("../lib/client/_descriptions.ts");
  const { HttpClient } = await import("../lib/client/http.ts");
  let hits = 0;
  await using flaky = loopback(async () => {
    await sleep(100);
    return ++hits === 1 ? new Response("busy", { status: 503 }) : new Response('["RA"]');
  });
  const requests = new DescriptionRequests(new HttpClient({ baseUrl: flaky.url, backoffBase: 10 }));
  const q = { ...lc, token: undefined };
  const [once, retried] = await Promise.all([
    settle(() => requests.parNames({ ...q, retry: false })),
    (async () => (await sleep(20), settle(() => requests.parNames(q))))(),
  ]);
  assert(once.error instanceof OdaError, `${once.error}`);
  assertEquals(retried.value, ["RA"]);
  assertEquals(hits, 2);
});
