// CI plumbing: .ci/run's summary line, and tests/_validators.ts behaviour with a missing validator
// (CI=true → the test FAILS; otherwise → ignored with a loud warning, never passed).
import assert from "node:assert/strict";
import { join } from "node:path";
import { isCI, requireTool } from "./_validators.ts";

const RUN = new URL("../.ci/run", import.meta.url).pathname;
const VALIDATORS = new URL("./_validators.ts", import.meta.url).href;
const dec = new TextDecoder();

async function summarize(log: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "oda-ci-test-" });
  const file = join(dir, "test.log");
  await Deno.writeTextFile(file, log);
  const out = await new Deno.Command("bash", { args: [RUN, "--summarize", file], stdin: "null" }).output();
  assert.ok(out.success, dec.decode(out.stderr));
  return dec.decode(out.stdout).trim();
}

Deno.test(".ci/run --summarize: Deno summary lines, colours, steps, several summaries, none", async () => {
  assert.equal(
    await summarize("running 3 tests\nok | 3 passed | 0 failed | 1 ignored (24ms)\n"),
    "3 passed, 0 failed",
  );
  assert.equal(
    await summarize(
      "\x1b[0m\x1b[32mok\x1b[0m | 12 passed (4 steps) | 0 failed \x1b[0m\x1b[38;5;245m(1s)\x1b[0m\n",
    ),
    "12 passed, 0 failed",
  );
  assert.equal(
    await summarize(
      "FAILED | 132 passed (96 steps) | 11 failed (23s)\nsome output\nok | 2 passed | 0 failed | 1 filtered out (3ms)\n",
    ),
    "134 passed, 11 failed",
  );
  assert.equal(await summarize("error: Type checking failed.\n"), "0 passed, 0 failed");
  // a test named like a summary is not counted (it does not start the line)
  assert.equal(
    await summarize("x ok | 9 passed | 9 failed\nok | 1 passed | 0 failed (1ms)\n"),
    "1 passed, 0 failed",
  );
});

Deno.test(".ci/run is strict bash and pins Deno 2.9.6", async () => {
  const text = await Deno.readTextFile(RUN);
  assert.match(text, /^#!\/usr\/bin\/env bash\n/);
  assert.match(text, /\nset -euo pipefail\n/);
  assert.match(text, /\nexport CI=true /);
  assert.match(text, /DENO_VERSION="2\.9\.6"/);
  assert.match(text, /\ndeno task test 2>&1 \| tee /, "runs exactly the README's test command");
  const syntax = await new Deno.Command("bash", { args: ["-n", RUN] }).output();
  assert.ok(syntax.success, dec.decode(syntax.stderr));
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.ok(readme.includes("deno task test"));
  const deno = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.match(deno.tasks.test, /^deno test /);
});

/** Run a one-test file that needs a validator that is missing (jupyter, marked missing). */
async function runWithMissingJupyter(ci: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "oda-validators-test-" });
  const home = join(dir, "home");
  await Deno.mkdir(home);
  const file = join(dir, "needs_jupyter_test.ts");
  await Deno.writeTextFile(
    file,
    `import { testWithTool } from ${JSON.stringify(VALIDATORS)};
testWithTool("needs jupyter", "jupyter", () => {});
testWithTool("needs jupyter too", ["python3", "jupyter"], () => {});
`,
  );
  const env = Deno.env.toObject();
  delete env.CI;
  delete env.XDG_DATA_HOME;
  env.DENO_DIR ??= join(env.XDG_CACHE_HOME ?? join(env.HOME ?? "/root", ".cache"), "deno");
  env.HOME = home;
  env.NO_COLOR = "1";
  env.ODA_VALIDATORS_MISSING = "jupyter";
  if (ci) env.CI = "true";
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", file],
    cwd: dir,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("validators: a missing tool outside CI → tests ignored with one loud warning", async () => {
  const r = await runWithMissingJupyter(false);
  const all = r.stdout + r.stderr;
  assert.equal(r.code, 0, all);
  assert.match(all, /ok \| 0 passed \| 0 failed \| 2 ignored/);
  assert.equal(all.match(/VALIDATOR MISSING: jupyter/g)?.length, 1, "warned once");
  assert.match(all, /IGNORED \(not passed\)/);
});

Deno.test("validators: a missing tool under CI=true → the tests FAIL with what to install", async () => {
  const r = await runWithMissingJupyter(true);
  const all = r.stdout + r.stderr;
  assert.notEqual(r.code, 0);
  assert.match(all, /FAILED \| 0 passed \| 2 failed/);
  assert.match(
    all,
    /required validator missing under CI=true — jupyter: .*install: .*deno jupyter --install/,
  );
  assert.match(all, /\(test at needs_jupyter_test\.ts:2\)/);
});

Deno.test("validators: detection results are cached and consistent", () => {
  const a = requireTool("python3");
  assert.equal(requireTool("python3"), a, "same object: cached");
  assert.equal(typeof a.available, "boolean");
  assert.ok(a.detail.length > 0);
  assert.equal(isCI(), Deno.env.get("CI") === "true");
});
