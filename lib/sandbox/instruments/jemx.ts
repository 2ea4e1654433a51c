/**
 * The simulated `jemx` instrument (INTEGRAL JEM-X units 1 and 2, 3–35 keV):
 * `jemx_image`, `jemx_spectrum` and `jemx_lc`, sharing the ISGRI machinery
 * with JEM-X's circular 13.2° field of view, 3′ PSF and gas-detector
 * response. `jemx_num` selects the unit.
 *
 * @module
 */
import type { SandboxInstrument } from "../instrument.ts";
import { type CodedMaskSetup, num } from "./integral.ts";
import { codedMaskProducts, integralParameters } from "./isgri.ts";
import type { ImagingModel } from "./mosaic.ts";
import { JEMX1, JEMX2 } from "./response.ts";

function imaging(unit: 1 | 2): ImagingModel {
  return {
    detector: unit === 1 ? JEMX1 : JEMX2,
    fov: { shape: "circle", full: 2.4, zero: 6.6 },
    pixelDeg: 0.03,
    psfFwhmDeg: 0.05,
    knownThreshold: 5,
    newThreshold: 7,
  };
}

/**
 * Setup of one JEM-X unit.
 *
 * @example
 * ```ts
 * import { jemxSetup } from "./jemx.ts";
 * console.log(jemxSetup(2).prefix); // "JMX2"
 * ```
 */
export function jemxSetup(unit: 1 | 2): CodedMaskSetup {
  return {
    instrument: "jemx",
    imaging: imaging(unit),
    prefix: `JMX${unit}`,
    productPrefix: "jemx",
    energyRange: [3, 35],
    liveFraction: 0.85,
    creators: { image: "j_ima_mosaic 5.2.1", spectrum: "j_src_spectra 4.4.1", lc: "j_src_lc 2.4.4" },
    steps: { image: "j_ima_mosaic", spectrum: "j_src_spectra", lc: "j_src_lc" },
  };
}

const JEMX_SETUPS = { 1: jemxSetup(1), 2: jemxSetup(2) } as const;

function setupOf(params: Record<string, unknown>): CodedMaskSetup {
  return JEMX_SETUPS[num(params.jemx_num, 2) === 1 ? 1 : 2];
}

/**
 * The `jemx` instrument.
 *
 * @example
 * ```ts
 * import { jemxInstrument } from "./jemx.ts";
 * console.log(Object.keys(jemxInstrument().products)); // ["jemx_image", "jemx_spectrum", "jemx_lc"]
 * ```
 */
export function jemxInstrument(): SandboxInstrument {
  return {
    name: "jemx",
    queryName: "jemx_parameters",
    parameters: [
      ...integralParameters(4),
      { name: "jemx_num", type: "int", units: null, default: 2, min: 1, max: 2 },
      { name: "E1_keV", type: "float", units: "keV", default: 3.0 },
      { name: "E2_keV", type: "float", units: "keV", default: 35.0 },
    ],
    products: codedMaskProducts("jemx", setupOf, { radius: 4 }),
  };
}
