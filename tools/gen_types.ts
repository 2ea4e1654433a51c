/**
 * Regenerate lib/client/mmoda_products.ts, the shipped types of the sandbox's instruments (MMODA's isgri,
 * jemx, spi_acs and the dispatcher's dummy instruments), from a sandbox started here:
 *
 *   deno run -A tools/gen_types.ts           # write the file
 *   deno run -A tools/gen_types.ts --check   # exit 1 when the file is not what the sandbox gives
 *
 * @module
 */
import { startSandbox } from "../sandbox.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
import { describeDispatcher } from "../lib/client/catalogue.ts";
import { generateProductTypes } from "../lib/client/types_generator.ts";

/** Path of the shipped types. */
export const SHIPPED_TYPES = new URL("../lib/client/mmoda_products.ts", import.meta.url);

/** The shipped types as the current sandbox describes itself. */
export async function sandboxTypes(): Promise<string> {
  const sb = await startSandbox({ port: 0, seed: 1 });
  try {
    const disp = new DispatcherAPI({ url: sb.url, token: null });
    const description = await describeDispatcher(disp);
    return generateProductTypes(description, {
      name: "MmodaProducts",
      internal: true,
      source:
        "the MMODA instruments the sandbox simulates (isgri, jemx, spi_acs and the dispatcher's dummy instruments)",
    });
  } finally {
    await sb.close();
  }
}

if (import.meta.main) {
  const text = await sandboxTypes();
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(SHIPPED_TYPES);
    if (current !== text) {
      console.error("lib/client/mmoda_products.ts is out of date: run deno run -A tools/gen_types.ts");
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(SHIPPED_TYPES, text);
    console.log(`wrote ${SHIPPED_TYPES.pathname}`);
  }
}
