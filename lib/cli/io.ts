/**
 * Where the command line writes, and the exit codes it promises.
 *
 * @module
 */

/**
 * Output streams and environment of one CLI run (injectable for tests).
 *
 * @example
 * ```ts
 * import { type CliIO, main } from "@oda-hub/oda-api/cli";
 * let text = "";
 * const io: CliIO = { out: (t) => void (text += t), err: () => {}, env: () => undefined, isTerminal: false };
 * await main(["--help"], io);
 * ```
 */
export interface CliIO {
  /** Write text to standard output. */
  out(text: string): void;
  /** Write text to standard error. */
  err(text: string): void;
  /** Environment lookup. */
  env(name: string): string | undefined;
  /** Whether stderr is a terminal (progress bars). */
  isTerminal: boolean;
}

const enc = new TextEncoder();

/** Write all of `text` (`writeSync` may write only part of it to a pipe). */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = enc.encode(text);
  for (let o = 0; o < bytes.length;) o += stream.writeSync(bytes.subarray(o));
}

/** The real process streams. */
export function processIO(): CliIO {
  return {
    out: (t) => writeAll(Deno.stdout, t),
    err: (t) => writeAll(Deno.stderr, t),
    env: (n) => Deno.env.get(n),
    isTerminal: Deno.stderr.isTerminal(),
  };
}

/**
 * Exit codes of the `oda` command line. Scripts can rely on them.
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | success |
 * | 1 | the request failed (server error, malformed answer, local I/O) or no valid token for `token inspect` |
 * | 2 | usage error (unknown option, missing argument, bad `key=value`) |
 * | 3 | the job ended in the `failed` state |
 * | 4 | not authorised: expired / invalid token, missing roles |
 * | 5 | dispatcher unreachable, timed out, or the wait was cancelled |
 *
 * @example
 * ```ts
 * import { EXIT, main } from "@oda-hub/oda-api/cli";
 * if ((await main(["token", "inspect"])) === EXIT.ERROR) console.log("no valid token");
 * ```
 */
export const EXIT: Readonly<{
  OK: 0;
  ERROR: 1;
  USAGE: 2;
  JOB_FAILED: 3;
  UNAUTHORIZED: 4;
  UNAVAILABLE: 5;
}> = Object.freeze({ OK: 0, ERROR: 1, USAGE: 2, JOB_FAILED: 3, UNAUTHORIZED: 4, UNAVAILABLE: 5 });
