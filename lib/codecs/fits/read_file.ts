/**
 * Reading FITS files from disk: big files in pieces straight into one buffer with the images swapped as
 * they arrive, big last binary tables streamed into their columns, small files in one pre-sized read.
 * Every read is at most 4 MiB, and the caller's signal and deadline are checked before each one, so a read
 * stops within one piece of an abort.
 *
 * @module
 */
import { FileError, OdaError } from "../../errors.ts";
import { columnGatherer, swapInPlace } from "./bytes.ts";
import { BLOCK_LENGTH, CARD_LENGTH, type FitsHeader } from "./header.ts";
import type { FitsHdu, FitsReadOptions } from "./hdu.ts";
import { isGzip } from "./gzip.ts";
import { interruptCheck, typedDecode, withDeadline } from "../budget.ts";
import { requireDeno } from "../../_runtime.ts";
import { READ_PIECE, readFileInPieces } from "../../data/read_pieces.ts";
import { readFitsOwned, readHeader, startsWith } from "./read.ts";
import { FIXED_NUMERIC, laneSize, parseBinTForm } from "./read_table.ts";

/**
 * Read a FITS (or `.fits.gz`) file from disk. `signal` and the time limit (`timeout` in milliseconds from the
 * call, as the client's, or `deadline`, a `Date.now()` timestamp) hold for the whole call: checked before
 * every piece read (at most 4 MiB) and between chunks of the decode; an abort ends it with
 * `OdaError("ABORTED")` (or the signal's reason if an `OdaError`), the time limit with `TIMEOUT`.
 *
 * @example
 * ```ts
 * import { readFitsFile } from "@oda-hub/oda-api/fits";
 * const [primary, ...ext] = await readFitsFile("mosaic.fits.gz", { timeout: 30_000 });
 * console.log(primary.header.get("TELESCOP"), ext.length);
 * ```
 */
export async function readFitsFile(path: string | URL, options: FitsReadOptions = {}): Promise<FitsHdu[]> {
  requireDeno("readFitsFile");
  options = withDeadline(options);
  const check = interruptCheck(options, `reading ${path}`);
  check();
  let hdus: FitsHdu[] | undefined;
  let bytes: Uint8Array | undefined;
  try {
    hdus = await readFitsFileChunked(path, options, check);
    if (!hdus) bytes = await readFileInPieces(path, check);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    throw new FileError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return hdus ?? typedDecode("FITS", `FITS file ${path}`, () => readFitsOwned(bytes!, options, true));
}

/** Files at least this big are read by {@linkcode readFitsFileStreamed}; tables this big are streamed. */
const STREAM_MIN = 4 << 20;
/** Bytes of table rows per read while streaming. */
const STREAM_CHUNK = 1 << 20;

/** Images at least this big are read into a buffer of their own. */
const OWN_MIN = 1 << 20;

/**
 * Read `data.length` bytes from the file's position into `data` in pieces, each piece swapped to native
 * order (lanes of `lane` bytes) as soon as it is in, while the next one is being read.
 */
async function readSwapped(
  data: Uint8Array,
  lane: number,
  readFull: (dst: Uint8Array) => Promise<void>,
): Promise<void> {
  const piece = (at: number) => data.subarray(at, Math.min(data.length, at + READ_PIECE));
  let pending = readFull(piece(0));
  try {
    for (let at = 0; at < data.length; at += READ_PIECE) {
      await pending;
      if (at + READ_PIECE < data.length) pending = readFull(piece(at + READ_PIECE));
      // pieces are multiples of 8 bytes: the swaps stay lane-aligned
      if (lane > 1) swapInPlace(piece(at), lane);
    }
  } finally {
    await pending.catch(() => {}); // no read left running on a closed file
  }
}

/**
 * Big files: the headers are scanned first (a few blocks); each image of 1 MiB or more is read into a buffer
 * of its own in 4 MiB pieces, each piece swapped to native byte order as soon as it is in (in cache) while the
 * next is being read on the runtime's I/O thread, and that buffer becomes the image's array (no second pass,
 * no copy); headers and small data are read into one buffer at their file offsets. When the last HDU is a big binary table of fixed-width numeric
 * columns (light curves, event lists), only what precedes its data is read that way and its rows are read in
 * 1 MiB chunks and gathered into the columns (the row-ordered data never exists as one buffer). Small files,
 * gzip, and anything unusual (trailing bytes, a header that does not parse, random groups) return undefined:
 * the caller reads the whole file the ordinary way (which reports the errors).
 */
async function readFitsFileChunked(
  path: string | URL,
  options: FitsReadOptions,
  check: () => void,
): Promise<FitsHdu[] | undefined> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    if (size < STREAM_MIN) return undefined;
    // every read is one piece of at most READ_PIECE, after the caller's signal and deadline are checked
    const readFull = async (dst: Uint8Array): Promise<void> => {
      let got = 0;
      while (got < dst.length) {
        check();
        const n = await file.read(dst.subarray(got, Math.min(dst.length, got + READ_PIECE)));
        if (n === null) throw new Error("file shrank while being read");
        got += n;
      }
    };
    // 1. scan the headers: where each HDU's data is, which are images, whether the last can be streamed
    let off = 0;
    const images: { start: number; end: number; lane: number }[] = [];
    let last: { dataOffset: number; plan: StreamPlan | undefined } | undefined;
    for (let index = 0; off < size; index++) {
      if (index > 64) return undefined;
      const blocks: Uint8Array[] = [];
      for (let found = false; !found;) {
        const pos = off + blocks.length * BLOCK_LENGTH;
        if (pos + BLOCK_LENGTH > size || blocks.length > 1000) return undefined;
        const b = new Uint8Array(BLOCK_LENGTH);
        await file.seek(pos, Deno.SeekMode.Start);
        await readFull(b);
        if (pos === 0 && isGzip(b)) return undefined;
        blocks.push(b);
        for (let i = 0; i < BLOCK_LENGTH && !found; i += CARD_LENGTH) found = startsWith(b, i, "END     ");
      }
      const head = new Uint8Array(blocks.length * BLOCK_LENGTH);
      blocks.forEach((b, k) => head.set(b, k * BLOCK_LENGTH));
      if (!startsWith(head, 0, index === 0 ? "SIMPLE  =" : "XTENSION")) return undefined;
      const { header, dataOffset } = readHeader(head, 0);
      const layout = dataLayout(header, index);
      if (!layout || off + dataOffset + layout.dataBytes > size) return undefined;
      const end = Math.min(
        size,
        off + dataOffset + Math.ceil(layout.dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH,
      );
      if (layout.image && layout.dataBytes > 0) {
        images.push({ start: off + dataOffset, end: off + dataOffset + layout.dataBytes, lane: layout.lane });
      }
      last = {
        dataOffset: off + dataOffset,
        plan: end === size && layout.dataBytes >= STREAM_MIN ? streamPlan(header, layout) : undefined,
      };
      off = end;
    }
    if (!last) return undefined;
    // 2. headers and small data into one buffer at their file offsets (the big images' ranges of it are never
    //    touched, so they cost no memory); each big image into a buffer of its own, swapped piece by piece
    const length = last.plan ? last.dataOffset : size;
    const buf = new Uint8Array(length);
    const own = new Map<number, Uint8Array>();
    let at = 0;
    for (const im of images) {
      if (im.end - im.start < OWN_MIN || im.end > length) continue;
      if (im.start > at) {
        await file.seek(at, Deno.SeekMode.Start);
        await readFull(buf.subarray(at, im.start));
      }
      const data = new Uint8Array(im.end - im.start);
      await file.seek(im.start, Deno.SeekMode.Start);
      await readSwapped(data, im.lane, readFull);
      own.set(im.start, data);
      at = im.end;
    }
    if (length > at) {
      await file.seek(at, Deno.SeekMode.Start);
      await readFull(buf.subarray(at, length));
    }
    // 3. the streamed table's rows
    const columns = last.plan ? await streamTable(last.plan, readFull) : undefined;
    return typedDecode("FITS", `FITS file ${path}`, () =>
      readFitsOwned(buf, options, true, {
        columns: new Map(columns ? [[last.dataOffset, columns]] : []),
        fileLength: size,
        images: own,
      }));
  } catch (e) {
    // limits, aborts and deadlines are final; anything else is read again the ordinary way
    if (e instanceof OdaError && e.code !== "FITS") throw e;
    return undefined;
  } finally {
    file.close();
  }
}

/** Where an HDU's data is and what it is, from its header alone. */
export interface DataLayout {
  dataBytes: number;
  bintable: boolean;
  /** Primary or IMAGE extension data (read as an image). */
  image: boolean;
  /** Bytes per pixel. */
  lane: number;
  pcount: number;
  axes: number[];
}

/** Data size of an HDU as `readHdu` computes it (undefined when anything is off). */
export function dataLayout(h: FitsHeader, index: number): DataLayout | undefined {
  const int = (k: string, dflt?: number): number | undefined => {
    const v = h.has(k) ? h.get(k) : dflt;
    return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  };
  const bitpix = h.get("BITPIX");
  if (typeof bitpix !== "number" || ![8, 16, 32, 64, -32, -64].includes(bitpix)) return undefined;
  const naxis = int("NAXIS");
  if (naxis === undefined || naxis > 999) return undefined;
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const a = int(`NAXIS${i}`);
    if (a === undefined) return undefined;
    axes.push(a);
  }
  const pcount = int("PCOUNT", 0);
  const gcount = int("GCOUNT", 1);
  if (pcount === undefined || gcount === undefined) return undefined;
  if (index === 0 && h.get("GROUPS") === true) return undefined;
  let elems = naxis === 0 ? 0 : 1;
  for (const a of axes) elems *= a;
  const dataBytes = (Math.abs(bitpix) / 8) * gcount * (pcount + elems);
  if (!Number.isSafeInteger(dataBytes)) return undefined;
  const xtension = String(h.get("XTENSION") ?? "").trim().toUpperCase();
  const bintable = index > 0 && xtension === "BINTABLE";
  const image = (index === 0 || xtension === "IMAGE") && naxis > 0;
  return { dataBytes, bintable, image, lane: Math.abs(bitpix) / 8, pcount, axes };
}

interface StreamPlan {
  rowBytes: number;
  nrows: number;
  cols: { colOff: number; width: number; lane: number }[];
}

/** A binary table whose columns are all fixed-width numeric (no heap): how to gather it. */
function streamPlan(h: FitsHeader, l: DataLayout): StreamPlan | undefined {
  if (!l.bintable || l.pcount !== 0 || l.axes.length !== 2 || h.get("BITPIX") !== 8) return undefined;
  const [rowBytes, nrows] = l.axes;
  const tfields = h.get("TFIELDS");
  if (typeof tfields !== "number" || !Number.isSafeInteger(tfields) || tfields < 1 || tfields > 999) {
    return undefined;
  }
  if (rowBytes === 0 || rowBytes > STREAM_CHUNK) return undefined;
  const cols: StreamPlan["cols"] = [];
  let colOff = 0;
  for (let i = 1; i <= tfields; i++) {
    const v = h.get(`TFORM${i}`);
    const f = typeof v === "string" ? parseBinTForm(v) : undefined;
    if (!f || !FIXED_NUMERIC.has(f.code) || f.width === 0 || colOff + f.width > rowBytes) return undefined;
    cols.push({ colOff, width: f.width, lane: laneSize(f.code) });
    colOff += f.width;
  }
  return { rowBytes, nrows, cols };
}

/** Read the table's rows chunk by chunk (from the file's current position) and gather them into columns. */
async function streamTable(
  plan: StreamPlan,
  readFull: (dst: Uint8Array) => Promise<void>,
): Promise<ArrayBuffer[]> {
  const { rowBytes, nrows, cols } = plan;
  const outs = cols.map((c) => new Uint8Array(nrows * c.width));
  const rowsPer = Math.max(1, Math.floor(STREAM_CHUNK / rowBytes));
  const bufs = [new Uint8Array(rowsPer * rowBytes), new Uint8Array(rowsPer * rowBytes)];
  const block = Math.max(1, Math.floor((256 * 1024) / rowBytes));
  const rowsOf = (r0: number) => Math.min(nrows, r0 + rowsPer) - r0;
  let pending = readFull(bufs[0].subarray(0, rowsOf(0) * rowBytes));
  try {
    const gather = columnGatherer(cols, outs, nrows);
    for (let r0 = 0, k = 0; r0 < nrows; r0 += rowsPer, k++) {
      await pending;
      const cur = bufs[k & 1];
      const n = rowsOf(r0);
      if (r0 + n < nrows) pending = readFull(bufs[(k + 1) & 1].subarray(0, rowsOf(r0 + n) * rowBytes));
      for (let b0 = 0; b0 < n; b0 += block) gather(cur, rowBytes, b0, Math.min(n, b0 + block), r0);
    }
  } finally {
    await pending.catch(() => {}); // no read left running on a closed file
  }
  return outs.map((o) => o.buffer);
}
