/**
 * Finding the user's token, as `oda_api.token.discover_token_and_method`.
 *
 * @module
 */
import { errorMessage, FileError, OdaError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { decodeOdaToken, tokenExpiresIn } from "./decode.ts";
import { parseDotenv } from "./dotenv.ts";
import { formatToken, formatTokenExpiry } from "./format.ts";
import {
  DOTENV_FILE_NAME,
  isTokenLocation,
  ODA_CONTEXT_FILE,
  ODA_TOKEN_ENV_VAR,
  ODA_TOKEN_FILE,
  TOKEN_LOCATION_ORDER,
  TokenLocation,
  tokenLocationName,
} from "./location.ts";
import type { TokenEnvironment } from "./location.ts";
import { joinPath, resolveCwd, resolveHome } from "./paths.ts";
import { requireDeno } from "../_runtime.ts";

const log = getLogger("oda_api.token");

/**
 * Options of {@linkcode discoverToken} / {@linkcode discoverTokenAndMethod}
 * (keys keep the Python keyword names).
 *
 * @example
 * ```ts
 * import { discoverToken, type TokenDiscoveryOptions } from "@oda-hub/oda-api";
 * const opts: TokenDiscoveryOptions = { allow_invalid: true, token_discovery_methods: ["FILE_HOME"] };
 * discoverToken(opts);
 * ```
 */
export interface TokenDiscoveryOptions {
  /** Return an expired token instead of skipping it (default false). */
  allow_invalid?: boolean;
  /**
   * Only search these locations (one member or a list; the search order stays
   * that of {@linkcode TokenLocation}). Default: all of them.
   */
  token_discovery_methods?: TokenLocation | readonly TokenLocation[];
  /** Directory used for `./.env`, `./.oda-token`, `./.oda_api_context` (default `Deno.cwd()`). */
  cwd?: string | undefined;
  /** Home directory for `~/.oda-token` (default `$HOME`, or `%USERPROFILE%` on Windows). */
  home?: string | undefined;
  /** Environment to read `ODA_TOKEN` from (default `Deno.env`). */
  env?: TokenEnvironment;
  /** Current time in milliseconds since the epoch (default `Date.now()`), for tests. */
  now?: number;
}

/**
 * Result of {@linkcode discoverTokenAndMethod}. Both fields are `undefined`
 * when no usable token was found.
 *
 * @example
 * ```ts
 * import { type DiscoveredToken, discoverTokenAndMethod } from "@oda-hub/oda-api";
 * const d: DiscoveredToken = discoverTokenAndMethod();
 * if (d.token) console.log("token from", d.location);
 * ```
 */
export interface DiscoveredToken {
  /** The token string (keep it secret: never print it). */
  token: string | undefined;
  /** Where it was found. */
  location: TokenLocation | undefined;
}

/** Why a location yielded nothing (no token present); an Error means a real problem. */
class Absent {
  constructor(readonly reason: string) {}
}

const warnedOpenFiles = new Set<string>();

/** Warn (once per file) when a token file can be read by other users. */
function checkPrivate(path: string): void {
  if (Deno.build.os === "windows" || warnedOpenFiles.has(path)) return;
  try {
    const mode = Deno.statSync(path).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      warnedOpenFiles.add(path);
      log.warning(
        `${path} can be read by other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): ` +
          `run \`chmod 600 ${path}\` to keep your token private`,
        { event: "token_file_open", path },
      );
    }
  } catch {
    // stat failed: nothing to say
  }
}

function readFile(path: string, secret = false): string | Absent {
  try {
    const text = Deno.readTextFileSync(path);
    if (secret) checkPrivate(path);
    return text;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Absent(`${path} does not exist`);
    throw e;
  }
}

/**
 * Read the raw token text at one location (no decoding). Returns `undefined`
 * when that location holds no token.
 *
 * @example
 * ```ts
 * import { TokenLocation } from "@oda-hub/oda-api";
 * import { readTokenAt } from "@oda-hub/oda-api/token";
 * const raw = readTokenAt(TokenLocation.FILE_HOME);
 * ```
 */
export function readTokenAt(
  location: TokenLocation,
  opts: Pick<TokenDiscoveryOptions, "cwd" | "home" | "env"> = {},
): string | undefined {
  let r: string | Absent;
  try {
    r = readCandidate(location, opts);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    throw new FileError("IO", `cannot read the token at ${tokenLocationName(location)}: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  return r instanceof Absent ? undefined : r;
}

function readCandidate(
  location: TokenLocation,
  opts: Pick<TokenDiscoveryOptions, "cwd" | "home" | "env">,
): string | Absent {
  let raw: string | Absent;
  switch (location) {
    case TokenLocation.ODA_ENV_VAR: {
      const v = (opts.env ?? Deno.env).get(ODA_TOKEN_ENV_VAR);
      raw = v === undefined ? new Absent(`environment variable ${ODA_TOKEN_ENV_VAR} is not set`) : v;
      break;
    }
    case TokenLocation.DOTENV_FILE: {
      const path = joinPath(resolveCwd(opts), DOTENV_FILE_NAME);
      const text = readFile(path);
      if (text instanceof Absent) return text;
      const v = parseDotenv(text)[ODA_TOKEN_ENV_VAR];
      if (v !== undefined && v.trim() !== "") checkPrivate(path);
      raw = v === undefined ? new Absent(`no ${ODA_TOKEN_ENV_VAR}= line in ${DOTENV_FILE_NAME}`) : v;
      break;
    }
    case TokenLocation.FILE_CUR_DIR:
      raw = readFile(joinPath(resolveCwd(opts), ODA_TOKEN_FILE), true);
      break;
    case TokenLocation.FILE_HOME: {
      const home = resolveHome(opts);
      raw = home === undefined
        ? new Absent("no home directory (HOME is not set)")
        : readFile(joinPath(home, ODA_TOKEN_FILE), true);
      break;
    }
    case TokenLocation.CONTEXT_FILE: {
      const text = readFile(joinPath(resolveCwd(opts), ODA_CONTEXT_FILE), true);
      if (text instanceof Absent) return text;
      let ctx: unknown;
      try {
        ctx = JSON.parse(text);
      } catch {
        return new Absent(`${ODA_CONTEXT_FILE} is not valid JSON`);
      }
      const t = ctx && typeof ctx === "object" ? (ctx as Record<string, unknown>).token : undefined;
      raw = typeof t === "string" ? t : new Absent(`${ODA_CONTEXT_FILE} has no "token" string`);
      break;
    }
    default:
      return new Absent(`unknown token location ${String(location)}`);
  }
  if (raw instanceof Absent) return raw;
  const s = raw.trim();
  return s === "" ? new Absent("empty") : s;
}

function selectedLocations(methods: TokenDiscoveryOptions["token_discovery_methods"]): TokenLocation[] {
  if (methods === undefined) return [...TOKEN_LOCATION_ORDER];
  const wanted: readonly TokenLocation[] = typeof methods === "string" ? [methods] : methods;
  for (const m of wanted) {
    if (!isTokenLocation(m)) {
      throw new OdaError(
        "INVALID_ARGUMENT",
        `unknown token location ${JSON.stringify(m)} in token_discovery_methods: use ${
          TOKEN_LOCATION_ORDER.join(", ")
        }`,
      );
    }
  }
  return TOKEN_LOCATION_ORDER.filter((l) => wanted.includes(l));
}

/**
 * Search the token locations in order ({@linkcode TokenLocation}) and return the
 * first usable token and where it was found. A location that is missing, unreadable
 * or holds something that is not a token (or a token without `exp`) is skipped.
 * An expired token is skipped too (DEBUG log `token expired X.X h ago!`), unless
 * `allow_invalid` is set, in which case it is returned.
 *
 * At INFO it logs `found token in TokenLocation.X your token payload: {...}` and
 * `token expires in X.X h` (the payload, never the token string).
 *
 * @example
 * ```ts
 * import { discoverTokenAndMethod, getLogger } from "@oda-hub/oda-api";
 * getLogger("oda_api").setLevel("INFO");
 * const { token, location } = discoverTokenAndMethod();
 * if (token === undefined) console.log("no token: set ODA_TOKEN or write ~/.oda-token");
 * else console.log("using the token from", location);
 * ```
 */
export function discoverTokenAndMethod(opts: TokenDiscoveryOptions = {}): DiscoveredToken {
  if (opts.env === undefined) requireDeno("token discovery (ODA_TOKEN and token files)");
  const now = opts.now ?? Date.now();
  for (const location of selectedLocations(opts.token_discovery_methods)) {
    const where = tokenLocationName(location);
    let candidate: string | Absent;
    try {
      candidate = readCandidate(location, opts);
    } catch (e) {
      log.debug(`failed to read token from ${where}: ${errorMessage(e)}`, {
        event: "token_read_failed",
        location,
      });
      continue;
    }
    if (candidate instanceof Absent) {
      log.debug(`no token in ${where}: ${candidate.reason}`, { event: "token_absent", location });
      continue;
    }
    let expiresIn: number | undefined;
    let payload;
    try {
      payload = decodeOdaToken(candidate);
      expiresIn = tokenExpiresIn(payload, now);
    } catch (e) {
      log.debug(`failed to decode token from ${where}: ${errorMessage(e)}`, {
        event: "token_malformed",
        location,
      });
      continue;
    }
    if (expiresIn === undefined) {
      log.debug(`token from ${where} has no "exp" claim, skipped`, { event: "token_no_exp", location });
      continue;
    }
    if (expiresIn < 0) {
      log.debug(formatTokenExpiry(expiresIn), {
        event: "token_expired",
        location,
        expires_in_s: expiresIn,
      });
      if (opts.allow_invalid) return { token: candidate, location };
      continue;
    }
    log.info(`found token in ${where} your token payload: ${formatToken(payload)}`, {
      event: "token_found",
      location,
      expires_in_s: expiresIn,
    });
    log.info(formatTokenExpiry(expiresIn), {
      event: "token_expires_in",
      location,
      expires_in_s: expiresIn,
    });
    return { token: candidate, location };
  }
  log.debug("failed to discover token with any known method", { event: "token_not_found" });
  return { token: undefined, location: undefined };
}

/**
 * The first usable token (see {@linkcode discoverTokenAndMethod}), or `undefined`.
 * The equivalent of `oda_api.token.discover_token()`.
 *
 * @example
 * ```ts
 * import { discoverToken } from "@oda-hub/oda-api";
 * const token = discoverToken();
 * ```
 */
export function discoverToken(opts: TokenDiscoveryOptions = {}): string | undefined {
  return discoverTokenAndMethod(opts).token;
}
