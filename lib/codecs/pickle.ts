/**
 * Safe decoding of the Python pickles MMODA sends in `binarys` (numpy arrays, record arrays, astropy
 * `FITS_rec`), with our own restricted pickle VM: see `pickle/vm.ts` for the allow-list and the safety promise,
 * and why we do not use `npm:pickleparser`.
 *
 * @module
 */
import type { NdArray, Table } from "./ndarray.ts";
import { PickleGlobal, PickleObject, runPickle } from "./pickle/vm.ts";
import { arrayFromPickleObject } from "./pickle/numpy.ts";

export { PickleGlobal, PickleObject };

/**
 * Decode any pickle made only of plain Python data and the whitelisted numpy/astropy globals, without running
 * anything. dicts → `Map`, lists and tuples → arrays, `bytes`/`bytearray` → `Uint8Array` (views into `bytes`),
 * sets → `Set`, ints → `number` (or `bigint` beyond 2^53), instances of whitelisted classes → inert
 * {@linkcode PickleObject}s (class name, arguments, BUILD state).
 *
 * Any other global, an unsupported opcode or a truncated input throws `DecodeError` with code `"PICKLE"`.
 *
 * @example
 * ```ts
 * import { decodePickle } from "@oda-hub/oda-api";
 * // pickle.dumps({"a": [1, 2.5, None]}, protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2, 0x28, 0x4b, 1,
 *   0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x4e, 0x65, 0x73, 0x2e,
 * ]);
 * const d = decodePickle(bytes) as Map<string, unknown>;
 * d.get("a"); // [1, 2.5, null]
 * ```
 */
export function decodePickle(bytes: Uint8Array): unknown {
  return runPickle(bytes);
}

/** Options of {@linkcode decodeNumpyPickle}. */
export interface DecodeNumpyPickleOptions {
  /**
   * The caller hands `bytes` over (e.g. a buffer it just base64-decoded and will not use again): plain numeric
   * arrays are then byte-swapped/aligned inside it and returned as TypedArray views into its buffer, with no
   * copy. Default `false` (the input is never modified).
   */
  reuseInput?: boolean;
}

/**
 * Decode a pickled numpy array (`numpy.ndarray`, `numpy.recarray`, astropy `FITS_rec`; numpy 1 or 2; protocol
 * 2 to 5) into the shared model: plain arrays → {@linkcode NdArray} (native TypedArray, C order, dtype string as
 * numpy shows it, e.g. `">i2"`), structured arrays and FITS tables → {@linkcode Table}. FITS tables use astropy's
 * converted columns where the pickle has them (scaled, unsigned and variable-length columns) and otherwise
 * apply the columns' TSCAL/TZERO.
 *
 * @example
 * ```ts
 * import { decodeNumpyPickle, encodeNumpyPickle } from "@oda-hub/oda-api";
 * const bytes = encodeNumpyPickle({ kind: "ndarray", dtype: ">i2", shape: [2], values: new Int16Array([1, 2]) });
 * const arr = decodeNumpyPickle(bytes);
 * if (arr.kind === "ndarray") console.log(arr.dtype, arr.shape, arr.values); // ">i2" [2] Int16Array [1, 2]
 * ```
 */
export function decodeNumpyPickle(
  bytes: Uint8Array,
  options: DecodeNumpyPickleOptions = {},
): NdArray | Table {
  const obj = runPickle(bytes);
  return arrayFromPickleObject(obj, {
    reuseInput: options.reuseInput === true,
    input: bytes,
    inputLength: bytes.length,
  });
}
