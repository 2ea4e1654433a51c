// tools/readme.ts: README assembly from docs/readme pieces (tables merged, imports and links rewritten).
import assert from "node:assert/strict";
import { anchor, assemble, pages, parsePiece } from "../tools/readme.ts";

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

Deno.test("pages: every piece not included becomes docs/guide/NAME.md, linked from the README", () => {
  const skeleton = ["# T", "<!-- include: demo.md -->", "## Documentation", "<!-- pages -->"].join("\n");
  const pieces = new Map([
    [
      "client.md",
      `## Client\nsee ![img](../demo-report.png) and [tests](tests/x.ts)\n\n## More\nm\n\n${TABLE}`,
    ],
    ["demo.md", "demo output"],
    ["zeta.md", '## Zeta\n```ts\nimport { z } from "../../fits.ts";\n```'],
  ]);
  const readme = assemble(skeleton, pieces);
  assert.ok(readme.includes("- [Client](docs/guide/client.md): More\n- [Zeta](docs/guide/zeta.md)"), readme);
  assert.ok(!readme.includes("## Client"), "pages are linked, not inlined");
  const out = pages(skeleton, pieces);
  assert.deepEqual([...out.keys()].sort(), ["client.md", "zeta.md"]);
  const client = out.get("client.md")!;
  assert.ok(client.includes("![img](../../docs/demo-report.png)"), client);
  assert.ok(client.includes("[tests](../../tests/x.ts)"), client);
  assert.ok(client.includes("## Python → TypeScript") && client.includes("| `a()` | `a()` |"));
  assert.ok(out.get("zeta.md")!.includes('import { z } from "@oda-hub/oda-api/fits";'));
});

Deno.test("README.md and docs/guide/ are what docs/readme/ gives (`deno task readme --check`)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-run", "tools/readme.ts", "--check"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
});
