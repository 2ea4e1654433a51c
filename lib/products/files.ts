/**
 * Safe file output for products: names that cannot leave the target
 * directory, no silent overwrites, atomic writes (temporary file + rename).
 *
 * @module
 */
import { FileError } from "../errors.ts";
import { writeAtomic } from "../data/atomic_write.ts";

/**
 * Options of {@linkcode writeFileAtomic}.
 *
 * @example
 * ```ts
 * import { type AtomicWriteOptions } from "@oda-hub/oda-api";
 * import { writeFileAtomic } from "./files.ts";
 * const path = `${await Deno.makeTempDir()}/notes.txt`;
 * const opts: AtomicWriteOptions = { overwrite: true };
 * await writeFileAtomic(path, "first", opts);
 * await writeFileAtomic(path, "second", opts); // replaced; without overwrite: FileError("FILE_EXISTS")
 * ```
 */
export interface AtomicWriteOptions {
  /** Replace an existing file (default `false`: `FileError("FILE_EXISTS")`). */
  overwrite?: boolean;
}

/**
 * Write bytes (or text) to `path` atomically: the data goes to a temporary
 * file in the same directory, which is then renamed over the target. Without
 * `overwrite`, an existing file is an error and is left untouched.
 *
 * @example
 * ```ts ignore
 * await writeFileAtomic("out/notes.txt", "hello", { overwrite: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeAtomic(path, bytes, options.overwrite ?? false);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Check a relative file name that came (directly or not) from a server:
 * no absolute path, no `..` or `.` component, no control characters or NUL,
 * no backslashes. Returns the name; throws `FileError("UNSAFE_PATH")`.
 *
 * @example
 * ```ts
 * import { checkSafeRelativePath } from "./files.ts";
 * checkSafeRelativePath("isgri_lc_0_Crab.fits"); // ok
 * // checkSafeRelativePath("../x.fits") throws FileError UNSAFE_PATH
 * ```
 */
export function checkSafeRelativePath(name: string): string {
  const bad = (why: string) =>
    new FileError("UNSAFE_PATH", `refusing file name ${JSON.stringify(name)}: ${why}`, { details: { name } });
  if (name === "") throw bad("empty");
  if (CONTROL.test(name)) throw bad("control character");
  if (name.includes("\\")) throw bad("backslash");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) throw bad("absolute path");
  for (const part of name.split("/")) {
    if (part === "..") throw bad("parent directory component");
    if (part === "." || part === "") throw bad("empty or '.' component");
  }
  return name;
}

/**
 * Join a directory and a checked relative name (see
 * {@linkcode checkSafeRelativePath}).
 *
 * @example
 * ```ts
 * import { safeJoin } from "./files.ts";
 * import assert from "node:assert/strict";
 * assert.equal(safeJoin("out", "a.fits"), "out/a.fits");
 * ```
 */
export function safeJoin(dir: string, name: string): string {
  checkSafeRelativePath(name);
  return `${dir.replace(/\/+$/, "") || "/"}/${name}`.replace(/^\/\//, "/");
}
