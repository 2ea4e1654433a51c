/**
 * Light-curve helper: time (IJD), rate, error and bin half-width from a
 * light-curve product, cleaned the way the seed notebooks' plotting cell
 * does.
 *
 * **Time rule.** IJD = MJD − 51544 (INTEGRAL Julian Date, days since
 * 2000-01-01T00:00 in the file's time system). From the light-curve unit's
 * header: `TIMEUNIT` (`d` default, `s` → /86400), `MJDREF` (or `MJDREFI` +
 * `MJDREFF`), `TIMEZERO` (in `TIMEUNIT`, default 0; without `TIMEUNIT`,
 * seconds when `|TIMEZERO|` > 1e5 as in SPI-ACS files, else days):
 * `MJD = MJDREF + (TIME + TIMEZERO) × unit`, computed as `(MJDREFI − 51544) +
 * MJDREFF + (TIME + TIMEZERO) × unit` so no precision is lost to the large
 * integer part. `TIMEPIXR` (0 = bin start, 0.5 = centre, 1 = end; default
 * 0.5) moves the stored times to bin centres. INTEGRAL ISGRI/JEM-X files have
 * `MJDREF = 51544` and days, so their TIME is already IJD. Without any
 * `MJDREF`, TIME is taken as MJD when its values exceed 30000 (what
 * `LightCurveDataProduct.from_arrays` writes) and as IJD otherwise. The time
 * system (`TIMESYS`, e.g. `TT`) is reported, not converted.
 *
 * **Bin widths.** Half-widths in days from the `XAX_E` column (a half-width
 * in `TIMEUNIT`), else a `TIMEDEL` column or header keyword (a full width,
 * halved), else 0. A `FRACEXP` column (fractional exposure) is kept as
 * `fracexp`.
 *
 * This is the only place in the package that reads these keywords: the plots
 * (`plotLightCurve`) and the product displays ask {@linkcode lightCurve}.
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import type { Table, TableColumn } from "../data/ndarray.ts";
import type { NumpyDataProduct } from "./numpy_data_product.ts";
import type { NumpyDataUnit } from "./numpy_data_unit.ts";
import { findColumn, makeTableData } from "./table_data.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";
import { toFloat64Safe, toTextSafe } from "../data/_coerce.ts";

/**
 * Options of {@linkcode lightCurve}.
 *
 * @example
 * ```ts
 * import { lightCurve, type LightCurveOptions, NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * const unit = new NumpyDataUnit({
 *   name: "ISGR-SRC.-LCR",
 *   hdu_type: "bintable",
 *   data: {
 *     kind: "table",
 *     length: 2,
 *     columns: [
 *       { name: "TIME", dtype: ">f8", shape: [], values: new Float64Array([8000.1, 8000.2]) },
 *       { name: "RATE", dtype: ">f4", shape: [], values: new Float32Array([10, 12]) },
 *       { name: "ERROR", dtype: ">f4", shape: [], values: new Float32Array([1, 1]) },
 *     ],
 *   },
 * });
 * const opts: LightCurveOptions = { unit: "ISGR-SRC.-LCR", systematic_fraction: 0.02 };
 * const lc = lightCurve(new NumpyDataProduct({ data_unit: [unit] }), opts);
 * ```
 */
export interface LightCurveOptions {
  /** Index or name of the data unit (default: the first table with TIME and a rate column). */
  unit?: number | string | undefined;
  /** Fractional systematic error added in quadrature (`error² + (f·rate)²`), default 0. */
  systematic_fraction?: number;
  /** Keep zero/NaN rows (default `false`: dropped like the seed notebook). */
  keepAll?: boolean;
}

/**
 * What a {@linkcode LightCurve} is built from (arrays of equal length).
 *
 * @example
 * ```ts
 * import { LightCurve, type LightCurveInit } from "@oda-hub/oda-api";
 * const init: LightCurveInit = { time: [6650.5, 6650.6], rate: [12, 15], error: [1, 1.2], detnam: "ISGRI" };
 * const lc = new LightCurve(init);
 * ```
 */
export interface LightCurveInit {
  /** Bin times (IJD, bin centres). */
  time: ArrayLike<number>;
  /** Rates. */
  rate: ArrayLike<number>;
  /** 1σ errors (default NaN: no error bar). */
  error?: ArrayLike<number> | undefined;
  /** Bin half-widths in days (default 0). */
  halfWidth?: ArrayLike<number>;
  /** Fractional exposure per bin. */
  fracexp?: ArrayLike<number>;
  /** Unit of the rate. */
  rateUnit?: string;
  /** Name of the rate column (default `RATE`). */
  rateColumn?: string;
  /** Lower energy bound (keV). */
  eMin?: number | undefined;
  /** Upper energy bound (keV). */
  eMax?: number | undefined;
  /** Detector / instrument name. */
  detnam?: string | undefined;
  /** Source name. */
  name?: string | undefined;
  /** Time system (`TIMESYS`). */
  timeSystem?: string | undefined;
}

/**
 * A cleaned light curve (all arrays have the same length, sorted by time).
 *
 * @example
 * ```ts ignore
 * const lc = lightCurve(data.isgri_lc_0_MAXIJ1820p070);
 * console.log(lc.detnam, lc.name, lc.eMin, lc.eMax, lc.time.length);
 * const arrow = await lc.toArrow();
 * ```
 */
export class LightCurve {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "lightCurve", lightCurve: this };
  }

  /** The TIME column converted to IJD (MJD − 51544); bin centres for `TIMEPIXR = 0.5` files. */
  time: Float64Array;
  /** Rate (counts/s or the product's flux unit). */
  rate: Float64Array;
  /** 1σ error of the rate. */
  error: Float64Array;
  /** Bin half-width in days (`XAX_E`, else `TIMEDEL`/2; 0 when unknown). */
  halfWidth: Float64Array;
  /** Fractional exposure of each bin (`FRACEXP` column), when the file has one. */
  fracexp?: Float64Array;
  /** Unit of the rate column (e.g. `count/s`), when known. */
  rateUnit?: string;
  /** Lower energy bound (keV) from `E_MIN`, if known. */
  eMin?: number | undefined;
  /** Upper energy bound (keV) from `E_MAX`, if known. */
  eMax?: number | undefined;
  /** Detector (`DETNAM`, else `INSTRUME`). */
  detnam?: string | undefined;
  /** Source name (`NAME` header, else `meta_data.src_name`). */
  name?: string | undefined;
  /** Time system of the file (`TIMESYS`), e.g. `TT`. */
  timeSystem?: string | undefined;
  /** Name of the rate column used. */
  rateColumn: string;

  /**
   * Assemble a light curve from arrays (times in IJD, half-widths in days).
   * Missing errors become NaN (no error bar), missing half-widths 0.
   *
   * @example
   * ```ts
   * import { LightCurve } from "@oda-hub/oda-api";
   * const lc = new LightCurve({ time: [6650.5, 6650.6], rate: [12, 15], error: [1, 1.2], name: "Crab" });
   * lc.length; // 2
   * ```
   */
  constructor(init: LightCurveInit) {
    const f64 = (a: ArrayLike<number>) => a instanceof Float64Array ? a : Float64Array.from(a, Number);
    const n = init.time.length;
    if (init.rate.length !== n) {
      throw new OdaError("INVALID_ARGUMENT", `time has ${n} values but rate ${init.rate.length}`);
    }
    this.time = f64(init.time);
    this.rate = f64(init.rate);
    this.error = init.error ? f64(init.error) : new Float64Array(n).fill(NaN);
    this.halfWidth = init.halfWidth ? f64(init.halfWidth) : new Float64Array(n);
    if (init.fracexp) this.fracexp = f64(init.fracexp);
    if (init.rateUnit !== undefined) this.rateUnit = init.rateUnit;
    this.rateColumn = init.rateColumn ?? "RATE";
    if (init.eMin !== undefined) this.eMin = init.eMin;
    if (init.eMax !== undefined) this.eMax = init.eMax;
    if (init.detnam !== undefined) this.detnam = init.detnam;
    if (init.name !== undefined) this.name = init.name;
    if (init.timeSystem !== undefined) this.timeSystem = init.timeSystem;
  }

  /** Number of points. */
  get length(): number {
    return this.time.length;
  }

  /** As a {@linkcode Table} (`time`, `rate`, `error`, `half_width` columns; a notebook shows it as an HTML table). */
  toTable(): Table {
    const col = (name: string, values: Float64Array, unit?: string): TableColumn => ({
      name,
      dtype: "<f8",
      shape: [],
      values,
      ...(unit ? { unit } : {}),
    });
    return makeTableData({
      kind: "table",
      length: this.length,
      columns: [
        col("time", this.time, "d"),
        col("rate", this.rate),
        col("error", this.error),
        col("half_width", this.halfWidth, "d"),
      ],
    });
  }

  /**
   * Convert to an Apache Arrow table (loads `apache-arrow` on first use).
   *
   * @example
   * ```ts ignore
   * const arrow = await lightCurve(product).toArrow();
   * ```
   */
  async toArrow(): Promise<import("npm:apache-arrow@^21.2.0").Table> {
    const { tableToArrow } = await import("./arrow.ts");
    return tableToArrow(this.toTable());
  }
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Pick the light-curve unit: by option, else a table with TIME and RATE-like columns (names with LC/RATE first). */
function pickUnit(product: NumpyDataProduct, opt?: number | string): NumpyDataUnit {
  if (typeof opt === "number") return product.getDataUnit(opt);
  if (typeof opt === "string") {
    const u = product.data_unit.find((d) => d.name === opt);
    if (!u) throw new DecodeError("PRODUCT", `no data unit named '${opt}'`);
    return u;
  }
  const tables = product.data_unit.filter((d) => d.data?.kind === "table" && findColumn(d.data, "TIME"));
  const preferred = tables.find((d) => /LC|RATE/i.test(d.name)) ?? tables[0];
  if (!preferred) {
    throw new DecodeError("PRODUCT", `product '${product.name}' has no table with a TIME column`);
  }
  return preferred;
}

/**
 * Extract a cleaned light curve from a light-curve product (ISGRI, JEM-X,
 * SPI-ACS, `LightCurveDataProduct.from_arrays`). Column names come from
 * `meta_data.time`/`rate`/`rate_err` when present, else `TIME`, `RATE` (or
 * `FLUX`, `COUNTS`, `MAG`), `ERROR` (or `RATE_ERR`, else √|rate|). Rows with
 * rate = 0, error = 0 or a NaN are dropped (the seed notebook's
 * `(r != 0) & (dr != 0)`), unless `keepAll`.
 *
 * @example
 * ```ts ignore
 * const lc = lightCurve(data.isgri_lc_0_MAXIJ1820p070);
 * lc.time; // Float64Array of IJD
 * ```
 */
export function lightCurve(product: NumpyDataProduct, options: LightCurveOptions = {}): LightCurve {
  const du = pickUnit(product, options.unit);
  const table = du.table;
  const h = du.header;
  const meta = product.meta_data;
  const colName = (key: string, fallbacks: string[]): TableColumn | undefined => {
    const m = meta[key];
    if (typeof m === "string") {
      const c = findColumn(table, m);
      if (c) return c;
    }
    for (const f of fallbacks) {
      const c = findColumn(table, f);
      if (c) return c;
    }
    return undefined;
  };
  const tCol = colName("time", ["TIME"]);
  const rCol = colName("rate", ["RATE", "FLUX", "COUNTS", "MAG"]);
  if (!tCol || !rCol) throw new DecodeError("PRODUCT", `data unit '${du.name}' has no TIME/RATE columns`);
  const eCol = colName("rate_err", ["ERROR", "RATE_ERR", "ERR", "FLUX_ERR"]);
  const t = toFloat64Safe(tCol.values);
  const r = toFloat64Safe(rCol.values);
  const e = eCol ? toFloat64Safe(eCol.values) : Float64Array.from(r, (x) => Math.sqrt(Math.abs(x)));

  // time conversion to IJD: IJD = TIME*toDays + offset
  // TIMEUNIT absent: seconds when TIMEZERO is a large number of seconds (SPI-ACS), else days
  const tz0 = num(h.TIMEZERO);
  const unitStr = toTextSafe(h.TIMEUNIT ?? (tz0 !== undefined && Math.abs(tz0) > 1e5 ? "s" : "d"), "TIMEUNIT")
    .trim()
    .toLowerCase();
  const toDays = unitStr === "s" ? 1 / 86400 : unitStr === "h" ? 1 / 24 : unitStr === "min" ? 1 / 1440 : 1;
  const timezero = tz0 ?? 0;
  const refI = num(h.MJDREFI), refF = num(h.MJDREFF), ref = num(h.MJDREF);
  let offset: number;
  if (ref !== undefined) offset = (ref - 51544) + timezero * toDays;
  else if (refI !== undefined || refF !== undefined) {
    // integer and fractional parts apart: (MJDREFI − 51544) is exact, MJDREFF keeps its full precision
    offset = ((refI ?? 0) - 51544) + (refF ?? 0) + timezero * toDays;
  } else {
    const sorted = Array.from(t).filter(Number.isFinite).sort((a, b) => a - b);
    const median = sorted.length ? (sorted[Math.floor(sorted.length / 2)] + timezero) * toDays : 0;
    offset = (median > 30000 ? -51544 : 0) + timezero * toDays;
  }

  // half widths (days)
  const xax = findColumn(table, "XAX_E");
  const tdCol = findColumn(table, "TIMEDEL");
  const tdHeader = num(h.TIMEDEL);
  const hw = new Float64Array(t.length);
  if (xax) hw.set(toFloat64Safe(xax.values).map((x) => x * toDays));
  else if (tdCol) hw.set(toFloat64Safe(tdCol.values).map((x) => (x * toDays) / 2));
  else if (tdHeader !== undefined) hw.fill((tdHeader * toDays) / 2);
  // TIMEPIXR: where in its bin a time stamp sits (0.5, the centre, by default)
  const pixr = num(h.TIMEPIXR) ?? 0.5;
  const shift = (0.5 - pixr) * 2; // times of half-widths to add to reach the centre
  const fracCol = findColumn(table, "FRACEXP");
  const frac = fracCol ? toFloat64Safe(fracCol.values) : undefined;

  const sys = options.systematic_fraction ?? 0;
  const idx: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (
      !options.keepAll &&
      (!(r[i] !== 0 && e[i] !== 0) || !Number.isFinite(t[i]) || !Number.isFinite(r[i]) ||
        !Number.isFinite(e[i]))
    ) continue;
    idx.push(i);
  }
  idx.sort((a, b) => t[a] - t[b] || a - b);
  const pick = (arr: Float64Array, f: (v: number, i: number) => number = (v) => v) =>
    Float64Array.from(idx, (i) => f(arr[i], i));
  const str = (
    k: string,
  ) => (typeof h[k] === "string" && (h[k] as string).trim() ? (h[k] as string).trim() : undefined);
  const name = str("NAME") ?? (typeof meta.src_name === "string" ? meta.src_name : undefined) ??
    str("OBJECT");
  // SPI's anticoincidence shield files say INSTRUME = SPI, DETNAM = ACS: the instrument people know as SPI-ACS
  const detnam = str("INSTRUME") === "SPI" && str("DETNAM") === "ACS"
    ? "SPI-ACS"
    : str("DETNAM") ?? str("INSTRUME");
  return new LightCurve({
    time: pick(t, (v, i) => (v + shift * (hw[i] / toDays)) * toDays + offset),
    rate: pick(r),
    error: pick(e, (v, i) => (sys > 0 ? Math.sqrt(v * v + (sys * r[i]) ** 2) : v)),
    halfWidth: pick(hw),
    ...(frac ? { fracexp: pick(frac) } : {}),
    ...(rCol.unit ? { rateUnit: rCol.unit } : {}),
    rateColumn: rCol.name,
    eMin: num(h.E_MIN),
    eMax: num(h.E_MAX),
    detnam,
    name,
    timeSystem: str("TIMESYS"),
  });
}
