/**
 * `CatalogTable`: the small astropy-`Table`-like object behind
 * `ApiCatalog.table` (columns with numpy dtypes and units, table meta, row
 * filtering).
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { isPyFloatSafe } from "../data/_coerce.ts";
import { pythonRepr, pythonStr } from "../data/python.ts";
import type { Table, TableColumn } from "../data/ndarray.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

/**
 * One catalog column: plain JS values plus the numpy `dtype.descr` type string.
 *
 * @example
 * ```ts
 * import { type CatalogColumn, CatalogTable } from "@oda-hub/oda-api";
 * const ra: CatalogColumn = { name: "ra", dtype: "<f8", values: [83.633, 135.529], unit: "deg" };
 * const table = new CatalogTable([ra]);
 * ```
 */
export interface CatalogColumn {
  /** Column name. */
  name: string;
  /** numpy type string as in `dtype.descr` (`"<i8"`, `"<f8"`, `"<U14"`, `"|b1"`, `"|O"`). */
  dtype: string;
  /** Values (numbers, strings, booleans; `null` for missing). */
  values: unknown[];
  /** Physical unit, e.g. `"deg"` for the coordinate columns. */
  unit?: string | undefined;
}

/**
 * A catalog row: column name → value.
 *
 * @example
 * ```ts
 * import { type CatalogRow, CatalogTable } from "@oda-hub/oda-api";
 * const t = new CatalogTable([{ name: "significance", dtype: "<f8", values: [29.4, 3.1] }]);
 * const bright = t.filter((row: CatalogRow) => row.significance >= 5); // 1 row
 * ```
 */
// deno-lint-ignore no-explicit-any
export type CatalogRow = Record<string, any>;

/**
 * Infer the numpy dtype numpy/astropy would give a Python list of these
 * values (`Table([...])`): ints → `<i8`, any float → `<f8`, strings →
 * `<U<max length>`, booleans → `|b1`, anything mixed or containing `None` →
 * `|O`.
 *
 * @example
 * ```ts
 * import { inferCatalogDtype } from "./catalog_table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(inferCatalogDtype(["GRS 1915+105", "Crab"]), "<U12");
 * ```
 */
export function inferCatalogDtype(values: readonly unknown[]): string {
  if (values.length === 0) return "<f8";
  let allInt = true, allNum = true, allStr = true, allBool = true, maxLen = 0;
  for (const v of values) {
    if (typeof v === "string") {
      maxLen = Math.max(maxLen, [...v].length);
      allNum = allInt = allBool = false;
    } else if (typeof v === "boolean") {
      allNum = allInt = allStr = false;
    } else if (typeof v === "number" || typeof v === "bigint") {
      allStr = allBool = false;
      if (typeof v === "number" && !Number.isInteger(v)) allInt = false;
    } else {
      return "|O";
    }
  }
  if (allStr) return `<U${Math.max(maxLen, 1)}`;
  if (allBool) return "|b1";
  if (allNum) return allInt ? "<i8" : "<f8";
  return "|O";
}

/**
 * A catalog table: ordered columns, units and meta (`FRAME`, `COORD_UNIT`,
 * `LON_NAME`, `LAT_NAME`).
 *
 * @example
 * ```ts
 * import { CatalogTable } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const t = new CatalogTable([
 *   { name: "src_names", dtype: "<U4", values: ["Crab", "NEW_1"] },
 *   { name: "significance", dtype: "<f8", values: [30.5, 6.1] },
 * ]);
 * const bright = t.filter((row) => row.significance >= 8 && !row.src_names.includes("NEW"));
 * assert.equal(bright.length, 1);
 * ```
 */
export class CatalogTable {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return {
      kind: "table",
      title: `CatalogTable: ${this.length} rows`,
      summary: `${this.length} rows`,
      table: () => this.toTable(),
    };
  }

  /** Columns in order. */
  columns: CatalogColumn[];
  /** Table metadata. */
  meta: Record<string, unknown>;

  /** Build a table; all columns must have the same length. */
  constructor(columns: CatalogColumn[], meta: Record<string, unknown> = {}) {
    const n = columns[0]?.values.length ?? 0;
    for (const c of columns) {
      if (c.values.length !== n) {
        throw new OdaError(
          "INVALID_ARGUMENT",
          `catalog column '${c.name}' has ${c.values.length} rows, expected ${n}`,
        );
      }
    }
    this.columns = columns;
    this.meta = meta;
  }

  /** Number of rows. */
  get length(): number {
    return this.columns[0]?.values.length ?? 0;
  }

  /** Column names in order (astropy's `colnames`). */
  get colnames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** Column units (only columns that have one). */
  get units(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.columns) if (c.unit) out[c.name] = c.unit;
    return out;
  }

  /**
   * The values of a column; throws `INVALID_ARGUMENT` if there is none.
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * new CatalogTable([{ name: "ra", dtype: "<f8", values: [1.5] }]).column("ra"); // [1.5]
   * ```
   */
  column(name: string): unknown[] {
    const c = this.columns.find((x) => x.name === name);
    if (!c) throw new OdaError("INVALID_ARGUMENT", `no column '${name}' (have ${this.colnames.join(", ")})`);
    return c.values;
  }

  /**
   * Row `i` as an object.
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * new CatalogTable([{ name: "ra", dtype: "<f8", values: [1.5] }]).row(0); // { ra: 1.5 }
   * ```
   */
  row(i: number): CatalogRow {
    const r: CatalogRow = {};
    for (const c of this.columns) r[c.name] = c.values[i];
    return r;
  }

  /**
   * All rows as objects.
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * new CatalogTable([{ name: "ra", dtype: "<f8", values: [1.5, 2] }]).rows().length; // 2
   * ```
   */
  rows(): CatalogRow[] {
    return Array.from({ length: this.length }, (_, i) => this.row(i));
  }

  /**
   * A new table with the rows for which `predicate` is true (dtypes, units
   * and meta kept, as numpy boolean indexing does).
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * const t = new CatalogTable([{ name: "significance", dtype: "<f8", values: [3, 9] }]);
   * t.filter((r) => r.significance > 5).column("significance"); // [9]
   * ```
   */
  filter(predicate: (row: CatalogRow, index: number) => boolean): CatalogTable {
    const keep: number[] = [];
    for (let i = 0; i < this.length; i++) if (predicate(this.row(i), i)) keep.push(i);
    return this.take(keep);
  }

  /**
   * A new table with the given rows, in the given order.
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * new CatalogTable([{ name: "a", dtype: "<i8", values: [1, 2, 3] }]).take([2, 0]).column("a"); // [3, 1]
   * ```
   */
  take(indices: readonly number[]): CatalogTable {
    return new CatalogTable(
      this.columns.map((c) => ({ ...c, values: indices.map((i) => c.values[i]) })),
      structuredClone(this.meta),
    );
  }

  /**
   * The shared {@linkcode Table} model (numeric columns as TypedArrays,
   * text as `string[]`, object columns as arrays).
   *
   * @example
   * ```ts
   * import { CatalogTable } from "@oda-hub/oda-api";
   * new CatalogTable([{ name: "ra", dtype: "<f8", values: [1.5] }]).toTable().columns[0].values; // Float64Array [1.5]
   * ```
   */
  toTable(): Table {
    const columns: TableColumn[] = this.columns.map((c) => {
      const base = {
        name: c.name,
        dtype: c.dtype,
        shape: [] as number[],
        ...(c.unit ? { unit: c.unit } : {}),
      };
      if (c.dtype === "<f8") {
        return {
          ...base,
          values: Float64Array.from(c.values, plainNumber),
        };
      }
      if (c.dtype === "<i8") {
        return {
          ...base,
          values: BigInt64Array.from(c.values, plainBigInt),
        };
      }
      if (c.dtype === "|b1") return { ...base, values: Uint8Array.from(c.values, (v) => (v ? 1 : 0)) };
      if (c.dtype.includes("U")) {
        return { ...base, values: c.values.map((v) => v === null || v === undefined ? "" : pythonStr(v)) };
      }
      return { ...base, values: [...c.values] };
    });
    return { kind: "table", length: this.length, columns };
  }

  /**
   * Convert to an Apache Arrow table (loads `apache-arrow` on first use).
   *
   * @example
   * ```ts ignore
   * const arrow = await catalog.table.toArrow();
   * ```
   */
  async toArrow(): Promise<import("npm:apache-arrow@^21.2.0").Table> {
    const { tableToArrow } = await import("./arrow.ts");
    return tableToArrow(this.toTable());
  }
}

/** A cell as a float: numbers, bigints and numeric strings; anything else (null, objects) NaN, never coerced. */
function plainNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint" || typeof v === "string" || typeof v === "boolean") return Number(v);
  if (isPyFloatSafe(v)) return v.value;
  return NaN;
}

/** A cell as an int64: integral numbers and bigints; anything else → `DecodeError("PRODUCT")`. */
function plainBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return BigInt.asIntN(64, v);
  if (typeof v === "number" && Number.isInteger(v)) return BigInt.asIntN(64, BigInt(v));
  if (typeof v === "boolean") return v ? 1n : 0n;
  throw new DecodeError("PRODUCT", `catalog value ${pythonRepr(v)} is not an integer`);
}
