/**
 * The thin layer between simulated numbers and the wire: FITS-like header
 * dictionaries (structural keywords computed like astropy would show them),
 * `NumpyDataProduct` encoding and the image catalogue dictionary.
 *
 * @module
 */
import type { NdArray, Table, TableColumn } from "../../data/ndarray.ts";
import { parseTypestr, shapeSize } from "../../data/ndarray.ts";
import { NumpyDataUnit, type NumpyDataUnitInit, numpyDtypeStr } from "../../products/numpy_data_unit.ts";
import { type EncodedNumpyDataProduct, NumpyDataProduct } from "../../products/numpy_data_product.ts";
import { encodeNumpyPickle } from "../../codecs/pickle_encode.ts";
import { encodeBase64 } from "../../data/base64.ts";
import { pythonJsonDumps } from "../../data/json.ts";
import type { CatalogDict } from "../../products/api_catalog.ts";
import type { Detection } from "./mosaic.ts";

/** Header values as they appear in a unit's header dict. */
export type HeaderValue = string | number | boolean;
/** A header dict (insertion order = card order). */
export type HeaderDict = Record<string, HeaderValue>;

/** A simulated data unit, before encoding. */
export interface SimUnit {
  /** Unit name (EXTNAME / `PRIMARY`). */
  name: string;
  /** HDU kind. */
  hdu_type: "primary" | "image" | "bintable";
  /** Header dict. */
  header: HeaderDict;
  /** Image, table or nothing. */
  data: NdArray | Table | null;
}

/** A simulated product: units plus name and metadata. */
export interface SimProduct {
  /** Product name (`mosaic_image`, `isgri_lc`, `""`...). */
  name: string | null;
  /** Metadata dict (its keys name the collection attribute). */
  meta_data: Record<string, unknown>;
  /** Units in order. */
  units: SimUnit[];
}

/**
 * FITS TFORM letter of a numpy dtype string.
 *
 * @example
 * ```ts
 * import { tformLetter } from "./encode.ts";
 * tformLetter(">f4"); // "E"
 * ```
 */
export function tformLetter(dtype: string): string {
  const d = parseTypestr(dtype);
  switch (`${d.kind}${d.itemsize}`) {
    case "b1":
      return "L";
    case "u1":
      return "B";
    case "i2":
      return "I";
    case "i4":
      return "J";
    case "i8":
      return "K";
    case "f4":
      return "E";
    case "f8":
      return "D";
  }
  if (d.kind === "S") return `${d.itemsize}A`;
  throw new Error(`no FITS column format for dtype ${dtype}`);
}

function columnBytes(c: TableColumn): number {
  const d = parseTypestr(c.dtype);
  return d.itemsize * shapeSize(c.shape);
}

/**
 * Primary header without data (`SIMPLE`, `BITPIX 8`, `NAXIS 0`, `EXTEND`) plus extra cards.
 *
 * @example
 * ```ts
 * import { primaryHeader } from "./encode.ts";
 * primaryHeader({ ORIGIN: "ISDC" }); // { SIMPLE: true, BITPIX: 8, NAXIS: 0, EXTEND: true, ORIGIN: "ISDC" }
 * ```
 */
export function primaryHeader(extra: HeaderDict = {}): HeaderDict {
  return { SIMPLE: true, BITPIX: 8, NAXIS: 0, EXTEND: true, ...extra };
}

/**
 * Image extension header for a 2-D float32 image plus extra cards.
 *
 * @example
 * ```ts
 * import { imageHeader } from "./encode.ts";
 * imageHeader(4, 3, { EXTNAME: "ISGR-MOSA-IMA" }).NAXIS1; // 4
 * ```
 */
export function imageHeader(nx: number, ny: number, extra: HeaderDict = {}): HeaderDict {
  return { XTENSION: "IMAGE", BITPIX: -32, NAXIS: 2, NAXIS1: nx, NAXIS2: ny, PCOUNT: 0, GCOUNT: 1, ...extra };
}

/**
 * Binary table header (structural cards computed from the table, `TUNITn`
 * from column units) plus extra cards.
 *
 * @example
 * ```ts
 * import { bintableHeader } from "./encode.ts";
 * const t = { kind: "table" as const, length: 1, columns: [{ name: "RATE", dtype: ">f4", shape: [], values: new Float32Array(1), unit: "count/s" }] };
 * bintableHeader(t, { EXTNAME: "RATE" }).TFORM1; // "E"
 * ```
 */
export function bintableHeader(table: Table, extra: HeaderDict = {}): HeaderDict {
  const h: HeaderDict = {
    XTENSION: "BINTABLE",
    BITPIX: 8,
    NAXIS: 2,
    NAXIS1: table.columns.reduce((a, c) => a + columnBytes(c), 0),
    NAXIS2: table.length,
    PCOUNT: 0,
    GCOUNT: 1,
    TFIELDS: table.columns.length,
  };
  table.columns.forEach((c, i) => {
    const n = shapeSize(c.shape);
    const letter = tformLetter(c.dtype);
    h[`TTYPE${i + 1}`] = c.name;
    h[`TFORM${i + 1}`] = n === 1 || letter.endsWith("A") ? letter : `${n}${letter}`;
    if (c.unit) h[`TUNIT${i + 1}`] = c.unit;
  });
  return { ...h, ...extra };
}

/**
 * Convenience: a table from columns.
 *
 * @example
 * ```ts
 * import { table, col } from "./encode.ts";
 * const t = table([col("RATE", ">f4", new Float32Array([1, 2]), "count/s")]);
 * console.log(t.length); // 2
 * ```
 */
export function table(columns: TableColumn[]): Table {
  const first = columns[0];
  const length = first ? first.values.length / Math.max(1, shapeSize(first.shape)) : 0;
  return { kind: "table", length, columns };
}

/**
 * Convenience: a column.
 *
 * @example
 * ```ts
 * import { col } from "./encode.ts";
 * const c = col("TIME", ">f8", new Float64Array([0.5]), "d");
 * ```
 */
export function col(
  name: string,
  dtype: string,
  values: TableColumn["values"],
  unit?: string | undefined,
  shape: number[] = [],
): TableColumn {
  const c: TableColumn = { name, dtype, shape, values };
  if (unit) c.unit = unit;
  return c;
}

/**
 * Build the products-layer object of a simulated product.
 *
 * @example
 * ```ts ignore
 * const product = toNumpyDataProduct(sim);
 * await product.writeFitsFile("out.fits");
 * ```
 */
export function toNumpyDataProduct(p: SimProduct): NumpyDataProduct {
  const units = p.units.map((u) =>
    new NumpyDataUnit(
      {
        data: u.data,
        data_header: u.header,
        hdu_type: u.hdu_type,
        name: u.name,
        units_dict: null,
      } satisfies NumpyDataUnitInit,
    )
  );
  return new NumpyDataProduct({ data_unit: units, name: p.name, meta_data: p.meta_data });
}

/**
 * Module path of numpy's `_reconstruct` inside the pickles the sandbox sends: `"numpy.core"` (what numpy 1.x
 * writes; numpy 1.x and 2.x both read it, the default) or `"numpy._core"` (what a numpy ≥ 2 server writes,
 * unreadable by numpy < 1.26).
 */
export type PickleNumpyModule = "numpy.core" | "numpy._core";

/** The module path simulated products use unless the sandbox is told otherwise. */
export const DEFAULT_PICKLE_MODULE: PickleNumpyModule = "numpy.core";

/**
 * Encode a simulated product exactly as the dispatcher sends it in
 * `numpy_data_product_list` (oda_api's `NumpyDataProduct.encode()`: pickles in
 * standard base64, `meta_data` as JSON text), with the numpy module path
 * `numpyModule` inside the pickles.
 *
 * @example
 * ```ts ignore
 * const wire = encodeProduct(sim); // { data_unit_list, name, meta_data: "<json text>" }
 * ```
 */
export function encodeProduct(
  p: SimProduct,
  numpyModule: PickleNumpyModule = DEFAULT_PICKLE_MODULE,
): EncodedNumpyDataProduct {
  return {
    data_unit_list: p.units.map((u) => {
      // the pickle encoder writes images in native (little-endian) order: label them so, like numpy's
      // str(dtype) of the unpickled array ("float32")
      const data = u.data?.kind === "ndarray" ? { ...u.data, dtype: u.data.dtype.replace(">", "<") } : u.data;
      return {
        data: null,
        dt: data === null ? null : numpyDtypeStr(data),
        name: u.name,
        header: u.header,
        binarys: data === null ? null : encodeBase64(encodeNumpyPickle(data, { numpyModule })),
        meta_data: {},
        hdu_type: u.hdu_type,
        units_dict: null,
      };
    }),
    name: p.name,
    meta_data: pythonJsonDumps(p.meta_data),
  };
}

/**
 * The `products.catalog` dictionary of an image catalogue (columns and dtypes
 * as INTEGRAL analyses send them: `meta_ID`, `src_names`, `significance`,
 * `ra`, `dec`, `NEW_SOURCE`, `ISGRI_FLAG`, `FLAG`, `ERR_RAD`).
 *
 * @example
 * ```ts ignore
 * const catalog = catalogDict(detections); // { cat_frame: "fk5", cat_column_list: [...], ... }
 * ```
 */
export function catalogDict(rows: readonly Detection[]): CatalogDict {
  const f32 = (x: number) => Math.fround(x);
  const names = rows.map((r) => r.name);
  const width = Math.max(1, ...names.map((n) => [...n].length));
  // built directly (not through ApiCatalog, which re-infers dtypes from the
  // values): the dispatcher's descr comes from its numpy table, where ERR_RAD
  // is always an object column
  const columns: [string, string, unknown[]][] = [
    ["meta_ID", "<i8", rows.map((r) => r.meta_ID)],
    ["src_names", `<U${width}`, names],
    ["significance", "<f8", rows.map((r) => f32(r.significance))],
    ["ra", "<f8", rows.map((r) => f32(r.ra))],
    ["dec", "<f8", rows.map((r) => f32(r.dec))],
    ["NEW_SOURCE", "<i8", rows.map((r) => (r.isNew ? Number(/\d+$/.exec(r.name)?.[0] ?? 1) : -32768))],
    ["ISGRI_FLAG", "<i8", rows.map((r) => (r.isNew ? 0 : 2))],
    ["FLAG", "<i8", rows.map(() => 0)],
    ["ERR_RAD", "|O", rows.map((r) => r.errRad)],
  ];
  return {
    cat_frame: "fk5",
    cat_coord_units: "deg",
    cat_column_list: columns.map((c) => c[2]),
    cat_column_names: columns.map((c) => c[0]),
    cat_column_descr: columns.map((c) => [c[0], c[1]]),
    cat_lat_name: "dec",
    cat_lon_name: "ra",
  };
}
