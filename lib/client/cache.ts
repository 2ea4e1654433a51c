/**
 * An opt-in in-memory cache of finished `/run_analysis` answers, so that
 * re-running a notebook cell does not download the same products again.
 *
 * Keyed by dispatcher URL, the request parameters (without session, job id,
 * status and token) and the user (the token's `sub`, or `public`): users never
 * see each other's private results. Only `done` answers are stored (failures
 * never), entries expire after `ttlMs`, and the least recently used ones are
 * evicted beyond `maxEntries` or `maxBytes`.
 *
 * @module
 */

/**
 * Settings of a {@linkcode ResponseCache}.
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", cache: { ttlMs: 600_000, maxEntries: 8 } });
 * ```
 */
export interface CacheOptions {
  /** Time to live of an entry in ms. @default 3600000 (1 h) */
  ttlMs?: number;
  /** Maximum number of entries. @default 32 */
  maxEntries?: number;
  /** Maximum total size of the stored answers (UTF-16 code units ≈ bytes). @default 268435456 (256 MB) */
  maxBytes?: number;
}

interface Entry {
  text: string;
  expires: number;
}

/** Parameters that do not identify a query. */
const VOLATILE = new Set(["session_id", "job_id", "query_status", "client-name", "token"]);

/**
 * Cache key of a request: URL + sorted identifying parameters + user.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./cache.ts";
 * cacheKey("http://127.0.0.1:8011", [["RA", "1"], ["session_id", "X"]], "me@example.org");
 * ```
 */
export function cacheKey(url: string, pairs: ReadonlyArray<readonly [string, string]>, user: string): string {
  const kept = pairs.filter(([k]) => !VOLATILE.has(k)).map(([k, v]) => `${k}=${v}`);
  // stable order of keys but keep repeated keys (scw_list) in their order
  const sorted = kept.map((s, i) => [s, i] as const).sort((a, b) => {
    const ka = a[0].slice(0, a[0].indexOf("="));
    const kb = b[0].slice(0, b[0].indexOf("="));
    return ka < kb ? -1 : ka > kb ? 1 : a[1] - b[1];
  }).map(([s]) => s);
  return JSON.stringify([url.replace(/\/+$/, ""), user, sorted]);
}

/**
 * LRU + TTL cache of finished answers (stored as JSON text).
 *
 * @example
 * ```ts
 * import { ResponseCache } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const cache = new ResponseCache({ ttlMs: 60_000, maxEntries: 8 });
 * cache.set("k", '{"query_status":"done"}');
 * assert.equal(cache.get("k"), '{"query_status":"done"}');
 * ```
 */
export class ResponseCache {
  /** Time to live, ms. */
  readonly ttlMs: number;
  /** Entry limit. */
  readonly maxEntries: number;
  /** Size limit. */
  readonly maxBytes: number;
  #map = new Map<string, Entry>();
  #bytes = 0;
  /** Number of hits so far. */
  hits = 0;
  /** Number of misses so far. */
  misses = 0;

  /** Create a cache. */
  constructor(options: CacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.maxEntries = options.maxEntries ?? 32;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** Total stored size. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The stored text, or undefined (expired entries are dropped). */
  get(key: string, now: number = Date.now()): string | undefined {
    const e = this.#map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.#map.delete(key);
    if (e.expires <= now) {
      this.#bytes -= e.text.length;
      this.misses++;
      return undefined;
    }
    this.#map.set(key, e); // most recently used
    this.hits++;
    return e.text;
  }

  /** Store a finished answer; too large answers are not stored. */
  set(key: string, text: string, now: number = Date.now()): void {
    this.delete(key);
    if (text.length > this.maxBytes) return;
    this.#map.set(key, { text, expires: now + this.ttlMs });
    this.#bytes += text.length;
    for (const [k, e] of this.#map) {
      if (this.#map.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= e.text.length;
    }
  }

  /** Remove one entry. */
  delete(key: string): void {
    const e = this.#map.get(key);
    if (e) {
      this.#map.delete(key);
      this.#bytes -= e.text.length;
    }
  }

  /** Remove everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
