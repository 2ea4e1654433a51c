/**
 * `ApiCatalog`: the source catalog a dispatcher sends as `products.catalog`
 * (`dispatcher_catalog_N` in a collection), and the `selected_catalog`
 * string sent back with `getApiDictionary()`.
 *
 * @module
 */
import type { Product } from "./product.ts";
import { pythonStr } from "../data/python.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { type CatalogColumn, CatalogTable, inferCatalogDtype } from "./catalog_table.ts";
import { PyFloat, pythonJsonDumps } from "../data/json.ts";
import { isPyFloatSafe } from "../data/_coerce.ts";
import { type EcsvTable, writeEcsv } from "../codecs/ecsv.ts";
import { type AtomicWriteOptions, writeFileAtomic } from "./files.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

/**
 * The catalog dictionary of the wire (`products.catalog`, `selected_catalog`).
 *
 * @example
 * ```ts
 * import { ApiCatalog } from "@oda-hub/oda-api";
 * import { type CatalogDict } from "@oda-hub/oda-api/pickle";
 * const dict: CatalogDict = {
 *   cat_frame: "fk5",
 *   cat_coord_units: "deg",
 *   cat_column_list: [["Crab"], [83.633], [22.014]],
 *   cat_column_names: ["src_names", "ra", "dec"],
 *   cat_column_descr: [["src_names", "<U4"], ["ra", "<f8"], ["dec", "<f8"]],
 *   cat_lat_name: "dec",
 *   cat_lon_name: "ra",
 * };
 * const cat = new ApiCatalog(dict);
 * ```
 */
export interface CatalogDict {
  /** Coordinate frame, e.g. `"fk5"`. */
  cat_frame: string | null;
  /** Unit of the coordinate columns, e.g. `"deg"`. */
  cat_coord_units: string | null;
  /** One list of row values per column. */
  cat_column_list: unknown[][];
  /** Column names in order. */
  cat_column_names: string[];
  /** numpy `dtype.descr`: `[name, typestr]` pairs. */
  cat_column_descr: [string, string][];
  /** Latitude column name, e.g. `"dec"`. */
  cat_lat_name: string | null;
  /** Longitude column name, e.g. `"ra"`. */
  cat_lon_name: string | null;
  /** Extra table metadata (optional). */
  cat_meta?: Record<string, unknown>;
}

/**
 * Arguments of {@linkcode ApiCatalog.fromColumns}.
 *
 * @example
 * ```ts
 * import { ApiCatalog } from "@oda-hub/oda-api";
 * import { type ApiCatalogColumnsInit } from "./api_catalog.ts";
 * const init: ApiCatalogColumnsInit = {
 *   columns: { src_names: ["Crab", "Vela X-1"], ra: [83.633, 135.529], dec: [22.014, -40.555] },
 *   dtypes: { src_names: "<U8" },
 *   frame: "fk5",
 * };
 * const cat = ApiCatalog.fromColumns(init);
 * ```
 */
export interface ApiCatalogColumnsInit {
  /** Column name → values, in order (`meta_ID`, `src_names`, `significance`, `ra`, `dec`, ...). */
  columns: Record<string, unknown[]>;
  /** Optional numpy type strings per column (inferred otherwise). */
  dtypes?: Record<string, string>;
  /** Longitude column (default `"ra"`). */
  lon_name?: string;
  /** Latitude column (default `"dec"`). */
  lat_name?: string;
  /** Frame (default `"fk5"`). */
  frame?: string;
  /** Coordinate unit (default `"deg"`). */
  coord_units?: string | null;
  /** Extra meta. */
  meta?: Record<string, unknown>;
  /** Catalog name (default `"dispatcher_catalog"`). */
  name?: string | undefined;
}

const META_KEYS = new Set(["FRAME", "COORD_UNIT", "LON_NAME", "LAT_NAME"]);

/**
 * A source catalog (the Python `ApiCatalog`). Filter its `table`, assign the
 * result back, and pass `getApiDictionary()` as `selected_catalog`.
 *
 * @example
 * ```ts
 * import { ApiCatalog } from "@oda-hub/oda-api";
 * const cat = ApiCatalog.fromColumns({
 *   columns: {
 *     meta_ID: [17, 87],
 *     src_names: ["GRS 1915+105", "NEW_1"],
 *     significance: [29.39, 9.5],
 *     ra: [288.7995, 275.0911],
 *     dec: [10.9399, 7.1851],
 *   },
 * });
 * cat.table = cat.table.filter((r) => r.significance >= 8 && !r.src_names.includes("NEW"));
 * const selected_catalog = cat.getApiDictionary();
 * ```
 */
export class ApiCatalog implements Product {
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
      title: `ApiCatalog ${this.name ?? ""}: ${this.table.length} sources (lon ${this.lon_name ?? "?"}, lat ${
        this.lat_name ?? "?"
      })`,
      summary: `${this.table.length} rows`,
      table: () => this.table.toTable(),
    };
  }

  /** Name (`"dispatcher_catalog"` for catalogs from a response). */
  name: string | null;
  /** The table; may be replaced by a filtered copy. */
  table: CatalogTable;
  /** Longitude column name. */
  lon_name: string | null;
  /** Latitude column name. */
  lat_name: string | null;
  #hadMeta: boolean;

  /**
   * Build from a catalog dict (as oda_api's `ApiCatalog(cat_dict, name)`):
   * columns from `cat_column_list`/`cat_column_names`, dtypes from
   * `cat_column_descr` when present (else inferred), coordinate columns
   * as float64 in `cat_coord_units`.
   */
  constructor(catDict: CatalogDict | Record<string, unknown>, name: string | null = null) {
    const d = catDict as Record<string, unknown>;
    if (d === null || typeof d !== "object") throw new DecodeError("PRODUCT", "catalog is not a dict");
    const list = d.cat_column_list;
    const names = d.cat_column_names;
    if (!Array.isArray(list) || !Array.isArray(names) || list.length !== names.length) {
      throw new DecodeError("PRODUCT", "catalog needs cat_column_list and cat_column_names of equal length");
    }
    const str = (k: string): string | null => (typeof d[k] === "string" ? d[k] as string : null);
    const lon = str("cat_lon_name");
    const lat = str("cat_lat_name");
    const coordUnits = str("cat_coord_units");
    const descr = new Map<string, string>();
    if (Array.isArray(d.cat_column_descr)) {
      for (const e of d.cat_column_descr) {
        if (Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string") descr.set(e[0], e[1]);
      }
    }
    const meta: Record<string, unknown> = {};
    this.#hadMeta = d.cat_meta !== undefined && d.cat_meta !== null && typeof d.cat_meta === "object";
    if (this.#hadMeta) {
      try {
        Object.assign(meta, d.cat_meta);
      } catch {
        throw new DecodeError("PRODUCT", "catalog cat_meta cannot be read as a dict");
      }
    }
    meta.FRAME = str("cat_frame");
    meta.COORD_UNIT = coordUnits;
    meta.LON_NAME = lon;
    meta.LAT_NAME = lat;
    const columns: CatalogColumn[] = names.map((n, i) => {
      let values = list[i];
      // str(name) as Python would write it; an object's own toString/valueOf is never called
      const name = pythonStr(n);
      if (!Array.isArray(values)) throw new DecodeError("PRODUCT", `catalog column ${name} is not a list`);
      // a response parsed with parseJson({ keepFloats: true }) carries PyFloat wrappers: unwrap them, and
      // they tell that the column is a float one
      const hadPyFloat = values.some(isPyFloatSafe);
      if (hadPyFloat) values = values.map((v) => (isPyFloatSafe(v) ? v.value : v));
      let inferred = inferCatalogDtype(values);
      if (hadPyFloat && inferred === "<i8") inferred = "<f8";
      let dtype = descr.get(name) ?? inferred;
      // numpy decides from the values it is given (a None makes an object column, strings get
      // the longest length); only the int/float choice, lost in JSON, comes from the descr.
      if (
        inferred === "|O" || inferred.startsWith("<U") || inferred === "|b1" ||
        !/^[<>|=]?[iuf]\d+$/.test(dtype)
      ) {
        dtype = inferred;
      }
      if (inferred === "<f8" && dtype.endsWith("i8")) dtype = "<f8";
      const col: CatalogColumn = { name, dtype, values: [...values] };
      if (coordUnits !== null && (name === lon || name === lat)) {
        col.dtype = "<f8";
        col.unit = coordUnits;
      }
      return col;
    });
    this.table = new CatalogTable(columns, meta);
    this.name = name;
    this.lon_name = lon;
    this.lat_name = lat;
  }

  /**
   * Decode the server's `products.catalog` dict.
   *
   * @example
   * ```ts
   * import { ApiCatalog } from "@oda-hub/oda-api";
   * const cat = ApiCatalog.fromCatalogDict({
   *   cat_frame: "fk5", cat_coord_units: "deg", cat_column_list: [[1], ["Test A"], [6], [5], [4]],
   *   cat_column_names: ["meta_ID", "src_names", "significance", "ra", "dec"],
   *   cat_column_descr: [["meta_ID", "<i8"], ["src_names", "<U6"], ["significance", "<i8"], ["ra", "<i8"], ["dec", "<i8"]],
   *   cat_lat_name: "dec", cat_lon_name: "ra",
   * });
   * cat.table.length; // 1
   * ```
   */
  static fromCatalogDict(
    dict: CatalogDict | Record<string, unknown>,
    name = "dispatcher_catalog",
  ): ApiCatalog {
    return new ApiCatalog(dict, name);
  }

  /**
   * Build from plain columns (what a sandbox instrument or a user catalog
   * needs).
   *
   * @example
   * ```ts
   * import { ApiCatalog } from "@oda-hub/oda-api";
   * const cat = ApiCatalog.fromColumns({ columns: { meta_ID: [1], src_names: ["Crab"], significance: [30.0], ra: [83.6], dec: [22.0] } });
   * cat.toCatalogDict().cat_column_names; // ["meta_ID", "src_names", "significance", "ra", "dec"]
   * ```
   */
  static fromColumns(init: ApiCatalogColumnsInit): ApiCatalog {
    const names = Object.keys(init.columns);
    const dict: CatalogDict = {
      cat_frame: init.frame ?? "fk5",
      cat_coord_units: init.coord_units === undefined ? "deg" : init.coord_units,
      cat_column_list: names.map((n) => init.columns[n]),
      cat_column_names: names,
      cat_column_descr: names.map((n) => [n, init.dtypes?.[n] ?? inferCatalogDtype(init.columns[n])]),
      cat_lat_name: init.lat_name ?? "dec",
      cat_lon_name: init.lon_name ?? "ra",
    };
    if (init.meta) dict.cat_meta = init.meta;
    return new ApiCatalog(dict, init.name ?? "dispatcher_catalog");
  }

  /**
   * The catalog dict (what a dispatcher puts in `products.catalog`), NaN
   * replaced by `null`. With `{ pyFloats: true }` the values of float columns
   * are {@linkcode PyFloat}s, so `pythonJsonDumps` writes `30.0` like the
   * Python server (`JSON.stringify` still writes plain numbers).
   *
   * @example
   * ```ts
   * import { ApiCatalog } from "@oda-hub/oda-api";
   * const d = ApiCatalog.fromColumns({ columns: { meta_ID: [1], src_names: ["Crab"], significance: [30.5], ra: [83.6], dec: [22.0] } }).toCatalogDict();
   * d.cat_column_descr[1]; // ["src_names", "<U4"]
   * ```
   */
  toCatalogDict(options: { pyFloats?: boolean } = {}): CatalogDict {
    const t = this.table;
    const out: CatalogDict = {
      cat_frame: (t.meta.FRAME ?? null) as string | null,
      cat_coord_units: (t.meta.COORD_UNIT ?? null) as string | null,
      cat_column_list: t.columns.map((c) => {
        const float = options.pyFloats && /^[<>|=]?f\d+$/.test(c.dtype);
        return c.values.map((v) =>
          typeof v === "number" && Number.isNaN(v)
            ? null
            : float && typeof v === "number"
            ? new PyFloat(v)
            : v
        );
      }),
      cat_column_names: t.colnames,
      cat_column_descr: t.columns.map((c) => [c.name, c.dtype]),
      cat_lat_name: this.lat_name,
      cat_lon_name: this.lon_name,
    };
    const extra = Object.fromEntries(Object.entries(t.meta).filter(([k]) => !META_KEYS.has(k)));
    if (this.#hadMeta || Object.keys(extra).length > 0) out.cat_meta = extra;
    return out;
  }

  /**
   * The JSON text oda_api's `get_api_dictionary()` returns (Python
   * `json.dumps` format, float columns with a decimal point, NaN → null):
   * pass it as `selected_catalog`.
   *
   * @example
   * ```ts
   * import { ApiCatalog } from "@oda-hub/oda-api";
   * const cat = ApiCatalog.fromColumns({ columns: { meta_ID: [1], src_names: ["Crab"], significance: [30], ra: [83.6], dec: [22] }, dtypes: { significance: "<f8" } });
   * cat.getApiDictionary(); // '{"cat_frame": "fk5", "cat_coord_units": "deg", "cat_column_list": [[1], ["Crab"], [30.0], [83.6], [22.0]], ...'
   * ```
   */
  getApiDictionary(): string {
    const t = this.table;
    const lists = t.columns.map((c) => c.values.map((v) => pyValue(v, c.dtype)));
    return pythonJsonDumps({
      cat_frame: t.meta.FRAME ?? null,
      cat_coord_units: t.meta.COORD_UNIT ?? null,
      cat_column_list: lists,
      cat_column_names: t.colnames,
      cat_column_descr: t.columns.map((c) => [c.name, c.dtype]),
      cat_lat_name: this.lat_name,
      cat_lon_name: this.lon_name,
    });
  }
  /**
   * The table as ECSV-ready columns and meta (what astropy writes for the
   * catalog table; coordinate columns are plain float columns with a unit).
   */
  toEcsvTable(): EcsvTable {
    const t = this.table.toTable();
    let meta: Record<string, unknown>;
    try {
      meta = structuredClone(this.table.meta);
    } catch {
      throw new OdaError(
        "INVALID_ARGUMENT",
        "catalog meta holds values that cannot be copied (functions, getters, proxies)",
      );
    }
    return { ...t, meta };
  }

  /** File extension used by `saveAllData`: `ecsv`. */
  suggestFnExtension(): string {
    return "ecsv";
  }

  /**
   * Write the catalog as ECSV (atomic; `overwrite` default `false`).
   *
   * @example
   * ```ts ignore
   * await data.dispatcher_catalog_1.writeFile("catalog.ecsv");
   * ```
   */
  async writeFile(path: string, options: AtomicWriteOptions = {}): Promise<void> {
    await writeFileAtomic(path, writeEcsv(this.toEcsvTable()), options);
  }
}

/** A value as numpy's `tolist()` would give it for this dtype (floats keep `.0`). */
function pyValue(v: unknown, dtype: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" && Number.isNaN(v)) return null;
  const kind = dtype.replace(/^[<>|=]/, "")[0];
  if (kind === "f" && typeof v === "number") return new PyFloat(v);
  if ((kind === "i" || kind === "u") && typeof v === "number") return Math.trunc(v);
  if (kind === "b") return Boolean(v);
  if (kind === "U" || kind === "S") return pythonStr(v);
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") {
    return v;
  }
  throw new OdaError("INVALID_ARGUMENT", `catalog value of unsupported type ${typeof v}`);
}
