/**
 * A dispatcher answer decoded from its bytes as they arrive: the JSON envelope is parsed incrementally and
 * every data unit's `binarys` (base64 of a numpy pickle) is decoded into its array while it streams in, so
 * neither the body, nor its text, nor the base64 strings ever exist whole. The `binarys` string is replaced
 * by a {@linkcode DecodedBinarys} holding the array (or the decoding error, raised when the data unit is
 * decoded, as for the text path).
 *
 * @module
 */
import type { NdArray, Table } from "../data/ndarray.ts";
import { JsonStreamParser, type JsonStringSink } from "./_json_stream.ts";
import { Base64PickleStream, type PickleStreamTuning } from "./pickle/stream.ts";
import { DecodeBudget, type DecodeOptions } from "./budget.ts";
import { DecodeError, errorMessage, OdaError } from "../errors.ts";

/**
 * A data unit's `binarys` already decoded from the response stream.
 *
 * @example
 * ```ts
 * import { DecodedBinarys, parseJsonBytes } from "@oda-hub/oda-api/pickle";
 * const r = parseJsonBytes('{"binarys": "gAJOLg=="}') as { binarys: DecodedBinarys };
 * r.binarys instanceof DecodedBinarys; // true (the pickle of None is not an array: r.binarys.error is set)
 * ```
 */
export class DecodedBinarys {
  /** The array, or the error met while decoding it. */
  constructor(
    /** The decoded array (undefined when `error` is set). */
    readonly data: NdArray | Table | undefined,
    /** What went wrong (raised when the data unit is decoded). */
    readonly error?: unknown | undefined,
  ) {}
}

class BinarysSink implements JsonStringSink {
  #stream: Base64PickleStream | null;
  #error: unknown;
  constructor(tuning?: PickleStreamTuning) {
    this.#stream = new Base64PickleStream(tuning);
  }
  write(bytes: Uint8Array, raw: boolean): number {
    if (this.#stream) {
      try {
        return this.#stream.write(bytes, raw);
      } catch (e) {
        this.#fail(e);
      }
    }
    // failed: skip to the end of the string
    if (!raw) return bytes.length;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 34 || bytes[i] === 92) return i;
    return bytes.length;
  }
  #fail(e: unknown): void {
    this.#error = e;
    this.#stream = null;
  }
  end(): unknown {
    if (this.#stream) {
      try {
        return new DecodedBinarys(this.#stream.end());
      } catch (e) {
        this.#fail(e);
      }
    }
    return new DecodedBinarys(undefined, this.#error);
  }
}

/**
 * A parser whose `binarys` strings are decoded into {@linkcode DecodedBinarys} (`tuning` is for tests).
 *
 * @internal
 */
export function responseParser(
  tuning?: PickleStreamTuning,
  mapString?: (s: string) => string,
): JsonStreamParser {
  return new JsonStreamParser({
    sinkFor: (key) => (key === "binarys" ? new BinarysSink(tuning) : undefined),
    mapString,
  });
}

/**
 * Options of {@linkcode parseJsonStream}.
 *
 * @example
 * ```ts
 * import type { ParseJsonStreamOptions } from "@oda-hub/oda-api/pickle";
 * const opts: ParseJsonStreamOptions = { onBytes: (n) => console.log(`${n} bytes`) };
 * ```
 */
export interface ParseJsonStreamOptions extends DecodeOptions {
  /** Called after each chunk with the number of bytes received so far. */
  onBytes?: (received: number) => void;
  /** The answer's size when known (Content-Length): no data unit can be bigger. */
  total?: number | undefined;
  /** Applied to every string of the answer but the `binarys` (e.g. to redact echoed secrets). */
  mapString?: ((s: string) => string) | undefined;
}

/**
 * Parse a JSON answer from a stream of byte chunks (a `fetch` body, a file), decoding every `binarys` into
 * a {@linkcode DecodedBinarys} as it arrives; the result equals `parseJson` of the whole text except for those.
 * Malformed JSON raises `DecodeError` (code `"JSON"`), a failing stream `DecodeError` (`"MALFORMED_RESPONSE"`),
 * an abort `OdaError` (`"ABORTED"`); the arrays are charged to one budget (see `DecodeOptions`).
 *
 * @example
 * ```ts
 * import { parseJsonStream } from "@oda-hub/oda-api/pickle";
 * const body = new Response('{"query_status": "done", "n": NaN}').body!;
 * const v = await parseJsonStream(body); // { query_status: "done", n: NaN }
 * ```
 */
export async function parseJsonStream(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  options: ParseJsonStreamOptions = {},
): Promise<unknown> {
  try {
    return await parseJsonChunks(source, options);
  } catch (e) {
    if (e instanceof OdaError) throw e;
    throw new DecodeError("MALFORMED_RESPONSE", `reading the answer failed: ${errorMessage(e)}`, {
      cause: e,
    });
  }
}

/**
 * {@linkcode parseJsonStream} letting the stream's own errors through (the HTTP layer classifies them).
 *
 * @internal
 */
export async function parseJsonChunks(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  options: ParseJsonStreamOptions = {},
): Promise<unknown> {
  const budget = DecodeBudget.of(options, 0);
  const parser = responseParser(
    options.total === undefined ? { budget } : { budget, maxPayload: options.total },
    options.mapString,
  );
  let received = 0;
  const chunks = source instanceof ReadableStream ? readerChunks(source, options.signal) : source;
  for await (const chunk of chunks) {
    budget.checkpoint();
    budget.addInput(chunk.length);
    parser.push(chunk);
    received += chunk.length;
    options.onBytes?.(received);
  }
  budget.checkpoint();
  return parser.end();
}

async function* readerChunks(
  source: ReadableStream<Uint8Array>,
  signal?: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  const reader = source.getReader();
  const onAbort = () => reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

const CHUNK = 1 << 20;

/**
 * Parse a whole JSON answer held as bytes or text the way {@linkcode parseJsonStream} parses a stream: the
 * `binarys` strings are decoded into {@linkcode DecodedBinarys} piece by piece (text is encoded to UTF-8 a
 * megabyte at a time), so the memory needed beyond the input is about the decoded arrays.
 *
 * @example
 * ```ts
 * import { parseJsonBytes } from "@oda-hub/oda-api/pickle";
 * parseJsonBytes(new TextEncoder().encode('{"a": [1, Infinity]}')); // { a: [1, Infinity] }
 * parseJsonBytes('{"a": "é"}'); // { a: "é" }
 * ```
 */
export function parseJsonBytes(input: Uint8Array | string, options: DecodeOptions = {}): unknown {
  const budget = DecodeBudget.of(options, input.length);
  const parser = responseParser({
    budget,
    maxPayload: typeof input === "string" ? 3 * input.length : input.length,
  });
  if (typeof input !== "string") {
    parser.push(input);
    return parser.end();
  }
  const enc = new TextEncoder();
  const buf = new Uint8Array(CHUNK * 3 + 4);
  for (let i = 0; i < input.length;) {
    let j = Math.min(input.length, i + CHUNK);
    // do not split a surrogate pair
    if (j < input.length && (input.charCodeAt(j - 1) & 0xfc00) === 0xd800) j++;
    const { written } = enc.encodeInto(input.slice(i, j), buf);
    budget.checkpoint();
    parser.push(buf.subarray(0, written));
    i = j;
  }
  return parser.end();
}
