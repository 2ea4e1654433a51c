/**
 * What the upstream dummy plugin's products contain (`data_server_dispatcher.py`): the pickled arrays of
 * `numerical` and `empty-async`, the `catalog` rebuilt from `selected_catalog`, and the `echo` of the
 * parameters as the `echo` / `restricted` (`.value`) and `structured` / `optional` (`get_default_value()`)
 * queries show them.
 *
 * @module
 */
import type { ProductOutput } from "./instrument.ts";
import { PyFloat, pyFloat } from "./pyjson.ts";
import { encodeNumpyPickle } from "../codecs/pickle_encode.ts";
import { encodeBase64 } from "../data/base64.ts";
import { pythonJsonDumps } from "../data/json.ts";

/**
 * Protocol-4 pickle of a C-order little-endian float64 ndarray, byte for byte
 * as numpy 1.x writes it (`numpy.core.multiarray._reconstruct`, which numpy 2
 * still reads; numpy 2's `numpy._core` path could not be read by numpy 1), as
 * in the recorded dispatcher transcripts.
 */
export function pickleFloat64(shape: readonly number[], data: Float64Array): Uint8Array {
  return encodeNumpyPickle({ kind: "ndarray", dtype: "<f8", shape: [...shape], values: data }, {
    numpyModule: "numpy.core",
  });
}

function b64(bytes: Uint8Array): string {
  return encodeBase64(bytes);
}

/** Encoded NumpyDataProduct of one float64 array (dispatcher-protocol.md §7.4). */
export function numpyProduct(
  shape: number[],
  data: Float64Array,
  opts: { hdu_type?: string | null; meta_data?: Record<string, unknown>; name?: string | undefined } = {},
): Record<string, unknown> {
  return {
    data_unit_list: [{
      data: null,
      dt: "float64",
      name: "table",
      header: {},
      binarys: b64(pickleFloat64(shape, data)),
      meta_data: opts.meta_data ?? {},
      hdu_type: opts.hdu_type === undefined ? "image" : opts.hdu_type,
      units_dict: null,
    }],
    name: opts.name ?? null,
    meta_data: "{}",
  };
}

/** Parse JSON text keeping the float/int distinction of numbers (`6.0` → PyFloat, `6` → 6). */
function parsePythonJson(text: string): unknown {
  return JSON.parse(
    text,
    (_k, v, ctx?: { source?: string }) =>
      typeof v === "number" && ctx?.source !== undefined && /[.eE]/.test(ctx.source) ? pyFloat(v) : v,
  );
}

/**
 * A catalog column as numpy builds it from a JSON list (astropy `Table(cat_column_list)`): its `descr`
 * type string and its values as `tolist()` gives them back (floats as floats, NaN as None).
 */
function numpyColumn(values: unknown[]): [string, unknown[]] {
  const isFloat = (v: unknown) => v instanceof PyFloat;
  const isInt = (v: unknown) => typeof v === "number";
  if (values.some((v) => v === null || v === undefined)) return ["|O", values.map((v) => v ?? null)];
  if (values.length > 0 && values.every((v) => typeof v === "string")) {
    return [`<U${Math.max(1, ...values.map((v) => [...(v as string)].length))}`, values];
  }
  if (values.length > 0 && values.every((v) => typeof v === "boolean")) return ["|b1", values];
  if (values.every((v) => isInt(v) || typeof v === "boolean")) {
    return ["<i8", values.map((v) => (typeof v === "boolean" ? Number(v) : v))];
  }
  if (values.every((v) => isInt(v) || isFloat(v) || typeof v === "boolean")) {
    return [
      "<f8",
      values.map((v) => {
        const x = v instanceof PyFloat ? v.value : Number(v);
        return Number.isNaN(x) ? null : pyFloat(x);
      }),
    ];
  }
  return ["|O", values];
}

let zeroImage: Record<string, unknown> | undefined;

/**
 * The dummy `numerical` products: a 100×100 zero image, plus the `catalog` upstream rebuilds from
 * `selected_catalog` (an astropy Table of all its rows, so dtypes follow the values, not the client's
 * `cat_column_descr`), keeping the rows `catalog_selected_objects` names.
 */
export function numericalDummy(params: Record<string, unknown>): ProductOutput {
  zeroImage ??= numpyProduct([100, 100], new Float64Array(100 * 100));
  const out: ProductOutput = { numpy_data_product_list: [zeroImage] };
  let sc = params.selected_catalog as unknown;
  if (typeof sc === "string" && sc.trim().startsWith("{")) sc = parsePythonJson(sc);
  if (sc && typeof sc === "object") {
    const d = sc as Record<string, unknown>;
    const names = (d.cat_column_names ?? []) as string[];
    const columns = ((d.cat_column_list ?? []) as unknown[][]).map((c) => numpyColumn(c));
    let keep = columns[0]?.[1].map((_, i) => i) ?? [];
    const objs = params.catalog_selected_objects;
    const idCol = columns[names.indexOf("meta_ID")]?.[1];
    if (typeof objs === "string" && idCol) {
      const ids = new Set(objs.split(",").map((x) => Number(x.trim())));
      keep = keep.filter((i) =>
        ids.has(Number(idCol[i] instanceof PyFloat ? (idCol[i] as PyFloat).value : idCol[i]))
      );
    }
    out.catalog = {
      cat_frame: d.cat_frame ?? "fk5",
      cat_coord_units: d.cat_coord_units ?? "deg",
      cat_column_list: columns.map(([, v]) => keep.map((i) => v[i])),
      cat_column_names: names,
      cat_column_descr: names.map((n, i) => [n, columns[i]?.[0] ?? "|O"]),
      cat_lat_name: d.cat_lat_name ?? "dec",
      cat_lon_name: d.cat_lon_name ?? "ra",
    };
  }
  return out;
}

const ECHO_KEYS = [
  "src_name",
  "RA",
  "DEC",
  "T1",
  "T2",
  "token",
  "user_catalog",
  "p_list",
  "selected_catalog",
  "p",
  "dummy_file",
  "sb",
  "ang",
  "ang_deg",
  "energ",
  "bounded_int_par",
  "bounded_float_par",
  "string_select_par",
  "struct",
  "optional_def_float",
  "optional_def_none",
];
const ECHO_FLOATS = new Set([
  "T1", // a time given in a numeric format (mjd) is echoed as that float
  "T2",
  "RA",
  "DEC",
  "p",
  "sb",
  "ang",
  "ang_deg",
  "energ",
  "bounded_float_par",
  "optional_def_float",
]);
/** Untouched parameters as `.value` holds them (own units: `ang_deg` 1 deg, `energ` 1 MeV). */
const RAW_DEFAULTS: Record<string, unknown> = {
  src_name: "1E 1740.7-2942",
  RA: 265.97845833,
  DEC: -29.74516667,
  T1: "2017-03-06T13:26:48.000",
  T2: "2017-03-06T15:32:27.000",
  p: 10,
  sb: 10,
  ang: 1,
  ang_deg: 1,
  energ: 1,
  bounded_int_par: 5,
  bounded_float_par: 5,
  string_select_par: "spam",
  struct: { a: [1, 2] },
  optional_def_float: 5,
  p_list: [],
};
/** The same through `get_default_value()` (default units; structured values as sorted JSON text). */
const DEFAULT_VALUES: Record<string, unknown> = {
  ...RAW_DEFAULTS,
  ang_deg: 3600,
  energ: 1000,
  struct: '{"a": [1, 2]}',
};

function echoDict(
  params: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const k of ECHO_KEYS) {
    const v = k in params ? params[k] ?? null : defaults[k] ?? null;
    e[k] = ECHO_FLOATS.has(k) && typeof v === "number" ? pyFloat(v) : v;
  }
  if (e.token !== null) e.token = "<token>";
  return e;
}

/**
 * Upstream's `EchoProductQuery` (`echo`, `restricted`): every parameter of the instrument as its parameter
 * object holds it (`.value`): as given in the request (input units, time format), else the raw default.
 * Runs on the request's `given` view (`ServerProductSpec.runOnGiven`).
 */
export function echo(params: Record<string, unknown>): ProductOutput {
  return { echo: echoDict(params, RAW_DEFAULTS) };
}

/**
 * Upstream's `DefaultEchoProductQuery` (`structured`, `optional`): the same through `get_default_value()`,
 * i.e. in default units, structured values as sorted JSON text.
 */
export function defaultEcho(params: Record<string, unknown>): ProductOutput {
  const p = { ...params };
  if (p.struct !== undefined && p.struct !== null && typeof p.struct === "object") {
    p.struct = pythonJsonDumps(p.struct, { sortKeys: true });
  }
  return { echo: echoDict(p, DEFAULT_VALUES) };
}
