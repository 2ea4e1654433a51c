/**
 * FITS writer, ASCII tables (`XTENSION= 'TABLE'`): scalar columns formatted as
 * fixed-width text fields.
 *
 * @module
 */
import { shapeSize, type Table } from "../../data/ndarray.ts";
import type { FitsCard } from "./header.ts";
import type { FitsHduInput } from "./hdu.ts";
import {
  card,
  encodeAscii,
  filterUserCards,
  invalid,
  type PlannedHdu,
  tableExtensionCards,
  tableUnits,
  userCards,
} from "./_write_plan.ts";

function maxLength(cells: readonly string[], min: number): number {
  let m = min;
  for (const c of cells) if (c.length > m) m = c.length;
  return m;
}

export function planAsciiTable(input: FitsHduInput, name: string | undefined): PlannedHdu {
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
  const cards: FitsCard[] = tableExtensionCards("TABLE", rowBytes, nrows, 0, cols.length);
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
