// The WebAssembly SIMD byte swap (lib/data/_swap_simd.ts) against the scalar loop it replaces: every lane size on
// random bytes at odd lengths and unaligned offsets, then every BITPIX and every table column type read from
// FITS bytes and files (the chunked big-file path too) and the recorded fixtures, SIMD on vs off, byte for byte.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { mulberry32 as rng } from "../lib/sandbox/faults.ts";
import { setSimdSwap, simdSwapAvailable } from "../lib/data/_swap_simd.ts";
import { type NdArray, swapBytesInPlace, type Table, type TableColumn } from "../lib/data/ndarray.ts";
import {
  type FitsHdu,
  type FitsHduInput,
  readFits,
  readFitsFile,
  writeFits,
  writeFitsFile,
} from "../fits.ts";

const FIXTURES = new URL("./fixtures/oda_api/tests/test_data/", import.meta.url);

/** Run `f` with the scalar loop (SIMD off), then restore. */
function scalar<T>(f: () => T): T {
  setSimdSwap(false);
  try {
    return f();
  } finally {
    setSimdSwap(true);
  }
}

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function asBytes(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  if (Array.isArray(v)) return v.map(asBytes);
  return v;
}

/** Everything read from the HDUs' data, as bytes (typed arrays) or values. */
function dump(hdus: FitsHdu[]): unknown[] {
  return hdus.map((h) => {
    const d = h.data;
    if (!d) return null;
    if (d.kind === "ndarray") return { dtype: d.dtype, shape: d.shape, bytes: asBytes(d.values) };
    return (d as Table).columns.map((c) => ({
      name: c.name,
      dtype: c.dtype,
      shape: c.shape,
      v: asBytes(c.values),
    }));
  });
}

/** Equal dumps, failing with the first difference (a diff of megabytes of bytes would take minutes). */
function sameDump(a: unknown, b: unknown, where: string): void {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    strictEqual(a.length, b.length, `${where}: length`);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) strictEqual(a[i], b[i], `${where}: byte ${i}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    strictEqual(a.length, b.length, `${where}: length`);
    a.forEach((x, i) => sameDump(x, b[i], `${where}[${i}]`));
    return;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    deepStrictEqual(ka, Object.keys(b), where);
    for (const k of ka) {
      sameDump((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
    }
    return;
  }
  deepStrictEqual(a, b, where);
}

Deno.test("SIMD swap is available in Deno and equals a byte-reversal reference and the scalar loop", () => {
  ok(simdSwapAvailable(), "WebAssembly SIMD should compile in Deno");
  const src = randomBytes(40_000 + 37, 1);
  for (const lane of [2, 4, 8]) {
    for (const n of [0, 1, 7, 500, 511, 512, 513, 1000, 16_383, 16_384, 16_385, 16_448, 40_000]) {
      for (const at of [0, 1, 3, 5, 7]) {
        const simd = src.slice();
        const view = simd.subarray(at, at + n);
        swapBytesInPlace(view, lane);
        const flat = src.slice();
        scalar(() => swapBytesInPlace(flat.subarray(at, at + n), lane));
        // independent reference: reverse each whole lane, leave the tail and everything outside untouched
        const ref = src.slice();
        const whole = n - (n % lane);
        for (let s = at; s < at + whole; s += lane) {
          for (let k = 0; k < lane; k++) ref[s + k] = src[s + lane - 1 - k];
        }
        const tag = `lane ${lane}, n ${n}, offset ${at}`;
        sameDump(simd, ref, tag);
        sameDump(flat, ref, tag);
      }
    }
  }
});

/** Images of every BITPIX (odd sizes, random bits, scaled and pseudo-unsigned too) and a table of every column type. */
function sample(rows: number): FitsHduInput[] {
  const r = rng(19);
  const rand = (n: number) => randomBytes(n, Math.floor(r() * 1e9)).buffer;
  const nd = (dtype: string, shape: number[], values: NdArray["values"]): NdArray => ({
    kind: "ndarray",
    dtype,
    shape,
    values,
  });
  const n = 37 * 29;
  // float bits at random include signalling NaNs: they must come back with every bit
  const images: FitsHduInput[] = [
    { type: "image", name: "U8", data: nd("|u1", [37, 29], new Uint8Array(rand(n))) },
    { type: "image", name: "I8", data: nd("|i1", [37, 29], new Int8Array(rand(n))) },
    { type: "image", name: "I16", data: nd(">i2", [37, 29], new Int16Array(rand(2 * n))) },
    { type: "image", name: "U16", data: nd("<u2", [37, 29], new Uint16Array(rand(2 * n))) },
    { type: "image", name: "I32", data: nd(">i4", [37, 29], new Int32Array(rand(4 * n))) },
    { type: "image", name: "U32", data: nd("<u4", [37, 29], new Uint32Array(rand(4 * n))) },
    { type: "image", name: "I64", data: nd(">i8", [37, 29], new BigInt64Array(rand(8 * n))) },
    { type: "image", name: "U64", data: nd("<u8", [37, 29], new BigUint64Array(rand(8 * n))) },
    { type: "image", name: "F32", data: nd(">f4", [37, 29], new Float32Array(rand(4 * n))) },
    { type: "image", name: "F64", data: nd(">f8", [37, 29], new Float64Array(rand(8 * n))) },
    {
      type: "image",
      name: "SCALED",
      header: { BSCALE: 0.5, BZERO: 3 },
      data: nd(">i2", [n], new Int16Array(rand(2 * n))),
    },
  ];
  const col = (name: string, dtype: string, shape: number[], values: TableColumn["values"]): TableColumn => ({
    name,
    dtype,
    shape,
    values,
  });
  const table: Table = {
    kind: "table",
    length: rows,
    columns: [
      col("FLAG", "|b1", [], Uint8Array.from({ length: rows }, () => (r() < 0.5 ? 1 : 0))),
      col("BYTE", "|u1", [], new Uint8Array(rand(rows))),
      col("SBYTE", "|i1", [], new Int8Array(rand(rows))),
      col("SHORT", ">i2", [], new Int16Array(rand(2 * rows))),
      col("USHORT", "<u2", [], new Uint16Array(rand(2 * rows))),
      col("INT", ">i4", [], new Int32Array(rand(4 * rows))),
      col("UINT", "<u4", [], new Uint32Array(rand(4 * rows))),
      col("LONG", ">i8", [], new BigInt64Array(rand(8 * rows))),
      col("RATE", ">f4", [], new Float32Array(rand(4 * rows))),
      col("TIME", ">f8", [], new Float64Array(rand(8 * rows))),
      col("NAME", "<U5", [], Array.from({ length: rows }, (_, i) => `s${i % 997}`)),
      col("CPLX", "<c8", [], new Float32Array(rand(8 * rows))),
      col("DCPLX", "<c16", [], new Float64Array(rand(16 * rows))),
      col("VEC", "<f4", [3], new Float32Array(rand(12 * rows))),
      col("MAT", "<f8", [2, 3], new Float64Array(rand(48 * rows))),
      col("IMAT", "<i2", [3, 3], new Int16Array(rand(18 * rows))),
      col("JVEC", "<i4", [5], new Int32Array(rand(20 * rows))),
      {
        name: "VLAJ",
        dtype: "|O",
        shape: [],
        variableLength: true,
        values: Array.from({ length: rows }, (_, i) => new Int32Array(rand(4 * (i % 5)))),
      },
      {
        name: "VLAD",
        dtype: "|O",
        shape: [],
        variableLength: true,
        values: Array.from({ length: rows }, (_, i) => new Float64Array(rand(8 * (i % 3)))),
      },
    ],
  };
  return [...images, { type: "bintable", name: "ALLCOLS", data: table }];
}

Deno.test("FITS bytes of every BITPIX and column type read the same with the SIMD swap as with the scalar loop", () => {
  const bytes = writeFits(sample(1001));
  const simd = dump(readFits(bytes));
  const flat = scalar(() => dump(readFits(bytes)));
  sameDump(simd, flat, "bytes");
  // unaligned: the same file one byte into a bigger buffer (copies swapped, not in place)
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  sameDump(dump(readFits(shifted.subarray(1))), flat, "unaligned bytes");
});

function fixedWidth(t: Table): Table {
  return { ...t, columns: t.columns.filter((c) => !c.variableLength && ArrayBuffer.isView(c.values)) };
}

Deno.test("FITS files (the chunked big-file path, streamed table rows) and fixtures read the same SIMD on or off", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda_fits_swap_" });
  try {
    // ≥ 4 MiB: images read apart in pieces and swapped piece by piece; odd sizes so the pieces end mid-image
    const r = rng(5);
    const big = (n: number) => randomBytes(n, Math.floor(r() * 1e9)).buffer;
    const path = `${dir}/big.fits`;
    const hdus: FitsHduInput[] = [
      {
        data: {
          kind: "ndarray",
          dtype: ">i2",
          shape: [1001, 1003],
          values: new Int16Array(big(2 * 1001 * 1003)),
        },
      },
      {
        type: "image",
        data: {
          kind: "ndarray",
          dtype: ">f8",
          shape: [301, 2003],
          values: new Float64Array(big(8 * 301 * 2003)),
        },
      },
      // fixed-width numeric columns only, ≥ 4 MiB of rows: the last HDU's rows are streamed into the columns
      { type: "bintable", name: "ROWS", data: fixedWidth(sample(30_001).at(-1)!.data as Table) },
    ];
    await writeFitsFile(path, hdus);
    ok((await Deno.stat(path)).size > 8 << 20);
    const simd = dump(await readFitsFile(path));
    setSimdSwap(false);
    let flat: unknown[];
    try {
      flat = dump(await readFitsFile(path));
    } finally {
      setSimdSwap(true);
    }
    sameDump(simd, flat, "file");
    strictEqual(simd.length, 3);
    for (const f of ["lc.fits", "1E_1740_7_2942_isgri_mosaic_clean_significance25_40.fits.gz"]) {
      const url = new URL(f, FIXTURES);
      const a = dump(await readFitsFile(url));
      setSimdSwap(false);
      try {
        sameDump(a, dump(await readFitsFile(url)), f);
      } finally {
        setSimdSwap(true);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FITS streamed table rows: an 8-byte column read in one loop with three 4-byte ones keeps every bit", async () => {
  // the light curve's layout (TIME D + three E, 20-byte rows) and an unaligned one (29-byte rows: the 8-byte
  // column read with the run of three is a K at offset 1, the D after them goes alone), each with ≥ 4 MiB of rows
  // (streamed from the file) at odd row counts and random bits (signalling NaNs, NaN payloads, -0)
  const dir = await Deno.makeTempDir({ prefix: "oda_fits_fused_" });
  try {
    const r = rng(23);
    const bits = (n: number) => randomBytes(n, Math.floor(r() * 1e9)).buffer as ArrayBuffer;
    const layouts: [string, string][][] = [
      [["TIME", ">f8"], ["RATE", ">f4"], ["ERROR", ">f4"], ["FRACEXP", ">f4"]],
      [["FLAG", "|u1"], ["K", ">i8"], ["J", ">i4"], ["E1", ">f4"], ["E2", ">f4"], ["D", ">f8"]],
    ];
    for (const [i, layout] of layouts.entries()) {
      const width = layout.reduce((s, [, d]) => s + Number(d.slice(2)), 0);
      const rows = Math.ceil((4 << 20) / width) + 2 * i + 1;
      const make: Record<string, (b: ArrayBuffer) => TableColumn["values"]> = {
        "|u1": (b) => new Uint8Array(b),
        ">i4": (b) => new Int32Array(b),
        ">f4": (b) => new Float32Array(b),
        ">i8": (b) => new BigInt64Array(b),
        ">f8": (b) => new Float64Array(b),
      };
      const columns: TableColumn[] = layout.map(([name, dtype]) => ({
        name,
        dtype,
        shape: [],
        values: make[dtype](bits(rows * Number(dtype.slice(2)))),
      }));
      const path = `${dir}/t${i}.fits`;
      await writeFitsFile(path, [{
        type: "bintable",
        name: "ROWS",
        data: { kind: "table", length: rows, columns },
      }]);
      const fromFile = (await readFitsFile(path)).at(-1)!.data as Table;
      const fromBytes = (readFits(await Deno.readFile(path))).at(-1)!.data as Table;
      strictEqual(fromFile.length, rows);
      for (const [k, c] of columns.entries()) {
        const want = asBytes(c.values);
        sameDump(asBytes(fromFile.columns[k].values), want, `layout ${i} ${c.name} (file)`);
        sameDump(asBytes(fromBytes.columns[k].values), want, `layout ${i} ${c.name} (bytes)`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
