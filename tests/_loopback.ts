/**
 * Servers on 127.0.0.1 for the network tests: a loopback server recording what it is asked, a body that
 * drips until cancelled, a bounded wait for a condition.
 */

/** Sleep `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A running loopback server: its URL, the path+query of every request it got, and how to stop it. */
export interface Loopback {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (port 0); `hits` records every path+query asked. */
export function loopback(
  handler: (req: Request, url: URL) => Response | Promise<Response>,
  tls?: { cert: string; key: string },
): Loopback {
  const ac = new AbortController();
  const hits: string[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {}, ...(tls ?? {}) },
    (req) => {
      const u = new URL(req.url);
      hits.push(u.pathname + u.search);
      return handler(req, u);
    },
  );
  const port = (server.addr as Deno.NetAddr).port;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    hits,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

/** A body that sends `chunk` every `gapMs` until cancelled; counts bytes and notes the cancel. */
export function endless(chunk: Uint8Array, gapMs: number) {
  const state = { sent: 0, cancelled: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (gapMs > 0) await new Promise((r) => (timer = setTimeout(r, gapMs)));
      if (state.cancelled) return;
      state.sent += chunk.length;
      c.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
      clearTimeout(timer);
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** Wait (bounded) until `cond` holds. */
export async function eventually(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
