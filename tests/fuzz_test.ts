/**
 * Hostile input: mutate the shared fixtures (pickles, FITS, ECSV, JSON
 * responses, catalogs) with fixed seeds and check that every case ends in a
 * value or a typed `OdaError` — never another exception, a hang, a huge
 * allocation, prototype pollution, or an object outside the pickle whitelist.
 *
 * The budget is fixed (over 10,000 cases) so CI runs the same cases every
 * time; a failure prints the target, seed and case number to replay it.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { decodeBase64 } from "../lib/data/base64.ts";
import { readEcsv } from "../lib/codecs/ecsv.ts";
import { readFits } from "../lib/codecs/fits.ts";
import { parseJson } from "../lib/data/json.ts";
import { decodeNumpyPickle, decodeNumpyPickleBase64, decodePickle } from "../lib/codecs/pickle.ts";
import { encodeBase64 } from "../lib/data/base64.ts";
import { encodeNumpyPickle } from "../lib/codecs/pickle_encode.ts";
import { isWhitelistedGlobal, PickleGlobal, PickleObject } from "../lib/codecs/pickle/vm.ts";
import { OdaError } from "../lib/errors.ts";
import type { DecodeOptions } from "../lib/codecs/budget.ts";
import { getLogger } from "../lib/log.ts";
import { ApiCatalog } from "../lib/products/api_catalog.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { mulberry32 as rng } from "../lib/sandbox/faults.ts";

// Decoders warn about oddities (trailing bytes...) through the logger: keep the fuzz output readable.
getLogger("oda_api").setLevel("CRITICAL");

const FIX = new URL("./fixtures/", import.meta.url);
const readText = (p: string) => Deno.readTextFileSync(new URL(p, FIX));
const readBytes = (p: string) => Deno.readFileSync(new URL(p, FIX));

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x2e, 0x28, 0x94, 0x95, 0x8c, 0x62];

/** One random structural mutation of a byte string. */
function mutateBytes(src: Uint8Array, r: () => number): Uint8Array {
  const n = src.length;
  const at = () => Math.floor(r() * Math.max(1, n));
  const kind = Math.floor(r() * 8);
  const b = new Uint8Array(src);
  switch (kind) {
    case 0: { // bit flips
      for (let k = 0, m = 1 + Math.floor(r() * 4); k < m; k++) b[at()] ^= 1 << Math.floor(r() * 8);
      return b;
    }
    case 1: // interesting byte
      b[at()] = INTERESTING[Math.floor(r() * INTERESTING.length)];
      return b;
    case 2: // truncate
      return src.slice(0, at());
    case 3: { // huge little/big-endian length words
      const i = at();
      const v = [0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x0f];
      for (let k = 0; k < 8 && i + k < n; k++) b[i + k] = v[k];
      return b;
    }
    case 4: { // duplicate a chunk
      const i = at(), len = Math.min(64, n - i);
      const out = new Uint8Array(n + len);
      out.set(src.subarray(0, i + len));
      out.set(src.subarray(i, i + len), i + len);
      out.set(src.subarray(i + len), i + 2 * len);
      return out;
    }
    case 5: { // delete a chunk
      const i = at(), len = Math.min(1 + Math.floor(r() * 32), n - i);
      const out = new Uint8Array(n - len);
      out.set(src.subarray(0, i));
      out.set(src.subarray(i + len), i);
      return out;
    }
    case 6: { // insert random bytes
      const i = at(), len = 1 + Math.floor(r() * 8);
      const out = new Uint8Array(n + len);
      out.set(src.subarray(0, i));
      for (let k = 0; k < len; k++) out[i + k] = Math.floor(r() * 256);
      out.set(src.subarray(i), i + len);
      return out;
    }
    default: { // swap two bytes far apart
      const i = at(), j = at();
      [b[i], b[j]] = [b[j], b[i]];
      return b;
    }
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

/** Text mutation: byte-level, plus tokens that stress JSON/ECSV readers. */
function mutateText(src: string, r: () => number): string {
  if (r() < 0.35) {
    const tokens = [
      "NaN",
      "-Infinity",
      "Infinity",
      '"__proto__"',
      '{"__proto__": {"polluted": 1}}',
      "null",
      "[[[[[[[[",
      "]]]]",
      '"\\ud800"',
      "1e999",
      "-0",
      "\u0000",
      "\ufffd",
      "# ---",
      "# %ECSV 1.0",
      "\n",
      '"',
      "'",
    ];
    const i = Math.floor(r() * src.length);
    const t = tokens[Math.floor(r() * tokens.length)];
    return r() < 0.5 ? src.slice(0, i) + t + src.slice(i) : src.slice(0, i) + t + src.slice(i + t.length);
  }
  return dec.decode(mutateBytes(enc.encode(src), r));
}

/** Walk a decoded value and check every pickle object/global is on the whitelist. */
function assertWhitelisted(v: unknown, seen = new Set<unknown>(), depth = 0): void {
  if (v === null || typeof v !== "object" || seen.has(v) || depth > 200) return;
  seen.add(v);
  if (v instanceof PickleGlobal) {
    assert(isWhitelistedGlobal(v.module, v.name), `non-whitelisted global ${v.module}.${v.name}`);
    return;
  }
  if (v instanceof PickleObject) {
    const dot = v.className.lastIndexOf(".");
    assert(
      isWhitelistedGlobal(v.className.slice(0, dot), v.className.slice(dot + 1)),
      `non-whitelisted object ${v.className}`,
    );
    for (const a of v.args) assertWhitelisted(a, seen, depth + 1);
    assertWhitelisted(v.state, seen, depth + 1);
    return;
  }
  if (ArrayBuffer.isView(v)) return;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      assertWhitelisted(k, seen, depth + 1);
      assertWhitelisted(x, seen, depth + 1);
    }
    return;
  }
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) assertWhitelisted(x, seen, depth + 1);
    return;
  }
  for (const x of Object.values(v as Record<string, unknown>)) assertWhitelisted(x, seen, depth + 1);
}

interface Stats {
  cases: number;
  values: number;
  errors: number;
}

/**
 * Each case runs with the decoders' own deadline this far ahead: a case that reaches it (a `TIMEOUT`) is a hang
 * the budget let through, and fails. Generous: no speed target (those live in bench/hostile_bench.ts).
 */
const HANG_MS = 30_000;

/**
 * Run `count` mutated cases of one target (`decode` gets the options to pass on: the hang deadline); any
 * non-OdaError, a case ending at the hang deadline, or pollution fails the test.
 */
function fuzz<T>(
  name: string,
  seed: number,
  count: number,
  corpus: T[],
  mutate: (x: T, r: () => number) => T,
  decode: (x: T, options: DecodeOptions) => unknown,
): Stats {
  const r = rng(seed);
  const stats: Stats = { cases: 0, values: 0, errors: 0 };
  for (let i = 0; i < count; i++) {
    let input = corpus[i % corpus.length];
    const rounds = 1 + Math.floor(r() * 3);
    for (let k = 0; k < rounds; k++) input = mutate(input, r);
    try {
      decode(input, { deadline: Date.now() + HANG_MS });
      stats.values++;
    } catch (e) {
      if (!(e instanceof OdaError)) {
        throw new Error(
          `${name} seed=${seed} case=${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
          { cause: e },
        );
      }
      assert(
        e.code !== "TIMEOUT",
        `${name} seed=${seed} case=${i}: ran into its ${HANG_MS} ms hang deadline`,
      );
      stats.errors++;
    }
    assertEquals(
      ({} as Record<string, unknown>).polluted,
      undefined,
      `${name} case=${i}: prototype polluted`,
    );
    stats.cases++;
  }
  return stats;
}

// ---------------------------------------------------------------- corpora

function numpyProductFiles(): string[] {
  return [
    "oda_api/generated/numpy_image_be_int16.json",
    "oda_api/generated/numpy_image_le_float64.json",
    "oda_api/generated/numpy_fitsrec_lc.json",
    "oda_api/generated/numpy_fitsrec_variable_length.json",
    "oda_api/generated/numpy_recarray_lc.json",
  ];
}

function pickleCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of numpyProductFiles()) {
    const obj = parseJson(readText(f)) as Record<string, unknown>;
    const product = (typeof obj === "string" ? parseJson(obj) : obj) as { data_unit_list?: unknown[] };
    for (const u of product.data_unit_list ?? []) {
      const unit = (typeof u === "string" ? parseJson(u) : u) as { binarys?: string | null };
      if (unit.binarys) out.push(decodeBase64(unit.binarys));
    }
  }
  const p5 = parseJson(readText("oda_api/generated/numpy_image_be_int16_pickle_protocol5_dataunit.json")) as {
    binarys: string;
  };
  out.push(decodeBase64(p5.binarys));
  assert(out.length >= 6, "pickle corpus");
  return out;
}

const SMALL_RESPONSES = [
  "oda_api/generated/synthetic_run_analysis_done_response.json",
  "dispatcher-transcripts/run_analysis-empty-numerical-catalog.json",
  "dispatcher-transcripts/run_analysis-empty-echo-units.json",
  "dispatcher-transcripts/run_analysis-empty-structured.json",
  "dispatcher-transcripts/run_analysis-empty-dummy-done.json",
];

// ---------------------------------------------------------------- tests

Deno.test("fuzz: mutated numpy pickles → value or typed error, whitelist only (4000 cases)", () => {
  const corpus = pickleCorpus();
  const s1 = fuzz("pickle/numpy", 1, 2500, corpus, mutateBytes, (b, o) => decodeNumpyPickle(b, o));
  const s2 = fuzz(
    "pickle/generic",
    2,
    1500,
    corpus,
    mutateBytes,
    (b, o) => assertWhitelisted(decodePickle(b, o)),
  );
  assert(s1.errors > 0 && s2.values + s2.errors === 1500);
});

Deno.test("fuzz: big (lazy-path) base64 pickles, mutated as text (300 cases)", () => {
  // Payloads of 1 MiB or more take the streaming base64 → column path; mutate the text around and inside it.
  const rows = 80_000;
  const table = {
    kind: "table" as const,
    length: rows,
    columns: [
      {
        name: "TIME",
        dtype: ">f8",
        shape: [],
        values: Float64Array.from({ length: rows }, (_, i) => i * 0.5),
      },
      { name: "RATE", dtype: ">f4", shape: [], values: new Float32Array(rows).fill(3) },
      { name: "FLAG", dtype: ">i2", shape: [], values: new Int16Array(rows) },
    ],
  };
  const image = {
    kind: "ndarray" as const,
    dtype: "<f4",
    shape: [512, 600],
    values: new Float32Array(512 * 600),
  };
  const texts = [encodeBase64(encodeNumpyPickle(table)), encodeBase64(encodeNumpyPickle(image))];
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const mutate = (t: string, r: () => number): string => {
    const k = Math.floor(r() * 5);
    // Most mutations near the start, where the pickle's opcodes and the dtype live.
    const at = Math.floor(r() < 0.7 ? r() * 400 : r() * t.length);
    if (k === 0) return t.slice(0, at) + B64[Math.floor(r() * 64)] + t.slice(at + 1);
    if (k === 1) return t.slice(0, at);
    if (k === 2) return t.slice(0, at) + t.slice(at + 4);
    if (k === 3) return t.slice(0, at) + "=" + t.slice(at + 1);
    return t.slice(0, at) + "AAAA" + t.slice(at);
  };
  const s = fuzz("pickle/base64-lazy", 9, 300, texts, mutate, (t, o) => decodeNumpyPickleBase64(t, o));
  assert(s.values > 0 && s.errors > 0, JSON.stringify(s));
});

Deno.test("fuzz: mutated FITS files (2000 cases)", () => {
  const lc = readBytes("oda_api/tests/test_data/lc.fits");
  const corpus = [lc];
  const s = fuzz("fits", 3, 2000, corpus, mutateBytes, (b, o) => readFits(b, o));
  assert(s.errors > 0, "some mutations must be rejected");
});

Deno.test("fuzz: mutated gzip FITS (100 cases, big inflated size)", () => {
  const gz = readBytes("oda_api/tests/test_data/1E_1740_7_2942_isgri_mosaic_clean_significance25_40.fits.gz");
  fuzz("fits.gz", 4, 100, [gz], mutateBytes, (b, o) => readFits(b, o));
});

Deno.test("fuzz: mutated ECSV tables (1500 cases)", () => {
  const ascii =
    (parseJson(readText("oda_api/generated/astropy_table_ascii.json")) as { ascii: string }).ascii;
  const nb = parseJson(readText("oda_api/related/dispatcher-plugin-nb2workflow/tests/responses/table.json"));
  const texts = [ascii];
  const find = (v: unknown): void => {
    if (typeof v === "string" && v.includes("%ECSV")) texts.push(v);
    else if (v && typeof v === "object") { for (const x of Object.values(v)) find(x); }
  };
  find(nb);
  const s = fuzz("ecsv", 5, 1500, texts, mutateText, (t, o) => readEcsv(t, o));
  assert(s.values > 0 && s.errors > 0);
});

Deno.test("fuzz: mutated JSON responses through DataCollection (2500 cases)", () => {
  const texts = SMALL_RESPONSES.map(readText);
  fuzz("response", 6, 2500, texts, mutateText, (t, o) => {
    const json = parseJson(t);
    return DataCollection.fromResponseJson(json, { instrument: "empty", product: "numerical", ...o });
  });
});

Deno.test("fuzz: mutated numpy product JSON through NumpyDataProduct.decode (600 cases)", () => {
  const texts = numpyProductFiles().map(readText);
  fuzz("product", 7, 600, texts, mutateText, (t, o) => NumpyDataProduct.decode(parseJson(t) as never, o));
});

Deno.test("fuzz: catalog dictionaries with wrong types (500 cases)", () => {
  const base = parseJson(readText("oda_api/generated/catalog_get_api_dictionary.json")) as unknown;
  const dict = (typeof base === "string" ? parseJson(base) : base) as Record<string, unknown>;
  const weird = [null, 1, -1, "x", [], {}, [[]], [null], NaN, Infinity, { __proto__: { polluted: 1 } }, [
    1e308,
  ]];
  const r = rng(8);
  const cases: Record<string, unknown>[] = [];
  for (let i = 0; i < 500; i++) {
    const d: Record<string, unknown> = structuredClone(dict);
    const keys = Object.keys(d);
    for (let k = 0, m = 1 + Math.floor(r() * 3); k < m; k++) {
      const key = keys[Math.floor(r() * keys.length)];
      const v = d[key];
      if (Array.isArray(v) && v.length && r() < 0.5) {
        (v as unknown[])[Math.floor(r() * v.length)] = weird[Math.floor(r() * weird.length)];
      } else d[key] = weird[Math.floor(r() * weird.length)];
    }
    cases.push(d);
  }
  let i = 0;
  fuzz("catalog", 8, 500, cases, (x) => x, () => {
    const cat = ApiCatalog.fromCatalogDict(cases[i++]);
    return cat.getApiDictionary();
  });
});

// ------------------------------------------------------------ targeted cases

function pickleOf(...parts: (number | number[] | Uint8Array)[]): Uint8Array {
  const bytes: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") bytes.push(p);
    else bytes.push(...p);
  }
  return new Uint8Array(bytes);
}

function assertTyped(f: () => unknown, code?: string): void {
  try {
    f();
  } catch (e) {
    assert(e instanceof OdaError, `expected OdaError, got ${e}`);
    if (code) assertEquals(e.code, code);
    return;
  }
}

Deno.test("hostile pickles: huge lengths, forbidden globals, deep nesting, prototype keys", () => {
  const before = Deno.memoryUsage().rss;
  // BINBYTES8 / BINUNICODE8 / BYTEARRAY8 declaring 2^60 bytes: rejected before allocation.
  for (const op of [0x8e, 0x8d, 0x96]) {
    assertTyped(() => decodePickle(pickleOf(0x80, 5, op, [0, 0, 0, 0, 0, 0, 0, 0x10], 0x2e)), "PICKLE");
  }
  // BINBYTES (4-byte length 0x7fffffff) and LONG4 with a huge length.
  assertTyped(() => decodePickle(pickleOf(0x80, 4, 0x42, [0xff, 0xff, 0xff, 0x7f], 0x2e)), "PICKLE");
  assertTyped(() => decodePickle(pickleOf(0x80, 2, 0x8b, [0xff, 0xff, 0xff, 0x7f], 0x2e)), "PICKLE");
  assert(Deno.memoryUsage().rss - before < 256 * 1024 * 1024, "no huge allocation");

  // Forbidden globals, protocol 2 GLOBAL and protocol 4 STACK_GLOBAL.
  const global = (m: string, n: string) => pickleOf(0x80, 2, 0x63, [...enc.encode(`${m}\n${n}\n`)], 0x2e);
  for (
    const [m, n] of [["os", "system"], ["builtins", "eval"], ["subprocess", "Popen"], ["posix", "system"]]
  ) {
    let threw = false;
    try {
      decodePickle(global(m, n));
    } catch (e) {
      threw = true;
      assert(e instanceof OdaError && e.code === "PICKLE" && e.message.includes(`${m}`), String(e));
    }
    assert(threw, `${m}.${n} must be refused`);
  }
  const su = (s: string) => [0x8c, s.length, ...enc.encode(s)];
  assertTyped(() => decodePickle(pickleOf(0x80, 4, su("os"), su("system"), 0x93, 0x2e)), "PICKLE");

  // Deep nesting: 200k nested EMPTY_LIST/APPEND must not overflow the JS stack.
  const depth = 200_000;
  const deep = new Uint8Array(3 + depth * 2 + 1);
  deep.set([0x80, 4, 0x5d]);
  for (let i = 0; i < depth; i++) deep.set([0x5d, 0x61], 3 + i * 2);
  deep[deep.length - 1] = 0x2e;
  assertTyped(() => decodePickle(deep));
  assertTyped(() => decodeNumpyPickle(deep));

  // Dict with __proto__ / constructor keys: plain data, no pollution.
  const d = decodePickle(
    pickleOf(
      0x80,
      4,
      0x7d,
      su("__proto__"),
      0x7d,
      su("polluted"),
      0x4b,
      1,
      0x73,
      0x73,
      su("constructor"),
      0x4b,
      2,
      0x73,
      0x2e,
    ),
  );
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assert(d instanceof Map || typeof d === "object");

  // Memo abuse: BINGET of a missing index, LONG_BINPUT with a huge index.
  assertTyped(() => decodePickle(pickleOf(0x80, 4, 0x68, 9, 0x2e)), "PICKLE");
  assertTyped(() => decodePickle(pickleOf(0x80, 4, 0x4e, 0x72, [0xff, 0xff, 0xff, 0x7f], 0x2e)));
  // Unknown opcode and empty input.
  assertTyped(() => decodePickle(pickleOf(0x80, 4, 0xfa, 0x2e)), "PICKLE");
  assertTyped(() => decodePickle(new Uint8Array()), "PICKLE");
  // Non-UTF-8 in BINUNICODE: a typed error or a replacement, never a crash.
  assertTyped(() => decodePickle(pickleOf(0x80, 4, 0x8c, 2, 0xc3, 0x28, 0x2e)));
});

Deno.test("hostile JSON: NaN/Infinity only outside strings, deep nesting, prototype keys", () => {
  assertEquals(parseJson('{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN Infinity"}'), {
    a: NaN,
    b: [Infinity, -Infinity],
    c: "NaN Infinity",
  });
  for (const bad of ["NaNa", "[Infinit]", "{NaN: 1}", '{"a": -NaN}', "[1,]", '"\\x"', "nan", "{", ""]) {
    assertTyped(() => parseJson(bad), "JSON");
  }
  assertTyped(() => parseJson("[".repeat(100_000) + "]".repeat(100_000)));
  const p = parseJson(
    '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}',
  ) as Record<
    string,
    unknown
  >;
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assert(Object.prototype.hasOwnProperty.call(p, "__proto__") || p !== null);
  // A response whose products are the wrong types ends in a typed error or an empty collection.
  for (
    const products of ['{"numpy_data_product_list": 5}', '{"catalog": "x"}', '{"text_product_list": [null]}']
  ) {
    assertTyped(() =>
      DataCollection.fromResponseJson(parseJson(`{"query_status": "done", "products": ${products}}`), {
        instrument: "x",
        product: "y",
      })
    );
  }
});

Deno.test("hostile FITS: huge NAXIS, negative sizes, garbage headers", () => {
  const card = (s: string) => s.padEnd(80, " ");
  const header = (cards: string[]) => {
    const text = [...cards, "END"].map(card).join("");
    return enc.encode(text.padEnd(Math.ceil(text.length / 2880) * 2880, " "));
  };
  const huge = header([
    "SIMPLE  =                    T",
    "BITPIX  =                  -64",
    "NAXIS   =                    2",
    "NAXIS1  =           2000000000",
    "NAXIS2  =           2000000000",
  ]);
  const before = Deno.memoryUsage().rss;
  assertTyped(() => readFits(huge), "FITS");
  assertTyped(() =>
    readFits(header([
      "SIMPLE  =                    T",
      "BITPIX  =                   16",
      "NAXIS   =                    1",
      "NAXIS1  =                  -10",
    ])), "FITS");
  assertTyped(
    () => readFits(header(["SIMPLE  =                    T", "BITPIX  =                   12"])),
    "FITS",
  );
  assertTyped(() => readFits(enc.encode("not a fits file at all".padEnd(2880, "\0"))), "FITS");
  assertTyped(() => readFits(new Uint8Array(100)), "FITS");
  assert(Deno.memoryUsage().rss - before < 256 * 1024 * 1024, "no huge allocation");
});
