/**
 * Resolve objects of interest by name through the dispatcher's name
 * resolver (`/resolve_name`), for `extractCatalog`.
 *
 * @module
 */
import { DispatcherError, OdaError } from "../errors.ts";
import type { ObjectOfInterest } from "../products/extract_catalog.ts";
import type { RequestOptions } from "./dispatcher_options.ts";
import { deadlineAfter, timeLeft } from "../codecs/budget.ts";

/**
 * Anything with the dispatcher's `resolveName` (a `DispatcherAPI`).
 *
 * @example
 * ```ts
 * import type { NameResolver } from "@oda-hub/oda-api/science";
 * const fixed: NameResolver = { resolveName: () => Promise.resolve({ RA: 83.633, DEC: 22.0145 }) };
 * ```
 */
export interface NameResolver {
  /** Resolve one name; the answer has `RA`/`DEC` in degrees when found. */
  resolveName(name: string, options?: RequestOptions): Promise<Record<string, unknown>>;
}

/**
 * Turn names into `{ name, ra, dec }` through the dispatcher's resolver;
 * entries that already have coordinates pass through. A name the resolver
 * does not know raises `DispatcherError("DISPATCHER_ERROR")` with its
 * message. `timeout` is a total deadline for all the names (`OdaError("TIMEOUT")`), `signal` cancels.
 *
 * @example
 * ```ts ignore
 * const objects = await resolveObjectsOfInterest(disp, ["GX 1+4", { name: "X", ra: 1, dec: 2 }]);
 * const sel = extractCatalog(catalog, { det_sigma: 7, objects_of_interest: objects });
 * ```
 */
export async function resolveObjectsOfInterest(
  resolver: NameResolver,
  objects: readonly (string | ObjectOfInterest)[],
  options: RequestOptions = {},
): Promise<ObjectOfInterest[]> {
  const deadline = deadlineAfter(options.timeout);
  const out: ObjectOfInterest[] = [];
  for (const o of objects) {
    if (typeof o !== "string") {
      out.push(o);
      continue;
    }
    if (o.trim() === "") throw new OdaError("INVALID_ARGUMENT", "an empty object name");
    const r = await resolver.resolveName(o, {
      signal: options.signal,
      ...(deadline === undefined ? {} : { timeout: timeLeft(deadline) }),
    });
    const num = (v: unknown) =>
      typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    const ra = num(r.RA), dec = num(r.DEC);
    if (!Number.isFinite(ra) || !Number.isFinite(dec)) {
      const msg = typeof r.message === "string" ? r.message : "no coordinates";
      throw new DispatcherError("DISPATCHER_ERROR", `cannot resolve '${o}': ${msg}`);
    }
    out.push({ name: o, ra, dec });
  }
  return out;
}
