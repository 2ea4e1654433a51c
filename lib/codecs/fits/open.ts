/**
 * A FITS file opened lazily: the headers of every HDU are read when the file is opened (a few blocks each),
 * the data of one HDU only when it is asked for (its bytes alone, at their offset in the file). Reads are
 * pieces of at most 4 MiB with the caller's signal and deadline checked before each.
 *
 * @module
 */
import { FileError, OdaError } from "../../errors.ts";
import type { NdArray, Table } from "../../data/ndarray.ts";
import { BLOCK_LENGTH, CARD_LENGTH, fitsError, type FitsHeader } from "./header.ts";
import type { FitsHdu, FitsHduType, FitsReadOptions } from "./hdu.ts";
import { isGzip } from "./gzip.ts";
import { DecodeBudget, type DecodeOptions, interruptCheck, typedDecode, withDeadline } from "../budget.ts";
import { requireDeno } from "../../_runtime.ts";
import { readHdu, readHeader, startsWith } from "./read.ts";
import { dataLayout, readFitsFile } from "./read_file.ts";

/** An HDU of an opened file: its header, without its data. */
export interface FitsHduInfo {
  /** Position in the file (0 = primary). */
  index: number;
  /** `EXTNAME`, or `"PRIMARY"` for the primary HDU without one (`""` for a nameless extension). */
  name: string;
  /** HDU kind. */
  type: FitsHduType;
  /** The full header. */
  header: FitsHeader;
  /** Bytes of data (heap included) the HDU holds. */
  dataBytes: number;
}

/**
 * A FITS file opened with {@linkcode openFitsFile}: headers known, data read on demand. Close it when done.
 *
 * @example
 * ```ts
 * import { openFitsFile } from "@oda-hub/oda-api/fits";
 * const f = await openFitsFile("mosaic.fits");
 * try {
 *   console.log(f.hdus.map((h) => h.name));
 *   const sig = await f.data(3); // reads the third extension's pixels only
 * } finally {
 *   f.close();
 * }
 * ```
 */
export interface FitsFile {
  /** Every HDU's header (no data read). */
  readonly hdus: readonly FitsHduInfo[];
  /**
   * The data of HDU `index`, read from the file now. `options` (`signal`, `timeout` or `deadline`,
   * `decodeBudget`) replace those given to `openFitsFile` for this read (a `timeout` or `deadline` given here
   * replaces both of the file's): checked before every piece read and while decoding.
   */
  data(index: number, options?: DecodeOptions): Promise<NdArray | Table | null>;
  /** HDU `index` with its data, as {@linkcode readFitsFile} gives it (same `options` as `data`). */
  hdu(index: number, options?: DecodeOptions): Promise<FitsHdu>;
  /** Close the file (a `.fits.gz`, read whole, is closed too: later reads are `INVALID_ARGUMENT`). */
  close(): void;
}

interface Place {
  /** File offset of the header. */
  start: number;
  /** File offset after the HDU's data (padded, or the end of the file). */
  end: number;
}

/**
 * Open a FITS file lazily: its headers are read now, each HDU's data when {@linkcode FitsFile.data} asks for
 * it (only that HDU's bytes are read). A gzip-compressed file cannot be read in parts: it is read whole (with
 * {@linkcode readFitsFile}) and served from memory. Errors as `readFitsFile`'s (`DecodeError("FITS")`,
 * `FileError("IO")`). `signal` and the time limit hold while the headers are read and, unless a read gives
 * its own, for every later read of data: checked before every piece read (at most 4 MiB), so an abort stops a
 * read of a huge HDU within one piece (`OdaError("ABORTED")`; `TIMEOUT` for the time limit). The time limit
 * is `timeout` (milliseconds, as the client's: for opening, and again for each later read, counted from its
 * start) or `deadline` (one absolute `Date.now()` time for opening and every later read).
 *
 * @example
 * ```ts
 * import { openFitsFile } from "@oda-hub/oda-api/fits";
 * const f = await openFitsFile("lc.fits", { timeout: 10_000 });
 * const rate = f.hdus.find((h) => h.name === "RATE");
 * if (rate) console.log(rate.header.get("TELESCOP"), await f.data(rate.index, { timeout: 5000 }));
 * f.close();
 * ```
 */
export async function openFitsFile(path: string | URL, options: FitsReadOptions = {}): Promise<FitsFile> {
  requireDeno("openFitsFile");
  // opening has the time limit; later reads count a `timeout` again from their own start
  const opening = withDeadline(options);
  const check = interruptCheck(opening, `reading ${path}`);
  check();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new FileError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const size = (await file.stat()).size;
    const first = new Uint8Array(Math.min(BLOCK_LENGTH, size));
    await readAt(file, 0, first, check);
    if (isGzip(first)) {
      file.close();
      return inMemory(await readFitsFile(path, opening), options);
    }
    const infos: FitsHduInfo[] = [];
    const places: Place[] = [];
    // the caller's signal and deadline hold while the headers are scanned (a file may hold many HDUs)
    const scan = DecodeBudget.of(opening, size);
    await typedDecodeAsync(`FITS file ${path}`, async () => {
      for (let off = 0, index = 0; off < size; index++) {
        scan.checkpoint();
        if (index > 0 && !(await startsExtension(file, off, size, check))) break;
        const head = await readHeaderBlocks(file, off, size, check);
        const { header, dataOffset } = readHeader(head, 0);
        const layout = dataLayout(header, index);
        if (!layout) throw fitsError(off, "HDU header with invalid or missing structural keywords");
        const dataEnd = off + dataOffset + layout.dataBytes;
        if (dataEnd > size) {
          throw fitsError(
            off + dataOffset,
            `truncated data: the header declares ${layout.dataBytes} data bytes`,
          );
        }
        const end = Math.min(
          size,
          off + dataOffset + Math.ceil(layout.dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH,
        );
        const extname = header.get("EXTNAME");
        infos.push({
          index,
          name: typeof extname === "string" ? extname : index === 0 ? "PRIMARY" : "",
          type: hduType(header, index),
          header,
          dataBytes: layout.dataBytes,
        });
        places.push({ start: off, end });
        off = end;
      }
      if (infos.length === 0) throw fitsError(0, "not a FITS file: empty input");
    });
    let closed = false;
    // one handle, one file position: reads take turns (HDUs asked for at once would interleave their seeks)
    let reading: Promise<unknown> = Promise.resolve();
    const hdu = async (index: number, own: DecodeOptions = {}): Promise<FitsHdu> => {
      const place = places[index];
      if (!place) throw new OdaError("INVALID_ARGUMENT", `no HDU ${index} (the file has ${places.length})`);
      if (closed) throw new OdaError("INVALID_ARGUMENT", "the FITS file is closed");
      const opts = readOptions(options, own);
      const checkRead = interruptCheck(opts, `reading HDU ${index} of ${path}`);
      checkRead();
      const bytes = new Uint8Array(place.end - place.start);
      const turn = reading.then(() => readAt(file, place.start, bytes, checkRead));
      reading = turn.catch(() => {});
      try {
        await turn;
      } catch (e) {
        if (e instanceof OdaError) throw e;
        throw new FileError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
      }
      return typedDecode("FITS", `FITS file ${path}`, () => {
        const budget = DecodeBudget.of(opts, bytes.length);
        return readHdu(bytes, 0, index, options.scale ?? true, true, budget).hdu;
      });
    };
    return {
      hdus: infos,
      hdu,
      data: async (index, own) => (await hdu(index, own)).data,
      close: () => {
        if (closed) return;
        closed = true;
        file.close();
      },
    };
  } catch (e) {
    file.close();
    if (e instanceof OdaError) throw e;
    throw new FileError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The HDU kind as `readFits` reports it. */
function hduType(header: FitsHeader, index: number): FitsHduType {
  if (index === 0) return "primary";
  const x = String(header.get("XTENSION") ?? "").trim().toUpperCase();
  if (x === "BINTABLE" || x === "A3DTABLE") return "bintable";
  if (x === "TABLE") return "table";
  return "image";
}

/** Bytes of one read: an abort or the deadline is noticed within this much. */
const READ_PIECE = 4 << 20;

/** Read `dst.length` bytes at `at`, in pieces of at most {@linkcode READ_PIECE}, `check` before each. */
async function readAt(file: Deno.FsFile, at: number, dst: Uint8Array, check: () => void): Promise<void> {
  await file.seek(at, Deno.SeekMode.Start);
  for (let got = 0; got < dst.length;) {
    check();
    const n = await file.read(dst.subarray(got, Math.min(dst.length, got + READ_PIECE)));
    if (n === null) throw fitsError(at + got, "the file ends early");
    got += n;
  }
}

/** Whether an extension starts at `off` (zero or blank padding after the last HDU ends the file). */
async function startsExtension(
  file: Deno.FsFile,
  off: number,
  size: number,
  check: () => void,
): Promise<boolean> {
  const probe = new Uint8Array(Math.min(BLOCK_LENGTH, size - off));
  await readAt(file, off, probe, check);
  if (startsWith(probe, 0, "XTENSION")) return true;
  if (probe.every((b) => b === 0 || b === 32)) return false;
  throw fitsError(off, "bytes after an HDU do not start an extension (no XTENSION)");
}

/** The header blocks at `off`, up to the one with the END card. */
async function readHeaderBlocks(
  file: Deno.FsFile,
  off: number,
  size: number,
  check: () => void,
): Promise<Uint8Array> {
  const blocks: Uint8Array[] = [];
  for (;;) {
    const pos = off + blocks.length * BLOCK_LENGTH;
    if (pos + BLOCK_LENGTH > size) {
      throw fitsError(pos, "truncated header: no END card before the end of the file");
    }
    if (blocks.length > 10_000) throw fitsError(pos, "header longer than 10000 blocks");
    const b = new Uint8Array(BLOCK_LENGTH);
    await readAt(file, pos, b, check);
    blocks.push(b);
    for (let i = 0; i < BLOCK_LENGTH; i += CARD_LENGTH) {
      if (startsWith(b, i, "END     ")) {
        const head = new Uint8Array(blocks.length * BLOCK_LENGTH);
        blocks.forEach((x, k) => head.set(x, k * BLOCK_LENGTH));
        return head;
      }
    }
  }
}

async function typedDecodeAsync(what: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof OdaError) throw e;
    typedDecode("FITS", what, () => {
      throw e;
    });
  }
}

/**
 * The options of one later read: the file's, with the read's own on top (a read's own time limit replaces
 * the file's, timeout and deadline alike; a `timeout` is counted from now).
 */
function readOptions(file: FitsReadOptions, own: DecodeOptions): FitsReadOptions {
  const ownTime = own.timeout !== undefined || own.deadline !== undefined;
  return withDeadline({
    ...file,
    ...(ownTime ? { timeout: undefined, deadline: undefined } : {}),
    ...definedOnly(own),
  });
}

/** The options given (an `undefined` one does not replace the file's). */
function definedOnly(o: DecodeOptions): DecodeOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as DecodeOptions;
}

/**
 * A file read whole (gzip): HDUs served from memory, each read checked with the options a plain file's read
 * would have (the file's signal and time limit, or the read's own).
 */
function inMemory(all: FitsHdu[], options: FitsReadOptions): FitsFile {
  const count = all.length;
  let held: FitsHdu[] | undefined = all; // released by close(), as a plain file's handle is
  const hdu = (index: number, own: DecodeOptions = {}): Promise<FitsHdu> => {
    const h = held?.[index];
    if (!h) {
      return Promise.reject(
        new OdaError(
          "INVALID_ARGUMENT",
          held ? `no HDU ${index} (the file has ${count})` : "the FITS file is closed",
        ),
      );
    }
    try {
      interruptCheck(readOptions(options, own), `reading HDU ${index}`)();
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(h);
  };
  return {
    hdus: all.map((h) => ({
      index: h.index,
      name: h.name,
      type: h.type,
      header: h.header,
      dataBytes: dataLayout(h.header, h.index)?.dataBytes ?? 0,
    })),
    hdu,
    data: async (index, own) => (await hdu(index, own)).data,
    close: () => {
      held = undefined;
    },
  };
}
