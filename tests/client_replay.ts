/**
 * Test helper (client): replay the real oda_api traffic recorded in
 * tests/fixtures/dispatcher-transcripts/oda_api-*.jsonl through an injected
 * `fetch`, checking that every request matches the recorded URL exactly
 * (our extra `client-name` parameter removed).
 *
 * @module
 */

/** One recorded HTTP exchange. */
export interface Exchange {
  method: string;
  url: string;
  request_body?: string | null;
  status: number;
  response_headers: Record<string, string>;
  response_body: string;
  redirect_history?: { status: number; location: string }[] | null;
}

const DIR = new URL("./fixtures/dispatcher-transcripts/", import.meta.url);

/** Exchanges of one oda_api session (without the final client_side_result line). */
export function loadSession(name: string): { exchanges: Exchange[]; result: unknown } {
  const lines = Deno.readTextFileSync(new URL(name, DIR)).split("\n").filter((l) => l.trim());
  const exchanges: Exchange[] = [];
  let result: unknown;
  for (const l of lines) {
    const o = JSON.parse(l);
    if ("client_side_result" in o) result = o.client_side_result;
    else exchanges.push(o as Exchange);
  }
  return { exchanges, result };
}

/** Read a fixture file as text. */
export function fixtureText(name: string): string {
  return Deno.readTextFileSync(new URL(name, DIR));
}

/** Remove our `client-name` parameter from a URL or form body. */
export function stripClientName(s: string): string {
  return s.replace(/&client-name=[^&]*/, "").replace(/\?client-name=[^&]*&?/, "?");
}

/** A fetch that serves `exchanges` in order and records what was asked. */
export function replayFetch(exchanges: Exchange[]): {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  requests: { method: string; url: string; body?: string | undefined }[];
  remaining: () => number;
} {
  const queue = [...exchanges];
  const requests: { method: string; url: string; body?: string | undefined }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    const method = init?.method ?? "GET";
    const body = typeof init?.body === "string" ? init.body : undefined;
    requests.push({ method, url, body });
    const ex = queue.shift();
    if (!ex) return Promise.reject(new Error(`unexpected request ${method} ${url}`));
    const headers = new Headers();
    for (const [k, v] of Object.entries(ex.response_headers ?? {})) {
      if (!/^content-length$/i.test(k)) headers.set(k, v);
    }
    return Promise.resolve(new Response(ex.response_body, { status: ex.status, headers }));
  };
  return { fetch, requests, remaining: () => queue.length };
}

/** Rewrite a recorded URL's origin to another base. */
export function rebase(url: string, base: string): string {
  const u = new URL(url);
  return base.replace(/\/+$/, "") + u.pathname + u.search;
}

// ---- small assertion helpers (no jsr: std available) ----
import nodeAssert from "node:assert/strict";
import { getLogger, type LogRecord } from "../lib/log.ts";

/** Assert a condition. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}
/** Deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}
/** `instanceof` check with narrowing. */
export function assertInstanceOf<T>(
  v: unknown,
  // deno-lint-ignore no-explicit-any
  cls: abstract new (...args: any[]) => T,
  msg?: string,
): asserts v is T {
  nodeAssert.ok(v instanceof cls, msg ?? `expected instance of ${cls.name}, got ${String(v)}`);
}
/** Regex match. */
export function assertMatch(s: string, re: RegExp, msg?: string): void {
  nodeAssert.match(s, re, msg);
}
/** Awaits a rejection of the given class; returns the error. */
export async function assertRejects<T>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls: abstract new (...args: any[]) => T,
  includes?: string,
): Promise<T> {
  try {
    await fn();
  } catch (e) {
    nodeAssert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? e.stack : String(e)}`);
    if (includes) nodeAssert.ok((e as Error).message.includes(includes), (e as Error).message);
    return e as T;
  }
  throw new Error(`expected a rejection with ${cls.name}`);
}

/** Captures `oda_api` log records (`level` and above) during `fn`; the logger's own level is restored after. */
export async function captureLogs<T>(
  fn: () => Promise<T>,
  level: "DEBUG" | "INFO" = "INFO",
): Promise<{ value?: T; error?: unknown; records: LogRecord[] }> {
  const root = getLogger("oda_api");
  const records: LogRecord[] = [];
  const prev = root.getLevel();
  root.setLevel(level);
  const detach = root.addHandler((r) => records.push(r));
  try {
    return { value: await fn(), records };
  } catch (error) {
    return { error, records };
  } finally {
    detach();
    root.setLevel(prev);
  }
}
