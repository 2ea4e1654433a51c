/**
 * The sandbox dispatcher over real HTTP on 127.0.0.1: state machine, auth,
 * parameter normalisation, fault injection, bounded memory, and 50 concurrent
 * clients × 20 jobs. Uses plain fetch (never lib/client).
 */
import nodeAssert from "node:assert/strict";
import { assert, assertEquals } from "./client_replay.ts";
import { EMPTY_ASYNC, get, type Json, uploadFiles } from "./_sandbox_http.ts";
import { DEFAULT_ROLES, startSandbox } from "../sandbox.ts";
import type { SandboxInstrument } from "../sandbox.ts";
import { verifyToken } from "../lib/sandbox/auth.ts";
import { isotToMjd, mjdToIsot } from "../lib/sandbox/params.ts";
import { PYTHON, testWithTool } from "./_validators.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A test instrument: timed async product reporting one progress entry per science window. */
function testInstrument(opts: { fail?: boolean } = {}): SandboxInstrument {
  return {
    name: "testinstr",
    queryName: "testinstr_query",
    parameters: [{ name: "scw_list", type: "list", units: null, default: [], optional: true }],
    products: {
      counts: {
        name: "counts",
        queryName: "counts_query",
        parameters: [
          { name: "E1_keV", type: "float", units: "keV", default: 20 },
          { name: "nbins", type: "int", units: null, default: 4, min: 1, max: 100 },
        ],
        async: true,
        run(params, ctx) {
          const scws = (params.scw_list as string[]).length
            ? params.scw_list as string[]
            : ["000100010010.001"];
          for (const scw of scws) ctx.report({ node_id: "ii_skyimage", message: "main done", scw });
          if (opts.fail) throw new Error("detector on fire");
          return {
            text_product_list: [{
              name: "counts",
              value: `seed=${ctx.seed} n=${params.nbins}`,
              meta_data: {},
            }],
          };
        },
      },
    },
  };
}

Deno.test("binds to loopback only and starts quickly", async () => {
  await nodeAssert.rejects(() => startSandbox({ hostname: "0.0.0.0" }), /loopback/);
  const t0 = performance.now();
  await using sb = await startSandbox();
  const dt = performance.now() - t0;
  assert(sb.url.startsWith("http://127.0.0.1:"), sb.url);
  console.log(`startup ${dt.toFixed(1)} ms (the target is checked in bench/sandbox_soak.ts)`);
  const [st, list] = await get(sb.url, "/instr-list");
  assertEquals(st, 200);
  assert(Array.isArray(list) && list.includes("empty-async"));
});

Deno.test("timed async job: submitted → progress (per-scw reports) → ready → done", async () => {
  await using sb = await startSandbox({ instruments: [testInstrument()], jobDuration: 1.2, seed: 7 });
  const token = await sb.mintToken({ sub: "alice@example.org", roles: "general" });
  const scws = ["066500220010.001", "066500230010.001", "066500240010.001"];
  const base = { instrument: "testinstr", product_type: "counts", query_type: "Real", token };
  const [st0, r0] = await get(sb.url, "/run_analysis", {
    ...base,
    query_status: "new",
    scw_list: scws.join(","),
  });
  assertEquals(st0, 200);
  assertEquals(r0.query_status, "submitted");
  assertEquals(Object.keys(r0).sort(), [
    "exit_status",
    "job_monitor",
    "job_status",
    "products",
    "query_status",
    "session_id",
    "time_request",
  ]);
  assertEquals(r0.job_monitor.full_report_dict_list, []);
  assert(/^[A-Z0-9]{16}$/.test(r0.session_id));
  assert(/^[0-9a-f]{16}$/.test(r0.job_monitor.job_id));
  assert(!r0.products.api_code.includes(token), "api_code never carries the token");
  assertEquals(r0.products.analysis_parameters.scw_list, scws);
  assertEquals(r0.products.analysis_parameters.E1_keV, 20);
  const states: string[] = [r0.query_status];
  let qs = r0.query_status;
  let last: Json = r0;
  const reportCounts: number[] = [];
  for (let i = 0; i < 200 && qs !== "done" && qs !== "failed"; i++) {
    await sleep(qs === "ready" ? 0 : 40);
    const [st, r] = await get(sb.url, "/run_analysis", {
      ...base,
      query_status: qs,
      job_id: r0.job_monitor.job_id,
      session_id: r0.session_id,
    });
    assertEquals(st, 200, JSON.stringify(r).slice(0, 300));
    qs = r.query_status;
    last = r;
    if (states[states.length - 1] !== qs) states.push(qs);
    if (qs === "progress") reportCounts.push(r.job_monitor.full_report_dict_list.length);
  }
  assertEquals(states, ["submitted", "progress", "ready", "done"]);
  assert(reportCounts.every((n, i) => i === 0 || n >= reportCounts[i - 1]), "reports only grow");
  assertEquals(last.products.text_product_list[0].name, "counts");
  assertEquals(last.products.job_id, r0.job_monitor.job_id);
  assert("analysis_parameters" in last.products && "api_code" in last.products);
  assertEquals(last.exit_status.status, 0);
  // a different user cannot poll it; a public request neither
  const bob = await sb.mintToken({ sub: "bob@example.org", roles: "general" });
  const [st403, r403] = await get(sb.url, "/run_analysis", {
    ...base,
    token: bob,
    query_status: "submitted",
    job_id: r0.job_monitor.job_id,
    session_id: r0.session_id,
  });
  assertEquals(st403, 403);
  assertEquals(r403.exit_status.message, "Request not authorized");
  assertEquals(r403.status_code, 403);
  const [st400, r400] = await get(sb.url, "/run_analysis", {
    ...base,
    query_status: "submitted",
    job_id: "0123456789abcdef",
  });
  assertEquals(st400, 400);
  assertEquals(r400.error_message, "unable to find any record for 0123456789abcdef");
  // the same parameters from a new session alias the finished job
  const [, again] = await get(sb.url, "/run_analysis", { ...base, query_status: "new", scw_list: scws });
  assertEquals(again.query_status, "done");
  assertEquals(again.job_monitor.job_id, r0.job_monitor.job_id);
  assertEquals(again.products.text_product_list, last.products.text_product_list);
});

Deno.test("a failing run ends in query_status failed with the error message", async () => {
  await using sb = await startSandbox({ instruments: [testInstrument({ fail: true })], jobDuration: 0 });
  const p = { instrument: "testinstr", product_type: "counts", query_type: "Real" };
  const [, r0] = await get(sb.url, "/run_analysis", { ...p, query_status: "new" });
  let r1: Json = r0;
  for (let i = 0; i < 50 && r1.query_status === "submitted"; i++) {
    await sleep(10);
    [, r1] = await get(sb.url, "/run_analysis", {
      ...p,
      query_status: "submitted",
      job_id: r0.job_monitor.job_id,
      session_id: r0.session_id,
    });
  }
  assertEquals(r1.query_status, "failed");
  assert(String(r1.exit_status.error_message).includes("detector on fire"), JSON.stringify(r1));
});

Deno.test("parameter normalisation: formats, lists, None, unknown args, validation messages", async () => {
  await using sb = await startSandbox({ instruments: [testInstrument()], jobDuration: 0 });
  const p = { instrument: "testinstr", product_type: "counts", query_type: "Real", query_status: "new" };
  const ids = new Set<string>();
  for (const scw of [["a.001", "b.001"], ["a.001,b.001"], ['["a.001", "b.001"]']]) {
    const [st, r] = await get(sb.url, "/run_analysis", { ...p, scw_list: scw });
    assertEquals(st, 200);
    assertEquals(r.products.analysis_parameters.scw_list, ["a.001", "b.001"]);
    ids.add(r.job_monitor.job_id);
  }
  assertEquals(ids.size, 1, "repeated keys, comma string and JSON array are the same job");
  const [, m] = await get(sb.url, "/run_analysis", {
    ...p,
    T1: "58000.25",
    T2: "58001",
    T_format: "mjd",
    foo: "1",
  });
  assertEquals(m.products.analysis_parameters.T1, "2017-09-04T06:00:00.000");
  assertEquals(m.products.analysis_parameters.T_format, "isot");
  assertEquals(m.exit_status.comment, "Please note that argument foo is not used");
  assert(!("foo" in m.products.analysis_parameters));
  const bad: [Record<string, string>, string][] = [
    [{ nbins: "200" }, "Parameter nbins wrong value 200: should be lower or equal than 100.0"],
    [{ nbins: "2.5" }, "2.5 is an invalid value for nbins since it cannot be used as an Integer"],
    [{ E1_keV: "\x00" }, "Non-optional parameter E1_keV is set to None"],
    [{ T1: "yesterday" }, "Parameter T1 wrong value yesterday: can't be parsed as Time of isot format"],
    [{ T1: "abc", T_format: "mjd" }, "Parameter T1 wrong value abc: can't be parsed as Time of mjd format"],
    [
      { scw_list: "a.001 b.001" },
      "a space separated science windows list is an unsupported format, please provide it as a comme separated list",
    ],
  ];
  for (const [extra, msg] of bad) {
    const [st, r] = await get(sb.url, "/run_analysis", { ...p, ...extra });
    assertEquals(st, 400, msg);
    assertEquals(r.error_message, msg);
    assertEquals(r.error, `RequestNotUnderstood():${msg}`);
  }
  // MJD <-> ISOT exactness
  assertEquals(mjdToIsot(58000), "2017-09-04T00:00:00.000");
  assertEquals(mjdToIsot(57818.56027777778), "2017-03-06T13:26:48.000");
  assertEquals(isotToMjd("2017-09-04T12:00:00.000"), 58000.5);
  for (const iso of ["2003-01-01T00:00:00.001", "2024-02-29T23:59:59.999", "2017-03-06T15:32:27.000"]) {
    assertEquals(mjdToIsot(isotToMjd(iso)), iso);
  }
});

Deno.test("HTTP-level behaviour: JSON bodies, HEAD, POST forms, redirects, unknown paths", async () => {
  await using sb = await startSandbox();
  const json = await fetch(`${sb.url}/run_analysis`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instrument: "empty" }),
  });
  assertEquals(json.status, 500);
  assertEquals(json.headers.get("content-type"), "text/html; charset=utf-8");
  await json.body?.cancel();
  const head = await fetch(`${sb.url}/run_analysis?instrument=empty`, { method: "HEAD" });
  assertEquals(head.status, 400);
  const form = new URLSearchParams({
    instrument: "empty",
    product_type: "dummy",
    query_type: "Dummy",
    query_status: "new",
  });
  const post = await fetch(`${sb.url}/run_analysis`, { method: "POST", body: form });
  assertEquals(post.status, 200);
  assertEquals((await post.json()).query_status, "done");
  const red = await fetch(`${sb.url}/api/instr-list?instrument=mock`, { redirect: "manual" });
  assertEquals(red.status, 302);
  assertEquals(red.headers.get("location"), `${sb.url}/instr-list?instrument=mock`);
  await red.body?.cancel();
  const nf = await fetch(`${sb.url}/nope`);
  assertEquals(nf.status, 404);
  await nf.body?.cancel();
  const [, rn] = await get(sb.url, "/resolve_name", { name: "Crab" });
  assertEquals(rn.message, "Crab successfully resolved");
  assert(Math.abs(rn.RA - 83.633) < 0.01 && Math.abs(rn.DEC - 22.0145) < 0.01);
  const [, un] = await get(sb.url, "/resolve_name", { name: "NoSuchObject" });
  assertEquals(Object.keys(un).sort(), ["message", "name"]);
});

Deno.test("deno task sandbox / oda sandbox: prints a working URL and token, stops on request", async () => {
  const { serveSandbox } = await import("../lib/sandbox/main.ts");
  const stop = Promise.withResolvers<void>();
  let text = "";
  const printed = Promise.withResolvers<void>();
  const served = serveSandbox({ port: 0 }, (t) => {
    text += t;
    if (text.includes("Ctrl-C")) printed.resolve();
  }, stop.promise);
  await printed.promise;
  const url = /dispatcher: (http:\/\/127\.0\.0\.1:\d+)\n/.exec(text)?.[1];
  const token = /export ODA_TOKEN=(\S+)\n/.exec(text)?.[1];
  assert(url && token, text);
  assert(text.includes(`export ODA_DISPATCHER_URL=${url}\n`));
  const [st, body] = await get(url, "/run_analysis", {
    instrument: "empty",
    product_type: "numerical",
    query_status: "new",
    query_type: "Dummy",
    p: "55",
    token,
  });
  assertEquals([st, body.exit_status?.status], [200, 0], JSON.stringify(body));
  stop.resolve();
  await served;
  await fetch(url).then(() => assert(false, "still serving"), () => {});
});

Deno.test("mintToken merges the given claims over the default sandbox user", async () => {
  await using sb = await startSandbox();
  const claims = async (t: string) => {
    const c = await verifyToken(t, sb.secret);
    assert(c.ok);
    return c.claims;
  };
  const before = Math.floor(Date.now() / 1000);
  const d = await claims(await sb.mintToken());
  assertEquals(
    { sub: d.sub, email: d.email, name: d.name, roles: d.roles },
    {
      sub: "sandbox-user@example.org",
      email: "sandbox-user@example.org",
      name: "Sandbox User",
      roles: DEFAULT_ROLES,
    },
  );
  assert(typeof d.exp === "number" && d.exp >= before + 3600 && d.exp <= before + 3602);
  // a partial override keeps the rest of the defaults
  const n = await claims(await sb.mintToken({ name: "x" }));
  assertEquals([n.sub, n.email, n.name, n.roles], [
    "sandbox-user@example.org",
    "sandbox-user@example.org",
    "x",
    DEFAULT_ROLES,
  ]);
  // email follows the given sub unless given itself; undefined drops a claim; exp from the claims wins
  const b = await claims(await sb.mintToken({ sub: "bob@example.org", roles: "general", exp: before + 99 }));
  assertEquals([b.sub, b.email, b.name, b.roles, b.exp], [
    "bob@example.org",
    "bob@example.org",
    "Sandbox User",
    "general",
    before + 99,
  ]);
  const e = await claims(await sb.mintToken({ sub: "a@b.c", email: "other@b.c", name: undefined }));
  assertEquals([e.sub, e.email, "name" in e], ["a@b.c", "other@b.c", false]);
});

Deno.test("auth: expiry, signature, aud, roles, refresh and e-mail options", async () => {
  await using sb = await startSandbox();
  const dummy = { instrument: "empty", product_type: "dummy", query_type: "Dummy", query_status: "new" };
  const expired = await sb.mintToken({ sub: "a@b.c", roles: "general" }, { expiresIn: -10 });
  let [st, r] = await get(sb.url, "/run_analysis", { ...dummy, token: expired });
  assertEquals(st, 403);
  assert(String(r.error_message).startsWith("The token provided is expired, please try to logout"));
  const { mintJwt } = await import("../lib/sandbox/auth.ts");
  const now = Math.floor(Date.now() / 1000);
  const badsig = await mintJwt({ sub: "a@b.c", exp: now + 100 }, "not-the-secret");
  [st, r] = await get(sb.url, "/run_analysis", { ...dummy, token: badsig });
  assertEquals(st, 403);
  assert(String(r.error_message).startsWith("The token provided is not valid"));
  const aud = await mintJwt({ sub: "a@b.c", exp: now + 100, aud: "dispatcher" }, sb.secret);
  [st, r] = await get(sb.url, "/run_analysis", { ...dummy, token: aud });
  assertEquals(st, 400);
  assertEquals(
    r.error_message,
    "[ InstrumentQueryBackEnd : instrument-not-set ] constructor failed: Invalid audience",
  );
  [st, r] = await get(sb.url, "/run_analysis", { ...dummy, token: "this.is-not-a.jwt" });
  assertEquals(st, 400);
  // product roles
  [st, r] = await get(sb.url, "/run_analysis", {
    ...dummy,
    product_type: "numerical",
    p: "55",
    token: await sb.mintToken({ sub: "a@b.c", roles: "general" }),
  });
  assertEquals(st, 403);
  assert(
    String(r.exit_status.message).includes(
      " - unige-hpc-full: unige-hpc-full role is needed for p>50 as well\n",
    ),
  );
  // refresh: +interval, capped at 7 days
  const t = await sb.mintToken({ sub: "a@b.c", roles: "general, refresh-tokens" }, { expiresIn: 600 });
  const exp0 = (await verifyToken(t, sb.secret)).ok ? now + 600 : 0;
  let res = await fetch(`${sb.url}/refresh_token?token=${t}&query_status=new&refresh_interval=3600`);
  assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
  const t2 = await res.text();
  const c2 = await verifyToken(t2, sb.secret);
  assert(c2.ok);
  assert(Math.abs((c2.claims.exp as number) - (exp0 + 3600)) <= 2);
  res = await fetch(`${sb.url}/refresh_token?token=${t}&query_status=new&refresh_interval=${8 * 86400}`);
  assertEquals(res.status, 403);
  assertEquals((await res.json()).error_message, "Request not authorized");
  res = await fetch(
    `${sb.url}/refresh_token?token=${await sb.mintToken({
      sub: "a@b.c",
      roles: "general",
    })}&query_status=new`,
  );
  assertEquals(res.status, 403);
  assertEquals(
    await res.text(),
    "Unfortunately, your privileges are not sufficient to refresh your token.\nYour privilege roles include ['general'], but the following roles are missing: refresh-tokens.",
  );
  res = await fetch(
    `${sb.url}/update_token_email_options?token=${t}&msfail=False&mssub=False&msdone=False&query_status=new`,
  );
  const c3 = await verifyToken(await res.text(), sb.secret);
  assert(c3.ok);
  assertEquals([c3.claims.msfail, c3.claims.mssub, c3.claims.msdone], [false, false, false]);
  // inspect-state: role job manager, 8-char prefix match only
  const [, sub] = await get(sb.url, "/run_analysis", { ...dummy, token: t });
  const jid = sub.job_monitor.job_id as string;
  res = await fetch(`${sb.url}/inspect-state?token=${t}`);
  assertEquals(res.status, 403);
  await res.body?.cancel();
  const mgr = await sb.mintToken({ sub: "m@b.c", roles: "job manager" });
  const [, ins] = await get(sb.url, "/inspect-state", { token: mgr, job_id: jid.slice(0, 8) });
  assertEquals(ins.records.length, 1);
  assertEquals(ins.records[0].job_id, jid);
  const [, ins16] = await get(sb.url, "/inspect-state", { token: mgr, job_id: jid });
  assertEquals(ins16.records.length, 0);
  const [, mine] = await get(sb.url, "/inspect-user-state", { token: t });
  assert(mine.records.every((x: Json) => x.analysis_parameters.token.sub === "a@b.c"));
  assert(!JSON.stringify(mine).includes(t), "the raw JWT is not echoed by inspect-user-state");
});

Deno.test("download_products: gzip of a job file, tar.gz of several, traversal refused", async () => {
  await using sb = await startSandbox({ jobDuration: 0 });
  const [, r] = await get(sb.url, "/run_analysis", {
    instrument: "empty-async",
    product_type: "dummy",
    query_type: "Real",
    query_status: "new",
    scw_list: "066500220010.001",
  });
  const q = { session_id: r.session_id, job_id: r.job_monitor.job_id, query_status: "ready" };
  let res = await fetch(
    `${sb.url}/download_products?${new URLSearchParams({ ...q, file_list: "analysis_parameters.json" })}`,
  );
  assertEquals(res.headers.get("content-type"), "application/x-gzip-compressed");
  const text = await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
  assertEquals(JSON.parse(text).scw_list, ["066500220010.001"]);
  res = await fetch(
    `${sb.url}/download_products?${new URLSearchParams({
      ...q,
      file_list: "analysis_parameters.json,job_monitor.json",
    })}`,
  );
  const tarBytes = new Uint8Array(
    await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  assertEquals(new TextDecoder().decode(tarBytes.subarray(257, 262)), "ustar");
  res = await fetch(`${sb.url}/download_products?${new URLSearchParams({ ...q, file_list: "../conf.yml" })}`);
  assertEquals(res.status, 403);
  assertEquals((await res.json()).exit_status.message, "No such file");
});

Deno.test("faults: deterministic errors, resets, failed jobs and tokens expiring mid-job", async () => {
  const statuses = async (seed: number) => {
    await using sb = await startSandbox({ faults: { errorRate: 0.5, statuses: [502, 503, 504], seed } });
    const out: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await fetch(
        `${sb.url}/run_analysis?instrument=empty&product_type=dummy&query_type=Dummy&query_status=new`,
      );
      await r.body?.cancel();
      out.push(r.status);
    }
    return out;
  };
  const a = await statuses(11), b = await statuses(11), c = await statuses(12);
  assertEquals(a, b, "same seed, same fault sequence");
  assert(a.some((s) => s === 200) && a.some((s) => s >= 502), JSON.stringify(a));
  assert(JSON.stringify(a) !== JSON.stringify(c));
  {
    await using sb = await startSandbox({ faults: { slowRate: 1, slowMs: 150 } });
    const t0 = performance.now();
    const r = await fetch(
      `${sb.url}/run_analysis?instrument=empty&product_type=dummy&query_type=Dummy&query_status=new`,
    );
    await r.body?.cancel();
    assert(performance.now() - t0 >= 140, "slow reply delayed");
    assertEquals(sb.stats().faults.slow, 1);
  }
  {
    await using sb = await startSandbox({ faults: { resetRate: 1 } });
    let failed = false;
    try {
      const r = await fetch(`${sb.url}/run_analysis?instrument=empty`);
      await r.text();
    } catch {
      failed = true;
    }
    assert(failed, "a reset is a network error for the client");
    assertEquals(sb.stats().faults.resets, 1);
  }
  {
    await using sb = await startSandbox({
      instruments: [testInstrument()],
      jobDuration: 0,
      faults: { failJobs: 1 },
    });
    const p = { instrument: "testinstr", product_type: "counts", query_type: "Real" };
    const [, r0] = await get(sb.url, "/run_analysis", { ...p, query_status: "new" });
    await sleep(10);
    const [, r1] = await get(sb.url, "/run_analysis", {
      ...p,
      query_status: "submitted",
      job_id: r0.job_monitor.job_id,
      session_id: r0.session_id,
    });
    assertEquals(r1.query_status, "failed");
  }
  {
    await using sb = await startSandbox({
      instruments: [testInstrument()],
      jobDuration: 0.4,
      faults: { expireTokenMidJob: 1 },
    });
    const tok = await sb.mintToken({ sub: "a@b.c", roles: "general, refresh-tokens" });
    const p = { instrument: "testinstr", product_type: "counts", query_type: "Real", token: tok };
    const [, r0] = await get(sb.url, "/run_analysis", { ...p, query_status: "new" });
    await sleep(250);
    const poll = {
      ...p,
      query_status: "submitted",
      job_id: r0.job_monitor.job_id,
      session_id: r0.session_id,
    };
    const [st, r1] = await get(sb.url, "/run_analysis", poll);
    assertEquals(st, 403);
    assert(String(r1.error_message).includes("expired"));
    const fresh =
      await (await fetch(`${sb.url}/refresh_token?token=${tok}&query_status=new&refresh_interval=60`)).text();
    const [st2] = await get(sb.url, "/run_analysis", { ...poll, token: fresh });
    assertEquals(st2, 200, "a refreshed token resumes the job");
  }
});

Deno.test("bounded memory: results beyond the cap are evicted and recomputed identically", async () => {
  await using sb = await startSandbox({ maxResults: 5 });
  const tok = await sb.mintToken({ sub: "a@b.c", roles: "general" });
  const first: Json[] = [];
  for (let i = 0; i < 20; i++) {
    const [, r] = await get(sb.url, "/run_analysis", {
      instrument: "empty",
      product_type: "numerical",
      query_type: "Dummy",
      query_status: "new",
      p: String(i + 1),
      token: tok,
    });
    assertEquals(r.query_status, "done");
    first.push(r);
  }
  assert(sb.stats().results <= 5, JSON.stringify(sb.stats()));
  assertEquals(sb.stats().jobs, 20);
  const [, again] = await get(sb.url, "/run_analysis", {
    instrument: "empty",
    product_type: "numerical",
    query_type: "Dummy",
    query_status: "new",
    p: "1",
    token: tok,
  });
  assertEquals(again.products.numpy_data_product_list, first[0].products.numpy_data_product_list);
  assertEquals(again.job_monitor.job_id, first[0].job_monitor.job_id);
});

Deno.test("50 concurrent clients × 20 jobs each: every job finishes, none lost or mixed up", async () => {
  await using sb = await startSandbox({ jobDuration: 0.3, seed: 3 });
  const clients = 50, perClient = 20;
  const results = await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const token = c % 2 === 0
      ? await sb.mintToken({ sub: `user${c}@example.org`, roles: "general" })
      : undefined;
    return await Promise.all(Array.from({ length: perClient }, async (_, j) => {
      // upstream make_hash hashes a string by its *sorted characters*, so anagram parameter values
      // (e.g. 001300100010.001 / 000100130010.001) collide into one job id, on MMODA as here:
      // give every job a value with a distinct character multiset
      const scw = `SCW${String.fromCharCode(65 + Math.floor(c / 26))}${
        String.fromCharCode(97 + (c % 26))
      }.${j}`;
      const base: Record<string, string> = {
        instrument: "empty-async",
        product_type: "dummy",
        query_type: "Real",
        scw_list: scw,
        api: "True",
      };
      if (token) base.token = token;
      let [st, r] = await get(sb.url, "/run_analysis", { ...base, query_status: "new" });
      assertEquals(st, 200);
      const jobId = r.job_monitor.job_id, sid = r.session_id;
      let polls = 0;
      while (r.query_status !== "done" && r.query_status !== "failed") {
        if (r.query_status !== "ready") await sleep(100);
        [st, r] = await get(sb.url, "/run_analysis", {
          ...base,
          query_status: r.query_status,
          job_id: jobId,
          session_id: sid,
        });
        assertEquals(st, 200);
        assertEquals(r.job_monitor.job_id, jobId);
        if (++polls > 200) throw new Error(`job ${jobId} never finished`);
      }
      assertEquals(r.query_status, "done");
      assertEquals(r.products.input_param_scw_list.data_unit_list[0].meta_data.scw_list, [scw]);
      return [jobId as string, scw] as const;
    }));
  }));
  const ids = results.flat().map(([id]) => id);
  const scws = results.flat().map(([, scw]) => scw);
  assertEquals(ids.length, clients * perClient);
  // upstream make_hash hashes a string by its *sorted characters*: anagram values (0013…0010 / 0001…0013)
  // share a job id, on MMODA as here; the sandbox still keeps them as separate jobs with their own products
  // (checked above through meta_data.scw_list)
  const multisets = new Set(scws.map((x) => [...x].sort().join("")));
  assertEquals(new Set(ids).size, multisets.size, "one job id per character multiset, as upstream");
  assertEquals(sb.stats().jobs, clients * perClient);
});

Deno.test("multipart upload: the file parameter becomes a download URL readable by its owner only", async () => {
  await using sb = await startSandbox();
  const alice = await sb.mintToken({ sub: "alice@example.org", roles: "general" });
  const bob = await sb.mintToken({ sub: "bob@example.org", roles: "general" });
  const fd = new FormData();
  for (
    const [k, v] of Object.entries({
      instrument: "empty",
      product_type: "file_dummy",
      query_type: "Dummy",
      query_status: "new",
      p: "5",
      token: alice,
    })
  ) fd.append(k, v);
  const content = new TextEncoder().encode("my uploaded catalogue\n");
  fd.append("dummy_file", new File([content], "cat.txt"));
  const r = await (await fetch(`${sb.url}/run_analysis`, { method: "POST", body: fd })).json();
  assertEquals(r.query_status, "done");
  const link = r.products.analysis_parameters.dummy_file as string;
  assert(link.startsWith(`${sb.url}/download_file?file_list=`), link);
  const ok = await fetch(`${link}&token=${alice}`);
  assertEquals(ok.status, 200);
  assertEquals(ok.headers.get("content-type"), "application/octet-stream");
  assertEquals(new Uint8Array(await ok.arrayBuffer()), content);
  const other = await fetch(`${link}&token=${bob}`);
  assertEquals(other.status, 403);
  assertEquals((await other.json()).exit_status.message, "User cannot access the file");
});

Deno.test("uploads without a valid token are bounded: the oldest are evicted", async () => {
  await using sb = await startSandbox({ publicUploads: { maxFiles: 3, maxBytes: 2100 } });
  const alice = await sb.mintToken({ sub: "alice@example.org", roles: "general" });
  const upload = async (i: number, size: number, token?: string) => {
    const file = new File([new Uint8Array(size).fill(i)], `f${i}.bin`);
    const r = await (await uploadFiles(sb.url, [file], { token, fields: { p: "5" } })).json();
    return r.products.analysis_parameters.dummy_file as string;
  };
  const status = async (link: string, token?: string) => {
    const r = await fetch(token ? `${link}&token=${token}` : link);
    await r.body?.cancel();
    return r.status;
  };
  const owned = await upload(100, 2000, alice); // a token holder's upload is not part of the public bound
  const pub: string[] = [];
  for (let i = 0; i < 5; i++) pub.push(await upload(i, 100));
  // count bound: the last three public files remain
  assertEquals(await Promise.all(pub.map((l) => status(l))), [403, 403, 200, 200, 200]);
  // byte bound: one 2000-byte public file pushes out older ones until the total fits 2100 bytes
  const big = await upload(9, 2000);
  assertEquals(await Promise.all([...pub.slice(2), big].map((l) => status(l))), [403, 403, 200, 200]);
  assertEquals(await status(owned, alice), 200);
});

Deno.test("oversized bodies get 413, the server stays up", async () => {
  await using sb = await startSandbox();
  const big = "x".repeat(20 * 1024 * 1024);
  const r = await fetch(`${sb.url}/run_analysis`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `instrument=empty&src_name=${big}`,
  });
  assertEquals(r.status, 413);
  await r.body?.cancel();
  const [st] = await get(sb.url, "/instr-list");
  assertEquals(st, 200);
});

Deno.test("callback-driven job: a failed report wins over a late ready", async () => {
  await using sb = await startSandbox({ jobDuration: 1e9 });
  const p = EMPTY_ASYNC;
  const [, r0] = await get(sb.url, "/run_analysis", { ...p, query_status: "new" });
  assertEquals(r0.query_status, "submitted");
  const ids = { job_id: r0.job_monitor.job_id, session_id: r0.session_id };
  const [, cb] = await get(sb.url, "/call_back", { ...ids, action: "failed", node_id: "n", message: "boom" });
  assertEquals(Object.keys(cb), ["time_spent_s"]);
  const [, r1] = await get(sb.url, "/run_analysis", { ...p, ...ids, query_status: "ready" });
  assertEquals(r1.query_status, "failed");
  assertEquals(r1.job_monitor.full_report_dict.message, "boom");
});

Deno.test("dummy products decode with the package's codecs (numpy pickles, catalog)", async () => {
  const { decodeNumpyPickle } = await import("../lib/codecs/pickle.ts");
  await using sb = await startSandbox();
  const token = await sb.mintToken({ sub: "a@b.c", roles: "general" });
  const [, r] = await get(sb.url, "/run_analysis", {
    instrument: "empty",
    product_type: "numerical",
    query_type: "Dummy",
    query_status: "new",
    api: "True",
    token,
  });
  const unit = r.products.numpy_data_product_list[0].data_unit_list[0];
  const bytes = Uint8Array.from(atob(unit.binarys), (c) => c.charCodeAt(0));
  const arr = decodeNumpyPickle(bytes);
  assert(arr.kind === "ndarray");
  assertEquals(arr.shape, [100, 100]);
  assertEquals(arr.dtype, "<f8");
  assert((arr.values as Float64Array).every((x) => x === 0));
  const [, a] = await get(sb.url, "/run_analysis", {
    instrument: "empty-async",
    product_type: "dummy",
    query_type: "Dummy",
    query_status: "new",
  });
  assertEquals(a.query_status, "done");
});

testWithTool("the sandbox's numpy pickles load in real Python numpy (pickle.loads)", "astropy", async () => {
  await using sb = await startSandbox();
  const token = await sb.mintToken({ sub: "a@b.c", roles: "general" });
  const [, num] = await get(sb.url, "/run_analysis", {
    instrument: "empty",
    product_type: "numerical",
    query_type: "Dummy",
    query_status: "new",
    token,
  });
  const units = [num.products.numpy_data_product_list[0].data_unit_list[0].binarys];
  const script = [
    "import sys, json, base64, pickle",
    "for b in json.load(sys.stdin):",
    "    a = pickle.loads(base64.b64decode(b))",
    "    print(a.dtype.str, list(a.shape), float(abs(a).sum()))",
  ].join("\n");
  const p = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(units)));
  await w.close();
  const out = await p.output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "<f8 [100, 100] 0.0");
});
