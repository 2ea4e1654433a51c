/**
 * Atomic file output shared by the FITS writer and the products layer: the data goes to a temporary file in
 * the same directory, which is then renamed over the target, so a reader never sees a truncated file under
 * the final name. Without `overwrite` an existing file is a `FileError("FILE_EXISTS")` and is left untouched.
 *
 * @module
 */
import { FileError, OdaError } from "../errors.ts";
import { requireDeno } from "../_runtime.ts";

/**
 * Throw `FileError("FILE_EXISTS")` when `path` exists and `overwrite` is false (`FileError("IO")` when it
 * cannot be checked).
 *
 * @example
 * ```ts ignore
 * await checkCanCreate("out/lc.fits", false);
 * ```
 */
export async function checkCanCreate(path: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  try {
    await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new FileError("IO", `cannot check ${path}: ${(e as Error).message}`, { cause: e });
  }
  throw new FileError("FILE_EXISTS", `${path} exists: pass overwrite: true to replace it`);
}

/**
 * Write `data` (or whatever `data(file)` writes) to `path` atomically. Errors other than `OdaError`s are
 * wrapped in `FileError("IO")`; the temporary file is removed on failure.
 *
 * @example
 * ```ts ignore
 * await writeAtomic("out/a.bin", new Uint8Array([1, 2]), true);
 * ```
 */
export async function writeAtomic(
  path: string,
  data: Uint8Array | ((file: Deno.FsFile) => Promise<void>),
  overwrite: boolean,
): Promise<void> {
  requireDeno("saving files");
  await checkCanCreate(path, overwrite);
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${crypto.randomUUID()}.tmp`;
  unfinished.add(tmp);
  try {
    if (data instanceof Uint8Array) await Deno.writeFile(tmp, data, { createNew: true, mode: 0o644 });
    else {
      const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
      try {
        await data(file);
      } finally {
        file.close();
      }
    }
    await checkCanCreate(path, overwrite); // created while we were writing
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof OdaError) throw e;
    throw new FileError("IO", `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    unfinished.delete(tmp);
  }
}

/** Temporary files of the writes under way in this process. */
const unfinished = new Set<string>();

/**
 * Remove the temporary files of every {@linkcode writeAtomic} under way, synchronously: for a process about
 * to exit at once (`Deno.exit` runs no `finally`), so that no half-written file is left behind. The targets
 * are untouched (those writes never happened).
 *
 * @example
 * ```ts ignore
 * removeUnfinishedWrites();
 * Deno.exit(130);
 * ```
 */
export function removeUnfinishedWrites(): void {
  for (const tmp of unfinished) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // not created yet, or already gone
    }
  }
  unfinished.clear();
}
