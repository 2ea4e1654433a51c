/**
 * Run the JSDoc examples that state results (they assert them with `node:assert/strict`) with
 * `deno test --doc`. Type checking of every example is `deno task check` (`deno check --doc`); this runs them.
 * About 2 minutes on 2 cores (each example is its own module), so it is a task of its own:
 *
 *   deno task doctest
 *
 * Files are picked automatically: every module under lib/ with an asserting example, except those whose
 * examples cannot run offline or unattended (listed in SKIP with the reason) and those using `declare` (a
 * type-only stand-in that `deno test --doc` cannot run).
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const SKIP: Record<string, string> = {
  "lib/client/catalogue.ts": "examples query a dispatcher",
  "lib/client/description.ts": "examples query a dispatcher",
  "lib/cli/main.ts": "examples run the command line against production MMODA",
};

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walk(u);
    else if (e.name.endsWith(".ts")) yield u;
  }
}

const files: string[] = [];
for await (const u of walk(new URL("lib/", ROOT))) {
  const path = u.href.slice(ROOT.href.length);
  const text = await Deno.readTextFile(u);
  if (!/^ \* import assert from "node:assert\/strict";$/m.test(text)) continue;
  if (/^ \*\s+declare /m.test(text) || path in SKIP) continue;
  files.push(path);
}
files.sort();
console.error(`deno test --doc on ${files.length} modules`);
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--doc", "--no-check", "-A", ...files],
  cwd: ROOT,
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
