/**
 * Conversions between {@linkcode NumpyDataUnit} and FITS HDUs (the
 * `to_fits_hdu` / `from_fits_hdu` of oda_api).
 *
 * @module
 */
import type { FitsHdu, FitsHduInput } from "../codecs/fits/hdu.ts";
import type { FitsHeaderDictValue } from "../codecs/fits/header.ts";
import type { Table } from "../data/ndarray.ts";
import { isArraySafe, isPyFloatSafe } from "../data/_coerce.ts";
import { type HduType, NumpyDataUnit } from "./numpy_data_unit.ts";

/**
 * The HDU to write for a unit. `first` tells whether it is the first HDU of
 * the file (a unit typed `primary` elsewhere becomes an image extension).
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { toFitsHdu } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * const hdu = toFitsHdu(new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }), true);
 * assert.equal(hdu.type, "primary");
 * ```
 */
export function toFitsHdu(du: NumpyDataUnit, first: boolean): FitsHduInput {
  const data = du.data === null
    ? null
    : du.data.kind === "table"
    ? ({ kind: "table", length: du.data.length, columns: du.data.columns } as Table)
    : du.data;
  let type: HduType | undefined = du.hdu_type ?? undefined;
  if (type === undefined) type = data?.kind === "table" ? "bintable" : first ? "primary" : "image";
  if (type === "primary" && !first) type = "image";
  const header: Record<string, FitsHeaderDictValue> = {};
  for (const [k, v] of Object.entries(du.header)) {
    if (isPyFloatSafe(v)) {
      header[k] = v; // number-like: written as a real (EQUINOX = 2000.0), not as an integer
      continue;
    }
    if (v === undefined || typeof v === "symbol" || typeof v === "function") continue;
    if (typeof v === "object" && v !== null && !isArraySafe(v)) continue;
    header[k] = v === "UNDEFINED" ? null : v as FitsHeaderDictValue;
  }
  const out: FitsHduInput = { type, header, data, units: du.units_dict };
  if (type !== "primary" && du.name) out.name = du.name;
  return out;
}

/**
 * A unit from an HDU read by the FITS reader (header dict with every card,
 * name = EXTNAME or `PRIMARY`).
 *
 * @example
 * ```ts ignore
 * const [primary] = await readFitsFile("lc.fits");
 * const du = fromFitsHdu(primary);
 * ```
 */
export function fromFitsHdu(hdu: FitsHdu, name?: string): NumpyDataUnit {
  return new NumpyDataUnit({
    data: hdu.data,
    data_header: hdu.header.toDict({ undefinedValue: "UNDEFINED" }) as Record<string, unknown>,
    hdu_type: hdu.type,
    name: name || hdu.name,
  });
}
