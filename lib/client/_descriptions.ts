/**
 * The one place a `DispatcherAPI` asks the dispatcher to describe a product: `/api/par-names` and
 * `/api/meta-data` requests are built here, and their successful answers kept in one cache per client, used
 * by the public description methods (`getParameterNames`, `getProductDescription`,
 * `getInstrumentDescription`) and by the checks around a query (parameter names before, units after).
 *
 * Cache keys: instrument, product (none for an instrument's whole description) and the token as an MD5
 * digest (restricted instruments are described to their users only): the token itself is never stored.
 * Every request carries the caller's signal and deadline through the client's one bounded HTTP path.
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { abortError } from "./abort.ts";
import { md5Hex } from "../data/md5.ts";
import { type HttpClient, parseResponseJson } from "./http.ts";

/** Entries kept per kind before the cache starts over (a client describes few products). */
const MAX_ENTRIES = 256;

/** What to describe, with whose token, and the caller's bounds. */
export interface DescriptionQuery {
  /** Instrument name. */
  instrument: string;
  /** Product name (sent as `product_type`); absent: the instrument's whole description (meta-data only). */
  product?: string | undefined;
  /** Token sent with the request (part of the cache key as a digest only). */
  token: string | undefined;
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** The caller's absolute deadline (epoch ms). */
  deadline?: number | undefined;
  /** Whether transient failures are retried (the advisory checks make one attempt). @default true */
  retry?: boolean | undefined;
}

/** A meta-data answer as received: its text (parsed by each user, floats kept) and URL (token removed). */
export interface MetaDataText {
  text: string;
  url: string;
}

/** The description requests of one client and their cache. */
export class DescriptionRequests {
  #http: HttpClient;
  #names = new Map<string, string[]>();
  #meta = new Map<string, MetaDataText>();

  /** Requests go through `http` (its limits, retries, redirects and token rule). */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** `/api/par-names` of a product: the names it accepts (a fresh copy of the cached list). */
  async parNames(q: DescriptionQuery & { product: string }): Promise<string[]> {
    checkBounds(q);
    const key = cacheKey(q);
    let names = this.#names.get(key);
    if (!names) {
      const res = await this.#request("api/par-names", q);
      const list = parseResponseJson(res.text, res.url);
      if (!Array.isArray(list)) {
        throw new DecodeError("MALFORMED_RESPONSE", "par-names answer is not a list", { url: res.url });
      }
      names = list.map((v) => {
        if (typeof v === "string") return v;
        if (typeof v === "number" || typeof v === "boolean") return String(v);
        // never String() of a nested list or an object: a hostile answer could nest it past the stack
        throw new DecodeError("MALFORMED_RESPONSE", "par-names answer lists something that is not a name", {
          url: res.url,
        });
      });
      remember(this.#names, key, names);
    }
    return [...names];
  }

  /** `/api/meta-data` of an instrument or of one of its products, as text. */
  async metaData(q: DescriptionQuery): Promise<MetaDataText> {
    checkBounds(q);
    const key = cacheKey(q);
    const known = this.#meta.get(key);
    if (known) return known;
    const res = await this.#request("api/meta-data", q);
    const answer = { text: res.text, url: res.url };
    remember(this.#meta, key, answer);
    return answer;
  }

  /** The request itself (the only place these two endpoints' parameters are built). */
  #request(path: string, q: DescriptionQuery): ReturnType<HttpClient["request"]> {
    const params: [string, string][] = [["instrument", q.instrument]];
    if (q.product !== undefined) params.push(["product_type", q.product]);
    if (q.token !== undefined) params.push(["token", q.token]);
    return this.#http.request({
      path,
      params,
      retry: q.retry ?? true,
      signal: q.signal,
      deadline: q.deadline,
    });
  }
}

/** An aborted signal or a passed deadline ends the call even when the answer is cached (as a request would). */
function checkBounds(q: DescriptionQuery): void {
  if (q.signal?.aborted) throw abortError(q.signal);
  if (q.deadline !== undefined && Date.now() >= q.deadline) {
    throw new OdaError("TIMEOUT", "Deadline reached before the description could be read");
  }
}

function cacheKey(q: DescriptionQuery): string {
  // a digest of the token, never the token: different tokens may see different instruments and parameters
  const who = q.token === undefined ? "public" : `token:${md5Hex(q.token)}`;
  return `${q.instrument}\u0000${q.product === undefined ? "\u0001" : q.product}\u0000${who}`;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
}
