/**
 * `deno task sandbox`: start a sandbox dispatcher and print its URL and a
 * ready-to-use token (a sandbox token, signed with the sandbox's own secret:
 * it grants nothing anywhere else).
 *
 * Flags: `--port N` (default 8011), `--seed N` (default 1), `--job-seconds S`
 * (duration of asynchronous jobs; default: each product's own estimate),
 * `--secret S` (default: random).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startSandbox } from "./server.ts";

/** Parse the flags and run until interrupted. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      seed: { type: "string" },
      "job-seconds": { type: "string" },
      secret: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: deno task sandbox [--port 8011] [--seed 1] [--job-seconds S] [--secret S]");
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
  const sb = await startSandbox({
    port: num(values.port, "port") ?? 8011,
    seed: num(values.seed, "seed") ?? 1,
    jobDuration: num(values["job-seconds"], "job-seconds"),
    secret: values.secret,
  });
  const token = await sb.mintToken(undefined, { expiresIn: 24 * 3600 });
  console.log(`oda-api sandbox dispatcher: ${sb.url}`);
  console.log(`sandbox token (24 h; roles general, unige-hpc-full, refresh-tokens):`);
  console.log(token);
  console.log(`\nexport ODA_TOKEN=${token}`);
  console.log(`# then e.g.: DispatcherAPI({ url: "${sb.url}" })   (Ctrl-C stops the sandbox)`);
  const stop = () => {
    sb.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main(Deno.args);
