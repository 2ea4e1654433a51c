/**
 * One name for a relative time limit: the user-facing file readers (`readFitsFile`, `openFitsFile` and its
 * `data()`/`hdu()`, `NumpyDataProduct.fromFitsFile`, `BinaryProduct.fromFile`) and `Job.poll` take
 * `timeout` (milliseconds from the call, as the client's methods), besides `deadline` (absolute) and `signal`.
 * File reads are observed (the real `Deno.FsFile.prototype.read`, wrapped to count bytes and, for the
 * timeout, to slow each read down), so no test passes unless the read really stopped early.
 */
import assert from "node:assert/strict";
import { BinaryProduct, DispatcherAPI, NumpyDataProduct, OdaError } from "../mod.ts";
import { DecodeBudget, openFitsFile, readEcsv, readFits, readFitsFile, writeFitsFile } from "../fits.ts";
import type { SavedJob } from "../lib/client/job_types.ts";
import type { NdArray } from "../lib/data/ndarray.ts";
import { assertFired, settle } from "./_deadline.ts";
import { type Loopback, loopback } from "./_loopback.ts";

const SIDE = 4096; // one float32 image of 64 MiB
const MiB = 1 << 20;

const dir = await Deno.makeTempDir({ prefix: "oda_read_timeout_" });
const big = `${dir}/big.fits`;
const values = new Float32Array(SIDE * SIDE);
for (let i = 0; i < values.length; i += 4099) values[i] = i;
await writeFitsFile(big, [{ type: "primary" }, {
  type: "image",
  name: "SKY",
  data: { kind: "ndarray", dtype: ">f4", shape: [SIDE, SIDE], values },
}]);
const SIZE = (await Deno.stat(big)).size;

/** Count the bytes of every file read while `f` runs; `after(total)` runs after each read. */
async function observed<T>(
  f: () => Promise<T>,
  after: (total: number) => void | Promise<void> = () => {},
): Promise<{ result?: T; error?: unknown; bytes: number; reads: number }> {
  const proto = Deno.FsFile.prototype;
  const original = proto.read;
  const seen = { bytes: 0, reads: 0 };
  proto.read = async function (this: Deno.FsFile, p: Uint8Array): Promise<number | null> {
    seen.reads++;
    const n = await original.call(this, p);
    if (n !== null) seen.bytes += n;
    await after(seen.bytes);
    return n;
  };
  try {
    return { result: await f(), ...seen };
  } catch (error) {
    return { error, ...seen };
  } finally {
    proto.read = original;
  }
}

function codeOf(e: unknown): string {
  assert.ok(e instanceof OdaError, `not an OdaError: ${e}`);
  return e.code;
}

/** Each read slowed by this much: the whole file (16 pieces of 4 MiB or more) would take far longer. */
const SLOW_MS = 300;
const slow = () => new Promise<void>((ok) => setTimeout(ok, SLOW_MS));
/** What a missed time limit would reach: the end of the whole (slowed) read. */
const FALLBACK_MS = (SIZE / (4 * MiB)) * SLOW_MS;
const TIMEOUT_MS = 150;

Deno.test("read timeout: every user-facing file reader stops with TIMEOUT when `timeout` passes mid-read", async () => {
  const opened = await openFitsFile(big); // headers only, not slowed
  try {
    const readers: [string, () => Promise<unknown>][] = [
      ["readFitsFile", () => readFitsFile(big, { timeout: TIMEOUT_MS })],
      ["fromFitsFile", () => NumpyDataProduct.fromFitsFile(big, { timeout: TIMEOUT_MS })],
      ["BinaryProduct.fromFile", () => BinaryProduct.fromFile(big, "big", { timeout: TIMEOUT_MS })],
      ["openFitsFile(...).data", () => opened.data(1, { timeout: TIMEOUT_MS })],
      ["openFitsFile(...).hdu", () => opened.hdu(1, { timeout: TIMEOUT_MS })],
      // with both, the earlier one holds
      [
        "timeout before deadline",
        () => readFitsFile(big, { timeout: TIMEOUT_MS, deadline: Date.now() + 60_000 }),
      ],
      [
        "deadline before timeout",
        () => readFitsFile(big, { timeout: 60_000, deadline: Date.now() + TIMEOUT_MS }),
      ],
    ];
    for (const [name, read] of readers) {
      const t0 = performance.now();
      const r = await observed(read, slow);
      const ms = performance.now() - t0;
      assert.equal(codeOf(r.error), "TIMEOUT", name);
      assert.ok(r.bytes > 0 && r.bytes < SIZE / 2, `${name}: ${r.bytes} of ${SIZE} bytes read`);
      assertFired(name, ms, { firesMs: TIMEOUT_MS, fallbackMs: FALLBACK_MS });
    }
  } finally {
    opened.close();
  }
});

Deno.test("read timeout: openFitsFile's `timeout` holds for opening and again for each later read", async () => {
  const f = await openFitsFile(big, { timeout: TIMEOUT_MS });
  try {
    // long after the open's timeout: a read counts it from its own start (an absolute deadline would be past)
    await new Promise((ok) => setTimeout(ok, 2 * TIMEOUT_MS));
    const primary = await observed(() => f.hdu(0));
    assert.equal(primary.error, undefined, String(primary.error));
    assert.equal(primary.result?.type, "primary");
    // and it still bounds each read: a slowed read of the image stops
    const t0 = performance.now();
    const r = await observed(() => f.data(1), slow);
    assert.equal(codeOf(r.error), "TIMEOUT");
    assert.ok(r.bytes < SIZE / 2, `${r.bytes} of ${SIZE} bytes read`);
    assertFired("the open's timeout, for a later read", performance.now() - t0, {
      firesMs: TIMEOUT_MS,
      fallbackMs: FALLBACK_MS,
    });
    // a read's own timeout replaces it; with nothing slowing it, the image is read whole
    const sky = (await f.data(1, { timeout: 600_000 })) as NdArray;
    assert.equal((sky.values as Float32Array)[4099 * 2000], 4099 * 2000);
  } finally {
    f.close();
  }
  // an absolute deadline given at open stays absolute for later reads
  const g = await openFitsFile(big, { deadline: Date.now() + TIMEOUT_MS });
  try {
    await new Promise((ok) => setTimeout(ok, 2 * TIMEOUT_MS));
    const late = await observed(() => g.data(1));
    assert.equal(codeOf(late.error), "TIMEOUT");
    assert.equal(late.bytes, 0);
  } finally {
    g.close();
  }
});

Deno.test("read timeout: BinaryProduct.fromFile reads whole, stops on an abort mid-read, reads nothing when aborted", async () => {
  const all = await observed(() => BinaryProduct.fromFile(big, "big"));
  assert.equal(all.error, undefined);
  assert.equal(all.result!.bin_data.length, SIZE);
  assert.deepEqual(all.result!.bin_data.subarray(0, 9), new TextEncoder().encode("SIMPLE  ="));
  assert.ok(all.bytes >= SIZE);

  const ctrl = new AbortController();
  let reads = 0, readsAtAbort = -1;
  const r = await observed(() => BinaryProduct.fromFile(big, "big", { signal: ctrl.signal }), (total) => {
    reads++;
    if (total >= MiB && !ctrl.signal.aborted) (readsAtAbort = reads), ctrl.abort();
  });
  assert.equal(codeOf(r.error), "ABORTED");
  assert.equal(reads, readsAtAbort, "no read started after the abort");
  assert.ok(r.bytes < SIZE / 4, `${r.bytes} of ${SIZE} bytes read`);

  const why = new AbortController();
  why.abort(new OdaError("TIMEOUT", "the notebook cell was interrupted"));
  const none = await observed(() => BinaryProduct.fromFile(big, null, { signal: why.signal }));
  assert.equal(codeOf(none.error), "TIMEOUT", "the signal's OdaError reason is passed through");
  assert.equal(none.reads, 0);
  const missing = await observed(() => BinaryProduct.fromFile(`${dir}/missing.bin`));
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
      const r = await observed(read);
      assert.equal(codeOf(r.error), "INVALID_ARGUMENT", `${name} with timeout ${timeout}`);
      assert.equal(r.reads, 0, name);
    }
  }
});

Deno.test("read timeout: decoders take `timeout` through their budget, counted from its creation (a shared budget too)", async () => {
  const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
  const own = new DecodeBudget({ timeout: 20, deadline: Date.now() + 60_000 });
  own.checkpoint(); // within its time
  await sleep(60);
  assert.throws(() => own.checkpoint(), (e) => codeOf(e) === "TIMEOUT");
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
  const DEADLINE = 400;
  const bounds = { firesMs: DEADLINE, fallbackMs: 60_000 };
  const job = DispatcherAPI.resume(saved, { ...limits, silent: true });
  const byTimeout = await settle(() => job.poll({ timeout: DEADLINE }));
  assert.equal(codeOf(byTimeout.error), "TIMEOUT");
  assertFired("poll({ timeout })", byTimeout.ms, bounds);
  const byDeadline = await settle(() => job.poll({ deadline: Date.now() + DEADLINE }));
  assert.equal(codeOf(byDeadline.error), "TIMEOUT");
  assertFired("poll({ deadline })", byDeadline.ms, bounds);
  const earlier = await settle(() => job.poll({ timeout: 60_000, deadline: Date.now() + DEADLINE }));
  assert.equal(codeOf(earlier.error), "TIMEOUT");
  assertFired("poll({ timeout, deadline }): the earlier", earlier.ms, bounds);
  const byDefault = await settle(() =>
    DispatcherAPI.resume(saved, { ...limits, timeout: DEADLINE, silent: true }).poll()
  );
  assert.equal(codeOf(byDefault.error), "TIMEOUT");
  assertFired("poll() with the client's timeout", byDefault.ms, bounds);
  const bad = await settle(() => job.poll({ timeout: -5 }));
  assert.equal(codeOf(bad.error), "INVALID_ARGUMENT");
  assert.ok(srv.hits.length >= 4, `${srv.hits.length} polls reached the server`);
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
    const whole = await observed(() => read(), async () => {
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
    const stopped = await observed(() => read(ac.signal), async () => {
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
  }
});

Deno.test({
  name: "read timeout: temporary files removed",
  fn: async () => {
    await Deno.remove(dir, { recursive: true });
  },
});
