/**
 * Token tooling beyond the everyday `discoverToken` / `decodeOdaToken` /
 * `writeToken` of the main entry point: where tokens are looked for and in
 * which order, comparing two tokens as oda_api's `compare_token` does,
 * summaries and formatting, `.env` parsing, and in-memory environments for
 * tests. Reading and writing token files needs Deno (file system access).
 *
 * @example
 * ```ts
 * import { memoryTokenEnvironment, TOKEN_LOCATION_ORDER } from "@oda-hub/oda-api/token";
 * import { discoverToken } from "@oda-hub/oda-api";
 * const env = memoryTokenEnvironment({});
 * console.log(TOKEN_LOCATION_ORDER.length > 0, discoverToken({ env, cwd: "/nonexistent", home: "/nonexistent" })); // true undefined
 * ```
 *
 * @module
 */
export * from "./lib/token/location.ts";
export { summarizeToken, TOKEN_ALGORITHM, type TokenSummary } from "./lib/token/decode.ts";
export * from "./lib/token/compare.ts";
export * from "./lib/token/format.ts";
export * from "./lib/token/dotenv.ts";
export { readTokenAt } from "./lib/token/discover.ts";
export { DEFAULT_TOKEN_WRITE_METHODS } from "./lib/token/write.ts";
export { tokenEchoForms, tokenEchoRedactor } from "./lib/token/echoes.ts";
