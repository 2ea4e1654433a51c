/**
 * The catalogue shipped with the package: the MMODA instruments the sandbox simulates.
 *
 * @module
 */
import { Catalogue, type TypedCatalogue } from "./catalogue.ts";
import { MMODA_PRODUCTS, type MmodaProducts } from "./mmoda_products.ts";

let shipped: TypedCatalogue<MmodaProducts> | undefined;

/**
 * The runtime {@linkcode Catalogue} of the shipped types ({@linkcode MMODA_PRODUCTS}: isgri, jemx, spi_acs
 * and the dispatcher's dummy instruments, as the sandbox describes them), built once and typed (a misspelt
 * instrument, product or parameter is a compile error). For another
 * dispatcher, use `await Catalogue.fromServer(disp)`.
 *
 * @example
 * ```ts
 * import { sandboxCatalogue } from "@oda-hub/oda-api";
 * const e1 = sandboxCatalogue().isgri.isgri_image.E1_keV;
 * console.log(e1.units, e1.value); // "keV" 20
 * ```
 */
export function sandboxCatalogue(): TypedCatalogue<MmodaProducts> {
  return shipped ??= new Catalogue(MMODA_PRODUCTS) as unknown as TypedCatalogue<MmodaProducts>;
}
