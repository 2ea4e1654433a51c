/**
 * Shared pieces of the FITS writer (`write.ts`): the planned-HDU shape every
 * HDU kind produces, header-card helpers, and the filter that drops user cards
 * the writer computes itself.
 *
 * @module
 */
import { OdaError } from "../../errors.ts";
import { getLogger } from "../../log.ts";
import type { TableColumn } from "../../data/ndarray.ts";
import { type FitsCard, FitsHeader, type FitsValue } from "./header.ts";
import type { FitsHduInput } from "./hdu.ts";

const log = getLogger("oda_api.fits");

export function invalid(msg: string): OdaError {
  return new OdaError("INVALID_ARGUMENT", msg);
}

/** One HDU ready to be laid out: its header cards and a data writer. */
export interface PlannedHdu {
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
export const BLOCK_ROWS_BYTES = 256 * 1024;

const STRUCTURAL_RE =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|TFIELDS|THEAP|BSCALE|BZERO|BLANK|END|CHECKSUM|DATASUM|EXTNAME)$/;
const COLUMN_STRUCT_RE = /^(TTYPE|TFORM|TUNIT|TDIM|TSCAL|TZERO|TBCOL)(\d+)$/;
const COLUMN_KEY_RE =
  /^(TNULL|TDISP|TLMIN|TLMAX|TDMIN|TDMAX|TCTYP|TCUNI|TCRPX|TCRVL|TCDLT|TCROT|TRPOS|TCD|TPC|TPS|TPV|TWCS)(\d+)$/;

export function userCards(header: FitsHduInput["header"]): FitsCard[] {
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
export function filterUserCards(
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

export function card(keyword: string, value: FitsValue, comment?: string): FitsCard {
  return comment === undefined ? { keyword, value } : { keyword, value, comment };
}

/**
 * The mandatory cards of a table extension, in order: `XTENSION` (`TABLE` or `BINTABLE`) to `TFIELDS`.
 * `pcount` is the heap size (0 for ASCII tables).
 */
export function tableExtensionCards(
  xtension: "TABLE" | "BINTABLE",
  rowBytes: number,
  nrows: number,
  pcount: number,
  tfields: number,
): FitsCard[] {
  return [
    card("XTENSION", xtension, xtension === "TABLE" ? "ASCII table extension" : "binary table extension"),
    card("BITPIX", 8, "array data type"),
    card("NAXIS", 2, "number of array dimensions"),
    card("NAXIS1", rowBytes, "length of dimension 1"),
    card("NAXIS2", nrows, "length of dimension 2"),
    card("PCOUNT", pcount, "number of group parameters"),
    card("GCOUNT", 1, "number of groups"),
    card("TFIELDS", tfields, "number of table fields"),
  ];
}

/** ASCII bytes of `s`; characters outside printable ASCII become `?` (with a warning). */
export function encodeAscii(s: string): Uint8Array {
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

/** The unit of a table column: its own, else the table input's `units` entry. */
export function tableUnits(input: FitsHduInput, col: TableColumn): string | undefined {
  return input.units?.[col.name] ?? col.unit;
}
