/**
 * Internal: resolve the directories the token functions use.
 *
 * @module
 */
import type { TokenEnvironment } from "./location.ts";

/** Resolve the home directory used by the token functions. */
export function resolveHome(opts: { home?: string; env?: TokenEnvironment } = {}): string | undefined {
  if (opts.home !== undefined) return opts.home;
  const env = opts.env ?? Deno.env;
  try {
    return env.get("HOME") || env.get("USERPROFILE") || undefined;
  } catch {
    return undefined;
  }
}

/** Resolve the working directory used by the token functions. */
export function resolveCwd(opts: { cwd?: string } = {}): string {
  return opts.cwd ?? Deno.cwd();
}
