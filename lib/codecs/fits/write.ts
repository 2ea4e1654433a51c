/**
 * FITS writer: images, binary tables (numeric, logical, string, vector and
 * variable-length columns, unsigned integers through `TZEROn`) and ASCII
 * tables, with structural keywords computed from the data; files written
 * atomically, optionally gzip-compressed.
 *
 * Our own writer because no npm FITS package can write (see `read.ts`). This
 * file lays HDUs out and writes them (in memory or streamed to a file); each
 * HDU kind is planned in its own private file: `_write_image.ts`,
 * `_write_bintable.ts`, `_write_ascii.ts` (shared card helpers in
 * `_write_plan.ts`).
 *
 * @module
 */
import { checkCanCreate, writeAtomic } from "../../data/atomic_write.ts";
import type { Table } from "../../data/ndarray.ts";
import { BLOCK_LENGTH, FitsHeader } from "./header.ts";
import type { FitsHduInput, FitsHduType, FitsWriteFileOptions, FitsWriteOptions } from "./hdu.ts";
import { gzip } from "./gzip.ts";
import { checksumCards } from "./checksum.ts";
import { invalid, type PlannedHdu, userCards } from "./_write_plan.ts";
import { planImage } from "./_write_image.ts";
import { planBinTable } from "./_write_bintable.ts";
import { planAsciiTable } from "./_write_ascii.ts";

function hduType(h: FitsHduInput, index: number): FitsHduType {
  const isTable = !!h.data && (h.data as Table).kind === "table";
  let t: FitsHduType = h.type ?? (isTable ? "bintable" : index === 0 ? "primary" : "image");
  if (isTable && (t === "primary" || t === "image")) {
    throw invalid(`HDU ${index}: table data cannot be written as a ${t} HDU`);
  }
  if (!isTable && h.data && (t === "bintable" || t === "table")) {
    throw invalid(`HDU ${index}: ${t} HDUs need table data (got an array)`);
  }
  if (t === "primary" && index > 0) t = "image";
  if (t === "image" && index === 0) t = "primary";
  return t;
}

function hduName(h: FitsHduInput): string | undefined {
  if (h.name !== undefined && h.name !== null && h.name !== "") return h.name;
  const cards = userCards(h.header);
  const ext = cards.find((c) => c.keyword.toUpperCase() === "EXTNAME");
  return typeof ext?.value === "string" && ext.value !== "" ? ext.value : undefined;
}

function layout(
  hdus: readonly FitsHduInput[],
  options: FitsWriteOptions,
): { planned: PlannedHdu[]; headers: Uint8Array[] } {
  const list = [...hdus];
  if (list.length === 0) list.push({});
  if (list[0].data && (list[0].data as Table).kind === "table") list.unshift({});
  const planned = list.map((h, index) => {
    const t = hduType(h, index);
    const name = hduName(h);
    if (t === "primary" || t === "image") return planImage(h, t === "primary", name);
    if (t === "table") return planAsciiTable(h, name);
    return planBinTable(h, name, options.heapDescriptors === "Q");
  });
  const headers = planned.map((p) => {
    if (options.checksum) {
      p.cards.push({ keyword: "CHECKSUM", value: "0000000000000000", comment: "HDU checksum" });
      p.cards.push({ keyword: "DATASUM", value: "0", comment: "data unit checksum" });
    }
    return new FitsHeader(p.cards).toBytes();
  });
  return { planned, headers };
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Stream HDUs to an open file: headers, then data converted chunk by chunk (no whole-file buffer). Two chunk
 * buffers alternate: the next chunk is converted (byte swaps, row gathering) while the previous one is being
 * written by the runtime's I/O thread, so the conversion costs little more than the write itself.
 */
async function streamTo(
  file: Deno.FsFile,
  { planned, headers }: { planned: PlannedHdu[]; headers: Uint8Array[] },
): Promise<void> {
  const writeAll = async (buf: Uint8Array): Promise<void> => {
    let off = 0;
    while (off < buf.length) off += await file.write(buf.subarray(off));
  };
  // the write in flight (of the other chunk buffer); awaited before the next write starts
  let inFlight: Promise<void> = Promise.resolve();
  const queue = async (buf: Uint8Array): Promise<void> => {
    await inFlight;
    inFlight = writeAll(buf);
  };
  const chunks: Uint8Array[] = [];
  let turn = 0;
  const nextChunk = (): Uint8Array => {
    const k = turn++ & 1;
    return chunks[k] ??= new Uint8Array(CHUNK);
  };
  try {
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      await queue(headers[i]);
      const padded = Math.ceil(p.dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH;
      if (p.fillRange) {
        for (let start = 0; start < p.dataBytes; start += CHUNK) {
          const len = Math.min(CHUNK, p.dataBytes - start);
          const chunk = nextChunk();
          p.fillRange(chunk, 0, start, len);
          await queue(chunk.subarray(0, len));
        }
        if (padded > p.dataBytes) await queue(new Uint8Array(padded - p.dataBytes).fill(p.pad));
      } else if (p.table && p.table.rowBytes > 0 && p.table.rowBytes <= CHUNK) {
        const t = p.table;
        const rowsPer = Math.floor(CHUNK / t.rowBytes);
        for (let r0 = 0; r0 < t.nrows; r0 += rowsPer) {
          const r1 = Math.min(t.nrows, r0 + rowsPer);
          const chunk = nextChunk();
          t.fillRows(chunk, 0, r0, r1);
          await queue(chunk.subarray(0, (r1 - r0) * t.rowBytes));
        }
        const tail = new Uint8Array(padded - t.rowBytes * t.nrows);
        t.fillHeap(tail, 0);
        await queue(tail);
      } else {
        const buf = new Uint8Array(padded);
        p.fill(buf, 0);
        if (p.pad !== 0) buf.fill(p.pad, p.dataBytes);
        await queue(buf);
      }
    }
  } finally {
    // never leave a write running on a buffer or a file the caller is about to close (errors propagate)
    await inFlight;
  }
}

/**
 * Encode HDUs into FITS bytes. Structural keywords are computed from the data
 * and written first; the user's cards follow. A table first in the list gets
 * an empty primary HDU in front of it. Integer unsigned data (`Uint16Array`,
 * `Uint32Array`, `BigUint64Array`) and signed bytes (`Int8Array`) use the
 * standard `BZERO`/`TZEROn` offsets.
 *
 * @example
 * ```ts
 * import { readFits, writeFits } from "@oda-hub/oda-api/fits";
 * const bytes = writeFits([
 *   { header: { OBJECT: "Crab" } },
 *   {
 *     type: "image",
 *     name: "IMAGE",
 *     data: { kind: "ndarray", dtype: "<f4", shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
 *   },
 *   {
 *     name: "RATE",
 *     data: {
 *       kind: "table",
 *       length: 2,
 *       columns: [{ name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([0, 1]), unit: "s" }],
 *     },
 *   },
 * ]);
 * console.log(readFits(bytes).map((h) => h.name)); // ["PRIMARY", "IMAGE", "RATE"]
 * ```
 */
export function writeFits(hdus: readonly FitsHduInput[], options: FitsWriteOptions = {}): Uint8Array {
  const { planned, headers } = layout(hdus, options);
  let total = 0;
  for (let i = 0; i < planned.length; i++) {
    total += headers[i].length + Math.ceil(planned[i].dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i];
    const hStart = off;
    out.set(headers[i], off);
    off += headers[i].length;
    const dStart = off;
    p.fill(out, off);
    const padded = Math.ceil(p.dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH;
    if (p.pad !== 0) out.fill(p.pad, off + p.dataBytes, off + padded);
    off += padded;
    if (options.checksum) checksumCards(out, hStart, dStart, off);
  }
  return out;
}

/**
 * Write HDUs to a FITS file (see {@linkcode writeFits}), gzip-compressed when
 * the name ends with `.gz` (or `gzip: true`). The file is written under a
 * temporary name in the same directory and then renamed, so a reader never
 * sees a truncated file under the final name.
 *
 * @example
 * ```ts
 * import { writeFitsFile } from "@oda-hub/oda-api/fits";
 * await writeFitsFile("image.fits.gz", [
 *   { data: { kind: "ndarray", dtype: "<i2", shape: [2, 2], values: new Int16Array([1, 2, 3, 4]) } },
 * ], { overwrite: true });
 * ```
 */
export async function writeFitsFile(
  path: string,
  hdus: readonly FitsHduInput[],
  options: FitsWriteFileOptions = {},
): Promise<void> {
  const overwrite = options.overwrite ?? false;
  await checkCanCreate(path, overwrite);
  const gz = options.gzip ?? /\.gz$/i.test(path);
  // Plain files without checksums are streamed (no whole-file buffer); otherwise encode in memory.
  // Everything is validated and laid out before anything is created on disk.
  const bytes = gz ? gzip(writeFits(hdus, options)) : options.checksum ? writeFits(hdus, options) : undefined;
  const laid = bytes ? undefined : layout(hdus, { ...options, checksum: false });
  await writeAtomic(path, bytes ?? ((file) => streamTo(file, laid!)), overwrite);
}
