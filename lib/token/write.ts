/**
 * Writing a (refreshed) token, as `oda_api.token.rewrite_token`.
 *
 * @module
 */
import { errorMessage, FileError, OdaError, TokenError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { compareToken } from "./compare.ts";
import { decodeOdaToken, type OdaTokenPayload } from "./decode.ts";
import { discoverTokenAndMethod } from "./discover.ts";
import {
  isTokenLocation,
  ODA_TOKEN_ENV_VAR,
  ODA_TOKEN_FILE,
  TOKEN_LOCATION_DESCRIPTIONS,
  type TokenEnvironment,
  TokenLocation,
  tokenLocationName,
} from "./location.ts";
import { dirName, joinPath, resolveCwd, resolveHome } from "./paths.ts";
import { requireDeno } from "../_runtime.ts";

const log = getLogger("oda_api.token");

/**
 * Locations {@linkcode writeToken} can write to.
 *
 * @example
 * ```ts
 * import { type TokenWriteLocation, writeToken } from "@oda-hub/oda-api";
 * declare const token: string;
 * const where: TokenWriteLocation[] = ["FILE_HOME"];
 * writeToken(token, { token_write_methods: where });
 * ```
 */
export type TokenWriteLocation = "ODA_ENV_VAR" | "FILE_CUR_DIR" | "FILE_HOME";

/**
 * Default write methods, as oda_api: the environment variable and `./.oda-token`.
 *
 * @example
 * ```ts
 * import { DEFAULT_TOKEN_WRITE_METHODS } from "@oda-hub/oda-api/token";
 * console.log(DEFAULT_TOKEN_WRITE_METHODS); // ["ODA_ENV_VAR", "FILE_CUR_DIR"]
 * ```
 */
export const DEFAULT_TOKEN_WRITE_METHODS: readonly TokenWriteLocation[] = Object.freeze(
  [
    "ODA_ENV_VAR",
    "FILE_CUR_DIR",
  ] as const,
);

/**
 * Options of {@linkcode writeToken} (keys keep the Python keyword names).
 *
 * @example
 * ```ts
 * import { type WriteTokenOptions } from "@oda-hub/oda-api";
 * const opts: WriteTokenOptions = { token_write_methods: ["FILE_HOME"], force: false };
 * ```
 */
export interface WriteTokenOptions {
  /** Where to write (one or a list): `ODA_ENV_VAR`, `FILE_CUR_DIR`, `FILE_HOME`. Default: env var + `./.oda-token`. */
  token_write_methods?: TokenLocation | readonly TokenLocation[] | undefined;
  /** Write even if the new token has fewer roles, other keys, other e-mail options or an earlier expiry. */
  force?: boolean;
  /** Python name of {@linkcode WriteTokenOptions.force}. */
  force_rewrite?: boolean;
  /** Remove the previously discovered token from where it was found (env var or `.oda-token` file). */
  discard_discovered_token?: boolean | undefined;
  /** The token being replaced; default: the discovered one (expired ones included). */
  old_token?: string;
  /** Directory for `./.oda-token` and the `old-oda-token_<time>` backup (default `Deno.cwd()`). */
  cwd?: string | undefined;
  /** Home directory for `~/.oda-token` (default `$HOME`). */
  home?: string | undefined;
  /** Environment to write `ODA_TOKEN` to (default `Deno.env`). */
  env?: TokenEnvironment;
}

/**
 * What {@linkcode writeToken} did.
 *
 * @example
 * ```ts
 * import { writeToken, type WriteTokenResult } from "@oda-hub/oda-api";
 * declare const newToken: string;
 * const r: WriteTokenResult = writeToken(newToken, { token_write_methods: ["FILE_HOME"] });
 * console.log(r.files);
 * ```
 */
export interface WriteTokenResult {
  /** Locations written, in order. */
  written: TokenWriteLocation[];
  /** Files written (absolute or as given by `cwd`/`home`). */
  files: string[];
  /** Backup of the previous token (`old-oda-token_<unix time>`), if there was one. */
  old_token_file?: string;
  /** Where the replaced token was discovered, if it was discovered. */
  old_token_location?: TokenLocation;
  /** Location removed because of `discard_discovered_token`. */
  discarded?: TokenLocation;
  /** Where a fresh discovery now finds a token (may be another location that comes first). */
  discovered_location?: TokenLocation;
}

function isWindows(): boolean {
  return Deno.build.os === "windows";
}

/** Write `text` to `path` atomically (temporary file + rename), mode 0600. */
function atomicWrite(path: string, text: string): void {
  const tmp = joinPath(dirName(path), `.oda-token.tmp-${crypto.randomUUID()}`);
  try {
    Deno.writeTextFileSync(tmp, text, { mode: 0o600, createNew: true });
    if (!isWindows()) Deno.chmodSync(tmp, 0o600);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw new FileError("IO", `could not write the token to ${path}: ${errorMessage(e)}`, { cause: e });
  }
}

function writeOldToken(cwd: string, token: string): string {
  for (let attempt = 0;; attempt++) {
    const name = `old-oda-token_${Date.now() / 1000}${attempt ? `_${attempt}` : ""}`;
    const path = joinPath(cwd, name);
    try {
      Deno.writeTextFileSync(path, token, { mode: 0o600, createNew: true });
      if (!isWindows()) Deno.chmodSync(path, 0o600);
      return path;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists && attempt < 10) continue;
      throw new FileError("IO", `could not save the previous token in ${cwd}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new TokenError(
    "TOKEN_REWRITE_REFUSED",
    `${message} (in TypeScript: writeToken(token, { force: true }))`,
    { details },
  );
}

function checkRewrite(newPayload: OdaTokenPayload, oldPayload: OdaTokenPayload): void {
  const c = compareToken(newPayload, oldPayload);
  const details = { comparison: c };
  if (c.missing_keys.length > 0) {
    refuse(
      `The new token is missing some of the keys present instead on the discovered token ` +
        `(${c.missing_keys.join(", ")}), please pass force=True to overwrite`,
      details,
    );
  }
  if (c.extra_keys.length > 0) {
    refuse(
      `The new token has some keys not present on the discovered token (${c.extra_keys.join(", ")}), ` +
        `please pass force=True to overwrite`,
      details,
    );
  }
  if (c.exp === -1) {
    refuse(
      "Expiration time of the refreshed token is lower than the currently available one, please pass force=True to overwrite",
      details,
    );
  }
  if (c.roles === -1) {
    refuse(
      "The new token lacks some of the roles of the discovered token, please pass force=True to overwrite",
      details,
    );
  }
  const changedNumeric = Object.entries(c.email_numeric).filter(([, v]) => v !== null && v !== 0).map(([k]) =>
    k
  );
  const changedFlags = Object.entries(c.email_flags).filter(([, v]) => v === false).map(([k]) => k);
  if (changedNumeric.length + changedFlags.length > 0) {
    refuse(
      `The new token has different email options than the discovered token ` +
        `(${[...changedNumeric, ...changedFlags].join(", ")}), please pass force=True to overwrite`,
      details,
    );
  }
  if (c.roles === 1) {
    log.warning("The new token has more roles than the discovered token", { event: "token_more_roles" });
  }
  if (!c.sub || !c.email) {
    log.warning("The new token belongs to a different user (sub/email) than the discovered token", {
      event: "token_other_user",
    });
  }
}

/**
 * Check that `newToken` may replace `oldToken` by the rules of
 * {@linkcode writeToken} (no missing or extra keys, no earlier expiry, no
 * fewer roles, the same e-mail options): throws `TOKEN_REWRITE_REFUSED`
 * otherwise, `TOKEN_MALFORMED` for a token that does not decode.
 *
 * @example
 * ```ts
 * import { checkTokenReplacement } from "./write.ts";
 * declare const refreshed: string, current: string;
 * checkTokenReplacement(refreshed, current); // throws if the refreshed token expires earlier
 * ```
 */
export function checkTokenReplacement(newToken: string, oldToken: string): void {
  checkRewrite(decodeOdaToken(newToken), decodeOdaToken(oldToken));
}

/**
 * Write a new (e.g. refreshed) token where oda_api would: the `ODA_TOKEN`
 * environment variable of this process and/or `./.oda-token` / `~/.oda-token`
 * (mode 0600, written atomically). The previous token (given as `old_token` or
 * discovered, expired ones included) is compared first: unless `force` is set,
 * a token with missing or extra keys, an earlier expiry, fewer roles or changed
 * e-mail options is refused with a {@linkcode TokenError}
 * (`TOKEN_REWRITE_REFUSED`). The previous token is kept as
 * `old-oda-token_<unix time>` (mode 0600) in `cwd`.
 *
 * Finally the token is discovered again; if another location that comes first
 * in the search order still holds a different token, a warning says so.
 *
 * @example
 * ```ts
 * import { writeToken } from "@oda-hub/oda-api";
 * declare const refreshed: string;
 * writeToken(refreshed, { token_write_methods: ["ODA_ENV_VAR", "FILE_HOME"] });
 * ```
 */
export function writeToken(token: string, opts: WriteTokenOptions = {}): WriteTokenResult {
  const env = opts.env ?? requireDeno("writeToken").env;
  const cwd = resolveCwd(opts);
  const force = opts.force ?? opts.force_rewrite ?? false;
  const requested = opts.token_write_methods ?? DEFAULT_TOKEN_WRITE_METHODS;
  const methods: readonly TokenLocation[] = typeof requested === "string" ? [requested] : requested;
  for (const m of methods) {
    if (!isTokenLocation(m) || !(["ODA_ENV_VAR", "FILE_CUR_DIR", "FILE_HOME"] as string[]).includes(m)) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `cannot write a token to ${
          String(m)
        }: token_write_methods may contain ODA_ENV_VAR, FILE_CUR_DIR, FILE_HOME`,
      );
    }
  }
  const home = resolveHome({ home: opts.home, env });
  if (methods.includes(TokenLocation.FILE_HOME) && home === undefined) {
    throw new OdaError(
      "INVALID_ARGUMENT",
      "cannot write ~/.oda-token: no home directory (HOME is not set)",
    );
  }
  const newPayload = decodeOdaToken(token);
  const newToken = token.trim();

  const discoveryOpts = { allow_invalid: true, cwd, home, env };
  let oldToken = opts.old_token?.trim() || undefined;
  let oldLocation: TokenLocation | undefined;
  if (oldToken === undefined || opts.discard_discovered_token) {
    const d = discoverTokenAndMethod(discoveryOpts);
    oldLocation = d.location;
    if (oldToken === undefined) oldToken = d.token;
  }

  const result: WriteTokenResult = { written: [], files: [] };
  if (oldLocation !== undefined) result.old_token_location = oldLocation;
  if (oldToken !== undefined) {
    let oldPayload: OdaTokenPayload | undefined;
    try {
      oldPayload = decodeOdaToken(oldToken);
    } catch (e) {
      log.warning(`the previous token cannot be decoded, it is not compared: ${errorMessage(e)}`);
    }
    if (oldPayload && !force) checkRewrite(newPayload, oldPayload);
    if (oldToken !== newToken) result.old_token_file = writeOldToken(cwd, oldToken);
  }

  if (opts.discard_discovered_token && oldLocation !== undefined) {
    switch (oldLocation) {
      case TokenLocation.ODA_ENV_VAR:
        env.delete(ODA_TOKEN_ENV_VAR);
        result.discarded = oldLocation;
        break;
      case TokenLocation.FILE_CUR_DIR:
      case TokenLocation.FILE_HOME: {
        const dir = oldLocation === TokenLocation.FILE_CUR_DIR ? cwd : home!;
        try {
          Deno.removeSync(joinPath(dir, ODA_TOKEN_FILE));
          result.discarded = oldLocation;
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) {
            log.warning(`could not remove the discovered token file: ${errorMessage(e)}`);
          }
        }
        break;
      }
      default:
        log.warning(
          `the discovered token in ${
            tokenLocationName(oldLocation)
          } was not removed: edit that file yourself`,
          { event: "token_not_discarded", location: oldLocation },
        );
    }
    if (result.discarded) {
      log.info(`discarded the discovered token from ${tokenLocationName(result.discarded)}`, {
        event: "token_discarded",
        location: result.discarded,
      });
    }
  }

  for (const m of methods as TokenWriteLocation[]) {
    if (result.written.includes(m)) continue;
    if (m === "ODA_ENV_VAR") {
      env.set(ODA_TOKEN_ENV_VAR, newToken);
    } else {
      const path = joinPath(m === "FILE_CUR_DIR" ? cwd : home!, ODA_TOKEN_FILE);
      atomicWrite(path, newToken);
      result.files.push(path);
    }
    result.written.push(m);
    log.info(`Refreshed token has been re-written with the method: ${TOKEN_LOCATION_DESCRIPTIONS[m]}`, {
      event: "token_written",
      location: m,
    });
  }

  const after = discoverTokenAndMethod(discoveryOpts);
  if (after.location !== undefined) result.discovered_location = after.location;
  if (after.token !== newToken) {
    log.warning(
      `the token now discovered (in ${after.location ? tokenLocationName(after.location) : "no location"}) ` +
        `is not the one just written, because that location comes first in the search order: ` +
        `this is an expected behavior. In case you wish to discard any old token, please repeat the same ` +
        `request setting the argument discard_discovered_token to True`,
      { event: "token_shadowed", location: after.location },
    );
  }
  return result;
}
