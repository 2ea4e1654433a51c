/**
 * FITS writer: images, binary tables (numeric, logical, string, vector and
 * variable-length columns, unsigned integers through `TZEROn`) and ASCII
 * tables, with structural keywords computed from the data; files written
 * atomically, optionally gzip-compressed.
 *
 * Our own writer because no npm FITS package can write (see `read.ts`).
 *
 * @module
 */
import { OdaError } from "../../errors.ts";
import { checkCanCreate, writeAtomic } from "../../data/atomic_write.ts";
import { getLogger } from "../../log.ts";
import {
  allocNumeric,
  isNumericKind,
  type NdArray,
  type NumericArray,
  parseTypestr,
  shapeSize,
  type SimpleDType,
  type Table,
  type TableColumn,
} from "../../data/ndarray.ts";
import { copySwap, scatterSwap32, swapInPlace } from "./bytes.ts";
import { write4x1, write4x2, write4x3 } from "../gather.ts";
import { BLOCK_LENGTH, type FitsCard, FitsHeader, type FitsValue } from "./header.ts";
import type { FitsHduInput, FitsHduType, FitsWriteFileOptions, FitsWriteOptions } from "./hdu.ts";
import { gzip } from "./gzip.ts";
import { checksumCards } from "./checksum.ts";

const log = getLogger("oda_api.fits");

function invalid(msg: string): OdaError {
  return new OdaError("INVALID_ARGUMENT", msg);
}

/** One HDU ready to be laid out: its header cards and a data writer. */
interface PlannedHdu {
  cards: FitsCard[];
  dataBytes: number;
  /** Pad byte for the data area (0, or 32 for ASCII tables). */
  pad: number;
  fill(out: Uint8Array, offset: number): void;
  /**
   * Images only: write data bytes `[start, start + length)` at `out[outOffset]`
   * (`start` and `length` multiples of 8), for streaming to a file in chunks.
   */
  fillRange?(out: Uint8Array, outOffset: number, start: number, length: number): void;
  /** Binary tables: row-wise filling, for streaming to a file in chunks of rows. */
  table?: {
    rowBytes: number;
    nrows: number;
    heapBytes: number;
    fillRows(out: Uint8Array, base: number, r0: number, r1: number): void;
    fillHeap(out: Uint8Array, offset: number): void;
  };
}

/** Rows are written in blocks of about this many bytes (cache-sized). */
const BLOCK_ROWS_BYTES = 256 * 1024;

const STRUCTURAL_RE =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|TFIELDS|THEAP|BSCALE|BZERO|BLANK|END|CHECKSUM|DATASUM|EXTNAME)$/;
const COLUMN_STRUCT_RE = /^(TTYPE|TFORM|TUNIT|TDIM|TSCAL|TZERO|TBCOL)(\d+)$/;
const COLUMN_KEY_RE =
  /^(TNULL|TDISP|TLMIN|TLMAX|TDMIN|TDMAX|TCTYP|TCUNI|TCRPX|TCRVL|TCDLT|TCROT|TRPOS|TCD|TPC|TPS|TPV|TWCS)(\d+)$/;

function userCards(header: FitsHduInput["header"]): FitsCard[] {
  if (!header) return [];
  if (header instanceof FitsHeader) return header.cards.map((c) => ({ ...c }));
  if (Array.isArray(header)) return header.map((c) => ({ ...c }));
  return FitsHeader.fromDict(header).cards;
}

/**
 * Drop user cards the writer computes itself, and column keywords that would
 * not be valid for the columns written (`intColumns`: 1-based indices of
 * integer columns that may keep `TNULLn`).
 */
function filterUserCards(
  cards: FitsCard[],
  ncols: number,
  intColumns: Set<number>,
  isTable: boolean,
): FitsCard[] {
  return cards.filter((c) => {
    const k = c.keyword.toUpperCase();
    if (STRUCTURAL_RE.test(k) || COLUMN_STRUCT_RE.test(k)) return false;
    const m = COLUMN_KEY_RE.exec(k);
    if (m) {
      if (!isTable) return false;
      const n = Number(m[2]);
      if (n < 1 || n > ncols) return false;
      if (m[1] === "TNULL" && !intColumns.has(n)) return false;
    }
    return true;
  });
}

function card(keyword: string, value: FitsValue, comment?: string): FitsCard {
  return comment === undefined ? { keyword, value } : { keyword, value, comment };
}

// ---------------------------------------------------------------- images

interface ImageKind {
  bitpix: number;
  size: number;
  bzero?: number | bigint;
  /** XOR mask applied to the top byte (sign flip) for the unsigned conventions. */
  flip?: boolean;
}

function imageKind(arr: NdArray): ImageKind {
  const v = arr.values;
  let kind = "";
  try {
    kind = parseTypestr(arr.dtype).kind;
  } catch {
    // dtype strings we do not know: rely on the TypedArray class
  }
  if (kind === "c") throw invalid("FITS images cannot hold complex numbers; use a binary table");
  if (v instanceof Float32Array) return { bitpix: -32, size: 4 };
  if (v instanceof Float64Array) return { bitpix: -64, size: 8 };
  if (v instanceof Uint8Array) return { bitpix: 8, size: 1 };
  if (v instanceof Int8Array) return { bitpix: 8, size: 1, bzero: -128, flip: true };
  if (v instanceof Int16Array) return { bitpix: 16, size: 2 };
  if (v instanceof Uint16Array) return { bitpix: 16, size: 2, bzero: 32768, flip: true };
  if (v instanceof Int32Array) return { bitpix: 32, size: 4 };
  if (v instanceof Uint32Array) return { bitpix: 32, size: 4, bzero: 2147483648, flip: true };
  if (v instanceof BigInt64Array) return { bitpix: 64, size: 8 };
  if (v instanceof BigUint64Array) return { bitpix: 64, size: 8, bzero: 9223372036854775808n, flip: true };
  throw invalid(`FITS images need numeric TypedArray values (dtype ${arr.dtype} is not supported)`);
}

/** Copy native values big-endian into `out` at `offset` (aligned: offsets are multiples of 2880). */
function putBigEndian(
  values: NumericArray,
  size: number,
  flip: boolean,
  out: Uint8Array,
  offset: number,
): void {
  const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  copySwap(src, 0, out, offset, src.length, size);
  if (flip) { for (let i = offset, e = offset + src.length; i < e; i += size) out[i] ^= 0x80; }
}

function planImage(input: FitsHduInput, primary: boolean, name: string | undefined): PlannedHdu {
  const data = input.data as NdArray | null | undefined;
  const cards: FitsCard[] = [];
  if (primary) cards.push(card("SIMPLE", true, "conforms to FITS standard"));
  else cards.push(card("XTENSION", "IMAGE", "Image extension"));
  let k: ImageKind = { bitpix: 8, size: 1 };
  let axes: number[] = [];
  if (data) {
    k = imageKind(data);
    axes = data.shape.length === 0 ? [1] : data.shape.slice().reverse();
    const n = shapeSize(data.shape);
    if (n !== data.values.length) {
      throw invalid(`image shape [${data.shape}] needs ${n} values but ${data.values.length} were given`);
    }
  }
  cards.push(card("BITPIX", k.bitpix, "array data type"));
  cards.push(card("NAXIS", axes.length, "number of array dimensions"));
  axes.forEach((a, i) => cards.push(card(`NAXIS${i + 1}`, a)));
  if (primary) cards.push(card("EXTEND", true));
  else {
    cards.push(card("PCOUNT", 0, "number of parameters"));
    cards.push(card("GCOUNT", 1, "number of groups"));
  }
  if (k.bzero !== undefined) {
    cards.push(card("BSCALE", 1));
    cards.push(card("BZERO", k.bzero));
  }
  if (name !== undefined && !(primary && name === "PRIMARY")) {
    cards.push(card("EXTNAME", name, "extension name"));
  }
  for (const c of filterUserCards(userCards(input.header), 0, new Set(), false)) cards.push(c);
  const dataBytes = data ? data.values.length * k.size : 0;
  return {
    cards,
    dataBytes,
    pad: 0,
    fill(out, offset) {
      if (data && dataBytes) putBigEndian(data.values as NumericArray, k.size, k.flip ?? false, out, offset);
    },
    fillRange(out, outOffset, start, length) {
      if (!data || !length) return;
      const v = data.values as NumericArray;
      const src = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      copySwap(src, start, out, outOffset, length, k.size);
      if (k.flip) { for (let i = outOffset, e = outOffset + length; i < e; i += k.size) out[i] ^= 0x80; }
    },
  };
}

// ---------------------------------------------------------------- binary tables

interface NumCode {
  code: string;
  size: number;
  lane: number;
  tzero?: number | bigint;
  flip?: boolean;
}

function numericCode(values: unknown, dtype: string | undefined, ctx: string): NumCode {
  let kind = "";
  if (dtype) {
    try {
      kind = parseTypestr(dtype).kind;
    } catch {
      // unknown dtype string: use the TypedArray class
    }
  }
  if (values instanceof Float32Array) {
    return kind === "c" ? { code: "C", size: 8, lane: 4 } : { code: "E", size: 4, lane: 4 };
  }
  if (values instanceof Float64Array) {
    return kind === "c" ? { code: "M", size: 16, lane: 8 } : { code: "D", size: 8, lane: 8 };
  }
  if (values instanceof Uint8Array) {
    return kind === "b" ? { code: "L", size: 1, lane: 1 } : { code: "B", size: 1, lane: 1 };
  }
  if (values instanceof Int8Array) return { code: "B", size: 1, lane: 1, tzero: -128, flip: true };
  if (values instanceof Int16Array) return { code: "I", size: 2, lane: 2 };
  if (values instanceof Uint16Array) return { code: "I", size: 2, lane: 2, tzero: 32768, flip: true };
  if (values instanceof Int32Array) return { code: "J", size: 4, lane: 4 };
  if (values instanceof Uint32Array) return { code: "J", size: 4, lane: 4, tzero: 2147483648, flip: true };
  if (values instanceof BigInt64Array) return { code: "K", size: 8, lane: 8 };
  if (values instanceof BigUint64Array) {
    return { code: "K", size: 8, lane: 8, tzero: 9223372036854775808n, flip: true };
  }
  throw invalid(`${ctx}: values of type ${Object.prototype.toString.call(values)} cannot be written to FITS`);
}

function encodeAscii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  let bad = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) {
      bad = true;
      out[i] = 63; // '?'
    } else out[i] = c;
  }
  if (bad) log.warning("FITS: characters outside printable ASCII in a string column replaced by '?'");
  return out;
}

/** Write `values` (native, `size`-byte elements of `lane`-byte lanes) big-endian into a fresh buffer. */
function toBigEndianBytes(values: NumericArray, lane: number, size: number, flip: boolean): Uint8Array {
  const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const tmp = src.slice();
  swapInPlace(tmp, lane);
  if (flip) { for (let i = 0; i < tmp.length; i += size) tmp[i] ^= 0x80; }
  return tmp;
}

interface ColPlan {
  cards: FitsCard[];
  /** Bytes per row. */
  width: number;
  isInt: boolean;
  /** Heap bytes this column needs. */
  heapBytes: number;
  /** Where this column's heap area starts, relative to the heap (set by the table planner). */
  heapStart: number;
  /** Write rows `[r0, r1)`: row `r` goes to `out[base + (r - r0) * rowBytes + colOffset]`. */
  writeRows(out: Uint8Array, base: number, rowBytes: number, colOffset: number, r0: number, r1: number): void;
  /** Copy this column's heap bytes to `out[offset]`. */
  writeHeap?(out: Uint8Array, offset: number): void;
  /**
   * Scalar 4-byte numeric column written as is (no scaling): its values as int32, so that runs of such
   * columns are scattered together, one loop over the rows (`fillRows`).
   */
  scalar4?: Int32Array;
}

function planColumn(
  col: TableColumn,
  i: number,
  nrows: number,
  unit: string | undefined,
  forceQ = false,
): ColPlan {
  const ctx = `column '${col.name}'`;
  const cards: FitsCard[] = [card(`TTYPE${i}`, col.name)];
  const shape = col.shape ?? [];
  const per = shapeSize(shape);
  const addUnit = (): void => {
    if (unit !== undefined && unit !== "") cards.push(card(`TUNIT${i}`, unit));
  };
  let values = col.values as unknown[];
  const objectDtype = col.dtype === "|O" || col.dtype === "O";
  // object columns holding only strings (or nulls) are fixed-width text; other object columns are per-row arrays
  const isVar = col.variableLength === true ||
    (objectDtype && values.some((v) => v !== null && v !== undefined && typeof v !== "string"));
  if (isVar) return planVarColumn(col, i, nrows, cards, addUnit, forceQ);
  if (Array.isArray(values) && !objectDtype) {
    // plain JS numbers/booleans with a numeric dtype: convert to the TypedArray the model prescribes
    let d: SimpleDType | undefined;
    try {
      d = parseTypestr(col.dtype);
    } catch {
      d = undefined;
    }
    if (d && isNumericKind(d.kind)) {
      const typed = allocNumeric(d, d.kind === "c" ? values.length / 2 : values.length);
      if (typed instanceof BigInt64Array || typed instanceof BigUint64Array) {
        values.forEach((v, k) => (typed[k] = BigInt(v as number | bigint)));
      } else values.forEach((v, k) => (typed[k] = Number(v)));
      values = typed as unknown as unknown[];
    }
  }
  if (Array.isArray(values)) {
    // strings
    let width = 0;
    try {
      const d = parseTypestr(col.dtype);
      if (d.kind === "S") width = d.itemsize;
      if (d.kind === "U") width = d.itemsize / 4;
    } catch {
      // not a numpy type string
    }
    const enc = values.map((v) => encodeAscii(v === null || v === undefined ? "" : String(v)));
    for (const e of enc) width = Math.max(width, e.length);
    width = Math.max(width, 1);
    if (enc.length !== nrows * per) {
      throw invalid(`${ctx}: expected ${nrows * per} strings, got ${enc.length}`);
    }
    const repeat = width * per;
    cards.push(card(`TFORM${i}`, `${repeat}A`));
    addUnit();
    if (shape.length > 0) cards.push(card(`TDIM${i}`, `(${[width, ...shape.slice().reverse()].join(",")})`));
    return {
      cards,
      width: repeat,
      isInt: false,
      heapBytes: 0,
      heapStart: 0,
      writeRows(out, base, rowBytes, colOffset, r0, r1) {
        for (let r = r0; r < r1; r++) {
          const d = base + (r - r0) * rowBytes + colOffset;
          for (let j = 0; j < per; j++) {
            const e = enc[r * per + j];
            const at = d + j * width;
            out.set(e, at);
            out.fill(0, at + e.length, at + width); // NUL padded (the buffer may be a reused chunk)
          }
        }
      },
    };
  }
  const nc = numericCode(values, col.dtype, ctx);
  const arr = values as unknown as NumericArray;
  const complex = nc.code === "C" || nc.code === "M";
  const count = complex ? arr.length / 2 : arr.length;
  if (count !== nrows * per) throw invalid(`${ctx}: expected ${nrows * per} values, got ${count}`);
  cards.push(card(`TFORM${i}`, `${per}${nc.code}`));
  addUnit();
  if (shape.length > 1) cards.push(card(`TDIM${i}`, `(${shape.slice().reverse().join(",")})`));
  if (nc.tzero !== undefined) {
    cards.push(card(`TSCAL${i}`, 1));
    cards.push(card(`TZERO${i}`, nc.tzero));
  }
  const width = per * nc.size;
  let be: Uint8Array | undefined; // big-endian copy for the byte-wise path, made once
  const scalar4 = width === 4 && nc.lane === 4 && !nc.flip && arr.byteOffset % 4 === 0
    ? new Int32Array(arr.buffer, arr.byteOffset, nrows)
    : undefined;
  return {
    cards,
    width,
    scalar4,
    isInt: "BIJK".includes(nc.code) && nc.tzero === undefined,
    heapBytes: 0,
    heapStart: 0,
    writeRows(out, base, rowBytes, colOffset, r0, r1) {
      if (width === 0 || r1 <= r0) return;
      const dAbs = out.byteOffset + base + colOffset;
      const srcOff = arr.byteOffset + r0 * width;
      if (nc.lane >= 4 && !nc.flip && dAbs % 4 === 0 && rowBytes % 4 === 0 && srcOff % 4 === 0) {
        const src = new Uint8Array(arr.buffer, srcOff, (r1 - r0) * width);
        scatterSwap32(src, nc.lane, out, base + colOffset, rowBytes, r1 - r0, width);
        return;
      }
      if (!be) {
        if (nc.code === "L") {
          be = new Uint8Array(arr.length);
          const src = arr as Uint8Array;
          for (let k = 0; k < be.length; k++) be[k] = src[k] ? 84 : 70;
        } else be = toBigEndianBytes(arr, nc.lane, nc.size, nc.flip ?? false);
      }
      const b = be;
      for (let r = r0; r < r1; r++) {
        const d = base + (r - r0) * rowBytes + colOffset;
        if (width >= 32) out.set(b.subarray(r * width, (r + 1) * width), d);
        else for (let k = 0, s = r * width; k < width; k++) out[d + k] = b[s + k];
      }
    },
  };
}

function planVarColumn(
  col: TableColumn,
  i: number,
  nrows: number,
  cards: FitsCard[],
  addUnit: () => void,
  forceQ: boolean,
): ColPlan {
  const ctx = `variable-length column '${col.name}'`;
  const rows = col.values as unknown[];
  if (rows.length !== nrows) throw invalid(`${ctx}: expected ${nrows} rows, got ${rows.length}`);
  let nc: NumCode | undefined;
  let strings = false;
  for (const row of rows) {
    if (row === null || row === undefined) continue;
    if (typeof row === "string") {
      strings = true;
      continue;
    }
    if (Array.isArray(row)) {
      nc ??= { code: "D", size: 8, lane: 8 };
      continue;
    }
    const c = numericCode(row, undefined, ctx);
    if (nc && (nc.code !== c.code || nc.tzero !== c.tzero)) throw invalid(`${ctx}: rows of different types`);
    nc = c;
  }
  if (strings && nc) throw invalid(`${ctx}: mixes strings and numbers`);
  const elem: NumCode = strings ? { code: "A", size: 1, lane: 1 } : nc ?? { code: "E", size: 4, lane: 4 };
  const encoded: Uint8Array[] = rows.map((row) => {
    if (row === null || row === undefined) return new Uint8Array(0);
    if (typeof row === "string") return encodeAscii(row);
    const arr = Array.isArray(row) ? Float64Array.from(row as number[]) : row as NumericArray;
    if (elem.code === "L") return Uint8Array.from(arr as Uint8Array, (v) => (v ? 84 : 70));
    return toBigEndianBytes(arr, elem.lane, elem.size, elem.flip ?? false);
  });
  const counts = encoded.map((e) => e.length / elem.size);
  let heapBytes = 0;
  let max = 0;
  for (let r = 0; r < nrows; r++) {
    heapBytes += encoded[r].length;
    max = Math.max(max, counts[r]);
  }
  // Q (64-bit) descriptors when heap offsets could exceed the 32-bit P range (whole heap, decided by the caller)
  const q = forceQ || heapBytes > 0x7fffffff;
  cards.push(card(`TFORM${i}`, `1${q ? "Q" : "P"}${elem.code}(${max})`));
  addUnit();
  if (elem.tzero !== undefined) {
    cards.push(card(`TSCAL${i}`, 1));
    cards.push(card(`TZERO${i}`, elem.tzero));
  }
  const rowOff = new Array<number>(nrows);
  for (let r = 0, acc = 0; r < nrows; r++) {
    rowOff[r] = acc;
    acc += encoded[r].length;
  }
  const plan: ColPlan = {
    cards,
    width: q ? 16 : 8,
    isInt: "BIJK".includes(elem.code) && elem.tzero === undefined,
    heapBytes,
    heapStart: 0,
    writeRows(out, base, rowBytes, colOffset, r0, r1) {
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      for (let r = r0; r < r1; r++) {
        const d = base + (r - r0) * rowBytes + colOffset;
        const off = plan.heapStart + rowOff[r];
        if (q) {
          view.setBigInt64(d, BigInt(counts[r]), false);
          view.setBigInt64(d + 8, BigInt(off), false);
        } else {
          if (off > 0x7fffffff) throw invalid(`${ctx}: heap offset exceeds the P descriptor range`);
          view.setInt32(d, counts[r], false);
          view.setInt32(d + 4, off, false);
        }
      }
    },
    writeHeap(out, offset) {
      for (let r = 0; r < nrows; r++) out.set(encoded[r], offset + rowOff[r]);
    },
  };
  return plan;
}

function tableUnits(input: FitsHduInput, col: TableColumn): string | undefined {
  return input.units?.[col.name] ?? col.unit;
}

function planBinTable(input: FitsHduInput, name: string | undefined, forceQ: boolean): PlannedHdu {
  const table = input.data as Table;
  const nrows = table.length;
  let plans = table.columns.map((c, k) => planColumn(c, k + 1, nrows, tableUnits(input, c), forceQ));
  if (!forceQ && plans.reduce((a, p) => a + p.heapBytes, 0) > 0x7fffffff) {
    plans = table.columns.map((c, k) => planColumn(c, k + 1, nrows, tableUnits(input, c), true));
  }
  const rowBytes = plans.reduce((a, p) => a + p.width, 0);
  const heapBytes = plans.reduce((a, p) => a + p.heapBytes, 0);
  const cards: FitsCard[] = [
    card("XTENSION", "BINTABLE", "binary table extension"),
    card("BITPIX", 8, "array data type"),
    card("NAXIS", 2, "number of array dimensions"),
    card("NAXIS1", rowBytes, "length of dimension 1"),
    card("NAXIS2", nrows, "length of dimension 2"),
    card("PCOUNT", heapBytes, "number of group parameters"),
    card("GCOUNT", 1, "number of groups"),
    card("TFIELDS", plans.length, "number of table fields"),
  ];
  for (const p of plans) for (const c of p.cards) cards.push(c);
  if (name !== undefined) cards.push(card("EXTNAME", name, "extension name"));
  const ints = new Set<number>();
  plans.forEach((p, k) => p.isInt && ints.add(k + 1));
  for (const c of filterUserCards(userCards(input.header), plans.length, ints, true)) cards.push(c);
  let heapAt = 0;
  for (const p of plans) {
    p.heapStart = heapAt;
    heapAt += p.heapBytes;
  }
  // runs of up to three scalar 4-byte columns (RATE, ERROR, FRACEXP) are scattered in one loop over the rows
  const steps: ({ plan: ColPlan; off: number } | { offs: number[]; vals: Int32Array[] })[] = [];
  {
    let colOffset = 0;
    let run: { offs: number[]; vals: Int32Array[] } | undefined;
    for (const p of plans) {
      if (p.scalar4) {
        if (!run || run.offs.length === 3) steps.push(run = { offs: [], vals: [] });
        run.offs.push(colOffset);
        run.vals.push(p.scalar4);
      } else {
        run = undefined;
        steps.push({ plan: p, off: colOffset });
      }
      colOffset += p.width;
    }
  }
  const fillRows = (out: Uint8Array, base: number, r0: number, r1: number): void => {
    // blocks of rows that stay in cache while every column is written into them
    const block = Math.max(1, Math.floor(BLOCK_ROWS_BYTES / Math.max(rowBytes, 1)));
    for (let a = r0; a < r1; a += block) {
      const b = Math.min(r1, a + block);
      const at = base + (a - r0) * rowBytes;
      const dv = new DataView(out.buffer, out.byteOffset + at, (b - a) * rowBytes);
      for (const st of steps) {
        if ("plan" in st) st.plan.writeRows(out, at, rowBytes, st.off, a, b);
        else if (st.offs.length === 3) {
          write4x3(
            dv,
            rowBytes,
            b - a,
            st.offs[0],
            st.offs[1],
            st.offs[2],
            st.vals[0],
            st.vals[1],
            st.vals[2],
            a,
          );
        } else if (st.offs.length === 2) {
          write4x2(dv, rowBytes, b - a, st.offs[0], st.offs[1], st.vals[0], st.vals[1], a);
        } else write4x1(dv, rowBytes, b - a, st.offs[0], st.vals[0], a);
      }
    }
  };
  const fillHeap = (out: Uint8Array, offset: number): void => {
    for (const p of plans) p.writeHeap?.(out, offset + p.heapStart);
  };
  return {
    cards,
    dataBytes: rowBytes * nrows + heapBytes,
    pad: 0,
    fill(out, offset) {
      fillRows(out, offset, 0, nrows);
      fillHeap(out, offset + rowBytes * nrows);
    },
    table: { rowBytes, nrows, heapBytes, fillRows, fillHeap },
  };
}

// ---------------------------------------------------------------- ASCII tables

function maxLength(cells: readonly string[], min: number): number {
  let m = min;
  for (const c of cells) if (c.length > m) m = c.length;
  return m;
}

function planAsciiTable(input: FitsHduInput, name: string | undefined): PlannedHdu {
  const table = input.data as Table;
  const nrows = table.length;
  const cols = table.columns.map((col, k) => {
    const ctx = `ASCII table column '${col.name}'`;
    if (col.variableLength || shapeSize(col.shape ?? []) !== 1) {
      throw invalid(`${ctx}: ASCII tables hold scalar columns only; write a binary table instead`);
    }
    const v = col.values;
    let form: string;
    let cells: string[];
    if (Array.isArray(v)) {
      cells = v.map((x) => String(x ?? ""));
      const w = maxLength(cells, 1);
      form = `A${w}`;
    } else if (v instanceof Float32Array || v instanceof Float64Array) {
      const d = v instanceof Float64Array;
      // 17 (float64) / 9 (float32) significant digits: enough to get the same binary value back
      const p = d ? 17 : 8;
      const w = d ? 25 : 16;
      cells = Array.from(v, (x) => {
        const [m, e] = x.toExponential(p).split("e");
        const ex = `${e[0] === "-" ? "-" : "+"}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
        return `${m}${d ? "D" : "E"}${ex}`;
      });
      form = `${d ? "D" : "E"}${w}.${p}`;
    } else {
      cells = Array.from(v as ArrayLike<number | bigint>, (x) => String(x));
      // widths as astropy/CFITSIO map them back: ≤ 9 digits → 32-bit, wider → 64-bit integers
      const big = v instanceof BigInt64Array || v instanceof BigUint64Array || v instanceof Uint32Array;
      const w = Math.max(maxLength(cells, 0) + 1, big ? 10 : 5);
      form = `I${w}`;
    }
    if (cells.length !== nrows) throw invalid(`${ctx}: expected ${nrows} values, got ${cells.length}`);
    const width = Number(/\d+/.exec(form)![0]);
    return { col, k: k + 1, form, width, cells, left: form.startsWith("A") };
  });
  let pos = 1;
  const tbcols = cols.map((c) => {
    const at = pos;
    pos += c.width + 1;
    return at;
  });
  const rowBytes = Math.max(0, pos - 2);
  const cards: FitsCard[] = [
    card("XTENSION", "TABLE", "ASCII table extension"),
    card("BITPIX", 8, "array data type"),
    card("NAXIS", 2, "number of array dimensions"),
    card("NAXIS1", rowBytes, "length of dimension 1"),
    card("NAXIS2", nrows, "length of dimension 2"),
    card("PCOUNT", 0, "number of group parameters"),
    card("GCOUNT", 1, "number of groups"),
    card("TFIELDS", cols.length, "number of table fields"),
  ];
  for (const c of cols) {
    cards.push(card(`TTYPE${c.k}`, c.col.name));
    cards.push(card(`TFORM${c.k}`, c.form));
    cards.push(card(`TBCOL${c.k}`, tbcols[c.k - 1]));
    const unit = tableUnits(input, c.col);
    if (unit) cards.push(card(`TUNIT${c.k}`, unit));
  }
  if (name !== undefined) cards.push(card("EXTNAME", name, "extension name"));
  for (const c of filterUserCards(userCards(input.header), cols.length, new Set(), true)) cards.push(c);
  return {
    cards,
    dataBytes: rowBytes * nrows,
    pad: 32,
    fill(out, offset) {
      out.fill(32, offset, offset + rowBytes * nrows);
      for (const c of cols) {
        const base = offset + tbcols[c.k - 1] - 1;
        for (let r = 0; r < nrows; r++) {
          const s = c.left ? c.cells[r].padEnd(c.width) : c.cells[r].padStart(c.width);
          out.set(encodeAscii(s.slice(0, c.width)), base + r * rowBytes);
        }
      }
    },
  };
}

// ---------------------------------------------------------------- layout

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
