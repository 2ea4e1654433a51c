/**
 * Column access for tables held by data units: `unit.data['TIME']` returns
 * the column's values (TypedArray, or `string[]` for text), exactly as the
 * Python `lc.data_unit[1].data['TIME']` does.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import type { ArrayValues, Table, TableColumn } from "../data/ndarray.ts";
import { $display, notebookDisplay } from "../notebook.ts";

/**
 * A {@linkcode Table} whose columns are also reachable by name:
 * `data.columns`, `data.length`, and `data["RATE"]`.
 *
 * @example
 * ```ts
 * import { type TableData } from "@oda-hub/oda-api";
 * import { makeTableData } from "./table_data.ts";
 * const t: TableData = makeTableData({
 *   kind: "table",
 *   length: 2,
 *   columns: [{ name: "RATE", dtype: ">f4", shape: [], values: new Float32Array([1, 2]) }],
 * });
 * t["RATE"]; // Float32Array [1, 2]
 * ```
 */
export type TableData = Table & { readonly [column: string]: ArrayValues };

/**
 * Wrap a table so that every column is a property named after it (the
 * table's own `kind`, `length`, `columns` are kept and are not enumerable).
 * Columns whose name collides with `kind`/`length`/`columns` stay reachable
 * through `columns`.
 *
 * @example
 * ```ts
 * import { makeTableData } from "./table_data.ts";
 * const t = makeTableData({
 *   kind: "table",
 *   length: 2,
 *   columns: [{ name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([1, 2]) }],
 * });
 * t["TIME"]; // Float64Array [1, 2]
 * ```
 */
export function makeTableData(table: Table): TableData {
  const out: Record<string, unknown> = {};
  Object.defineProperty(out, "kind", { value: "table", enumerable: false });
  Object.defineProperty(out, "length", { value: table.length, enumerable: false, writable: true });
  Object.defineProperty(out, "columns", { value: table.columns, enumerable: false, writable: true });
  // a notebook cell showing `unit.data` gets an HTML table with a row limit
  Object.defineProperty(out, $display, { value: () => notebookDisplay(out), enumerable: false });
  for (const col of table.columns) {
    if (typeof col?.name !== "string") {
      throw new OdaError("INVALID_ARGUMENT", "table column names must be strings");
    }
    if (col.name === "kind" || col.name === "length" || col.name === "columns") continue;
    Object.defineProperty(out, col.name, {
      get: () => col.values,
      enumerable: true,
      configurable: true,
    });
  }
  return out as unknown as TableData;
}

/**
 * Find a column by name (exact match first, then case-insensitive as FITS
 * column names are).
 *
 * @example
 * ```ts
 * import { findColumn } from "./table_data.ts";
 * import assert from "node:assert/strict";
 * assert.equal(findColumn({ kind: "table", length: 0, columns: [] }, "TIME"), undefined);
 * ```
 */
export function findColumn(table: Table, name: string): TableColumn | undefined {
  return table.columns.find((c) => c.name === name) ??
    table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
}
