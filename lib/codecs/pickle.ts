/**
 * Safe decoding of the Python pickles MMODA sends in `binarys` (numpy arrays, record arrays, astropy
 * `FITS_rec`), with our own restricted pickle VM: see `pickle/vm.ts` for the allow-list and the safety promise,
 * and why we do not use `npm:pickleparser`.
 *
 * @module
 */
import type { NdArray, Table } from "../data/ndarray.ts";
import { DecodeError, OdaError } from "../errors.ts";
import { PickleGlobal, PickleObject, runPickle } from "./pickle/vm.ts";
import { arrayFromPickleObject } from "./pickle/numpy.ts";
import { LAZY_MIN_BYTES, LazyFallback, splitBase64Pickle, type SplitPickle } from "./pickle/lazy_bytes.ts";
import { decodeBase64 } from "../data/base64.ts";
import { DecodeBudget, type DecodeOptions, typedDecode } from "./budget.ts";

export { PickleGlobal, PickleObject };

/**
 * Decode any pickle made only of plain Python data and the whitelisted numpy/astropy globals, without running
 * anything. dicts → `Map`, lists and tuples → arrays, `bytes`/`bytearray` → `Uint8Array` (views into `bytes`),
 * sets → `Set`, ints → `number` (or `bigint` beyond 2^53), instances of whitelisted classes → inert
 * {@linkcode PickleObject}s (class name, arguments, BUILD state).
 *
 * Any other global, an unsupported opcode or a truncated input throws `DecodeError` with code `"PICKLE"`.
 * `options.signal`/`options.deadline` are checked every 65536 opcodes (the VM itself is linear in the input).
 *
 * @example
 * ```ts
 * import { decodePickle } from "@oda-hub/oda-api/pickle";
 * // pickle.dumps({"a": [1, 2.5, None]}, protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2, 0x28, 0x4b, 1,
 *   0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x4e, 0x65, 0x73, 0x2e,
 * ]);
 * const d = decodePickle(bytes) as Map<string, unknown>;
 * d.get("a"); // [1, 2.5, null]
 * ```
 */
export function decodePickle(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  const budget = DecodeBudget.of(options, bytes.length);
  return typedDecode("PICKLE", "pickle", () => runPickle(bytes, { budget }));
}

/**
 * Options of {@linkcode decodeNumpyPickle}.
 *
 * @example
 * ```ts
 * import { decodeNumpyPickle, type DecodeNumpyPickleOptions, encodeNumpyPickle } from "@oda-hub/oda-api/pickle";
 * const bytes = encodeNumpyPickle({
 *   kind: "ndarray",
 *   dtype: "<f8",
 *   shape: [2],
 *   values: new Float64Array([1, 2]),
 * });
 * const opts: DecodeNumpyPickleOptions = { reuseInput: true }; // `bytes` is not used again
 * const arr = decodeNumpyPickle(bytes, opts);
 * ```
 */
export interface DecodeNumpyPickleOptions extends DecodeOptions {
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
 * Bounded: the elements produced are charged to the decode's budget (`options.decodeBudget`, default 4 Mi +
 * 16 per input byte, at most 1 Gi; `DecodeError("DECODE_LIMIT")` past it), so zero-size dtypes (`V0`, `S0`,
 * `U0`) over huge shapes and arrays referenced many times cannot blow up; `options.signal` and
 * `options.deadline` are checked between chunks. Only `OdaError`s escape.
 *
 * @example
 * ```ts
 * import { decodeNumpyPickle, encodeNumpyPickle } from "@oda-hub/oda-api/pickle";
 * const bytes = encodeNumpyPickle({ kind: "ndarray", dtype: ">i2", shape: [2], values: new Int16Array([1, 2]) });
 * const arr = decodeNumpyPickle(bytes);
 * if (arr.kind === "ndarray") console.log(arr.dtype, arr.shape, arr.values); // ">i2" [2] Int16Array [1, 2]
 * ```
 */
export function decodeNumpyPickle(
  bytes: Uint8Array,
  options: DecodeNumpyPickleOptions = {},
): NdArray | Table {
  const budget = DecodeBudget.of(options, bytes.length);
  return typedDecode("PICKLE", "numpy pickle", () => {
    const obj = runPickle(bytes, { budget });
    return arrayFromPickleObject(obj, {
      reuseInput: options.reuseInput === true,
      input: bytes,
      inputLength: bytes.length,
      budget,
    });
  });
}

/**
 * {@linkcode decodeNumpyPickle} of base64 text (a data unit's `binarys`), without ever holding the decoded
 * pickle: big payloads (array data of 1 MiB or more) stay in the text until the converter knows the dtype,
 * then are decoded in cache-sized pieces straight into the result (a record array's columns are filled block by
 * block). Anything unusual (whitespace in the text, the URL-safe alphabet, a payload inside a pickle FRAME)
 * takes the ordinary path: `decodeNumpyPickle(decodeBase64(text), { reuseInput: true })`, which also reports
 * errors. Same budget, signal and deadline options as {@linkcode decodeNumpyPickle}.
 *
 * @example
 * ```ts
 * import { decodeNumpyPickleBase64, encodeBase64, encodeNumpyPickle } from "@oda-hub/oda-api/pickle";
 * const values = new Float32Array(1 << 19).fill(1.5); // 2 MiB
 * const b64 = encodeBase64(encodeNumpyPickle({ kind: "ndarray", dtype: ">f4", shape: [values.length], values }));
 * const arr = decodeNumpyPickleBase64(b64);
 * if (arr.kind === "ndarray") console.log(arr.shape, arr.values[0]); // [524288] 1.5
 * ```
 */
export function decodeNumpyPickleBase64(text: string, options: DecodeOptions = {}): NdArray | Table {
  const budget = DecodeBudget.of(options, Math.floor(text.length * 3 / 4));
  return typedDecode("PICKLE", "numpy pickle", () => decodeBase64Pickle(text, budget));
}

function decodeBase64Pickle(text: string, budget: DecodeBudget): NdArray | Table {
  let split: SplitPickle | undefined;
  if (text.length >= LAZY_MIN_BYTES) {
    try {
      split = splitBase64Pickle(text);
    } catch (e) {
      if (!(e instanceof LazyFallback)) throw e;
    }
  }
  if (split) {
    const used = budget.used;
    try {
      const obj = runPickle(split.bytes, { holes: split.holes, budget });
      const res = arrayFromPickleObject(obj, { inputLength: split.totalLength, budget });
      // a payload nothing used is still decoded, so that bad base64 in it is an error as on the ordinary path
      for (const h of split.holes.values()) if (!h.used) h.validate();
      return res;
    } catch (e) {
      // over budget, aborted or late: the ordinary path would end the same way
      if (e instanceof OdaError && !(e instanceof DecodeError && e.code === "PICKLE")) throw e;
      // the ordinary path below decodes everything again and reports real errors with their usual messages
      budget.refund(budget.used - used);
    }
  }
  const bytes = decodeBase64(text);
  const obj = runPickle(bytes, { budget });
  return arrayFromPickleObject(obj, { reuseInput: true, input: bytes, inputLength: bytes.length, budget });
}
