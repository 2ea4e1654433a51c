/**
 * Assemble README.md from docs/readme/_skeleton.md and the pieces docs/readme/*.md written per area.
 *
 *   deno task readme            # write README.md
 *   deno task readme --check    # exit 1 when README.md is not what the pieces give
 *
 * Skeleton markers (HTML comments, each alone on a line):
 *   <!-- include: NAME.md -->   the piece docs/readme/NAME.md (nothing if it does not exist yet)
 *   <!-- pieces -->             every piece not included explicitly, in PIECE_ORDER then alphabetical order
 *   <!-- pages -->              links to docs/guide/NAME.md, one page generated per piece not included
 *   <!-- python-ts-rows -->     the rows of every piece's "| Python ... | TypeScript ... |" table
 *   <!-- toc -->                a list of the README's `## ` sections
 * Every piece not included in README.md becomes a reference page docs/guide/NAME.md (same text, links rebased,
 * its Python → TypeScript rows repeated at the end), linked from README.md at `<!-- pages -->`.
 * Within pieces: Python → TypeScript tables are moved into the main table (one table for the whole README),
 * imports of "../mod.ts" / "../sandbox.ts" / "../fits.ts" … become "@oda-hub/oda-api[/sandbox|/fits|…]", and relative
 * links and images are rebased onto docs/readme/.
 *
 * @module
 */

const DIR = new URL("../docs/readme/", import.meta.url);
const README = new URL("../README.md", import.meta.url);
const GUIDE = new URL("../docs/guide/", import.meta.url);
const GUIDE_DIR = "docs/guide/";
const SKELETON = "_skeleton.md";
/** Order of the pieces inserted at `<!-- pieces -->` (others follow alphabetically). */
const PIECE_ORDER = [
  "client",
  "products",
  "display",
  "jupyter",
  "notebooks",
  "science",
  "api_code",
  "tokens",
  "cli",
  "sandbox",
  "instruments",
  "codecs",
  "fits",
  "security",
  "performance",
  "development",
];

const MARKER_RE = /^<!--\s*(include:\s*([\w.-]+\.md)|pieces|pages|python-ts-rows|toc)\s*-->\s*$/;
const PY_TABLE_HEAD_RE = /^\|\s*Python\b.*\|\s*TypeScript\b.*\|\s*$/i;
const SEPARATOR_RE = /^\|(\s*:?-+:?\s*\|)+\s*$/;

/** A piece: its text without Python→TS tables, and the rows of those tables. */
export interface Piece {
  name: string;
  body: string;
  rows: string[];
}

/**
 * Split a piece into body and Python→TypeScript rows; rewrite imports and relative links (for README.md at the
 * repository root, or for a page in docs/guide/).
 */
export function parsePiece(name: string, text: string, target: "readme" | "page" = "readme"): Piece {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const body: string[] = [];
  const fenced: boolean[] = [];
  const rows: string[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && PY_TABLE_HEAD_RE.test(line) && SEPARATOR_RE.test(lines[i + 1] ?? "")) {
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith("|")) rows.push(lines[i++].trim());
      i--;
      continue;
    }
    body.push(rewriteImports(line));
    fenced.push(inFence || /^\s*(```|~~~)/.test(line));
  }
  // links may span lines (long alt texts): rewrite them on each run of lines outside code fences
  const out: string[] = [];
  for (let i = 0; i < body.length;) {
    let j = i;
    while (j < body.length && fenced[j] === fenced[i]) j++;
    const chunk = body.slice(i, j).join("\n");
    out.push(fenced[i] ? chunk : rewriteLinks(chunk, target));
    i = j;
  }
  return { name, body: out.join("\n").replace(/\n{3,}/g, "\n\n").trim(), rows };
}

function rewriteImports(line: string): string {
  return line
    .replace(/(["'])(?:\.\.\/)+mod\.ts\1/g, '"@oda-hub/oda-api"')
    .replace(
      /(["'])(?:\.\.\/)+(sandbox|cli|fits|pickle|display|token|science|types)\.ts\1/g,
      '"@oda-hub/oda-api/$2"',
    );
}

function rewriteLinks(text: string, target: "readme" | "page"): string {
  return text.replace(
    /(!?\[[^\]]*\]\()([^)\s]+)(\s+"[^"]*")?\)/g,
    (m, open: string, href: string, title = "") => {
      if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href)) return m;
      // links are relative to docs/readme/ (`../x` is docs/x, `../../x` the repo root); paths starting with a
      // top-level folder are already repo-relative
      const rebased = /^(docs|tests|bench|lib|notebooks|tools|\.ci)\//.test(href)
        ? href
        : new URL(href, "file:///repo/docs/readme/").pathname.replace(/^\/repo\//, "");
      return `${open}${target === "page" ? "../../" + rebased : rebased}${title})`;
    },
  );
}

/** Turn a heading into GitHub's anchor. */
export function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** Assemble the README from the skeleton text and the pieces (name → text). */
export function assemble(skeleton: string, pieces: Map<string, string>): string {
  const parsed = new Map([...pieces].map(([n, t]) => [n, parsePiece(n, t)]));
  const included = new Set<string>();
  for (const line of skeleton.split("\n")) {
    const m = MARKER_RE.exec(line.trim());
    if (m?.[2]) included.add(m[2]);
  }
  const rest = [...parsed.keys()].filter((n) => !included.has(n)).sort((a, b) => {
    const ia = PIECE_ORDER.indexOf(a.replace(/\.md$/, ""));
    const ib = PIECE_ORDER.indexOf(b.replace(/\.md$/, ""));
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1);
  });
  const order = [
    ...skeleton.split("\n").flatMap((l) => {
      const m = MARKER_RE.exec(l.trim());
      return m?.[2] ? [m[2]] : m?.[1] === "pieces" || m?.[1] === "pages" ? rest : [];
    }),
  ];
  const allRows = order.flatMap((n) => parsed.get(n)?.rows ?? []);
  const out: string[] = [];
  for (const line of skeleton.split("\n")) {
    const m = MARKER_RE.exec(line.trim());
    if (!m) {
      out.push(line);
      continue;
    }
    if (m[2]) {
      const p = parsed.get(m[2]);
      if (p && p.body) out.push(p.body, "");
    } else if (m[1] === "pieces") {
      for (const n of rest) if (parsed.get(n)!.body) out.push(parsed.get(n)!.body, "");
    } else if (m[1] === "pages") {
      for (const n of rest) {
        const heads = [...parsed.get(n)!.body.matchAll(/^## (.+)$/gm)].map((h) => h[1]);
        if (!heads.length) continue;
        const more = heads.length > 1 ? `: ${heads.slice(1).join("; ")}` : "";
        out.push(`- [${heads[0]}](${GUIDE_DIR}${n})${more}`);
      }
    } else if (m[1] === "python-ts-rows") {
      // rows go right after the table that precedes the marker
      while (out.length && out[out.length - 1].trim() === "") out.pop();
      out.push(...allRows);
    } else if (m[1] === "toc") {
      out.push("<!-- toc -->");
    }
  }
  let text = out.join("\n").replace(/\n{3,}/g, "\n\n");
  const headings = [...text.matchAll(/^## (.+)$/gm)].map((h) => h[1]).filter((h) => h !== "Contents");
  text = text.replace("<!-- toc -->", headings.map((h) => `- [${h}](#${anchor(h)})`).join("\n"));
  return text.trimEnd() + "\n";
}

/** The reference pages: one per piece that README.md does not include (path under docs/guide/ → text). */
export function pages(skeleton: string, pieces: Map<string, string>): Map<string, string> {
  const included = new Set<string>();
  for (const line of skeleton.split("\n")) {
    const m = MARKER_RE.exec(line.trim());
    if (m?.[2]) included.add(m[2]);
  }
  const out = new Map<string, string>();
  for (const [name, text] of pieces) {
    if (included.has(name)) continue;
    const p = parsePiece(name, text, "page");
    if (!p.body) continue;
    const table = p.rows.length
      ? `\n\n## Python → TypeScript\n\n| Python (\`oda_api\`) | TypeScript |\n| --- | --- |\n${
        p.rows.join("\n")
      }`
      : "";
    out.set(
      name,
      `<!-- Generated by \`deno task readme\` from docs/readme/${name}: edit that file, not this one. -->\n\n` +
        `[← README](../../README.md)\n\n${p.body}${table}\n`,
    );
  }
  return out;
}

async function readPieces(): Promise<{ skeleton: string; pieces: Map<string, string> }> {
  const skeleton = await Deno.readTextFile(new URL(SKELETON, DIR));
  const pieces = new Map<string, string>();
  for await (const e of Deno.readDir(DIR)) {
    if (e.isFile && e.name.endsWith(".md") && !e.name.startsWith("_")) {
      pieces.set(e.name, await Deno.readTextFile(new URL(e.name, DIR)));
    }
  }
  return { skeleton, pieces };
}

async function formatMarkdown(text: string): Promise<string> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: new URL("..", import.meta.url).pathname,
  }).spawn();
  const w = cmd.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await cmd.output();
  if (!out.success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

async function stable(text: string): Promise<string> {
  // deno fmt is not always idempotent on code blocks: format until stable
  for (let i = 0; i < 4; i++) {
    const next = await formatMarkdown(text);
    if (next === text) break;
    text = next;
  }
  return text;
}

if (import.meta.main) {
  const { skeleton, pieces } = await readPieces();
  const wanted = new Map<URL, string>([[README, await stable(assemble(skeleton, pieces))]]);
  for (const [name, text] of pages(skeleton, pieces)) wanted.set(new URL(name, GUIDE), await stable(text));
  const stale: URL[] = [];
  await Deno.mkdir(GUIDE, { recursive: true });
  for await (const e of Deno.readDir(GUIDE)) {
    const url = new URL(e.name, GUIDE);
    if (e.isFile && ![...wanted.keys()].some((u) => u.href === url.href)) stale.push(url);
  }
  const rel = (u: URL) => u.href.slice(new URL("..", import.meta.url).href.length);
  if (Deno.args.includes("--check")) {
    const bad: string[] = stale.map((u) => `${rel(u)} (not generated by any piece)`);
    for (const [url, text] of wanted) {
      if ((await Deno.readTextFile(url).catch(() => "")) !== text) bad.push(rel(url));
    }
    if (bad.length) {
      console.error(`out of date: ${bad.join(", ")}: run \`deno task readme\``);
      Deno.exit(1);
    }
    console.log(`README.md and ${wanted.size - 1} page(s) in docs/guide/ are up to date`);
  } else {
    for (const [url, text] of wanted) await Deno.writeTextFile(url, text);
    for (const url of stale) await Deno.remove(url);
    console.log(
      `README.md and ${
        wanted.size - 1
      } page(s) in docs/guide/ written from ${SKELETON} and ${pieces.size} piece(s)`,
    );
  }
}
