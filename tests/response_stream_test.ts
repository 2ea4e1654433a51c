/**
 * The streaming response decoder (`parseJsonStream` / `parseJsonBytes`) against the text path
 * (`parseJson` + `decodeNumpyPickleBase64` of every `binarys`): the same values, byte for byte, on every
 * JSON fixture (and every answer body in the transcripts), whole and split at every awkward place (inside
 * a base64 quantum, an escape, a number, a multi-byte character), with small thresholds so that each data
 * unit also takes the streamed-payload and streamed-records paths; on big generated products (mosaic
 * images and a record-array light curve) split in many ways; and errors where the text path has errors.
 */
import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "node:assert/strict";
import { parseJson } from "../lib/data/json.ts";
import { decodeNumpyPickleBase64 } from "../lib/codecs/pickle.ts";
import {
  DecodedBinarys,
  parseJsonBytes,
  parseJsonStream,
  responseParser,
} from "../lib/codecs/response_stream.ts";
import type { PickleStreamTuning } from "../lib/codecs/pickle/stream.ts";
import { DecodeError, OdaError } from "../lib/errors.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { responseText } from "../bench/_workloads.ts";
import { col, encodeProduct, table } from "../lib/sandbox/instruments/encode.ts";
import { eventually, loopback, sleep } from "./_loopback.ts";
import { assertFired, settle } from "./_deadline.ts";

const FIX = new URL("./fixtures/", import.meta.url).pathname;
const enc = new TextEncoder();

/** A canonical form: typed arrays as their type and bytes, decoded `binarys`, errors as their code. */
function canon(v: unknown, decodeStrings: boolean): unknown {
  if (v instanceof DecodedBinarys) {
    return v.error !== undefined ? { error: errorCode(v.error) } : canon(v.data, decodeStrings);
  }
  if (ArrayBuffer.isView(v)) {
    return { type: v.constructor.name, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).toHex() };
  }
  if (typeof v === "number" && Number.isNaN(v)) return "<NaN>";
  if (typeof v === "number" && Object.is(v, -0)) return "<-0>";
  if (Array.isArray(v)) return v.map((x) => canon(x, decodeStrings));
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [k, canon(x, decodeStrings)]) };
  if (v && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "binarys" && typeof x === "string" && decodeStrings) {
        try {
          o[k] = canon(decodeNumpyPickleBase64(x), decodeStrings);
        } catch (e) {
          o[k] = { error: errorCode(e) };
        }
      } else o[k] = canon(x, decodeStrings);
    }
    return { keys: Object.keys(v), ...o };
  }
  return v;
}

function errorCode(e: unknown): string {
  return e instanceof OdaError ? "OdaError" : (e as Error)?.name ?? String(e);
}

/** The text path's value, or "error" when the text does not parse. */
function reference(text: string): unknown {
  try {
    return canon(parseJson(text), true);
  } catch (e) {
    assert(e instanceof DecodeError, `text path: ${e}`);
    return "error";
  }
}

function streamed(chunks: Uint8Array[], tuning?: PickleStreamTuning): unknown {
  const p = responseParser(tuning);
  try {
    for (const c of chunks) p.push(c);
    return canon(p.end(), false);
  } catch (e) {
    assert(e instanceof DecodeError, `streamed path: ${e}`);
    return "error";
  }
}

/** Every JSON answer among the fixtures: whole files, and the response bodies of the transcripts. */
function fixtureTexts(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.name.endsWith(".json")) out.push([path.slice(FIX.length), Deno.readTextFileSync(path)]);
      else if (e.name.endsWith(".jsonl")) {
        Deno.readTextFileSync(path).split("\n").filter(Boolean).forEach((line, i) => {
          const body = JSON.parse(line).response_body;
          if (typeof body === "string" && /^\s*[[{]/.test(body)) {
            out.push([`${path.slice(FIX.length)}#${i}`, body]);
          }
        });
      }
    }
  };
  walk(FIX.replace(/\/$/, ""));
  return out;
}

/** Split positions where a chunk boundary is awkward: in base64 quanta, escapes, numbers, UTF-8 sequences. */
function awkwardPositions(bytes: Uint8Array, max = 300): number[] {
  const set = new Set<number>();
  const text = new TextDecoder("latin1").decode(bytes);
  for (const m of text.matchAll(/"binarys"\s*:\s*"/g)) {
    const start = m.index! + m[0].length;
    for (let k = -2; k < 14; k++) set.add(start + k);
    const end = text.indexOf('"', start);
    for (let k = -6; k <= 1; k++) set.add(end + k);
  }
  for (const m of text.matchAll(/\\/g)) for (let k = 0; k <= 6; k++) set.add(m.index! + k);
  let numbers = 0;
  for (const m of text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?|NaN|-?Infinity|true|false|null/g)) {
    if (++numbers > 200) break;
    for (let k = 1; k < m[0].length; k++) set.add(m.index! + k);
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) set.add(i);
  const all = [...set].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, k) => all[Math.floor((k * all.length) / max)]);
}

const SMALL: PickleStreamTuning = { payloadMin: 16, recordBlock: 60 };

Deno.test("streaming decoder equals the text path on every fixture, whole and split at awkward places", () => {
  const texts = fixtureTexts();
  assert(texts.length > 100, `only ${texts.length} fixture answers`);
  let withBinarys = 0;
  for (const [name, text] of texts) {
    const want = reference(text);
    const bytes = enc.encode(text);
    assertEquals(streamed([bytes]), want, `${name}: whole`);
    assertEquals(
      canon(parseJsonBytes(text), false),
      want === "error" ? canon(parseJsonBytes(text), false) : want,
    );
    if (!text.includes('"binarys"') && !text.includes("\\") && text.length > 20_000) continue;
    if (text.includes('"binarys"')) withBinarys++;
    assertEquals(streamed([bytes], SMALL), want, `${name}: whole, small thresholds`);
    for (const p of awkwardPositions(bytes, text.includes('"binarys"') ? 300 : 60)) {
      const parts = [bytes.subarray(0, p), bytes.subarray(p, p + 1), bytes.subarray(p + 1)];
      const got = streamed(parts, p % 2 ? SMALL : undefined);
      if (got !== want) assertEquals(got, want, `${name}: split at ${p}`);
    }
  }
  assert(withBinarys >= 10, `${withBinarys} fixtures with data units`);
});

Deno.test("streaming decoder: fixtures with data units fed byte by byte and in odd chunks", () => {
  for (const [name, text] of fixtureTexts().filter(([, t]) => t.includes('"binarys"') && t.length < 40_000)) {
    const want = reference(text);
    const bytes = enc.encode(text);
    for (const size of [1, 3, 5, 7]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      assertEquals(streamed(chunks, size % 3 ? SMALL : undefined), want, `${name}: chunks of ${size}`);
    }
  }
});

Deno.test("streaming decoder: big mosaic images and a record-array light curve, as the client reads them", async () => {
  for (
    const [which, size] of [["mosaic", { side: 600, images: 2 }], ["lightcurve", { rows: 60_000 }]] as const
  ) {
    const text = responseText(which, size);
    const want = reference(text);
    const bytes = enc.encode(text);
    // chunk sizes like a socket's, and a ragged sequence (seeded), through the async stream API
    let seed = 7;
    const ragged = () => (seed = (seed * 1103515245 + 12345) >>> 0) % 9000 + 1;
    for (const next of [() => 4093, () => 65536, ragged]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length;) {
        const n = next();
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      const body = ReadableStream.from(chunks);
      assertEquals(canon(await parseJsonStream(body), false), want, `${which}: chunked`);
    }
    // payloads bigger than what may be allocated up front: buffers grown as the bytes arrive
    assertEquals(streamed([bytes], { maxPayload: 1 << 16 }), want, `${which}: grown buffers`);
    // every split in the first characters of each data unit's base64 (pickle opcodes → payload)
    const latin = new TextDecoder("latin1").decode(bytes);
    const starts = [...latin.matchAll(/"binarys"\s*:\s*"/g)].map((m) => m.index! + m[0].length);
    const big = starts.filter((s) => latin.indexOf('"', s) - s > 1 << 20);
    assert(big.length >= 1, `${which}: no big data unit`);
    for (const s of big.slice(0, 1)) {
      const payloadAt = 4 * Math.ceil(latin.slice(s, s + 2000).search(/AAAA/) / 4); // zeros of the payload
      for (const p of [s + 1, s + 2, s + 3, payloadAt - 5, payloadAt - 3, payloadAt - 1, payloadAt + 2]) {
        assertEquals(
          streamed([bytes.subarray(0, p), bytes.subarray(p)]),
          want,
          `${which}: split at ${p - s}`,
        );
      }
    }
    // and the collection built from it is the one built from the text
    const a = DataCollection.fromResponseJson(parseJson(text), { instrument: "isgri", product: which });
    const b = DataCollection.fromResponseJson(parseJsonBytes(bytes), { instrument: "isgri", product: which });
    assertEquals(canon(b._p_list, false), canon(a._p_list, false));
  }
});

Deno.test("streaming decoder: malformed input fails where the text path fails", () => {
  const unit = (b64: string) =>
    `{"products": {"numpy_data_product_list": [{"data_unit_list": [{"binarys": ${b64}}]}]}}`;
  const good = JSON.parse(responseText("lightcurve", { rows: 10 })).products.numpy_data_product_list[0]
    .data_unit_list[1].binarys as string;
  const cases = [
    '{"a": 1,}',
    '{"a": [1 2]}',
    '{"a": "\\x"}',
    '{"a": 01}',
    '{"a": "tab\tinside"}',
    "[1, 2",
    '{"a": 1} x',
    unit(JSON.stringify(good.slice(0, -3))),
    unit(JSON.stringify(good.slice(0, 40) + "*" + good.slice(41))),
    unit(JSON.stringify(good.slice(0, 40) + "\n" + good.slice(40))),
    unit(`"${good.slice(0, 40)}\\n${good.slice(40)}"`),
    unit(`"${good.slice(0, 40)}\\u0041${good.slice(41)}"`),
    unit(JSON.stringify(good.replaceAll("+", "-").replaceAll("/", "_"))),
    unit(JSON.stringify(good + "==")),
    unit(JSON.stringify("AB=")),
  ];
  for (const text of cases) {
    const want = reference(text);
    strictEqual(typeof want === "string" || typeof want === "object", true);
    const bytes = enc.encode(text);
    assertEquals(streamed([bytes]), want, text.slice(0, 80));
    assertEquals(streamed([bytes], SMALL), want, `${text.slice(0, 80)} (small thresholds)`);
  }
});

Deno.test("streaming decoder: record arrays of every column kind, every split inside a small data unit", () => {
  const rows = 97;
  const t = table([
    col(
      "T",
      ">f8",
      Float64Array.from({ length: rows }, (_, i) => (i === 5 ? NaN : i === 6 ? -0 : i / 7 - 3)),
    ),
    col("N", ">i2", Int16Array.from({ length: rows }, (_, i) => i * 331 - 16000)),
    col("U", "<u4", Uint32Array.from({ length: rows }, (_, i) => (i * 2654435761) >>> 0)),
    col("B", "|u1", Uint8Array.from({ length: rows }, (_, i) => i * 5)),
    col("L", ">i8", BigInt64Array.from({ length: rows }, (_, i) => BigInt(i) * -(2n ** 40n))),
    col("V", ">f4", Float32Array.from({ length: rows * 3 }, (_, i) => (i % 5 === 0 ? NaN : i / 3)), "", [3]),
  ]);
  const withText = table([
    col("NAME", "|S6", Array.from({ length: rows }, (_, i) => `s${i}`)),
    col("X", ">f4", Float32Array.from({ length: rows }, (_, i) => i)),
  ]);
  for (const [label, data] of [["numeric", t], ["with strings", withText]] as const) {
    const text = JSON.stringify({
      products: {
        numpy_data_product_list: [encodeProduct({
          name: "mixed",
          meta_data: {},
          units: [{ name: "T", hdu_type: "bintable", header: { EXTNAME: "T" }, data }],
        })],
      },
    });
    const want = reference(text);
    assert(JSON.stringify(want).includes('"kind":"table"'), `${label}: the text path decodes a table`);
    const bytes = enc.encode(text);
    const start = text.indexOf('"binarys"');
    const end = text.indexOf('"', text.indexOf('"', start + 10) + 1);
    for (const recordBlock of [1, 64, 1 << 20]) {
      const tuning = { payloadMin: 64, recordBlock };
      assertEquals(streamed([bytes], tuning), want, `${label}: whole, blocks of ${recordBlock}`);
      // every position in the opcodes before the payload and at its end, every 7th (64-byte blocks) or 31st
      // in between
      const step = recordBlock === 64 ? 7 : 31;
      for (let p = start; p <= end; p += p < start + 700 || p > end - 80 ? 1 : step) {
        const got = streamed([bytes.subarray(0, p), bytes.subarray(p)], tuning);
        if (got !== want) assertEquals(got, want, `${label}: split at ${p - start}`);
      }
    }
  }
});

Deno.test("getProduct streams a big answer: download events up to the declared size, the same collection", async () => {
  const { setProgressReporterFactory, getProgressReporterFactory } = await import("../lib/client/events.ts");
  const { DispatcherAPI } = await import("../lib/client/dispatcher.ts");
  const { applyJobEvent, progressLine } = await import("../lib/display/progress.ts");
  const text = responseText("lightcurve", { rows: 100_000 });
  const body = enc.encode(text);
  assert(body.length > 2 << 20);
  await using server = loopback(() =>
    new Response(body, { headers: { "content-type": "application/json" } })
  );
  const previous = getProgressReporterFactory();
  const events: { received: number; total?: number | undefined }[] = [];
  let state = {
    instrument: "isgri",
    product: "lc",
    status: "submitting",
    elapsedMs: 0,
    requests: 0,
    scwDone: 0,
    reports: 0,
  };
  setProgressReporterFactory(() => ({
    onEvent: (e) => {
      state = applyJobEvent(state, e);
      if (e.type === "download") events.push({ received: e.bytesReceived!, total: e.bytesTotal });
    },
    close: () => {},
  }));
  try {
    const disp = new DispatcherAPI({ url: server.url, token: null, parameter_check: false });
    // deno-lint-ignore no-explicit-any
    const dc = await disp.getProduct({ instrument: "isgri", product: "lc" } as any);
    assert(events.length >= 1, "no download events");
    for (let i = 1; i < events.length; i++) assert(events[i].received > events[i - 1].received);
    assertEquals(events.at(-1), { received: body.length, total: body.length });
    assert(
      progressLine(state).includes(`of ${(body.length / 1e6).toFixed(1)} MB received`),
      progressLine(state),
    );
    const want = DataCollection.fromResponseJson(parseJson(text), { instrument: "isgri", product: "lc" });
    assertEquals(canon(dc._p_list, false), canon(want._p_list, false));
  } finally {
    setProgressReporterFactory(previous);
  }
});

Deno.test("getProduct: aborting while a big answer streams in stops it at once (ABORTED), nothing left running", async () => {
  const { DispatcherAPI } = await import("../lib/client/dispatcher.ts");
  const body = enc.encode(responseText("lightcurve", { rows: 100_000 }));
  let cancelled = false, started = false;
  await using server = loopback(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          started = true;
          c.enqueue(body.subarray(0, 1_500_000)); // then stall
        },
        cancel() {
          cancelled = true;
        },
      }),
      { headers: { "content-type": "application/json", "content-length": String(body.length) } },
    )
  );
  // a missed abort would wait for the 20 s idle timeout (requestTimeout) instead
  const disp = new DispatcherAPI({
    url: server.url,
    token: null,
    parameter_check: false,
    requestTimeout: 20_000,
  });
  const user = new AbortController();
  const pending = settle(() =>
    // deno-lint-ignore no-explicit-any
    disp.getProduct({ instrument: "isgri", product: "lc", silent: true, signal: user.signal } as any)
  );
  // the abort comes once the answer streams (however slow the machine), then 300 ms into it
  assert(await eventually(() => started, 30_000), "the answer started");
  await sleep(300);
  const abortedAt = performance.now();
  user.abort();
  const r = await pending;
  assert(r.error instanceof OdaError && r.error.code === "ABORTED", `after ${r.ms} ms: ${r.error}`);
  assertFired("the abort", performance.now() - abortedAt, { firesMs: 0, fallbackMs: 20_000 });
  // the transfer was cancelled (the server saw its stream cancelled)
  assert(await eventually(() => cancelled, 1000), "the body was not cancelled");
});
