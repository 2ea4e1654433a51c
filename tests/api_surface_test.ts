// The public surface: mod.ts stays small (≤ 120 names counted by `deno doc --json`), every entry point listed
// in deno.json exists and is documented, and codec/display internals live behind their own entry points.
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = new URL("../", import.meta.url);
const MAX_MOD_NAMES = 120;
const PUBLIC_CODEC_FILES = [
  "lib/codecs/api_code.ts",
];

interface DocSymbol {
  name: string;
  declarations: { location: { filename: string } }[];
}

async function docSymbols(entry: string): Promise<{ doc: string; symbols: DocSymbol[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: fromFileUrl(ROOT),
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(out.code, 0, `deno doc --json ${entry} failed`);
  const json = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { module_doc?: { doc?: string }; symbols: DocSymbol[] }>;
  };
  const node = json.nodes[new URL(entry, ROOT).href];
  assert.ok(node, `no node for ${entry}`);
  return { doc: node.module_doc?.doc ?? "", symbols: node.symbols };
}

const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
  exports: Record<string, string>;
};

Deno.test(`mod.ts exports at most ${MAX_MOD_NAMES} names, none of them codec or display internals`, async () => {
  const { symbols } = await docSymbols("mod.ts");
  const names = symbols.map((s) => s.name);
  assert.equal(new Set(names).size, names.length, "a name is exported twice");
  assert.ok(names.length <= MAX_MOD_NAMES, `mod.ts exports ${names.length} names (max ${MAX_MOD_NAMES})`);
  for (const s of symbols) {
    const file = s.declarations[0].location.filename.slice(ROOT.href.length);
    // the API-code bridge is public; pickle/FITS/ECSV machinery is not (lib/data/ models are allowed)
    assert.ok(
      !file.startsWith("lib/codecs/") || PUBLIC_CODEC_FILES.includes(file),
      `${s.name} (${file}) belongs in ./fits or ./pickle`,
    );
    assert.ok(!file.startsWith("lib/sandbox/"), `${s.name} (${file}) belongs in ./sandbox`);
    assert.ok(!file.startsWith("lib/cli/"), `${s.name} (${file}) belongs in ./cli`);
  }
  for (const name of ["DispatcherAPI", "DataCollection", "NumpyDataProduct", "OdaError", "getLogger"]) {
    assert.ok(names.includes(name), `${name} missing from mod.ts`);
  }
  for (
    const name of ["readFits", "decodeNumpyPickle", "parseJson", "tableToHtml", "svgToPng", "startSandbox"]
  ) {
    assert.ok(!names.includes(name), `${name} is an internal of another entry point`);
  }
});

Deno.test("every deno.json entry point exists, has a module doc with an example, and exports something", async () => {
  const entries = Object.entries(denoJson.exports);
  for (
    const sub of [
      ".",
      "./fits",
      "./pickle",
      "./display",
      "./token",
      "./science",
      "./types",
      "./sandbox",
      "./cli",
    ]
  ) {
    assert.ok(denoJson.exports[sub], `deno.json exports lacks ${sub}`);
  }
  for (const [sub, path] of entries) {
    const { doc, symbols } = await docSymbols(path);
    assert.ok(doc.length > 40, `${sub} (${path}) has no module doc`);
    assert.ok(symbols.length > 0, `${sub} exports nothing`);
  }
});
