/**
 * The sandbox's command lines (`deno task sandbox` = lib/sandbox/main.ts, and `oda sandbox`): the flags of
 * its memory bounds are listed by `--help`, validated (a bad value is exit 2 and one line), and applied to
 * the sandbox a child process serves — seen over real HTTP on 127.0.0.1 (plain fetch, never lib/client).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { main } from "../cli.ts";
import { EXIT } from "../lib/cli/io.ts";
import { SANDBOX_BOUND_FLAGS } from "../lib/sandbox/flags.ts";
import { uploadFiles } from "./_sandbox_http.ts";
import { type CapturedIO, captureIO } from "./_cli_io.ts";

const TASK = new URL("../lib/sandbox/main.ts", import.meta.url).pathname;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

const capture = (): CapturedIO => captureIO();

function command(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** A multipart `/run_analysis` of `empty/file_dummy` carrying `files`; its status and body. */
async function upload(
  url: string,
  files: Uint8Array[],
  token?: string,
): Promise<{ status: number; text: string }> {
  const r = await uploadFiles(url, files, { token });
  return { status: r.status, text: await r.text() };
}

const TOO_LARGE = "<title>413 Request Entity Too Large</title>";
const bad = ["-1", "x", "1.5", "", "1e3", "2TiB", "99999999999999999999"];

Deno.test("sandbox flags: --help lists every bound; a bad value is a usage error on one line", async () => {
  // `oda sandbox`, in process
  const help = capture();
  assertEquals(await main(["sandbox", "--help"], help), EXIT.OK);
  for (const f of SANDBOX_BOUND_FLAGS) assert(help.stdout.includes(`--${f.name} <${f.value}>`), f.name);
  for (const f of SANDBOX_BOUND_FLAGS) {
    for (const value of f.value === "S" ? ["0", "-1", "soon", "", "Infinity"] : bad) {
      const io = capture();
      assertEquals(await main(["sandbox", `--${f.name}`, value], io), EXIT.USAGE, `--${f.name} '${value}'`);
      assert(
        io.stderr.includes(`--${f.name} <${f.value}>' argument '${value}' is invalid. '${value}' is not a`),
        io.stderr,
      );
      assertEquals(io.stdout, "");
    }
  }
  // `deno task sandbox`, as a child process: the same flags in its usage, the same rule on values
  const [taskHelp, taskBad, unknown] = await Promise.all([
    command([TASK, "--help"]).output(),
    command([TASK, "--port", "0", "--user-upload-bytes", "1.5MiB"]).output(),
    command([TASK, "--max-job", "3"]).output(),
  ]);
  assertEquals(taskHelp.code, 0);
  for (const f of SANDBOX_BOUND_FLAGS) {
    assert(dec.decode(taskHelp.stdout).includes(`--${f.name} ${f.value} `), f.name);
  }
  for (
    const [out, what] of [[taskBad, "--user-upload-bytes: '1.5MiB' is not"], [
      unknown,
      "'--max-job'",
    ]] as const
  ) {
    assertEquals(out.code, 2);
    assertEquals(dec.decode(out.stdout), "");
    const lines = dec.decode(out.stderr).split("\n").filter((l) => l !== "");
    assertEquals(lines.length, 1, dec.decode(out.stderr));
    assert(lines[0]!.startsWith("error: ") && lines[0]!.includes(what), lines[0]);
  }
});

/** Serve a sandbox in a child process until disposed (SIGINT); its URL and printed token. */
async function serve(args: string[]) {
  const child = command([...args, "--port", "0"]).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("Ctrl-C stops")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`sandbox exited: ${dec.decode((await child.output()).stderr)}`);
    text += value;
  }
  const url = /dispatcher: (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
  const token = /export ODA_TOKEN=(\S+)/.exec(text)![1]!;
  return {
    url,
    token,
    stop: async () => {
      child.kill("SIGINT");
      while (!(await reader.read()).done) { /* drain */ }
      return await child.status;
    },
  };
}

Deno.test("sandbox flags: the bounds given on the command line are the served sandbox's", async () => {
  // (`--job-seconds 0`: instant jobs, as bench/sandbox_latency_bench.ts starts it)
  const bounds = ["--public-upload-bytes", "1KiB", "--user-upload-files", "1"];
  const served = await Promise.all([
    serve([TASK, ...bounds, "--job-seconds", "0"]),
    serve([CLI, "sandbox", ...bounds]),
  ]);
  try {
    for (const { url, token } of served) {
      // public uploads: 1 KiB fits, one byte more is refused whole with Werkzeug's 413 page (default: 64 MiB)
      assertEquals((await upload(url, [new Uint8Array(1024)])).status, 200);
      const over = await upload(url, [new Uint8Array(1025)]);
      assertEquals(over.status, 413);
      assert(over.text.includes(TOO_LARGE), over.text);
      // the printed token's holder: one file per request fits, two are over the one-file bound (default 32)
      assertEquals((await upload(url, [new Uint8Array(2000)], token)).status, 200);
      const two = await upload(url, [new Uint8Array(1), new Uint8Array(1)], token);
      assertEquals(two.status, 413);
      assert(two.text.includes(TOO_LARGE), two.text);
    }
  } finally {
    // Ctrl-C stops either cleanly
    for (const status of await Promise.all(served.map((s) => s.stop()))) assertEquals(status.code, 0);
  }
});
