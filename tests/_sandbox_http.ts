/**
 * Test helper (sandbox): plain HTTP GETs against a running sandbox dispatcher, as a browser or `curl` would
 * send them, and the query of its callback-driven `empty-async` instrument.
 *
 * @module
 */

/** A decoded answer (JSON, or `{ text }` for a body that is not JSON). */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** GET `base + path` with `params` (a list value repeats its key): status, decoded body and the response. */
export async function get(
  base: string,
  path: string,
  params: Record<string, string | string[]> = {},
): Promise<[number, Json, Response]> {
  const u = new URL(base + path);
  for (const [k, v] of Object.entries(params)) {
    for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, x);
  }
  const r = await fetch(u);
  const text = await r.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return [r.status, body, r];
}

/** A query of `empty-async`: its jobs stay `submitted` until the backend calls back. */
export const EMPTY_ASYNC: Readonly<Record<string, string>> = {
  instrument: "empty-async",
  product_type: "dummy",
  query_type: "Real",
  scw_list: "066500220010.001",
};

/**
 * POST `files` to the sandbox's `/run_analysis` as oda_api uploads them: a multipart query of the `empty`
 * instrument's `file_dummy` product, one part per file (`dummy_file`, `dummy_file_1`, …; a `Uint8Array` is
 * sent as `f<i>.bin`), with `token` when given and `fields` added to the query.
 */
export async function uploadFiles(
  base: string,
  files: readonly (Uint8Array | File)[],
  options: { token?: string | undefined; fields?: Record<string, string> } = {},
): Promise<Response> {
  const fd = new FormData();
  const fields: Record<string, string> = {
    instrument: "empty",
    product_type: "file_dummy",
    query_type: "Dummy",
    query_status: "new",
    ...options.fields,
  };
  if (options.token) fields.token = options.token;
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  files.forEach((f, i) =>
    fd.append(
      i === 0 ? "dummy_file" : `dummy_file_${i}`,
      f instanceof File ? f : new File([f as BlobPart], `f${i}.bin`),
    )
  );
  return await fetch(`${base}/run_analysis`, { method: "POST", body: fd });
}
