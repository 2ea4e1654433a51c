/**
 * FITS headers: ordered 80-character cards, parsed and written as the FITS
 * Standard 4.0 requires (fixed-format values, `CONTINUE` long strings,
 * `HIERARCH` keywords, `COMMENT`/`HISTORY`/blank commentary cards, `END` and
 * space padding to a multiple of 2880 bytes).
 *
 * Size: card parsing and card writing are the two halves of one format (fixed-format values,
 * `CONTINUE`, `HIERARCH`) and share the value grammar.
 *
 * @module
 */
import { pythonStr } from "../../data/python.ts";
import { DecodeError, OdaError } from "../../errors.ts";
import { getLogger } from "../../log.ts";

const log = getLogger("oda_api.fits");

/**
 * Length of one header card.
 *
 * @example
 * ```ts
 * import { CARD_LENGTH } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * assert.equal(CARD_LENGTH, 80);
 * ```
 */
export const CARD_LENGTH = 80;
/**
 * Length of a FITS block: headers and data units are padded to a multiple of it.
 *
 * @example
 * ```ts
 * import { BLOCK_LENGTH } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * assert.equal(BLOCK_LENGTH, 2880);
 * ```
 */
export const BLOCK_LENGTH = 2880;

/**
 * A header value: text, number (integer or real), 64-bit integer beyond the
 * safe range as `bigint`, logical, or `null` for an undefined value
 * (`KEY     =` with nothing after it).
 *
 * @example
 * ```ts
 * import type { FitsValue } from "@oda-hub/oda-api/fits";
 * const values: FitsValue[] = ["Crab", 1000.5, 2n ** 60n, true, null];
 * ```
 */
export type FitsValue = string | number | bigint | boolean | null;

/**
 * What {@linkcode FitsHeader.fromDict} accepts per key (lists become `"a,b,c,"` as oda_api writes them).
 *
 * @example
 * ```ts
 * import type { FitsHeaderDictValue } from "@oda-hub/oda-api/fits";
 * const v: FitsHeaderDictValue = ["ISGRI", "JEMX1"]; // written as 'ISGRI,JEMX1,'
 * ```
 */
export type FitsHeaderDictValue = FitsValue | FitsValue[] | FitsNumberLike;

/**
 * One header card.
 *
 * For commentary cards (`COMMENT`, `HISTORY`, blank keyword) `value` is the
 * text. `HIERARCH` keywords are stored without the `HIERARCH ` prefix (as
 * astropy does): `{ keyword: "ESO DET CHIP", value: 1 }`.
 *
 * @example
 * ```ts
 * import { type FitsCard, FitsHeader } from "@oda-hub/oda-api/fits";
 * const cards: FitsCard[] = [
 *   { keyword: "EXPTIME", value: 1, comment: "[s]", float: true }, // EXPTIME =  1.0 / [s]
 *   { keyword: "HISTORY", value: "binned by oda-api" },
 * ];
 * console.log(new FitsHeader(cards).toCards()[0].trimEnd());
 * ```
 */
export interface FitsCard {
  /** Keyword, upper case for standard keywords; `""` for blank commentary cards. */
  keyword: string;
  /** Value (text for commentary cards). */
  value: FitsValue;
  /** Comment after the `/`, if any. */
  comment?: string;
  /** Write a number as a real (`1.0`) even when it is integral; set when a real value was read. */
  float?: boolean;
}

/**
 * Keywords whose cards carry free text instead of a value.
 *
 * @example
 * ```ts
 * import { COMMENTARY_KEYWORDS } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * assert.equal(COMMENTARY_KEYWORDS.has("HISTORY"), true);
 * ```
 */
export const COMMENTARY_KEYWORDS: ReadonlySet<string> = new Set(["COMMENT", "HISTORY", ""]);

/**
 * Options of {@linkcode FitsHeader.toDict}.
 *
 * @example
 * ```ts
 * import { FitsHeader, type FitsHeaderDictOptions } from "@oda-hub/oda-api/fits";
 * const opts: FitsHeaderDictOptions = { undefinedValue: "UNDEFINED" };
 * console.log(new FitsHeader([{ keyword: "X", value: null }]).toDict(opts)); // { X: "UNDEFINED" }
 * ```
 */
export interface FitsHeaderDictOptions<R = never> {
  /** Value to use for undefined header values (default `null`; the dispatcher's JSON uses `"UNDEFINED"`). */
  undefinedValue?: FitsValue;
  /**
   * Wrap real values that happen to be integral (`EQUINOX = 2000.0`) so they
   * can be told from integers, e.g. `(v) => new PyFloat(v)`;
   * {@linkcode FitsHeader.fromDict} writes such number-like objects back as
   * reals. Default: plain numbers.
   */
  wrapIntegralReal?: (value: number) => R;
}

/**
 * A number-like object (its `valueOf()` returns a number, e.g. `PyFloat`):
 * {@linkcode FitsHeader.fromDict} writes it as a real even when integral.
 *
 * @example
 * ```ts
 * import { FitsHeader, type FitsNumberLike } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * const equinox: FitsNumberLike = { valueOf: () => 2000 };
 * assert.equal(FitsHeader.fromDict({ EQUINOX: equinox }).toCards()[0].slice(0, 30), "EQUINOX =               2000.0");
 * ```
 */
export interface FitsNumberLike {
  /** The numeric value. */
  valueOf(): number;
}

const STANDARD_KEYWORD_RE = /^[A-Z0-9_-]{0,8}$/;

function isCommentary(keyword: string): boolean {
  return COMMENTARY_KEYWORDS.has(keyword);
}

function normKey(keyword: string): string {
  let k = keyword.trim();
  if (/^HIERARCH\s+/i.test(k)) k = k.replace(/^HIERARCH\s+/i, "");
  return k.toUpperCase();
}

/**
 * An ordered list of FITS header cards with dictionary-style helpers.
 *
 * @example
 * ```ts
 * import { FitsHeader } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * const h = FitsHeader.fromDict({ OBJECT: "Crab", EXPTIME: 1000.5, COMMENT: "made by oda-api" });
 * h.set("TELESCOP", "INTEGRAL", "mission");
 * assert.equal(h.get("OBJECT"), "Crab");
 * console.log(h.toDict()); // { OBJECT: "Crab", EXPTIME: 1000.5, COMMENT: "made by oda-api", TELESCOP: "INTEGRAL" }
 * ```
 */
export class FitsHeader {
  /** The cards in order (without `END`). */
  cards: FitsCard[];

  /** Create a header from cards (copied shallowly). */
  constructor(cards: Iterable<FitsCard> = []) {
    this.cards = [...cards].map((c) => ({ ...c }));
  }

  /**
   * Build a header from a plain dictionary such as oda_api's `NumpyDataUnit.header`
   * (keyword → value). `COMMENT`/`HISTORY` become commentary cards; list values
   * become `"a,b,c,"` strings (as oda_api does); numbers with a fractional part
   * are written as reals, integral numbers as integers.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = FitsHeader.fromDict({ EXTNAME: "RATE", TSTART: 0.5, HISTORY: "binned" });
   * console.log(h.cards.length); // 3
   * ```
   */
  static fromDict(dict: Record<string, FitsHeaderDictValue>): FitsHeader {
    const h = new FitsHeader();
    for (const [key, raw] of Object.entries(dict)) {
      const k = normKey(key);
      if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
        // only number wrappers (PyFloat) are understood; a hostile header's objects never get converted
        let n: unknown;
        try {
          n = typeof raw.valueOf === "function" ? raw.valueOf() : undefined;
        } catch {
          n = undefined;
        }
        if (typeof n !== "number") {
          throw new OdaError("INVALID_ARGUMENT", `FITS header ${k}: unsupported value`);
        }
        h.cards.push({ keyword: k, value: n, float: true });
        continue;
      }
      const value: FitsValue = Array.isArray(raw)
        ? raw.map((v) => (v !== null && typeof v === "object" ? pythonStr(v) : String(v))).join(",") + ","
        : raw;
      if (isCommentary(k)) h.cards.push({ keyword: k, value: value === null ? "" : String(value) });
      else h.cards.push({ keyword: k, value });
    }
    return h;
  }

  /**
   * Parse header text made of 80-character cards (as stored in a FITS file),
   * stopping at `END`. Long strings continued with `CONTINUE` are joined.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const text = "OBJECT  = 'Crab'".padEnd(80) + "END".padEnd(80);
   * console.log(FitsHeader.parse(text).get("OBJECT")); // "Crab"
   * ```
   */
  static parse(text: string): FitsHeader {
    const cards: string[] = [];
    for (let i = 0; i < text.length; i += CARD_LENGTH) {
      const c = text.slice(i, i + CARD_LENGTH).padEnd(CARD_LENGTH);
      if (c.startsWith("END") && c.slice(3, 8).trim() === "") break;
      cards.push(c);
    }
    return new FitsHeader(parseCards(cards));
  }

  /** Number of cards. */
  get length(): number {
    return this.cards.length;
  }

  /**
   * Value of the first card with this keyword (case-insensitive; a `HIERARCH `
   * prefix is ignored), or `undefined` when absent. For all values of a
   * repeated keyword (`COMMENT`, `HISTORY`) use {@linkcode FitsHeader.getAll}.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = new FitsHeader([{ keyword: "NAXIS", value: 2 }]);
   * console.log(h.get("naxis")); // 2
   * ```
   */
  get(keyword: string): FitsValue | undefined {
    return this.getCard(keyword)?.value;
  }

  /**
   * The first card with this keyword, or `undefined`.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = new FitsHeader([{ keyword: "EXPTIME", value: 10, comment: "s", float: true }]);
   * console.log(h.getCard("EXPTIME")?.comment); // "s"
   * ```
   */
  getCard(keyword: string): FitsCard | undefined {
    const k = normKey(keyword);
    for (const c of this.cards) if (c.keyword.toUpperCase() === k) return c;
    return undefined;
  }

  /**
   * Values of every card with this keyword, in order.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = new FitsHeader([{ keyword: "HISTORY", value: "a" }, { keyword: "HISTORY", value: "b" }]);
   * console.log(h.getAll("HISTORY")); // ["a", "b"]
   * ```
   */
  getAll(keyword: string): FitsValue[] {
    const k = normKey(keyword);
    return this.cards.filter((c) => c.keyword.toUpperCase() === k).map((c) => c.value);
  }

  /**
   * Whether a card with this keyword exists.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * console.log(new FitsHeader().has("OBJECT")); // false
   * ```
   */
  has(keyword: string): boolean {
    return this.getCard(keyword) !== undefined;
  }

  /**
   * Set the value (and optionally the comment) of the first card with this
   * keyword, or append a new card. Commentary keywords always append.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = new FitsHeader().set("EXPTIME", 1.0, "exposure [s]", { float: true });
   * console.log(h.toString().slice(0, 30)); // "EXPTIME =                  1.0"
   * ```
   */
  set(keyword: string, value: FitsValue, comment?: string, options: { float?: boolean } = {}): this {
    const k = normKey(keyword);
    const existing = isCommentary(k) ? undefined : this.getCard(k);
    if (existing) {
      existing.value = value;
      if (comment !== undefined) existing.comment = comment;
      if (options.float !== undefined) existing.float = options.float;
      return this;
    }
    const card: FitsCard = { keyword: k, value };
    if (comment !== undefined) card.comment = comment;
    if (options.float) card.float = true;
    this.cards.push(card);
    return this;
  }

  /**
   * Remove every card with this keyword; returns how many were removed.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = FitsHeader.fromDict({ A: 1, B: 2 });
   * h.delete("A");
   * console.log(h.keys()); // ["B"]
   * ```
   */
  delete(keyword: string): number {
    const k = normKey(keyword);
    const before = this.cards.length;
    this.cards = this.cards.filter((c) => c.keyword.toUpperCase() !== k);
    return before - this.cards.length;
  }

  /**
   * Keywords in card order (repeated keywords appear repeatedly).
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * console.log(FitsHeader.fromDict({ A: 1, B: "x" }).keys()); // ["A", "B"]
   * ```
   */
  keys(): string[] {
    return this.cards.map((c) => c.keyword);
  }

  /**
   * The header as a plain dictionary, the way oda_api's `NumpyDataUnit.header`
   * holds it (`{k: v for k, v in header.items()}`): keyword → value, and for a
   * repeated keyword (`COMMENT`, `HISTORY`, blank) the **last** card wins.
   * Long `CONTINUE` strings are already joined; `HIERARCH` keywords appear
   * without the prefix.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * const h = new FitsHeader([
   *   { keyword: "COMMENT", value: "first" },
   *   { keyword: "COMMENT", value: "second" },
   *   { keyword: "UNDEF", value: null },
   * ]);
   * console.log(h.toDict({ undefinedValue: "UNDEFINED" })); // { COMMENT: "second", UNDEF: "UNDEFINED" }
   * const eq = FitsHeader.parse("EQUINOX =               2000.0".padEnd(80) + "END".padEnd(80));
   * console.log(eq.toDict({ wrapIntegralReal: (v) => ({ real: v }) })); // { EQUINOX: { real: 2000 } }
   * ```
   */
  toDict<R = never>(options: FitsHeaderDictOptions<R> = {}): Record<string, FitsValue | R> {
    const out: Record<string, FitsValue | R> = {};
    const undef = options.undefinedValue ?? null;
    const wrap = options.wrapIntegralReal;
    for (const c of this.cards) {
      let value: FitsValue | R = c.value === null ? undef : c.value;
      if (wrap && c.float && typeof c.value === "number" && Number.isInteger(c.value)) value = wrap(c.value);
      // defineProperty: keys such as "__proto__" stay plain data
      Object.defineProperty(out, c.keyword, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /**
   * The cards as 80-character strings (long strings expanded into `CONTINUE`
   * cards), without `END`.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * console.log(FitsHeader.fromDict({ SIMPLE: true }).toCards()[0]);
   * // "SIMPLE  =                    T" + 50 spaces
   * ```
   */
  toCards(): string[] {
    const out: string[] = [];
    let longstrn = this.has("LONGSTRN");
    for (const c of this.cards) {
      const images = formatCard(c);
      if (!longstrn && images.length > 1 && images[1].startsWith("CONTINUE")) {
        // announce the long-string convention once, before its first use (fitsverify asks for it)
        out.push(...formatCard({
          keyword: "LONGSTRN",
          value: "OGIP 1.0",
          comment: "The OGIP long string convention may be used.",
        }));
        longstrn = true;
      }
      for (const img of images) out.push(img);
    }
    return out;
  }

  /**
   * The header text as stored in a file: cards, `END`, padded with spaces to a
   * multiple of 2880 characters.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * console.log(FitsHeader.fromDict({ SIMPLE: true }).toString().length); // 2880
   * ```
   */
  toString(): string {
    const cards = this.toCards();
    cards.push("END".padEnd(CARD_LENGTH));
    const text = cards.join("");
    const padded = Math.ceil(text.length / BLOCK_LENGTH) * BLOCK_LENGTH;
    return text.padEnd(padded, " ");
  }

  /**
   * The header block bytes (ASCII) as written to a file.
   *
   * @example
   * ```ts
   * import { FitsHeader } from "@oda-hub/oda-api/fits";
   * console.log(FitsHeader.fromDict({ SIMPLE: true }).toBytes().length); // 2880
   * ```
   */
  toBytes(): Uint8Array {
    const s = this.toString();
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
}

// ---------------------------------------------------------------- parsing

/** Parse the value/comment part of a card (text after `= `). */
function parseValueField(
  text: string,
): { value: FitsValue; comment?: string; float?: boolean; amp?: boolean } {
  let i = 0;
  while (i < text.length && text[i] === " ") i++;
  if (text[i] === "'") {
    let s = "";
    let j = i + 1;
    let closed = false;
    while (j < text.length) {
      const ch = text[j];
      if (ch === "'") {
        if (text[j + 1] === "'") {
          s += "'";
          j += 2;
          continue;
        }
        closed = true;
        j++;
        break;
      }
      s += ch;
      j++;
    }
    if (!closed) log.debug("FITS string value without a closing quote", { text });
    s = s.replace(/ +$/, "");
    const rest = text.slice(j);
    const slash = rest.indexOf("/");
    const out: { value: FitsValue; comment?: string; amp?: boolean } = { value: s };
    if (slash >= 0) {
      const cm = rest.slice(slash + 1).trim();
      if (cm !== "") out.comment = cm;
    }
    if (s.endsWith("&")) out.amp = true;
    return out;
  }
  const slash = text.indexOf("/", i);
  const tok = (slash >= 0 ? text.slice(i, slash) : text.slice(i)).trim();
  const out: { value: FitsValue; comment?: string; float?: boolean } = { value: null };
  if (slash >= 0) {
    const cm = text.slice(slash + 1).trim();
    if (cm !== "") out.comment = cm;
  }
  if (tok === "") out.value = null;
  else if (tok === "T") out.value = true;
  else if (tok === "F") out.value = false;
  else if (/^[+-]?\d+$/.test(tok)) {
    const n = Number(tok);
    out.value = Number.isSafeInteger(n) ? n : BigInt(tok);
  } else if (/^[+-]?(\d+\.?\d*|\.\d+)([EDed][+-]?\d+)?$/.test(tok)) {
    out.value = Number(tok.replace(/[Dd]/, "E"));
    out.float = true;
  } else out.value = tok; // complex "(re, im)" or a non-standard token: kept as text
  return out;
}

function isContinuation(img: string): boolean {
  return img.startsWith("CONTINUE") && img[8] !== "=" && img.slice(8).trimStart().startsWith("'");
}

/** Turn raw 80-character card images into {@linkcode FitsCard}s, joining CONTINUE cards. */
export function parseCards(images: readonly string[]): FitsCard[] {
  const cards: FitsCard[] = [];
  for (let n = 0; n < images.length; n++) {
    const img = images[n];
    const kw = img.slice(0, 8).trimEnd().toUpperCase();
    if (kw === "HIERARCH") {
      const rest = img.slice(8);
      const eq = rest.indexOf("=");
      if (eq >= 0) {
        const keyword = rest.slice(0, eq).trim();
        const pv = parseValueField(rest.slice(eq + 1));
        const card: FitsCard = { keyword, value: pv.value };
        if (pv.comment !== undefined) card.comment = pv.comment;
        if (pv.float) card.float = true;
        cards.push(card);
        continue;
      }
      cards.push({ keyword: "HIERARCH", value: rest.trimEnd() });
      continue;
    }
    if (isCommentary(kw) || img[8] !== "=" || kw === "CONTINUE") {
      cards.push({ keyword: kw, value: img.slice(8).trimEnd() });
      continue;
    }
    const pv = parseValueField(img.slice(9));
    const card: FitsCard = { keyword: kw, value: pv.value };
    if (pv.float) card.float = true;
    const comments: string[] = pv.comment !== undefined ? [pv.comment] : [];
    if (pv.amp && n + 1 < images.length && isContinuation(images[n + 1])) {
      // Long string: join following CONTINUE cards while the value ends with '&'.
      let s = (pv.value as string).slice(0, -1);
      let more = true;
      while (more && n + 1 < images.length && isContinuation(images[n + 1])) {
        const cv = parseValueField(images[n + 1].slice(8));
        if (typeof cv.value !== "string") break;
        n++;
        if (cv.comment !== undefined) comments.push(cv.comment);
        if (cv.amp) s += cv.value.slice(0, -1);
        else {
          s += cv.value;
          more = false;
        }
      }
      card.value = s;
    }
    if (comments.length) card.comment = comments.join(" ");
    cards.push(card);
  }
  return cards;
}

// ---------------------------------------------------------------- formatting

/**
 * Format a real number for a header value: shortest round-trip digits, always
 * with a decimal point, exponent as `E+NN` (`1.0`, `0.5`, `1.0E+20`, `1.5E-07`).
 *
 * @example
 * ```ts
 * import { formatFitsFloat } from "@oda-hub/oda-api/fits";
 * import assert from "node:assert/strict";
 * assert.equal(formatFitsFloat(1e20), "1.0E+20");
 * ```
 */
export function formatFitsFloat(v: number): string {
  if (Object.is(v, -0)) return "-0.0";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [m0, e0] = v.toExponential().split("e");
    const m = m0.includes(".") ? m0 : m0 + ".0";
    const sign = e0.startsWith("-") ? "-" : "+";
    return `${m}E${sign}${e0.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  const s = String(v);
  return s.includes(".") ? s : s + ".0";
}

function isStandardKeyword(k: string): boolean {
  return STANDARD_KEYWORD_RE.test(k);
}

function asciiOnly(s: string, keyword: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  log.warning(`FITS header ${keyword}: characters outside printable ASCII replaced by '?'`);
  return s.replace(/[^\x20-\x7e]/g, "?");
}

/** Format the value part (without keyword) and whether it is a string. */
function formatValue(card: FitsCard): string {
  const v = card.value;
  if (v === null) return "".padStart(20);
  if (typeof v === "boolean") return (v ? "T" : "F").padStart(20);
  if (typeof v === "bigint") return v.toString().padStart(20);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) {
      log.warning(
        `FITS header ${card.keyword}: ${v} cannot be stored in a FITS header; written as undefined`,
      );
      return "";
    }
    // integral numbers are integers unless flagged as reals; beyond 2^53 a number cannot be an exact
    // integer, so it is written as a real (use a bigint for exact 64-bit integers)
    if (!card.float && Number.isSafeInteger(v)) return String(v).padStart(20);
    return formatFitsFloat(v).padStart(20);
  }
  const s = asciiOnly(v, card.keyword).replace(/'/g, "''");
  return `'${s.padEnd(8)}'`.padEnd(20);
}

function splitEscaped(escaped: string, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < escaped.length) {
    let end = Math.min(i + size, escaped.length);
    // never split a doubled quote: count quotes before the cut
    let q = 0;
    for (let k = i; k < end; k++) if (escaped[k] === "'") q++;
    if (q % 2 === 1 && end < escaped.length) end--;
    out.push(escaped.slice(i, end));
    i = end;
  }
  return out.length ? out : [""];
}

/** Format one card into one or more 80-character card images. */
export function formatCard(card: FitsCard): string[] {
  let k = card.keyword;
  const upper = k.toUpperCase();
  if (isCommentary(upper) || upper === "CONTINUE" && typeof card.value === "string" && !card.comment) {
    const text = asciiOnly(card.value === null ? "" : String(card.value), k);
    const out: string[] = [];
    for (let i = 0; i === 0 || i < text.length; i += 72) {
      out.push((upper.padEnd(8) + text.slice(i, i + 72)).padEnd(CARD_LENGTH));
    }
    return out;
  }
  const comment = card.comment === undefined || card.comment === "" ? undefined : asciiOnly(card.comment, k);
  const hierarch = !isStandardKeyword(upper) || k.length > 8;
  if (!hierarch) k = upper;
  const value = formatValue(card);
  if (hierarch) {
    const head = `HIERARCH ${asciiOnly(k, k)} = `;
    let img = head + value.trim();
    if (typeof card.value === "string") img = head + value.trimEnd();
    if (img.length > CARD_LENGTH && typeof card.value === "string" && head.length + 2 < CARD_LENGTH) {
      // no CONTINUE for HIERARCH cards: keep what fits, loudly
      const escaped = asciiOnly(card.value, k).replace(/'/g, "''");
      img = `${head}'${splitEscaped(escaped, CARD_LENGTH - head.length - 2)[0]}'`;
      log.warning(`FITS header HIERARCH ${k}: string value truncated to fit one 80-character card`);
    }
    if (img.length > CARD_LENGTH) {
      throw new OdaError("INVALID_ARGUMENT", `FITS HIERARCH card '${k}' does not fit in 80 characters`);
    }
    if (comment !== undefined && img.length + 3 < CARD_LENGTH) img += " / " + comment;
    return [img.slice(0, CARD_LENGTH).padEnd(CARD_LENGTH)];
  }
  const head = k.padEnd(8) + "= ";
  let img = head + value;
  if (comment !== undefined) img += " / " + comment;
  if (img.length <= CARD_LENGTH) return [img.padEnd(CARD_LENGTH)];
  if (typeof card.value !== "string" || (head + value.trimEnd()).length <= CARD_LENGTH) {
    // comment too long: truncate it (astropy does the same, with a warning)
    log.debug(`FITS header ${k}: comment truncated to fit 80 characters`);
    return [img.slice(0, CARD_LENGTH)];
  }
  // Long string: CONTINUE convention, chunks of at most 67 characters ending with '&'.
  const escaped = asciiOnly(card.value, k).replace(/'/g, "''");
  const chunks = splitEscaped(escaped, 67);
  const out: string[] = [];
  chunks.forEach((chunk, i) => {
    const last = i === chunks.length - 1;
    const h = i === 0 ? head : "CONTINUE  ";
    out.push((h + (last && comment === undefined ? `'${chunk}'` : `'${chunk}&'`)).padEnd(CARD_LENGTH));
  });
  if (comment !== undefined) {
    const parts: string[] = [];
    for (let i = 0; i < comment.length; i += 64) parts.push(comment.slice(i, i + 64));
    parts.forEach((p, i) => {
      const h = i === parts.length - 1 ? "CONTINUE  '' / " : "CONTINUE  '&' / ";
      out.push((h + p).padEnd(CARD_LENGTH));
    });
  }
  return out;
}

/** Throw a FITS decode error that names the byte offset. */
export function fitsError(offset: number, message: string): DecodeError {
  return new DecodeError("FITS", `${message} (at byte ${offset})`, { details: { offset } });
}
