/**
 * Python-faithful JSON for the sandbox: Flask's `jsonify` output (compact,
 * ASCII-only, floats written like Python's `repr`, e.g. `5.0`, `1e-05`) and
 * `json.dumps` with default separators (used by the job-id hash).
 *
 * JavaScript has one number type, so a value that is a Python `float` is
 * wrapped in {@linkcode PyFloat} wherever the distinction is visible on the
 * wire (`p: 5.0` vs `bounded_int_par: 5`) or changes a job id.
 *
 * @module
 */
import { PyFloat } from "../codecs/json.ts";

export { PyFloat };

/** Wrap `x` as a Python float. */
export function pyFloat(x: number): PyFloat {
  return new PyFloat(x);
}

/** The number inside a value that may be a {@linkcode PyFloat}. */
export function numValue(x: unknown): number | undefined {
  if (x instanceof PyFloat) return x.value;
  if (typeof x === "number") return x;
  return undefined;
}

/** Python's `repr(float)`: shortest round-trip digits, `e` notation outside 1e-4 ≤ |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const exp = x.toExponential(); // shortest digits, e.g. "-2.6597845833e+2"
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) return String(x);
  const sign = m[1];
  const digits = m[2] + (m[3] ?? "");
  const e = parseInt(m[4], 10);
  if (e >= -4 && e < 16) {
    // fixed notation (Python switches to exponent when exp < -4 or >= 16)
    {
      const point = e + 1; // position of the decimal point in digits
      let intPart: string;
      let frac: string;
      if (point <= 0) {
        intPart = "0";
        frac = "0".repeat(-point) + digits;
      } else if (point >= digits.length) {
        intPart = digits + "0".repeat(point - digits.length);
        frac = "0";
      } else {
        intPart = digits.slice(0, point);
        frac = digits.slice(point);
      }
      return `${sign}${intPart}.${frac}`;
    }
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = e < 0 ? `-${String(-e).padStart(2, "0")}` : `+${String(e).padStart(2, "0")}`;
  return `${sign}${mant}e${es}`;
}

// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\uffff]/;

function pyString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** Options of {@linkcode pyDumps}. */
export interface PyDumpsOptions {
  /** Flask `jsonify` style (`,`/`:`) instead of `json.dumps` default (`, `/`: `). */
  compact?: boolean;
  /** Indentation like `json.dumps(indent=N)`. */
  indent?: number;
}

/**
 * Serialise like Python's `json.dumps` (ASCII only, `NaN` allowed). Plain JS
 * numbers are written as integers when integral, {@linkcode PyFloat} always
 * with a decimal point or exponent.
 */
export function pyDumps(value: unknown, opts: PyDumpsOptions = {}): string {
  const itemSep = opts.indent !== undefined ? "," : opts.compact ? "," : ", ";
  const keySep = opts.compact ? ":" : ": ";
  const ind = opts.indent;
  const walk = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return "null";
    if (v instanceof PyFloat) return pyFloatRepr(v.value);
    if (typeof v === "number") {
      if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
      return pyFloatRepr(v);
    }
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "string") return pyString(v);
    const nl = ind !== undefined ? "\n" + " ".repeat(ind * (depth + 1)) : "";
    const nlEnd = ind !== undefined ? "\n" + " ".repeat(ind * depth) : "";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      return "[" + nl + v.map((x) => walk(x, depth + 1)).join(itemSep + nl) + nlEnd + "]";
    }
    if (ArrayBuffer.isView(v)) return walk(Array.from(v as unknown as ArrayLike<number>), depth);
    if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return "{}";
      return "{" + nl + entries.map(([k, x]) =>
        pyString(k) + keySep + walk(x, depth + 1)
      ).join(itemSep + nl) +
        nlEnd + "}";
    }
    return pyString(String(v));
  };
  return walk(value, 0);
}

/** Deep copy of a JSON-like value keeping {@linkcode PyFloat} wrappers. */
export function toPlain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toPlain(v);
    return out;
  }
  return value;
}
