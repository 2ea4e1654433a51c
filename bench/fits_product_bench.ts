/**
 * FITS product benchmark: `NumpyDataProduct.writeFitsFile` and `NumpyDataProduct.fromFitsFile` of the
 * mosaic product (PRIMARY + four 2000×2000 float32 images, built by the sandbox's encoder,
 * `bench/_workloads.ts`) and of the 1e6-row light curve.
 *
 * - floors, measured in the same run: writing the same number of raw bytes (`Deno.writeFile`), and the
 *   fastest raw read of the file's bytes (the best of `Deno.readFile`, a read into one buffer sized from
 *   `stat`, and reads into pre-sized buffers of at most 16 MiB — sizes glibc recycles, as for our images),
 *   interleaved round by round with ours; best of `--rounds`. Targets: write ≤ 2×, read ≤ 1.3×.
 * - astropy, measured in the same run: `fits.open(path)[i].data` of every data HDU converted to native byte
 *   order (`astype(dtype.newbyteorder("="))`, each table column made contiguous), best of the same rounds in
 *   one Python process (Debian's /usr/bin/python3). Target: ours ≤ 1.0× astropy.
 * - tables only, reported (no target): the memory-traffic floor of any reader that hands back native
 *   columns of a row-ordered table: the file read in 1 MiB chunks into one reused buffer (as ours) and each
 *   chunk's bytes copied, unswapped and untransposed, into fresh arrays of the columns' total size. It is what
 *   remains with the byte swap and the row→column gather costing nothing; the raw read floor above writes
 *   fresh memory once, a columnar reader must write the columns as well.
 * - cold: the first `fromFitsFile` in a fresh process (module loading excluded, JIT and page faults not),
 *   next to the first astropy read in a fresh Python process (import excluded); median of 3 processes each.
 *
 *   deno run -A bench/fits_product_bench.ts [--rounds 5]
 *
 * @module
 */
import { NumpyDataProduct } from "../lib/products/numpy_data_product.ts";
import { openFitsFile } from "../lib/codecs/fits/open.ts";
import { parseBinTForm } from "../lib/codecs/fits/read_table.ts";
import { lightCurveSim, mosaicSim, productOf } from "./_workloads.ts";
import { best, emit, interleave, median, note } from "./_table.ts";

const argv = Deno.args;

/** Fill `dst` from the file's position (the floors and ours read the same way). */
async function readFull(f: Deno.FsFile, dst: Uint8Array): Promise<void> {
  for (let got = 0; got < dst.length;) {
    const n = await f.read(dst.subarray(got));
    if (n === null) throw new Error("the file is shorter than its stat said");
    got += n;
  }
}

/** The file's bytes into buffers of at most 16 MiB (sizes the allocator can recycle, as for our images). */
async function readPieces(path: string): Promise<Uint8Array[]> {
  const f = await Deno.open(path);
  try {
    const size = (await f.stat()).size;
    const out: Uint8Array[] = [];
    for (let at = 0; at < size; at += 16 << 20) {
      const buf = new Uint8Array(Math.min(16 << 20, size - at));
      await readFull(f, buf);
      out.push(buf);
    }
    return out;
  } finally {
    f.close();
  }
}

/** The file's bytes into a buffer sized from `stat`. */
async function readPresized(path: string): Promise<Uint8Array> {
  const f = await Deno.open(path);
  try {
    const size = (await f.stat()).size;
    const buf = new Uint8Array(size);
    await readFull(f, buf);
    return buf;
  } finally {
    f.close();
  }
}

/**
 * The memory-traffic floor of a columnar table reader: the file read in 1 MiB chunks into one reused buffer,
 * each chunk copied as it is (no swap, no gather) into fresh arrays as big as the columns (`widths` bytes per
 * row each), the next chunk read while one is copied (as ours).
 */
async function readCopyColumns(
  path: string,
  dataOffset: number,
  rowBytes: number,
  nrows: number,
  widths: number[],
) {
  const f = await Deno.open(path);
  try {
    const outs = widths.map((w) => new Uint8Array(w * nrows));
    const rowsPer = Math.max(1, Math.floor((1 << 20) / rowBytes));
    const bufs = [new Uint8Array(rowsPer * rowBytes), new Uint8Array(rowsPer * rowBytes)];
    await f.seek(dataOffset, Deno.SeekMode.Start);
    const rowsOf = (r0: number) => Math.min(nrows, r0 + rowsPer) - r0;
    let pending = readFull(f, bufs[0].subarray(0, rowsOf(0) * rowBytes));
    for (let r0 = 0, k = 0; r0 < nrows; r0 += rowsPer, k++) {
      await pending;
      const n = rowsOf(r0);
      if (r0 + n < nrows) pending = readFull(f, bufs[(k + 1) & 1].subarray(0, rowsOf(r0 + n) * rowBytes));
      let at = 0;
      for (let j = 0; j < widths.length; j++) {
        outs[j].set(bufs[k & 1].subarray(at, at + n * widths[j]), r0 * widths[j]);
        at += n * widths[j];
      }
    }
    return outs;
  } finally {
    f.close();
  }
}

const ASTROPY = `
import sys, time, json
t_import = time.perf_counter()
from astropy.io import fits
import numpy as np
path, rounds = sys.argv[1], int(sys.argv[2])
def read():
    out = []
    with fits.open(path) as h:
        for hdu in h:
            d = hdu.data
            if d is None:
                continue
            if d.dtype.names:
                out.extend(np.ascontiguousarray(d[n]).astype(d[n].dtype.newbyteorder("=")) for n in d.dtype.names)
            else:
                out.append(d.astype(d.dtype.newbyteorder("=")))
    return out
times = []
for r in range(rounds):
    t0 = time.perf_counter()
    read()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps(times))
`;

async function astropy(path: string, rounds: number): Promise<number[] | null> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", ASTROPY, path, String(rounds)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return null;
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  } catch {
    return null;
  }
}

/** Where the last HDU's rows are when it is a binary table (undefined for images). */
async function tableLayout(
  path: string,
): Promise<{ dataOffset: number; rowBytes: number; nrows: number; widths: number[] } | undefined> {
  const hdus = await openFitsFile(path);
  try {
    const last = hdus.hdus[hdus.hdus.length - 1];
    if (last.header.get("XTENSION") !== "BINTABLE") return undefined;
    const widths: number[] = [];
    for (let i = 1; i <= Number(last.header.get("TFIELDS")); i++) {
      const f = parseBinTForm(String(last.header.get(`TFORM${i}`)));
      if (!f) return undefined;
      widths.push(f.width);
    }
    // the file ends with the last HDU's data padded to whole 2880-byte blocks
    return {
      dataOffset: (await Deno.stat(path)).size - Math.ceil(last.dataBytes / 2880) * 2880,
      rowBytes: Number(last.header.get("NAXIS1")),
      nrows: Number(last.header.get("NAXIS2")),
      widths,
    };
  } finally {
    hdus.close();
  }
}

/** Child: the first fromFitsFile of the process (module already loaded). */
async function coldChild(path: string): Promise<void> {
  const t0 = performance.now();
  const p = await NumpyDataProduct.fromFitsFile(path);
  console.log(JSON.stringify({ ms: performance.now() - t0, units: p.data_unit.length }));
}

async function cold(path: string): Promise<{ ours: number; astropy: number | null }> {
  const ours: number[] = [];
  const py: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--cold-child", path],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("cold child failed");
    ours.push(JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!).ms);
    const a = await astropy(path, 1);
    if (a) py.push(a[0]);
  }
  return { ours: median(ours), astropy: py.length ? median(py) : null };
}

async function main(): Promise<void> {
  const i = argv.indexOf("--rounds");
  const rounds = i >= 0 ? Number(argv[i + 1]) : 5;
  const dir = await Deno.makeTempDir({ prefix: "oda_bench_fits_" });
  try {
    for (
      const [label, sim] of [["mosaic 4×2000² f32", mosaicSim()], [
        "light curve 1e6 rows",
        lightCurveSim(),
      ]] as const
    ) {
      const product = productOf(sim);
      const path = `${dir}/product.fits`;
      const rawPath = `${dir}/raw.bin`;
      await product.writeFitsFile(path);
      const size = (await Deno.stat(path)).size;
      const raw = new Uint8Array(size).fill(7);
      await Deno.writeFile(rawPath, raw);
      let units = 0;
      const [w, wf] = await interleave(
        rounds,
        () => product.writeFitsFile(path, { overwrite: true }),
        () => Deno.writeFile(rawPath, raw),
      );
      // the read floor: the faster of the two raw reads, both interleaved with ours
      const readBoth = async () => {
        const t0 = performance.now();
        await Deno.readFile(path);
        const t1 = performance.now();
        await readPresized(path);
        const t2 = performance.now();
        await readPieces(path);
        floorParts.readFile.push(t1 - t0);
        floorParts.presized.push(t2 - t1);
        floorParts.pieces.push(performance.now() - t2);
      };
      const floorParts = { readFile: [] as number[], presized: [] as number[], pieces: [] as number[] };
      // a table as the last HDU: its layout, for the memory-traffic floor of a columnar reader
      const table = await tableLayout(path);
      const columnar: number[] = [];
      const [r] = await interleave(rounds, async () => {
        units = (await NumpyDataProduct.fromFitsFile(path)).data_unit.length;
      }, async () => {
        await readBoth();
        if (table) {
          const t0 = performance.now();
          await readCopyColumns(path, table.dataOffset, table.rowBytes, table.nrows, table.widths);
          columnar.push(performance.now() - t0);
        }
      });
      const floor = Math.min(best(floorParts.readFile), best(floorParts.presized), best(floorParts.pieces));
      const py = await astropy(path, rounds);
      const c = await cold(path);
      const mb = `${(size / 1e6).toFixed(0)} MB`;
      emit({
        figure: `writeFitsFile: ${label} (${mb}), best of ${rounds}`,
        value: best(w),
        unit: "ms",
        floor: best(wf),
        floorWhat: "Deno.writeFile",
        target: "≤ 2× floor",
        limit: 2,
        on: "ratio",
      });
      emit({
        figure: `fromFitsFile: ${label} (${mb}), warm, best of ${rounds}`,
        value: best(r),
        unit: "ms",
        floor,
        floorWhat: "fastest raw read, pre-sized",
        target: "≤ 1.3× floor",
        limit: 1.3,
        on: "ratio",
      });
      if (table) {
        emit({
          figure: `fromFitsFile: ${label}, warm, against the memory-traffic floor of a columnar reader`,
          value: best(r),
          unit: "ms",
          floor: best(columnar),
          floorWhat: "chunked read + plain copy into fresh column-sized arrays",
          target: "reported",
          limit: 1e12,
          on: "value",
        });
      }
      if (py) {
        emit({
          figure: `fromFitsFile vs astropy: ${label}, warm, best of ${rounds}`,
          value: best(r),
          unit: "ms",
          floor: best(py),
          floorWhat: "astropy fits.open()[i].data → native",
          target: "≤ 1× astropy",
          limit: 1,
          on: "ratio",
        });
      } else note("astropy not available: /usr/bin/python3 -c 'from astropy.io import fits' failed");
      emit({
        figure: `fromFitsFile: ${label}, cold (first read in a fresh process), median of 3`,
        value: c.ours,
        unit: "ms",
        floor: c.astropy,
        floorWhat: "astropy, first read in a fresh process",
        target: "reported",
        limit: 1e12,
        on: "value",
      });
      note(
        `FITS ${label}: medians write ${median(w).toFixed(0)}/${median(wf).toFixed(0)} ms, ` +
          `read ${median(r).toFixed(0)} ms against Deno.readFile ${
            median(floorParts.readFile).toFixed(0)
          }, ` +
          `pre-sized ${median(floorParts.presized).toFixed(0)}, pre-sized 16 MiB pieces ${
            median(floorParts.pieces).toFixed(0)
          }${py ? `, astropy ${median(py).toFixed(0)}` : ""} ms; ${units} HDUs read back`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (argv[0] === "--cold-child") await coldChild(argv[1]);
else await main();
