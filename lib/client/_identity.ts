/**
 * Who a `DispatcherAPI` speaks as: the token a caller gives (checked for shape only), the user a token names
 * (for cache keys and saved jobs: never the token itself), and the random session id.
 *
 * @module
 */
import { decodeOdaToken } from "../token/decode.ts";

/** A random 16-character session id (`[A-Z0-9]`), as oda_api makes one. */
export function randomSessionId(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => chars[b % 36]).join("");
}

/** A token given by the caller: trimmed, empty = none, otherwise it must be a well-formed JWT (TOKEN_MALFORMED). */
export function explicitToken(token: string | null): string | undefined {
  if (token === null) return undefined;
  const t = String(token).trim();
  if (t === "") return undefined;
  decodeOdaToken(t); // structure only (no signature, no expiry): the server judges those
  return t;
}

/** The user a token names (`sub`, else `email`), `public` without one. */
export function userOf(token: string | undefined): string {
  if (!token) return "public";
  try {
    const p = decodeOdaToken(token) as { sub?: unknown; email?: unknown | undefined };
    return String(p.sub ?? p.email ?? "unknown-user");
  } catch {
    return "unknown-user";
  }
}
