/**
 * FITS writer, images: BITPIX from the TypedArray class, unsigned and signed
 * byte data through `BZERO`, data swapped big-endian in place or by ranges for
 * streaming.
 *
 * @module
 */
import { type NdArray, type NumericArray, parseTypestr, shapeSize } from "../../data/ndarray.ts";
import { copySwap } from "./bytes.ts";
import type { FitsCard } from "./header.ts";
import type { FitsHduInput } from "./hdu.ts";
import { card, filterUserCards, invalid, type PlannedHdu, userCards } from "./_write_plan.ts";

interface ImageKind {
  bitpix: number;
  size: number;
  bzero?: number | bigint | undefined;
  /** XOR mask applied to the top byte (sign flip) for the unsigned conventions. */
  flip?: boolean;
}

function imageKind(arr: NdArray): ImageKind {
  const v = arr.values;
  let kind = "";
  try {
    kind = parseTypestr(arr.dtype).kind;
  } catch {
    // dtype strings we do not know: rely on the TypedArray class
  }
  if (kind === "c") throw invalid("FITS images cannot hold complex numbers; use a binary table");
  if (v instanceof Float32Array) return { bitpix: -32, size: 4 };
  if (v instanceof Float64Array) return { bitpix: -64, size: 8 };
  if (v instanceof Uint8Array) return { bitpix: 8, size: 1 };
  if (v instanceof Int8Array) return { bitpix: 8, size: 1, bzero: -128, flip: true };
  if (v instanceof Int16Array) return { bitpix: 16, size: 2 };
  if (v instanceof Uint16Array) return { bitpix: 16, size: 2, bzero: 32768, flip: true };
  if (v instanceof Int32Array) return { bitpix: 32, size: 4 };
  if (v instanceof Uint32Array) return { bitpix: 32, size: 4, bzero: 2147483648, flip: true };
  if (v instanceof BigInt64Array) return { bitpix: 64, size: 8 };
  if (v instanceof BigUint64Array) return { bitpix: 64, size: 8, bzero: 9223372036854775808n, flip: true };
  throw invalid(`FITS images need numeric TypedArray values (dtype ${arr.dtype} is not supported)`);
}

/** Copy native values big-endian into `out` at `offset` (aligned: offsets are multiples of 2880). */
function putBigEndian(
  values: NumericArray,
  size: number,
  flip: boolean,
  out: Uint8Array,
  offset: number,
): void {
  const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  copySwap(src, 0, out, offset, src.length, size);
  if (flip) { for (let i = offset, e = offset + src.length; i < e; i += size) out[i] ^= 0x80; }
}

export function planImage(input: FitsHduInput, primary: boolean, name: string | undefined): PlannedHdu {
  const data = input.data as NdArray | null | undefined;
  const cards: FitsCard[] = [];
  if (primary) cards.push(card("SIMPLE", true, "conforms to FITS standard"));
  else cards.push(card("XTENSION", "IMAGE", "Image extension"));
  let k: ImageKind = { bitpix: 8, size: 1 };
  let axes: number[] = [];
  if (data) {
    k = imageKind(data);
    axes = data.shape.length === 0 ? [1] : data.shape.slice().reverse();
    const n = shapeSize(data.shape);
    if (n !== data.values.length) {
      throw invalid(`image shape [${data.shape}] needs ${n} values but ${data.values.length} were given`);
    }
  }
  cards.push(card("BITPIX", k.bitpix, "array data type"));
  cards.push(card("NAXIS", axes.length, "number of array dimensions"));
  axes.forEach((a, i) => cards.push(card(`NAXIS${i + 1}`, a)));
  if (primary) cards.push(card("EXTEND", true));
  else {
    cards.push(card("PCOUNT", 0, "number of parameters"));
    cards.push(card("GCOUNT", 1, "number of groups"));
  }
  if (k.bzero !== undefined) {
    cards.push(card("BSCALE", 1));
    cards.push(card("BZERO", k.bzero));
  }
  if (name !== undefined && !(primary && name === "PRIMARY")) {
    cards.push(card("EXTNAME", name, "extension name"));
  }
  for (const c of filterUserCards(userCards(input.header), 0, new Set(), false)) cards.push(c);
  const dataBytes = data ? data.values.length * k.size : 0;
  return {
    cards,
    dataBytes,
    pad: 0,
    fill(out, offset) {
      if (data && dataBytes) putBigEndian(data.values as NumericArray, k.size, k.flip ?? false, out, offset);
    },
    fillRange(out, outOffset, start, length) {
      if (!data || !length) return;
      const v = data.values as NumericArray;
      const src = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      copySwap(src, start, out, outOffset, length, k.size);
      if (k.flip) { for (let i = outOffset, e = outOffset + length; i < e; i += k.size) out[i] ^= 0x80; }
    },
  };
}
