/**
 * Big `bytes` payloads of a base64-encoded pickle left in their base64 text until the array converter knows
 * where each byte goes: {@linkcode splitBase64Pickle} decodes the pickle's opcodes into a small buffer and
 * replaces every big unframed `BINBYTES`/`BINBYTES8`/`BYTEARRAY8` payload by a {@linkcode LazyBytes} stand-in,
 * which the converter then decodes in cache-sized pieces straight into the columns of a record array (or into
 * the TypedArray of a plain array). Neither the decoded pickle nor the records ever exist as one buffer: less
 * memory (no copy of the payload besides the result) and one pass less over it.
 *
 * Anything unusual (whitespace inside the text, the URL-safe alphabet, unknown opcodes, a payload inside a
 * FRAME) makes these functions throw {@linkcode LazyFallback}: the caller then decodes the whole text and runs
 * the ordinary path, which also reports real errors.
 *
 * @module
 */

import type { Table } from "../../data/ndarray.ts";
import type { DTypeInfo } from "./dtype.ts";
import { nativeSetFromBase64 } from "../../data/base64.ts";
import { ARG, LEN1, LEN4, LINE, LINE2, UNKNOWN } from "./_opcode_args.ts";

/** Internal, never escapes the decoder: the lazy path does not apply; the caller falls back to a full decode. */
export class LazyFallback extends Error {
  /** A short reason (for debugging). */
  constructor(reason: string) {
    super(`lazy base64 pickle decode not applicable: ${reason}`);
  }
}

const setFrom = nativeSetFromBase64;

/** Payloads at least this big are left in base64. */
export const LAZY_MIN_BYTES = 1 << 20;

/** Base64 text without whitespace, decoded piece by piece at any byte offset. */
export class Base64Source {
  /** Decoded length (assuming no whitespace: checked piece by piece). */
  readonly length: number;
  #scratch: Uint8Array = new Uint8Array(0);
  /** Wrap `text` (standard alphabet). */
  constructor(readonly text: string) {
    let n = text.length;
    while (n > 0 && text.charCodeAt(n - 1) === 61) n--;
    const rem = n % 4;
    if (rem === 1) throw new LazyFallback("bad length");
    this.length = Math.floor(n / 4) * 3 + (rem === 0 ? 0 : rem - 1);
  }

  /** Decode bytes `[start, start + len)` into `dst` at `dstOff`. */
  readInto(start: number, len: number, dst: Uint8Array, dstOff: number): void {
    if (len <= 0) return;
    if (setFrom === undefined) throw new LazyFallback("no setFromBase64");
    if (start < 0 || start + len > this.length) throw new LazyFallback("read out of range");
    const q0 = Math.floor(start / 3);
    const q1 = Math.ceil((start + len) / 3);
    const lead = start - 3 * q0;
    const end = start + len;
    // bytes the quanta [q0, q1) decode to (the last quantum of the text may be short)
    const full = Math.min(3 * q1, this.length) - 3 * q0;
    const c0 = 4 * q0;
    const c1 = Math.min(4 * q1, this.text.length);
    const aligned = lead === 0 && full === len;
    let target: Uint8Array;
    if (aligned) target = dst.subarray(dstOff, dstOff + len);
    else {
      if (this.#scratch.length < full) this.#scratch = new Uint8Array(Math.max(full, 4096));
      target = this.#scratch.subarray(0, full);
    }
    let r: { read: number; written: number };
    try {
      r = setFrom.call(target, c0 === 0 && c1 === this.text.length ? this.text : this.text.slice(c0, c1), {
        alphabet: "base64",
      });
    } catch {
      throw new LazyFallback("not plain base64");
    }
    if (r.read !== c1 - c0 || r.written !== full) throw new LazyFallback("whitespace or padding inside");
    if (!aligned) dst.set(this.#scratch.subarray(lead, lead + (end - start)), dstOff);
  }

  /** Decode bytes `[start, start + len)` into a new buffer. */
  read(start: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(start, len, out, 0);
    return out;
  }
}

/** A `bytes` payload of the pickle still in base64: `length` bytes at `start` of `source`. */
export class LazyBytes {
  /** Whether the converter used it. */
  used = false;
  /** The payload `[start, start + length)` of `source`. */
  constructor(readonly source: Base64Source, readonly start: number, readonly length: number) {}
  /** Decode bytes `[off, off + len)` of the payload into `dst` at `dstOff`. */
  readInto(off: number, len: number, dst: Uint8Array, dstOff = 0): void {
    this.used = true;
    if (off < 0 || off + len > this.length) throw new LazyFallback("payload read out of range");
    this.source.readInto(this.start + off, len, dst, dstOff);
  }
  /** Decode the payload piece by piece without keeping it (bad base64 in it throws {@linkcode LazyFallback}). */
  validate(): void {
    const piece = new Uint8Array(Math.min(this.length, 3 << 15));
    for (let off = 0; off < this.length; off += piece.length) {
      const n = Math.min(piece.length, this.length - off);
      this.readInto(off, n, piece.subarray(0, n));
    }
  }
  /**
   * The records of these bytes already decoded into a table (a record array streamed straight into its
   * columns), when `dt` and `rows` are what it was decoded with; undefined otherwise.
   */
  prebuilt(_dt: DTypeInfo, _rows: number): Table | undefined {
    return undefined;
  }
  /** The whole payload as a new buffer. */
  materialize(): Uint8Array {
    this.used = true;
    return this.source.read(this.start, this.length);
  }
}

/** The pickle's opcodes (payloads left out) and the stand-ins, by opcode position in `bytes`. */
export interface SplitPickle {
  /** The pickle without its big payloads. */
  bytes: Uint8Array;
  /** Opcode position in `bytes` → the stand-in for its payload. */
  holes: Map<number, LazyBytes>;
  /** Decoded length of the whole pickle. */
  totalLength: number;
}

/**
 * Walk the opcodes of the base64-encoded pickle `text` without running it, decoding everything but the big
 * unframed bytes payloads into a small buffer. Throws {@linkcode LazyFallback} when the text or the pickle is
 * anything but plain (the caller then takes the ordinary path, which reports errors properly).
 */
export function splitBase64Pickle(text: string): SplitPickle {
  const src = new Base64Source(text);
  const total = src.length;
  // window of decoded bytes [winStart, winStart + win.length) read ahead from the source
  const WIN = 48 * 1024;
  let win: Uint8Array = new Uint8Array(0);
  let winStart = 0;
  const byteAt = (p: number): number => {
    if (p >= total) throw new LazyFallback("truncated");
    if (p < winStart || p >= winStart + win.length) {
      const len = Math.min(WIN, total - p);
      win = src.read(p, len);
      winStart = p;
    }
    return win[p - winStart];
  };
  let out: Uint8Array = new Uint8Array(4096);
  let outLen = 0;
  const copy = (p: number, n: number): void => {
    if (outLen + n > out.length) {
      const bigger = new Uint8Array(Math.max(2 * out.length, outLen + n));
      bigger.set(out.subarray(0, outLen));
      out = bigger;
    }
    if (p >= winStart && p + n <= winStart + win.length) {
      out.set(win.subarray(p - winStart, p - winStart + n), outLen);
    } else src.readInto(p, n, out, outLen);
    outLen += n;
  };
  const uint = (p: number, n: number): number => {
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = v * 256 + byteAt(p + k);
    return v;
  };
  const holes = new Map<number, LazyBytes>();
  let frameEnd = 0;
  let p = 0;
  while (true) {
    const op = byteAt(p);
    const kind = ARG[op];
    if (kind === UNKNOWN) throw new LazyFallback(`opcode 0x${op.toString(16)}`);
    let argEnd: number;
    if (kind >= 0) argEnd = p + 1 + kind;
    else if (kind === LINE || kind === LINE2) {
      let q = p + 1;
      for (let lines = kind === LINE ? 1 : 2; lines > 0; q++) if (byteAt(q) === 10) lines--;
      argEnd = q;
    } else {
      const w = kind === LEN1 ? 1 : kind === LEN4 ? 4 : 8;
      let n = uint(p + 1, w);
      if (kind === LEN4 && (op === 0x54 || op === 0x8b) && n >= 0x80000000) n -= 0x100000000; // signed
      if (n < 0 || n > total) throw new LazyFallback("bad length");
      const payload = p + 1 + w;
      if (payload + n > total) throw new LazyFallback("truncated payload");
      const isBytes = op === 0x42 || op === 0x8e || op === 0x96;
      if (isBytes && n >= LAZY_MIN_BYTES && payload >= frameEnd) {
        holes.set(outLen, new LazyBytes(src, payload, n));
        copy(p, 1 + w);
        p = payload + n;
        continue;
      }
      argEnd = payload + n;
    }
    if (op === 0x95) frameEnd = argEnd + uint(p + 1, 8);
    copy(p, argEnd - p);
    p = argEnd;
    if (op === 0x2e) break; // STOP
  }
  if (holes.size === 0) throw new LazyFallback("no big payload");
  if (p !== total) {
    // trailing bytes after STOP: decode them all so that bad base64 there is still noticed
    src.read(p, total - p);
  }
  return { bytes: out.subarray(0, outLen), holes, totalLength: total };
}
