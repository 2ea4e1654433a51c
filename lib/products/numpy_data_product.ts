/**
 * `NumpyDataProduct`: a list of {@linkcode NumpyDataUnit}s plus a name and a
 * metadata dict — light curves, images, spectra, ARFs and RMFs all arrive in
 * this form (`numpy_data_product_list`).
 *
 * @module
 */
import type { Product } from "./product.ts";
import { type DecodeOptions, shareBudget, typedDecode } from "../codecs/budget.ts";
import { encodedDict } from "./_decode.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { readFitsFile, writeFitsFile } from "../codecs/fits.ts";
import { type EncodedNumpyDataUnit, NumpyDataUnit } from "./numpy_data_unit.ts";
import { fromFitsHdu, toFitsHdu } from "./fits_convert.ts";
import { parseJson, pythonJsonDumps } from "../data/json.ts";
import { pythonRepr } from "../data/python.ts";
import { getLogger } from "../log.ts";
import { $display, notebookDisplay } from "../notebook.ts";
import type { NotebookView } from "./view.ts";

const log = getLogger("oda_api.data_products");

/**
 * The JSON object a product is encoded to.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type EncodedNumpyDataProduct } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const p = new NumpyDataProduct({
 *   data_unit: [new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" })],
 *   name: "demo",
 * });
 * const wire: EncodedNumpyDataProduct = p.encode();
 * wire.meta_data; // "{}" (JSON text, as oda_api sends it)
 * assert.equal(NumpyDataProduct.decode(wire).name, "demo");
 * ```
 */
export interface EncodedNumpyDataProduct {
  /** Encoded data units. */
  data_unit_list: EncodedNumpyDataUnit[];
  /** Product name (may be null). */
  name: string | null;
  /** JSON text of the metadata dict (double-encoded, as oda_api does). */
  meta_data: string;
}

/**
 * Constructor arguments of {@linkcode NumpyDataProduct}.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type NumpyDataProductInit } from "./numpy_data_product.ts";
 * const init: NumpyDataProductInit = {
 *   data_unit: new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" }),
 *   name: "isgri_image",
 *   meta_data: { src_name: "Crab", product: "mosaic" },
 * };
 * const p = new NumpyDataProduct(init);
 * ```
 */
export interface NumpyDataProductInit {
  /** One unit or a list of units. */
  data_unit: NumpyDataUnit | NumpyDataUnit[];
  /** Product name. */
  name?: string | null | undefined;
  /** Metadata dict (`src_name`, `product`, ...). */
  meta_data?: Record<string, unknown>;
}

/**
 * Options of {@linkcode NumpyDataProduct.fromFitsFile}.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type FromFitsFileOptions } from "@oda-hub/oda-api/fits";
 * const path = `${await Deno.makeTempDir()}/demo.fits`;
 * await new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" })] })
 *   .writeFitsFile(path);
 * const opts: FromFitsFileOptions = { ext: 0, name: "demo", meta_data: { src_name: "Crab" }, signal: AbortSignal.timeout(10_000) };
 * const p = await NumpyDataProduct.fromFitsFile(path, opts);
 * ```
 */
export interface FromFitsFileOptions extends DecodeOptions {
  /** Keep only this HDU index. */
  ext?: number;
  /** Keep only HDUs with this name. */
  hdu_name?: string;
  /** Metadata dict of the new product. */
  meta_data?: Record<string, unknown>;
  /** Product name (default `""` as in oda_api). */
  name?: string | undefined;
}

/**
 * Options of {@linkcode NumpyDataProduct.writeFitsFile}.
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * import { type WriteFitsOptions } from "@oda-hub/oda-api/fits";
 * const p = new NumpyDataProduct({
 *   data_unit: [new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" })],
 * });
 * const opts: WriteFitsOptions = { overwrite: false }; // fail rather than replace an existing file
 * await p.writeFitsFile(`${await Deno.makeTempDir()}/demo.fits`, opts);
 * ```
 */
export interface WriteFitsOptions {
  /** Replace an existing file (default `true`, like oda_api's `write_fits_file`). */
  overwrite?: boolean;
}

const META_TEXT = Symbol("metaText");

/**
 * A product made of data units (the Python `NumpyDataProduct`).
 *
 * @example
 * ```ts
 * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
 * const p = new NumpyDataProduct({
 *   data_unit: [new NumpyDataUnit({ name: "PRIMARY", hdu_type: "primary" })],
 *   name: "demo",
 *   meta_data: { src_name: "Crab" },
 * });
 * p.show();
 * const wire = p.encode(); // { data_unit_list: [...], name: "demo", meta_data: '{"src_name": "Crab"}' }
 * ```
 */
export class NumpyDataProduct implements Product {
  /**
   * The notebook view of this object: Deno's Jupyter kernel calls this for a
   * cell result. Turn it off with `configureNotebook({ display: false })`.
   */
  [$display](): Promise<Record<string, unknown> & { "text/plain": string }> {
    return notebookDisplay(this);
  }

  /** What this object shows in a notebook, as data; the display layer draws it. */
  notebookView(): NotebookView {
    return { kind: "dataProduct", product: this };
  }

  /** Product name (`null` when the server sent none). */
  name: string | null;
  /** Metadata dict. */
  meta_data: Record<string, unknown>;
  /** The data units, in order. */
  data_unit: NumpyDataUnit[];
  /** The metadata JSON text as received, with a snapshot to detect edits. */
  [META_TEXT]?: { text: string; snapshot: string };

  /** Build a product from units. */
  constructor(init: NumpyDataProductInit) {
    const units = Array.isArray(init.data_unit) ? init.data_unit : [init.data_unit];
    for (const u of units) {
      if (!(u instanceof NumpyDataUnit)) throw new OdaError("INVALID_ARGUMENT", "DataUnit not valid");
    }
    const meta = init.meta_data ?? {};
    if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
      throw new OdaError("INVALID_ARGUMENT", "meta_data must be a dict");
    }
    if (init.name !== undefined && init.name !== null && typeof init.name !== "string") {
      throw new OdaError("INVALID_ARGUMENT", "a product's name must be a string or null");
    }
    this.name = init.name === undefined ? null : init.name;
    this.data_unit = units;
    this.meta_data = meta;
  }

  /**
   * The unit at index `i`; throws `PRODUCT` if out of range.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * const p = new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY" })] });
   * p.getDataUnit(0).name; // "PRIMARY"
   * ```
   */
  getDataUnit(i: number): NumpyDataUnit {
    const idx = i < 0 ? this.data_unit.length + i : i;
    const du = this.data_unit[idx];
    if (!du) {
      throw new DecodeError(
        "PRODUCT",
        `problem get_data_unit ID:${i}: the product has ${this.data_unit.length} units`,
      );
    }
    return du;
  }

  /**
   * The (last) unit with this name, or `undefined` with a warning when there
   * is none; warns when several match.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * const p = new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "RATE" })] });
   * p.getDataUnitByName("RATE")?.name; // "RATE"
   * ```
   */
  getDataUnitByName(name: string): NumpyDataUnit | undefined {
    const found = this.data_unit.filter((du) => du.name === name);
    if (found.length > 1) log.warning(`get_data_unit_by_name found multiple du for name ${name}`);
    if (found.length === 0) {
      log.warning(
        `get_data_unit_by_name found no du for name ${name}, have ${
          this.data_unit.map((d) => d.name).join("; ")
        }`,
      );
    }
    return found.at(-1);
  }

  /**
   * Print the summary oda_api's `show()` prints (sic: "data uniti"). Returns
   * nothing (as Python's `None`), so it prints once as a cell's last
   * expression; {@linkcode NumpyDataProduct.showText} gives the text.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY" })], name: "x" }).show();
   * ```
   */
  show(): void {
    console.log(this.showText().slice(0, -1));
  }

  /**
   * The text {@linkcode NumpyDataProduct.show} prints, without printing it.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * const text = new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY" })], name: "x" }).showText();
   * text.startsWith("------------------------------\nname: x"); // true
   * ```
   */
  showText(): string {
    const keys = Object.keys(this.meta_data).map((k) => pythonRepr(k)).join(", ");
    const lines = [
      "------------------------------",
      `name: ${this.name === null ? "None" : this.name}`,
      `meta_data dict_keys([${keys}])`,
      `number of data units ${this.data_unit.length}`,
      "------------------------------",
      ...this.data_unit.map((du, i) => `data uniti ${i} ,name: ${du.name}`),
    ];
    return lines.join("\n") + "\n";
  }

  /**
   * Print (and return) `key : value` lines of the metadata.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * new NumpyDataProduct({ data_unit: [], meta_data: { a: 1 } }).showMeta();
   * ```
   */
  showMeta(): string {
    const lines = ["------------------------------"];
    for (const [k, v] of Object.entries(this.meta_data)) {
      lines.push(`${k} : ${typeof v === "string" ? v : pythonRepr(v)}`);
    }
    lines.push("------------------------------");
    return lines.join("\n") + "\n";
  }

  /**
   * Python `repr()` of the metadata dict, exact when the product was decoded
   * from JSON and the metadata was not modified since (floats like `1.0`
   * keep their decimal point).
   */
  metaDataRepr(): string {
    const m = this[META_TEXT];
    if (m && JSON.stringify(this.meta_data) === m.snapshot) {
      try {
        return pythonRepr(parseJson(m.text, { keepFloats: true }));
      } catch {
        // legacy Python-literal text: fall through
      }
    }
    return pythonRepr(this.meta_data);
  }

  /**
   * The wire dict, identical to oda_api's `encode()` (pickles in standard
   * base64, metadata double-encoded as JSON text).
   *
   * @example
   * ```ts
   * import { NumpyDataProduct, NumpyDataUnit } from "@oda-hub/oda-api";
   * const wire = new NumpyDataProduct({ data_unit: [new NumpyDataUnit({ name: "PRIMARY" })] }).encode();
   * JSON.stringify(wire);
   * ```
   */
  encode(): EncodedNumpyDataProduct {
    const m = this[META_TEXT];
    const metaText = m && JSON.stringify(this.meta_data) === m.snapshot
      ? m.text
      : pythonJsonDumps(this.meta_data);
    return {
      data_unit_list: this.data_unit.map((du) => du.encode()),
      name: this.name,
      meta_data: metaText,
    };
  }

  /**
   * Decode a wire dict or its JSON text. `meta_data` may be a dict, JSON
   * text, or (legacy) a Python dict literal. `options` bound the decode (one
   * element budget shared by all units, signal, deadline: see
   * {@linkcode DecodeOptions}); only `OdaError`s escape.
   *
   * @example
   * ```ts
   * import { NumpyDataProduct } from "@oda-hub/oda-api";
   * const p = NumpyDataProduct.decode({ data_unit_list: [], name: "x", meta_data: '{"src_name": "Crab"}' });
   * p.meta_data.src_name; // "Crab"
   * ```
   */
  static decode(
    encoded: EncodedNumpyDataProduct | string | Record<string, unknown>,
    options: DecodeOptions = {},
  ): NumpyDataProduct {
    const shared = shareBudget(options);
    return typedDecode("PRODUCT", "NumpyDataProduct", () => NumpyDataProduct.#decode(encoded, shared));
  }

  static #decode(
    encoded: EncodedNumpyDataProduct | string | Record<string, unknown>,
    options: DecodeOptions,
  ): NumpyDataProduct {
    if (typeof encoded === "string") log.warning("decoding from unexpected object");
    const o = encodedDict(encoded, "NumpyDataProduct");
    if (!Array.isArray(o.data_unit_list)) {
      throw new DecodeError("PRODUCT", "NumpyDataProduct has no data_unit_list");
    }
    const units = o.data_unit_list.map((u) => NumpyDataUnit.decode(u as Record<string, unknown>, options));
    let meta: Record<string, unknown> = {};
    let metaText: string | undefined;
    const rawMeta = o.meta_data;
    if (typeof rawMeta === "string") {
      metaText = rawMeta;
      meta = parseMetaText(rawMeta);
    } else if (rawMeta && typeof rawMeta === "object" && !Array.isArray(rawMeta)) {
      meta = rawMeta as Record<string, unknown>;
    } else if (rawMeta !== undefined && rawMeta !== null) {
      throw new DecodeError("PRODUCT", "NumpyDataProduct meta_data is not a dict");
    }
    const p = new NumpyDataProduct({
      data_unit: units,
      name: typeof o.name === "string" ? o.name : null,
      meta_data: meta,
    });
    if (metaText !== undefined) p[META_TEXT] = { text: metaText, snapshot: JSON.stringify(meta) };
    return p;
  }

  /**
   * Write all units as one FITS file (primary first); atomic.
   *
   * @example
   * ```ts ignore
   * await product.writeFitsFile("lc.fits");
   * ```
   */
  async writeFitsFile(path: string, options: WriteFitsOptions = {}): Promise<void> {
    const hdus = this.data_unit.map((du, i) => toFitsHdu(du, i === 0));
    await writeFitsFile(path, hdus, { overwrite: options.overwrite ?? true });
  }

  /** File extension used by `saveAllData`: `fits`. */
  suggestFnExtension(): string {
    return "fits";
  }

  /**
   * Write as FITS (the generic product writer; `overwrite` default `false`).
   *
   * @example
   * ```ts ignore
   * await product.writeFile("spectrum.fits");
   * ```
   */
  async writeFile(path: string, options: WriteFitsOptions = {}): Promise<void> {
    await this.writeFitsFile(path, { overwrite: options.overwrite ?? false });
  }

  /**
   * Read a FITS file into a product (one unit per HDU). `signal`, `timeout` (milliseconds, as the client's) or
   * `deadline` (a `Date.now()` time) and `decodeBudget` are those of {@linkcode readFitsFile}: a read stops
   * within one 4 MiB piece of an abort (`OdaError("ABORTED")`) or of the time limit (`TIMEOUT`).
   *
   * @example
   * ```ts ignore
   * const lc = await NumpyDataProduct.fromFitsFile("lc.fits", { name: "lc", timeout: 10_000 });
   * lc.data_unit[1].data;
   * ```
   */
  static async fromFitsFile(path: string, options: FromFitsFileOptions = {}): Promise<NumpyDataProduct> {
    const { signal, deadline, timeout, decodeBudget } = options;
    let hdus = await readFitsFile(path, { signal, deadline, timeout, decodeBudget });
    if (options.ext !== undefined) {
      const h = hdus[options.ext];
      if (!h) throw new OdaError("INVALID_ARGUMENT", `FITS file ${path} has no HDU ${options.ext}`);
      hdus = [h];
    }
    if (options.hdu_name !== undefined) hdus = hdus.filter((h) => h.name === options.hdu_name);
    return new NumpyDataProduct({
      data_unit: hdus.map((h) => fromFitsHdu(h)),
      meta_data: options.meta_data ?? {},
      name: options.name ?? "",
    });
  }
}

/** `json.loads`, falling back to a Python literal (legacy repr strings). */
function parseMetaText(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseJson(text);
  } catch {
    try {
      v = JSON.parse(pythonLiteralToJson(text));
    } catch (e) {
      throw new DecodeError("PRODUCT", "meta_data is neither JSON nor a Python dict literal", { cause: e });
    }
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new DecodeError("PRODUCT", "meta_data is not a dict");
  }
  return v as Record<string, unknown>;
}

const IDENT = /[A-Za-z_]\w*/y;
const PY_NAMES = new Map([["True", "true"], ["False", "false"], ["None", "null"], ["nan", "null"], [
  "inf",
  "null",
]]);

/** Convert a simple Python literal (dict/list/tuple/str/num/True/False/None) to JSON text. */
function pythonLiteralToJson(s: string): string {
  // one part per token or character: linear in the length (no re-scanning of the output or the input)
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      let str = "";
      while (j < s.length && s[j] !== c) {
        if (s[j] === "\\" && j + 1 < s.length) {
          const n = s[j + 1];
          str += n === "n" ? "\n" : n === "t" ? "\t" : n;
          j += 2;
        } else str += s[j++];
      }
      if (j >= s.length) throw new SyntaxError("unterminated string");
      out.push(JSON.stringify(str));
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      IDENT.lastIndex = i;
      const m = IDENT.exec(s)![0];
      const json = PY_NAMES.get(m);
      if (json === undefined) throw new SyntaxError(`name ${m}`);
      out.push(json);
      i += m.length;
    } else if (c === "(") {
      out.push("[");
      i++;
    } else if (c === ")") {
      // drop a trailing comma (one-element tuples) and the blanks after it
      let k = out.length;
      while (k > 0 && /^\s$/.test(out[k - 1])) k--;
      if (k > 0 && out[k - 1] === ",") out.length = k - 1;
      out.push("]");
      i++;
    } else {
      out.push(c);
      i++;
    }
  }
  return out.join("");
}
