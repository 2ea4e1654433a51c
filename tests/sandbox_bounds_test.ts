/**
 * The sandbox dispatcher is bounded by construction: uploads per owner and in total, cancelled simulations
 * that free their worker, and the per-job records a caller can make it hold. Real HTTP on 127.0.0.1 (plain
 * fetch, never lib/client).
 */
import { assert, assertEquals } from "./client_replay.ts";
import { type SandboxInstrument, startSandbox } from "../sandbox.ts";
import { MAX_RUN_REPORTS } from "../lib/sandbox/jobs.ts";
import { md5Hex } from "../lib/data/md5.ts";
import { EMPTY_ASYNC, get, type Json, uploadFiles } from "./_sandbox_http.ts";
import { MAX_CALLBACK_BYTES } from "../lib/sandbox/run_analysis.ts";

/** A multipart `/run_analysis` of `empty/file_dummy` carrying `files` (each as its own part). */
async function upload(
  url: string,
  files: Uint8Array[],
  token?: string,
): Promise<{ status: number; links: string[]; text: string; contentType: string | null }> {
  const r = await uploadFiles(url, files, { token, fields: { p: "5" } });
  const text = await r.text();
  let links: string[] = [];
  if (r.status === 200) {
    const ap = JSON.parse(text).products.analysis_parameters;
    links = files.map((_, i) => ap[i === 0 ? "dummy_file" : `dummy_file_${i}`] as string);
  }
  return { status: r.status, links, text, contentType: r.headers.get("content-type") };
}

/** Status of downloading an uploaded file (by link) with `token`. */
async function readable(link: string, token?: string): Promise<number> {
  const r = await fetch(token ? `${link}&token=${token}` : link);
  await r.body?.cancel();
  return r.status;
}

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

Deno.test("uploads of token holders are bounded per subject and in total; requests too big for a bound get 413", async () => {
  await using sb = await startSandbox({
    userUploads: { maxFiles: 2, maxBytes: 1000 },
    totalUploads: { maxFiles: 4, maxBytes: 3000 },
  });
  const alice = await sb.mintToken({ sub: "alice@example.org", roles: "general" });
  const bob = await sb.mintToken({ sub: "bob@example.org", roles: "general" });
  const carol = await sb.mintToken({ sub: "carol@example.org", roles: "general" });
  const a: string[] = [];
  for (let i = 1; i <= 3; i++) a.push((await upload(sb.url, [bytes(100, i)], alice)).links[0]);
  // alice's bucket keeps her two most recent files
  assertEquals(await Promise.all(a.map((l) => readable(l, alice))), [403, 200, 200]);
  // a 900-byte file fits her 1000 bytes only without a2: the oldest goes
  a.push((await upload(sb.url, [bytes(900, 4)], alice)).links[0]);
  assertEquals(await Promise.all(a.map((l) => readable(l, alice))), [403, 403, 200, 200]);
  // one request over her byte bound (one file, or two together) is refused whole, with Werkzeug's 413 page;
  // nothing is stored and nothing of hers is evicted
  const jobs = sb.stats().jobs;
  for (
    const files of [[bytes(1001, 5)], [bytes(600, 6), bytes(600, 7)], [
      bytes(1, 8),
      bytes(1, 9),
      bytes(1, 10),
    ]]
  ) {
    const r = await upload(sb.url, files, alice);
    assertEquals(r.status, 413);
    assert(r.contentType?.startsWith("text/html"), String(r.contentType));
    assert(r.text.includes("<title>413 Request Entity Too Large</title>"), r.text);
    assert(r.text.includes("The data value transmitted exceeds the capacity limit."), r.text);
    for (const f of files) {
      assertEquals(
        await readable(`${sb.url}/download_file?file_list=${md5Hex(f)}&return_archive=False`, alice),
        403,
      );
    }
  }
  assertEquals(sb.stats().jobs, jobs, "a refused request makes no job");
  assertEquals(await Promise.all(a.slice(2).map((l) => readable(l, alice))), [200, 200]);
  // the owner rule: bob cannot read alice's file, until he uploads the same bytes himself (upstream's
  // ownership list gains his id)
  assertEquals(await readable(a[3], bob), 403);
  const b1 = (await upload(sb.url, [bytes(900, 4)], bob)).links[0];
  assertEquals(b1, a[3]);
  assertEquals([await readable(a[3], bob), await readable(a[3], alice)], [200, 200]);
  // the total bound (4 files) evicts the oldest upload whoever owns it: alice's 100-byte a3 goes first
  const b2 = (await upload(sb.url, [bytes(100, 11)], bob)).links[0];
  const b3 = (await upload(sb.url, [bytes(100, 12)], bob)).links[0]; // bob now over his 2 files: b1 leaves him
  assertEquals(await readable(a[3], alice), 200, "alice still owns the shared file");
  assertEquals(await readable(a[3], bob), 403);
  const c1 = (await upload(sb.url, [bytes(100, 13)], carol)).links[0];
  const c2 = (await upload(sb.url, [bytes(100, 14)], carol)).links[0];
  assertEquals(await readable(a[2], alice), 403, "the oldest file overall was evicted");
  assertEquals(
    await Promise.all(
      [[a[3], alice], [b2, bob], [b3, bob], [c1, carol], [c2, carol]].map(([l, t]) => readable(l, t)),
    ),
    [403, 200, 200, 200, 200],
  );
});

Deno.test("an upload with a token that fails verification stores nothing; a public one over its bound gets 413", async () => {
  await using sb = await startSandbox({ publicUploads: { maxFiles: 3, maxBytes: 2100 } });
  const expired = await sb.mintToken({ sub: "alice@example.org", roles: "general" }, { expiresIn: -60 });
  const data = bytes(50, 77);
  const r = await upload(sb.url, [data], expired);
  assertEquals(r.status, 403);
  assertEquals(await readable(`${sb.url}/download_file?file_list=${md5Hex(data)}&return_archive=False`), 403);
  const big = await upload(sb.url, [bytes(2101, 1)]);
  assertEquals(big.status, 413);
  const four = await upload(sb.url, [bytes(1, 1), bytes(1, 2), bytes(1, 3), bytes(1, 4)]);
  assertEquals(four.status, 413);
  const ok = await upload(sb.url, [bytes(2100, 2)]);
  assertEquals(ok.status, 200);
  assertEquals(await readable(ok.links[0]), 200);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SPI-ACS light curve of `days` from `t1` at `bin` s: over 100 000 bins it runs in a worker. */
function acs(days: number, bin: number, t1 = "2018-03-16T00:00:00"): Record<string, string> {
  const t2 = new Date(Date.parse(`${t1}Z`) + days * 86400e3).toISOString().slice(0, 19);
  return {
    instrument: "spi_acs",
    product_type: "spi_acs_lc",
    query_type: "Real",
    query_status: "new",
    T1: t1,
    T2: t2,
    time_bin: String(bin),
    time_bin_format: "sec",
    RA: "83.63",
    DEC: "22.01",
    api: "True",
  };
}

Deno.test("a cancelled big simulation stops at once: the next job in a worker does not wait for it", async () => {
  await using sb = await startSandbox({ seed: 5, jobDuration: 0 });
  const big = acs(11.5, 0.5); // 1 987 200 bins, close to the SPI-ACS maximum
  const t0 = performance.now();
  const [, full] = await get(sb.url, "/run_analysis", big);
  const fullMs = performance.now() - t0;
  assertEquals(full.query_status, "done");
  // more big jobs than the shared pool has workers, in a second sandbox; closing it cancels them all
  const other = await startSandbox({ seed: 6, jobDuration: 0 });
  const cancelled = Array.from(
    { length: 6 },
    (_, i) =>
      get(other.url, "/run_analysis", acs(11.5, 0.5, `2018-04-0${i + 1}T00:00:00`)).then(
        ([, r]) => `${r.query_status}: ${r.exit_status?.error_message}`,
        () => "connection closed", // the server went away first
      ),
  );
  await sleep(100); // submitted: one computing per worker, the others queued
  await other.close();
  for (const r of await Promise.all(cancelled)) {
    assert(r === "connection closed" || r === "failed: the simulation was cancelled", r);
  }
  // the next worker job (103 680 bins) starts at once on a fresh worker
  const t1 = performance.now();
  const [, next] = await get(sb.url, "/run_analysis", acs(1.2, 1));
  const nextMs = performance.now() - t1;
  assertEquals(next.query_status, "done");
  console.log(`full job ${fullMs.toFixed(0)} ms; next job after cancelling six ${nextMs.toFixed(0)} ms`);
  assert(
    nextMs < fullMs * 0.6, // without cancellation it waits for at least one whole cancelled job
    `the next job took ${nextMs.toFixed(0)} ms after cancelling 6 jobs of ${fullMs.toFixed(0)} ms each`,
  );
  // and its bytes are those of the same job computed on the event loop
  await using inProcess = await startSandbox({ seed: 5, jobDuration: 0, workers: false });
  const [, ref] = await get(inProcess.url, "/run_analysis", acs(1.2, 1));
  assertEquals(
    JSON.stringify(next.products.numpy_data_product_list),
    JSON.stringify(ref.products.numpy_data_product_list),
  );
});

Deno.test("job records beyond maxJobs: running simulations are cancelled and dropped too", async () => {
  await using sb = await startSandbox({ seed: 5, jobDuration: 0, maxJobs: 2 });
  // four worker jobs at once: one computes, three wait; each record beyond two drops the oldest running one
  const answers = await Promise.all(
    Array.from(
      { length: 4 },
      (_, i) => get(sb.url, "/run_analysis", acs(4, 1, `2018-05-0${i + 1}T00:00:00`)),
    ),
  );
  const states = answers.map(([, r]) => r.query_status as string);
  assertEquals(states.filter((s) => s === "done").length, 2, states.join());
  for (const [, r] of answers.filter(([, r]) => r.query_status === "failed")) {
    assertEquals(r.exit_status.error_message, "the simulation was cancelled");
  }
  assertEquals(sb.stats().jobs, 2);
});

/** A test instrument: `blob` (sync) returns `size` characters; `chatty` (async) reports `n` times. */
function bulkyInstrument(): SandboxInstrument {
  return {
    name: "bulky",
    queryName: "bulky_query",
    parameters: [],
    products: {
      blob: {
        name: "blob",
        queryName: "blob_query",
        parameters: [
          { name: "size", type: "int", units: null, default: 10, min: 1 },
          { name: "k", type: "int", units: null, default: 0 },
        ],
        async: false,
        run: (params) => ({
          text_product_list: [{
            name: "blob",
            value: `${params.k}:`.padEnd(params.size as number, "x"),
            meta_data: {},
          }],
        }),
      },
      chatty: {
        name: "chatty",
        queryName: "chatty_query",
        parameters: [{ name: "n", type: "int", units: null, default: 10, min: 1 }],
        async: true,
        run(params, ctx) {
          for (let i = 0; i < (params.n as number); i++) ctx.report({ node_id: "step", message: `r${i}` });
          return { text_product_list: [{ name: "chatty", value: "ok", meta_data: {} }] };
        },
      },
    },
  };
}

Deno.test("results held in memory are bounded in bytes too; evicted ones are recomputed identically", async () => {
  await using sb = await startSandbox({ instruments: [bulkyInstrument()], maxResultBytes: 25_000 });
  const blob = async (k: number, size: number) => {
    const [st, r] = await get(sb.url, "/run_analysis", {
      instrument: "bulky",
      product_type: "blob",
      query_type: "Real",
      query_status: "new",
      size: String(size),
      k: String(k),
    });
    assertEquals([st, r.query_status], [200, "done"]);
    return r.products.text_product_list[0].value as string;
  };
  const first: string[] = [];
  for (let k = 0; k < 6; k++) {
    first.push(await blob(k, 10_000));
    const { results, resultBytes } = sb.stats();
    assert(resultBytes <= 25_000 && results <= 2, JSON.stringify(sb.stats()));
    assert(resultBytes >= 10_000 * results, "the estimate counts the product text");
  }
  assertEquals(sb.stats().jobs, 6, "records stay; only results are dropped");
  assertEquals(await blob(0, 10_000), first[0]);
  // a result alone over the cap is still delivered (and kept until the next one)
  assertEquals((await blob(9, 40_000)).length, 40_000);
  assertEquals(sb.stats().results, 1);
});

Deno.test("progress reports of one run are bounded (the newest are kept)", async () => {
  await using sb = await startSandbox({ instruments: [bulkyInstrument()], jobDuration: 0 });
  const q = { instrument: "bulky", product_type: "chatty", query_type: "Real", n: "1500" };
  let [, r] = await get(sb.url, "/run_analysis", { ...q, query_status: "new" });
  for (let i = 0; i < 100 && r.query_status !== "done"; i++) {
    await sleep(10);
    [, r] = await get(sb.url, "/run_analysis", {
      ...q,
      query_status: r.query_status,
      job_id: r.job_monitor.job_id,
      session_id: r.session_id,
    });
  }
  assertEquals(r.query_status, "done");
  const reps = r.job_monitor.full_report_dict_list as { message: string }[];
  assertEquals(reps.length, MAX_RUN_REPORTS);
  assertEquals([reps[0].message, reps[reps.length - 1].message], [`r${1500 - MAX_RUN_REPORTS}`, "r1499"]);
});

/** POST an urlencoded form. */
async function post(url: string, fields: Record<string, string>): Promise<[number, Json]> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return [r.status, await r.json()];
}

Deno.test("job records are bounded in bytes: big parameters push the oldest records out", async () => {
  await using sb = await startSandbox({ maxJobBytes: 50_000 });
  const token = await sb.mintToken({ sub: "a@b.c", roles: "general" });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const [st, r] = await post(`${sb.url}/run_analysis`, {
      instrument: "empty",
      product_type: "numerical",
      query_type: "Dummy",
      query_status: "new",
      p: String(i + 1),
      src_name: `${i}`.padEnd(10_000, "s"), // held twice: as given and normalised
      token,
    });
    assertEquals([st, r.query_status], [200, "done"]);
    ids.push(r.job_monitor.job_id);
    const { jobs, jobBytes } = sb.stats();
    assert(jobBytes <= 50_000 && jobBytes >= 20_000 * jobs, JSON.stringify(sb.stats()));
  }
  assertEquals(sb.stats().jobs, 2);
  // the oldest record is gone (upstream's answer for an unknown job), the newest answers
  const poll = (id: string) =>
    get(sb.url, "/run_analysis", {
      instrument: "empty",
      product_type: "numerical",
      query_type: "Dummy",
      query_status: "ready",
      job_id: id,
      session_id: "S",
      p: "1",
      token,
    });
  const [st0, r0] = await poll(ids[0]);
  assertEquals(st0, 400);
  assert(String(r0.error_message).includes("unable to find any record"), JSON.stringify(r0));
});

Deno.test("/call_back reports of a job are bounded in bytes (the newest are kept)", async () => {
  await using sb = await startSandbox({ jobDuration: 1e9 });
  const [, r0] = await get(sb.url, "/run_analysis", { ...EMPTY_ASYNC, query_status: "new" });
  const ids = { job_id: r0.job_monitor.job_id, session_id: r0.session_id };
  const chunk = Math.floor(MAX_CALLBACK_BYTES * 0.3);
  for (let i = 0; i < 5; i++) {
    const [st] = await post(`${sb.url}/call_back`, {
      ...ids,
      action: "progress",
      node_id: `n${i}`,
      message: `${i}`.padEnd(chunk, "m"),
    });
    assertEquals(st, 200);
  }
  const [, r] = await get(sb.url, "/run_analysis", { ...EMPTY_ASYNC, ...ids, query_status: "submitted" });
  const reps = r.job_monitor.full_report_dict_list as { node_id: string }[];
  assertEquals(reps.map((x) => x.node_id), ["n2", "n3", "n4"]);
  assert(sb.stats().jobBytes < MAX_CALLBACK_BYTES + 10_000, JSON.stringify(sb.stats()));
});
