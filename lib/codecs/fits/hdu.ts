/**
 * The HDU types returned by the FITS reader and accepted by the writer.
 *
 * @module
 */
import type { DecodeOptions } from "../budget.ts";
import type { NdArray, Table } from "../../data/ndarray.ts";
import type { FitsCard, FitsHeader, FitsHeaderDictValue } from "./header.ts";

/**
 * HDU kinds, named as oda_api's `hdu_type`. `"table"` is an ASCII table.
 *
 * @example
 * ```ts
 * import type { FitsHduType } from "@oda-hub/oda-api/fits";
 * const t: FitsHduType = "bintable";
 * ```
 */
export type FitsHduType = "primary" | "image" | "bintable" | "table";

/**
 * One HDU read from a FITS file.
 *
 * @example
 * ```ts
 * import { type FitsHdu, readFitsFile } from "@oda-hub/oda-api/fits";
 * const hdus: FitsHdu[] = await readFitsFile("spectrum.fits");
 * for (const h of hdus) console.log(h.index, h.name, h.type, h.data?.kind ?? "no data");
 * ```
 */
export interface FitsHdu {
  /** Position in the file (0 = primary). */
  index: number;
  /** `EXTNAME`, or `"PRIMARY"` for the primary HDU without one (`""` for a nameless extension). */
  name: string;
  /** HDU kind. */
  type: FitsHduType;
  /** The full header, structural keywords included. */
  header: FitsHeader;
  /**
   * Image (`NdArray`, numpy shape = `NAXISn` reversed, physical values after
   * `BSCALE`/`BZERO`), table (`Table`), or `null` when there is no data.
   */
  data: NdArray | Table | null;
}

/**
 * One HDU to write. A {@linkcode FitsHdu} read from a file is a valid input.
 *
 * @example
 * ```ts
 * import { type FitsHduInput, writeFits } from "@oda-hub/oda-api/fits";
 * const hdu: FitsHduInput = {
 *   type: "bintable",
 *   name: "EVENTS",
 *   header: { TELESCOP: "INTEGRAL" },
 *   data: {
 *     kind: "table",
 *     length: 2,
 *     columns: [{ name: "PI", dtype: "<i2", shape: [], values: new Int16Array([10, 20]) }],
 *   },
 *   units: { PI: "chan" },
 * };
 * writeFits([hdu]);
 * ```
 */
export interface FitsHduInput {
  /**
   * HDU kind. Default: `"primary"` for the first HDU with image/no data,
   * `"bintable"` for table data, `"image"` otherwise. A `"primary"` after the
   * first position is written as an image extension; a table first gets an
   * empty primary HDU in front of it.
   */
  type?: FitsHduType;
  /** `EXTNAME` to write (overrides an `EXTNAME` in `header`). */
  name?: string | undefined;
  /**
   * User cards: a {@linkcode FitsHeader}, cards, or a plain dictionary (oda_api's
   * `header` dict). Structural keywords (`SIMPLE`, `XTENSION`, `BITPIX`,
   * `NAXISn`, `PCOUNT`, `GCOUNT`, `TFIELDS`, `TTYPEn`, `TFORMn`, `TUNITn`,
   * `TDIMn`, `TSCALn`, `TZEROn`, `BSCALE`, `BZERO`, `BLANK`, `THEAP`, ...) are
   * ignored here and recomputed from `data`.
   */
  header?: FitsHeader | FitsCard[] | Record<string, FitsHeaderDictValue> | undefined;
  /** Data: image array, table, or `null`/absent for a header-only HDU. */
  data?: NdArray | Table | null;
  /** Column units (oda_api's `units_dict`), applied over `TableColumn.unit`. Tables only. */
  units?: Record<string, string> | null;
}

/**
 * Options of `writeFits`.
 *
 * @example
 * ```ts
 * import { writeFits } from "@oda-hub/oda-api/fits";
 * writeFits([{ header: { OBJECT: "Crab" } }], { checksum: true });
 * ```
 */
export interface FitsWriteOptions {
  /** Add `CHECKSUM`/`DATASUM` cards to every HDU (default `false`). */
  checksum?: boolean;
  /**
   * Descriptors of variable-length columns: `"P"` (32-bit, default; `Q` is
   * used anyway when the heap passes 2 GiB) or `"Q"` (64-bit) always.
   */
  heapDescriptors?: "P" | "Q";
}

/**
 * Options of `writeFitsFile`.
 *
 * @example
 * ```ts
 * import { writeFitsFile } from "@oda-hub/oda-api/fits";
 * await writeFitsFile("out.fits.gz", [{}], { overwrite: true, gzip: true, checksum: true });
 * ```
 */
export interface FitsWriteFileOptions extends FitsWriteOptions {
  /** gzip the file (default: when the path ends with `.gz`). */
  gzip?: boolean;
  /** Replace an existing file (default `false`: a `FileError("FILE_EXISTS")`). */
  overwrite?: boolean;
}

/**
 * Options of `readFits`.
 *
 * @example
 * ```ts
 * import { readFitsFile } from "@oda-hub/oda-api/fits";
 * const raw = await readFitsFile("counts.fits", { scale: false }); // stored integers, no BSCALE/BZERO
 * ```
 */
export interface FitsReadOptions extends DecodeOptions {
  /**
   * Apply `BSCALE`/`BZERO`/`BLANK` and `TSCALn`/`TZEROn` (default `true`), as
   * astropy does; `false` returns the stored integers.
   */
  scale?: boolean;
}
