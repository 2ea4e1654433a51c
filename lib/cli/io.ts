/**
 * Where the command line writes, and the exit codes it promises.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { removeUnfinishedWrites } from "../data/atomic_write.ts";

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
  /**
   * Cancels the running command (a request, the wait for a job, saving): it then ends with
   * {@linkcode EXIT}`.INTERRUPTED` and one `error:` line.
   */
  signal?: AbortSignal | undefined;
  /**
   * Ctrl-C (SIGINT) cancels a command that talks to a dispatcher, through an `AbortSignal`, as `signal`
   * does; a second Ctrl-C ends the process at once. Set by {@linkcode processIO}.
   */
  interruptOnSigint?: boolean | undefined;
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
    interruptOnSigint: true,
  };
}

/**
 * An `AbortSignal` that the first Ctrl-C (SIGINT) aborts, with the reason `OdaError("ABORTED", "interrupted
 * (Ctrl-C)")`; a second Ctrl-C writes the same line with `err` and exits with `EXIT.INTERRUPTED` at once
 * (removing the temporary files of atomic writes under way first).
 * Disposing removes the listener (Ctrl-C then ends the process again).
 *
 * @example
 * ```ts ignore
 * using interrupt = sigintSignal((t) => console.error(t));
 * await disp.getInstrumentsList({ signal: interrupt.signal });
 * ```
 */
export function sigintSignal(err: (text: string) => void): { signal: AbortSignal } & Disposable {
  const ac = new AbortController();
  const onSigint = () => {
    if (!ac.signal.aborted) return ac.abort(new OdaError("ABORTED", INTERRUPTED_MESSAGE));
    err(`error: ${INTERRUPTED_MESSAGE}\n`);
    removeUnfinishedWrites(); // Deno.exit runs no `finally`: no half-written temporary file is left
    Deno.exit(EXIT.INTERRUPTED);
  };
  Deno.addSignalListener("SIGINT", onSigint);
  return { signal: ac.signal, [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", onSigint) };
}

/**
 * The message of a command cancelled by Ctrl-C (after `error: `).
 *
 * @example
 * ```ts
 * import { INTERRUPTED_MESSAGE } from "./io.ts";
 * console.error(`error: ${INTERRUPTED_MESSAGE}`);
 * ```
 */
export const INTERRUPTED_MESSAGE = "interrupted (Ctrl-C)";

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
 * | 5 | dispatcher unreachable, timed out (`--timeout`), or the wait was cancelled |
 * | 130 | interrupted: Ctrl-C (SIGINT) cancelled the running command (128 + SIGINT, as shells report it); nothing half-written is left under `--out` |
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
  INTERRUPTED: 130;
}> = Object.freeze({
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  JOB_FAILED: 3,
  UNAUTHORIZED: 4,
  UNAVAILABLE: 5,
  INTERRUPTED: 130,
});
