/**
 * Reading a whole file from disk in pieces, with a check (the caller's signal and time limit) before each,
 * so a read of a huge file stops within one piece of an abort.
 *
 * @module
 */
import { requireDeno } from "../_runtime.ts";
import { concatBytes } from "./bytes.ts";

/** Bytes of one read: an abort or a time limit is noticed within this much. */
export const READ_PIECE: number = 4 << 20;

/**
 * The whole file at `path` into one buffer sized from `stat` (`Deno.readFile` grows its buffer as it reads:
 * about 2× slower for a 64 MB file), in pieces of at most {@linkcode READ_PIECE} bytes with `check()` before
 * each (it throws to stop: the caller's signal and time limit). A file that changes size while being read is
 * read again to its end, in pieces with the same check. Errors of the file system are thrown as they are
 * (the caller wraps them).
 *
 * @example
 * ```ts
 * import { readFileInPieces } from "./read_pieces.ts";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([1, 2, 3]));
 * const signal = AbortSignal.timeout(10_000);
 * assert.deepEqual(await readFileInPieces(path, () => signal.throwIfAborted()), new Uint8Array([1, 2, 3]));
 * ```
 */
export async function readFileInPieces(path: string | URL, check: () => void): Promise<Uint8Array> {
  requireDeno("reading files");
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const buf = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      check();
      const n = await file.read(buf.subarray(got, Math.min(size, got + READ_PIECE)));
      if (n === null) break;
      got += n;
    }
    if (got === size && (await file.read(new Uint8Array(1))) === null) return buf;
  } finally {
    file.close();
  }
  return await readToEnd(path, check);
}

/** The file read again from its start to wherever it ends now, in pieces, `check()` before each. */
async function readToEnd(path: string | URL, check: () => void): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const pieces: Uint8Array[] = [];
    for (;;) {
      check();
      const piece = new Uint8Array(READ_PIECE);
      const n = await file.read(piece);
      if (n === null) break;
      pieces.push(n < piece.length / 2 ? piece.slice(0, n) : piece.subarray(0, n)); // short reads hold no spare MiBs
    }
    return concatBytes(pieces);
  } finally {
    file.close();
  }
}
