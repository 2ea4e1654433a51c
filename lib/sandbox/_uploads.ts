/**
 * Files uploaded to `/run_analysis` (multipart parts other than the catalog and
 * science-window list), held in memory under the MD5 of their content with
 * upstream's ownership list (`<md5>_ownerships.json`: the uploaders' user ids,
 * `public` for a request without a token; a file owned by `public` is readable
 * by anyone, dispatcher-protocol.md §10).
 *
 * Bounded by construction, each bound evicting the oldest upload first:
 * every owner (`public`, or one token subject) keeps at most its bucket's
 * `maxFiles` / `maxBytes`, and all owners together at most the total's. A
 * request whose own files would not fit one bucket or the total is refused
 * (413, before anything is stored), so a new upload never evicts itself.
 *
 * @module
 */
import { PayloadTooLarge } from "./params.ts";

/** Count and byte bounds of one bucket of uploads. */
export interface UploadLimits {
  /** Most files kept. */
  maxFiles: number;
  /** Most bytes kept (the sum of the files' sizes). */
  maxBytes: number;
}

/** One stored upload. */
export interface StoredUpload {
  /** Content. */
  data: Uint8Array;
  /** File name given by the first uploader. */
  name: string;
  /** Owners: `public` and/or token subjects, in the order they uploaded it. */
  owners: Set<string>;
}

/** Owner of uploads made without a valid token (upstream's ownership entry). */
export const PUBLIC_OWNER = "public";

interface Bucket {
  /** Upload ids of this owner, oldest first, with their sizes. */
  ids: Map<string, number>;
  bytes: number;
}

/**
 * Uploaded files with per-owner and total bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UploadStore } from "./_uploads.ts";
 * const s = new UploadStore({
 *   public: { maxFiles: 2, maxBytes: 100 },
 *   perUser: { maxFiles: 2, maxBytes: 100 },
 *   total: { maxFiles: 3, maxBytes: 1000 },
 * });
 * for (const id of ["a", "b", "c"]) s.put("public", id, new Uint8Array(10), `${id}.txt`);
 * assert.equal(s.get("a"), undefined); // the public bucket keeps its 2 newest files
 * assert.ok(s.canRead("c", undefined));
 * ```
 */
export class UploadStore {
  readonly #files = new Map<string, StoredUpload>(); // oldest (least recently uploaded) first
  readonly #buckets = new Map<string, Bucket>();
  readonly #limits: { public: UploadLimits; perUser: UploadLimits; total: UploadLimits };
  #bytes = 0;

  /** A store with these bounds (`public`: uploads without a token; `perUser`: each token subject). */
  constructor(limits: { public: UploadLimits; perUser: UploadLimits; total: UploadLimits }) {
    this.#limits = limits;
  }

  /** Files held. */
  get size(): number {
    return this.#files.size;
  }

  /** Bytes held (each distinct file once). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Owners holding at least one file. */
  get owners(): number {
    return this.#buckets.size;
  }

  /** The upload with this id. */
  get(id: string): StoredUpload | undefined {
    return this.#files.get(id);
  }

  /** Whether `user` (a token subject, or undefined without a token) may download upload `id` (upstream's rule). */
  canRead(id: string, user: string | undefined): boolean {
    const f = this.#files.get(id);
    if (!f) return false;
    return f.owners.has(PUBLIC_OWNER) || (user !== undefined && f.owners.has(user));
  }

  /** Bounds of `owner`'s bucket. */
  limitsOf(owner: string): UploadLimits {
    return owner === PUBLIC_OWNER ? this.#limits.public : this.#limits.perUser;
  }

  /**
   * Refuse (throw {@linkcode PayloadTooLarge}, answered 413) a request whose files could never be kept
   * together: more files or bytes than the owner's bucket or the total allows.
   */
  admit(owner: string, sizes: readonly number[]): void {
    const own = this.limitsOf(owner);
    const total = this.#limits.total;
    const bytes = sizes.reduce((a, b) => a + b, 0);
    const maxFiles = Math.min(own.maxFiles, total.maxFiles);
    const maxBytes = Math.min(own.maxBytes, total.maxBytes);
    if (sizes.length > maxFiles || bytes > maxBytes) {
      throw new PayloadTooLarge(
        `${sizes.length} uploaded files of ${bytes} bytes exceed the upload bound (${maxFiles} files, ${maxBytes} bytes)`,
      );
    }
  }

  /** Keep one upload of `owner` (after {@linkcode admit}); evicts the oldest uploads beyond the bounds. */
  put(owner: string, id: string, data: Uint8Array, name: string): void {
    let f = this.#files.get(id);
    if (f) this.#files.delete(id); // re-inserted below: the most recent upload
    else {
      f = { data, name, owners: new Set() };
      this.#bytes += data.length;
    }
    this.#files.set(id, f);
    f.owners.add(owner);
    let b = this.#buckets.get(owner);
    if (!b) {
      b = { ids: new Map(), bytes: 0 };
      this.#buckets.set(owner, b);
    }
    if (b.ids.has(id)) b.ids.delete(id);
    else b.bytes += f.data.length;
    b.ids.set(id, f.data.length);
    const own = this.limitsOf(owner);
    for (const oldest of b.ids.keys()) {
      if (b.ids.size <= own.maxFiles && b.bytes <= own.maxBytes) break;
      this.#disown(owner, oldest);
    }
    const total = this.#limits.total;
    for (const [oldest, g] of this.#files) {
      if (this.#files.size <= total.maxFiles && this.#bytes <= total.maxBytes) break;
      for (const o of [...g.owners]) this.#disown(o, oldest);
    }
  }

  /** Take `owner` off upload `id`; a file nobody owns any more is dropped. */
  #disown(owner: string, id: string): void {
    const b = this.#buckets.get(owner);
    const size = b?.ids.get(id);
    if (b && size !== undefined) {
      b.ids.delete(id);
      b.bytes -= size;
      if (b.ids.size === 0) this.#buckets.delete(owner);
    }
    const f = this.#files.get(id);
    if (!f) return;
    f.owners.delete(owner);
    if (f.owners.size === 0) {
      this.#files.delete(id);
      this.#bytes -= f.data.length;
    }
  }
}
