/**
 * Reading a big FITS file from disk is interruptible: `readFitsFile`, `openFitsFile` (and a lazy HDU read)
 * and `NumpyDataProduct.fromFitsFile` check the caller's signal and deadline before every piece they read, so
 * an abort or a deadline stops a 64 MiB read within one piece. The file's reads are observed (the real
 * `Deno.FsFile.prototype.read`, wrapped to count bytes and, for the deadline, to hold each read until it has
 * passed: tests/_file_reads.ts) so a test cannot pass without the read really stopping at its next check.
 */
import assert from "node:assert/strict";
import { readFitsFile } from "../lib/codecs/fits/read_file.ts";
import { openFitsFile } from "../lib/codecs/fits/open.ts";
import type { NdArray } from "../lib/data/ndarray.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { OdaError } from "../lib/errors.ts";
import { growingTimer, TOO_SLOW } from "./_deadline.ts";
import { BIG_SIDE as SIDE, observeReads, readsPastTheLimit, writeBigImage } from "./_file_reads.ts";

const MiB = 1 << 20;

const dir = await Deno.makeTempDir({ prefix: "oda_fits_bounds_" });
const big = `${dir}/big.fits`;
/** The same file with bytes after the last HDU: read the ordinary (whole-file) way. */
const trailing = `${dir}/trailing.fits`;
await writeBigImage(big);
{
  const bytes = await Deno.readFile(big);
  const withJunk = new Uint8Array(bytes.length + 2880);
  withJunk.set(bytes);
  withJunk.fill(0x41, bytes.length);
  await Deno.writeFile(trailing, withJunk);
}
const SIZE = (await Deno.stat(big)).size;

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
    const r = await observeReads(() => readFitsFile(path));
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
    const r = await observeReads(() => readFitsFile(path, { signal: a.signal }), a.after);
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
    const r = await observeReads(() => f.data(1, { signal: a.signal }), a.after);
    assert.equal(codeOf(r.error), "ABORTED");
    assert.equal(a.reads(), a.state.readsAtAbort, "no read started after the abort");
    assert.ok(r.bytes < SIZE / 4, `${r.bytes} of ${SIZE} bytes read`);
    // an expired deadline of the read itself: nothing read
    const late = await observeReads(() => f.data(1, { deadline: Date.now() - 1 }));
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
    const r = await observeReads(call);
    assert.equal(codeOf(r.error), "ABORTED", name);
    assert.equal(r.reads, 0, `${name}: ${r.reads} reads`);
  }
  // the signal's reason wins when it is an OdaError
  const why = new AbortController();
  why.abort(new OdaError("TIMEOUT", "the notebook cell was interrupted"));
  const r = await observeReads(() => readFitsFile(big, { signal: why.signal }));
  assert.equal(codeOf(r.error), "TIMEOUT");
});

Deno.test("FITS file reads: a deadline passing mid-read stops fromFitsFile at its next piece", async () => {
  // each read is held until the deadline has passed: the next check must fire, no read may start after it
  await growingTimer("the deadline of fromFitsFile", 150, async (ms) => {
    const r = await readsPastTheLimit(
      ms,
      () => NumpyDataProduct.fromFitsFile(big, { deadline: Date.now() + ms }),
    );
    assert.equal(codeOf(r.error), "TIMEOUT");
    if (r.reads === 0) {
      // the deadline passed before the first read: right only after all of it (the machine was too slow)
      assert.ok(r.ms >= ms - 5, `TIMEOUT after ${r.ms.toFixed(0)} ms, before the ${ms} ms deadline`);
      return TOO_SLOW;
    }
    assert.equal(r.late, 0, `${r.late} reads started after the deadline had passed`);
    assert.ok(r.bytes < SIZE / 2, `${r.bytes} of ${SIZE} bytes read`);
  });
});

Deno.test({
  name: "FITS file reads: temporary files removed",
  fn: async () => {
    await Deno.remove(dir, { recursive: true });
  },
});
