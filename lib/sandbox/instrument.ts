/**
 * The contract between the sandbox server (HTTP, auth, job state machine) and
 * its simulated instruments. The server owns parameters parsing/normalisation
 * and the job lifecycle; an instrument describes its parameters and products
 * and, for a job, produces the `products` entries of the final response.
 *
 * NOTE FOR THE INSTRUMENTS HELPER (from the server side): additive refinements only.
 * - `ParameterSpec.units` may be `null` (shown as `null` by `/api/meta-data`); new optional
 *   `ParameterSpec.owl_uri`, `unitsName`, `defaultUnits`, `schema`, `check`; new optional
 *   `ProductSpec.requiredRoles(params)`, `ProductSpec.comment` / `warning`.
 * - A `run()` that throws makes the job fail (message in `exit_status.error_message`).
 * - `startSandbox()` serves `builtinInstruments()` of `lib/sandbox/instruments/index.ts` next to
 *   the dummy instruments.
 * - Async products are time-driven: `durationSeconds(params)` is used unless the sandbox has a
 *   fixed `jobDuration`; progress reports are revealed over the job's duration in the order
 *   `ctx.report()` was called. `run()` starts right after the submission reply.
 * - The source query (`src_name`, `RA`, `DEC`, `T1`, `T_format`, `T2`, `token`) and
 *   `selected_catalog` are added by the server: do not list them in
 *   `SandboxInstrument.parameters`.
 * - `params` given to `run()`: floats as JS numbers, `T1`/`T2` isot strings, lists as arrays
 *   (`scw_list` is `[]` when absent), `structured` as parsed JSON, `selected_catalog` parsed (or
 *   undefined), `catalog_selected_objects` as sent.
 * - Products may contain `PyFloat` (lib/data/json.ts) values: they are written as `5.0`.
 * - Big simulations of the built-in instruments run in worker threads (`lib/sandbox/workers.ts`, rebuilt
 *   there by name); instruments passed in `SandboxOptions.instruments` always run on the event loop, so
 *   their `run()` should stay short or yield.
 *
 * @module
 */

/**
 * Description of one query parameter, as listed by `/api/meta-data`.
 *
 * @example
 * ```ts
 * import type { ParameterSpec } from "@oda-hub/oda-api/sandbox";
 * const timeBin: ParameterSpec = { name: "time_bin", type: "float", units: "sec", default: 1000, min: 1 };
 * ```
 */
export interface ParameterSpec {
  /** Parameter name as sent on the wire (`RA`, `T1`, `E1_keV`, `scw_list`...). */
  name: string;
  /** Type used for parsing and validation. */
  type: "float" | "int" | "string" | "time" | "bool" | "list" | "structured" | "select";
  /** Units / format label shown by `/api/meta-data` (`deg`, `keV`, `isot`, `str`, `s`...); `null` for none. */
  units: string | null;
  /** Default value (already in the default unit/format); `null` means optional without default. */
  default: string | number | boolean | null | unknown[];
  /** Whether the parameter may be absent or None. */
  optional?: boolean;
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Inclusive upper bound for numbers. */
  max?: number;
  /** Allowed values for `select`. */
  allowedValues?: readonly string[];
  /** Name of a format/unit selector parameter that follows it (e.g. `T_format`). */
  formatName?: string;
  /** Name of a units selector parameter that follows it (e.g. `energy_units`); input units default to `units`. */
  unitsName?: string;
  /**
   * Units of the normalised value (`analysis_parameters`, `run()`), when they differ from the input
   * `units` shown by `/api/meta-data` (upstream `default_units`), e.g. input `deg`, normalised `arcsec`.
   */
  defaultUnits?: string;
  /** Ontology URIs shown by `/api/meta-data` (`owl_uri`). */
  owl_uri?: string[];
  /** JSON schema of a `structured` parameter (`restrictions.schema`). */
  schema?: Record<string, unknown>;
  /** Extra validation after parsing: return an error message (→ HTTP 400) or undefined. */
  check?(value: unknown, params: Record<string, unknown>): string | undefined;
}

/**
 * One progress report of a running job (what `/call_back` stores in the job monitor).
 *
 * @example
 * ```ts
 * import type { ProgressReport } from "@oda-hub/oda-api/sandbox";
 * const r: ProgressReport = {
 *   node_id: "ii_skyimage.066500220010.001",
 *   node: "ii_skyimage",
 *   message: "main done",
 *   scwid: "066500220010.001",
 * };
 * ```
 */
export interface ProgressReport {
  /** Node signature (upstream keeps one report per `node_id` and `message`). */
  node_id: string;
  /** Analysis step (what oda_api's isgri/jemx progress formatter counts as nodes). */
  node?: string;
  /** Message (`main done`, `restored from cache`...). */
  message: string;
  /** Science window the report is about, if any (`066500220010.001`). */
  scwid?: string;
  /** Anything else the backend reports. */
  [key: string]: unknown;
}

/**
 * What the server gives an instrument while running a job.
 *
 * @example
 * ```ts
 * import type { JobContext, ProductOutput } from "@oda-hub/oda-api/sandbox";
 * function run(params: Record<string, unknown>, ctx: JobContext): ProductOutput {
 *   ctx.report({ node_id: "main", message: "main done" });
 *   return { text_product_list: [`seed ${ctx.seed} for ${ctx.user ?? "public"}`] };
 * }
 * ```
 */
export interface JobContext {
  /** Deterministic seed for this job (derived from the sandbox seed and the job id). */
  seed: number;
  /** The job id. */
  jobId: string;
  /** The token's `sub`, or undefined for public jobs. */
  user?: string | undefined;
  /** Report progress (appended to `job_monitor.full_report_dict_list`). */
  report(report: ProgressReport): void;
  /**
   * Aborted when the job is cancelled: its sandbox closes, or its record is replaced (a failed job submitted
   * again) or dropped (beyond `maxJobs`). A run in a worker is stopped by terminating the worker; a run on
   * the event loop may check it between steps, and its result is discarded either way.
   */
  signal: AbortSignal;
  /**
   * numpy module path to write inside pickled arrays: `"numpy.core"` (default; numpy 1.x and 2.x read it) or
   * `"numpy._core"` (numpy ≥ 2 only).
   */
  numpyModule?: "numpy.core" | "numpy._core" | undefined;
}

/**
 * The `products` entries a finished job contributes to the response (the
 * server adds `analysis_parameters`, `api_code` and friends itself). Keys and
 * encodings are exactly those of the upstream dispatcher in API mode.
 *
 * @example
 * ```ts
 * import type { ProductOutput } from "@oda-hub/oda-api/sandbox";
 * const out: ProductOutput = { text_product_list: ["hello"] };
 * ```
 */
export interface ProductOutput {
  /** Encoded NumpyDataProduct objects (`NumpyDataProduct.encode()`). */
  numpy_data_product_list?: unknown[];
  /** Catalog dictionary (`cat_column_list`, ...). */
  catalog?: Record<string, unknown>;
  /** Encoded ODAAstropyTable objects. */
  astropy_table_product_ascii_list?: unknown[];
  /** Encoded BinaryProduct objects. */
  binary_data_product_list?: unknown[];
  /** Encoded PictureProduct objects. */
  binary_image_product_list?: unknown[];
  /** Encoded TextLikeProduct objects. */
  text_product_list?: unknown[];
  /** Any further upstream keys. */
  [key: string]: unknown;
}

/**
 * One product of an instrument.
 *
 * @example
 * ```ts
 * import type { ProductSpec } from "@oda-hub/oda-api/sandbox";
 * const echo: ProductSpec = {
 *   name: "echo",
 *   queryName: "echo_query",
 *   parameters: [{ name: "text", type: "string", units: "str", default: "hi" }],
 *   async: false,
 *   run: (params) => ({ text_product_list: [String(params.text)] }),
 * };
 * ```
 */
export interface ProductSpec {
  /** Product name (the wire `product_type`, e.g. `isgri_image`). */
  name: string;
  /** Query name shown by `/api/meta-data` (e.g. `isgri_image_query`). */
  queryName: string;
  /** Product-specific parameters. */
  parameters: ParameterSpec[];
  /** Roles a token needs to run it (empty: public). */
  roles?: readonly string[];
  /**
   * Roles needed for these parameters, role → comment (e.g. `{ general: "please refer to support for
   * details" }`); overrides `roles` when given.
   */
  requiredRoles?: ((params: Record<string, unknown>) => Record<string, string>) | undefined;
  /** `exit_status.comment` the backend adds (e.g. upstream's `mock comment`). */
  comment?: string;
  /** `exit_status.warning` the backend adds. */
  warning?: string;
  /** Whether the job runs asynchronously (submitted → progress → ready → done). */
  async: boolean;
  /**
   * Simulated duration in seconds for these parameters (before the sandbox's
   * `jobDuration` scaling); defaults to the sandbox's setting.
   */
  durationSeconds?(params: Record<string, unknown>): number;
  /**
   * Produce the products. Throw an `Error` to make the job fail (the message
   * becomes the failure message). `params` are normalised (defaults applied,
   * numbers as numbers, `T1`/`T2` as isot strings, lists as arrays,
   * `selected_catalog` parsed as an object or undefined).
   */
  run(params: Record<string, unknown>, ctx: JobContext): Promise<ProductOutput> | ProductOutput;
  /** Canned output for `query_type=Dummy`. */
  dummy?(params: Record<string, unknown>, ctx: JobContext): Promise<ProductOutput> | ProductOutput;
}

/**
 * A simulated instrument.
 *
 * @example
 * ```ts
 * import type { SandboxInstrument } from "@oda-hub/oda-api/sandbox";
 * const echo: SandboxInstrument = {
 *   name: "echo",
 *   queryName: "echo_parameters",
 *   parameters: [],
 *   products: {
 *     echo: { name: "echo", queryName: "echo_query", parameters: [], async: false, run: () => ({}) },
 *   },
 * };
 * ```
 */
export interface SandboxInstrument {
  /** Instrument name (`isgri`, `spi_acs`, `jemx`, `empty`, `empty-async`). */
  name: string;
  /** Instrument query name (e.g. `isgri_parameters`). */
  queryName: string;
  /** Instrument-level parameters (`scw_list`, `osa_version`, `radius`...). */
  parameters: ParameterSpec[];
  /** Products by name. */
  products: Record<string, ProductSpec>;
  /** Roles needed to see/use the instrument at all (restricted instruments). */
  roles?: readonly string[];
}
