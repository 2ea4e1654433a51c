/**
 * Internal: the one place that knows the runtime. The core of the package (codecs, products, the client
 * with an explicit token, plots as SVG) runs in Node ≥ 20 and in browsers; token files, saving files,
 * prompting and the Jupyter kernel need the `Deno` namespace and say so with a typed error elsewhere.
 *
 * @module
 */
import { OdaError } from "./errors.ts";

/** Whether the `Deno` namespace (with file system access) is available. */
export function hasDeno(): boolean {
  const d = (globalThis as { Deno?: { readFile?: unknown } }).Deno;
  return typeof d === "object" && d !== null && typeof d.readFile === "function";
}

/**
 * The `Deno` namespace, or an `OdaError("UNSUPPORTED_RUNTIME")` naming `feature` when this runs in Node or a
 * browser.
 */
export function requireDeno(feature: string): typeof Deno {
  if (!hasDeno()) {
    throw new OdaError(
      "UNSUPPORTED_RUNTIME",
      `${feature} needs Deno (file system, environment or terminal access); in Node or a browser pass the ` +
        `token explicitly and keep the products in memory (encode(), FITS bytes)`,
    );
  }
  return (globalThis as unknown as { Deno: typeof Deno }).Deno;
}

/**
 * A Node built-in module (`node:zlib`, `node:crypto`) when the runtime has one (Deno and Node ≥ 20.16 both have
 * `process.getBuiltinModule`), `undefined` in browsers. Loaded on demand, so the module graph has no `node:`
 * imports and bundles for the browser.
 */
export function nodeBuiltin<T>(name: "node:zlib" | "node:crypto"): T | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return p?.getBuiltinModule?.(name) as T | undefined;
  } catch {
    return undefined;
  }
}
