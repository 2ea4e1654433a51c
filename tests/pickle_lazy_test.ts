/**
 * `decodeNumpyPickleBase64`: big payloads decoded straight from the base64 text into the result
 * (lib/codecs/pickle/lazy_bytes.ts) must give exactly what the ordinary path gives
 * (`decodeNumpyPickle(decodeBase64(text))`), for real numpy/astropy pickles of every protocol, and fall back
 * to it (same values, same errors) for text it does not handle.
 */
import assert from "node:assert/strict";
import { PYTHON, testWithTool } from "./_validators.ts";
import { decodeNumpyPickle, decodeNumpyPickleBase64 } from "../lib/codecs/pickle.ts";
import { splitBase64Pickle } from "../lib/codecs/pickle/lazy_bytes.ts";
import { decodeBase64 } from "../lib/data/base64.ts";
import { encodeNumpyPickle } from "../lib/codecs/pickle_encode.ts";
import { DecodeError } from "../lib/errors.ts";
import { runPickle } from "../lib/codecs/pickle/vm.ts";
import { arrayFromPickleObject } from "../lib/codecs/pickle/numpy.ts";
import type { NdArray, Table } from "../lib/data/ndarray.ts";

const PY = `
import sys, json, pickle, base64, numpy as np, warnings
from astropy.io import fits
warnings.simplefilter('ignore')
n = 120000
rng = np.random.default_rng(7)
cases = []
def add(name, a, protos=(2, 4, 5)):
    for p in protos:
        cases.append({'name': f'{name}/p{p}', 'proto': p, 'b64': base64.b64encode(pickle.dumps(a, protocol=p)).decode()})
t = fits.BinTableHDU.from_columns([
    fits.Column(name='TIME', format='D', unit='d', array=6263.5 + np.arange(n) / 8640.0),
    fits.Column(name='RATE', format='E', unit='count/s', array=rng.normal(100, 10, n).astype('f4')),
    fits.Column(name='ERROR', format='E', array=rng.uniform(1, 3, n).astype('f4')),
    fits.Column(name='COUNTS', format='J', array=rng.integers(-5, 1000, n).astype('i4')),
    fits.Column(name='FLAG', format='I', array=(np.arange(n) % 3).astype('i2')),
    fits.Column(name='VEC', format='3E', array=rng.normal(0, 1, (n, 3)).astype('f4')),
])
t.data['RATE'][5] = np.nan
add('fits_rec', t.data)
add('recarray_be', np.rec.fromarrays([np.arange(n, dtype='>f8'), np.arange(n, dtype='>i8'), np.ones(n, dtype='>f4')], names='a,b,c'))
sp = np.zeros(n, dtype=np.dtype({'names': ['x', 'y'], 'formats': ['<f8', '<u2'], 'offsets': [0, 10], 'itemsize': 16}))
sp['x'] = np.arange(n) * 1.25
sp['y'] = np.arange(n) % 65536
add('struct_le_padded', sp)
add('struct_with_string', np.array([(i * 0.5, b'src%05d' % (i % 99999)) for i in range(n)], dtype=[('v', '>f8'), ('name', 'S8')]))
add('image_be_f4', rng.normal(0, 1, (700, 500)).astype('>f4'))
add('image_le_i2_fortran', np.asfortranarray(np.arange(700 * 800, dtype='<i2').reshape(700, 800)))
add('c16', (np.arange(80000) * (1 + 2j)).astype('>c16'))
add('object_array_with_big_bytes', np.array([b'x' * (1 << 21), 3], dtype=object), protos=(4,))
json.dump(cases, sys.stdout)
`;

type Case = { name: string; proto: number; b64: string };
let made: Promise<Case[]> | undefined;

/** The pickles Python makes (once for both tests that use them: making them is the slow part). */
function cases(): Promise<Case[]> {
  made ??= (async () => {
    const out = await new Deno.Command(PYTHON, { args: ["-c", PY], stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`python failed: ${new TextDecoder().decode(out.stderr)}`);
    return JSON.parse(new TextDecoder().decode(out.stdout)) as Case[];
  })();
  return made;
}

/** The lazy path alone (no fallback): throws if it cannot decode. */
function lazyOnly(b64: string): NdArray | Table {
  const split = splitBase64Pickle(b64);
  const obj = runPickle(split.bytes, { holes: split.holes });
  const res = arrayFromPickleObject(obj, { inputLength: split.totalLength });
  for (const h of split.holes.values()) if (!h.used) h.validate(); // e.g. astropy Column arrays: unused
  return res;
}

function ordinary(b64: string): NdArray | Table {
  return decodeNumpyPickle(decodeBase64(b64));
}

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `not a DecodeError: ${e}`);
    return `DecodeError ${(e as DecodeError).code}`;
  }
}

testWithTool(
  "lazy base64 decode gives exactly the ordinary result for real numpy/astropy pickles",
  "astropy",
  async () => {
    const all = await cases();
    let lazyTaken = 0;
    for (const c of all) {
      let holes = 0;
      try {
        holes = splitBase64Pickle(c.b64).holes.size;
      } catch {
        holes = 0;
      }
      if (holes > 0) lazyTaken++;
      // protocol 2 writes bytes through _codecs.encode (a unicode string): nothing to leave out
      if (c.proto >= 4) {
        assert.ok(holes > 0, `${c.name}: the big payload was not left in base64`);
        assert.deepStrictEqual(lazyOnly(c.b64), ordinary(c.b64), `${c.name} (lazy path alone)`);
      }
      assert.deepStrictEqual(decodeNumpyPickleBase64(c.b64), ordinary(c.b64), c.name);
    }
    assert.ok(lazyTaken >= 10, `lazy path taken ${lazyTaken} times`);
  },
);

testWithTool(
  "lazy base64 decode: other spellings fall back, bad text is the same error",
  "astropy",
  async () => {
    const all = (await cases()).filter((c) => c.proto >= 4 && /fits_rec|image_be/.test(c.name));
    for (const c of all) {
      const exp = ordinary(c.b64);
      const wrapped = c.b64.replace(/.{76}/g, "$&\n");
      assert.deepStrictEqual(decodeNumpyPickleBase64(wrapped), exp, `${c.name} with newlines`);
      const urlSafe = c.b64.replaceAll("+", "-").replaceAll("/", "_");
      assert.deepStrictEqual(decodeNumpyPickleBase64(urlSafe), exp, `${c.name} URL-safe`);
      const mid = Math.floor(c.b64.length / 2);
      for (
        const bad of [
          c.b64.slice(0, mid) + "*" + c.b64.slice(mid + 1), // bad character inside the payload
          c.b64.slice(0, mid) + "=" + c.b64.slice(mid + 1), // padding inside the payload
          c.b64.slice(0, c.b64.length - 400), // truncated after the payload
          c.b64.slice(0, mid), // truncated inside the payload
          c.b64.slice(0, 40) + "!" + c.b64.slice(41), // bad character in the opcodes
        ]
      ) {
        const got = outcome(() => decodeNumpyPickleBase64(bad));
        assert.equal(typeof got, "string", `${c.name}: corrupted text decoded to a value`);
        assert.deepStrictEqual(got, outcome(() => ordinary(bad)), c.name);
      }
    }
  },
);

Deno.test("lazy base64 decode of our own encoder's big record array and image", () => {
  const n = 200_000;
  const time = Float64Array.from({ length: n }, (_, i) => 1000 + i / 7);
  const rate = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const table: Table = {
    kind: "table",
    length: n,
    columns: [
      { name: "TIME", dtype: ">f8", shape: [], values: time },
      { name: "RATE", dtype: ">f4", shape: [], values: rate },
    ],
  };
  const image: NdArray = {
    kind: "ndarray",
    dtype: ">f4",
    shape: [600, 500],
    values: Float32Array.from({ length: 300_000 }, (_, i) => i * 0.25),
  };
  for (const v of [table, image]) {
    const b64 = encodeBase64Of(encodeNumpyPickle(v));
    assert.ok(splitBase64Pickle(b64).holes.size === 1);
    const got = decodeNumpyPickleBase64(b64);
    assert.deepStrictEqual(got, ordinary(b64));
    assert.deepStrictEqual(lazyOnly(b64), got);
    if (got.kind === "table") {
      assert.deepStrictEqual(got.columns[0].values, time);
      assert.deepStrictEqual(got.columns[1].values, rate);
    } else assert.deepStrictEqual(got.values, image.values);
  }
});

function encodeBase64Of(bytes: Uint8Array): string {
  return (bytes as unknown as { toBase64(): string }).toBase64();
}
