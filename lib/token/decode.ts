/**
 * Decoding an MMODA token (a JWT) without checking its signature, and helpers
 * on its payload: roles, expiry.
 *
 * @module
 */
import { decodeJwt } from "npm:jose@^6.2.17";
import { TokenError } from "../errors.ts";

/**
 * Signature algorithm of MMODA tokens (only the server can check it).
 *
 * @example
 * ```ts
 * import { TOKEN_ALGORITHM } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(TOKEN_ALGORITHM, "HS256");
 * ```
 */
export const TOKEN_ALGORITHM = "HS256";
/**
 * Numeric e-mail option claims (`tem`: minimum seconds between e-mails, `intsub`: interval).
 *
 * @example
 * ```ts
 * import { decodeOdaToken } from "@oda-hub/oda-api";
 * import { TOKEN_EMAIL_NUMERIC_OPTIONS } from "./decode.ts";
 * declare const token: string;
 * const p = decodeOdaToken(token);
 * for (const k of TOKEN_EMAIL_NUMERIC_OPTIONS) console.log(k, p[k]);
 * ```
 */
export const TOKEN_EMAIL_NUMERIC_OPTIONS: readonly string[] = Object.freeze(["tem", "intsub"]);
/**
 * Boolean e-mail option claims (send mail on submission, done, timeout, failure).
 *
 * @example
 * ```ts
 * import { decodeOdaToken } from "@oda-hub/oda-api";
 * import { TOKEN_EMAIL_FLAG_OPTIONS } from "./decode.ts";
 * declare const token: string;
 * const p = decodeOdaToken(token);
 * for (const k of TOKEN_EMAIL_FLAG_OPTIONS) console.log(k, p[k] ? "on" : "off");
 * ```
 */
export const TOKEN_EMAIL_FLAG_OPTIONS: readonly string[] = Object.freeze([
  "mssub",
  "msdone",
  "mstout",
  "msfail",
]);

/**
 * The payload of an MMODA token. Known claims are typed; anything else is kept.
 *
 * @example
 * ```ts
 * import { decodeOdaToken, type OdaTokenPayload } from "@oda-hub/oda-api";
 * declare const token: string;
 * const p: OdaTokenPayload = decodeOdaToken(token);
 * console.log(p.sub, p.exp);
 * ```
 */
export interface OdaTokenPayload {
  /** User id (the e-mail address). */
  sub?: string;
  /** E-mail address. */
  email?: string | undefined;
  /** User name. */
  name?: string | undefined;
  /** Roles: a comma-separated string, sometimes a list. Use {@linkcode tokenRoles}. */
  roles?: string | string[];
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Issued at, seconds since the epoch. */
  iat?: number;
  /** Minimum time between e-mails, seconds. */
  tem?: number;
  /** E-mail on job submission. */
  mssub?: boolean;
  /** E-mail when a job is done. */
  msdone?: boolean;
  /** E-mail when a job times out. */
  mstout?: boolean;
  /** E-mail when a job fails. */
  msfail?: boolean;
  /** Any other claim. */
  [claim: string]: unknown;
}

/**
 * Decode a token and return its payload, like `oda_api.token.decode_oda_token`
 * without a secret key: the signature and the expiry are NOT checked (only the
 * dispatcher can do that). Surrounding whitespace is ignored.
 *
 * Throws a {@linkcode TokenError} with code `TOKEN_MALFORMED` when the text is
 * not a JWT; the message never contains the token.
 *
 * @example
 * ```ts
 * import { decodeOdaToken, discoverToken } from "@oda-hub/oda-api";
 * const token = discoverToken();
 * if (token) console.log(decodeOdaToken(token).email);
 * ```
 */
export function decodeOdaToken(token: string): OdaTokenPayload {
  if (token === undefined || token === null) {
    throw new TokenError(
      "TOKEN_MALFORMED",
      "provided token is None (undefined): pass the token string, e.g. from discoverToken() or promptToken()",
    );
  }
  if (typeof token !== "string") {
    throw new TokenError("TOKEN_MALFORMED", `a token must be a string, got ${typeof token}`);
  }
  const text = token.trim();
  if (text === "") {
    throw new TokenError(
      "TOKEN_MALFORMED",
      "the token is empty: copy the whole token from the MMODA web page (button 'API token')",
    );
  }
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(text) as Record<string, unknown>;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const parts = text.split(".").length;
    throw new TokenError(
      "TOKEN_MALFORMED",
      `this is not a valid MMODA token (${reason}; ${text.length} characters, ${parts} dot-separated parts, ` +
        `expected 3): copy the whole token again from the MMODA web page (button 'API token') and check that ` +
        `nothing was cut or added`,
      { cause: e },
    );
  }
  return payload as OdaTokenPayload;
}

/**
 * The roles of a token as a list (`roles` may be a comma-separated string or a
 * list; items are stripped, empty items dropped), like `get_token_roles`.
 *
 * @example
 * ```ts
 * import { tokenRoles } from "@oda-hub/oda-api";
 * tokenRoles({ roles: "authenticated user, refresh-tokens" }); // ["authenticated user", "refresh-tokens"]
 * ```
 */
export function tokenRoles(payload: OdaTokenPayload): string[] {
  const roles = payload.roles;
  let list: unknown[];
  if (roles === undefined || roles === null) return [];
  if (typeof roles === "string") list = roles.split(",");
  else if (Array.isArray(roles)) list = roles;
  else list = [roles];
  return list.map((r) => String(r).trim()).filter((r) => r !== "");
}

/**
 * Seconds until the token expires (negative when it already has); `undefined`
 * if the payload has no numeric `exp`.
 *
 * @param payload a decoded token payload
 * @param now the current time, in milliseconds since the epoch (default `Date.now()`) or a `Date`
 *
 * @example
 * ```ts
 * import { tokenExpiresIn } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const s = tokenExpiresIn({ exp: 1_000_100 }, 1_000_000_000);
 * assert.equal(s, 100);
 * console.log(`token expires in ${(s! / 3600).toFixed(1)} h`);
 * ```
 */
export function tokenExpiresIn(
  payload: OdaTokenPayload,
  now: number | Date = Date.now(),
): number | undefined {
  const exp = payload.exp;
  if (typeof exp !== "number" || !Number.isFinite(exp)) return undefined;
  const ms = typeof now === "number" ? now : now.getTime();
  return exp - ms / 1000;
}

/**
 * Whether the token's `exp` is in the past (a token without `exp` counts as expired,
 * as oda_api cannot use it either).
 *
 * @example
 * ```ts
 * import { isTokenExpired } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * assert.equal(isTokenExpired({ exp: 0 }), true);
 * ```
 */
export function isTokenExpired(payload: OdaTokenPayload, now: number | Date = Date.now()): boolean {
  const s = tokenExpiresIn(payload, now);
  return s === undefined || s < 0;
}

/**
 * A display-friendly summary of a token payload (for `token inspect`, the
 * notebook view, progress headers). Contains no secret.
 *
 * @example
 * ```ts
 * import { summarizeToken } from "@oda-hub/oda-api/token";
 * declare const payload: import("@oda-hub/oda-api").OdaTokenPayload;
 * const info = summarizeToken(payload);
 * console.log(`${info.email}: ${info.roles.length} roles, ${info.expired ? "EXPIRED" : `${info.expires_in_h?.toFixed(1)} h left`}`);
 * ```
 */
export interface TokenSummary {
  /** User id (`sub`). */
  sub: string | undefined;
  /** E-mail address. */
  email: string | undefined;
  /** User name. */
  name: string | undefined;
  /** Roles, as a list. */
  roles: string[];
  /** Expiry as a date, if the token has `exp`. */
  expires_at: Date | undefined;
  /** Seconds left (negative when expired). */
  expires_in_s: number | undefined;
  /** Hours left, rounded to 0.1 h as oda_api prints it. */
  expires_in_h: number | undefined;
  /** Whether the token has expired (or has no `exp`). */
  expired: boolean;
  /** E-mail options present in the token (`tem`, `intsub`, `mssub`, `msdone`, `mstout`, `msfail`). */
  email_options: Record<string, unknown>;
}

/**
 * Summarize a payload: who, roles, expiry, e-mail options.
 *
 * @example
 * ```ts
 * import { decodeOdaToken, discoverToken } from "@oda-hub/oda-api";
 * import { summarizeToken } from "@oda-hub/oda-api/token";
 * const token = discoverToken();
 * if (token) console.log(summarizeToken(decodeOdaToken(token)).roles);
 * ```
 */
export function summarizeToken(payload: OdaTokenPayload, now: number | Date = Date.now()): TokenSummary {
  const s = tokenExpiresIn(payload, now);
  const email_options: Record<string, unknown> = {};
  for (const k of [...TOKEN_EMAIL_NUMERIC_OPTIONS, ...TOKEN_EMAIL_FLAG_OPTIONS]) {
    if (k in payload) email_options[k] = payload[k];
  }
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    sub: str(payload.sub),
    email: str(payload.email),
    name: str(payload.name),
    roles: tokenRoles(payload),
    expires_at: typeof payload.exp === "number" ? new Date(payload.exp * 1000) : undefined,
    expires_in_s: s,
    expires_in_h: s === undefined ? undefined : Math.round(s / 360) / 10,
    expired: s === undefined || s < 0,
    email_options,
  };
}
