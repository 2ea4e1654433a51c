/**
 * `/run_analysis` step by step (dispatcher-protocol.md §4–§6): request
 * constructor checks, parameter normalisation, job identity, roles, the
 * job state machine and the response shapes; and `/call_back` (§5.4).
 *
 * @module
 */
import type { ProductOutput } from "./instrument.ts";
import { type TokenClaims, tokenUser } from "./auth.ts";
import { pythonRepr } from "../data/python.ts";
import {
  computeJobId,
  ExitFailure,
  type Job,
  type JobStatus,
  outputBytes,
  paramsFingerprint,
  seedOf,
  type ServerProductSpec,
} from "./jobs.ts";
import { decodeValues, metaData, normaliseParameters, readRawRequest } from "./params.ts";
import { apiCode, ApiError, exitStatus, jsonResponse, runAnalysisBody, timeRequest } from "./responses.ts";
import { jobFault } from "./faults.ts";
import { type PyFloat, pyFloat } from "./pyjson.ts";
import { type Ctx, EXPIRED_LONG, firstValues, instrumentQuery, JOB_STATUSES, jobMonitor } from "./context.ts";

function failedAuth(
  sessionId: string,
  jobId: string,
  message: string,
  debug: string,
  time: PyFloat,
): Response {
  return jsonResponse(
    403,
    runAnalysisBody({
      queryStatus: "failed",
      products: {},
      exit: exitStatus("failed", 1, { message, debug_message: debug }),
      jobMonitor: { job_id: jobId, session_id: sessionId, status: "failed" },
      sessionId,
      time,
      statusCode: 403,
    }),
  );
}

function emailStatus(
  claims: TokenClaims | undefined,
  key: "mssub" | "msdone" | "msfail",
): string | undefined {
  if (!claims) return undefined;
  if (claims[key] === false) return undefined;
  return "email sent";
}

function doneProducts(
  ctx: Ctx,
  job: Job,
  output: ProductOutput,
  analysis: Record<string, unknown>,
): Record<string, unknown> {
  const products: Record<string, unknown> = { ...output };
  if (job.product.prodProcessMessage) products.prod_process_message = "";
  products.session_id = job.sessionId;
  products.job_id = job.id;
  products.input_prod_list = [];
  products.analysis_parameters = analysis;
  products.api_code = apiCode(analysis, ctx.info.productsUrl);
  return products;
}

function submittedProducts(ctx: Ctx, analysis: Record<string, unknown>): Record<string, unknown> {
  return {
    input_prod_list: [],
    analysis_parameters: analysis,
    api_code: apiCode(analysis, ctx.info.productsUrl),
  };
}

/** The backend's comment, then the unused-arguments sentence, joined by a space (as upstream). */
function withComment(backend: string | undefined, unused: string): string {
  return backend ? (unused ? `${backend} ${unused}` : backend) : unused;
}

export async function runAnalysis(req: Request, url: URL, ctx: Ctx): Promise<Response> {
  const time = timeRequest();
  if (req.method === "HEAD") {
    throw new ApiError("BadRequest", "HEAD requests are not supported by /run_analysis");
  }
  const raw = await readRawRequest(req, url);
  const decoded = decodeValues(raw.pairs);
  const { tok, sid, instr, roles } = await instrumentQuery(ctx, decoded);
  const where = `[ InstrumentQueryBackEnd : ${instr.name} ] constructor failed`;
  const queryStatus = decoded.get("query_status");
  if (typeof queryStatus !== "string") throw new ApiError("RequestNotUnderstood", `${where}: 'query_status'`);
  if (decoded.get("token") === "" || decoded.get("token") === "None") {
    throw new ApiError("RequestNotUnderstood", `${where}: Not enough segments`);
  }
  const productType = decoded.get("product_type");
  const product = (typeof productType === "string" ? instr.products[productType] : undefined) as
    | ServerProductSpec
    | undefined;
  if (!product) {
    const qd: Record<string, string> = {};
    for (const [k, p] of Object.entries(instr.products)) qd[k] = p.queryName;
    throw new ApiError(
      "RequestNotUnderstood",
      `${where}: product type ${String(productType)} not in query_dictionary ${pythonRepr(qd)}`,
    );
  }
  const queryType = decoded.get("query_type");
  if (typeof queryType !== "string") throw new ApiError("MissingRequestParameter", "KeyError('query_type')");
  const useScws = decoded.get("use_scws");
  if (useScws === "no" && decoded.get("scw_list") !== undefined && decoded.has("scw_list")) {
    throw new ApiError(
      "RequestNotUnderstood",
      "scw_list parameter was found despite use_scws was indicating this was not provided, please check the inputs",
    );
  }
  const norm = normaliseParameters(instr, product, decoded);
  const analysis = norm.analysis;
  analysis.session_id = sid;
  const user = tokenUser(tok.claims);
  const computedId = computeJobId(analysis, user);
  // upstream's one sentence (dispatcher_query.py build_dispatcher_response), after the backend's comment
  const comment = norm.unused.length === 0
    ? ""
    : norm.unused.length === 1
    ? `Please note that argument ${norm.unused[0]} is not used`
    : `Please note that arguments ${norm.unused.join(", ")} are not used`;
  const givenJobId = decoded.get("job_id");

  if (queryStatus === "new" || queryStatus === "ready") {
    if (
      queryStatus === "new" && typeof givenJobId === "string" && givenJobId !== "" &&
      givenJobId !== computedId
    ) {
      throw new ApiError(
        "RequestNotUnderstood",
        `during query_status == "new", provided (unnecessarily) job_id ${givenJobId} did not match self.job_id ${computedId} computed from request`,
      );
    }
  } else if (typeof givenJobId !== "string" || givenJobId === "") {
    throw new ApiError(
      "RequestNotUnderstood",
      `job_id must be present if query_status != "new" (it is "${queryStatus}")`,
    );
  }

  // polls and `ready`: the recorded job decides (§5.2)
  const jobIdForPoll = queryStatus === "new" ? computedId : (givenJobId as string) || computedId;
  const fingerprint = paramsFingerprint(analysis, user);
  // a new request only reuses a job with exactly its parameters; a poll follows the job id (§5.2)
  let job = ctx.store.get(jobIdForPoll, fingerprint, queryStatus === "new");
  if (queryStatus !== "new") {
    if (!job) {
      if (queryStatus === "ready" && !givenJobId) job = undefined;
      else throw new ApiError("InvalidJobIDProvided", `unable to find any record for ${jobIdForPoll}`);
    }
    if (job) {
      const expected = computeJobId(job.analysis, user);
      if (expected !== job.id) {
        return failedAuth(
          sid,
          job.id,
          "Request not authorized",
          `The provided job_id=${job.id} does not match with the job_id=${expected} derived from the request parameters${
            user ? " for your user account email" : ""
          }; parameters are derived from recorded job state`,
          time,
        );
      }
      if (job.tokenExpiresAt !== undefined && Date.now() >= job.tokenExpiresAt && tok.token === job.token) {
        throw new ApiError("RequestNotAuthorized", EXPIRED_LONG, "");
      }
    }
  }

  // product roles (§8.4)
  const needed = product.requiredRoles?.(norm.values) ??
    Object.fromEntries((product.roles ?? []).map((r) => [r, "please refer to support for details"]));
  // upstream lists the lacking roles sorted (instrument.py check_instrument_query_role)
  const missing = Object.keys(needed).filter((r) => !roles.includes(r)).sort();
  if (missing.length > 0) {
    const msg =
      "Unfortunately, your priviledges are not sufficient to make the request for this particular product and parameter combination.\n" +
      `- Your priviledge roles include ${
        pythonRepr(roles)
      }\n- You are lacking all of the following roles:\n` +
      missing.map((r) => ` - ${r}: ${needed[r]}\n`).join("") +
      "You can request support if you think you should be able to make this request.";
    return failedAuth(sid, computedId, msg, "", time);
  }

  // dry run (only reachable with allow_unknown_args=True)
  if ("dry_run" in analysis && String(analysis.dry_run) === "True") {
    return jsonResponse(
      200,
      runAnalysisBody({
        queryStatus: "done",
        products: {
          instrument_parameters: metaData(instr),
          analysis_parameters: analysis,
          api_code: apiCode(analysis, ctx.info.productsUrl),
        },
        exit: exitStatus("done", 0, { message: "dry-run", comment }),
        jobMonitor: { job_id: computedId, session_id: sid, status: "done" },
        sessionId: sid,
        time,
      }),
    );
  }

  const respond = (
    qs: string,
    products: Record<string, unknown>,
    exit: ReturnType<typeof exitStatus>,
    j: Job,
    monitorStatus: string,
  ) =>
    jsonResponse(
      200,
      runAnalysisBody({
        queryStatus: qs,
        products,
        exit,
        jobMonitor: jobMonitor(ctx, j, monitorStatus),
        sessionId: sid,
        time,
      }),
    );

  const finish = async (j: Job, current: Record<string, unknown>): Promise<Response> => {
    if (ctx.store.status(j) !== "failed") await ctx.store.ensureResult(j);
    else if (j.running) await j.running;
    if (j.error || !j.result || ctx.store.status(j) === "failed") {
      return respond(
        "failed",
        { analysis_parameters: current, api_code: apiCode(current, ctx.info.productsUrl) },
        exitStatus("unknown", 1, {
          message: j.error instanceof ExitFailure
            ? j.error.exitMessage
            : product.failMessage ?? "Error when getting query products",
          error_message: j.error?.message ?? j.forcedFailure ?? "the backend reported a failure",
          debug_message: j.error instanceof ExitFailure
            ? j.error.debugMessage
            : j.error
            ? `${j.error.name}()`
            : "",
          comment,
        }),
        j,
        "failed",
      );
    }
    j.delivered = true;
    return respond(
      "done",
      doneProducts(ctx, j, j.result, current),
      // a Dummy query never reaches the backend, whose comment and warning these are
      exitStatus("done", 0, {
        comment: withComment(j.queryType === "Dummy" ? undefined : product.comment, comment),
        warning: j.queryType === "Dummy" ? "" : product.warning ?? "",
      }),
      j,
      "done",
    );
  };

  if (queryStatus === "new" || queryStatus === "ready") {
    const dummy = queryType === "Dummy";
    const mode = dummy ? "sync" : product.backend ?? (product.async ? "timed" : "sync");
    if (job && queryStatus === "ready" || (job && queryStatus === "new" && job.queryType === queryType)) {
      // an identical synchronous request still running: wait for it
      if (job.mode === "sync" && !job.settled) return await finish(job, analysis);
      const st = ctx.store.status(job);
      if (st === "done") return await finish(job, analysis);
      if (st === "failed" && queryStatus === "ready") return await finish(job, analysis);
      if (st !== "failed") {
        return respond(
          st,
          queryStatus === "new" ? submittedProducts(ctx, analysis) : {},
          exitStatus(st, 0, { comment }),
          job,
          st,
        );
      }
      // a failed job submitted again is re-run below
    }
    const durationMs = 1000 *
      (ctx.jobDuration ?? product.durationSeconds?.(norm.values) ?? 3);
    const attempt = (job?.attempt ?? 0) + 1;
    const h = seedOf(ctx.seed, computedId, fingerprint, attempt);
    const newJob: Job = {
      id: computedId,
      key: `${computedId}:${fingerprint}`,
      sessionId: job?.sessionId ?? sid,
      instrument: instr,
      product,
      queryType,
      analysis: { ...analysis },
      values: product.runOnGiven ? { ...norm.values, ...norm.given } : norm.values,
      user,
      token: tok.token,
      mode,
      created: Date.now(),
      durationMs: Number.isFinite(durationMs) ? Math.max(0, durationMs) : 1e15,
      seed: seedOf(ctx.seed, computedId, fingerprint),
      attempt,
      callbackReports: [],
      runReports: [],
      settled: false,
      lastAccess: Date.now(),
      selfCallback: mode === "callback" && ctx.jobDuration !== undefined,
    };
    if (!dummy && mode !== "sync" && jobFault(ctx.faultOpts?.failJobs, h)) {
      newJob.forcedFailure = "simulated backend failure (sandbox fault injection)";
    }
    if (
      tok.token && !dummy && mode !== "sync" && jobFault(ctx.faultOpts?.expireTokenMidJob, seedOf(h, "tok"))
    ) {
      newJob.tokenExpiresAt = newJob.created + newJob.durationMs / 2;
    }
    if (!dummy && product.returnProgress && String(decoded.get("return_progress")) === "True") {
      newJob.noMonitor = true;
      newJob.mode = "callback";
      ctx.store.put(newJob);
      return jsonResponse(
        200,
        runAnalysisBody({
          queryStatus: "submitted",
          products: {
            ...product.returnProgress(norm.values),
            session_id: newJob.sessionId,
            job_id: newJob.id,
            ...submittedProducts(ctx, analysis),
          },
          exit: exitStatus("submitted", 0, {
            comment: withComment(product.comment, comment),
            warning: product.warning ?? "",
            email_status: emailStatus(tok.claims, "mssub"),
          }),
          jobMonitor: { job_id: newJob.id, session_id: newJob.sessionId, status: "submitted" },
          sessionId: sid,
          time,
        }),
      );
    }
    ctx.store.put(newJob);
    const running = ctx.store.start(newJob, dummy);
    if (mode === "sync") {
      await running;
      return await finish(newJob, analysis);
    }
    if (mode === "semi") {
      const s = product.semiStatus?.(norm.values) ?? "done";
      if (s === "done") {
        await running;
        return await finish(newJob, analysis);
      }
      return respond(
        s === "failed" ? "failed" : "submitted",
        submittedProducts(ctx, analysis),
        exitStatus(s, 0, {
          comment: withComment(product.comment, comment),
          warning: product.warning ?? "",
          ...(s === "submitted" ? { email_status: emailStatus(tok.claims, "mssub") } : {}),
        }),
        newJob,
        s,
      );
    }
    return respond(
      "submitted",
      submittedProducts(ctx, analysis),
      exitStatus("submitted", 0, {
        comment: withComment(product.comment, comment),
        warning: product.warning ?? "",
        email_status: emailStatus(tok.claims, "mssub"),
      }),
      newJob,
      "submitted",
    );
  }

  const j = job!;
  if (queryStatus === "failed") {
    // upstream's failed branch does not read the job monitor: the job is "unaccessible"
    return respond(
      "failed",
      {},
      exitStatus("unaccessible", 1, { message: "failed: submitted job" }),
      j,
      "unaccessible",
    );
  }
  // submitted / progress / unaccessible / unknown polls
  if (j.noMonitor) {
    // return_progress mode never wrote a job monitor: upstream cannot tell the status
    return jsonResponse(
      200,
      runAnalysisBody({
        queryStatus: queryStatus === "progress" ? "progress" : "submitted",
        products: {},
        exit: exitStatus("unaccessible", 0),
        jobMonitor: { job_id: j.id, session_id: j.sessionId, status: "unaccessible" },
        sessionId: sid,
        time,
      }),
    );
  }
  const st: JobStatus = ctx.store.status(j);
  if (st === "done") return respond("ready", {}, exitStatus("ready", 0), j, "ready");
  if (st === "failed") {
    if (j.running) await j.running;
    return respond(
      "failed",
      {},
      exitStatus("failed", 1, {
        message: "job failed",
        error_message: j.error?.message ?? j.forcedFailure ?? "the backend reported a failure",
      }),
      j,
      "failed",
    );
  }
  return respond(st, {}, exitStatus(st, 0), j, st);
}

/**
 * Most `/call_back` reports kept per job, in count and in estimated bytes (the newest win, the newest one
 * always): a budget on what a caller can make the sandbox hold.
 */
export const MAX_CALLBACK_REPORTS = 1000;
/** See {@linkcode MAX_CALLBACK_REPORTS}. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

export function callBack(ctx: Ctx, pairs: [string, string][]): Response {
  const t0 = performance.now();
  const d = Object.fromEntries(firstValues(pairs));
  if (!d.job_id) throw new ApiError("RequestNotUnderstood", "job_id must be present during a call_back");
  let jobs = ctx.store.variants(d.job_id);
  if (d.session_id && jobs.some((j) => j.sessionId === d.session_id)) {
    jobs = jobs.filter((j) => j.sessionId === d.session_id);
  }
  for (const job of jobs) {
    const action = d.action ?? "progress";
    job.callbackStatus = JOB_STATUSES.has(action) ? action : "progress";
    job.callbackReports.push(d);
    let delta = outputBytes(d);
    let held = (job.callbackBytes ?? 0) + delta;
    while (
      job.callbackReports.length > 1 &&
      (job.callbackReports.length > MAX_CALLBACK_REPORTS || held > MAX_CALLBACK_BYTES)
    ) {
      const gone = outputBytes(job.callbackReports.shift());
      held -= gone;
      delta -= gone;
    }
    job.callbackBytes = held;
    ctx.store.charge(job, delta);
  }
  return jsonResponse(200, { time_spent_s: pyFloat((performance.now() - t0) / 1000 + 1e-9) });
}
