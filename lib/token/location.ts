/**
 * Where a token can live, in search order (mirrors `oda_api.token.TokenLocation`,
 * plus `DOTENV_FILE`, an `ODA_TOKEN=` line in `./.env`).
 *
 * @module
 */

/**
 * The places a token is searched for, in this order:
 *
 * | member | where |
 * | --- | --- |
 * | `ODA_ENV_VAR` | environment variable `ODA_TOKEN` |
 * | `DOTENV_FILE` | `ODA_TOKEN=...` in `./.env` (our addition) |
 * | `FILE_CUR_DIR` | `./.oda-token` |
 * | `FILE_HOME` | `~/.oda-token` |
 * | `CONTEXT_FILE` | key `token` of the JSON file `./.oda_api_context` |
 *
 * Use it like the Python enum: `TokenLocation.FILE_HOME`.
 *
 * @example
 * ```ts
 * import { discoverToken, TokenLocation } from "@oda-hub/oda-api";
 * const token = discoverToken({ token_discovery_methods: [TokenLocation.ODA_ENV_VAR, TokenLocation.FILE_HOME] });
 * ```
 */
export const TokenLocation: {
  /** Environment variable `ODA_TOKEN`. */
  readonly ODA_ENV_VAR: "ODA_ENV_VAR";
  /** `ODA_TOKEN=` line in `./.env`. */
  readonly DOTENV_FILE: "DOTENV_FILE";
  /** `./.oda-token`. */
  readonly FILE_CUR_DIR: "FILE_CUR_DIR";
  /** `~/.oda-token`. */
  readonly FILE_HOME: "FILE_HOME";
  /** Key `token` of `./.oda_api_context` (JSON). */
  readonly CONTEXT_FILE: "CONTEXT_FILE";
} = Object.freeze({
  ODA_ENV_VAR: "ODA_ENV_VAR",
  DOTENV_FILE: "DOTENV_FILE",
  FILE_CUR_DIR: "FILE_CUR_DIR",
  FILE_HOME: "FILE_HOME",
  CONTEXT_FILE: "CONTEXT_FILE",
});

/**
 * One member of {@linkcode TokenLocation}.
 *
 * @example
 * ```ts
 * import { TokenLocation } from "@oda-hub/oda-api";
 * const where: TokenLocation = TokenLocation.FILE_CUR_DIR;
 * ```
 */
export type TokenLocation = typeof TokenLocation[keyof typeof TokenLocation];

/**
 * Every location in search order.
 *
 * @example
 * ```ts
 * import { TOKEN_LOCATION_ORDER } from "@oda-hub/oda-api/token";
 * console.log(TOKEN_LOCATION_ORDER.join(" → "));
 * ```
 */
export const TOKEN_LOCATION_ORDER: readonly TokenLocation[] = Object.freeze(
  [
    "ODA_ENV_VAR",
    "DOTENV_FILE",
    "FILE_CUR_DIR",
    "FILE_HOME",
    "CONTEXT_FILE",
  ] as const,
);

/**
 * Human descriptions, as the Python enum values (`TokenLocation.ODA_ENV_VAR.value`).
 *
 * @example
 * ```ts
 * import { TOKEN_LOCATION_DESCRIPTIONS } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(TOKEN_LOCATION_DESCRIPTIONS.FILE_HOME, "file in home");
 * ```
 */
export const TOKEN_LOCATION_DESCRIPTIONS: Readonly<Record<TokenLocation, string>> = Object.freeze({
  ODA_ENV_VAR: "environment variable ODA_TOKEN",
  DOTENV_FILE: "ODA_TOKEN in .env file in current directory",
  FILE_CUR_DIR: "file in current directory",
  FILE_HOME: "file in home",
  CONTEXT_FILE: "context file current directory",
});

/**
 * Name of the environment variable holding the token.
 *
 * @example
 * ```ts
 * import { ODA_TOKEN_ENV_VAR } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const present = Deno.env.get(ODA_TOKEN_ENV_VAR) !== undefined; // the variable is "ODA_TOKEN"
 * ```
 */
export const ODA_TOKEN_ENV_VAR = "ODA_TOKEN";
/**
 * File name of the token files in the current directory and in the home directory.
 *
 * @example
 * ```ts
 * import { ODA_TOKEN_FILE } from "@oda-hub/oda-api/token";
 * console.log(`${Deno.env.get("HOME")}/${ODA_TOKEN_FILE}`); // ~/.oda-token
 * ```
 */
export const ODA_TOKEN_FILE = ".oda-token";
/**
 * File name of the JSON context file in the current directory.
 *
 * @example
 * ```ts
 * import { ODA_CONTEXT_FILE } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(ODA_CONTEXT_FILE, ".oda_api_context");
 * ```
 */
export const ODA_CONTEXT_FILE = ".oda_api_context";
/**
 * File name of the dotenv file in the current directory.
 *
 * @example
 * ```ts
 * import { DOTENV_FILE_NAME } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(DOTENV_FILE_NAME, ".env");
 * ```
 */
export const DOTENV_FILE_NAME = ".env";

/**
 * How Python prints the enum member: `TokenLocation.FILE_CUR_DIR`.
 *
 * @example
 * ```ts
 * import { tokenLocationName } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(tokenLocationName("FILE_HOME"), "TokenLocation.FILE_HOME");
 * ```
 */
export function tokenLocationName(location: TokenLocation): string {
  return `TokenLocation.${location}`;
}

/**
 * Whether a value is a {@linkcode TokenLocation} member.
 *
 * @example
 * ```ts
 * import { isTokenLocation } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * assert.equal(isTokenLocation("FILE_HOME"), true);
 * ```
 */
export function isTokenLocation(value: unknown): value is TokenLocation {
  return typeof value === "string" && (TOKEN_LOCATION_ORDER as readonly string[]).includes(value);
}

/**
 * The environment the token functions read and write; `Deno.env` by default.
 * Tests pass their own (e.g. backed by a `Map`).
 *
 * @example
 * ```ts
 * import { discoverToken } from "@oda-hub/oda-api";
 * import { type TokenEnvironment } from "@oda-hub/oda-api/token";
 * import assert from "node:assert/strict";
 * const vars = new Map<string, string>();
 * const env: TokenEnvironment = {
 *   get: (k) => vars.get(k),
 *   set: (k, v) => void vars.set(k, v),
 *   delete: (k) => void vars.delete(k),
 * };
 * assert.equal(discoverToken({ env, cwd: "/tmp/empty", home: "/tmp/empty" }), undefined);
 * ```
 */
export interface TokenEnvironment {
  /** Read a variable. */
  get(key: string): string | undefined;
  /** Set a variable. */
  set(key: string, value: string): void;
  /** Remove a variable. */
  delete(key: string): void;
}

/**
 * A {@linkcode TokenEnvironment} kept in memory (for tests and sandboxes), so
 * that token functions neither read nor change the process environment.
 *
 * @example
 * ```ts
 * import { discoverToken } from "@oda-hub/oda-api";
 * import { memoryTokenEnvironment } from "@oda-hub/oda-api/token";
 * const env = memoryTokenEnvironment({ ODA_TOKEN: "eyJ..." });
 * discoverToken({ env, token_discovery_methods: ["ODA_ENV_VAR"] });
 * ```
 */
export function memoryTokenEnvironment(initial: Record<string, string> = {}): TokenEnvironment {
  const vars = new Map(Object.entries(initial));
  return {
    get: (key) => vars.get(key),
    set: (key, value) => void vars.set(key, value),
    delete: (key) => void vars.delete(key),
  };
}
