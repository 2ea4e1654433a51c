/**
 * Spectrum helpers: PHA channels to energies through the RMF's `EBOUNDS`
 * extension, and saving spectrum/ARF/RMF sets that XSPEC loads together
 * (`RESPFILE`/`ANCRFILE` keywords).
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import type { TableColumn } from "../data/ndarray.ts";
import type { NumpyDataProduct } from "./numpy_data_product.ts";
import { safeJoin } from "./files.ts";
import { findColumn } from "./table_data.ts";
import { eboundsUnit, ogipSpectrum, type OgipSpectrumOptions, phaUnit } from "./spectrum_ogip.ts";
import { requireDeno } from "../_runtime.ts";
import { toFloat64Safe } from "../data/_coerce.ts";

/**
 * A spectrum with energies (arrays of equal length, one entry per channel).
 *
 * @example
 * ```ts
 * import type { EnergySpectrum } from "@oda-hub/oda-api";
 * function peakEnergy(s: EnergySpectrum): number {
 *   let best = 0;
 *   for (let i = 1; i < s.ratePerKeV.length; i++) if (s.ratePerKeV[i] > s.ratePerKeV[best]) best = i;
 *   return s.energy[best]; // keV
 * }
 * ```
 */
export interface EnergySpectrum {
  /** Channel numbers. */
  channel: Float64Array;
  /** Lower bin edge (keV). */
  eMin: Float64Array;
  /** Upper bin edge (keV). */
  eMax: Float64Array;
  /** Bin centre (keV). */
  energy: Float64Array;
  /** Rate (counts/s). */
  rate: Float64Array;
  /** Rate error (counts/s). */
  error: Float64Array;
  /** Rate per keV (counts/s/keV). */
  ratePerKeV: Float64Array;
  /** Rate error per keV. */
  errorPerKeV: Float64Array;
  /** Exposure (s), if the header has `EXPOSURE`. */
  exposure?: number;
  /** Source name (`meta_data.src_name`, else the `OBJECT` keyword), if known. */
  name?: string | undefined;
  /** Instrument (`INSTRUME` keyword, else `meta_data.instrument`), if known. */
  instrument?: string;
}

function f64(c: TableColumn | undefined): Float64Array | undefined {
  return c && toFloat64Safe(c.values as ArrayLike<unknown>);
}

/**
 * Options of {@linkcode spectrumWithEnergies}.
 *
 * @example
 * ```ts
 * import type { SpectrumEnergiesOptions } from "@oda-hub/oda-api";
 * const opts: SpectrumEnergiesOptions = { systematicFraction: 0.02 };
 * ```
 */
export interface SpectrumEnergiesOptions {
  /** Fractional systematic error added in quadrature to every channel (default: the file's `SYS_ERR`, else 0). */
  systematicFraction?: number;
}

/**
 * Channels to energies: match each spectrum `CHANNEL` to the RMF `EBOUNDS`
 * row with the same channel (`E_MIN`/`E_MAX`), and divide rates by the bin
 * width. Rates come from `RATE` (or `COUNTS`/`EXPOSURE`), errors from
 * `STAT_ERR` (or √counts/exposure), with the systematic fraction f (the
 * option, else the `SYS_ERR` column or keyword) added in quadrature as
 * XSPEC does: error² = stat² + (f·rate)².
 *
 * @example
 * ```ts ignore
 * const sel = spectrum.newFromMetadata("src_name", "Crab")!;
 * const s = spectrumWithEnergies(sel._p_list[0], sel._p_list[2]);
 * s.energy; s.ratePerKeV;
 * ```
 */
export function spectrumWithEnergies(
  spectrum: NumpyDataProduct,
  rmf: NumpyDataProduct,
  options: SpectrumEnergiesOptions = {},
): EnergySpectrum {
  const su = phaUnit(spectrum);
  const eb = eboundsUnit(rmf);
  if (!eb) throw new DecodeError("PRODUCT", `product '${rmf.name}' has no EBOUNDS table`);
  const st = su.table;
  const et = eb.table;
  const ch = f64(findColumn(st, "CHANNEL"));
  const ebCh = f64(findColumn(et, "CHANNEL"));
  const lo = f64(findColumn(et, "E_MIN"));
  const hi = f64(findColumn(et, "E_MAX"));
  if (!lo || !hi) throw new DecodeError("PRODUCT", "EBOUNDS needs E_MIN and E_MAX columns");
  const exposure = typeof su.header.EXPOSURE === "number" ? su.header.EXPOSURE : undefined;
  let rate = f64(findColumn(st, "RATE"));
  let err = f64(findColumn(st, "STAT_ERR"));
  const counts = f64(findColumn(st, "COUNTS"));
  if (!rate && counts && exposure) rate = counts.map((c) => c / exposure);
  if (!rate) throw new DecodeError("PRODUCT", "spectrum has neither RATE nor COUNTS with EXPOSURE");
  if (!err) {
    err = counts && exposure ? counts.map((c) => Math.sqrt(Math.abs(c)) / exposure) : rate.map(() => NaN);
  } else if (!findColumn(st, "RATE") && exposure) err = err.map((e) => e / exposure);
  const sysCol = f64(findColumn(st, "SYS_ERR"));
  const sysKey = typeof su.header.SYS_ERR === "number" ? su.header.SYS_ERR : 0;
  const sys = (i: number) => options.systematicFraction ?? (sysCol ? sysCol[i] : sysKey);
  if (options.systematicFraction !== undefined || sysCol || sysKey) {
    const r = rate;
    err = err.map((e, i) => Math.sqrt(e * e + (sys(i) * r[i]) ** 2));
  }
  const channel = ch ?? Float64Array.from(rate, (_, i) => i);
  const rowOf = new Map<number, number>();
  if (ebCh) ebCh.forEach((c, i) => rowOf.set(c, i));
  const n = channel.length;
  const out: EnergySpectrum = {
    channel,
    eMin: new Float64Array(n),
    eMax: new Float64Array(n),
    energy: new Float64Array(n),
    rate,
    error: err,
    ratePerKeV: new Float64Array(n),
    errorPerKeV: new Float64Array(n),
  };
  if (exposure !== undefined) out.exposure = exposure;
  const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);
  const name = text(spectrum.meta_data?.src_name) ?? text(su.header.OBJECT);
  if (name !== undefined) out.name = name;
  const instrument = text(su.header.INSTRUME) ?? text(spectrum.meta_data?.instrument);
  if (instrument !== undefined) out.instrument = instrument;
  for (let i = 0; i < n; i++) {
    const row = ebCh ? rowOf.get(channel[i]) : i;
    if (row === undefined || row >= lo.length) {
      out.eMin[i] =
        out.eMax[i] =
        out.energy[i] =
        out.ratePerKeV[i] =
        out.errorPerKeV[i] =
          NaN;
      continue;
    }
    const w = hi[row] - lo[row];
    out.eMin[i] = lo[row];
    out.eMax[i] = hi[row];
    out.energy[i] = (lo[row] + hi[row]) / 2;
    out.ratePerKeV[i] = rate[i] / w;
    out.errorPerKeV[i] = err[i] / w;
  }
  return out;
}

/**
 * Options of {@linkcode saveSpectrumSet}.
 *
 * @example
 * ```ts
 * import type { SaveSpectrumSetOptions } from "@oda-hub/oda-api/fits";
 * const opts: SaveSpectrumSetOptions = { dir: "xspec", base: "crab", overwrite: true };
 * // await saveSpectrumSet(spectrum, arf, rmf, opts) writes xspec/crab_spectrum.fits, _arf.fits, _rmf.fits
 * ```
 */
export interface SaveSpectrumSetOptions extends OgipSpectrumOptions {
  /** Output directory (default `.`). */
  dir?: string;
  /** Base of the file names: `<base>_spectrum.fits`, `<base>_arf.fits`, `<base>_rmf.fits` (default `"spectrum"`). */
  base?: string;
  /** Replace existing files (default `false`). */
  overwrite?: boolean;
}

/**
 * Paths written by {@linkcode saveSpectrumSet}.
 *
 * @example
 * ```ts
 * import type { SpectrumSetFiles } from "@oda-hub/oda-api/fits";
 * const files: SpectrumSetFiles = { spectrum: "xspec/crab_spectrum.fits", rmf: "xspec/crab_rmf.fits" };
 * const xspec = `data ${files.spectrum}`; // XSPEC finds the RMF (and ARF) through RESPFILE/ANCRFILE
 * ```
 */
export interface SpectrumSetFiles {
  /** The PHA file (with RESPFILE/ANCRFILE). */
  spectrum: string;
  /** The ARF file, if given. */
  arf?: string;
  /** The RMF file. */
  rmf: string;
}

/**
 * Save a spectrum with its response: the spectrum file's SPECTRUM header
 * gets `RESPFILE` (the RMF file name) and `ANCRFILE` (the ARF file name, or
 * `none`), so `data <base>_spectrum.fits` in XSPEC loads all three, plus the
 * OGIP keywords and the optional `grouping`, `systematicFraction` and
 * `energyRange` columns of {@linkcode ogipSpectrum}. Files are written side
 * by side in `dir`, atomically, names checked.
 *
 * @example
 * ```ts ignore
 * const sel = spectrum.newFromMetadata("src_name", "Crab")!;
 * await saveSpectrumSet(sel._p_list[0], sel._p_list[1], sel._p_list[2], { dir: "xspec", base: "crab" });
 * ```
 */
export async function saveSpectrumSet(
  spectrum: NumpyDataProduct,
  arf: NumpyDataProduct | null,
  rmf: NumpyDataProduct,
  options: SaveSpectrumSetOptions = {},
): Promise<SpectrumSetFiles> {
  const dir = options.dir ?? ".";
  const base = options.base ?? "spectrum";
  const names = { spectrum: `${base}_spectrum.fits`, arf: `${base}_arf.fits`, rmf: `${base}_rmf.fits` };
  const paths: SpectrumSetFiles = { spectrum: safeJoin(dir, names.spectrum), rmf: safeJoin(dir, names.rmf) };
  if (arf) paths.arf = safeJoin(dir, names.arf);
  const pha = ogipSpectrum(spectrum, rmf, {
    ...options,
    respfile: names.rmf.slice(names.rmf.lastIndexOf("/") + 1),
    ancrfile: arf ? names.arf.slice(names.arf.lastIndexOf("/") + 1) : "none",
  });
  await requireDeno("saveSpectrumSet").mkdir(dir, { recursive: true });
  const overwrite = options.overwrite ?? false;
  await rmf.writeFile(paths.rmf, { overwrite });
  if (arf && paths.arf) await arf.writeFile(paths.arf, { overwrite });
  await pha.writeFile(paths.spectrum, { overwrite });
  return paths;
}
