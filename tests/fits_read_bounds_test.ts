/**
 * Reading a big FITS file from disk is interruptible: `readFitsFile`, `openFitsFile` (and a lazy HDU read)
 * and `NumpyDataProduct.fromFitsFile` check the caller's signal and deadline before every piece they read, so
 * an abort or a deadline stops a 64 MiB read within one piece. The file's reads are observed (the real
 * `Deno.FsFile.prototype.read`, wrapped to count bytes and, for the deadline, to slow each read down) so a
 * test cannot pass without the read really stopping early.
 */
import assert from "node:assert/strict";
import { readFitsFile } from "../lib/codecs/fits/read_file.ts";
import { openFitsFile } from "../lib/codecs/fits/open.ts";
import { writeFitsFile } from "../lib/codecs/fits/write.ts";
import type { NdArray } from "../lib/data/ndarray.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { OdaError } from "../lib/errors.ts";
import { assertFired } from "./_deadline.ts";

const SIDE = 4096; // one float32 image of 64 MiB
const MiB = 1 << 20;

const dir = await Deno.makeTempDir({ prefix: "oda_fits_bounds_" });
const big = `${dir}/big.fits`;
/** The same file with bytes after the last HDU: read the ordinary (whole-file) way. */
const trailing = `${dir}/trailing.fits`;
const values = new Float32Array(SIDE * SIDE);
for (let i = 0; i < values.length; i += 4099) values[i] = i;
await writeFitsFile(big, [{ type: "primary" }, {
  type: "image",
  name: "SKY",
  data: { kind: "ndarray", dtype: ">f4", shape: [SIDE, SIDE], values },
}]);
{
  const bytes = await Deno.readFile(big);
  const withJunk = new Uint8Array(bytes.length + 2880);
  withJunk.set(bytes);
  withJunk.fill(0x41, bytes.length);
  await Deno.writeFile(trailing, withJunk);
}
const SIZE = (await Deno.stat(big)).size;

/** Count the bytes of every file read while `f` runs; `after(n, total)` runs after each read. */
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

/** A signal aborted as soon as 1 MiB has been read, and the number of reads started after that. */
function abortAfterFirstPiece() {
  const ctrl = new AbortController();
  const state = { readsAtAbort: -1 };
  let reads = 0;
  const after = (total: number) => {
    reads++;
    if (total >= MiB && !ctrl.signal.aborted) {
      state.readsAtAbort = reads;
      ctrl.abort();
    }
  };
  return { signal: ctrl.signal, after, state, reads: () => reads };
}

function codeOf(e: unknown): string {
  assert.ok(e instanceof OdaError, `not an OdaError: ${e}`);
  return e.code;
}

Deno.test("FITS file reads: the whole 64 MiB file is read when nothing stops it (the observer sees every byte)", async () => {
  for (const path of [big, trailing]) {
    const r = await observed(() => readFitsFile(path));
    if (path === big) {
      assert.equal(r.error, undefined);
      const sky = r.result![1].data as NdArray;
      assert.deepEqual(sky.shape, [SIDE, SIDE]);
      assert.equal((sky.values as Float32Array)[4099 * 1000], 4099 * 1000);
    }
    assert.ok(r.bytes >= SIZE, `${path}: ${r.bytes} of ${SIZE} bytes read`);
  }
});

Deno.test("FITS file reads: an abort after the first piece stops readFitsFile (chunked and whole-file paths)", async () => {
  for (const path of [big, trailing]) {
    const a = abortAfterFirstPiece();
    const r = await observed(() => readFitsFile(path, { signal: a.signal }), a.after);
    assert.equal(codeOf(r.error), "ABORTED", path);
    assert.ok(a.state.readsAtAbort > 0, "the signal fired during the read");
    assert.equal(a.reads(), a.state.readsAtAbort, `${path}: no read started after the abort`);
    assert.ok(r.bytes < SIZE / 4, `${path}: ${r.bytes} of ${SIZE} bytes read`);
  }
});

Deno.test("FITS file reads: a lazy HDU read stops on its own signal; the file stays usable", async () => {
  const f = await openFitsFile(big);
  try {
    const a = abortAfterFirstPiece();
    const r = await observed(() => f.data(1, { signal: a.signal }), a.after);
    assert.equal(codeOf(r.error), "ABORTED");
    assert.equal(a.reads(), a.state.readsAtAbort, "no read started after the abort");
    assert.ok(r.bytes < SIZE / 4, `${r.bytes} of ${SIZE} bytes read`);
    // an expired deadline of the read itself: nothing read
    const late = await observed(() => f.data(1, { deadline: Date.now() - 1 }));
    assert.equal(codeOf(late.error), "TIMEOUT");
    assert.equal(late.bytes, 0);
    // the next read without bounds reads it all
    const sky = (await f.data(1)) as NdArray;
    assert.equal((sky.values as Float32Array)[4099 * 2000], 4099 * 2000);
  } finally {
    f.close();
  }
});

Deno.test("FITS file reads: an already-aborted signal reads nothing, whoever is asked", async () => {
  const ctrl = new AbortController();
  ctrl.abort();
  const calls: [string, () => Promise<unknown>][] = [
    ["readFitsFile", () => readFitsFile(big, { signal: ctrl.signal })],
    ["openFitsFile", () => openFitsFile(big, { signal: ctrl.signal })],
    ["fromFitsFile", () => NumpyDataProduct.fromFitsFile(big, { signal: ctrl.signal })],
  ];
  for (const [name, call] of calls) {
    const r = await observed(call);
    assert.equal(codeOf(r.error), "ABORTED", name);
    assert.equal(r.reads, 0, `${name}: ${r.reads} reads`);
  }
  // the signal's reason wins when it is an OdaError
  const why = new AbortController();
  why.abort(new OdaError("TIMEOUT", "the notebook cell was interrupted"));
  const r = await observed(() => readFitsFile(big, { signal: why.signal }));
  assert.equal(codeOf(r.error), "TIMEOUT");
});

Deno.test("FITS file reads: a deadline passing mid-read stops fromFitsFile within a piece", async () => {
  const deadlineMs = 150;
  // each read is slowed down so that the whole read (at least 16 pieces of 4 MiB) would take far longer than
  // the deadline: that is the fallback a missed deadline would reach
  const slowMs = 300;
  const fallbackMs = (SIZE / (4 * MiB)) * slowMs;
  const t0 = performance.now();
  const r = await observed(
    () => NumpyDataProduct.fromFitsFile(big, { deadline: Date.now() + deadlineMs }),
    () => new Promise((ok) => setTimeout(ok, slowMs)),
  );
  assert.equal(codeOf(r.error), "TIMEOUT");
  assert.ok(r.bytes > 0 && r.bytes < SIZE / 2, `${r.bytes} of ${SIZE} bytes read`);
  assertFired("the deadline of fromFitsFile", performance.now() - t0, { firesMs: deadlineMs, fallbackMs });
});

Deno.test({
  name: "FITS file reads: temporary files removed",
  fn: async () => {
    await Deno.remove(dir, { recursive: true });
  },
});
