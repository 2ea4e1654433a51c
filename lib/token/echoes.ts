/**
 * Echoes of a token in a server's answer, in the encodings an MMODA answer can carry it, and their
 * redaction. The dispatcher echoes the request's token verbatim in `analysis_parameters`, `api_code` and
 * every callback report of `job_monitor` (the backend calls back on a URL carrying `token=`); a hostile or
 * buggy server may also echo it:
 *
 * - percent-encoded (a download or callback URL in an answer; `%65%79%4A…` even where nothing needs it),
 * - with JSON (`\u0065`) or Python (`\x65`) escapes, or an escaped slash (`\/`),
 * - as base64 or base64url, padded or not, alone or inside a longer base64 text at any byte offset (a
 *   `binary_data_product_list` file, a picture's `b64data`),
 * - as the JWT's signature segment alone (the secret-bearing part: `header.payload` without it is harmless
 *   and left alone), also in the standard base64 alphabet.
 *
 * Base64 of a token inside a longer text starts at byte offset 0, 1 or 2 modulo 3; in each case the base64
 * characters that depend on token bytes only are a fixed string (the "core"), so the three cores of each
 * alphabet are searched for like the token itself. The characters at the core's two ends mix token bits
 * with neighbouring bytes (at most 6 bits of the token each) and stay.
 *
 * The redaction is linear in the text: one pass resolves the escapes into a view (only when the text has a
 * `%` or a `\`), each form is found with `indexOf`, the ranges are merged and mapped back to the text.
 *
 * @module
 */
import { encodeBase64 } from "../data/base64.ts";
import { REDACTED_TOKEN } from "../errors.ts";

/** Shorter secrets are not searched for (too many accidental matches, and no real token is that short). */
const MIN_SECRET = 8;
/** Shorter base64 cores are not searched for (they would match data by chance). */
const MIN_CORE = 12;

const enc = new TextEncoder();

/** The base64 characters that depend only on `bytes` when they start `offset` (0..2) bytes into a group. */
function base64Core(bytes: Uint8Array, offset: number, urlSafe: boolean): string {
  const padded = new Uint8Array(offset + bytes.length);
  padded.set(bytes, offset);
  const b64 = encodeBase64(padded, { urlSafe });
  // character i covers bits [6i, 6i + 6); the secret covers bits [8 offset, 8 (offset + n))
  const start = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  return b64.slice(start, end);
}

/**
 * The strings whose presence in a text means the token is there: the token, its JWT signature segment
 * (both base64 alphabets), and the base64 / base64url cores of each at the three byte offsets. Longest
 * first; empty for a token shorter than 8 characters.
 *
 * @example
 * ```ts
 * import { tokenEchoForms } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
 * const forms = tokenEchoForms(token);
 * assert.ok(forms.includes("c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")); // the signature alone
 * assert.ok(forms.some((f) => btoa(token).startsWith(f) && f.length > 90)); // base64 of the token
 * ```
 */
export function tokenEchoForms(token: string): string[] {
  if (token.length < MIN_SECRET) return [];
  const secrets = new Set([token]);
  const parts = token.split(".");
  const sig = parts.length === 3 ? parts[2] : "";
  if (sig.length >= MIN_SECRET) {
    secrets.add(sig);
    secrets.add(sig.replaceAll("-", "+").replaceAll("_", "/"));
  }
  const forms = new Set<string>(secrets);
  for (const s of secrets) {
    const bytes = enc.encode(s);
    for (let offset = 0; offset < 3; offset++) {
      for (const urlSafe of [false, true]) {
        const core = base64Core(bytes, offset, urlSafe);
        if (core.length >= MIN_CORE) forms.add(core);
      }
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** The value of `n` hex digits of `text` at `at`, or -1. */
function hexAt(text: string, at: number, n: number): number {
  if (at + n > text.length) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(at + k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * The text with its escapes resolved (`%XX`, `\uXXXX`, `\xXX`, `\/`), and where each escape was, to map
 * positions of the view back to the text. `escapes` holds triples (view index, text index, text length).
 */
interface EscapeView {
  view: string;
  escapes: number[];
}

function unescapeView(text: string, inForms: Uint8Array): EscapeView | undefined {
  if (!text.includes("%") && !text.includes("\\")) return undefined;
  // pass 1: where the escapes are (text index, text length, code), and whether any of them decodes to a
  // character the forms use (if none does, no form can match across an escape: the text is searched as is)
  const found: number[] = [];
  let useful = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 37 && c !== 92) continue; // % and \
    let len = 0, code = -1;
    // a run of `\` (or of `%25`) before the escape: the escape itself escaped again, as a `\x65` of
    // api_code reads in the answer's JSON text (`\\x65`), or a percent-encoded `%` (`%2565`)
    let j = i;
    if (c === 37) {
      while (text.startsWith("25", j + 1) && hexAt(text, j + 3, 2) >= 0) j += 2;
      code = hexAt(text, j + 1, 2);
      if (code >= 0) len = j + 3 - i;
    } else {
      while (text.charCodeAt(j + 1) === 92) j++;
      const k = text.charCodeAt(j + 1);
      if (k === 117) { // \uXXXX
        code = hexAt(text, j + 2, 4);
        if (code >= 0) len = j + 6 - i;
      } else if (k === 120) { // \xXX
        code = hexAt(text, j + 2, 2);
        if (code >= 0) len = j + 4 - i;
      } else if (k === 47) [len, code] = [j + 2 - i, 47]; // \/
    }
    if (len === 0) {
      if (c === 92) i = j; // the rest of a run of backslashes leads to the same (no) escape: linear
      continue;
    }
    found.push(i, len, code);
    if (code >= 128 || inForms[code]) useful = true;
    i += len - 1;
  }
  if (!useful) return undefined;
  // pass 2: the view, and the escapes as (view index, text index, text length)
  const out: string[] = [];
  const escapes: number[] = [];
  let runStart = 0, viewLen = 0;
  for (let e = 0; e < found.length; e += 3) {
    const [i, len, code] = [found[e], found[e + 1], found[e + 2]];
    if (i > runStart) out.push(text.slice(runStart, i));
    viewLen += i - runStart;
    escapes.push(viewLen, i, len);
    out.push(String.fromCharCode(code));
    viewLen += 1;
    runStart = i + len;
  }
  out.push(text.slice(runStart));
  return { view: out.join(""), escapes };
}

/**
 * A function replacing every echo of `token` in a text (see the module documentation for the forms) by
 * `<redacted token>`; the text comes back unchanged (the same string) when it holds none. Linear in the
 * text. Build it once per token and apply it to every string of an answer.
 *
 * @example
 * ```ts
 * import { tokenEchoRedactor } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
 * const redact = tokenEchoRedactor(token);
 * assert.equal(redact(`get?token=${encodeURIComponent(token)}&x=1`), "get?token=<redacted token>&x=1");
 * assert.ok(!redact(btoa(`{"token": "${token}"}`)).includes(btoa(token).slice(8, 40)));
 * assert.equal(redact("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9"), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhQGIuYyJ9");
 * ```
 */
export function tokenEchoRedactor(token: string): (text: string) => string {
  const forms = tokenEchoForms(token);
  if (!forms.length) return (text) => text;
  const inForms = new Uint8Array(128);
  for (const f of forms) {
    for (let i = 0; i < f.length; i++) if (f.charCodeAt(i) < 128) inForms[f.charCodeAt(i)] = 1;
  }
  return (text) => redactForms(text, forms, inForms);
}

function redactForms(text: string, forms: readonly string[], inForms: Uint8Array): string {
  const ev = unescapeView(text, inForms);
  const view = ev?.view ?? text;
  const ranges: number[] = []; // [start, end) pairs in the view
  for (const f of forms) {
    for (let at = view.indexOf(f); at >= 0; at = view.indexOf(f, at + f.length)) {
      ranges.push(at, at + f.length);
    }
  }
  if (!ranges.length) return text;
  const order = Array.from({ length: ranges.length / 2 }, (_, i) => i).sort((a, b) =>
    ranges[2 * a] - ranges[2 * b]
  );
  const merged: number[] = [];
  for (const i of order) {
    const s = ranges[2 * i], e = ranges[2 * i + 1];
    if (merged.length && s <= merged[merged.length - 1]) {
      merged[merged.length - 1] = Math.max(merged[merged.length - 1], e);
    } else merged.push(s, e);
  }
  const map = ev ? viewMapper(ev.escapes) : undefined;
  const out: string[] = [];
  let last = 0;
  for (let j = 0; j < merged.length; j += 2) {
    const s = map ? map.start(merged[j]) : merged[j];
    const e = map ? map.end(merged[j + 1] - 1) : merged[j + 1];
    out.push(text.slice(last, s), REDACTED_TOKEN);
    last = e;
  }
  out.push(text.slice(last));
  return out.join("");
}

/** Maps view positions (asked in increasing order) to text positions: start and end of a view character. */
function viewMapper(escapes: readonly number[]) {
  let k = -3; // index of the last escape at or before the asked view position
  const seek = (v: number) => {
    if (k >= 0 && escapes[k] > v) k = -3; // asked backwards: restart (rare; keeps it correct)
    while (k + 3 < escapes.length && escapes[k + 3] <= v) k += 3;
  };
  return {
    start(v: number): number {
      seek(v);
      if (k < 0) return v;
      const [ev, et, el] = [escapes[k], escapes[k + 1], escapes[k + 2]];
      return v === ev ? et : et + el + (v - ev - 1);
    },
    end(v: number): number {
      seek(v);
      if (k < 0) return v + 1;
      const [ev, et, el] = [escapes[k], escapes[k + 1], escapes[k + 2]];
      return v === ev ? et + el : et + el + (v - ev);
    },
  };
}
