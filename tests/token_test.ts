// Tokens: discovery order, .env, expiry, decoding, formatting, comparison, writing and refusal rules.
// Tokens are minted with jose (HS256) in temporary directories with a temporary HOME and an in-memory
// environment (options cwd/home/env), so nothing touches the real process state.
import assert from "node:assert/strict";
import { join } from "node:path";
import { SignJWT } from "jose";
import {
  decodeOdaToken,
  discoverToken,
  discoverTokenAndMethod,
  formatTokenReport,
  getLogger,
  isTokenExpired,
  type LogRecord,
  OdaError,
  tokenExpiresIn,
  TokenLocation,
  tokenRoles,
  writeToken,
} from "../mod.ts";
import { ERROR_CODE_OWNER, FileError } from "../lib/errors.ts";
import type { OdaErrorCode } from "../mod.ts";
import { compareToken } from "../lib/token/compare.ts";
import { summarizeToken } from "../lib/token/decode.ts";
import { readTokenAt } from "../lib/token/discover.ts";
import { parseDotenv } from "../lib/token/dotenv.ts";
import { formatToken, formatTokenExpiry } from "../lib/token/format.ts";
import { memoryTokenEnvironment, TOKEN_LOCATION_ORDER } from "../lib/token/location.ts";
import { applyHiddenKeys } from "../lib/token/prompt.ts";
import { PYTHON, runPython, testWithTool } from "./_validators.ts";

const SECRET = new TextEncoder().encode("test-secret-not-a-real-one");
const minted = new Set<string>();

const BASE = {
  sub: "astro@example.org",
  email: "astro@example.org",
  name: "astro",
  roles: "authenticated user, refresh-tokens",
  msdone: true,
  msfail: true,
  mssub: false,
};

/** Mint an HS256 token; `expInS` relative to now (null = no exp claim). */
async function mint(claims: Record<string, unknown> = {}, expInS: number | null = 3600): Promise<string> {
  const payload: Record<string, unknown> = { ...BASE, ...claims };
  if (expInS !== null) payload.exp = Math.floor(Date.now() / 1000) + expInS;
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  const t = await new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(SECRET);
  minted.add(t);
  return t;
}

interface Sandbox {
  cwd: string;
  home: string;
  env: ReturnType<typeof memoryTokenEnvironment>;
  opts: { cwd: string; home: string; env: ReturnType<typeof memoryTokenEnvironment> };
}

async function sandbox(): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "oda-token-test-" });
  const cwd = join(root, "work");
  const home = join(root, "home");
  await Deno.mkdir(cwd);
  await Deno.mkdir(home);
  const env = memoryTokenEnvironment({ HOME: home });
  return { cwd, home, env, opts: { cwd, home, env } };
}

/** Capture every oda_api.token record (all levels) while fn runs; assert no token leaks. */
async function captured<T>(fn: () => T | Promise<T>): Promise<{ value: T; records: LogRecord[] }> {
  const logger = getLogger("oda_api.token");
  const records: LogRecord[] = [];
  const detach = logger.addHandler((r) => records.push(r));
  logger.setLevel("DEBUG");
  const prevPropagate = logger.propagate;
  logger.propagate = false; // keep the test output quiet
  try {
    const value = await fn();
    assertNoTokenIn(records.map((r) => r.message + JSON.stringify(r.fields)).join("\n"));
    return { value, records };
  } finally {
    detach();
    logger.setLevel(undefined);
    logger.propagate = prevPropagate;
  }
}

function assertNoTokenIn(text: string): void {
  for (const t of minted) {
    assert.ok(!text.includes(t), "a token leaked into log output or an error");
    // no large fragment either (header.payload or signature)
    for (const part of t.split(".")) {
      if (part.length > 20) assert.ok(!text.includes(part), "token part leaked");
    }
  }
}

/** `fn` throws an error with `code`, an instance of the class that owns it (a TokenError for TOKEN_* codes). */
async function throwsTokenError(fn: () => unknown, code: OdaErrorCode): Promise<OdaError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(
      e instanceof OdaError && e.name === ERROR_CODE_OWNER[code],
      `expected ${ERROR_CODE_OWNER[code]}, got ${e}`,
    );
    assert.equal(e.code, code);
    assertNoTokenIn(e.message + JSON.stringify(e.toJSON()) + String(e.stack));
    return e;
  }
  throw new Error(`expected TokenError ${code}`);
}

Deno.test("TokenLocation order mirrors oda_api (+ DOTENV_FILE after the env var)", () => {
  assert.deepEqual(TOKEN_LOCATION_ORDER, [
    "ODA_ENV_VAR",
    "DOTENV_FILE",
    "FILE_CUR_DIR",
    "FILE_HOME",
    "CONTEXT_FILE",
  ]);
  assert.equal(TokenLocation.FILE_HOME, "FILE_HOME");
});

Deno.test("each location is found on its own, with the right method", async () => {
  const cases: [TokenLocation, (s: Sandbox, t: string) => Promise<void>][] = [
    ["ODA_ENV_VAR", (s, t) => Promise.resolve(s.env.set("ODA_TOKEN", `  ${t}\n`))],
    [
      "DOTENV_FILE",
      (s, t) => Deno.writeTextFile(join(s.cwd, ".env"), `# mine\nexport ODA_TOKEN="${t}"\nX=1\n`),
    ],
    ["FILE_CUR_DIR", (s, t) => Deno.writeTextFile(join(s.cwd, ".oda-token"), `${t}\n`)],
    ["FILE_HOME", (s, t) => Deno.writeTextFile(join(s.home, ".oda-token"), t)],
    [
      "CONTEXT_FILE",
      (s, t) => Deno.writeTextFile(join(s.cwd, ".oda_api_context"), JSON.stringify({ token: t })),
    ],
  ];
  for (const [location, put] of cases) {
    const s = await sandbox();
    const t = await mint({ name: location });
    assert.equal(discoverToken(s.opts), undefined, `empty sandbox for ${location}`);
    await put(s, t);
    const { value } = await captured(() => discoverTokenAndMethod(s.opts));
    assert.deepEqual(value, { token: t, location }, location);
    assert.equal(readTokenAt(location, s.opts), t);
  }
});

Deno.test("readTokenAt: an unreadable location is a FileError(IO), never a bare Deno error", async () => {
  const s = await sandbox();
  await Deno.mkdir(join(s.cwd, ".oda-token")); // a directory where the file should be
  assert.throws(
    () => readTokenAt("FILE_CUR_DIR", s.opts),
    (e: unknown) => e instanceof FileError && e.code === "IO" && e.message.includes("FILE_CUR_DIR"),
  );
  assert.equal(discoverToken(s.opts), undefined); // discovery still skips it
});

Deno.test("search order: env var, .env, ./.oda-token, ~/.oda-token, context file", async () => {
  const s = await sandbox();
  const tokens: Record<string, string> = {};
  for (const l of TOKEN_LOCATION_ORDER) tokens[l] = await mint({ name: l });
  await Deno.writeTextFile(
    join(s.cwd, ".oda_api_context"),
    JSON.stringify({ token: tokens.CONTEXT_FILE, x: 1 }),
  );
  await Deno.writeTextFile(join(s.home, ".oda-token"), tokens.FILE_HOME);
  await Deno.writeTextFile(join(s.cwd, ".oda-token"), tokens.FILE_CUR_DIR);
  await Deno.writeTextFile(join(s.cwd, ".env"), `ODA_TOKEN='${tokens.DOTENV_FILE}'`);
  s.env.set("ODA_TOKEN", tokens.ODA_ENV_VAR);
  // remove them one by one, first first
  const removers = [
    () => s.env.delete("ODA_TOKEN"),
    () => Deno.removeSync(join(s.cwd, ".env")),
    () => Deno.removeSync(join(s.cwd, ".oda-token")),
    () => Deno.removeSync(join(s.home, ".oda-token")),
    () => Deno.removeSync(join(s.cwd, ".oda_api_context")),
  ];
  for (let i = 0; i < TOKEN_LOCATION_ORDER.length; i++) {
    const l = TOKEN_LOCATION_ORDER[i];
    const { value } = await captured(() => discoverTokenAndMethod(s.opts));
    assert.deepEqual(value, { token: tokens[l], location: l });
    removers[i]();
  }
  assert.deepEqual(discoverTokenAndMethod(s.opts), { token: undefined, location: undefined });
});

Deno.test("token_discovery_methods: one member or a list (oda_api's tuple bug fixed), order kept", async () => {
  const s = await sandbox();
  const a = await mint({ name: "env" });
  const b = await mint({ name: "home" });
  s.env.set("ODA_TOKEN", a);
  await Deno.writeTextFile(join(s.home, ".oda-token"), b);
  await captured(() => {
    assert.equal(discoverToken({ ...s.opts, token_discovery_methods: "FILE_HOME" }), b);
    assert.equal(discoverToken({ ...s.opts, token_discovery_methods: ["FILE_HOME", "ODA_ENV_VAR"] }), a);
    assert.equal(discoverToken({ ...s.opts, token_discovery_methods: [TokenLocation.FILE_HOME] }), b);
    assert.equal(discoverToken({ ...s.opts, token_discovery_methods: ["FILE_CUR_DIR"] }), undefined);
    assert.equal(discoverToken({ ...s.opts, token_discovery_methods: [] }), undefined);
  });
});

Deno.test("INFO logs: where, formatted payload, expiry in hours; never the token", async () => {
  const s = await sandbox();
  const t = await mint({}, 2 * 3600 + 30);
  await Deno.writeTextFile(join(s.cwd, ".oda-token"), t);
  const { records } = await captured(() => discoverToken(s.opts));
  const info = records.filter((r) => r.level === "INFO");
  assert.equal(info.length, 2);
  assert.equal(
    info[0].message,
    `found token in TokenLocation.FILE_CUR_DIR your token payload: ${formatToken(decodeOdaToken(t))}`,
  );
  assert.equal(info[1].message, "token expires in 2.0 h");
  assert.equal(info[0].name, "oda_api.token");
  assert.equal(info[0].fields.location, "FILE_CUR_DIR");
  assert.equal(typeof info[1].fields.expires_in_s, "number");
});

Deno.test("expired tokens are skipped (DEBUG 'token expired X.X h ago!') unless allow_invalid", async () => {
  const s = await sandbox();
  const expired = await mint({ name: "old" }, -3 * 3600 - 60);
  const valid = await mint({ name: "new" }, 600);
  s.env.set("ODA_TOKEN", expired);
  await Deno.writeTextFile(join(s.home, ".oda-token"), valid);
  const { value, records } = await captured(() => discoverTokenAndMethod(s.opts));
  assert.deepEqual(value, { token: valid, location: "FILE_HOME" });
  const debug = records.find((r) => r.level === "DEBUG" && r.message.startsWith("token expired"));
  assert.equal(debug?.message, "token expired 3.0 h ago!");
  const allowed = await captured(() => discoverTokenAndMethod({ ...s.opts, allow_invalid: true }));
  assert.deepEqual(allowed.value, { token: expired, location: "ODA_ENV_VAR" });
  // only an expired token: nothing found
  Deno.removeSync(join(s.home, ".oda-token"));
  assert.equal((await captured(() => discoverToken(s.opts))).value, undefined);
});

Deno.test("malformed tokens and tokens without exp are skipped; decodeOdaToken throws TOKEN_MALFORMED", async () => {
  const s = await sandbox();
  const noExp = await mint({}, null);
  const good = await mint({ name: "good" });
  s.env.set("ODA_TOKEN", "not-a-token");
  await Deno.writeTextFile(join(s.cwd, ".env"), `ODA_TOKEN=${noExp}`);
  await Deno.writeTextFile(join(s.cwd, ".oda-token"), good.slice(0, 30) + "." + "%%%" + "." + "x");
  await Deno.writeTextFile(join(s.home, ".oda-token"), good);
  const { value, records } = await captured(() => discoverTokenAndMethod(s.opts));
  assert.deepEqual(value, { token: good, location: "FILE_HOME" });
  assert.ok(records.some((r) => r.fields.event === "token_no_exp" && r.fields.location === "DOTENV_FILE"));
  assert.ok(
    records.some((r) => r.fields.event === "token_malformed" && r.fields.location === "FILE_CUR_DIR"),
  );
  // without exp: skipped even with allow_invalid, as in oda_api
  assert.equal(
    discoverToken({ ...s.opts, allow_invalid: true, token_discovery_methods: ["DOTENV_FILE"] }),
    undefined,
  );

  for (
    const junk of [
      "junk",
      "",
      "   ",
      "a.b.c",
      good.split(".").slice(0, 2).join(".") + "x.y.z",
      `${good}.extra`,
    ]
  ) {
    const e = await throwsTokenError(() => decodeOdaToken(junk), "TOKEN_MALFORMED");
    assert.ok(e instanceof OdaError);
    assert.match(e.message, /MMODA|token/);
  }
  await throwsTokenError(() => decodeOdaToken(undefined as unknown as string), "TOKEN_MALFORMED");
  // a token that was cut: message says what to do, without the token
  const cut = good.slice(0, good.length - 60);
  const e = await throwsTokenError(
    () => decodeOdaToken(cut.split(".").slice(0, 2).join(".")),
    "TOKEN_MALFORMED",
  );
  assert.match(e.message, /copy the whole token/);
});

Deno.test("decodeOdaToken returns the payload without checking the signature", async () => {
  const t = await mint({ roles: ["a", " b "], tem: 600 });
  const [h, p] = t.split(".");
  const p2 = decodeOdaToken(`${h}.${p}.forged-signature`);
  assert.deepEqual(p2, decodeOdaToken(`  ${t}\n`));
  assert.equal(p2.sub, BASE.sub);
  assert.equal(p2.tem, 600);
});

Deno.test("tokenRoles: comma string or list, stripped", () => {
  assert.deepEqual(tokenRoles({ roles: "authenticated user, administrator ,refresh-tokens" }), [
    "authenticated user",
    "administrator",
    "refresh-tokens",
  ]);
  assert.deepEqual(tokenRoles({ roles: [" a", "b "] }), ["a", "b"]);
  assert.deepEqual(tokenRoles({ roles: "" }), []);
  assert.deepEqual(tokenRoles({}), []);
});

Deno.test("summarizeToken: who, roles, expiry, e-mail options", () => {
  const now = 1_700_000_000_000;
  const info = summarizeToken({ ...BASE, exp: now / 1000 + 5400, tem: 60, other: 1 }, now);
  assert.deepEqual(info, {
    sub: BASE.sub,
    email: BASE.email,
    name: BASE.name,
    roles: ["authenticated user", "refresh-tokens"],
    expires_at: new Date(now + 5400_000),
    expires_in_s: 5400,
    expires_in_h: 1.5,
    expired: false,
    email_options: { tem: 60, mssub: false, msdone: true, msfail: true },
  });
  assert.equal(summarizeToken({}, now).expired, true);
  assert.equal(summarizeToken({ exp: now / 1000 - 1 }, now).expired, true);
});

Deno.test("tokenExpiresIn / isTokenExpired", () => {
  assert.equal(tokenExpiresIn({ exp: 1000 }, 400_000), 600);
  assert.equal(tokenExpiresIn({ exp: 1000 }, new Date(1_600_000)), -600);
  assert.equal(tokenExpiresIn({}), undefined);
  assert.equal(tokenExpiresIn({ exp: "soon" as unknown as number }), undefined);
  const now = Date.now();
  const s = tokenExpiresIn({ exp: Math.floor(now / 1000) + 100 })!;
  assert.ok(s > 95 && s <= 100, String(s));
  assert.equal(isTokenExpired({ exp: 1 }), true);
  assert.equal(isTokenExpired({}), true);
  assert.equal(isTokenExpired({ exp: Math.floor(now / 1000) + 100 }), false);
});

Deno.test("formatTokenExpiry: oda_api's expiry wording", () => {
  assert.equal(formatTokenExpiry(5400), "token expires in 1.5 h");
  assert.equal(formatTokenExpiry(-7 * 3600), "token expired 7.0 h ago!");
  assert.equal(formatTokenExpiry(undefined), "token has no expiry (exp) claim");
});

Deno.test("formatTokenReport: location, payload, roles, expiry, never the token", async () => {
  const token = await mint({ sub: "a@b.c", roles: ["general", " x "], exp: 10_000 }, null);
  const payload = decodeOdaToken(token);
  const text = formatTokenReport(payload, "TokenLocation.ODA_ENV_VAR", 10_000_000 - 1_800_000);
  assert.equal(
    text,
    `found token in TokenLocation.ODA_ENV_VAR\nyour token payload: ${formatToken(payload)}\n` +
      "roles: general, x\ntoken expires in 0.5 h",
  );
  assert(!text.includes(token.split(".")[2]));
  assert.match(formatTokenReport({ sub: "a@b.c" }, "--token"), /roles: \(none\)\ntoken has no expiry/);
});

Deno.test("formatToken: sorted keys, 4-space indent", () => {
  assert.equal(
    formatToken({ sub: "a@b", exp: 1747047623, msdone: false, roles: "x, y" }),
    '{\n    "exp": 1747047623,\n    "msdone": false,\n    "roles": "x, y",\n    "sub": "a@b"\n}',
  );
  assert.equal(formatToken({}), "{}");
  assert.equal(
    formatToken({ b: { d: [], c: [1, "é"] }, a: null }),
    [
      "{",
      '    "a": null,',
      '    "b": {',
      '        "c": [',
      "            1,",
      '            "\\u00e9"',
      "        ],",
      '        "d": []',
      "    }",
      "}",
    ].join("\n"),
  );
});

testWithTool("formatToken equals Python json.dumps(indent=4, sort_keys=True)", "python3", async () => {
  const payloads = [
    { ...BASE, exp: 1747047623, tem: 0, roles: "a, b" },
    { name: "Zoë Ünïcode 😀", roles: ["x", "y"], nested: { z: 1, a: [true, null, 2.5] }, exp: 1 },
    {},
  ];
  for (const p of payloads) {
    const out = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), indent=4, sort_keys=True))",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const w = out.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify(p)));
    await w.close();
    const r = await out.output();
    assert.ok(r.success);
    assert.equal(formatToken(p), new TextDecoder().decode(r.stdout));
  }
});

Deno.test("parseDotenv: export, quotes, comments, escapes", () => {
  const env = parseDotenv([
    "# comment",
    "export ODA_TOKEN=abc.def.ghi # trailing",
    "A='single # not comment'",
    'B="double\\nline \\"q\\""',
    "C=unquoted value",
    "  D = spaced  ",
    "E=",
    "not a line",
    'F="multi',
    'line"',
    "G=x#y",
  ].join("\n"));
  assert.deepEqual(env, {
    ODA_TOKEN: "abc.def.ghi",
    A: "single # not comment",
    B: 'double\nline "q"',
    C: "unquoted value",
    D: "spaced",
    E: "",
    F: "multi\nline",
    G: "x#y",
  });
  assert.deepEqual(parseDotenv("ODA_TOKEN=1\nODA_TOKEN=2\r\n"), { ODA_TOKEN: "2" });
});

Deno.test("context file without a token, or not JSON, is skipped", async () => {
  const s = await sandbox();
  await Deno.writeTextFile(join(s.cwd, ".oda_api_context"), "{not json");
  assert.equal((await captured(() => discoverToken(s.opts))).value, undefined);
  await Deno.writeTextFile(join(s.cwd, ".oda_api_context"), JSON.stringify({ other: 1 }));
  assert.equal((await captured(() => discoverToken(s.opts))).value, undefined);
});

Deno.test("compareToken mirrors oda_api compare_token", () => {
  const a = { ...BASE, exp: 10, tem: 5, extra: 1 };
  const b = { ...BASE, exp: 20, tem: 5, roles: "authenticated user", intsub: 3 };
  const c = compareToken(a, b);
  assert.deepEqual(c.missing_keys, ["intsub"]);
  assert.deepEqual(c.extra_keys, ["extra"]);
  assert.equal(c.exp, -1);
  assert.equal(c.roles, 1);
  assert.equal(c.sub, true);
  assert.deepEqual(c.email_numeric, { tem: 0, intsub: null });
  assert.deepEqual(c.email_flags, { mssub: true, msdone: true, mstout: null, msfail: true });
  const d = compareToken(b, a);
  assert.equal(d.exp, 1);
  assert.equal(d.roles, -1);
  assert.equal(compareToken({ roles: "x" }, {}).roles, null);
  assert.equal(compareToken({ roles: "a,b" }, { roles: ["b", "a"] }).roles, 0);
  assert.equal(compareToken({ ...BASE, msdone: false }, BASE).email_flags.msdone, false);
});

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("writeToken: env var + ./.oda-token by default, mode 0600, atomic, old token kept 0600", async () => {
  const s = await sandbox();
  const old = await mint({}, 3600);
  const fresh = await mint({}, 7200);
  await Deno.writeTextFile(join(s.cwd, ".oda-token"), old);
  await Deno.chmod(join(s.cwd, ".oda-token"), 0o400); // as oda_api leaves it: read-only
  const { value: r, records } = await captured(() => writeToken(fresh, s.opts));
  assert.deepEqual(r.written, ["ODA_ENV_VAR", "FILE_CUR_DIR"]);
  assert.equal(s.env.get("ODA_TOKEN"), fresh);
  assert.equal(await Deno.readTextFile(join(s.cwd, ".oda-token")), fresh);
  if (Deno.build.os !== "windows") assert.equal(await mode(join(s.cwd, ".oda-token")), 0o600);
  assert.ok(r.old_token_file);
  assert.match(r.old_token_file!, /old-oda-token_\d+(\.\d+)?$/);
  assert.equal(await Deno.readTextFile(r.old_token_file!), old);
  if (Deno.build.os !== "windows") assert.equal(await mode(r.old_token_file!), 0o600);
  assert.equal(r.old_token_location, "FILE_CUR_DIR");
  assert.equal(r.discovered_location, "ODA_ENV_VAR");
  const names = [...Deno.readDirSync(s.cwd)].map((e) => e.name).sort();
  assert.deepEqual(names.filter((n) => n.includes("tmp")), [], "no temporary file left");
  const msgs = records.filter((x) => x.level === "INFO").map((x) => x.message);
  assert.ok(
    msgs.includes("Refreshed token has been re-written with the method: environment variable ODA_TOKEN"),
  );
  assert.ok(msgs.includes("Refreshed token has been re-written with the method: file in current directory"));
  assert.ok(msgs.some((m) => m.startsWith("found token in TokenLocation.ODA_ENV_VAR your token payload:")));
});

Deno.test("writeToken: FILE_HOME only; no previous token means no backup", async () => {
  const s = await sandbox();
  const t = await mint();
  const { value: r } = await captured(() => writeToken(t, { ...s.opts, token_write_methods: "FILE_HOME" }));
  assert.deepEqual(r.written, ["FILE_HOME"]);
  assert.equal(r.old_token_file, undefined);
  assert.equal(await Deno.readTextFile(join(s.home, ".oda-token")), t);
  if (Deno.build.os !== "windows") assert.equal(await mode(join(s.home, ".oda-token")), 0o600);
  assert.equal(s.env.get("ODA_TOKEN"), undefined);
  assert.deepEqual([...Deno.readDirSync(s.cwd)], []);
});

Deno.test("writeToken refuses weaker tokens unless force (upstream messages)", async () => {
  const cases: [string, Record<string, unknown>, number, RegExp][] = [
    [
      "earlier expiry",
      {},
      1800,
      /Expiration time of the refreshed token is lower than the currently available one/,
    ],
    ["fewer roles", { roles: "authenticated user" }, 7200, /lacks some of the roles/],
    [
      "missing keys",
      { msdone: undefined },
      7200,
      /missing some of the keys present instead on the discovered token/,
    ],
    ["extra keys", { tem: 60 }, 7200, /keys not present on the discovered token/],
    ["changed e-mail options", { msdone: false }, 7200, /different email options/],
  ];
  for (const [what, claims, exp, re] of cases) {
    const s = await sandbox();
    const old = await mint({}, 3600);
    const fresh = await mint(claims, exp);
    await Deno.writeTextFile(join(s.home, ".oda-token"), old);
    await captured(async () => {
      const e = await throwsTokenError(() => writeToken(fresh, s.opts), "TOKEN_REWRITE_REFUSED");
      assert.match(e.message, re, what);
      assert.match(e.message, /force/);
    });
    // nothing was written
    assert.equal(s.env.get("ODA_TOKEN"), undefined, what);
    assert.deepEqual([...Deno.readDirSync(s.cwd)], [], what);
    assert.equal(await Deno.readTextFile(join(s.home, ".oda-token")), old);
    // explicit old_token behaves the same
    await captured(() =>
      throwsTokenError(() => writeToken(fresh, { ...s.opts, old_token: old }), "TOKEN_REWRITE_REFUSED")
    );
    // force writes
    const { value: r } = await captured(() => writeToken(fresh, { ...s.opts, force: true }));
    assert.deepEqual(r.written, ["ODA_ENV_VAR", "FILE_CUR_DIR"], what);
    assert.equal(s.env.get("ODA_TOKEN"), fresh);
  }
});

Deno.test("writeToken: more roles is accepted with a warning; force_rewrite is the Python alias", async () => {
  const s = await sandbox();
  const old = await mint({}, 3600);
  const more = await mint({ roles: "authenticated user, refresh-tokens, integral-private" }, 7200);
  s.env.set("ODA_TOKEN", old);
  const { records } = await captured(() =>
    writeToken(more, { ...s.opts, token_write_methods: ["ODA_ENV_VAR"] })
  );
  assert.ok(records.some((r) => r.level === "WARNING" && /more roles/.test(r.message)));
  assert.equal(s.env.get("ODA_TOKEN"), more);
  const earlier = await mint({}, 60);
  await captured(() =>
    writeToken(earlier, { ...s.opts, token_write_methods: ["ODA_ENV_VAR"], force_rewrite: true })
  );
  assert.equal(s.env.get("ODA_TOKEN"), earlier);
});

Deno.test("writeToken: shadowed by an earlier location warns; discard_discovered_token removes it", async () => {
  const s = await sandbox();
  const old = await mint({}, 3600);
  const fresh = await mint({}, 7200);
  await Deno.writeTextFile(join(s.cwd, ".oda-token"), old);
  // write to home: ./.oda-token still wins
  const first = await captured(() => writeToken(fresh, { ...s.opts, token_write_methods: ["FILE_HOME"] }));
  assert.equal(first.value.discovered_location, "FILE_CUR_DIR");
  assert.ok(first.records.some((r) => r.level === "WARNING" && /discard_discovered_token/.test(r.message)));
  // discard: ./.oda-token is removed and the home token is now discovered
  const fresher = await mint({}, 9000);
  const second = await captured(() =>
    writeToken(fresher, { ...s.opts, token_write_methods: ["FILE_HOME"], discard_discovered_token: true })
  );
  assert.equal(second.value.discarded, "FILE_CUR_DIR");
  assert.equal(second.value.discovered_location, "FILE_HOME");
  assert.ok(!second.records.some((r) => r.level === "WARNING"));
  await assert.rejects(() => Deno.stat(join(s.cwd, ".oda-token")), Deno.errors.NotFound);
  assert.equal(discoverToken(s.opts), fresher);
  // the env var is discarded by deleting it
  const s2 = await sandbox();
  s2.env.set("ODA_TOKEN", old);
  await captured(() =>
    writeToken(fresh, { ...s2.opts, token_write_methods: ["FILE_HOME"], discard_discovered_token: true })
  );
  assert.equal(s2.env.get("ODA_TOKEN"), undefined);
});

Deno.test("writeToken: bad arguments", async () => {
  const s = await sandbox();
  const t = await mint();
  await captured(async () => {
    await throwsTokenError(() => writeToken("junk", s.opts), "TOKEN_MALFORMED");
    await throwsTokenError(
      () => writeToken(t, { ...s.opts, token_write_methods: ["CONTEXT_FILE"] }),
      "INVALID_ARGUMENT",
    );
    await throwsTokenError(
      () => writeToken(t, { cwd: s.cwd, env: memoryTokenEnvironment(), token_write_methods: ["FILE_HOME"] }),
      "INVALID_ARGUMENT",
    );
  });
  assert.deepEqual([...Deno.readDirSync(s.cwd)], []);
});

Deno.test("promptToken key handling (raw terminal bytes): backspace, Ctrl-U, escapes, enter, Ctrl-C, Ctrl-D", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(applyHiddenKeys("", enc("abc\x7fd\r")), { text: "abd", done: "enter" });
  assert.deepEqual(applyHiddenKeys("ab", enc("\x15xy")), { text: "xy" });
  assert.deepEqual(applyHiddenKeys("", enc("a\x1b[Db\n")), { text: "ab", done: "enter" });
  assert.deepEqual(applyHiddenKeys("secret", enc("\x03")), { text: "", done: "cancel" });
  assert.deepEqual(applyHiddenKeys("", enc("\x04")), { text: "", done: "eof" });
  assert.deepEqual(applyHiddenKeys("", enc("é")), { text: "é" });
});

Deno.test("promptToken headless: stdin closed → undefined, no hang, nothing echoed", async () => {
  const code = `import { promptToken } from ${
    JSON.stringify(new URL("../lib/token/prompt.ts", import.meta.url).href)
  };
const t = await promptToken(); console.log(JSON.stringify({ t: t ?? null }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.match(new TextDecoder().decode(out.stdout), /\{"t":null\}/);
  // piped stdin (not a terminal): the line is read and trimmed
  const t = await mint();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(`  ${t}  \n`));
  await w.close();
  const r = await child.output();
  assert.equal(JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").pop()!).t, t);
});

Deno.test("promptToken in a real terminal (pty via `script`): typed token is not echoed", async () => {
  const t = await mint();
  const code = `import { promptToken } from ${
    JSON.stringify(new URL("../lib/token/prompt.ts", import.meta.url).href)
  };
const t = await promptToken({ message: "Insert the token" });
console.log("RESULT " + (t === Deno.env.get("EXPECTED") ? "match" : "mismatch") + " " + (t?.length ?? -1));`;
  const child = new Deno.Command("script", {
    args: ["-qec", `${Deno.execPath()} eval --quiet ${shellQuote(code)}`, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { EXPECTED: t, NO_COLOR: "1", TERM: "dumb" },
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  const dec = new TextDecoder();
  const deadline = Date.now() + 20_000;
  // wait for the prompt (raw mode is on by then), then type the token and Enter
  while (!seen.includes("Insert the token") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += dec.decode(value);
  }
  assert.ok(seen.includes("Insert the token"), `no prompt seen: ${JSON.stringify(seen.slice(-200))}`);
  await new Promise((r) => setTimeout(r, 100));
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(t.slice(0, 10) + "X\x7f" + t.slice(10) + "\r"));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += dec.decode(value);
    if (/RESULT \w+ -?\d+/.test(seen)) break;
  }
  await w.close().catch(() => {});
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const status = await child.status;
  await child.stderr.cancel().catch(() => {});
  assert.match(seen, new RegExp(`RESULT match ${t.length}`), `output: ${JSON.stringify(seen.slice(-300))}`);
  assertNoTokenIn(seen);
  assert.ok(status.success);
});

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

Deno.test("a real process at DEBUG level (discover, refuse, write, errors) never prints the token", async () => {
  const s = await sandbox();
  const expired = await mint({ name: "expired" }, -7200);
  const valid = await mint({ name: "valid" }, 3600);
  const weaker = await mint({ name: "valid", roles: "authenticated user" }, 7200);
  await Deno.writeTextFile(join(s.cwd, ".env"), `ODA_TOKEN=${expired}\n`);
  await Deno.writeTextFile(join(s.home, ".oda-token"), valid);
  const code = `${childImports("oda")}
oda.getLogger("oda_api").setLevel("DEBUG");
const undo = oda.configureLogging("DEBUG");
const t = oda.discoverToken();
console.log("found", t === Deno.env.get("VALID"));
try { oda.writeToken(Deno.env.get("WEAKER"), { token_write_methods: ["FILE_CUR_DIR"] }); } catch (e) { console.log(String(e), JSON.stringify(e)); }
oda.writeToken(Deno.env.get("WEAKER"), { token_write_methods: ["FILE_CUR_DIR"], force: true });
try { oda.decodeOdaToken(Deno.env.get("VALID") + "x.y"); } catch (e) { console.error(e); }
undo();
oda.getLogger("oda_api").warning("bye " + Deno.env.get("VALID"));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    cwd: s.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: childEnv({ HOME: s.home, VALID: valid, WEAKER: weaker, NO_COLOR: "1" }),
    clearEnv: true,
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  assert.match(stdout, /found true/);
  assert.match(stdout, /TOKEN_REWRITE_REFUSED/);
  assert.match(stderr, /DEBUG:oda_api\.token:token expired 2\.0 h ago!/);
  assert.match(stderr, /INFO:oda_api\.token:found token in TokenLocation\.FILE_HOME your token payload: \{/);
  assert.match(stderr, /Refreshed token has been re-written with the method: file in current directory/);
  assert.match(stderr, /bye <redacted token>/);
  assertNoTokenIn(stdout + stderr);
  // the files written are the only places with the token, and they are 0600
  assert.equal(await Deno.readTextFile(join(s.cwd, ".oda-token")), weaker);
  if (Deno.build.os !== "windows") assert.equal(await mode(join(s.cwd, ".oda-token")), 0o600);
});

/** Imports of the token/log modules as one namespace object (the child does not load the whole mod.ts graph). */
function childImports(ns: string): string {
  const files = ["lib/token/discover.ts", "lib/token/write.ts", "lib/token/decode.ts", "lib/log.ts"];
  const lines = files.map((f, i) =>
    `import * as m${i} from ${JSON.stringify(new URL(`../${f}`, import.meta.url).href)};`
  );
  return `${lines.join("\n")}\nconst ${ns} = { ${files.map((_, i) => `...m${i}`).join(", ")} };`;
}

/** The parent's environment without ODA_TOKEN, with the same DENO_DIR (HOME changes) and overrides. */
function childEnv(overrides: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.ODA_TOKEN;
  env.DENO_DIR ??= join(env.XDG_CACHE_HOME ?? join(Deno.env.get("HOME") ?? "/root", ".cache"), "deno");
  return { ...env, ...overrides };
}

Deno.test("token files readable by others: one WARNING with the chmod to run; unknown locations rejected", async () => {
  if (Deno.build.os === "windows") return;
  const s = await sandbox();
  const t = await mint();
  const path = join(s.home, ".oda-token");
  await Deno.writeTextFile(path, t);
  await Deno.chmod(path, 0o644);
  const first = await captured(() => discoverToken(s.opts));
  assert.equal(first.value, t);
  const warnings = first.records.filter((r) => r.level === "WARNING");
  assert.equal(warnings.length, 1);
  assert.equal(
    warnings[0].message,
    `${path} can be read by other users (mode 0644): run \`chmod 600 ${path}\` to keep your token private`,
  );
  const again = await captured(() => discoverToken(s.opts));
  assert.equal(again.records.filter((r) => r.level === "WARNING").length, 0, "once per file");
  // a private file: no warning
  const s2 = await sandbox();
  await Deno.writeTextFile(join(s2.home, ".oda-token"), t, { mode: 0o600 });
  await Deno.chmod(join(s2.home, ".oda-token"), 0o600);
  const quiet = await captured(() => discoverToken(s2.opts));
  assert.equal(quiet.records.filter((r) => r.level === "WARNING").length, 0);
  await throwsTokenError(
    () => discoverToken({ ...s.opts, token_discovery_methods: ["HOME_FILE" as TokenLocation] }),
    "INVALID_ARGUMENT",
  );
});

testWithTool(
  "promptToken in the Deno Jupyter kernel asks with a password input_request",
  "jupyter",
  async () => {
    const mod = new URL("../lib/token/prompt.ts", import.meta.url).href;
    const cell = `import { promptToken } from ${JSON.stringify(mod)};\n` +
      `const t = await promptToken({ message: "Insert the token" });\nconsole.log("length", t?.length);`;
    const driver = `
import json, queue, sys, time
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="deno"); km.start_kernel()
kc = km.blocking_client(); kc.start_channels()
out = {"requests": [], "outputs": []}
try:
    kc.wait_for_ready(timeout=60)
    kc.execute(sys.stdin.read(), allow_stdin=True)
    end = time.time() + 60
    while time.time() < end:
        try:
            m = kc.get_stdin_msg(timeout=0.5)
        except queue.Empty:
            continue
        out["requests"].append(m["content"])
        kc.input(sys.argv[1])
        break
    end = time.time() + 30
    while time.time() < end:
        try:
            m = kc.get_iopub_msg(timeout=5)
        except queue.Empty:
            break
        out["outputs"].append(m["content"])
        if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle" and out["requests"]:
            break
finally:
    kc.stop_channels(); km.shutdown_kernel(now=True)
print(json.dumps(out))
`;
    const secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrZXJuZWxAZXhhbXBsZS5vcmcifQ.a2VybmVs";
    const out = JSON.parse(await runPython(driver, { stdin: cell, args: [secret] })) as {
      requests: { prompt: string; password: boolean }[];
      outputs: unknown[];
    };
    assert.equal(out.requests.length, 1);
    assert.equal(out.requests[0].password, true);
    assert.match(out.requests[0].prompt, /^Insert the token .*ODA_TOKEN/);
    const shown = JSON.stringify(out.outputs);
    assert.ok(shown.includes(`length ${secret.length}`), shown.slice(0, 500));
    assert.ok(!shown.includes(secret), "the answer is not echoed in the outputs");
  },
);
