/**
 * What a dispatcher accepts, as data: instruments, their products, and for each product its parameters
 * with units, defaults, allowed values and value kinds, read from `/instr-list`, `/api/meta-data` and
 * `/api/par-names` ({@linkcode describeDispatcher}) or shipped with the package ({@linkcode MMODA_PRODUCTS}).
 *
 * A {@linkcode Catalogue} turns that data into an object a notebook completes at run time
 * (`catalogue.isgri.isgri_image.E1_keV` → units, default, allowed values), builds checked queries from it,
 * and validates queries before they are sent (`new DispatcherAPI({ catalogue })`).
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { PyFloat } from "../data/json.ts";
import { pythonRepr } from "../data/python.ts";
import type { ParameterDescription } from "./description.ts";
import type { RequestOptions } from "./dispatcher_options.ts";
import { deadlineAfter, timeLeft } from "../codecs/budget.ts";
import { toTextSafe } from "../data/_coerce.ts";

/**
 * Kind of value a parameter takes, inferred from its description (ontology URI, units, default).
 *
 * @example
 * ```ts
 * import type { ParameterKind } from "@oda-hub/oda-api/types";
 * const k: ParameterKind = "float";
 * ```
 */
export type ParameterKind = "float" | "int" | "bool" | "string" | "time" | "list" | "struct" | "unknown";

/**
 * One parameter of a product as the dispatcher describes it.
 *
 * @example
 * ```ts
 * import type { DescribedParameter } from "@oda-hub/oda-api/types";
 * const p: DescribedParameter = { name: "E1_keV", units: "keV", value: 20, kind: "float", optional: false };
 * ```
 */
export interface DescribedParameter {
  /** Wire name. */
  name: string;
  /** Units or format (`deg`, `keV`, `isot`, `str`), or null. */
  units: string | null;
  /** Default value. */
  value: unknown;
  /** Kind of value. */
  kind: ParameterKind;
  /** Whether None (`null`) is accepted. */
  optional: boolean;
  /** Allowed values, when the server restricts them. */
  allowed_values?: unknown[];
  /** Inclusive minimum. */
  min_value?: number;
  /** Inclusive maximum. */
  max_value?: number;
  /** Ontology URIs. */
  owl_uri?: string[];
}

/**
 * Instruments → products → parameters (in the server's order).
 *
 * @example
 * ```ts
 * import type { DispatcherDescription } from "@oda-hub/oda-api/types";
 * const d: DispatcherDescription = { instruments: { isgri: { isgri_image: [] } } };
 * ```
 */
export interface DispatcherDescription {
  /** Instrument name → product name → parameters. */
  instruments: Record<string, Record<string, DescribedParameter[]>>;
}

function hasOwl(p: ParameterDescription, ...parts: string[]): boolean {
  return Array.isArray(p.owl_uri) &&
    p.owl_uri.some((u) => parts.some((x) => toTextSafe(u, "owl_uri").endsWith(x)));
}

/**
 * The kind of a parameter from its `/api/meta-data` entry.
 *
 * @example
 * ```ts
 * import { parameterKind } from "@oda-hub/oda-api/types";
 * import assert from "node:assert/strict";
 * assert.equal(parameterKind({ name: "E1_keV", units: "keV", value: 20 }), "float");
 * assert.equal(parameterKind({ name: "T1", units: "isot", value: "2017-03-06T13:26:48.000" }), "time");
 * ```
 */
export function parameterKind(p: ParameterDescription): ParameterKind {
  const v = p.value instanceof PyFloat ? p.value.value : p.value;
  const units = typeof p.units === "string" ? p.units : "";
  if (p.restrictions?.schema !== undefined || hasOwl(p, "#StructuredParameter")) return "struct";
  if (hasOwl(p, "#TimeInstant", "#StartTime", "#EndTime") || ["isot", "mjd", "iso"].includes(units)) {
    return "time";
  }
  if (hasOwl(p, "#InputProdList") || Array.isArray(v)) return "list";
  if (hasOwl(p, "XMLSchema#bool", "#Boolean") || typeof v === "boolean") return "bool";
  if (hasOwl(p, "XMLSchema#int", "#Integer")) return "int";
  if (
    hasOwl(p, "XMLSchema#float", "#Float", "#Angle", "#Energy", "#Frequency", "#TimeDelta") ||
    p.value instanceof PyFloat
  ) return "float";
  if (units === "str" || typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) && !units ? "int" : "float";
  if (units && units !== "str") return "float";
  return "unknown";
}

/**
 * A {@linkcode DescribedParameter} from an `/api/meta-data` entry.
 *
 * @example
 * ```ts
 * import { describeParameter } from "@oda-hub/oda-api/types";
 * const p = describeParameter({ name: "osa_version", units: "str", value: "OSA11.2", restrictions: { allowed_values: ["OSA10.2", "OSA11.2"] } });
 * console.log(p.kind, p.allowed_values); // "string" ["OSA10.2", "OSA11.2"]
 * ```
 */
export function describeParameter(p: ParameterDescription): DescribedParameter {
  const r = p.restrictions ?? {};
  const value = p.value instanceof PyFloat ? p.value.value : p.value;
  const out: DescribedParameter = {
    name: toTextSafe(p.name, "a parameter name"),
    units: typeof p.units === "string" ? p.units : null,
    value: value === undefined ? null : value,
    kind: parameterKind(p),
    optional: r.is_optional === true || (value === null && r.is_optional !== false),
  };
  if (Array.isArray(r.allowed_values)) out.allowed_values = r.allowed_values;
  if (typeof r.min_value === "number") out.min_value = r.min_value;
  if (typeof r.max_value === "number") out.max_value = r.max_value;
  if (Array.isArray(p.owl_uri)) out.owl_uri = p.owl_uri.map((u) => toTextSafe(u, "owl_uri"));
  return out;
}

/**
 * What {@linkcode describeDispatcher} needs of a client (a `DispatcherAPI` has all of it).
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * import { type DescriptionSource } from "@oda-hub/oda-api/types";
 * const src: DescriptionSource = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
 * ```
 */
export interface DescriptionSource {
  /** `/instr-list`. */
  getInstrumentsList(options?: RequestOptions): Promise<string[]>;
  /** `/api/meta-data?instrument=` (decoded JSON). */
  getInstrumentDescription(options: { instrument: string } & RequestOptions): Promise<unknown>;
  /** `/api/meta-data?instrument=&product_type=`, structured. */
  getProductDescription(
    options: { instrument: string; product_name: string; silent?: boolean } & RequestOptions,
  ): Promise<{ prod_dict: Record<string, string>; queries: { parameters: ParameterDescription[] }[] }>;
  /** `/api/par-names`. */
  getParameterNames(options: { instrument: string; product: string } & RequestOptions): Promise<string[]>;
}

function prodDictOf(meta: unknown): Record<string, string> {
  // [[{"instrumet": ...}, {"prod_dict": {...}}, [query...], ...]] (older servers: one level less)
  const stack: unknown[] = [meta];
  for (let n = 0; stack.length && n < 10_000; n++) {
    const x = stack.pop();
    if (Array.isArray(x)) x.forEach((y) => stack.push(y)); // one by one: a spread overflows on long lists
    else if (x && typeof x === "object" && "prod_dict" in x) {
      const d = (x as { prod_dict: unknown }).prod_dict;
      if (d && typeof d === "object") return d as Record<string, string>;
    }
  }
  return {};
}

/**
 * Read a dispatcher's description: every instrument the token sees (or those asked for), every product of
 * each (`prod_dict`), and for each product its parameters from `/api/meta-data`, in the order and set of
 * `/api/par-names` (a name the meta-data does not describe gets kind `unknown`). `timeout` (ms) bounds all
 * the requests together (each gets what is left; `OdaError("TIMEOUT")`), `signal` cancels them.
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * import { describeDispatcher } from "@oda-hub/oda-api/types";
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
 * const d = await describeDispatcher(disp, { instruments: ["isgri"], timeout: 60_000 });
 * console.log(Object.keys(d.instruments.isgri)); // ["isgri_image", "isgri_spectrum", "isgri_lc"]
 * ```
 */
export async function describeDispatcher(
  source: DescriptionSource,
  options: { instruments?: readonly string[] } & RequestOptions = {},
): Promise<DispatcherDescription> {
  // INVALID_ARGUMENT unless ms ≥ 0; Infinity stays Infinity (none), undefined: the source's own default
  const { signal, timeout } = options, deadline = deadlineAfter(timeout) ?? timeout;
  const bounds = (): RequestOptions => ({ signal, timeout: timeLeft(deadline) });
  const names = options.instruments ?? await source.getInstrumentsList(bounds());
  const instruments: DispatcherDescription["instruments"] = {};
  for (const instrument of names) {
    const meta = await source.getInstrumentDescription({ instrument, ...bounds() });
    const entry: Record<string, DescribedParameter[]> = {};
    for (const product of Object.keys(prodDictOf(meta))) {
      const query = { instrument, product_name: product, silent: true, ...bounds() };
      const d = await source.getProductDescription(query);
      const described = new Map<string, DescribedParameter>();
      for (const q of d.queries) {
        for (const p of q.parameters) if (!described.has(p.name)) described.set(p.name, describeParameter(p));
      }
      let order = [...described.keys()];
      try {
        order = await source.getParameterNames({ instrument, product, ...bounds() });
      } catch (e) {
        if (signal?.aborted || (deadline !== undefined && Date.now() >= deadline)) throw e;
      }
      entry[product] = order.map((name) =>
        described.get(name) ?? { name, units: null, value: null, kind: "unknown", optional: true }
      );
    }
    instruments[instrument] = entry;
  }
  return { instruments };
}

// ------------------------------------------------------------------ validation

/** Text of an allowed value (a server's) or of the value checked: objects never through their own toString. */
function allowedText(v: unknown): string {
  return v instanceof Date ? String(v) : toTextSafe(v, "an allowed value");
}

function asNumber(v: unknown): number | undefined {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

const KIND_TEXT: Record<ParameterKind, string> = {
  float: "a number",
  int: "an integer",
  bool: "true or false",
  string: "a string",
  time: "a time (ISO string, MJD number or Date)",
  list: "a list (or a comma-separated string)",
  struct: "a dict, a list or their JSON text",
  unknown: "any value",
};

/**
 * Why `value` is not acceptable for `p`, or `undefined` when it is: wrong kind, outside `allowed_values`,
 * below `min_value` / above `max_value`, or None for a required parameter.
 *
 * @example
 * ```ts
 * import { checkParameterValue } from "@oda-hub/oda-api/types";
 * import assert from "node:assert/strict";
 * const p = { name: "jemx_num", units: null, value: 2, kind: "int" as const, optional: false, allowed_values: [1, 2] };
 * assert.equal(checkParameterValue(p, 3), "jemx_num=3 is not among the allowed values: [1, 2]");
 * assert.equal(checkParameterValue(p, 1), undefined);
 * ```
 */
export function checkParameterValue(p: DescribedParameter, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const shown = `${p.name}=${pythonRepr(value instanceof Date ? value.toISOString() : value)}`;
  if (value === null) return p.optional ? undefined : `${p.name} is required: None (null) is not accepted`;
  let ok: boolean;
  switch (p.kind) {
    case "float":
      ok = asNumber(value) !== undefined;
      break;
    case "int": {
      const x = asNumber(value);
      ok = x !== undefined && Number.isInteger(x) && !(value instanceof PyFloat);
      break;
    }
    case "bool":
      ok = typeof value === "boolean" || (typeof value === "string" && /^(true|false)$/i.test(value));
      break;
    case "string":
      ok = typeof value === "string";
      break;
    case "time":
      ok = typeof value === "string" || value instanceof Date || asNumber(value) !== undefined;
      break;
    case "list":
      ok = typeof value === "string" || Array.isArray(value) || value instanceof Set;
      break;
    case "struct":
      ok = typeof value === "string" || (typeof value === "object" && !(value instanceof PyFloat));
      break;
    default:
      ok = true;
  }
  if (!ok) return `${shown} is not ${KIND_TEXT[p.kind]}`;
  if (p.allowed_values && p.allowed_values.length > 0) {
    const x = asNumber(value);
    const found = p.allowed_values.some((a) =>
      typeof a === "number" && x !== undefined ? a === x : allowedText(a) === allowedText(value)
    );
    if (!found) return `${shown} is not among the allowed values: ${pythonRepr(p.allowed_values)}`;
  }
  const x = p.kind === "float" || p.kind === "int" ? asNumber(value) : undefined;
  if (x !== undefined && p.min_value !== undefined && x < p.min_value) {
    return `${shown} is below the minimum ${p.min_value}`;
  }
  if (x !== undefined && p.max_value !== undefined && x > p.max_value) {
    return `${shown} is above the maximum ${p.max_value}`;
  }
  return undefined;
}

// ------------------------------------------------------------------ runtime catalogue

/** Names that are query controls, not parameters. */
const CONTROL = new Set([
  "instrument",
  "product",
  "product_type",
  "query_type",
  "silent",
  "signal",
  "timeout",
  "onEvent",
  "token",
  "off_line",
  "query_status",
  "verbose",
  "session_id",
  "dry_run",
]);

/**
 * One product of a {@linkcode Catalogue}: its parameters are own properties (`entry.E1_keV.units`), the
 * methods build and check queries.
 *
 * @example
 * ```ts
 * import { sandboxCatalogue } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const image = sandboxCatalogue().product("isgri", "isgri_image");
 * assert.equal(image.parameters.E1_keV.units, "keV");
 * const q = image.query({ E1_keV: 30, osa_version: "OSA11.2" }); // { instrument: "isgri", product: "isgri_image", ... }
 * ```
 */
export class CatalogueProduct {
  /** Instrument name. */
  readonly instrument: string;
  /** Product name. */
  readonly product: string;
  /** Parameters by name. */
  readonly parameters: Readonly<Record<string, DescribedParameter>>;
  /** Parameters are own properties too: `entry.E1_keV` (unless the name is taken by a member). */
  // deno-lint-ignore no-explicit-any
  [param: string]: any;

  /** Built by {@linkcode Catalogue}. */
  constructor(instrument: string, product: string, parameters: readonly DescribedParameter[]) {
    this.instrument = instrument;
    this.product = product;
    const byName: Record<string, DescribedParameter> = {};
    for (const p of parameters) {
      Object.defineProperty(byName, p.name, { value: Object.freeze({ ...p }), enumerable: true });
    }
    this.parameters = Object.freeze(byName);
    for (const p of parameters) {
      if (!(p.name in this)) {
        Object.defineProperty(this, p.name, { value: byName[p.name], enumerable: true });
      }
    }
  }

  /** Parameter names in the server's order. */
  get names(): string[] {
    return Object.keys(this.parameters);
  }

  /** The default of every parameter, as the server states it. */
  defaults(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of Object.values(this.parameters)) {
      Object.defineProperty(out, p.name, {
        value: p.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /**
   * Problems of a query for this product: unknown names and unacceptable values.
   */
  problems(params: Record<string, unknown>): { unknown: string[]; invalid: string[] } {
    const unknown: string[] = [];
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(params)) {
      if (CONTROL.has(k)) continue;
      const p = Object.hasOwn(this.parameters, k) ? this.parameters[k] : undefined;
      if (!p) unknown.push(k);
      else {
        const why = checkParameterValue(p, v);
        if (why) invalid.push(why);
      }
    }
    return { unknown, invalid };
  }

  /**
   * Throw an {@linkcode OdaError} (`INVALID_ARGUMENT`) listing what is allowed when a value is not
   * acceptable; with `strict`, unknown names are an error too (`UNKNOWN_PARAMETER`). Returns the unknown
   * names otherwise.
   */
  validate(params: Record<string, unknown>, options: { strict?: boolean } = {}): string[] {
    const { unknown, invalid } = this.problems(params);
    if (invalid.length > 0) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `${this.instrument}/${this.product}: ${invalid.join("; ")}`,
        { details: { instrument: this.instrument, product: this.product, problems: invalid } },
      );
    }
    if (options.strict && unknown.length > 0) {
      throw new OdaError(
        "UNKNOWN_PARAMETER",
        `the parameter: ${unknown[0]} is not among the valid ones: ${pythonRepr(this.names)}`,
      );
    }
    return unknown;
  }

  /**
   * A checked query for `getProduct` / `submit`: `instrument`, `product` and the given values (validated;
   * unknown names are an error here, since the catalogue is the reference).
   */
  query(
    values: Record<string, unknown> = {},
  ): { instrument: string; product: string; [param: string]: unknown } {
    this.validate(values, { strict: true });
    return { ...values, instrument: this.instrument, product: this.product };
  }
}

/**
 * Instruments → products → parameters as runtime objects that a notebook completes:
 * `catalogue.isgri.isgri_image.E1_keV` is the parameter's description (units, default, allowed values,
 * bounds), `catalogue.isgri.isgri_image.query({...})` a checked query.
 *
 * @example
 * ```ts
 * import { sandboxCatalogue } from "@oda-hub/oda-api";
 * const catalogue = sandboxCatalogue();
 * console.log(catalogue.instruments); // ["isgri", "jemx", "spi_acs", "empty", ...]
 * const osa = catalogue.isgri.isgri_image.osa_version;
 * console.log(osa.value, osa.allowed_values); // "OSA11.2" ["OSA10.2", "OSA11.0", "OSA11.1", "OSA11.2"]
 * ```
 */
export class Catalogue {
  /** The description this catalogue was built from. */
  declare readonly description: DispatcherDescription;
  /** Instruments: `catalogue.isgri` maps product names to {@linkcode CatalogueProduct}s. */
  // deno-lint-ignore no-explicit-any
  [instrument: string]: any;

  /** Build from a description ({@linkcode describeDispatcher} or {@linkcode MMODA_PRODUCTS}). */
  constructor(description: DispatcherDescription) {
    Object.defineProperty(this, "description", { value: description, enumerable: false });
    for (const [instrument, products] of Object.entries(description.instruments)) {
      const entry: Record<string, CatalogueProduct> = {};
      for (const [product, params] of Object.entries(products)) {
        Object.defineProperty(entry, product, {
          value: new CatalogueProduct(instrument, product, params),
          enumerable: true,
        });
      }
      if (!(instrument in this)) {
        Object.defineProperty(this, instrument, { value: Object.freeze(entry), enumerable: true });
      }
    }
  }

  /** Instrument names. */
  get instruments(): string[] {
    return Object.keys(this.description.instruments);
  }

  /** Product names of an instrument. */
  products(instrument: string): string[] {
    return Object.keys(this.description.instruments[instrument] ?? {});
  }

  /** The product entry, or a typed error naming what exists. */
  product(instrument: string, product: string): CatalogueProduct {
    const products = Object.hasOwn(this.description.instruments, instrument)
      ? this.description.instruments[instrument]
      : undefined;
    if (!products) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `unknown instrument '${instrument}': known ones are ${pythonRepr(this.instruments)}`,
      );
    }
    if (!Object.hasOwn(products, product)) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `unknown product '${product}' of ${instrument}: known ones are ${pythonRepr(Object.keys(products))}`,
      );
    }
    return new CatalogueProduct(instrument, product, products[product]);
  }

  /** The product entry, or `undefined`. */
  find(instrument: string, product: string): CatalogueProduct | undefined {
    const products = Object.hasOwn(this.description.instruments, instrument)
      ? this.description.instruments[instrument]
      : undefined;
    return products && Object.hasOwn(products, product)
      ? new CatalogueProduct(instrument, product, products[product])
      : undefined;
  }

  /**
   * Read the catalogue of a running dispatcher (see {@linkcode describeDispatcher}).
   *
   * @example
   * ```ts
   * import { Catalogue, DispatcherAPI } from "@oda-hub/oda-api";
   * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
   * const catalogue = await Catalogue.fromServer(disp, { instruments: ["spi_acs"] });
   * console.log(catalogue.spi_acs.spi_acs_lc.time_bin.units);
   * ```
   */
  static async fromServer(
    source: DescriptionSource,
    options: { instruments?: readonly string[] } & RequestOptions = {},
  ): Promise<Catalogue> {
    return new Catalogue(await describeDispatcher(source, options));
  }
}

/**
 * A {@linkcode Catalogue} typed with generated product types `P`: `catalogue.isgri.isgri_image.E1_keV` is
 * checked and completed by the editor too (a typo is a compile error), not only at run time.
 *
 * @example
 * ```ts
 * import { sandboxCatalogue } from "@oda-hub/oda-api";
 * import type { DescribedParameter } from "@oda-hub/oda-api/types";
 * const e1: DescribedParameter = sandboxCatalogue().isgri.isgri_image.E1_keV;
 * ```
 */
export type TypedCatalogue<P> =
  & Pick<Catalogue, "description" | "instruments" | "products" | "product" | "find">
  & {
    readonly [I in keyof P]: {
      readonly [R in keyof P[I]]: TypedCatalogueProduct<P[I][R]>;
    };
  };

/**
 * Member names of {@linkcode CatalogueProduct} (a parameter of the same name is reached through `parameters`).
 *
 * @example
 * ```ts
 * import type { CatalogueProductMember } from "@oda-hub/oda-api/types";
 * const m: CatalogueProductMember = "query";
 * ```
 */
export type CatalogueProductMember =
  | "instrument"
  | "product"
  | "parameters"
  | "names"
  | "defaults"
  | "problems"
  | "validate"
  | "query";

/**
 * A {@linkcode CatalogueProduct} whose parameters are the keys of `Params`.
 *
 * @example
 * ```ts
 * import type { MmodaProducts, TypedCatalogueProduct } from "@oda-hub/oda-api/types";
 * declare const image: TypedCatalogueProduct<MmodaProducts["isgri"]["isgri_image"]>;
 * console.log(image.osa_version.allowed_values);
 * ```
 */
export type TypedCatalogueProduct<Params> =
  & Pick<
    CatalogueProduct,
    "instrument" | "product" | "parameters" | "names" | "defaults" | "problems" | "validate"
  >
  & { readonly [K in Exclude<keyof Params, CatalogueProductMember>]-?: DescribedParameter }
  & {
    /** A checked query: `instrument`, `product` and these values. */
    query(values?: Params): { instrument: string; product: string; [param: string]: unknown };
  };
