/**
 * FITS codec: read and write FITS files (primary/IMAGE HDUs, BINTABLE with
 * every TFORM including variable-length `P`/`Q` columns, ASCII TABLE, headers
 * with `CONTINUE`, `HIERARCH`, `COMMENT`/`HISTORY`), plain or gzip-compressed.
 *
 * Our own implementation: npm:fitsjs and the other npm FITS packages cannot
 * read images in Deno, fail on variable-length arrays, have no writer and
 * ignore `CONTINUE` (details in `fits/read.ts`).
 *
 * @example
 * ```ts
 * import { readFitsFile, writeFitsFile } from "@oda-hub/oda-api/fits";
 * const hdus = await readFitsFile("mosaic.fits.gz");
 * await writeFitsFile("copy.fits", hdus, { overwrite: true });
 * ```
 *
 * @module
 */
export {
  BLOCK_LENGTH,
  CARD_LENGTH,
  COMMENTARY_KEYWORDS,
  type FitsCard,
  FitsHeader,
  type FitsHeaderDictOptions,
  type FitsHeaderDictValue,
  type FitsNumberLike,
  type FitsValue,
  formatFitsFloat,
} from "./fits/header.ts";
export type {
  FitsHdu,
  FitsHduInput,
  FitsHduType,
  FitsReadOptions,
  FitsWriteFileOptions,
  FitsWriteOptions,
} from "./fits/hdu.ts";
export { readFits } from "./fits/read.ts";
export { readFitsFile } from "./fits/read_file.ts";
export { type FitsFile, type FitsHduInfo, openFitsFile } from "./fits/open.ts";
export { writeFits, writeFitsFile } from "./fits/write.ts";
