/**
 * A TCP echo server (RFC 862 over TCP): every byte a client sends comes back to it, for
 * testing clients, links and proxies. Concurrent, and flow-controlled: it reads a client
 * only after the previous bytes went back, so a client that never reads is simply no longer
 * read from (memory stays at one buffer per connection) and is closed once idle.
 *
 * @module
 */

import { acceptConnections } from "./_accept.ts";
import { callHook, checkMs, checkPort, closeQuietly, idleTimer } from "./_conn.ts";

/** One connection of the echo server, reported when it ends. */
export interface TcpEchoRecord {
  /** The client's address. */
  peer: Deno.NetAddr;
  /** Bytes echoed back (taken by the client's socket). */
  bytes: number;
  /** From accepting the connection to closing it. */
  durationMs: number;
  /**
   * Why it ended: the client closed (`peer`), no progress for `idleTimeoutMs` (`idle`), the
   * server shut down (`shutdown`), or a socket error such as a reset (`error`).
   */
  end: "peer" | "idle" | "shutdown" | "error";
  /** The socket error, for `error`. */
  message?: string;
}

/** Options of {@linkcode serveTcpEcho}. */
export interface ServeTcpEchoOptions {
  /**
   * Address to listen on.
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default {0}
   */
  port?: number;
  /**
   * A connection that neither sends nor takes a byte for this long is closed.
   * @default {30000}
   */
  idleTimeoutMs?: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /** Called once per connection when it ends; a throwing hook is ignored. */
  onConnection?: (record: TcpEchoRecord) => void;
}

/** A running echo server. */
export interface TcpEchoServer extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Connections being served right now. */
  readonly activeConnections: number;
  /** Stops accepting, closes every connection and waits for their tasks to end. */
  shutdown(): Promise<void>;
}

const BUFFER_BYTES = 64 * 1024;

/**
 * Starts a TCP echo server.
 *
 * @example
 * ```ts ignore
 * import { serveTcpEcho } from "./echo.ts";
 * await using server = serveTcpEcho({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
 * await conn.write(new TextEncoder().encode("ping"));
 * const buffer = new Uint8Array(4);
 * await conn.read(buffer); // "ping"
 * conn.close();
 * ```
 *
 * @param options Where to listen, the idle timeout, cancellation and a per-connection hook.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 */
export function serveTcpEcho(options: ServeTcpEchoOptions = {}): TcpEchoServer {
  const { hostname = "0.0.0.0", port = 0, idleTimeoutMs = 30_000 } = options;
  const { signal, onConnection } = options;
  checkPort(port);
  checkMs("idleTimeoutMs", idleTimeoutMs);
  return acceptConnections({ hostname, port, signal }, async (conn, server) => {
    const started = performance.now();
    const idle = idleTimer(conn, idleTimeoutMs);
    const buffer = new Uint8Array(BUFFER_BYTES);
    let bytes = 0;
    let end: TcpEchoRecord["end"] = "peer";
    let message: string | undefined;
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        idle.touch();
        for (let at = 0; at < n;) {
          const written = await conn.write(buffer.subarray(at, n));
          at += written;
          bytes += written;
          idle.touch();
        }
      }
    } catch (error) {
      end = idle.fired ? "idle" : server.stopping ? "shutdown" : "error";
      if (end === "error") message = error instanceof Error ? error.message : String(error);
    } finally {
      idle.stop();
      closeQuietly(conn);
    }
    const durationMs = performance.now() - started;
    const record: TcpEchoRecord = { peer: conn.remoteAddr, bytes, durationMs, end };
    if (message !== undefined) record.message = message;
    callHook(onConnection, record);
  });
}
