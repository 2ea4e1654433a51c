/**
 * Where the command line writes, and the exit codes it promises.
 *
 * @module
 */

/** Output streams and environment of one CLI run (injectable for tests). */
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

/** The real process streams. */
export function processIO(): CliIO {
  return {
    out: (t) => void Deno.stdout.writeSync(enc.encode(t)),
    err: (t) => void Deno.stderr.writeSync(enc.encode(t)),
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
 */
export const EXIT: Readonly<{
  OK: 0;
  ERROR: 1;
  USAGE: 2;
  JOB_FAILED: 3;
  UNAUTHORIZED: 4;
  UNAVAILABLE: 5;
}> = Object.freeze({ OK: 0, ERROR: 1, USAGE: 2, JOB_FAILED: 3, UNAUTHORIZED: 4, UNAVAILABLE: 5 });
