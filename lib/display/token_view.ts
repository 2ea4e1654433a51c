/**
 * A notebook view of a token's payload: who, roles, e-mail options and
 * expiry, as a tidy table. The token string itself is never shown (nor kept
 * in the view object).
 *
 * @module
 */
import { decodeOdaToken, type OdaTokenPayload, tokenExpiresIn, tokenRoles } from "../token/decode.ts";
import { formatTokenExpiry } from "../token/format.ts";
import { escapeHtml, formatValue, htmlTable, viewHtml } from "./html.ts";
import { $display, type MimeBundle } from "./jupyter.ts";

const EMAIL_FLAGS: Record<string, string> = {
  mssub: "e-mail on submission",
  msdone: "e-mail when done",
  mstout: "e-mail on timeout",
  msfail: "e-mail on failure",
  tem: "min. seconds between e-mails",
  intsub: "interval between submission e-mails",
};

/**
 * The decoded payload of a token, displayable as a table; it holds only the
 * payload (the token string is dropped right after decoding).
 *
 * @example
 * ```ts
 * import { TokenInfo } from "@oda-hub/oda-api/display";
 * const info = new TokenInfo({ sub: "a@b.c", exp: Math.floor(Date.now() / 1000) + 3600, roles: "user" });
 * console.log(info.toString());
 * ```
 */
export class TokenInfo {
  /** The payload. */
  readonly payload: OdaTokenPayload;
  /** Clock (ms since epoch) used for the expiry line. */
  readonly now: number;

  /** Wrap a decoded payload. */
  constructor(payload: OdaTokenPayload, now: number = Date.now()) {
    this.payload = payload;
    this.now = now;
  }

  /** Seconds until expiry (negative if expired), if the payload has `exp`. */
  get expiresIn(): number | undefined {
    return tokenExpiresIn(this.payload, this.now);
  }

  /** Rows (claim, value, note) of the table. */
  rows(): [string, string, string][] {
    const p = this.payload;
    const rows: [string, string, string][] = [];
    const seen = new Set<string>();
    const add = (k: string, v: string, note = "") => {
      seen.add(k);
      rows.push([k, v, note]);
    };
    for (const k of ["sub", "email", "name"]) if (p[k] !== undefined) add(k, String(p[k]));
    if (p.roles !== undefined) add("roles", tokenRoles(p).join(", "), `${tokenRoles(p).length} roles`);
    if (typeof p.exp === "number") {
      add(
        "exp",
        new Date(p.exp * 1000).toISOString().replace(".000Z", "Z"),
        formatTokenExpiry(this.expiresIn),
      );
    }
    if (typeof p.iat === "number") {
      add("iat", new Date(p.iat * 1000).toISOString().replace(".000Z", "Z"), "issued");
    }
    for (const [k, label] of Object.entries(EMAIL_FLAGS)) {
      if (p[k] !== undefined) add(k, formatValue(p[k]), label);
    }
    for (const [k, v] of Object.entries(p)) if (!seen.has(k)) add(k, formatValue(v, 200));
    return rows;
  }

  /** Plain-text table (what `console.log` shows). */
  toString(): string {
    const rows = this.rows();
    const w = Math.max(...rows.map((r) => r[0].length), 5);
    return ["MMODA token payload", ...rows.map(([k, v, n]) => `${k.padEnd(w)}  ${v}${n ? `  (${n})` : ""}`)]
      .join("\n");
  }

  /** The notebook bundle. */
  [$display](): MimeBundle {
    const s = this.expiresIn;
    const badge = s === undefined
      ? ""
      : `<span style="padding:1px 6px;border-radius:8px;background:${
        s < 0 ? "#fee2e2" : s < 86400 ? "#fef3c7" : "#dcfce7"
      }">${escapeHtml(formatTokenExpiry(s))}</span>`;
    return {
      "text/plain": this.toString(),
      "text/html": viewHtml(
        `<div class="title">MMODA token payload ${badge}</div>` +
          htmlTable({ headers: ["claim", "value", ""], rows: this.rows() }),
      ),
    };
  }

  /** Shown by `console.log` / `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * Decode a token and return a displayable {@linkcode TokenInfo} (the token
 * string is not kept). Throws `TokenError` for malformed tokens.
 *
 * @example
 * ```ts
 * import { displayToken } from "@oda-hub/oda-api";
 * declare const token: string;
 * displayToken(token); // as the last expression of a cell: a table of the payload with expiry
 * ```
 */
export function displayToken(token: string, now: number = Date.now()): TokenInfo {
  return new TokenInfo(decodeOdaToken(token), now);
}
