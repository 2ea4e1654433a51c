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
import { getLogger } from "../../log.ts";
import type { NdArray, Table } from "../../data/ndarray.ts";
import { BLOCK_LENGTH, CARD_LENGTH, fitsError, FitsHeader, parseCards } from "./header.ts";
import type { FitsHdu, FitsHduType, FitsReadOptions } from "./hdu.ts";
import { gunzip, isGzip } from "./gzip.ts";
import { DecodeBudget, typedDecode, withDeadline } from "../budget.ts";
import { decodeLatin1 } from "../../data/latin1.ts";
import { readImage } from "./read_image.ts";
import { readAsciiTable, readBinTable } from "./read_table.ts";
import { intKey, numKeyInt } from "./_keys.ts";

export { type BinTForm, parseBinTForm } from "./read_table.ts";

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
 * past them); `options.signal` and the time limit (`options.timeout`, milliseconds from the call, or
 * `options.deadline`) are checked between HDUs and columns. Only `OdaError`s escape.
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
  return typedDecode("FITS", "FITS data", () => readFitsOwned(bytes, withDeadline(options), false));
}

/**
 * `owned`: the caller hands over `bytes` (a buffer nobody else uses), so image
 * data may be byte-swapped in place and returned as views into it instead of
 * being copied — half the memory and one pass less for big images.
 */
export function readFitsOwned(
  bytes: Uint8Array,
  options: FitsReadOptions,
  owned: boolean,
  streamed?: {
    columns: ReadonlyMap<number, ArrayBuffer[]>;
    fileLength: number;
    /** Image data read apart, in native byte order, by data offset (`bytes` does not hold it). */
    images?: ReadonlyMap<number, Uint8Array>;
  },
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
    const hdu = readHdu(bytes, off, hdus.length, scale, owned, budget, streamed, total);
    hdus.push(hdu.hdu);
    off = hdu.next;
  }
  if (hdus.length === 0) throw fitsError(0, "not a FITS file: empty input");
  return hdus;
}

export function startsWith(bytes: Uint8Array, off: number, s: string): boolean {
  if (off + s.length > bytes.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isAllZeroOrSpace(bytes: Uint8Array, off: number): boolean {
  for (let i = off; i < bytes.length; i++) if (bytes[i] !== 0 && bytes[i] !== 32) return false;
  return true;
}

/** Parse header blocks starting at `off`; returns the header and the data offset. */
export function readHeader(bytes: Uint8Array, off: number): { header: FitsHeader; dataOffset: number } {
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

/** One HDU at `off` of `bytes` (header and data); `next` is where the following one starts. */
export function readHdu(
  bytes: Uint8Array,
  off: number,
  index: number,
  scale: boolean,
  owned: boolean,
  budget: DecodeBudget,
  streamed?: { columns: ReadonlyMap<number, ArrayBuffer[]>; images?: ReadonlyMap<number, Uint8Array> },
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
      streamed?.columns.get(dataOffset),
    );
  } else if (type === "table") data = readAsciiTable(bytes, dataOffset, header, axes, scale, off, budget);
  else if (index === 0 || xt === "IMAGE") {
    if (naxis > 0) budget.charge(elems, `image HDU ${index}`);
    const native = streamed?.images?.get(dataOffset);
    data = naxis === 0 ? null : readImage(bytes, dataOffset, header, bitpix, axes, scale, owned, native);
  }
  return { hdu: { index, name, type, header, data }, next: Math.min(next, total) };
}
