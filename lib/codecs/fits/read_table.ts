/**
 * FITS tables: BINTABLE (every TFORM, `P`/`Q` heap arrays, `TSCAL`/`TZERO`, `TNULL`, strings) and ASCII
 * TABLE, into the shared {@linkcode Table} model.
 *
 * @module
 */
import { getLogger } from "../../log.ts";
import { type NumericArray, shapeSize, type Table, type TableColumn } from "../../data/ndarray.ts";
import { columnGatherer, copyNative, gatherNative } from "./bytes.ts";
import { bigOrNum, isTwoPow } from "./read_image.ts";
import { fitsError, type FitsHeader, type FitsValue } from "./header.ts";
import type { DecodeBudget } from "../budget.ts";
import { decodeLatin1 } from "../../data/latin1.ts";
import { intKey, numKey } from "./_keys.ts";

const log = getLogger("oda_api.fits");

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

export function laneSize(code: string): number {
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

export function readBinTable(
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
    const gather = columnGatherer(
      fixed.map((c) => ({ colOff: c.colOff, width: c.f.width, lane: laneSize(c.f.code) })),
      outs,
      nrows,
    );
    const rows = bytes.subarray(off);
    for (let r0 = 0; r0 < nrows; r0 += block) gather(rows, rowBytes, r0, Math.min(nrows, r0 + block), 0);
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
export const FIXED_NUMERIC: ReadonlySet<string> = new Set(["L", "B", "I", "J", "K", "E", "D", "C", "M"]);

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

export function readAsciiTable(
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
