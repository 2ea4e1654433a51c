/**
 * The `oda` command line (`deno run -A jsr:@oda-hub/oda-api/cli`, or
 * `deno task oda` in this repository): run queries with a progress bar,
 * describe instruments, inspect and refresh tokens, list and resume jobs, run
 * the offline sandbox and the end-to-end demo.
 *
 * @example
 * ```sh
 * deno run -A jsr:@oda-hub/oda-api/cli get -i spi_acs -p spi_acs_lc -a T1=2022-07-01T00:00:00 -a T2=2022-07-01T00:10:00
 * ```
 *
 * @module
 */
export { collectionSummary, exitCodeFor, main, parseKeyValues } from "./lib/cli/main.ts";
export { EXIT } from "./lib/cli/io.ts";
export type { CliIO } from "./lib/cli/io.ts";
export { type DemoOptions, type DemoResult, runDemo } from "./lib/cli/demo.ts";
import { main } from "./lib/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
