/**
 * `/inspect-state` and `/inspect-user-state` of the sandbox dispatcher
 * (dispatcher-protocol.md §10): job records as upstream's scratch-directory view.
 *
 * @module
 */
import { tokenUser, unverifiedClaims } from "./auth.ts";
import type { Job } from "./jobs.ts";
import { jsonResponse } from "./responses.ts";
import { pyFloat } from "./pyjson.ts";
import { type Ctx, jobMonitor, roleGate } from "./context.ts";

function isotSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** A job monitor whose callback reports show the token's payload instead of the JWT (as analysis_parameters). */
function withoutRawTokens(m: Record<string, unknown>): Record<string, unknown> {
  const decode = (r: unknown) => {
    if (r === null || typeof r !== "object" || typeof (r as Record<string, unknown>).token !== "string") {
      return r;
    }
    return { ...r, token: unverifiedClaims((r as Record<string, string>).token) || "<token>" };
  };
  const out = { ...m };
  if (Array.isArray(out.full_report_dict_list)) {
    out.full_report_dict_list = out.full_report_dict_list.map(decode);
  }
  if (out.full_report_dict !== undefined) out.full_report_dict = decode(out.full_report_dict);
  return out;
}

function jobRecord(ctx: Ctx, j: Job): Record<string, unknown> {
  const dir = `scratch_sid_${j.sessionId}_jid_${j.id}`;
  const st = ctx.store.status(j);
  const ap: Record<string, unknown> = { ...j.analysis };
  if (typeof ap.token === "string") {
    // upstream stores the decoded payload; the raw JWT never leaves the sandbox here
    ap.token = unverifiedClaims(ap.token) || "<token>";
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
      job_monitor_content: withoutRawTokens(jobMonitor(ctx, j, st)),
    }],
  };
}

export async function inspectState(ctx: Ctx, v: Map<string, string>, userOnly: boolean): Promise<Response> {
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
    recs.push(jobRecord(ctx, j));
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
