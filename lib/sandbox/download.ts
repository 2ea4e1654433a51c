/**
 * File endpoints of the sandbox dispatcher: `/download_products` (job files
 * and uploaded files, dispatcher-protocol.md §10) and the multipart upload
 * handling of `/run_analysis` (§1).
 *
 * @module
 */
import { md5Hex } from "../data/md5.ts";
import { concatBytes } from "../data/bytes.ts";
import { tokenUser, verifyToken } from "./auth.ts";
import { computeJobId } from "./jobs.ts";
import { readBodyLimited } from "./params.ts";
import { ApiError, exitStatus, jsonResponse, timeRequest } from "./responses.ts";
import { pyDumps } from "./pyjson.ts";
import { constructorToken, type Ctx, jobMonitor, newSessionId } from "./context.ts";
import { PUBLIC_OWNER } from "./_uploads.ts";

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
  return concatBytes(blocks);
}

export async function downloadProducts(ctx: Ctx, v: Map<string, string>): Promise<Response> {
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
    if (!f || !ctx.uploads.canRead(id, tokenUser(tok.claims))) return failed("User cannot access the file");
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

/**
 * Multipart `/run_analysis`: store uploaded files and replace them by download URLs (§1). The files are owned
 * by the token's subject, or by `public` without a token; a request with a token that fails verification
 * stores nothing (the request is then refused by the token check). Files that could never fit the owner's or
 * the total upload bound are refused with 413 before anything is stored (`lib/sandbox/_uploads.ts`).
 */
export async function withUploads(
  req: Request,
  ctx: Ctx,
  handle: (req: Request, ctx: Ctx) => Promise<Response>,
): Promise<Response> {
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
  let owner: string | undefined = PUBLIC_OWNER;
  if (tokenStr && tokenStr !== "None") {
    const c = await verifyToken(tokenStr, ctx.secret);
    owner = c.ok ? tokenUser(c.claims) ?? PUBLIC_OWNER : undefined;
  }
  if (owner !== undefined && files.length > 0) {
    ctx.uploads.admit(owner, files.map(([, f]) => f.size));
    for (const [k, f] of files) {
      const data = new Uint8Array(await f.arrayBuffer());
      const md5 = md5Hex(data);
      ctx.uploads.put(owner, md5, data, f.name);
      params.set(k, `${ctx.info.url}/download_file?file_list=${md5}&_is_mmoda_url=True&return_archive=False`);
    }
  }
  const inner = new Request(`${url.origin}${url.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: params.toString(),
  });
  return await handle(inner, ctx);
}
