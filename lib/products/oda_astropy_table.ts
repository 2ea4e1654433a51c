/**
 * `ODAAstropyTable`: an astropy table sent as ECSV text
 * (`astropy_table_product_ascii_list`).
 *
 * @module
 */
import type { Product } from "./product.ts";
import { pythonStr } from "../data/python.ts";
import type { DecodeOptions } from "../codecs/budget.ts";
import { type EcsvTable, readEcsv, writeEcsv } from "../codecs/ecsv.ts";
import { writeFitsFile } from "../codecs/fits.ts";
import type { FitsHeaderDictValue } from "../codecs/fits/header.ts";
import type { Table } from "../data/ndarray.ts";
import { parseJson, pythonJsonDumps } from "../data/json.ts";
import { encodedDict } from "./_decode.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { findColumn } from "./table_data.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "./files.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

/**
 * The wire form of an {@linkcode ODAAstropyTable}.
 *
 * @example
 * ```ts
 * import { ODAAstropyTable } from "@oda-hub/oda-api";
 * import { type EncodedODAAstropyTable } from "@oda-hub/oda-api/pickle";
 * const wire: EncodedODAAstropyTable = {
 *   binary: null,
 *   ascii:
 *     "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: x, datatype: float64}\n# schema: astropy-2.0\nx\n1.0\n",
 *   name: "tab",
 *   meta_data: "{}",
 * };
 * const t = ODAAstropyTable.decode(wire);
 * ```
 */
export interface EncodedODAAstropyTable {
  /** Base64 pickle of the astropy Table (never produced here; always `null`). */
  binary: string | null;
  /** ECSV text. */
  ascii: string | null;
  /** Table name. */
  name: string | null;
  /** JSON text of the metadata dict. */
  meta_data: string;
}

/**
 * An astropy table product (the Python `ODAAstropyTable`). As in oda_api,
 * after decoding `meta_data` stays the **undecoded JSON text**; use
 * {@linkcode ODAAstropyTable.metaDataDict} for the parsed dict.
 *
 * @example
 * ```ts
 * import { ODAAstropyTable } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const t = ODAAstropyTable.decode({
 *   binary: null,
 *   ascii: "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: x, datatype: float64}\n# schema: astropy-2.0\nx\n1.0\n",
 *   name: "tab",
 *   meta_data: '{"origin": "demo"}',
 * });
 * t.column("x"); // Float64Array [1]
 * assert.equal(t.meta_data, '{"origin": "demo"}');
 * ```
 */
export class ODAAstropyTable implements Product {
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
      title: `ODAAstropyTable ${this.name ?? ""}: ${this.table.length} rows`,
      summary: `${this.table.length} rows × ${this.table.columns.length} columns`,
      table: () => this.table,
    };
  }

  /** The table (columns, units, descriptions, meta). */
  table: EcsvTable;
  /** Name. */
  name: string | null;
  /** Metadata: a dict, or the JSON text it arrived as. */
  meta_data: Record<string, unknown> | string;

  /** Wrap a table. */
  constructor(
    table: Table | EcsvTable,
    name: string | null = null,
    meta_data: Record<string, unknown> | string = {},
  ) {
    for (const c of table.columns) {
      if (typeof c?.name !== "string") {
        throw new OdaError("INVALID_ARGUMENT", "table column names must be strings");
      }
    }
    this.table = "meta" in table ? table as EcsvTable : { ...table, meta: {} };
    this.name = name;
    this.meta_data = meta_data;
  }

  /** The metadata as a dict (parsed when it is JSON text). */
  metaDataDict(): Record<string, unknown> {
    if (typeof this.meta_data !== "string") return this.meta_data;
    const v = parseJson(this.meta_data);
    return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {};
  }

  /**
   * A column's values by name; throws if absent.
   *
   * @example
   * ```ts ignore
   * table.column("value");
   * ```
   */
  column(name: string): Table["columns"][number]["values"] {
    const c = findColumn(this.table, name);
    if (!c) throw new DecodeError("PRODUCT", `no column '${name}' in table ${this.name}`);
    return c.values;
  }

  /** The wire dict (ECSV text, metadata as JSON text). */
  encode(): EncodedODAAstropyTable {
    return {
      binary: null,
      ascii: writeEcsv(this.table),
      name: this.name,
      meta_data: typeof this.meta_data === "string" ? this.meta_data : pythonJsonDumps(this.meta_data),
    };
  }

  /**
   * Decode the wire dict (or its JSON text). Only the ECSV (`ascii`) form is
   * supported; the `binary` form is a Python pickle of astropy objects.
   * `options` bound the ECSV decode (see {@linkcode DecodeOptions}).
   *
   * @example
   * ```ts ignore
   * const t = ODAAstropyTable.decode(response.products.astropy_table_product_ascii_list[0]);
   * ```
   */
  static decode(
    encoded: EncodedODAAstropyTable | string | Record<string, unknown>,
    options: DecodeOptions = {},
  ): ODAAstropyTable {
    const o = encodedDict(encoded, "ODAAstropyTable");
    if (typeof o.ascii !== "string") {
      throw new DecodeError(
        "PRODUCT",
        o.binary
          ? "ODAAstropyTable in binary (astropy pickle) form is not supported"
          : "ODAAstropyTable has no 'ascii'",
      );
    }
    const meta = o.meta_data;
    return new ODAAstropyTable(
      readEcsv(o.ascii, options),
      typeof o.name === "string" ? o.name : null,
      typeof meta === "string" || (meta && typeof meta === "object")
        ? meta as string | Record<string, unknown>
        : {},
    );
  }

  /** File extension used by `saveAllData`: `fits` (as oda_api). */
  suggestFnExtension(): string {
    return "fits";
  }

  /**
   * Write the table as a FITS binary table (primary HDU + BINTABLE).
   *
   * @example
   * ```ts ignore
   * await table.writeFitsFile("table.fits");
   * ```
   */
  async writeFitsFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    const header: Record<string, FitsHeaderDictValue> = {};
    for (const [k, v] of Object.entries(this.table.meta)) {
      if (
        /^[A-Za-z0-9_-]{1,8}$/.test(k) &&
        (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      ) {
        header[k.toUpperCase()] = v;
      }
    }
    const columns = this.table.columns.map((c) => {
      if (!Array.isArray(c.values) || !c.dtype.includes("U")) return c;
      // objects (json cells) as Python's str(), never through their own toString
      return {
        ...c,
        values: (c.values as unknown[]).map((
          v,
        ) => (v === null ? "" : typeof v === "object" ? pythonStr(v) : String(v))),
      };
    });
    await writeFitsFile(path, [{ type: "primary" }, {
      type: "bintable",
      header,
      data: { kind: "table", length: this.table.length, columns },
    }], { overwrite: options.overwrite ?? false });
  }

  /** Same as {@linkcode ODAAstropyTable.writeFitsFile} (the generic product writer). */
  async writeFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    await this.writeFitsFile(path, options);
  }

  /**
   * Write the table as ECSV text.
   *
   * @example
   * ```ts ignore
   * await table.writeEcsvFile("table.ecsv");
   * ```
   */
  async writeEcsvFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    await writeFileAtomic(path, writeEcsv(this.table), options);
  }

  /**
   * Convert to an Apache Arrow table (loads `apache-arrow` on first use).
   *
   * @example
   * ```ts ignore
   * const arrow = await table.toArrow();
   * ```
   */
  async toArrow(): Promise<import("npm:apache-arrow@^21.2.0").Table> {
    const { tableToArrow } = await import("./arrow.ts");
    return tableToArrow(this.table);
  }
}
