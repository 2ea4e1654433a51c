/**
 * Test helper (file reads): what a file reader really read. The real `Deno.FsFile.prototype.read` is wrapped
 * while one call runs to count its reads and bytes and, through a hook run after each read, to slow it down
 * or to abort it at a known point. So a test of an abort or a time limit cannot pass unless the read really
 * stopped early.
 *
 * For a time limit, {@linkcode readsPastTheLimit} observes a call: after each read it waits until the call's
 * limit has certainly passed and counts the reads started after that (`late`). A reader that honours its
 * limit stops at its next check (`late` is 0); one that misses it reads on, at full speed, and is seen.
 * Nothing depends on how fast the machine is, except that the first read must begin within the limit: a test
 * gives the limit room with `growingTimer` (tests/_deadline.ts) and treats "TIMEOUT before any read, after
 * the whole limit" as the machine being too slow for that limit, never as a pass.
 *
 * @module
 */
import { writeFitsFile } from "../lib/codecs/fits/write.ts";

/** Side of the big test image: one float32 image of 64 MiB. */
export const BIG_SIDE = 4096;

/**
 * Writes the big test file to `path`: an empty primary HDU, then a {@linkcode BIG_SIDE}² float32 image
 * `SKY`, zero but for the value `i` at every index `i` that is a multiple of 4099 (a test reads some back to
 * see the read was whole).
 */
export async function writeBigImage(path: string): Promise<void> {
  const values = new Float32Array(BIG_SIDE * BIG_SIDE);
  for (let i = 0; i < values.length; i += 4099) values[i] = i;
  await writeFitsFile(path, [{ type: "primary" }, {
    type: "image",
    name: "SKY",
    data: { kind: "ndarray", dtype: ">f4", shape: [BIG_SIDE, BIG_SIDE], values },
  }]);
}

/** What the reads of one call did. */
export interface ObservedReads<T> {
  /** The call's value, when it resolved. */
  result?: T;
  /** Its rejection, when it rejected. */
  error?: unknown;
  /** Bytes read. */
  bytes: number;
  /** Reads started. */
  reads: number;
  /** Milliseconds from the call to its settlement. */
  ms: number;
}

/**
 * Runs `f` with every `Deno.FsFile` read counted; `after(totalBytes)` runs after each read (its promise is
 * awaited before the read returns to the reader), `before()` as each read starts. Never throws: the call's
 * error is in `error`.
 */
export async function observeReads<T>(
  f: () => Promise<T>,
  after: (total: number) => void | Promise<void> = () => {},
  before: () => void = () => {},
): Promise<ObservedReads<T>> {
  const proto = Deno.FsFile.prototype;
  const original = proto.read;
  const seen = { bytes: 0, reads: 0 };
  proto.read = async function (this: Deno.FsFile, p: Uint8Array): Promise<number | null> {
    before();
    seen.reads++;
    const n = await original.call(this, p);
    if (n !== null) seen.bytes += n;
    await after(seen.bytes);
    return n;
  };
  const t0 = performance.now();
  try {
    const result = await f();
    return { result, ...seen, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ...seen, ms: performance.now() - t0 };
  } finally {
    proto.read = original;
  }
}

/**
 * Observes `call`, which sets itself a time limit of `ms` when called (a `timeout`, or a `deadline` computed
 * by the caller at the call): after each read the hook waits until `Date.now()` is past the limit, so the
 * reader's next check must fire; `late` counts the reads started after that. A reader that computes its limit
 * later than its call (after an `await`) may see `late` reads: the limit must count from the call.
 */
export async function readsPastTheLimit<T>(
  ms: number,
  call: () => Promise<T>,
): Promise<ObservedReads<T> & { late: number }> {
  let limit = Infinity;
  let passed = false;
  let late = 0;
  const r = await observeReads(() => {
    const p = call();
    // the call has computed its limit (synchronously, at its start): it is at most now + ms
    limit = Date.now() + ms;
    return p;
  }, async () => {
    while (Date.now() <= limit) await new Promise((ok) => setTimeout(ok, limit + 1 - Date.now()));
    passed = true;
  }, () => {
    if (passed) late++;
  });
  return { ...r, late };
}
