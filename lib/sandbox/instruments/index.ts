/**
 * The sandbox's simulated instruments: `isgri`, `jemx` and `spi_acs`, plus
 * the bright-source catalogue used by `/resolve_name`.
 *
 * @module
 */
import type { ProductSpec, SandboxInstrument } from "../instrument.ts";
import { scienceWindowCount } from "./integral.ts";
import { toMjd } from "./observation.ts";
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
  const out = [isgriInstrument(), jemxInstrument(), spiAcsInstrument()];
  for (const i of out) for (const p of Object.values(i.products)) BUILTIN.set(p, i.name);
  return out;
}

const BUILTIN = new WeakMap<ProductSpec, string>();

/**
 * The instrument name of a product made by {@linkcode builtinInstruments} (such products can be rebuilt
 * by name in a simulation worker), else undefined.
 *
 * @example
 * ```ts
 * import { builtinInstrumentOf, builtinInstruments } from "./index.ts";
 * builtinInstrumentOf(builtinInstruments()[0].products.isgri_image); // "isgri"
 * ```
 */
export function builtinInstrumentOf(spec: ProductSpec): string | undefined {
  return BUILTIN.get(spec);
}

/**
 * Whether a built-in simulation is big enough to be worth a worker thread: INTEGRAL jobs over more than 10
 * science windows, SPI-ACS light curves of more than 100 000 bins. Smaller ones finish within a few tens of
 * milliseconds and run in-process (no worker start-up).
 *
 * @example
 * ```ts
 * import { heavySimulation } from "./index.ts";
 * heavySimulation("isgri", { T1: 58000, T2: 58010, max_pointings: 50 }); // true
 * heavySimulation("isgri", { scw_list: ["066500220010.001"] }); // false
 * ```
 */
export function heavySimulation(instrument: string, params: Record<string, unknown>): boolean {
  if (instrument === "spi_acs") {
    try {
      const bin = Number(params.time_bin ?? 1);
      return (toMjd(params.T2) - toMjd(params.T1)) * 86400 / (bin > 0 ? bin : 1) > 100_000;
    } catch {
      return false;
    }
  }
  return scienceWindowCount(params) > 10;
}
