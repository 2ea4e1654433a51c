/**
 * Nested JSON lists (ECSV multidimensional and variable-length cells, list-encoded numpy data units) → flat
 * values, iteratively and depth-limited (no recursion a deep input could overflow), with typed conversions of
 * the leaves: integers must be integers, and nothing is ever converted through a hostile `valueOf`/`toString`.
 *
 * @module
 */

/** Most dimensions of a nested list (numpy 2 allows 64). */
export const MAX_LIST_DEPTH = 64;

/** Flat leaves of a nested list and the shape read along its first elements (`[]` for a scalar). */
export interface FlatList {
  /** Leaves in C order. */
  flat: unknown[];
  /** Lengths along the first element at each level. */
  shape: number[];
  /** Whether every list at the same level has the same length (a regular, non-ragged array). */
  regular: boolean;
}

/**
 * Flatten `v` (lists of lists of leaves) without recursion. Throws `fail(message)` past `maxDepth` levels or
 * when lists and leaves are mixed at one level.
 */
export function flattenLists(v: unknown, maxDepth: number, fail: (msg: string) => Error): FlatList {
  if (!Array.isArray(v)) return { flat: [v], shape: [], regular: true };
  const shape: number[] = [];
  for (let p: unknown = v; Array.isArray(p); p = p[0]) {
    if (shape.length >= maxDepth) throw fail(`nested more than ${maxDepth} levels deep`);
    shape.push(p.length);
  }
  const leafDepth = shape.length; // a leaf is expected at this depth
  const flat: unknown[] = [];
  let regular = true;
  const lists: unknown[][] = [v];
  const index: number[] = [0];
  while (lists.length > 0) {
    const d = lists.length - 1;
    const list = lists[d];
    const i = index[d];
    if (i >= list.length) {
      lists.pop();
      index.pop();
      continue;
    }
    index[d] = i + 1;
    const x = list[i];
    if (Array.isArray(x)) {
      if (lists.length >= leafDepth) throw fail("ragged nesting: a list where a value was expected");
      if (x.length !== shape[lists.length]) regular = false;
      lists.push(x);
      index.push(0);
    } else {
      if (lists.length !== leafDepth) throw fail("ragged nesting: a value where a list was expected");
      flat.push(x);
    }
  }
  return { flat, shape, regular };
}

/**
 * A leaf as a number for a numeric column: numbers and booleans as they are, `null` as `nullAs`; anything
 * else (strings, objects) is refused.
 */
export function leafNumber(x: unknown, nullAs: number, fail: (msg: string) => Error): number {
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  if (x === null) return nullAs;
  throw fail(`${describeLeaf(x)} is not a number`);
}

/** A leaf as a 64-bit integer: integral numbers only (no fraction, Infinity or NaN), within `bits`. */
export function leafBigInt(x: unknown, signed: boolean, fail: (msg: string) => Error): bigint {
  if (x === null) return 0n;
  if (typeof x === "bigint") return checkRange(x, signed, fail);
  if (typeof x === "boolean") return x ? 1n : 0n;
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw fail(`${describeLeaf(x)} is not an integer`);
  }
  return checkRange(BigInt(x), signed, fail);
}

function checkRange(b: bigint, signed: boolean, fail: (msg: string) => Error): bigint {
  if ((signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b)) !== b) {
    throw fail(`${b} does not fit in a ${signed ? "" : "u"}int64`);
  }
  return b;
}

/** A short, safe description of a JSON leaf for messages (never calls the value's own conversions). */
export function describeLeaf(x: unknown): string {
  if (typeof x === "number" || typeof x === "boolean" || x === null) return String(x);
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  if (Array.isArray(x)) return "a list";
  return typeof x === "object" ? "an object" : `a ${typeof x}`;
}
