/**
 * XSPEC-ready spectra: OGIP PHA keywords (OGIP/92-007), channel grouping
 * (`GROUPING`), fractional systematics (`SYS_ERR`), bad channels
 * (`QUALITY`), and the links from a spectrum to its response, ARF and
 * background files (`RESPFILE`, `ANCRFILE`, `BACKFILE`).
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import type { Table, TableColumn } from "../data/ndarray.ts";
import { NumpyDataProduct } from "./numpy_data_product.ts";
import { NumpyDataUnit } from "./numpy_data_unit.ts";
import { findColumn } from "./table_data.ts";
import { toFloat64Safe, toNumberSafe, toTextSafe } from "../data/_coerce.ts";

/**
 * How channels are grouped into the `GROUPING` column (1 starts a group, −1
 * continues it). Groups are built from the lowest channel up and never span
 * a bad channel (`QUALITY` ≠ 0, which stays a group of its own); a
 * remainder at the top that misses the criterion joins the group below it
 * when the union meets it, else stays apart with `QUALITY` 2.
 *
 * - `{ minCounts }`: at least this many counts per group (counts = RATE × EXPOSURE for rate spectra);
 * - `{ minSignificance }`: Σ rate / √Σ error² ≥ this per group;
 * - `{ logBins }`: this many logarithmic energy bins per decade (needs the RMF's `EBOUNDS`), each group the
 *   channels whose centre falls in one bin.
 *
 * @example
 * ```ts
 * import type { SpectrumGrouping } from "@oda-hub/oda-api/fits";
 * const g: SpectrumGrouping = { minSignificance: 3 };
 * ```
 */
export type SpectrumGrouping = { minCounts: number } | { minSignificance: number } | { logBins: number };

/**
 * Options of {@linkcode ogipSpectrum} (and of `saveSpectrumSet`).
 *
 * @example
 * ```ts
 * import type { OgipSpectrumOptions } from "@oda-hub/oda-api/fits";
 * const opts: OgipSpectrumOptions = { grouping: { minCounts: 20 }, systematicFraction: 0.02 };
 * ```
 */
export interface OgipSpectrumOptions {
  /** Channel grouping written as a `GROUPING` column (default: none, `GROUPING = 0` keyword). */
  grouping?: SpectrumGrouping;
  /** Fractional systematic error written to `SYS_ERR` for every channel (default: keep the file's). */
  systematicFraction?: number;
  /** Channels outside this energy range [keV] get `QUALITY = 5` (needs `EBOUNDS`). */
  energyRange?: [number, number];
  /** `RESPFILE` value (default: keep the file's, else `none`). */
  respfile?: string;
  /** `ANCRFILE` value (default: keep the file's, else `none`). */
  ancrfile?: string;
  /** `BACKFILE` value (default: keep the file's, else `none`). */
  backfile?: string;
}

function f64(c: TableColumn | undefined): Float64Array | undefined {
  return c && toFloat64Safe(c.values as ArrayLike<unknown>);
}

/** The PHA table unit of a spectrum product (HDUCLAS1 SPECTRUM, else a name like SPE/SPECTRUM with CHANNEL). */
export function phaUnit(p: NumpyDataProduct): NumpyDataUnit {
  const tables = p.data_unit.filter((d) => d.data?.kind === "table");
  const u = tables.find((d) => toTextSafe(d.header.HDUCLAS1 ?? "", "HDUCLAS1").trim() === "SPECTRUM") ??
    tables.find((d) => /SPECTRUM|SPE/i.test(d.name) && findColumn(d.table, "CHANNEL")) ??
    tables.find((d) =>
      findColumn(d.table, "CHANNEL") && (findColumn(d.table, "RATE") || findColumn(d.table, "COUNTS"))
    );
  if (!u) throw new DecodeError("PRODUCT", `product '${p.name}' has no spectrum (PHA) table`);
  return u;
}

/** The `EBOUNDS` table unit of an RMF product (HDUCLAS2 EBOUNDS, else a name like EBOUNDS/EBDS, else a table with E_MIN). */
export function eboundsUnit(rmf: NumpyDataProduct): NumpyDataUnit | undefined {
  const tables = rmf.data_unit.filter((d) => d.data?.kind === "table");
  return tables.find((d) => toTextSafe(d.header.HDUCLAS2 ?? "", "HDUCLAS2").trim() === "EBOUNDS") ??
    tables.find((d) => /EBOUNDS|EBDS/i.test(d.name)) ?? tables.find((d) => findColumn(d.table, "E_MIN"));
}

/** `EBOUNDS` of an RMF product: channel → [E_MIN, E_MAX]. */
export function eboundsOf(rmf: NumpyDataProduct): Map<number, [number, number]> {
  const u = eboundsUnit(rmf);
  const ch = u && f64(findColumn(u.table, "CHANNEL"));
  const lo = u && f64(findColumn(u.table, "E_MIN"));
  const hi = u && f64(findColumn(u.table, "E_MAX"));
  if (!ch || !lo || !hi) throw new DecodeError("PRODUCT", `product '${rmf.name}' has no EBOUNDS table`);
  const m = new Map<number, [number, number]>();
  ch.forEach((c, i) => m.set(c, [lo[i], hi[i]]));
  return m;
}

/**
 * Group channels by a rule (see {@linkcode SpectrumGrouping}); returns the
 * OGIP `GROUPING` values (1 starts a group, −1 continues it) and the
 * `QUALITY` the grouping implies: 2 (dubious) for the channels of a top
 * remainder that misses the rule even when joined to the group below.
 *
 * @example
 * ```ts
 * import { groupChannels } from "@oda-hub/oda-api/fits";
 * const g = groupChannels({ counts: [5, 5, 10, 3, 30, 2] }, { minCounts: 10 });
 * // {5,5}, {10}, {3,30,2}: the remainder 2 joins the group below
 * console.assert(g.grouping.join() === "1,-1,1,1,-1,-1" && g.quality.every((q) => q === 0));
 * const h = groupChannels({ counts: [3, 4] }, { minCounts: 10 }); // too few counts in all
 * console.assert(h.grouping.join() === "1,-1" && h.quality.join() === "2,2");
 * ```
 */
export function groupChannels(
  data: {
    counts?: ArrayLike<number> | undefined;
    rate?: ArrayLike<number>;
    error?: ArrayLike<number> | undefined;
    energy?: ArrayLike<number> | undefined;
    quality?: ArrayLike<number>;
  },
  rule: SpectrumGrouping,
): { grouping: Int16Array; quality: Int16Array } {
  const n = (data.counts ?? data.rate ?? data.energy)?.length ?? 0;
  const out = new Int16Array(n);
  const bad = (i: number) => data.quality !== undefined && toNumberSafe(data.quality[i]) !== 0;
  // a closure deciding whether the open group [start, i] is complete, and a key for log bins
  let done: (start: number, end: number) => boolean;
  if ("minCounts" in rule) {
    const c = data.counts;
    if (!c) throw new DecodeError("PRODUCT", "grouping by counts needs counts (or RATE with EXPOSURE)");
    done = (s, e) => {
      let sum = 0;
      for (let i = s; i <= e; i++) sum += c[i];
      return sum >= rule.minCounts;
    };
  } else if ("minSignificance" in rule) {
    const r = data.rate, er = data.error;
    if (!r || !er) throw new DecodeError("PRODUCT", "grouping by significance needs rates and errors");
    done = (s, e) => {
      let sr = 0, se = 0;
      for (let i = s; i <= e; i++) {
        sr += r[i];
        se += er[i] * er[i];
      }
      return se > 0 && sr / Math.sqrt(se) >= rule.minSignificance;
    };
  } else {
    const en = data.energy;
    if (!en) throw new DecodeError("PRODUCT", "logarithmic grouping needs channel energies (EBOUNDS)");
    if (!(rule.logBins > 0)) throw new DecodeError("PRODUCT", "logBins must be positive");
    const bin = (i: number) => Math.floor(Math.log10(en[i]) * rule.logBins);
    done = (s, e) => e + 1 >= n || bad(e + 1) || bin(e + 1) !== bin(s);
  }
  const quality = new Int16Array(n);
  let start = -1;
  let lastGroup = -1; // start of the last completed group (for a remainder to join)
  const remainder = (s: number, e: number): void => {
    // an incomplete group joins the completed group just below when the union meets the rule,
    // else it stays a group of its own flagged QUALITY 2 (dubious)
    if (lastGroup >= 0 && lastGroup + 1 <= s && done(lastGroup, e)) out[s] = -1;
    else for (let i = s; i <= e; i++) quality[i] = 2;
  };
  for (let i = 0; i < n; i++) {
    if (bad(i)) {
      if (start >= 0) remainder(start, i - 1);
      out[i] = 1;
      start = -1;
      lastGroup = -1;
      continue;
    }
    if (start < 0) {
      start = i;
      out[i] = 1;
    } else out[i] = -1;
    if (done(start, i)) {
      lastGroup = start;
      start = -1;
    }
  }
  if (start >= 0) remainder(start, n - 1);
  return { grouping: out, quality };
}

function setColumn(columns: TableColumn[], col: TableColumn): TableColumn[] {
  const i = columns.findIndex((c) => c.name.toUpperCase() === col.name.toUpperCase());
  if (i < 0) return [...columns, col];
  const copy = columns.slice();
  copy[i] = { ...col, name: columns[i].name };
  return copy;
}

/**
 * A copy of a spectrum product whose PHA table carries the OGIP keywords
 * XSPEC reads (HDUCLASS OGIP, HDUCLAS1 SPECTRUM, HDUCLAS2, HDUCLAS3
 * COUNT/RATE, HDUVERS 1.2.1, TELESCOP, INSTRUME, FILTER, EXPOSURE,
 * AREASCAL, BACKSCAL, CORRSCAL, BACKFILE, CORRFILE, RESPFILE, ANCRFILE,
 * CHANTYPE, DETCHANS, POISSERR), with `GROUPING`, `SYS_ERR` and `QUALITY`
 * columns as asked. Existing keyword values are kept unless an option sets
 * them. `rmf` is needed for `logBins` grouping and `energyRange`.
 *
 * @example
 * ```ts ignore
 * const pha = ogipSpectrum(spec, rmf, { grouping: { minCounts: 20 }, systematicFraction: 0.01, respfile: "crab_rmf.fits" });
 * await pha.writeFile("crab_spectrum.fits");
 * ```
 */
export function ogipSpectrum(
  spectrum: NumpyDataProduct,
  rmf: NumpyDataProduct | null,
  options: OgipSpectrumOptions = {},
): NumpyDataProduct {
  const unit = phaUnit(spectrum);
  const table = unit.table;
  const h = unit.header;
  const n = table.length;
  const rateCol = findColumn(table, "RATE");
  const countsCol = findColumn(table, "COUNTS");
  const errCol = findColumn(table, "STAT_ERR");
  const chCol = findColumn(table, "CHANNEL");
  if (!chCol || (!rateCol && !countsCol)) {
    throw new DecodeError("PRODUCT", `spectrum '${spectrum.name}' needs CHANNEL and RATE or COUNTS columns`);
  }
  const channel = f64(chCol)!;
  const exposure = typeof h.EXPOSURE === "number" ? h.EXPOSURE : undefined;
  const rate = f64(rateCol);
  const counts = f64(countsCol) ?? (rate && exposure ? rate.map((r) => r * exposure) : undefined);
  const rateOrCounts = rate ?? counts!;
  const err = f64(errCol) ?? (countsCol ? counts!.map((c) => Math.sqrt(Math.abs(c))) : undefined);
  const eb = rmf ? eboundsOf(rmf) : undefined;
  const energy = eb
    ? Float64Array.from(channel, (c) => {
      const e = eb.get(c);
      return e ? 0.5 * (e[0] + e[1]) : NaN;
    })
    : undefined;
  let columns = table.columns.slice();

  // QUALITY: keep the file's, mark channels without a usable error or outside the energy range bad (5)
  const qOld = f64(findColumn(table, "QUALITY"));
  const quality = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let q = qOld ? qOld[i] : 0;
    if (q === 0 && err && !(err[i] > 0 && Number.isFinite(err[i])) && !countsCol) q = 5;
    if (q === 0 && !Number.isFinite(rateOrCounts[i])) q = 5;
    if (q === 0 && options.energyRange) {
      if (!eb) throw new DecodeError("PRODUCT", "energyRange needs the RMF (EBOUNDS)");
      const e = eb.get(channel[i]);
      if (!e || e[0] < options.energyRange[0] || e[1] > options.energyRange[1]) q = 5;
    }
    quality[i] = q;
  }
  const anyBad = quality.some((q) => q !== 0);
  if (qOld || anyBad) {
    columns = setColumn(columns, { name: "QUALITY", dtype: ">i2", shape: [], values: quality });
  }

  if (options.systematicFraction !== undefined) {
    const f = options.systematicFraction;
    if (!(f >= 0 && f < 1)) throw new DecodeError("PRODUCT", "systematicFraction must be in [0, 1)");
    columns = setColumn(columns, {
      name: "SYS_ERR",
      dtype: ">f4",
      shape: [],
      values: new Float32Array(n).fill(f),
    });
  }
  if (options.grouping) {
    const g = groupChannels({ counts, rate: rateOrCounts, error: err, energy, quality }, options.grouping);
    g.quality.forEach((q, i) => {
      if (q !== 0 && quality[i] === 0) quality[i] = q;
    });
    columns = setColumn(columns, { name: "GROUPING", dtype: ">i2", shape: [], values: g.grouping });
    columns = setColumn(columns, { name: "QUALITY", dtype: ">i2", shape: [], values: quality });
  }
  const has = (name: string) => columns.some((c) => c.name.toUpperCase() === name);
  const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const header: Record<string, unknown> = {
    ...h,
    HDUCLASS: "OGIP",
    HDUCLAS1: "SPECTRUM",
    HDUCLAS2: str(h.HDUCLAS2) ?? "TOTAL",
    HDUCLAS3: rateCol ? "RATE" : "COUNT",
    HDUVERS: "1.2.1",
    TELESCOP: str(h.TELESCOP) ?? str(spectrum.data_unit[0]?.header.TELESCOP) ?? "UNKNOWN",
    INSTRUME: str(h.INSTRUME) ?? str(spectrum.data_unit[0]?.header.INSTRUME) ?? "UNKNOWN",
    FILTER: str(h.FILTER) ?? "none",
    EXPOSURE: exposure ?? 1,
    AREASCAL: num(h.AREASCAL) ?? 1,
    BACKSCAL: num(h.BACKSCAL) ?? 1,
    CORRSCAL: num(h.CORRSCAL) ?? 0,
    BACKFILE: options.backfile ?? str(h.BACKFILE) ?? "none",
    CORRFILE: str(h.CORRFILE) ?? "none",
    RESPFILE: options.respfile ?? str(h.RESPFILE) ?? "none",
    ANCRFILE: options.ancrfile ?? str(h.ANCRFILE) ?? "none",
    CHANTYPE: str(h.CHANTYPE) ?? "PI",
    DETCHANS: num(h.DETCHANS) ?? n,
    POISSERR: !errCol,
  };
  if (!has("SYS_ERR")) header.SYS_ERR = 0;
  else delete header.SYS_ERR;
  if (!has("QUALITY")) header.QUALITY = 0;
  else delete header.QUALITY;
  if (!has("GROUPING")) header.GROUPING = 0;
  else delete header.GROUPING;
  const newTable: Table = { kind: "table", length: n, columns };
  return new NumpyDataProduct({
    data_unit: spectrum.data_unit.map((d) =>
      d === unit
        ? new NumpyDataUnit({
          data: newTable,
          data_header: header,
          meta_data: d.meta_data,
          hdu_type: d.hdu_type,
          name: d.name,
          units_dict: d.units_dict,
        })
        : d
    ),
    name: spectrum.name,
    meta_data: spectrum.meta_data,
  });
}

/** Role of a product in a spectrum set. */
type SetRole = "spectrum" | "arf" | "rmf" | "bkg";

function roleOf(name: string, meta: Record<string, unknown> | undefined): SetRole | undefined {
  const tags = [meta?.product, name].filter((x): x is string => typeof x === "string").map((x) =>
    x.toLowerCase()
  );
  for (
    const [role, re] of [
      ["arf", /(^|_)arf$/],
      ["rmf", /(^|_)rmf$/],
      ["bkg", /(^|_)(bkg|background)$/],
      ["spectrum", /(^|_)spectrum$/],
    ] as const
  ) {
    if (tags.some((t) => re.test(t))) return role;
  }
  return undefined;
}

/**
 * Spectrum sets in a list of products (as a `DataCollection` holds them):
 * for every spectrum, the indices of the ARF, RMF and background products
 * of the same source (`meta_data.src_name`, products tagged by
 * `meta_data.product` or their name ending in `_spectrum`, `_arf`, `_rmf`,
 * `_bkg`), nearest first.
 *
 * @example
 * ```ts ignore
 * const sets = spectrumSets(data._p_list, data._n_list); // [{ spectrum: 0, arf: 1, rmf: 2 }, ...]
 * ```
 */
export function spectrumSets(
  products: readonly unknown[],
  names: readonly string[],
): { spectrum: number; arf?: number; rmf?: number; bkg?: number }[] {
  const info = products.map((p, i) => {
    if (!(p instanceof NumpyDataProduct)) return undefined;
    const meta = p.meta_data as Record<string, unknown>;
    const role = roleOf(names[i] ?? p.name ?? "", meta);
    return role ? { role, src: toTextSafe(meta?.src_name ?? "", "meta_data.src_name") } : undefined;
  });
  const out: { spectrum: number; arf?: number; rmf?: number; bkg?: number }[] = [];
  info.forEach((x, i) => {
    if (x?.role !== "spectrum") return;
    const set: { spectrum: number; arf?: number; rmf?: number; bkg?: number } = { spectrum: i };
    for (const role of ["arf", "rmf", "bkg"] as const) {
      let best = -1;
      info.forEach((y, j) => {
        if (y?.role === role && y.src === x.src && (best < 0 || Math.abs(j - i) < Math.abs(best - i))) {
          best = j;
        }
      });
      if (best >= 0) set[role] = best;
    }
    out.push(set);
  });
  return out;
}
