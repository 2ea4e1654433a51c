// Errors: one family, codes, context, and redaction of tokens in messages, URLs, details and JSON.
import assert from "node:assert/strict";
import {
  DecodeError,
  DispatcherError,
  FileError,
  JobFailedError,
  OdaError,
  TokenError,
  UnauthorizedError,
} from "../mod.ts";
import { redactSecrets } from "../lib/errors.ts";
import { ERROR_CODE_OWNER, errorMessage, redactValue } from "../lib/errors.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4QHkiLCJleHAiOjF9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

Deno.test("error family: subclasses, names, codes, context", () => {
  const cause = new TypeError("fetch failed");
  const e = new DispatcherError("UNEXPECTED_STATUS", "server said 502", {
    url: "http://127.0.0.1:1/run_analysis",
    status: 502,
    jobId: "abc",
    cause,
  });
  assert.ok(e instanceof OdaError && e instanceof Error);
  assert.equal(e.name, "DispatcherError");
  assert.equal(e.code, "UNEXPECTED_STATUS");
  assert.equal(e.status, 502);
  assert.equal(e.jobId, "abc");
  // The cause is kept as a redacted copy (same class, name and message).
  assert.ok(e.cause instanceof TypeError && e.cause !== cause);
  assert.equal((e.cause as Error).message, "fetch failed");
  const u = new UnauthorizedError("missing roles", { status: 403 });
  assert.ok(u instanceof DispatcherError);
  assert.equal(u.code, "UNAUTHORIZED");
  assert.equal(u.name, "UnauthorizedError");
  const j = new JobFailedError("failed", { jobId: "j1" });
  assert.equal(j.code, "JOB_FAILED");
  assert.equal(new DecodeError("FITS", "x").name, "DecodeError");
  assert.equal(new FileError("UNSAFE_PATH", "x").code, "UNSAFE_PATH");
  assert.equal(new TokenError("TOKEN_EXPIRED", "x").name, "TokenError");
  assert.equal(new OdaError("INTERNAL", "x").cause, undefined);
  assert.ok(!("url" in new OdaError("INTERNAL", "x").toJSON()));
});

Deno.test("tokens are redacted from the cause chain (Deno.inspect of the error)", () => {
  const inner = new TypeError(`error sending request for url (http://x/run_analysis?token=${JWT})`);
  const outer = new Error(`wrapped ${JWT}`, { cause: inner });
  const e = new DispatcherError("NETWORK", "connection error", { cause: outer });
  const shown = Deno.inspect(e, { depth: 10 });
  assert.ok(!shown.includes(JWT), shown);
  assert.ok((e.cause as Error).cause instanceof TypeError);
  // DOMException (abort/timeout errors) has an accessor-only `name`.
  const abort = new OdaError("ABORTED", "aborted", { cause: new DOMException("stop", "AbortError") });
  assert.equal((abort.cause as Error).name, "AbortError");
  assert.ok(abort.cause instanceof DOMException);
});

Deno.test("tokens are redacted from message, stack, url, details and toJSON", () => {
  const e = new DispatcherError("DISPATCHER_ERROR", `bad request for token ${JWT}`, {
    url: `http://127.0.0.1:8000/run_analysis?instrument=isgri&token=${JWT}&x=1`,
    details: { params: { token: JWT, instrument: "isgri" }, note: `Bearer ${JWT}` },
  });
  const all = [e.message, String(e.stack), e.url, JSON.stringify(e), JSON.stringify(e.details), String(e)]
    .join("\n");
  assert.ok(!all.includes(JWT), all);
  assert.ok(!all.includes(JWT.split(".")[1]));
  assert.equal(e.url, "http://127.0.0.1:8000/run_analysis?instrument=isgri&token=<redacted token>&x=1");
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    name: "DispatcherError",
    code: "DISPATCHER_ERROR",
    message: "bad request for token <redacted token>",
    url: "http://127.0.0.1:8000/run_analysis?instrument=isgri&token=<redacted token>&x=1",
    details: { params: { token: "<redacted token>", instrument: "isgri" }, note: "Bearer <redacted token>" },
  });
});

Deno.test("redactSecrets: JWTs, token= parameters, JSON keys, Bearer; idempotent; no false positives", () => {
  const cases: [string, string][] = [
    [`x ${JWT} y`, "x <redacted token> y"],
    [`?token=opaque&a=1`, "?token=<redacted token>&a=1"],
    [`a=1&token=opaque`, "a=1&token=<redacted token>"],
    [`token=opaque`, "token=<redacted token>"],
    [`--access_token=abc`, "--access_token=abc"], // not a parameter boundary: left
    [`{"token": "opaque", "x": 1}`, `{"token": "<redacted token>", "x": 1}`],
    [`{'token': 'opaque'}`, `{'token': '<redacted token>'}`],
    [`{ token: "opaque" }`, `{ token: "<redacted token>" }`],
    [`Authorization: Bearer abc.def`, "Authorization: Bearer <redacted token>"],
    [`%3Ftoken%3Dabc`, "%3Ftoken%3D<redacted token>"],
    [`${JWT.replaceAll(".", "%2E")}`, "<redacted token>"],
    ["TOKEN_MALFORMED: the token is empty", "TOKEN_MALFORMED: the token is empty"],
    ["eyJ alone, a.b.c and tokens: 3", "eyJ alone, a.b.c and tokens: 3"],
  ];
  for (const [input, want] of cases) {
    assert.equal(redactSecrets(input), want, input);
    assert.equal(redactSecrets(redactSecrets(input)), want, `idempotent: ${input}`);
  }
});

Deno.test("redactValue: deep copy, keys kept, cycles and binary data safe", () => {
  const cyclic: Record<string, unknown> = { t: JWT };
  cyclic.self = cyclic;
  const bytes = new Uint8Array([1, 2]);
  const out = redactValue({ a: [JWT, 1, null], b: cyclic, bytes, d: new Date(0) }) as Record<string, unknown>;
  assert.deepEqual(out.a, ["<redacted token>", 1, null]);
  assert.equal((out.b as Record<string, unknown>).t, "<redacted token>");
  assert.equal((out.b as Record<string, unknown>).self, "[…]");
  assert.equal(out.bytes, bytes);
  assert.equal(cyclic.t, JWT, "the input is not modified");
});

Deno.test("errorMessage: any thrown value, redacted", () => {
  assert.equal(errorMessage(new Error(`x ${JWT}`)), "x <redacted token>");
  assert.equal(errorMessage(`s ${JWT}`), "s <redacted token>");
  assert.equal(errorMessage(42), "42");
  assert.equal(
    errorMessage({
      toString: () => {
        throw new Error("no");
      },
    }),
    "unprintable error",
  );
});

Deno.test("each error code is owned by one class, and lib/ throws every literal code with its owner", async () => {
  const classes: Record<string, new (code: never, message: string) => OdaError> = {
    OdaError,
    TokenError,
    DispatcherError,
    DecodeError,
    FileError,
  };
  for (const [code, owner] of Object.entries(ERROR_CODE_OWNER)) {
    const e = owner === "UnauthorizedError"
      ? new UnauthorizedError("x")
      : owner === "JobFailedError"
      ? new JobFailedError("x")
      : new classes[owner](code as never, "x");
    assert.equal(e.code, code);
    assert.equal(e.name, owner);
  }
  // every `new XError("CODE"` in lib/ (multi-line calls included) uses the owner of CODE
  const bad: string[] = [];
  let seen = 0;
  const root = new URL("../lib/", import.meta.url);
  async function walk(dir: URL): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        for (const m of text.matchAll(/new\s+(\w+Error)\(\s*"([A-Z_]+)"/g)) {
          const [, cls, code] = m;
          if (!(cls in classes)) continue;
          seen++;
          const owner = (ERROR_CODE_OWNER as Record<string, string>)[code];
          if (owner !== cls) {
            bad.push(`${url.pathname.split("/lib/")[1]}: new ${cls}("${code}") (owner: ${owner})`);
          }
        }
      }
    }
  }
  await walk(root);
  assert.ok(seen > 100, `only ${seen} constructions found: the scan is broken`);
  assert.deepEqual(bad, []);
});
