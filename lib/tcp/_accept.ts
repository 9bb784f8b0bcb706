/**
 * The accept loop every TCP server here shares: listen, give each connection its own task,
 * and on shutdown stop accepting, close every connection and wait for the tasks.
 *
 * @module
 */

import { closeQuietly } from "./_conn.ts";

/** A running TCP server: where it listens, how busy it is, how to stop it. */
export interface TcpServerHandle extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Connections being served right now. */
  readonly activeConnections: number;
  /** Stops accepting, closes every connection and waits for their tasks to end. */
  shutdown(): Promise<void>;
}

/** Where to listen and what stops the server. */
export interface AcceptOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
}

/** What a connection handler can ask the server. */
export interface ServerState {
  /** Whether the server is shutting down (so a closed connection is no surprise). */
  readonly stopping: boolean;
}

/**
 * Listens (throwing at once when it cannot) and runs `handle` for every accepted connection,
 * concurrently. `handle` owns the connection (it is closed after `handle` settles anyway);
 * a rejection is ignored.
 */
export function acceptConnections(
  options: AcceptOptions,
  handle: (conn: Deno.TcpConn, state: ServerState) => Promise<void>,
): TcpServerHandle {
  const { hostname, port, signal } = options;
  const listener = Deno.listen({ transport: "tcp", hostname, port });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let stopping = false;
  const state: ServerState = {
    get stopping() {
      return stopping;
    },
  };

  const acceptLoop = (async () => {
    while (!stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) return;
        await new Promise((resolve) => setTimeout(resolve, 50)); // e.g. out of descriptors
        continue;
      }
      if (stopping) {
        closeQuietly(conn);
        return;
      }
      conns.add(conn);
      const task: Promise<void> = handle(conn, state).catch(() => {}).finally(() => {
        closeQuietly(conn);
        conns.delete(conn);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })();

  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      signal?.removeEventListener("abort", onAbort);
      closeQuietly(listener);
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
      return tasks.size;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
