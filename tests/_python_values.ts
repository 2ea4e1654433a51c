/**
 * Moving values from TypeScript to a Python test script without losing int/float: floats travel as
 * `{"$f": "<repr>"}` and `PY_UNTAG` (Python source defining `untag`) turns them back.
 *
 * @module
 */
import { PyFloat } from "../lib/data/json.ts";

/** Tag every float of a JSON-like value (PyFloat, or a JS number that is not a safe integer). */
export function tag(v: unknown): unknown {
  if (v instanceof PyFloat) return { $f: String(v.value) };
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : { $f: String(v) };
  if (Array.isArray(v)) return v.map(tag);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tag(x)]));
  return v;
}

/** Python source: imports and `untag(v)`, the inverse of {@linkcode tag}. */
export const PY_UNTAG = `
import sys, json, math, hashlib
def untag(v):
    if isinstance(v, dict):
        if set(v) == {'$f'}:
            s = v['$f']
            return float('nan') if s == 'NaN' else float(s.replace('Infinity', 'inf'))
        return {k: untag(x) for k, x in v.items()}
    if isinstance(v, list): return [untag(x) for x in v]
    return v
`;
