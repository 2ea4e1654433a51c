/**
 * A numpy pickle decoded from base64 text that arrives in pieces (a data unit's `binarys` read from the
 * response stream): the text is decoded quantum by quantum as it comes, the pickle's opcodes are kept in a
 * small buffer and each big `bytes` payload (1 MiB or more) is decoded straight into a buffer of its exact
 * size, which then becomes the array (swapped in place). Neither the text nor the whole decoded pickle ever
 * exists. The result is the one {@linkcode decodeNumpyPickleBase64} gives for the whole text.
 *
 * Where the payloads go is in `_stream_sinks.ts`.
 *
 * @module
 */
import { DecodeError } from "../../errors.ts";
import type { NdArray } from "../../data/ndarray.ts";
import type { Table } from "../../data/ndarray.ts";
import { PickleObject, runPickle } from "./vm.ts";
import { arrayFromPickleObject, type DTypeInfo, parseDType } from "./numpy.ts";
import { LAZY_MIN_BYTES, type LazyBytes } from "./lazy_bytes.ts";
import { decodeNumpyPickle } from "../pickle.ts";
import { DecodeBudget, typedDecode } from "../budget.ts";
import { BufferSink, type PayloadSink, RecordSink } from "./_stream_sinks.ts";
import { ARG, LEN1, LEN4, LINE, LINE2, UNKNOWN } from "./_opcode_args.ts";

function grow(buf: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
  if (need <= buf.length) return buf;
  const b = new Uint8Array(Math.max(need, buf.length * 2));
  b.set(buf);
  return b;
}

/** Thresholds of {@linkcode Base64PickleStream} (small values let tests reach every path with small data). */
export interface PickleStreamTuning {
  /** `bytes` payloads at least this big are streamed into their array (default 1 MiB). */
  payloadMin?: number;
  /** Bytes of records converted at a time (default 256 KiB). */
  recordBlock?: number;
  /**
   * Largest payload allocated whole before its bytes arrive (default 64 MiB; the client passes the answer's
   * declared size): the buffer of a payload declared bigger grows as its bytes really arrive, and record
   * arrays that big are converted at the end.
   */
  maxPayload?: number;
  /** The decode's budget (elements, signal, deadline), shared by all the data units of an answer. */
  budget?: DecodeBudget | undefined;
}

/**
 * The decoded bytes of a pickle, pushed in pieces: opcodes are split from the big payloads as they arrive.
 */
class PickleSplitter {
  constructor(readonly tuning: Required<Omit<PickleStreamTuning, "budget">>, readonly budget: DecodeBudget) {}
  /** Opcodes and small payloads. */
  ops: Uint8Array<ArrayBuffer> = new Uint8Array(4096);
  opsLen = 0;
  /** Bytes received but not yet walked (an opcode cut by the end of a piece). */
  #pending: Uint8Array<ArrayBuffer> = new Uint8Array(4096);
  #pendingLen = 0;
  /** Big payloads by opcode position in `ops`. */
  holes = new Map<number, Uint8Array | LazyBytes>();
  #sinks = new Map<number, PayloadSink>();
  #payload: PayloadSink | null = null;
  #frameEnd = 0;
  /** Position in `ops` of the current FRAME opcode. */
  #frameAt = -1;
  /** Decoded bytes so far. */
  total = 0;
  stopped = false;
  /** Something unusual: everything is kept in `ops` and the ordinary decoder runs at the end. */
  plain = false;

  /** Room to decode into directly (the rest of the current payload), or null. */
  direct(): Uint8Array | null {
    return this.#payload ? this.#payload.room() : null;
  }

  /** `n` bytes were decoded into {@linkcode direct}. */
  advance(n: number): void {
    this.total += n;
    if (this.#payload!.advance(n)) this.#payload = null;
  }

  write(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.#payload) {
        const room = this.#payload.room();
        const k = Math.min(bytes.length - i, room.length);
        room.set(bytes.subarray(i, i + k));
        i += k;
        this.advance(k);
        continue;
      }
      if (this.stopped) {
        this.total += bytes.length - i; // trailing bytes after STOP: ignored, as by the VM
        return;
      }
      if (this.plain) {
        this.ops = grow(this.ops, this.opsLen + bytes.length - i);
        this.ops.set(bytes.subarray(i), this.opsLen);
        this.opsLen += bytes.length - i;
        this.total += bytes.length - i;
        return;
      }
      this.#pending = grow(this.#pending, this.#pendingLen + bytes.length - i);
      // take only what the pending opcodes can use before a payload starts: walk, then hand the rest on
      const take = bytes.subarray(i);
      this.#pending.set(take, this.#pendingLen);
      this.#pendingLen += take.length;
      this.total += take.length;
      i = bytes.length;
      const rest = this.#walk();
      if (rest) {
        // bytes after the start of a payload: they belong to it (or to what follows it)
        this.total -= rest.length;
        this.write(rest);
      }
    }
  }

  /** Walk the complete opcodes of `#pending`; returns the bytes after a big payload's header, if any. */
  #walk(): Uint8Array | null {
    const pend = this.#pending;
    const n = this.#pendingLen;
    const base = this.total - n; // stream position of pend[0]
    let p = 0;
    const uint = (at: number, w: number): number => {
      let v = 0;
      for (let k = w - 1; k >= 0; k--) v = v * 256 + pend[at + k];
      return v;
    };
    let out: Uint8Array | null = null;
    while (p < n && !this.stopped) {
      const op = pend[p];
      const kind = ARG[op];
      if (kind === UNKNOWN) {
        this.plain = true;
        break;
      }
      let argEnd: number;
      if (kind >= 0) argEnd = p + 1 + kind;
      else if (kind === LINE || kind === LINE2) {
        let q = p + 1;
        let lines = kind === LINE ? 1 : 2;
        for (; q < n && lines > 0; q++) if (pend[q] === 10) lines--;
        if (lines > 0) break; // incomplete
        argEnd = q;
      } else {
        const w = kind === LEN1 ? 1 : kind === LEN4 ? 4 : 8;
        if (p + 1 + w > n) break;
        let len = uint(p + 1, w);
        if (kind === LEN4 && (op === 0x54 || op === 0x8b) && len >= 0x80000000) len -= 0x100000000;
        if (len < 0 || len > Number.MAX_SAFE_INTEGER) {
          this.plain = true;
          break;
        }
        const payload = p + 1 + w;
        const isBytes = op === 0x42 || op === 0x8e || op === 0x96;
        const framed = base + payload < this.#frameEnd;
        if (
          isBytes && len >= this.tuning.payloadMin &&
          (!framed || base + payload + len <= this.#frameEnd)
        ) {
          // a payload inside a frame: the frame in `ops` is shorter by the payload (the VM checks its length)
          if (framed) this.#shortenFrame(len);
          const sink = this.#payloadSink(len);
          this.#copy(p, payload);
          this.holes.set(this.opsLen - (1 + w), sink.hole);
          this.#sinks.set(this.opsLen - (1 + w), sink);
          out = pend.slice(payload, n);
          p = n;
          break;
        }
        argEnd = payload + len;
      }
      if (argEnd > n) break; // incomplete
      if (op === 0x95) {
        this.#frameEnd = base + argEnd + uint(p + 1, 8);
        this.#frameAt = this.opsLen;
      }
      this.#copy(p, argEnd);
      p = argEnd;
      if (op === 0x2e) this.stopped = true;
    }
    if (this.plain) {
      this.#copy(p, n);
      p = n;
    }
    if (this.stopped && p < n) p = n; // trailing bytes
    pend.copyWithin(0, p, n);
    this.#pendingLen = n - p;
    return out;
  }

  /**
   * The sink of a payload of `len` bytes starting now: the records of a structured array when the opcodes
   * so far leave its state on the stack (`1, shape, dtype, fortran` — numpy's `ndarray.__reduce__`),
   * otherwise a buffer of the payload's size.
   */
  #payloadSink(len: number): PayloadSink {
    const records = len <= this.tuning.maxPayload ? this.#recordSink(len) : undefined;
    if (records) return this.#payload = records;
    try {
      return this.#payload = new BufferSink(len, this.tuning.maxPayload);
    } catch {
      throw new DecodeError("PICKLE", `array data of ${len} bytes cannot be allocated`);
    }
  }

  /** The VM's stand-ins, from the sinks (a grown buffer replaces the first one). */
  #syncHoles(): void {
    for (const [k, sink] of this.#sinks) this.holes.set(k, sink.hole);
  }

  #recordSink(len: number): RecordSink | undefined {
    let stack: unknown;
    this.#syncHoles();
    try {
      stack = runPickle(this.ops.subarray(0, this.opsLen), {
        partial: true,
        holes: this.holes,
        budget: this.budget,
      });
    } catch {
      return undefined;
    }
    if (!Array.isArray(stack) || stack.length < 3) return undefined;
    const [shape, dtObj, fortran] = stack.slice(-3);
    if (typeof fortran !== "boolean" || !(dtObj instanceof PickleObject) || !Array.isArray(shape)) {
      return undefined;
    }
    let dt: DTypeInfo;
    try {
      dt = parseDType(dtObj);
    } catch {
      return undefined;
    }
    if (!dt.fields || dt.itemsize <= 0) return undefined;
    let rows = 1;
    for (const d of shape) {
      if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return undefined;
      rows *= d;
    }
    if (fortran && shape.length > 1) return undefined;
    if (rows * dt.itemsize !== len || rows === 0) return undefined;
    return new RecordSink(len, rows, dt.itemsize, dtObj, dt, this.tuning.recordBlock);
  }

  #shortenFrame(by: number): void {
    const dv = new DataView(this.ops.buffer, this.ops.byteOffset + this.#frameAt + 1, 8);
    const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32 - by;
    dv.setUint32(0, n % 2 ** 32, true);
    dv.setUint32(4, Math.floor(n / 2 ** 32), true);
  }

  #copy(from: number, to: number): void {
    this.ops = grow(this.ops, this.opsLen + to - from);
    this.ops.set(this.#pending.subarray(from, to), this.opsLen);
    this.opsLen += to - from;
  }

  /** The whole decoded pickle received (for the ordinary path, which reports what is wrong with it). */
  assemble(): Uint8Array {
    const sinks = [...this.#sinks.entries()].sort((a, b) => a[0] - b[0]);
    let size = this.opsLen + this.#pendingLen;
    for (const [, sink] of sinks) {
      if (!(sink instanceof BufferSink)) {
        throw new DecodeError("PICKLE", "truncated pickle: record array data");
      }
      size += sink.filled;
    }
    const out = new Uint8Array(size);
    let o = 0;
    let from = 0;
    for (const [k, sink] of sinks) {
      const hdr = this.ops[k] === 0x42 ? 5 : 9;
      out.set(this.ops.subarray(from, k + hdr), o);
      o += k + hdr - from;
      out.set((sink.hole as Uint8Array).subarray(0, sink.filled), o);
      o += sink.filled;
      from = k + hdr;
    }
    out.set(this.ops.subarray(from, this.opsLen), o);
    o += this.opsLen - from;
    out.set(this.#pending.subarray(0, this.#pendingLen), o);
    return out;
  }

  /** The array (errors as `decodeNumpyPickle` raises them). */
  finish(): NdArray | Table {
    const budget = this.budget;
    this.#syncHoles();
    const complete = !this.#payload && this.stopped && !this.plain;
    if (!complete || this.holes.size === 0) {
      return decodeNumpyPickle(this.assemble(), { reuseInput: true, decodeBudget: budget });
    }
    return typedDecode("PICKLE", "numpy pickle", () => {
      const obj = runPickle(this.ops.subarray(0, this.opsLen), { holes: this.holes, budget });
      const first = this.holes.values().next().value;
      const only = this.holes.size === 1 && first instanceof Uint8Array ? first : undefined;
      return arrayFromPickleObject(obj, {
        reuseInput: only !== undefined,
        input: only,
        inputLength: this.total,
        budget,
      });
    });
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BAD = 0x1000000;
// D[k][c]: the bits character c contributes at position k of a quantum (BAD when c is not a digit); both
// alphabets, as `decodeBase64` accepts them mixed
const D = [18, 12, 6, 0].map((shift) => {
  const t = new Int32Array(256).fill(BAD);
  for (let v = 0; v < 64; v++) t[ALPHABET.charCodeAt(v)] = v << shift;
  t[45] = 62 << shift; // -
  t[95] = 63 << shift; // _
  return t;
});
const [D0, D1, D2, D3] = D;
const SPACE = new Uint8Array(256);
for (const c of [9, 10, 12, 13, 32]) SPACE[c] = 1;

// P01[c0 | c1 << 8] and P23[c2 | c3 << 8]: the bits of two characters at the start / end of a quantum (BAD
// when either is not a digit): one little-endian 32-bit load and two lookups per quantum (~1.5× faster
// than four byte loads and lookups). 512 KiB and ~2 ms to build, so built on the first decode, not at import
// (every client import reaches this module through the response stream).
let P01: Int32Array | undefined;
let P23: Int32Array | undefined;

function pairTables(): [Int32Array, Int32Array] {
  if (P01 === undefined || P23 === undefined) {
    const p01 = new Int32Array(65536).fill(BAD);
    const p23 = new Int32Array(65536).fill(BAD);
    for (let a = 0; a < 256; a++) {
      if (D3[a] >= BAD) continue;
      for (let b = 0; b < 256; b++) {
        if (D3[b] >= BAD) continue;
        p01[a | (b << 8)] = D0[a] | D1[b];
        p23[a | (b << 8)] = D2[a] | D3[b];
      }
    }
    P01 = p01;
    P23 = p23;
  }
  return [P01, P23];
}

/** Decode the whole quanta of `bytes[k, stop)` into `dst` from 0, up to one with a non-digit; its index. */
function decodeQuads(bytes: Uint8Array, k: number, stop: number, dst: Uint8Array): number {
  const [P01, P23] = pairTables();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  for (; k < stop; k += 4, o += 3) {
    const c = dv.getUint32(k, true);
    const w = P01[c & 0xffff] | P23[c >>> 16];
    if (w >= BAD) break;
    dst[o] = w >>> 16;
    dst[o + 1] = (w >>> 8) & 255;
    dst[o + 2] = w & 255;
  }
  return k;
}

/**
 * Base64 text of a numpy pickle pushed in pieces (ASCII bytes) → the array, as
 * {@linkcode decodeNumpyPickleBase64} decodes the whole text (both alphabets, whitespace, missing padding).
 * Decoded in JS straight from the bytes (no strings: a native decoder needs the text as a string, and
 * those strings would fill V8's young generation), into the array's buffer when a payload is streaming.
 *
 * @example
 * ```ts
 * import { Base64PickleStream } from "./stream.ts";
 * import { encodeBase64 } from "../../data/base64.ts";
 * import { encodeNumpyPickle } from "../pickle_encode.ts";
 * const b64 = encodeBase64(encodeNumpyPickle({ kind: "ndarray", dtype: "<f8", shape: [2], values: new Float64Array([1, 2]) }));
 * const s = new Base64PickleStream();
 * const bytes = new TextEncoder().encode(b64);
 * s.write(bytes.subarray(0, 7), true);
 * s.write(bytes.subarray(7), true);
 * const arr = s.end(); // { kind: "ndarray", dtype: "<f8", shape: [2], values: Float64Array [1, 2] }
 * ```
 */
export class Base64PickleStream {
  #split: PickleSplitter;
  /** A decoder for one base64 text (`tuning` is for tests). */
  constructor(tuning: PickleStreamTuning = {}) {
    this.#split = new PickleSplitter({
      payloadMin: tuning.payloadMin ?? LAZY_MIN_BYTES,
      recordBlock: tuning.recordBlock ?? 256 * 1024,
      maxPayload: tuning.maxPayload ?? 64 << 20,
    }, tuning.budget ?? new DecodeBudget());
  }
  #scratch = new Uint8Array(3 << 12);
  /** Bits of an unfinished quantum, and how many digits it has. */
  #acc = 0;
  #nacc = 0;
  /** `=` seen (count), then only whitespace and `=` may follow. */
  #pads = 0;

  /**
   * Characters of base64 text. `raw`: straight from JSON text, consumed up to the first `"` or `\\` (the
   * count is returned; control characters refused); otherwise all consumed.
   */
  write(bytes: Uint8Array, raw = true): number {
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (this.#pads > 0 || this.#nacc > 0) {
        const j = this.#slow(bytes, i, raw, true);
        if (j < 0) return -j - 1;
        i = j;
        continue;
      }
      // whole quanta: into the payload's own buffer when one is streaming, else through the scratch buffer
      const direct = this.#split.direct();
      let dst: Uint8Array;
      if (direct !== null && direct.length >= 3) dst = direct;
      else dst = this.#scratch.subarray(0, direct ? 3 : this.#scratch.length);
      const quads = Math.min((n - i) >> 2, (dst.length / 3) | 0);
      const stop = i + 4 * quads;
      const k = decodeQuads(bytes, i, stop, dst);
      const o = ((k - i) >> 2) * 3;
      if (o > 0) {
        if (dst === direct) this.#split.advance(o);
        else this.#split.write(dst.subarray(0, o));
      }
      i = k;
      if (k < stop || (quads === 0 && i < n)) {
        // one character the careful way
        const j = this.#slow(bytes, i, raw, false);
        if (j < 0) return -j - 1;
        i = j;
      }
    }
    return n;
  }

  /**
   * One character (or, with `quantum`, up to the end of the current quantum) the careful way; returns the
   * next position, or `-(position + 1)` at a `"` or `\\` of raw text (not consumed).
   */
  #slow(bytes: Uint8Array, i: number, raw: boolean, quantum: boolean): number {
    const n = bytes.length;
    do {
      const c = bytes[i++];
      if (raw && (c === 34 || c === 92)) return -i;
      if (SPACE[c]) {
        if (raw && c !== 32) throw badBase64("control character in a JSON string");
        continue;
      }
      if (c === 61) {
        if (this.#nacc < 2 || this.#pads >= 4 - this.#nacc) throw badBase64("bad padding");
        this.#pads++;
        if (this.#pads === 4 - this.#nacc) this.#flushPartial();
        continue;
      }
      if (this.#pads > 0) throw badBase64("data after padding");
      const v = D3[c];
      if (v >= BAD) throw badBase64(`character U+${c.toString(16).padStart(4, "0")}`);
      this.#acc = (this.#acc << 6) | v;
      if (++this.#nacc === 4) {
        const w = this.#acc;
        this.#acc = 0;
        this.#nacc = 0;
        this.#split.write(Uint8Array.of(w >>> 16, (w >>> 8) & 255, w & 255));
        return i;
      }
    } while (quantum && i < n);
    return i;
  }

  /** Emit the bytes of a short final quantum (2 or 3 digits). */
  #flushPartial(): void {
    const k = this.#nacc;
    if (k < 2) return;
    const w = this.#acc << (6 * (4 - k));
    this.#split.write(k === 2 ? Uint8Array.of(w >>> 16) : Uint8Array.of(w >>> 16, (w >>> 8) & 255));
    this.#nacc = -1; // done: only padding/whitespace may follow (checked through #pads)
    this.#pads = Math.max(this.#pads, 1);
  }

  /** The text ended: the array. */
  end(): NdArray | Table {
    if (this.#nacc === 1) throw badBase64("truncated final group");
    if (this.#pads > 0 && this.#nacc > 0) throw badBase64("bad padding");
    if (this.#nacc > 1) this.#flushPartial();
    return this.#split.finish();
  }
}

function badBase64(what: string): DecodeError {
  return new DecodeError("MALFORMED_RESPONSE", `invalid base64: ${what}`);
}
