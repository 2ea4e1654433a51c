/**
 * `deno task sandbox` (and `oda sandbox`): start a sandbox dispatcher and
 * print its URL and a ready-to-use token (a sandbox token, signed with the
 * sandbox's own secret: it grants nothing anywhere else).
 *
 * Flags: `--port N` (default 8011, 0 = any free port), `--seed N` (default 1),
 * `--job-seconds S` (duration of asynchronous jobs; default: each product's
 * own estimate), `--secret S` (default: random), `--no-workers` (run the
 * simulations on the event loop instead of worker threads), and the memory
 * bounds of `SANDBOX_BOUND_FLAGS` (lib/sandbox/flags.ts) (`--max-jobs N`,
 * `--user-upload-bytes 1MiB`, …; defaults as in `SandboxOptions`). A bad value
 * is one line on stderr and exit code 2, as a usage error of the `oda` CLI.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_ROLES, type SandboxOptions, startSandbox } from "./server.ts";
import { positiveSeconds, SANDBOX_BOUND_FLAGS, wholeNumber } from "./flags.ts";

/** The `--help` text of `deno task sandbox`. */
function usage(): string {
  const rows: [string, string][] = [
    ["--port N", "port on 127.0.0.1 (default 8011, 0: a free one)"],
    ["--seed N", "random seed of the simulated data (default 1)"],
    ["--job-seconds S", "duration of a simulated asynchronous job (default: each product's estimate)"],
    ["--secret S", "JWT secret of the sandbox tokens (default: random)"],
    ["--no-workers", "run big simulations on the event loop, not in worker threads"],
    ...SANDBOX_BOUND_FLAGS.map((f): [string, string] => [`--${f.name} ${f.value}`, f.help]),
    ["-h, --help", "this help"],
  ];
  const lines = [
    "usage: deno task sandbox [flags]",
    ...rows.map(([flag, help]) => `  ${flag.padEnd(28)}${help}`),
  ];
  return lines.join("\n") + "\n";
}

/** Resolves on SIGINT (or SIGTERM), removing its listeners. */
function untilSignal(): Promise<void> {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  return new Promise((resolve) => {
    const stop = () => {
      for (const s of signals) Deno.removeSignalListener(s, stop);
      resolve();
    };
    for (const s of signals) Deno.addSignalListener(s, stop);
  });
}

/**
 * Start a sandbox (port 8011 and seed 1 unless given), write its URL and a
 * 24-hour sandbox token with `out`, serve until `until` resolves (default:
 * Ctrl-C / SIGTERM), then close it.
 *
 * @example
 * ```ts ignore
 * const stop = Promise.withResolvers<void>();
 * const served = serveSandbox({ port: 0 }, (text) => console.log(text), stop.promise);
 * stop.resolve();
 * await served;
 * ```
 */
export async function serveSandbox(
  options: SandboxOptions,
  out: (text: string) => void,
  until: Promise<void> = untilSignal(),
): Promise<void> {
  const sb = await startSandbox({ ...options, port: options.port ?? 8011, seed: options.seed ?? 1 });
  try {
    const token = await sb.mintToken(undefined, { expiresIn: 24 * 3600 });
    out(`oda-api sandbox dispatcher: ${sb.url}\n`);
    out(`sandbox token (valid 24 h for this sandbox only; roles ${DEFAULT_ROLES}):\n${token}\n\n`);
    out(`export ODA_DISPATCHER_URL=${sb.url}\nexport ODA_TOKEN=${token}\n`);
    out(`(Ctrl-C stops the sandbox)\n`);
    await until;
  } finally {
    await sb.close();
  }
}

/** Write all of `text` to a stream (`writeSync` may write only part of it to a pipe). */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let o = 0; o < bytes.length;) o += stream.writeSync(bytes.subarray(o));
}

/**
 * Parse the flags and serve until interrupted; resolves to the exit code: 0, or 2 after one line on stderr
 * for a bad flag or value.
 *
 * @example
 * ```ts ignore
 * Deno.exitCode = await main(["--port", "0", "--max-jobs", "100"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let options: SandboxOptions;
  try {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: "string" },
        seed: { type: "string" },
        "job-seconds": { type: "string" },
        secret: { type: "string" },
        "no-workers": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(SANDBOX_BOUND_FLAGS.map((f) => [f.name, { type: "string" as const }])),
      },
      strict: true,
    });
    if (values.help) {
      writeAll(Deno.stdout, usage());
      return 0;
    }
    const str = (name: string) => (values as Record<string, unknown>)[name] as string | undefined;
    const port = str("port") === undefined ? undefined : wholeNumber("port", str("port")!, false);
    if (port !== undefined && port > 65535) throw new RangeError(`--port: '${str("port")}' is not a port.`);
    const seconds = str("job-seconds");
    options = {
      port,
      seed: str("seed") === undefined ? undefined : wholeNumber("seed", str("seed")!, false),
      jobDuration: seconds === undefined ? undefined : positiveSeconds("job-seconds", seconds, true),
      secret: values.secret,
      workers: !values["no-workers"],
    };
    for (const f of SANDBOX_BOUND_FLAGS) {
      const text = str(f.name);
      if (text !== undefined) f.apply(options, f.parse(text));
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    writeAll(Deno.stderr, `error: ${message.split("\n")[0]} (--help lists the flags)\n`);
    return 2;
  }
  await serveSandbox(options, (text) => writeAll(Deno.stdout, text));
  return 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
