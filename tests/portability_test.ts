// Importable from anywhere: mod.ts from a folder without deno.json (by path, file:// URL and http:// URL from a
// loopback static server), the bundled package in Node ≥ 20 (decoding a recorded product, querying the sandbox
// with an explicit token, Deno-only features refused with a typed error) and in headless Chromium (a page on
// loopback that decodes a recorded light curve and draws it). Expected values come from this process running the
// same code on the same input, never from hard-coded numbers. The package is bundled once (`deno bundle`).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type DataCollection, DispatcherAPI, lightCurve, NumpyDataProduct } from "../mod.ts";
import { LightCurvePlot } from "../display.ts";
import { startSandbox } from "../sandbox.ts";
import { CHROMIUM, testWithTool } from "./_validators.ts";
import { chromiumArgs, makeProfile } from "./_chromium.ts";
import { createHash } from "node:crypto";
import { md5HexPortable } from "../lib/data/md5.ts";
import { loopback } from "./_loopback.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const FIXTURE = fileURLToPath(new URL("./fixtures/oda_api/generated/numpy_fitsrec_lc.json", import.meta.url));
const FIXTURE_TEXT = await Deno.readTextFile(FIXTURE);
const DEC = new TextDecoder();

/** The reference: this process decodes the same recorded product with the same code. */
function reference() {
  const p = NumpyDataProduct.decode(JSON.parse(FIXTURE_TEXT));
  const lc = lightCurve(p);
  return { name: p.name, time: Array.from(lc.time), rate: Array.from(lc.rate), detnam: lc.detnam };
}

/** A temporary folder with no deno.json / package.json in it or above it. */
async function bareDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  for (let d = dir; d !== "/"; d = d.slice(0, d.lastIndexOf("/")) || "/") {
    for (const f of ["deno.json", "deno.jsonc", "package.json"]) {
      const found = await Deno.stat(`${d}/${f}`).then(() => true, () => false);
      assert.ok(!found, `${d}/${f} exists: the temporary folder is not bare`);
    }
  }
  return dir;
}

const CONTENT_TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  html: "text/html; charset=utf-8",
};

/** Static files from `dir` (no `..`, no dot files), plus a few extra routes. */
function serve(
  dir: string,
  extra: (req: Request, path: string) => Promise<Response | undefined> | undefined,
) {
  const seen: string[] = [];
  const server = loopback(async (req, u) => {
    const path = decodeURIComponent(u.pathname);
    seen.push(path);
    const r = await extra(req, path);
    if (r) return r;
    if (path.split("/").some((s) => s === ".." || s.startsWith("."))) {
      return new Response("no", { status: 403 });
    }
    try {
      const body = await Deno.readFile(dir + path);
      const ext = path.slice(path.lastIndexOf(".") + 1);
      return new Response(body, {
        headers: { "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: server.url, seen, close: server.close };
}

async function run(cmd: string, args: string[], cwd: string) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  const stdout = DEC.decode(out.stdout), stderr = DEC.decode(out.stderr);
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("mod.ts imports without this repo's deno.json: by path, file:// URL and http:// URL", async () => {
  const dir = await bareDir("oda-bare-");
  const http = serve(ROOT, () => undefined);
  try {
    const specs = {
      path: `${ROOT}/mod.ts`,
      fileUrl: `file://${ROOT}/mod.ts`,
      httpUrl: `${http.url}/mod.ts`,
    };
    const results = await Promise.all(
      Object.entries(specs).map(async ([kind, spec]) => {
        const probe = `${dir}/${kind}.ts`;
        await Deno.writeTextFile(
          probe,
          `import { DispatcherAPI, lightCurve, NumpyDataProduct, OdaError } from ${JSON.stringify(spec)};\n` +
            `const p = NumpyDataProduct.decode(JSON.parse(await Deno.readTextFile(Deno.args[0])));\n` +
            `const lc = lightCurve(p);\n` +
            `const disp = new DispatcherAPI({ url: "http://127.0.0.1:9", token: null });\n` +
            `console.log(JSON.stringify({ name: p.name, time: Array.from(lc.time), rate: Array.from(lc.rate),\n` +
            `  detnam: lc.detnam, url: disp.url, odaError: typeof OdaError }));\n`,
        );
        const perms = [`--allow-read=${FIXTURE}`];
        if (kind === "httpUrl") perms.push(`--allow-import=${new URL(http.url).host}`);
        return [kind, await run(Deno.execPath(), ["run", ...perms, probe, FIXTURE], dir)] as const;
      }),
    );
    const ref = reference();
    for (const [kind, r] of results) {
      assert.deepEqual(
        { name: r.name, time: r.time, rate: r.rate, detnam: r.detnam },
        ref,
        `${kind}: decoded product differs`,
      );
      assert.equal(r.url, "http://127.0.0.1:9", kind);
      assert.equal(r.odaError, "function", kind);
    }
    // the http import really went through the static server (the module graph, not just mod.ts)
    assert.ok(http.seen.includes("/mod.ts") && http.seen.some((p) => p.startsWith("/lib/codecs/")), "graph");
  } finally {
    await http.close();
    await Deno.remove(dir, { recursive: true });
  }
});

let bundled: Promise<string> | undefined;
/** Bundle mod.ts once for Node and the browser (ESM, browser platform: no Deno or Node built-ins). */
function bundle(): Promise<string> {
  return bundled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "oda-bundle-" });
    const out = `${dir}/oda.mjs`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "--format", "esm", "-o", out, "mod.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(r.success, DEC.decode(r.stderr));
    return out;
  })();
}

const SPI_ACS = {
  instrument: "spi_acs",
  product: "spi_acs_lc",
  product_type: "Real",
  T1: "2022-07-01T00:00:00",
  T2: "2022-07-01T00:05:00",
  time_bin: 1,
};

testWithTool(
  "Node ≥ 20 runs the bundled core: decode, query the sandbox, token files refused",
  "node",
  async () => {
    const mjs = await bundle();
    const dir = mjs.slice(0, mjs.lastIndexOf("/"));
    await using sb = await startSandbox({ port: 0, seed: 7 });
    const token = await sb.mintToken();
    await Deno.writeTextFile(
      `${dir}/node_probe.mjs`,
      `import * as oda from "./oda.mjs";
import { readFileSync } from "node:fs";
const [fixture, url, token, query] = process.argv.slice(2);
const p = oda.NumpyDataProduct.decode(JSON.parse(readFileSync(fixture, "utf8")));
const lc = oda.lightCurve(p);
let refused;
try { oda.discoverToken(); refused = "not refused"; }
catch (e) { refused = { oda: e instanceof oda.OdaError, code: e.code }; }
const disp = new oda.DispatcherAPI({ url, token });
const data = await disp.getProduct({ ...JSON.parse(query), silent: true });
const first = data._p_list[0];
console.log(JSON.stringify({ name: p.name, time: Array.from(lc.time), rate: Array.from(lc.rate), detnam: lc.detnam,
  refused, products: data.asList(), remoteRate: Array.from(oda.lightCurve(first).rate) }));
`,
    );
    const r = await run(
      "node",
      [`${dir}/node_probe.mjs`, FIXTURE, sb.url, token, JSON.stringify(SPI_ACS)],
      dir,
    );
    const ref = reference();
    assert.deepEqual({ name: r.name, time: r.time, rate: r.rate, detnam: r.detnam }, ref);
    assert.deepEqual(r.refused, { oda: true, code: "UNSUPPORTED_RUNTIME" });
    // the same query from Deno gives the same products and the same light curve
    const disp = new DispatcherAPI({ url: sb.url, token });
    const data: DataCollection = await disp.getProduct({ ...SPI_ACS, silent: true });
    assert.deepEqual(r.products, JSON.parse(JSON.stringify(data.asList())));
    assert.deepEqual(r.remoteRate, Array.from(lightCurve(data._p_list[0] as NumpyDataProduct).rate));
    assert.ok(r.remoteRate.length > 0);
  },
);

/** Remove a directory that helper processes may still be flushing for a moment after the browser exits. */
async function removeSoon(dir: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      return await Deno.remove(dir, { recursive: true });
    } catch (e) {
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>oda light curve</title><div id="plot"></div>
<script type="module">
import { lightCurve, NumpyDataProduct, plotLightCurve } from "./oda.mjs";
const report = (r) => fetch("/result", { method: "POST", body: JSON.stringify(r) });
try {
  const p = NumpyDataProduct.decode(await (await fetch("/fixture.json")).json());
  const lc = lightCurve(p);
  const svg = await plotLightCurve(p).svg();
  const el = document.getElementById("plot");
  el.innerHTML = svg;
  const box = el.querySelector("svg").getBoundingClientRect();
  report({ ok: true, name: p.name, time: Array.from(lc.time), rate: Array.from(lc.rate), detnam: lc.detnam,
    svg, width: box.width, height: box.height,
    drawn: el.querySelectorAll("svg path, svg line, svg circle, svg polyline").length,
    text: el.querySelector("svg").textContent });
} catch (e) {
  report({ ok: false, error: String(e && e.stack || e) });
}
</script>`;

testWithTool(
  "Chromium renders a light curve from a recorded product with the bundled package",
  "chromium",
  async () => {
    const mjs = await bundle();
    const dir = mjs.slice(0, mjs.lastIndexOf("/"));
    // deno-lint-ignore no-explicit-any
    let resolveResult: (r: any) => void = () => {};
    // deno-lint-ignore no-explicit-any
    const result = new Promise<any>((res) => resolveResult = res);
    const http = serve(dir, async (req, path) => {
      if (path === "/") return new Response(PAGE, { headers: { "content-type": CONTENT_TYPES.html } });
      if (path === "/fixture.json") {
        return new Response(FIXTURE_TEXT, { headers: { "content-type": CONTENT_TYPES.json } });
      }
      if (path === "/result" && req.method === "POST") {
        resolveResult(JSON.parse(await req.text()));
        return new Response("ok");
      }
      if (path === "/favicon.ico") return new Response(null, { status: 204 });
      return undefined;
    });
    const profile = await makeProfile();
    const chromium = new Deno.Command(CHROMIUM, {
      args: chromiumArgs(profile, ["--window-size=1000,800", `${http.url}/`]),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const r = await Promise.race([
        result,
        new Promise((_, rej) =>
          timer = setTimeout(() => rej(new Error("no result from the page in 30 s")), 30_000)
        ),
      ]);
      assert.ok(r.ok, r.error);
      const ref = reference();
      assert.deepEqual({ name: r.name, time: r.time, rate: r.rate, detnam: r.detnam }, ref);
      // the browser drew exactly what this process draws for the same product, and the drawing has a size
      const expected = new LightCurvePlot(lightCurve(NumpyDataProduct.decode(JSON.parse(FIXTURE_TEXT))))
        .svg();
      assert.equal(r.svg, expected);
      assert.ok(r.width > 100 && r.height > 100, `rendered size ${r.width}×${r.height}`);
      assert.ok(r.drawn > 0, "nothing drawn");
      assert.ok(String(r.text).includes(ref.detnam ?? "light curve"), "title missing");
    } finally {
      clearTimeout(timer);
      chromium.kill("SIGTERM");
      const killer = setTimeout(() => chromium.kill("SIGKILL"), 5_000);
      await chromium.status;
      clearTimeout(killer);
      await http.close();
      await removeSoon(profile);
    }
  },
);

Deno.test({
  name: "portability: bundle directory removed",
  sanitizeResources: false,
  async fn() {
    if (bundled) {
      const mjs = await bundled;
      await Deno.remove(mjs.slice(0, mjs.lastIndexOf("/")), { recursive: true });
    }
  },
});

Deno.test("portable MD5 (used where node:crypto is absent) equals node:crypto", () => {
  const bytes = new Uint8Array(70_000);
  for (let i = 0, x = 12345; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_000]) {
    const b = bytes.subarray(0, n);
    assert.equal(md5HexPortable(b), createHash("md5").update(b).digest("hex"), `length ${n}`);
  }
  const text = "TIME, RATE ±σ — 日本";
  assert.equal(md5HexPortable(text), createHash("md5").update(text, "utf8").digest("hex"));
});
