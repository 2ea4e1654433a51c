/**
 * The sandbox dispatcher: an offline MMODA speaking the upstream
 * dispatcher-app protocol (dispatcher-protocol.md) over real HTTP on the
 * loopback interface.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ProductOutput, SandboxInstrument } from "./instrument.ts";
import { mintJwt, type TokenClaims, tokenRoles, tokenUser, unverifiedClaims, verifyToken } from "./auth.ts";
import { pythonRepr } from "../codecs/python.ts";
import {
  computeJobId,
  type Job,
  type JobStatus,
  JobStore,
  paramsFingerprint,
  seedOf,
  type ServerProductSpec,
} from "./jobs.ts";
import {
  decodeValues,
  metaData,
  metaDataSrc,
  normaliseParameters,
  parNames,
  parseIsot,
  PayloadTooLarge,
  readBodyLimited,
  readRawRequest,
  UnhandledCrash,
} from "./params.ts";
import {
  apiCode,
  ApiError,
  apiErrorResponse,
  exitStatus,
  internalErrorPage,
  jsonResponse,
  methodNotAllowedPage,
  notFoundPage,
  redirectResponse,
  runAnalysisBody,
  type ServerInfo,
  textResponse,
  timeRequest,
} from "./responses.ts";
import { type FaultDecision, FaultInjector, type FaultOptions, jobFault } from "./faults.ts";
import { pyDumps, type PyFloat, pyFloat } from "./pyjson.ts";
import { emptyInstruments } from "./empty_instruments.ts";
import { getLogger } from "../log.ts";

const log = getLogger("oda_api.sandbox");
import { builtinInstruments, resolveName } from "./instruments/index.ts";

/**
 * Options of {@linkcode startSandbox}.
 *
 * @example
 * ```ts
 * import { startSandbox, type SandboxOptions } from "@oda-hub/oda-api/sandbox";
 * const opts: SandboxOptions = { seed: 7, jobDuration: 5, faults: { errorRate: 0.1, seed: 1 } };
 * await using sb = await startSandbox(opts);
 * ```
 */
export interface SandboxOptions {
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  /** Interface to bind; loopback only (`127.0.0.1`, `localhost`, `::1`). */
  hostname?: string;
  /** JWT HS256 secret; random when absent. Use `"secretkey_test"` to accept the recorded transcript tokens. */
  secret?: string;
  /** Seed of every simulated product and of the fault sequence. Default 1. */
  seed?: number;
  /**
   * Seconds an asynchronous job takes (submitted → progress → ready). Default: the product's own
   * estimate (`durationSeconds`), else 3 s. `0` makes jobs ready on the first poll.
   */
  jobDuration?: number;
  /** Fault injection (off by default). */
  faults?: FaultOptions;
  /** Instruments to serve (default: the upstream dummy instruments plus the simulated INTEGRAL ones). */
  instruments?: SandboxInstrument[];
  /** `products_url` reported in `api_code` and errors (default: the sandbox URL). */
  productsUrl?: string;
  /** Maximum refresh interval of `/refresh_token`, seconds (default 604800 = 7 days). */
  tokenMaxRefreshInterval?: number;
  /** Idle job records are dropped after this many seconds (default 86400). */
  jobTtlSeconds?: number;
  /** Maximum job records kept (default 100000). */
  maxJobs?: number;
  /** Maximum finished results kept in memory (default 200; evicted ones are recomputed on demand). */
  maxResults?: number;
  /**
   * Files uploaded by requests without a valid token: at most `maxFiles` files and `maxBytes` bytes are kept,
   * the oldest evicted first (default 32 files, 64 MiB). Uploads of token holders are not bounded here.
   */
  publicUploads?: { maxFiles?: number; maxBytes?: number };
}

/**
 * Options of {@linkcode Sandbox.mintToken}.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox();
 * const expired = await sb.mintToken({ sub: "a@b.c", roles: "general" }, { expiresIn: -60 });
 * ```
 */
export interface MintOptions {
  /** Validity in seconds from now (default 3600); negative gives an expired token. */
  expiresIn?: number;
}

/**
 * A running sandbox (returned by {@linkcode startSandbox}).
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * const sb = await startSandbox();
 * const r = await fetch(`${sb.url}/api/par-names?instrument=isgri&product_type=isgri_lc`);
 * console.log(await r.json(), sb.stats().requests);
 * await sb.close();
 * ```
 */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Port bound. */
  readonly port: number;
  /** HS256 secret. */
  readonly secret: string;
  /**
   * Mint a token signed with the sandbox secret. The given claims are merged over the default ones
   * (`sub: "sandbox-user@example.org"`, `name: "Sandbox User"`, `roles:` {@linkcode DEFAULT_ROLES}), and
   * `email` defaults to the resulting `sub`, so `mintToken({ roles: "general" })` is still a full user token.
   * A claim given as `undefined` is left out (`mintToken({ sub: undefined, email: undefined })` has no user).
   * `exp` is now + `options.expiresIn` (default 3600 s) unless the claims carry their own `exp`.
   */
  mintToken(claims?: TokenClaims, options?: MintOptions): Promise<string>;
  /** Counters (jobs held, results held, faults injected, requests served). */
  stats(): SandboxStats;
  /** Stop serving and cancel running jobs. */
  close(): Promise<void>;
  /** `await using` support. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Counters of a running sandbox.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({ faults: { resetRate: 0.2 } });
 * console.log(sb.stats().faults.resets);
 * ```
 */
export interface SandboxStats {
  /** Requests handled. */
  requests: number;
  /** Job records held. */
  jobs: number;
  /** Results held in memory. */
  results: number;
  /** Faults injected. */
  faults: { errors: number; slow: number; resets: number };
}

/**
 * Roles of a token minted by {@linkcode Sandbox.mintToken} without claims: enough for every public and
 * role-gated product of the sandbox and for `/refresh_token`.
 *
 * @example
 * ```ts
 * import { DEFAULT_ROLES, startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox();
 * const token = await sb.mintToken({ sub: "me@example.org", roles: DEFAULT_ROLES + ", job manager" });
 * ```
 */
export const DEFAULT_ROLES = "general, unige-hpc-full, refresh-tokens";

/** Claims {@linkcode Sandbox.mintToken} starts from; `email` follows the final `sub` unless given. */
const DEFAULT_CLAIMS: Readonly<TokenClaims> = {
  sub: "sandbox-user@example.org",
  name: "Sandbox User",
  roles: DEFAULT_ROLES,
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const SESSION_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const JOB_STATUSES = new Set([
  "done",
  "failed",
  "progress",
  "submitted",
  "ready",
  "unknown",
  "unaccessible",
  "aliased",
  "post-processing",
]);
const EXPIRED_LONG =
  "The token provided is expired, please try to logout and login again. If already logged out, please clean the cookies, and resubmit you request.";
const INVALID_LONG =
  "The token provided is not valid, please try to logout and login again. If already logged out, please clean the cookies, and resubmit you request.";

function newSessionId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => SESSION_CHARS[x % 36]).join("");
}

interface Ctx {
  info: ServerInfo;
  secret: string;
  seed: number;
  jobDuration?: number;
  store: JobStore;
  instruments: Map<string, SandboxInstrument>;
  faults?: FaultInjector;
  faultOpts?: FaultOptions;
  uploads: Map<string, { data: Uint8Array; owner: string; name: string }>;
  /** Public (no valid token) upload ids, oldest first, with the byte total and the limits. */
  publicUploads: { ids: Set<string>; bytes: number; maxFiles: number; maxBytes: number };
  maxRefresh: number;
}

/** Token of a request after the request-constructor checks (§8.2). */
type ReqToken = { token?: string; claims?: TokenClaims };

async function constructorToken(ctx: Ctx, token: unknown): Promise<ReqToken> {
  if (typeof token !== "string" || token === "" || token === "None") return {};
  const c = await verifyToken(token, ctx.secret);
  if (c.ok) return { token, claims: c.claims };
  if (c.failure === "expired") throw new ApiError("RequestNotAuthorized", EXPIRED_LONG, "");
  if (c.failure === "invalid") throw new ApiError("RequestNotAuthorized", INVALID_LONG, "");
  throw new ApiError(
    "RequestNotUnderstood",
    `[ InstrumentQueryBackEnd : instrument-not-set ] constructor failed: ${c.message}`,
  );
}

function visibleInstruments(ctx: Ctx, roles: string[]): string[] {
  return [...ctx.instruments.values()].filter((i) =>
    !i.roles || i.roles.length === 0 || i.roles.every((r) => roles.includes(r))
  )
    .map((i) => i.name);
}

function lookupInstrument(ctx: Ctx, name: unknown): SandboxInstrument {
  const instr = typeof name === "string" ? ctx.instruments.get(name) : undefined;
  if (!instr) {
    throw new ApiError(
      "InstrumentNotRecognized",
      `instrument: "${String(name)}", known: ${pythonRepr(ctx.info.installedInstruments)}`,
    );
  }
  return instr;
}

function jobMonitor(ctx: Ctx, job: Job, status: string): Record<string, unknown> {
  const m: Record<string, unknown> = { job_id: job.id, session_id: job.sessionId, status };
  if (job.mode === "callback" || job.mode === "timed") {
    const reps = ctx.store.reports(job);
    if (reps.length > 0) m.full_report_dict = reps[reps.length - 1];
    m.full_report_dict_list = reps;
  }
  return m;
}

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

async function runAnalysis(req: Request, url: URL, ctx: Ctx): Promise<Response> {
  const time = timeRequest();
  if (req.method === "HEAD") {
    throw new ApiError("BadRequest", "HEAD requests are not supported by /run_analysis");
  }
  const raw = await readRawRequest(req, url);
  const decoded = decodeValues(raw.pairs);
  const tok = await constructorToken(ctx, decoded.get("token"));
  let sessionId = decoded.get("session_id");
  if (typeof sessionId !== "string" || sessionId === "" || sessionId === "new") sessionId = newSessionId();
  const sid = sessionId as string;
  if (!decoded.has("instrument")) {
    const keys = [...decoded.keys()];
    if (!keys.includes("session_id")) keys.push("session_id");
    throw new ApiError("NoInstrumentSpecified", `have parameters: ${pythonRepr(keys)} `);
  }
  const instr = lookupInstrument(ctx, decoded.get("instrument"));
  const roles = tokenRoles(tok.claims);
  if (instr.roles && instr.roles.length > 0 && !instr.roles.every((r) => roles.includes(r))) {
    throw new ApiError(
      "RequestNotAuthorized",
      "Unfortunately, your priviledges are not sufficient to make the request for this instrument.\n",
      "",
    );
  }
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
  const comment = norm.unused.map((k) => `Please note that argument ${k} is not used`).join("\n");
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
  const missing = Object.keys(needed).filter((r) => !roles.includes(r));
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
          message: product.failMessage ?? "Error when getting query products",
          error_message: j.error?.message ?? j.forcedFailure ?? "the backend reported a failure",
          debug_message: j.error ? `${j.error.name}()` : "",
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
      exitStatus("done", 0, {
        comment: [product.comment ?? "", comment].filter((x) => x).join("\n"),
        warning: product.warning ?? "",
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
      values: norm.values,
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
            comment: [product.comment ?? "", comment].filter((x) => x).join("\n"),
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
          comment: [product.comment ?? "", comment].filter((x) => x).join("\n"),
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
        comment: [product.comment ?? "", comment].filter((x) => x).join("\n"),
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

function callBack(url: URL, ctx: Ctx, pairs: [string, string][]): Response {
  const t0 = performance.now();
  const d: Record<string, string> = {};
  for (const [k, v] of pairs) if (!(k in d)) d[k] = v;
  if (!d.job_id) throw new ApiError("RequestNotUnderstood", "job_id must be present during a call_back");
  let jobs = ctx.store.variants(d.job_id);
  if (d.session_id && jobs.some((j) => j.sessionId === d.session_id)) {
    jobs = jobs.filter((j) => j.sessionId === d.session_id);
  }
  for (const job of jobs) {
    const action = d.action ?? "progress";
    job.callbackStatus = JOB_STATUSES.has(action) ? action : "progress";
    job.callbackReports.push(d);
  }
  void url;
  return jsonResponse(200, { time_spent_s: pyFloat((performance.now() - t0) / 1000 + 1e-9) });
}

async function roleGate(
  ctx: Ctx,
  token: unknown,
  role: string | undefined,
  action: string,
): Promise<TokenClaims | Response> {
  if (typeof token !== "string" || token === "") return textResponse(403, "A token must be provided.");
  const c = await verifyToken(token, ctx.secret);
  if (!c.ok) {
    return textResponse(
      403,
      c.failure === "expired" ? "The token provided is expired." : "The token provided is not valid.",
    );
  }
  if (role) {
    const roles = tokenRoles(c.claims);
    if (!roles.includes(role)) {
      return textResponse(
        403,
        `Unfortunately, your privileges are not sufficient to ${action}.\nYour privilege roles include ${
          pythonRepr(roles)
        }, but the following roles are missing: ${role}.`,
      );
    }
  }
  return c.claims;
}

function firstValues(pairs: [string, string][]): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of pairs) if (!m.has(k)) m.set(k, v);
  return m;
}

async function refreshToken(ctx: Ctx, v: Map<string, string>): Promise<Response> {
  const claims = await roleGate(ctx, v.get("token"), "refresh-tokens", "refresh your token");
  if (claims instanceof Response) return claims;
  if (!v.has("query_status")) {
    throw new ApiError(
      "RequestNotUnderstood",
      "[ InstrumentQueryBackEnd : mock ] constructor failed: 'query_status'",
    );
  }
  const interval = v.has("refresh_interval") ? Number(v.get("refresh_interval")) : ctx.maxRefresh;
  if (!Number.isFinite(interval) || interval > ctx.maxRefresh) {
    throw new ApiError(
      "RequestNotAuthorized",
      "Request not authorized",
      `The refresh interval requested exceeds the maximum allowed, please provide a value which is lower than ${ctx.maxRefresh} seconds`,
    );
  }
  const exp = typeof claims.exp === "number" ? claims.exp + interval : 2177449199;
  const out: TokenClaims = { ...claims, exp: Number.isInteger(exp) ? exp : Math.floor(exp) };
  return textResponse(200, await mintJwt(out, ctx.secret));
}

async function updateEmailOptions(ctx: Ctx, v: Map<string, string>): Promise<Response> {
  const token = v.get("token");
  if (token === undefined) return internalErrorPage();
  const tok = await constructorToken(ctx, token);
  if (!tok.claims) {
    throw new ApiError(
      "RequestNotUnderstood",
      "[ InstrumentQueryBackEnd : mock ] constructor failed: Not enough segments",
    );
  }
  const errors: Record<string, string> = {};
  const out: TokenClaims = { ...tok.claims };
  for (const k of ["msfail", "msdone", "mssub", "mstout"]) {
    if (!v.has(k)) continue;
    const s = v.get(k)!.trim().toLowerCase();
    if (["true", "t", "1", "yes", "y", "on"].includes(s)) out[k] = true;
    else if (["false", "f", "0", "no", "n", "off"].includes(s)) out[k] = false;
    else errors[k] = "Not a valid boolean.";
  }
  for (const k of ["intsub", "tem"]) {
    if (!v.has(k)) continue;
    const x = Number(v.get(k));
    if (v.get(k)!.trim() === "" || !Number.isFinite(x)) errors[k] = "Not a valid number.";
    else out[k] = pyFloat(x);
  }
  if (Object.keys(errors).length > 0) {
    const rep = "{" + Object.entries(errors).map(([k, m]) => `'${k}': ['${m}']`).join(", ") + "}";
    throw new ApiError(
      "BadRequest",
      `An error occurred while validating the following fields: ${rep}. Please check it and re-try to issue the request`,
    );
  }
  if (!v.has("query_status")) {
    throw new ApiError(
      "RequestNotUnderstood",
      "[ InstrumentQueryBackEnd : mock ] constructor failed: 'query_status'",
    );
  }
  return textResponse(200, await mintJwt(out, ctx.secret));
}

function isotSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function jobRecord(ctx: Ctx, j: Job, claims: boolean): Record<string, unknown> {
  const dir = `scratch_sid_${j.sessionId}_jid_${j.id}`;
  const st = ctx.store.status(j);
  const ap: Record<string, unknown> = { ...j.analysis };
  if (typeof ap.token === "string") {
    // upstream stores the decoded payload; the raw JWT never leaves the sandbox here
    ap.token = (claims && unverifiedClaims(ap.token)) || "<token>";
  }
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(ap).sort()) if (ap[k] !== null && ap[k] !== undefined) sorted[k] = ap[k];
  const t = pyFloat(j.created / 1000);
  return {
    mtime: t,
    ctime: t,
    session_id: j.sessionId,
    job_id: j.id,
    request_completed: st === "done" || st === "failed",
    aliased_marker: "",
    analysis_parameters: sorted,
    file_list: [
      `${dir}/query_output.json`,
      `${dir}/analysis_parameters.json`,
      `${dir}/job_monitor.json`,
    ],
    email_history: [],
    matrix_message_history: [],
    fits_files: [],
    job_monitor: [{
      ctime: t,
      ctime_isot: isotSeconds(j.created),
      fn: `${dir}/job_monitor.json`,
      job_monitor_content: jobMonitor(ctx, j, st),
    }],
  };
}

async function inspectState(ctx: Ctx, v: Map<string, string>, userOnly: boolean): Promise<Response> {
  const gate = await roleGate(
    ctx,
    v.get("token"),
    userOnly ? undefined : "job manager",
    "inspect the state for a given job_id",
  );
  if (gate instanceof Response) return gate;
  const recentDays = Number(v.get("recent_days") ?? "3");
  const prefix = v.get("job_id");
  const since = Date.now() - (Number.isFinite(recentDays) ? recentDays : 3) * 86400_000;
  const sub = tokenUser(gate);
  const recs: Record<string, unknown>[] = [];
  for (const j of ctx.store.all()) {
    if (j.created < since) continue;
    if (prefix !== undefined && j.id.slice(0, 8) !== prefix) continue;
    if (userOnly && j.user !== sub) continue;
    recs.push(jobRecord(ctx, j, true));
  }
  if (v.get("group_by_job") === "True") {
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const r of recs) {
      const {
        session_id: _s,
        job_id,
        mtime: _m,
        ctime: _c,
        request_completed,
        aliased_marker: _a,
        ...content
      } = r;
      const list = groups.get(job_id as string) ?? [];
      list.push({
        request_completed,
        scratch_dir_fn: `scratch_sid_${r.session_id}_jid_${job_id}`,
        scratch_dir_content: content,
      });
      groups.set(job_id as string, list);
    }
    return jsonResponse(200, {
      records: [...groups].map(([job_id, job_status_data]) => ({ job_id, job_status_data })),
    });
  }
  return jsonResponse(200, { records: recs });
}

function gzip(data: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(s).bytes();
}

function tar(files: [string, Uint8Array][]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const [name, data] of files) {
    const h = new Uint8Array(512);
    const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
    put(name, 0, 100);
    put("0000644\0", 100, 8);
    put("0000000\0", 108, 8);
    put("0000000\0", 116, 8);
    put(data.length.toString(8).padStart(11, "0") + "\0", 124, 12);
    put(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136, 12);
    put("        ", 148, 8);
    put("0", 156, 1);
    put("ustar\x0000", 257, 8);
    let sum = 0;
    for (const b of h) sum += b;
    put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

async function downloadProducts(ctx: Ctx, v: Map<string, string>): Promise<Response> {
  const time = timeRequest();
  const sid = v.get("session_id") || newSessionId();
  const tok = await constructorToken(ctx, v.get("token"));
  const failed = (message: string, jobId?: string) =>
    jsonResponse(403, {
      query_status: "failed",
      products: {},
      exit_status: exitStatus("failed", 1, { message }),
      ...(jobId
        ? { job_monitor: { job_id: jobId, session_id: sid, status: "failed" }, job_status: "failed" }
        : {}),
      session_id: sid,
      status_code: 403,
      time_request: time,
    });
  if (v.get("from_request_files_dir") === "True" && v.get("download_file") === "True") {
    const id = (v.get("file_list") ?? "").split(",")[0];
    const f = ctx.uploads.get(id);
    const user = tokenUser(tok.claims) ?? "public";
    if (!f || (f.owner !== "public" && f.owner !== user)) return failed("User cannot access the file");
    return new Response(f.data as BodyInit, {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${id}`,
      },
    });
  }
  if (!v.has("query_status")) {
    throw new ApiError(
      "RequestNotUnderstood",
      `[ InstrumentQueryBackEnd : ${v.get("instrument") ?? "mock"} ] constructor failed: 'query_status'`,
    );
  }
  const jobId = v.get("job_id") ?? "";
  const job = ctx.store.get(jobId);
  if (!job) throw new ApiError("InvalidJobIDProvided", `unable to find any record for ${jobId}`);
  const expected = computeJobId(job.analysis, tokenUser(tok.claims));
  if (expected !== job.id) return failed("Request not authorized", job.id);
  const files: Record<string, () => Promise<Uint8Array>> = {
    "analysis_parameters.json": () => Promise.resolve(new TextEncoder().encode(pyDumps(job.analysis))),
    "job_monitor.json": () =>
      Promise.resolve(new TextEncoder().encode(pyDumps(jobMonitor(ctx, job, ctx.store.status(job))))),
    "query_output.json": async () => {
      await ctx.store.ensureResult(job);
      return new TextEncoder().encode(
        pyDumps({ products: job.result ?? {}, error: job.error?.message ?? null }),
      );
    },
  };
  const names = (v.get("file_list") ?? "").split(",").map((x) => x.trim()).filter((x) => x);
  if (names.length === 0 || names.some((n) => !(n in files))) return failed("No such file", job.id);
  const contents: [string, Uint8Array][] = [];
  for (const n of names) contents.push([n, await files[n]()]);
  const archive = (v.get("return_archive") ?? "True") !== "False";
  if (!archive && contents.length === 1) {
    return new Response(contents[0][1] as BodyInit, {
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${v.get("download_file_name") ?? contents[0][0]}`,
      },
    });
  }
  const data = contents.length === 1 ? await gzip(contents[0][1]) : await gzip(tar(contents));
  const fname = v.get("download_file_name") ??
    (contents.length === 1 ? `${contents[0][0]}.gz` : "products.tar.gz");
  return new Response(data as BodyInit, {
    headers: {
      "content-type": "application/x-gzip-compressed",
      "content-disposition": `attachment; filename=${fname}`,
    },
  });
}

function resolveNameEndpoint(ctx: Ctx, v: Map<string, string>): Response {
  const name = v.get("name") ?? "";
  const src = name ? resolveName(name) : undefined;
  if (!src) {
    return jsonResponse(200, { name, message: `${name} could not be resolved: *** Nothing found ***` });
  }
  return jsonResponse(200, {
    name,
    RA: pyFloat(src.ra),
    DEC: pyFloat(src.dec),
    object_ids: [src.name, ...(src.aliases ?? [])],
    object_type: src.type,
    have_coordinates: true,
    entity_portal_link: `${ctx.info.url}/resolve_name?name=${encodeURIComponent(src.name)}`,
    message: `${name} successfully resolved`,
  });
}

function getRevnum(v: Map<string, string>): Response {
  const t = v.get("time_to_convert") ?? "";
  let ms = parseIsot(t);
  if (ms === undefined) {
    const d = Date.parse(t);
    if (!Number.isNaN(d)) ms = d;
  }
  if (ms === undefined) return jsonResponse(200, {});
  const mjd = ms / 86400000 + 40587;
  // INTEGRAL revolutions last ~3 days since revolution 0 (2002-10-17)
  return jsonResponse(200, { revnum: Math.floor((mjd - 52564.8) / 2.99993) });
}

async function handle(req: Request, ctx: Ctx): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  if (req.method === "OPTIONS") {
    return new Response(null, { status: 200, headers: { allow: "GET, HEAD, OPTIONS, POST" } });
  }
  const getPairs = async () => (await readRawRequest(req, url)).pairs;
  switch (path) {
    case "/run_analysis":
      return await runAnalysis(req, url, ctx);
    case "/call_back":
      return callBack(url, ctx, await getPairs());
    case "/instr-list": {
      const v = firstValues(await getPairs());
      let roles: string[] = [];
      if (v.has("token") && v.get("token") !== "") {
        const g = await roleGate(ctx, v.get("token"), undefined, "");
        if (g instanceof Response) return g;
        roles = tokenRoles(g);
      }
      return jsonResponse(200, visibleInstruments(ctx, roles));
    }
    case "/api/instr-list":
      return redirectResponse(`${ctx.info.url}/instr-list${url.search}`);
    case "/api/par-names": {
      const v = firstValues(await getPairs());
      if (!v.has("instrument")) throw new ApiError("NoInstrumentSpecified", "have parameters: [] ");
      const instr = lookupInstrument(ctx, v.get("instrument"));
      const pt = v.get("product_type");
      return jsonResponse(200, parNames(instr, pt ? instr.products[pt] : undefined));
    }
    case "/api/meta-data":
    case "/meta-data": {
      const v = firstValues(await getPairs());
      if (!v.has("instrument")) throw new ApiError("NoInstrumentSpecified", "have parameters: [] ");
      const instr = lookupInstrument(ctx, v.get("instrument"));
      const pt = v.get("product_type");
      return jsonResponse(200, [metaData(instr, pt ? instr.products[pt] : undefined)]);
    }
    case "/meta-data-src": {
      const v = firstValues(await getPairs());
      if (!v.has("instrument")) throw new ApiError("NoInstrumentSpecified", "have parameters: [] ");
      lookupInstrument(ctx, v.get("instrument"));
      return jsonResponse(200, metaDataSrc());
    }
    case "/api/parameters": {
      const d = decodeValues(await getPairs());
      const out: Record<string, unknown> = Object.fromEntries(d);
      if (!out.session_id) out.session_id = newSessionId();
      return jsonResponse(200, out);
    }
    case "/refresh_token":
      return await refreshToken(ctx, firstValues(await getPairs()));
    case "/update_token_email_options":
      return await updateEmailOptions(ctx, firstValues(await getPairs()));
    case "/inspect-state":
      return await inspectState(ctx, firstValues(await getPairs()), false);
    case "/inspect-user-state":
      return await inspectState(ctx, firstValues(await getPairs()), true);
    case "/download_products":
      return await downloadProducts(ctx, firstValues(await getPairs()));
    case "/download_file": {
      const q = url.search ? url.search + "&" : "?";
      return redirectResponse(
        `${ctx.info.url}/download_products${q}from_request_files_dir=True&download_file=True&download_products=False`,
      );
    }
    case "/resolve_name":
      return resolveNameEndpoint(ctx, firstValues(await getPairs()));
    case "/get_revnum":
      return getRevnum(firstValues(await getPairs()));
    case "/free-up-space": {
      const v = firstValues(await getPairs());
      const g = await roleGate(ctx, v.get("token"), "space manager", "free_up space on the server");
      if (g instanceof Response) return g;
      const before = ctx.store.size;
      ctx.store.sweep(true);
      return jsonResponse(200, { output_status: `${before - ctx.store.size} job records removed` });
    }
    default:
      if (path.startsWith("/reload-plugin/")) {
        const name = decodeURIComponent(path.slice("/reload-plugin/".length));
        return name === "sandbox_plugin"
          ? textResponse(200, `Plugin ${name} reloaded`)
          : textResponse(400, `Plugin ${name} not found\n`);
      }
      return notFoundPage();
  }
}

function payloadTooLargePage(): Response {
  return textResponse(
    413,
    "<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n" +
      "<p>The data value transmitted exceeds the capacity limit.</p>\n",
  );
}

function resetResponse(): Response {
  // headers go out, then the body stream errors: the client's fetch/body read fails like on a reset
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"query_status":'));
      c.error(new Error("connection reset (sandbox fault injection)"));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

function faultStatusResponse(status: number): Response {
  if (status === 500) return internalErrorPage();
  const titles: Record<number, string> = {
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  const t = titles[status] ?? "Error";
  return textResponse(
    status,
    `<html>\n<head><title>${status} ${t}</title></head>\n<body>\n<center><h1>${status} ${t}</h1></center>\n</body>\n</html>\n`,
  );
}

/**
 * Start a sandbox dispatcher on the loopback interface.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({ seed: 42, jobDuration: 1 });
 * const token = await sb.mintToken();
 * const r = await fetch(`${sb.url}/instr-list`);
 * console.log(await r.json());
 * ```
 */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  try {
    return Promise.resolve(startNow(options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function startNow(options: SandboxOptions): Sandbox {
  const hostname = options.hostname ?? "127.0.0.1";
  if (!LOOPBACK.has(hostname)) {
    throw new RangeError(`the sandbox binds to the loopback interface only (got hostname "${hostname}")`);
  }
  const secret = options.secret ??
    Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
  const seed = options.seed ?? 1;
  let instruments = options.instruments;
  if (!instruments) {
    instruments = [...builtinInstruments(), ...emptyInstruments(options.productsUrl ?? "PRODUCTS_URL")];
  }
  const ctx: Ctx = {
    info: {
      installedInstruments: instruments.map((i) => i.name),
      url: "",
      productsUrl: "",
      tokenMaxRefreshInterval: 0,
    },
    secret,
    seed,
    jobDuration: options.jobDuration,
    store: new JobStore({
      ttlMs: (options.jobTtlSeconds ?? 86400) * 1000,
      maxJobs: options.maxJobs,
      maxResults: options.maxResults,
    }),
    instruments: new Map(instruments.map((i) => [i.name, i])),
    faults: options.faults ? new FaultInjector(options.faults, seed) : undefined,
    faultOpts: options.faults,
    uploads: new Map(),
    publicUploads: {
      ids: new Set(),
      bytes: 0,
      maxFiles: options.publicUploads?.maxFiles ?? 32,
      maxBytes: options.publicUploads?.maxBytes ?? 64 * 1024 * 1024,
    },
    maxRefresh: options.tokenMaxRefreshInterval ?? 604800,
  };
  let requests = 0;
  const ac = new AbortController();
  const server = Deno.serve(
    { port: options.port ?? 0, hostname, signal: ac.signal, onListen: () => {} },
    async (req) => {
      requests++;
      const path = new URL(req.url).pathname;
      const t0 = performance.now();
      const res = await serveOne(req, path);
      if (log.isEnabledFor("DEBUG")) {
        log.debug(`${req.method} ${path} -> ${res.status} (${(performance.now() - t0).toFixed(1)} ms)`);
      }
      return res;
    },
  );
  async function serveOne(req: Request, path: string): Promise<Response> {
    let decision: FaultDecision = {};
    if (ctx.faults) decision = ctx.faults.decide(path);
    if (decision.delayMs) await new Promise((r) => setTimeout(r, decision.delayMs));
    if (decision.reset) return resetResponse();
    if (decision.status) return faultStatusResponse(decision.status);
    try {
      if (
        req.method !== "GET" && req.method !== "POST" && req.method !== "HEAD" && req.method !== "OPTIONS"
      ) {
        return methodNotAllowedPage(["GET", "POST", "HEAD", "OPTIONS"]);
      }
      if (path === "/run_analysis" && req.method === "POST") {
        const ct = req.headers.get("content-type") ?? "";
        if (ct.startsWith("multipart/form-data")) return await withUploads(req, ctx);
      }
      return await handle(req, ctx);
    } catch (e) {
      if (e instanceof PayloadTooLarge) return payloadTooLargePage();
      if (e instanceof UnhandledCrash) return internalErrorPage();
      if (e instanceof ApiError) return apiErrorResponse(e, ctx.info);
      log.error(`unexpected error on ${path}: ${e instanceof Error ? e.message : String(e)}`);
      return apiErrorResponse(new ApiError("InternalError", "request not valid", undefined, 500), ctx.info);
    }
  }
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${host}:${addr.port}`;
  ctx.info.url = url;
  ctx.info.productsUrl = options.productsUrl ?? url;
  ctx.info.tokenMaxRefreshInterval = ctx.maxRefresh;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    ctx.store.abort.abort();
    ac.abort();
    await server.finished;
  };
  return {
    url,
    port: addr.port,
    secret,
    mintToken: (claims: TokenClaims = {}, o: MintOptions = {}) => {
      const c: TokenClaims = { ...DEFAULT_CLAIMS, ...claims };
      if (!("email" in claims)) c.email = c.sub;
      if (c.exp === undefined || o.expiresIn !== undefined) {
        c.exp = Math.floor(Date.now() / 1000) + (o.expiresIn ?? 3600);
      }
      return mintJwt(c, secret);
    },
    stats: () => ({
      requests,
      jobs: ctx.store.size,
      results: ctx.store.resultCount,
      faults: ctx.faults ? { ...ctx.faults.counts } : { errors: 0, slow: 0, resets: 0 },
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Multipart `/run_analysis`: store uploaded files and replace them by download URLs (§1). */
async function withUploads(req: Request, ctx: Ctx): Promise<Response> {
  const url = new URL(req.url);
  const body = await readBodyLimited(req);
  const fd = await new Response(body as BodyInit, {
    headers: { "content-type": req.headers.get("content-type")! },
  })
    .formData();
  const params = new URLSearchParams(url.search);
  const files: [string, File][] = [];
  for (const [k, v] of fd.entries()) {
    if (typeof v === "string") params.append(k, v);
    else files.push([k, v]);
  }
  const tokenStr = params.get("token");
  let owner = "public";
  if (tokenStr) {
    const c = await verifyToken(tokenStr, ctx.secret);
    if (c.ok) owner = tokenUser(c.claims) ?? "public";
  }
  for (const [k, f] of files) {
    const data = new Uint8Array(await f.arrayBuffer());
    const md5 = createHash("md5").update(data).digest("hex");
    storeUpload(ctx, md5, { data, owner, name: f.name });
    params.set(k, `${ctx.info.url}/download_file?file_list=${md5}&_is_mmoda_url=True&return_archive=False`);
  }
  const inner = new Request(`${url.origin}${url.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: params.toString(),
  });
  return await handle(inner, ctx);
}

/** Keep one upload; public ones (no valid token) are bounded in count and bytes, oldest evicted first. */
function storeUpload(ctx: Ctx, id: string, f: { data: Uint8Array; owner: string; name: string }): void {
  const pub = ctx.publicUploads;
  const old = ctx.uploads.get(id);
  if (old && pub.ids.delete(id)) pub.bytes -= old.data.length;
  if (old && old.owner !== "public" && f.owner === "public") f = old; // a user's file stays theirs
  ctx.uploads.set(id, f);
  if (f.owner !== "public") return;
  pub.ids.add(id);
  pub.bytes += f.data.length;
  for (const oldest of pub.ids) {
    if (pub.ids.size <= pub.maxFiles && pub.bytes <= pub.maxBytes) break;
    pub.ids.delete(oldest);
    pub.bytes -= ctx.uploads.get(oldest)?.data.length ?? 0;
    ctx.uploads.delete(oldest);
  }
}
