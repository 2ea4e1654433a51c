/**
 * FITS images: big-endian pixels to native TypedArrays, in place when the bytes are ours, with `BSCALE` /
 * `BZERO` / `BLANK` applied as astropy applies them.
 *
 * @module
 */
import type { NdArray, NumericArray } from "../../data/ndarray.ts";
import { copyNative, swapInPlace } from "./bytes.ts";
import { fitsError, type FitsHeader, type FitsValue } from "./header.ts";
import { numKey } from "./_keys.ts";

// ---------------------------------------------------------------- images

const RAW_DTYPE: Record<number, string> = {
  8: "|u1",
  16: ">i2",
  32: ">i4",
  64: ">i8",
  [-32]: ">f4",
  [-64]: ">f8",
};

function rawTyped(bitpix: number, buf: ArrayBufferLike, byteOffset: number, count: number): NumericArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(buf, byteOffset, count);
    case 16:
      return new Int16Array(buf, byteOffset, count);
    case 32:
      return new Int32Array(buf, byteOffset, count);
    case 64:
      return new BigInt64Array(buf, byteOffset, count);
    case -32:
      return new Float32Array(buf, byteOffset, count);
    default:
      return new Float64Array(buf, byteOffset, count);
  }
}

export function bigOrNum(v: FitsValue | undefined): bigint | number | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  return undefined;
}

export function isTwoPow(v: bigint | number | undefined, bits: number): boolean {
  if (v === undefined) return false;
  if (typeof v === "bigint") return v === 1n << BigInt(bits - 1);
  return v === 2 ** (bits - 1);
}

export function readImage(
  bytes: Uint8Array,
  off: number,
  header: FitsHeader,
  bitpix: number,
  axes: number[],
  scale: boolean,
  owned: boolean,
  /** The data, read apart and already in native byte order (read_file.ts), instead of `bytes` at `off`. */
  native?: Uint8Array,
): NdArray {
  const shape = axes.slice().reverse();
  let count = 1;
  for (const a of axes) count *= a;
  const size = Math.abs(bitpix) / 8;
  let raw: NumericArray;
  if (native) {
    // read apart from a layout that must agree with this one (otherwise the file is read again the ordinary way)
    if (native.length !== count * size) throw fitsError(off, "image data read apart has the wrong size");
    raw = rawTyped(bitpix, native.buffer, native.byteOffset, count);
  } else if (owned && (bytes.byteOffset + off) % size === 0) {
    const view = bytes.subarray(off, off + count * size);
    swapInPlace(view, size);
    raw = rawTyped(bitpix, view.buffer, view.byteOffset, count);
  } else raw = rawTyped(bitpix, copyNative(bytes, off, count, size), 0, count);
  const bzeroV = bigOrNum(header.get("BZERO"));
  const bzero = bzeroV === undefined ? 0 : Number(bzeroV);
  const bscale = numKey(header, "BSCALE", 1);
  const blankV = bitpix > 0 ? bigOrNum(header.get("BLANK")) : undefined;
  if (!scale || (bzero === 0 && bscale === 1 && blankV === undefined)) {
    return { kind: "ndarray", dtype: RAW_DTYPE[bitpix], shape, values: raw };
  }
  if (bscale === 1) {
    // Pseudo-unsigned (and signed-byte) conventions, as astropy applies them.
    if (bitpix === 8 && bzero === -128) {
      const u = raw as Uint8Array;
      for (let i = 0; i < u.length; i++) u[i] ^= 0x80;
      return {
        kind: "ndarray",
        dtype: "|i1",
        shape,
        values: new Int8Array(u.buffer, u.byteOffset, u.length),
      };
    }
    if (bitpix === 16 && isTwoPow(bzeroV, 16)) {
      const u = new Uint16Array(raw.buffer, raw.byteOffset, count);
      for (let i = 0; i < u.length; i++) u[i] ^= 0x8000;
      return { kind: "ndarray", dtype: "<u2", shape, values: u };
    }
    if (bitpix === 32 && isTwoPow(bzeroV, 32)) {
      const u = new Uint32Array(raw.buffer, raw.byteOffset, count);
      for (let i = 0; i < u.length; i++) u[i] = (u[i] ^ 0x80000000) >>> 0;
      return { kind: "ndarray", dtype: "<u4", shape, values: u };
    }
    if (bitpix === 64 && isTwoPow(bzeroV, 64)) {
      const u = new BigUint64Array(raw.buffer, raw.byteOffset, count);
      const top = 1n << 63n;
      for (let i = 0; i < u.length; i++) u[i] ^= top;
      return { kind: "ndarray", dtype: "<u8", shape, values: u };
    }
  }
  // Float results. astropy: BITPIX 8/16 → float32, 32/64 → float64, floats keep their type.
  // Note: astropy skips the BLANK → NaN step when BLANK = 0 (`if self._blank:`); we follow
  // the standard and blank those pixels too.
  const blank = blankV === undefined ? undefined : Number(blankV);
  if (bitpix === 8 || bitpix === 16 || bitpix === -32) {
    const out = bitpix === -32 ? raw as Float32Array : new Float32Array(count);
    const s32 = Math.fround(bscale);
    const z32 = Math.fround(bzero);
    const src = raw as Uint8Array | Int16Array | Float32Array;
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = blank !== undefined && r === blank ? NaN : Math.fround(Math.fround(r * s32) + z32);
    }
    return { kind: "ndarray", dtype: bitpix === -32 ? ">f4" : "<f4", shape, values: out };
  }
  const out = bitpix === -64 ? raw as Float64Array : new Float64Array(count);
  if (bitpix === 64) {
    const src = raw as BigInt64Array;
    // a BLANK that is not an integer (1.5) matches no pixel
    const b = blankV === undefined || (typeof blankV === "number" && !Number.isInteger(blankV))
      ? undefined
      : BigInt(blankV);
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = b !== undefined && r === b ? NaN : Number(r) * bscale + bzero;
    }
  } else {
    const src = raw as Int32Array | Float64Array;
    for (let i = 0; i < count; i++) {
      const r = src[i];
      out[i] = blank !== undefined && r === blank ? NaN : r * bscale + bzero;
    }
  }
  return { kind: "ndarray", dtype: bitpix === -64 ? ">f8" : "<f8", shape, values: out };
}
