import { responseText } from "./_workloads.ts";
import { currentRss, peakRss, resetPeakRss } from "./_table.ts";
import { DataCollection } from "../lib/products/collection.ts";
import { parseJson } from "../lib/codecs/json.ts";
import { DispatcherAPI } from "../lib/client/dispatcher.ts";
// deno-lint-ignore no-explicit-any
type Any = any;
const KEY = new TextEncoder().encode('"binarys":');
async function streamJson(body: ReadableStream<Uint8Array>): Promise<unknown> {
  // skeleton bytes (everything but the binarys strings), binarys decoded as they stream
  const skel: Uint8Array[] = [];
  const bins: Uint8Array[] = [];
  let state = 0; // 0 outside, 1 after key waiting for quote, 2 inside string
  let match = 0;
  let pieces: string[] = [];
  const dec = new TextDecoder("latin1");
  for await (const chunk of body) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (state === 0) {
        if (c === KEY[match]) {
          match++;
          if (match === KEY.length) {
            state = 1;
            match = 0;
          }
        } else match = c === KEY[0] ? 1 : 0;
      } else if (state === 1) {
        if (c === 0x22) {
          skel.push(chunk.slice(start, i));
          state = 2;
          start = i + 1;
        } else if (c !== 0x20) state = 0; // null or other value
      } else {
        const j = chunk.indexOf(0x22, i);
        if (j < 0) {
          pieces.push(dec.decode(chunk.subarray(start)));
          i = chunk.length;
          start = chunk.length;
          break;
        }
        pieces.push(dec.decode(chunk.subarray(start, j)));
        const b64 = pieces.join("");
        pieces = [];
        bins.push(Uint8Array.fromBase64(b64));
        const ph = new TextEncoder().encode(`{"$bin":${bins.length - 1}}`);
        skel.push(ph);
        state = 0;
        start = j + 1;
        i = j;
      }
    }
    if (state !== 2 && start < chunk.length) skel.push(chunk.slice(start));
  }
  const total = skel.reduce((a, b) => a + b.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const s of skel) {
    all.set(s, o);
    o += s.length;
  }
  const obj = JSON.parse(new TextDecoder().decode(all), function (_k, v) {
    return v && typeof v === "object" && "$bin" in v ? bins[v.$bin] : v;
  });
  return obj;
}
if (Deno.args[0] === "child") {
  const url = Deno.args[1], mode = Deno.args[2];
  const gc = (globalThis as Any).gc;
  gc?.();
  const before = currentRss();
  resetPeakRss();
  let held: unknown;
  const res = mode === "client" ? null : await fetch(url);
  if (mode === "client") {
    held = await new DispatcherAPI({ url, token: null, parameter_check: false }).getProduct(
      { instrument: "x", product: "y", silent: true } as Any,
    );
  } else if (mode === "text") held = DataCollection.fromResponseJson(parseJson(await res!.text()));
  else if (mode === "bytes") {
    let b: Uint8Array | null = await res!.bytes();
    let t: string | null = new TextDecoder().decode(b);
    b = null;
    const j = parseJson(t);
    t = null;
    held = DataCollection.fromResponseJson(j);
  } else if (mode === "prealloc") {
    const len = Number(res!.headers.get("content-length"));
    let buf: Uint8Array | null = new Uint8Array(len);
    let o = 0;
    const rd = res!.body!.getReader();
    for (;;) {
      const { done, value } = await rd.read();
      if (done) break;
      buf.set(value, o);
      o += value.length;
    }
    let t: string | null = new TextDecoder().decode(buf);
    buf = null;
    const j = parseJson(t);
    t = null;
    held = DataCollection.fromResponseJson(j);
  } else if (mode === "drain") {
    let n = 0;
    for await (const c of res!.body!) n += c.length;
    held = n;
  } else if (mode === "drain-gc") {
    let n = 0, k = 0;
    for await (const c of res!.body!) {
      n += c.length;
      if (++k % 200 === 0) gc();
    }
    held = n;
  } else if (mode === "stream") {
    held = DataCollection.fromResponseJson(await streamJson(res!.body!));
  }
  console.log(mode, ((peakRss() - before) / Number(Deno.args[3])).toFixed(2), held ? "" : "x");
  Deno.exit(0);
}
const text = responseText("mosaic");
const bytes = new TextEncoder().encode(text);
const ac = new AbortController();
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
  () => new Response(bytes, { headers: { "content-type": "application/json" } }),
);
for (const mode of ["drain", "drain-gc", "drain"]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      "child",
      `http://127.0.0.1:${server.addr.port}/run_analysis`,
      mode,
      String(text.length),
    ],
    stdout: "piped",
  }).output();
  console.log(new TextDecoder().decode(o.stdout).trim());
}
ac.abort();
await server.finished;
