/**
 * `DataCollection`: the products of a finished dispatcher job, named and
 * ordered exactly as oda_api does (`api.py` `DataCollection`).
 *
 * @module
 */
import { decodeAnswerProducts } from "./registry.ts";
import { isProduct, type Product } from "./product.ts";
import {
  type DecodeBudget,
  type DecodeOptions,
  interruptCheck,
  shareBudget,
  typedDecode,
} from "../codecs/budget.ts";
import { parseJsonBytes } from "../codecs/response_stream.ts";
import {
  type ApiCodeOptions,
  apiParamsFromAnalysisParameters,
  parseApiCode,
  renderApiCode,
} from "../codecs/api_code.ts";
import { pythonRepr } from "../data/python.ts";
import { DecodeError, FileError } from "../errors.ts";
import { getLogger } from "../log.ts";
import type { ApiCatalog } from "./api_catalog.ts";
import type { BinaryProduct } from "./binary_product.ts";
import { safeJoin } from "./files.ts";
import { NumpyDataProduct } from "./numpy_data_product.ts";
import { ODAAstropyTable } from "./oda_astropy_table.ts";
import type { PictureProduct } from "./picture_product.ts";
import { TextLikeProduct } from "./text_like_product.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";
import { ogipSpectrum, type OgipSpectrumOptions, spectrumSets } from "./spectrum_ogip.ts";
import { requireDeno } from "../_runtime.ts";

const log = getLogger("oda_api.api");

/**
 * Anything a collection can hold: product objects (the package's classes, or
 * any other `Product`: a product type added to the registry), raw bytes
 * (legacy binary data), or a raw element that could not be decoded (kept,
 * like oda_api).
 *
 * @example
 * ```ts
 * import { type CollectionProduct, NumpyDataProduct, TextLikeProduct } from "@oda-hub/oda-api";
 * function label(p: CollectionProduct): string {
 *   if (p instanceof NumpyDataProduct) return `${p.data_unit.length} data units`;
 *   if (p instanceof TextLikeProduct) return String(p.value);
 *   return typeof p;
 * }
 * ```
 */
export type CollectionProduct =
  | NumpyDataProduct
  | BinaryProduct
  | ApiCatalog
  | ODAAstropyTable
  | PictureProduct
  | TextLikeProduct
  | Product
  | Uint8Array
  | string
  | Record<string, unknown>;

/**
 * Options of {@linkcode DataCollection.fromResponseJson}.
 *
 * @example
 * ```ts
 * import { DataCollection } from "@oda-hub/oda-api";
 * import { type FromResponseOptions } from "./collection.ts";
 * const opts: FromResponseOptions = { instrument: "isgri", product: "isgri_lc" };
 * const response = { query_status: "done", job_monitor: { job_id: "0123abcd" }, products: {} };
 * const data = DataCollection.fromResponseJson(response, opts);
 * ```
 */
export interface FromResponseOptions extends DecodeOptions {
  /** Instrument requested (fallback base name). */
  instrument?: string | null;
  /** Product requested (first fallback base name). */
  product?: string | null;
  /** Job id (default: `job_monitor.job_id` of the response). */
  request_job_id?: string | null | undefined;
}

/**
 * Options of the {@linkcode DataCollection} constructor.
 *
 * @example
 * ```ts
 * import { DataCollection, type DataCollectionOptions, TextLikeProduct } from "@oda-hub/oda-api";
 * const opts: DataCollectionOptions = { add_meta_to_name: ["src_name"], instrument: "isgri" };
 * const data = new DataCollection([new TextLikeProduct("hello", "note", { src_name: "Crab" })], opts);
 * data._n_list; // ["note_0_Crab"]: src_name appended to the name
 * ```
 */
export interface DataCollectionOptions {
  /** Metadata keys appended to names (default `["src_name", "product"]`). */
  add_meta_to_name?: string[];
  /** Instrument (fallback base name). */
  instrument?: string | null;
  /** Product (fallback base name). */
  product?: string | null;
  /** Job id of the request. */
  request_job_id?: string | null | undefined;
  /** The answer's `products.api_code` (or its `analysis_parameters`), for {@linkcode DataCollection.apiCode}. */
  api_code?: string | Record<string, unknown> | null;
}

/**
 * Options of {@linkcode DataCollection.saveAllData}.
 *
 * @example
 * ```ts
 * import { DataCollection, type SaveAllDataOptions, TextLikeProduct } from "@oda-hub/oda-api";
 * const data = new DataCollection([new TextLikeProduct("hello", "note")]);
 * const opts: SaveAllDataOptions = { dir: await Deno.makeTempDir(), prefix: "crab", overwrite: true };
 * const files = await data.saveAllData(opts); // one file per product, names starting with "crab_"
 * ```
 */
export interface SaveAllDataOptions {
  /** Prefix added as `<prefix>_<name>` (oda_api's `prenpend_name`); may contain sub-directories of `dir`. */
  prefix?: string;
  /** Output directory (default the current directory); created if missing. */
  dir?: string;
  /** Replace existing files (default `false`: `FileError("FILE_EXISTS")`). */
  overwrite?: boolean;
  /** Grouping, systematics and energy range applied to every spectrum of a spectrum set (see `ogipSpectrum`). */
  spectrum?: Pick<OgipSpectrumOptions, "grouping" | "systematicFraction" | "energyRange">;
  /**
   * Stops saving before the next file (`OdaError("ABORTED")`, or the signal's reason when that is an
   * `OdaError`). Each file is written atomically, so the files saved so far are whole and nothing else is left.
   */
  signal?: AbortSignal | undefined;
}

/**
 * One entry of {@linkcode DataCollection.asList} (the key `"meta_data:"` keeps oda_api's colon).
 *
 * @example
 * ```ts
 * import { type CollectionListEntry, DataCollection, TextLikeProduct } from "@oda-hub/oda-api";
 * const data = new DataCollection([new TextLikeProduct("hello", "note")]);
 * const entries: CollectionListEntry[] = data.asList();
 * for (const e of entries) console.log(e.ID, e.prod_name, e["meta_data:"]);
 * ```
 */
export interface CollectionListEntry {
  /** Index. */
  ID: number;
  /** Attribute name. */
  prod_name: string;
  /** The product's `meta_data`, or `""`. */
  "meta_data:": unknown;
}

/**
 * oda_api's `clean_var_name`: `-`→`m`, `+`→`p`, space→`_`, drop everything
 * outside `[0-9A-Za-z_]`, strip leading characters until a letter or `_`.
 *
 * @example
 * ```ts
 * import { cleanVarName } from "./collection.ts";
 * import assert from "node:assert/strict";
 * assert.equal(cleanVarName("isgri_lc_0_MAXIJ1820+070"), "isgri_lc_0_MAXIJ1820p070");
 * ```
 */
export function cleanVarName(s: string): string {
  return s.replaceAll("-", "m").replaceAll("+", "p").replaceAll(" ", "_").replace(/[^0-9a-zA-Z_]/g, "")
    .replace(
      /^[^a-zA-Z_]+/,
      "",
    );
}

function metaOf(p: unknown): unknown {
  if (p instanceof NumpyDataProduct || p instanceof TextLikeProduct || p instanceof ODAAstropyTable) {
    return p.meta_data;
  }
  return undefined;
}

function nameOf(p: unknown): string {
  return isProduct(p) && typeof p.name === "string" ? p.name : "";
}

/**
 * The products of a response, reachable as `collection.<name>` (e.g.
 * `data.mosaic_image_0_mosaic`, `data.dispatcher_catalog_1`), through
 * `get(name)`, and in order through `_p_list` / `_n_list`.
 *
 * @example
 * ```ts
 * import { DataCollection, NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * const lc = new NumpyDataProduct({
 *   data_unit: [new NumpyDataUnit({ name: "PRIMARY" })],
 *   name: "isgri_lc",
 *   meta_data: { src_name: "OAO 1657-415" },
 * });
 * const data = new DataCollection([lc]);
 * data._n_list; // ["isgri_lc_0_OAO1657m415"]
 * data.show(); // prints "ID=0 prod_name=isgri_lc_0_OAO1657m415  meta_data: {'src_name': 'OAO 1657-415'}" and an empty line
 * ```
 */
export class DataCollection {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "collection", collection: this };
  }

  /** Products in order. */
  _p_list: CollectionProduct[] = [];
  /** Attribute names in order. */
  _n_list: string[] = [];
  /** Job id of the request, if known. */
  request_job_id: string | null;
  #apiCode: string | Record<string, unknown> | null;
  /** Products by attribute name. */
  // deno-lint-ignore no-explicit-any
  [name: string]: any;

  /** Build a collection and name its products by oda_api's rule. */
  constructor(data_list: CollectionProduct[], options: DataCollectionOptions = {}) {
    const addMeta = options.add_meta_to_name ?? ["src_name", "product"];
    this.request_job_id = options.request_job_id ?? null;
    this.#apiCode = options.api_code ?? null;
    data_list.forEach((p, id) => {
      let name = nameOf(p);
      if (name.trim() === "") name = options.product ?? options.instrument ?? "prod";
      name = `${name}_${id}`;
      const meta = metaOf(p);
      for (const kw of addMeta) {
        if (meta && typeof meta === "object" && kw in meta) {
          const v = (meta as Record<string, unknown>)[kw];
          if (typeof v !== "string") continue;
          const s = v.replaceAll(" ", "");
          if (s.trim() !== "") name += "_" + s.trim();
        }
      }
      const varName = cleanVarName(name);
      if (
        !(varName in DataCollection.prototype) && varName !== "_p_list" && varName !== "_n_list" &&
        varName !== "request_job_id"
      ) {
        Object.defineProperty(this, varName, {
          value: p,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      } else {
        log.warning(`product name '${varName}' collides with a DataCollection member: use get('${varName}')`);
      }
      this._p_list.push(p);
      this._n_list.push(varName);
    });
  }

  /**
   * Build the collection of a finished `run_analysis` response, in oda_api's
   * order: numpy products, binaries, catalog, ascii tables, (binary tables),
   * pictures, texts, GW skymaps.
   *
   * `response` is the parsed object, or the answer's text or bytes (decoded incrementally: each data unit's
   * base64 straight into its array, the memory needed beyond the input being about the arrays).
   *
   * Every product of the response draws from ONE element budget (growing
   * with each decoded input; raise it with `decodeBudget`), and the decode
   * stops between chunks when `signal` aborts or `deadline` passes. Only
   * `OdaError`s escape: anything else a hostile response provokes becomes
   * `DecodeError("PRODUCT")`.
   *
   * @example
   * ```ts ignore
   * const data = DataCollection.fromResponseJson(response, { instrument: "isgri", product: "isgri_image" });
   * data.show();
   * ```
   */
  static fromResponseJson(response: unknown, options: FromResponseOptions = {}): DataCollection {
    const shared = shareBudget(options);
    (shared.decodeBudget as DecodeBudget).checkpoint();
    return typedDecode("PRODUCT", "response", () => DataCollection.#fromResponse(response, shared));
  }

  static #fromResponse(response: unknown, options: FromResponseOptions): DataCollection {
    // text and bytes go through the streaming decoder: each data unit's base64 is decoded piece by piece into
    // its array, so the memory needed beyond the input is about the arrays (JSON.parse would copy everything)
    const res =
      (typeof response === "string" || response instanceof Uint8Array
        ? parseJsonBytes(response, options)
        : response) as Record<string, unknown>;
    if (!res || typeof res !== "object") {
      throw new DecodeError("MALFORMED_RESPONSE", "response is not a JSON object");
    }
    const products = (res.products ?? {}) as Record<string, unknown>;
    if (typeof products !== "object") {
      throw new DecodeError("MALFORMED_RESPONSE", "response 'products' is not a dict");
    }
    const data = decodeAnswerProducts(products, options);
    const monitor = res.job_monitor as Record<string, unknown> | undefined;
    if (!monitor || typeof monitor.job_id !== "string") {
      log.warning(`job_monitor response json does not contain job_id: ${JSON.stringify(monitor ?? null)}`);
    }
    const jobId = options.request_job_id ?? (typeof monitor?.job_id === "string" ? monitor.job_id : null);
    return new DataCollection(data, {
      instrument: options.instrument ?? null,
      product: options.product ?? null,
      request_job_id: jobId,
      api_code: typeof products.api_code === "string"
        ? products.api_code
        : products.analysis_parameters && typeof products.analysis_parameters === "object"
        ? products.analysis_parameters as Record<string, unknown>
        : null,
    });
  }

  /**
   * The query that produced these products as API code: the dispatcher's own `api_code` (its view of the
   * parameters, defaults included), rewritten byte for byte by {@linkcode renderApiCode} so that `url`,
   * `language: "typescript"` and the token policy apply (the token is left out unless `token: "include"`).
   *
   * @example
   * ```ts ignore
   * const data = await disp.getProduct({ instrument: "isgri", product: "isgri_image" });
   * console.log(data.apiCode({ language: "typescript" }));
   * ```
   */
  apiCode(options: ApiCodeOptions = {}): string {
    const src = this.#apiCode;
    if (src === null) {
      throw new DecodeError(
        "API_CODE",
        "this collection does not come from a dispatcher answer with api_code",
      );
    }
    if (typeof src === "string") {
      const parsed = parseApiCode(src);
      const params = parsed.token !== undefined ? { ...parsed.params, token: parsed.token } : parsed.params;
      return renderApiCode(params, { ...options, url: options.url ?? parsed.url ?? parsed.placeholder });
    }
    return renderApiCode(apiParamsFromAnalysisParameters(src), options);
  }

  /** Number of products. */
  get length(): number {
    return this._p_list.length;
  }

  /**
   * The product with this attribute name, or `undefined`.
   *
   * @example
   * ```ts ignore
   * const cat = data.get("dispatcher_catalog_1");
   * ```
   */
  get(name: string): CollectionProduct | undefined {
    const i = this._n_list.lastIndexOf(name);
    return i < 0 ? undefined : this._p_list[i];
  }

  /** Iterate over the products in order. */
  [Symbol.iterator](): Iterator<CollectionProduct> {
    return this._p_list[Symbol.iterator]();
  }

  /** `str(meta_data)` as Python prints it, or `""` for products without `meta_data`. */
  #metaText(p: CollectionProduct): string {
    if (p instanceof NumpyDataProduct) return p.metaDataRepr();
    if (p instanceof ODAAstropyTable) {
      return typeof p.meta_data === "string" ? p.meta_data : pythonRepr(p.meta_data);
    }
    if (p instanceof TextLikeProduct) return pythonRepr(p.meta_data);
    return "";
  }

  /**
   * Print `ID=<i> prod_name=<name>  meta_data: <dict>` lines, each followed
   * by an empty line, exactly as oda_api's `show()`. Returns nothing (as
   * Python's `None`), so `data.show()` as the last expression of a notebook
   * cell prints once; {@linkcode DataCollection.showText} gives the text.
   *
   * @example
   * ```ts ignore
   * data.show();
   * ```
   */
  show(): void {
    const text = this.showText();
    if (text) console.log(text.slice(0, -1));
  }

  /**
   * The text {@linkcode DataCollection.show} prints, without printing it.
   *
   * @example
   * ```ts ignore
   * const text = data.showText();
   * ```
   */
  showText(): string {
    let text = "";
    this._n_list.forEach((name, id) => {
      text += `ID=${id} prod_name=${name}  meta_data: ${this.#metaText(this._p_list[id])}\n\n`;
    });
    return text;
  }

  /**
   * `[{ID, prod_name, "meta_data:"}]` as oda_api's `as_list()`.
   *
   * @example
   * ```ts ignore
   * data.asList()[0].prod_name;
   * ```
   */
  asList(): CollectionListEntry[] {
    return this._n_list.map((name, id) => {
      const p = this._p_list[id];
      const meta = metaOf(p);
      return { ID: id, prod_name: name, "meta_data:": meta === undefined ? "" : meta };
    });
  }

  /**
   * A new collection with the products whose `meta_data[key] === value`
   * (products without a metadata dict are skipped), or `null` when none
   * match. The new collection is named without instrument/product, so
   * blank-named products become `prod_<i>_...`.
   *
   * @example
   * ```ts ignore
   * const sel = spectrum.newFromMetadata("src_name", "MAXI J1820+070");
   * sel?.show();
   * ```
   */
  newFromMetadata(key: string, value: unknown): DataCollection | null {
    const sel = this._p_list.filter((p) => {
      const m = metaOf(p);
      return m !== undefined && typeof m === "object" && m !== null &&
        (m as Record<string, unknown>)[key] === value;
    });
    return sel.length === 0 ? null : new DataCollection(sel);
  }

  /**
   * Save every product as `[<prefix>_]<name>.<ext>` in `dir`: `fits` for
   * numpy products and astropy tables, `ecsv` for the catalog, the image type
   * for pictures, `txt` for texts, the detected type (or `bin`) for binary
   * products. Raw/undecoded items are skipped with a warning. File names
   * cannot leave `dir` (`FileError("UNSAFE_PATH")`); existing files are kept
   * unless `overwrite` (`FileError("FILE_EXISTS")`); two products of the
   * collection never share a file: a name already used (ignoring case) gets
   * the product's ID (`<name>_<ID>.<ext>`, with a warning). Each file is
   * written atomically. Returns the written paths.
   *
   * @example
   * ```ts ignore
   * const files = await data.saveAllData({ dir: "out", prefix: "crab" });
   * ```
   */
  async saveAllData(options: SaveAllDataOptions = {}): Promise<string[]> {
    const dir = options.dir ?? ".";
    const written: string[] = [];
    const plan: { id: number; path: string; p: Product }[] = [];
    const taken = new Set<string>();
    for (let id = 0; id < this._p_list.length; id++) {
      const p = this._p_list[id];
      const name = this._n_list[id] || `prod_${id}`;
      if (!isProduct(p)) {
        log.warning(`Writing on disk is not implemented for product ${name} of type str, skipping.`);
        continue;
      }
      const stem = `${options.prefix ? options.prefix + "_" : ""}${name}`;
      const ext = p.suggestFnExtension();
      let path = safeJoin(dir, `${stem}.${ext}`); // validates every name before writing anything
      // two products with the same name never share a file (nor differ only by case): later ones get their ID
      for (let k = 0; taken.has(path.toLowerCase()); k++) {
        const renamed = safeJoin(dir, `${stem}_${id}${k ? `_${k}` : ""}.${ext}`);
        if (k === 0) {
          log.warning(`product ${id} has the same file name as an earlier one: saved as ${renamed}`);
        }
        path = renamed;
      }
      taken.add(path.toLowerCase());
      plan.push({ id, path, p });
    }
    // spectrum sets: the spectrum names its saved RMF, ARF and background (XSPEC's `data spec.fits` finds them)
    const byId = new Map(plan.map((x) => [x.id, x]));
    const base = (id: number | undefined) => {
      const e = id === undefined ? undefined : byId.get(id);
      return e ? e.path.slice(e.path.lastIndexOf("/") + 1) : undefined;
    };
    for (const set of spectrumSets(this._p_list, this._n_list)) {
      const entry = byId.get(set.spectrum);
      if (!entry) continue;
      const rmf = set.rmf === undefined ? null : this._p_list[set.rmf] as NumpyDataProduct;
      try {
        entry.p = ogipSpectrum(entry.p as NumpyDataProduct, rmf, {
          ...options.spectrum,
          respfile: base(set.rmf) ?? "none",
          ancrfile: base(set.arf) ?? "none",
          backfile: base(set.bkg) ?? "none",
        });
      } catch (e) {
        if (options.spectrum) throw e;
        log.warning(`spectrum ${this._n_list[set.spectrum]} saved as is: ${(e as Error).message}`);
      }
    }
    requireDeno("saveAllData");
    const check = interruptCheck({ signal: options.signal }, "saving products");
    for (const { path, p } of plan) {
      check();
      const parent = path.slice(0, path.lastIndexOf("/")) || "/";
      await Deno.mkdir(parent, { recursive: true }).catch((e) => {
        throw new FileError("IO", `cannot create ${parent}: ${(e as Error).message}`, { cause: e });
      });
      await p.writeFile(path, {
        overwrite: options.overwrite ?? false,
      });
      written.push(path);
    }
    return written;
  }
}
