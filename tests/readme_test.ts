// tools/readme.ts: README assembly from docs/readme pieces (tables merged, imports and links rewritten).
import assert from "node:assert/strict";
import { anchor, assemble, parsePiece } from "../tools/readme.ts";

const TABLE = "| Python (`oda_api`) | TypeScript |\n| --- | --- |\n| `a()` | `a()` |\n| `b()` | `b()` |";

Deno.test("parsePiece: Python→TS rows are extracted, imports and relative links rewritten", () => {
  const p = parsePiece(
    "x.md",
    [
      "## X",
      "",
      'import { a } from "../mod.ts";',
      "```ts",
      'import { s } from "../sandbox.ts";',
      "![shot](shot.png) [up](../README.md) [web](https://e.org/a) [here](#x)",
      "```",
      "![shot](shot.png) [web](https://e.org/a) [here](#x) [bench](../../bench/run.ts)",
      "![a long alt text that",
      "spans two lines](../demo-report.png) ![root](docs/shot.png)",
      "",
      TABLE,
      "",
      "| other | table |",
      "| --- | --- |",
      "| 1 | 2 |",
    ].join("\n"),
  );
  assert.deepEqual(p.rows, ["| `a()` | `a()` |", "| `b()` | `b()` |"]);
  assert.ok(p.body.includes('import { a } from "@oda-hub/oda-api";'));
  assert.ok(p.body.includes('import { s } from "@oda-hub/oda-api/sandbox";'));
  assert.ok(p.body.includes("![shot](shot.png) [up](../README.md)"), "links inside code fences untouched");
  assert.ok(
    p.body.includes("![shot](docs/readme/shot.png) [web](https://e.org/a) [here](#x) [bench](bench/run.ts)"),
  );
  assert.ok(
    p.body.includes("spans two lines](docs/demo-report.png) ![root](docs/shot.png)"),
    "multi-line link rebased",
  );
  assert.ok(p.body.includes("| other | table |"), "other tables stay");
  assert.ok(!p.body.includes("`a()`"));
});

Deno.test("assemble: includes, remaining pieces in order, merged rows, table of contents", () => {
  const skeleton = [
    "# T",
    "<!-- include: demo.md -->",
    "## Contents",
    "<!-- toc -->",
    "## Python → TypeScript",
    "| Python | TypeScript |",
    "| --- | --- |",
    "| `x` | `x` |",
    "",
    "<!-- python-ts-rows -->",
    "",
    "<!-- pieces -->",
    "## Security",
    "<!-- include: security.md -->",
    "<!-- include: missing.md -->",
  ].join("\n");
  const pieces = new Map([
    ["zeta.md", "## Zeta\nz"],
    ["client.md", `## Client\nc\n\n${TABLE}`],
    ["demo.md", "demo output"],
    ["security.md", "promises"],
  ]);
  const out = assemble(skeleton, pieces);
  assert.ok(out.startsWith("# T\ndemo output\n"));
  assert.ok(out.includes("| `x` | `x` |\n| `a()` | `a()` |\n| `b()` | `b()` |\n"));
  assert.ok(out.indexOf("## Client") < out.indexOf("## Zeta"), "known order first");
  assert.ok(out.indexOf("## Zeta") < out.indexOf("## Security"));
  assert.ok(out.includes("## Security\npromises"));
  assert.ok(out.includes("- [Client](#client)\n"));
  assert.ok(out.includes("- [Python → TypeScript](#python--typescript)"));
  assert.ok(!out.includes("<!--"));
});

Deno.test("anchor: GitHub-style heading anchors", () => {
  assert.equal(anchor("Python → TypeScript"), "python--typescript");
  assert.equal(anchor("Querying MMODA: `DispatcherAPI`"), "querying-mmoda-dispatcherapi");
  assert.equal(anchor("Jupyter notebooks (Deno kernel)"), "jupyter-notebooks-deno-kernel");
});
