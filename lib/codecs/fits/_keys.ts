/**
 * Header keyword readers shared by the FITS readers.
 *
 * @module
 */
import { fitsError, type FitsHeader } from "./header.ts";

export function intKey(h: FitsHeader, key: string, off: number, min = -Infinity, max = Infinity): number {
  const v = h.get(key);
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw fitsError(off, `required keyword ${key} is missing or not an integer (got ${String(v)})`);
  }
  if (n < min || n > max) throw fitsError(off, `${key} = ${n} is out of range`);
  return n;
}

export function numKey(h: FitsHeader, key: string, dflt: number): number {
  const v = h.get(key);
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return dflt;
}

export function numKeyInt(h: FitsHeader, key: string, dflt: number, off: number): number {
  if (!h.has(key)) return dflt;
  return intKey(h, key, off, 0);
}
