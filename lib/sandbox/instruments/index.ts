/**
 * The sandbox's simulated instruments: `isgri`, `jemx` and `spi_acs`, plus
 * the bright-source catalogue used by `/resolve_name`.
 *
 * @module
 */
import type { SandboxInstrument } from "../instrument.ts";
import { isgriInstrument } from "./isgri.ts";
import { jemxInstrument } from "./jemx.ts";
import { spiAcsInstrument } from "./spi_acs.ts";

export { isgriInstrument } from "./isgri.ts";
export { jemxInstrument } from "./jemx.ts";
export { spiAcsInstrument } from "./spi_acs.ts";
export {
  angularSeparation,
  BRIGHT_SOURCES,
  type CatalogSource,
  type PointSource,
  resolveName,
  type Variability,
} from "./sources.ts";

/**
 * The built-in simulated instruments (the server adds `empty` & co. itself).
 *
 * @example
 * ```ts
 * import { builtinInstruments } from "./index.ts";
 * console.log(builtinInstruments().map((i) => i.name)); // ["isgri", "jemx", "spi_acs"]
 * ```
 */
export function builtinInstruments(): SandboxInstrument[] {
  return [isgriInstrument(), jemxInstrument(), spiAcsInstrument()];
}
