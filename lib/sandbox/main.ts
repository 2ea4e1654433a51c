/**
 * `deno task sandbox` (and `oda sandbox`): start a sandbox dispatcher and
 * print its URL and a ready-to-use token (a sandbox token, signed with the
 * sandbox's own secret: it grants nothing anywhere else).
 *
 * Flags: `--port N` (default 8011, 0 = any free port), `--seed N` (default 1),
 * `--job-seconds S` (duration of asynchronous jobs; default: each product's
 * own estimate), `--secret S` (default: random), `--no-workers` (run the
 * simulations on the event loop instead of worker threads).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_ROLES, type SandboxOptions, startSandbox } from "./server.ts";

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

/** Parse the flags and run until interrupted. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      seed: { type: "string" },
      "job-seconds": { type: "string" },
      secret: { type: "string" },
      "no-workers": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      "usage: deno task sandbox [--port 8011] [--seed 1] [--job-seconds S] [--secret S] [--no-workers]",
    );
    return;
  }
  const num = (s: string | undefined, name: string): number | undefined => {
    if (s === undefined) return undefined;
    const x = Number(s);
    if (!Number.isFinite(x) || x < 0) {
      throw new RangeError(`--${name} must be a non-negative number, got ${s}`);
    }
    return x;
  };
  await serveSandbox(
    {
      port: num(values.port, "port"),
      seed: num(values.seed, "seed"),
      jobDuration: num(values["job-seconds"], "job-seconds"),
      secret: values.secret,
      workers: !values["no-workers"],
    },
    (text) => {
      const bytes = new TextEncoder().encode(text);
      for (let o = 0; o < bytes.length;) o += Deno.stdout.writeSync(bytes.subarray(o));
    },
  );
}

if (import.meta.main) await main(Deno.args);
