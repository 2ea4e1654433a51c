/**
 * Many queries at once, with a concurrency limit (`DispatcherAPI.getProducts`).
 *
 * @module
 */
import { OdaError } from "../errors.ts";
import type { DataCollection } from "../products/collection.ts";

/**
 * Options of {@linkcode getProducts}.
 *
 * @example
 * ```ts
 * import type { GetProductsOptions } from "@oda-hub/oda-api";
 * const opts: GetProductsOptions = { concurrency: 2 };
 * ```
 */
export interface GetProductsOptions {
  /** Queries running at the same time. @default 4 */
  concurrency?: number;
  /** Stop starting new queries when aborted (running ones are aborted through their own `signal`). */
  signal?: AbortSignal | undefined;
}

/**
 * The outcome of one query of a batch, in the order of the input list.
 *
 * @example
 * ```ts
 * import type { ProductResult } from "@oda-hub/oda-api";
 * declare const r: ProductResult;
 * if (r.status === "fulfilled") r.value.show();
 * ```
 */
export type ProductResult<T = DataCollection> = PromiseSettledResult<T>;

/**
 * Run `run(item)` for every item with at most `concurrency` in flight;
 * resolves with one settled result per item, in input order (a failure does
 * not stop the others).
 *
 * @example
 * ```ts
 * import { getProducts } from "@oda-hub/oda-api";
 * const results = await getProducts(async (x: number) => x * 2, [1, 2, 3], { concurrency: 2 });
 * console.log(results.map((r) => r.status)); // ["fulfilled", "fulfilled", "fulfilled"]
 * ```
 */
export async function getProducts<I, T>(
  run: (item: I) => Promise<T>,
  items: readonly I[],
  options: GetProductsOptions = {},
): Promise<PromiseSettledResult<T>[]> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new OdaError(
      "INVALID_ARGUMENT",
      `concurrency must be a positive integer: current value is ${concurrency}`,
    );
  }
  const results: PromiseSettledResult<T>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      if (options.signal?.aborted) {
        results[i] = {
          status: "rejected",
          reason: new OdaError("ABORTED", "batch aborted before this query started"),
        };
        continue;
      }
      try {
        results[i] = { status: "fulfilled", value: await run(items[i]) };
      } catch (e) {
        results[i] = { status: "rejected", reason: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
