/**
 * Where a {@linkcode DispatcherAPI} connects: the public MMODA dispatchers,
 * their site aliases, and the check that turns what a user typed into a
 * dispatcher base URL.
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import { getLogger } from "../log.ts";

const log = getLogger("oda_api.api");

/**
 * The production MMODA dispatcher.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, PRODUCTION_URL } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: PRODUCTION_URL });
 * ```
 */
export const PRODUCTION_URL = "https://www.astro.unige.ch/mmoda/dispatch-data";
/**
 * The staging dispatcher.
 *
 * @example
 * ```ts
 * import { DispatcherAPI, STAGING_URL } from "@oda-hub/oda-api";
 * const disp = new DispatcherAPI({ url: STAGING_URL });
 * ```
 */
export const STAGING_URL = "https://dispatcher-staging.obsuks1.unige.ch";

/**
 * Site aliases (as in odahub.io's oda-sites.ttl, built in: no network lookup).
 *
 * @example
 * ```ts
 * import { SITE_ALIASES } from "./dispatcher_url.ts";
 * console.log(SITE_ALIASES.production);
 * ```
 */
export const SITE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  "unige-production": PRODUCTION_URL,
  production: PRODUCTION_URL,
  prod: PRODUCTION_URL,
  "unige-staging": STAGING_URL,
  staging: STAGING_URL,
});

const URL_RE =
  /^https?:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d+)?(\/[a-z0-9/-]*)?$/i;

/**
 * Resolve an alias and validate a dispatcher URL like oda_api does
 * (host labels, optional port, a path of `[a-z0-9/-]`, nothing else).
 *
 * @example
 * ```ts
 * import { resolveDispatcherUrl } from "./dispatcher_url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveDispatcherUrl("production"), "https://www.astro.unige.ch/mmoda/dispatch-data");
 * assert.equal(resolveDispatcherUrl("http://127.0.0.1:8011"), "http://127.0.0.1:8011");
 * ```
 */
export function resolveDispatcherUrl(url: string | undefined): string {
  if (url === undefined || url === "") return PRODUCTION_URL;
  let u = url.trim();
  if (!/^https?:\/\//i.test(u)) {
    log.info(`url ${u} is not of http(s) schema, trying to interpretting url as an alias`);
    const alias = SITE_ALIASES[u];
    if (!alias) {
      throw new OdaError(
        "INVALID_URL",
        `${u} is not a valid url nor a known alias (${Object.keys(SITE_ALIASES).join(", ")}). ` +
          `A valid url should be like \`${PRODUCTION_URL}\``,
      );
    }
    log.info(`url ${u} interpretted an alias for ${alias}`);
    u = alias;
  }
  if (!URL_RE.test(u)) {
    throw new OdaError(
      "INVALID_URL",
      `${u} is not a valid url. \nA valid url should be like \`${PRODUCTION_URL}\`, ` +
        "i.e. scheme, host, optional port and a path of letters, digits, '-' and '/' (no query string)",
    );
  }
  return u.replace(/\/+$/, "");
}
