/**
 * Notebook integration switches, at the bottom of the house so that every
 * layer can read them.
 *
 * The package does two things for notebooks, and nothing at all elsewhere:
 *
 * - **Rich display.** Product classes (`DataCollection`, `NumpyDataProduct`,
 *   `NumpyDataUnit` and its table `data`, `LightCurve`, catalogs, tables,
 *   pictures) have a `[Symbol.for("Jupyter.display")]()` method, as
 *   nodejs-polars' DataFrame does; Deno's Jupyter kernel calls it for a cell
 *   result. The method asks the renderer the display layer registers here
 *   (imports point down: the products never import the display). Importing
 *   the package patches no class and no global.
 * - **Live progress.** Inside the Deno Jupyter kernel (only there), importing
 *   the package installs a progress display for running jobs.
 *
 * Turn either off with {@linkcode configureNotebook}, or before the import
 * with the environment variable `ODA_NOTEBOOK=off` (both), `ODA_NOTEBOOK=nodisplay`
 * or `ODA_NOTEBOOK=noprogress`.
 *
 * @module
 */

/**
 * The symbol Deno's Jupyter kernel looks up to display an object (`Deno.jupyter.$display`).
 *
 * @example
 * ```ts
 * import { $display, type MimeBundle } from "@oda-hub/oda-api/display";
 * class Greeting {
 *   [$display](): MimeBundle {
 *     return { "text/plain": "hello", "text/html": "<b>hello</b>" };
 *   }
 * }
 * new Greeting(); // as the last expression of a notebook cell: shows a bold "hello"
 * ```
 */
export const $display: unique symbol = Symbol.for("Jupyter.display") as never;

/**
 * The notebook switches.
 *
 * @example
 * ```ts
 * import { configureNotebook, type NotebookSettings } from "@oda-hub/oda-api";
 * const previous: NotebookSettings = configureNotebook({ progress: false });
 * configureNotebook(previous); // back as it was
 * ```
 */
export interface NotebookSettings {
  /** Rich display of products (HTML tables, summaries, plots); off: text only. */
  display: boolean;
  /** Live progress of running jobs in the notebook. */
  progress: boolean;
}

let settings: NotebookSettings | undefined;

function fromEnv(): NotebookSettings {
  let v = "";
  try {
    // read only when already allowed: never trigger a permission prompt
    if (Deno.permissions.querySync({ name: "env", variable: "ODA_NOTEBOOK" }).state === "granted") {
      v = (Deno.env.get("ODA_NOTEBOOK") ?? "").toLowerCase();
    }
  } catch { /* not Deno, or no permission API */ }
  const off = v === "off" || v === "0" || v === "false" || v === "none";
  return { display: !off && v !== "nodisplay", progress: !off && v !== "noprogress" };
}

/**
 * The current switches.
 *
 * @example
 * ```ts
 * import { notebookSettings } from "@oda-hub/oda-api/display";
 * if (!notebookSettings().display) console.log("products display as text only");
 * ```
 */
export function notebookSettings(): Readonly<NotebookSettings> {
  settings ??= fromEnv();
  return { ...settings };
}

/**
 * Change the switches (the ones given); returns the previous settings.
 * `configureNotebook({ display: false, progress: false })` turns all
 * notebook behaviour off.
 *
 * @example
 * ```ts
 * import { configureNotebook } from "@oda-hub/oda-api";
 * const before = configureNotebook({ display: false, progress: false });
 * // ... products now display as plain text, jobs show no live progress
 * configureNotebook(before);
 * ```
 */
export function configureNotebook(change: Partial<NotebookSettings>): NotebookSettings {
  const previous = notebookSettings();
  settings = { ...previous, ...change };
  return previous;
}

/**
 * What renders a product-layer object as a mime bundle (the display layer
 * registers one with {@linkcode registerNotebookRenderer}).
 *
 * @example
 * ```ts
 * import type { NotebookRenderer } from "@oda-hub/oda-api/display";
 * const plain: NotebookRenderer = async (obj) => ({ "text/plain": String(obj) });
 * ```
 */
export type NotebookRenderer = (obj: object) => Promise<Record<string, unknown> & { "text/plain": string }>;

let renderer: NotebookRenderer | undefined;

/**
 * Register the function that renders product objects in notebooks (done by
 * the display layer when the package is imported; a custom renderer can
 * replace it). Returns the previous one.
 *
 * @example
 * ```ts
 * import { registerNotebookRenderer } from "@oda-hub/oda-api/display";
 * const previous = registerNotebookRenderer(async (obj) => ({ "text/plain": `a ${obj.constructor.name}` }));
 * registerNotebookRenderer(previous); // back to the package's views
 * ```
 */
export function registerNotebookRenderer(fn: NotebookRenderer | undefined): NotebookRenderer | undefined {
  const previous = renderer;
  renderer = fn;
  return previous;
}

/**
 * What a product's display method returns: the registered renderer's bundle,
 * or a one-line text when rich display is off (or no renderer is
 * registered, e.g. when only `lib/products` was imported).
 *
 * @example
 * ```ts
 * import { NumpyDataUnit } from "@oda-hub/oda-api";
 * import { notebookDisplay } from "@oda-hub/oda-api/display";
 * const bundle = await notebookDisplay(new NumpyDataUnit({ name: "PRIMARY" }));
 * console.log(bundle["text/plain"]);
 * ```
 */
export async function notebookDisplay(
  obj: object,
): Promise<Record<string, unknown> & { "text/plain": string }> {
  if (!notebookSettings().display || !renderer) {
    const name = (obj as { name?: unknown | undefined }).name;
    return {
      "text/plain": `${obj.constructor?.name ?? "object"}${typeof name === "string" ? " " + name : ""}`,
    };
  }
  return await renderer(obj);
}
