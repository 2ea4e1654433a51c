/**
 * What the dispatcher says about a product's parameters, as `DispatcherAPI`
 * uses it around a query: the advisory check of parameter names against
 * `/api/par-names` (or the catalogue given to the client), and the units of
 * `/api/meta-data`; both through the client's description requests and their one cache
 * (`_descriptions.ts`).
 *
 * @module
 */
import { errorMessage, OdaError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { pythonRepr } from "../data/python.ts";
import type { Catalogue } from "./catalogue.ts";
import { parseMetaData } from "./description.ts";
import { abortError } from "./abort.ts";
import type { DescriptionRequests } from "./_descriptions.ts";

const log = getLogger("oda_api.api");

/** Parameters never reported as unknown (control parameters the dispatcher does not list). */
const PAR_CHECK_SKIP = new Set([
  "instrument",
  "product_type",
  "query_type",
  "off_line",
  "query_status",
  "verbose",
  "session_id",
]);

/** Where one client's parameter information comes from: its description requests (and their cache), its catalogue. */
export interface ParameterInfo {
  descriptions: DescriptionRequests;
  catalogue: Catalogue | undefined;
}

/** The query a check is for: its product, its token (sent, and part of the cache key as a digest) and bounds. */
export interface ParameterQuery {
  instrument: string;
  product: string;
  token: string | undefined;
  signal: AbortSignal | undefined;
  deadline: number | undefined;
}

/** Units of the product's parameters (`/api/meta-data`), by parameter name. */
export async function parameterUnits(
  info: ParameterInfo,
  query: ParameterQuery,
): Promise<Record<string, string | null> | undefined> {
  const { text } = await info.descriptions.metaData({ ...query, retry: false });
  const units: Record<string, string | null> = {};
  for (const q of parseMetaData(text).queries) {
    for (const p of q.parameters) if (!(p.name in units)) units[p.name] = p.units;
  }
  return units;
}

/**
 * Warn about (or, when `strict`, refuse) parameter names the product does not
 * know. Advisory, as in oda_api: when the list cannot be had the query goes on.
 */
export async function checkParameterNames(
  info: ParameterInfo,
  strict: boolean,
  query: ParameterQuery,
  names: string[],
): Promise<void> {
  // with the query's token (restricted instruments are only described to their users), deadline and signal;
  // only a successful answer is cached
  const { instrument, product, signal, deadline } = query;
  let valid = info.catalogue?.find(instrument, product)?.names;
  if (!valid) {
    try {
      // advisory (as in oda_api): one attempt
      valid = await info.descriptions.parNames({ ...query, retry: false });
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (
        e instanceof OdaError && e.code === "TIMEOUT" && deadline !== undefined && Date.now() >= deadline
      ) {
        throw e;
      }
      if (e instanceof OdaError && (e.status === 400 || e.status === 403)) {
        // the server rejected the instrument or product itself: the query's own answer names the problem
        log.debug(`par-names refused (${e.message}); the query will report it`);
        return;
      }
      log.debug(`par-names failed: ${errorMessage(e)}`);
    }
  }
  if (!valid) {
    log.warning("parameter check not available on remote server, check carefully parameters name");
    return;
  }
  for (const name of names) {
    if (PAR_CHECK_SKIP.has(name) || valid.includes(name)) continue;
    if (strict) {
      throw new OdaError(
        "UNKNOWN_PARAMETER",
        `the parameter: ${name} is not among the valid ones: ${pythonRepr(valid)}` +
          "(you can set disp.strict_parameter_check = false, but beware!",
      );
    }
    const bar = "----------------------------------------------------------------------------";
    log.warning(
      `\n${bar}\nthe parameter: ${name}   is not among valid ones:\n${pythonRepr(valid)}\n${bar}\n`,
      {
        event: "unknown_parameter",
        parameter: name,
      },
    );
  }
}
