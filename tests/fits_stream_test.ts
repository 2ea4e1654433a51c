/**
 * `readFitsFile` streams a big last binary table (rows read in chunks and gathered into the columns while the
 * next chunk is read): it must give exactly what the ordinary reader gives on the same bytes, agree with
 * astropy, and fall back (same values, same errors) for every file it does not stream.
 */
import assert from "node:assert/strict";
import { runPython, testWithTool } from "./_validators.ts";
import { readFits } from "../lib/codecs/fits/read.ts";
import { readFitsFile } from "../lib/codecs/fits/read_file.ts";
import { writeFits, writeFitsFile } from "../lib/codecs/fits/write.ts";
import { openFitsFile } from "../lib/codecs/fits/open.ts";
import type { FitsHduInput } from "../lib/codecs/fits/hdu.ts";
import type { NdArray, Table } from "../lib/data/ndarray.ts";
import { DecodeError } from "../lib/errors.ts";

const N = 300_000;

function bigTable(n = N): Table {
  const time = Float64Array.from({ length: n }, (_, i) => 6263.5 + i / 8640);
  time[7] = NaN;
  const rate = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
  rate[3] = NaN;
  rate[4] = -Infinity;
  return {
    kind: "table",
    length: n,
    columns: [
      { name: "TIME", dtype: ">f8", shape: [], values: time, unit: "d" },
      { name: "RATE", dtype: ">f4", shape: [], values: rate },
      {
        name: "COUNTS",
        dtype: ">i4",
        shape: [],
        values: Int32Array.from({ length: n }, (_, i) => i * 7 - 5),
      },
      {
        name: "CHAN",
        dtype: ">u2",
        shape: [],
        values: Uint16Array.from({ length: n }, (_, i) => (i * 13) % 65536),
      },
      {
        name: "FLAG",
        dtype: "|b1",
        shape: [],
        values: Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0),
      },
      {
        name: "BIG",
        dtype: ">i8",
        shape: [],
        values: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) << 33n),
      },
      {
        name: "VEC",
        dtype: ">f4",
        shape: [3],
        values: Float32Array.from({ length: 3 * n }, (_, i) => i / 3),
      },
      {
        name: "CPX",
        dtype: ">c16",
        shape: [],
        values: Float64Array.from({ length: 2 * n }, (_, i) => i - 0.5),
      },
      { name: "BYTE", dtype: "|u1", shape: [], values: Uint8Array.from({ length: n }, (_, i) => i & 255) },
    ],
  };
}

async function tmpWith(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".fits" });
  await Deno.writeFile(path, bytes);
  return path;
}

/** Run `f` and count the calls to Deno.readFile it makes (the ordinary path reads the whole file). */
async function countingReadFile<T>(f: () => Promise<T>): Promise<{ value: T; wholeReads: number }> {
  const orig = Deno.readFile;
  let wholeReads = 0;
  (Deno as unknown as { readFile: typeof Deno.readFile }).readFile = ((...a: Parameters<typeof orig>) => {
    wholeReads++;
    return orig(...a);
  }) as typeof Deno.readFile;
  try {
    return { value: await f(), wholeReads };
  } finally {
    (Deno as unknown as { readFile: typeof Deno.readFile }).readFile = orig;
  }
}

async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `not a DecodeError: ${e}`);
    return `DecodeError: ${(e as Error).message}`;
  }
}

Deno.test("streamed read of a big last table equals the ordinary reader, bit for bit", async () => {
  const bytes = writeFits([{ header: { TELESCOP: "INTEGRAL" } }, { name: "LC", data: bigTable() }]);
  assert.ok(bytes.length > 4 << 20);
  const path = await tmpWith(bytes);
  try {
    const { value, wholeReads } = await countingReadFile(() => readFitsFile(path));
    assert.equal(wholeReads, 0, "the big table was not streamed");
    const ordinary = readFits(bytes);
    assert.deepStrictEqual(value.map((h) => h.data), ordinary.map((h) => h.data));
    assert.deepStrictEqual(
      value.map((h) => [h.name, h.type, [...h.header.keys()]]),
      ordinary.map((h) => [
        h.name,
        h.type,
        [...h.header.keys()],
      ]),
    );
    const t = value[1].data as Table;
    assert.deepStrictEqual(
      t.columns.map((c) => c.dtype),
      ordinary[1].data && (ordinary[1].data as Table).columns.map((c) => c.dtype),
    );
    // the streamed TIME column keeps NaN, RATE keeps -Infinity
    assert.ok(Number.isNaN((t.columns[0].values as Float64Array)[7]));
    assert.equal((t.columns[1].values as Float32Array)[4], -Infinity);
  } finally {
    await Deno.remove(path);
  }
});

/** `a` then `b` in one new array (a spread of a 10 MB file into a JS array took seconds). */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

Deno.test("files that are not streamed read the ordinary way: same values, same errors", async () => {
  const table = bigTable();
  const image: NdArray = {
    kind: "ndarray",
    dtype: ">f4",
    shape: [10, 20],
    values: new Float32Array(200).fill(2),
  };
  const good = writeFits([{}, { name: "LC", data: table }, { type: "image", data: image }]); // table not last
  const lcOnly = writeFits([{}, { name: "LC", data: table }]);
  const variants: [string, Uint8Array, boolean][] = [
    ["table followed by an image", good, true],
    ["trailing garbage", concat(lcOnly, new Uint8Array(2880).fill(65)), true],
    ["trailing zero block", concat(lcOnly, new Uint8Array(2880)), true],
    ["truncated inside the table", lcOnly.subarray(0, lcOnly.length - 100_000), true],
    ["truncated header", lcOnly.subarray(0, 2880 + 100), true],
  ];
  for (const [what, bytes] of variants) {
    const path = await tmpWith(bytes);
    try {
      const got = await outcome(async () => (await readFitsFile(path)).map((h) => h.data));
      const exp = await outcome(() => Promise.resolve(readFits(bytes).map((h) => h.data)));
      assert.deepStrictEqual(got, exp, what);
    } finally {
      await Deno.remove(path);
    }
  }
});

testWithTool("streamed read agrees with astropy", "astropy", async () => {
  const bytes = writeFits([{}, { name: "LC", data: bigTable() }]);
  const path = await tmpWith(bytes);
  try {
    const t = (await readFitsFile(path))[1].data as Table;
    const py = JSON.parse(
      await runPython(
        `import sys, json, numpy as np
from astropy.io import fits
d = fits.getdata(sys.argv[1], 1)
rows = [0, 1, 4, 299999]
print(json.dumps({n: [repr(x.real if isinstance(x, complex) else x) for x in np.asarray(d[n])[rows].reshape(len(rows), -1)[:, 0].tolist()] for n in d.names}))`,
        { args: [path] },
      ),
    ) as Record<string, string[]>;
    for (const c of t.columns) {
      const per = c.shape.length ? c.shape.reduce((a, b) => a * b, 1) : c.dtype.endsWith("c16") ? 2 : 1;
      [0, 1, 4, 299999].forEach((r, k) => {
        const v = (c.values as ArrayLike<number | bigint>)[r * per];
        const exp = py[c.name][k];
        if (c.dtype === "|b1") assert.equal(Number(v) === 1, exp === "True", c.name);
        else assert.equal(Number(v), Number(exp === "nan" ? NaN : exp === "-inf" ? -Infinity : exp), c.name);
      });
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("writeFitsFile (chunks converted while the previous one is written) = writeFits, byte for byte", async () => {
  const image: NdArray = {
    kind: "ndarray",
    dtype: ">f8",
    shape: [1100, 1000],
    values: Float64Array.from({ length: 1_100_000 }, (_, i) => i * 0.5 - 3),
  };
  const hdus = [{ header: { OBJECT: "Crab" } }, { name: "LC", data: bigTable() }, {
    type: "image" as const,
    data: image,
  }];
  const path = await Deno.makeTempFile({ suffix: ".fits" });
  try {
    await writeFitsFile(path, hdus, { overwrite: true });
    const got = await Deno.readFile(path);
    const exp = writeFits(hdus);
    assert.ok(exp.length > 12 << 20);
    assert.equal(got.length, exp.length);
    assert.ok(got.every((b, i) => b === exp[i]), "file bytes differ from writeFits");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("big images are read into arrays of their own, swapped as they are read: the same as readFits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda_fits_images_" });
  try {
    const side = 1100; // 4.8 MB per float32 image: over the 4 MiB piece, so images span several pieces
    const img = (k: number, dtype: string, values: NdArray["values"]): FitsHduInput => ({
      type: "image",
      name: `IMG${k}`,
      header: { BUNIT: "count" },
      data: { kind: "ndarray", dtype, shape: [side, side], values },
    });
    const hdus: FitsHduInput[] = [
      { header: { TELESCOP: "INTEGRAL" } },
      img(1, ">f4", Float32Array.from({ length: side * side }, (_, i) => Math.sin(i) * 1e3)),
      img(2, ">i2", Int16Array.from({ length: side * side }, (_, i) => (i * 37) % 30000 - 15000)),
      img(3, ">f8", Float64Array.from({ length: side * side }, (_, i) => i / 3)),
      img(4, "|u1", Uint8Array.from({ length: side * side }, (_, i) => i & 255)),
      { name: "T", data: bigTable(20) },
    ];
    const path = `${dir}/images.fits`;
    await writeFitsFile(path, hdus);
    const want = readFits(await Deno.readFile(path));
    const got = await readFitsFile(path);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.deepEqual(
        got[i].header.toDict?.() ?? got[i].header,
        want[i].header.toDict?.() ?? want[i].header,
      );
      const a = got[i].data, b = want[i].data;
      if (a?.kind === "ndarray" && b?.kind === "ndarray") {
        assert.equal(a.dtype, b.dtype);
        assert.deepEqual(a.shape, b.shape);
        const bytes = (v: NdArray["values"]) =>
          new Uint8Array(
            (v as Uint8Array).buffer,
            (v as Uint8Array).byteOffset,
            (v as Uint8Array).byteLength,
          );
        assert.deepEqual(bytes(a.values), bytes(b.values), `HDU ${i} pixels`);
        assert.equal(
          (a.values as Uint8Array).buffer.byteLength,
          (a.values as Uint8Array).byteLength,
          `HDU ${i}: own buffer`,
        );
      } else assert.deepEqual(a, b);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openFitsFile: headers at once, each HDU's data when asked for (read then, from the file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oda_fits_open_" });
  try {
    const side = 64;
    const pixels = Float32Array.from({ length: side * side }, (_, i) => i);
    const hdus: FitsHduInput[] = [
      { header: { TELESCOP: "INTEGRAL" } },
      {
        type: "image",
        name: "A",
        data: { kind: "ndarray", dtype: ">f4", shape: [side, side], values: pixels },
      },
      { name: "RATE", data: bigTable(1000) },
      {
        type: "image",
        name: "B",
        data: { kind: "ndarray", dtype: ">f4", shape: [side, side], values: pixels },
      },
    ];
    const path = `${dir}/open.fits`;
    await writeFitsFile(path, hdus);
    const want = await readFitsFile(path);
    const f = await openFitsFile(path);
    try {
      assert.deepEqual(
        f.hdus.map((h) => [h.index, h.name, h.type]),
        want.map((h) => [h.index, h.name, h.type]),
      );
      for (const h of f.hdus) assert.equal(h.header.get("NAXIS"), want[h.index].header.get("NAXIS"));
      for (const i of [2, 1, 0]) assert.deepEqual(await f.data(i), want[i].data);
      // asked for at once: the reads share one handle, each still gets its own HDU's bytes
      const all = await Promise.all([3, 2, 1, 0].map((i) => f.data(i)));
      assert.deepEqual(all, [3, 2, 1, 0].map((i) => want[i].data));
      // the data of B is read when asked for: change its first pixel on disk after opening
      const bytes = await Deno.readFile(path);
      const where = bytes.length - 2880 * Math.ceil((side * side * 4) / 2880);
      new DataView(bytes.buffer).setFloat32(where, 12345, false);
      await Deno.writeFile(path, bytes);
      const b = await f.data(3);
      assert.ok(b?.kind === "ndarray" && b.values[0] === 12345 && b.values[1] === 1);
      await assert.rejects(() => f.data(9), /no HDU 9/);
    } finally {
      f.close();
    }
    // gzip: read whole, served from memory
    const gz = `${dir}/open.fits.gz`;
    await writeFitsFile(gz, hdus);
    const g = await openFitsFile(gz);
    assert.deepEqual(await g.data(2), want[2].data);
    g.close();
    // a truncated file fails at open with the offset
    await Deno.writeFile(`${dir}/cut.fits`, (await Deno.readFile(path)).subarray(0, 2880 * 3));
    await assert.rejects(() => openFitsFile(`${dir}/cut.fits`), DecodeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
