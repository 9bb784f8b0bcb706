/**
 * The accept loop every TCP server here shares: listen, give each connection its own task,
 * and on shutdown stop accepting, close every connection and wait for the tasks.
 *
 * With {@linkcode AdmissionOptions} it also caps the connections served at once, in all and
 * per client address. A connection over a cap is refused beside the loop (never in it): it is
 * sent the server's busy response, its write side is shut, whatever it sends is discarded
 * for at most {@linkcode REFUSAL_LINGER_MS} (so closing it does not reset the connection and
 * destroy the response), then it is closed. When more than {@linkcode MAX_LINGERING}
 * refusals are in flight, further ones are closed at once without a response.
 *
 * Accept failures (out of file descriptors, EMFILE) never end or spin the loop: it waits
 * 5 ms, doubling up to 1 s while the failures go on, and starts again at 5 ms after a success.
 *
 * @module
 */

import { closeQuietly, writeAll } from "./_conn.ts";

/** A running TCP server: where it listens, how busy it is, how to stop it. */
export interface TcpServerHandle extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Connections being served right now (refused ones are not counted). */
  readonly activeConnections: number;
  /** Stops accepting, closes every connection and waits for their tasks to end. */
  shutdown(): Promise<void>;
}

/** Which cap refused a connection: all connections, or those of one client address. */
export type ConnectionLimit = "total" | "client";

/** Caps on the connections served at once, and what a refused connection is told. */
export interface AdmissionOptions {
  /** Most connections served at once. */
  maxConnections: number;
  /** Most connections served at once from one client address. */
  maxPerClient: number;
  /** The bytes a connection refused by `limit` is sent before it is closed (none: `undefined`). */
  busyResponse(limit: ConnectionLimit): Uint8Array | undefined;
  /** Called once a refused connection is closed. */
  onRefused(peer: Deno.NetAddr, limit: ConnectionLimit, durationMs: number): void;
}

/** Where to listen and what stops the server. */
export interface AcceptOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /** Connection caps; none when absent. */
  admission?: AdmissionOptions;
  /** Called when accepting fails; the loop tries again after `retryInMs`. */
  onAcceptError?: (error: Error, retryInMs: number) => void;
}

/** What a connection handler can ask the server. */
export interface ServerState {
  /** Whether the server is shutting down (so a closed connection is no surprise). */
  readonly stopping: boolean;
}

/** How long a refused connection may take to receive its response and close. */
export const REFUSAL_LINGER_MS = 1000;
/** Refusals answered at once; beyond this, refused connections are closed without a word. */
export const MAX_LINGERING = 64;
const MAX_DISCARD_BYTES = 64 * 1024;
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 1000;

/** The client address a per-client cap counts: IPv4-mapped IPv6 addresses as IPv4. */
function clientKey(peer: Deno.NetAddr): string {
  const host = peer.hostname.toLowerCase();
  return /^::ffff:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host) ? host.slice(7) : host;
}

/** Sends `response`, shuts the write side and discards input until the peer closes. */
async function answerRefused(conn: Deno.TcpConn, response: Uint8Array | undefined) {
  const timer = setTimeout(() => closeQuietly(conn), REFUSAL_LINGER_MS);
  try {
    if (response) await writeAll(conn, response);
    await conn.closeWrite();
    const buffer = new Uint8Array(4096);
    for (let discarded = 0; discarded < MAX_DISCARD_BYTES;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      discarded += n;
    }
  } catch {
    /* reset, or closed by the timer or by shutdown */
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Listens (throwing at once when it cannot) and runs `handle` for every admitted connection,
 * concurrently. `handle` owns the connection (it is closed after `handle` settles anyway);
 * a rejection is ignored.
 */
export function acceptConnections(
  options: AcceptOptions,
  handle: (conn: Deno.TcpConn, state: ServerState) => Promise<void>,
): TcpServerHandle {
  const { hostname, port, signal, admission, onAcceptError } = options;
  const listener = Deno.listen({ transport: "tcp", hostname, port });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const perClient = new Map<string, number>();
  let served = 0;
  let lingering = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  const state: ServerState = {
    get stopping() {
      return stopping;
    },
  };

  const track = (conn: Deno.TcpConn, work: Promise<void>, done: () => void) => {
    conns.add(conn);
    const task: Promise<void> = work.catch(() => {}).finally(() => {
      closeQuietly(conn);
      conns.delete(conn);
      tasks.delete(task);
      done();
    });
    tasks.add(task);
  };

  const serve = (conn: Deno.TcpConn) => {
    const key = admission ? clientKey(conn.remoteAddr) : "";
    const fromClient = perClient.get(key) ?? 0;
    const limit: ConnectionLimit | undefined = !admission
      ? undefined
      : served >= admission.maxConnections
      ? "total"
      : fromClient >= admission.maxPerClient
      ? "client"
      : undefined;
    if (admission && limit) {
      const started = performance.now();
      const answer = lingering < MAX_LINGERING;
      if (answer) lingering++;
      const work = answer ? answerRefused(conn, admission.busyResponse(limit)) : Promise.resolve();
      track(conn, work, () => {
        if (answer) lingering--;
        try {
          admission.onRefused(conn.remoteAddr, limit, performance.now() - started);
        } catch { /* a broken hook must not break the server */ }
      });
      return;
    }
    served++;
    if (admission) perClient.set(key, fromClient + 1);
    track(conn, handle(conn, state), () => {
      served--;
      if (!admission) return;
      const left = (perClient.get(key) ?? 1) - 1;
      if (left > 0) perClient.set(key, left);
      else perClient.delete(key);
    });
  };

  const acceptLoop = (async () => {
    let retryMs = 0;
    while (!stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) return;
        retryMs = retryMs === 0 ? FIRST_RETRY_MS : Math.min(retryMs * 2, MAX_RETRY_MS);
        try {
          onAcceptError?.(error instanceof Error ? error : new Error(String(error)), retryMs);
        } catch { /* a broken hook must not break the server */ }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        continue;
      }
      retryMs = 0;
      if (stopping) {
        closeQuietly(conn);
        return;
      }
      serve(conn);
    }
  })();

  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      signal?.removeEventListener("abort", onAbort);
      closeQuietly(listener);
      wake?.();
      await acceptLoop;
      for (const conn of conns) closeQuietly(conn);
      await Promise.allSettled([...tasks]);
    })();
    return stopped;
  };
  const onAbort = () => void shutdown();
  if (signal?.aborted) void shutdown();
  else signal?.addEventListener("abort", onAbort, { once: true });

  return {
    addr: listener.addr,
    get activeConnections() {
      return served;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
