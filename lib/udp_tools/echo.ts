/**
 * A UDP echo server (RFC 862): every datagram goes back, byte for byte, to the address it
 * came from. For testing clients, links, firewalls and proxies.
 *
 * @module
 */

import { callHook, closeQuietly, localAddr, openSocket, receiveDatagrams } from "./_datagrams.ts";

/** One datagram the echo server handled. */
export interface UdpEchoDatagram {
  /** The sender, which got the datagram back. */
  from: Deno.NetAddr;
  /** Its size in bytes (0 to 65507). */
  bytes: number;
  /** Why it could not be sent back; absent when it was. */
  error?: string;
}

/** Options of {@linkcode serveUdpEcho}. */
export interface ServeUdpEchoOptions {
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
   * Aborting it shuts the server down.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called for each datagram after it was sent back (or failed to be); a throwing hook is
   * ignored.
   * @default {undefined}
   */
  onDatagram?: (datagram: UdpEchoDatagram) => void;
}

/** A running UDP echo server. */
export interface UdpEchoServer extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Resolves once the server stopped (after `shutdown()` or the signal). */
  readonly finished: Promise<void>;
  /** Closes the socket and waits for the server to stop. Harmless when called again. */
  shutdown(): Promise<void>;
}

/**
 * Starts a UDP echo server. It keeps serving through every error: a datagram that cannot be
 * sent back is reported to `onDatagram` with `error`, and receive errors (such as an ICMP
 * "port unreachable" some systems report on the socket) are skipped.
 *
 * @example
 * ```ts ignore
 * import { serveUdpEcho } from "./echo.ts";
 * await using server = serveUdpEcho({ hostname: "127.0.0.1", port: 0 });
 * using client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * await client.send(new TextEncoder().encode("ping"), server.addr);
 * const [bytes] = await client.receive(); // "ping"
 * ```
 *
 * @param options Where to listen, cancellation and a per-datagram hook.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 */
export function serveUdpEcho(options: ServeUdpEchoOptions = {}): UdpEchoServer {
  const { hostname = "0.0.0.0", port = 0, signal, onDatagram } = options;
  signal?.throwIfAborted();
  const conn = openSocket(hostname, port);
  const addr = localAddr(conn);
  let closed = false;
  const close = () => {
    closed = true;
    closeQuietly(conn);
  };
  signal?.addEventListener("abort", close, { once: true });
  const finished = (async () => {
    try {
      for await (const [bytes, from] of receiveDatagrams(conn)) {
        const datagram: UdpEchoDatagram = { from, bytes: bytes.length };
        try {
          await conn.send(bytes, from);
        } catch (error) {
          if (closed) break;
          datagram.error = error instanceof Error ? error.message : String(error);
        }
        callHook(onDatagram, datagram);
      }
    } finally {
      signal?.removeEventListener("abort", close);
      close();
    }
  })();
  const shutdown = async () => {
    close();
    await finished;
  };
  return { addr, finished, shutdown, [Symbol.asyncDispose]: shutdown };
}
