/**
 * The `oda` command line and the demo, driven against a real sandbox over
 * HTTP on 127.0.0.1: exit codes, files written, output shape, and that no
 * token is ever printed.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { main } from "../cli.ts";
import { EXIT } from "../lib/cli/io.ts";
import { runDemo } from "../lib/cli/demo.ts";
import { startSandbox } from "../sandbox.ts";
import { assertFitsverifyClean, PYTHON, testWithTool } from "./_validators.ts";
import { runChromium } from "./_chromium.ts";
import { type CapturedIO, captureIO } from "./_cli_io.ts";

const capture = (env: Record<string, string> = {}): CapturedIO => captureIO({ env });

const ROLES = "general, unige-hpc-full, refresh-tokens, job manager";
const CLAIMS = { sub: "cli-user@example.org", email: "cli-user@example.org", name: "CLI User", roles: ROLES };

function assertStringIncludes(text: string, part: string): void {
  assert(text.includes(part), `expected to find ${JSON.stringify(part)} in:\n${text.slice(0, 2000)}`);
}

function assertNoToken(token: string, ...texts: string[]): void {
  for (const t of texts) assert(!t.includes(token), "a token was printed");
}

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number } & CapturedIO> {
  const io = capture(env);
  const code = await main(args, io);
  return Object.assign(io, { code });
}

Deno.test("cli: instruments, describe, resolve against the sandbox", async () => {
  await using sb = await startSandbox({ seed: 3 });
  const token = await sb.mintToken(CLAIMS);
  const base = ["--url", sb.url, "--token", token, "-q"];

  const inst = await run([...base, "instruments", "--json"]);
  assertEquals(inst.code, EXIT.OK, inst.stderr);
  const list = JSON.parse(inst.stdout) as string[];
  for (const name of ["isgri", "spi_acs"]) assert(list.includes(name), `${name} missing from ${list}`);

  const d = await run([...base, "describe", "-i", "isgri", "-p", "isgri_lc"]);
  assertEquals(d.code, EXIT.OK, d.stderr);
  assertStringIncludes(d.stdout, "time_bin");
  assertStringIncludes(d.stdout, "query_name: isgri_parameters");

  const r = await run([...base, "resolve", "Crab"]);
  assertEquals(r.code, EXIT.OK, r.stderr);
  const resolved = JSON.parse(r.stdout) as Record<string, unknown>;
  assert(Math.abs(Number(resolved.RA) - 83.633) < 0.01, r.stdout);

  const all = await run([...base, "describe", "-i", "spi_acs", "--json"]);
  assertEquals(all.code, EXIT.OK, all.stderr);
  const meta = JSON.parse(all.stdout);
  assert(JSON.stringify(meta).includes("spi_acs_lc"), "instrument description lists its products");

  assertNoToken(
    token,
    inst.stdout,
    inst.stderr,
    d.stdout,
    d.stderr,
    r.stdout,
    r.stderr,
    all.stdout,
    all.stderr,
  );
});

Deno.test("cli: token disable-email prints the new payload with e-mails off", async () => {
  await using sb = await startSandbox({ seed: 4 });
  const token = await sb.mintToken({ ...CLAIMS, mssub: true, msdone: true, msfail: true });
  const out = await run(["--url", sb.url, "--token", token, "token", "disable-email"]);
  assertEquals(out.code, EXIT.OK, out.stderr);
  for (const flag of ["mssub", "msdone", "msfail"]) {
    assert(new RegExp(`"${flag}": false`).test(out.stdout), `${flag} off in:\n${out.stdout}`);
  }
  assertStringIncludes(out.stdout, "token expires in");
  assertNoToken(token, out.stdout, out.stderr);
});

Deno.test("cli: get saves products and prints the collection (text and JSON)", async () => {
  await using sb = await startSandbox({ seed: 5 });
  const token = await sb.mintToken(CLAIMS);
  const out = await Deno.makeTempDir({ prefix: "oda-cli-get-" });
  try {
    const args = [
      "--url",
      sb.url,
      "--token",
      token,
      "get",
      "-i",
      "spi_acs",
      "-p",
      "spi_acs_lc",
      "-a",
      "T1=2022-07-01T00:00:00",
      "-a",
      "T2=2022-07-01T00:05:00",
      "-a",
      "time_bin=2",
      "--out",
      out,
    ];
    const text = await run(args);
    assertEquals(text.code, EXIT.OK, text.stderr);
    assertMatch(text.stdout, /^ID=0 prod_name=spi_acs_lc_0_query {2}meta_data: \{'src_name': 'query'/m);
    const files = [...Deno.readDirSync(out)].map((e) => e.name);
    assertEquals(files, ["spi_acs_lc_0_query.fits"]);

    const json = await run([...args, "--json", "-q"]);
    assertEquals(json.code, EXIT.OK, json.stderr);
    const parsed = JSON.parse(json.stdout) as { products: { prod_name: string; data_unit: unknown[] }[] };
    assertEquals(parsed.products[0].prod_name, "spi_acs_lc_0_query");
    assertEquals(parsed.products[0].data_unit.length, 2);
    assertNoToken(token, text.stdout, text.stderr, json.stdout, json.stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli: get --no-wait prints a handle that jobs resume finishes", async () => {
  await using sb = await startSandbox({ seed: 7, jobDuration: 0.6 });
  const token = await sb.mintToken(CLAIMS);
  const base = ["--url", sb.url, "--token", token, "-q"];
  const submitted = await run([
    ...base,
    "get",
    "-i",
    "isgri",
    "-p",
    "isgri_image",
    "-a",
    "RA=83.63",
    "-a",
    "DEC=22.01",
    "-a",
    "max_pointings=2",
    "--no-wait",
  ]);
  assertEquals(submitted.code, EXIT.OK, submitted.stderr);
  const handle = JSON.parse(submitted.stdout) as Record<string, unknown>;
  assertEquals(handle.kind, "oda-job");
  assertMatch(String(handle.job_id), /^[0-9a-f]{16}$/);
  assertNoToken(token, submitted.stdout);

  const resumed = await run([...base, "jobs", "resume", submitted.stdout, "--json"]);
  assertEquals(resumed.code, EXIT.OK, resumed.stderr);
  const names = (JSON.parse(resumed.stdout).products as { prod_name: string }[]).map((p) => p.prod_name);
  assertEquals(names, ["mosaic_image_0_mosaic", "dispatcher_catalog_1"]);

  const jobs = await run([...base, "jobs", "list"]);
  assertEquals(jobs.code, EXIT.OK, jobs.stderr);
  assertStringIncludes(jobs.stdout, String(handle.job_id));
  assertNoToken(token, resumed.stdout, resumed.stderr, jobs.stdout, jobs.stderr);
});

Deno.test("cli: exit codes for usage errors, bad tokens and bad parameters", async () => {
  await using sb = await startSandbox({ seed: 9 });
  const expired = await sb.mintToken(CLAIMS, { expiresIn: -3600 });
  const token = await sb.mintToken(CLAIMS);

  const usage = await run(["get", "-i", "isgri"]);
  assertEquals(usage.code, EXIT.USAGE);
  assertStringIncludes(usage.stderr, "--product");

  const unknown = await run(["--frobnicate"]);
  assertEquals(unknown.code, EXIT.USAGE);

  const notANumber = await run(["--url", sb.url, "get", "-i", "empty", "-p", "dummy", "--timeout", "soon"]);
  assertEquals(notANumber.code, EXIT.USAGE);
  assertStringIncludes(notANumber.stderr, "'soon' is not a positive number of seconds");

  const badPair = await run([
    "--url",
    sb.url,
    "--token",
    token,
    "get",
    "-i",
    "isgri",
    "-p",
    "isgri_image",
    "-a",
    "RA",
  ]);
  assertEquals(badPair.code, EXIT.USAGE);
  assertStringIncludes(badPair.stderr, "key=value");

  const denied = await run([
    "--url",
    sb.url,
    "--token",
    expired,
    "get",
    "-i",
    "spi_acs",
    "-p",
    "spi_acs_lc",
  ]);
  assertEquals(denied.code, EXIT.UNAUTHORIZED, denied.stderr);
  // --token is warned about (process list); then the error: one line, no advice banner, no stack
  const lines = denied.stderr.trim().split("\n");
  assertEquals(lines.length, 2, denied.stderr);
  assertMatch(lines[0], /--token puts your token in the process list.*ODA_TOKEN/);
  assertMatch(lines[1], /^error: /);
  assert(!/please beware|\bat .*:\d+:\d+/.test(denied.stderr), denied.stderr);
  assertNoToken(expired, denied.stdout, denied.stderr);
  // the same with the token from ODA_TOKEN (a subprocess, so the variable is its own): only the error line (a 400)
  const viaEnv = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli.ts", import.meta.url).pathname,
      "--url",
      sb.url,
      "get",
      "-i",
      "no_such_instrument",
      "-p",
      "x",
    ],
    env: { ODA_TOKEN: token, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const envErr = new TextDecoder().decode(viaEnv.stderr).trim();
  assertEquals(viaEnv.code, EXIT.ERROR, envErr);
  assertEquals(envErr.split("\n").length, 1, envErr);
  assertMatch(envErr, /^error: request not understood: /);
  assertNoToken(token, envErr, new TextDecoder().decode(viaEnv.stdout));

  // a multi-line message is still one line
  const badUrl = await run(["--url", "ftp://x y", "instruments"]);
  assertEquals(badUrl.code, EXIT.USAGE);
  assertEquals(badUrl.stderr.trim().split("\n").length, 1, badUrl.stderr);

  const inspectExpired = await run(["--token", expired, "token", "inspect"]);
  assertEquals(inspectExpired.code, EXIT.ERROR);
  assertMatch(inspectExpired.stdout, /token expired \d+\.\d h ago!/);
  assertNoToken(expired, inspectExpired.stdout, inspectExpired.stderr);

  const inspectOk = await run(["--token", token, "token", "inspect", "--json"]);
  assertEquals(inspectOk.code, EXIT.OK);
  const info = JSON.parse(inspectOk.stdout);
  assertEquals(info.payload.sub, CLAIMS.sub);
  assert(info.roles.includes("refresh-tokens"));
  assertNoToken(token, inspectOk.stdout);

  const help = await run(["get", "--help"]);
  assertEquals(help.code, EXIT.OK);
  assertStringIncludes(help.stdout, "--no-wait");
});

Deno.test("cli (subprocess): token inspect without any token exits 1; refresh --write writes a 0600 file", async () => {
  await using sb = await startSandbox({ seed: 11 });
  const token = await sb.mintToken(CLAIMS, { expiresIn: 3600 });
  const dir = await Deno.makeTempDir({ prefix: "oda-cli-token-" });
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  // A clean environment with a temporary HOME, but the warm module cache.
  const env = {
    HOME: dir,
    PATH: Deno.env.get("PATH") ?? "",
    NO_COLOR: "1",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
  };
  try {
    const none = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "token", "inspect"],
      cwd: dir,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(none.code, EXIT.ERROR);
    assertStringIncludes(new TextDecoder().decode(none.stderr), "no token found");

    await Deno.writeTextFile(`${dir}/.oda-token`, token, { mode: 0o600 });
    const refreshed = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "--url", sb.url, "token", "refresh", "--write"],
      cwd: dir,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(refreshed.stdout), err = new TextDecoder().decode(refreshed.stderr);
    assertEquals(refreshed.code, EXIT.OK, err);
    assertStringIncludes(out, "your new token payload");
    const written = (await Deno.readTextFile(`${dir}/.oda-token`)).trim();
    assert(written !== token, "the refreshed token was written");
    assertEquals((await Deno.stat(`${dir}/.oda-token`)).mode! & 0o777, 0o600);
    assert([...Deno.readDirSync(dir)].some((e) => e.name.startsWith("old-oda-token_")), "old token kept");
    assertNoToken(token, out, err);
    assertNoToken(written, out, err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The report of the first demo test's run (kept in tests/out/demo/): the screenshot test reuses it. */
let demoReport: string | undefined;

testWithTool(
  "demo: runs the whole workflow, writes FITS files and an HTML report",
  "fitsverify",
  async () => {
    const out = new URL("./out/demo", import.meta.url).pathname;
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await Deno.mkdir(out, { recursive: true });
    const io = capture();
    const result = await runDemo({ out, seed: 42, jobSeconds: 0.5, io });
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    for (
      const want of [
        "index.html",
        "image_mosaic_image_0_mosaic.fits",
        "image_dispatcher_catalog_1.ecsv",
        "spi_acs_spi_acs_lc_0_query.fits",
      ]
    ) assert(names.includes(want), `${want} missing: ${names}`);
    const spectra = names.filter((n) => /^prod_\d_.*_isgri_(spectrum|arf|rmf)\.fits$/.test(n));
    assert(spectra.length >= 3 && spectra.length % 3 === 0, `spectrum sets: ${spectra}`);
    assert(names.some((n) => /^lc_isgri_lc_0_.*\.fits$/.test(n)), "ISGRI light curve saved");
    for (const f of names.filter((n) => n.endsWith(".fits"))) await assertFitsverifyClean(`${out}/${f}`);
    const html = await Deno.readTextFile(result.report);
    assert((html.match(/<svg/g) ?? []).length >= 4, "plots in the report");
    assertStringIncludes(html, "ISGRI light curve of");
    assertMatch(html, /Time \[[dhs]\] since \d{4}-\d\d-\d\d \d\d:\d\d.*IJD = MJD − 51544/);
    assertStringIncludes(io.stdout, "prod_name=mosaic_image_0_mosaic");
    assertMatch(io.stdout, /== done in \d+\.\d s/);
    demoReport = result.report;
  },
);

testWithTool("demo: index.html renders in headless Chromium", ["chromium", "python3"], async () => {
  const out = await Deno.makeTempDir({ prefix: "oda-demo-shot-" });
  try {
    // the report of the test above; a run of its own when that one did not run (filtered, or failed)
    const report = demoReport ?? (await runDemo({ out, seed: 1, jobSeconds: 0.2, io: capture() })).report;
    const shot = `${out}/shot.png`;
    const r = await runChromium([
      `--screenshot=${shot}`,
      "--window-size=1200,2400",
      `file://${report}`,
    ]);
    assert(r.code === 0, r.stderr);
    // The page is not blank: count distinct colours in the screenshot.
    const py = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import sys,zlib,struct\nd=open(sys.argv[1],'rb').read()\nassert d[:8]==b'\\x89PNG\\r\\n\\x1a\\n'\n" +
        "print(len(d))",
        shot,
      ],
      stdout: "piped",
    }).output();
    const size = Number(new TextDecoder().decode(py.stdout).trim());
    assert(size > 100_000, `screenshot too small (${size} bytes): page probably blank`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli: a repeated -a key: list parameters collect, others keep the last value (with a warning)", async () => {
  const { parseKeyValues } = await import("../lib/cli/main.ts");
  const dropped: string[] = [];
  assertEquals(
    parseKeyValues(
      ["RA=1", "scw_list=A", "RA=2", "scw_list=B", "DEC=3", "one_list=x"],
      (k) => dropped.push(k),
    ),
    Object.assign(Object.create(null), { RA: "2", scw_list: ["A", "B"], DEC: "3", one_list: "x" }),
  );
  assertEquals(dropped, ["RA"]);
  await using sb = await startSandbox({ seed: 5 });
  const r = await run([
    "--url",
    sb.url,
    "get",
    "-i",
    "empty",
    "-p",
    "numerical",
    "--type",
    "Dummy",
    "-a",
    "p=500",
    "-a",
    "p=5",
    "--json",
  ]);
  // `numerical` refuses p > 800 but needs the `general` role: what matters is which p was sent
  assertMatch(r.stderr, /-a p given more than once: using the last value \(5\), not 500/);
});
