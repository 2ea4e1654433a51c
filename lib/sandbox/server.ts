/**
 * The sandbox dispatcher: an offline MMODA speaking the upstream
 * dispatcher-app protocol (dispatcher-protocol.md) over real HTTP on the
 * loopback interface.
 *
 * @module
 */
import type { SandboxInstrument } from "./instrument.ts";
import { mintJwt, type TokenClaims } from "./auth.ts";
import { JobStore } from "./jobs.ts";
import { PayloadTooLarge, UnhandledCrash } from "./params.ts";
import {
  ApiError,
  apiErrorResponse,
  internalErrorPage,
  methodNotAllowedPage,
  textResponse,
} from "./responses.ts";
import { type FaultDecision, FaultInjector, type FaultOptions } from "./faults.ts";
import { emptyInstruments } from "./empty_instruments.ts";
import { builtinInstruments } from "./instruments/index.ts";
import type { Ctx } from "./context.ts";
import { handle } from "./routes.ts";
import { withUploads } from "./download.ts";
import { leasePool } from "./workers.ts";
import { type UploadLimits, UploadStore } from "./_uploads.ts";
import { getLogger } from "../log.ts";

const log = getLogger("oda_api.sandbox");

/**
 * Options of {@linkcode startSandbox}.
 *
 * @example
 * ```ts
 * import { startSandbox, type SandboxOptions } from "@oda-hub/oda-api/sandbox";
 * const opts: SandboxOptions = { seed: 7, jobDuration: 5, faults: { errorRate: 0.1, seed: 1 } };
 * await using sb = await startSandbox(opts);
 * ```
 */
export interface SandboxOptions {
  /** TCP port; 0 or absent picks a free one. */
  port?: number | undefined;
  /** Interface to bind; loopback only (`127.0.0.1`, `localhost`, `::1`). */
  hostname?: string;
  /** JWT HS256 secret; random when absent. Use `"secretkey_test"` to accept the recorded transcript tokens. */
  secret?: string | undefined;
  /** Seed of every simulated product and of the fault sequence. Default 1. */
  seed?: number | undefined;
  /**
   * Seconds an asynchronous job takes (submitted → progress → ready). Default: the product's own
   * estimate (`durationSeconds`), else 3 s. `0` makes jobs ready on the first poll. Callback-driven jobs
   * (`empty-async`) stay `submitted` until a `/call_back` arrives, as upstream; only when `jobDuration` is
   * given does the sandbox play their backend and report `done` itself after that many seconds.
   */
  jobDuration?: number | undefined;
  /** Fault injection (off by default). */
  faults?: FaultOptions | undefined;
  /** Instruments to serve (default: the upstream dummy instruments plus the simulated INTEGRAL ones). */
  instruments?: SandboxInstrument[];
  /** `products_url` reported in `api_code` and errors (default: the sandbox URL). */
  productsUrl?: string;
  /** Maximum refresh interval of `/refresh_token`, seconds (default 604800 = 7 days). */
  tokenMaxRefreshInterval?: number;
  /** Idle job records are dropped after this many seconds (default 86400). */
  jobTtlSeconds?: number;
  /** Maximum job records kept (default 100000). */
  maxJobs?: number | undefined;
  /**
   * Maximum estimated bytes of all job records (their parameters and `/call_back` reports; default 256 MiB).
   * Beyond it, as beyond `maxJobs`, the oldest records are dropped: settled ones first, then running ones
   * (cancelled); the newest record always stays.
   */
  maxJobBytes?: number | undefined;
  /** Maximum finished results kept in memory (default 200; evicted ones are recomputed on demand). */
  maxResults?: number | undefined;
  /**
   * Maximum bytes of finished results kept in memory (default 256 MiB, estimated from the encoded products;
   * least recently used evicted first and recomputed on demand; the newest result is kept even alone over it).
   */
  maxResultBytes?: number | undefined;
  /**
   * numpy module path written inside pickled arrays of the simulated instruments: `"numpy.core"` (default,
   * what numpy 1.x writes and numpy 1.x and 2.x both read) or `"numpy._core"` (what a numpy ≥ 2 server such
   * as production MMODA writes; numpy < 1.26 cannot read it).
   */
  numpyModule?: "numpy.core" | "numpy._core" | undefined;
  /**
   * Run the built-in instruments' big simulations (more than 10 science windows, more than 100 000 SPI-ACS
   * bins) in worker threads (default `true`), so that polls and other requests are answered while a large
   * job computes. `false` runs them on the event loop. Instruments passed in `instruments` always run there.
   */
  workers?: boolean;
  /**
   * Files uploaded by requests without a token: at most `maxFiles` files and `maxBytes` bytes are kept, the
   * oldest evicted first (default 32 files, 64 MiB). A request whose files exceed either bound gets 413.
   */
  publicUploads?: { maxFiles?: number; maxBytes?: number };
  /**
   * Files uploaded by each token subject (`sub`): the same rule per user (default 32 files, 64 MiB each).
   */
  userUploads?: { maxFiles?: number; maxBytes?: number };
  /**
   * All uploads together (public and every user): the oldest upload is evicted first, whoever owns it
   * (default 256 files, 256 MiB); a request whose files exceed it gets 413.
   */
  totalUploads?: { maxFiles?: number; maxBytes?: number };
}

/**
 * Options of {@linkcode Sandbox.mintToken}.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox();
 * const expired = await sb.mintToken({ sub: "a@b.c", roles: "general" }, { expiresIn: -60 });
 * ```
 */
export interface MintOptions {
  /** Validity in seconds from now (default 3600); negative gives an expired token. */
  expiresIn?: number;
}

/**
 * A running sandbox (returned by {@linkcode startSandbox}).
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * const sb = await startSandbox();
 * const r = await fetch(`${sb.url}/api/par-names?instrument=isgri&product_type=isgri_lc`);
 * console.log(await r.json(), sb.stats().requests);
 * await sb.close();
 * ```
 */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Port bound. */
  readonly port: number;
  /** HS256 secret. */
  readonly secret: string;
  /**
   * Mint a token signed with the sandbox secret. The given claims are merged over the default ones
   * (`sub: "sandbox-user@example.org"`, `name: "Sandbox User"`, `roles:` {@linkcode DEFAULT_ROLES}), and
   * `email` defaults to the resulting `sub`, so `mintToken({ roles: "general" })` is still a full user token.
   * A claim given as `undefined` is left out (`mintToken({ sub: undefined, email: undefined })` has no user).
   * `exp` is now + `options.expiresIn` (default 3600 s) unless the claims carry their own `exp`.
   */
  mintToken(claims?: TokenClaims, options?: MintOptions): Promise<string>;
  /** Counters (jobs held, results held, faults injected, requests served). */
  stats(): SandboxStats;
  /** Stop serving and cancel running jobs. */
  close(): Promise<void>;
  /** `await using` support. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Counters of a running sandbox.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({ faults: { resetRate: 0.2 } });
 * console.log(sb.stats().faults.resets);
 * ```
 */
export interface SandboxStats {
  /** Requests handled. */
  requests: number;
  /** Job records held. */
  jobs: number;
  /** Estimated bytes of the job records held (parameters and `/call_back` reports). */
  jobBytes: number;
  /** Results held in memory. */
  results: number;
  /** Estimated bytes of the results held in memory. */
  resultBytes: number;
  /** Uploaded files held, and their bytes. */
  uploads: { files: number; bytes: number };
  /** Faults injected. */
  faults: { errors: number; slow: number; resets: number };
}

/**
 * Roles of a token minted by {@linkcode Sandbox.mintToken} without claims: enough for every public and
 * role-gated product of the sandbox and for `/refresh_token`.
 *
 * @example
 * ```ts
 * import { DEFAULT_ROLES, startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox();
 * const token = await sb.mintToken({ sub: "me@example.org", roles: DEFAULT_ROLES + ", job manager" });
 * ```
 */
export const DEFAULT_ROLES = "general, unige-hpc-full, refresh-tokens";

/** Claims {@linkcode Sandbox.mintToken} starts from; `email` follows the final `sub` unless given. */
const DEFAULT_CLAIMS: Readonly<TokenClaims> = {
  sub: "sandbox-user@example.org",
  name: "Sandbox User",
  roles: DEFAULT_ROLES,
};

const MIB = 1024 * 1024;

function uploadLimits(
  o: { maxFiles?: number; maxBytes?: number } | undefined,
  files: number,
  bytes: number,
): UploadLimits {
  const n = (
    v: number | undefined,
    d: number,
  ) => (v !== undefined && Number.isFinite(v) ? Math.max(0, v) : d);
  return { maxFiles: n(o?.maxFiles, files), maxBytes: n(o?.maxBytes, bytes) };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function payloadTooLargePage(): Response {
  return textResponse(
    413,
    "<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n" +
      "<p>The data value transmitted exceeds the capacity limit.</p>\n",
  );
}

function resetResponse(): Response {
  // headers go out, then the body stream errors: the client's fetch/body read fails like on a reset
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"query_status":'));
      c.error(new Error("connection reset (sandbox fault injection)"));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

function faultStatusResponse(status: number): Response {
  if (status === 500) return internalErrorPage();
  const titles: Record<number, string> = {
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  const t = titles[status] ?? "Error";
  return textResponse(
    status,
    `<html>\n<head><title>${status} ${t}</title></head>\n<body>\n<center><h1>${status} ${t}</h1></center>\n</body>\n</html>\n`,
  );
}

/**
 * Start a sandbox dispatcher on the loopback interface.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({ seed: 42, jobDuration: 1 });
 * const token = await sb.mintToken();
 * const r = await fetch(`${sb.url}/instr-list`);
 * console.log(await r.json());
 * ```
 */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  try {
    return Promise.resolve(startNow(options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function startNow(options: SandboxOptions): Sandbox {
  const hostname = options.hostname ?? "127.0.0.1";
  if (!LOOPBACK.has(hostname)) {
    throw new RangeError(`the sandbox binds to the loopback interface only (got hostname "${hostname}")`);
  }
  const secret = options.secret ??
    Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
  const seed = options.seed ?? 1;
  let instruments = options.instruments;
  if (!instruments) {
    instruments = [...builtinInstruments(), ...emptyInstruments(options.productsUrl ?? "PRODUCTS_URL")];
  }
  const pool = options.workers === false ? undefined : leasePool();
  const ctx: Ctx = {
    info: {
      installedInstruments: instruments.map((i) => i.name),
      url: "",
      productsUrl: "",
      tokenMaxRefreshInterval: 0,
    },
    secret,
    seed,
    jobDuration: options.jobDuration,
    store: new JobStore({
      ttlMs: (options.jobTtlSeconds ?? 86400) * 1000,
      maxJobs: options.maxJobs,
      maxJobBytes: options.maxJobBytes,
      maxResults: options.maxResults,
      maxResultBytes: options.maxResultBytes,
      numpyModule: options.numpyModule,
      pool,
    }),
    instruments: new Map(instruments.map((i) => [i.name, i])),
    faults: options.faults ? new FaultInjector(options.faults, seed) : undefined,
    faultOpts: options.faults,
    uploads: new UploadStore({
      public: uploadLimits(options.publicUploads, 32, 64 * MIB),
      perUser: uploadLimits(options.userUploads, 32, 64 * MIB),
      total: uploadLimits(options.totalUploads, 256, 256 * MIB),
    }),
    maxRefresh: options.tokenMaxRefreshInterval ?? 604800,
  };
  let requests = 0;
  const ac = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { port: options.port ?? 0, hostname, signal: ac.signal, onListen: () => {} },
      async (req) => {
        requests++;
        const path = new URL(req.url).pathname;
        const t0 = performance.now();
        const res = await serveOne(req, path);
        if (log.isEnabledFor("DEBUG")) {
          log.debug(`${req.method} ${path} -> ${res.status} (${(performance.now() - t0).toFixed(1)} ms)`);
        }
        return res;
      },
    );
  } catch (e) {
    pool?.release();
    throw e;
  }
  async function serveOne(req: Request, path: string): Promise<Response> {
    let decision: FaultDecision = {};
    if (ctx.faults) decision = ctx.faults.decide(path);
    if (decision.delayMs) await new Promise((r) => setTimeout(r, decision.delayMs));
    if (decision.reset) return resetResponse();
    if (decision.status) return faultStatusResponse(decision.status);
    try {
      if (
        req.method !== "GET" && req.method !== "POST" && req.method !== "HEAD" && req.method !== "OPTIONS"
      ) {
        return methodNotAllowedPage(["GET", "POST", "HEAD", "OPTIONS"]);
      }
      if (path === "/run_analysis" && req.method === "POST") {
        const ct = req.headers.get("content-type") ?? "";
        if (ct.startsWith("multipart/form-data")) return await withUploads(req, ctx, handle);
      }
      return await handle(req, ctx);
    } catch (e) {
      if (e instanceof PayloadTooLarge) return payloadTooLargePage();
      if (e instanceof UnhandledCrash) return internalErrorPage();
      if (e instanceof ApiError) return apiErrorResponse(e, ctx.info);
      log.error(`unexpected error on ${path}: ${e instanceof Error ? e.message : String(e)}`);
      return apiErrorResponse(new ApiError("InternalError", "request not valid", undefined, 500), ctx.info);
    }
  }
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${host}:${addr.port}`;
  ctx.info.url = url;
  ctx.info.productsUrl = options.productsUrl ?? url;
  ctx.info.tokenMaxRefreshInterval = ctx.maxRefresh;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    ctx.store.abort.abort();
    pool?.release();
    ac.abort();
    await server.finished;
  };
  return {
    url,
    port: addr.port,
    secret,
    mintToken: (claims: TokenClaims = {}, o: MintOptions = {}) => {
      const c: TokenClaims = { ...DEFAULT_CLAIMS, ...claims };
      if (!("email" in claims)) c.email = c.sub;
      if (c.exp === undefined || o.expiresIn !== undefined) {
        c.exp = Math.floor(Date.now() / 1000) + (o.expiresIn ?? 3600);
      }
      return mintJwt(c, secret);
    },
    stats: () => ({
      requests,
      jobs: ctx.store.size,
      jobBytes: ctx.store.jobBytes,
      results: ctx.store.resultCount,
      resultBytes: ctx.store.resultBytes,
      uploads: { files: ctx.uploads.size, bytes: ctx.uploads.bytes },
      faults: ctx.faults ? { ...ctx.faults.counts } : { errors: 0, slow: 0, resets: 0 },
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
