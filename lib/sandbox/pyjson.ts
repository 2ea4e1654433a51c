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
import { PyFloat, pythonJsonDumps } from "../data/json.ts";

export { PyFloat };

/** Wrap `x` as a Python float. */
export function pyFloat(x: number): PyFloat {
  return new PyFloat(x);
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
