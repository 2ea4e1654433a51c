/**
 * Notebook wiring, done when the package is imported: registers the
 * renderer the product classes' own `[Symbol.for("Jupyter.display")]()`
 * methods use (`lib/notebook.ts`; no class or global is patched), and, only
 * inside Deno's Jupyter kernel, installs the live progress display
 * ({@linkcode installNotebookProgress}). `configureNotebook({ display: false,
 * progress: false })` or `ODA_NOTEBOOK=off` turns both off.
 *
 * | object | notebook output |
 * |---|---|
 * | `DataCollection` | table: ID, attribute, kind, meta_data, data units + `show()` text |
 * | `NumpyDataProduct` | metadata, units (shapes, dtypes, columns, headers collapsed), a thumbnail (≤ 40 KB) of its light curve or image |
 * | `NumpyDataUnit` | the unit; its table `data` as an HTML table (50 rows) |
 * | `LightCurve` | the full plot (as `plotLightCurve`) |
 * | `ApiCatalog`, `CatalogTable`, `ODAAstropyTable` | HTML table (50 rows) + `application/vnd.dataresource+json` |
 *
 * @module
 */
import { $display, inJupyter, type MimeBundle } from "./jupyter.ts";
import { notebookSettings, registerNotebookRenderer } from "../notebook.ts";
import { productDisplay } from "./bundles.ts";
import { getProgressReporterFactory } from "../client/events.ts";
import { installProgressReporter } from "./progress.ts";

/**
 * Give every instance of your own class `cls` a display method built by
 * `fn` (the package's product classes have theirs built in).
 *
 * @example
 * ```ts
 * import { attachDisplay } from "@oda-hub/oda-api/display";
 * class Thing { n = 3 }
 * attachDisplay(Thing, (t) => ({ "text/plain": `Thing ${t.n}` }));
 * ```
 */
export function attachDisplay<T>(
  cls: { prototype: T },
  fn: (obj: T) => MimeBundle | Promise<MimeBundle>,
): void {
  Object.defineProperty(cls.prototype, $display, {
    value: function (this: T) {
      return fn(this);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/**
 * Install the live progress display for running jobs when this runs inside
 * Deno's Jupyter kernel (and `configureNotebook` / `ODA_NOTEBOOK` allow it)
 * and no other reporter is installed. Done once when the package is
 * imported; outside the kernel it does nothing. Returns whether a reporter
 * is installed now.
 *
 * @example
 * ```ts
 * import { installNotebookProgress } from "@oda-hub/oda-api/display";
 * console.log(installNotebookProgress()); // false outside Jupyter
 * ```
 */
export function installNotebookProgress(): boolean {
  if (!inJupyter() || !notebookSettings().progress) return getProgressReporterFactory() !== undefined;
  if (!getProgressReporterFactory()) installProgressReporter();
  return true;
}

// the product classes' display methods render through this (products never import display)
registerNotebookRenderer(productDisplay);
installNotebookProgress();
