/**
 * The sandbox's built-in catalogue of bright hard X-ray sources: real J2000
 * positions with rough INTEGRAL/ISGRI 20–80 keV fluxes and photon indices, plus
 * the name resolver behind the sandbox's `/resolve_name`.
 *
 * Fluxes are typical (or outburst) levels in mCrab and are kept constant by
 * the simulation except for the light-curve variability flag.
 *
 * @module
 */
import { angularSeparation } from "../../products/wcs.ts";

export { angularSeparation };

/**
 * Kind of variability the simulated light curves show for a source.
 *
 * @example
 * ```ts
 * import { BRIGHT_SOURCES, type Variability } from "@oda-hub/oda-api/sandbox";
 * const kinds = new Set<Variability>(BRIGHT_SOURCES.map((s) => s.variability));
 * ```
 */
export type Variability = "steady" | "flaring" | "pulsing" | "outburst";

/**
 * A point source with a spectrum: what the catalogue, the simulated sky and
 * the spectrum / light-curve targets have in common.
 *
 * @example
 * ```ts
 * import type { PointSource } from "@oda-hub/oda-api/sandbox";
 * const s: PointSource = { name: "Crab", ra: 83.6332, dec: 22.0145, flux_mCrab: 1000, index: 2.1 };
 * ```
 */
export interface PointSource {
  /** Name (`GRS 1915+105`, `NEW_1`). */
  name: string;
  /** J2000 right ascension in degrees. */
  ra: number;
  /** J2000 declination in degrees. */
  dec: number;
  /** 20–80 keV flux in mCrab. */
  flux_mCrab: number;
  /** Photon index of the power law N(E) ∝ E^-index. */
  index: number;
  /** Optional exponential cut-off energy in keV. */
  cutoff_keV?: number | undefined;
}

/**
 * One source of the built-in catalogue (name as in the INTEGRAL reference
 * catalogue, typical flux).
 *
 * @example
 * ```ts
 * import { BRIGHT_SOURCES, type CatalogSource } from "@oda-hub/oda-api/sandbox";
 * const pulsars: CatalogSource[] = BRIGHT_SOURCES.filter((s) => s.period_s !== undefined);
 * ```
 */
export interface CatalogSource extends PointSource {
  /** Light-curve behaviour. */
  variability: Variability;
  /** Spin period in seconds (X-ray pulsars). */
  period_s?: number | undefined;
  /** Source class (for the README and `/resolve_name`'s `object_type`). */
  type: string;
  /** Alternative names accepted by {@linkcode resolveName}. */
  aliases?: readonly string[];
}

function hms(h: number, m: number, s: number): number {
  return 15 * (h + m / 60 + s / 3600);
}
function dms(d: number, m: number, s: number): number {
  const sign = d < 0 || Object.is(d, -0) ? -1 : 1;
  return sign * (Math.abs(d) + m / 60 + s / 3600);
}

/**
 * The built-in catalogue (about 45 sources), ordered as an ISGRI reference
 * catalogue would be: the index of a source is its `meta_ID` in simulated
 * image catalogues.
 *
 * @example
 * ```ts
 * import { BRIGHT_SOURCES } from "./sources.ts";
 * const crab = BRIGHT_SOURCES.find((s) => s.name === "Crab")!;
 * console.log(crab.ra, crab.dec); // 83.633 22.0145
 * ```
 */
export const BRIGHT_SOURCES: readonly CatalogSource[] = Object.freeze([
  {
    name: "Crab",
    ra: 83.6332,
    dec: 22.0145,
    flux_mCrab: 1000,
    index: 2.1,
    variability: "steady",
    type: "PSR/PWN",
    aliases: ["Crab Nebula", "M 1", "Tau A", "Crab Pulsar"],
  },
  {
    name: "A 0535+26",
    period_s: 103.4,
    ra: hms(5, 38, 54.57),
    dec: dms(26, 18, 56.8),
    flux_mCrab: 25,
    index: 2.6,
    cutoff_keV: 60,
    variability: "outburst",
    type: "HMXB/XP",
  },
  {
    name: "Vela X-1",
    period_s: 283.2,
    ra: hms(9, 2, 6.86),
    dec: dms(-40, 33, 16.9),
    flux_mCrab: 300,
    index: 2.0,
    cutoff_keV: 30,
    variability: "flaring",
    type: "HMXB/XP",
  },
  {
    name: "Cen X-3",
    period_s: 4.82,
    ra: hms(11, 21, 15.78),
    dec: dms(-60, 37, 22.7),
    flux_mCrab: 100,
    index: 2.1,
    cutoff_keV: 25,
    variability: "pulsing",
    type: "HMXB/XP",
  },
  {
    name: "NGC 4151",
    ra: hms(12, 10, 32.58),
    dec: dms(39, 24, 21.1),
    flux_mCrab: 30,
    index: 1.7,
    variability: "steady",
    type: "AGN/Sy1.5",
  },
  {
    name: "GX 301-2",
    period_s: 685,
    ra: hms(12, 26, 37.56),
    dec: dms(-62, 46, 13.2),
    flux_mCrab: 150,
    index: 2.0,
    cutoff_keV: 30,
    variability: "flaring",
    type: "HMXB/XP",
  },
  {
    name: "3C 273",
    ra: hms(12, 29, 6.70),
    dec: dms(2, 3, 8.6),
    flux_mCrab: 10,
    index: 1.6,
    variability: "steady",
    type: "AGN/QSO",
  },
  {
    name: "Cen A",
    ra: hms(13, 25, 27.6),
    dec: dms(-43, 1, 9),
    flux_mCrab: 40,
    index: 1.8,
    variability: "steady",
    type: "AGN/Sy2",
    aliases: ["NGC 5128"],
  },
  {
    name: "4U 1538-52",
    period_s: 526.8,
    ra: hms(15, 42, 23.3),
    dec: dms(-52, 23, 10),
    flux_mCrab: 25,
    index: 2.0,
    cutoff_keV: 20,
    variability: "pulsing",
    type: "HMXB/XP",
  },
  {
    name: "Sco X-1",
    ra: hms(16, 19, 55.07),
    dec: dms(-15, 38, 24.8),
    flux_mCrab: 300,
    index: 3.5,
    variability: "flaring",
    type: "LMXB/Z",
  },
  {
    name: "IGR J16318-4848",
    ra: hms(16, 31, 48.6),
    dec: dms(-48, 49, 1),
    flux_mCrab: 20,
    index: 2.0,
    variability: "flaring",
    type: "HMXB/SG",
  },
  {
    name: "4U 1630-47",
    ra: hms(16, 34, 1.61),
    dec: dms(-47, 23, 34.8),
    flux_mCrab: 40,
    index: 2.4,
    variability: "outburst",
    type: "LMXB/BHC",
  },
  {
    name: "4U 1636-536",
    ra: hms(16, 40, 55.5),
    dec: dms(-53, 45, 5),
    flux_mCrab: 20,
    index: 2.3,
    variability: "steady",
    type: "LMXB/B",
  },
  {
    name: "Her X-1",
    period_s: 1.24,
    ra: hms(16, 57, 49.81),
    dec: dms(35, 20, 32.5),
    flux_mCrab: 60,
    index: 1.0,
    cutoff_keV: 20,
    variability: "pulsing",
    type: "LMXB/XP",
  },
  {
    name: "OAO 1657-415",
    period_s: 37.03,
    ra: hms(17, 0, 48.9),
    dec: dms(-41, 39, 21.6),
    flux_mCrab: 70,
    index: 2.0,
    cutoff_keV: 25,
    variability: "pulsing",
    type: "HMXB/XP",
  },
  {
    name: "GX 339-4",
    ra: hms(17, 2, 49.38),
    dec: dms(-48, 47, 23.2),
    flux_mCrab: 100,
    index: 1.7,
    variability: "outburst",
    type: "LMXB/BH",
  },
  {
    name: "4U 1700-377",
    ra: hms(17, 3, 56.77),
    dec: dms(-37, 50, 38.9),
    flux_mCrab: 150,
    index: 2.5,
    cutoff_keV: 60,
    variability: "flaring",
    type: "HMXB/NS",
    aliases: ["HD 153919"],
  },
  {
    name: "GX 349+2",
    ra: hms(17, 5, 44.5),
    dec: dms(-36, 25, 23),
    flux_mCrab: 40,
    index: 3.2,
    variability: "steady",
    type: "LMXB/Z",
  },
  {
    name: "IGR J17091-3624",
    ra: hms(17, 9, 7.6),
    dec: dms(-36, 24, 25),
    flux_mCrab: 20,
    index: 2.2,
    variability: "flaring",
    type: "LMXB/BHC",
  },
  {
    name: "Swift J1727.8-1613",
    ra: hms(17, 27, 43.31),
    dec: dms(-16, 12, 19.2),
    flux_mCrab: 2000,
    index: 1.9,
    variability: "outburst",
    type: "LMXB/BHC",
  },
  {
    name: "4U 1728-34",
    ra: hms(17, 31, 57.7),
    dec: dms(-33, 50, 5),
    flux_mCrab: 50,
    index: 2.3,
    variability: "flaring",
    type: "LMXB/B",
    aliases: ["GX 354-0"],
  },
  {
    name: "GX 1+4",
    period_s: 159,
    ra: hms(17, 32, 2.16),
    dec: dms(-24, 44, 44.0),
    flux_mCrab: 80,
    index: 2.0,
    cutoff_keV: 40,
    variability: "pulsing",
    type: "LMXB/XP",
  },
  {
    name: "SLX 1735-269",
    ra: hms(17, 38, 17.1),
    dec: dms(-26, 59, 39),
    flux_mCrab: 15,
    index: 2.1,
    variability: "steady",
    type: "LMXB/B",
  },
  {
    name: "1E 1740.7-2942",
    ra: 265.97845833,
    dec: -29.74516667,
    flux_mCrab: 40,
    index: 1.8,
    variability: "steady",
    type: "LMXB/BHC",
  },
  {
    name: "1A 1742-294",
    ra: hms(17, 46, 5.2),
    dec: dms(-29, 30, 53),
    flux_mCrab: 25,
    index: 2.2,
    variability: "flaring",
    type: "LMXB/B",
  },
  {
    name: "H 1743-322",
    ra: hms(17, 46, 15.6),
    dec: dms(-32, 14, 1),
    flux_mCrab: 15,
    index: 1.8,
    variability: "outburst",
    type: "LMXB/BHC",
    aliases: ["IGR J17464-3213"],
  },
  {
    name: "1E 1743.1-2843",
    ra: hms(17, 46, 21.1),
    dec: dms(-28, 43, 42),
    flux_mCrab: 8,
    index: 2.3,
    variability: "steady",
    type: "LMXB?",
  },
  {
    name: "GX 3+1",
    ra: hms(17, 47, 56.0),
    dec: dms(-26, 33, 49),
    flux_mCrab: 25,
    index: 3.3,
    variability: "steady",
    type: "LMXB/B",
  },
  {
    name: "IGR J17544-2619",
    ra: hms(17, 54, 25.3),
    dec: dms(-26, 19, 53),
    flux_mCrab: 5,
    index: 2.0,
    variability: "flaring",
    type: "HMXB/SFXT",
  },
  {
    name: "GX 5-1",
    ra: hms(18, 1, 8.2),
    dec: dms(-25, 4, 42),
    flux_mCrab: 40,
    index: 3.4,
    variability: "steady",
    type: "LMXB/Z",
  },
  {
    name: "GRS 1758-258",
    ra: hms(18, 1, 12.4),
    dec: dms(-25, 44, 36),
    flux_mCrab: 60,
    index: 1.8,
    variability: "steady",
    type: "LMXB/BHC",
  },
  {
    name: "GX 9+1",
    ra: hms(18, 1, 32.3),
    dec: dms(-20, 31, 44),
    flux_mCrab: 20,
    index: 3.3,
    variability: "steady",
    type: "LMXB/Atoll",
  },
  {
    name: "GX 17+2",
    ra: hms(18, 16, 1.4),
    dec: dms(-14, 2, 11),
    flux_mCrab: 30,
    index: 3.2,
    variability: "steady",
    type: "LMXB/Z",
  },
  {
    name: "MAXI J1820+070",
    ra: 275.09142677,
    dec: 7.18535523,
    flux_mCrab: 3000,
    index: 1.6,
    variability: "outburst",
    type: "LMXB/BH",
    aliases: ["ASASSN-18ey"],
  },
  {
    name: "4U 1820-30",
    ra: hms(18, 23, 40.5),
    dec: dms(-30, 21, 40),
    flux_mCrab: 30,
    index: 2.8,
    variability: "steady",
    type: "LMXB/B",
  },
  {
    name: "3A 1822-371",
    ra: hms(18, 25, 46.8),
    dec: dms(-37, 6, 19),
    flux_mCrab: 20,
    index: 2.0,
    variability: "steady",
    type: "LMXB/ADC",
  },
  {
    name: "GS 1826-238",
    ra: hms(18, 29, 28.2),
    dec: dms(-23, 47, 49),
    flux_mCrab: 60,
    index: 1.9,
    variability: "flaring",
    type: "LMXB/B",
    aliases: ["Ginga 1826-24"],
  },
  {
    name: "SS 433",
    ra: hms(19, 11, 49.57),
    dec: dms(4, 58, 57.8),
    flux_mCrab: 10,
    index: 2.4,
    variability: "steady",
    type: "HMXB/Jet",
  },
  {
    name: "GRS 1915+105",
    ra: hms(19, 15, 11.55),
    dec: dms(10, 56, 44.8),
    flux_mCrab: 300,
    index: 2.7,
    variability: "flaring",
    type: "LMXB/BH",
  },
  {
    name: "KS 1947+300",
    period_s: 18.8,
    ra: hms(19, 49, 35.5),
    dec: dms(30, 12, 32),
    flux_mCrab: 15,
    index: 2.0,
    cutoff_keV: 30,
    variability: "outburst",
    type: "HMXB/XP",
  },
  {
    name: "4U 1954+319",
    ra: hms(19, 55, 42.3),
    dec: dms(32, 5, 49),
    flux_mCrab: 20,
    index: 2.0,
    cutoff_keV: 35,
    variability: "flaring",
    type: "LMXB/SyXB",
  },
  {
    name: "Cyg X-1",
    ra: hms(19, 58, 21.68),
    dec: dms(35, 12, 5.8),
    flux_mCrab: 900,
    index: 1.7,
    variability: "flaring",
    type: "HMXB/BH",
  },
  {
    name: "V404 Cyg",
    ra: hms(20, 24, 3.82),
    dec: dms(33, 52, 1.9),
    flux_mCrab: 10,
    index: 1.7,
    variability: "flaring",
    type: "LMXB/BH",
    aliases: ["GS 2023+338"],
  },
  {
    name: "EXO 2030+375",
    period_s: 41.3,
    ra: hms(20, 32, 15.3),
    dec: dms(37, 38, 15),
    flux_mCrab: 30,
    index: 2.0,
    cutoff_keV: 30,
    variability: "pulsing",
    type: "HMXB/XP",
  },
  {
    name: "Cyg X-3",
    ra: hms(20, 32, 25.78),
    dec: dms(40, 57, 28.0),
    flux_mCrab: 120,
    index: 3.0,
    variability: "flaring",
    type: "HMXB/Jet",
  },
  {
    name: "Cyg X-2",
    ra: hms(21, 44, 41.2),
    dec: dms(38, 19, 17),
    flux_mCrab: 20,
    index: 3.2,
    variability: "steady",
    type: "LMXB/Z",
  },
] as CatalogSource[]);

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_]+/g, "").replace(/^(the)/, "");
}

const INDEX = new Map<string, CatalogSource>();
for (const s of BRIGHT_SOURCES) {
  INDEX.set(normaliseName(s.name), s);
  for (const a of s.aliases ?? []) INDEX.set(normaliseName(a), s);
}

/**
 * Look a source up by name, ignoring case, spaces and underscores
 * (`"cyg x-1"`, `"CygX-1"`, `"GRS_1915+105"` all work). Returns `undefined` for
 * unknown names.
 *
 * @example
 * ```ts
 * import { resolveName } from "./sources.ts";
 * const s = resolveName("cyg x-1");
 * console.log(s?.name, s?.ra, s?.dec); // Cyg X-1 299.59 35.20
 * ```
 */
export function resolveName(name: string): CatalogSource | undefined {
  return INDEX.get(normaliseName(String(name)));
}

/**
 * Sources of the built-in catalogue within `radius` degrees of a position,
 * with their catalogue index (`meta_ID`).
 *
 * @example
 * ```ts
 * import { sourcesWithin } from "./sources.ts";
 * const gc = sourcesWithin(266.4, -29.0, 5); // the Galactic Centre crowd
 * ```
 */
export function sourcesWithin(
  ra: number,
  dec: number,
  radius: number,
): { source: CatalogSource; meta_ID: number; distance: number }[] {
  const out: { source: CatalogSource; meta_ID: number; distance: number }[] = [];
  BRIGHT_SOURCES.forEach((source, meta_ID) => {
    const distance = angularSeparation(ra, dec, source.ra, source.dec);
    if (distance <= radius) out.push({ source, meta_ID, distance });
  });
  return out;
}
