/**
 * Comparing two token payloads, as `oda_api.token.compare_token`.
 *
 * @module
 */
import {
  type OdaTokenPayload,
  TOKEN_EMAIL_FLAG_OPTIONS,
  TOKEN_EMAIL_NUMERIC_OPTIONS,
  tokenRoles,
} from "./decode.ts";

/**
 * -1, 0 or 1 (first less / equal / greater), `null` when it cannot be compared.
 *
 * @example
 * ```ts
 * import { compareToken, type TokenOrder } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const o: TokenOrder = compareToken({ exp: 1 }, { exp: 2 }).exp;
 * assert.equal(o, -1);
 * ```
 */
export type TokenOrder = -1 | 0 | 1 | null;

/**
 * Result of {@linkcode compareToken}: what the first token has relative to the second.
 *
 * @example
 * ```ts
 * import { compareToken, type TokenComparison } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const c: TokenComparison = compareToken({ exp: 2 }, { exp: 1 });
 * assert.equal(c.exp, 1);
 * ```
 */
export interface TokenComparison {
  /** Keys present in the second token but not in the first. */
  missing_keys: string[];
  /** Keys present in the first token but not in the second. */
  extra_keys: string[];
  /** Whether `sub` is the same. */
  sub: boolean;
  /** Whether `email` is the same. */
  email: boolean;
  /** Whether `name` is the same. */
  name: boolean;
  /** `exp`: 1 later, 0 same, -1 earlier, null if one is missing. */
  exp: TokenOrder;
  /** Roles: 1 strictly more, 0 same set, -1 lacks some of the second's roles, null if one has none. */
  roles: TokenOrder;
  /** Numeric e-mail options (`tem`, `intsub`): 1/0/-1, null if missing in either. */
  email_numeric: Record<string, TokenOrder>;
  /** Boolean e-mail options (`mssub`, `msdone`, `mstout`, `msfail`): equal or not, null if missing in either. */
  email_flags: Record<string, boolean | null>;
}

function order(a: unknown, b: unknown): TokenOrder {
  if (typeof a !== "number" || typeof b !== "number") return null;
  return a > b ? 1 : a < b ? -1 : 0;
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Compare token `a` with token `b` (payloads), with the semantics of
 * `oda_api.token.compare_token(a, b)`.
 *
 * @example
 * ```ts
 * import { compareToken } from "@oda-hub/oda-api/token";
 * const c = compareToken({ roles: "a, b", exp: 10 }, { roles: "a", exp: 20 });
 * c.roles; // 1 (a has strictly more roles)
 * c.exp; // -1 (a expires earlier)
 * ```
 */
export function compareToken(a: OdaTokenPayload, b: OdaTokenPayload): TokenComparison {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const email_numeric: Record<string, TokenOrder> = {};
  for (const k of TOKEN_EMAIL_NUMERIC_OPTIONS) email_numeric[k] = order(a[k], b[k]);
  const email_flags: Record<string, boolean | null> = {};
  for (const k of TOKEN_EMAIL_FLAG_OPTIONS) {
    email_flags[k] = k in a && k in b ? isEqual(a[k], b[k]) : null;
  }
  let roles: TokenOrder = null;
  if (a.roles !== undefined && b.roles !== undefined) {
    const ra = new Set(tokenRoles(a));
    const rb = new Set(tokenRoles(b));
    const lacks = [...rb].some((r) => !ra.has(r));
    roles = lacks ? -1 : ra.size > rb.size ? 1 : 0;
  }
  return {
    missing_keys: kb.filter((k) => !ka.includes(k)),
    extra_keys: ka.filter((k) => !kb.includes(k)),
    sub: isEqual(a.sub, b.sub),
    email: isEqual(a.email, b.email),
    name: isEqual(a.name, b.name),
    exp: order(a.exp, b.exp),
    roles,
    email_numeric,
    email_flags,
  };
}
