/**
 * File type detection from magic bytes (the part of `puremagic` oda_api
 * relies on): the extension used when saving binary products and the image
 * check of pictures.
 *
 * @module
 */

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);

const ascii = (b: Uint8Array, from: number, to: number): string =>
  String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));

/**
 * Guess a file extension (without dot) from the first bytes, or `undefined`.
 *
 * @example
 * ```ts
 * import { guessExtension } from "./magic.ts";
 * import assert from "node:assert/strict";
 * assert.equal(guessExtension(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), "png");
 * ```
 */
export function guessExtension(b: Uint8Array): string | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "jpg";
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return "gif";
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "webp";
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  if (ascii(b, 0, 2) === "BM" && b.length > 14) return "bmp";
  if (startsWith(b, [0x76, 0x2f, 0x31, 0x01])) return "exr";
  if (ascii(b, 0, 9) === "SIMPLE  =") return "fits";
  if (ascii(b, 0, 5) === "%PDF-") return "pdf";
  if (startsWith(b, [0x1f, 0x8b])) return "gz";
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return "zip";
  if (ascii(b, 0, 4) === "root") return "root";
  if (startsWith(b, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) return "hdf5";
  if (/^P[1-6]\s/.test(ascii(b, 0, 3))) {
    return ({ 1: "pbm", 4: "pbm", 2: "pgm", 5: "pgm" } as Record<string, string>)[ascii(b, 1, 2)] ?? "ppm";
  }
  const head = ascii(b, 0, 512).trimStart();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "svg";
  if (head.startsWith("# %ECSV")) return "ecsv";
  return undefined;
}

/**
 * Image types oda_api's `PictureProduct` accepts (as extensions).
 *
 * @example
 * ```ts
 * import { guessExtension, IMAGE_EXTENSIONS } from "./magic.ts";
 * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
 * IMAGE_EXTENSIONS.has(guessExtension(png) ?? ""); // true: a PictureProduct accepts these bytes
 * ```
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  "png",
  "jpg",
  "gif",
  "webp",
  "tiff",
  "bmp",
  "exr",
  "pbm",
  "pgm",
  "ppm",
  "svg",
]);
