/**
 * The HTTP layer against hostile servers on 127.0.0.1: bodies that drip, never end or explode (gzip),
 * redirects (loops, 303, to plain http and to non-loopback hosts, https → http with a test CA made by
 * openssl at test time). Every case is bounded in time (a few seconds at most) and in bytes, and checks that
 * the transfer really stops (the server sees its stream cancelled).
 */
import { DispatcherAPI, type GetProductOptions } from "../lib/client/dispatcher.ts";
import { HttpClient, readBodyText } from "../lib/client/http.ts";
import { OdaError } from "../lib/errors.ts";
import { assert, assertEquals, assertRejects } from "./client_replay.ts";
import { testWithTool } from "./_validators.ts";
import { endless, eventually, loopback, sleep } from "./_loopback.ts";
import { assertFired, growingTimer, settle, TOO_SLOW } from "./_deadline.ts";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuZXRAZXhhbXBsZS5vcmciLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";

/** A fetch for loopback only: any other host is recorded and refused (tests never leave 127.0.0.1). */
function loopbackOnlyFetch(client?: Deno.HttpClient) {
  const elsewhere: string[] = [];
  const f = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const u = new URL(input instanceof Request ? input.url : String(input));
    if (u.hostname !== "127.0.0.1") {
      elsewhere.push(u.href);
      return Promise.reject(new TypeError(`test refused to contact ${u.host}`));
    }
    return fetch(input, client ? { ...init, client } as RequestInit : init);
  };
  return { fetch: f, elsewhere };
}

Deno.test("par-names: a dripping server cannot outlive getProduct's deadline; the check carries the token", async () => {
  // each drip ends by itself after 20 s (the fallback): a missed deadline ends there, not in a hang. Under
  // load the deadline may pass before the request got to the server: then again with a longer one
  await growingTimer("getProduct's deadline", 900, async (ms) => {
    const drips: ReturnType<typeof endless>[] = [];
    await using srv = loopback((_req, u) => {
      if (u.pathname !== "/api/par-names") return new Response("{}", { status: 500 });
      const drip = endless(new TextEncoder().encode(" "), 150, { closeAfterMs: 20_000 });
      drips.push(drip);
      return new Response(drip.stream, { headers: { "content-type": "application/json" } });
    });
    const disp = new DispatcherAPI({ url: srv.url, token: TOKEN, requestTimeout: 30_000 });
    const r = await settle(() =>
      disp.getProduct({ instrument: "isgri", product: "isgri_image", silent: true, timeout: ms })
    );
    assert(r.error instanceof OdaError, `no OdaError after ${r.ms} ms: ${r.error}`);
    assertEquals(r.error.code, "TIMEOUT");
    assertFired("getProduct's deadline", r.ms, { firesMs: ms, fallbackMs: 20_000 });
    assert(srv.hits.length <= 1, "no run_analysis after the deadline");
    if (!(await eventually(() => srv.hits.length === 1, 500))) return TOO_SLOW;
    assertEquals(new URL(srv.url + srv.hits[0]).searchParams.get("token"), TOKEN);
    assert(await eventually(() => drips.every((d) => d.state.cancelled)), "the dripping body was cancelled");
  }, 2);
  // an abort wins the same way: sent once the request is at the server, whatever the machine's speed
  const drip2 = endless(new TextEncoder().encode(" "), 150);
  await using srv2 = loopback(() => new Response(drip2.stream));
  const ctrl = new AbortController();
  const d2 = new DispatcherAPI({ url: srv2.url, token: null });
  const pending = settle(() =>
    d2.getProduct<GetProductOptions>({
      instrument: "isgri",
      product: "x",
      silent: true,
      signal: ctrl.signal,
    })
  );
  assert(await eventually(() => srv2.hits.length === 1, 30_000), "the request reached the server");
  ctrl.abort();
  const a = await pending;
  assert(a.error instanceof OdaError, `${a.error}`);
  assertEquals(a.error.code, "ABORTED");
  assert(await eventually(() => drip2.state.cancelled), "cancelled after the abort");
});

Deno.test("bodies: an endless body stops at maxResponseBytes and after an abort nothing keeps downloading", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let current = endless(chunk, 0);
  await using srv = loopback(() => {
    current = endless(chunk, 0);
    return new Response(current.stream);
  });
  const http = new HttpClient({ baseUrl: srv.url, maxResponseBytes: 1024 * 1024 });
  const big = await assertRejects(() => http.request({ path: "big", params: [], retry: false }), OdaError);
  assertEquals(big.code, "RESPONSE_TOO_LARGE");
  assert(await eventually(() => current.state.cancelled), "cancelled at the cap");
  assert(current.state.sent < 16 * 1024 * 1024, `sent ${current.state.sent} bytes`);
  // abort mid-body: ABORTED (not the 20 s body timeout a missed abort would end in), then the server's
  // byte count stops growing
  const open = new HttpClient({ baseUrl: srv.url, bodyTimeout: 20_000, maxResponseBytes: 2 ** 40 });
  const ctrl = new AbortController();
  const capped = current;
  const p = open.request({ path: "endless", params: [], signal: ctrl.signal });
  // (a new body: the capped one above has sent more than 1 MiB too)
  assert(await eventually(() => current !== capped && current.state.sent > 1024 * 1024), "mid-body");
  ctrl.abort();
  const a = await settle(() => p);
  assert(a.error instanceof OdaError, `no OdaError after ${a.ms} ms: ${a.error}`);
  assertEquals(a.error.code, "ABORTED");
  assertFired("the abort", a.ms, { firesMs: 0, fallbackMs: 20_000 });
  assert(await eventually(() => current.state.cancelled), "the transfer was cancelled");
  const after = current.state.sent;
  await sleep(200);
  assertEquals(current.state.sent, after, "no background download");
});

Deno.test("bodies: drips end at bodyTimeout, silence at idleTimeout; a declared oversize fails before reading", async () => {
  // both bodies end by themselves after 20 s (the fallback): a missed timeout ends there, not in a hang
  const drip = endless(new TextEncoder().encode("["), 50, { closeAfterMs: 20_000 });
  let silenceTimer: ReturnType<typeof setTimeout> | undefined;
  const silence = { cancelled: false };
  await using srv = loopback((_r, u) => {
    if (u.pathname !== "/silent") return new Response(drip.stream);
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new Uint8Array([0x5b])); // then silence
          silenceTimer = setTimeout(() => c.close(), 20_000);
        },
        cancel() {
          silence.cancelled = true;
          clearTimeout(silenceTimer);
        },
      }),
    );
  });
  const http = new HttpClient({ baseUrl: srv.url, idleTimeout: 300, bodyTimeout: 600 });
  const d = await settle(() => http.request({ path: "drip", params: [], retry: false }));
  assert(d.error instanceof OdaError, `no OdaError after ${d.ms} ms: ${d.error}`);
  assertEquals(d.error.code, "TIMEOUT");
  assert(/longer than 600 ms/.test(d.error.message), d.error.message);
  assertFired("bodyTimeout", d.ms, { firesMs: 600, fallbackMs: 20_000 });
  assert(await eventually(() => drip.state.cancelled));
  // the silent body sends one byte, then nothing until it closes after 20 s
  const s = await settle(() => http.request({ path: "silent", params: [], retry: false }));
  assert(s.error instanceof OdaError, `no OdaError after ${s.ms} ms: ${s.error}`);
  assertEquals(s.error.code, "TIMEOUT");
  assert(/no data for 300 ms/.test(s.error.message), s.error.message);
  assertFired("idleTimeout", s.ms, { firesMs: 300, fallbackMs: 20_000 });
  assert(await eventually(() => silence.cancelled));
  let pulled = 0;
  const declared = new Response(
    new ReadableStream({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(10));
      },
    }, { highWaterMark: 0 }),
    { headers: { "content-length": String(2 ** 40) } },
  );
  const e = await assertRejects(
    () => readBodyText(declared, { maxBytes: 1 << 20, idleTimeout: 1000, bodyTimeout: 1000 }),
    OdaError,
  );
  assertEquals([e.code, pulled], ["RESPONSE_TOO_LARGE", 0]);
});

Deno.test("bodies: HTTP gzip is capped on its decoded size (fetch-decoded and self-decoded)", async () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  const gzip = async (b: Uint8Array) =>
    new Uint8Array(
      await new Response(new Blob([b as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
  const bomb = await gzip(zeros);
  assert(bomb.length < 64 * 1024, `bomb is ${bomb.length} bytes`);
  const srv = loopback(() =>
    new Response(bomb as BodyInit, {
      headers: { "content-encoding": "gzip", "content-type": "application/json" },
    })
  );
  try {
    const http = new HttpClient({ baseUrl: srv.url, maxResponseBytes: 1024 * 1024 });
    const e = await assertRejects(() => http.request({ path: "x", params: [], retry: false }), OdaError);
    assertEquals(e.code, "RESPONSE_TOO_LARGE");
  } finally {
    await srv.close();
  }
  // a fetch that hands over the encoded bytes (as some proxies or polyfills do): decoded here, same cap
  const raw = (body: Uint8Array) => () =>
    Promise.resolve(new Response(body as BodyInit, { headers: { "content-encoding": "gzip" } }));
  const self = new HttpClient({ baseUrl: "http://127.0.0.1:9", fetch: raw(bomb), maxResponseBytes: 1 << 20 });
  const e2 = await assertRejects(() => self.request({ path: "x", params: [], retry: false }), OdaError);
  assertEquals(e2.code, "RESPONSE_TOO_LARGE");
  const json = '{"query_status": "done", "n": [1, 2, 3]}';
  const small = new HttpClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: raw(await gzip(new TextEncoder().encode(json))),
  });
  assertEquals((await small.request({ path: "x", params: [] })).text, json);
});

Deno.test("redirects: followed by the client, hops capped, 303 turns a POST into a GET, token rule per hop", async () => {
  const target = loopback((req, u) => new Response(JSON.stringify({ method: req.method, path: u.pathname })));
  const srv = loopback((_req, u) => {
    if (u.pathname === "/loop") return new Response(null, { status: 302, headers: { location: "/loop" } });
    if (u.pathname === "/see-other") {
      return new Response(null, { status: 303, headers: { location: `${target.url}/landed` } });
    }
    if (u.pathname === "/away") {
      // as Flask does: the query (token included) is kept in the Location
      return new Response(null, {
        status: 302,
        headers: { location: `http://dispatcher.example.org/x${u.search}` },
      });
    }
    return new Response(null, { status: 307, headers: { location: `${target.url}/moved${u.search}` } });
  });
  try {
    const guard = loopbackOnlyFetch();
    const http = new HttpClient({ baseUrl: srv.url, fetch: guard.fetch, maxRedirects: 3 });
    const moved = await http.request({ path: "old", params: [["token", TOKEN]] });
    assertEquals(JSON.parse(moved.text), { method: "GET", path: "/moved" }); // loopback http: allowed
    assert(!moved.url.includes(TOKEN), "the reported URL has no token");
    const post = await http.request({ path: "see-other", params: [["a", "1"]], method: "POST" });
    assertEquals(JSON.parse(post.text), { method: "GET", path: "/landed" });
    const before = srv.hits.length;
    const loop = await assertRejects(() => http.request({ path: "loop", params: [] }), OdaError);
    assertEquals(loop.code, "TOO_MANY_REDIRECTS");
    assertEquals(srv.hits.length - before, 4, "first request + 3 redirects");
    const away = await assertRejects(
      () => http.request({ path: "away", params: [["token", TOKEN]] }),
      OdaError,
    );
    assertEquals(away.code, "TOKEN_INSECURE_TRANSPORT");
    assertEquals(guard.elsewhere, [], "the non-loopback host was never contacted");
    assert(!JSON.stringify(away).includes(TOKEN) && !away.message.includes(TOKEN));
    // run_analysis does not follow: the redirect is reported (oda_api's message)
    const ra = await assertRejects(
      () => http.request({ path: "run_analysis", params: [], followRedirects: false }),
      OdaError,
    );
    assertEquals(ra.code, "URL_REDIRECTED");
  } finally {
    await srv.close();
    await target.close();
  }
});

async function makeTestCa(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const openssl = async (args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=oda test CA",
  ]);
  await openssl(["req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"]);
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ]);
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return { ca: await read("ca.pem"), cert: await read("srv.pem"), key: await read("srv.key") };
}

testWithTool(
  "redirects: https → http is never followed with a token (test CA from openssl)",
  "openssl",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "oda-ca-" });
    const pki = await makeTestCa(dir);
    const plain = loopback((_r, u) => new Response(JSON.stringify({ plain: u.pathname })));
    const secure = loopback((_r, u) => {
      if (u.pathname === "/same") return new Response(JSON.stringify({ secure: true }));
      if (u.pathname === "/hop") {
        return new Response(null, { status: 302, headers: { location: `/same${u.search}` } });
      }
      return new Response(null, { status: 302, headers: { location: `${plain.url}/downgraded${u.search}` } });
    }, { cert: pki.cert, key: pki.key });
    const client = Deno.createHttpClient({ caCerts: [pki.ca] });
    try {
      const guard = loopbackOnlyFetch(client);
      const http = new HttpClient({ baseUrl: secure.url, fetch: guard.fetch });
      // https → https with the token: fine
      assertEquals(JSON.parse((await http.request({ path: "hop", params: [["token", TOKEN]] })).text), {
        secure: true,
      });
      // https → http with the token: refused before the http request is made, even to loopback
      const e = await assertRejects(
        () => http.request({ path: "down", params: [["token", TOKEN]] }),
        OdaError,
      );
      assertEquals(e.code, "TOKEN_INSECURE_TRANSPORT");
      assert(/downgrade/.test(e.message), e.message);
      assertEquals(plain.hits, []);
      // without a token the same redirect is followed
      assertEquals(JSON.parse((await http.request({ path: "down", params: [["q", "1"]] })).text), {
        plain: "/downgraded",
      });
      assertEquals(plain.hits, ["/downgraded?q=1"]);
      // the whole client: DispatcherAPI's information calls carry the token and hit the same rule
      const disp = new DispatcherAPI({ url: secure.url, token: TOKEN, fetch: guard.fetch });
      const d = await assertRejects(() => disp.getInstrumentsList(), OdaError);
      assertEquals(d.code, "TOKEN_INSECURE_TRANSPORT");
      assertEquals(plain.hits.length, 1);
    } finally {
      client.close();
      await secure.close();
      await plain.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("bodies: an endless error page is read up to 1 MiB for its message, then cancelled", async () => {
  const head = new TextEncoder().encode(
    "<html><pre>Traceback (most recent call last):\nRuntimeError: disk full</pre>",
  );
  let page = endless(new Uint8Array(64 * 1024).fill(0x20), 0);
  const srv = loopback(() => {
    page = endless(new Uint8Array(64 * 1024).fill(0x20), 0);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(head);
      },
      async pull(c) {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    const reader = page.stream.getReader();
    return new Response(body, { status: 500, headers: { "content-type": "text/html" } });
  });
  try {
    const http = new HttpClient({ baseUrl: srv.url });
    const e = await assertRejects(() => http.request({ path: "x", params: [], retry: false }), OdaError);
    assertEquals(e.code, "DISPATCHER_ERROR");
    assertEquals(e.message, "dispatcher error (HTTP 500): RuntimeError: disk full");
    assert(await eventually(() => page.state.cancelled), "the rest of the page was cancelled");
    assert(page.state.sent < 8 * 1024 * 1024, `sent ${page.state.sent} bytes`);
  } finally {
    await srv.close();
  }
});
