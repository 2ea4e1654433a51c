/**
 * Token endpoints of the sandbox dispatcher: `/refresh_token` and
 * `/update_token_email_options` (dispatcher-protocol.md §9).
 *
 * @module
 */
import { mintJwt, type TokenClaims } from "./auth.ts";
import { ApiError, internalErrorPage, textResponse } from "./responses.ts";
import { pyFloat } from "./pyjson.ts";
import { constructorToken, type Ctx, roleGate } from "./context.ts";

export async function refreshToken(ctx: Ctx, v: Map<string, string>): Promise<Response> {
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

export async function updateEmailOptions(ctx: Ctx, v: Map<string, string>): Promise<Response> {
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
