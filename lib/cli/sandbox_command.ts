/**
 * `oda sandbox`: run the offline dispatcher in the foreground.
 *
 * @module
 */
import { startSandbox } from "../sandbox/server.ts";
import type { CliIO } from "./io.ts";

/** Options of {@linkcode runSandboxCommand}. */
export interface SandboxCommandOptions {
  /** Port to bind on 127.0.0.1 (default 8011; 0 = any free port). */
  port?: number;
  /** Seed of the simulated data. */
  seed?: number;
  /** Duration of asynchronous jobs in seconds. */
  jobSeconds?: number;
  /** Resolves when the sandbox should stop (default: SIGINT/SIGTERM). */
  until?: Promise<void>;
}

/**
 * Start the sandbox, print its URL and a sandbox token (valid only for this
 * sandbox, signed with its own random secret), and run until interrupted.
 */
export async function runSandboxCommand(io: CliIO, o: SandboxCommandOptions = {}): Promise<void> {
  const sb = await startSandbox({ port: o.port ?? 8011, seed: o.seed ?? 1, jobDuration: o.jobSeconds });
  const token = await sb.mintToken(undefined, { expiresIn: 24 * 3600 });
  io.out(`oda-api sandbox dispatcher: ${sb.url}\n`);
  io.out(`sandbox token (valid 24 h for this sandbox only):\n${token}\n\n`);
  io.out(`export ODA_DISPATCHER_URL=${sb.url}\nexport ODA_TOKEN=${token}\n`);
  io.out(`(Ctrl-C stops the sandbox)\n`);
  let stopped: Promise<void>;
  if (o.until) {
    stopped = o.until;
  } else {
    stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
    });
  }
  await stopped;
  await sb.close();
}
