/**
 * A safe reader of the Python literal subset (what `ast.literal_eval` accepts, plus the JSON spellings
 * `true`/`false`/`null`/`NaN`/`Infinity` that oda_api's `set_api_code` leaves inside nested values): strings
 * with every quote style, prefix and escape, ints (hex/octal/binary, underscores), floats, `True`/`False`/
 * `None`, lists, tuples, sets, dicts, signs, comments, line continuations and trailing commas. Nothing is ever
 * evaluated: a call, an attribute, an operator or a name is refused with the line and column where it starts.
 *
 * Bounded by construction: the reader is iterative (no recursion), nesting deeper than `maxDepth` and more
 * than `maxElements` produced values end in a {@linkcode DecodeError} (code `"API_CODE"`), and text longer
 * than `maxChars` is refused before reading.
 *
 * Values: `str` → string, `int` → number (bigint beyond 2^53), integral `float` → {@linkcode PyFloat} (so
 * that `5.0` is written back as `5.0`), other floats → number, lists/tuples/sets → arrays, dicts → plain
 * objects (keys as Python's `json.dumps` writes them), `None` → null.
 *
 * @module
 */
import { DecodeError } from "../errors.ts";
import { PyFloat } from "./json.ts";

/**
 * Limits of {@linkcode parsePythonLiteral} and of the API-code reader.
 *
 * @example
 * ```ts
 * import { type PythonLiteralLimits } from "@oda-hub/oda-api";
 * import { parsePythonLiteral } from "@oda-hub/oda-api/pickle";
 * const limits: PythonLiteralLimits = { maxDepth: 10 };
 * parsePythonLiteral("[[1]]", limits); // [[1]]
 * ```
 */
export interface PythonLiteralLimits {
  /** Longest accepted text, in UTF-16 code units. @default 16777216 */
  maxChars?: number;
  /** Deepest nesting of brackets. @default 100 */
  maxDepth?: number;
  /** Most values produced (every scalar and container counts). @default 1000000 */
  maxElements?: number;
}

/** A token of the Python lexer: `type` is `name`, `number`, `string`, `op`, `newline` or `eof`. */
export interface PyToken {
  /** Token kind. */
  type: "name" | "number" | "string" | "op" | "newline" | "eof";
  /** Source text (for strings: the decoded value; for numbers: the literal text). */
  value: string;
  /** Offset of the first character in the source. */
  start: number;
  /** Offset after the last character. */
  end: number;
}

/** Line and column (both 1-based) of an offset of `text`. */
export function linePosition(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i !== -1 && i < stop; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: stop - lineStart + 1 };
}

/** A {@linkcode DecodeError} (code `"API_CODE"`) naming the line and column of `offset`. */
export function syntaxError(
  text: string,
  offset: number,
  message: string,
  what = "Python code",
): DecodeError {
  const { line, column } = linePosition(text, offset);
  return new DecodeError("API_CODE", `${what}, line ${line}, column ${column}: ${message}`, {
    details: { line, column },
  });
}

const NAME_RE = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER_RE =
  /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?)([jJ]?)/y;
const STRING_PREFIX_RE = /([rRbBuUfF]{0,2})(['"])/y;
const OPS = ["**", "(", ")", "[", "]", "{", "}", ",", ":", "=", ".", ";", "*", "+", "-"];
/** One-character operators by char code (`*` too, unless `**`). */
const SINGLE_OPS: Record<number, string> = Object.fromEntries(
  OPS.filter((o) => o.length === 1).map((o) => [o.charCodeAt(0), o]),
);

/**
 * An on-demand tokenizer of Python source (no indentation blocks: leading whitespace is ignored, which suits
 * pasted and indented template strings). Newlines inside brackets, comments and `\`-continuations are skipped.
 */
export class PyLexer {
  readonly text: string;
  readonly what: string;
  #pos = 0;
  #depth = 0;
  #peeked: PyToken | undefined;
  #lastWasNewline = true;

  /** Read `text`; `what` names it in error messages. */
  constructor(text: string, what = "Python code") {
    this.text = text;
    this.what = what;
  }

  /** An error at `offset` of this text. */
  error(offset: number, message: string): DecodeError {
    return syntaxError(this.text, offset, message, this.what);
  }

  /** The next token without consuming it. */
  peek(): PyToken {
    if (!this.#peeked) this.#peeked = this.#read();
    return this.#peeked;
  }

  /** Consume and return the next token. */
  next(): PyToken {
    const t = this.peek();
    this.#peeked = undefined;
    return t;
  }

  #read(): PyToken {
    const s = this.text;
    for (;;) {
      const c = s.charCodeAt(this.#pos);
      if (this.#pos >= s.length) {
        if (!this.#lastWasNewline && this.#depth === 0) {
          this.#lastWasNewline = true;
          return { type: "newline", value: "", start: s.length, end: s.length };
        }
        return { type: "eof", value: "", start: s.length, end: s.length };
      }
      if (c === 32 || c === 9 || c === 12 || c === 0xfeff) {
        this.#pos++;
        continue;
      }
      if (c === 35) { // comment
        const nl = s.indexOf("\n", this.#pos);
        this.#pos = nl === -1 ? s.length : nl;
        continue;
      }
      if (c === 92) { // line continuation
        const m = /\\\r?\n/y;
        m.lastIndex = this.#pos;
        if (m.test(s)) {
          this.#pos = m.lastIndex;
          continue;
        }
        throw this.error(this.#pos, "unexpected character after line continuation character");
      }
      if (c === 10 || c === 13 || c === 59) { // newline or ';'
        const start = this.#pos++;
        if (c === 59 && this.#depth > 0) throw this.error(start, "';' inside brackets");
        if (this.#depth > 0 || this.#lastWasNewline) continue;
        this.#lastWasNewline = true;
        return { type: "newline", value: c === 59 ? ";" : "\n", start, end: start + 1 };
      }
      this.#lastWasNewline = false;
      return this.#token();
    }
  }

  #token(): PyToken {
    const s = this.text;
    const start = this.#pos;
    const c0 = s.charCodeAt(start);
    if (c0 === 34 || c0 === 39) return this.#string(start, "", s[start], start + 1); // fast path: no prefix
    const single = SINGLE_OPS[c0];
    const c1 = s.charCodeAt(start + 1);
    if (single !== undefined && !(c0 === 42 && c1 === 42) && !(c0 === 46 && c1 >= 48 && c1 <= 57)) {
      this.#pos++;
      if (c0 === 40 || c0 === 91 || c0 === 123) this.#depth++;
      else if (c0 === 41 || c0 === 93 || c0 === 125) this.#depth = Math.max(0, this.#depth - 1);
      return { type: "op", value: single, start, end: start + 1 };
    }
    STRING_PREFIX_RE.lastIndex = start;
    const sp = STRING_PREFIX_RE.exec(s);
    if (sp) return this.#string(start, sp[1].toLowerCase(), sp[2], STRING_PREFIX_RE.lastIndex);
    NAME_RE.lastIndex = start;
    if (NAME_RE.test(s)) {
      this.#pos = NAME_RE.lastIndex;
      return { type: "name", value: s.slice(start, this.#pos), start, end: this.#pos };
    }
    const c = s.charCodeAt(start);
    if ((c >= 48 && c <= 57) || (c === 46 && /[0-9]/.test(s[start + 1] ?? ""))) {
      NUMBER_RE.lastIndex = start;
      const m = NUMBER_RE.exec(s);
      if (m) {
        this.#pos = NUMBER_RE.lastIndex;
        if (m[1]) throw this.error(start, "complex numbers are not parameter values");
        if (/[A-Za-z0-9_]/.test(s[this.#pos] ?? "")) throw this.error(start, "invalid number literal");
        return { type: "number", value: m[0], start, end: this.#pos };
      }
    }
    for (const op of OPS) {
      if (s.startsWith(op, start)) {
        this.#pos += op.length;
        if (op === "(" || op === "[" || op === "{") this.#depth++;
        else if (op === ")" || op === "]" || op === "}") this.#depth = Math.max(0, this.#depth - 1);
        return { type: "op", value: op, start, end: this.#pos };
      }
    }
    const ch = String.fromCodePoint(s.codePointAt(start)!);
    throw this.error(start, `unexpected character ${JSON.stringify(ch)}`);
  }

  #string(start: number, prefix: string, quote: string, bodyStart: number): PyToken {
    const s = this.text;
    if (prefix !== "") {
      if (prefix.includes("f")) throw this.error(start, "f-strings are code, not literals");
      if (prefix.includes("b")) throw this.error(start, "bytes literals are not parameter values");
      if (prefix.length > 1 && !(prefix === "rb" || prefix === "br")) {
        throw this.error(start, `invalid string prefix '${prefix}'`);
      }
    }
    const raw = prefix !== "" && prefix.includes("r");
    const quoteCode = quote.charCodeAt(0);
    const triple = s.charCodeAt(bodyStart) === quoteCode && s.charCodeAt(bodyStart + 1) === quoteCode;
    const delim = triple ? quote + quote + quote : quote;
    let i = bodyStart - 1 + delim.length;
    let out = "";
    let chunk = i;
    for (;;) {
      if (i >= s.length) throw this.error(start, "unterminated string literal");
      if (!triple) { // jump to the next quote, backslash or line end
        let j = i;
        for (; j < s.length; j++) {
          const k = s.charCodeAt(j);
          if (k === 92 || k === 10 || k === 13 || k === quoteCode) break;
        }
        i = j;
        if (i >= s.length) throw this.error(start, "unterminated string literal");
      }
      const c = s[i];
      if (c === quote && (!triple || s.startsWith(delim, i))) {
        out += s.slice(chunk, i);
        this.#pos = i + delim.length;
        return { type: "string", value: out, start, end: this.#pos };
      }
      if ((c === "\n" || c === "\r") && !triple) throw this.error(start, "unterminated string literal");
      if (c !== "\\") {
        i++;
        continue;
      }
      out += s.slice(chunk, i);
      const e = s[i + 1];
      if (e === undefined) throw this.error(start, "unterminated string literal");
      if (raw) { // backslash kept, next char never ends the string
        out += "\\" + e;
        i += 2;
        chunk = i;
        continue;
      }
      let len = 2;
      switch (e) {
        case "\n":
          break;
        case "\r":
          if (s[i + 2] === "\n") len = 3;
          break;
        case "\\":
        case "'":
        case '"':
          out += e;
          break;
        case "a":
          out += "\x07";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "v":
          out += "\v";
          break;
        case "x":
        case "u":
        case "U": {
          const n = e === "x" ? 2 : e === "u" ? 4 : 8;
          const hex = s.slice(i + 2, i + 2 + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) {
            throw this.error(i, `truncated \\${e}${"X".repeat(n)} escape`);
          }
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff) throw this.error(i, `illegal Unicode character in \\${e} escape`);
          out += String.fromCodePoint(cp);
          len = 2 + n;
          break;
        }
        case "N":
          throw this.error(i, "\\N{...} escapes are not supported: write the character itself");
        default:
          if (e >= "0" && e <= "7") {
            const m = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))!;
            out += String.fromCodePoint(parseInt(m[0], 8));
            len = 1 + m[0].length;
          } else {
            out += "\\" + e; // Python keeps unknown escapes as they are
          }
      }
      i += len;
      chunk = i;
    }
  }
}

const DEFAULT_MAX_CHARS = 16 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 100;
const DEFAULT_MAX_ELEMENTS = 1_000_000;

function numberValue(lex: PyLexer, t: PyToken, negative: boolean): unknown {
  const text = t.value.replaceAll("_", "");
  const lower = text.toLowerCase();
  if (/^0[xob]/.test(lower)) {
    const big = BigInt(text);
    const v = negative ? -big : big;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (/[.e]/.test(lower)) {
    const x = Number(text) * (negative ? -1 : 1);
    return Number.isInteger(x) ? new PyFloat(x) : x;
  }
  if (text.length > 1 && text[0] === "0" && /[1-9]/.test(text)) {
    throw lex.error(t.start, "leading zeros in decimal integer literals are not permitted");
  }
  const big = BigInt(text);
  const v = negative ? -big : big;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const CONSTANTS: Record<string, unknown> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null,
  NaN: NaN,
  Infinity: Infinity,
};

/** Key of a dict entry as `json.dumps` would write it. */
function dictKey(lex: PyLexer, k: unknown, at: number): string {
  if (typeof k === "string") return k;
  if (k === null) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (typeof k === "number" || typeof k === "bigint") return String(k);
  if (k instanceof PyFloat) return `${k.value}.0`;
  throw lex.error(at, "dict keys must be strings or numbers");
}

type Frame =
  | { kind: "list" | "set" | "tuple"; open: PyToken; items: unknown[] }
  | { kind: "paren"; open: PyToken }
  | { kind: "dict"; open: PyToken; obj: Record<string, unknown>; key: string | undefined };

/** What a name is when it is not a constant: the API-code reader resolves earlier assignments. */
export type NameResolver = (name: string, token: PyToken) => unknown;

/**
 * Read one literal from `lex` (iteratively). Names other than the constants go to `resolve` (refused when
 * absent); a call or attribute right after a value is refused.
 */
export function readLiteral(
  lex: PyLexer,
  limits: PythonLiteralLimits = {},
  resolve?: NameResolver,
): unknown {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  let budget = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const stack: Frame[] = [];
  const charge = (t: PyToken) => {
    if (--budget < 0) throw lex.error(t.start, "too many values (limit reached)");
  };
  for (;;) {
    // ---- read one value, or open a container
    let t = lex.next();
    let value: unknown;
    let have = false;
    if (t.type === "op" && (t.value === "[" || t.value === "(" || t.value === "{")) {
      if (stack.length >= maxDepth) throw lex.error(t.start, `nesting deeper than ${maxDepth} levels`);
      charge(t);
      const close = t.value === "[" ? "]" : t.value === "(" ? ")" : "}";
      if (lex.peek().type === "op" && lex.peek().value === close) {
        lex.next();
        value = t.value === "{" ? {} : [];
        have = true;
      } else if (t.value === "[") stack.push({ kind: "list", open: t, items: [] });
      else if (t.value === "(") stack.push({ kind: "paren", open: t });
      else stack.push({ kind: "dict", open: t, obj: {}, key: undefined });
      if (!have) continue;
    } else {
      let sign = "";
      const signTok = t;
      let signs = 0;
      while (t.type === "op" && (t.value === "-" || t.value === "+")) {
        if (++signs > maxDepth) throw lex.error(t.start, `more than ${maxDepth} signs in a row`);
        if (t.value === "-") sign = sign === "-" ? "" : "-";
        else if (sign === "") sign = "+";
        t = lex.next();
      }
      charge(t);
      if (t.type === "number") {
        value = numberValue(lex, t, sign === "-");
      } else if (t.type === "name" && (t.value === "NaN" || t.value === "Infinity")) {
        value = t.value === "NaN" ? NaN : sign === "-" ? -Infinity : Infinity;
      } else if (sign !== "") {
        throw lex.error(signTok.start, "a sign must be followed by a number");
      } else if (t.type === "string") {
        value = t.value;
        while (lex.peek().type === "string") {
          charge(lex.peek());
          value += lex.next().value;
        }
      } else if (t.type === "name") {
        const after = lex.peek();
        if (after.type === "op" && (after.value === "(" || after.value === ".")) {
          throw lex.error(
            t.start,
            after.value === "("
              ? `'${t.value}(...)' is a function call: only literal values are accepted`
              : `'${t.value}.' is an attribute access: only literal values are accepted`,
          );
        }
        if (t.value in CONSTANTS) value = CONSTANTS[t.value];
        else if (resolve) value = resolve(t.value, t);
        else throw lex.error(t.start, `'${t.value}' is a name, not a literal value`);
      } else if (t.type === "eof" || t.type === "newline") {
        throw lex.error(t.start, stack.length ? "unexpected end: unbalanced brackets" : "a value is missing");
      } else {
        throw lex.error(t.start, `unexpected '${t.value}' where a value was expected`);
      }
    }
    // ---- attach the value to the enclosing containers, closing them as far as possible
    for (;;) {
      const after = lex.peek();
      if (after.type === "op" && (after.value === "(" || after.value === "." || after.value === "[")) {
        throw lex.error(
          after.start,
          after.value === "."
            ? "attribute access is code, not a literal value"
            : after.value === "("
            ? "a call is code, not a literal value"
            : "indexing is code, not a literal value",
        );
      }
      if (
        after.type === "op" &&
        (after.value === "+" || after.value === "-" || after.value === "*" || after.value === "**")
      ) {
        throw lex.error(after.start, `operator '${after.value}': only literal values are accepted`);
      }
      const top = stack.at(-1);
      if (!top) return value;
      if (top.kind === "dict" && top.key === undefined) {
        const colon = lex.next();
        if (colon.type === "op" && colon.value === ":") {
          top.key = dictKey(lex, value, colon.start);
          break; // read the entry's value
        }
        if (
          Object.keys(top.obj).length === 0 && colon.type === "op" &&
          (colon.value === "," || colon.value === "}")
        ) {
          // a set literal: {a, b}
          const items: unknown[] = [value];
          stack[stack.length - 1] = { kind: "set", open: top.open, items };
          if (colon.value === "}") {
            stack.pop();
            value = items;
            continue;
          }
          if (lex.peek().type === "op" && lex.peek().value === "}") {
            lex.next();
            stack.pop();
            value = items;
            continue;
          }
          break;
        }
        throw lex.error(colon.start, "expected ':' after a dict key");
      }
      if (top.kind === "dict") {
        Object.defineProperty(top.obj, top.key!, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        top.key = undefined;
      } else if (top.kind === "paren") {
        const sep = lex.next();
        if (sep.type === "op" && sep.value === ")") {
          stack.pop(); // parenthesised value
          continue;
        }
        if (sep.type === "op" && sep.value === ",") {
          const items = [value];
          stack[stack.length - 1] = { kind: "tuple", open: top.open, items };
          if (lex.peek().type === "op" && lex.peek().value === ")") {
            lex.next();
            stack.pop();
            value = items;
            continue;
          }
          break;
        }
        throw unexpected(lex, sep, "',' or ')'");
      } else {
        top.items.push(value);
      }
      const close = top.kind === "list" ? "]" : top.kind === "tuple" ? ")" : "}";
      const sep = lex.next();
      if (sep.type === "op" && sep.value === close) {
        stack.pop();
        value = top.kind === "dict" ? top.obj : top.items;
        continue;
      }
      if (sep.type === "op" && sep.value === ",") {
        const p = lex.peek();
        if (p.type === "op" && p.value === close) {
          lex.next();
          stack.pop();
          value = top.kind === "dict" ? top.obj : top.items;
          continue;
        }
        break;
      }
      throw unexpected(lex, sep, `',' or '${close}'`);
    }
  }
}

function unexpected(lex: PyLexer, t: PyToken, expected: string): DecodeError {
  if (t.type === "eof" || t.type === "newline") {
    return lex.error(t.start, `unexpected end: unbalanced brackets (expected ${expected})`);
  }
  return lex.error(t.start, `expected ${expected}, found '${t.type === "string" ? "string" : t.value}'`);
}

/**
 * Read a Python literal without evaluating anything (see the module notes for the accepted subset).
 * Anything else is a {@linkcode DecodeError} with code `"API_CODE"` naming line and column.
 *
 * @example
 * ```ts
 * import { parsePythonLiteral, PyFloat } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const v = parsePythonLiteral("{'E1_keV': 28.0, 'scw_list': ('0665', \"0666\",), 'x': None}  # comment");
 * console.log(v); // { E1_keV: PyFloat { value: 28 }, scw_list: ["0665", "0666"], x: null }
 * assert.equal((v as { E1_keV: PyFloat }).E1_keV instanceof PyFloat, true);
 * ```
 */
export function parsePythonLiteral(text: string, limits: PythonLiteralLimits = {}): unknown {
  const maxChars = limits.maxChars ?? DEFAULT_MAX_CHARS;
  if (text.length > maxChars) {
    throw new DecodeError("API_CODE", `Python literal of ${text.length} characters: more than ${maxChars}`);
  }
  const lex = new PyLexer(text, "Python literal");
  const v = readLiteral(lex, limits);
  while (lex.peek().type === "newline") lex.next();
  const t = lex.peek();
  if (t.type !== "eof") throw lex.error(t.start, "unexpected text after the value");
  return v;
}
