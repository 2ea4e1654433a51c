/**
 * A restricted, iterative pickle virtual machine (protocols 2–5).
 *
 * Why our own VM and not `npm:pickleparser` (evaluated in toolchain.md §6): pickleparser 0.2.1 is a single
 * release by one author; it resolves unknown globals to inert objects but its name registry, `__setstate__`
 * dispatch and recursion are not ours to audit, and the allow-list of globals is the security property of this
 * decoder, so we want to own it. The subset numpy/astropy pickles need is small and fully known
 * (oda_api-client.md §2.8).
 *
 * Safety promise:
 * - nothing is ever executed: the only callables are the whitelisted globals below, each interpreted by a
 *   small pure function (or turned into an inert {@linkcode PickleObject});
 * - any other global, and any opcode not listed here, raises `DecodeError("PICKLE")` naming it;
 * - every length is checked against the remaining input before anything is allocated;
 * - dicts become `Map`s and sets `Set`s, so `__proto__`/`constructor` keys are plain data;
 * - the VM is a loop (no recursion); stack, memo and mark stack only grow by at most one entry per input byte,
 *   and every opcode costs time linear in the bytes it consumes or the items it pops, so a hostile pickle costs
 *   at most linear time and memory in its size.
 *
 * Size: one opcode loop over every supported opcode, kept in one function so that it stays iterative and
 * its allow-list can be audited in one place.
 *
 * @module
 */
import { DecodeError } from "../../errors.ts";
import { LazyBytes } from "./lazy_bytes.ts";
import { decodeLatin1 } from "../../data/latin1.ts";
import type { DecodeBudget } from "../budget.ts";

/**
 * A reference to a whitelisted Python global (`module.name`).
 *
 * @example
 * ```ts
 * import { PickleGlobal } from "@oda-hub/oda-api/pickle";
 * import assert from "node:assert/strict";
 * const g = new PickleGlobal("numpy._core.multiarray", "_reconstruct");
 * assert.equal(g.qualname, "numpy.core.multiarray._reconstruct");
 * ```
 */
export class PickleGlobal {
  /** Create a reference. */
  constructor(
    /** Module, e.g. `numpy._core.multiarray`. */
    readonly module: string,
    /** Name inside the module, e.g. `_reconstruct`. */
    readonly name: string,
  ) {}
  /** Canonical `module.name` with `numpy._core`/`numpy.core` unified to `numpy.core`. */
  get qualname(): string {
    return `${canonicalModule(this.module)}.${this.name}`;
  }
}

/**
 * An inert instance of a whitelisted class (ndarray placeholders, dtypes, astropy column objects): the class
 * name, the constructor arguments and whatever state BUILD gave it. No code of the class ever runs.
 *
 * @example
 * ```ts
 * import { PickleObject } from "@oda-hub/oda-api/pickle";
 * const o = new PickleObject("numpy.dtype", ["f8", false, true]);
 * console.log(o.className, o.args, o.state); // numpy.dtype [ "f8", false, true ] undefined (no BUILD yet)
 * ```
 */
export class PickleObject {
  /** `state` set by BUILD (undefined until then). */
  state: unknown = undefined;
  /** Keyword arguments of NEWOBJ_EX, if any. */
  kwargs?: Map<unknown, unknown>;
  /** Create an inert object. */
  constructor(
    /** Canonical class name (`numpy.core` spelling), e.g. `numpy.ndarray`, `astropy.io.fits.column.Column`. */
    readonly className: string,
    /** Positional constructor arguments. */
    readonly args: unknown[],
  ) {}
}

function canonicalModule(m: string): string {
  return m.startsWith("numpy._core") ? "numpy.core" + m.slice("numpy._core".length) : m;
}

/**
 * Globals a pickle may reference (canonical spelling; `numpy._core.*` is accepted as `numpy.core.*`).
 * `call` globals are interpreted by REDUCE, `class` globals become inert {@linkcode PickleObject}s (via REDUCE,
 * NEWOBJ or copyreg), `type` globals may only be passed around as arguments (e.g. `numpy.record` as a dtype).
 */
const WHITELIST: ReadonlyMap<string, "call" | "class" | "type"> = new Map<string, "call" | "class" | "type">([
  ["numpy.core.multiarray._reconstruct", "call"],
  ["numpy.core.numeric._frombuffer", "call"],
  ["numpy.core.multiarray.scalar", "call"],
  ["numpy.dtype", "call"],
  ["_codecs.encode", "call"],
  ["copyreg._reconstructor", "call"],
  ["copy_reg._reconstructor", "call"],
  ["builtins.set", "call"],
  ["builtins.frozenset", "call"],
  ["builtins.bytearray", "call"],
  ["builtins.bytes", "call"],
  ["__builtin__.bytes", "call"],
  ["builtins.object", "type"],
  ["__builtin__.set", "call"],
  ["__builtin__.frozenset", "call"],
  ["__builtin__.bytearray", "call"],
  ["__builtin__.object", "type"],
  ["numpy.ndarray", "class"],
  ["numpy.record", "type"],
  ["numpy.core.records.recarray", "class"],
  ["numpy.recarray", "class"],
  ["numpy.chararray", "class"],
  ["numpy.core.defchararray.chararray", "class"],
  ["numpy.core.records.record", "type"],
  ["astropy.io.fits.fitsrec.FITS_rec", "class"],
  ["astropy.io.fits.column.ColDefs", "class"],
  ["astropy.io.fits.column.Column", "class"],
  ["astropy.io.fits.column._ColumnFormat", "class"],
  ["astropy.io.fits.column._AsciiColumnFormat", "class"],
  ["astropy.io.fits.column._FormatP", "class"],
  ["astropy.io.fits.column._FormatQ", "class"],
  ["astropy.io.fits.column._FormatX", "class"],
  ["astropy.io.fits.column._VLF", "class"],
  ["astropy.io.fits.column.Delayed", "class"],
  ["astropy.io.fits.column.ColumnAttribute", "class"],
]);

/** Whether `module.name` is a global this decoder accepts. */
export function isWhitelistedGlobal(module: string, name: string): boolean {
  return WHITELIST.has(`${canonicalModule(module)}.${name}`);
}

const utf8 = new TextDecoder("utf-8");

/** Options of {@linkcode runPickle}. */
export interface PickleVmOptions {
  /** Upper bound on the memo size (default: input length). */
  maxMemo?: number;
  /**
   * Payloads left out of `bytes` (`splitBase64Pickle` in `lazy_bytes.ts`): a `BINBYTES`/`BINBYTES8`/`BYTEARRAY8`
   * opcode at one of these positions pushes the stand-in, its payload is not in `bytes`.
   */
  holes?: ReadonlyMap<number, LazyBytes | Uint8Array>;
  /** Return the stack (an array) when the input ends before STOP, instead of failing (a pickle's prefix). */
  partial?: boolean;
  /** Signal and deadline of the decode, checked every 65536 opcodes. */
  budget?: DecodeBudget | undefined;
}

function err(msg: string): DecodeError {
  return new DecodeError("PICKLE", msg);
}

function opName(op: number): string {
  return `0x${op.toString(16).padStart(2, "0")}${
    op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : ""
  }`;
}

/** Decode a little-endian two's-complement integer (LONG1/LONG4); linear in its length (hex parse). */
function decodeLong(b: Uint8Array): number | bigint {
  const n = b.length;
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i];
    if (b[n - 1] & 0x80) v -= 2 ** (8 * n);
    return v;
  }
  const hex: string[] = new Array(n);
  for (let i = 0; i < n; i++) hex[n - 1 - i] = HEX2[b[i]];
  let v = BigInt("0x" + hex.join(""));
  if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function asString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return decodeLatin1(v);
  return undefined;
}

/**
 * Copies of already-decoded data (set(list), bytearray(bytes)) are charged to a budget proportional to the
 * input size, so memo references cannot amplify a small pickle into quadratic work.
 */
interface Budget {
  left: number;
}

function charge(budget: Budget, n: number): void {
  budget.left -= n;
  if (budget.left < 0) throw err("pickle copies more data than its size allows (amplification refused)");
}

/** Interpret REDUCE of a whitelisted callable. */
function callGlobal(g: PickleGlobal, args: unknown, budget: Budget): unknown {
  if (!Array.isArray(args)) throw err(`REDUCE arguments of ${g.module}.${g.name} are not a tuple`);
  const q = g.qualname;
  switch (q) {
    case "numpy.core.multiarray._reconstruct": {
      const cls = args[0];
      if (!(cls instanceof PickleGlobal) || WHITELIST.get(cls.qualname) !== "class") {
        throw err(`_reconstruct of a class that is not allowed: ${describe(cls)}`);
      }
      return new PickleObject(cls.qualname, []);
    }
    case "numpy.core.numeric._frombuffer": {
      // _frombuffer(buffer, dtype, shape, order) -> plain ndarray with the same state layout as BUILD gives.
      const [buf, dtype, shape, order] = args;
      if (!(buf instanceof Uint8Array) && !(buf instanceof LazyBytes)) {
        throw err("_frombuffer: buffer is not bytes");
      }
      const o = new PickleObject("numpy.ndarray", []);
      o.state = [1, shape, dtype, order === "F" || (order instanceof Uint8Array && order[0] === 70), buf];
      return o;
    }
    case "numpy.core.multiarray.scalar":
    case "numpy.dtype":
      return new PickleObject(q, args);
    case "_codecs.encode": {
      const s = args[0];
      const enc = String(asString(args[1]) ?? "").toLowerCase().replace(/[-_]/g, "");
      if (typeof s !== "string") throw err("_codecs.encode: first argument is not a str");
      if (enc !== "latin1" && enc !== "iso88591") {
        throw err(`_codecs.encode: unsupported encoding ${args[1]}`);
      }
      charge(budget, s.length);
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) throw err("_codecs.encode: character outside latin-1");
        out[i] = c;
      }
      return out;
    }
    case "copyreg._reconstructor":
    case "copy_reg._reconstructor": {
      // _reconstructor(cls, base, state): object.__new__(cls) for our inert classes.
      const cls = args[0];
      if (!(cls instanceof PickleGlobal) || WHITELIST.get(cls.qualname) !== "class") {
        throw err(`copyreg._reconstructor of a class that is not allowed: ${describe(cls)}`);
      }
      return new PickleObject(cls.qualname, args.slice(2));
    }
    case "builtins.set":
    case "__builtin__.set":
    case "builtins.frozenset":
    case "__builtin__.frozenset": {
      const items = args.length === 0 ? [] : iterableOf(args[0]);
      charge(budget, items.length);
      return new Set(items.map(hashKey));
    }
    case "builtins.bytearray":
    case "__builtin__.bytearray":
    case "builtins.bytes":
    case "__builtin__.bytes": {
      if (args.length === 0) return new Uint8Array(0);
      const a = args[0];
      if (a instanceof Uint8Array) {
        charge(budget, a.length);
        return a.slice();
      }
      if (Array.isArray(a)) {
        charge(budget, a.length);
        return Uint8Array.from(a, (x) => (typeof x === "number" && x >= 0 && x < 256 ? x : badByte()));
      }
      if (typeof a === "string" && (args[1] === "latin-1" || args[1] === "latin1")) {
        return callGlobal(new PickleGlobal("_codecs", "encode"), [a, "latin1"], budget);
      }
      throw err(`${q}: unsupported argument`);
    }
  }
  const kind = WHITELIST.get(q);
  if (kind === "class") return new PickleObject(q, args);
  throw err(`REDUCE of a global that may not be called: ${g.module}.${g.name}`);
}

function badByte(): never {
  throw err("bytearray(): item is not a byte");
}

function iterableOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.keys()];
  throw err("set(): argument is not iterable");
}

function describe(v: unknown): string {
  if (v instanceof PickleGlobal) return `${v.module}.${v.name}`;
  if (v instanceof PickleObject) return `<${v.className} object>`;
  if (v === null) return "None";
  if (Array.isArray(v)) return "tuple/list";
  return typeof v;
}

/**
 * Run the restricted VM over a complete pickle and return the object left by STOP.
 * Dicts are `Map`s, lists and tuples JS arrays, bytes/bytearray `Uint8Array` views into `bytes` (no copy),
 * ints `number` (or `bigint` beyond 2^53), whitelisted class instances {@linkcode PickleObject}s.
 */
export function runPickle(bytes: Uint8Array, options: PickleVmOptions = {}): unknown {
  const end = bytes.length;
  const maxMemo = options.maxMemo ?? end;
  const holes = options.holes;
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let memoNext = 0;
  const budget: Budget = { left: 4 * end + 65536 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decodeBudget = options.budget;
  let ops = 0;

  const need = (n: number, what: string): void => {
    if (n > end - pos) {
      throw err(`truncated pickle: ${what} at byte ${pos} needs ${n} bytes but only ${end - pos} remain`);
    }
  };
  const u8 = (): number => {
    need(1, "argument");
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2, "argument");
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, "argument");
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (what: string): number => {
    need(8, what);
    const lo = view.getUint32(pos, true);
    const hi = view.getUint32(pos + 4, true);
    pos += 8;
    // Anything ≥ 2^53 cannot fit in the remaining input anyway; keep it a number that fails `need`.
    return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const s = bytes.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const line = (what: string): string => {
    const nl = bytes.indexOf(10, pos);
    if (nl < 0) throw err(`truncated pickle: ${what} at byte ${pos} has no end of line`);
    const s = decodeLatin1(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw err(`stack underflow at byte ${pos - 1}`);
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw err(`stack underflow at byte ${pos - 1}`);
    }
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw err(`MARK missing at byte ${pos - 1}`);
    const items = stack.slice(m);
    stack.length = m;
    return items;
  };
  const memoPut = (idx: number, v: unknown): void => {
    if (!memo.has(idx) && memo.size >= maxMemo) throw err("memo too large");
    memo.set(idx, v);
  };
  const memoGet = (idx: number): unknown => {
    if (!memo.has(idx)) throw err(`memo key ${idx} missing at byte ${pos}`);
    return memo.get(idx);
  };
  const global = (module: string, name: string): PickleGlobal => {
    if (!isWhitelistedGlobal(module, name)) {
      throw err(`pickle references a global that is not allowed: ${module}.${name}`);
    }
    return new PickleGlobal(module, name);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof Map)) throw err(`SETITEM(S) on a non-dict (${describe(d)})`);
    if (items.length % 2 !== 0) throw err("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) d.set(hashKey(items[i]), items[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l)) throw err(`APPEND(S) on a non-list (${describe(l)})`);
    for (const it of items) l.push(it);
  };
  const newObj = (cls: unknown, args: unknown, kwargs?: unknown): PickleObject => {
    if (!(cls instanceof PickleGlobal)) throw err(`NEWOBJ of a non-class (${describe(cls)})`);
    const kind = WHITELIST.get(cls.qualname);
    if (kind !== "class") throw err(`NEWOBJ of a class that is not allowed: ${cls.module}.${cls.name}`);
    if (!Array.isArray(args)) throw err("NEWOBJ arguments are not a tuple");
    const o = new PickleObject(cls.qualname, args);
    if (kwargs instanceof Map && kwargs.size > 0) o.kwargs = kwargs;
    return o;
  };

  while (true) {
    if (pos >= end) {
      if (options.partial) return stack;
      throw err("truncated pickle: no STOP opcode");
    }
    if ((++ops & 0xffff) === 0) decodeBudget?.checkpoint();
    const op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) throw err(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: { // FRAME: framing is only an I/O hint; check the length and go on.
        const n = u64("FRAME");
        if (!options.partial) need(n, "FRAME");
        break;
      }
      case 0x2e: // STOP
        if (stack.length === 0) throw err("STOP with an empty stack");
        return stack[stack.length - 1];
      // ---- constants and numbers
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: { // BININT
        need(4, "BININT");
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      }
      case 0x8a: { // LONG1
        const n = u8();
        stack.push(decodeLong(take(n, "LONG1")));
        break;
      }
      case 0x8b: { // LONG4
        need(4, "LONG4");
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw err("LONG4 with a negative length");
        stack.push(decodeLong(take(n, "LONG4")));
        break;
      }
      case 0x47: { // BINFLOAT (big-endian double)
        need(8, "BINFLOAT");
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x49: { // INT (protocol 0; also True/False as I01/I00)
        const s = line("INT");
        if (s === "01") stack.push(true);
        else if (s === "00") stack.push(false);
        else {
          if (!/^[+-]?\d+$/.test(s)) throw err(`INT: bad literal '${s.slice(0, 40)}'`);
          const b = BigInt(s);
          stack.push(
            b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b,
          );
        }
        break;
      }
      case 0x46: { // FLOAT (protocol 0)
        const s = line("FLOAT");
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) throw err(`FLOAT: bad literal '${s.slice(0, 40)}'`);
        stack.push(v);
        break;
      }
      // ---- strings and bytes
      case 0x8c: { // SHORT_BINUNICODE
        const n = u8();
        stack.push(utf8.decode(take(n, "SHORT_BINUNICODE")));
        break;
      }
      case 0x58: { // BINUNICODE
        const n = u32();
        stack.push(utf8.decode(take(n, "BINUNICODE")));
        break;
      }
      case 0x8d: { // BINUNICODE8
        const n = u64("BINUNICODE8");
        stack.push(utf8.decode(take(n, "BINUNICODE8")));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        const n = u8();
        stack.push(take(n, "SHORT_BINBYTES"));
        break;
      }
      case 0x42: { // BINBYTES
        const hole = holes?.get(pos - 1);
        const n = u32();
        stack.push(hole ?? take(n, "BINBYTES"));
        break;
      }
      case 0x8e: { // BINBYTES8
        const hole = holes?.get(pos - 1);
        const n = u64("BINBYTES8");
        stack.push(hole ?? take(n, "BINBYTES8"));
        break;
      }
      case 0x96: { // BYTEARRAY8
        const hole = holes?.get(pos - 1);
        const n = u64("BYTEARRAY8");
        stack.push(hole ?? take(n, "BYTEARRAY8"));
        break;
      }
      case 0x55: { // SHORT_BINSTRING (Python 2 str; loaded as bytes like pickle.loads(encoding='bytes'))
        const n = u8();
        stack.push(take(n, "SHORT_BINSTRING"));
        break;
      }
      case 0x54: { // BINSTRING
        need(4, "BINSTRING");
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw err("BINSTRING with a negative length");
        stack.push(take(n, "BINSTRING"));
        break;
      }
      case 0x97: // NEXT_BUFFER: out-of-band buffers are never supplied
        throw err("NEXT_BUFFER: out-of-band pickle buffers are not supported");
      case 0x98: // READONLY_BUFFER
        top();
        break;
      // ---- containers
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw err("ADDITEMS on a non-set");
        for (const it of items) s.add(hashKey(it));
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark().map(hashKey)));
        break;
      // ---- stack and memo
      case 0x30: // POP
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x94: // MEMOIZE
        memoPut(memoNext++, top());
        break;
      case 0x71: // BINPUT
        memoPut(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32(), top());
        break;
      case 0x70: { // PUT
        const s = line("PUT");
        if (!/^\d+$/.test(s)) throw err("PUT: bad index");
        memoPut(Number(s), top());
        break;
      }
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: { // GET
        const s = line("GET");
        if (!/^\d+$/.test(s)) throw err("GET: bad index");
        stack.push(memoGet(Number(s)));
        break;
      }
      // ---- globals and objects
      case 0x63: { // GLOBAL
        const module = line("GLOBAL");
        const name = line("GLOBAL");
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof name !== "string" || typeof module !== "string") throw err("STACK_GLOBAL of non-strings");
        stack.push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        if (!(f instanceof PickleGlobal)) throw err(`REDUCE of a non-global (${describe(f)})`);
        stack.push(callGlobal(f, args, budget));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(newObj(cls, args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(newObj(cls, args, kwargs));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (!(obj instanceof PickleObject)) throw err(`BUILD on ${describe(obj)}`);
        obj.state = state;
        break;
      }
      default:
        throw err(`unsupported pickle opcode ${opName(op)} at byte ${pos - 1}`);
    }
  }
}

/**
 * Keys of dicts and members of sets: strings, numbers and bytes are compared by value in Python. JS Maps compare
 * objects by identity, so bytes keys are turned into latin-1 strings (numpy field dicts from Python 2 pickles).
 */
function hashKey(k: unknown): unknown {
  return k instanceof Uint8Array ? decodeLatin1(k) : k;
}
