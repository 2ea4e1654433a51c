/**
 * A small `.env` parser (no dependency): `KEY=VALUE` lines, `export KEY=VALUE`,
 * `#` comments, single quotes (literal), double quotes (with `\n`, `\t`, `\"`,
 * `\\` escapes, may span lines), unquoted values with trailing ` # comment`.
 * No `${VAR}` expansion, so the notebook and the CLI read the same value.
 *
 * @module
 */

const LINE_RE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/**
 * Parse dotenv text into a record (later keys win).
 *
 * @example
 * ```ts
 * import { parseDotenv } from "@oda-hub/oda-api/token";
 * parseDotenv('export ODA_TOKEN="abc" # mine\nX=1'); // { ODA_TOKEN: "abc", X: "1" }
 * ```
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = LINE_RE.exec(lines[i]);
    if (!m) continue;
    const key = m[1];
    let rest = m[2];
    let value: string;
    if (rest.startsWith("'")) {
      let end = rest.indexOf("'", 1);
      while (end < 0 && i + 1 < lines.length) {
        rest += "\n" + lines[++i];
        end = rest.indexOf("'", 1);
      }
      value = end < 0 ? rest.slice(1) : rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      let j = 1;
      let buf = "";
      let closed = false;
      for (;;) {
        for (; j < rest.length; j++) {
          const c = rest[j];
          if (c === "\\" && j + 1 < rest.length) {
            const n = rest[++j];
            buf += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n;
          } else if (c === '"') {
            closed = true;
            break;
          } else buf += c;
        }
        if (closed || i + 1 >= lines.length) break;
        buf += "\n";
        rest = rest + "\n" + lines[++i];
        j = rest.length - lines[i].length;
      }
      value = buf;
    } else {
      value = rest.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
    }
    out[key] = value;
  }
  return out;
}
