/**
 * Internal: resolve the directories the token functions use.
 *
 * @module
 */
import type { TokenEnvironment } from "./location.ts";
import { requireDeno } from "../_runtime.ts";

/** Resolve the home directory used by the token functions. */
export function resolveHome(
  opts: { home?: string | undefined; env?: TokenEnvironment } = {},
): string | undefined {
  if (opts.home !== undefined) return opts.home;
  const env = opts.env ?? requireDeno("finding the home directory").env;
  try {
    return env.get("HOME") || env.get("USERPROFILE") || undefined;
  } catch {
    return undefined;
  }
}

/** Resolve the working directory used by the token functions. */
export function resolveCwd(opts: { cwd?: string | undefined } = {}): string {
  return opts.cwd ?? requireDeno("finding the working directory").cwd();
}

/** `dir` + separator + `name` (no `node:path`, so the module graph loads in browsers). */
export function joinPath(dir: string, name: string): string {
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  return /[\\/]$/.test(dir) ? dir + name : dir + sep + name;
}

/** The directory part of a path (`"."` when there is none). */
export function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? "." : i === 0 ? path.slice(0, 1) : path.slice(0, i);
}
