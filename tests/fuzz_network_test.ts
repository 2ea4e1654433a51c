/**
 * Network fuzz: one loopback server plays a seeded mix of hostile behaviours per case (bodies of random size
 * and chunking that drip, stall, never end, lie about their length or arrive gzip-encoded; redirects that
 * loop, go nowhere, leave loopback or downgrade; error statuses with HTML pages; the token echoed back).
 * Every case must end (within a generous multiple of the client's own limits: a hang, not a speed target) in
 * an answer no larger than the cap or an `OdaError` that does not show the token; every body the client gave
 * up on must be cancelled. A failure names the seed and case.
 */
import { HttpClient } from "../lib/client/http.ts";
import { OdaError } from "../lib/errors.ts";
import { getLogger } from "../lib/log.ts";
import { mulberry32 } from "../lib/sandbox/faults.ts";
import { assert } from "./client_replay.ts";
import { loopback } from "./_loopback.ts";

const SEED = 1717;
const CASES = 48;
/** Cases in flight at once: the cases mostly wait for the client's timers, so batches of 16 halve the time of 8. */
const CONCURRENCY = 16;
/** The client's limits: headers within `requestTimeout` (all redirect hops), then the body within `bodyTimeout`. */
const LIMITS = { requestTimeout: 400, idleTimeout: 150, bodyTimeout: 600 };
/**
 * A case still running after this is hung (a missed timer leaves a stalled or endless body running for ever):
 * 4× the longest a case may take plus 4 s, so a loaded machine cannot fail it.
 */
const CASE_LIMIT_MS = 4 * (LIMITS.requestTimeout + LIMITS.bodyTimeout) + 4000;
const CAP = 256 * 1024;
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmdXp6QGV4YW1wbGUub3JnIn0.ZnV6ei1zaWduYXR1cmU";

interface Case {
  kind: "body" | "redirect" | "status";
  size: number;
  chunk: number;
  gapMs: number;
  gzip: boolean;
  endless: boolean;
  stall: boolean;
  lengthHeader: "none" | "true" | "short" | "long";
  status: number;
  location: "self" | "next" | "away" | "none" | "garbage" | "https";
  echo: boolean;
  withToken: boolean;
}

function makeCases(seed: number): Case[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: CASES }, () => ({
    kind: pick(["body", "body", "body", "redirect", "status"] as const),
    size: Math.floor(2 ** (r() * 20)), // 1 B .. 1 MiB
    chunk: Math.max(1, Math.floor(2 ** (r() * 16))),
    gapMs: r() < 0.5 ? 0 : Math.floor(r() * 200),
    gzip: r() < 0.3,
    endless: r() < 0.15,
    stall: r() < 0.1,
    lengthHeader: pick(["none", "true", "short", "long"] as const),
    status: pick([301, 302, 303, 307, 308, 400, 403, 404, 500, 502, 503, 418] as const),
    location: pick(["self", "next", "away", "none", "garbage", "https"] as const),
    echo: r() < 0.5,
    withToken: r() < 0.6,
  }));
}

/** The cases themselves; run in a process of their own so that the RSS bound measures only this fuzz. */
async function runFuzz(): Promise<void> {
  getLogger("oda_api").setLevel("CRITICAL");
  const cases = makeCases(SEED);
  const streams: { id: number; done: boolean }[] = [];
  await using server = loopback((_req, u) => {
    const id = Number(u.pathname.split("/")[2]);
    const c = cases[id];
    const echoed = c.echo ? (u.searchParams.get("token") ?? "") : "";
    if (c.kind === "redirect") {
      const location = {
        self: `/case/${id}${u.search}`,
        next: `/case/${(id + 1) % CASES}${u.search}`,
        away: `http://fuzz.example.org/case/${id}${u.search}`,
        none: undefined,
        garbage: "http://[::1",
        https: `https://127.0.0.1:1/case/${id}${u.search}`,
      }[c.location];
      return new Response(echoed, { status: c.status, headers: location ? { location } : {} });
    }
    if (c.kind === "status") {
      return new Response(
        `<html><title>${c.status}</title><body><pre>Traceback (most recent call last):\nValueError: ${echoed}</pre></body></html>`,
        { status: c.status, headers: { "content-type": "text/html" } },
      );
    }
    const state = { id, done: false };
    streams.push(state);
    const payload = new TextEncoder().encode(`{"token": "${echoed}", "x": "` + "a".repeat(c.size) + '"}');
    let sent = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (c.gapMs) await new Promise((res) => (timer = setTimeout(res, c.gapMs)));
        if (state.done) return;
        if (c.stall && sent > 0) return new Promise<void>(() => {}); // never another byte, never closed
        if (!c.endless && sent >= payload.length) {
          state.done = true;
          ctrl.close();
          return;
        }
        const part = c.endless
          ? new Uint8Array(c.chunk).fill(0x20)
          : payload.subarray(sent, Math.min(payload.length, sent + c.chunk));
        sent += part.length;
        ctrl.enqueue(part);
      },
      cancel() {
        state.done = true;
        clearTimeout(timer);
      },
    }, { highWaterMark: 0 });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (c.gzip) {
      body = body.pipeThrough(
        new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
      );
      headers["content-encoding"] = "gzip";
    }
    if (c.lengthHeader !== "none" && !c.gzip && !c.endless) {
      const n = payload.length + (c.lengthHeader === "short" ? -1 : c.lengthHeader === "long" ? 1000 : 0);
      headers["content-length"] = String(Math.max(0, n));
    }
    return new Response(body, { status: 200, headers });
  });
  const base = server.url;
  const elsewhere: string[] = [];
  const guarded = (input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(String(input));
    if (u.hostname !== "127.0.0.1") {
      elsewhere.push(u.href);
      return Promise.reject(new TypeError("fuzz: refused to leave loopback"));
    }
    return fetch(input, init);
  };
  const http = new HttpClient({
    baseUrl: base,
    fetch: guarded,
    ...LIMITS,
    maxResponseBytes: CAP,
    maxRedirects: 3,
  });
  const rssBefore = Deno.memoryUsage().rss;
  const outcomes: Record<string, number> = {};
  const runCase = async (id: number) => {
    const c = cases[id];
    let limit: ReturnType<typeof setTimeout> | undefined;
    const overdue = new Promise<"overdue">((
      res,
    ) => (limit = setTimeout(() => res("overdue"), CASE_LIMIT_MS)));
    const run = http.request({
      path: `case/${id}`,
      params: c.withToken ? [["token", TOKEN], ["q", String(id)]] : [["q", String(id)]],
      retry: false,
    }).then((v) => v, (e: unknown) => e);
    const out = await Promise.race([run, overdue]);
    clearTimeout(limit);
    const where = `seed ${SEED} case ${id} ${JSON.stringify(c)}`;
    assert(out !== "overdue", `${where}: no outcome within ${CASE_LIMIT_MS} ms`);
    if (out instanceof OdaError) {
      outcomes[out.code] = (outcomes[out.code] ?? 0) + 1;
      const shown = [Deno.inspect(out, { depth: Infinity }), JSON.stringify(out), out.stack ?? ""].join("\n");
      assert(!shown.includes(TOKEN), `${where}: the error shows the token`);
    } else {
      assert(!(out instanceof Error), `${where}: untyped ${String(out)}`);
      const res = out as { text: string };
      outcomes.ok = (outcomes.ok ?? 0) + 1;
      assert(new TextEncoder().encode(res.text).length <= CAP, `${where}: answer above the cap`);
      assert(!res.text.includes(TOKEN), `${where}: the answer echoes the token`);
    }
  };
  for (let i = 0; i < CASES; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CASES - i) }, (_, k) => runCase(i + k)));
  }
  // every body the client stopped reading was cancelled (no download goes on in the background)
  const end = Date.now() + 2000;
  while (streams.some((s) => !s.done) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const open = streams.filter((s) => !s.done).map((s) => s.id);
  assert(open.length === 0, `bodies still streaming after their request ended: cases ${open.join(", ")}`);
  const grown = (Deno.memoryUsage().rss - rssBefore) / 2 ** 20;
  assert(grown < 256, `RSS grew by ${grown.toFixed(0)} MiB`);
  // a request carrying the token never went off loopback (the transport rule stops it before fetch)
  assert(elsewhere.every((u) => !u.includes(TOKEN)), "the token was sent off loopback");
  // the mix really exercised the limits
  for (const code of ["TIMEOUT", "RESPONSE_TOO_LARGE", "ok"]) {
    assert((outcomes[code] ?? 0) > 0, `no case ended in ${code}: ${JSON.stringify(outcomes)}`);
  }
}

if (import.meta.main) {
  await runFuzz();
} else {
  Deno.test(`fuzz: hostile loopback servers (${CASES} cases, seed ${SEED}) end in a bounded answer or an OdaError`, async () => {
    // `deno test --parallel` runs every test file in one process: the RSS bound below would measure the
    // other files' work too, so the cases run in a child process with a bounded heap.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--max-old-space-size=512", new URL(import.meta.url).pathname],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assert(out.code === 0, `the fuzz child failed (exit ${out.code}):\n${text.slice(-4000)}`);
  });
}
