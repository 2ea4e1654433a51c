/**
 * One output budget per decode: every decoder (pickle, numpy, FITS, ECSV, list-encoded data units) charges the
 * ELEMENTS it produces, not the bytes it reads, so inputs whose elements take no bytes (zero-size numpy fields,
 * FITS `0A` columns with a huge `TDIM`, variable-length rows sharing heap bytes, declared ECSV shapes) cannot
 * expand into gigabytes. gzip inflation has its own byte cap. The same object carries the caller's
 * `AbortSignal` and deadline, checked between chunks (decoding is synchronous: a timer cannot fire during it,
 * so the deadline is compared with the clock).
 *
 * @module
 */
import { DecodeError, errorMessage, OdaError } from "../errors.ts";

/** Elements every decode may produce whatever its input size (4 Mi). */
export const BUDGET_FLOOR_ELEMENTS = 1 << 22;
/** Elements allowed per input byte, on top of the floor. */
export const BUDGET_ELEMENTS_PER_BYTE = 16;
/** Default absolute cap on elements per decode (1 Gi), whatever the input size. */
export const BUDGET_MAX_ELEMENTS = 2 ** 30;
/** Bytes any gzip input may inflate to whatever its size (16 MiB). */
export const INFLATE_FLOOR_BYTES = 1 << 24;
/** Inflated bytes allowed per compressed byte, on top of the floor (deflate's own maximum is about 1032). */
export const INFLATE_BYTES_PER_BYTE = 256;
/** Default absolute cap on inflated bytes per decode (2 GiB). */
export const INFLATE_MAX_BYTES = 2 ** 31;

/**
 * Limits of one decode; anything left out keeps its default.
 *
 * @example
 * ```ts
 * import { type DecodeLimits, readFits } from "@oda-hub/oda-api/fits";
 * const limits: DecodeLimits = { maxElements: 4e9, maxInflatedBytes: 16e9 }; // a huge, trusted file
 * // readFits(bytes, { decodeBudget: limits });
 * ```
 */
export interface DecodeLimits {
  /**
   * Most elements (array values, table cells, strings, variable-length items) one decode may produce. Default
   * 4 Mi + 16 per input byte, at most 1 Gi (2^30).
   */
  maxElements?: number;
  /**
   * Most bytes one decode may inflate from gzip (`.fits.gz`). Default 16 MiB + 256 per compressed byte, at
   * most 2 GiB.
   */
  maxInflatedBytes?: number;
}

/**
 * Options every decode entry point accepts: limits (or a shared {@linkcode DecodeBudget}), an `AbortSignal`
 * and a time limit, checked between chunks. The time limit is `timeout` (milliseconds from the call, the name
 * and meaning the client's methods use) or `deadline` (an absolute `Date.now()` time, for composing calls
 * under one deadline); with both, the earlier one holds.
 *
 * @example
 * ```ts
 * import { type DecodeOptions, readEcsv } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * const opts: DecodeOptions = { decodeBudget: { maxElements: 1e6 }, deadline: Date.now() + 5000 };
 * const t = readEcsv("# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int64}\na\n1\n", opts);
 * assert.equal(t.length, 1);
 * ```
 */
export interface DecodeOptions {
  /**
   * Limits of this decode, or a {@linkcode DecodeBudget} shared by several decodes (all the products of one
   * response draw from one budget). Default: see {@linkcode DecodeLimits}.
   */
  decodeBudget?: DecodeLimits | DecodeBudget | undefined;
  /** Abort the decode (checked between chunks): `OdaError("ABORTED")`, or the signal's reason if an OdaError. */
  signal?: AbortSignal | undefined;
  /** Epoch milliseconds (`Date.now()` clock) after which the decode stops with `OdaError("TIMEOUT")`. */
  deadline?: number | undefined;
  /**
   * Milliseconds the call may take (counted from the call, as the client's `timeout`); past them it stops with
   * `OdaError("TIMEOUT")`. A public entry point turns it into a `deadline` once, so the whole call (opening,
   * every read, the decode) shares it.
   */
  timeout?: number | undefined;
}

/**
 * `options` with `timeout` turned into a `deadline` counted from now (the earlier of it and any `deadline`
 * given), so that every step of one call shares it. `INVALID_ARGUMENT` unless `timeout` is a number ≥ 0.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./budget.ts";
 * import assert from "node:assert/strict";
 * const o = withDeadline({ timeout: 5000, deadline: Date.now() + 60_000 });
 * assert.ok(o.deadline! <= Date.now() + 5000 && o.timeout === undefined);
 * ```
 */
export function withDeadline<T extends DecodeOptions>(options: T): T {
  const t = options.timeout;
  if (t === undefined) return options;
  const deadline = Math.min(deadlineOf(t), options.deadline ?? Infinity);
  const out = { ...options, timeout: undefined };
  return Number.isFinite(deadline) ? { ...out, deadline } : out;
}

/** `Date.now() + timeout`, after checking `timeout` (a number of milliseconds ≥ 0; `Infinity`: none). */
function deadlineOf(timeout: unknown): number {
  return deadlineAfter(timeout as number) ?? Infinity;
}

/**
 * The absolute deadline (`Date.now()` ms) of a call given `timeout` milliseconds from now, the one meaning of
 * `timeout` in decoders, file readers and the client: `undefined` for none (`undefined` or `Infinity`);
 * `OdaError("INVALID_ARGUMENT")` unless a number ≥ 0 (`NaN` or a negative timeout is a mistake, not a
 * deadline in the past).
 *
 * @example
 * ```ts
 * import { deadlineAfter } from "./budget.ts";
 * import assert from "node:assert/strict";
 * assert.equal(deadlineAfter(undefined), undefined);
 * assert.equal(deadlineAfter(Infinity), undefined);
 * assert.ok(deadlineAfter(5000)! <= Date.now() + 5000);
 * assert.throws(() => deadlineAfter(-1), /timeout must be a number of milliseconds >= 0/);
 * ```
 */
export function deadlineAfter(timeout: number | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new OdaError("INVALID_ARGUMENT", "timeout must be a number of milliseconds >= 0");
  }
  return timeout === Infinity ? undefined : Date.now() + timeout;
}

/**
 * The milliseconds left until `deadline` (`Date.now()` ms), never negative, as a `timeout` for the next call
 * under the same deadline: `undefined` for none, `Infinity` stays `Infinity`.
 *
 * @example
 * ```ts
 * import { timeLeft } from "./budget.ts";
 * import assert from "node:assert/strict";
 * assert.equal(timeLeft(undefined), undefined);
 * assert.equal(timeLeft(Date.now() - 10), 0);
 * assert.ok(timeLeft(Date.now() + 5000)! <= 5000);
 * ```
 */
export function timeLeft(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
}

function limitOf(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !(v >= 0)) {
    throw new OdaError("INVALID_ARGUMENT", `decodeBudget.${what} must be a non-negative number`);
  }
  return v;
}

/**
 * The element and inflation budget of one decode (or of several decodes sharing it), with the caller's signal
 * and deadline. Decoders call {@linkcode DecodeBudget.addInput} with each input they start on (the default
 * limits grow with the input), {@linkcode DecodeBudget.charge} before allocating outputs, and
 * {@linkcode DecodeBudget.checkpoint} between chunks.
 *
 * @example
 * ```ts
 * import { OdaError } from "@oda-hub/oda-api";
 * import { DecodeBudget } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const budget = new DecodeBudget({ decodeBudget: { maxElements: 1000 } });
 * budget.charge(600, "first table");
 * try {
 *   budget.charge(600, "second table");
 * } catch (e) {
 *   assert.equal((e as OdaError).code, "DECODE_LIMIT");
 * }
 * ```
 */
export class DecodeBudget {
  #used = 0;
  #input = 0;
  #inflated = 0;
  #maxElements: number | undefined;
  #maxInflated: number | undefined;
  #signal: AbortSignal | undefined;
  #deadline: number | undefined;
  #ticks = 0;

  /** A budget with the given limits, signal and deadline (a `DecodeBudget` in `decodeBudget` is copied). */
  constructor(options: DecodeOptions = {}) {
    const b = options.decodeBudget;
    if (b instanceof DecodeBudget) {
      this.#maxElements = b.#maxElements;
      this.#maxInflated = b.#maxInflated;
      this.#signal = b.#signal;
      this.#deadline = b.#deadline;
    } else if (b !== undefined && (b === null || typeof b !== "object")) {
      throw new OdaError("INVALID_ARGUMENT", "decodeBudget must be an object of limits");
    } else {
      this.#maxElements = limitOf(b?.maxElements, "maxElements");
      this.#maxInflated = limitOf(b?.maxInflatedBytes, "maxInflatedBytes");
    }
    if (options.signal !== undefined) this.#signal = options.signal;
    if (options.deadline !== undefined) {
      if (typeof options.deadline !== "number" || Number.isNaN(options.deadline)) {
        throw new OdaError("INVALID_ARGUMENT", "deadline must be a Date.now() timestamp in milliseconds");
      }
      this.#deadline = options.deadline;
    }
    if (options.timeout !== undefined) {
      this.#deadline = Math.min(deadlineOf(options.timeout), this.#deadline ?? Infinity);
    }
  }

  /**
   * The budget of a decode called with `options` on `inputBytes` bytes: the shared budget passed in
   * `decodeBudget` (its input grows by `inputBytes`), or a new one.
   *
   * @example
   * ```ts
   * import { DecodeBudget } from "@oda-hub/oda-api/pickle";
   * const b = DecodeBudget.of({}, 1000);
   * b.limit; // 4194304 + 16 * 1000
   * ```
   */
  static of(options: DecodeOptions | undefined, inputBytes: number): DecodeBudget {
    const shared = options?.decodeBudget;
    const b = shared instanceof DecodeBudget ? shared : new DecodeBudget(options ?? {});
    if (shared instanceof DecodeBudget && (options?.signal || options?.deadline !== undefined)) {
      if (options.signal) b.#signal = options.signal;
      if (options.deadline !== undefined) b.#deadline = options.deadline;
    }
    if (shared instanceof DecodeBudget && options?.timeout !== undefined) {
      // the call's own time limit replaces the shared one, as its `deadline` does (the earlier of the two)
      b.#deadline = Math.min(deadlineOf(options.timeout), options.deadline ?? Infinity);
    }
    b.addInput(inputBytes);
    b.checkpoint();
    return b;
  }

  /** Count `bytes` more input (raises the default limits). */
  addInput(bytes: number): void {
    if (Number.isFinite(bytes) && bytes > 0) this.#input += bytes;
  }

  /** Most elements this budget allows in all. */
  get limit(): number {
    return this.#maxElements ??
      Math.min(BUDGET_MAX_ELEMENTS, BUDGET_FLOOR_ELEMENTS + BUDGET_ELEMENTS_PER_BYTE * this.#input);
  }

  /** Elements charged so far. */
  get used(): number {
    return this.#used;
  }

  /**
   * Charge `elements` about to be produced; past the limit: `DecodeError("DECODE_LIMIT")` naming `what` and
   * how to raise the limit. Also a {@linkcode DecodeBudget.checkpoint} every 64 charges.
   */
  charge(elements: number, what: string): void {
    if (!(elements >= 0)) throw new DecodeError("DECODE_LIMIT", `${what}: invalid element count ${elements}`);
    // decoders charge per chunk, per column, or per variable-length row: the clock is read every 64 charges
    this.tick(64);
    const next = this.#used + elements;
    if (next > this.limit) {
      throw new DecodeError(
        "DECODE_LIMIT",
        `${what} would produce ${elements} elements: over this decode's budget of ${this.limit} ` +
          `(${this.#used} used). If the input is trusted, raise it with the decodeBudget option, ` +
          `e.g. { decodeBudget: { maxElements: ${Math.max(2 * this.limit, Math.ceil(next * 1.25))} } }`,
        { details: { limit: this.limit, used: this.#used, requested: elements } },
      );
    }
    this.#used = next;
  }

  /** Most bytes the next inflation of `compressedBytes` may produce. */
  inflateLimit(compressedBytes: number): number {
    const max = this.#maxInflated ??
      Math.min(INFLATE_MAX_BYTES, INFLATE_FLOOR_BYTES + INFLATE_BYTES_PER_BYTE * compressedBytes);
    return Math.max(0, max - this.#inflated);
  }

  /** Give back `elements` charged by an attempt that was abandoned (and is redone another way). */
  refund(elements: number): void {
    this.#used = Math.max(0, this.#used - elements);
  }

  /** Count bytes inflated. */
  chargeInflated(bytes: number): void {
    this.#inflated += bytes;
  }

  /**
   * Throw if the signal was aborted (`ABORTED`, or its reason if an `OdaError`) or the deadline passed
   * (`TIMEOUT`). Cheap: call it between chunks. `doing` names the work in the message (default: decoding).
   */
  checkpoint(doing?: string): void {
    const s = this.#signal;
    if (s?.aborted) {
      const r = s.reason;
      if (r instanceof OdaError) throw r;
      throw new OdaError(
        "ABORTED",
        `${doing ?? "decoding"} was aborted` + (r instanceof Error ? `: ${r.message}` : ""),
        { cause: r },
      );
    }
    if (this.#deadline !== undefined && Date.now() > this.#deadline) {
      throw new OdaError("TIMEOUT", `the deadline passed while ${doing ?? "decoding the response"}`);
    }
  }

  /** {@linkcode DecodeBudget.checkpoint} once every `every` calls (for per-row loops). */
  tick(every = 4096): void {
    if (++this.#ticks >= every) {
      this.#ticks = 0;
      this.checkpoint();
    }
  }
}

/**
 * The signal and deadline of decode `options` (or of the shared budget they carry) as one check, for work
 * before the decode proper (reading a file in pieces): it throws as {@linkcode DecodeBudget.checkpoint}
 * does, with `doing` in the message, and charges nothing.
 *
 * @example
 * ```ts
 * import { interruptCheck } from "./budget.ts";
 * import assert from "node:assert/strict";
 * const check = interruptCheck({ deadline: Date.now() - 1 }, "reading big.fits");
 * assert.throws(check, /the deadline passed while reading big.fits/);
 * ```
 */
export function interruptCheck(options: DecodeOptions | undefined, doing: string): () => void {
  const shared = options?.decodeBudget instanceof DecodeBudget ? options.decodeBudget : undefined;
  const guard = new DecodeBudget({
    decodeBudget: shared,
    signal: options?.signal,
    deadline: options?.deadline,
  });
  return () => guard.checkpoint(doing);
}

/**
 * `options` with one {@linkcode DecodeBudget} that every decode called with the result draws from (the
 * products of one response share a budget that grows with each input).
 */
export function shareBudget<T extends DecodeOptions>(options: T): T {
  if (options.decodeBudget instanceof DecodeBudget) return options;
  return { ...options, decodeBudget: new DecodeBudget(options) };
}

/**
 * Run a decoder at a public entry point: anything it throws that is not an `OdaError` (a `RangeError` of a
 * runaway allocation or recursion, a `TypeError` of a hostile value) becomes `DecodeError(code)`.
 */
export function typedDecode<T>(
  code: ConstructorParameters<typeof DecodeError>[0],
  what: string,
  f: () => T,
): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OdaError) throw e;
    throw new DecodeError(code, `${what} could not be decoded: ${errorMessage(e)}`, { cause: e });
  }
}
