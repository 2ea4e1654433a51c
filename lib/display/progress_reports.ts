/**
 * What a job's progress reports say, in the forms real MMODA backends send them (each stored by the
 * dispatcher's `/call_back` as the callback's whole request, `job_manager.py` `write_dataserver_status`):
 *
 * - OSA backends (isgri, jemx): `job_monitor.full_report_dict_list`, one entry per `(node_id, message)`,
 *   each with `node` (the analysis step), `message` (`main done`, `restored from cache`, ...) and `scwid`
 *   (a science window, `066500220010.001`). These are the keys oda_api's isgri/jemx progress formatter reads
 *   (oda_api `custom_formatters.py`: "in N SCW so far; nodes (K): D computed R restored"). No report says
 *   how many science windows there are: the total is known only from the request's `scw_list`.
 * - Notebook backends (nb2workflow) calling oda_api's `ProgressReporter.report_progress` (oda_api
 *   `api.py`): `stage`, `progress`, `progress_max` (default 50 of 100), optional `substage`,
 *   `subprogress`, `subprogress_max`, `message`, and `action=progress`; sent as a GET query, so the numbers
 *   arrive as text (`"50.0"`). The dispatcher keeps only the last one, as `job_monitor.full_report_dict`.
 * - This package's sandbox wording `processing science window 6/12` (a total in the message).
 *
 * Anything else (missing, non-numeric, negative, out-of-range values) gives no fraction: the views then
 * show indeterminate progress.
 *
 * @module
 */

/** A report's text field (a server's report may hold anything; nothing is converted). */
function field(r: unknown, key: string): string {
  const v = r !== null && typeof r === "object" ? (r as Record<string, unknown>)[key] : undefined;
  return typeof v === "string" ? v : "";
}

/** A report's science window: `scwid` as upstream names it (also `scw`, `scw_id`); "" when none. */
function reportScw(r: Record<string, unknown>): string {
  for (const k of ["scwid", "scw", "scw_id"]) {
    const v = r[k];
    if (typeof v === "string" && v) return v;
  }
  return "";
}

/**
 * The total number of science windows a job processes, when its reports say it
 * (the sandbox's `"processing science window 6/12"` → 12); `undefined` otherwise (upstream OSA reports never
 * do). A count larger than its total, or a total over a million, is not believed.
 *
 * @example
 * ```ts
 * import { scienceWindowsTotal } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(scienceWindowsTotal([{ scwid: "066500230010.001", message: "processing science window 6/12" }]), 12);
 * assert.equal(scienceWindowsTotal([{ scwid: "066500230010.001", message: "main done" }]), undefined);
 * ```
 */
export function scienceWindowsTotal(
  reports: ReadonlyArray<Record<string, unknown>> | undefined,
): number | undefined {
  let total: number | undefined;
  for (const r of reports ?? []) {
    const m = /(?:science windows?|scws?)\D{0,20}?(\d{1,7})\s*(?:\/|of)\s*(\d{1,7})\b/i.exec(
      field(r, "message"),
    );
    if (!m) continue;
    const [i, n] = [Number(m[1]), Number(m[2])];
    if (n > 0 && n <= 1_000_000 && i <= n) total = Math.max(total ?? 0, n);
  }
  return total;
}

/**
 * Count distinct science windows in job-monitor reports: those whose message
 * says done (`main done`, or `restored from cache`: computed before), or all
 * those reported when none says so.
 *
 * @example
 * ```ts
 * import { scienceWindowsDone } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(scienceWindowsDone([
 *   { node: "ibis_isgri_energy", message: "main done", scwid: "066500230010.001" },
 *   { node: "ii_skyimage", message: "restored from cache", scwid: "066500240010.001" },
 * ]), 2);
 * ```
 */
export function scienceWindowsDone(reports: ReadonlyArray<Record<string, unknown>> | undefined): number {
  if (!reports?.length) return 0;
  const all = new Set<string>(), done = new Set<string>();
  for (const r of reports) {
    if (r === null || typeof r !== "object") continue;
    const scw = reportScw(r);
    if (!scw) continue;
    all.add(scw);
    if (/done|finished|complete|restored from cache/i.test(field(r, "message"))) done.add(scw);
  }
  return done.size || all.size;
}

/**
 * A stage's progress as a notebook backend reports it through oda_api's `ProgressReporter`.
 *
 * @example
 * ```ts
 * import type { StageProgress } from "@oda-hub/oda-api/display";
 * const p: StageProgress = { stage: "simulation", value: 50, max: 100 };
 * ```
 */
export interface StageProgress {
  /** Stage name (`stage`), when given. */
  stage?: string;
  /** Progress in the stage (`progress`), 0 ≤ value ≤ max. */
  value: number;
  /** Its maximum (`progress_max`), > 0. */
  max: number;
  /** Sub-stage name (`substage`), when given. */
  substage?: string;
  /** Sub-stage progress and maximum (`subprogress` of `subprogress_max`), when both are valid. */
  sub?: { value: number; max: number };
}

/** A number sent as a number or as its decimal text (a GET query makes `50.` into `"50.0"`); else NaN. */
function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v !== "string" || !/^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(v)) return NaN;
  return Number(v);
}

function fraction(value: unknown, max: unknown): { value: number; max: number } | undefined {
  const v = num(value), m = num(max);
  return Number.isFinite(v) && Number.isFinite(m) && m > 0 && v >= 0 && v <= m
    ? { value: v, max: m }
    : undefined;
}

/**
 * The progress of the last report that gives a valid `progress` of `progress_max` (oda_api's
 * `ProgressReporter`, numbers as numbers or text); `undefined` when none does.
 *
 * @example
 * ```ts
 * import { stageProgress } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * // oda_api tests/test_progress_report.py, as the dispatcher stores the callback's query
 * const p = stageProgress([{ action: "progress", stage: "simulation", progress: "50.0", progress_max: "100.0",
 *   substage: "spectra", subprogress: "30.0", subprogress_max: "100.0", message: "some message" }]);
 * assert.deepEqual(p, { stage: "simulation", value: 50, max: 100, substage: "spectra", sub: { value: 30, max: 100 } });
 * ```
 */
export function stageProgress(
  reports: ReadonlyArray<Record<string, unknown>> | undefined,
): StageProgress | undefined {
  const list = reports ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i];
    if (r === null || typeof r !== "object") continue;
    const f = fraction(r.progress, r.progress_max);
    if (!f) continue;
    const p: StageProgress = { ...f };
    if (field(r, "stage")) p.stage = field(r, "stage");
    if (field(r, "substage")) p.substage = field(r, "substage");
    const sub = fraction(r.subprogress, r.subprogress_max);
    if (sub) p.sub = sub;
    return p;
  }
  return undefined;
}

/**
 * One line for a report: its node, stage, message and science window, whichever it has (`""` if none).
 *
 * @example
 * ```ts
 * import { reportText } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(reportText({ node: "ii_skyimage", message: "main done", scwid: "066500220010.001" }),
 *   "ii_skyimage main done 066500220010.001");
 * ```
 */
export function reportText(r: Record<string, unknown>): string {
  if (r === null || typeof r !== "object") return "";
  const parts = [
    field(r, "node") || field(r, "node_id"),
    field(r, "stage"),
    field(r, "substage"),
    field(r, "message"),
  ];
  parts.push(reportScw(r));
  return parts.filter(Boolean).join(" ");
}
