/**
 * A detector of a token in a text, in any encoding a server may echo it in: verbatim, percent-encoded (any
 * depth), with `\u` / `\x` escapes (escaped again or not), as base64 or base64url at any offset, and its JWT
 * signature alone (the secret-bearing part: the signature's middle, its bytes, or base64 of either). It
 * decodes what it looks at by itself and shares nothing with the client's redaction, so a redaction that
 * misses an encoding is seen here.
 */

/** The text with percent, `\u` and `\x` escapes decoded (repeatedly: escapes of escapes). */
function unescape(text: string): string {
  for (let i = 0; i < 4; i++) {
    const next = text
      .replace(/%([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\+u([0-9a-f]{4})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\+x([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    if (next === text) break;
    text = next;
  }
  return text;
}

/** Every base64 / base64url decoding of every base64-looking run of the text, at each of the 4 phases. */
function base64Decodings(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{16,}/g)) {
    const run = m[0].replaceAll("-", "+").replaceAll("_", "/");
    for (let phase = 0; phase < 4; phase++) {
      const s = run.slice(phase);
      try {
        out.push(atob(s.slice(0, s.length - (s.length % 4))));
      } catch { /* not base64 */ }
    }
  }
  return out;
}

/**
 * A function telling which form of the token's secret a text shows (undefined: none). For a JWT the secret
 * is its signature; for another token, the token. Matches the middle of the secret (an echo redacted at the
 * base64 level keeps at most a few bits at either end).
 */
export function tokenLeakDetector(token: string): (text: string) => string | undefined {
  const parts = token.split(".");
  const secret = parts.length === 3 ? parts[2] : token;
  const middle = secret.slice(2, -2);
  const middleStd = middle.replaceAll("-", "+").replaceAll("_", "/");
  let bytesMiddle = "";
  try {
    const std = secret.replaceAll("-", "+").replaceAll("_", "/");
    bytesMiddle = atob(std + "=".repeat((4 - (std.length % 4)) % 4)).slice(2, -2);
  } catch { /* not base64: no byte form */ }
  return (text) => {
    for (const t of [text, unescape(text)]) {
      if (t.includes(middle) || t.includes(middleStd)) return "the token's secret";
      for (const d of base64Decodings(t)) {
        if (d.includes(middle)) return "base64 of the token's secret";
        if (bytesMiddle.length >= 8 && d.includes(bytesMiddle)) return "the signature's bytes";
      }
    }
    return undefined;
  };
}

/**
 * Every way a value can be printed or saved: `Deno.inspect` (getters, hidden properties), JSON, `String()`,
 * and for an error its stack, message and each cause's.
 */
export function renderings(v: unknown): string[] {
  const out = [Deno.inspect(v, { depth: Infinity, colors: false, getters: true, showHidden: true })];
  try {
    out.push(JSON.stringify(v) ?? "");
  } catch { /* not serialisable */ }
  try {
    out.push(String(v));
  } catch { /* no string form */ }
  if (v instanceof Error) {
    out.push(v.stack ?? "", v.message);
    let c: unknown = v.cause;
    for (let i = 0; c !== undefined && i < 6; i++) {
      out.push(Deno.inspect(c, { depth: Infinity }), String((c as Error)?.stack ?? c));
      c = (c as Error)?.cause;
    }
  }
  return out;
}
