/**
 * Generators of hostile inputs, one per class of issue #17 (bounded decoding, typed errors): each class makes
 * `count` cases from a seed and says how to decode one. Used by `fuzz_classes_test.ts`, which runs every class
 * in its own subprocess with a heap limit and a time limit (`_fuzz_class_worker.ts`).
 */
import { gzipSync } from "node:zlib";
import { encodeBase64 } from "../lib/data/base64.ts";
import { readEcsv } from "../lib/codecs/ecsv.ts";
import { readFits, writeFits } from "../lib/codecs/fits.ts";
import { toFitsHdu } from "../lib/products/fits_convert.ts";
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { parseJson } from "../lib/data/json.ts";
import { decodeNumpyPickle, decodeNumpyPickleBase64 } from "../lib/codecs/pickle.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { NumpyDataUnit } from "../lib/products/numpy_data_unit.ts";
import { ApiCatalog } from "../lib/products/api_catalog.ts";
import { mulberry32 } from "../lib/sandbox/faults.ts";
import { type DecodedBinarys, parseJsonBytes } from "../lib/codecs/response_stream.ts";
import { OdaError } from "../lib/errors.ts";
import { lightCurve } from "../lib/products/light_curve.ts";
import { skyImage } from "../lib/products/sky_image.ts";
import { wcsFromHeader } from "../lib/products/wcs.ts";
import { spectrumSets } from "../lib/products/spectrum_ogip.ts";
import { extractCatalog, toDs9Regions } from "../lib/products/extract_catalog.ts";
import { dataProductBundle } from "../lib/display/bundles.ts";

const enc = new TextEncoder();

// ------------------------------------------------------------------ a tiny pickle writer (protocol 4)

/** Pickle opcodes as a byte list, built value by value. */
export class PickleWriter {
  readonly out: number[] = [0x80, 4];
  global(module: string, name: string): this {
    this.out.push(0x63, ...enc.encode(`${module}\n${name}\n`));
    return this;
  }
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(v), true);
      this.out.push(0x4a, ...b);
      return this;
    }
    // LONG1: little-endian two's complement
    const bytes: number[] = [];
    let x = v;
    do {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    } while (
      !(x === 0n && (bytes[bytes.length - 1] & 0x80) === 0) &&
      !(x === -1n && (bytes[bytes.length - 1] & 0x80) !== 0)
    );
    this.out.push(0x8a, bytes.length, ...bytes);
    return this;
  }
  str(s: string): this {
    const b = enc.encode(s);
    this.out.push(
      0x58,
      b.length & 0xff,
      (b.length >> 8) & 0xff,
      (b.length >> 16) & 0xff,
      b.length >>> 24,
      ...b,
    );
    return this;
  }
  bytes(b: Uint8Array): this {
    this.out.push(0x42, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24);
    for (const x of b) this.out.push(x);
    return this;
  }
  none(): this {
    this.out.push(0x4e);
    return this;
  }
  bool(v: boolean): this {
    this.out.push(v ? 0x88 : 0x89);
    return this;
  }
  /** MARK, the items, TUPLE. */
  tuple(items: () => void): this {
    this.out.push(0x28);
    items();
    this.out.push(0x74);
    return this;
  }
  /** EMPTY_DICT, MARK, key/value pairs, SETITEMS. */
  dict(items: () => void): this {
    this.out.push(0x7d, 0x28);
    items();
    this.out.push(0x75);
    return this;
  }
  reduce(): this {
    this.out.push(0x52);
    return this;
  }
  build(): this {
    this.out.push(0x62);
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array([...this.out, 0x2e]);
  }
}

/** A simple dtype (`'f8'`, `'V0'`, `'U0'`...), optionally a sub-array of `shape`. */
interface DtypeSpec {
  code: string;
  order?: string;
  elsize?: number;
  subarray?: { base: DtypeSpec; shape: (number | bigint)[] };
  fields?: { name: string; dtype: DtypeSpec; offset: number }[];
}

function writeDtype(w: PickleWriter, d: DtypeSpec): void {
  w.global("numpy", "dtype").tuple(() => w.str(d.code).bool(false).bool(true)).reduce();
  w.tuple(() => {
    w.int(3).str(d.order ?? "|");
    if (d.subarray) {
      const sub = d.subarray;
      w.tuple(() => {
        writeDtype(w, sub.base);
        w.tuple(() => sub.shape.forEach((n) => w.int(n)));
      });
    } else w.none();
    if (d.fields) {
      w.tuple(() => d.fields!.forEach((f) => w.str(f.name)));
      w.dict(() => {
        for (const f of d.fields!) {
          w.str(f.name);
          w.tuple(() => {
            writeDtype(w, f.dtype);
            w.int(f.offset);
          });
        }
      });
    } else w.none().none();
    w.int(d.elsize ?? -1).int(1).int(d.fields ? 16 : 0);
  }).build();
}

/** `numpy.ndarray` of `dtype` and `shape` over `data`, as numpy pickles it. */
export function ndarrayPickle(dtype: DtypeSpec, shape: (number | bigint)[], data: Uint8Array): Uint8Array {
  const w = new PickleWriter();
  w.global("numpy.core.multiarray", "_reconstruct").tuple(() => {
    w.global("numpy", "ndarray").tuple(() => w.int(0)).bytes(new Uint8Array([0x62]));
  }).reduce();
  w.tuple(() => {
    w.int(1).tuple(() => shape.forEach((n) => w.int(n)));
    writeDtype(w, dtype);
    w.bool(false).bytes(data);
  }).build();
  return w.done();
}

// ------------------------------------------------------------------ FITS builders

const card = (s: string) => s.padEnd(80, " ");
function block(cards: string[]): Uint8Array {
  const text = [...cards, "END"].map(card).join("");
  return enc.encode(text.padEnd(Math.ceil(text.length / 2880) * 2880, " "));
}
const kv = (k: string, v: string | number | boolean) =>
  `${k.padEnd(8)}= ${
    typeof v === "string"
      ? `'${v}'`.padEnd(20)
      : typeof v === "boolean"
      ? (v ? "T" : "F").padStart(20)
      : String(v).padStart(20)
  }`;

function pad(b: Uint8Array, fill = 0): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.length / 2880) * 2880).fill(fill);
  out.set(b);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const PRIMARY = block([kv("SIMPLE", true), kv("BITPIX", 8), kv("NAXIS", 0), kv("EXTEND", true)]);

/** A BINTABLE extension from header cards (after the mandatory ones) and its data (rows, then heap). */
export function binTable(
  rowBytes: number,
  rows: number,
  cols: { tform: string; ttype: string; tdim?: string }[],
  data: Uint8Array,
  pcount = 0,
): Uint8Array {
  const cards = [
    kv("XTENSION", "BINTABLE"),
    kv("BITPIX", 8),
    kv("NAXIS", 2),
    kv("NAXIS1", rowBytes),
    kv("NAXIS2", rows),
    kv("PCOUNT", pcount),
    kv("GCOUNT", 1),
    kv("TFIELDS", cols.length),
  ];
  cols.forEach((c, i) => {
    cards.push(kv(`TTYPE${i + 1}`, c.ttype), kv(`TFORM${i + 1}`, c.tform));
    if (c.tdim) cards.push(kv(`TDIM${i + 1}`, c.tdim));
  });
  return concat(PRIMARY, block(cards), pad(data));
}

// ------------------------------------------------------------------ classes

/** One hostile class: cases from a seed, and the decode to run on each. */
export interface HostileClass {
  /** What the class attacks. */
  about: string;
  /** Cases (any serialisable-in-memory values) for `seed`. */
  cases(seed: number, count: number): unknown[];
  /** Decode one case: must end in a value or an `OdaError`. */
  decode(c: unknown): unknown;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const bigDim = (r: () => number) =>
  pick(r, [0, 1, 3, 1000, 65536, 1e6, 1e9, 2 ** 31 - 1, 2 ** 40, 2 ** 53 - 1]);

function zeroSizePickle(r: () => number): Uint8Array {
  const zero = pick(r, ["V0", "S0", "U0"]);
  const shape = Array.from({ length: 1 + Math.floor(r() * 3) }, () => bigDim(r));
  const rows = pick(r, [1, 10, 1000, 100000]);
  if (r() < 0.3) {
    // a plain array of zero-size elements: no bytes at all
    return ndarrayPickle({ code: zero }, [rows, ...shape], new Uint8Array(0));
  }
  const sub: DtypeSpec = { code: "V0", subarray: { base: { code: zero }, shape } };
  const fields = [{ name: "z", dtype: sub, offset: 0 }, {
    name: "b",
    dtype: { code: "i2", order: "<" },
    offset: 0,
  }];
  return ndarrayPickle({ code: "V2", elsize: 2, fields }, [rows], new Uint8Array(rows * 2));
}

function sharedHeapFits(r: () => number): Uint8Array {
  const rows = pick(r, [10, 1000, 20000, 60000]);
  const count = pick(r, [1, 100, 10000, 1 << 20]);
  const heapBytes = Math.min(count * 4, 1 << 20);
  const code = pick(r, ["PJ", "PE", "PA", "QD", "PB"]);
  const esize = { J: 4, E: 4, A: 1, D: 8, B: 1 }[code[1]]!;
  const q = code[0] === "Q";
  const rowBytes = q ? 16 : 8;
  const n = Math.min(count, Math.floor(heapBytes / esize));
  const data = new Uint8Array(rows * rowBytes + heapBytes);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < rows; i++) {
    // every row points at the same heap bytes
    if (q) {
      dv.setBigInt64(i * 16, BigInt(n));
      dv.setBigInt64(i * 16 + 8, 0n);
    } else {
      dv.setInt32(i * 8, n);
      dv.setInt32(i * 8 + 4, 0);
    }
  }
  return binTable(rowBytes, rows, [{ tform: `1${code}(${n})`, ttype: "V" }], data, heapBytes);
}

function zeroWidthTdimFits(r: () => number): Uint8Array {
  const rows = pick(r, [1, 100, 5000]);
  const dims = [0, ...Array.from({ length: 1 + Math.floor(r() * 3) }, () => bigDim(r))];
  const tdim = `(${dims.join(",")})`;
  const data = new Uint8Array(rows * 4);
  return binTable(4, rows, [{ tform: "0A", ttype: "S", tdim }, { tform: "1J", ttype: "N" }], data);
}

let gzMember: Uint8Array | undefined;
function gzipBomb(r: () => number): Uint8Array {
  // one gzip member of 8 MiB of zeros (~8 kB), repeated: members concatenate on inflation
  gzMember ??= gzipSync(new Uint8Array(1 << 23), { level: 9 });
  const members = pick(r, [1, 4, 16, 64]);
  const head = block([
    kv("SIMPLE", true),
    kv("BITPIX", 8),
    kv("NAXIS", 1),
    kv("NAXIS1", members * (1 << 23)),
  ]);
  return concat(gzipSync(head), ...Array.from({ length: members }, () => gzMember!));
}

function ecsvHostile(r: () => number): string {
  const head = (cols: string) => `# %ECSV 1.0\n# ---\n# datatype:\n${cols}# schema: astropy-2.0\n`;
  switch (Math.floor(r() * 6)) {
    case 0: { // a declared shape, one masked row: nothing to check, everything to allocate
      const shape = Array.from({ length: 1 + Math.floor(r() * 3) }, () => bigDim(r)).join(",");
      return head(`# - {name: a, datatype: string, subtype: 'float64[${shape}]'}\n`) + 'a\n""\n';
    }
    case 1: { // deep variable-length arrays
      const depth = pick(r, [2, 100, 10000, 200000]);
      return head(`# - {name: a, datatype: string, subtype: 'int64[null]'}\n`) +
        `a\n"${"[".repeat(depth)}1${"]".repeat(depth)}"\n`;
    }
    case 2: { // int64 cells with fractions, NaN, Infinity, strings, objects
      const v = pick(r, ["1.5", "NaN", "Infinity", '""x""', "{}", "1e300", "9223372036854775808", "-1"]);
      return head(`# - {name: a, datatype: string, subtype: 'int64[2]'}\n`) + `a\n"[1,${v}]"\n`;
    }
    case 3: { // json subtype with malformed or deep cells
      const cell = pick(r, ["{", "[1,", '{""a"": NaN}', "[".repeat(50000), "nan", '{""toString"": 1}']);
      return head(`# - {name: a, datatype: string, subtype: json}\n`) + `a\n"${cell}"\n`;
    }
    case 4: { // int columns with fractions
      const t = pick(r, ["int32", "uint8", "int16"]);
      return head(`# - {name: a, datatype: string, subtype: '${t}[2]'}\n`) + `a\n"[1.5,2]"\n`;
    }
    default: { // many rows of a declared shape
      const per = pick(r, [10, 1000, 100000]);
      const rows = Array.from({ length: 200 }, () => '""').join("\n");
      return head(`# - {name: a, datatype: string, subtype: 'float64[${per},${per}]'}\n`) + `a\n${rows}\n`;
    }
  }
}

function jsonPlaceholders(r: () => number): string {
  // NaN plus many spellings of the internal NaN placeholder (-0e-0999, -0e-00999, ...) and exponents
  const k = pick(r, [10, 300, 1500]); // with growing zero runs the text is about k²/2 characters
  const parts: string[] = ["NaN"];
  const zeros = r() < 0.5;
  for (let i = 0; i < k; i++) parts.push(zeros ? `-0e-${"0".repeat(i)}999` : `-0e-${999 + i}`);
  return `[${parts.join(",")}]`;
}

function listDataUnit(r: () => number): Record<string, unknown> {
  const dt = pick(r, ["int16", "int64", "uint64", "float64", "int32", "bool", "<U3", "uint8"]);
  let data: string;
  switch (Math.floor(r() * 5)) {
    case 0: {
      const d = pick(r, [2, 70, 5000, 200000]);
      data = "[".repeat(d) + "1" + "]".repeat(d);
      break;
    }
    case 1:
      data = `[1, ${pick(r, ["1.5", "NaN", "Infinity", "-Infinity", "1e300", "18446744073709551616"])}]`;
      break;
    case 2:
      data = `[[1, 2], [${pick(r, ['"x"', "{}", '{"toString": 1}', "[3]", "null", "true"])}, 4]]`;
      break;
    case 3:
      data = `[[1, 2], [3]]`;
      break;
    default:
      data = `[${Array.from({ length: 1000 }, (_, i) => i).join(", ")}]`;
  }
  return { name: "u", hdu_type: "image", data, dt, binarys: null, header: {}, meta_data: {} };
}

function asciiIntFits(r: () => number): Uint8Array {
  if (r() < 0.5) {
    // BITPIX 64 image with a fractional (or huge) BLANK
    const blank = pick(r, ["1.5", "-0.5", "1E300", "7"]);
    const head = block([
      kv("SIMPLE", true),
      kv("BITPIX", 64),
      kv("NAXIS", 1),
      kv("NAXIS1", 4),
      `BLANK   = ${blank.padStart(20)}`,
      kv("BSCALE", 2),
    ]);
    return concat(head, pad(new Uint8Array(32)));
  }
  const cell = pick(r, ["Infinity", "     nan", "     1.5", " 1E3", "-Inf", "99999999999999999999", "  42"]);
  const width = 20;
  const tform = pick(r, ["I20", "J20", "I8", "I4"]);
  const w = Number(tform.slice(1));
  const row = cell.slice(0, w).padStart(w).padEnd(width);
  const head = block([
    kv("XTENSION", "TABLE"),
    kv("BITPIX", 8),
    kv("NAXIS", 2),
    kv("NAXIS1", width),
    kv("NAXIS2", 2),
    kv("PCOUNT", 0),
    kv("GCOUNT", 1),
    kv("TFIELDS", 1),
    kv("TTYPE1", "N"),
    kv("TFORM1", tform),
    kv("TBCOL1", 1),
  ]);
  return concat(PRIMARY, head, pad(enc.encode(row + row), 32));
}

/** Objects whose conversions to primitives throw or lie. */
function hostileObject(r: () => number): unknown {
  return pick(r, [
    { toString: 1, valueOf: 1 },
    {
      toString() {
        throw new Error("toString");
      },
    },
    {
      [Symbol.toPrimitive]() {
        throw new Error("toPrimitive");
      },
    },
    Object.create(null),
    { valueOf: () => ({}), toString: () => ({}) },
    [{ toString: 1 }],
  ]);
}

function hostileResponse(r: () => number): Record<string, unknown> {
  const h = () => hostileObject(r);
  const products: Record<string, unknown> = {};
  const where = Math.floor(r() * 7);
  if (where === 0) {
    products.catalog = {
      cat_column_list: [[1, 2], [h(), 3]],
      cat_column_names: [h(), "ra"],
      cat_column_descr: [[h(), "<f8"]],
      cat_lat_name: "ra",
      cat_lon_name: h(),
      cat_coord_units: "deg",
    };
  } else if (where === 1) {
    const unit = { ...listDataUnit(r), header: { OBJECT: h(), LIST: [h(), 1], TSTART: h() } };
    products.numpy_data_product_list = r() < 0.5
      ? [{ name: h(), meta_data: h(), data_unit_list: [unit, h()] }]
      : [{ name: "p", meta_data: { src_name: h() }, data_unit_list: [unit] }];
  } else if (where === 2) {
    products.analysis_parameters = { src_name: h(), T1: h(), E1_keV: h(), token: h() };
    products.numpy_data_product_list = [{
      data_unit_list: [{ name: h(), binarys: "gASVAAAA", hdu_type: h() }],
    }];
  } else if (where === 3) {
    products.text_product_list = [{ name: h(), value: h(), meta_data: h() }, h()];
    products.binary_image_product_list = [{ name: h(), b64data: h() }];
  } else if (where === 4) {
    products.astropy_table_product_ascii_list = [{ name: h(), ascii: h(), meta_data: h() }];
    products.binary_data_product_list = [{ data: h(), md5: h() }];
  } else if (where === 5) {
    products.gw_skymap_product = { skymaps: { e: { data_unit_list: [h()] } }, contours: h() };
  } else {
    products.numpy_data_product = h();
  }
  return {
    query_status: "done",
    exit_status: { status: 0, message: h(), error_message: h() },
    job_monitor: { job_id: h(), status: h() },
    products,
  };
}

/** Every class of the issue, by name. */
export const HOSTILE_CLASSES: Record<string, HostileClass> = {
  "pickle-zero-size": {
    about: "numpy structured dtypes with V0/S0/U0 fields over huge sub-array shapes",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => zeroSizePickle(r));
    },
    decode: (c) => {
      const b = c as Uint8Array;
      const b64 = encodeBase64(b);
      // the streaming response path (binarys decoded while the answer arrives) ends the same way
      const streamed = (parseJsonBytes(`{"binarys": "${b64}"}`) as { binarys: DecodedBinarys }).binarys;
      let first: unknown;
      try {
        decodeNumpyPickle(b);
      } catch (e) {
        first = e;
      }
      const code = (e: unknown) => (e instanceof OdaError ? e.code : e === undefined ? "value" : String(e));
      if (code(first) !== code(streamed.error)) {
        throw new Error(`streamed decode ended in ${code(streamed.error)}, plain decode in ${code(first)}`);
      }
      return decodeNumpyPickleBase64(b64);
    },
  },
  "fits-zero-width-tdim": {
    about: "FITS TFORM 0A with a huge TDIM",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => zeroWidthTdimFits(r));
    },
    decode: (c) => readFits(c as Uint8Array),
  },
  "fits-shared-heap": {
    about: "FITS variable-length columns whose rows all point at the same heap bytes",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => sharedHeapFits(r));
    },
    decode: (c) => readFits(c as Uint8Array),
  },
  "fits-gzip-bomb": {
    about: ".fits.gz inflating to far more than the input",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => gzipBomb(r));
    },
    decode: (c) => readFits(c as Uint8Array),
  },
  "ecsv-shapes-and-cells": {
    about: "ECSV declared shapes, deep variable-length arrays, int64 fractions, json subtypes",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => ecsvHostile(r));
    },
    decode: (c) => readEcsv(c as string),
  },
  "json-nan-placeholders": {
    about: "NaN plus many spellings of the NaN placeholder (once quadratic)",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => jsonPlaceholders(r));
    },
    decode: (c) => {
      const v = parseJson(c as string) as number[];
      if (!Number.isNaN(v[0]) || v.slice(1).some((x) => !Object.is(x, -0))) throw new Error("wrong values");
      return v;
    },
  },
  "list-data-units": {
    about: "list-encoded numpy data units: deep nesting, non-integers for integer dtypes, objects",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => listDataUnit(r));
    },
    decode: (c) => NumpyDataUnit.decode(c as Record<string, unknown>),
  },
  "fits-ascii-int-and-blank": {
    about: "FITS ASCII integer columns holding Infinity/nan/fractions; BITPIX 64 with a fractional BLANK",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => asciiIntFits(r));
    },
    decode: (c) => readFits(c as Uint8Array),
  },
  "hostile-objects": {
    about: "response fields that are objects with hostile valueOf/toString",
    cases: (seed, n) => {
      const r = mulberry32(seed);
      return Array.from({ length: n }, () => hostileResponse(r));
    },
    decode: (c) => {
      const data = DataCollection.fromResponseJson(c, { instrument: "x", product: "y" });
      data.showText();
      data.asList();
      for (const p of data) {
        if (p instanceof ApiCatalog) p.table.toTable();
        if (p instanceof NumpyDataProduct) {
          // the product helpers and the display on what the response made (issue #17, h17b): an OdaError
          // from one of them is fine, anything else escapes
          const typed = (f: () => unknown) => {
            try {
              f();
            } catch (e) {
              if (!(e instanceof OdaError)) throw e;
            }
          };
          typed(() => lightCurve(p));
          typed(() => skyImage(p));
          typed(() => spectrumSets([p], [p.name ?? ""]));
          typed(() => dataProductBundle(p));
          for (const du of p.data_unit) typed(() => wcsFromHeader(du.header));
          writeFits(p.data_unit.map((du, i) => toFitsHdu(du, i === 0)));
        }
        if (p instanceof ApiCatalog) {
          const cat = p;
          for (const f of [() => extractCatalog(cat), () => toDs9Regions(cat)]) {
            try {
              f();
            } catch (e) {
              if (!(e instanceof OdaError)) throw e;
            }
          }
        }
      }
      return data;
    },
  },
};
