/**
 * API code and typed parameters, the parts a notebook rarely names: the description of a dispatcher as data
 * (`describeDispatcher`, `MMODA_PRODUCTS`), the TypeScript types generator behind `oda types`
 * (`generateProductTypes`), the runtime catalogue's pieces (`CatalogueProduct`, `checkParameterValue`), the
 * compile-time query check (`CheckedQuery`).
 *
 * @example
 * ```ts
 * import { DispatcherAPI } from "@oda-hub/oda-api";
 * import { describeDispatcher, generateProductTypes } from "@oda-hub/oda-api/types";
 * const disp = new DispatcherAPI({ url: "http://127.0.0.1:8011", token: null });
 * await Deno.writeTextFile("my_products.ts", generateProductTypes(await describeDispatcher(disp), { name: "MyProducts" }));
 * ```
 *
 * @module
 */
export * from "./lib/client/catalogue.ts";
export * from "./lib/client/types_generator.ts";
export * from "./lib/client/typed_query.ts";
export * from "./lib/client/mmoda_products.ts";
export * from "./lib/client/sandbox_catalogue.ts";
export type { PyFloat } from "./lib/data/json.ts";
