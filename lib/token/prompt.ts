/**
 * Asking the user for the token, the equivalent of the seed notebooks'
 * `token = getpass.getpass('Insert the token')`.
 *
 * @module
 */

import { requireDeno } from "../_runtime.ts";

/**
 * Options of {@linkcode promptToken}.
 *
 * @example
 * ```ts
 * import { promptToken, type PromptTokenOptions } from "@oda-hub/oda-api";
 * const opts: PromptTokenOptions = { message: "MMODA token" };
 * const token = await promptToken(opts);
 * ```
 */
export interface PromptTokenOptions {
  /** The question (default `Insert the token`). */
  message?: string | undefined;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * Apply terminal key bytes to a hidden line being typed. Returns the new text and
 * whether the line is finished (`"enter"`), cancelled (`"cancel"`, Ctrl-C) or
 * ended (`"eof"`, Ctrl-D on an empty line). Exported for tests only.
 */
export function applyHiddenKeys(
  text: string,
  bytes: Uint8Array,
): { text: string; done?: "enter" | "cancel" | "eof" } {
  let pending: number[] = [];
  const flush = () => {
    if (pending.length) text += DECODER.decode(new Uint8Array(pending));
    pending = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0d || b === 0x0a) {
      flush();
      return { text, done: "enter" };
    }
    if (b === 0x03) return { text: "", done: "cancel" };
    if (b === 0x04) {
      flush();
      if (text === "") return { text, done: "eof" };
      return { text, done: "enter" };
    }
    if (b === 0x7f || b === 0x08) {
      flush();
      text = [...text].slice(0, -1).join("");
      continue;
    }
    if (b === 0x15) { // Ctrl-U: clear the line
      pending = [];
      text = "";
      continue;
    }
    if (b === 0x1b) { // escape sequences (arrows...): skip "ESC [ ... letter"
      if (bytes[i + 1] === 0x5b) {
        i += 2;
        while (i < bytes.length && !(bytes[i] >= 0x40 && bytes[i] <= 0x7e)) i++;
      } else i++;
      continue;
    }
    if (b < 0x20) continue;
    pending.push(b);
  }
  flush();
  return { text };
}

async function readHidden(message: string): Promise<string | undefined> {
  await Deno.stderr.write(ENCODER.encode(message));
  Deno.stdin.setRaw(true);
  let text = "";
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return text === "" ? undefined : text;
      const r = applyHiddenKeys(text, buf.subarray(0, n));
      text = r.text;
      if (r.done === "enter") return text;
      if (r.done === "eof") return undefined;
      if (r.done === "cancel") throw new DOMException("token prompt cancelled (Ctrl-C)", "AbortError");
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(ENCODER.encode("\n"));
  }
}

/** Read one line from a non-terminal stdin (a pipe or file), like `getpass` does; `null` at EOF. */
async function readPipedLine(): Promise<string | null> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  try {
    for (;;) {
      const n = await Deno.stdin.read(one);
      if (n === null) break;
      if (one[0] === 0x0a) return DECODER.decode(new Uint8Array(bytes));
      bytes.push(one[0]);
    }
  } catch {
    // stdin closed or not readable
  }
  return bytes.length ? DECODER.decode(new Uint8Array(bytes)) : null;
}

/** Whether this code runs inside the Deno Jupyter kernel (`Deno.jupyter` throws elsewhere). */
function isJupyterKernel(): boolean {
  try {
    return typeof (Deno as unknown as { jupyter?: unknown }).jupyter === "object";
  } catch {
    return false;
  }
}

/**
 * Ask the user for the token and return it (trimmed), or `undefined` when
 * nothing was entered or nobody can answer.
 *
 * - In a terminal (`deno run`, the CLI) the typed characters are **not echoed**
 *   (raw mode, like Python's `getpass`); Ctrl-C cancels with an `AbortError`.
 * - In a Jupyter notebook with the Deno kernel, it asks through the kernel's
 *   `prompt(message, "", { password: true })`, which sends Jupyter's
 *   `input_request` with `password: true`: front ends show a password field and
 *   do not keep the answer in the notebook (checked against Deno 2.9's kernel).
 *   The question still recommends `ODA_TOKEN` or a `~/.oda-token` file, which
 *   need no prompt at all (see {@linkcode discoverToken}).
 * - With stdin redirected from a pipe or a file (`echo "$T" | deno run ...`), one
 *   line is read from it, as `getpass` does.
 * - Headless (nbconvert/nbclient execution: `prompt()` returns `null` at once; or
 *   stdin closed / `/dev/null`) it returns `undefined` without waiting.
 *
 * The token is never echoed or logged.
 *
 * @example
 * ```ts
 * import { discoverToken, promptToken } from "@oda-hub/oda-api";
 * const token = discoverToken() ?? await promptToken({ message: "Insert the token" });
 * if (token === undefined) console.log("continuing without a token (public data only)");
 * ```
 */
export async function promptToken(opts: PromptTokenOptions = {}): Promise<string | undefined> {
  requireDeno("promptToken");
  const message = opts.message ?? "Insert the token";
  let answer: string | null | undefined;
  const inNotebook = isJupyterKernel();
  let terminal = false;
  try {
    terminal = !inNotebook && Deno.stdin.isTerminal();
  } catch {
    terminal = false;
  }
  if (terminal) {
    answer = await readHidden(message.endsWith(" ") ? message : message + " ");
  } else if (inNotebook) {
    // Deno's kernel takes a third argument, { password }, and sends it as the input_request's `password` flag
    const ask = globalThis.prompt as unknown as (
      m: string,
      d: string,
      o: { password: boolean },
    ) => string | null;
    answer = ask(`${message} (hidden; or set ODA_TOKEN / write ~/.oda-token to skip this question)`, "", {
      password: true,
    });
  } else {
    answer = await readPipedLine();
  }
  const t = answer?.trim();
  return t ? t : undefined;
}
