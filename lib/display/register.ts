/**
 * Notebook wiring. The product classes carry their own
 * `[Symbol.for("Jupyter.display")]()` methods (see `lib/notebook.ts`), so
 * nothing is attached here; the only thing done on import is installing the
 * live progress display, and only inside Deno's Jupyter kernel
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
import { notebookSettings } from "../notebook.ts";
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

installNotebookProgress();
