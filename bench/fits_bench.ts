/**
 * FITS codec benchmark: write and read a mosaic-size file (4 image HDUs of 2000×2000 float32, 64 MB) and a
 * 1e6-row light curve, compared with writing/reading the same number of raw bytes (Deno.writeFile /
 * Deno.readFile of a same-size buffer) in the same run. Target: ≤ 2× the raw floor.
 *
 * Run: `deno run -A bench/fits_bench.ts [--rounds N]` (reports the best of N rounds; FITS and raw runs are
 * interleaved so both see the same machine load).
 */
import { type FitsHduInput, readFits, readFitsFile, writeFits, writeFitsFile } from "../lib/codecs/fits.ts";

const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1]) || 7;

/** Best (minimum) time over the rounds: the least disturbed run on a shared machine. */
async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  return (await pair(fn, () => {}))[0];
}

/** Time two operations interleaved round by round (so both see the same machine load); best of each. */
async function pair(
  a: () => unknown | Promise<unknown>,
  b: () => unknown | Promise<unknown>,
): Promise<[number, number]> {
  let ta = Infinity;
  let tb = Infinity;
  for (let i = 0; i < rounds; i++) {
    let t0 = performance.now();
    await a();
    ta = Math.min(ta, performance.now() - t0);
    t0 = performance.now();
    await b();
    tb = Math.min(tb, performance.now() - t0);
  }
  return [ta, tb];
}

function mosaic(): FitsHduInput[] {
  const hdus: FitsHduInput[] = [{ header: { TELESCOP: "INTEGRAL", INSTRUME: "IBIS" } }];
  for (const name of ["INTENSITY", "VARIANCE", "SIGNIFICANCE", "EXPOSURE"]) {
    const values = new Float32Array(2000 * 2000);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 1e-3) * 100 + (i % 97);
    hdus.push({
      type: "image",
      name,
      header: { CTYPE1: "RA---TAN", CTYPE2: "DEC--TAN" },
      data: { kind: "ndarray", dtype: "<f4", shape: [2000, 2000], values },
    });
  }
  return hdus;
}

function lightCurve(n: number): FitsHduInput[] {
  const time = new Float64Array(n);
  const rate = new Float32Array(n);
  const err = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = 5000 + i * 1e-3;
    rate[i] = 10 + Math.sin(i / 100);
    err[i] = 0.5;
  }
  return [{}, {
    name: "RATE",
    data: {
      kind: "table",
      length: n,
      columns: [
        { name: "TIME", dtype: ">f8", shape: [], values: time, unit: "d" },
        { name: "RATE", dtype: ">f4", shape: [], values: rate, unit: "count/s" },
        { name: "ERROR", dtype: ">f4", shape: [], values: err, unit: "count/s" },
      ],
    },
  }];
}

const dir = await Deno.makeTempDir({ prefix: "oda_fits_bench_" });
const rows: string[][] = [];
const fmt = (x: number) => x.toFixed(1);

async function scenario(label: string, hdus: FitsHduInput[]): Promise<void> {
  const path = `${dir}/${label}.fits`;
  const rawPath = `${dir}/${label}.raw`;
  const bytes = writeFits(hdus);
  const mb = bytes.length / 1e6;
  const raw = new Uint8Array(bytes.length);
  raw.fill(7);
  const encode = await time(() => writeFits(hdus));
  const decode = await time(() => readFits(bytes));
  const [writeF, writeRaw] = await pair(
    () => writeFitsFile(path, hdus, { overwrite: true }),
    () => Deno.writeFile(rawPath, raw),
  );
  const [readF, readRaw] = await pair(() => readFitsFile(path), () => Deno.readFile(rawPath));
  rows.push([label, "encode (bytes)", fmt(encode), fmt(mb / (encode / 1000)), "", ""]);
  rows.push([label, "decode (bytes)", fmt(decode), fmt(mb / (decode / 1000)), "", ""]);
  rows.push([
    label,
    "writeFitsFile",
    fmt(writeF),
    fmt(mb / (writeF / 1000)),
    fmt(writeRaw),
    (writeF / writeRaw).toFixed(2),
  ]);
  rows.push([
    label,
    "readFitsFile",
    fmt(readF),
    fmt(mb / (readF / 1000)),
    fmt(readRaw),
    (readF / readRaw).toFixed(2),
  ]);
  const gzPath = `${dir}/${label}.fits.gz`;
  const writeGz = await time(() => writeFitsFile(gzPath, hdus, { overwrite: true }));
  const readGz = await time(() => readFitsFile(gzPath));
  rows.push([label, "write .fits.gz", fmt(writeGz), fmt(mb / (writeGz / 1000)), "", ""]);
  rows.push([label, "read .fits.gz", fmt(readGz), fmt(mb / (readGz / 1000)), "", ""]);
  console.log(`${label}: ${mb.toFixed(1)} MB FITS`);
}

try {
  await scenario("mosaic 4x2000x2000 f32", mosaic());
  await scenario("light curve 1e6 rows", lightCurve(1_000_000));
} finally {
  await Deno.remove(dir, { recursive: true });
}

const head = ["case", "operation", "ms (best)", "MB/s", "raw floor ms", "ratio"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(
  `\nrounds: ${rounds} (best of, FITS and raw interleaved); raw floor = Deno.writeFile/readFile of a same-size buffer\n`,
);
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));
