/**
 * The one place a `DispatcherAPI` asks the dispatcher to describe a product: `/api/par-names` and
 * `/api/meta-data` requests are built here, and their successful answers kept in one cache per client, used
 * by the public description methods (`getParameterNames`, `getProductDescription`,
 * `getInstrumentDescription`) and by the checks around a query (parameter names before, units after).
 *
 * Cache keys: instrument, product (none for an instrument's whole description) and the token as an MD5
 * digest (restricted instruments are described to their users only): the token itself is never stored.
 * Every request carries the caller's signal and deadline through the client's one bounded HTTP path.
 * Callers asking what is already being fetched wait for that request (a batch of queries of one product
 * sends one `/api/par-names`), each within its own signal and deadline. If it fails because its owner's
 * signal aborted or deadline passed, or without retries a waiting caller wants, they ask themselves; any
 * other failure is theirs too (a failing endpoint is asked once, not once per caller in a row).
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { abortError, MAX_TIMER_MS } from "./abort.ts";
import { md5Hex } from "../data/md5.ts";
import { type HttpClient, parseResponseJson } from "./http.ts";

/** Entries kept per kind before the cache starts over (a client describes few products). */
const MAX_ENTRIES = 256;

/** A request under way, shared by the callers asking the same thing meanwhile. */
interface Running {
  /** Its answer. */
  answer: Promise<unknown>;
  /** Whether it retries transient failures. */
  retry: boolean;
  /** Whether it failed because its owner's signal aborted or its owner's deadline passed. */
  endedByOwner(): boolean;
}

/** A failure this close to the owner's deadline counts as the deadline's (timers may fire a little early). */
const DEADLINE_SLACK_MS = 50;

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
  /** Requests under way, by kind and cache key: callers asking the same thing meanwhile wait for it. */
  #running = new Map<string, Running>();

  /** Requests go through `http` (its limits, retries, redirects and token rule). */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** `/api/par-names` of a product: the names it accepts (a fresh copy of the cached list). */
  async parNames(q: DescriptionQuery & { product: string }): Promise<string[]> {
    const names = await this.#cached(this.#names, "par-names", q, async () => {
      const res = await this.#request("api/par-names", q);
      const list = parseResponseJson(res.text, res.url);
      if (!Array.isArray(list)) {
        throw new DecodeError("MALFORMED_RESPONSE", "par-names answer is not a list", { url: res.url });
      }
      return list.map((v) => {
        if (typeof v === "string") return v;
        if (typeof v === "number" || typeof v === "boolean") return String(v);
        // never String() of a nested list or an object: a hostile answer could nest it past the stack
        throw new DecodeError("MALFORMED_RESPONSE", "par-names answer lists something that is not a name", {
          url: res.url,
        });
      });
    });
    return [...names];
  }

  /** `/api/meta-data` of an instrument or of one of its products, as text. */
  metaData(q: DescriptionQuery): Promise<MetaDataText> {
    return this.#cached(this.#meta, "meta-data", q, async () => {
      const res = await this.#request("api/meta-data", q);
      return { text: res.text, url: res.url };
    });
  }

  /**
   * The cached answer, else the one being fetched for someone else (within this caller's own signal and
   * deadline; if that request ends on its owner's bounds or had fewer retries, this caller asks itself),
   * else a request of its own, cached on success.
   */
  async #cached<V>(
    cache: Map<string, V>,
    kind: string,
    q: DescriptionQuery,
    load: () => Promise<V>,
  ): Promise<V> {
    const key = cacheKey(q), runKey = `${kind}\u0000${key}`;
    let failed: Running | undefined;
    for (;;) {
      checkBounds(q);
      const known = cache.get(key);
      if (known !== undefined) return known;
      const running = this.#running.get(runKey);
      if (!running || running === failed) break;
      try {
        return await withinBounds(running.answer as Promise<V>, q);
      } catch (e) {
        checkBounds(q); // this caller's own abort or deadline ends it
        // the owner's abort or deadline, or fewer retries than this caller wants: ask again (once per
        // request); any other failure is the answer to this caller too (not N requests in a row)
        if (!running.endedByOwner() && !(running.retry === false && q.retry !== false)) throw e;
        failed = running;
      }
    }
    const mine: Running = {
      answer: load(),
      retry: q.retry ?? true,
      endedByOwner: () =>
        q.signal?.aborted === true ||
        (q.deadline !== undefined && Date.now() >= q.deadline - DEADLINE_SLACK_MS),
    };
    this.#running.set(runKey, mine);
    try {
      const value = await mine.answer as V;
      remember(cache, key, value);
      return value;
    } finally {
      if (this.#running.get(runKey) === mine) this.#running.delete(runKey);
    }
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

/** `p`, unless the caller's signal aborts or its deadline passes first (`ABORTED` / `TIMEOUT`). */
function withinBounds<T>(p: Promise<T>, q: DescriptionQuery): Promise<T> {
  const { signal, deadline } = q;
  if (!signal && deadline === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(abortError(signal!));
    };
    // a timer holds at most 2^31-1 ms (more fires at once): a far deadline is waited for in steps
    const arm = () => {
      const left = deadline! - Date.now();
      if (left > MAX_TIMER_MS) timer = setTimeout(arm, MAX_TIMER_MS);
      else {
        timer = setTimeout(() => {
          done();
          reject(new OdaError("TIMEOUT", "Deadline reached while waiting for the description"));
        }, Math.max(0, left));
      }
    };
    if (deadline !== undefined && deadline !== Infinity) arm();
    signal?.addEventListener("abort", onAbort, { once: true });
    p.then((v) => (done(), resolve(v)), (e) => (done(), reject(e)));
  });
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
