/**
 * FITS writer, binary tables: numeric, logical, string, vector and
 * variable-length (`P`/`Q` heap) columns, unsigned integers through `TZEROn`,
 * rows filled in cache-sized blocks or streamed by row ranges.
 *
 * @module
 */
import {
  allocNumeric,
  isNumericKind,
  type NumericArray,
  parseTypestr,
  shapeSize,
  type SimpleDType,
  type Table,
  type TableColumn,
} from "../../data/ndarray.ts";
import { isArraySafe, toNumberSafe } from "../../data/_coerce.ts";
import { scatterSwap32, swapInPlace } from "./bytes.ts";
import { write4x1, write4x2, write4x3 } from "../gather.ts";
import type { FitsCard } from "./header.ts";
import type { FitsHduInput } from "./hdu.ts";
import {
  BLOCK_ROWS_BYTES,
  card,
  encodeAscii,
  filterUserCards,
  invalid,
  type PlannedHdu,
  tableUnits,
  userCards,
} from "./_write_plan.ts";

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
  scalar4?: Int32Array | undefined;
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
        values.forEach((v, k) => {
          const n = typeof v === "bigint" ? v : toNumberSafe(v);
          if (typeof n === "number" && !Number.isInteger(n)) {
            throw invalid(`${ctx} (${col.dtype}) holds a value that is not an integer`);
          }
          typed[k] = BigInt(n);
        });
      } else values.forEach((v, k) => (typed[k] = toNumberSafe(v)));
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
    if (isArraySafe(row)) {
      nc ??= { code: "D", size: 8, lane: 8 };
      continue;
    }
    if (typeof row !== "object" || !ArrayBuffer.isView(row)) {
      throw invalid(`${ctx}: a row is not text nor an array`);
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

export function planBinTable(input: FitsHduInput, name: string | undefined, forceQ: boolean): PlannedHdu {
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
