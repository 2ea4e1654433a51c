/**
 * Progress from the report forms real MMODA backends send (each case cites where its form comes from),
 * the sandbox's own wording, and anything else degrading to indeterminate progress. End to end: the client
 * turns the job monitor into events (a lone `full_report_dict` included) and the request's `scw_list` into
 * the total, and the views draw a determinate bar only from those.
 */
import { DispatcherAPI, type GetProductOptions, type JobEvent } from "../mod.ts";
import {
  applyJobEvent,
  progressBundle,
  progressLine,
  type ProgressState,
  scienceWindowsDone,
  scienceWindowsTotal,
  stageProgress,
} from "../display.ts";
import { startSandbox } from "../sandbox.ts";
import { assert, assertEquals, assertMatch, fixtureText } from "./client_replay.ts";
import { loopback } from "./_loopback.ts";

const INDETERMINATE = '<progress style="width:320px"></progress>';

function start(instrument: string, product: string): ProgressState {
  return { instrument, product, status: "submitting", elapsedMs: 0, requests: 0, scwDone: 0, reports: 0 };
}

function progressEvent(reports: Record<string, unknown>[], extra: Partial<JobEvent> = {}): JobEvent {
  return {
    type: "progress",
    instrument: "isgri",
    product: "isgri_image",
    status: "progress",
    elapsedMs: 1000,
    requests: 2,
    reports,
    ...extra,
  };
}

function bar(s: ProgressState): string {
  return String(progressBundle(s)["text/html"]).match(/<progress[^>]*><\/progress>(?: \d+ %)?/)?.[0] ?? "";
}

Deno.test("upstream dispatcher job monitor (recorded): callback reports without a total are indeterminate", () => {
  // tests/fixtures/dispatcher-transcripts/run_analysis-async-poll-ready.json: dispatcher-app 1.3.6, OsaJob
  // (empty-async), full_report_dict_list = the callbacks' requests (node_id, message, action, progressing)
  const monitor = JSON.parse(fixtureText("run_analysis-async-poll-ready.json")).job_monitor;
  const reports = monitor.full_report_dict_list as Record<string, unknown>[];
  assertEquals(reports.length, 3);
  const s = applyJobEvent(
    start("empty-async", "dummy"),
    progressEvent(reports, { instrument: "empty-async" }),
  );
  assertEquals(s.scwTotal, undefined);
  assertEquals(s.stage, undefined);
  assertEquals(s.scwDone, 0);
  assertEquals(s.lastReport, "node_final done");
  assertEquals(bar(s), INDETERMINATE);
  // run_analysis-async-poll-progress.json: one "progressing" report
  const progressing = JSON.parse(fixtureText("run_analysis-async-poll-progress.json")).job_monitor;
  const p = applyJobEvent(start("empty-async", "dummy"), progressEvent(progressing.full_report_dict_list));
  assertEquals(p.lastReport, "node_1 progressing");
  assertEquals(bar(p), INDETERMINATE);
});

Deno.test("OSA reports (node, message, scwid as oda_api's isgri/jemx formatter reads them)", () => {
  // oda_api custom_formatters.py custom_progress_formatter: keys `node`, `message`, `scwid`; messages
  // "main done" (computed) and "restored from cache"; science windows match [0-9]{12}\.00[0-9]
  const reports = [
    { node: "ibis_isgri_energy", node_id: "a1", message: "main done", scwid: "066500220010.001" },
    { node: "ibis_isgri_energy", node_id: "a2", message: "restored from cache", scwid: "066500230010.001" },
    { node: "ii_skyimage", node_id: "a3", message: "main starting", scwid: "066500240010.001" },
  ];
  assertEquals(scienceWindowsDone(reports), 2);
  assertEquals(scienceWindowsTotal(reports), undefined); // upstream reports never carry a total
  const alone = applyJobEvent(start("isgri", "isgri_image"), progressEvent(reports));
  assertEquals(bar(alone), INDETERMINATE);
  assertMatch(progressLine(alone), /· 2 scw done/);
  assertEquals(alone.lastReport, "ii_skyimage main starting 066500240010.001");
  // the request named 4 science windows: that is the total
  const known = applyJobEvent(start("isgri", "isgri_image"), progressEvent(reports, { scwRequested: 4 }));
  assertEquals(bar(known), '<progress style="width:320px" value="2" max="4"></progress> 50 %');
  assertMatch(progressLine(known), /· 2\/4 science windows/);
});

Deno.test("ProgressReporter stage progress (oda_api api.py report_progress, as the dispatcher stores it)", () => {
  // oda_api tests/test_progress_report.py request_params, sent as a GET query by report_progress (so the
  // numbers are text) and kept by dispatcher-app's run_call_back as job_monitor.full_report_dict
  const report = {
    session_id: "S",
    job_id: "J",
    instrument_name: "lightcurve",
    time_original_request: "1795300552",
    progressing: "",
    stage: "simulation",
    progress: "50.0",
    progress_max: "100.0",
    substage: "spectra",
    subprogress: "30.0",
    subprogress_max: "100.0",
    message: "some message",
    action: "progress",
  };
  assertEquals(stageProgress([report]), {
    stage: "simulation",
    value: 50,
    max: 100,
    substage: "spectra",
    sub: { value: 30, max: 100 },
  });
  const s = applyJobEvent(start("lightcurve", "lc"), progressEvent([report]));
  assertEquals(bar(s), '<progress style="width:320px" value="50" max="100"></progress> 50 %');
  assertMatch(progressLine(s), /· simulation 50 % · spectra 30 %/);
  assertEquals(s.lastReport, "simulation spectra some message");
  // report_progress's defaults (progress=50., progress_max=100.) with numbers kept as JSON numbers
  assertEquals(stageProgress([{ progress: 3, progress_max: 12, action: "progress" }]), { value: 3, max: 12 });
});

Deno.test("the sandbox's 'science window i/N' wording is kept; anything else is indeterminate", () => {
  const sandboxWording = [
    { node_id: "ii_skyimage", scwid: "066500220010.001", message: "processing science window 1/12" },
    { node_id: "ii_skyimage", scwid: "066500230010.001", message: "processing science window 2/12" },
  ];
  assertEquals(scienceWindowsTotal(sandboxWording), 12);
  const odd: Record<string, unknown>[][] = [
    [{ message: "processing science window 13/12" }], // more done than the total
    [{ message: "science window 1/0" }],
    [{ message: "science window 1/99999999" }], // an absurd total
    [{ progress: "abc", progress_max: "100" }],
    [{ progress: "50", progress_max: "0" }],
    [{ progress: "150", progress_max: "100" }],
    [{ progress: "-5", progress_max: "100" }],
    [{ progress: "NaN", progress_max: "100" }],
    [{ progress: "Infinity", progress_max: "Infinity" }],
    [{ progress: 0x7fffffff, progress_max: null }],
    [{ progress: ["50"], progress_max: { v: 100 } }],
    [{ stage: "simulation", message: "50%" }],
    [],
  ];
  for (const reports of odd) {
    const s = applyJobEvent(start("x", "y"), progressEvent(reports));
    assertEquals(bar(s), INDETERMINATE, JSON.stringify(reports));
    assertEquals(s.stage, undefined, JSON.stringify(reports));
  }
});

Deno.test("a lone full_report_dict (non-OSA backend) reaches the progress view through the client", async () => {
  // dispatcher-app Job (not OsaJob) keeps only the last callback: job_monitor.full_report_dict, no list
  let polls = 0;
  await using srv = loopback((_req, u) => {
    if (u.pathname !== "/run_analysis") return Response.json([]);
    const status = u.searchParams.get("query_status") === "new"
      ? "submitted"
      : polls >= 3
      ? "done"
      : "progress";
    polls++;
    const monitor: Record<string, unknown> = { job_id: "0123456789abcdef", session_id: "S", status };
    if (status !== "done") {
      monitor.full_report_dict = {
        action: "progress",
        stage: "fit",
        progress: String(25 * polls) + ".0",
        progress_max: "100.0",
      };
    }
    return Response.json({
      query_status: status,
      job_status: status,
      session_id: "S",
      exit_status: { status: 0, message: "", error_message: "", debug_message: "", comment: "", warning: "" },
      job_monitor: monitor,
      products: status === "done" ? { analysis_parameters: {} } : {},
    });
  });
  const disp = new DispatcherAPI({ url: srv.url, token: null, pollInterval: { min: 1, max: 2 } });
  const events: JobEvent[] = [];
  await disp.getProduct<GetProductOptions>({
    instrument: "lightcurve",
    product: "lc",
    silent: true,
    onEvent: (e) => events.push(e),
  });
  let s = start("lightcurve", "lc");
  const fractions: number[] = [];
  for (const e of events) {
    s = applyJobEvent(s, e);
    if (e.type === "progress" && s.stage) fractions.push(s.stage.value / s.stage.max);
  }
  // the submission answer's report, then each poll's
  assertEquals([...new Set(fractions)], [0.25, 0.5, 0.75]);
});

Deno.test("sandbox ISGRI job with a scw_list: determinate from the first poll, all windows done at the end", async () => {
  await using sb = await startSandbox({ port: 0, seed: 3, jobDuration: 0.6 });
  const disp = new DispatcherAPI({ url: sb.url, token: null, pollInterval: { min: 50, max: 100 } });
  const scws = ["066500220010.001", "066500230010.001", "066500240010.001"];
  const events: JobEvent[] = [];
  await disp.getProduct({
    instrument: "isgri",
    product: "isgri_image",
    T1: "2017-03-06T13:26:48",
    T2: "2017-03-06T15:32:27",
    scw_list: scws,
    silent: true,
    onEvent: (e) => events.push(e),
  });
  let s = start("isgri", "isgri_image");
  const bars: string[] = [];
  for (const e of events) {
    s = applyJobEvent(s, e);
    if (e.type === "progress" || e.type === "status") bars.push(bar(s));
  }
  assert(events.every((e) => e.scwRequested === 3), "every event carries the requested total");
  assert(bars.length > 0 && bars.every((b) => / max="3"><\/progress>/.test(b)), bars.join("\n"));
  assertEquals(s.scwDone, 3);
  assertEquals(s.scwTotal, 3);
  assertMatch(progressLine(s), /3\/3 science windows/);
});
