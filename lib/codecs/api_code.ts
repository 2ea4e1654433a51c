/**
 * The "API code" bridge: MMODA's web page and every dispatcher answer (`products.api_code`) give a query as
 * a few lines of Python (oda_api's `set_api_code`):
 *
 * ```python
 * from oda_api.api import DispatcherAPI
 * disp=DispatcherAPI(url='https://www.astro.unige.ch/mmoda/dispatch-data', instrument='mock')
 *
 * par_dict={
 *     "E1_keV": 28.0,
 *     "instrument": "isgri",
 *     "product": "isgri_image",
 *     "product_type": "Real"
 * }
 *
 * data_collection = disp.get_product(**par_dict)
 * ```
 *
 * {@linkcode parseApiCode} reads that text (and hand-edited variants) without evaluating anything;
 * {@linkcode renderApiCode} writes it back byte for byte as the dispatcher does, or as Deno code.
 *
 * Size: the parser and the renderer of the same small Python subset, kept together so that both sides of
 * the byte-for-byte round trip change at once.
 *
 * @module
 */
import { DecodeError, OdaError } from "../errors.ts";
import { PyFloat, pythonJsonDumps } from "../data/json.ts";
import { PyLexer, type PythonLiteralLimits, type PyToken, readLiteral } from "../data/python_literal.ts";

/** The `url=` of a `DispatcherAPI(...)` that names no real dispatcher (unconfigured `products_url`). */
const PLACEHOLDER_RE = /PRODUCTS_URL/;

/**
 * What {@linkcode parseApiCode} found: the dispatcher URL, the `get_product` keyword arguments (Python names:
 * `instrument`, `product`, `product_type` = query kind, science parameters) and the token, if the code holds
 * one. The token is readable through `token` but never shown: not by `console.log`, `JSON.stringify`,
 * `String()` nor in errors.
 *
 * @example
 * ```ts
 * import { parseApiCode } from "@oda-hub/oda-api";
 * const code = parseApiCode(`disp = DispatcherAPI(url="http://127.0.0.1:8011")\ndisp.get_product(instrument="isgri", product="isgri_image", E1_keV=28.0)`);
 * console.log(code.url, code.params.product); // "http://127.0.0.1:8011" "isgri_image"
 * ```
 */
export class ApiCode {
  /** Dispatcher URL of `DispatcherAPI(url=...)`; undefined when absent or a `PRODUCTS_URL` placeholder. */
  readonly url: string | undefined;
  /** The `url=` text when it is a placeholder such as `PRODUCTS_URL/dispatch-data`. */
  readonly placeholder: string | undefined;
  /** The `get_product` keyword arguments, without the token. */
  readonly params: ApiCodeParams;
  readonly #token: string | undefined;

  /** Built by {@linkcode parseApiCode}. */
  constructor(
    init: {
      url?: string | undefined;
      placeholder?: string | undefined;
      params: ApiCodeParams;
      token?: string | undefined;
    },
  ) {
    this.url = init.url;
    this.placeholder = init.placeholder;
    this.params = init.params;
    this.#token = init.token === "" ? undefined : init.token;
  }

  /** The token written in the code, if any (use it; never print it). */
  get token(): string | undefined {
    return this.#token;
  }

  /** JSON view: URL and parameters, `has_token` instead of the token. */
  toJSON(): Record<string, unknown> {
    return {
      ...(this.url !== undefined ? { url: this.url } : {}),
      ...(this.placeholder !== undefined ? { placeholder: this.placeholder } : {}),
      params: this.params,
      has_token: this.#token !== undefined,
    };
  }

  /** `ApiCode { url, instrument/product }` without the token. */
  toString(): string {
    return `ApiCode { url: ${JSON.stringify(this.url ?? this.placeholder ?? null)}, query: ${
      JSON.stringify(`${this.params.instrument}/${this.params.product}`)
    }, token: ${this.#token === undefined ? "none" : "<redacted>"} }`;
  }

  /** Deno inspect (no token). */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * The `get_product` keyword arguments of API code: `instrument`, `product`, optionally `product_type` (the
 * query kind), and science parameters with their Python values.
 *
 * @example
 * ```ts
 * import type { ApiCodeParams } from "@oda-hub/oda-api";
 * const p: ApiCodeParams = { instrument: "isgri", product: "isgri_image", E1_keV: 28 };
 * ```
 */
export interface ApiCodeParams {
  /** Instrument name. */
  instrument: string;
  /** Product name. */
  product: string;
  /** Query kind (`Real`, `Dummy`). */
  product_type?: string;
  /** Science parameters. */
  [param: string]: unknown;
}

/** Placeholders written instead of a token (`<your token>`, `<PLEASE-INSERT-YOUR-TOKEN-HERE>`). */
function realToken(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" || /^<.*>$/.test(t) ? undefined : t;
}

type Binding =
  | { kind: "literal"; value: unknown }
  | { kind: "module"; path: string }
  | { kind: "class" }
  | {
    kind: "dispatcher";
    url?: string | undefined;
    placeholder?: string | undefined;
    token?: string | undefined;
  }
  | { kind: "result" };

const DISPATCHER_KWARGS = new Set([
  "url",
  "instrument",
  "token",
  "wait",
  "n_max_tries",
  "session_id",
  "use_local_cache",
  "run_analysis_handle",
  "protocol",
  "host",
  "port",
  "cookies",
]);

function isOdaModule(path: string): boolean {
  return path === "oda_api" || path.startsWith("oda_api.");
}

/**
 * Read the Python API code of MMODA's web page or of a dispatcher answer, without evaluating it.
 *
 * Accepted: `from oda_api... import ...` / `import oda_api...`, `disp = DispatcherAPI(url=..., instrument=...)`
 * (optionally `token=`), assignments of literals (`par_dict = {...}` with Python or JSON spellings: `True`,
 * `None`, tuples, nested lists/dicts, every quote style, escapes, comments, trailing commas), one
 * `disp.get_product(**par_dict)` call (or keyword arguments, or both), or just a dict literal. A `token` among
 * the arguments goes to `token`, not to `params`. A `PRODUCTS_URL/...` URL is recognised as a placeholder
 * (`url` undefined, `placeholder` set). Anything else (another import, a call in a value, an expression) is a
 * {@linkcode DecodeError} with code `"API_CODE"` naming line and column. Iterative and depth-capped: hostile
 * input fails fast. In a notebook, paste the code into a template string (indentation is ignored); use
 * `` String.raw`...` `` when it holds backslashes (escapes in Python strings), so JavaScript keeps them.
 *
 * @example
 * ```ts
 * import { parseApiCode } from "@oda-hub/oda-api";
 * const code = parseApiCode(`
 * from oda_api.api import DispatcherAPI
 * disp=DispatcherAPI(url='PRODUCTS_URL/dispatch-data', instrument='mock')
 *
 * par_dict={
 *     "E1_keV": 28.0,
 *     "instrument": "isgri",
 *     "product": "isgri_image",
 *     "product_type": "Real",
 *     "scw_list": ["066500220010.001"],  # a comment
 * }
 *
 * data_collection = disp.get_product(**par_dict)
 * `);
 * console.log(code.placeholder, code.params.instrument); // "PRODUCTS_URL/dispatch-data" "isgri"
 * ```
 */
export function parseApiCode(text: string, limits: PythonLiteralLimits = {}): ApiCode {
  if (typeof text !== "string") throw new OdaError("INVALID_ARGUMENT", "API code must be a string");
  const maxChars = limits.maxChars ?? 16 * 1024 * 1024;
  if (text.length > maxChars) {
    throw new DecodeError("API_CODE", `API code of ${text.length} characters: more than ${maxChars}`);
  }
  const lex = new PyLexer(text, "API code");
  const env = new Map<string, Binding>();
  const resolve = (name: string, t: PyToken): unknown => {
    const b = env.get(name);
    if (b?.kind === "literal") return b.value;
    throw lex.error(
      t.start,
      `'${name}' is ${b ? "not a literal value" : "not defined (no evaluation of code)"}`,
    );
  };
  let call: { dispatcher?: Binding & { kind: "dispatcher" }; kwargs: Record<string, unknown> } | undefined;
  let lastDict: Record<string, unknown> | undefined;
  let lastDispatcher: (Binding & { kind: "dispatcher" }) | undefined;

  const expectEnd = () => {
    const t = lex.next();
    if (t.type !== "newline" && t.type !== "eof") {
      throw lex.error(
        t.start,
        `unexpected '${t.type === "string" ? "string" : t.value}' at the end of a statement`,
      );
    }
  };
  const name = (): PyToken => {
    const t = lex.next();
    if (t.type !== "name") throw lex.error(t.start, "a name was expected");
    return t;
  };
  const dotted = (): { text: string; start: number } => {
    const first = name();
    let path = first.value;
    while (lex.peek().type === "op" && lex.peek().value === ".") {
      lex.next();
      path += "." + name().value;
    }
    return { text: path, start: first.start };
  };
  const isOp = (t: PyToken, v: string) => t.type === "op" && t.value === v;

  // Call arguments: keyword=value and **dict; positional arguments are refused.
  const readArgs = (what: string): Record<string, unknown> => {
    const kwargs: Record<string, unknown> = {};
    const set = (k: string, v: unknown, at: number) => {
      if (Object.hasOwn(kwargs, k)) throw lex.error(at, `${what} got multiple values for argument '${k}'`);
      Object.defineProperty(kwargs, k, { value: v, enumerable: true, writable: true, configurable: true });
    };
    for (;;) {
      const t = lex.peek();
      if (isOp(t, ")")) {
        lex.next();
        return kwargs;
      }
      if (isOp(t, "**")) {
        lex.next();
        const at = lex.peek().start;
        const v = readLiteral(lex, limits, resolve);
        if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof PyFloat) {
          throw lex.error(at, "'**' needs a dict");
        }
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) set(k, x, at);
      } else if (t.type === "name") {
        lex.next();
        const eq = lex.next();
        if (!isOp(eq, "=")) {
          throw lex.error(t.start, `${what}: positional arguments are not understood; write name=value`);
        }
        set(t.value, readLiteral(lex, limits, resolve), t.start);
      } else if (t.type === "eof" || t.type === "newline") {
        throw lex.error(t.start, "unexpected end: unbalanced brackets");
      } else {
        throw lex.error(t.start, `${what}: only name=value and **dict arguments are understood`);
      }
      const sep = lex.next();
      if (isOp(sep, ")")) return kwargs;
      if (!isOp(sep, ",")) {
        throw lex.error(
          sep.start,
          sep.type === "eof" ? "unexpected end: unbalanced brackets" : "expected ',' or ')'",
        );
      }
    }
  };

  // A call statement's right-hand side, after its dotted callee.
  const readCall = (callee: { text: string; start: number }): Binding => {
    const parts = callee.text.split(".");
    const head = env.get(parts[0]);
    const last = parts.at(-1)!;
    const isClass = (parts.length === 1 && (head?.kind === "class" || (!head && last === "DispatcherAPI"))) ||
      (parts.length > 1 && last === "DispatcherAPI" && head?.kind === "module" &&
        isOdaModule([head.path, ...parts.slice(1, -1)].join(".")));
    const open = lex.next();
    if (!isOp(open, "(")) throw lex.error(open.start, "expected '('");
    if (isClass) {
      const kw = readArgs("DispatcherAPI()");
      for (const k of Object.keys(kw)) {
        if (!DISPATCHER_KWARGS.has(k)) {
          throw lex.error(callee.start, `DispatcherAPI() has no argument '${k}'`);
        }
      }
      const d: Binding & { kind: "dispatcher" } = { kind: "dispatcher" };
      if (kw.url !== undefined && kw.url !== null) {
        if (typeof kw.url !== "string") {
          throw lex.error(callee.start, "DispatcherAPI(url=...) must be a string");
        }
        if (PLACEHOLDER_RE.test(kw.url)) d.placeholder = kw.url;
        else d.url = kw.url;
      }
      d.token = realToken(kw.token);
      lastDispatcher = d;
      return d;
    }
    if (parts.length === 2 && last === "get_product" && (head === undefined || head.kind === "dispatcher")) {
      // an undefined name is a dispatcher created in a cell that was not pasted (no URL then)
      if (call) throw lex.error(callee.start, "more than one get_product() call");
      call = { dispatcher: head ?? { kind: "dispatcher" }, kwargs: readArgs("get_product()") };
      return { kind: "result" };
    }
    throw lex.error(
      callee.start,
      `'${callee.text}(...)' is not understood: only DispatcherAPI(...) and <dispatcher>.get_product(...) calls are read`,
    );
  };

  for (;;) {
    const t = lex.peek();
    if (t.type === "eof") break;
    if (t.type === "newline") {
      lex.next();
      continue;
    }
    if (t.type === "name" && (t.value === "from" || t.value === "import")) {
      lex.next();
      if (t.value === "from") {
        const mod = dotted();
        if (!isOdaModule(mod.text)) {
          throw lex.error(mod.start, `import of '${mod.text}' refused: only oda_api modules are understood`);
        }
        const imp = name();
        if (imp.value !== "import") throw lex.error(imp.start, "expected 'import'");
        const paren = isOp(lex.peek(), "(");
        if (paren) lex.next();
        for (;;) {
          const n = name();
          let alias = n.value;
          if (lex.peek().type === "name" && lex.peek().value === "as") {
            lex.next();
            alias = name().value;
          }
          env.set(
            alias,
            n.value === "DispatcherAPI"
              ? { kind: "class" }
              : { kind: "module", path: `${mod.text}.${n.value}` },
          );
          if (!isOp(lex.peek(), ",")) break;
          lex.next();
          if (paren && isOp(lex.peek(), ")")) break;
        }
        if (paren) {
          const c = lex.next();
          if (!isOp(c, ")")) throw lex.error(c.start, "expected ')'");
        }
      } else {
        for (;;) {
          const mod = dotted();
          if (!isOdaModule(mod.text)) {
            throw lex.error(
              mod.start,
              `import of '${mod.text}' refused: only oda_api modules are understood`,
            );
          }
          let alias = mod.text.split(".")[0];
          let path = alias;
          if (lex.peek().type === "name" && lex.peek().value === "as") {
            lex.next();
            alias = name().value;
            path = mod.text;
          }
          env.set(alias, { kind: "module", path });
          if (!isOp(lex.peek(), ",")) break;
          lex.next();
        }
      }
      expectEnd();
      continue;
    }
    // assignment or expression statement
    let target: string | undefined;
    if (t.type === "name") {
      const first = lex.next();
      if (isOp(lex.peek(), "=")) {
        lex.next();
        target = first.value;
      } else {
        // an expression statement starting with a name: must be a call
        let path = first.value;
        while (isOp(lex.peek(), ".")) {
          lex.next();
          path += "." + name().value;
        }
        if (!isOp(lex.peek(), "(")) {
          throw lex.error(
            first.start,
            `'${path}' alone is not understood (expected an assignment or a call)`,
          );
        }
        readCall({ text: path, start: first.start });
        expectEnd();
        continue;
      }
    }
    const rhs = lex.peek();
    let binding: Binding;
    if (rhs.type === "name" && !(rhs.value in KEYWORD_CONSTANTS)) {
      const second = lex.peek();
      const callee = dotted();
      if (isOp(lex.peek(), "(")) binding = readCall(callee);
      else if (callee.text.includes(".")) {
        throw lex.error(
          second.start,
          `'${callee.text}' is an attribute access: only literal values are accepted`,
        );
      } else {
        const b = env.get(callee.text);
        if (!b) throw lex.error(second.start, `'${callee.text}' is not defined (no evaluation of code)`);
        binding = b;
      }
    } else {
      const value = readLiteral(lex, limits, resolve);
      binding = { kind: "literal", value };
      if (
        value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof PyFloat)
      ) {
        lastDict = value as Record<string, unknown>;
      }
    }
    if (target !== undefined) env.set(target, binding);
    expectEnd();
  }

  let kwargs: Record<string, unknown>;
  let dispatcher = lastDispatcher;
  if (call) {
    kwargs = call.kwargs;
    dispatcher = call.dispatcher;
  } else if (lastDict) kwargs = lastDict;
  else throw new DecodeError("API_CODE", "API code without a get_product(...) call nor a parameter dict");
  const params: Record<string, unknown> = {};
  let token = dispatcher?.token;
  for (const [k, v] of Object.entries(kwargs)) {
    if (k === "token") {
      token = realToken(v) ?? token;
      continue;
    }
    Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  for (const k of ["instrument", "product"]) {
    if (typeof params[k] !== "string" || params[k] === "") {
      throw new DecodeError("API_CODE", `API code without '${k}' among the get_product parameters`);
    }
  }
  return new ApiCode({
    url: dispatcher?.url,
    placeholder: dispatcher?.placeholder,
    params: params as ApiCodeParams,
    token,
  });
}

const KEYWORD_CONSTANTS: Record<string, true> = {
  True: true,
  False: true,
  None: true,
  true: true,
  false: true,
  null: true,
  NaN: true,
  Infinity: true,
};

// ------------------------------------------------------------------ writer

/**
 * Options of {@linkcode renderApiCode}.
 *
 * @example
 * ```ts
 * import { type ApiCodeOptions, renderApiCode } from "@oda-hub/oda-api";
 * const o: ApiCodeOptions = { url: "https://www.astro.unige.ch/mmoda/dispatch-data", language: "typescript" };
 * renderApiCode({ instrument: "isgri", product: "isgri_image" }, o);
 * ```
 */
export interface ApiCodeOptions {
  /** `DispatcherAPI(url=...)`, written as is. @default "https://www.astro.unige.ch/mmoda/dispatch-data" */
  url?: string | undefined;
  /** `python` (oda_api, byte for byte the dispatcher's `api_code`) or `typescript` (this package). @default "python" */
  language?: "python" | "typescript";
  /**
   * A `token` parameter is left out by default (the receiving client discovers its own token, so the code
   * can be shared); `"include"` writes it, as the dispatcher does.
   * @default "omit"
   */
  token?: "omit" | "include" | undefined;
}

/** Parameters oda_api's `set_api_code` never writes (dispatcher names). */
const SKIP = new Set(["job_id", "query_status", "session_id", "use_resolver[local]", "use_scws"]);

/** Python's `sorted()` order of str: by code point. */
function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * The `get_product` parameters (Python names: `product` = product, `product_type` = query kind) of a
 * dispatcher parameter dictionary (`products.analysis_parameters`: `product_type` = product, `query_type` =
 * query kind), as oda_api's `set_api_code` renames them.
 *
 * @example
 * ```ts
 * import { apiParamsFromAnalysisParameters } from "@oda-hub/oda-api/pickle";
 * apiParamsFromAnalysisParameters({ instrument: "isgri", product_type: "isgri_image", query_type: "Real", session_id: "S" });
 * // { instrument: "isgri", product: "isgri_image", product_type: "Real" }
 * ```
 */
export function apiParamsFromAnalysisParameters(par_dic: Record<string, unknown>): Record<string, unknown> {
  const out = new Map<string, unknown>();
  for (const k of Object.keys(par_dic).sort(codePointCompare)) {
    if (SKIP.has(k)) continue;
    const n = k === "product_type" ? "product" : k === "query_type" ? "product_type" : k;
    if (par_dic[k] !== null && par_dic[k] !== undefined) out.set(n, par_dic[k]);
  }
  const o: Record<string, unknown> = {};
  for (const [k, v] of out) {
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/** The dispatcher name a `get_product` parameter had before renaming (the sort key of `set_api_code`). */
function dispatcherName(k: string): string {
  return k === "product" ? "product_type" : k === "product_type" ? "query_type" : k;
}

function ordered(params: Record<string, unknown>, token: "omit" | "include"): Map<string, unknown> {
  const keys = Object.keys(params).sort((a, b) => codePointCompare(dispatcherName(a), dispatcherName(b)));
  const m = new Map<string, unknown>();
  for (const k of keys) {
    const v = params[k];
    if (SKIP.has(dispatcherName(k)) || v === null || v === undefined) continue;
    if (k === "token" && (token === "omit" || v === "")) continue;
    m.set(k, v);
  }
  return m;
}

/** Python `json.dumps`-able copy: Dates as ISO text, Sets as lists. */
function plain(v: unknown, depth = 0): unknown {
  if (depth > 200) throw new OdaError("INVALID_ARGUMENT", "parameter value nested too deeply");
  if (v instanceof Date) return v.toISOString().replace(/Z$/, "");
  if (v instanceof Set) return [...v].map((x) => plain(x, depth + 1));
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (v instanceof PyFloat || v === null || typeof v !== "object") return v;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, plain(x, depth + 1)]));
  const m = new Map<string, unknown>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) m.set(k, plain(x, depth + 1));
  }
  return m;
}

const TS_IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function tsValue(v: unknown, indent: string, uses: { pyFloat: boolean }): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof PyFloat) {
    if (!Number.isFinite(v.value)) return tsValue(v.value, indent, uses);
    uses.pyFloat = true;
    return `pyFloat(${Object.is(v.value, -0) ? "-0" : String(v.value)})`;
  }
  if (typeof v === "number") {
    return Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + tsValue(x, inner, uses)).join(",\n")},\n${indent}]`;
  }
  const entries = v instanceof Map ? [...v] : Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${
    entries.map(([k, x]) =>
      `${inner}${TS_IDENT.test(String(k)) ? k : JSON.stringify(String(k))}: ${tsValue(x, inner, uses)}`
    )
      .join(",\n")
  },\n${indent}}`;
}

/**
 * Write the API code of a query given with `get_product` names (`instrument`, `product`, `product_type` =
 * query kind, science parameters): in Python it is byte for byte what the dispatcher returns as `api_code`
 * for the same parameters (keys sorted by their dispatcher names, None values and `job_id`, `query_status`,
 * `session_id`, `use_resolver[local]`, `use_scws` left out, `json.dumps(indent=4)` with `true`/`false`
 * rewritten to `True`/`False` everywhere, as upstream does); in TypeScript the same query for this package.
 * Integral floats given as {@linkcode PyFloat} stay floats (`28.0`, `pyFloat(28)`).
 *
 * @example
 * ```ts
 * import { pyFloat, renderApiCode } from "@oda-hub/oda-api";
 * import assert from "node:assert/strict";
 * const py = renderApiCode(
 *   { instrument: "isgri", product: "isgri_image", product_type: "Real", E1_keV: pyFloat(28) },
 *   { url: "https://www.astro.unige.ch/mmoda/dispatch-data" },
 * );
 * assert.equal(py.split("\n")[4], '    "E1_keV": 28.0,');
 * ```
 */
export function renderApiCode(params: Record<string, unknown>, options: ApiCodeOptions = {}): string {
  const url = options.url ?? "https://www.astro.unige.ch/mmoda/dispatch-data";
  const d = plain(ordered(params, options.token ?? "omit")) as Map<string, unknown>;
  if (options.language === "typescript") {
    const uses = { pyFloat: false };
    const body = tsValue(d, "", uses);
    const names = uses.pyFloat ? "DispatcherAPI, pyFloat" : "DispatcherAPI";
    return `import { ${names} } from "@oda-hub/oda-api";\n` +
      `const disp = new DispatcherAPI({ url: ${JSON.stringify(url)} });\n\n` +
      `const parDict = ${body};\n\n` +
      `const dataCollection = await disp.getProduct(parDict);\n`;
  }
  if (options.language !== undefined && options.language !== "python") {
    throw new OdaError(
      "INVALID_ARGUMENT",
      `language must be "python" or "typescript", not ${JSON.stringify(options.language)}`,
    );
  }
  const body = pythonJsonDumps(d, { indent: 4 }).replaceAll("false", "False").replaceAll("true", "True");
  return `from oda_api.api import DispatcherAPI\ndisp=DispatcherAPI(url='${url}', instrument='mock')\n\n` +
    `par_dict=${body}\n\ndata_collection = disp.get_product(**par_dict)\n`;
}
