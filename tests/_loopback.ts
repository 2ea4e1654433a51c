/**
 * Test helper (loopback HTTP): a throw-away server on 127.0.0.1 that a test writes in a few lines (its
 * handler), bodies that drip or never end and note when the client cancels them, and a bounded wait.
 *
 * ```ts
 * await using srv = loopback(() => new Response("[]"));
 * const disp = new DispatcherAPI({ url: srv.url, token: null });
 * ```
 *
 * @module
 */

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A running loopback server; `await using` closes it (the server and every open connection). */
export interface Loopback extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` (`https` when started with a certificate). */
  url: string;
  /** Every path + query asked, in order. */
  hits: string[];
  /** Stops the server and waits until it has finished. */
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 (port 0) answering with `handler`; `tls` makes it https. */
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
  const close = async () => {
    ac.abort();
    await server.finished;
  };
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    hits,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** What an {@linkcode endless} body has done: bytes sent, and whether the client cancelled it. */
export interface BodyState {
  sent: number;
  cancelled: boolean;
}

/**
 * A body that sends `chunk` every `gapMs` until cancelled (or, with `closeAfterMs`, until that long after
 * its first read: a client that misses its own limit then sees a finite body instead of hanging the test).
 */
export function endless(
  chunk: Uint8Array,
  gapMs: number,
  opts: { closeAfterMs?: number } = {},
): { stream: ReadableStream<Uint8Array>; state: BodyState } {
  const state: BodyState = { sent: 0, cancelled: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closeAt = Infinity;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (closeAt === Infinity && opts.closeAfterMs !== undefined) closeAt = Date.now() + opts.closeAfterMs;
      if (gapMs > 0) await new Promise((r) => (timer = setTimeout(r, gapMs)));
      if (state.cancelled) return;
      if (Date.now() >= closeAt) return c.close();
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

/** Waits (polling every 20 ms, at most `ms`) until `cond` holds; whether it did. */
export async function eventually(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
