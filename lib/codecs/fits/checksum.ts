/**
 * FITS `CHECKSUM`/`DATASUM` (the 32-bit ones' complement checksum convention,
 * FITS Standard 4.0 appendix J), computed over a finished HDU in place.
 *
 * @module
 */

/** 32-bit ones' complement sum of big-endian words in `bytes[start, end)`, continuing from `init`. */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, init = 0): number {
  let hi = init >>> 16;
  let lo = init & 0xffff;
  for (let i = start; i < end; i += 4) {
    hi += (bytes[i] << 8) | bytes[i + 1];
    lo += (bytes[i + 2] << 8) | bytes[i + 3];
    if ((i & 0xfffff) === 0) {
      // fold now and then so the accumulators stay exact
      [hi, lo] = fold(hi, lo);
    }
  }
  [hi, lo] = fold(hi, lo);
  return ((hi << 16) | lo) >>> 0;
}

function fold(hi: number, lo: number): [number, number] {
  let hc = Math.floor(hi / 65536);
  let lc = Math.floor(lo / 65536);
  while (hc || lc) {
    hi = (hi % 65536) + lc;
    lo = (lo % 65536) + hc;
    hc = Math.floor(hi / 65536);
    lc = Math.floor(lo / 65536);
  }
  return [hi, lo];
}

const EXCLUDE = [0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60];

/** Encode the complement of a 32-bit sum as the 16-character ASCII `CHECKSUM` value. */
export function encodeChecksum(sum: number): string {
  const value = ~sum >>> 0;
  const asc = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const byte = (value >>> ((3 - i) * 8)) & 0xff;
    const quotient = Math.floor(byte / 4) + 0x30;
    const remainder = byte % 4;
    const ch = [quotient + remainder, quotient, quotient, quotient];
    let check = true;
    while (check) {
      check = false;
      for (const ex of EXCLUDE) {
        for (let j = 0; j < 4; j += 2) {
          if (ch[j] === ex || ch[j + 1] === ex) {
            ch[j]++;
            ch[j + 1]--;
            check = true;
          }
        }
      }
    }
    for (let j = 0; j < 4; j++) asc[4 * j + i] = ch[j];
  }
  let s = "";
  for (let i = 0; i < 16; i++) s += String.fromCharCode(asc[(i + 15) % 16]);
  return s;
}

function findCard(bytes: Uint8Array, start: number, end: number, key: string): number {
  const k = key.padEnd(8) + "=";
  outer: for (let p = start; p < end; p += 80) {
    for (let i = 0; i < k.length; i++) if (bytes[p + i] !== k.charCodeAt(i)) continue outer;
    return p;
  }
  return -1;
}

function putCard(bytes: Uint8Array, at: number, text: string): void {
  const t = text.padEnd(80).slice(0, 80);
  for (let i = 0; i < 80; i++) bytes[at + i] = t.charCodeAt(i);
}

/**
 * Fill the `CHECKSUM` and `DATASUM` cards (already present with placeholder
 * values) of the HDU whose header spans `[hStart, dStart)` and data
 * `[dStart, end)`.
 */
export function checksumCards(bytes: Uint8Array, hStart: number, dStart: number, end: number): void {
  const cAt = findCard(bytes, hStart, dStart, "CHECKSUM");
  const dAt = findCard(bytes, hStart, dStart, "DATASUM");
  if (cAt < 0 || dAt < 0) return;
  const datasum = onesComplementSum(bytes, dStart, end);
  putCard(bytes, dAt, `DATASUM = ${`'${datasum}'`.padEnd(20)} / data unit checksum`);
  putCard(bytes, cAt, `CHECKSUM= '0000000000000000'   / HDU checksum`);
  const sum = onesComplementSum(bytes, hStart, dStart, datasum);
  putCard(bytes, cAt, `CHECKSUM= '${encodeChecksum(sum)}'   / HDU checksum`);
}
