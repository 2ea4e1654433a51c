/**
 * Typed parameters: the shipped types are what the sandbox describes (regenerated and compared); `deno check`
 * accepts right queries and rejects a wrong product / parameter / value with a message naming it; the
 * runtime catalogue completes and builds queries; validation before sending needs no round trip.
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI, type GetProductOptions } from "../lib/client/dispatcher.ts";
import { Catalogue, checkParameterValue, describeDispatcher } from "../lib/client/catalogue.ts";
import { sandboxCatalogue } from "../lib/client/sandbox_catalogue.ts";
import { MMODA_PRODUCTS } from "../lib/client/mmoda_products.ts";
import { generateProductTypes } from "../lib/client/types_generator.ts";
import { renderApiCode } from "../lib/codecs/api_code.ts";
import { PyFloat } from "../lib/data/json.ts";
import { OdaError } from "../lib/errors.ts";
import { getLogger, type LogRecord } from "../lib/log.ts";
import { sandboxTypes, SHIPPED_TYPES } from "../tools/gen_types.ts";
import { assert, assertEquals, assertMatch } from "./client_replay.ts";
import { PYTHON, testWithTool } from "./_validators.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("typed params: the shipped types are what the sandbox describes (regenerate: deno run -A tools/gen_types.ts)", async () => {
  const fresh = await sandboxTypes();
  const shipped = await Deno.readTextFile(SHIPPED_TYPES);
  assert(
    fresh === shipped,
    "lib/client/mmoda_products.ts is out of date: run `deno run -A tools/gen_types.ts`",
  );
  const instruments = Object.keys(MMODA_PRODUCTS.instruments);
  for (const i of ["isgri", "jemx", "spi_acs", "empty", "empty-async"]) assert(instruments.includes(i), i);
  assertEquals(Object.keys(MMODA_PRODUCTS.instruments.isgri).sort(), [
    "isgri_image",
    "isgri_lc",
    "isgri_spectrum",
  ]);
});

/** `deno check` of small files importing the package (one run: type-checking is the slow part). */
async function denoCheck(dir: string, files: Record<string, string>): Promise<{ ok: boolean; text: string }> {
  for (const [name, code] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, code.replaceAll("MOD", new URL("mod.ts", ROOT).href));
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--config", `${dir}/deno.json`, ...Object.keys(files).map((f) => `${dir}/${f}`)],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { ok: out.success, text: new TextDecoder().decode(out.stderr) };
}

Deno.test("typed params: deno check accepts right queries and names a wrong product, parameter or value", async () => {
  await Deno.mkdir(new URL(".tmp/", ROOT), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: new URL(".tmp/", ROOT).pathname, prefix: "typed-" });
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, "{}");
    const OK = `import { DispatcherAPI, type GetProductOptions, pyFloat } from "MOD";
const disp = new DispatcherAPI({ url: "http://127.0.0.1:9", token: null });
await disp.getProduct({ instrument: "isgri", product: "isgri_image", E1_keV: 28, E2_keV: pyFloat(40), osa_version: "OSA11.2", scw_list: ["066500220010.001"], silent: true });
await disp.submit({ instrument: "jemx", product: "jemx_lc", jemx_num: 2, T1: new Date(), time_bin: 100 });
const name: string = "polar";
await disp.getProduct({ instrument: name, product: "polar_lc", anything: 1 }); // run-time names: unchecked
await disp.getProduct<GetProductOptions>({ instrument: "polar", product: "polar_lc", anything: 1 }); // escape hatch
// deno-lint-ignore no-explicit-any
await disp.getProduct<any>({ instrument: "isgri", product: "isgri_imag" }); // escape hatch
`;
    const BAD = `import { DispatcherAPI, sandboxCatalogue } from "MOD";
const disp = new DispatcherAPI({ url: "http://127.0.0.1:9", token: null });
await disp.getProduct({ instrument: "isgri", product: "isgri_imag", E1_keV: 28 });
await disp.getProduct({ instrument: "isgri", product: "isgri_image", E1_kev: 28 });
await disp.getProduct({ instrument: "isgri", product: "isgri_image", osa_version: "OSA9" });
await disp.submit({ instrument: "jemx", product: "jemx_lc", integral_data_rights: "private" });
await disp.getProduct({ instrument: "isgry", product: "isgri_image" });
console.log(sandboxCatalogue().isgri.isgri_image.E1_kev);
`;
    // the Deno rendering of API code type-checks too
    const rendered = renderApiCode(
      {
        instrument: "isgri",
        product: "isgri_image",
        E1_keV: new PyFloat(28),
        scw_list: ["066500220010.001"],
      },
      { url: "http://127.0.0.1:9", language: "typescript" },
    ).replace('"@oda-hub/oda-api"', '"MOD"').replace(
      "new DispatcherAPI({",
      "new DispatcherAPI({ token: null,",
    );
    // types generated for another service (here: jemx only), used as `DispatcherAPI<JemxProducts>`
    const generated = generateProductTypes({ instruments: { jemx: MMODA_PRODUCTS.instruments.jemx } }, {
      name: "JemxProducts",
      importFrom: new URL("types.ts", ROOT).href,
    });
    const OWN = `import { DispatcherAPI } from "MOD";
import type { JemxProducts } from "./jemx_products.ts";
const own = new DispatcherAPI<JemxProducts>({ url: "http://127.0.0.1:9", token: null });
await own.getProduct({ instrument: "jemx", product: "jemx_image", jemx_num: 1 });
await own.getProduct({ instrument: "isgri", product: "isgri_image" });
`;
    const bad = await denoCheck(dir, {
      "ok.ts": OK,
      "rendered.ts": rendered,
      "jemx_products.ts": generated,
      "own.ts": OWN,
      "bad.ts": BAD,
    });
    assert(!bad.text.includes("jemx_products.ts:"), bad.text);
    assertMatch(bad.text, /Type '"isgri"' is not assignable to type '"jemx"'[\s\S]*own\.ts:5/);
    assert(!bad.text.includes("rendered.ts:"), bad.text);
    assert(!bad.text.includes("ok.ts:"), bad.text); // the right queries pass
    assert(!bad.ok, "bad.ts must fail deno check");
    assertMatch(
      bad.text,
      /Type '"isgri_imag"' is not assignable to type '"isgri_image" \| "isgri_spectrum" \| "isgri_lc"'/,
    );
    assertMatch(bad.text, /Did you mean '"isgri_image"'\?/);
    assertMatch(
      bad.text,
      /Type 'number' is not assignable to type '"unknown parameter of isgri\/isgri_image"'/,
    );
    assertMatch(
      bad.text,
      /Type '"OSA9"' is not assignable to type '"OSA10.2" \| "OSA11.0" \| "OSA11.1" \| "OSA11.2"/,
    );
    assertMatch(bad.text, /Type '"private"' is not assignable to type '"public" \| "all-private"/);
    assertMatch(bad.text, /Type '"isgry"' is not assignable to type 'keyof MmodaProducts'/);
    assertMatch(bad.text, /Property 'E1_kev' does not exist on type .*Did you mean 'E1_keV'\?/);
    assertMatch(bad.text, /Found 7 errors/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("typed params: the runtime catalogue completes and builds checked queries", () => {
  const catalogue = sandboxCatalogue();
  assert(catalogue.instruments.includes("spi_acs"));
  const image = catalogue.isgri.isgri_image;
  const untyped = catalogue.product("isgri", "isgri_image"); // run-time checks of what the types already refuse
  // what a notebook completes: own properties, in the server's order
  assert(Object.keys(catalogue).includes("isgri"));
  assert(Object.keys(image).includes("E1_keV") && Object.keys(image).includes("osa_version"));
  assertEquals(image.E1_keV.units, "keV");
  assertEquals(image.E1_keV.value, 20);
  assertEquals(image.osa_version.allowed_values, ["OSA10.2", "OSA11.0", "OSA11.1", "OSA11.2"]);
  assertEquals(image.radius.min_value, 0);
  assertEquals(image.defaults().E2_keV, 40);
  const q = image.query({ E1_keV: 30, osa_version: "OSA10.2" });
  assertEquals(q, { E1_keV: 30, osa_version: "OSA10.2", instrument: "isgri", product: "isgri_image" });
  const e = (() => {
    try {
      untyped.query({ osa_version: "OSA9" });
    } catch (e) {
      return e as OdaError;
    }
  })();
  assert(e instanceof OdaError && e.code === "INVALID_ARGUMENT");
  assertMatch(
    e.message,
    /osa_version='OSA9' is not among the allowed values: \['OSA10.2', 'OSA11.0', 'OSA11.1', 'OSA11.2'\]/,
  );
  let unknown: unknown;
  try {
    untyped.query({ E1_kev: 30 });
  } catch (err) {
    unknown = err;
  }
  assert(unknown instanceof OdaError && unknown.code === "UNKNOWN_PARAMETER");
  // kinds and bounds
  const radius = image.radius;
  assertEquals(checkParameterValue(radius, 200), "radius=200 is above the maximum 180");
  assertEquals(checkParameterValue(radius, "15"), undefined);
  assertMatch(checkParameterValue(radius, "wide")!, /is not a number/);
  assertMatch(checkParameterValue(catalogue.jemx.jemx_lc.jemx_num, 1.5)!, /not an integer|not among/);
  assertEquals(checkParameterValue(image.image_scale_min, null), undefined);
  assertMatch(checkParameterValue(image.E1_keV, null)!, /required/);
});

Deno.test("typed params: the server's description, oda types, validation before sending", async () => {
  const sb = await startSandbox({ port: 0, seed: 2 });
  const records: LogRecord[] = [];
  const detach = getLogger("oda_api").addHandler((r) => records.push(r));
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const catalogue = await Catalogue.fromServer(disp, { instruments: ["jemx"] });
    assertEquals(catalogue.instruments, ["jemx"]);
    assertEquals(catalogue.jemx.jemx_lc.jemx_num.max_value, 2);
    // the CLI writes the same text as the library
    const { main } = await import("../cli.ts");
    let out = "";
    const io = {
      out: (t: string) => void (out += t),
      err: () => {},
      env: () => undefined,
      isTerminal: false,
    };
    assertEquals(await main(["types", "--url", sb.url, "-i", "jemx", "--name", "JemxProducts"], io), 0);
    const lib = generateProductTypes(await describeDispatcher(disp, { instruments: ["jemx"] }), {
      name: "JemxProducts",
      importFrom: "@oda-hub/oda-api/types",
      source: `the dispatcher at ${sb.url}`,
    });
    assertEquals(out, lib);
    assertMatch(out, /export interface JemxProducts \{/);
    assertMatch(out, /jemx_num\?: number;/);
    assertMatch(out, /export const JEMX_PRODUCTS: DispatcherDescription = /);

    // validation from the catalogue: a wrong value fails before any request
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const checked = new DispatcherAPI({
      url: sb.url,
      token: null,
      catalogue: sandboxCatalogue(),
      fetch: counting,
    });
    let err: unknown;
    try {
      await checked.getProduct<GetProductOptions>({
        instrument: "jemx",
        product: "jemx_lc",
        jemx_num: 3,
        silent: true,
      });
    } catch (e) {
      err = e;
    }
    assert(err instanceof OdaError && err.code === "INVALID_ARGUMENT", String(err));
    assertMatch(err.message, /jemx\/jemx_lc: jemx_num=3 is above the maximum 2/);
    assertEquals(requests, 0);
    // unknown names: the usual warning, from the catalogue (no par-names round trip), or an error when strict
    records.length = 0;
    const job = await checked.submit<GetProductOptions>({
      instrument: "spi_acs",
      product: "spi_acs_lc",
      T1: "2022-07-01T00:00:00",
      T2: "2022-07-01T00:01:00",
      typo_par: 1,
      silent: true,
    });
    assert(records.some((r) => r.message.includes("the parameter: typo_par   is not among valid ones")));
    assertEquals(requests, job.requests, "no request but the query's own");
    checked.strict_parameter_check = true;
    let strict: unknown;
    try {
      await checked.submit<GetProductOptions>({
        instrument: "spi_acs",
        product: "spi_acs_lc",
        typo_par: 1,
        silent: true,
      });
    } catch (e) {
      strict = e;
    }
    assert(strict instanceof OdaError && strict.code === "UNKNOWN_PARAMETER");
    await job.wait({ silent: true });
  } finally {
    detach();
    await sb.close();
  }
});

// The Deno kernel completes from run-time objects only: the catalogue is such an object.
const COMPLETE_PY = `
import sys, json
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="deno", cwd=sys.argv[2])
try:
    r = kc.execute_interactive('import { sandboxCatalogue } from "%s";\\nconst catalogue = sandboxCatalogue();' % sys.argv[1], timeout=240)
    out = {"status": r["content"]["status"]}
    for code in sys.argv[3:]:
        kc.complete(code, len(code))
        out[code] = kc.get_shell_msg(timeout=60)["content"].get("matches")
    print(json.dumps(out))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`;

testWithTool(
  "typed params: the Deno kernel completes instruments, products and parameters of the catalogue",
  "jupyter",
  async () => {
    const codes = [
      "catalogue.isgri.isgri_image.E1",
      "catalogue.jemx.jemx_l",
      "catalogue.spi_acs.spi_acs_lc.time_b",
    ];
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", COMPLETE_PY, new URL("mod.ts", ROOT).href, new URL(".", ROOT).pathname, ...codes],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert(out.success, new TextDecoder().decode(out.stderr).slice(-2000));
    const got = JSON.parse(text.trim().split("\n").at(-1)!) as Record<string, unknown>;
    assertEquals(got.status, "ok");
    assertEquals(got[codes[0]], ["E1_keV"]);
    assertEquals(got[codes[1]], ["jemx_lc"]);
    assert((got[codes[2]] as string[]).includes("time_bin"), JSON.stringify(got));
  },
);

/** A minimal LSP client over `deno lsp` stdio: requests with ids, notifications, replies by id. */
class Lsp {
  #proc: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf = new Uint8Array(0);
  #id = 0;
  constructor() {
    this.#proc = new Deno.Command(Deno.execPath(), {
      args: ["lsp"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.#writer = this.#proc.stdin.getWriter();
    this.#reader = this.#proc.stdout.getReader();
    // never hang the suite: a language server that does not answer in 3 minutes is killed (the test then fails)
    this.#watchdog = setTimeout(() => this.#proc.kill(), 180_000);
  }
  #watchdog: ReturnType<typeof setTimeout>;
  async #send(msg: Record<string, unknown>): Promise<void> {
    const body = new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", ...msg }));
    await this.#writer.write(new TextEncoder().encode(`Content-Length: ${body.length}\r\n\r\n`));
    await this.#writer.write(body);
  }
  notify(method: string, params: unknown): Promise<void> {
    return this.#send({ method, params });
  }
  async request(method: string, params: unknown): Promise<unknown> {
    const id = ++this.#id;
    await this.#send({ id, method, params });
    for (;;) {
      const m = await this.#next();
      if (m.id === id && m.method === undefined) return m.result;
      if (m.method !== undefined && m.id !== undefined) await this.#send({ id: m.id, result: null });
    }
  }
  async #next(): Promise<{ id?: number; method?: string; result?: unknown | undefined }> {
    for (;;) {
      const head = new TextDecoder().decode(this.#buf.subarray(0, Math.min(this.#buf.length, 100)));
      const m = /^Content-Length: (\d+)\r\n\r\n/.exec(head);
      if (m && this.#buf.length >= m[0].length + Number(m[1])) {
        const body = this.#buf.subarray(m[0].length, m[0].length + Number(m[1]));
        this.#buf = this.#buf.slice(m[0].length + Number(m[1]));
        return JSON.parse(new TextDecoder().decode(body));
      }
      const r = await this.#reader.read();
      if (r.done) throw new Error("deno lsp closed its output");
      const b = new Uint8Array(this.#buf.length + r.value.length);
      b.set(this.#buf);
      b.set(r.value, this.#buf.length);
      this.#buf = b;
    }
  }
  async close(): Promise<void> {
    await this.request("shutdown", null).catch(() => {});
    await this.notify("exit", null).catch(() => {});
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
    await this.#proc.status;
    clearTimeout(this.#watchdog);
  }
}

Deno.test("typed params: Deno's language server completes the parameter names of a product", async () => {
  await Deno.mkdir(new URL(".tmp/", ROOT), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: new URL(".tmp/", ROOT).pathname, prefix: "lsp-" });
  const file = new URL(`file://${dir}/case.ts`);
  const text = `import { DispatcherAPI } from "${new URL("mod.ts", ROOT).href}";
const disp = new DispatcherAPI({ url: "http://127.0.0.1:9", token: null });
await disp.getProduct({ instrument: "jemx", product: "jemx_lc", jemx });
`;
  await Deno.writeTextFile(file, text);
  const lsp = new Lsp();
  try {
    await lsp.request("initialize", {
      processId: null,
      rootUri: `file://${dir}/`,
      capabilities: {},
      initializationOptions: { enable: true },
    });
    await lsp.notify("initialized", {});
    await lsp.notify("textDocument/didOpen", {
      textDocument: { uri: file.href, languageId: "typescript", version: 1, text },
    });
    const line = text.split("\n")[2];
    const result = await lsp.request("textDocument/completion", {
      textDocument: { uri: file.href },
      position: { line: 2, character: line.indexOf("jemx });") + 4 },
    }) as { items?: { label: string }[] } | { label: string }[];
    const labels = (Array.isArray(result) ? result : result.items ?? []).map((i) =>
      i.label.replace(/\?$/, "")
    );
    for (const name of ["jemx_num", "E1_keV", "time_bin", "osa_version"]) {
      assert(
        labels.includes(name),
        `${name} not completed: ${labels.filter((l) => /^[a-zA-Z]/.test(l)).slice(0, 40)}`,
      );
    }
    assert(!labels.includes("isgri_image"));
  } finally {
    await lsp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
