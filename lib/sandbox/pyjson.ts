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
import { PyFloat, pythonFloatRepr, pythonJsonDumps } from "../codecs/json.ts";

export { PyFloat };

/** Python's `repr(float)` (shared with the codecs). */
export const pyFloatRepr: (x: number) => string = pythonFloatRepr;

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
  return pythonJsonDumps(value, {
    ...(opts.indent !== undefined ? { indent: opts.indent } : {}),
    ...(opts.compact ? { separators: [",", ":"] as const } : {}),
  });
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
