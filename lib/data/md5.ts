/**
 * Internal: MD5 (RFC 1321) as hex, for `BinaryProduct` checksums and the dispatcher's job hash. Uses the
 * runtime's `node:crypto` when there is one (Deno, Node) and this portable implementation in browsers.
 *
 * @module
 */
import { nodeBuiltin } from "../_runtime.ts";

type NodeCrypto = {
  createHash(alg: "md5"): { update(d: Uint8Array): { digest(enc: "hex"): string } };
};

// deno-fmt-ignore
const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/** MD5 of `data` (bytes, or a string taken as UTF-8) as 32 lowercase hex digits, without `node:crypto`. */
export function md5HexPortable(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const n = bytes.length;
  const total = (((n + 8) >>> 6) + 1) << 6; // padded length: multiple of 64 with room for 0x80 and the length
  const buf = new Uint8Array(total);
  buf.set(bytes);
  buf[n] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(total - 8, (n * 8) >>> 0, true);
  view.setUint32(total - 4, Math.floor(n / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  const m = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let j = 0; j < 16; j++) m[j] = view.getInt32(off + 4 * j, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const x = (a + f + K[i] + m[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << S[i]) | (x >>> (32 - S[i])))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  [a0, b0, c0, d0].forEach((w, i) => out.setInt32(4 * i, w, true));
  let hex = "";
  for (let i = 0; i < 16; i++) hex += out.getUint8(i).toString(16).padStart(2, "0");
  return hex;
}

/** MD5 of `data` (bytes, or a string taken as UTF-8) as 32 lowercase hex digits. */
export function md5Hex(data: Uint8Array | string): string {
  const crypto = nodeBuiltin<NodeCrypto>("node:crypto");
  if (!crypto) return md5HexPortable(data);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return crypto.createHash("md5").update(bytes).digest("hex");
}
