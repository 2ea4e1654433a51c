/**
 * The `oda` command line's bounds: `--timeout` on every command that talks to a dispatcher (validated, and
 * passed through to the requests), and Ctrl-C (a real SIGINT sent to the CLI run as a subprocess) cancelling
 * the running request through an `AbortSignal`: exit codes, the one `error:` line, no stack trace, nothing
 * half-written under `--out`.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { main } from "../cli.ts";
import { EXIT } from "../lib/cli/io.ts";
import { DataCollection, OdaError, TextLikeProduct } from "../mod.ts";
import { startSandbox } from "../sandbox.ts";
import { assertFired, growingTimer, TOO_SLOW } from "./_deadline.ts";
import { eventually, type Loopback, loopback } from "./_loopback.ts";
import { type CapturedIO, captureIO } from "./_cli_io.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

const capture = (signal?: AbortSignal): CapturedIO => captureIO(signal ? { signal } : {});

/** The `oda` commands that talk to a dispatcher, with the arguments each needs to get to its action. */
const DISPATCHER_COMMANDS: string[][] = [
  ["get", "-i", "isgri", "-p", "isgri_image"],
  ["types"],
  ["describe", "-i", "isgri"],
  ["instruments"],
  ["resolve", "Crab"],
  ["token", "refresh"],
  ["token", "disable-email"],
  ["jobs", "list"],
  ["jobs", "resume", "{}"],
];

/** A loopback dispatcher that never answers: each request is held until the client goes away. */
function stalling(): Loopback {
  return loopback((req) =>
    new Promise<Response>((resolve) => {
      req.signal.addEventListener("abort", () => resolve(new Response("[]")), { once: true });
    })
  );
}

/** Starts the CLI as a child process (a clean environment but for the module cache and no token). */
function spawnCli(args: string[], cwd: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd,
    clearEnv: true,
    env: {
      HOME: cwd,
      PATH: Deno.env.get("PATH") ?? "",
      NO_COLOR: "1",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits for the child; its exit code, output and how long after `t0` it ended. */
async function finished(child: Deno.ChildProcess, t0: number) {
  const out = await child.output();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

function assertOneErrorLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assertEquals(lines.length, 1, `one line expected:\n${stderr}`);
  assertMatch(lines[0], pattern);
  assert(!/\bat .*:\d+:\d+|Uncaught|stack/i.test(stderr), `no stack trace:\n${stderr}`);
}

Deno.test("cli bounds: --timeout on every dispatcher command, a positive finite number of seconds (else exit 2)", async () => {
  for (const cmd of DISPATCHER_COMMANDS) {
    const help = capture();
    assertEquals(await main([...cmd, "--help"], help), EXIT.OK);
    assert(
      /--timeout <seconds>/.test(help.stdout),
      `${cmd.join(" ")} --help lists --timeout:\n${help.stdout}`,
    );
    for (const bad of ["0", "-1", "soon", "Infinity", "NaN", " ", "1e10"]) {
      const io = capture();
      const code = await main(["--url", "http://127.0.0.1:9", ...cmd, "--timeout", bad], io);
      assertEquals(code, EXIT.USAGE, `${cmd.join(" ")} --timeout '${bad}': ${io.stderr}`);
      assert(io.stderr.includes("is not a positive number of seconds"), io.stderr);
    }
  }
  // a valid one is accepted and the command runs (against the sandbox)
  await using sb = await startSandbox({ seed: 2 });
  const ok = capture();
  assertEquals(
    await main(["--url", sb.url, "-q", "instruments", "--timeout", "30", "--json"], ok),
    EXIT.OK,
    ok.stderr,
  );
  assert((JSON.parse(ok.stdout) as string[]).includes("isgri"));
});

Deno.test("cli bounds (subprocess): --timeout ends a stalled request with exit 5 and one line; nothing saved", async () => {
  await using srv = stalling();
  const dir = await Deno.makeTempDir({ prefix: "oda-cli-timeout-" });
  try {
    const out = `${dir}/products`;
    // under load a timer may fire before the request got to the server: then again with a longer one
    await growingTimer("--timeout", 500, async (ms) => {
      const before = srv.hits.length;
      const t0 = performance.now();
      const timeout = String(ms / 1000);
      const [listed, got] = await Promise.all([
        finished(spawnCli(["--url", srv.url, "-q", "instruments", "--timeout", timeout], dir), t0),
        finished(
          spawnCli(
            [
              "--url",
              srv.url,
              "-q",
              "get",
              "-i",
              "isgri",
              "-p",
              "isgri_image",
              "--timeout",
              timeout,
              "--out",
              out,
            ],
            dir,
          ),
          t0,
        ),
      ]);
      for (const r of [listed, got]) {
        assertEquals(r.code, EXIT.UNAVAILABLE, r.stderr);
        assertOneErrorLine(r.stderr, /^error: .*(deadline|timed out|timeout)/i);
        assertEquals(r.stdout, "");
        // the client's own request timeout (60 s) is the fallback that a dropped --timeout would reach
        assertFired(`--timeout ${timeout}`, r.ms, { firesMs: ms, fallbackMs: 60_000 });
      }
      // both commands asked the stalling dispatcher
      if (!(await eventually(() => srv.hits.length - before >= 2, 500))) return TOO_SLOW;
    });
    assert(!(await exists(out)), "no --out directory without products");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli bounds (subprocess): Ctrl-C cancels a request or a job's wait: exit 130, one line, nothing saved", async () => {
  await using sb = await startSandbox({ seed: 6, jobDuration: 120 });
  const token = await sb.mintToken();
  await using srv = stalling();
  const dir = await Deno.makeTempDir({ prefix: "oda-cli-sigint-" });
  try {
    const out = `${dir}/products`;
    // a job that would run for 120 s, waited for with --out; and a request that never gets an answer
    const waiting = spawnCli(
      [
        "--url",
        sb.url,
        "--token",
        token,
        "-q",
        "get",
        "-i",
        "isgri",
        "-p",
        "isgri_image",
        "-a",
        "RA=83.63",
        "-a",
        "DEC=22.01",
        "--out",
        out,
      ],
      dir,
    );
    const stalled = spawnCli(["--url", srv.url, "describe", "-i", "isgri"], dir);
    assert(await eventually(() => sb.stats().jobs >= 1, 30_000), "the job was submitted");
    assert(await eventually(() => srv.hits.length >= 1, 30_000), "the request was sent");
    const t0 = performance.now();
    waiting.kill("SIGINT");
    stalled.kill("SIGINT");
    const [w, s] = await Promise.all([finished(waiting, t0), finished(stalled, t0)]);
    for (const r of [w, s]) {
      assertEquals(r.code, EXIT.INTERRUPTED, r.stderr);
      // `-q` or not: the one error line (the --token warning aside), no stack trace, no progress summary
      assertOneErrorLine(
        r.stderr.replace(/^.*--token puts your token.*\n/m, ""),
        /^error: interrupted \(Ctrl-C\)$/,
      );
      assertEquals(r.stdout, "");
      // the fallback: the job's end (120 s) or the request timeout (60 s), had the signal not reached them
      assertFired("Ctrl-C", r.ms, { firesMs: 0, fallbackMs: 60_000 });
      assert(!r.stderr.includes(token), "no token printed");
    }
    assert(!(await exists(out)), "no --out directory after an interrupted get");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli bounds: CliIO.signal cancels a dispatcher command (exit 130, before any request when already aborted)", async () => {
  await using sb = await startSandbox({ seed: 8 });
  const before = sb.stats().requests;
  const ac = new AbortController();
  ac.abort(new OdaError("ABORTED", "stopped by the embedding program"));
  const io = capture(ac.signal);
  assertEquals(await main(["--url", sb.url, "-q", "instruments", "--timeout", "30"], io), EXIT.INTERRUPTED);
  assertEquals(io.stderr, "error: stopped by the embedding program\n");
  assertEquals(sb.stats().requests, before, "no request sent");
  // not a dispatcher command: the signal does not concern it
  const inspect = capture(ac.signal);
  assertEquals(await main(["token", "inspect"], inspect), EXIT.ERROR);
});

Deno.test("cli bounds: saveAllData stops between files at an abort; saved files are whole, no temporary left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda-save-abort-" });
  try {
    const ac = new AbortController();
    const products = [
      new TextLikeProduct("one", "a"),
      new TextLikeProduct("two", "b"),
      new TextLikeProduct("3", "c"),
    ];
    // the abort comes while the first file is being written (a real write, then the abort)
    const first = products[0];
    const write = first.writeFile.bind(first);
    first.writeFile = async (path, options) => {
      ac.abort();
      await write(path, options);
    };
    const data = new DataCollection(products);
    let error: unknown;
    await data.saveAllData({ dir, signal: ac.signal }).catch((e) => (error = e));
    assert(error instanceof OdaError && error.code === "ABORTED", String(error));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names.length, 1, `only the file under way was finished: ${names}`);
    assert(!names.some((n) => n.endsWith(".tmp")));
    assertEquals(
      await Deno.readTextFile(`${dir}/${names[0]}`),
      await (async () => {
        const ref = await Deno.makeTempDir({ prefix: "oda-save-ref-" });
        try {
          const [path] = await new DataCollection([new TextLikeProduct("one", "a")]).saveAllData({
            dir: ref,
          });
          return await Deno.readTextFile(path);
        } finally {
          await Deno.remove(ref, { recursive: true });
        }
      })(),
    );
    // an already-aborted signal: nothing at all
    const none = await Deno.makeTempDir({ prefix: "oda-save-none-" });
    await new DataCollection([new TextLikeProduct("x", "y")]).saveAllData({ dir: none, signal: ac.signal })
      .catch(() => {});
    assertEquals([...Deno.readDirSync(none)].length, 0);
    await Deno.remove(none);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Files left in `dir` (names), sorted. */
async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Each file the interrupted demo left is whole: no temporary file, no report, FITS a whole number of blocks. */
async function assertWholeDemoFiles(out: string): Promise<void> {
  const names = await listing(out);
  assert(names.length > 0 && names.every((n) => n.startsWith("spi_acs")), names.join(", "));
  assert(!names.some((n) => n.endsWith(".tmp") || n === "index.html"), names.join(", "));
  for (const n of names.filter((n) => n.endsWith(".fits"))) {
    assertEquals((await Deno.stat(`${out}/${n}`)).size % 2880, 0, n);
  }
}

Deno.test("cli bounds: Ctrl-C (a real SIGINT) during `oda demo` exits 130 with one line, files whole, no report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda-demo-sigint-" });
  try {
    const out = `${dir}/demo`;
    // every asynchronous job of the demo would run 120 s: the SIGINT lands while the ISGRI image is awaited
    const child = spawnCli(["demo", "--out", out, "--job-seconds", "120"], dir);
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    while (!stdout.includes("== 4. ISGRI mosaic")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the demo ended early:\n${stdout}\n${await stderr}`);
      stdout += value;
    }
    const t0 = performance.now();
    child.kill("SIGINT");
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdout += r.value;
    const status = await child.status;
    const ms = performance.now() - t0;
    const err = await stderr;
    assertEquals(status.code, EXIT.INTERRUPTED, err);
    // the demo's INFO lines aside, exactly one error line, the last one, and no stack trace
    const errors = err.split("\n").filter((l) => l.startsWith("error"));
    assertEquals(errors, ["error: interrupted (Ctrl-C)"], err);
    assert(err.trimEnd().endsWith("error: interrupted (Ctrl-C)"), err);
    assert(!/\bat .*:\d+:\d+|Uncaught|stack/i.test(err), `no stack trace:\n${err}`);
    assert(!stdout.includes("== done"), stdout);
    // the fallback: the image job's end (120 s), had the signal not reached the wait
    assertFired("Ctrl-C", ms, { firesMs: 0, fallbackMs: 120_000 });
    await assertWholeDemoFiles(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli bounds: CliIO.signal cancels `oda demo`: its sandbox is closed, ODA_TOKEN untouched, no report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda-demo-signal-" });
  const previous = Deno.env.get("ODA_TOKEN");
  try {
    const ac = new AbortController();
    const io = capture(ac.signal);
    const say = io.out;
    // the process's environment is shared (other tests run in this process meanwhile): the demo never
    // puts its sandbox token there, not even while it runs
    const seen = new Set<string | undefined>();
    io.out = (t) => {
      say(t);
      seen.add(Deno.env.get("ODA_TOKEN"));
      if (io.stdout.includes("== 4. ISGRI mosaic")) {
        ac.abort(new OdaError("ABORTED", "stopped by the embedding program"));
      }
    };
    const out = `${dir}/demo`;
    const code = await main(["demo", "--out", out, "--job-seconds", "120"], io);
    assertEquals(code, EXIT.INTERRUPTED, io.stderr);
    assert(io.stderr.trimEnd().endsWith("error: stopped by the embedding program"), io.stderr);
    const url = /sandbox dispatcher running at (http:\/\/\S+)/.exec(io.stdout)![1]!;
    // the embedded sandbox no longer listens
    const refused = await fetch(`${url}/api/instr-list`).then((r) => r.body?.cancel(), (e: unknown) => e);
    assert(refused instanceof TypeError, `the sandbox at ${url} still answers`);
    assertEquals(Deno.env.get("ODA_TOKEN"), previous);
    assert([...seen].every((v) => v === previous), "ODA_TOKEN changed while the demo ran");
    assert(io.stdout.includes("== 1. token"), "the demo discovered its token");
    await assertWholeDemoFiles(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a second Ctrl-C while a file is being written exits at once and leaves no temporary file", async () => {
  // the second Ctrl-C ends the process with Deno.exit, past every `finally`: the file being written atomically
  // left its hidden `.name.<uuid>.tmp` under --out
  const dir = await Deno.makeTempDir({ prefix: "oda_cli_sigint2_" });
  try {
    const script = `${dir}/child.ts`;
    const io = new URL("../lib/cli/io.ts", import.meta.url).href;
    const atomic = new URL("../lib/data/atomic_write.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { sigintSignal } from "${io}";
import { writeAtomic } from "${atomic}";
const interrupt = sigintSignal((t) => console.error(t.trim()));
const writing = writeAtomic("${dir}/out/product.fits", async (f) => {
  await f.write(new Uint8Array(2880));
  console.log("writing");
  await new Promise((ok) => setTimeout(ok, 60_000)); // a write that the Ctrl-Cs interrupt
}, true);
await writing;
interrupt[Symbol.dispose]();
`,
    );
    await Deno.mkdir(`${dir}/out`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read(); // "writing": the temporary file exists
    assert(first.value && dec.decode(first.value).includes("writing"));
    child.kill("SIGINT");
    await new Promise((ok) => setTimeout(ok, 100));
    child.kill("SIGINT");
    reader.releaseLock();
    const out = await child.output();
    assertEquals(out.code, EXIT.INTERRUPTED, dec.decode(out.stderr));
    const left = [];
    for await (const e of Deno.readDir(`${dir}/out`)) left.push(e.name);
    assertEquals(left, [], "nothing half-written under --out");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
