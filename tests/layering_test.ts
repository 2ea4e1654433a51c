// The layering rules of docs/CONTRIBUTING.md, checked on the real module graph (`deno info --json` of every
// entry point): imports point down, tokens do not use codecs, display sees only the client's event types, the
// sandbox never uses the client or display, lib/ never imports an entry point, and no module imports itself back.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT_URL = new URL("../", import.meta.url);
const ROOT = ROOT_URL.href;
const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT_URL))) as {
  exports: Record<string, string>;
};

/** Layer of a repository file: "entry" (root files), "ground" (lib/*.ts), or the folder under lib/. */
function layer(path: string): string {
  if (!path.startsWith("lib/")) return "entry";
  const parts = path.split("/");
  return parts.length === 2 ? "ground" : parts[1];
}

/** What each layer may import besides itself (CONTRIBUTING: "Layout and layering"). */
const ALLOWED: Record<string, string[]> = {
  ground: [],
  data: ["ground"],
  codecs: ["data", "ground"],
  token: ["data", "ground"],
  products: ["codecs", "data", "ground"],
  science: ["products", "codecs", "data", "ground"],
  client: ["science", "products", "token", "codecs", "data", "ground"],
  display: ["client", "science", "products", "token", "codecs", "data", "ground"],
  sandbox: ["products", "token", "codecs", "data", "ground"],
  cli: ["sandbox", "display", "client", "science", "products", "token", "codecs", "data", "ground"],
};
/** Display may use the client's event types only. */
const DISPLAY_FROM_CLIENT = new Set(["lib/client/events.ts"]);

async function graph(): Promise<Set<string>> {
  const edges = new Set<string>();
  await Promise.all(
    Object.values(denoJson.exports).map(async (entry) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", entry],
        cwd: fileURLToPath(ROOT_URL),
        stdout: "piped",
        stderr: "null",
      }).output();
      assert.equal(out.code, 0, `deno info ${entry} failed`);
      const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        modules: {
          specifier: string;
          dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
        }[];
      };
      for (const m of info.modules) {
        if (!m.specifier.startsWith(ROOT)) continue;
        for (const d of m.dependencies ?? []) {
          for (const [kind, t] of [["code", d.code?.specifier], ["type", d.type?.specifier]]) {
            if (t?.startsWith(ROOT)) {
              edges.add(`${m.specifier.slice(ROOT.length)} ${t.slice(ROOT.length)} ${kind}`);
            }
          }
        }
      }
    }),
  );
  return edges;
}

const EDGES = [...await graph()].map((e) => e.split(" ") as [string, string, "code" | "type"]);

Deno.test("imports point down the layers; tokens skip codecs; display sees only client events", () => {
  assert.ok(EDGES.length > 300, `only ${EDGES.length} edges: the graph is incomplete`);
  const bad: string[] = [];
  for (const [from, to] of EDGES) {
    const a = layer(from), b = layer(to);
    if (a === "entry" || a === b) continue;
    if (b === "entry") bad.push(`${from} -> ${to}: lib/ never imports an entry point`);
    else if (!(a in ALLOWED)) bad.push(`${from}: unknown layer ${a} (add it to CONTRIBUTING and this test)`);
    else if (!ALLOWED[a].includes(b)) bad.push(`${from} -> ${to}: ${a} may not import ${b}`);
    else if (a === "display" && b === "client" && !DISPLAY_FROM_CLIENT.has(to)) {
      bad.push(`${from} -> ${to}: display uses only the client's event types`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("no runtime import cycles between modules (type-only imports may point back)", () => {
  const next = new Map<string, string[]>();
  for (const [a, b, kind] of EDGES) if (kind === "code") next.set(a, [...next.get(a) ?? [], b]);
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  assert.deepEqual(cycles, []);
});
