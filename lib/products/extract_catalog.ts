/**
 * Choose the sources to extract next from an image's catalog (oda_api's
 * `OdaImage.extract_catalog_from_image`), and write a catalog as a ds9
 * region file.
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { ApiCatalog } from "./api_catalog.ts";
import type { CatalogColumn } from "./catalog_table.ts";
import { CatalogTable } from "./catalog_table.ts";
import { toNumberSafe, toTextSafe } from "../data/_coerce.ts";
import { angularSeparation } from "./wcs.ts";

/**
 * An object of interest with known coordinates (degrees, fk5).
 *
 * @example
 * ```ts
 * import type { ObjectOfInterest } from "@oda-hub/oda-api/science";
 * const her: ObjectOfInterest = { name: "Her X-1", ra: 254.457, dec: 35.342 };
 * ```
 */
export interface ObjectOfInterest {
  /** Source name written to `src_names`. */
  name: string;
  /** Right ascension, degrees. */
  ra: number;
  /** Declination, degrees. */
  dec: number;
}

/**
 * Options of {@linkcode extractCatalog} (oda_api's keywords).
 *
 * @example
 * ```ts
 * import type { ExtractCatalogOptions } from "@oda-hub/oda-api/science";
 * const opts: ExtractCatalogOptions = { det_sigma: 7, include_new: false, objects_of_interest: ["GX 1+4"] };
 * ```
 */
export interface ExtractCatalogOptions {
  /** Keep detections with `significance` ≥ det_sigma (default 5). */
  det_sigma?: number;
  /** Keep sources whose name contains `NEW` (default `false`). */
  include_new?: boolean;
  /**
   * Sources to extract whether detected or not: a name already in the kept
   * catalog is flagged; `{ name, ra, dec }` is matched to a kept `NEW` source
   * within `tolerance` (renamed) or added. A bare name not in the catalog
   * needs coordinates: resolve it first with `resolveObjectsOfInterest`.
   */
  objects_of_interest?: (string | ObjectOfInterest)[];
  /** `FLAG` value of the objects of interest (default 1). */
  flag?: number;
  /** `ISGRI_FLAG` (and `JEMX_FLAG`) value of the objects of interest (default 2). */
  isgri_flag?: number;
  /** Match radius in degrees: great-circle separation from the `NEW` source (default 1/60). */
  tolerance?: number;
}

const srcName = (r: Record<string, unknown>): string => toTextSafe(r.src_names, "a src_names cell");

function defaultValue(col: CatalogColumn): unknown {
  if (/^[<>|=]?[iuf]\d+$/.test(col.dtype) || col.dtype === "|b1") return 0;
  if (col.dtype.includes("U") || col.dtype.includes("S")) return "";
  return null;
}

/**
 * A new catalog ready for `getApiDictionary()` (the dispatcher's
 * `selected_catalog`): detections with significance ≥ `det_sigma`, `NEW`
 * sources dropped unless `include_new`, and the objects of interest flagged
 * (`FLAG`, `ISGRI_FLAG`/`JEMX_FLAG`) when present, renamed when a `NEW`
 * source lies within `tolerance`, otherwise added as a row with
 * significance 0, `NEW_SOURCE` 0, `ERR_RAD` 0.001 and 0/"" elsewhere. The
 * columns, their order and numeric dtypes are the input's (`src_names`
 * widens to the longest name, as numpy does). Duplicate names are kept
 * once, first occurrence first; unlike oda_api (which stops after the first
 * object of interest and sorts by name), every object is processed and
 * the order is kept.
 *
 * @example
 * ```ts
 * import { ApiCatalog, extractCatalog } from "@oda-hub/oda-api";
 * const cat = ApiCatalog.fromColumns({
 *   columns: {
 *     meta_ID: [1, 2, 3], src_names: ["Crab", "NEW_1", "A0535+26"], significance: [80.5, 9.1, 4.2],
 *     ra: [83.63, 84.1, 84.73], dec: [22.01, 21.5, 26.32], FLAG: [0, 0, 0], ISGRI_FLAG: [2, 0, 2],
 *   },
 *   dtypes: { significance: "<f8", ra: "<f8", dec: "<f8" },
 * });
 * const sel = extractCatalog(cat, { det_sigma: 5, objects_of_interest: [{ name: "Geminga", ra: 98.476, dec: 17.770 }] });
 * console.assert(sel.table.column("src_names").join() === "Crab,Geminga");
 * ```
 */
export function extractCatalog(catalog: ApiCatalog, options: ExtractCatalogOptions = {}): ApiCatalog {
  const detSigma = options.det_sigma ?? 5;
  const flag = options.flag ?? 1;
  const isgriFlag = options.isgri_flag ?? 2;
  const tol = options.tolerance ?? 1 / 60;
  const t = catalog.table;
  const names = t.colnames;
  if (!names.includes("src_names")) throw new DecodeError("PRODUCT", "the catalog has no src_names column");
  const lon = catalog.lon_name ?? "ra";
  const lat = catalog.lat_name ?? "dec";
  const has = (c: string) => names.includes(c);
  // rows as mutable records
  let rows = t.rows().map((r) => ({ ...r }));
  if (has("significance")) rows = rows.filter((r) => toNumberSafe(r.significance) >= detSigma);
  if (!options.include_new) rows = rows.filter((r) => !srcName(r).includes("NEW"));
  const mark = (r: Record<string, unknown>) => {
    if (has("FLAG")) r.FLAG = flag;
    if (has("ISGRI_FLAG")) r.ISGRI_FLAG = isgriFlag;
    if (has("JEMX_FLAG")) r.JEMX_FLAG = isgriFlag;
  };
  for (const o of options.objects_of_interest ?? []) {
    const name = typeof o === "string" ? o : o.name;
    if (typeof o !== "string") {
      if (!Number.isFinite(o.ra) || !Number.isFinite(o.dec)) {
        throw new OdaError("INVALID_ARGUMENT", `object of interest ${name} needs finite ra/dec`);
      }
      for (const r of rows) {
        if (
          srcName(r).includes("NEW") &&
          angularSeparation(o.ra, o.dec, toNumberSafe(r[lon]), toNumberSafe(r[lat])) <= tol
        ) {
          r.src_names = name;
          mark(r);
        }
      }
    }
    const found = rows.filter((r) => r.src_names === name);
    if (found.length > 0) {
      found.forEach(mark);
      continue;
    }
    if (typeof o === "string") {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `object of interest '${name}' is not in the catalog: give { name, ra, dec } or resolve it with resolveObjectsOfInterest`,
      );
    }
    const row: Record<string, unknown> = {};
    for (const c of t.columns) row[c.name] = defaultValue(c);
    Object.assign(row, { src_names: name, [lon]: o.ra, [lat]: o.dec });
    if (has("significance")) row.significance = 0;
    if (has("NEW_SOURCE")) row.NEW_SOURCE = 0;
    if (has("ERR_RAD")) row.ERR_RAD = 1e-3;
    mark(row);
    rows.push(row);
  }
  const seen = new Set<string>();
  rows = rows.filter((r) => {
    const k = srcName(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const columns: CatalogColumn[] = t.columns.map((c) => {
    const values = rows.map((r) => r[c.name]);
    let dtype = c.dtype;
    const m = /^([<>|=]?)U(\d+)$/.exec(dtype);
    if (m) {
      // a loop, not Math.max(...): a spread of a long column overflows the stack
      const width = values.reduce<number>(
        (w, v) => Math.max(w, toTextSafe(v ?? "", "a src_names cell").length),
        1,
      );
      dtype = `${m[1] || "<"}U${width}`;
    }
    return { ...c, dtype, values };
  });
  const out = new ApiCatalog(
    {
      cat_frame: (t.meta.FRAME ?? "fk5") as string,
      cat_coord_units: (t.meta.COORD_UNIT ?? "deg") as string,
      cat_column_list: columns.map((c) => c.values),
      cat_column_names: columns.map((c) => c.name),
      cat_column_descr: columns.map((c) => [c.name, c.dtype]),
      cat_lat_name: catalog.lat_name,
      cat_lon_name: catalog.lon_name,
    },
    catalog.name,
  );
  // keep the input's numeric dtypes exactly (JSON loses the int/float distinction)
  out.table = new CatalogTable(
    out.table.columns.map((c, i) => ({ ...c, dtype: columns[i].dtype })),
    out.table.meta,
  );
  return out;
}

/**
 * Options of {@linkcode toDs9Regions}.
 *
 * @example
 * ```ts
 * import type { Ds9RegionOptions } from "@oda-hub/oda-api/science";
 * const opts: Ds9RegionOptions = { radiusArcmin: 6, color: "green" };
 * ```
 */
export interface Ds9RegionOptions {
  /** Circle radius in arcminutes (default 5). */
  radiusArcmin?: number;
  /** ds9 colour of the shapes (default `green`). */
  color?: string;
}

/**
 * A ds9 region file (format 4.1, fk5 circles with `text={NAME}` labels) of
 * the catalog's sources, which ds9 and astropy-regions read.
 *
 * @example
 * ```ts
 * import { ApiCatalog } from "@oda-hub/oda-api";
 * import { toDs9Regions } from "@oda-hub/oda-api/science";
 * const cat = ApiCatalog.fromColumns({ columns: { src_names: ["Crab"], ra: [83.633], dec: [22.0145] } });
 * const reg = toDs9Regions(cat, { radiusArcmin: 4 });
 * console.assert(reg.includes('circle(83.63300000,22.01450000,4\') # text={Crab}'));
 * ```
 */
export function toDs9Regions(catalog: ApiCatalog, options: Ds9RegionOptions = {}): string {
  const r = options.radiusArcmin ?? 5;
  if (!(r > 0)) throw new OdaError("INVALID_ARGUMENT", "radiusArcmin must be positive");
  const color = (options.color ?? "green").replace(/[^A-Za-z0-9#]/g, "");
  const t = catalog.table;
  const ra = t.column(catalog.lon_name ?? "ra");
  const dec = t.column(catalog.lat_name ?? "dec");
  const names = t.colnames.includes("src_names") ? t.column("src_names") : ra.map((_, i) => `src_${i}`);
  const lines = [
    "# Region file format: DS9 version 4.1",
    `global color=${color} dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1`,
    "fk5",
  ];
  for (let i = 0; i < ra.length; i++) {
    const a = toNumberSafe(ra[i]), d = toNumberSafe(dec[i]);
    if (!Number.isFinite(a) || !Number.isFinite(d)) continue;
    // braces delimit the label: keep them out of the name
    const label = toTextSafe(names[i], "a src_names cell").replace(/[{}\n\r]/g, "");
    lines.push(`circle(${a.toFixed(8)},${d.toFixed(8)},${r}') # text={${label}}`);
  }
  return lines.join("\n") + "\n";
}
