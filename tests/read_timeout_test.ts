/**
 * One name for a relative time limit: the user-facing file readers (`readFitsFile`, `openFitsFile` and its
 * `data()`/`hdu()`, `NumpyDataProduct.fromFitsFile`, `BinaryProduct.fromFile`) and `Job.poll` take
 * `timeout` (milliseconds from the call, as the client's methods), besides `deadline` (absolute) and `signal`.
 * File reads are observed (the real `Deno.FsFile.prototype.read`, wrapped to count bytes and, for the
 * timeout, to hold each read until the limit has passed: tests/_file_reads.ts), so no test passes unless the
 * read really stopped at its next check. Timers start short and grow only when the machine was measurably too
 * slow for them (`growingTimer`, tests/_deadline.ts): the full suite runs on a loaded machine.
 */
import assert from "node:assert/strict";
import { BinaryProduct, DispatcherAPI, NumpyDataProduct, OdaError } from "../mod.ts";
import { DecodeBudget, openFitsFile, readEcsv, readFits, readFitsFile, writeFitsFile } from "../fits.ts";
import type { SavedJob } from "../lib/client/job_types.ts";
import type { NdArray } from "../lib/data/ndarray.ts";
import { assertFired, growingTimer, settle, TOO_SLOW } from "./_deadline.ts";
import { observeReads, readsPastTheLimit, writeBigImage } from "./_file_reads.ts";
import { eventually, type Loopback, loopback, sleep } from "./_loopback.ts";

const MiB = 1 << 20;

const dir = await Deno.makeTempDir({ prefix: "oda_read_timeout_" });
const big = `${dir}/big.fits`;
await writeBigImage(big);
const SIZE = (await Deno.stat(big)).size;

function codeOf(e: unknown): string {
  assert.ok(e instanceof OdaError, `not an OdaError: ${e}`);
  return e.code;
}

/** The first time limit tried (grown when the machine is too slow to start reading within it). */
const TIMEOUT_MS = 150;

/**
 * Checks a call observed by `readsPastTheLimit` with a limit of `ms`: it ended with TIMEOUT, started no read
 * after the limit had passed, and read little. TOO_SLOW when the limit passed before the first read could
 * start, which is right only after the whole limit (work before the first read, under load).
 */
function stoppedAtTheLimit(
  name: string,
  ms: number,
  r: { error?: unknown; reads: number; bytes: number; late: number; ms: number },
): void | typeof TOO_SLOW {
  assert.equal(codeOf(r.error), "TIMEOUT", name);
  if (r.reads === 0) {
    assert.ok(r.ms >= ms - 5, `${name}: TIMEOUT after ${r.ms.toFixed(0)} ms, before its ${ms} ms limit`);
    return TOO_SLOW;
  }
  assert.equal(r.late, 0, `${name}: ${r.late} reads started after the limit had passed`);
  assert.ok(r.bytes < SIZE / 2, `${name}: ${r.bytes} of ${SIZE} bytes read`);
}

/** Waits until `Date.now()` is past `t`. */
async function until(t: number): Promise<void> {
  while (Date.now() <= t) await sleep(t + 1 - Date.now());
}

Deno.test("read timeout: every user-facing file reader stops with TIMEOUT when `timeout` passes mid-read", async () => {
  const opened = await openFitsFile(big); // headers only
  try {
    const readers: [string, (ms: number) => Promise<unknown>][] = [
      ["readFitsFile", (ms) => readFitsFile(big, { timeout: ms })],
      ["fromFitsFile", (ms) => NumpyDataProduct.fromFitsFile(big, { timeout: ms })],
      ["BinaryProduct.fromFile", (ms) => BinaryProduct.fromFile(big, "big", { timeout: ms })],
      ["openFitsFile(...).data", (ms) => opened.data(1, { timeout: ms })],
      ["openFitsFile(...).hdu", (ms) => opened.hdu(1, { timeout: ms })],
      // with both, the earlier one holds
      ["timeout before deadline", (ms) => readFitsFile(big, { timeout: ms, deadline: Date.now() + 60_000 })],
      ["deadline before timeout", (ms) => readFitsFile(big, { timeout: 60_000, deadline: Date.now() + ms })],
    ];
    for (const [name, read] of readers) {
      await growingTimer(name, TIMEOUT_MS, async (ms) => {
        return stoppedAtTheLimit(name, ms, await readsPastTheLimit(ms, () => read(ms)));
      });
    }
  } finally {
    opened.close();
  }
});

Deno.test("read timeout: openFitsFile's `timeout` holds for opening and again for each later read", async () => {
  await growingTimer("openFitsFile({ timeout })", TIMEOUT_MS, async (ms) => {
    const openedAt = Date.now();
    const opening = await settle(() => openFitsFile(big, { timeout: ms }));
    if (opening.rejected) {
      assert.equal(codeOf(opening.error), "TIMEOUT");
      assert.ok(opening.ms >= ms - 5, `the open ended with TIMEOUT after ${opening.ms.toFixed(0)} ms`);
      return TOO_SLOW; // opening took the whole timeout
    }
    const f = opening.value!;
    try {
      // past the open's timeout: a read counts it from its own start (an absolute deadline would be past)
      await until(openedAt + ms);
      const primary = await observeReads(() => f.hdu(0));
      if (primary.error !== undefined) {
        // an absolute deadline fails at once; a timeout from the read's start only after all of it
        assert.equal(codeOf(primary.error), "TIMEOUT", String(primary.error));
        assert.ok(primary.ms >= ms - 5, `hdu(0) ended with TIMEOUT after ${primary.ms.toFixed(0)} ms`);
        return TOO_SLOW;
      }
      assert.equal(primary.result?.type, "primary");
      // and it still bounds each read: a read held past it stops at its next check
      const held = stoppedAtTheLimit(
        "data(1) with the open's timeout",
        ms,
        await readsPastTheLimit(ms, () => f.data(1)),
      );
      if (held === TOO_SLOW) return held;
      // a read's own timeout replaces it; with nothing holding it, the image is read whole
      const sky = (await f.data(1, { timeout: 600_000 })) as NdArray;
      assert.equal((sky.values as Float32Array)[4099 * 2000], 4099 * 2000);
    } finally {
      f.close();
    }
  });
  // an absolute deadline given at open stays absolute for later reads
  await growingTimer("openFitsFile({ deadline })", TIMEOUT_MS, async (ms) => {
    const deadline = Date.now() + ms;
    const opening = await settle(() => openFitsFile(big, { deadline }));
    if (opening.rejected) {
      assert.equal(codeOf(opening.error), "TIMEOUT");
      assert.ok(opening.ms >= ms - 5, `the open ended with TIMEOUT after ${opening.ms.toFixed(0)} ms`);
      return TOO_SLOW;
    }
    const g = opening.value!;
    try {
      await until(deadline);
      const late = await observeReads(() => g.data(1));
      assert.equal(codeOf(late.error), "TIMEOUT");
      assert.equal(late.bytes, 0);
    } finally {
      g.close();
    }
  });
});

Deno.test("read timeout: BinaryProduct.fromFile reads whole, stops on an abort mid-read, reads nothing when aborted", async () => {
  const all = await observeReads(() => BinaryProduct.fromFile(big, "big"));
  assert.equal(all.error, undefined);
  assert.equal(all.result!.bin_data.length, SIZE);
  assert.deepEqual(all.result!.bin_data.subarray(0, 9), new TextEncoder().encode("SIMPLE  ="));
  assert.ok(all.bytes >= SIZE);

  const ctrl = new AbortController();
  let reads = 0, readsAtAbort = -1;
  const r = await observeReads(() => BinaryProduct.fromFile(big, "big", { signal: ctrl.signal }), (total) => {
    reads++;
    if (total >= MiB && !ctrl.signal.aborted) (readsAtAbort = reads), ctrl.abort();
  });
  assert.equal(codeOf(r.error), "ABORTED");
  assert.equal(reads, readsAtAbort, "no read started after the abort");
  assert.ok(r.bytes < SIZE / 4, `${r.bytes} of ${SIZE} bytes read`);

  const why = new AbortController();
  why.abort(new OdaError("TIMEOUT", "the notebook cell was interrupted"));
  const none = await observeReads(() => BinaryProduct.fromFile(big, null, { signal: why.signal }));
  assert.equal(codeOf(none.error), "TIMEOUT", "the signal's OdaError reason is passed through");
  assert.equal(none.reads, 0);
  const missing = await observeReads(() => BinaryProduct.fromFile(`${dir}/missing.bin`));
  assert.equal(codeOf(missing.error), "IO");
});

Deno.test("read timeout: a timeout that is not a number >= 0 is INVALID_ARGUMENT, before anything is read", async () => {
  for (const timeout of [-1, Number.NaN, "5" as unknown as number]) {
    for (
      const [name, read] of [
        ["readFitsFile", () => readFitsFile(big, { timeout })],
        ["openFitsFile", () => openFitsFile(big, { timeout })],
        ["fromFitsFile", () => NumpyDataProduct.fromFitsFile(big, { timeout })],
        ["BinaryProduct.fromFile", () => BinaryProduct.fromFile(big, null, { timeout })],
        ["readFits", () => Promise.resolve().then(() => readFits(new Uint8Array(2880), { timeout }))],
        ["DecodeBudget", () => Promise.resolve().then(() => new DecodeBudget({ timeout }))],
      ] as [string, () => Promise<unknown>][]
    ) {
      const r = await observeReads(read);
      assert.equal(codeOf(r.error), "INVALID_ARGUMENT", `${name} with timeout ${timeout}`);
      assert.equal(r.reads, 0, name);
    }
  }
});

Deno.test("read timeout: decoders take `timeout` through their budget, counted from its creation (a shared budget too)", async () => {
  await growingTimer("DecodeBudget({ timeout })", 20, async (ms) => {
    const t0 = performance.now();
    const own = new DecodeBudget({ timeout: ms, deadline: Date.now() + 60_000 });
    try {
      own.checkpoint(); // within its time
    } catch (e) {
      assert.equal(codeOf(e), "TIMEOUT");
      assert.ok(performance.now() - t0 >= ms - 5, "the budget's timeout fired before it passed");
      return TOO_SLOW; // this thread was not run for the whole timeout
    }
    await sleep(3 * ms);
    assert.throws(() => own.checkpoint(), (e) => codeOf(e) === "TIMEOUT");
  });
  // a budget shared by several decodes gets the timeout of the call that passes one
  const shared = new DecodeBudget();
  DecodeBudget.of({ decodeBudget: shared, timeout: 20 }, 0);
  await sleep(60);
  const ecsv = "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int64}\na\n1\n";
  assert.equal(readEcsv(ecsv).length, 1); // the same text decodes without the budget
  assert.throws(() => readEcsv(ecsv, { decodeBudget: shared }), (e) => codeOf(e) === "TIMEOUT");
  // a later call's own time limit replaces the shared one, whether given as `deadline` or as `timeout`
  // (a `timeout` used to be capped by the earlier call's deadline, already past: TIMEOUT at once)
  assert.equal(readEcsv(ecsv, { decodeBudget: shared, deadline: Date.now() + 60_000 }).length, 1);
  assert.equal(readEcsv(ecsv, { decodeBudget: shared, timeout: 60_000 }).length, 1);
  const again = new DecodeBudget();
  DecodeBudget.of({ decodeBudget: again, timeout: 20 }, 0);
  await sleep(60);
  assert.equal(readEcsv(ecsv, { decodeBudget: again, timeout: 60_000 }).length, 1);
  // with both, the earlier of the call's two holds
  assert.throws(
    () => readEcsv(ecsv, { decodeBudget: again, timeout: 60_000, deadline: Date.now() - 1 }),
    (e) => codeOf(e) === "TIMEOUT",
  );
});

/** A dispatcher whose answers never get their headers (until it is closed). */
function stallingServer(): Loopback {
  const waiting: (() => void)[] = [];
  const srv = loopback(() => new Promise<Response>((r) => waiting.push(() => r(new Response("{}")))));
  const close = () => (waiting.forEach((w) => w()), srv.close());
  return { ...srv, close, [Symbol.asyncDispose]: close };
}

Deno.test("read timeout: Job.poll takes `timeout` (ms) like wait/result; `deadline` still works; the client's default applies", async () => {
  await using srv = stallingServer();
  const saved: SavedJob = {
    kind: "oda-job",
    version: 1,
    url: srv.url,
    instrument: "isgri",
    product: "isgri_image",
    product_type: "Real",
    params: {},
    job_id: "0123456789abcdef",
    session_id: "ABCDEFGHIJKLMNOP",
    status: "submitted",
    submitted_at: Date.now(),
  };
  // the client's own request limits are far away: only the call's bounds can end the poll
  const limits = { token: null, requestTimeout: 60_000, idleTimeout: 60_000 };
  const job = DispatcherAPI.resume(saved, { ...limits, silent: true });
  const polls: [string, (ms: number) => Promise<string>][] = [
    ["poll({ timeout })", (ms) => job.poll({ timeout: ms })],
    ["poll({ deadline })", (ms) => job.poll({ deadline: Date.now() + ms })],
    [
      "poll({ timeout, deadline }): the earlier",
      (ms) => job.poll({ timeout: 60_000, deadline: Date.now() + ms }),
    ],
    [
      "poll() with the client's timeout",
      (ms) => DispatcherAPI.resume(saved, { ...limits, timeout: ms, silent: true }).poll(),
    ],
  ];
  for (const [name, poll] of polls) {
    await growingTimer(name, 400, async (ms) => {
      const before = srv.hits.length;
      const r = await settle(() => poll(ms));
      assert.equal(codeOf(r.error), "TIMEOUT", name);
      assertFired(name, r.ms, { firesMs: ms, fallbackMs: 60_000 });
      // the timer ended a poll the server was holding; under load it may fire before the request got there
      if (!(await eventually(() => srv.hits.length > before, 500))) return TOO_SLOW;
    });
  }
  const bad = await settle(() => job.poll({ timeout: -5 }));
  assert.equal(codeOf(bad.error), "INVALID_ARGUMENT");
  // a deadline that is not a time is refused too, as the decoders refuse it (it was ignored: no deadline)
  for (const deadline of [NaN, "soon" as unknown as number]) {
    const hits = srv.hits.length;
    const r = await settle(() => job.poll({ deadline }));
    assert.equal(codeOf(r.error), "INVALID_ARGUMENT", `deadline ${deadline}`);
    assert.equal(srv.hits.length, hits, "no request sent");
  }
});

Deno.test("read timeout: a file that grows while being read is read again in pieces, and an abort then is ABORTED", async () => {
  // the second read of a file whose size changed under the first used one whole-file read: an abort there
  // came out as FileError("IO") (the AbortError of Deno.readFile), and no check ran during it
  const small = `${dir}/grows.fits`;
  const image = {
    kind: "ndarray" as const,
    dtype: ">f4" as const,
    shape: [8, 8],
    values: new Float32Array(64),
  };
  await writeFitsFile(small, [{ type: "primary", data: image }]);
  const original = await Deno.readFile(small);
  const readers: [string, (signal?: AbortSignal) => Promise<unknown>][] = [
    ["readFitsFile", (signal) => readFitsFile(small, { signal })],
    ["BinaryProduct.fromFile", (signal) => BinaryProduct.fromFile(small, "f", { signal })],
  ];
  for (const [name, read] of readers) {
    // grows once, after the first pass read every byte it expected: the second pass gets it all
    await Deno.writeFile(small, original);
    let grown = false;
    const whole = await observeReads(() => read(), async () => {
      if (grown) return;
      grown = true;
      await Deno.writeFile(small, new Uint8Array(2880), { append: true });
    });
    assert.equal(whole.error, undefined, `${name}: ${whole.error}`);
    if (name === "BinaryProduct.fromFile") {
      assert.equal((whole.result as BinaryProduct).bin_data.length, original.length + 2880, name);
    }
    // grows and is aborted at once: the second pass stops before its first read, with ABORTED
    await Deno.writeFile(small, original);
    grown = false;
    const ac = new AbortController();
    const stopped = await observeReads(() => read(ac.signal), async () => {
      if (grown) return;
      grown = true;
      await Deno.writeFile(small, new Uint8Array(2880), { append: true });
      ac.abort();
    });
    assert.equal(codeOf(stopped.error), "ABORTED", `${name}: ${stopped.error}`);
    // the first pass: its one piece (then the abort) and the probe that found more; nothing after
    assert.ok(stopped.reads <= 2, `${name}: ${stopped.reads} reads, a piece read after the abort`);
  }
});

Deno.test("read timeout: a .fits.gz opened lazily takes the same read options as a plain file", async () => {
  // a gzip file is read whole at open and served from memory: its later reads must still say what a plain
  // file's say for the same options (the file's signal, a bad timeout, an expired deadline)
  const { gzip } = await import("../lib/codecs/fits/gzip.ts");
  const plain = `${dir}/lazy.fits`, packed = `${dir}/lazy.fits.gz`;
  const image = {
    kind: "ndarray" as const,
    dtype: ">f4" as const,
    shape: [4, 4],
    values: new Float32Array(16),
  };
  await writeFitsFile(plain, [{ type: "primary" }, { type: "image", name: "SKY", data: image }]);
  await Deno.writeFile(packed, gzip(await Deno.readFile(plain)));
  const outcome = async (f: () => Promise<unknown>) => {
    const r = await settle(f);
    return r.rejected ? codeOf(r.error) : "ok";
  };
  for (const path of [plain, packed]) {
    const ac = new AbortController();
    const file = await openFitsFile(path, { signal: ac.signal });
    try {
      const cases = {
        "read before the abort": await outcome(() => file.data(1)),
        "timeout: -1": await outcome(() => file.data(1, { timeout: -1 })),
        "deadline passed": await outcome(() => file.hdu(1, { deadline: Date.now() - 1 })),
        "own signal aborted": await outcome(() => file.data(1, { signal: AbortSignal.abort() })),
        "file's signal aborted": await (ac.abort(), outcome(() => file.data(1))),
      };
      assert.deepEqual(cases, {
        "read before the abort": "ok",
        "timeout: -1": "INVALID_ARGUMENT",
        "deadline passed": "TIMEOUT",
        "own signal aborted": "ABORTED",
        "file's signal aborted": "ABORTED",
      }, path);
    } finally {
      file.close();
    }
    // and a closed file is closed, read from disk or from memory
    assert.equal(
      await outcome(() => file.data(1, { signal: new AbortController().signal })),
      "INVALID_ARGUMENT",
    );
  }
});

Deno.test({
  name: "read timeout: temporary files removed",
  fn: async () => {
    await Deno.remove(dir, { recursive: true });
  },
});
