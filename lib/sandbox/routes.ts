/**
 * Routing of the sandbox dispatcher: one function per path, the description
 * endpoints (`/instr-list`, `/api/par-names`, `/api/meta-data`, ...) and the
 * small look-up endpoints (`/resolve_name`, `/get_revnum`).
 *
 * @module
 */
import { tokenRoles } from "./auth.ts";
import { decodeValues, metaData, metaDataSrc, parNames, parseIsot, readRawRequest } from "./params.ts";
import { jsonResponse, notFoundPage, redirectResponse, textResponse } from "./responses.ts";
import { pyFloat } from "./pyjson.ts";
import { resolveName } from "./instruments/index.ts";
import { type Ctx, firstValues, instrumentQuery, roleGate, visibleInstruments } from "./context.ts";
import { callBack, runAnalysis } from "./run_analysis.ts";
import { refreshToken, updateEmailOptions } from "./token_endpoints.ts";
import { inspectState } from "./inspect.ts";
import { downloadProducts } from "./download.ts";

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

export async function handle(req: Request, ctx: Ctx): Promise<Response> {
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
      return callBack(ctx, await getPairs());
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
      const d = decodeValues(await getPairs());
      const { instr } = await instrumentQuery(ctx, d);
      const pt = d.get("product_type");
      return jsonResponse(
        200,
        parNames(instr, typeof pt === "string" && pt ? instr.products[pt] : undefined),
      );
    }
    case "/api/meta-data":
    case "/meta-data": {
      const d = decodeValues(await getPairs());
      const { instr } = await instrumentQuery(ctx, d);
      const pt = d.get("product_type");
      return jsonResponse(200, [
        metaData(instr, typeof pt === "string" && pt ? instr.products[pt] : undefined),
      ]);
    }
    case "/meta-data-src": {
      await instrumentQuery(ctx, decodeValues(await getPairs()));
      return jsonResponse(200, metaDataSrc());
    }
    case "/api/parameters": {
      const d = decodeValues(await getPairs());
      const { sid } = await instrumentQuery(ctx, d);
      // the constructor pops these before the parameters are echoed
      d.delete("client-name");
      d.delete("return_progress");
      const out: Record<string, unknown> = Object.fromEntries(d);
      out.session_id = sid;
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
