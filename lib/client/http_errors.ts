/**
 * How the client reads the dispatcher's answers when they are not what was
 * asked for: malformed JSON, error statuses mapped to typed errors carrying
 * the server's words (or the one line of an HTML error page), missing roles,
 * and tokens the server echoed back removed from the text.
 *
 * @module
 */
import {
  DecodeError,
  DispatcherError,
  errorMessage,
  type OdaError,
  redactSecrets,
  TokenError,
  UnauthorizedError,
} from "../errors.ts";
import { parseJson } from "../data/json.ts";
import { tokenEchoRedactor } from "../token/echoes.ts";

/**
 * First characters of a body, secrets removed, for error messages.
 *
 * @example
 * ```ts
 * import { snippet } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(snippet("x".repeat(1000), 10), "xxxxxxxxxx…");
 * ```
 */
export function snippet(text: string, max = 300): string {
  const t = text.length > max ? text.slice(0, max) + "…" : text;
  return redactSecrets(t);
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/**
 * Parse a 200 JSON body (NaN/Infinity tolerant) or raise
 * `DecodeError("MALFORMED_RESPONSE")` with a snippet of what came back.
 *
 * @example
 * ```ts
 * import { parseResponseJson } from "./http_errors.ts";
 * parseResponseJson('{"a": NaN}', "http://127.0.0.1/x");
 * ```
 */
export function parseResponseJson(text: string, url: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new DecodeError(
      "MALFORMED_RESPONSE",
      `The dispatcher's answer is not valid JSON (${errorMessage(e)}); it starts with: ${
        JSON.stringify(snippet(text, 200))
      }`,
      { url, cause: e },
    );
  }
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/**
 * Roles named as missing in a dispatcher 403 message (both the run_analysis
 * "lacking all of the following roles" list and the endpoint
 * "following roles are missing: a, b." form).
 *
 * @example
 * ```ts
 * import { parseMissingRoles } from "./http_errors.ts";
 * parseMissingRoles("...but the following roles are missing: job manager."); // ["job manager"]
 * ```
 */
export function parseMissingRoles(message: string): string[] {
  const m1 = /following roles are missing:\s*([^\n]*)/i.exec(message);
  if (m1) return m1[1].replace(/\.\s*$/, "").split(",").map((s) => s.trim()).filter(Boolean);
  const idx = message.search(/lacking all of the following roles:/i);
  if (idx >= 0) {
    const roles: string[] = [];
    for (const line of message.slice(idx).split("\n").slice(1)) {
      const m = /^\s*-\s*([^:]+?)\s*(:|$)/.exec(line);
      if (!m) break;
      roles.push(m[1]);
    }
    return roles;
  }
  return [];
}

/**
 * Map a non-2xx dispatcher answer to a typed error with the server's words.
 *
 * @example
 * ```ts
 * import { errorForResponse } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 * const e = errorForResponse(500, '{"error_message": "boom"}', "http://127.0.0.1/run_analysis");
 * assert.equal(e.code, "DISPATCHER_ERROR");
 * ```
 */
export function errorForResponse(
  status: number,
  text: string,
  url: string,
  location?: string | null,
): OdaError {
  const body = tryParse(text);
  const serverError = str(get(body, "error_message")) ?? str(get(body, "error"));
  if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
    const where = location ?? "(no Location header)";
    const base = url.replace(/\?.*$/, "");
    return new DispatcherError(
      "URL_REDIRECTED",
      `the service was moved${
        status === 301 || status === 308 ? " permanently" : ""
      }, please reinitialize DispatcherAPI with "${
        where.replace(/\?.*$/, "").replace(/\/run_analysis$/, "")
      }" (you asked for "${base.replace(/\/run_analysis$/, "")}")`,
      { status, url, details: { location: redactSecrets(where) } },
    );
  }
  if (status === 403) {
    const message = str(get(body, "exit_status", "message")) ?? serverError ??
      (body === undefined ? text.trim() : undefined) ?? `undecodable: ${snippet(text)}`;
    const debug = str(get(body, "exit_status", "debug_message")) ?? str(get(body, "debug_message"));
    if (/expired/i.test(message)) {
      return new TokenError(
        "TOKEN_EXPIRED",
        `${message} — the token has expired: refresh it or get a new one (https://www.astro.unige.ch/mmoda/)`,
        { status, url },
      );
    }
    const missing = parseMissingRoles(message);
    const full = debug && !message.includes(debug) ? `${message} (${debug})` : message;
    return new UnauthorizedError(full, {
      status,
      url,
      details: {
        ...(missing.length ? { missing_roles: missing } : {}),
        server_message: redactSecrets(message),
      },
    });
  }
  if (status === 400) {
    const message = serverError ?? (body === undefined ? text.trim() : snippet(text));
    if (/unable to find any record for/i.test(message)) {
      return new DispatcherError("JOB_NOT_FOUND", message, { status, url });
    }
    return new DispatcherError("REQUEST_NOT_UNDERSTOOD", `request not understood: ${message}`, {
      status,
      url,
      details: { error: str(get(body, "error")) },
    });
  }
  if (status === 500) {
    const page = body === undefined ? htmlErrorLine(text) : undefined;
    const message = serverError ?? str(get(body, "message")) ?? page ??
      (body === undefined && text.trim() ? snippet(text) : "[no error message reported]");
    return new DispatcherError("DISPATCHER_ERROR", `dispatcher error (HTTP 500): ${message}`, {
      status,
      url,
      ...(page !== undefined ? { details: { page: snippet(text, 64 * 1024) } } : {}),
    });
  }
  if (status === 502 || status === 503 || status === 504) {
    return new DispatcherError("DISPATCHER_UNAVAILABLE", `dispatcher not available (HTTP ${status})`, {
      status,
      url,
    });
  }
  return new DispatcherError("UNEXPECTED_STATUS", `status: ${status}, raw: ${snippet(text)}`, {
    status,
    url,
  });
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: " " };

/**
 * The one line that says what went wrong in a server's HTML error page: the
 * exception line of a Python traceback (Werkzeug debugger pages, tracebacks
 * printed in the page), else the page's heading and first paragraph;
 * `undefined` when the text is not HTML. At most 300 characters, secrets
 * removed.
 *
 * @example
 * ```ts
 * import { htmlErrorLine } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(htmlErrorLine("<html><pre>Traceback (most recent call last):\n  File x\nKeyError: 'T1'</pre></html>"), "KeyError: 'T1'");
 * ```
 */
export function htmlErrorLine(text: string): string | undefined {
  const head = text.slice(0, 1024).trimStart().toLowerCase();
  if (!head.startsWith("<!doctype html") && !head.startsWith("<html") && !/<(title|h1|body)\b/.test(head)) {
    return undefined;
  }
  const page = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  const plain = (html: string) =>
    html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ").replace(/<br\s*\/?>/gi, "\n").replace(
      /<[^>]*>/g,
      "",
    )
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
        if (e[0] === "#") {
          const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
        }
        return ENTITIES[e.toLowerCase()] ?? m;
      });
  const one = (t: string) => snippet(t.replace(/\s+/g, " ").trim(), 300);
  const lines = plain(page).split("\n").map((l) => l.trim()).filter(Boolean);
  const tb = lines.findLastIndex((l) => l.startsWith("Traceback (most recent call last)"));
  if (tb >= 0) {
    const exc = lines.slice(tb + 1).find((l) =>
      /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b/.test(l)
    );
    if (exc) return one(exc);
  }
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(page)?.[1];
  const debuggerTitle = title && /^(.*?)\s*\/\/\s*Werkzeug Debugger/i.exec(plain(title).trim());
  if (debuggerTitle && debuggerTitle[1]) return one(debuggerTitle[1]);
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(page)?.[1];
  const p = /<p[^>]*>([\s\S]*?)<\/p>/i.exec(page)?.[1];
  const parts = [h1 ?? title, p].filter((x): x is string => x !== undefined).map((x) => plain(x).trim());
  return parts.length ? one(parts.filter(Boolean).join(": ")) : undefined;
}

/**
 * The answer's text with every echo of the request's token(s) replaced by `<redacted token>`: verbatim (the
 * dispatcher echoes the token in `analysis_parameters`, `api_code` and callback reports), percent-encoded,
 * with JSON or Python escapes, as base64 / base64url at any offset, or its JWT signature alone (see
 * {@linkcode tokenEchoRedactor}). Linear in the text; the text is returned unchanged when there is nothing
 * to replace.
 *
 * @example
 * ```ts
 * import { redactEchoedTokens } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redactEchoedTokens('{"token": "abc.def.ghi"}', [["token", "abc.def.ghi"]]), '{"token": "<redacted token>"}');
 * assert.equal(redactEchoedTokens('{"t": "\\u0061bc.def.ghi"}', [["token", "abc.def.ghi"]]), '{"t": "<redacted token>"}');
 * ```
 */
export function redactEchoedTokens(text: string, params: ReadonlyArray<readonly [string, string]>): string {
  return echoRedactor(params)(text);
}

/**
 * {@linkcode redactEchoedTokens} for one request, built once and applied to every string of its answer.
 *
 * @example
 * ```ts
 * import { echoRedactor } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 * const redact = echoRedactor([["instrument", "isgri"], ["token", "abc.def.ghijklmnop"]]);
 * assert.equal(redact("sig ghijklmnop"), "sig <redacted token>");
 * ```
 */
export function echoRedactor(params: ReadonlyArray<readonly [string, string]>): (text: string) => string {
  const each = params.filter(([k]) => k === "token").map(([, v]) => tokenEchoRedactor(v));
  if (each.length === 0) return (text) => text;
  if (each.length === 1) return each[0];
  return (text) => each.reduce((t, r) => r(t), text);
}
