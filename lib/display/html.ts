/**
 * HTML building blocks for the notebook views: escaping, value formatting,
 * bounded tables (a row limit, so a million-row table never freezes the
 * front end), collapsible sections, and the tabular-data-resource JSON
 * (`application/vnd.dataresource+json`) used by JupyterLab's table viewers.
 *
 * @module
 */
import { redactSecrets } from "../errors.ts";
import { isArraySafe, toTextSafe } from "../data/_coerce.ts";
import type { Table, TableColumn } from "../data/ndarray.ts";

/**
 * Default number of rows shown by tables (like nodejs-polars' 50).
 *
 * @example
 * ```ts
 * import { DEFAULT_ROW_LIMIT, tableToHtml } from "@oda-hub/oda-api/display";
 * const t = { kind: "table" as const, length: 0, columns: [] };
 * tableToHtml(t, { limit: 2 * DEFAULT_ROW_LIMIT }); // show twice the default number of rows
 * ```
 */
export const DEFAULT_ROW_LIMIT = 50;

/**
 * Escape text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(escapeHtml(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/** An object, symbol or function for a cell: never through its own conversions; unreadable ones as `<?>`. */
function formatObject(v: unknown): string {
  if (typeof v === "symbol") return v.toString();
  try {
    if (ArrayBuffer.isView(v) || Array.isArray(v)) {
      const arr = Array.from(v as ArrayLike<unknown>);
      const head = arr.slice(0, 6).map((x) => formatValue(x, 20));
      return `[${head.join(", ")}${arr.length > 6 ? `, … (${arr.length})` : ""}]`;
    }
    const json = JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x) as string | undefined;
    return redactSecrets(json ?? toTextSafe(v));
  } catch {
    try {
      return redactSecrets(toTextSafe(v));
    } catch {
      return "<?>";
    }
  }
}

/**
 * Format one value for a table cell: numbers with up to 6 significant digits
 * (integers in full), bigints, strings (secrets redacted), arrays shortened.
 *
 * @example
 * ```ts
 * import { formatValue } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(formatValue(Math.PI), "3.14159");
 * ```
 */
export function formatValue(v: unknown, maxLen = 80): string {
  let s: string;
  if (v === null || v === undefined) s = v === null ? "None" : "";
  else if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) s = String(v);
    else if (Number.isNaN(v)) s = "nan";
    else if (!Number.isFinite(v)) s = v > 0 ? "inf" : "-inf";
    else {
      const a = Math.abs(v);
      s = a !== 0 && (a < 1e-4 || a >= 1e7)
        ? v.toExponential(5).replace(/\.?0+e/, "e")
        : String(Number(v.toPrecision(6)));
    }
  } else if (typeof v === "bigint") s = v.toString();
  else if (typeof v === "boolean") s = v ? "True" : "False";
  else if (typeof v === "string") s = redactSecrets(v);
  else s = formatObject(v);
  return s.length > maxLen ? s.slice(0, maxLen - 1) + "…" : s;
}

/**
 * Shared CSS of our views (scoped by the `oda-view` class; `!important` on the
 * alignment because JupyterLab right-aligns every table cell with a more
 * specific selector).
 *
 * @example
 * ```ts
 * import { htmlTable, VIEW_CSS } from "@oda-hub/oda-api/display";
 * const page = `${VIEW_CSS}<div class="oda-view">${htmlTable({ headers: ["a"], rows: [["1"]] })}</div>`;
 * ```
 */
export const VIEW_CSS: string = `<style>
.oda-view{font-family:var(--jp-content-font-family,-apple-system,"DejaVu Sans",sans-serif);font-size:13px}
.oda-view table{border-collapse:collapse;margin:4px 0}
.oda-view th,.oda-view td{border:1px solid #ddd;padding:2px 8px;text-align:left!important;vertical-align:top}
.oda-view th{background:#f3f4f6}
.oda-view td.num{text-align:right!important;font-variant-numeric:tabular-nums}
.oda-view .sub{color:#6b7280;font-weight:normal;font-size:11px}
.oda-view .more{color:#6b7280;font-style:italic}
.oda-view summary{cursor:pointer;color:#1f4e9c}
.oda-view pre{margin:2px 0;font-size:12px;max-height:30em;overflow:auto}
.oda-view .title{font-weight:bold;margin:2px 0}
</style>`;

/**
 * Options of {@linkcode htmlTable}.
 *
 * @example
 * ```ts
 * import { htmlTable, type HtmlTableOptions } from "@oda-hub/oda-api/display";
 * const opts: HtmlTableOptions = {
 *   headers: ["source", "flux"],
 *   subHeaders: ["", "mCrab"],
 *   rows: [["Crab", "1000"], ["<b>Vela X-1</b>", "250"]],
 *   numeric: [false, true],
 *   rawHtml: (row, col) => row === 1 && col === 0, // this cell is trusted HTML
 * };
 * const html = htmlTable(opts);
 * ```
 */
export interface HtmlTableOptions {
  /** Column header cells (text). */
  headers: string[];
  /** Optional second header line per column (units, dtypes), shown small. */
  subHeaders?: string[];
  /** Total number of rows (defaults to `rows.length`), used for the "… N more rows" line. */
  totalRows?: number;
  /** Cells already formatted as text; they are escaped here. */
  rows: string[][];
  /** Columns to right-align (numbers). */
  numeric?: boolean[];
  /** Cells holding trusted HTML instead of text: `[row][col]` → true. */
  rawHtml?: (row: number, col: number) => boolean;
  /** Caption above the table (text). */
  caption?: string | undefined;
}

/**
 * An escaped HTML table; when `totalRows` exceeds the rows given, a final
 * "… N more rows" line says how many were left out.
 *
 * @example
 * ```ts
 * import { htmlTable } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const html = htmlTable({ headers: ["a", "b"], rows: [["1", "<x>"]], totalRows: 10 });
 * assert.equal(html.includes("9 more rows"), true);
 * ```
 */
export function htmlTable(opts: HtmlTableOptions): string {
  const out: string[] = ["<table>"];
  if (opts.caption) out.push(`<caption style="text-align:left">${escapeHtml(opts.caption)}</caption>`);
  out.push("<thead><tr>");
  opts.headers.forEach((h, i) => {
    const sub = opts.subHeaders?.[i];
    out.push(`<th>${escapeHtml(h)}${sub ? `<br><span class="sub">${escapeHtml(sub)}</span>` : ""}</th>`);
  });
  out.push("</tr></thead><tbody>");
  opts.rows.forEach((row, r) => {
    out.push("<tr>");
    row.forEach((cell, c) => {
      const cls = opts.numeric?.[c] ? ' class="num"' : "";
      out.push(`<td${cls}>${opts.rawHtml?.(r, c) ? cell : escapeHtml(cell)}</td>`);
    });
    out.push("</tr>");
  });
  const total = opts.totalRows ?? opts.rows.length;
  if (total > opts.rows.length) {
    out.push(
      `<tr><td class="more" colspan="${opts.headers.length}">… ${
        total - opts.rows.length
      } more rows (${total} in total)</td></tr>`,
    );
  }
  out.push("</tbody></table>");
  return out.join("");
}

/**
 * A collapsible section (`<details>`), closed unless `open`.
 *
 * @example
 * ```ts
 * import { details } from "@oda-hub/oda-api/display";
 * details("header (12 cards)", "<pre>SIMPLE = T</pre>");
 * ```
 */
export function details(summaryText: string, bodyHtml: string, open = false): string {
  return `<details${open ? " open" : ""}><summary>${escapeHtml(summaryText)}</summary>${bodyHtml}</details>`;
}

/**
 * Wrap view HTML in the styled container (`<div class="oda-view">` plus the shared CSS).
 *
 * @example
 * ```ts
 * import { viewHtml } from "@oda-hub/oda-api/display";
 * viewHtml("<b>hi</b>");
 * ```
 */
export function viewHtml(inner: string): string {
  return `${VIEW_CSS}<div class="oda-view">${inner}</div>`;
}

function isNumericColumn(c: TableColumn): boolean {
  return !Array.isArray(c.values);
}

/** Number of elements per row of a column. */
function perRow(c: TableColumn): number {
  let n = 1;
  for (const d of c.shape) n *= d;
  return n;
}

/**
 * The value of column `c` at `row` (a sub-array for vector or variable-length
 * columns).
 *
 * @example
 * ```ts
 * import { columnValue } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const col = { name: "x", dtype: "<f8", shape: [], values: new Float64Array([1, 2]) };
 * assert.equal(columnValue(col, 1), 2);
 * ```
 */
export function columnValue(c: TableColumn, row: number): unknown {
  if (c.variableLength) return (c.values as unknown[])[row];
  const k = perRow(c);
  if (k === 1) return (c.values as ArrayLike<unknown>)[row];
  const v = c.values as ArrayLike<unknown> & { subarray?: (a: number, b: number) => unknown; slice: unknown };
  return typeof v.subarray === "function"
    ? v.subarray(row * k, row * k + k)
    : Array.prototype.slice.call(v, row * k, row * k + k);
}

/**
 * Options of {@linkcode tableToHtml}.
 *
 * @example
 * ```ts
 * import { tableToHtml, type TableViewOptions } from "@oda-hub/oda-api/display";
 * const opts: TableViewOptions = { limit: 5, caption: "first 5 rows" };
 * tableToHtml({ kind: "table", length: 0, columns: [] }, opts);
 * ```
 */
export interface TableViewOptions {
  /** Maximum rows shown (default {@linkcode DEFAULT_ROW_LIMIT}). */
  limit?: number;
  /** Caption above the table. */
  caption?: string | undefined;
}

/**
 * Render a {@linkcode Table} as HTML: column names with their unit and numpy
 * dtype underneath, at most `limit` rows, then "… N more rows".
 *
 * @example
 * ```ts
 * import { tableToHtml } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const t = { kind: "table" as const, length: 2, columns: [
 *   { name: "RATE", dtype: ">f4", shape: [], unit: "count/s", values: new Float32Array([1, 2]) }] };
 * assert.equal(tableToHtml(t, { limit: 1 }).includes("1 more rows"), true);
 * ```
 */
export function tableToHtml(t: Table, opts: TableViewOptions = {}): string {
  const limit = Math.max(0, opts.limit ?? DEFAULT_ROW_LIMIT);
  const n = Math.min(limit, t.length);
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) rows.push(t.columns.map((c) => formatValue(columnValue(c, r))));
  return htmlTable({
    caption: opts.caption,
    headers: t.columns.map((c) => c.name),
    subHeaders: t.columns.map((c) =>
      [c.unit, c.dtype + (c.shape.length ? `[${c.shape.join(",")}]` : "")].filter(Boolean).join(" · ")
    ),
    numeric: t.columns.map((c) => isNumericColumn(c) && perRow(c) === 1),
    rows,
    totalRows: t.length,
  });
}

/**
 * Plain-text rendering of a table (aligned columns, row limit), used as the
 * `text/plain` part of table bundles.
 *
 * @example
 * ```ts
 * import { tableToText } from "@oda-hub/oda-api/display";
 * const t = { kind: "table" as const, length: 1, columns: [
 *   { name: "a", dtype: "<i8", shape: [], values: new BigInt64Array([5n]) }] };
 * console.log(tableToText(t));
 * ```
 */
export function tableToText(t: Table, limit = 10): string {
  const n = Math.min(limit, t.length);
  const cols = t.columns.map((c) => {
    const cells = [c.name, c.unit ?? ""];
    for (let r = 0; r < n; r++) cells.push(formatValue(columnValue(c, r), 30));
    const w = Math.max(...cells.map((s) => s.length));
    return { cells, w };
  });
  const lines: string[] = [];
  const height = n + 2;
  for (let i = 0; i < height; i++) {
    if (i === 1 && cols.every((c) => c.cells[1] === "")) continue;
    lines.push(cols.map((c) => c.cells[i].padStart(c.w)).join(" ").trimEnd());
    if (i === 1 || (i === 0 && cols.every((c) => c.cells[1] === ""))) {
      lines.push(cols.map((c) => "-".repeat(c.w)).join(" "));
    }
  }
  if (t.length > n) lines.push(`… ${t.length - n} more rows (${t.length} in total)`);
  return lines.join("\n");
}

function frictionlessType(c: TableColumn): string {
  if (c.variableLength || perRow(c) !== 1) return "array";
  const k = c.dtype.replace(/^[<>|=]/, "")[0];
  if (k === "b" || c.dtype === "bool") return "boolean";
  if (k === "i" || k === "u") return "integer";
  if (k === "f") return "number";
  if (k === "S" || k === "U") return "string";
  return "any";
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string") return redactSecrets(v);
  if (ArrayBuffer.isView(v) || isArraySafe(v)) {
    try {
      return Array.from(v as ArrayLike<unknown>, jsonSafe);
    } catch {
      return formatObject(v);
    }
  }
  if (typeof v === "symbol" || typeof v === "function") return formatObject(v);
  if (typeof v === "object" && v !== null) {
    try {
      JSON.stringify(v); // plain data: kept as is; a getter or proxy that throws: its text instead
      return v;
    } catch {
      return formatObject(v);
    }
  }
  return v ?? null;
}

/**
 * The table as a Frictionless tabular data resource
 * (`application/vnd.dataresource+json`), with at most `limit` rows; NaN and
 * infinities become `null`, 64-bit integers become numbers.
 *
 * @example
 * ```ts
 * import { tableToDataResource } from "@oda-hub/oda-api/display";
 * const t = { kind: "table" as const, length: 1, columns: [
 *   { name: "x", dtype: "<f8", shape: [], values: new Float64Array([NaN]) }] };
 * tableToDataResource(t).data; // [{ x: null }]
 * ```
 */
export function tableToDataResource(
  t: Table,
  limit: number = DEFAULT_ROW_LIMIT,
): {
  schema: { fields: { name: string; type: string; unit?: string | undefined }[] };
  data: Record<string, unknown>[];
} {
  const n = Math.min(limit, t.length);
  const data: Record<string, unknown>[] = [];
  for (let r = 0; r < n; r++) {
    const row: Record<string, unknown> = {};
    for (const c of t.columns) row[c.name] = jsonSafe(columnValue(c, r));
    data.push(row);
  }
  return {
    schema: {
      fields: t.columns.map((c) => ({
        name: c.name,
        type: frictionlessType(c),
        ...(c.unit ? { unit: c.unit } : {}),
      })),
    },
    data,
  };
}

/**
 * A key/value table (two columns) from a record, values formatted with
 * {@linkcode formatValue}.
 *
 * @example
 * ```ts
 * import { recordTable } from "@oda-hub/oda-api/display";
 * recordTable({ src_name: "Crab", RA: 83.63 });
 * ```
 */
export function recordTable(
  rec: Record<string, unknown>,
  headers: [string, string] = ["key", "value"],
): string {
  return htmlTable({
    headers,
    rows: Object.entries(rec).map(([k, v]) => [k, formatValue(v, 200)]),
  });
}
