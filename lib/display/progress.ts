/**
 * Live job progress driven by the client's {@linkcode JobEvent}s:
 *
 * - in a notebook, ONE output that updates in place (`display_data` then
 *   `update_display_data` with the same display id) showing status, job id,
 *   elapsed time and science windows done, collapsing into a one-line summary
 *   when the wait ends;
 * - in a terminal, a progress line on stderr redrawn in place (only when
 *   stderr is a TTY), else an occasional log line (status changes, and every
 *   30 s at most);
 * - `silent: true` shows nothing.
 *
 * Importing the package installs {@linkcode defaultProgressReporterFactory}
 * with `setProgressReporterFactory`.
 *
 * @module
 */
import type { JobEvent, ProgressReporter } from "../client/events.ts";
import { setProgressReporterFactory } from "../client/events.ts";
import { escapeHtml, viewHtml } from "./html.ts";
import { inJupyter, type MimeBundle, publishDisplay } from "./jupyter.ts";
import { redactSecrets } from "../errors.ts";
import { notebookSettings } from "../notebook.ts";
import {
  reportText,
  scienceWindowsDone,
  scienceWindowsTotal,
  type StageProgress,
  stageProgress,
} from "./progress_reports.ts";
export {
  reportText,
  scienceWindowsDone,
  scienceWindowsTotal,
  type StageProgress,
  stageProgress,
} from "./progress_reports.ts";

/**
 * Where progress goes.
 *
 * @example
 * ```ts
 * import { createProgressReporter, type ProgressMode } from "@oda-hub/oda-api/display";
 * const mode: ProgressMode = "log"; // one line per status change, e.g. in CI logs
 * const reporter = createProgressReporter({ instrument: "isgri", product: "isgri_lc" }, { mode });
 * ```
 */
export type ProgressMode = "jupyter" | "tty" | "log" | "none";

/**
 * The state shown by the progress views.
 *
 * @example
 * ```ts
 * import { applyJobEvent, progressLine, type ProgressState } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * let s: ProgressState = {
 *   instrument: "isgri",
 *   product: "isgri_lc",
 *   status: "submitted",
 *   elapsedMs: 0,
 *   requests: 1,
 *   scwDone: 0,
 *   reports: 0,
 * };
 * s = applyJobEvent(s, {
 *   type: "status",
 *   instrument: "isgri",
 *   product: "isgri_lc",
 *   status: "progress",
 *   elapsedMs: 3000,
 *   requests: 3,
 * });
 * assert.equal(progressLine(s), "isgri_lc (isgri) · status progress · 3.0 s");
 * ```
 */
export interface ProgressState {
  /** Instrument. */
  instrument: string;
  /** Product. */
  product: string;
  /** Last status. */
  status: string;
  /** Job id, once known. */
  jobId?: string | undefined;
  /** Elapsed milliseconds. */
  elapsedMs: number;
  /** Requests made. */
  requests: number;
  /** Distinct science windows reported done. */
  scwDone: number;
  /**
   * Science windows the job has in total: the request's `scw_list` (upstream OSA reports never say), or a
   * report's "science window 6/12".
   */
  scwTotal?: number;
  /** The last stage progress a notebook backend reported (oda_api `ProgressReporter`), if any. */
  stage?: StageProgress;
  /** Number of progress reports received. */
  reports: number;
  /** Last message (retry reason, failure). */
  message?: string | undefined;
  /** Last report text (node and message). */
  lastReport?: string;
  /**
   * Finished: `done`, `failed`, `stopped` (the wait was aborted or timed out;
   * the job keeps running on the server), or undefined while running.
   */
  outcome?: "done" | "failed" | "stopped";
  /** Bytes of a big answer received so far, and its declared size when known (from `download` events). */
  download?: { received: number; total?: number | undefined };
}

function fmtElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A server message on one line (tracebacks would break the redrawn terminal line), at most 300 characters. */
function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 300 ? t.slice(0, 299) + "…" : t;
}

/**
 * Fold one job event into the progress state (pure).
 *
 * @example
 * ```ts
 * import { applyJobEvent } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const s = applyJobEvent(
 *   { instrument: "isgri", product: "isgri_lc", status: "submitting", elapsedMs: 0, requests: 0, scwDone: 0, reports: 0 },
 *   { type: "submitted", instrument: "isgri", product: "isgri_lc", status: "submitted", jobId: "abc", elapsedMs: 5, requests: 1 },
 * );
 * assert.equal(s.jobId, "abc");
 * ```
 */
export function applyJobEvent(state: ProgressState, e: JobEvent): ProgressState {
  const s = { ...state };
  s.status = e.status || s.status;
  s.jobId = e.jobId ?? s.jobId;
  s.elapsedMs = e.elapsedMs;
  s.requests = e.requests;
  if (e.scwRequested !== undefined && e.scwRequested > 0) {
    s.scwTotal = Math.max(s.scwTotal ?? 0, e.scwRequested);
  }
  if (e.reports) {
    s.reports = e.reports.length;
    s.scwDone = Math.max(s.scwDone, scienceWindowsDone(e.reports));
    const total = scienceWindowsTotal(e.reports);
    if (total !== undefined) s.scwTotal = Math.max(s.scwTotal ?? 0, total);
    const stage = stageProgress(e.reports);
    if (stage) s.stage = stage;
    const last = e.reports[e.reports.length - 1];
    if (last) {
      const text = reportText(last);
      if (text) s.lastReport = oneLine(redactSecrets(text));
    }
  }
  if (e.message) s.message = oneLine(redactSecrets(e.message));
  else if (e.type === "progress" || e.type === "status") s.message = undefined; // a retry note is stale now
  if (e.type === "download" && e.bytesReceived !== undefined) {
    s.download = { received: e.bytesReceived, total: e.bytesTotal };
  }
  if (e.type === "done") s.outcome = "done";
  if (e.type === "failed") s.outcome = e.code === "ABORTED" || e.code === "TIMEOUT" ? "stopped" : "failed";
  return s;
}

/**
 * The one-line summary shown when a job's wait ends.
 *
 * @example
 * ```ts
 * import { progressSummary } from "@oda-hub/oda-api/display";
 * progressSummary({ instrument: "isgri", product: "isgri_image", status: "done", jobId: "0eac",
 *   elapsedMs: 12300, requests: 5, scwDone: 10, reports: 10, outcome: "done" });
 * ```
 */
export function progressSummary(s: ProgressState): string {
  const icon = s.outcome === "done"
    ? "✔"
    : s.outcome === "failed"
    ? "✘"
    : s.outcome === "stopped"
    ? "‖"
    : "…";
  const what = s.outcome === "stopped"
    ? `stopped waiting (status ${s.status}, still running on the server)`
    : (
      s.outcome ?? s.status
    );
  const parts = [
    `${icon} ${s.product} (${s.instrument}) ${what} in ${fmtElapsed(s.elapsedMs)}`,
    s.jobId ? `job ${s.jobId}` : "",
    s.scwDone
      ? `${s.scwTotal && s.scwTotal !== s.scwDone ? `${s.scwDone}/${s.scwTotal}` : s.scwDone} science windows`
      : "",
    `${s.requests} request${s.requests === 1 ? "" : "s"}`,
    s.outcome && s.outcome !== "done" && s.message ? s.message : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/** `simulation 50 % · spectra 30 %` (stage names default to "stage", "substage"). */
function stageText(p: StageProgress): string {
  const pct = (f: { value: number; max: number }) => `${Math.round((100 * f.value) / f.max)} %`;
  const main = `${p.stage ?? "stage"} ${pct(p)}`;
  return p.sub ? `${main} · ${p.substage ?? "substage"} ${pct(p.sub)}` : main;
}

/** `12.3 of 85.0 MB received` (or without the total when the size was not declared). */
function downloadText(d: { received: number; total?: number | undefined }): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return d.total ? `${mb(d.received)} of ${mb(d.total)} MB received` : `${mb(d.received)} MB received`;
}

/**
 * The progress line while running (also the terminal line).
 *
 * @example
 * ```ts
 * import { progressLine } from "@oda-hub/oda-api/display";
 * progressLine({ instrument: "isgri", product: "isgri_lc", status: "progress", jobId: "abc",
 *   elapsedMs: 3000, requests: 3, scwDone: 2, reports: 2 }); // "isgri_lc (isgri) · status progress · job abc · 3.0 s · 2 scw done"
 * ```
 */
export function progressLine(s: ProgressState): string {
  const parts = [
    `${s.product} (${s.instrument})`,
    `status ${s.status}`,
    s.jobId ? `job ${s.jobId}` : "",
    fmtElapsed(s.elapsedMs),
    s.scwTotal ? `${s.scwDone}/${s.scwTotal} science windows` : s.scwDone ? `${s.scwDone} scw done` : "",
    s.stage ? stageText(s.stage) : "",
    s.download ? downloadText(s.download) : "",
    s.message && !s.outcome ? s.message : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/**
 * The notebook bundle for a progress state: a live panel while running, a
 * one-line summary when finished.
 *
 * @example
 * ```ts
 * import { progressBundle } from "@oda-hub/oda-api/display";
 * progressBundle({ instrument: "spi_acs", product: "spi_acs_lc", status: "submitted",
 *   elapsedMs: 500, requests: 1, scwDone: 0, reports: 0 })["text/plain"];
 * ```
 */
export function progressBundle(s: ProgressState): MimeBundle {
  if (s.outcome) {
    const color = s.outcome === "done" ? "#166534" : s.outcome === "stopped" ? "#92400e" : "#991b1b";
    return {
      "text/plain": progressSummary(s),
      "text/html": viewHtml(`<div style="color:${color}">${escapeHtml(progressSummary(s))}</div>`),
    };
  }
  const rows: [string, string][] = [
    ["status", s.status],
    ["job id", s.jobId ?? "(waiting for the dispatcher)"],
    ["elapsed", fmtElapsed(s.elapsedMs)],
    ["science windows done", s.scwTotal ? `${s.scwDone}/${s.scwTotal}` : String(s.scwDone)],
    ["requests", String(s.requests)],
  ];
  if (s.stage) rows.push(["stage", stageText(s.stage)]);
  if (s.lastReport) rows.push(["last report", s.lastReport]);
  if (s.download) rows.push(["answer", downloadText(s.download)]);
  if (s.message) rows.push(["note", s.message]);
  // determinate when the number of science windows is known (the request's scw_list, or the reports say),
  // when a notebook backend reports its stage's progress, or when the answer's size is declared
  const done = Math.min(s.scwDone, s.scwTotal ?? 0);
  const bar = s.scwTotal
    ? `<progress style="width:320px" value="${done}" max="${s.scwTotal}"></progress> ${
      Math.round((100 * done) / s.scwTotal)
    } %`
    : s.stage
    ? `<progress style="width:320px" value="${s.stage.value}" max="${s.stage.max}"></progress> ${
      Math.round((100 * s.stage.value) / s.stage.max)
    } %`
    : s.download?.total
    ? `<progress style="width:320px" value="${s.download.received}" max="${s.download.total}"></progress>`
    : `<progress style="width:320px"></progress>`;
  const table = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("");
  return {
    "text/plain": progressLine(s),
    "text/html": viewHtml(
      // glyphs present in DejaVu Sans (◷ rather than ⏳)
      `<div class="title">◷ ${escapeHtml(s.product)} (${escapeHtml(s.instrument)})</div>` +
        `${bar}<table>${table}</table>`,
    ),
  };
}

/**
 * Options of {@linkcode createProgressReporter}.
 *
 * @example
 * ```ts
 * import { createProgressReporter, type ProgressReporterOptions } from "@oda-hub/oda-api/display";
 * const lines: string[] = [];
 * const opts: ProgressReporterOptions = { mode: "log", write: (t) => lines.push(t), tickMs: 0 };
 * const reporter = createProgressReporter({ instrument: "isgri", product: "isgri_lc" }, opts);
 * ```
 */
export interface ProgressReporterOptions {
  /** Output mode (default: detected: jupyter kernel, stderr TTY, else log lines). */
  mode?: ProgressMode;
  /** Publish a bundle (default: {@linkcode publishDisplay}). */
  publish?: (bundle: MimeBundle, opts: { display_id: string; update: boolean }) => Promise<void>;
  /** Write text to the terminal (default: stderr). */
  write?: (text: string) => void;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Minimum ms between in-place updates (default 250; log mode: 30000 between non-status lines). */
  throttleMs?: number;
  /**
   * Redraw period while waiting between events, so the elapsed time keeps moving (default: 1000 ms in a
   * notebook, 200 ms in a terminal, none for log lines; 0 turns it off). The timer never keeps the process alive.
   */
  tickMs?: number;
}

/**
 * Detect where progress should go: `jupyter` inside the kernel, `tty` when
 * stderr is a terminal, otherwise `log`.
 *
 * @example
 * ```ts
 * import { detectProgressMode } from "@oda-hub/oda-api/display";
 * console.log(detectProgressMode());
 * ```
 */
export function detectProgressMode(): ProgressMode {
  if (inJupyter()) return "jupyter";
  try {
    if (Deno.stderr.isTerminal()) return "tty";
  } catch { /* no stderr */ }
  return "log";
}

let counter = 0;
const enc = new TextEncoder();

function stderrWrite(text: string): void {
  try {
    Deno.stderr.writeSync(enc.encode(text));
  } catch { /* ignore */ }
}

/**
 * A {@linkcode ProgressReporter} for one job in the given (or detected) mode.
 *
 * @example
 * ```ts
 * import { createProgressReporter } from "@oda-hub/oda-api/display";
 * const lines: string[] = [];
 * const r = createProgressReporter({ instrument: "isgri", product: "isgri_lc" },
 *   { mode: "log", write: (t) => lines.push(t) });
 * r.onEvent({ type: "submitted", instrument: "isgri", product: "isgri_lc", status: "submitted",
 *   jobId: "abc", elapsedMs: 10, requests: 1 });
 * r.close();
 * ```
 */
export function createProgressReporter(
  job: { instrument: string; product: string },
  opts: ProgressReporterOptions = {},
): ProgressReporter {
  const mode = opts.mode ?? detectProgressMode();
  const now = opts.now ?? (() => Date.now());
  const write = opts.write ?? stderrWrite;
  const publish = opts.publish ?? ((b, o) => publishDisplay(b, o));
  let state: ProgressState = {
    instrument: job.instrument,
    product: job.product,
    status: "submitting",
    elapsedMs: 0,
    requests: 0,
    scwDone: 0,
    reports: 0,
  };
  const displayId = `oda-progress-${Date.now().toString(36)}-${++counter}`;
  let shown = false, closed = false, lastDraw = -Infinity, lastLen = 0;
  let chain: Promise<void> = Promise.resolve();
  const throttle = opts.throttleMs ?? (mode === "log" ? 30_000 : 250);
  const tickMs = opts.tickMs ?? (mode === "jupyter" ? 1000 : mode === "tty" ? 200 : 0);
  let ticker: ReturnType<typeof setInterval> | undefined;
  let lastEventAt = 0, lastEventElapsed = 0;
  const startTicker = () => {
    if (ticker !== undefined || !tickMs) return;
    ticker = setInterval(() => {
      if (closed) return;
      state = { ...state, elapsedMs: lastEventElapsed + (now() - lastEventAt) };
      draw(false);
    }, tickMs);
    try {
      Deno.unrefTimer(ticker);
    } catch { /* older runtimes */ }
  };

  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < throttle) return;
    lastDraw = t;
    if (mode === "jupyter") {
      const bundle = progressBundle(state);
      const update = shown;
      shown = true;
      chain = chain.then(() => publish(bundle, { display_id: displayId, update })).catch(() => {});
    } else if (mode === "tty") {
      const line = state.outcome ? progressSummary(state) : `${spinner(t)} ${progressLine(state)}`;
      const cols = (() => {
        try {
          return Deno.consoleSize().columns;
        } catch {
          return 100;
        }
      })();
      const text = line.length >= cols ? line.slice(0, cols - 2) + "…" : line;
      write(`\r${text}${" ".repeat(Math.max(0, lastLen - text.length))}${state.outcome ? "\n" : ""}`);
      lastLen = text.length;
    } else if (mode === "log") {
      write(`[oda_api] ${state.outcome ? progressSummary(state) : progressLine(state)}\n`);
    }
  };

  return {
    onEvent(e: JobEvent): void {
      if (closed || mode === "none") return;
      const prevStatus = state.status;
      const prevJob = state.jobId;
      state = applyJobEvent(state, e);
      lastEventAt = now();
      lastEventElapsed = e.elapsedMs;
      if (e.type === "done" || e.type === "failed") return; // the summary is drawn by close()
      const important = e.type === "submitted" || e.type === "retry" || state.status !== prevStatus ||
        state.jobId !== prevJob;
      draw(important);
      startTicker();
    },
    close(): void {
      if (closed || mode === "none") return;
      closed = true;
      if (ticker !== undefined) clearInterval(ticker);
      if (!state.outcome) state = { ...state, outcome: state.status === "done" ? "done" : "failed" };
      if (mode === "jupyter" && !shown) return; // nothing was shown: keep the notebook clean
      draw(true);
    },
  };
}

const SPIN = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
function spinner(t: number): string {
  return SPIN[Math.floor(t / 120) % SPIN.length];
}

/**
 * The factory installed by the package in Jupyter: nothing when `silent` or
 * when `configureNotebook({ progress: false })` turned progress off,
 * otherwise a reporter in the detected mode.
 *
 * @example
 * ```ts
 * import { defaultProgressReporterFactory } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(defaultProgressReporterFactory({ instrument: "a", product: "b", silent: true }), undefined);
 * ```
 */
export function defaultProgressReporterFactory(
  job: { instrument: string; product: string; silent: boolean },
): ProgressReporter | undefined {
  return job.silent || !notebookSettings().progress ? undefined : createProgressReporter(job);
}

/**
 * Install {@linkcode defaultProgressReporterFactory} (done on import of the
 * package inside Jupyter only; scripts and the CLI call it to get terminal
 * progress); call with `false` to turn live progress off everywhere.
 *
 * @example
 * ```ts
 * import { installProgressReporter } from "@oda-hub/oda-api/display";
 * installProgressReporter(false); // no progress display at all
 * ```
 */
export function installProgressReporter(enabled = true): void {
  setProgressReporterFactory(enabled ? defaultProgressReporterFactory : undefined);
}
