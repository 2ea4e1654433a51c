/**
 * Compile-time checking of `getProduct` / `submit` queries against generated product types
 * ({@linkcode generateProductTypes}; the package ships {@linkcode MmodaProducts}).
 *
 * A query whose `instrument` and `product` are literals naming a known product may only carry that
 * product's parameters, with their value types: a wrong product, an unknown parameter or a value outside
 * the allowed ones fails `deno check` with a message naming it. Queries whose instrument or product is a
 * plain `string` (built at run time) are not checked. The escape hatch for other services:
 * `disp.getProduct<GetProductOptions>({...})` (or `<any>`), or a client typed with your own generated
 * types, `new DispatcherAPI<MyProducts>({...})`.
 *
 * @module
 */

/**
 * Keys of a query that are options of the call, not science parameters.
 *
 * @example
 * ```ts
 * import type { QueryControls } from "@oda-hub/oda-api/types";
 * const c: QueryControls = { instrument: "isgri", product: "isgri_image", silent: true };
 * ```
 */
export interface QueryControls {
  /** Instrument. */
  instrument: string;
  /** Product. */
  product: string;
  /** Query kind (`Real`, `Dummy`). */
  product_type?: string;
  /** No advice, no progress display. */
  silent?: boolean | undefined;
  /** Cancels the wait. */
  signal?: AbortSignal | undefined;
  /** Total deadline in ms. */
  timeout?: number | undefined;
  /** Receives the job's events. */
  onEvent?: unknown;
  /** Limits of the products' decode (`DecodeLimits` or a shared `DecodeBudget`). */
  decodeBudget?: unknown | undefined;
  /** Token for this query. */
  token?: string | null | undefined;
}

/**
 * `true` for `any` (the untyped escape hatch `getProduct<any>`), else `false`.
 *
 * @example
 * ```ts
 * import type { IsAny } from "@oda-hub/oda-api/types";
 * const yes: IsAny<any> = true;
 * ```
 */
export type IsAny<T> = 0 extends (1 & T) ? true : false;

/**
 * The type a query `Q` must have for the products `P`: `Q` itself when it is right (or unchecked), else a
 * type whose mismatch names the problem (the wrong product or instrument, or
 * `"unknown parameter of <instrument>/<product>"` for a name the product does not take).
 *
 * @example
 * ```ts
 * import type { CheckedQuery, MmodaProducts } from "@oda-hub/oda-api/types";
 * type Ok = CheckedQuery<{ instrument: "isgri"; product: "isgri_image"; E1_keV: 28 }, MmodaProducts>;
 * ```
 */
export type CheckedQuery<Q, P> = IsAny<Q> extends true ? Q
  : Q extends { instrument: infer I extends string; product: infer R extends string } ? string extends I ? Q
    : I extends keyof P ? string extends R ? Q
      : R extends keyof P[I] ?
          & {
            [K in keyof Q]: K extends keyof QueryControls ? Q[K]
              : K extends keyof P[I][R] ? P[I][R][K]
              : `unknown parameter of ${I}/${R}`;
          }
          & P[I][R]
      : Omit<Q, "product"> & { product: keyof P[I] }
    : Omit<Q, "instrument"> & { instrument: keyof P }
  : Q;

/**
 * The parameters of one product of `P` (for building queries in typed code).
 *
 * @example
 * ```ts
 * import type { MmodaProducts } from "@oda-hub/oda-api/types";
 * import type { ProductParameters } from "@oda-hub/oda-api/types";
 * const p: ProductParameters<MmodaProducts, "isgri", "isgri_image"> = { E1_keV: 30, osa_version: "OSA11.2" };
 * ```
 */
export type ProductParameters<P, I extends keyof P, R extends keyof P[I]> = P[I][R];
