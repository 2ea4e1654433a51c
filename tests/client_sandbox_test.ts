/**
 * Client against the sandbox dispatcher over real HTTP on 127.0.0.1:
 * sync and async queries, failures, unknown parameters, 400/403/500, token
 * refresh and e-mail disabling with writing, resume after a dropped
 * connection, abort, deadline, transient faults, cache, metadata endpoints.
 * Only fault cases the sandbox cannot produce (redirects, malformed JSON,
 * a dropped connection) use an injected fetch.
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI, type GetProductOptions } from "../lib/client/dispatcher.ts";
import type { JobEvent } from "../lib/client/events.ts";
import {
  DecodeError,
  DispatcherError,
  JobFailedError,
  OdaError,
  TokenError,
  UnauthorizedError,
} from "../lib/errors.ts";
import type { LogRecord } from "../lib/log.ts";
import { decodeOdaToken } from "../lib/token/decode.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  captureLogs,
} from "./client_replay.ts";

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
type SandboxOptions = Parameters<typeof startSandbox>[0];

/** Run `fn` with a sandbox that is always closed. */
async function withSandbox(opts: SandboxOptions, fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await startSandbox({ port: 0, seed: 7, ...opts });
  try {
    await fn(sb);
  } finally {
    await sb.close();
  }
}

/** A fetch wrapper recording every request URL/body and every answer. */
function recordingFetch(inner: typeof fetch = fetch) {
  const log: {
    url: string;
    body?: string | undefined;
    status?: number | undefined;
    text?: string;
    error?: string | undefined;
  }[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const entry: (typeof log)[number] = {
      url: String(input),
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    log.push(entry);
    try {
      const res = await inner(input, init);
      const text = await res.text();
      entry.status = res.status;
      entry.text = text;
      return new Response(text, { status: res.status, headers: res.headers });
    } catch (e) {
      entry.error = String(e);
      throw e;
    }
  };
  return { fetch: f, log };
}

function paramsOf(entry: { url: string; body?: string | undefined }): URLSearchParams {
  return new URLSearchParams(entry.body ?? new URL(entry.url).search);
}

const GENERAL = { roles: "general" };

Deno.test("sync query: Dummy numerical product decoded, token sent, logs as oda_api", async () => {
  await withSandbox({}, async (sb) => {
    const token = await sb.mintToken(GENERAL);
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token, fetch: rec.fetch });
    const { value, error, records } = await captureLogs(() =>
      disp.getProduct({
        instrument: "empty",
        product: "numerical",
        product_type: "Dummy",
        p: 5,
        silent: true,
      })
    );
    if (error) throw error;
    assert(value!._p_list.length >= 1);
    const ra = rec.log.filter((e) => e.url.includes("/run_analysis"));
    assertEquals(ra.length, 1);
    const p = paramsOf(ra[0]);
    assertEquals(p.get("token"), token);
    assertEquals(p.get("api"), "True");
    assertEquals(p.get("query_status"), "new");
    assertEquals(p.get("product_type"), "numerical");
    assertEquals(p.get("query_type"), "Dummy");
    assertEquals(p.get("session_id"), disp.sessionId);
    const messages = records.map((r) => r.message);
    assert(messages.some((m) => /^session: [A-Z0-9]{16} job: [0-9a-f]{16}$/.test(m)), messages.join("\n"));
    assert(messages.includes("... query status prepared => done"));
    assert(messages.some((m) => /^\.\.\. assigned job id: [0-9a-f]{16}$/.test(m)));
    assert(messages.includes("query COMPLETED SUCCESSFULLY (state done)"));
    // silent: no advice
    assert(!records.some((r) => r.name === "oda_api.advice"));
    // never the token in logs
    assert(!messages.some((m) => m.includes(token)));
  });
});

Deno.test("large payload (selected_catalog JSON string) goes as a form POST; catalog comes back", async () => {
  await withSandbox({}, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: await sb.mintToken(GENERAL), fetch: rec.fetch });
    const names = Array.from({ length: 40 }, (_, i) => `Source number ${i}`);
    const catalog = JSON.stringify({
      cat_lon_name: "ra",
      cat_lat_name: "dec",
      cat_frame: "fk5",
      cat_coord_units: "deg",
      cat_column_list: [
        names.map((_, i) => i + 1),
        names,
        names.map(() => 7),
        names.map((_, i) => i),
        names.map(() => 20),
      ],
      cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec"],
    });
    const data = await disp.getProduct({
      instrument: "empty",
      product: "numerical",
      product_type: "Dummy",
      p: 5,
      selected_catalog: catalog,
      silent: true,
    });
    const ra = rec.log.filter((e) => e.url.includes("/run_analysis"));
    assertEquals(ra.length, 1);
    assert(ra[0].body !== undefined && !ra[0].url.includes("?"), "expected a form POST");
    assertEquals(paramsOf(ra[0]).get("selected_catalog"), catalog);
    assert(data._p_list.length >= 2, `products: ${data._p_list.length}`);
  });
});

Deno.test("async lifecycle: submitted → … → ready → done, events and echoed state", async () => {
  await withSandbox({ jobDuration: 1 }, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: rec.fetch });
    const events: JobEvent[] = [];
    const data = await disp.getProduct({
      instrument: "empty-async",
      product: "dummy",
      scw_list: ["066500220010.001", "066500230010.001"],
      silent: true,
      onEvent: (e) => events.push(e),
    });
    assert(data !== undefined);
    const ra = rec.log.filter((e) => e.url.includes("/run_analysis")).map(paramsOf);
    assert(ra.length >= 3, `only ${ra.length} requests`);
    assertEquals(ra[0].get("query_status"), "new");
    assertEquals(ra[0].has("job_id"), false);
    assertEquals(ra[0].getAll("scw_list"), ["066500220010.001", "066500230010.001"]);
    const answers = rec.log.filter((e) => e.url.includes("/run_analysis")).map((e) => JSON.parse(e.text!));
    const jobId = answers[0].job_monitor.job_id;
    for (let i = 1; i < ra.length; i++) {
      // echo of the previous answer's query_status, the job id and the first answer's session id
      assertEquals(ra[i].get("query_status"), answers[i - 1].query_status);
      assertEquals(ra[i].get("job_id"), jobId);
      assertEquals(ra[i].get("session_id"), answers[0].session_id);
    }
    const statuses = answers.map((a) => a.query_status);
    assertEquals(statuses.at(-1), "done");
    assertEquals(statuses.at(-2), "ready");
    const types = events.map((e) => e.type);
    assertEquals(types[0], "submitted");
    assertEquals(types.at(-1), "done");
    assert(events.every((e) => e.instrument === "empty-async" && e.product === "dummy"));
    assertEquals(events.at(-1)!.jobId, jobId);
  });
});

Deno.test("failed job raises JobFailedError and logs the failure", async () => {
  await withSandbox({}, async (sb) => {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const { error, records } = await captureLogs(() =>
      disp.getProduct({ instrument: "empty", product: "failing", product_type: "Dummy", silent: true })
    );
    assertInstanceOf(error, JobFailedError);
    assertEquals(error.code, "JOB_FAILED");
    assert(error.jobId && /^[0-9a-f]{16}$/.test(error.jobId));
    assert(records.some((r) => r.message === "query COMPLETED with FAILURE (state failed)"));
  });
});

Deno.test("unknown parameter: warning listing the valid names, server comment shown once", async () => {
  await withSandbox({}, async (sb) => {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const { error, records } = await captureLogs(() =>
      disp.getProduct<GetProductOptions>({
        instrument: "empty",
        product: "dummy",
        product_type: "Dummy",
        no_such_par: 1,
      })
    );
    if (error) throw error;
    const warn = records.find((r) => r.fields.event === "unknown_parameter");
    assert(warn, "no unknown-parameter warning");
    assertEquals(warn.level, "WARNING");
    assertMatch(
      warn.message,
      /^\n-{76}\nthe parameter: no_such_par {3}is not among valid ones:\n\['src_name', 'RA', .*\]\n-{76}\n$/,
    );
    assert(records.some((r) => r.level === "WARNING" && /argument no_such_par is not used/.test(r.message)));
    // the advice (not silent) at WARNING on oda_api.advice, only once per process
    const advice = records.filter((r) => r.name === "oda_api.advice");
    assert(advice.length <= 1);
  });
});

Deno.test("strict parameter check raises UNKNOWN_PARAMETER before any query", async () => {
  await withSandbox({}, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({
      url: sb.url,
      token: null,
      fetch: rec.fetch,
      strict_parameter_check: true,
    });
    const e = await assertRejects(
      () =>
        disp.getProduct<GetProductOptions>({
          instrument: "empty",
          product: "dummy",
          product_type: "Dummy",
          typo: 1,
          silent: true,
        }),
      OdaError,
    );
    assertEquals(e.code, "UNKNOWN_PARAMETER");
    assertEquals(rec.log.filter((x) => x.url.includes("/run_analysis")).length, 0);
  });
});

Deno.test("400 parameter error, 403 expired token, 403 missing roles: typed, with the server's words", async () => {
  await withSandbox({}, async (sb) => {
    const pub = new DispatcherAPI({ url: sb.url, token: null });
    const bad = await assertRejects(
      () =>
        pub.getProduct({
          instrument: "empty",
          product: "restricted",
          product_type: "Dummy",
          bounded_int_par: 20,
          silent: true,
        }),
      DispatcherError,
    );
    assertEquals(bad.code, "REQUEST_NOT_UNDERSTOOD");
    assertEquals(bad.status, 400);
    assertMatch(bad.message, /bounded_int_par wrong value 20/);

    const expiredToken = await sb.mintToken({ ...GENERAL, exp: Math.floor(Date.now() / 1000) - 3600 });
    const exp = new DispatcherAPI({ url: sb.url, token: expiredToken });
    const e1 = await assertRejects(
      () =>
        exp.getProduct({
          instrument: "empty",
          product: "numerical",
          product_type: "Dummy",
          p: 5,
          silent: true,
        }),
      TokenError,
    );
    assertEquals(e1.code, "TOKEN_EXPIRED");
    assertMatch(e1.message, /expired.*refresh it or get a new one/s);
    assert(!e1.message.includes(expiredToken));

    const general = new DispatcherAPI({ url: sb.url, token: await sb.mintToken(GENERAL) });
    const e2 = await assertRejects(
      () =>
        general.getProduct({
          instrument: "empty",
          product: "numerical",
          product_type: "Dummy",
          p: 55,
          silent: true,
        }),
      UnauthorizedError,
    );
    assertEquals(e2.status, 403);
    assertEquals(e2.details?.missing_roles, ["unige-hpc-full"]);
  });
});

Deno.test("500 from the dispatcher fails at once (no retry) with DISPATCHER_ERROR", async () => {
  await withSandbox({ faults: { errorRate: 1, statuses: [500] } }, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: rec.fetch, parameter_check: false });
    const e = await assertRejects(
      () => disp.getProduct({ instrument: "empty", product: "dummy", product_type: "Dummy", silent: true }),
      DispatcherError,
    );
    assertEquals(e.code, "DISPATCHER_ERROR");
    assertEquals(e.status, 500);
    assertEquals(rec.log.length, 1);
  });
});

Deno.test("refreshToken and disableEmailToken write the new token (temp cwd/home/env)", async () => {
  await withSandbox({}, async (sb) => {
    const cwd = await Deno.makeTempDir({ prefix: "oda-client-cwd-" });
    const home = await Deno.makeTempDir({ prefix: "oda-client-home-" });
    const vars = new Map<string, string>();
    const env = {
      get: (k: string) => vars.get(k),
      set: (k: string, v: string) => void vars.set(k, v),
      delete: (k: string) => void vars.delete(k),
    };
    try {
      const token = await sb.mintToken({
        roles: "general,refresh-tokens",
        msdone: true,
        mssub: true,
        msfail: true,
      });
      const rec = recordingFetch();
      const disp = new DispatcherAPI({ url: sb.url, token, fetch: rec.fetch });
      const fresh = await disp.refreshToken(token, {
        write_token: true,
        token_write_methods: ["FILE_CUR_DIR", "FILE_HOME"],
        refresh_interval: 3600,
        write_options: { cwd, home, env },
      });
      const p = paramsOf(rec.log[0]);
      assertEquals(new URL(rec.log[0].url).pathname, "/refresh_token");
      assertEquals(p.get("query_status"), "new");
      assertEquals(p.get("refresh_interval"), "3600");
      assert(decodeOdaToken(fresh).exp! > decodeOdaToken(token).exp!);
      assertEquals((await Deno.readTextFile(`${cwd}/.oda-token`)).trim(), fresh);
      assertEquals((await Deno.readTextFile(`${home}/.oda-token`)).trim(), fresh);
      assertEquals(disp.token, fresh);

      const quiet = await disp.disableEmailToken(undefined, {
        write_token: true,
        token_write_methods: ["FILE_CUR_DIR"],
        write_options: { cwd, home, env },
      });
      const q = paramsOf(rec.log[1]);
      assertEquals(new URL(rec.log[1].url).pathname, "/update_token_email_options");
      assertEquals([q.get("msfail"), q.get("mssub"), q.get("msdone"), q.get("query_status")], [
        "False",
        "False",
        "False",
        "new",
      ]);
      const payload = decodeOdaToken(quiet) as Record<string, unknown>;
      assertEquals([payload.msfail, payload.mssub, payload.msdone], [false, false, false]);
      assertEquals((await Deno.readTextFile(`${cwd}/.oda-token`)).trim(), quiet);

      // missing role: 403 with the role named
      const plain = await sb.mintToken(GENERAL);
      const e = await assertRejects(() => disp.refreshToken(plain), UnauthorizedError);
      assertEquals(e.details?.missing_roles, ["refresh-tokens"]);
    } finally {
      await Deno.remove(cwd, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  });
});

Deno.test("resume after a dropped connection: same job, no second submission", async () => {
  await withSandbox({ jobDuration: 1.5 }, async (sb) => {
    let dropped = false;
    const rec = recordingFetch((input, init) => {
      if (dropped) return Promise.reject(new TypeError("connection reset by peer (simulated)"));
      return fetch(input, init);
    });
    const disp = new DispatcherAPI({
      url: sb.url,
      token: null,
      fetch: rec.fetch,
      retryBudget: 300,
      backoffBase: 20,
    });
    const job = await disp.submit({
      instrument: "empty-async",
      product: "dummy",
      scw_list: "066500220010.001",
    });
    assertEquals(job.status, "submitted");
    dropped = true;
    const lost = await assertRejects(() => job.wait({ silent: true }), DispatcherError);
    assertEquals(lost.code, "NETWORK");
    const saved = JSON.parse(JSON.stringify(job));
    // kernel restart: a new process would do exactly this
    const rec2 = recordingFetch();
    const resumed = DispatcherAPI.resume(saved, { token: null, fetch: rec2.fetch });
    assertEquals(resumed.jobId, job.jobId);
    const data = await resumed.result({ silent: true });
    assert(data !== undefined);
    assertEquals(resumed.status, "done");
    const sent = rec2.log.map(paramsOf);
    assert(sent.every((p) => p.get("query_status") !== "new"), "resume must not submit again");
    assert(sent.every((p) => p.get("job_id") === job.jobId && p.get("session_id") === job.sessionId));
    // a finished job can be resumed too (products fetched again with `ready`)
    const again = DispatcherAPI.resume(JSON.stringify(resumed), { token: null });
    await again.result({ silent: true });
    assertEquals(again.status, "done");
    // a handle that is not JSON is a typed usage error, not a bare SyntaxError
    const bad = await assertRejects(
      () => Promise.resolve(DispatcherAPI.resume("{not json", { token: null })),
      OdaError,
    );
    assertEquals(bad.code, "INVALID_ARGUMENT");
  });
});

Deno.test("AbortSignal cancels a wait promptly; the total deadline raises TIMEOUT", async () => {
  await withSandbox({ jobDuration: 30 }, async (sb) => {
    // Polls 20 s apart: a signal or deadline noticed only at the next poll would take ≥ 20 s, so the
    // 10 s bounds fail on a missed signal yet leave room for a loaded machine (speed targets live in bench/).
    const POLL_MS = 20_000;
    const PROMPT_MS = POLL_MS / 2;
    const disp = new DispatcherAPI({
      url: sb.url,
      token: null,
      pollInterval: { min: POLL_MS, max: POLL_MS },
    });
    const ctrl = new AbortController();
    const t0 = Date.now();
    const timer = setTimeout(() => ctrl.abort(), 300);
    const e = await assertRejects(
      () =>
        disp.getProduct({ instrument: "empty-async", product: "dummy", signal: ctrl.signal, silent: true }),
      OdaError,
    );
    clearTimeout(timer);
    assertEquals(e.code, "ABORTED");
    assert(Date.now() - t0 < PROMPT_MS, `abort took ${Date.now() - t0} ms`); // the job lasts 30 s

    const t1 = Date.now();
    const d = await assertRejects(
      () => disp.getProduct({ instrument: "empty-async", product: "dummy", timeout: 700, silent: true }),
      OdaError,
    );
    const took = Date.now() - t1;
    assertEquals(d.code, "TIMEOUT");
    assert(d.jobId && /^[0-9a-f]{16}$/.test(d.jobId));
    assertMatch(d.message, /resume it with DispatcherAPI\.resume/);
    assert(took >= 650 && took < PROMPT_MS, `deadline after ${took} ms`); // the job lasts 30 s
  });
});

Deno.test("20 % transient faults: every job completes, none lost, none duplicated", async () => {
  await withSandbox({
    seed: 3,
    jobDuration: 0.3,
    faults: { resetRate: 0.07, errorRate: 0.07, statuses: [502, 503, 504], slowRate: 0.06, slowMs: 1500 },
  }, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({
      url: sb.url,
      token: null,
      fetch: rec.fetch,
      requestTimeout: 400, // slow replies (1.5 s) become request timeouts, retried
      backoffBase: 20,
      backoffMax: 200,
      pollInterval: { min: 50, max: 300 },
    });
    const retries: JobEvent[] = [];
    // make_hash hashes a string as its *sorted characters*, so anagram scw ids (…201010… / …210010…) are one
    // and the same job for the dispatcher: use ids whose digit multisets differ.
    const queries = Array.from({ length: 10 }, (_, i) => ({
      instrument: "empty-async",
      product: "dummy",
      scw_list: `0665${String(i).repeat(4)}0010.001`,
      silent: true,
      onEvent: (e: JobEvent) => e.type === "retry" && retries.push(e),
    }));
    const results = await disp.getProducts(queries, { concurrency: 4 });
    const failed = results.filter((r) => r.status === "rejected");
    assertEquals(failed.map((r) => String((r as PromiseRejectedResult).reason)), []);
    const faults = rec.log.filter((e) => e.error !== undefined || (e.status ?? 200) >= 500);
    assert(faults.length > 0, "no fault was injected");
    const st = sb.stats().faults;
    assert(st.errors > 0 && st.resets > 0 && st.slow > 0, JSON.stringify(st));
    assert(retries.length >= faults.length - 1);
    // job ids seen in answers: one per query, each submitted query answered for exactly one job
    const ids = new Map<string, Set<string>>();
    for (const e of rec.log) {
      if (!e.text || e.status !== 200 || !e.url.includes("/run_analysis")) continue;
      const scw = paramsOf(e).get("scw_list")!;
      const id = JSON.parse(e.text).job_monitor?.job_id;
      if (!ids.has(scw)) ids.set(scw, new Set());
      ids.get(scw)!.add(id);
    }
    assertEquals(ids.size, queries.length);
    for (const set of ids.values()) assertEquals(set.size, 1);
    assertEquals(new Set([...ids.values()].map((s) => [...s][0])).size, queries.length);
    // server side: exactly one job record per query
    assertEquals(sb.stats().jobs, queries.length);
  });
});

Deno.test("cache: finished answers reused per parameters and user, failures never cached", async () => {
  await withSandbox({}, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: rec.fetch, cache: { ttlMs: 60_000 } });
    const q = { instrument: "empty", product: "numerical", product_type: "Dummy", p: 5, silent: true };
    const general = await sb.mintToken(GENERAL);
    await disp.getProduct({ ...q, token: general });
    const n = rec.log.filter((e) => e.url.includes("/run_analysis")).length;
    await disp.getProduct({ ...q, token: general });
    assertEquals(rec.log.filter((e) => e.url.includes("/run_analysis")).length, n);
    assertEquals(disp.cache!.hits, 1);
    // another user: not served from the first user's entry
    await disp.getProduct({
      ...q,
      token: await sb.mintToken({ roles: "general", sub: "other@example.org" }),
    });
    assert(rec.log.filter((e) => e.url.includes("/run_analysis")).length > n);
    const f = { instrument: "empty", product: "failing", product_type: "Dummy", silent: true };
    await assertRejects(() => disp.getProduct(f), JobFailedError);
    await assertRejects(() => disp.getProduct(f), JobFailedError);
    assertEquals(disp.cache!.size, 2);
  });
});

Deno.test("metadata endpoints: instruments, descriptions, inspect-state, resolve_name", async () => {
  await withSandbox({}, async (sb) => {
    const token = await sb.mintToken({ roles: "general,job manager" });
    const disp = new DispatcherAPI({ url: sb.url, token });
    const instruments = await disp.getInstrumentsList();
    assert(instruments.includes("empty"));
    const descr = await disp.getProductDescription({
      instrument: "empty",
      product_name: "numerical",
      silent: true,
    });
    assertEquals(descr.queries[0].query_name, "src_query");
    assert(descr.queries.some((q) => q.product_name === "numerical"));
    assertMatch(
      descr.text,
      /^-{14}\nparameters for product numerical and instrument empty\n-{14}\nquery_name: src_query\n/,
    );
    const meta = await disp.getInstrumentDescription({ instrument: "empty" });
    assert(Array.isArray(meta));
    await disp.getProduct({
      instrument: "empty",
      product: "numerical",
      product_type: "Dummy",
      p: 5,
      silent: true,
    });
    const state = await disp.inspectState();
    assert(Array.isArray(state.records));
    const named = await disp.resolveName("Crab");
    assertEquals(typeof named, "object");
  });
});

Deno.test("token safety: never over plain http to a remote host, never in repr/JSON", async () => {
  const calls: string[] = [];
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9.c2ln";
  const disp = new DispatcherAPI({
    url: "http://dispatcher.example.org/mmoda/dispatch-data",
    token,
    fetch: (u) => {
      calls.push(String(u));
      return Promise.reject(new Error("must not be called"));
    },
  });
  const e = await assertRejects(
    () => disp.getProduct({ instrument: "isgri", product: "isgri_image", silent: true }),
    TokenError,
  );
  assertEquals(e.code, "TOKEN_INSECURE_TRANSPORT");
  await assertRejects(() => disp.refreshToken(), TokenError);
  assertEquals(calls, []);
  for (const text of [Deno.inspect(disp), JSON.stringify(disp), String(disp)]) {
    assert(!text.includes(token), text);
  }
  assertEquals(String(disp), "[ DispatcherAPI: http://dispatcher.example.org/mmoda/dispatch-data ]");
  // URL validation and aliases, no network needed
  assertEquals(
    new DispatcherAPI({ url: "production", token: null }).url,
    "https://www.astro.unige.ch/mmoda/dispatch-data",
  );
  assertEquals(new DispatcherAPI({ token: null }).url, "https://www.astro.unige.ch/mmoda/dispatch-data");
  assertEquals(
    new DispatcherAPI({ url: "staging", token: null }).url,
    "https://dispatcher-staging.obsuks1.unige.ch",
  );
  for (const bad of ["https://x.org/a_b", "https://x.org/a?b=1", "ftp://x.org", "nonsense alias"]) {
    let code = "";
    try {
      new DispatcherAPI({ url: bad, token: null });
    } catch (err) {
      code = (err as OdaError).code;
    }
    assertEquals(code, "INVALID_URL", bad);
  }
});

Deno.test("redirect on run_analysis names the new URL; malformed JSON is a DecodeError with a snippet", async () => {
  const redirecting = new DispatcherAPI({
    url: "http://127.0.0.1:9",
    token: null,
    parameter_check: false,
    fetch: () =>
      Promise.resolve(
        new Response("", {
          status: 302,
          headers: { location: "https://moved.example.org/dispatch-data/run_analysis" },
        }),
      ),
  });
  const r = await assertRejects(
    () => redirecting.getProduct({ instrument: "empty", product: "dummy", silent: true }),
    DispatcherError,
  );
  assertEquals(r.code, "URL_REDIRECTED");
  assertMatch(r.message, /reinitialize DispatcherAPI with "https:\/\/moved.example.org\/dispatch-data"/);

  const garbled = new DispatcherAPI({
    url: "http://127.0.0.1:9",
    token: null,
    parameter_check: false,
    fetch: () => Promise.resolve(new Response("<html>Bad Gateway page</html>", { status: 200 })),
  });
  const g = await assertRejects(
    () => garbled.getProduct({ instrument: "empty", product: "dummy", silent: true }),
    DecodeError,
  );
  assertEquals(g.code, "MALFORMED_RESPONSE");
  assertMatch(g.message, /<html>Bad Gateway page/);
});

Deno.test("token expiring mid-job: TOKEN_EXPIRED with the job id, refresh, resume to the end", async () => {
  await withSandbox({ jobDuration: 0.8, faults: { expireTokenMidJob: 1 } }, async (sb) => {
    const token = await sb.mintToken({ roles: "general,refresh-tokens" });
    const disp = new DispatcherAPI({ url: sb.url, token, pollInterval: { min: 50, max: 100 } });
    const job = await disp.submit({
      instrument: "empty-async",
      product: "dummy",
      scw_list: "066500220010.001",
    });
    const e = await assertRejects(() => job.wait({ silent: true }), TokenError);
    assertEquals(e.code, "TOKEN_EXPIRED");
    assertEquals(e.jobId, job.jobId);
    const fresh = await disp.refreshToken();
    assertEquals(disp.token, fresh);
    const resumed = DispatcherAPI.resume(job.toJSON(), { token: fresh });
    await resumed.result({ silent: true });
    assertEquals(resumed.status, "done");
    assertEquals(resumed.jobId, job.jobId);
  });
});

Deno.test("installed progress reporter receives the job's events and is closed; not used when silent", async () => {
  const { setProgressReporterFactory, getProgressReporterFactory } = await import("../lib/client/events.ts");
  const previous = getProgressReporterFactory();
  const seen: string[] = [];
  let created = 0;
  let closed = 0;
  setProgressReporterFactory((j) => {
    created++;
    assertEquals([j.instrument, j.product, j.silent], ["empty-async", "dummy", false]);
    return { onEvent: (e) => seen.push(e.type), close: () => void closed++ };
  });
  try {
    await withSandbox({ jobDuration: 0.3 }, async (sb) => {
      const disp = new DispatcherAPI({ url: sb.url, token: null });
      const q = { instrument: "empty-async", product: "dummy", scw_list: "066500220010.001" };
      await disp.getProduct({ ...q, silent: true });
      assertEquals(created, 0);
      await disp.getProduct({ ...q, scw_list: "066500230010.001" });
      assertEquals([created, closed], [1, 1]);
      assertEquals(seen[0], "submitted");
      assertEquals(seen.at(-1), "done");
      assert(seen.includes("progress"));
    });
  } finally {
    setProgressReporterFactory(previous);
  }
});

Deno.test("a discovered token (ODA_TOKEN / .oda-token) is sent with queries", async () => {
  await withSandbox({}, async (sb) => {
    const token = await sb.mintToken(GENERAL);
    const cwd = await Deno.makeTempDir({ prefix: "oda-client-disc-" });
    try {
      await Deno.writeTextFile(`${cwd}/.oda-token`, token + "\n");
      const vars = new Map<string, string>();
      const env = { get: (k: string) => vars.get(k), set: () => {}, delete: () => {} };
      const rec = recordingFetch();
      const disp = new DispatcherAPI({
        url: sb.url,
        fetch: rec.fetch,
        token_discovery: { cwd, home: cwd, env },
      });
      assertEquals(disp.token, token);
      await disp.getProduct({
        instrument: "empty",
        product: "numerical",
        product_type: "Dummy",
        p: 5,
        silent: true,
      });
      const ra = rec.log.filter((e) => e.url.includes("/run_analysis"));
      assertEquals(paramsOf(ra[0]).get("token"), token);
      // explicit opt-out
      const pub = new DispatcherAPI({ url: sb.url, token: null, token_discovery: { cwd, home: cwd, env } });
      assertEquals(pub.token, undefined);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  });
});

Deno.test("returned analysis_parameters: no warning after the server's normalisation, one for a real mismatch", async () => {
  await withSandbox({ jobDuration: 0 }, async (sb) => {
    const token = await sb.mintToken(GENERAL);
    const disp = new DispatcherAPI({ url: sb.url, token });
    const mismatchWarnings = (records: LogRecord[]) =>
      records.filter((r) => r.level === "WARNING" && r.fields.event === "parameters_mismatch");
    // mjd times (echoed as isot), numbers as strings / ints (echoed as floats), lists, defaults added,
    // an unused argument (dropped): none of that is a mismatch
    const queries = [
      {
        instrument: "isgri",
        product: "isgri_image",
        T1: "58000.25",
        T2: "58001",
        T_format: "mjd",
        RA: "83.63",
        DEC: 22,
        E1_keV: 28,
        E2_keV: "40.0",
        scw_list: ["066500220010.001"],
      },
      {
        instrument: "isgri",
        product: "isgri_lc",
        T1: "2019-01-01",
        T2: "2019-01-02T00:00:00",
        time_bin: 1000,
      },
      { instrument: "spi_acs", product: "spi_acs_lc", T1: "2022-07-01T00:00:00", T2: "2022-07-01T00:10:00" },
      { instrument: "empty", product: "numerical", product_type: "Dummy", p: 5 },
    ];
    for (const q of queries) {
      const { error, records } = await captureLogs(() => disp.getProduct({ ...q, silent: true }));
      if (error) throw error;
      assertEquals(mismatchWarnings(records), [], `${q.instrument}/${q.product}`);
    }
    // the done answer carries another query's T2 (an anagram, same job id upstream): warned once
    const swapping = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const res = await fetch(input, init);
      const text = await res.text();
      const j = JSON.parse(text);
      if (j.query_status === "done" && j.products?.analysis_parameters) {
        j.products.analysis_parameters.T2 = "2022-07-01T01:00:00.000";
        return new Response(JSON.stringify(j), { status: res.status, headers: res.headers });
      }
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const swapped = new DispatcherAPI({ url: sb.url, token, fetch: swapping });
    const { error, records } = await captureLogs(() => swapped.getProduct({ ...queries[2], silent: true }));
    if (error) throw error;
    const w = mismatchWarnings(records);
    assertEquals(w.length, 1);
    assertEquals(w[0].fields.parameters, ["T2"]);
    assertMatch(w[0].message, /T2: returned 2022-07-01T01:00:00\.000 != requested 2022-07-01T00:10:00/);
    assert(!w[0].message.includes(token));
  });
});

Deno.test("a job saved as failed and resumed asks once and raises JobFailedError (no endless wait)", async () => {
  await withSandbox({}, async (sb) => {
    const rec = recordingFetch();
    const disp = new DispatcherAPI({ url: sb.url, token: null, fetch: rec.fetch });
    const job = await disp.submit({ instrument: "empty", product: "failing", product_type: "Dummy" });
    assertEquals(job.status, "failed");
    const saved = JSON.parse(JSON.stringify(job));
    const again = DispatcherAPI.resume(saved, { url: sb.url, token: null, fetch: rec.fetch, timeout: 5_000 });
    const before = rec.log.length;
    const e = await assertRejects(() => again.wait({ silent: true }), JobFailedError);
    assertEquals(e.jobId, job.jobId);
    const polls = rec.log.slice(before).filter((x) => x.url.includes("/run_analysis"));
    assertEquals(polls.length, 1);
    assertEquals(paramsOf(polls[0]).get("query_status"), "failed");
    assertEquals(paramsOf(polls[0]).get("job_id"), job.jobId);
  });
});
