/**
 * FITS reader: primary/IMAGE HDUs, BINTABLE (every TFORM including `P`/`Q`
 * heap arrays) and ASCII TABLE, from bytes or a file (`.fits.gz` inflated
 * transparently).
 *
 * Why our own codec: npm:fitsjs and the other npm FITS packages were evaluated
 * (see the toolchain notes) and are unusable here — fitsjs cannot read images
 * through its public API in Deno (it needs `window` and classic Workers), fails
 * on variable-length arrays, has no writer, ignores `CONTINUE` long strings, and
 * is callback/Blob based and ~10× slower on tables; the alternatives are
 * image-only, WIP, or GPL. The subset we need is small and is implemented
 * here with typed-array byte swaps at memory speed.
 *
 * Robustness: every declared size (header length, data size, heap descriptors)
 * is checked against the bytes actually present **before** any allocation,
 * so truncated or hostile input fails with `DecodeError("FITS")` naming the
 * byte offset, never with a huge allocation.
 *
 * @module
 */
import { FileError, OdaError } from "../../errors.ts";
import { getLogger } from "../../log.ts";
import {
  type NdArray,
  type NumericArray,
  shapeSize,
  type Table,
  type TableColumn,
} from "../../data/ndarray.ts";
import { copyNative, gatherNative, gatherRowsInto, swapInPlace } from "./bytes.ts";
import { BLOCK_LENGTH, CARD_LENGTH, fitsError, FitsHeader, type FitsValue, parseCards } from "./header.ts";
import type { FitsHdu, FitsHduType, FitsReadOptions } from "./hdu.ts";
import { gunzip, isGzip } from "./gzip.ts";
import { DecodeBudget, typedDecode } from "../budget.ts";
import { read4x1, read4x2, read4x3 } from "../gather.ts";
import { decodeLatin1 } from "../../data/latin1.ts";
import { requireDeno } from "../../_runtime.ts";

const log = getLogger("oda_api.fits");

/**
 * Read every HDU of a FITS file held in memory (gzip-compressed input, magic
 * `1f 8b`, is inflated first).
 *
 * Images come back as {@linkcode NdArray}s in numpy order (shape = `NAXISn`
 * reversed) with `BSCALE`/`BZERO` applied as astropy does: `BZERO` 32768 on
 * 16-bit data gives a `Uint16Array` (likewise 32/64-bit unsigned and signed
 * bytes), other scalings give `Float32Array` (BITPIX 8/16) or `Float64Array`
 * (BITPIX 32/64), with `BLANK` pixels as `NaN`. Tables come back as
 * {@linkcode Table}s.
 *
 * Bounded: the elements produced (pixels, cells, variable-length items) are charged to the decode's budget
 * and gzip output is capped (`options.decodeBudget`, see {@linkcode DecodeLimits}; `DecodeError("DECODE_LIMIT")`
 * past them); `options.signal` and `options.deadline` are checked between HDUs and columns. Only `OdaError`s
 * escape.
 *
 * @example
 * ```ts
 * import { readFits } from "@oda-hub/oda-api/fits";
 * const hdus = readFits(await Deno.readFile("lc.fits"));
 * const lc = hdus[1];
 * console.log(lc.name, lc.header.get("TELESCOP"));
 * if (lc.data?.kind === "table") console.log(lc.data.columns.map((c) => c.name));
 * ```
 */
export function readFits(bytes: Uint8Array, options: FitsReadOptions = {}): FitsHdu[] {
  return typedDecode("FITS", "FITS data", () => readFitsOwned(bytes, options, false));
}

/**
 * `owned`: the caller hands over `bytes` (a buffer nobody else uses), so image
 * data may be byte-swapped in place and returned as views into it instead of
 * being copied — half the memory and one pass less for big images.
 */
function readFitsOwned(
  bytes: Uint8Array,
  options: FitsReadOptions,
  owned: boolean,
  streamed?: { columns: ReadonlyMap<number, ArrayBuffer[]>; fileLength: number },
): FitsHdu[] {
  const budget = DecodeBudget.of(options, streamed?.fileLength ?? bytes.length);
  if (isGzip(bytes)) {
    bytes = gunzip(bytes, budget);
    budget.addInput(bytes.length);
    owned = true;
  }
  const scale = options.scale ?? true;
  const hdus: FitsHdu[] = [];
  let off = 0;
  // streamed: `bytes` ends where the streamed table's data starts (that table is the last HDU)
  const total = streamed?.fileLength ?? bytes.length;
  while (off < total) {
    if (hdus.length > 0) {
      // Zero/blank padding after the last HDU is ignored. Anything else is either a truncated or a
      // corrupted extension header: an error (astropy only warns and drops the rest of the file, which
      // would silently lose HDUs).
      const rest = bytes.length - off;
      if (rest < BLOCK_LENGTH && startsWith(bytes, off, "XTENSION".slice(0, Math.min(8, rest)))) {
        throw fitsError(off, "truncated header: the file ends inside an extension header");
      }
      if (!startsWith(bytes, off, "XTENSION")) {
        if (isAllZeroOrSpace(bytes, off)) break;
        throw fitsError(
          off,
          `${rest} bytes after HDU ${hdus.length - 1} do not start an extension (no XTENSION)`,
        );
      }
    }
    budget.checkpoint();
    const hdu = readHdu(bytes, off, hdus.length, scale, owned, budget, streamed?.columns, total);
    hdus.push(hdu.hdu);
    off = hdu.next;
  }
  if (hdus.length === 0) throw fitsError(0, "not a FITS file: empty input");
  return hdus;
}

/**
 * Read a FITS (or `.fits.gz`) file from disk.
 *
 * @example
 * ```ts
 * import { readFitsFile } from "@oda-hub/oda-api/fits";
 * const [primary, ...ext] = await readFitsFile("mosaic.fits.gz");
 * console.log(primary.header.get("TELESCOP"), ext.length);
 * ```
 */
export async function readFitsFile(path: string | URL, options: FitsReadOptions = {}): Promise<FitsHdu[]> {
  requireDeno("readFitsFile");
  let hdus: FitsHdu[] | undefined;
  let bytes: Uint8Array | undefined;
  try {
    hdus = await readFitsFileStreamed(path, options);
    if (!hdus) bytes = await Deno.readFile(path);
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

/**
 * Files whose last HDU is a big binary table of fixed-width numeric columns (light curves, event lists): the
 * headers are scanned first (a few blocks), then everything before the table's data is read into a small
 * buffer and the table's rows are read in 1 MiB chunks and gathered into the columns while the next chunk is
 * being read (on the runtime's I/O thread). The row-ordered data never exists as one buffer (neither does a
 * zeroed buffer of the file's size), and the byte swapping overlaps the I/O. The ordinary reader then parses
 * the buffer and takes the streamed columns as they are. Any other file, and anything unusual (gzip, trailing
 * bytes, a header that does not parse), returns undefined: the caller reads the whole file the ordinary way
 * (which reports the errors).
 */
async function readFitsFileStreamed(
  path: string | URL,
  options: FitsReadOptions,
): Promise<FitsHdu[] | undefined> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    if (size < STREAM_MIN) return undefined;
    const readFull = async (dst: Uint8Array): Promise<void> => {
      let got = 0;
      while (got < dst.length) {
        const n = await file.read(dst.subarray(got));
        if (n === null) throw new Error("file shrank while being read");
        got += n;
      }
    };
    // 1. scan the headers: where the last HDU's data starts, and whether it can be streamed
    let off = 0;
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
      last = {
        dataOffset: off + dataOffset,
        plan: end === size && layout.dataBytes >= STREAM_MIN ? streamPlan(header, layout) : undefined,
      };
      off = end;
    }
    if (!last?.plan) return undefined;
    // 2. everything before the table's data, then the table's rows
    const prefix = new Uint8Array(last.dataOffset);
    await file.seek(0, Deno.SeekMode.Start);
    await readFull(prefix);
    const columns = await streamTable(last.plan, readFull);
    return typedDecode("FITS", `FITS file ${path}`, () =>
      readFitsOwned(prefix, options, true, {
        columns: new Map([[last.dataOffset, columns]]),
        fileLength: size,
      }));
  } catch (e) {
    // limits, aborts and deadlines are final; anything else is read again the ordinary way
    if (e instanceof OdaError && e.code !== "FITS") throw e;
    return undefined;
  } finally {
    file.close();
  }
}

interface DataLayout {
  dataBytes: number;
  bintable: boolean;
  pcount: number;
  axes: number[];
}

/** Data size of an HDU as `readHdu` computes it (undefined when anything is off). */
function dataLayout(h: FitsHeader, index: number): DataLayout | undefined {
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
  const bintable = index > 0 && String(h.get("XTENSION") ?? "").trim().toUpperCase() === "BINTABLE";
  return { dataBytes, bintable, pcount, axes };
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
    // scalar 4-byte columns (E, J: RATE, ERROR, ...) in runs of up to three, read in one loop over the rows
    const runs: { offs: number[]; outs: Int32Array[] }[] = [];
    const alone: number[] = [];
    cols.forEach((c, j) => {
      if (c.width !== 4 || c.lane !== 4) return alone.push(j);
      let run = runs[runs.length - 1];
      if (!run || run.offs.length === 3) runs.push(run = { offs: [], outs: [] });
      run.offs.push(c.colOff);
      run.outs.push(new Int32Array(outs[j].buffer, 0, nrows));
    });
    for (let r0 = 0, k = 0; r0 < nrows; r0 += rowsPer, k++) {
      await pending;
      const cur = bufs[k & 1];
      const n = rowsOf(r0);
      if (r0 + n < nrows) pending = readFull(bufs[(k + 1) & 1].subarray(0, rowsOf(r0 + n) * rowBytes));
      for (let b0 = 0; b0 < n; b0 += block) {
        const b1 = Math.min(n, b0 + block);
        for (const j of alone) {
          const c = cols[j];
          gatherRowsInto(cur, c.colOff, rowBytes, b0, b1, c.width, c.lane, outs[j].subarray(r0 * c.width));
        }
        const dv = new DataView(cur.buffer, cur.byteOffset + b0 * rowBytes, (b1 - b0) * rowBytes);
        for (const { offs, outs: o } of runs) {
          if (offs.length === 3) {
            read4x3(dv, rowBytes, b1 - b0, false, offs[0], offs[1], offs[2], o[0], o[1], o[2], r0 + b0);
          } else if (offs.length === 2) {
            read4x2(dv, rowBytes, b1 - b0, false, offs[0], offs[1], o[0], o[1], r0 + b0);
          } else read4x1(dv, rowBytes, b1 - b0, false, offs[0], o[0], r0 + b0);
        }
      }
    }
  } finally {
    await pending.catch(() => {}); // no read left running on a closed file
  }
  return outs.map((o) => o.buffer);
}

function startsWith(bytes: Uint8Array, off: number, s: string): boolean {
  if (off + s.length > bytes.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isAllZeroOrSpace(bytes: Uint8Array, off: number): boolean {
  for (let i = off; i < bytes.length; i++) if (bytes[i] !== 0 && bytes[i] !== 32) return false;
  return true;
}

/** Parse header blocks starting at `off`; returns the header and the data offset. */
function readHeader(bytes: Uint8Array, off: number): { header: FitsHeader; dataOffset: number } {
  const images: string[] = [];
  let pos = off;
  for (;;) {
    if (pos + BLOCK_LENGTH > bytes.length) {
      throw fitsError(pos, `truncated header: no END card before the end of the data`);
    }
    const block = decodeLatin1(bytes.subarray(pos, pos + BLOCK_LENGTH));
    pos += BLOCK_LENGTH;
    for (let i = 0; i < BLOCK_LENGTH; i += CARD_LENGTH) {
      const card = block.slice(i, i + CARD_LENGTH);
      if (card.startsWith("END") && card.slice(3, 8).trim() === "") {
        return { header: new FitsHeader(parseCards(images)), dataOffset: pos };
      }
      images.push(card);
    }
  }
}

function intKey(h: FitsHeader, key: string, off: number, min = -Infinity, max = Infinity): number {
  const v = h.get(key);
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw fitsError(off, `required keyword ${key} is missing or not an integer (got ${String(v)})`);
  }
  if (n < min || n > max) throw fitsError(off, `${key} = ${n} is out of range`);
  return n;
}

function numKey(h: FitsHeader, key: string, dflt: number): number {
  const v = h.get(key);
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return dflt;
}

function readHdu(
  bytes: Uint8Array,
  off: number,
  index: number,
  scale: boolean,
  owned: boolean,
  budget: DecodeBudget,
  streamed?: ReadonlyMap<number, ArrayBuffer[]>,
  total: number = bytes.length,
): { hdu: FitsHdu; next: number } {
  if (index === 0 && !startsWith(bytes, off, "SIMPLE  =")) {
    throw fitsError(off, "not a FITS file: the first card is not SIMPLE");
  }
  const { header, dataOffset } = readHeader(bytes, off);
  let type: FitsHduType;
  if (index === 0) type = "primary";
  else {
    const x = String(header.get("XTENSION") ?? "").trim().toUpperCase();
    if (x === "IMAGE") type = "image";
    else if (x === "BINTABLE" || x === "A3DTABLE") type = "bintable";
    else if (x === "TABLE") type = "table";
    else {
      log.warning(`FITS: unsupported extension type '${x}' at byte ${off}: data skipped`);
      type = "image";
    }
  }
  const bitpix = intKey(header, "BITPIX", off);
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) throw fitsError(off, `invalid BITPIX ${bitpix}`);
  const naxis = intKey(header, "NAXIS", off, 0, 999);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) axes.push(intKey(header, `NAXIS${i}`, off, 0));
  const pcount = index === 0 && !header.has("PCOUNT") ? 0 : numKeyInt(header, "PCOUNT", 0, off);
  const gcount = index === 0 && !header.has("GCOUNT") ? 1 : numKeyInt(header, "GCOUNT", 1, off);
  const groups = index === 0 && header.get("GROUPS") === true && naxis > 0 && axes[0] === 0;
  let elems = naxis === 0 ? 0 : 1;
  for (let i = groups ? 1 : 0; i < naxis; i++) elems *= axes[i];
  const dataBytes = naxis === 0 && !groups ? 0 : (Math.abs(bitpix) / 8) * gcount * (pcount + elems);
  if (!Number.isSafeInteger(dataBytes) || dataOffset + dataBytes > total) {
    throw fitsError(
      dataOffset,
      `truncated data: the header declares ${dataBytes} data bytes but only ${total - dataOffset} remain`,
    );
  }
  const next = dataOffset + Math.ceil(dataBytes / BLOCK_LENGTH) * BLOCK_LENGTH;
  const extname = header.get("EXTNAME");
  const name = typeof extname === "string" ? extname : index === 0 ? "PRIMARY" : "";
  let data: NdArray | Table | null = null;
  const xt = String(header.get("XTENSION") ?? "").trim().toUpperCase();
  if (groups) log.warning(`FITS: random-groups primary HDU at byte ${off}: data skipped`);
  else if (type === "bintable") {
    data = readBinTable(
      bytes,
      dataOffset,
      header,
      axes,
      pcount,
      scale,
      off,
      budget,
      streamed?.get(dataOffset),
    );
  } else if (type === "table") data = readAsciiTable(bytes, dataOffset, header, axes, scale, off, budget);
  else if (index === 0 || xt === "IMAGE") {
    if (naxis > 0) budget.charge(elems, `image HDU ${index}`);
    data = naxis === 0 ? null : readImage(bytes, dataOffset, header, bitpix, axes, scale, owned);
  }
  return { hdu: { index, name, type, header, data }, next: Math.min(next, total) };
}

function numKeyInt(h: FitsHeader, key: string, dflt: number, off: number): number {
  if (!h.has(key)) return dflt;
  return intKey(h, key, off, 0);
}

// ---------------------------------------------------------------- images

const RAW_DTYPE: Record<number, string> = {
  8: "|u1",
  16: ">i2",
  32: ">i4",
  64: ">i8",
  [-32]: ">f4",
  [-64]: ">f8",
};

function rawTyped(bitpix: number, buf: ArrayBufferLike, byteOffset: number, count: number): NumericArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(buf, byteOffset, count);
    case 16:
      return new Int16Array(buf, byteOffset, count);
    case 32:
      return new Int32Array(buf, byteOffset, count);
    case 64:
      return new BigInt64Array(buf, byteOffset, count);
    case -32:
      return new Float32Array(buf, byteOffset, count);
    default:
      return new Float64Array(buf, byteOffset, count);
  }
}

function bigOrNum(v: FitsValue | undefined): bigint | number | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  return undefined;
}

function isTwoPow(v: bigint | number | undefined, bits: number): boolean {
  if (v === undefined) return false;
  if (typeof v === "bigint") return v === 1n << BigInt(bits - 1);
  return v === 2 ** (bits - 1);
}

function readImage(
  bytes: Uint8Array,
  off: number,
  header: FitsHeader,
  bitpix: number,
  axes: number[],
  scale: boolean,
  owned: boolean,
): NdArray {
  const shape = axes.slice().reverse();
  let count = 1;
  for (const a of axes) count *= a;
  const size = Math.abs(bitpix) / 8;
  let raw: NumericArray;
  if (owned && (bytes.byteOffset + off) % size === 0) {
    const view = bytes.subarray(off, off + count * size);
    swapInPlace(view, size);
    raw = rawTyped(bitpix, view.buffer, view.byteOffset, count);
  } else raw = rawTyped(bitpix, copyNative(bytes, off, count, size), 0, count);
  const bzeroV = bigOrNum(header.get("BZERO"));
  const bzero = bzeroV === undefined ? 0 : Number(bzeroV);
  const bscale = numKey(header, "BSCALE", 1);
  const blankV = bitpix > 0 ? bigOrNum(header.get("BLANK")) : undefined;
  if (!scale || (bzero === 0 && bscale === 1 && blankV === undefined)) {
    return { kind: "ndarray", dtype: RAW_DTYPE[bitpix], shape, values: raw };
  }
  if (bscale === 1) {
    // Pseudo-unsigned (and signed-byte) conventions, as astropy applies them.
    if (bitpix === 8 && bzero === -128) {
      const u = raw as Uint8Array;
      for (let i = 0; i < u.length; i++) u[i] ^= 0x80;
      return {
        kind: "ndarray",
        dtype: "|i1",
        shape,
        values: new Int8Array(u.buffer, u.byteOffset, u.length),
      };
    }
    if (bitpix === 16 && isTwoPow(bzeroV, 16)) {
      const u = new Uint16Array(raw.buffer, raw.byteOffset, count);
      for (let i = 0; i < u.length; i++) u[i] ^= 0x8000;
      return { kind: "ndarray", dtype: "<u2", shape, values: u };
    }
    if (bitpix === 32 && isTwoPow(bzeroV, 32)) {
      const u = new Uint32Array(raw.buffer, raw.byteOffset, count);
      for (let i = 0; i < u.length; i++) u[i] = (u[i] ^ 0x80000000) >>> 0;
      return { kind: "ndarray", dtype: "<u4", shape, values: u };
    }
    if (bitpix === 64 && isTwoPow(bzeroV, 64)) {
      const u = new BigUint64Array(raw.buffer, raw.byteOffset, count);
      const top = 1n << 63n;
      for (let i = 0; i < u.length; i++) u[i] ^= top;
      return { kind: "ndarray", dtype: "<u8", shape, values: u };
    }
  }
  // Float results. astropy: BITPIX 8/16 → float32, 32/64 → float64, floats keep their type.
  // Note: astropy skips the BLANK → NaN step when BLANK = 0 (`if self._blank:`); we follow
  // the standard and blank those pixels too.
  const blank = blankV === undefined ? undefined : Number(blankV);
  if (bitpix === 8 || bitpix === 16 || bitpix === -32) {
    const out = bitpix === -32 ? raw as Float32Array : new Float32Array(count);
    const s32 = Math.fround(bscale);
    const z32 = Math.fround(bzero);
    const src = raw as Uint8Array | Int16Array | Float32Array;
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = blank !== undefined && r === blank ? NaN : Math.fround(Math.fround(r * s32) + z32);
    }
    return { kind: "ndarray", dtype: bitpix === -32 ? ">f4" : "<f4", shape, values: out };
  }
  const out = bitpix === -64 ? raw as Float64Array : new Float64Array(count);
  if (bitpix === 64) {
    const src = raw as BigInt64Array;
    // a BLANK that is not an integer (1.5) matches no pixel
    const b = blankV === undefined || (typeof blankV === "number" && !Number.isInteger(blankV))
      ? undefined
      : BigInt(blankV);
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = b !== undefined && r === b ? NaN : Number(r) * bscale + bzero;
    }
  } else {
    const src = raw as Int32Array | Float64Array;
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = blank !== undefined && r === blank ? NaN : r * bscale + bzero;
    }
  }
  return { kind: "ndarray", dtype: bitpix === -64 ? ">f8" : "<f8", shape, values: out };
}

// ---------------------------------------------------------------- binary tables

/** A parsed binary-table TFORM. */
export interface BinTForm {
  /** Repeat count. */
  repeat: number;
  /** Type letter (L X B I J K A E D C M P Q). */
  code: string;
  /** For P/Q: the element type letter. */
  heapCode?: string;
  /** For P/Q: the declared maximum length, if any. */
  heapMax?: number;
  /** Bytes per row in the table. */
  width: number;
}

const ELEM_SIZE: Record<string, number> = {
  L: 1,
  X: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
  P: 8,
  Q: 16,
};

/** Parse a binary-table TFORM value such as `1E`, `8A`, `PE(60)`, `1QD`. */
export function parseBinTForm(tform: string): BinTForm | undefined {
  const m = /^\s*(\d*)([LXBIJKAEDCMPQ])([LXBIJKAEDCM]?)(?:\((\d*)\))?/i.exec(tform);
  if (!m) return undefined;
  const repeat = m[1] === "" ? 1 : Number(m[1]);
  const code = m[2].toUpperCase();
  const f: BinTForm = { repeat, code, width: 0 };
  if (code === "P" || code === "Q") {
    f.heapCode = (m[3] || "B").toUpperCase();
    if (m[4]) f.heapMax = Number(m[4]);
    f.width = ELEM_SIZE[code] * Math.min(repeat, 1);
  } else if (code === "X") f.width = Math.ceil(repeat / 8);
  else f.width = ELEM_SIZE[code] * repeat;
  return f;
}

const BIN_DTYPE: Record<string, string> = {
  L: "|b1",
  X: "|b1",
  B: "|u1",
  I: ">i2",
  J: ">i4",
  K: ">i8",
  E: ">f4",
  D: ">f8",
  C: ">c8",
  M: ">c16",
};

function typedFor(code: string, buf: ArrayBuffer): NumericArray {
  switch (code) {
    case "B":
    case "L":
      return new Uint8Array(buf);
    case "I":
      return new Int16Array(buf);
    case "J":
      return new Int32Array(buf);
    case "K":
      return new BigInt64Array(buf);
    case "E":
    case "C":
      return new Float32Array(buf);
    default:
      return new Float64Array(buf);
  }
}

function laneSize(code: string): number {
  return code === "C" ? 4 : code === "M" ? 8 : ELEM_SIZE[code];
}

function parseTdim(v: FitsValue | undefined): number[] | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^\s*\(([\d\s,]*)\)\s*$/.exec(v);
  if (!m) return undefined;
  const dims = m[1].split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  return dims.length ? dims : undefined;
}

function decodeStrings(
  bytes: Uint8Array,
  offset: number,
  stride: number,
  width: number,
  count: number,
): string[] {
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = offset + i * stride;
    let e = s;
    const lim = s + width;
    while (e < lim && bytes[e] !== 0) e++; // a NUL terminates the string
    while (e > s && bytes[e - 1] === 32) e--;
    out[i] = decodeLatin1(bytes.subarray(s, e));
  }
  return out;
}

/** Scale a column as astropy does (pseudo-unsigned integers or float64). */
function scaleValues(
  code: string,
  values: NumericArray,
  tscal: number,
  tzeroV: number | bigint | undefined,
): { values: NumericArray; dtype?: string } {
  const tzero = tzeroV === undefined ? 0 : Number(tzeroV);
  if (tscal === 1 && tzero === 0) return { values };
  if (tscal === 1) {
    if (code === "I" && isTwoPow(tzeroV, 16)) {
      const u = new Uint16Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < u.length; i++) u[i] ^= 0x8000;
      return { values: u, dtype: "<u2" };
    }
    if (code === "J" && isTwoPow(tzeroV, 32)) {
      const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < u.length; i++) u[i] = (u[i] ^ 0x80000000) >>> 0;
      return { values: u, dtype: "<u4" };
    }
    if (code === "K" && isTwoPow(tzeroV, 64)) {
      const u = new BigUint64Array(values.buffer, values.byteOffset, values.length);
      const top = 1n << 63n;
      for (let i = 0; i < u.length; i++) u[i] ^= top;
      return { values: u, dtype: "<u8" };
    }
  }
  if (code === "C" || code === "M" || code === "L" || code === "X") return { values };
  const out = new Float64Array(values.length);
  if (values instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(values[i]) * tscal + tzero;
  } else {
    const v = values as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < out.length; i++) out[i] = v[i] * tscal + tzero;
  }
  return { values: out, dtype: "<f8" };
}

function colKey(h: FitsHeader, key: string, i: number): FitsValue | undefined {
  return h.get(`${key}${i}`);
}

function readBinTable(
  bytes: Uint8Array,
  off: number,
  header: FitsHeader,
  axes: number[],
  pcount: number,
  scale: boolean,
  hduOff: number,
  budget: DecodeBudget,
  streamed?: ArrayBuffer[],
): Table {
  if (axes.length !== 2) throw fitsError(hduOff, `BINTABLE must have NAXIS = 2 (got ${axes.length})`);
  const [rowBytes, nrows] = axes;
  const tfields = intKey(header, "TFIELDS", hduOff, 0, 999);
  if (rowBytes === 0 && nrows > 1_000_000) {
    // zero-width rows occupy no bytes, so the size check cannot bound NAXIS2: refuse absurd row counts
    throw fitsError(hduOff, `BINTABLE with NAXIS1 = 0 declares ${nrows} rows`);
  }
  const theap = header.has("THEAP") ? intKey(header, "THEAP", hduOff, 0) : rowBytes * nrows;
  const heapStart = off + theap;
  const heapEnd = off + rowBytes * nrows + pcount;
  // 1. parse and check every TFORM before reading anything
  const forms: { f: BinTForm; colOff: number }[] = [];
  let colOff = 0;
  for (let i = 1; i <= tfields; i++) {
    const tformV = colKey(header, "TFORM", i);
    const f = typeof tformV === "string" ? parseBinTForm(tformV) : undefined;
    if (!f) throw fitsError(hduOff, `column ${i}: missing or invalid TFORM${i} '${String(tformV)}'`);
    if (colOff + f.width > rowBytes) {
      throw fitsError(hduOff, `column ${i}: TFORM${i} '${tformV}' runs past NAXIS1 = ${rowBytes}`);
    }
    forms.push({ f, colOff });
    colOff += f.width;
  }
  // 2. fixed-width numeric columns of big tables: gathered together in row blocks that stay in cache
  const pre = new Map<number, ArrayBuffer>();
  const fixed = forms.map((c, k) => ({ ...c, k })).filter((c) =>
    FIXED_NUMERIC.has(c.f.code) && c.f.width > 0
  );
  if (streamed) {
    // columns gathered while the file was read (readFitsFileStreamed): every column fixed-width numeric
    if (
      fixed.length !== forms.length || streamed.length !== forms.length ||
      forms.some((c, k) => streamed[k].byteLength !== nrows * c.f.width)
    ) {
      throw fitsError(hduOff, "internal: streamed columns do not match the table");
    }
    streamed.forEach((b, k) => pre.set(k, b));
  } else if (fixed.length > 1 && rowBytes * nrows >= 1 << 20) {
    const outs = fixed.map((c) => new Uint8Array(nrows * c.f.width));
    const block = Math.max(1, Math.floor((256 * 1024) / rowBytes));
    for (let r0 = 0; r0 < nrows; r0 += block) {
      const r1 = Math.min(nrows, r0 + block);
      fixed.forEach((c, k) => {
        gatherRowsInto(bytes, off + c.colOff, rowBytes, r0, r1, c.f.width, laneSize(c.f.code), outs[k]);
      });
    }
    fixed.forEach((c, k) => pre.set(c.k, outs[k].buffer));
  }
  // 3. build the columns
  const columns: TableColumn[] = [];
  forms.forEach(({ f, colOff }, k) => {
    const i = k + 1;
    const ttype = colKey(header, "TTYPE", i);
    const name = typeof ttype === "string" ? ttype : `col${i}`;
    const unitV = colKey(header, "TUNIT", i);
    const tscal = scale ? numKey(header, `TSCAL${i}`, 1) : 1;
    const tzero = scale ? bigOrNum(colKey(header, "TZERO", i)) : undefined;
    const tdim = parseTdim(colKey(header, "TDIM", i));
    const col = readBinColumn(bytes, off + colOff, rowBytes, nrows, f, name, tdim, tscal, tzero, {
      heapStart,
      heapEnd,
      hduOff,
      budget,
    }, pre.get(k));
    if (typeof unitV === "string" && unitV !== "") col.unit = unitV;
    columns.push(col);
  });
  return { kind: "table", length: nrows, columns };
}

/** Fixed-width numeric TFORM codes (gathered with byte swaps). */
const FIXED_NUMERIC: ReadonlySet<string> = new Set(["L", "B", "I", "J", "K", "E", "D", "C", "M"]);

interface HeapInfo {
  heapStart: number;
  heapEnd: number;
  hduOff: number;
  /** Element budget of the decode (charged per column, and per row for variable-length columns). */
  budget: DecodeBudget;
}

function readBinColumn(
  bytes: Uint8Array,
  off: number,
  rowBytes: number,
  nrows: number,
  f: BinTForm,
  name: string,
  tdim: number[] | undefined,
  tscal: number,
  tzero: number | bigint | undefined,
  heap: HeapInfo,
  gathered?: ArrayBuffer,
): TableColumn {
  const { code, repeat } = f;
  heap.budget.charge(nrows, `column ${name}`);
  if (code === "P" || code === "Q") {
    return readVarColumn(bytes, off, rowBytes, nrows, f, name, tscal, tzero, heap);
  }
  if (code === "A") {
    let width = repeat;
    let shape: number[] = [];
    if (tdim && tdim.length > 1 && tdim.reduce((a, b) => a * b, 1) === repeat) {
      width = tdim[0];
      shape = tdim.slice(1).reverse();
    }
    const per = width === 0 ? 0 : repeat / width;
    // `0A` with a TDIM takes no bytes: its cells are counted, not its bytes
    heap.budget.charge(nrows * (width === 0 ? (shape.length ? shapeSize(shape) : 1) : per), `column ${name}`);
    let values: string[];
    if (width === 0) values = new Array<string>(nrows * (shape.length ? shapeSize(shape) : 1)).fill("");
    else if (per === 1) values = decodeStrings(bytes, off, rowBytes, width, nrows);
    else {
      values = new Array<string>(nrows * per);
      for (let r = 0, o = 0; r < nrows; r++) {
        const row = decodeStrings(bytes, off + r * rowBytes, width, width, per);
        for (let j = 0; j < per; j++) values[o++] = row[j];
      }
    }
    return { name, dtype: `<U${width}`, shape, values };
  }
  let shape: number[] = repeat === 1 && code !== "X" ? [] : [repeat];
  if (tdim && code !== "X") {
    if (tdim.reduce((a, b) => a * b, 1) === repeat) shape = tdim.slice().reverse();
    else log.warning(`FITS column ${name}: TDIM does not match the repeat count ${repeat}; ignored`);
  }
  heap.budget.charge(nrows * repeat, `column ${name}`);
  if (code === "X") {
    const out = new Uint8Array(nrows * repeat);
    for (let r = 0, o = 0; r < nrows; r++) {
      const s = off + r * rowBytes;
      for (let b = 0; b < repeat; b++) out[o++] = (bytes[s + (b >> 3)] >> (7 - (b & 7))) & 1;
    }
    return { name, dtype: "|b1", shape, values: out };
  }
  if (code === "L") {
    const raw = new Uint8Array(gathered ?? gatherNative(bytes, off, rowBytes, nrows, f.width, 1));
    for (let i = 0; i < raw.length; i++) raw[i] = raw[i] === 84 ? 1 : 0;
    return { name, dtype: "|b1", shape, values: raw };
  }
  const raw = typedFor(code, gathered ?? gatherNative(bytes, off, rowBytes, nrows, f.width, laneSize(code)));
  const scaled = scaleValues(code, raw, tscal, tzero);
  return { name, dtype: scaled.dtype ?? BIN_DTYPE[code], shape, values: scaled.values };
}

function readVarColumn(
  bytes: Uint8Array,
  off: number,
  rowBytes: number,
  nrows: number,
  f: BinTForm,
  name: string,
  tscal: number,
  tzero: number | bigint | undefined,
  heap: HeapInfo,
): TableColumn {
  const q = f.code === "Q";
  const ec = f.heapCode ?? "B";
  const esize = ec === "X" ? 1 : ELEM_SIZE[ec];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: unknown[] = new Array(nrows);
  for (let r = 0; r < nrows; r++) {
    const p = off + r * rowBytes;
    let count: number;
    let offset: number;
    if (f.repeat === 0) {
      count = 0;
      offset = 0;
    } else if (q) {
      const c = view.getBigInt64(p, false);
      const o = view.getBigInt64(p + 8, false);
      count = c < 0n || c > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(c);
      offset = o < 0n || o > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(o);
    } else {
      count = view.getInt32(p, false);
      offset = view.getInt32(p + 4, false);
    }
    const nb = ec === "X" ? Math.ceil(count / 8) : count * esize;
    const start = heap.heapStart + offset;
    if (count < 0 || offset < 0 || (nb > 0 && (start + nb > heap.heapEnd || start + nb > bytes.length))) {
      throw fitsError(
        p,
        `column ${name}, row ${r}: heap descriptor (${count} elements at ${offset}) points outside the heap`,
      );
    }
    // rows may all point at the same heap bytes: what is produced is charged, not what is read
    heap.budget.charge(ec === "A" ? nb : count, `column ${name}, row ${r}`);
    if (ec === "A") {
      values[r] = decodeStrings(bytes, start, nb, nb, 1)[0];
    } else if (ec === "X") {
      const out = new Uint8Array(count);
      for (let b = 0; b < count; b++) out[b] = (bytes[start + (b >> 3)] >> (7 - (b & 7))) & 1;
      values[r] = out;
    } else if (ec === "L") {
      const out = bytes.slice(start, start + nb);
      for (let i = 0; i < out.length; i++) out[i] = out[i] === 84 ? 1 : 0;
      values[r] = out;
    } else {
      const raw = typedFor(ec, copyNative(bytes, start, count * (esize / laneSize(ec)), laneSize(ec)));
      values[r] = scaleValues(ec, raw, tscal, tzero).values;
    }
  }
  return { name, dtype: "|O", shape: [], values, variableLength: true };
}

// ---------------------------------------------------------------- ASCII tables

function readAsciiTable(
  bytes: Uint8Array,
  off: number,
  header: FitsHeader,
  axes: number[],
  scale: boolean,
  hduOff: number,
  budget: DecodeBudget,
): Table {
  if (axes.length !== 2) throw fitsError(hduOff, `TABLE must have NAXIS = 2 (got ${axes.length})`);
  const [rowBytes, nrows] = axes;
  const tfields = intKey(header, "TFIELDS", hduOff, 0, 999);
  const columns: TableColumn[] = [];
  for (let i = 1; i <= tfields; i++) {
    const tform = String(colKey(header, "TFORM", i) ?? "").trim().toUpperCase();
    const m = /^([AIJFED])(\d+)(?:\.(\d+))?$/.exec(tform);
    if (!m) throw fitsError(hduOff, `column ${i}: invalid ASCII TFORM${i} '${tform}'`);
    const tbcol = intKey(header, `TBCOL${i}`, hduOff, 1);
    const width = Number(m[2]);
    if (tbcol - 1 + width > rowBytes) {
      throw fitsError(hduOff, `column ${i}: TBCOL${i}/TFORM${i} exceed NAXIS1`);
    }
    const start = off + tbcol - 1;
    const ttype = colKey(header, "TTYPE", i);
    const name = typeof ttype === "string" ? ttype : `col${i}`;
    const unitV = colKey(header, "TUNIT", i);
    const nullV = colKey(header, "TNULL", i);
    const nullStr = nullV === undefined || nullV === null ? undefined : String(nullV).trim();
    budget.charge(nrows, `column ${name}`);
    const cells = decodeStrings(bytes, start, rowBytes, width, nrows);
    let col: TableColumn;
    if (m[1] === "A") {
      col = { name, dtype: `<U${width}`, shape: [], values: cells };
    } else {
      const isInt = m[1] === "I" || m[1] === "J";
      const numeric = cells.map((c, r) => {
        const t = c.trim();
        if (t === "" || (nullStr !== undefined && t === nullStr)) return 0; // astropy: null → 0
        // an integer column holding Infinity, nan, a fraction or an exponent has no integer value (astropy
        // refuses them too)
        if (isInt && !/^[+-]?\d+$/.test(t)) {
          throw fitsError(start + r * rowBytes, `column ${name}, row ${r}: '${t}' is not an integer`);
        }
        const v = Number(t.replace(/[Dd]/, "E"));
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(t)) {
          throw fitsError(start, `column ${name}: '${t}' is not a number`);
        }
        return v;
      });
      if (isInt) {
        if (m[1] === "J" || width > 9) {
          col = {
            name,
            dtype: "<i8",
            shape: [],
            values: BigInt64Array.from(cells, (c, r) => {
              const t = c.trim();
              const b = t === "" || t === nullStr ? 0n : BigInt(t);
              if (b !== BigInt.asIntN(64, b)) {
                throw fitsError(
                  start + r * rowBytes,
                  `column ${name}, row ${r}: '${t}' does not fit in 64 bits`,
                );
              }
              return b;
            }),
          };
        } else if (width <= 4) col = { name, dtype: "<i2", shape: [], values: Int16Array.from(numeric) };
        else col = { name, dtype: "<i4", shape: [], values: Int32Array.from(numeric) };
      } else col = { name, dtype: "<f8", shape: [], values: Float64Array.from(numeric) };
      const tscal = scale ? numKey(header, `TSCAL${i}`, 1) : 1;
      const tzero = scale ? numKey(header, `TZERO${i}`, 0) : 0;
      if (tscal !== 1 || tzero !== 0) {
        col = { name, dtype: "<f8", shape: [], values: Float64Array.from(numeric, (v) => v * tscal + tzero) };
      }
    }
    if (typeof unitV === "string" && unitV !== "") col.unit = unitV;
    columns.push(col);
  }
  return { kind: "table", length: nrows, columns };
}
