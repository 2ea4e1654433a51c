/**
 * Test helper: one way to launch headless Chromium (screenshots, `--dump-dom`, pages that report back).
 *
 * Every launch gets the same flags (no sandbox, no GPU, nothing that reaches the network on its own) and a
 * throw-away profile directory, removed afterwards.
 *
 * ```ts
 * import { runChromium } from "./_chromium.ts";
 * const r = await runChromium(["--screenshot=/tmp/shot.png", "--window-size=800,600", "file:///tmp/page.html"]);
 * if (r.code !== 0) throw new Error(r.stderr);
 * ```
 *
 * @module
 */
import { CHROMIUM } from "./_validators.ts";

/** The flags of every test launch: headless, no sandbox or GPU, no background traffic, no first-run UI. */
export const HEADLESS_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A fresh profile directory for one launch (remove it with {@linkcode removeProfile}). */
export function makeProfile(): Promise<string> {
  return Deno.makeTempDir({ prefix: "oda-chromium-" });
}

/** Removes a profile made by {@linkcode makeProfile}; a missing one is fine. */
export async function removeProfile(profile: string): Promise<void> {
  await Deno.remove(profile, { recursive: true }).catch(() => {});
}

/** The arguments of one launch: {@linkcode HEADLESS_FLAGS}, the profile, then `extra`. */
export function chromiumArgs(profile: string, extra: readonly string[]): string[] {
  return [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, ...extra];
}

/** Runs Chromium to its end with a fresh profile and `extra` arguments; its exit code and decoded output. */
export async function runChromium(
  extra: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const profile = await makeProfile();
  try {
    const out = await new Deno.Command(CHROMIUM, {
      args: chromiumArgs(profile, extra),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await removeProfile(profile);
  }
}

/**
 * The path of `file` inside the npm package `pkg` in Deno's npm cache, at the version deno.lock pins (for
 * pages that load vega, vega-lite and vega-embed as `file://` scripts).
 */
export async function npmFile(pkg: string, file: string): Promise<string> {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  const cache = (JSON.parse(new TextDecoder().decode(info.stdout)) as { npmCache: string }).npmCache;
  const lock = JSON.parse(await Deno.readTextFile(`${root}/deno.lock`)) as { npm: Record<string, unknown> };
  const version = Object.keys(lock.npm).map((k) => k.match(new RegExp(`^${pkg}@([\\d.]+)`))?.[1]).find(
    Boolean,
  );
  if (!version) throw new Error(`${pkg} is not in deno.lock`);
  const path = `${cache}/registry.npmjs.org/${pkg}/${version}/${file}`;
  await Deno.stat(path);
  return path;
}
