/**
 * Issue #17, product helpers: products whose `meta_data`, header values, column names and table / catalog
 * cells are objects with hostile `valueOf` / `toString` / `Symbol.toPrimitive`, throwing getters and proxies
 * go through every public product method, science function and display bundle; every call must end in a
 * value or an `OdaError` (never a TypeError from a conversion, never the hostile object's own error).
 * Fixed seed; in-process, a few seconds.
 */
import { ok as assert } from "node:assert/strict";
import { OdaError } from "../lib/errors.ts";
import { getLogger } from "../lib/log.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { NumpyDataUnit } from "../lib/products/numpy_data_unit.ts";
import { ApiCatalog } from "../lib/products/api_catalog.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { TextLikeProduct } from "../lib/products/text_like_product.ts";
import { ODAAstropyTable } from "../lib/products/oda_astropy_table.ts";
import { lightCurve } from "../lib/products/light_curve.ts";
import { skyImage } from "../lib/products/sky_image.ts";
import { wcsFromHeader } from "../lib/products/wcs.ts";
import { saveSpectrumSet, spectrumWithEnergies } from "../lib/products/spectrum.ts";
import { eboundsOf, ogipSpectrum, phaUnit, spectrumSets } from "../lib/products/spectrum_ogip.ts";
import { extractCatalog, toDs9Regions } from "../lib/products/extract_catalog.ts";
import {
  dataCollectionBundle,
  dataProductBundle,
  dataUnitBundle,
  headerText,
  productDisplay,
  productSummaryBundle,
  tableBundle,
} from "../lib/display/bundles.ts";
import {
  lightCurveBundle,
  plotImage,
  plotLightCurve,
  plotSpectrum,
  sourcesFromTable,
  spectrumBundle,
} from "../lib/display/plots.ts";
import { plotLightCurveAnalysis } from "../lib/display/science_plots.ts";
import { variability } from "../lib/science/variability.ts";
import { bayesianBlocks } from "../lib/science/bayesian_blocks.ts";
import { lombScargle } from "../lib/science/lomb_scargle.ts";
import { foldLightCurve } from "../lib/science/fold.ts";
import { writeLightCurveFits } from "../lib/science/light_curve_fits.ts";
import type { Table, TableColumn } from "../lib/data/ndarray.ts";
import { scienceWindowsDone, scienceWindowsTotal } from "../lib/display/progress.ts";
import { describeProduct, formatProductDescription, parseMetaData } from "../lib/client/description.ts";
import { describeParameter } from "../lib/client/catalogue.ts";
import { mulberry32 } from "../lib/sandbox/faults.ts";

getLogger("oda_api").setLevel("CRITICAL");

class Hostile extends Error {}
const boom = () => {
  throw new Hostile("hostile conversion called");
};

/** Values whose conversion to a primitive throws, lies or runs foreign code. */
const HOSTILE: (() => unknown)[] = [
  () => ({ toString: 1, valueOf: 1 }), // what a JSON answer can carry
  () => ({ toString: boom, valueOf: boom }),
  () => ({ [Symbol.toPrimitive]: boom }),
  () => Object.create(null),
  () => ({ valueOf: () => ({}), toString: () => ({}) }),
  () => [{ toString: 1 }],
  () => Object.defineProperty({}, "x", { get: boom, enumerable: true }),
  () => ({
    get toString() {
      return boom();
    },
    get valueOf() {
      return boom();
    },
  }),
  () =>
    new Proxy({}, {
      get: boom,
      has: boom,
      ownKeys: boom,
      getPrototypeOf: boom,
      getOwnPropertyDescriptor: boom,
    }),
  () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    return r.proxy;
  },
  () => Symbol("hostile"),
  () =>
    new Proxy([1, 2], {
      get: (t, k) => (k === "length" ? 2 : k === Symbol.iterator ? boom() : Reflect.get(t, k)),
    }),
];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function col(name: string, values: ArrayLike<unknown>, dtype = "<f8"): TableColumn {
  return { name, dtype, shape: [], values: values as TableColumn["values"] };
}
function table(columns: TableColumn[]): Table {
  return { kind: "table", length: columns[0]?.values.length ?? 0, columns } as Table;
}

/** A realistic product where some of the values the helpers read are replaced by hostile ones. */
function builder(r: () => number) {
  const h = () => pick(r, HOSTILE)();
  const maybe = (v: unknown, p = 0.35) => (r() < p ? h() : v);
  const n = 24;
  const numbers = (f: (i: number) => number): ArrayLike<unknown> => {
    const a = Float64Array.from({ length: n }, (_, i) => f(i));
    if (r() < 0.3) {
      const o: unknown[] = Array.from(a);
      for (let k = 0; k < 3; k++) o[Math.floor(r() * n)] = h();
      return o;
    }
    return a;
  };
  const name = (s: string) => maybe(s, 0.04) as string;
  const header = (base: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) out[k] = maybe(v);
    if (r() < 0.2) out[`HOSTILE${Math.floor(r() * 9)}`] = h();
    return out;
  };
  const unit = (init: ConstructorParameters<typeof NumpyDataUnit>[0]) => new NumpyDataUnit(init);
  const meta = (base: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) out[k] = maybe(v);
    return out;
  };
  return {
    lc: () =>
      new NumpyDataProduct({
        name: name("isgri_lc"),
        meta_data: meta({ src_name: "Crab", time: "TIME", rate: "RATE", rate_err: "ERROR", product: "lc" }),
        data_unit: [
          unit({ name: "PRIMARY", hdu_type: "primary", data_header: header({ ORIGIN: "ISDC" }) }),
          unit({
            name: name("ISGR-SRC.-LCR"),
            hdu_type: maybe("bintable", 0.03) as "bintable",
            data_header: header({
              TIMEUNIT: "d",
              TIMEZERO: 0,
              MJDREF: 51544,
              TIMESYS: "TT",
              E_MIN: 30,
              E_MAX: 80,
              NAME: "Crab",
              DETNAM: "ISGRI",
              TIMEDEL: 0.01,
            }),
            meta_data: meta({ a: 1 }),
            data: table([
              col(name("TIME"), numbers((i) => 6000 + i * 0.01)),
              col(name("RATE"), numbers((i) => 10 + Math.sin(i))),
              col(name("ERROR"), numbers(() => 0.5)),
              col(name("XAX_E"), numbers(() => 0.005)),
              col(name("FRACEXP"), numbers(() => 1)),
            ]),
          }),
        ],
      }),
    image: () =>
      new NumpyDataProduct({
        name: name("mosaic_image"),
        meta_data: meta({ src_name: "Crab", instrument: "isgri", product: "mosaic" }),
        data_unit: [
          unit({ name: "PRIMARY", hdu_type: "primary" }),
          ...["INTENSITY", "SIGNIFICANCE"].map((t) =>
            unit({
              name: name("ISGR-MOSA-IMA"),
              hdu_type: maybe("image", 0.03) as "image",
              data_header: header({
                IMATYPE: t,
                CTYPE1: "RA---TAN",
                CTYPE2: "DEC--TAN",
                CRVAL1: 83.6,
                CRVAL2: 22,
                CRPIX1: 4,
                CRPIX2: 4,
                CDELT1: -0.08,
                CDELT2: 0.08,
                E_MIN: 30,
                E_MAX: 80,
                INSTRUME: "IBIS",
              }),
              // an object-dtype image (a pickle can hold one) with hostile pixels, or a plain float one
              data: r() < 0.3
                ? {
                  kind: "ndarray",
                  dtype: "|O",
                  shape: [8, 8],
                  values: Array.from({ length: 64 }, (_, i) => (r() < 0.1 ? h() : (i * 7) % 13)),
                }
                : {
                  kind: "ndarray",
                  dtype: "<f4",
                  shape: [8, 8],
                  values: Float32Array.from({ length: 64 }, (_, i) => (i * 7) % 13),
                },
            })
          ),
        ],
      }),
    spectrum: () =>
      new NumpyDataProduct({
        name: name("isgri_spectrum"),
        meta_data: meta({ src_name: "Crab", product: "isgri_spectrum" }),
        data_unit: [
          unit({ name: "PRIMARY", hdu_type: "primary" }),
          unit({
            name: name("ISGR-EVTS-SPE"),
            hdu_type: maybe("bintable", 0.03) as "bintable",
            data_header: header({
              HDUCLAS1: "SPECTRUM",
              HDUCLAS2: "TOTAL",
              EXPOSURE: 1000,
              TELESCOP: "INTEGRAL",
            }),
            data: table([
              col(name("CHANNEL"), numbers((i) => i), "<i2"),
              col(name("RATE"), numbers((i) => 5 / (i + 1))),
              col(name("STAT_ERR"), numbers(() => 0.1)),
              col(name("QUALITY"), numbers(() => 0), "<i2"),
            ]),
          }),
        ],
      }),
    rmf: () =>
      new NumpyDataProduct({
        name: name("isgri_rmf"),
        meta_data: meta({ src_name: "Crab", product: "isgri_rmf" }),
        data_unit: [
          unit({ name: "PRIMARY", hdu_type: "primary" }),
          unit({
            name: name("EBOUNDS"),
            hdu_type: maybe("bintable", 0.03) as "bintable",
            data_header: header({ HDUCLAS1: "RESPONSE", HDUCLAS2: "EBOUNDS" }),
            data: table([
              col(name("CHANNEL"), numbers((i) => i), "<i2"),
              col(name("E_MIN"), numbers((i) => 20 + i * 5)),
              col(name("E_MAX"), numbers((i) => 25 + i * 5)),
            ]),
          }),
        ],
      }),
    text: () =>
      new TextLikeProduct(
        pick(r, [() => maybe("a note"), () => ({ lines: [maybe("x"), maybe(1)] }), () => [maybe("a"), 2]])(),
        "note",
        meta({ src_name: "Crab" }),
      ),
    astropyTable: () =>
      new ODAAstropyTable(
        table([
          col(name("a"), numbers((i) => i)),
          {
            name: "s",
            dtype: "|O",
            shape: [],
            values: Array.from({ length: n }, (_, i) => maybe(`s${i}`, 0.1)),
          },
        ] as TableColumn[]),
        "tab",
        meta({ kind: "table" }),
      ),
    catalog: () =>
      new ApiCatalog({
        cat_column_list: [
          [1, 2, 3],
          [maybe("Crab"), maybe("NEW_1"), maybe("A0535+26")],
          [maybe(80.5), maybe(9.1), 4.2],
          [maybe(83.63), maybe(84.1), 84.73],
          [22.01, maybe(21.5), maybe(26.32)],
          [0, maybe(1), 0],
          [0, 0, maybe(2)],
        ],
        cat_column_names: [
          "meta_ID",
          "src_names",
          maybe("significance", 0.1),
          "ra",
          "dec",
          "NEW_SOURCE",
          maybe("ISGRI_FLAG", 0.1),
        ],
        cat_column_descr: [["meta_ID", "<i8"], [maybe("ra"), "<f8"]],
        cat_lat_name: maybe("dec", 0.1),
        cat_lon_name: maybe("ra", 0.1),
        cat_coord_units: "deg",
        cat_frame: "fk5",
        cat_meta: maybe({ a: 1 }),
      }, "catalog"),
  };
}

const failures: string[] = [];
const counts = { calls: 0, values: 0, errors: 0 };

async function attempt(what: string, f: () => unknown): Promise<unknown> {
  counts.calls++;
  try {
    const v = await f();
    counts.values++;
    return v;
  } catch (e) {
    if (e instanceof OdaError) {
      counts.errors++;
      return undefined;
    }
    const desc = e instanceof Error
      ? `${e.name}: ${e.message} @ ${
        (e.stack ?? "").split("\n").filter((l) => l.includes("/lib/")).slice(0, 2).map((l) =>
          l.replace(/.*\/lib\//, "").replace(/\)$/, "")
        ).join(" < ")
      }`
      : typeof e;
    if (failures.length < 400) failures.push(`${what}: ${desc}`);
    return undefined;
  }
}

Deno.test("hostile values in products: every public product method, science function and display bundle ends in a value or an OdaError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda_hostile_products_" });
  try {
    const r = mulberry32(1717);
    const cases = 40;
    for (let c = 0; c < cases; c++) {
      const b = builder(r);
      // PNG thumbnails and periodograms cost ~10 ms each: one case in four draws them
      const heavy = c % 4 === 0;
      const products: unknown[] = [];
      const lcP = await attempt("build lc", b.lc) as NumpyDataProduct | undefined;
      const imgP = await attempt("build image", b.image) as NumpyDataProduct | undefined;
      const specP = await attempt("build spectrum", b.spectrum) as NumpyDataProduct | undefined;
      const rmfP = await attempt("build rmf", b.rmf) as NumpyDataProduct | undefined;
      const cat = await attempt("build catalog", b.catalog) as ApiCatalog | undefined;
      for (const make of [b.text, b.astropyTable]) {
        const p = await attempt("build text/table", make);
        if (!p) continue;
        products.push(p);
        await attempt("productDisplay text/table", () => productDisplay(p));
        if (p instanceof ODAAstropyTable) {
          await attempt("ODAAstropyTable.encode", () => p.encode());
          await attempt(
            "ODAAstropyTable.writeFile",
            () => p.writeFile(`${dir}/t${c}.ecsv`, { overwrite: true }),
          );
        }
      }
      for (const p of [lcP, imgP, specP, rmfP]) {
        if (!p) continue;
        products.push(p);
        await attempt("dataProductBundle", () => dataProductBundle(p));
        if (heavy) {
          await attempt("productSummaryBundle", () => productSummaryBundle(p));
          await attempt("productDisplay", () => productDisplay(p));
        }
        for (const u of p.data_unit) {
          await attempt("dataUnitBundle", () => dataUnitBundle(u));
          await attempt("headerText", () => headerText(u.header));
          await attempt("wcsFromHeader", () => wcsFromHeader(u.header));
          if (u.data?.kind === "table") await attempt("tableBundle", () => tableBundle(u.table));
        }
      }
      if (lcP) {
        const lc = await attempt("lightCurve", () => lightCurve(lcP)) as
          | ReturnType<typeof lightCurve>
          | undefined;
        await attempt("plotLightCurve", () => plotLightCurve(lcP).svg());
        if (lc) {
          await attempt("LightCurve.toTable", () => lc.toTable());
          await attempt("lightCurveBundle", () => lightCurveBundle(lc, { png: false }));
          await attempt("variability", () => variability(lc));
          await attempt("plotLightCurveAnalysis", () => plotLightCurveAnalysis(lc).svg());
          if (heavy) await attempt("lombScargle", () => lombScargle(lc));
          await attempt("foldLightCurve", () => foldLightCurve(lc, 0.05));
          await attempt("writeLightCurveFits", () => writeLightCurveFits(lc, `${dir}/lc${c}.fits`));
          await attempt("bayesianBlocks", () => bayesianBlocks(lc.time, lc.rate, lc.error));
        }
      }
      if (imgP) {
        for (const which of [undefined, "SIGNIFICANCE", "INTENSITY", 1]) {
          const img = await attempt("skyImage", () => skyImage(imgP, which)) as ReturnType<typeof skyImage>;
          if (img) await attempt("SkyImage.wcs", () => img.wcs);
        }
        await attempt("plotImage", () => plotImage(imgP).svg());
      }
      if (specP && rmfP) {
        const s = await attempt("spectrumWithEnergies", () => spectrumWithEnergies(specP, rmfP)) as
          | ReturnType<typeof spectrumWithEnergies>
          | undefined;
        if (s) await attempt("spectrumBundle", () => spectrumBundle(s, { png: false }));
        await attempt("plotSpectrum", () => plotSpectrum(specP, rmfP).svg());
        await attempt("phaUnit", () => phaUnit(specP));
        await attempt("eboundsOf", () => eboundsOf(rmfP));
        await attempt("ogipSpectrum", () => ogipSpectrum(specP, rmfP, { grouping: { minCounts: 5 } }));
        await attempt("spectrumSets", () => spectrumSets([specP, rmfP], ["isgri_spectrum", "isgri_rmf"]));
        await attempt(
          "saveSpectrumSet",
          () => saveSpectrumSet(specP, null, rmfP, { dir: `${dir}/s${c}`, overwrite: true }),
        );
      }
      if (cat) {
        products.push(cat);
        await attempt("ApiCatalog.table", () => cat.table.toTable());
        await attempt("extractCatalog", () => extractCatalog(cat, { det_sigma: 5 }));
        await attempt(
          "extractCatalog objects",
          () =>
            extractCatalog(cat, {
              objects_of_interest: [{ name: "X", ra: 84.1, dec: 21.5 }],
              include_new: true,
            }),
        );
        await attempt("toDs9Regions", () => toDs9Regions(cat));
        await attempt("sourcesFromTable", () => sourcesFromTable(cat.table.toTable()));
        await attempt("getApiDictionary", () => cat.getApiDictionary());
        await attempt("productDisplay catalog", () => productDisplay(cat));
      }
      const data = await attempt(
        "DataCollection",
        () => new DataCollection(products as ConstructorParameters<typeof DataCollection>[0]),
      ) as DataCollection | undefined;
      if (data) {
        await attempt("showText", () => data.showText());
        await attempt("asList", () => data.asList());
        await attempt("dataCollectionBundle", () => dataCollectionBundle(data));
        await attempt("productDisplay collection", () => productDisplay(data));
        await attempt(
          "saveAllData",
          () => data.saveAllData({ dir: `${dir}/${c}`, overwrite: true }),
        );
      }
    }
    console.log(`${cases} cases: ${counts.calls} calls, ${counts.values} values, ${counts.errors} OdaErrors`);
    assert(failures.length === 0, `non-OdaError escapes:\n${failures.join("\n")}`);
    // the class must exercise both outcomes, or it tests nothing
    assert(counts.values > counts.calls / 4 && counts.errors > 0, JSON.stringify(counts));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostile values in server descriptions and job reports (JSON-borne objects): a value or an OdaError", async () => {
  const r = mulberry32(1718);
  // what a JSON answer can carry in place of a string: objects whose toString/valueOf are not functions
  const jsonHostile = () =>
    pick<unknown>(r, [{ toString: 1, valueOf: 1 }, { toString: {} }, [{ valueOf: "x" }], {}, null, 7, true]);
  const maybe = (v: unknown) => (r() < 0.4 ? jsonHostile() : v);
  for (let c = 0; c < 60; c++) {
    const reports = [
      maybe({ node: "n", message: maybe("processing science window 6/12"), scw: maybe("066500230010.001") }),
      maybe({ node: "m", message: maybe("main done"), scw: "066500230020.001" }),
    ] as Record<string, unknown>[];
    await attempt("scienceWindowsTotal", () => scienceWindowsTotal(reports));
    await attempt("scienceWindowsDone", () => scienceWindowsDone(reports));
    const param = {
      name: maybe("E1_keV"),
      units: maybe("keV"),
      value: maybe(20),
      owl_uri: maybe([maybe("http://odahub.io/ontology#Energy_keV")]),
      restrictions: maybe({ allowed_values: maybe([maybe(20), 30]), is_optional: maybe(false) }),
    };
    const text = JSON.stringify([
      [{ query_name: maybe("src_query") }, param, { product_name: maybe("isgri_image") }],
      { instrumet: maybe("isgri"), prod_dict: maybe({ isgri_image: maybe("isgri_image_query") }) },
    ]);
    const opts = { instrument: "isgri", product: "isgri_image" };
    await attempt("parseMetaData", () => parseMetaData(text));
    await attempt("formatProductDescription", () => formatProductDescription(text, opts));
    const d = await attempt("describeProduct", () => describeProduct(text, opts)) as
      | ReturnType<typeof describeProduct>
      | undefined;
    for (const q of d?.queries ?? []) {
      for (const p of q.parameters ?? []) await attempt("describeParameter", () => describeParameter(p));
    }
    await attempt("describeParameter direct", () => describeParameter(param as never));
  }
  assert(failures.length === 0, `non-OdaError escapes:\n${failures.join("\n")}`);
});

Deno.test("hostile: an answer listing hundreds of thousands of products is walked without overflowing the stack", async () => {
  // decodeAnswerProducts spread each type's products into push(): past ~120 000 arguments the stack overflows
  // ("Maximum call stack size exceeded", reported as a DecodeError of a well-formed answer)
  const { decodeAnswerProducts } = await import("../lib/products/registry.ts");
  const n = 300_000;
  const many = {
    decode: (_p: Record<string, unknown>, list: (key: string) => unknown[]) => list("many_list") as string[],
  };
  const products = { many_list: Array.from({ length: n }, (_, i) => `p${i}`) };
  const out = decodeAnswerProducts(products, {}, [many]);
  assert(out.length === n && out[n - 1] === `p${n - 1}`, `${out.length} products`);
});
