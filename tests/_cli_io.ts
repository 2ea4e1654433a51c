/**
 * Test helper (CLI): a `CliIO` that keeps what the command prints, with the environment and the cancel
 * signal the test gives it (no terminal).
 *
 * @module
 */
import type { CliIO } from "../lib/cli/io.ts";

/** A `CliIO` whose output is kept in `stdout` / `stderr`. */
export interface CapturedIO extends CliIO {
  stdout: string;
  stderr: string;
}

/** A fresh {@linkcode CapturedIO}: `env` answers the command's environment look-ups, `signal` cancels it. */
export function captureIO(options: { env?: Record<string, string>; signal?: AbortSignal } = {}): CapturedIO {
  const env = options.env ?? {};
  const c: CapturedIO = {
    stdout: "",
    stderr: "",
    out: (t) => void (c.stdout += t),
    err: (t) => void (c.stderr += t),
    env: (n) => env[n],
    isTerminal: false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return c;
}
