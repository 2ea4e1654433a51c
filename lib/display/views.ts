/**
 * Mime bundles for the objects users look at: data units and products,
 * collections, tables and catalogs, light curves, spectra, mosaics, token
 * payloads and product descriptions. Every bundle has `text/plain`.
 *
 * These builders work on the *shapes* of the products (structural types), so
 * the products layer never imports the display layer; `register.ts` attaches
 * them to the product classes.
 *
 * @module
 */
import type { NdArray, Table, TableColumn } from "../data/ndarray.ts";
import { redactSecrets } from "../errors.ts";
import {
  DEFAULT_ROW_LIMIT,
  details,
  escapeHtml,
  formatValue,
  htmlTable,
  recordTable,
  tableToDataResource,
  tableToHtml,
  tableToText,
  viewHtml,
} from "./html.ts";
import { $display, type Displayable, mimeBase64, type MimeBundle } from "./jupyter.ts";
import { minMaxDecimate, takeIndices } from "./decimate.ts";
import { errorBarSpec, VEGALITE_MIME } from "./vegalite.ts";
import { plotSvg, svgToPng } from "./render.ts";
import { type MosaicOptions, mosaicPng, type SkySource } from "./image.ts";

// ------------------------------------------------------------ shapes

/**
 * The shape of a data unit (`NumpyDataUnit`).
 *
 * @example
 * ```ts
 * import { dataUnitBundle, type DataUnitLike } from "@oda-hub/oda-api/display";
 * const u: DataUnitLike = {
 *   name: "Primary",
 *   header: { SIMPLE: true, NAXIS: 0 },
 *   hdu_type: "primary",
 *   data: null,
 * };
 * console.log(dataUnitBundle(u)["text/plain"]);
 * ```
 */
export interface DataUnitLike {
  /** HDU name. */
  name: string;
  /** FITS header. */
  header: Record<string, unknown>;
  /** `image`, `bintable`, ... */
  hdu_type: string | null;
  /** Image, table, or nothing. */
  data: NdArray | Table | null;
  /** Column units. */
  units_dict?: Record<string, string> | null;
}

/**
 * The shape of a `NumpyDataProduct`.
 *
 * @example
 * ```ts
 * import { dataProductBundle, type DataProductLike } from "@oda-hub/oda-api/display";
 * const p: DataProductLike = {
 *   name: "isgri_lc",
 *   meta_data: { src_name: "Crab" },
 *   data_unit: [{ name: "Primary", header: {}, hdu_type: "primary", data: null }],
 * };
 * const bundle = dataProductBundle(p);
 * ```
 */
export interface DataProductLike {
  /** Product name. */
  name: string | null;
  /** Metadata dict. */
  meta_data: Record<string, unknown>;
  /** Data units. */
  data_unit: DataUnitLike[];
}

/**
 * The shape of a `DataCollection`.
 *
 * @example
 * ```ts
 * import { collectionShowText, type DataCollectionLike } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const empty: DataCollectionLike = { _p_list: [], _n_list: [] };
 * assert.equal(collectionShowText(empty), "");
 * ```
 */
export interface DataCollectionLike {
  /** Products in order. */
  _p_list: unknown[];
  /** Attribute names in order. */
  _n_list: string[];
}

/**
 * A light curve ready to plot (the products layer's helper gives this shape).
 *
 * @example
 * ```ts
 * import { plotLightCurve } from "@oda-hub/oda-api";
 * import { type LightCurveLike } from "@oda-hub/oda-api/display";
 * const lc: LightCurveLike = {
 *   time: [8000.1, 8000.2],
 *   rate: [12, 15],
 *   error: [1, 1.2],
 *   eMin: 30,
 *   eMax: 80,
 *   name: "Crab",
 * };
 * const view = plotLightCurve(lc);
 * ```
 */
export interface LightCurveLike {
  /** Bin centres, IJD (MJD − 51544). */
  time: ArrayLike<number>;
  /** Rate. */
  rate: ArrayLike<number>;
  /** Rate error. */
  error?: ArrayLike<number>;
  /** Bin half widths (days). */
  halfWidth?: ArrayLike<number>;
  /** Lower energy bound, keV. */
  eMin?: number;
  /** Upper energy bound, keV. */
  eMax?: number;
  /** Detector / instrument name (`DETNAM`). */
  detnam?: string;
  /** Source name (`NAME`). */
  name?: string;
  /** Rate unit. */
  rateUnit?: string;
}

/**
 * A spectrum ready to plot.
 *
 * @example
 * ```ts
 * import { plotSpectrum } from "@oda-hub/oda-api";
 * import { type SpectrumLike } from "@oda-hub/oda-api/display";
 * const s: SpectrumLike = {
 *   energy: [30, 50],
 *   halfWidth: [10, 10],
 *   ratePerKeV: [0.2, 0.08],
 *   error: [0.01, 0.01],
 *   name: "Crab",
 * };
 * const view = plotSpectrum(s);
 * ```
 */
export interface SpectrumLike {
  /** Bin centre energies, keV. */
  energy: ArrayLike<number>;
  /** Bin half widths, keV. */
  halfWidth?: ArrayLike<number>;
  /** Rate per keV. */
  ratePerKeV: ArrayLike<number>;
  /** Its error. */
  error?: ArrayLike<number>;
  /** Source name. */
  name?: string;
  /** Instrument. */
  instrument?: string;
}

// ------------------------------------------------------------ helpers

function isNdArray(d: unknown): d is NdArray {
  return !!d && (d as NdArray).kind === "ndarray";
}
function isTable(d: unknown): d is Table {
  return !!d && (d as Table).kind === "table" && Array.isArray((d as Table).columns);
}

/**
 * A short description of a unit's data: `image float32 [400, 400]`,
 * `table 1000 rows × 5 columns`, `empty`.
 *
 * @example
 * ```ts
 * import { dataShapeText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(dataShapeText({ kind: "ndarray", dtype: "<f4", shape: [2, 3], values: new Float32Array(6) }), "image <f4 [2, 3]");
 * ```
 */
export function dataShapeText(d: NdArray | Table | null | undefined): string {
  if (isNdArray(d)) return `${d.shape.length >= 2 ? "image" : "array"} ${d.dtype} [${d.shape.join(", ")}]`;
  if (isTable(d)) return `table ${d.length} rows × ${d.columns.length} columns`;
  return "empty";
}

/**
 * FITS-card-like text of a header (strings quoted, secrets redacted).
 *
 * @example
 * ```ts
 * import { headerText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(headerText({ EXTNAME: "EBOUNDS", NAXIS: 2 }), "EXTNAME = 'EBOUNDS'\nNAXIS   = 2");
 * ```
 */
export function headerText(h: Record<string, unknown>): string {
  return Object.entries(h).map(([k, v]) => {
    const val = typeof v === "string"
      ? `'${v}'`
      : typeof v === "boolean"
      ? (v ? "T" : "F")
      : formatValue(v, 70);
    return `${k.padEnd(8)}= ${redactSecrets(val)}`;
  }).join("\n");
}

function columnsTable(cols: TableColumn[]): string {
  return htmlTable({
    headers: ["column", "dtype", "shape", "unit"],
    rows: cols.map((
      c,
    ) => [c.name, c.dtype, c.shape.length ? `[${c.shape.join(", ")}]` : "scalar", c.unit ?? ""]),
  });
}

/**
 * HTML of one data unit: name, HDU type, data shape, columns (for tables),
 * the first rows, and the header collapsed.
 *
 * @example
 * ```ts
 * import { dataUnitHtml } from "@oda-hub/oda-api/display";
 * dataUnitHtml({ name: "PRIMARY", header: { SIMPLE: true }, hdu_type: "primary", data: null });
 * ```
 */
export function dataUnitHtml(u: DataUnitLike, rowLimit = 10): string {
  const parts = [
    `<div class="title">${escapeHtml(u.name)}${
      typeof u.header?.IMATYPE === "string" ? ` <span class="sub">${escapeHtml(u.header.IMATYPE)}</span>` : ""
    } <span class="sub">(${escapeHtml(u.hdu_type ?? "")}) ${escapeHtml(dataShapeText(u.data))}</span></div>`,
  ];
  if (isTable(u.data)) {
    parts.push(details(`columns (${u.data.columns.length})`, columnsTable(u.data.columns)));
    parts.push(details(`first rows`, tableToHtml(u.data, { limit: rowLimit })));
  } else if (isNdArray(u.data)) {
    const st = arrayStats(u.data.values as ArrayLike<number>);
    if (st) {
      parts.push(
        `<div class="sub">min ${formatValue(st.min)} · max ${formatValue(st.max)} · NaN ${st.nan}</div>`,
      );
    }
  }
  const n = Object.keys(u.header ?? {}).length;
  if (n) parts.push(details(`header (${n} cards)`, `<pre>${escapeHtml(headerText(u.header))}</pre>`));
  return parts.join("");
}

function arrayStats(v: ArrayLike<number>): { min: number; max: number; nan: number } | undefined {
  if (!v || typeof v.length !== "number" || typeof v[0] !== "number" && v.length) return undefined;
  let min = Infinity, max = -Infinity, nan = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) nan++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return { min, max, nan };
}

function metaText(p: DataProductLike): string {
  const repr = (p as { metaDataRepr?: () => string }).metaDataRepr;
  if (typeof repr === "function") {
    try {
      return redactSecrets(repr.call(p));
    } catch { /* fall through */ }
  }
  return redactSecrets(JSON.stringify(p.meta_data));
}

/**
 * Bundle of a `NumpyDataProduct`: name, metadata table, and every data unit
 * (shapes, dtypes, columns, header collapsible).
 *
 * @example
 * ```ts
 * import { dataProductBundle } from "@oda-hub/oda-api/display";
 * const b = dataProductBundle({ name: "lc", meta_data: { src_name: "Crab" }, data_unit: [] });
 * console.log(b["text/plain"]);
 * ```
 */
export function dataProductBundle(p: DataProductLike): MimeBundle {
  const text = [
    `NumpyDataProduct ${p.name ?? "None"}  meta_data: ${metaText(p)}`,
    ...p.data_unit.map((u, i) =>
      `  data_unit[${i}] ${u.name} (${u.hdu_type ?? "?"}): ${dataShapeText(u.data)}`
    ),
  ].join("\n");
  const meta = Object.keys(p.meta_data ?? {}).length ? recordTable(p.meta_data, ["meta_data", "value"]) : "";
  const units = p.data_unit.map((u, i) =>
    `<div style="margin:4px 0 4px 8px;border-left:3px solid #e5e7eb;padding-left:8px"><span class="sub">data_unit[${i}]</span> ${
      dataUnitHtml(u)
    }</div>`
  ).join("");
  return {
    "text/plain": text,
    "text/html": viewHtml(
      `<div class="title">NumpyDataProduct ${escapeHtml(p.name ?? "None")}</div>${meta}${units}`,
    ),
  };
}

/**
 * Bundle of one data unit.
 *
 * @example
 * ```ts
 * import { dataUnitBundle } from "@oda-hub/oda-api/display";
 * dataUnitBundle({ name: "PRIMARY", header: {}, hdu_type: "primary", data: null })["text/plain"];
 * ```
 */
export function dataUnitBundle(u: DataUnitLike): MimeBundle {
  return {
    "text/plain": `NumpyDataUnit ${u.name} (${u.hdu_type ?? "?"}): ${dataShapeText(u.data)}`,
    "text/html": viewHtml(dataUnitHtml(u)),
  };
}

/**
 * Bundle of a table or catalog: HTML with at most `limit` rows (units and
 * dtypes in the header), the tabular data resource, and aligned text.
 *
 * @example
 * ```ts
 * import { tableBundle } from "@oda-hub/oda-api/display";
 * const t = { kind: "table" as const, length: 1, columns: [
 *   { name: "ra", dtype: "<f8", shape: [], unit: "deg", values: new Float64Array([83.6]) }] };
 * Object.keys(tableBundle(t)); // text/plain, text/html, application/vnd.dataresource+json
 * ```
 */
export function tableBundle(t: Table, opts: { limit?: number; title?: string } = {}): MimeBundle {
  const limit = opts.limit ?? DEFAULT_ROW_LIMIT;
  const title = opts.title ? `<div class="title">${escapeHtml(opts.title)}</div>` : "";
  return {
    "text/plain": (opts.title ? opts.title + "\n" : "") + tableToText(t),
    "text/html": viewHtml(title + tableToHtml(t, { limit })),
    "application/vnd.dataresource+json": tableToDataResource(t, limit),
  };
}

/** Kind label of a product object (class name). */
function kindOf(p: unknown): string {
  const n = (p as { constructor?: { name?: string } })?.constructor?.name;
  return n && n !== "Object" ? n : typeof p;
}

function unitsSummary(p: unknown): string {
  const units = (p as DataProductLike).data_unit;
  if (Array.isArray(units)) {
    return units.map((u) => {
      const kind = typeof u.header?.IMATYPE === "string" ? ` (${u.header.IMATYPE})` : "";
      return `${u.name}${kind}: ${dataShapeText(u.data)}`;
    }).join("\n");
  }
  let table = (p as { table?: unknown }).table;
  const toTable = (table as { toTable?: () => Table } | undefined)?.toTable;
  if (typeof toTable === "function") table = toTable.call(table);
  if (isTable(table)) return `${table.length} rows × ${table.columns.length} columns`;
  return "";
}

function productMeta(p: unknown): string {
  const m = (p as DataProductLike).meta_data;
  if (m && typeof m === "object") return metaText(p as DataProductLike);
  return "";
}

/**
 * The `show()` lines of a collection, computed without printing:
 * `ID=<i> prod_name=<name>  meta_data: <dict>`.
 *
 * @example
 * ```ts
 * import { collectionShowText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(collectionShowText({ _p_list: [], _n_list: [] }), "");
 * ```
 */
export function collectionShowText(c: DataCollectionLike): string {
  const own = (c as { showText?: () => string }).showText;
  if (typeof own === "function") return own.call(c);
  const list = (c as { asList?: () => { ID: number; prod_name: string; "meta_data:": unknown }[] }).asList;
  if (typeof list === "function") {
    return list.call(c).map((e, i) => {
      const p = c._p_list[i];
      const meta = p && typeof (p as DataProductLike).meta_data === "object" &&
          !Array.isArray((p as DataProductLike).meta_data)
        ? productMeta(p)
        : typeof e["meta_data:"] === "string"
        ? redactSecrets(e["meta_data:"])
        : productMeta(p);
      return `ID=${e.ID} prod_name=${e.prod_name}  meta_data: ${meta}`;
    }).join("\n");
  }
  return c._p_list.map((p, i) => `ID=${i} prod_name=${c._n_list[i]}  meta_data: ${productMeta(p)}`).join(
    "\n",
  );
}

/**
 * Bundle of a `DataCollection`: a table with ID, attribute name, product
 * kind, metadata and data units with shapes, plus the `show()` text.
 *
 * @example
 * ```ts
 * import { dataCollectionBundle } from "@oda-hub/oda-api/display";
 * dataCollectionBundle({ _p_list: [], _n_list: [] })["text/plain"];
 * ```
 */
export function dataCollectionBundle(c: DataCollectionLike): MimeBundle {
  const rows = c._p_list.map((p, i) => [
    String(i),
    c._n_list[i] ?? "",
    kindOf(p),
    productMeta(p),
    unitsSummary(p),
  ]);
  const html = htmlTable({
    headers: ["ID", "attribute", "kind", "meta_data", "data units"],
    rows: rows.map((r) => [
      ...r.slice(0, 4),
      `<span style="white-space:nowrap">${escapeHtml(r[4]).split("\n").join("<br>")}</span>`,
    ]),
    rawHtml: (_r, col) => col === 4,
  });
  return {
    "text/plain": collectionShowText(c),
    "text/html": viewHtml(
      `<div class="title">DataCollection: ${c._p_list.length} product${
        c._p_list.length === 1 ? "" : "s"
      }</div>${html}`,
    ),
  };
}

// ------------------------------------------------------------ light curves

/**
 * Points kept in the interactive (Vega-Lite) light curve; longer ones are min/max decimated.
 *
 * @example
 * ```ts
 * import { minMaxDecimate, VEGALITE_MAX_POINTS } from "@oda-hub/oda-api/display";
 * const rate = Float64Array.from({ length: 100_000 }, () => Math.random());
 * const keep = minMaxDecimate(rate, VEGALITE_MAX_POINTS); // what the interactive plot keeps
 * ```
 */
export const VEGALITE_MAX_POINTS = 5000;

/**
 * Labels of a light curve, as the seed notebook makes them.
 *
 * @example
 * ```ts
 * import { lightCurveLabels } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(lightCurveLabels({ time: [], rate: [], detnam: "ISGRI", name: "Crab", eMin: 30, eMax: 80 }).yLabel, "Rate [30-80 keV]");
 * ```
 */
export function lightCurveLabels(lc: LightCurveLike): { title: string; xLabel: string; yLabel: string } {
  const title = lc.detnam || lc.name
    ? `${lc.detnam ?? ""} light curve of ${lc.name ?? ""}`.trim()
    : "Light curve";
  const band = lc.eMin !== undefined && lc.eMax !== undefined
    ? ` [${Math.round(lc.eMin)}-${Math.round(lc.eMax)} keV]`
    : "";
  return {
    title,
    xLabel: "Time [IJD = MJD - 51544]",
    yLabel: `Rate${band}${!band && lc.rateUnit ? ` [${lc.rateUnit}]` : ""}`,
  };
}

/**
 * Bundle of a light curve: a Vega-Lite v5 plot (at most
 * {@linkcode VEGALITE_MAX_POINTS} points, min/max decimated so every extreme
 * stays), a static SVG and PNG of the same (decimated to the pixel width),
 * and a text summary. nbconvert and the classic notebook show the PNG;
 * JupyterLab shows the interactive plot.
 *
 * @example
 * ```ts
 * import { lightCurveBundle } from "@oda-hub/oda-api/display";
 * const b = await lightCurveBundle({ time: [1, 2, 3], rate: [5, 6, 4], error: [1, 1, 1], detnam: "ISGRI", name: "Crab" });
 * console.log(Object.keys(b));
 * ```
 */
export async function lightCurveBundle(
  lc: LightCurveLike,
  opts: { png?: boolean; svg?: boolean; title?: string } = {},
): Promise<MimeBundle> {
  const labels = lightCurveLabels(lc);
  if (opts.title) labels.title = opts.title;
  const n = Math.min(lc.time.length, lc.rate.length);
  const idx = minMaxDecimate(lc.rate, VEGALITE_MAX_POINTS, lc.error);
  const pick = (a?: ArrayLike<number>) => (a ? takeIndices(a, idx) : undefined);
  const spec = errorBarSpec({
    x: pick(lc.time)!,
    y: pick(lc.rate)!,
    yerr: pick(lc.error),
    xerr: pick(lc.halfWidth),
  }, labels);
  // static image: one bucket (min, max and the error-bar extremes) per ~1.6 px of the ~640 px plot is
  // enough; more points only make the rasteriser slower (2600 → 1600 points: ~1.6× faster PNG)
  const sIdx = minMaxDecimate(lc.rate, 1600, lc.error);
  const svg = plotSvg(
    [{
      x: takeIndices(lc.time, sIdx),
      y: takeIndices(lc.rate, sIdx),
      yerr: lc.error && takeIndices(lc.error, sIdx),
      xerr: lc.halfWidth && takeIndices(lc.halfWidth, sIdx),
      color: "#111827",
    }],
    labels,
  );
  const bundle: MimeBundle = {
    "text/plain": `${labels.title}: ${n} bins${idx.length < n ? ` (plot decimated to ${idx.length})` : ""}${
      n ? `, time ${formatValue(Number(lc.time[0]))} … ${formatValue(Number(lc.time[n - 1]))} IJD` : ""
    }`,
    [VEGALITE_MIME]: spec,
  };
  if (opts.svg !== false) bundle["image/svg+xml"] = svg;
  if (opts.png !== false) {
    const png = await svgToPng(svg);
    if (png) bundle["image/png"] = mimeBase64(png);
  }
  return bundle;
}

/**
 * Bundle of a spectrum: rate per keV against energy on log axes (Vega-Lite,
 * SVG and PNG).
 *
 * @example
 * ```ts
 * import { spectrumBundle } from "@oda-hub/oda-api/display";
 * const b = await spectrumBundle({ energy: [25, 35], halfWidth: [5, 5], ratePerKeV: [0.1, 0.05], error: [0.01, 0.01] });
 * ```
 */
export async function spectrumBundle(s: SpectrumLike, opts: { png?: boolean } = {}): Promise<MimeBundle> {
  const title = `${s.instrument ? s.instrument + " " : ""}spectrum${s.name ? " of " + s.name : ""}`;
  const labels = { title, xLabel: "Energy [keV]", yLabel: "Rate [counts/s/keV]", xLog: true, yLog: true };
  const spec = errorBarSpec({ x: s.energy, y: s.ratePerKeV, yerr: s.error, xerr: s.halfWidth }, labels);
  const svg = plotSvg(
    [{ x: s.energy, y: s.ratePerKeV, yerr: s.error, xerr: s.halfWidth, color: "#111827" }],
    labels,
  );
  const bundle: MimeBundle = {
    "text/plain": `${title}: ${s.energy.length} channels`,
    [VEGALITE_MIME]: spec,
    "image/svg+xml": svg,
  };
  if (opts.png !== false) {
    const png = await svgToPng(svg);
    if (png) bundle["image/png"] = mimeBase64(png);
  }
  return bundle;
}

/**
 * Bundle of a sky image: a PNG with colour map, scale bar, RA/Dec grid and
 * circled, labelled catalog sources.
 *
 * @example
 * ```ts
 * import { mosaicBundle } from "@oda-hub/oda-api/display";
 * const b = await mosaicBundle(new Float32Array(16), [4, 4], { title: "tiny" });
 * ```
 */
export async function mosaicBundle(
  values: ArrayLike<number>,
  shape: number[],
  opts: MosaicOptions = {},
): Promise<MimeBundle> {
  const png = await mosaicPng(values, shape, opts);
  const srcs = opts.sources ?? [];
  return {
    "text/plain": `${opts.title ?? "image"} [${shape.join(", ")}]${
      srcs.length ? `, ${srcs.length} catalog sources` : ""
    }`,
    "image/png": mimeBase64(png),
  };
}

/**
 * Catalog sources from a table with `ra`/`dec` columns (and `src_names`,
 * `significance`, `NEW_SOURCE` when present). Sources whose name starts with
 * "NEW" or whose NEW_SOURCE flag is positive are marked new.
 *
 * @example
 * ```ts
 * import { sourcesFromTable } from "@oda-hub/oda-api/display";
 * sourcesFromTable({ kind: "table", length: 1, columns: [
 *   { name: "ra", dtype: "<f8", shape: [], values: new Float64Array([275.1]) },
 *   { name: "dec", dtype: "<f8", shape: [], values: new Float64Array([7.2]) },
 *   { name: "src_names", dtype: "<U14", shape: [], values: ["MAXI J1820+070"] }] });
 * ```
 */
export function sourcesFromTable(t: Table): SkySource[] {
  const col = (...names: string[]) =>
    t.columns.find((c) => names.some((n) => c.name.toLowerCase() === n.toLowerCase()));
  const ra = col("ra", "ra_obj", "ra_fin"), dec = col("dec", "dec_obj", "dec_fin");
  if (!ra || !dec) return [];
  const name = col("src_names", "name", "src_name", "source");
  const sig = col("significance", "detsig", "sig");
  const isNew = col("NEW_SOURCE");
  const out: SkySource[] = [];
  for (let i = 0; i < t.length; i++) {
    const nm = name ? String((name.values as ArrayLike<unknown>)[i]) : undefined;
    const flag = isNew ? Number((isNew.values as ArrayLike<unknown>)[i]) : 0;
    out.push({
      ra: Number((ra.values as ArrayLike<unknown>)[i]),
      dec: Number((dec.values as ArrayLike<unknown>)[i]),
      name: nm,
      significance: sig ? Number((sig.values as ArrayLike<unknown>)[i]) : undefined,
      isNew: (nm !== undefined && /^NEW/i.test(nm)) || flag > 0,
    });
  }
  return out;
}

// ------------------------------------------------------------ extraction from products

function colValues(t: Table, ...names: string[]): ArrayLike<number> | undefined {
  const c = t.columns.find((c) => names.some((n) => c.name.toUpperCase() === n));
  if (!c || Array.isArray(c.values)) return undefined;
  if (c.values instanceof BigInt64Array || c.values instanceof BigUint64Array) {
    return Float64Array.from(c.values, Number);
  }
  return c.values as ArrayLike<number>;
}

function headerNum(h: Record<string, unknown>, k: string): number | undefined {
  const v = h?.[k];
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Light-curve arrays from a product with a TIME/RATE(/ERROR, XAX_E) table:
 * time converted to IJD from the header's MJDREF/TIMEUNIT, rows with zero or
 * NaN rate and error dropped (as the seed's plotting cell does), labels from
 * DETNAM, NAME, E_MIN, E_MAX. `undefined` when the product is no light curve.
 *
 * @example
 * ```ts
 * import { lightCurveFromProduct } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(lightCurveFromProduct({ name: "x", meta_data: {}, data_unit: [] }), undefined);
 * ```
 */
export function lightCurveFromProduct(p: DataProductLike): LightCurveLike | undefined {
  for (const u of p.data_unit) {
    if (!isTable(u.data)) continue;
    const t = u.data, h = u.header ?? {};
    const time = colValues(t, "TIME"), rate = colValues(t, "RATE", "FLUX", "COUNTS");
    if (!time || !rate) continue;
    const err = colValues(t, "ERROR", "RATE_ERR", "FLUX_ERR", "STAT_ERR");
    const xax = colValues(t, "XAX_E", "TIMEDEL");
    const unit = String(h.TIMEUNIT ?? "d").trim().toLowerCase();
    const mjdref = headerNum(h, "MJDREF") ??
      ((headerNum(h, "MJDREFI") ?? NaN) + (headerNum(h, "MJDREFF") ?? 0));
    const ref = Number.isFinite(mjdref) ? mjdref - 51544 : 0;
    const toDays = unit === "s" ? 1 / 86400 : 1;
    const keep: number[] = [];
    for (let i = 0; i < t.length; i++) {
      const r = rate[i], e = err ? err[i] : 1;
      if (!Number.isFinite(r) || !Number.isFinite(time[i])) continue;
      if (err && (r === 0 && e === 0 || !Number.isFinite(e))) continue;
      keep.push(i);
    }
    const tOut = new Float64Array(keep.length), rOut = new Float64Array(keep.length);
    const eOut = err ? new Float64Array(keep.length) : undefined;
    const wOut = xax ? new Float64Array(keep.length) : undefined;
    keep.forEach((i, k) => {
      tOut[k] = time[i] * toDays + ref;
      rOut[k] = rate[i];
      if (eOut) eOut[k] = err![i];
      if (wOut) wOut[k] = xax![i] * (unit === "s" || xax === colValues(t, "TIMEDEL") ? toDays : 1);
    });
    const str = (
      k: string,
    ) => (typeof h[k] === "string" && (h[k] as string).trim() ? (h[k] as string).trim() : undefined);
    return {
      time: tOut,
      rate: rOut,
      error: eOut,
      halfWidth: wOut,
      eMin: headerNum(h, "E_MIN"),
      eMax: headerNum(h, "E_MAX"),
      detnam: str("INSTRUME") === "SPI" && str("DETNAM") === "ACS"
        ? "SPI-ACS"
        : str("DETNAM") ?? str("INSTRUME"),
      name: str("NAME") ?? str("OBJECT") ??
        (typeof p.meta_data?.src_name === "string" ? p.meta_data.src_name : undefined),
      rateUnit: t.columns.find((c) => c.name.toUpperCase() === "RATE")?.unit,
    };
  }
  return undefined;
}

/**
 * The 2-D image of a product to show, with its header: the unit given by
 * index, IMATYPE or name, else the SIGNIFICANCE map of an INTEGRAL mosaic,
 * else the first image (`undefined` if none).
 *
 * @example
 * ```ts
 * import { imageFromProduct } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(imageFromProduct({ name: "x", meta_data: {}, data_unit: [] }), undefined);
 * ```
 */
export function imageFromProduct(
  p: DataProductLike,
  which?: number | string,
): { unit: DataUnitLike; image: NdArray } | undefined {
  const images = p.data_unit.filter((u) => {
    if (!isNdArray(u.data) || u.data.shape.length < 2) return false;
    const [ny, nx] = u.data.shape.slice(-2);
    return ny > 1 && nx > 1;
  });
  let u: DataUnitLike | undefined;
  if (typeof which === "number") u = p.data_unit[which];
  else if (typeof which === "string") {
    u = images.find((x) => String(x.header?.IMATYPE ?? "").toUpperCase() === which.toUpperCase()) ??
      images.find((x) => x.name === which);
  } else {
    u = images.find((x) => String(x.header?.IMATYPE ?? "").toUpperCase() === "SIGNIFICANCE") ?? images[0];
  }
  return u && images.includes(u) ? { unit: u, image: u.data as NdArray } : undefined;
}

/**
 * Spectrum arrays from a spectrum product (CHANNEL, RATE or COUNTS,
 * STAT_ERR) and the EBOUNDS extension of its response (RMF) product:
 * rate per keV at the bin centre energies.
 *
 * @example
 * ```ts
 * import { spectrumFromProducts } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(spectrumFromProducts({ name: "s", meta_data: {}, data_unit: [] }, { name: "r", meta_data: {}, data_unit: [] }), undefined);
 * ```
 */
export function spectrumFromProducts(spec: DataProductLike, rmf: DataProductLike): SpectrumLike | undefined {
  const isEbounds = (u: DataUnitLike) =>
    isTable(u.data) && !!colValues(u.data, "E_MIN") && !!colValues(u.data, "E_MAX") &&
    !!colValues(u.data, "CHANNEL");
  const eb =
    rmf.data_unit.find((u) =>
      isEbounds(u) && /EBOUNDS|EBDS/i.test(`${u.name} ${u.header?.HDUCLAS2 ?? ""}`)
    ) ??
      rmf.data_unit.find(isEbounds);
  const su = spec.data_unit.find((u) => isTable(u.data) && colValues(u.data as Table, "CHANNEL"));
  if (!eb || !su) return undefined;
  const et = eb.data as Table, st = su.data as Table;
  const ech = colValues(et, "CHANNEL"), emin = colValues(et, "E_MIN"), emax = colValues(et, "E_MAX");
  const ch = colValues(st, "CHANNEL");
  let rate = colValues(st, "RATE");
  let err = colValues(st, "STAT_ERR");
  const exposure = headerNum(su.header, "EXPOSURE") ?? 1;
  if (!rate) {
    const counts = colValues(st, "COUNTS");
    if (!counts) return undefined;
    rate = Float64Array.from(counts, (c) => c / exposure);
    err = err
      ? Float64Array.from(err, (e) => e / exposure)
      : Float64Array.from(counts, (c) => Math.sqrt(Math.max(c, 0)) / exposure);
  }
  if (!ech || !emin || !emax || !ch) return undefined;
  const byCh = new Map<number, number>();
  for (let i = 0; i < ech.length; i++) byCh.set(Number(ech[i]), i);
  const e: number[] = [], w: number[] = [], r: number[] = [], de: number[] = [];
  for (let i = 0; i < ch.length; i++) {
    const k = byCh.get(Number(ch[i]));
    if (k === undefined) continue;
    const width = emax[k] - emin[k];
    if (!(width > 0)) continue;
    e.push((emin[k] + emax[k]) / 2);
    w.push(width / 2);
    r.push(rate[i] / width);
    de.push(err ? err[i] / width : 0);
  }
  const m = spec.meta_data ?? {};
  return {
    energy: e,
    halfWidth: w,
    ratePerKeV: r,
    error: err ? de : undefined,
    name: typeof m.src_name === "string" ? m.src_name : undefined,
    instrument: String(su.header?.INSTRUME ?? m.instrument ?? "") || undefined,
  };
}

// ------------------------------------------------------------ descriptions

/**
 * The shape of a product description (`getProductDescription()` result).
 *
 * @example
 * ```ts
 * import { type ProductDescriptionLike, productDescriptionView } from "@oda-hub/oda-api/display";
 * const d: ProductDescriptionLike = {
 *   instrument: "isgri",
 *   product: "isgri_image",
 *   queries: [{ query_name: "src_query", parameters: [{ name: "RA", units: "deg", value: 83.63 }] }],
 * };
 * const view = productDescriptionView(d); // shows a query / parameter / default / units table
 * ```
 */
export interface ProductDescriptionLike {
  /** Instrument. */
  instrument: string;
  /** Product. */
  product: string;
  /** Queries with their parameters. */
  queries: {
    query_name: string;
    product_name?: string;
    parameters: { name: string; units: string | null; value: unknown }[];
  }[];
  /** The printed listing. */
  text?: string;
}

/**
 * Bundle of a product description: one tidy table (query, parameter,
 * default value, units) plus the oda_api-style listing as text.
 *
 * @example
 * ```ts
 * import { productDescriptionBundle } from "@oda-hub/oda-api/display";
 * productDescriptionBundle({ instrument: "isgri", product: "isgri_lc", queries: [
 *   { query_name: "src_query", parameters: [{ name: "RA", units: "deg", value: 0 }] }] });
 * ```
 */
export function productDescriptionBundle(d: ProductDescriptionLike): MimeBundle {
  const rows: string[][] = [];
  for (const q of d.queries) {
    for (const p of q.parameters) {
      // defaults in full precision (coordinates!), not the 6 significant digits of data tables
      const v = typeof p.value === "number" ? String(p.value) : formatValue(p.value, 120);
      rows.push([q.query_name, p.name, v, p.units ?? "None"]);
    }
    if (!q.parameters.length) {
      rows.push([q.query_name, q.product_name ? `(product ${q.product_name})` : "", "", ""]);
    }
  }
  return {
    "text/plain": d.text ?? rows.map((r) => r.join("  ")).join("\n"),
    "text/html": viewHtml(
      `<div class="title">parameters for product ${escapeHtml(d.product)} and instrument ${
        escapeHtml(d.instrument)
      }</div>` +
        htmlTable({ headers: ["query", "parameter", "default value", "units"], rows }),
    ),
  };
}

/**
 * Wrap a product description so it displays as a table in a notebook.
 *
 * @example
 * ```ts
 * import { productDescriptionView } from "@oda-hub/oda-api/display";
 * const view = productDescriptionView({ instrument: "isgri", product: "isgri_lc", queries: [] });
 * ```
 */
export function productDescriptionView<T extends ProductDescriptionLike>(d: T): T & Displayable {
  Object.defineProperty(d, $display, {
    value: () => productDescriptionBundle(d),
    enumerable: false,
    configurable: true,
  });
  return d as T & Displayable;
}

// ------------------------------------------------------------ plot views

/**
 * A lazily built plot: displayed by the kernel (the bundle is computed when
 * shown), or shown now with `await view.show()`.
 *
 * @example
 * ```ts
 * import { PlotView } from "@oda-hub/oda-api";
 * const v = new PlotView("demo", () => Promise.resolve({ "text/plain": "demo" }));
 * const b = await v.bundle();
 * ```
 */
export class PlotView {
  /** Short description (the text form). */
  readonly label: string;
  #build: () => Promise<MimeBundle>;
  #cached?: Promise<MimeBundle>;

  /** Wrap a bundle builder. */
  constructor(label: string, build: () => Promise<MimeBundle>) {
    this.label = label;
    this.#build = build;
  }

  /** The mime bundle (built once). */
  bundle(): Promise<MimeBundle> {
    this.#cached ??= this.#build();
    return this.#cached;
  }

  /** Publish the plot now (`display_data`); outside Jupyter prints the text form. */
  async show(): Promise<void> {
    const { publishDisplay } = await import("./jupyter.ts");
    await publishDisplay(await this.bundle());
  }

  /** Write the static PNG to a file. */
  async savePng(path: string | URL): Promise<void> {
    const b = await this.bundle();
    const png = b["image/png"];
    if (typeof png !== "string") throw new Error("no PNG rendering available (resvg could not be loaded)");
    await Deno.writeFile(path, Uint8Array.from(atob(png), (c) => c.charCodeAt(0)));
  }

  /** The kernel's display hook. */
  [$display](): Promise<MimeBundle> {
    return this.bundle();
  }

  /** Text form. */
  toString(): string {
    return this.label;
  }
}

function asProduct(x: unknown): DataProductLike | undefined {
  return x && Array.isArray((x as DataProductLike).data_unit) ? x as DataProductLike : undefined;
}

/**
 * Plot a light curve (a light-curve product, or arrays) like the seed
 * notebook: error bars, "Time [IJD = MJD - 51544]", "Rate [E_MIN-E_MAX keV]",
 * title "<DETNAM> light curve of <NAME>".
 *
 * @example
 * ```ts
 * import { plotLightCurve } from "@oda-hub/oda-api";
 * const view = plotLightCurve({ time: [1, 2], rate: [3, 4], error: [0.5, 0.5], detnam: "ISGRI", name: "Crab" });
 * view; // last expression of a cell → interactive plot + PNG fallback
 * ```
 */
export function plotLightCurve(
  lc: LightCurveLike | DataProductLike,
  opts: { title?: string } = {},
): PlotView {
  const p = asProduct(lc);
  const data = p ? lightCurveFromProduct(p) : lc as LightCurveLike;
  if (!data) throw new Error(`product ${p?.name ?? ""} holds no TIME/RATE table`);
  const title = opts.title ?? lightCurveLabels(data).title;
  return new PlotView(`${title} (${data.time.length} bins)`, () => lightCurveBundle(data, { title }));
}

/**
 * Plot a spectrum: rate per keV against energy on log axes, energies from
 * the EBOUNDS of the response product.
 *
 * @example
 * ```ts
 * import { plotSpectrum } from "@oda-hub/oda-api";
 * const view = plotSpectrum({ energy: [25, 35], ratePerKeV: [0.1, 0.05], error: [0.01, 0.01], halfWidth: [5, 5] });
 * ```
 */
export function plotSpectrum(s: SpectrumLike | DataProductLike, rmf?: DataProductLike): PlotView {
  const p = asProduct(s);
  let data: SpectrumLike | undefined = p ? undefined : s as SpectrumLike;
  if (p) {
    if (!rmf) throw new Error("plotSpectrum(spectrum, rmf): the response product (with EBOUNDS) is needed");
    data = spectrumFromProducts(p, rmf);
  }
  if (!data) throw new Error("no spectrum (CHANNEL/RATE table and EBOUNDS) found");
  const d = data;
  return new PlotView(
    `spectrum${d.name ? " of " + d.name : ""} (${d.energy.length} channels)`,
    () => spectrumBundle(d),
  );
}

/**
 * Options of {@linkcode plotImage}.
 *
 * @example
 * ```ts
 * import { plotImage } from "@oda-hub/oda-api";
 * import { type PlotImageOptions } from "@oda-hub/oda-api/display";
 * const opts: PlotImageOptions = {
 *   cmap: "inferno",
 *   stretch: "sqrt",
 *   sources: [{ ra: 83.63, dec: 22.01, name: "Crab" }],
 * };
 * const view = plotImage({ values: new Float32Array(64 * 64), shape: [64, 64] }, opts);
 * ```
 */
export interface PlotImageOptions extends MosaicOptions {
  /** Which image unit of a product: index, IMATYPE (`"INTENSITY"`) or name (default: SIGNIFICANCE, else the first). */
  hdu?: number | string;
  /** Catalog to overlay: an object with a `table` (ApiCatalog), a table, or sources. */
  catalog?: unknown;
}

function catalogSources(cat: unknown): SkySource[] {
  if (!cat) return [];
  if (Array.isArray(cat)) return cat as SkySource[];
  const tableOf = (x: unknown): Table | undefined => {
    if (isTable(x)) return x;
    const t = (x as { toTable?: () => Table })?.toTable;
    if (typeof t === "function") return t.call(x);
    return undefined;
  };
  const t = tableOf((cat as { table?: unknown }).table) ?? tableOf(cat);
  return t ? sourcesFromTable(t) : [];
}

/**
 * Picture of a sky image (a mosaic product, or values + shape): colour map,
 * scale bar, RA/Dec grid, catalog sources circled and labelled (new sources
 * in magenta).
 *
 * @example
 * ```ts
 * import { plotImage } from "@oda-hub/oda-api";
 * const view = plotImage({ values: new Float32Array(64 * 64), shape: [64, 64] });
 * ```
 */
export function plotImage(
  img: DataProductLike | { values: ArrayLike<number>; shape: number[]; header?: Record<string, unknown> },
  opts: PlotImageOptions = {},
): PlotView {
  const p = asProduct(img);
  let values: ArrayLike<number>, shape: number[], header: Record<string, unknown> | undefined;
  if (p) {
    const found = imageFromProduct(p, opts.hdu);
    if (!found) throw new Error(`product ${p.name ?? ""} holds no 2-D image`);
    values = found.image.values as ArrayLike<number>;
    shape = found.image.shape;
    header = found.unit.header;
  } else {
    const i = img as { values: ArrayLike<number>; shape: number[]; header?: Record<string, unknown> };
    values = i.values, shape = i.shape, header = i.header;
  }
  const sources = opts.sources ?? catalogSources(opts.catalog);
  const h = opts.header ?? header;
  const title = opts.title ?? imageTitle(h, p);
  return new PlotView(
    `${title} [${shape.join(", ")}]`,
    () =>
      mosaicBundle(values, shape, {
        ...opts,
        header: h,
        sources,
        title,
        unit: opts.unit ?? (typeof h?.BUNIT === "string"
          ? h.BUNIT
          : typeof h?.IMATYPE === "string"
          ? h.IMATYPE.toLowerCase()
          : undefined),
      }),
  );
}

function imageTitle(h: Record<string, unknown> | undefined, p?: DataProductLike): string {
  const inst = h?.DETNAM ?? h?.INSTRUME ?? p?.meta_data?.instrument;
  const kind = typeof h?.IMATYPE === "string" ? ` ${h.IMATYPE.toLowerCase()}` : "";
  const e1 = Number(h?.E_MIN), e2 = Number(h?.E_MAX);
  const band = Number.isFinite(e1) && Number.isFinite(e2) && h?.E_MIN !== undefined
    ? ` ${Math.round(e1)}-${Math.round(e2)} keV`
    : "";
  return `${inst ? String(inst).toUpperCase() + " " : ""}mosaic${kind}${band}`.replace(/ {2,}/g, " ");
}
