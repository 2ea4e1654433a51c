/**
 * What every endpoint of the sandbox dispatcher shares: the server context,
 * the request-constructor token check (dispatcher-protocol.md §8.2), the
 * role gate of token endpoints (§8.3), instrument lookup and the job monitor
 * view of a job.
 *
 * @module
 */
import type { SandboxInstrument } from "./instrument.ts";
import { type TokenClaims, tokenRoles, verifyToken } from "./auth.ts";
import { pythonRepr } from "../data/python.ts";
import type { Job, JobStore } from "./jobs.ts";
import { ApiError, type ServerInfo, textResponse } from "./responses.ts";
import type { FaultInjector, FaultOptions } from "./faults.ts";
import type { UploadStore } from "./_uploads.ts";

export const SESSION_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const JOB_STATUSES = new Set([
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
export const EXPIRED_LONG =
  "The token provided is expired, please try to logout and login again. If already logged out, please clean the cookies, and resubmit you request.";
export const INVALID_LONG =
  "The token provided is not valid, please try to logout and login again. If already logged out, please clean the cookies, and resubmit you request.";

export function newSessionId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => SESSION_CHARS[x % 36]).join("");
}

export interface Ctx {
  info: ServerInfo;
  secret: string;
  seed: number;
  jobDuration?: number | undefined;
  store: JobStore;
  instruments: Map<string, SandboxInstrument>;
  faults?: FaultInjector | undefined;
  faultOpts?: FaultOptions | undefined;
  /** Uploaded files, bounded per owner and in total. */
  uploads: UploadStore;
  maxRefresh: number;
}

/** Token of a request after the request-constructor checks (§8.2). */
export type ReqToken = { token?: string | undefined; claims?: TokenClaims };

export async function constructorToken(ctx: Ctx, token: unknown): Promise<ReqToken> {
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

/** Whether a caller with these roles may use the instrument (it asks for none, or all of them are held). */
function instrumentAllowed(instr: SandboxInstrument, roles: string[]): boolean {
  return !instr.roles || instr.roles.every((r) => roles.includes(r));
}

export function visibleInstruments(ctx: Ctx, roles: string[]): string[] {
  return [...ctx.instruments.values()].filter((i) => instrumentAllowed(i, roles)).map((i) => i.name);
}

export function lookupInstrument(ctx: Ctx, name: unknown): SandboxInstrument {
  const instr = typeof name === "string" ? ctx.instruments.get(name) : undefined;
  if (!instr) {
    throw new ApiError(
      "InstrumentNotRecognized",
      `instrument: "${String(name)}", known: ${pythonRepr(ctx.info.installedInstruments)}`,
    );
  }
  return instr;
}

export function jobMonitor(ctx: Ctx, job: Job, status: string): Record<string, unknown> {
  const m: Record<string, unknown> = { job_id: job.id, session_id: job.sessionId, status };
  if (job.mode === "callback" || job.mode === "timed") {
    const reps = ctx.store.reports(job);
    if (reps.length > 0) m.full_report_dict = reps[reps.length - 1];
    m.full_report_dict_list = reps;
  }
  return m;
}

export async function roleGate(
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

export function firstValues(pairs: [string, string][]): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of pairs) if (!m.has(k)) m.set(k, v);
  return m;
}

/** What the request constructor of upstream's `InstrumentQueryBackEnd` establishes. */
export interface InstrumentQuery {
  /** The request's token (verified) and its claims, if any. */
  tok: ReqToken;
  /** Session id (generated when absent or `new`). */
  sid: string;
  /** The instrument, visible to the caller. */
  instr: SandboxInstrument;
  /** The token's roles. */
  roles: string[];
}

/**
 * The checks every instrument request goes through, in upstream's order (`dispatcher_query.py` constructor,
 * `set_instrument`): the token (expired / badly signed → 403, malformed → 400), the session id, the
 * `instrument` argument (missing → 400 NoInstrumentSpecified, unknown → 400 InstrumentNotRecognized), and the
 * instrument's roles (restricted → 403). `/run_analysis` and the description endpoints (`/api/meta-data`,
 * `/meta-data`, `/api/par-names`, `/meta-data-src`, `/api/parameters`) share it.
 */
export async function instrumentQuery(ctx: Ctx, decoded: Map<string, unknown>): Promise<InstrumentQuery> {
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
  if (!instrumentAllowed(instr, roles)) {
    throw new ApiError(
      "RequestNotAuthorized",
      "Unfortunately, your priviledges are not sufficient to make the request for this instrument.\n",
      "",
    );
  }
  return { tok, sid, instr, roles };
}
