/**
 * Test helper: external validators (astropy, fitsverify, jupyter, chromium, python3).
 *
 * Tests that need an external tool register themselves through {@linkcode testWithTool}:
 *
 * - tool available → the test is registered normally;
 * - tool missing and `CI=true` → a test that FAILS with a message saying what to install;
 * - tool missing outside CI → the test is registered with `ignore: true` (reported as
 *   "ignored", never "passed") and a loud warning is printed to stderr once per tool.
 *
 * ```ts
 * import { PYTHON, testWithTool } from "./_validators.ts";
 * testWithTool("FITS opens in astropy", "astropy", async () => {
 *   const out = await new Deno.Command(PYTHON, { args: ["-c", "import astropy"] }).output();
 *   if (!out.success) throw new Error("astropy failed");
 * });
 * ```
 *
 * Detection results are cached per process. `ODA_VALIDATORS_MISSING=jupyter,chromium` makes the
 * helper treat those tools as missing (to test the helper itself, or to see what CI would report).
 *
 * @module
 */

/** The external tools tests may depend on. */
export type ToolName =
  | "astropy"
  | "fitsverify"
  | "jupyter"
  | "chromium"
  | "python3"
  | "openssl"
  | "node"
  | "regions";

/** Result of a tool check. */
export interface ToolStatus {
  /** Whether the tool can be used. */
  available: boolean;
  /** Human-readable detail (what was checked / why it is missing). */
  detail: string;
}

/** Path of the system Python that has astropy/numpy/jupyter_client (Debian packages). */
export const PYTHON = "/usr/bin/python3";
/** Path of the Chromium binary used for screenshots. */
export const CHROMIUM = "/usr/bin/chromium";

/** What to install when a tool is missing (Debian package names, see .ci/run). */
const INSTALL_HINT: Record<ToolName, string> = {
  python3: "apt-get install -y python3",
  astropy: "apt-get install -y --no-install-recommends python3-astropy python3-numpy",
  fitsverify: "apt-get install -y --no-install-recommends fitsverify",
  jupyter:
    "apt-get install -y --no-install-recommends jupyter-nbconvert python3-jupyter-client python3-nbclient && deno jupyter --install --force",
  chromium: "apt-get install -y --no-install-recommends chromium fonts-dejavu-core",
  openssl: "apt-get install -y --no-install-recommends openssl",
  node: "apt-get install -y --no-install-recommends nodejs (version 20 or later)",
  regions: "apt-get install -y --no-install-recommends python3-regions",
};

const cache = new Map<ToolName, ToolStatus>();
const warned = new Set<ToolName>();

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  try {
    const out = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).outputSync();
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { ok: false, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  for (const dir of path.split(":")) {
    if (dir && isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

function pythonImports(modules: string): ToolStatus {
  if (!isFile(PYTHON)) return { available: false, detail: `${PYTHON} not found` };
  const r = run(PYTHON, ["-c", `import ${modules}`]);
  return r.ok ? { available: true, detail: `${PYTHON}: import ${modules} ok` } : {
    available: false,
    detail: `${PYTHON} -c "import ${modules}" failed: ${r.stderr.trim().split("\n").pop()}`,
  };
}

function denoKernelspec(): ToolStatus {
  const home = Deno.env.get("HOME") ?? "";
  const xdg = Deno.env.get("XDG_DATA_HOME");
  const candidates = [
    ...(xdg ? [`${xdg}/jupyter/kernels/deno/kernel.json`] : []),
    `${home}/.local/share/jupyter/kernels/deno/kernel.json`,
    "/usr/local/share/jupyter/kernels/deno/kernel.json",
    "/usr/share/jupyter/kernels/deno/kernel.json",
  ];
  for (const c of candidates) {
    if (isFile(c)) return { available: true, detail: `deno kernelspec at ${c}` };
  }
  const jupyter = onPath("jupyter");
  if (jupyter) {
    const r = run(jupyter, ["kernelspec", "list"]);
    if (r.ok && /^\s*deno\s/m.test(r.stdout)) return { available: true, detail: "deno kernelspec listed" };
  }
  return {
    available: false,
    detail: "the Deno Jupyter kernelspec is not installed (run `deno jupyter --install`)",
  };
}

function detect(name: ToolName): ToolStatus {
  switch (name) {
    case "python3": {
      if (!isFile(PYTHON)) return { available: false, detail: `${PYTHON} not found` };
      const r = run(PYTHON, ["-c", "import sys; print(sys.version)"]);
      return r.ok
        ? { available: true, detail: `${PYTHON} ${r.stdout.trim().split(" ")[0]}` }
        : { available: false, detail: `${PYTHON} does not run: ${r.stderr.trim()}` };
    }
    case "astropy":
      return pythonImports("astropy, numpy");
    case "regions":
      return pythonImports("regions");
    case "fitsverify": {
      const p = onPath("fitsverify");
      return p ? { available: true, detail: p } : { available: false, detail: "fitsverify not on PATH" };
    }
    case "jupyter": {
      const py = pythonImports("jupyter_client, nbformat");
      if (!py.available) return py;
      return denoKernelspec();
    }
    case "openssl": {
      const p = onPath("openssl");
      return p ? { available: true, detail: p } : { available: false, detail: "openssl not on PATH" };
    }
    case "node": {
      const r = run("node", ["--version"]);
      const major = Number(/^v(\d+)/.exec(r.stdout.trim())?.[1]);
      return r.ok && major >= 20 ? { available: true, detail: `node ${r.stdout.trim()}` } : {
        available: false,
        detail: r.ok ? `node ${r.stdout.trim()} is older than 20` : "node not on PATH",
      };
    }
    case "chromium":
      return isFile(CHROMIUM)
        ? { available: true, detail: CHROMIUM }
        : { available: false, detail: `${CHROMIUM} not found` };
  }
}

/**
 * Check (once per process) whether a tool is usable.
 *
 * @example
 * ```ts
 * if (requireTool("fitsverify").available) console.log("can verify FITS");
 * ```
 */
export function requireTool(name: ToolName): ToolStatus {
  let s = cache.get(name);
  if (!s) {
    const pretend = (Deno.env.get("ODA_VALIDATORS_MISSING") ?? "").split(",").map((x) => x.trim());
    s = pretend.includes(name)
      ? { available: false, detail: `${name} marked missing by ODA_VALIDATORS_MISSING` }
      : detect(name);
    cache.set(name, s);
  }
  return s;
}

/** Whether this process runs under CI (`CI=true`). */
export function isCI(): boolean {
  return Deno.env.get("CI") === "true";
}

function warnOnce(tool: ToolName, status: ToolStatus): void {
  if (warned.has(tool)) return;
  warned.add(tool);
  const bar = "!".repeat(78);
  console.error(
    `\n${bar}\n!!! VALIDATOR MISSING: ${tool} (${status.detail})\n` +
      `!!! Tests that need it are IGNORED (not passed). Install: ${INSTALL_HINT[tool]}\n` +
      `!!! Under CI=true these tests FAIL instead.\n${bar}\n`,
  );
}

/** Extra `Deno.test` options passed through by {@linkcode testWithTool}. */
export type TestExtras = Omit<Deno.TestDefinition, "name" | "fn" | "ignore">;

/**
 * Register a Deno test that needs one or more external tools.
 *
 * @example
 * ```ts
 * testWithTool("fitsverify accepts our file", ["fitsverify", "astropy"], async () => {
 *   // ... run the validators
 * });
 * ```
 */
export function testWithTool(
  name: string,
  tools: ToolName | ToolName[],
  fn: (t: Deno.TestContext) => void | Promise<void>,
  extras: TestExtras = {},
): void {
  const list = Array.isArray(tools) ? tools : [tools];
  const missing = list.filter((t) => !requireTool(t).available);
  // Deno reports this helper as the test's location: name the caller in failure messages instead
  const caller = callerLocation();
  if (missing.length === 0) {
    Deno.test({
      ...extras,
      name,
      async fn(t) {
        try {
          await fn(t);
        } catch (e) {
          if (caller && e instanceof Error) e.message += `\n    (test defined at ${caller})`;
          throw e;
        }
      },
    });
    return;
  }
  const why = missing.map((t) => `${t}: ${requireTool(t).detail}; install: ${INSTALL_HINT[t]}`).join(" | ");
  if (isCI()) {
    Deno.test({
      ...extras,
      name: `${name} [validator missing: ${missing.join(", ")}]`,
      fn() {
        throw new Error(
          `required validator missing under CI=true — ${why}${caller ? ` (test at ${caller})` : ""}`,
        );
      },
    });
    return;
  }
  for (const t of missing) warnOnce(t, requireTool(t));
  Deno.test({ ...extras, name: `${name} [IGNORED: missing ${missing.join(", ")}]`, ignore: true, fn });
}

/** `file:line` of the test file that called {@linkcode testWithTool} (Deno reports this helper instead). */
function callerLocation(): string | undefined {
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  for (const l of lines) {
    const m = /(file:\/\/[^\s)]+):(\d+):\d+/.exec(l);
    if (m && !m[1].endsWith("/_validators.ts")) {
      const cwd = `file://${Deno.cwd()}/`;
      return `${m[1].startsWith(cwd) ? m[1].slice(cwd.length) : m[1]}:${m[2]}`;
    }
  }
  return undefined;
}

/**
 * Run a Python snippet with Debian's interpreter ({@linkcode PYTHON}) and return its stdout; throws with
 * Python's stderr when it fails. `stdin` is written to the process, `args` become `sys.argv[1:]`.
 */
export async function runPython(
  code: string,
  options: { stdin?: string | undefined; args?: readonly string[] } = {},
): Promise<string> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", code, ...(options.args ?? [])],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`python failed: ${dec.decode(out.stderr)}\n${dec.decode(out.stdout)}`);
  return dec.decode(out.stdout);
}

/**
 * Run `fitsverify` on a file and fail unless it reports 0 warnings and 0 errors (the full report is checked,
 * then `-q -e` for its one-line verdict).
 */
export async function assertFitsverifyClean(path: string): Promise<void> {
  const dec = new TextDecoder();
  const full = await new Deno.Command("fitsverify", { args: [path], stdout: "piped", stderr: "piped" })
    .output();
  const text = dec.decode(full.stdout) + dec.decode(full.stderr);
  if (!/Verification found 0 warning\(s\) and 0 error\(s\)/.test(text)) {
    const problems = text.split("\n").filter((l) => /\*\*\*|Error|Warning/.test(l)).join("\n");
    throw new Error(`fitsverify reports problems for ${path}:\n${problems}`);
  }
  const quiet = await new Deno.Command("fitsverify", { args: ["-q", "-e", path], stdout: "piped" }).output();
  if (!/verification OK/.test(dec.decode(quiet.stdout))) {
    throw new Error(`fitsverify -q -e failed for ${path}`);
  }
}
