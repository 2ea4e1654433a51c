/**
 * The catalogue shipped with the package: the MMODA instruments the sandbox simulates.
 *
 * @module
 */
import { Catalogue } from "./catalogue.ts";
import { MMODA_PRODUCTS } from "./mmoda_products.ts";

let shipped: Catalogue | undefined;

/**
 * The runtime {@linkcode Catalogue} of the shipped types ({@linkcode MMODA_PRODUCTS}: isgri, jemx, spi_acs
 * and the dispatcher's dummy instruments, as the sandbox describes them), built once. For another
 * dispatcher, use `await Catalogue.fromServer(disp)`.
 *
 * @example
 * ```ts
 * import { sandboxCatalogue } from "@oda-hub/oda-api";
 * const e1 = sandboxCatalogue().isgri.isgri_image.E1_keV;
 * console.log(e1.units, e1.value); // "keV" 20
 * ```
 */
export function sandboxCatalogue(): Catalogue {
  return shipped ??= new Catalogue(MMODA_PRODUCTS);
}
