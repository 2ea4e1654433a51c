/**
 * JWT handling of the sandbox, with PyJWT 2.11 semantics as the dispatcher
 * uses them (HS256 only, `exp`/`iat`/`nbf` checked, any `aud` rejected) and
 * the dispatcher's error mapping (dispatcher-protocol.md §8, §9).
 *
 * @module
 */
import { CompactSign, compactVerify } from "npm:jose@^6.2.17";
import { decodeBase64 } from "../data/base64.ts";
import { pyDumps } from "./pyjson.ts";

/**
 * Claims of a dispatcher token.
 *
 * @example
 * ```ts
 * import type { TokenClaims } from "@oda-hub/oda-api/sandbox";
 * const claims: TokenClaims = { sub: "me@example.org", name: "Me", roles: "general, refresh-tokens", msdone: false };
 * ```
 */
export interface TokenClaims {
  /** User id (e-mail). */
  sub?: string;
  /** E-mail address (the user id when `sub` is absent). */
  email?: string | undefined;
  /** Display name. */
  name?: string | undefined;
  /** Comma-separated roles or a list. */
  roles?: string | string[];
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Any other claim (`msdone`, `mssub`, `intsub`, ...). */
  [claim: string]: unknown;
}

/** Why a token was refused. */
export type TokenFailure =
  /** `exp` in the past (PyJWT `ExpiredSignatureError`). */
  | "expired"
  /** Signature does not verify (PyJWT `InvalidSignatureError`). */
  | "invalid"
  /** Anything else PyJWT raises (`DecodeError`, `InvalidAudienceError`...). */
  | "malformed";

/** Result of {@linkcode verifyToken}. */
export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; failure: TokenFailure; message: string };

const enc = new TextEncoder();

function b64urlDecode(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s) || s.replace(/=+$/, "").length % 4 === 1) return undefined;
  try {
    return decodeBase64(s, { urlSafe: true });
  } catch {
    return undefined;
  }
}

function parseJsonSegment(s: string, what: "header" | "payload"): Record<string, unknown> | string {
  const bytes = b64urlDecode(s);
  if (!bytes) return `Invalid ${what} padding`;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `Invalid ${what} string: 'utf-8' codec can't decode byte 0x${
      (bytes[0] ?? 0).toString(16).padStart(2, "0")
    } in position 0: invalid start byte`;
  }
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== "object" || Array.isArray(v)) {
      return what === "header"
        ? "Invalid header string: must be a json object"
        : "Invalid payload string: must be a json object";
    }
    return v as Record<string, unknown>;
  } catch (e) {
    return `Invalid ${what} string: ${(e as Error).message}`;
  }
}

/**
 * The payload of a JWT without checking its signature (for display, like
 * upstream's job records); undefined if it does not decode to a JSON object.
 *
 * @example
 * ```ts
 * import { mintJwt, unverifiedClaims } from "./auth.ts";
 * unverifiedClaims(await mintJwt({ sub: "a@b.c" }, "s"))?.sub; // "a@b.c"
 * ```
 */
export function unverifiedClaims(token: string): TokenClaims | undefined {
  const payload = parseJsonSegment(token.split(".")[1] ?? "", "payload");
  return typeof payload === "string" ? undefined : payload;
}

/**
 * Verify a token like `jwt.decode(token, secret, algorithms=["HS256"])`.
 *
 * @example
 * ```ts
 * import { mintJwt, verifyToken } from "./auth.ts";
 * const t = await mintJwt({ sub: "a@b.c", exp: Math.floor(Date.now() / 1000) + 60 }, "s");
 * (await verifyToken(t, "s")).ok; // true
 * ```
 */
export async function verifyToken(token: string, secret: string, nowSeconds?: number): Promise<TokenCheck> {
  const parts = token.split(".");
  if (parts.length !== 3) {
    return {
      ok: false,
      failure: "malformed",
      message: parts.length < 3 ? "Not enough segments" : "Invalid crypto padding",
    };
  }
  const header = parseJsonSegment(parts[0], "header");
  if (typeof header === "string") return { ok: false, failure: "malformed", message: header };
  const payload = parseJsonSegment(parts[1], "payload");
  if (typeof payload === "string") return { ok: false, failure: "malformed", message: payload };
  if (header.alg !== "HS256") {
    return { ok: false, failure: "malformed", message: "The specified alg value is not allowed" };
  }
  try {
    await compactVerify(token, enc.encode(secret), { algorithms: ["HS256"] });
  } catch {
    return { ok: false, failure: "invalid", message: "Signature verification failed" };
  }
  const now = nowSeconds ?? Date.now() / 1000;
  const num = (k: string): number | undefined | "bad" => {
    const v = payload[k];
    if (v === undefined) return undefined;
    return typeof v === "number" && Number.isFinite(v) ? v : "bad";
  };
  const iat = num("iat");
  if (iat === "bad") {
    return { ok: false, failure: "malformed", message: "Issued At claim (iat) must be an integer." };
  }
  if (iat !== undefined && iat > now) {
    return { ok: false, failure: "malformed", message: "The token is not yet valid (iat)" };
  }
  const nbf = num("nbf");
  if (nbf === "bad") {
    return { ok: false, failure: "malformed", message: "Not Before claim (nbf) must be an integer." };
  }
  if (nbf !== undefined && nbf > now) {
    return { ok: false, failure: "malformed", message: "The token is not yet valid (nbf)" };
  }
  const exp = num("exp");
  if (exp === "bad") {
    return { ok: false, failure: "malformed", message: "Expiration Time claim (exp) must be an integer." };
  }
  if (exp !== undefined && exp <= now) {
    return { ok: false, failure: "expired", message: "Signature has expired" };
  }
  if ("aud" in payload && payload.aud !== null && payload.aud !== "") {
    return { ok: false, failure: "malformed", message: "Invalid audience" };
  }
  if ("sub" in payload && typeof payload.sub !== "string") {
    return { ok: false, failure: "malformed", message: "Subject must be a string" };
  }
  return { ok: true, claims: payload as TokenClaims };
}

/**
 * Sign claims as an HS256 JWT like PyJWT does (header `{"alg":"HS256","typ":"JWT"}`,
 * payload as compact Python JSON, so `PyFloat` claims keep their `.0`).
 *
 * @example
 * ```ts
 * import { mintJwt } from "./auth.ts";
 * const t = await mintJwt({ sub: "a@b.c", roles: "general" }, "secret");
 * ```
 */
export async function mintJwt(claims: TokenClaims, secret: string): Promise<string> {
  return await new CompactSign(enc.encode(pyDumps(claims, { compact: true })))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(enc.encode(secret));
}

/** Roles of a token, as `tokenHelper.get_token_roles` parses them (comma string or list, trimmed). */
export function tokenRoles(claims: TokenClaims | undefined): string[] {
  if (!claims) return [];
  const r = claims.roles;
  if (Array.isArray(r)) return r.map((x) => String(x).trim()).filter((x) => x.length > 0);
  if (typeof r === "string") return r.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
  return [];
}

/** User id of a token (`sub`, falling back to `email`). */
export function tokenUser(claims: TokenClaims | undefined): string | undefined {
  if (!claims) return undefined;
  if (typeof claims.sub === "string") return claims.sub;
  if (typeof claims.email === "string") return claims.email;
  return undefined;
}
