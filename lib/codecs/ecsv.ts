/**
 * ECSV 1.0 (Enhanced Character Separated Values) reader and writer, as
 * astropy writes it: a `# %ECSV 1.0` YAML header (column names, datatypes,
 * units, formats, descriptions, column meta, subtypes, table meta as
 * `!!omap`), then a delimited header row and data rows with CSV quoting.
 *
 * Missing values follow astropy: an empty field or `""` is masked. Masked
 * floats read as `NaN`, masked integers/booleans as `0`, masked strings as
 * `null`; every column with masked entries carries a `mask` (1 = masked).
 *
 * The YAML header is parsed by npm:yaml with the YAML 1.1 schema (what PyYAML
 * speaks); the header is written by a small emitter that reproduces PyYAML's
 * `default_flow_style=None` layout so our files match astropy's byte for byte
 * for ordinary tables.
 *
 * Size: reader and writer share the YAML header model and astropy's quoting rules; the emitter
 * reproduces PyYAML's layout byte for byte.
 *
 * @module
 */
import { parse as parseYaml } from "npm:yaml@^2.9.1";
import type { ArrayValues, NumericArray, Table, TableColumn } from "../data/ndarray.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { parseJson, pythonFloatRepr as pyFloat } from "../data/json.ts";
import { DecodeBudget, type DecodeOptions, typedDecode } from "./budget.ts";
import { flattenLists, leafBigInt, leafNumber } from "./_nested.ts";
import { isArraySafe, toNumberSafe, toTextSafe } from "../data/_coerce.ts";

/**
 * A column read from / written to ECSV.
 *
 * @example
 * ```ts
 * import type { EcsvColumn } from "@oda-hub/oda-api/fits";
 * const flux: EcsvColumn = {
 *   name: "flux",
 *   dtype: "<f8",
 *   shape: [],
 *   values: new Float64Array([1.2, NaN]),
 *   unit: "ph/cm2/s",
 *   description: "photon flux",
 *   mask: new Uint8Array([0, 1]), // the second value is missing
 * };
 * ```
 */
export interface EcsvColumn extends TableColumn {
  /** Column description. */
  description?: string;
  /** Python format string, e.g. `"%.3f"`. */
  format?: string | undefined;
  /** Column metadata. */
  meta?: Record<string, unknown>;
  /** 1 where the value is missing. */
  mask?: Uint8Array;
}

/**
 * An ECSV table: the shared {@linkcode Table} plus table `meta`.
 *
 * @example
 * ```ts
 * import { type EcsvTable, writeEcsv } from "@oda-hub/oda-api/fits";
 * const t: EcsvTable = {
 *   kind: "table",
 *   length: 1,
 *   columns: [{ name: "name", dtype: "<U4", shape: [], values: ["Crab"] }],
 *   meta: { source: "ISGRI" },
 * };
 * const text = writeEcsv(t); // meta is written as an !!omap in the header
 * ```
 */
export interface EcsvTable extends Table {
  /** Columns (with ECSV attributes). */
  columns: EcsvColumn[];
  /** Table metadata (`meta:` of the header), key order kept. */
  meta: Record<string, unknown>;
  /**
   * Whether the meta was an ordered map (`!!omap`, astropy's default, written
   * in order) or a plain mapping (written with sorted keys). Default `true`.
   */
  metaOrdered?: boolean;
}

/**
 * Options of {@linkcode writeEcsv}.
 *
 * @example
 * ```ts
 * import { type EcsvWriteOptions, writeEcsv } from "@oda-hub/oda-api/fits";
 * const opts: EcsvWriteOptions = { delimiter: ",", meta: { telescope: "INTEGRAL" } };
 * const csv = writeEcsv({
 *   kind: "table",
 *   length: 1,
 *   columns: [{ name: "a", dtype: "<i8", shape: [], values: new BigInt64Array([1n]) }],
 * }, opts);
 * ```
 */
export interface EcsvWriteOptions {
  /** Field delimiter: `" "` (default) or `","`. */
  delimiter?: " " | ",";
  /** Table meta (default: `table.meta` if present). */
  meta?: Record<string, unknown>;
}

const DATATYPE_TO_DTYPE: Record<string, string> = {
  bool: "|b1",
  int8: "|i1",
  int16: "<i2",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  uint16: "<u2",
  uint32: "<u4",
  uint64: "<u8",
  float16: "<f2",
  float32: "<f4",
  float64: "<f8",
  float128: "<f8",
};

function ecsvError(msg: string): DecodeError {
  return new DecodeError("ECSV", msg);
}

/** Convert Maps (from `!!omap`) to plain objects, recursively. */
function plain(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = plain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

/** Split one data line into fields (CSV quoting with `"`; `""` inside quotes is a quote). */
function splitLine(line: string, delimiter: string): { value: string; quoted: boolean }[] {
  const out: { value: string; quoted: boolean }[] = [];
  let i = 0;
  const n = line.length;
  const space = delimiter === " ";
  if (space) { while (i < n && line[i] === " ") i++; }
  if (i >= n) return out;
  for (;;) {
    let value = "";
    let quoted = false;
    if (line[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw ecsvError(`unterminated quoted field in line: ${line.slice(0, 80)}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      // anything up to the delimiter is appended (csv module behaviour)
      while (i < n && line[i] !== delimiter) value += line[i++];
    } else {
      const j = line.indexOf(delimiter, i);
      const end = j < 0 ? n : j;
      value = line.slice(i, end);
      i = end;
    }
    out.push({ value, quoted });
    if (i >= n) break;
    i++; // delimiter
    if (space) {
      while (i < n && line[i] === " ") i++;
      if (i >= n) break;
    } else if (i >= n) {
      out.push({ value: "", quoted: false });
      break;
    }
  }
  return out;
}

function parseFloatPy(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === "nan" || t === "+nan" || t === "-nan") return NaN;
  if (t === "inf" || t === "+inf" || t === "infinity" || t === "+infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  const v = Number(t);
  if (t === "" || Number.isNaN(v)) throw ecsvError(`'${s}' is not a float`);
  return v;
}

function parseIntPy(s: string): number {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw ecsvError(`'${s}' is not an integer`);
  return Number(t);
}

function parseBigPy(s: string): bigint {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw ecsvError(`'${s}' is not an integer`);
  return BigInt(t);
}

function parseBoolPy(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === "true" || t === "1") return 1;
  if (t === "false" || t === "0") return 0;
  throw ecsvError(`'${s}' is not a boolean`);
}

function allocFor(datatype: string, n: number): NumericArray {
  switch (datatype) {
    case "bool":
    case "uint8":
      return new Uint8Array(n);
    case "int8":
      return new Int8Array(n);
    case "int16":
      return new Int16Array(n);
    case "uint16":
      return new Uint16Array(n);
    case "int32":
      return new Int32Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint64":
      return new BigUint64Array(n);
    case "float16":
    case "float32":
      return new Float32Array(n);
    default:
      return new Float64Array(n);
  }
}

function setNumeric(arr: NumericArray, i: number, datatype: string, text: string): void {
  if (datatype === "bool") arr[i] = parseBoolPy(text);
  else if (datatype === "int64" || datatype === "uint64") (arr as BigInt64Array)[i] = parseBigPy(text);
  else if (datatype.startsWith("int") || datatype.startsWith("uint")) arr[i] = parseIntPy(text);
  else arr[i] = parseFloatPy(text);
}

function setJsonNumeric(arr: NumericArray, i: number, datatype: string, v: unknown): void {
  if (datatype === "int64" || datatype === "uint64") {
    (arr as BigInt64Array)[i] = leafBigInt(v, datatype === "int64", ecsvError);
  } else if (datatype === "bool") arr[i] = v ? 1 : 0;
  else if (datatype.startsWith("float")) arr[i] = leafNumber(v, NaN, ecsvError);
  else {
    const x = leafNumber(v, 0, ecsvError);
    if (!Number.isInteger(x)) throw ecsvError(`${x} is not an integer (column of ${datatype})`);
    arr[i] = x;
  }
}

/** A JSON cell as Python's json.loads reads it (NaN, Infinity allowed); malformed → `DecodeError("ECSV")`. */
function jsonCell(text: string, where: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new DecodeError("ECSV", `${where}: ${(e as Error).message}`, { cause: e });
  }
}

/** A JSON cell flattened (iteratively, at most `maxDepth` levels). */
function flatCell(text: string, where: string, maxDepth: number): unknown[] {
  return flattenLists(jsonCell(text, where), maxDepth, (m) => ecsvError(`${where}: ${m}`)).flat;
}

/**
 * Read ECSV text into an {@linkcode EcsvTable}.
 *
 * @example
 * ```ts
 * import { readEcsv } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * const t = readEcsv("# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, unit: keV, datatype: float64}\n# schema: astropy-2.0\na\n1.5\n");
 * t.columns[0].values; // Float64Array [1.5]
 * assert.equal(t.columns[0].unit, "keV");
 * ```
 *
 * Bounded: the cells a header declares (shapes of multidimensional columns) are charged to the decode's
 * element budget before anything is allocated (`options.decodeBudget`; `DecodeError("DECODE_LIMIT")` past
 * it); `options.signal`/`options.deadline` are checked between columns and rows. Only `OdaError`s escape.
 */
export function readEcsv(text: string, options: DecodeOptions = {}): EcsvTable {
  const budget = DecodeBudget.of(options, text.length);
  return typedDecode("ECSV", "ECSV table", () => readEcsvText(text, budget));
}

function readEcsvText(text: string, budget: DecodeBudget): EcsvTable {
  const lines = text.split(/\r?\n/);
  if (!/^# %ECSV \d+\.\d+/.test(lines[0] ?? "")) throw ecsvError("missing '# %ECSV <version>' first line");
  let k = 1;
  const yamlLines: string[] = [];
  while (k < lines.length && lines[k].startsWith("#")) {
    const l = lines[k];
    yamlLines.push(l.startsWith("# ") ? l.slice(2) : l.slice(1));
    k++;
  }
  if ((yamlLines[0] ?? "").trim() !== "---") throw ecsvError("missing '# ---' YAML start line");
  let header: Record<string, unknown>;
  try {
    header = plain(
      parseYaml(yamlLines.slice(1).join("\n"), { schema: "core", customTags: ["omap"], logLevel: "error" }),
    ) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new DecodeError("ECSV", `invalid YAML header: ${(e as Error).message}`, { cause: e });
  }
  if (!header || typeof header !== "object" || !Array.isArray(header.datatype)) {
    throw ecsvError("YAML header has no 'datatype' list");
  }
  const delimiter = typeof header.delimiter === "string" ? header.delimiter : " ";
  if (delimiter !== " " && delimiter !== ",") {
    throw ecsvError(`unsupported delimiter ${JSON.stringify(delimiter)}`);
  }
  const specs = header.datatype as Record<string, unknown>[];
  for (const s of specs) {
    if (!s || typeof s !== "object" || typeof s.name !== "string") throw ecsvError("column without a name");
  }
  // rows
  const rows: { value: string; quoted: boolean }[][] = [];
  let names: string[] | undefined;
  for (; k < lines.length; k++) {
    budget.tick();
    const l = lines[k];
    if (l.trim() === "" || l.startsWith("#")) continue;
    const fields = splitLine(l, delimiter);
    if (!names) {
      names = fields.map((f) => f.value);
      continue;
    }
    if (fields.length !== specs.length) {
      throw ecsvError(`line ${k + 1} has ${fields.length} fields, expected ${specs.length}`);
    }
    rows.push(fields);
  }
  const expected = specs.map((s) => s.name as string);
  if (names && names.join("\u0000") !== expected.join("\u0000")) {
    throw ecsvError(
      `column names in the data (${names.join(", ")}) differ from the header (${expected.join(", ")})`,
    );
  }
  const n = rows.length;
  const columns: EcsvColumn[] = specs.map((spec, c) => {
    budget.charge(n, `column ${spec.name}`);
    const datatype = typeof spec.datatype === "string" ? spec.datatype : "string";
    const subtype = typeof spec.subtype === "string" ? spec.subtype : undefined;
    const masked: boolean[] = rows.map((r) => r[c].value === "");
    const anyMasked = masked.some(Boolean);
    const col: EcsvColumn = { name: spec.name as string, dtype: "", shape: [], values: [] };
    if (typeof spec.unit === "string") col.unit = spec.unit;
    if (typeof spec.description === "string") col.description = spec.description;
    if (typeof spec.format === "string") col.format = spec.format;
    if (spec.meta && typeof spec.meta === "object") col.meta = spec.meta as Record<string, unknown>;
    if (anyMasked) col.mask = Uint8Array.from(masked, (m) => (m ? 1 : 0));
    if (datatype === "string" && subtype !== undefined) {
      const m = /^(\w+)\[([\d,null ]*)\]$/.exec(subtype);
      if (subtype === "json" || !m) {
        col.dtype = "|O";
        col.values = rows.map((
          r,
          i,
        ) => (masked[i] ? null : jsonCell(r[c].value, `column ${col.name} row ${i}`)));
        return col;
      }
      const base = m[1];
      if (!(base in DATATYPE_TO_DTYPE)) throw ecsvError(`unsupported subtype '${subtype}'`);
      const dims = m[2].split(",").map((x) => x.trim());
      col.dtype = DATATYPE_TO_DTYPE[base];
      if (dims.includes("null")) {
        col.variableLength = true;
        col.values = rows.map((r, i) => {
          const flat = masked[i] ? [] : flatCell(r[c].value, `column ${col.name} row ${i}`, dims.length);
          budget.charge(flat.length, `column ${col.name} row ${i}`);
          const out = allocFor(base, flat.length);
          try {
            flat.forEach((v, j) => setJsonNumeric(out, j, base, v));
          } catch (e) {
            throw ecsvError(`column ${col.name} row ${i}: ${(e as Error).message}`);
          }
          return out;
        });
        return col;
      }
      const shape = dims.map(Number);
      if (shape.some((d) => !Number.isSafeInteger(d))) {
        throw ecsvError(`invalid shape in subtype '${subtype}'`);
      }
      const per = shape.reduce((a, b) => a * b, 1);
      // the declared shape is charged before anything is allocated (a few bytes of header can declare GBs)
      budget.charge(n * per, `column ${col.name} of shape ${JSON.stringify(shape)}`);
      const out = allocFor(base, n * per);
      rows.forEach((r, i) => {
        if (masked[i]) return;
        const flat = flatCell(r[c].value, `column ${col.name} row ${i}`, shape.length);
        if (flat.length !== per) throw ecsvError(`column ${col.name} row ${i}: expected ${per} values`);
        try {
          flat.forEach((v, j) => setJsonNumeric(out, i * per + j, base, v));
        } catch (e) {
          throw ecsvError(`column ${col.name} row ${i}: ${(e as Error).message}`);
        }
      });
      col.shape = shape;
      col.values = out;
      return col;
    }
    if (datatype === "string") {
      const vals: (string | null)[] = rows.map((r, i) => (masked[i] ? null : r[c].value));
      let maxLen = 1;
      for (const v of vals) if (v !== null) maxLen = Math.max(maxLen, [...v].length);
      col.dtype = `<U${maxLen}`;
      col.values = vals as ArrayValues;
      return col;
    }
    const dtype = DATATYPE_TO_DTYPE[datatype];
    if (!dtype) throw ecsvError(`unsupported datatype '${datatype}' for column ${col.name}`);
    col.dtype = dtype;
    const arr = allocFor(datatype, n);
    for (let i = 0; i < n; i++) {
      budget.tick();
      if (masked[i]) {
        if (datatype.startsWith("float")) arr[i] = NaN;
        continue;
      }
      try {
        setNumeric(arr, i, datatype, rows[i][c].value);
      } catch (e) {
        throw ecsvError(`column ${col.name} row ${i}: ${(e as Error).message}`);
      }
    }
    col.values = arr;
    return col;
  });
  const meta = header.meta && typeof header.meta === "object" && !Array.isArray(header.meta)
    ? header.meta as Record<string, unknown>
    : Array.isArray(header.meta)
    ? Object.assign({}, ...(header.meta as Record<string, unknown>[]))
    : {};
  const metaOrdered = !/^meta:\s*$/m.test(yamlLines.join("\n"));
  return { kind: "table", length: n, columns, meta, metaOrdered };
}

// ---------------------------------------------------------------- writing

function pyFloat32(x: number): string {
  if (!Number.isFinite(x) || x === 0) return pyFloat(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toExponential(p - 1);
    if (Math.fround(Number(s)) === x) return formatExp(s);
  }
  return formatExp(x.toExponential());
}

function formatExp(expForm: string): string {
  const [mant, expS] = expForm.split("e");
  const exp = Number(expS);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "").replace(/0+$/, "") || "0";
  const sign = neg ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" + ae : ae}`;
  }
  if (exp >= 0) {
    if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
    return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

// PyYAML's implicit resolvers (YAML 1.1): a string matching one of these must be quoted.
const YAML_SPECIAL_WORDS =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|=|<<)$/;
const YAML_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML_TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/** Emit a YAML string scalar with the style PyYAML would choose (plain, single or double quoted). */
function yamlStr(s: string, flow: boolean): string {
  let plainOk = s.length > 0 && !YAML_SPECIAL_WORDS.test(s) && !YAML_INT.test(s) && !YAML_FLOAT.test(s) &&
    !YAML_TIMESTAMP.test(s);
  let special = false;
  if (plainOk) {
    if (s.startsWith("---") || s.startsWith("...")) plainOk = false;
    if (s[0] === " " || s[s.length - 1] === " ") plainOk = false;
    const ws = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\n";
    let flowInd = false, blockInd = false;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      const followed = ws(s[i + 1]);
      if (i === 0) {
        if ("#,[]{}&*!|>'\"%@`".includes(ch)) flowInd = blockInd = true;
        if (ch === "?" || ch === ":") {
          flowInd = true;
          if (followed) blockInd = true;
        }
        if (ch === "-" && followed) flowInd = blockInd = true;
      } else {
        if (",?[]{}".includes(ch)) flowInd = true;
        if (ch === ":") {
          flowInd = true;
          if (followed) blockInd = true;
        }
        if (ch === "#" && s[i - 1] === " ") flowInd = blockInd = true;
      }
      const cp = ch.charCodeAt(0);
      if (cp < 0x20 || cp > 0x7e) special = true;
    }
    if (special || (flow ? flowInd : blockInd)) plainOk = false;
  }
  if (plainOk) return s;
  if (/^[\x20-\x7e]*$/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      out += "\\x" + cp.toString(16).toUpperCase().padStart(2, "0");
    } else if (cp > 0x7e && cp <= 0xffff) out += "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
    else if (cp > 0xffff) out += "\\U" + cp.toString(16).toUpperCase().padStart(8, "0");
    else out += ch;
  }
  return out + '"';
}

function yamlScalar(v: unknown, flow: boolean): string {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "bigint") return String(v);
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return ".nan";
    if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
    const r = pyFloat(v);
    return /^[-]?\d+e/.test(r) ? r.replace("e", ".0e") : r;
  }
  return yamlStr(String(v), flow);
}

function isCollection(v: unknown): boolean {
  return Array.isArray(v) || (v !== null && typeof v === "object" && !(v instanceof Date));
}

/** PyYAML represents plain dicts with sorted keys (`sort_keys=True`). */
function entries(m: Record<string, unknown>, sort: boolean): [string, unknown][] {
  const e = Object.entries(m);
  return sort ? e.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : e;
}

function yamlFlow(v: unknown, sort = true): string {
  if (Array.isArray(v)) return `[${v.map((x) => yamlFlow(x)).join(", ")}]`;
  if (isCollection(v)) {
    return `{${
      entries(v as Record<string, unknown>, sort).map(([k, x]) => `${yamlStr(k, true)}: ${yamlFlow(x)}`).join(
        ", ",
      )
    }}`;
  }
  return yamlScalar(v, true);
}

function hasNested(v: unknown): boolean {
  const items = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return items.some(isCollection);
}

function isEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v as object).length === 0;
}

/**
 * Emit a block sequence item per element (PyYAML `default_flow_style=None`:
 * collections without nested collections are written in flow style).
 * `sortItems` tells whether mapping items of the sequence get sorted keys.
 */
function yamlSeq(items: unknown[], indent: number, sortItems: boolean): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  for (const item of items) {
    if (isCollection(item) && !isEmpty(item) && hasNested(item)) {
      const sub = Array.isArray(item)
        ? yamlSeq(item, indent + 2, true)
        : yamlMapping(item as Record<string, unknown>, indent + 2, sortItems);
      out.push(pad + "- " + sub[0].slice(indent + 2), ...sub.slice(1));
    } else {
      out.push(pad + "- " + (isCollection(item) ? yamlFlow(item, sortItems) : yamlScalar(item, false)));
    }
  }
  return out;
}

function yamlMapping(m: Record<string, unknown>, indent: number, sort: boolean): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  for (const [k, x] of entries(m, sort)) {
    const key = yamlStr(k, false);
    if (isCollection(x) && !isEmpty(x) && hasNested(x)) {
      if (Array.isArray(x)) out.push(`${pad}${key}:`, ...yamlSeq(x, indent, true));
      else out.push(`${pad}${key}:`, ...yamlMapping(x as Record<string, unknown>, indent + 2, true));
    } else {
      out.push(`${pad}${key}: ${isCollection(x) ? yamlFlow(x) : yamlScalar(x, false)}`);
    }
  }
  return out;
}

function datatypeOf(col: TableColumn): { datatype: string; subtype?: string } {
  const t = col.dtype.replace(/^[<>|=!]/, "");
  const kind = t[0];
  const size = Number(t.slice(1)) || 0;
  let base: string;
  if (kind === "b" || t === "bool" || t === "?") base = "bool";
  else if (kind === "i") base = `int${size * 8}`;
  else if (kind === "u") base = `uint${size * 8}`;
  else if (kind === "f") base = `float${size * 8}`;
  else if (kind === "U" || kind === "S") base = "string";
  else if (kind === "O") return { datatype: "string", subtype: "json" };
  else throw new OdaError("INVALID_ARGUMENT", `ECSV cannot store dtype '${col.dtype}' (column ${col.name})`);
  if (col.variableLength) return { datatype: "string", subtype: `${base}[null]` };
  if (col.shape.length > 0) return { datatype: "string", subtype: `${base}[${col.shape.join(",")}]` };
  return { datatype: base };
}

function quoteField(s: string, delimiter: string): string {
  if (s === "" || s.includes(delimiter) || s.includes('"') || s.includes("\n") || s.includes("\r")) {
    return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

function jsonCompact(v: unknown, base: string): string {
  if (isArraySafe(v)) return `[${v.map((x) => jsonCompact(x, base)).join(",")}]`;
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return String(v);
  if (typeof v === "number") {
    if (base === "bool") return v ? "true" : "false";
    if (base.startsWith("float")) {
      if (Number.isNaN(v)) return "NaN";
      if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
      return base === "float32" || base === "float16" ? pyFloat32(v) : pyFloat(v);
    }
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object") {
    let entries: [string, unknown][];
    try {
      entries = Object.entries(v as Record<string, unknown>);
    } catch {
      throw new OdaError("INVALID_ARGUMENT", "an ECSV json cell cannot be read (a getter or proxy threw)");
    }
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${jsonCompact(x, "")}`).join(",")}}`;
  }
  return JSON.stringify(toTextSafe(v));
}

function nest(flat: ArrayLike<unknown>, shape: number[], offset: number): unknown[] {
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < d; i++) {
    out.push(rest.length === 0 ? flat[offset + i] : nest(flat, rest, offset + i * size));
  }
  return out;
}

/**
 * Write a table as ECSV 1.0 text, the way astropy's `Table.write(...,
 * format="ascii.ecsv")` does (same header layout, quoting and number
 * formatting). Masked entries (`mask`, `null`) are written as `""`. The
 * `__serialized_columns__` meta of astropy mixin columns is not written (the
 * columns are stored as plain columns).
 *
 * @example
 * ```ts
 * import { writeEcsv } from "@oda-hub/oda-api/fits";
 * const text = writeEcsv({
 *   kind: "table",
 *   length: 2,
 *   columns: [
 *     { name: "energy", dtype: "<f8", shape: [], values: new Float64Array([60, 61.5]), unit: "keV" },
 *     { name: "name", dtype: "<U3", shape: [], values: ["a", "b c"] },
 *   ],
 * });
 * // "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: energy, unit: keV, datatype: float64}\n..."
 * ```
 */
export function writeEcsv(
  table: Table & { meta?: Record<string, unknown> },
  options: EcsvWriteOptions = {},
): string {
  const delimiter = options.delimiter ?? " ";
  // astropy mixin descriptions (Time, SkyCoord, Quantity) need YAML tags we do not keep: the columns are
  // written as the plain columns they are stored as.
  const meta = Object.fromEntries(
    Object.entries(options.meta ?? table.meta ?? {}).filter(([k]) => k !== "__serialized_columns__"),
  );
  const cols = table.columns as EcsvColumn[];
  const header: string[] = ["%ECSV 1.0", "---"];
  header.push("datatype:");
  const types = cols.map(datatypeOf);
  cols.forEach((c, i) => {
    const attrs: Record<string, unknown> = { name: c.name };
    if (c.unit) attrs.unit = c.unit;
    attrs.datatype = types[i].datatype;
    if (c.format) attrs.format = c.format;
    if (c.description) attrs.description = c.description;
    if (c.meta && Object.keys(c.meta).length > 0) attrs.meta = c.meta;
    if (types[i].subtype) attrs.subtype = types[i].subtype;
    header.push(...yamlSeq([attrs], 0, false));
  });
  if (delimiter !== " ") header.push(`delimiter: ${yamlScalar(delimiter, false)}`);
  if (meta && Object.keys(meta).length > 0) {
    if ((table as EcsvTable).metaOrdered === false) {
      header.push("meta:", ...yamlMapping(meta, 2, true));
    } else {
      header.push("meta: !!omap");
      for (const [k, v] of Object.entries(meta)) header.push(...yamlSeq([{ [k]: v }], 0, true));
    }
  }
  header.push("schema: astropy-2.0");
  const lines = header.map((l) => "# " + l);
  // a line starting with '#' would be read back as a comment (astropy writes it so and loses the row):
  // the first field is quoted then
  const line = (fields: string[]): string => {
    if (fields.length > 0 && fields[0].startsWith("#")) fields[0] = `"${fields[0]}"`;
    return fields.join(delimiter);
  };
  lines.push(line(cols.map((c) => quoteField(c.name, delimiter))));
  const n = table.length;
  const formatters = cols.map((c, ci) => {
    const t = types[ci];
    const base = t.subtype ? t.subtype.replace(/\[.*$/, "") : t.datatype;
    const vals = c.values as ArrayLike<unknown>;
    const mask = c.mask;
    const isMasked = (i: number) => (mask !== undefined && mask[i] === 1) || vals[i] === null;
    if (t.subtype === "json") {
      return (i: number) => (isMasked(i) ? '""' : quoteField(jsonCompact(vals[i], ""), delimiter));
    }
    if (t.subtype && c.variableLength) {
      return (
        i: number,
      ) => (mask?.[i] === 1
        ? '""'
        : quoteField(jsonCompact(Array.from(vals[i] as ArrayLike<unknown>), base), delimiter));
    }
    if (t.subtype) {
      const per = c.shape.reduce((a, b) => a * b, 1);
      return (
        i: number,
      ) => (mask?.[i] === 1 ? '""' : quoteField(jsonCompact(nest(vals, c.shape, i * per), base), delimiter));
    }
    if (base === "string") {
      return (i: number) => (isMasked(i) ? '""' : quoteField(toTextSafe(vals[i], "an ECSV cell"), delimiter));
    }
    if (base === "bool") return (i: number) => (isMasked(i) ? '""' : vals[i] ? "True" : "False");
    if (base === "float64") return (i: number) => (isMasked(i) ? '""' : pyFloat(toNumberSafe(vals[i])));
    if (base.startsWith("float")) {
      return (i: number) => (isMasked(i) ? '""' : pyFloat32(toNumberSafe(vals[i])));
    }
    return (i: number) => (isMasked(i) ? '""' : toTextSafe(vals[i], "an ECSV cell"));
  });
  for (let i = 0; i < n; i++) lines.push(line(formatters.map((f) => f(i))));
  return lines.join("\n") + "\n";
}
