/**
 * `NumpyDataUnit`: one HDU-like block of a {@linkcode NumpyDataProduct}
 * (header dict + image array or table), with the exact wire encoding of
 * oda_api (`data_products.py` `NumpyDataUnit.encode/decode`).
 *
 * @module
 */
import {
  type ArrayValues,
  type NdArray,
  parseTypestr,
  shapeSize,
  type Table,
  type TableColumn,
} from "../data/ndarray.ts";
import { decodeNumpyPickleBase64 } from "../codecs/pickle.ts";
import { DecodedBinarys } from "../codecs/response_stream.ts";
import { encodeNumpyPickle } from "../codecs/pickle_encode.ts";
import { encodeBase64 } from "../data/base64.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { findColumn, makeTableData, type TableData } from "./table_data.ts";
import { pythonRepr } from "../data/python.ts";
import { parseJson } from "../data/json.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";
import { DecodeBudget, type DecodeOptions, typedDecode } from "../codecs/budget.ts";
import { describeLeaf, flattenLists, leafBigInt, leafNumber, MAX_LIST_DEPTH } from "../codecs/_nested.ts";

/**
 * What `NumpyDataUnit.data` holds: an image ({@linkcode NdArray}) or a table
 * ({@linkcode TableData}); either way `data["TIME"]` type-checks and returns
 * a column (undefined for images), as the Python `data['TIME']` does. Narrow
 * with `data.kind === "table"` / `"ndarray"`, or use `unit.table` /
 * `unit.image`.
 *
 * @example
 * ```ts
 * import { NumpyDataUnit, type UnitData } from "@oda-hub/oda-api";
 * const unit = new NumpyDataUnit({
 *   data: {
 *     kind: "table",
 *     length: 1,
 *     columns: [{ name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([5]) }],
 *   },
 * });
 * const d: UnitData | null = unit.data;
 * if (d?.kind === "table") console.log(d["TIME"]); // Float64Array [5]
 * ```
 */
export type UnitData = (NdArray | TableData) & { readonly [column: string]: ArrayValues };

/**
 * The HDU kinds oda_api knows.
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type HduType } from "@oda-hub/oda-api/fits";
 * const hdu_type: HduType = "image";
 * const unit = new NumpyDataUnit({ name: "INTENSITY", hdu_type, data_header: { NAXIS: 0 } });
 * ```
 */
export type HduType = "primary" | "image" | "table" | "bintable";

const HDU_TYPES: readonly string[] = ["primary", "image", "table", "bintable"];

/**
 * The JSON object a data unit is encoded to (keys in oda_api's order).
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type EncodedNumpyDataUnit } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const wire: EncodedNumpyDataUnit = {
 *   data: null,
 *   dt: null,
 *   name: "PRIMARY",
 *   header: { NAXIS: 0 },
 *   binarys: null,
 *   meta_data: {},
 *   hdu_type: "primary",
 *   units_dict: null,
 * };
 * assert.equal(NumpyDataUnit.decode(wire).name, "PRIMARY");
 * ```
 */
export interface EncodedNumpyDataUnit {
  /** JSON-list payload (`use_pickle=False`); `null` when `binarys` is set. */
  data: string | null;
  /** numpy `str(dtype)`, e.g. `"float64"`, `">i2"`, `"(numpy.record, [('TIME', '>f8')])"`. */
  dt: string | null;
  /** Unit name (EXTNAME). */
  name: string;
  /** FITS header as a plain dict. */
  header: Record<string, unknown>;
  /** Standard base64 of the numpy pickle, or `null` for header-only units. */
  binarys: string | null;
  /** Free metadata dict. */
  meta_data: Record<string, unknown>;
  /** HDU kind. */
  hdu_type: HduType | null;
  /** Column units, or `null`. */
  units_dict: Record<string, string> | null;
}

/**
 * Constructor arguments of {@linkcode NumpyDataUnit} (Python keyword names).
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type NumpyDataUnitInit } from "./numpy_data_unit.ts";
 * const init: NumpyDataUnitInit = {
 *   name: "RATE",
 *   hdu_type: "bintable",
 *   data: {
 *     kind: "table",
 *     length: 1,
 *     columns: [{ name: "RATE", dtype: ">f4", shape: [], values: new Float32Array([2]) }],
 *   },
 *   units_dict: { RATE: "count/s" },
 * };
 * const unit = new NumpyDataUnit(init);
 * ```
 */
export interface NumpyDataUnitInit {
  /** Image array or table; `null` for header-only units. */
  data?: NdArray | Table | null;
  /** Header dict (FITS keyword → value). */
  data_header?: Record<string, unknown>;
  /** Free metadata dict. */
  meta_data?: Record<string, unknown>;
  /** HDU kind. */
  hdu_type?: HduType | null;
  /** Unit name; `null`/absent becomes `"table"` as in oda_api. */
  name?: string | null | undefined;
  /** Column units (table units only). */
  units_dict?: Record<string, string> | null;
}

/**
 * One data unit: `name`, `header`, `hdu_type`, `units_dict`, `meta_data` and
 * `data` — an {@linkcode NdArray} for images (`shape`, `dtype`, `values` in C
 * order) or a {@linkcode TableData} for tables (`columns`, `length`,
 * `data["TIME"]`).
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * const du = new NumpyDataUnit({
 *   data: { kind: "ndarray", dtype: "<f4", shape: [2, 2], values: new Float32Array([1, 2, 3, 4]) },
 *   data_header: { EXTNAME: "IMAGE" },
 *   hdu_type: "image",
 *   name: "IMAGE",
 * });
 * const wire = du.encode(); // { data: null, dt: "float32", name: "IMAGE", ... }
 * ```
 */
export class NumpyDataUnit {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "dataUnit", unit: this };
  }

  /** Unit name (EXTNAME). */
  name: string;
  /** The header dict (oda_api's `data_header`). */
  header: Record<string, unknown>;
  /** Free metadata. */
  meta_data: Record<string, unknown>;
  /** HDU kind. */
  hdu_type: HduType | null;
  /** Column units, or `null`. */
  units_dict: Record<string, string> | null;
  /** Image array, table (columns by name), or `null`. */
  data: UnitData | null;

  /** Build a unit; validates `hdu_type` and the dicts like oda_api. */
  constructor(init: NumpyDataUnitInit = {}) {
    const hduType = init.hdu_type ?? null;
    if (hduType !== null && !HDU_TYPES.includes(hduType)) {
      const shown = typeof hduType === "string" ? hduType : typeof hduType; // never converted
      throw new OdaError("INVALID_ARGUMENT", `hdu type ${shown} not in allowed ${HDU_TYPES.join(", ")}`);
    }
    for (const [k, v] of [["data_header", init.data_header], ["meta_data", init.meta_data]] as const) {
      if (v !== undefined && (v === null || typeof v !== "object" || Array.isArray(v))) {
        throw new OdaError("INVALID_ARGUMENT", `${k} must be a dict`);
      }
    }
    const data = init.data ?? null;
    if (data !== null && data.kind !== "ndarray" && data.kind !== "table") {
      throw new OdaError("INVALID_ARGUMENT", "data must be an NdArray, a Table or null");
    }
    if (init.name !== undefined && init.name !== null && typeof init.name !== "string") {
      throw new OdaError("INVALID_ARGUMENT", "a data unit's name must be a string");
    }
    this.name = init.name ?? "table";
    this.header = init.data_header ?? {};
    this.meta_data = init.meta_data ?? {};
    this.hdu_type = hduType;
    this.units_dict = init.units_dict ?? null;
    this.data = (data === null ? null : data.kind === "table" ? makeTableData(data) : data) as
      | UnitData
      | null;
    if (this.data?.kind === "table" && this.units_dict) {
      for (const [col, unit] of Object.entries(this.units_dict)) {
        const c = findColumn(this.data as TableData, col);
        if (c && c.unit === undefined) c.unit = unit;
      }
    }
  }

  /** Whether `data` is a table. */
  get isTable(): boolean {
    return this.data?.kind === "table";
  }

  /**
   * The table data; throws if this unit holds an image or nothing.
   *
   * @example
   * ```ts
   * import { NumpyDataUnit } from "@oda-hub/oda-api";
   * const du = new NumpyDataUnit({
   *   data: { kind: "table", length: 1, columns: [{ name: "TIME", dtype: "<f8", shape: [], values: new Float64Array([5]) }] },
   *   hdu_type: "bintable",
   * });
   * du.table["TIME"]; // Float64Array [5]
   * ```
   */
  get table(): TableData {
    if (this.data?.kind !== "table") {
      throw new DecodeError("PRODUCT", `data unit '${this.name}' holds no table`);
    }
    return this.data as TableData;
  }

  /**
   * The image array; throws if this unit holds a table or nothing.
   *
   * @example
   * ```ts
   * import { NumpyDataUnit } from "@oda-hub/oda-api";
   * const du = new NumpyDataUnit({
   *   data: { kind: "ndarray", dtype: "<f8", shape: [1], values: new Float64Array([1]) },
   *   hdu_type: "image",
   * });
   * du.image.shape; // [1]
   * ```
   */
  get image(): NdArray {
    if (this.data?.kind !== "ndarray") {
      throw new DecodeError("PRODUCT", `data unit '${this.name}' holds no array`);
    }
    return this.data as NdArray;
  }

  /**
   * A column's values by name (case-insensitive fallback); throws if absent.
   *
   * @example
   * ```ts
   * import { NumpyDataUnit } from "@oda-hub/oda-api";
   * const du = new NumpyDataUnit({
   *   data: { kind: "table", length: 1, columns: [{ name: "RATE", dtype: ">f4", shape: [], values: new Float32Array([2]) }] },
   * });
   * du.column("rate"); // Float32Array [2]
   * ```
   */
  column(name: string): TableColumn["values"] {
    const c = findColumn(this.table, name);
    if (!c) {
      throw new DecodeError(
        "PRODUCT",
        `no column '${name}' in data unit '${this.name}' (have ${
          this.table.columns.map((x) => x.name).join(", ")
        })`,
      );
    }
    return c.values;
  }

  /**
   * Convert a table unit to an Apache Arrow table (loads `apache-arrow` on
   * first use); throws for image units.
   *
   * @example
   * ```ts ignore
   * const arrow = await lc.data_unit[1].toArrow();
   * ```
   */
  async toArrow(): Promise<import("npm:apache-arrow@^21.2.0").Table> {
    const { tableToArrow } = await import("./arrow.ts");
    return tableToArrow(plainData(this.table as UnitData) as Table);
  }

  /**
   * The wire dict (pickle + standard base64), identical to oda_api's
   * `encode(use_pickle=True)`.
   *
   * @example
   * ```ts
   * import { NumpyDataUnit } from "@oda-hub/oda-api";
   * new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }).encode().binarys; // null
   * ```
   */
  encode(): EncodedNumpyDataUnit {
    let dt: string | null = null;
    let binarys: string | null = null;
    if (this.data !== null) {
      dt = numpyDtypeStr(this.data);
      binarys = encodeBase64(encodeNumpyPickle(plainData(this.data)));
    }
    return {
      data: null,
      dt,
      name: this.name,
      header: this.header,
      binarys,
      meta_data: this.meta_data,
      hdu_type: this.hdu_type,
      units_dict: this.units_dict,
    };
  }

  /**
   * Decode a wire dict (or its JSON text). The pickle is read by the safe
   * decoder; the legacy JSON-list `data` form is accepted for numeric and
   * string dtypes. `options` bound the decode (element budget, signal,
   * deadline: see {@linkcode DecodeOptions}); only `OdaError`s escape.
   *
   * @example
   * ```ts
   * import { NumpyDataUnit } from "@oda-hub/oda-api";
   * const du = NumpyDataUnit.decode({
   *   data: null, dt: null, name: "PRIMARY", header: { NAXIS: 0 }, binarys: null,
   *   meta_data: {}, hdu_type: "primary", units_dict: null,
   * });
   * du.data; // null
   * ```
   */
  static decode(
    encoded: EncodedNumpyDataUnit | string | Record<string, unknown>,
    options: DecodeOptions = {},
  ): NumpyDataUnit {
    return typedDecode("PRODUCT", "data unit", () => decodeUnit(encoded, options));
  }
}

function decodeUnit(
  encoded: EncodedNumpyDataUnit | string | Record<string, unknown>,
  options: DecodeOptions,
): NumpyDataUnit {
  const o = typeof encoded === "string"
    ? parseObject(encoded, "data unit")
    : encoded as Record<string, unknown>;
  if (o === null || typeof o !== "object") throw new DecodeError("PRODUCT", "data unit is not an object");
  const binarys = o.binarys;
  let data: NdArray | Table | null = null;
  if (binarys instanceof DecodedBinarys) {
    // decoded (and charged to the answer's budget) while the answer streamed in
    if (binarys.error !== undefined) throw binarys.error;
    data = binarys.data ?? null;
  } else if (typeof binarys === "string") {
    data = decodeNumpyPickleBase64(binarys, options);
  } else if (typeof o.data === "string" && o.data !== "") {
    const budget = DecodeBudget.of(options, o.data.length);
    data = decodeListData(o.data, typeof o.dt === "string" ? o.dt : "float64", budget);
  }
  const hdu = o.hdu_type ?? null;
  if (hdu !== null && (typeof hdu !== "string" || !HDU_TYPES.includes(hdu))) {
    throw new DecodeError("PRODUCT", `data unit has an unknown hdu_type ${describeLeaf(hdu)}`);
  }
  const header = o.header ?? {};
  const meta = o.meta_data ?? {};
  if (typeof header !== "object" || Array.isArray(header)) {
    throw new DecodeError("PRODUCT", "header is not a dict");
  }
  if (typeof meta !== "object" || Array.isArray(meta)) {
    throw new DecodeError("PRODUCT", "meta_data is not a dict");
  }
  return new NumpyDataUnit({
    data,
    data_header: header as Record<string, unknown>,
    meta_data: meta as Record<string, unknown>,
    hdu_type: hdu as HduType | null,
    name: typeof o.name === "string" ? o.name : null,
    units_dict: (o.units_dict ?? null) as Record<string, string> | null,
  });
}

function parseObject(text: string, what: string): Record<string, unknown> {
  try {
    const v = parseJson(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (_) {
    // fall through
  }
  throw new DecodeError("PRODUCT", `${what} is neither a dict nor JSON text of a dict`);
}

/** Strip the TableData accessors, leaving a plain Table/NdArray. */
function plainData(d: UnitData): NdArray | Table {
  if (d.kind === "ndarray") return d as NdArray;
  return { kind: "table", length: d.length as number, columns: (d as TableData).columns };
}

const NATIVE_NAMES: Record<string, string> = {
  b1: "bool",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  f2: "float16",
  f4: "float32",
  f8: "float64",
  c8: "complex64",
  c16: "complex128",
};

/**
 * numpy `dtype.descr` type string of a simple dtype (`"<f8"`, `"|b1"`, `"<U3"`, `"|O"`).
 *
 * @example
 * ```ts
 * import { descrTypestr } from "./numpy_data_unit.ts";
 * import assert from "node:assert/strict";
 * assert.equal(descrTypestr("float64"), "<f8");
 * assert.equal(descrTypestr("bool"), "|b1");
 * ```
 */
export function descrTypestr(dtype: string): string {
  const d = parseTypestr(dtype);
  if (d.kind === "O") return "|O";
  const n = d.kind === "U" ? d.itemsize / 4 : d.itemsize;
  const order = d.kind === "S" || d.kind === "V" || d.kind === "b" || d.itemsize === 1 ? "|" : d.byteorder;
  return `${order}${d.kind}${n}`;
}

/**
 * numpy's `str(dtype)` for an array or a table (record dtype), as oda_api
 * writes it in the `dt` field.
 *
 * @example
 * ```ts
 * import { numpyDtypeStr } from "./numpy_data_unit.ts";
 * import assert from "node:assert/strict";
 * assert.equal(numpyDtypeStr({ kind: "ndarray", dtype: "<f8", shape: [0], values: new Float64Array(0) }), "float64");
 * ```
 */
export function numpyDtypeStr(data: NdArray | Table): string {
  if (data.kind === "ndarray") {
    const d = parseTypestr(data.dtype);
    if (d.kind === "O") return "object";
    if (d.kind !== "S" && d.kind !== "U" && d.kind !== "V" && (d.byteorder !== ">" || d.itemsize === 1)) {
      const name = NATIVE_NAMES[`${d.kind}${d.itemsize}`];
      if (name) return name;
    }
    return descrTypestr(data.dtype);
  }
  const fields = data.columns.map((c) => {
    const t = c.variableLength ? "|O" : descrTypestr(c.dtype);
    const shape = c.variableLength || c.shape.length === 0
      ? ""
      : `, (${c.shape.join(", ")}${c.shape.length === 1 ? "," : ""})`;
    return `(${pythonRepr(c.name)}, ${pythonRepr(t)}${shape})`;
  });
  return `(numpy.record, [${fields.join(", ")}])`;
}

/** Legacy `use_pickle=False` payload: JSON nested lists + dt. Numeric and string dtypes only. */
function decodeListData(text: string, dt: string, budget: DecodeBudget): NdArray {
  const fail = (m: string) => new DecodeError("PRODUCT", `data unit 'data': ${m}`);
  let nested: unknown;
  try {
    nested = parseJson(text);
  } catch (e) {
    throw new DecodeError("PRODUCT", "data unit 'data' is not a JSON list", { cause: e });
  }
  const { flat, shape, regular } = flattenLists(nested, MAX_LIST_DEPTH, fail);
  if (!regular || flat.length !== shapeSize(shape)) throw fail("ragged JSON list");
  budget.charge(flat.length, "data unit 'data'");
  let d;
  try {
    d = parseTypestr(dt);
  } catch (e) {
    throw new DecodeError("PRODUCT", `unsupported dt '${dt}' for JSON-list data`, { cause: e });
  }
  const typestr = descrTypestr(dt);
  if (d.kind === "S" || d.kind === "U") {
    const strs = flat.map((x) => {
      if (typeof x === "string") return x;
      if (x === null || typeof x === "number" || typeof x === "boolean") return String(x);
      throw fail(`${describeLeaf(x)} in a string array`);
    });
    return { kind: "ndarray", dtype: typestr, shape, values: strs };
  }
  if ((d.kind === "i" || d.kind === "u") && d.itemsize === 8) {
    const signed = d.kind === "i";
    const big = flat.map((x) => leafBigInt(x, signed, fail));
    return {
      kind: "ndarray",
      dtype: typestr,
      shape,
      values: signed ? BigInt64Array.from(big) : BigUint64Array.from(big),
    };
  }
  const ctors: Record<string, { from(a: ArrayLike<number>): NdArray["values"] }> = {
    b1: Uint8Array,
    i1: Int8Array,
    u1: Uint8Array,
    i2: Int16Array,
    u2: Uint16Array,
    i4: Int32Array,
    u4: Uint32Array,
    f4: Float32Array,
    f8: Float64Array,
  };
  const ctor = ctors[`${d.kind}${d.itemsize}`];
  if (!ctor) throw new DecodeError("PRODUCT", `unsupported dt '${dt}' for JSON-list data`);
  const isInt = d.kind === "i" || d.kind === "u";
  const nums = flat.map((x) => {
    const v = leafNumber(x, NaN, fail);
    // an integer dtype holding a fraction, NaN or Infinity has no value numpy would give it
    if (isInt && !Number.isInteger(v)) throw fail(`${describeLeaf(x)} in an array of dtype ${dt}`);
    return v;
  });
  return { kind: "ndarray", dtype: typestr, shape, values: ctor.from(nums) };
}
