/**
 * The boundary where a dispatcher answer enters a job: echoed tokens redacted,
 * token-bearing ids refused, errors tagged with the job id.
 *
 * @module
 */
import { DecodeError, type OdaError, REDACTED_TOKEN, redactSecrets } from "../errors.ts";
import type { RunAnalysisResponse } from "./job_types.ts";

/**
 * The boundary where an answer enters the client: the echoed token
 * (`products.analysis_parameters.token`, any token in `products.api_code`) is
 * redacted, and an answer whose job or session id is (or embeds) a token is
 * refused, so that no id, handle, error or display can carry one.
 */
export function sanitizeAnswer(r: RunAnalysisResponse, url: string, jobId: string | undefined): void {
  const products = r.products;
  if (products !== null && typeof products === "object") {
    const ap = products.analysis_parameters;
    if (ap !== null && typeof ap === "object" && "token" in ap) {
      const t = (ap as Record<string, unknown>).token;
      if (t !== null && t !== undefined && t !== "") (ap as Record<string, unknown>).token = REDACTED_TOKEN;
    }
    if (typeof products.api_code === "string") products.api_code = redactSecrets(products.api_code);
  }
  const ids: [string, unknown][] = [
    ["session_id", r.session_id],
    ["job_monitor.job_id", r.job_monitor?.job_id],
    ["job_monitor.session_id", r.job_monitor?.session_id],
  ];
  for (const [name, v] of ids) {
    if (typeof v !== "string") continue;
    if (v.includes(REDACTED_TOKEN) || redactSecrets(v) !== v) {
      throw new DecodeError(
        "MALFORMED_RESPONSE",
        `The dispatcher's answer has a ${name} that is (or contains) a token; refusing it`,
        { url, jobId },
      );
    }
  }
}

export function withJobId(e: OdaError, jobId: string): OdaError {
  try {
    Object.defineProperty(e, "jobId", { value: jobId, enumerable: true });
  } catch { /* frozen: keep as is */ }
  return e;
}
