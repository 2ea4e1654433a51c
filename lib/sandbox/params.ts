/**
 * Request parameters of the sandbox dispatcher: reading (`request.values`
 * semantics: query string merged with a form body), per-value decoding, and
 * normalisation/validation with the upstream messages
 * (dispatcher-protocol.md §1, §4, §4.1), plus the `/api/par-names` and
 * `/api/meta-data` views of the parameters.
 *
 * @module
 */
import type { ParameterSpec, ProductSpec, SandboxInstrument } from "./instrument.ts";
import { ApiError } from "./responses.ts";
import { pyDumps, PyFloat, pyFloat } from "./pyjson.ts";
import { pythonFloatRepr } from "../data/json.ts";
import { pythonRepr } from "../data/python.ts";
import { concatBytes } from "../data/bytes.ts";

/** A request as the dispatcher sees it before parameter parsing. */
export interface RawRequest {
  /** `(key, value)` pairs: query string first, then form fields, in order. */
  pairs: [string, string][];
  /** Uploaded files of a multipart body, by field name. */
  files: Map<string, File>;
}

/** Largest request body the sandbox reads (like a front end's `client_max_body_size`), bytes. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Internal to the sandbox (never reaches a caller of `startSandbox`): an error upstream does not handle,
 * answered with Werkzeug's HTML 500 page.
 */
export class UnhandledCrash extends Error {}

/** Internal to the sandbox: a body exceeds {@linkcode MAX_BODY_BYTES}; answered with 413. */
export class PayloadTooLarge extends Error {}

/** Read a body up to `limit` bytes (refusing early on a large Content-Length). */
export async function readBodyLimited(req: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await req.body?.cancel();
    throw new PayloadTooLarge(`request body of ${declared} bytes exceeds ${limit}`);
  }
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of req.body) {
    n += c.length;
    if (n > limit) throw new PayloadTooLarge(`request body exceeds ${limit} bytes`);
    chunks.push(c);
  }
  return concatBytes(chunks);
}

/** Read the query string and an urlencoded/multipart body. JSON bodies crash upstream (500 HTML). */
export async function readRawRequest(req: Request, url: URL): Promise<RawRequest> {
  const pairs: [string, string][] = [...url.searchParams.entries()];
  const files = new Map<string, File>();
  if (req.method === "POST" || req.method === "PUT") {
    const ct = (req.headers.get("content-type") ?? "").toLowerCase();
    if (ct.startsWith("application/x-www-form-urlencoded")) {
      const text = new TextDecoder().decode(await readBodyLimited(req));
      for (const kv of new URLSearchParams(text).entries()) pairs.push(kv);
    } else if (ct.startsWith("multipart/form-data")) {
      const body = await readBodyLimited(req);
      const fd = await new Response(body as BodyInit, { headers: { "content-type": ct } }).formData();
      for (const [k, v] of fd.entries()) {
        if (typeof v === "string") pairs.push([k, v]);
        else files.set(k, v);
      }
    } else if (ct.startsWith("application/json")) {
      // the request logger of the upstream app crashes on JSON bodies
      await req.body?.cancel();
      throw new UnhandledCrash("JSON request bodies are not supported");
    } else {
      await req.body?.cancel();
    }
  }
  return { pairs, files };
}

/** NUL means None (what oda_api sends for Python `None`). */
export const NONE_VALUE = "\x00";

/**
 * `request.values` after the dispatcher's per-value decoding: first
 * occurrence wins except `scw_list` (multi-valued); JSON objects/arrays are
 * decoded except in `catalog_selected_objects`/`selected_catalog`; `"\x00"` is
 * `null`.
 */
export function decodeValues(pairs: [string, string][]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const scw: string[] = [];
  for (const [k, v] of pairs) {
    if (k === "scw_list") {
      scw.push(v);
      if (!out.has(k)) out.set(k, undefined);
      continue;
    }
    if (out.has(k)) continue;
    out.set(k, decodeValue(k, v));
  }
  if (scw.length === 1) out.set("scw_list", decodeValue("scw_list", scw[0]));
  else if (scw.length > 1) out.set("scw_list", scw);
  return out;
}

function decodeValue(k: string, v: string): unknown {
  if (v === NONE_VALUE) return null;
  if (k === "catalog_selected_objects" || k === "selected_catalog") return v;
  const t = v.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      const j = JSON.parse(t);
      if (j !== null && typeof j === "object") return j;
    } catch {
      // keep the string
    }
  }
  return v;
}

const OWL_STRING = ["http://www.w3.org/2001/XMLSchema#str", "http://odahub.io/ontology#String"];

/** The source query every instrument has (`queries.py:304-324`). */
export const SOURCE_PARAMETERS: readonly ParameterSpec[] = [
  {
    name: "src_name",
    type: "string",
    units: "str",
    default: "1E 1740.7-2942",
    owl_uri: [...OWL_STRING, "http://odahub.io/ontology#AstrophysicalObject"],
  },
  {
    name: "RA",
    type: "float",
    units: "deg",
    default: 265.97845833,
    owl_uri: ["http://odahub.io/ontology#Angle"],
  },
  {
    name: "DEC",
    type: "float",
    units: "deg",
    default: -29.74516667,
    owl_uri: ["http://odahub.io/ontology#Angle"],
  },
  {
    name: "T1",
    type: "time",
    units: "isot",
    default: "2017-03-06T13:26:48.000",
    formatName: "T_format",
    owl_uri: ["http://odahub.io/ontology#TimeInstant"],
  },
  {
    name: "T2",
    type: "time",
    units: "isot",
    default: "2017-03-06T15:32:27.000",
    formatName: "T_format",
    owl_uri: ["http://odahub.io/ontology#TimeInstant"],
  },
  {
    name: "token",
    type: "string",
    units: "str",
    default: null,
    optional: true,
    owl_uri: [...OWL_STRING, "http://odahub.io/ontology#AstrophysicalObject"],
  },
];

/** `selected_catalog` of every instrument query. */
export const SELECTED_CATALOG: ParameterSpec = {
  name: "selected_catalog",
  type: "string",
  units: null,
  default: null,
  optional: true,
};

/** Control arguments kept in `analysis_parameters` (never "not used"). */
export const CONTROL_ARGS: ReadonlySet<string> = new Set([
  "instrument",
  "product_type",
  "query_type",
  "query_status",
  "session_id",
  "job_id",
  "token",
  "api",
  "oda_api_version",
  "off_line",
  "async_dispatcher",
  "run_asynch",
  "allow_unknown_args",
  "catalog_selected_objects",
  "use_scws",
  "use_resolver[local]",
]);

/** Arguments consumed silently before parsing (neither kept nor reported). */
const SILENT_ARGS: ReadonlySet<string> = new Set([
  "client-name",
  "verbose",
  "_is_mmoda_url",
  "return_progress",
]);

/** Ordered parameters of the instrument query (input list, `selected_catalog`). */
export function instrumentParameters(instr: SandboxInstrument): ParameterSpec[] {
  const ps = instr.parameters.filter((p) => !SOURCE_PARAMETERS.some((s) => s.name === p.name));
  if (!ps.some((p) => p.name === "selected_catalog")) ps.push(SELECTED_CATALOG);
  return ps;
}

/** Argument names of `/api/par-names` (selectors after their parameter, duplicates dropped). */
export function parNames(instr: SandboxInstrument, product?: ProductSpec): string[] {
  const out: string[] = [];
  const add = (ps: readonly ParameterSpec[]) => {
    for (const p of ps) {
      if (!out.includes(p.name)) out.push(p.name);
      const sel = p.formatName ?? p.unitsName;
      if (sel && !out.includes(sel)) out.push(sel);
    }
  };
  add(SOURCE_PARAMETERS);
  add(instrumentParameters(instr));
  if (product) add(product.parameters);
  else for (const pr of Object.values(instr.products)) add(pr.parameters);
  return out;
}

function paramMeta(p: ParameterSpec): Record<string, unknown>[] {
  const restrictions: Record<string, unknown> = { is_optional: !!p.optional };
  if (p.allowedValues) restrictions.allowed_values = [...p.allowedValues];
  if (p.min !== undefined) restrictions.min_value = metaNumber(p, p.min);
  if (p.max !== undefined) restrictions.max_value = metaNumber(p, p.max);
  if (p.schema) restrictions.schema = p.schema;
  const m: Record<string, unknown> = {
    name: p.name,
    units: p.units,
    value: defaultWire(p),
    restrictions,
  };
  if (p.owl_uri) m.owl_uri = p.owl_uri;
  const out = [m];
  if (p.formatName) out.push({ name: p.formatName, units: "str", value: p.units });
  return out;
}

function metaNumber(p: ParameterSpec, x: number): unknown {
  return p.type === "float" ? pyFloat(x) : x;
}

/** Value a units/format selector takes in `analysis_parameters` (the default units / format). */
function selectorDefault(p: ParameterSpec): string | null {
  return p.formatName ? p.units : p.defaultUnits ?? p.units;
}

/** Default value of a parameter as upstream lists and echoes it (its own units, not converted). */
export function defaultWire(p: ParameterSpec): unknown {
  const d = p.default;
  if (d === null || d === undefined) return null;
  // upstream keeps an untouched parameter's value in its own units (`set_value_from_form` returns `.value`)
  if (p.type === "float" && typeof d === "number") return pyFloat(d);
  if (Array.isArray(d)) return [...d];
  return d;
}

/** `/api/meta-data` layout for one instrument (§3.3), misspelled `instrumet` key included. */
export function metaData(instr: SandboxInstrument, product?: ProductSpec): unknown[] {
  const prodDict: Record<string, string> = {};
  for (const [name, pr] of Object.entries(instr.products)) prodDict[name] = pr.queryName;
  const src = [{ query_name: "src_query" }, ...dedupe(SOURCE_PARAMETERS.flatMap(paramMeta))];
  const inst = [
    { query_name: instr.queryName },
    // Upstream drops duplicate names: `user_catalog` is listed once even when the instrument declares it too.
    ...dedupe([
      { name: "user_catalog", units: null, value: null, restrictions: { is_optional: true } },
      ...instrumentParameters(instr).flatMap(paramMeta),
    ]),
  ];
  const prods = (product ? [product] : Object.values(instr.products)).map((pr) => [
    { query_name: pr.queryName },
    { product_name: pr.name },
    ...dedupe(pr.parameters.flatMap(paramMeta)),
  ]);
  return [{ instrumet: instr.name }, { prod_dict: prodDict }, src, inst, ...prods];
}

/** `/meta-data-src`: the source query only. */
export function metaDataSrc(): unknown[] {
  return [[{ query_name: "src_query" }, ...dedupe(SOURCE_PARAMETERS.flatMap(paramMeta))]];
}

function dedupe(items: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<unknown>();
  return items.filter((m) => (seen.has(m.name) ? false : (seen.add(m.name), true)));
}

/** Result of {@linkcode normaliseParameters}. */
export interface NormalisedParameters {
  /** `products.analysis_parameters` (wire representation, request order, defaults appended). */
  analysis: Record<string, unknown>;
  /** What the instrument's `run()` receives. */
  values: Record<string, unknown>;
  /** Arguments that were dropped (reported in `exit_status.comment`). */
  unused: string[];
  /**
   * Parameter values as upstream's parameter objects hold them (`.value`): as given (input units and time
   * format) when present, the raw default otherwise. What the dummy `echo` product shows.
   */
  given: Record<string, unknown>;
}

const MJD_UNIX_EPOCH = 40587;

/** ISOT text (`YYYY-MM-DDTHH:MM:SS.sss`) of a UTC date. */
export function isotOf(ms: number): string {
  return new Date(Math.round(ms)).toISOString().slice(0, 23);
}

/** MJD (UTC, 86400 s days) → ISOT with millisecond precision. */
export function mjdToIsot(mjd: number): string {
  // split into integer day and fraction to keep the milliseconds exact
  const day = Math.floor(mjd);
  const fracMs = Math.round((mjd - day) * 86400000);
  return isotOf((day - MJD_UNIX_EPOCH) * 86400000 + fracMs);
}

/** ISOT → MJD. */
export function isotToMjd(isot: string): number {
  const ms = parseIsot(isot);
  if (ms === undefined) throw new RangeError(`not an isot time: ${isot}`);
  return ms / 86400000 + MJD_UNIX_EPOCH;
}

/** Parse an astropy `isot` string (`2017-03-06T13:26:48[.000]`); undefined if invalid. */
export function parseIsot(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/.exec(s.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return undefined;
  const frac = m[7] ? Number("0." + m[7]) * 1000 : 0;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) + frac;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCDate() !== d) return undefined;
  return ms;
}

const ENERGY_KEV: Record<string, number> = { eV: 1e-3, keV: 1, MeV: 1e3, GeV: 1e6, TeV: 1e9 };
const ANGLE_DEG: Record<string, number> = { deg: 1, arcmin: 1 / 60, arcsec: 1 / 3600, rad: 180 / Math.PI };

function convertUnits(x: number, from: string, to: string): number | undefined {
  if (from === to) return x;
  for (const table of [ENERGY_KEV, ANGLE_DEG]) {
    if (from in table && to in table) return (x * table[from]) / table[to];
  }
  return undefined;
}

/** Python `repr` of a tuple of strings: `('spam', 'eggs')`, `('a',)`. */
function pyTupleRepr(items: readonly string[]): string {
  return "(" + items.map((x) => pythonRepr(x)).join(", ") + (items.length === 1 ? ",)" : ")");
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  return pyDumps(v);
}

/** Parse one value of parameter `p`; returns `[wire, value]` or throws ApiError (400). */
function parseParam(
  p: ParameterSpec,
  raw: unknown,
  selectors: Map<string, unknown>,
): [unknown, unknown, unknown?] {
  const bad = (msg: string) => new ApiError("RequestNotUnderstood", msg);
  const checkBounds = (x: number, s: string) => {
    if (p.min !== undefined && x < p.min) {
      throw bad(
        `Parameter ${p.name} wrong value ${s}: should be greater or equal than ${pythonFloatRepr(p.min)}`,
      );
    }
    if (p.max !== undefined && x > p.max) {
      throw bad(
        `Parameter ${p.name} wrong value ${s}: should be lower or equal than ${pythonFloatRepr(p.max)}`,
      );
    }
  };
  if (raw === null) {
    if (!p.optional) throw bad(`Non-optional parameter ${p.name} is set to None`);
    return [null, null];
  }
  switch (p.type) {
    case "float": {
      const s = text(raw).trim();
      let x = typeof raw === "number" ? raw : s === "" ? NaN : Number(s);
      if (!Number.isFinite(x)) {
        throw bad(`Parameter ${p.name} wrong value ${s}: can't be converted to float`);
      }
      const given = x;
      const from = p.unitsName ? String(selectors.get(p.unitsName) ?? p.units) : p.units;
      const to = p.defaultUnits ?? p.units;
      if (from && to && from !== to) {
        const y = convertUnits(x, from, to);
        if (y === undefined) throw bad(`Parameter ${p.name} wrong value ${s}: unknown units ${from}`);
        x = y;
      }
      checkBounds(x, s);
      return [pyFloat(x), x, given];
    }
    case "int": {
      const s = text(raw).trim();
      const x = Number(s);
      if (s === "" || !Number.isFinite(x) || !Number.isInteger(x) || /[.eE]/.test(s)) {
        throw bad(`${s} is an invalid value for ${p.name} since it cannot be used as an Integer`);
      }
      checkBounds(x, s);
      return [x, x];
    }
    case "bool": {
      const s = text(raw).trim().toLowerCase();
      if (["true", "1", "yes", "y", "on", "t"].includes(s)) return [true, true];
      if (["false", "0", "no", "n", "off", "f"].includes(s)) return [false, false];
      throw bad(`Wrong value for boolean parameter ${p.name}`);
    }
    case "select":
    case "string": {
      const s = text(raw);
      if (p.allowedValues && !p.allowedValues.includes(s)) {
        throw bad(`Parameter ${p.name} wrong value ${s}: not in allowed ${pyTupleRepr(p.allowedValues)}`);
      }
      return [s, s];
    }
    case "time": {
      const fmt = String(selectors.get(p.formatName ?? "T_format") ?? "isot");
      const s = text(raw).trim();
      if (fmt === "mjd") {
        const x = Number(s);
        if (s === "" || !Number.isFinite(x)) {
          throw bad(`Parameter ${p.name} wrong value ${s}: can't be parsed as Time of mjd format`);
        }
        const iso = mjdToIsot(x);
        return [iso, iso, x];
      }
      if (fmt !== "isot") {
        throw bad(`Parameter ${p.name} wrong value ${s}: can't be parsed as Time of ${fmt} format`);
      }
      const ms = parseIsot(s);
      if (ms === undefined) {
        throw bad(`Parameter ${p.name} wrong value ${s}: can't be parsed as Time of isot format`);
      }
      const iso = isotOf(ms);
      return [iso, iso];
    }
    case "list": {
      let items: string[];
      if (Array.isArray(raw)) items = raw.map((x) => String(x).trim());
      else {
        const s = text(raw).trim();
        if (s === "") items = [];
        else if (!s.includes(",") && /\s/.test(s)) {
          throw bad(
            "a space separated science windows list is an unsupported format, please provide it as a comme separated list",
          );
        } else items = s.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
      }
      return [items, [...items]];
    }
    case "structured": {
      let obj: unknown = raw;
      if (typeof raw === "string") {
        try {
          obj = JSON.parse(raw);
        } catch {
          throw bad(`Wrong value of structured parameter ${p.name}`);
        }
      }
      if (obj === null || typeof obj !== "object") throw bad(`Wrong value of structured parameter ${p.name}`);
      return [pyDumps(obj), obj];
    }
  }
  return [raw, raw];
}

/**
 * Normalise a request for `instr`/`product` (§4.1): known parameters parsed,
 * validated and replaced by their default-unit/format representation, absent
 * ones defaulted, selectors reset, unknown arguments dropped (listed in
 * `unused`) unless `allow_unknown_args=True`.
 */
export function normaliseParameters(
  instr: SandboxInstrument,
  product: ProductSpec,
  decoded: Map<string, unknown>,
): NormalisedParameters {
  const productParams = product.parameters;
  const instrParams = instrumentParameters(instr);
  const all: ParameterSpec[] = [];
  for (const p of [...SOURCE_PARAMETERS, ...instrParams, ...productParams]) {
    if (!all.some((q) => q.name === p.name)) all.push(p);
  }
  const byName = new Map(all.map((p) => [p.name, p]));
  const selectors = new Map<string, ParameterSpec>();
  for (const p of all) {
    if (p.formatName) selectors.set(p.formatName, p);
    if (p.unitsName) selectors.set(p.unitsName, p);
  }
  const selectorValues = new Map<string, unknown>();
  for (const [k, v] of decoded) if (selectors.has(k)) selectorValues.set(k, v);
  const allowUnknown = String(decoded.get("allow_unknown_args") ?? "") === "True";
  // arguments of the instrument's other products are known to the instrument: kept as sent (upstream
  // `get_arguments_name_list()` over all queries), so they enter the job id, but not parsed
  const instrumentArgs = new Set(parNames(instr));

  const analysis: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  const unused: string[] = [];
  const given: Record<string, unknown> = {};
  const setParam = (p: ParameterSpec, raw: unknown, present: boolean) => {
    let wire: unknown, val: unknown, asGiven: unknown;
    if (present) {
      [wire, val, asGiven] = parseParam(p, raw, selectorValues);
      if (asGiven === undefined) asGiven = p.type === "structured" ? val : wire;
    } else {
      wire = defaultWire(p);
      asGiven = wire instanceof PyFloat ? wire.value : wire;
      val = p.type === "structured" || p.type === "list"
        ? structuredClone(p.default)
        : p.type === "float" && typeof p.default === "number"
        ? (p.units && p.defaultUnits ? convertUnits(p.default, p.units, p.defaultUnits) : undefined) ??
          p.default
        : p.default;
    }
    analysis[p.name] = wire;
    values[p.name] = val;
    given[p.name] = asGiven;
    if (present && p.check) {
      const msg = p.check(val, values);
      if (msg) throw new ApiError("RequestNotUnderstood", msg);
    }
  };
  for (const [k, v] of decoded) {
    if (v === undefined) continue;
    const p = byName.get(k);
    if (p) {
      if (k === "token") {
        analysis[k] = v;
        values[k] = v;
      } else setParam(p, v, true);
    } else if (selectors.has(k)) {
      analysis[k] = selectorDefault(selectors.get(k)!);
    } else if (CONTROL_ARGS.has(k)) {
      analysis[k] = v;
      if (k === "catalog_selected_objects") values[k] = v;
    } else if (SILENT_ARGS.has(k)) {
      continue;
    } else if (instrumentArgs.has(k)) {
      analysis[k] = v;
    } else if (allowUnknown) {
      analysis[k] = v;
      values[k] = v;
    } else unused.push(k);
  }
  if (!("session_id" in analysis)) analysis.session_id = undefined; // placeholder keeps the position
  for (const p of [...productParams, ...instrParams, ...SOURCE_PARAMETERS]) {
    // an absent scw_list stays absent (upstream use_scws logic); other defaults are filled in
    if (!(p.name in analysis) && p.name !== "scw_list") setParam(p, undefined, false);
    else if (!(p.name in analysis)) values[p.name] = structuredClone(p.default ?? []);
    const sel = p.formatName ?? p.unitsName;
    if (sel && !(sel in analysis)) analysis[sel] = selectorDefault(p);
  }
  // structured defaults keep their object form in analysis_parameters when absent from the request
  for (const p of all) {
    if (p.type === "structured" && !(p.name in values)) values[p.name] = p.default;
    if (p.name === "selected_catalog") {
      const sc = values.selected_catalog;
      if (typeof sc === "string" && sc.trim().startsWith("{")) {
        try {
          values.selected_catalog = JSON.parse(sc);
        } catch {
          throw new ApiError("RequestNotUnderstood", "selected_catalog is not a valid JSON catalog");
        }
      } else if (sc === null || sc === "") values.selected_catalog = undefined;
    }
  }
  for (const p of SOURCE_PARAMETERS) {
    if (p.name === "T1" || p.name === "T2") values[p.name] = analysis[p.name];
  }
  return { analysis, values, unused, given };
}
