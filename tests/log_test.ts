// Logging: hierarchy, levels, propagation, redaction, structured fields, stderr output.
import assert from "node:assert/strict";
import { configureLogging, getLogger, type LogRecord, OdaError } from "../mod.ts";
import { stderrHandler } from "../lib/log.ts";
import { formatLogRecord, levelToName, LOG_LEVELS } from "../lib/log.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4QHkiLCJleHAiOjF9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

function capture(name: string): { records: LogRecord[]; detach: () => void } {
  const records: LogRecord[] = [];
  const detach = getLogger(name).addHandler((r) => records.push(r));
  return { records, detach };
}

Deno.test("getLogger: names live under oda_api, same instance per name", () => {
  assert.equal(getLogger().name, "oda_api");
  assert.equal(getLogger("oda_api").name, "oda_api");
  assert.equal(getLogger("x.y").name, "oda_api.x.y");
  assert.equal(getLogger("oda_api.x.y"), getLogger("x.y"));
  assert.notEqual(getLogger("oda_apix").name, "oda_apix"); // not a child of oda_api: placed under it
});

Deno.test("levels: default WARNING, inherited from the nearest ancestor, own level wins", () => {
  const root = getLogger("oda_api");
  const parent = getLogger("oda_api.t_levels");
  const child = getLogger("oda_api.t_levels.child.grandchild");
  try {
    assert.equal(child.getEffectiveLevel(), LOG_LEVELS.WARNING);
    assert.equal(child.isEnabledFor("INFO"), false);
    assert.equal(child.isEnabledFor("WARNING"), true);
    parent.setLevel("DEBUG");
    assert.equal(child.getEffectiveLevel(), 10);
    child.setLevel("ERROR");
    assert.equal(child.getEffectiveLevel(), 40);
    assert.equal(child.getLevel(), 40);
    child.setLevel(undefined);
    assert.equal(child.getLevel(), undefined);
    assert.equal(child.getEffectiveLevel(), 10);
    parent.setLevel(undefined);
    root.setLevel("info"); // case-insensitive, like typing logging.INFO
    assert.equal(child.getEffectiveLevel(), 20);
    root.setLevel("WARN");
    assert.equal(root.getEffectiveLevel(), 30);
    root.setLevel(15);
    assert.equal(levelToName(root.getEffectiveLevel()), "DEBUG");
    assert.equal(levelToName(20), "INFO");
    assert.equal(levelToName(45), "ERROR");
    assert.throws(
      () => root.setLevel("LOUD" as "INFO"),
      (e) => e instanceof OdaError && e.code === "INVALID_ARGUMENT",
    );
  } finally {
    root.setLevel(undefined);
    parent.setLevel(undefined);
    child.setLevel(undefined);
  }
});

Deno.test("records propagate to ancestors' handlers unless propagate=false; filtered by level", () => {
  const a = capture("oda_api.t_prop");
  const b = capture("oda_api.t_prop.sub");
  const log = getLogger("oda_api.t_prop.sub");
  getLogger("oda_api.t_prop").setLevel("INFO");
  try {
    log.debug("hidden");
    log.info("shown", { event: "progress", fraction: 0.5 });
    assert.deepEqual(b.records.map((r) => r.message), ["shown"]);
    assert.deepEqual(a.records.map((r) => r.message), ["shown"]);
    assert.equal(a.records[0], b.records[0], "the same record object is passed along");
    const r = a.records[0];
    assert.equal(r.name, "oda_api.t_prop.sub");
    assert.equal(r.level, "INFO");
    assert.deepEqual(r.fields, { event: "progress", fraction: 0.5 });
    assert.ok(Math.abs(r.time - Date.now()) < 5000);
    log.propagate = false;
    log.warning("local only");
    assert.equal(b.records.length, 2);
    assert.equal(a.records.length, 1);
    log.propagate = true;
    log.error("e");
    log.critical("c");
    log.warn("w");
    assert.deepEqual(a.records.slice(1).map((x) => x.level), ["ERROR", "CRITICAL", "WARNING"]);
    assert.equal(log.hasHandlers(), true);
  } finally {
    a.detach();
    b.detach();
    getLogger("oda_api.t_prop").setLevel(undefined);
  }
  assert.equal(log.hasHandlers(), false);
});

Deno.test("redaction: messages and structured fields never carry a token", () => {
  const c = capture("oda_api.t_redact");
  const log = getLogger("oda_api.t_redact");
  try {
    log.warning(`calling https://h/run_analysis?token=${JWT}&x=1 with ${JWT}`, {
      url: `https://h/x?token=opaque-secret-1`,
      params: { token: JWT, instrument: "isgri", list: [JWT] },
      error: new Error(`bad ${JWT}`),
      n: 3,
    });
    const [r] = c.records;
    const text = r.message + JSON.stringify(r.fields);
    assert.ok(!text.includes(JWT));
    assert.ok(!text.includes("opaque-secret-1"));
    assert.equal(
      r.message,
      "calling https://h/run_analysis?token=<redacted token>&x=1 with <redacted token>",
    );
    assert.deepEqual(r.fields.params, {
      token: "<redacted token>",
      instrument: "isgri",
      list: ["<redacted token>"],
    });
    assert.deepEqual(r.fields.error, { name: "Error", message: "bad <redacted token>" });
    assert.equal(r.fields.n, 3);
  } finally {
    c.detach();
  }
});

Deno.test("a throwing handler does not break logging or the other handlers", () => {
  const c = capture("oda_api.t_throw");
  const bad = getLogger("oda_api.t_throw.x").addHandler(() => {
    throw new Error(`handler failed ${JWT}`);
  });
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...args: unknown[]) => void errors.push(args.map(String).join(" "));
  try {
    getLogger("oda_api.t_throw.x").error("boom");
  } finally {
    console.error = orig;
    bad();
    c.detach();
  }
  assert.equal(c.records.length, 1);
  assert.equal(errors.length, 1);
  assert.ok(!errors[0].includes(JWT));
});

Deno.test("formatLogRecord, stderrHandler and the no-handler fallback write to console.error", () => {
  assert.equal(
    formatLogRecord({ name: "oda_api.x", level: "INFO", message: "m", time: 0, fields: {} }),
    "INFO:oda_api.x:m",
  );
  const lines: string[] = [];
  const orig = console.error;
  console.error = (fmt: unknown, ...args: unknown[]) =>
    void lines.push(fmt === "%s" ? String(args[0]) : String(fmt));
  const log = getLogger("oda_api.t_stderr");
  try {
    log.info("not enabled");
    log.warning("fallback %d 100%"); // printed verbatim (no format substitution)
    log.setLevel("INFO");
    log.info("now enabled");
    const undo = log.addHandler(stderrHandler);
    log.info(`with handler ${JWT}`);
    undo();
  } finally {
    console.error = orig;
    log.setLevel(undefined);
  }
  assert.deepEqual(lines, [
    "fallback %d 100%",
    "now enabled",
    "INFO:oda_api.t_stderr:with handler <redacted token>",
  ]);
});

Deno.test("configureLogging: one-line setup and undo restore the previous state", () => {
  const root = getLogger("oda_api");
  const records: LogRecord[] = [];
  root.setLevel("ERROR");
  const undo = configureLogging("DEBUG", (r) => records.push(r));
  try {
    getLogger("oda_api.t_conf").debug("d");
    assert.equal(records.length, 1);
  } finally {
    undo();
  }
  assert.equal(root.getLevel(), 40);
  const printed: unknown[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void printed.push(a);
  try {
    getLogger("oda_api.t_conf").error("after undo");
  } finally {
    console.error = orig;
  }
  assert.equal(records.length, 1, "the handler was detached");
  assert.equal(printed.length, 1, "the fallback printed it");
  root.setLevel(undefined);
  const undo2 = configureLogging("INFO", () => {});
  undo2();
  assert.equal(root.getLevel(), undefined);
});
