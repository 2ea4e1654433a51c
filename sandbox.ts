/**
 * An offline MMODA dispatcher for tests, teaching and demos: the upstream
 * dispatcher-app protocol over real HTTP on 127.0.0.1, with simulated
 * INTEGRAL instruments and the upstream dummy instruments.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@oda-hub/oda-api/sandbox";
 * await using sb = await startSandbox({ seed: 1, jobDuration: 2 });
 * console.log(sb.url, await sb.mintToken());
 * ```
 *
 * @module
 */
export { DEFAULT_ROLES, startSandbox } from "./lib/sandbox/server.ts";
export type { MintOptions, Sandbox, SandboxOptions, SandboxStats } from "./lib/sandbox/server.ts";
export type { FaultOptions } from "./lib/sandbox/faults.ts";
export type { TokenClaims } from "./lib/sandbox/auth.ts";
export type {
  JobContext,
  ParameterSpec,
  ProductOutput,
  ProductSpec,
  ProgressReport,
  SandboxInstrument,
} from "./lib/sandbox/instrument.ts";
// instruments
export {
  angularSeparation,
  BRIGHT_SOURCES,
  builtinInstruments,
  isgriInstrument,
  jemxInstrument,
  resolveName,
  spiAcsInstrument,
} from "./lib/sandbox/instruments/index.ts";
export type { CatalogSource, PointSource, Variability } from "./lib/sandbox/instruments/index.ts";
