/**
 * Pretty-printing of token payloads and expiry exactly as oda_api prints them
 * (`json.dumps(payload, indent=4, sort_keys=True)`, `token expires in X.X h`).
 *
 * @module
 */
import { pythonJsonDumps } from "../data/json.ts";
import { type OdaTokenPayload, tokenExpiresIn, tokenRoles } from "./decode.ts";

/**
 * The payload as pretty JSON with sorted keys and a 4-space indent, byte for
 * byte like Python's `json.dumps(payload, indent=4, sort_keys=True)` (non-ASCII
 * characters escaped as `\uXXXX`). This is what follows "your token payload:".
 *
 * @example
 * ```ts
 * import { formatToken } from "@oda-hub/oda-api/token";
 * formatToken({ sub: "a@b", exp: 1 });
 * // '{\n    "exp": 1,\n    "sub": "a@b"\n}'
 * ```
 */
export function formatToken(payload: OdaTokenPayload | Record<string, unknown>): string {
  return pythonJsonDumps(payload, { sortKeys: true, indent: 4 });
}

/**
 * oda_api's expiry line for a token that expires in `expiresIn` seconds (as
 * `tokenExpiresIn` gives it): `token expires in X.X h`,
 * `token expired X.X h ago!`, or a note when the token has no `exp` claim.
 *
 * @example
 * ```ts
 * import { formatTokenExpiry } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(formatTokenExpiry(5400), "token expires in 1.5 h");
 * assert.equal(formatTokenExpiry(-360), "token expired 0.1 h ago!");
 * ```
 */
export function formatTokenExpiry(expiresIn: number | undefined): string {
  if (expiresIn === undefined) return "token has no expiry (exp) claim";
  return expiresIn < 0
    ? `token expired ${(-expiresIn / 3600).toFixed(1)} h ago!`
    : `token expires in ${(expiresIn / 3600).toFixed(1)} h`;
}

/**
 * The human-readable account of a found token shown by `oda token inspect`
 * and the demo: where it was found, its payload ({@linkcode formatToken}),
 * its roles and {@linkcode formatTokenExpiry}. Never the token itself.
 *
 * @example
 * ```ts
 * import { formatTokenReport } from "@oda-hub/oda-api";
 * console.log(formatTokenReport({ sub: "a@b.c", roles: "general" }, "TokenLocation.ODA_ENV_VAR"));
 * // found token in TokenLocation.ODA_ENV_VAR
 * // your token payload: {...}
 * // roles: general
 * // token has no expiry (exp) claim
 * ```
 */
export function formatTokenReport(payload: OdaTokenPayload, where: string, now?: number | Date): string {
  return `found token in ${where}\nyour token payload: ${formatToken(payload)}\n` +
    `roles: ${tokenRoles(payload).join(", ") || "(none)"}\n${
      formatTokenExpiry(tokenExpiresIn(payload, now))
    }`;
}
