/**
 * An incremental JSON parser over UTF-8 byte chunks: the same values as {@linkcode parseJson} (standard JSON
 * plus Python's bare `NaN`, `Infinity` and `-Infinity`), built while the bytes arrive, so a response never
 * has to exist as one text. String values may be routed to a {@linkcode JsonStringSink} chosen by their
 * object key (a data unit's `binarys`): their content is handed over piece by piece and never becomes a JS
 * string; the sink's result takes the string's place.
 *
 * Chunks may be split anywhere (inside a number, an escape, a multi-byte character); a chunk is consumed
 * before {@linkcode JsonStreamParser.push} returns, so the caller may reuse its buffer.
 *
 * @module
 */
import { DecodeError } from "../errors.ts";

/** Receives the content of one JSON string, in pieces. */
export interface JsonStringSink {
  /**
   * Bytes of the string (only valid until the call returns). With `raw`, they are JSON text: consume them up
   * to the first `"` or `\\` (exclusive) and return how many were consumed; raw control characters are not
   * allowed in JSON strings and must be refused. Without `raw`, they are the character of an escape: consume
   * them all.
   */
  write(bytes: Uint8Array, raw: boolean): number;
  /** The string ended: the value that takes its place. */
  end(): unknown;
}

/** Options of {@linkcode JsonStreamParser}. */
export interface JsonStreamOptions {
  /** A sink for the string value of `key` in an object at `depth` (1 = the top-level object), or undefined. */
  sinkFor?: (key: string, depth: number) => JsonStringSink | undefined;
  /** Deepest nesting accepted (default 4096). */
  maxDepth?: number;
  /** Applied to every string (keys and values, not those given to a sink), e.g. to redact secrets. */
  mapString?: ((s: string) => string) | undefined;
}

// states
const VALUE = 0; // a value is expected
const AFTER = 1; // after a value: `,` or a closing bracket
const KEY = 2; // an object key (string) or `}` right after `{`
const KEY_ONLY = 3; // an object key after `,`
const COLON = 4;
const STR = 5; // inside a string (value or key)
const SINK = 6; // inside a string routed to a sink
const NUM = 7; // number or literal characters
const END = 8; // after the top-level value

const NUM_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS: Record<string, unknown> = {
  true: true,
  false: false,
  null: null,
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
};
// bytes that may continue a number or a bare literal
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "0123456789+-.eEaflsertunNIiy") TOKEN_CHAR[c.charCodeAt(0)] = 1;
const WS = new Uint8Array(256);
for (const c of [9, 10, 13, 32]) WS[c] = 1;

const utf8 = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

/**
 * Push-style JSON parser: `push(chunk)` as bytes arrive, `end()` for the value.
 *
 * @example
 * ```ts
 * import { JsonStreamParser } from "./_json_stream.ts";
 * const p = new JsonStreamParser();
 * const enc = new TextEncoder();
 * p.push(enc.encode('{"a": [1, Na'));
 * p.push(enc.encode('N, "\\u00e9"]}'));
 * p.end(); // { a: [1, NaN, "é"] }
 * ```
 */
export class JsonStreamParser {
  #state = VALUE;
  #stack: unknown[] = []; // containers
  #keys: (string | null)[] = []; // current key of each container (null for arrays)
  #root: unknown = undefined;
  #tok = new Uint8Array(256);
  #tokLen = 0;
  #strIsKey = false;
  #strEscape = false; // the string has an escape
  #strBad = false; // a raw control character
  #esc = false; // the previous byte was an unfinished backslash
  #escBuf = new Uint8Array(6);
  #escLen = 0;
  #sink: JsonStringSink | undefined;
  #pos = 0; // bytes consumed before the current chunk
  #bom = true;
  readonly #sinkFor: JsonStreamOptions["sinkFor"];
  readonly #maxDepth: number;
  readonly #mapString: ((s: string) => string) | undefined;

  /** A parser for one JSON text. */
  constructor(options: JsonStreamOptions = {}) {
    this.#sinkFor = options.sinkFor;
    this.#maxDepth = options.maxDepth ?? 4096;
    this.#mapString = options.mapString;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#pos;
  }

  #fail(at: number, what: string): never {
    throw new DecodeError("JSON", `malformed JSON at byte ${this.#pos + at}: ${what}`);
  }

  #tokPush(b: number): void {
    if (this.#tokLen === this.#tok.length) {
      const t = new Uint8Array(this.#tok.length * 2);
      t.set(this.#tok);
      this.#tok = t;
    }
    this.#tok[this.#tokLen++] = b;
  }

  #tokAppend(bytes: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.#tokLen + n > this.#tok.length) {
      const t = new Uint8Array(Math.max(this.#tok.length * 2, this.#tokLen + n));
      t.set(this.#tok.subarray(0, this.#tokLen));
      this.#tok = t;
    }
    this.#tok.set(bytes.subarray(from, to), this.#tokLen);
    this.#tokLen += n;
  }

  #value(v: unknown, at: number): void {
    const n = this.#stack.length;
    if (n === 0) {
      this.#root = v;
      this.#state = END;
      return;
    }
    const top = this.#stack[n - 1];
    const key = this.#keys[n - 1];
    if (key === null) (top as unknown[]).push(v);
    else if (key === "__proto__") {
      Object.defineProperty(top, key, { value: v, writable: true, enumerable: true, configurable: true });
    } else (top as Record<string, unknown>)[key] = v;
    this.#state = AFTER;
    void at;
  }

  #open(container: unknown, key: string | null, at: number): void {
    if (this.#stack.length >= this.#maxDepth) this.#fail(at, "nested too deeply");
    this.#stack.push(container);
    this.#keys.push(key);
  }

  #close(at: number, isArray: boolean): void {
    const n = this.#stack.length;
    if (n === 0 || (this.#keys[n - 1] === null) !== isArray) this.#fail(at, "unbalanced bracket");
    const v = this.#stack.pop();
    this.#keys.pop();
    this.#value(v, at);
  }

  #finishToken(at: number): void {
    const t = latin1.decode(this.#tok.subarray(0, this.#tokLen));
    this.#tokLen = 0;
    if (t in LITERALS) this.#value(LITERALS[t], at);
    else if (NUM_RE.test(t)) this.#value(Number(t), at);
    else this.#fail(at, `unexpected ${JSON.stringify(t.slice(0, 12))}`);
  }

  #finishString(at: number): void {
    if (this.#strBad) this.#fail(at, "control character in a string");
    const bytes = this.#tok.subarray(0, this.#tokLen);
    let s: string;
    if (this.#strEscape) {
      try {
        s = JSON.parse(`"${utf8.decode(bytes)}"`);
      } catch {
        this.#fail(at, "bad escape in a string");
      }
    } else s = utf8.decode(bytes);
    if (this.#mapString) s = this.#mapString(s);
    this.#tokLen = 0;
    if (this.#strIsKey) {
      this.#keys[this.#keys.length - 1] = s;
      this.#state = COLON;
    } else this.#value(s, at);
  }

  /** An escape of a sink string is complete in `#escBuf`: hand its character over. */
  #sinkEscape(at: number): void {
    const e = this.#escBuf;
    let code: number;
    switch (e[1]) {
      case 34:
        code = 34;
        break;
      case 92:
        code = 92;
        break;
      case 47:
        code = 47;
        break;
      case 98:
        code = 8;
        break;
      case 102:
        code = 12;
        break;
      case 110:
        code = 10;
        break;
      case 114:
        code = 13;
        break;
      case 116:
        code = 9;
        break;
      case 117: {
        const hex = latin1.decode(e.subarray(2, 6));
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail(at, "bad \\u escape");
        code = parseInt(hex, 16);
        break;
      }
      default:
        this.#fail(at, "bad escape in a string");
    }
    this.#sink!.write(new TextEncoder().encode(String.fromCharCode(code)), false);
  }

  /** Parse the next bytes (consumed before this returns: the caller may reuse the buffer). */
  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    if (this.#bom && n > 0) {
      // TextDecoder drops a leading byte order mark; so do we
      if (this.#pos === 0 && this.#tokLen < 3 && this.#state === VALUE && this.#stack.length === 0) {
        while (i < n && this.#tokLen < 3) {
          const want = [0xef, 0xbb, 0xbf][this.#tokLen];
          if (chunk[i] !== want) break;
          this.#tokLen++;
          i++;
        }
        if (this.#tokLen === 3) {
          this.#tokLen = 0;
          this.#bom = false;
        } else if (i < n) {
          if (this.#tokLen > 0) this.#fail(0, "unexpected byte");
          this.#bom = false;
        } else {
          this.#pos += n;
          return;
        }
      } else this.#bom = false;
    }
    while (i < n) {
      switch (this.#state) {
        case SINK: {
          const sink = this.#sink!;
          if (this.#esc) {
            this.#escBuf[this.#escLen++] = chunk[i++];
            const need = this.#escBuf[1] === 117 ? 6 : 2;
            if (this.#escLen === need) {
              this.#esc = false;
              this.#sinkEscape(i - 1);
            }
            continue;
          }
          // the sink consumes up to the closing quote or an escape
          const k = i + sink.write(chunk.subarray(i), true);
          if (k >= n) {
            i = n;
            continue;
          }
          if (chunk[k] === 92) {
            this.#esc = true;
            this.#escBuf[0] = 92;
            this.#escLen = 1;
            i = k + 1;
            continue;
          }
          if (chunk[k] !== 34) this.#fail(k, "string sink stopped early");
          i = k + 1;
          this.#sink = undefined;
          this.#value(sink.end(), k);
          continue;
        }
        case STR: {
          // scan to the closing quote, noting escapes and control characters
          let j = i;
          let esc = this.#esc;
          for (; j < n; j++) {
            const c = chunk[j];
            if (esc) esc = false;
            else if (c === 92) {
              esc = true;
              this.#strEscape = true;
            } else if (c === 34) break;
            else if (c < 0x20) this.#strBad = true;
          }
          this.#esc = esc;
          this.#tokAppend(chunk, i, j);
          if (j === n) {
            i = n;
            continue;
          }
          i = j + 1;
          this.#finishString(j);
          continue;
        }
        case NUM: {
          const c = chunk[i];
          if (TOKEN_CHAR[c]) {
            this.#tokPush(c);
            i++;
            continue;
          }
          this.#finishToken(i);
          continue; // the delimiter is handled in the new state
        }
        default:
          break;
      }
      const c = chunk[i];
      if (WS[c]) {
        i++;
        continue;
      }
      switch (this.#state) {
        case VALUE:
          if (c === 34) {
            const depth = this.#stack.length;
            const key = depth > 0 ? this.#keys[depth - 1] : null;
            const sink = key !== null && this.#sinkFor ? this.#sinkFor(key, depth) : undefined;
            if (sink) {
              this.#sink = sink;
              this.#state = SINK;
            } else {
              this.#state = STR;
              this.#strIsKey = false;
              this.#strEscape = false;
              this.#strBad = false;
            }
          } else if (c === 123) {
            this.#open({}, "", i);
            this.#state = KEY;
          } else if (c === 91) {
            this.#open([], null, i);
          } else if (c === 93) {
            // `[]`: only right after the opening bracket
            const n2 = this.#stack.length;
            if (n2 === 0 || this.#keys[n2 - 1] !== null || (this.#stack[n2 - 1] as unknown[]).length !== 0) {
              this.#fail(i, "unexpected ']'");
            }
            if (this.#afterComma) this.#fail(i, "unexpected ']'");
            this.#close(i, true);
          } else if (TOKEN_CHAR[c]) {
            this.#state = NUM;
            this.#tokPush(c);
          } else this.#fail(i, `unexpected ${JSON.stringify(String.fromCharCode(c))}`);
          this.#afterComma = false;
          i++;
          continue;
        case AFTER: {
          const depth = this.#stack.length;
          const isArray = this.#keys[depth - 1] === null;
          if (c === 44) {
            if (isArray) {
              this.#state = VALUE;
              this.#afterComma = true;
            } else this.#state = KEY_ONLY;
          } else if (c === 93 && isArray) this.#close(i, true);
          else if (c === 125 && !isArray) this.#close(i, false);
          else this.#fail(i, `unexpected ${JSON.stringify(String.fromCharCode(c))}`);
          i++;
          continue;
        }
        case KEY:
        case KEY_ONLY:
          if (c === 34) {
            this.#state = STR;
            this.#strIsKey = true;
            this.#strEscape = false;
            this.#strBad = false;
          } else if (c === 125 && this.#state === KEY) this.#close(i, false);
          else this.#fail(i, "expected a key");
          i++;
          continue;
        case COLON:
          if (c !== 58) this.#fail(i, "expected ':'");
          this.#state = VALUE;
          this.#afterComma = false;
          i++;
          continue;
        case END:
          this.#fail(i, "data after the JSON value");
      }
    }
    this.#pos += n;
  }
  #afterComma = false;

  /** The input is complete: the parsed value (throws if it is not a whole JSON text). */
  end(): unknown {
    if (this.#state === NUM && this.#stack.length === 0) this.#finishToken(0);
    if (this.#state !== END) this.#fail(0, "unexpected end of input");
    return this.#root;
  }
}
