/**
 * `/api/meta-data` answers: parsed into a structured description of an
 * instrument's queries and parameters, and formatted as the grouped listing
 * oda_api shows for `get_product_description()`:
 *
 * ```
 * --------------
 * parameters for product isgri_lc and instrument isgri
 * --------------
 * query_name: src_query
 *  name: src_name,  value: 1E 1740.7-2942,  units: str,
 * ...
 * ```
 *
 * Values print the way Python's `str()` shows them (`15.0`, `None`, `[]`),
 * so float parameters keep their `.0` (the raw JSON text is consulted).
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import { parseJson, PyFloat } from "../data/json.ts";
import { pythonStr } from "../data/python.ts";
import { toTextSafe } from "../data/_coerce.ts";

/**
 * Restrictions of a parameter (`is_optional`, bounds, allowed values, JSON schema).
 *
 * @example
 * ```ts
 * import type { ParameterRestrictions } from "@oda-hub/oda-api";
 * const r: ParameterRestrictions = { is_optional: false, min_value: 2, max_value: 8 };
 * ```
 */
export interface ParameterRestrictions {
  /** Whether the parameter may be omitted / None. */
  is_optional?: boolean;
  /** Allowed values. */
  allowed_values?: unknown[];
  /** Inclusive minimum. */
  min_value?: number;
  /** Inclusive maximum. */
  max_value?: number;
  /** JSON schema of a structured parameter. */
  schema?: unknown;
  /** Other keys. */
  [key: string]: unknown;
}

/**
 * One parameter of a query.
 *
 * @example
 * ```ts
 * import type { ParameterDescription } from "@oda-hub/oda-api";
 * const p: ParameterDescription = { name: "RA", units: "deg", value: 265.97845833 };
 * ```
 */
export interface ParameterDescription {
  /** Wire name (`RA`, `T1`, `E1_keV`). */
  name: string;
  /** Units, format or type label (`deg`, `isot`, `str`), or null. */
  units: string | null;
  /** Default value. */
  value: unknown;
  /** Restrictions, if published. */
  restrictions?: ParameterRestrictions;
  /** Ontology URIs, if published. */
  owl_uri?: string[];
  /** Other keys (`extra_metadata`...). */
  [key: string]: unknown;
}

/**
 * One query (source query, instrument query, product query).
 *
 * @example
 * ```ts
 * import type { QueryDescription } from "@oda-hub/oda-api";
 * const q: QueryDescription = { query_name: "src_query", parameters: [] };
 * ```
 */
export interface QueryDescription {
  /** Query name (`src_query`, `isgri_parameters`, `isgri_lc_query`). */
  query_name: string;
  /** Product name, for product queries. */
  product_name?: string;
  /** Parameters in order. */
  parameters: ParameterDescription[];
}

/**
 * A parsed `/api/meta-data` answer.
 *
 * @example
 * ```ts
 * import { parseMetaData } from "./description.ts";
 * const md = parseMetaData('[[{"instrumet":"empty"},{"prod_dict":{"dummy":"q"}}]]');
 * console.log(md.prod_dict);
 * ```
 */
export interface InstrumentMetaData {
  /** Instrument name (the server's misspelled `instrumet` key). */
  instrument: string;
  /** Product name → query name. */
  prod_dict: Record<string, string>;
  /** Queries in order. */
  queries: QueryDescription[];
}

/**
 * What `DispatcherAPI.getProductDescription()` returns.
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * const d = await new DispatcherAPI({ url: "http://127.0.0.1:8011" }).getProductDescription({ instrument: "isgri", product_name: "isgri_lc", silent: true });
 * console.log(d.text);
 * ```
 */
export interface ProductDescription extends InstrumentMetaData {
  /** The product asked for. */
  product: string;
  /** The grouped listing as printed. */
  text: string;
  /** The decoded JSON as received. */
  raw: unknown;
}

function parseKeepingFloats(text: string): unknown {
  return parseJson(text, { keepFloats: true });
}

function unwrap(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(unwrap);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}

function fmt(v: unknown): string {
  return pythonStr(v);
}

function asList(x: unknown): unknown[] | undefined {
  if (Array.isArray(x)) return x;
  if (typeof x === "string") {
    // older dispatchers sent every query as a JSON-encoded string
    try {
      const p = parseKeepingFloats(x);
      if (Array.isArray(p)) return p;
    } catch { /* not JSON */ }
  }
  return undefined;
}

function parseInternal(json: unknown): InstrumentMetaData & { display: QueryDescription[] } {
  let top = asList(json);
  if (top && top.length === 1 && asList(top[0])) top = asList(top[0]);
  if (!top) throw new DecodeError("MALFORMED_RESPONSE", "meta-data answer is not a list");
  let instrument = "";
  let prod_dict: Record<string, string> = {};
  const display: QueryDescription[] = [];
  for (const item of top) {
    const list = asList(item);
    if (list) {
      const q: QueryDescription = { query_name: "", parameters: [] };
      for (const entry of list) {
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
        const e = entry as Record<string, unknown>;
        if ("query_name" in e && !("name" in e)) q.query_name = toTextSafe(e.query_name, "query_name");
        else if ("product_name" in e && !("name" in e)) {
          q.product_name = toTextSafe(e.product_name, "product_name");
        } else if ("name" in e) q.parameters.push(e as ParameterDescription);
      }
      display.push(q);
    } else if (item && typeof item === "object") {
      const o = item as Record<string, unknown>;
      if ("instrumet" in o || "instrument" in o) {
        instrument = toTextSafe(o.instrumet ?? o.instrument, "instrument");
      }
      if (o.prod_dict && typeof o.prod_dict === "object") {
        prod_dict = unwrap(o.prod_dict) as Record<string, string>;
      }
    }
  }
  const queries = display.map((q) => ({
    ...q,
    parameters: q.parameters.map((p) => unwrap(p) as ParameterDescription),
  }));
  return { instrument, prod_dict, queries, display };
}

/**
 * Parse an `/api/meta-data` answer (JSON text) into queries and parameters.
 *
 * @example
 * ```ts
 * import { parseMetaData } from "./description.ts";
 * import assert from "node:assert/strict";
 * const md = parseMetaData('[[{"instrumet":"empty"},{"prod_dict":{}},[{"query_name":"src_query"},{"name":"RA","units":"deg","value":1.0}]]]');
 * assert.equal(md.queries[0].parameters[0].name, "RA");
 * ```
 */
export function parseMetaData(text: string): InstrumentMetaData {
  const { instrument, prod_dict, queries } = parseInternal(parseKeepingFloats(text));
  return { instrument, prod_dict, queries };
}

/**
 * Format an `/api/meta-data` answer as oda_api's grouped parameter listing.
 *
 * @example
 * ```ts
 * import { formatProductDescription } from "./description.ts";
 * const text = formatProductDescription(
 *   '[[{"instrumet":"empty"},{"prod_dict":{}},[{"query_name":"src_query"},{"name":"RA","units":"deg","value":1.0}]]]',
 *   { instrument: "empty", product: "numerical" },
 * );
 * // "--------------\nparameters for product numerical and instrument empty\n--------------\nquery_name: src_query\n name: RA,  value: 1.0,  units: deg, "
 * ```
 */
export function formatProductDescription(
  text: string,
  opts: { instrument: string; product: string },
): string {
  return formatDisplay(parseInternal(parseKeepingFloats(text)).display, opts);
}

function formatDisplay(display: QueryDescription[], opts: { instrument: string; product: string }): string {
  const lines = [
    "--------------",
    `parameters for product ${opts.product} and instrument ${opts.instrument}`,
  ];
  for (const q of display) {
    lines.push("--------------");
    lines.push(`query_name: ${q.query_name}`);
    if (q.product_name !== undefined) lines.push(`product_name: ${q.product_name}`);
    for (const p of q.parameters) {
      lines.push(` name: ${fmt(p.name)},  value: ${fmt(p.value)},  units: ${fmt(p.units)}, `);
    }
  }
  return lines.join("\n");
}

/**
 * Build the full {@linkcode ProductDescription} from the answer's text.
 *
 * @example
 * ```ts
 * import { describeProduct } from "./description.ts";
 * import assert from "node:assert/strict";
 * const d = describeProduct('[[{"instrumet":"empty"},{"prod_dict":{}}]]', { instrument: "empty", product: "dummy" });
 * assert.equal(d.instrument, "empty");
 * ```
 */
export function describeProduct(
  text: string,
  opts: { instrument: string; product: string },
): ProductDescription {
  const json = parseKeepingFloats(text); // parsed once: the listing, the structure and `raw` share it
  const { instrument, prod_dict, queries, display } = parseInternal(json);
  return {
    instrument: instrument || opts.instrument,
    prod_dict,
    queries,
    product: opts.product,
    text: formatDisplay(display, opts),
    raw: unwrap(json),
  };
}
