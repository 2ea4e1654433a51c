/**
 * Conversion of the shared {@linkcode Table} model to Apache Arrow tables
 * (for polars, duckdb, arquero...). Loaded lazily by the `toArrow()`
 * methods so that importing the package stays fast.
 *
 * @module
 */
import { pythonStr } from "../data/python.ts";
import * as arrow from "npm:apache-arrow@^21.2.0";
import type { Table } from "../data/ndarray.ts";

/**
 * Convert a table: numeric columns become Arrow vectors of the same type
 * (zero-copy where possible), strings `Utf8`, masked entries (`mask`) or
 * `null` values become nulls. Vector columns are flattened per row into
 * `List` columns.
 *
 * @example
 * ```ts ignore
 * import { tableToArrow } from "@oda-hub/oda-api/lib/products/arrow.ts";
 * const t = tableToArrow({ kind: "table", length: 1, columns: [{ name: "x", dtype: "<f8", shape: [], values: new Float64Array([1]) }] });
 * ```
 */
export function tableToArrow(table: Table): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  for (const col of table.columns) {
    const mask = (col as { mask?: Uint8Array }).mask;
    const values = col.values;
    if (col.variableLength || col.shape.length > 0) {
      const per = col.shape.reduce((a, b) => a * b, 1);
      const rows: unknown[] = [];
      for (let i = 0; i < table.length; i++) {
        const row = col.variableLength
          ? (values as unknown[])[i]
          : (values as ArrayLike<unknown> & { slice(a: number, b: number): unknown }).slice(
            i * per,
            (i + 1) * per,
          );
        rows.push(Array.from(row as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? Number(v) : v)));
      }
      vectors[col.name] = arrow.vectorFromArray(rows);
      continue;
    }
    if (ArrayBuffer.isView(values) && !mask) {
      if (col.dtype.endsWith("b1")) {
        vectors[col.name] = arrow.vectorFromArray(
          Array.from(values as Uint8Array, (v) => v !== 0),
          new arrow.Bool(),
        );
      } else {
        vectors[col.name] = arrow.makeVector(values as Float64Array);
      }
      continue;
    }
    const arr = Array.from(values as ArrayLike<unknown>, (v, i) => (mask?.[i] ? null : v));
    if (col.dtype.endsWith("b1")) {
      vectors[col.name] = arrow.vectorFromArray(
        arr.map((v) => (v === null ? null : Boolean(v))),
        new arrow.Bool(),
      );
    } else if (col.dtype.includes("U") || col.dtype.includes("S")) {
      vectors[col.name] = arrow.vectorFromArray(
        arr.map((v) => (v === null ? null : typeof v === "object" ? pythonStr(v) : String(v))),
        new arrow.Utf8(),
      );
    } else if (ArrayBuffer.isView(values)) {
      const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
      vectors[col.name] = arrow.vectorFromArray(arr, big ? new arrow.Int64() : new arrow.Float64());
    } else {
      vectors[col.name] = arrow.vectorFromArray(arr.map((v) => (v === undefined ? null : v)));
    }
  }
  return new arrow.Table(vectors);
}
