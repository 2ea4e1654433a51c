/**
 * Mime bundles and the Deno Jupyter kernel.
 *
 * The kernel formats the last expression of a cell by calling its
 * `[Symbol.for("Jupyter.display")]()` method. In Deno 2.x that call is
 * **awaited** (`format()` in `cli/js/40_jupyter.js` is `async` and does
 * `return await obj[$display]()`; verified with Deno 2.9.6), so our display
 * methods may be `async`: the light-curve and image bundles load their heavy
 * dependencies (PNG encoder, SVG rasteriser) lazily on first use, which keeps
 * `import "mod.ts"` fast.
 *
 * Every bundle carries `text/plain`, so terminals, `console.log` and
 * front ends that know none of the rich types still show something useful.
 *
 * @module
 */

import { $display } from "../notebook.ts";
export { $display };

/**
 * A Jupyter mime bundle: mime type → content. Text types hold strings, images
 * hold base64 (PNG) or text (SVG), JSON types hold objects.
 *
 * @example
 * ```ts
 * import { type MimeBundle, publishDisplay } from "@oda-hub/oda-api/display";
 * const bundle: MimeBundle = { "text/plain": "Crab", "text/html": "<i>Crab</i>" };
 * await publishDisplay(bundle);
 * ```
 */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

/**
 * Something the kernel can display (sync or async display method).
 *
 * @example
 * ```ts
 * import { $display, type Displayable, isDisplayable } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * const answer: Displayable = { [$display]: () => ({ "text/plain": "42", "text/html": "<b>42</b>" }) };
 * assert.equal(isDisplayable(answer), true);
 * ```
 */
export interface Displayable {
  /** Returns the mime bundle shown for this object. */
  [$display](): MimeBundle | Promise<MimeBundle>;
}

/**
 * Options of {@linkcode publishDisplay}.
 *
 * @example
 * ```ts
 * import { publishDisplay, type PublishOptions } from "@oda-hub/oda-api/display";
 * const opts: PublishOptions = { display_id: "status" };
 * await publishDisplay({ "text/plain": "running" }, opts);
 * // in a notebook, this replaces "running" in place:
 * await publishDisplay({ "text/plain": "done" }, { ...opts, update: true });
 * ```
 */
export interface PublishOptions {
  /** Display id: later calls with the same id and `update: true` replace the output in place. */
  display_id?: string;
  /** Send `update_display_data` instead of `display_data`. */
  update?: boolean;
}

interface JupyterNamespace {
  broadcast(
    msgType: string,
    content: Record<string, unknown>,
    extra?: { metadata?: Record<string, unknown>; buffers?: Uint8Array[] },
  ): Promise<void>;
}

function jupyterNamespace(): JupyterNamespace | undefined {
  try {
    // `Deno.jupyter` is a getter that throws outside `deno jupyter`
    // deno-lint-ignore no-explicit-any
    const j = (globalThis as any).Deno?.jupyter;
    return j && typeof j.broadcast === "function" ? j as JupyterNamespace : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the code runs inside the Deno Jupyter kernel (`Deno.jupyter` exists).
 *
 * @example
 * ```ts
 * import { inJupyter } from "@oda-hub/oda-api/display";
 * console.log(inJupyter() ? "notebook" : "terminal");
 * ```
 */
export function inJupyter(): boolean {
  return jupyterNamespace() !== undefined;
}

/**
 * Publish a mime bundle as a `display_data` (or `update_display_data`)
 * message. Outside the kernel it prints the `text/plain` part to stdout
 * (updates are ignored there) and resolves.
 *
 * @example
 * ```ts
 * import { publishDisplay } from "@oda-hub/oda-api/display";
 * await publishDisplay({ "text/plain": "hello", "text/html": "<b>hello</b>" });
 * ```
 */
export async function publishDisplay(bundle: MimeBundle, opts: PublishOptions = {}): Promise<void> {
  const j = jupyterNamespace();
  if (!j) {
    if (!opts.update) console.log(bundle["text/plain"]);
    return;
  }
  const content: Record<string, unknown> = { data: bundle, metadata: {}, transient: {} };
  if (opts.display_id) content.transient = { display_id: opts.display_id };
  await j.broadcast(opts.update ? "update_display_data" : "display_data", content);
}

/**
 * Display anything in the notebook: objects with a display method are
 * formatted by it (awaited), strings become `text/plain`. Outside Jupyter the
 * `text/plain` form is printed.
 *
 * @example
 * ```ts
 * import { display } from "@oda-hub/oda-api";
 * await display("plain text");
 * ```
 */
export async function display(obj: unknown, opts: PublishOptions = {}): Promise<void> {
  await publishDisplay(await toBundle(obj), opts);
}

/**
 * The mime bundle of an object: its `[Symbol.for("Jupyter.display")]()`
 * result when it has one, otherwise `text/plain` of `String(obj)` / JSON.
 *
 * @example
 * ```ts
 * import { toBundle } from "@oda-hub/oda-api/display";
 * const b = await toBundle({ a: 1 });
 * console.log(b["text/plain"]);
 * ```
 */
export async function toBundle(obj: unknown): Promise<MimeBundle> {
  if (isDisplayable(obj)) return await obj[$display]();
  if (typeof obj === "string") return { "text/plain": obj };
  try {
    return { "text/plain": Deno.inspect(obj, { colors: false, depth: 4 }) };
  } catch {
    return { "text/plain": String(obj) };
  }
}

/**
 * Whether an object has a `[Symbol.for("Jupyter.display")]` method.
 *
 * @example
 * ```ts
 * import { isDisplayable, makeDisplayable } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(isDisplayable(makeDisplayable({ "text/plain": "x" })), true);
 * ```
 */
export function isDisplayable(obj: unknown): obj is Displayable {
  return obj !== null && (typeof obj === "object" || typeof obj === "function") &&
    typeof (obj as Record<symbol, unknown>)[$display] === "function";
}

/**
 * Wrap a ready bundle (or a function producing one, possibly async) in an
 * object the kernel displays as the cell result.
 *
 * @example
 * ```ts
 * import { makeDisplayable } from "@oda-hub/oda-api/display";
 * const view = makeDisplayable({ "text/plain": "42", "text/html": "<b>42</b>" });
 * view; // as the last expression of a notebook cell, shows a bold 42
 * ```
 */
export function makeDisplayable(
  bundle: MimeBundle | (() => MimeBundle | Promise<MimeBundle>),
  text?: string,
): Displayable {
  const plain = text ?? (typeof bundle === "function" ? "" : bundle["text/plain"]);
  return {
    [$display]: typeof bundle === "function" ? bundle : () => bundle,
    toString: () => plain,
    [Symbol.for("Deno.customInspect")]: () => plain,
  } as Displayable;
}

/**
 * Encode bytes as base64 (for `image/png` in bundles), in chunks so large
 * images do not overflow the call stack.
 *
 * @example
 * ```ts
 * import { mimeBase64 } from "@oda-hub/oda-api/display";
 * import assert from "node:assert/strict";
 * assert.equal(mimeBase64(new Uint8Array([1, 2, 3])), "AQID");
 * ```
 */
export function mimeBase64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
  }
  return btoa(s);
}
