/**
 * A concurrent TCP file server: each connection is its own async task that reads one request,
 * answers with a header (framed mode) and streams the file from disk to the socket with
 * back-pressure, so memory stays flat whatever the file size and a slow reader only slows
 * itself. Names are confined to the root exactly like the TFTP server's.
 *
 * Hostile or broken clients cannot take it down: the request must be complete within
 * `requestTimeoutMs` of the accept however slowly it trickles (slowloris), a client that stops
 * reading is dropped after `sendTimeoutMs` (holding one 64 KiB buffer meanwhile), a silent
 * connection after `idleTimeoutMs`, and connections over `maxConnections` (or over
 * `maxConnectionsPerClient` from one address) are refused with
 * `ERROR Server busy: ...` without holding up the accept loop. Every connection, dropped or
 * refused, is reported once to `onRequest` with the reason.
 *
 * @module
 */

import { acceptConnections, type ConnectionLimit } from "./_accept.ts";
import { callHook, checkMs, checkPort } from "./_conn.ts";
import { serveConnection } from "./_serve_file.ts";
import { encodeResponseHeader } from "./frame.ts";
import type { TcpRequestRecord } from "./request_log.ts";

/** Options of {@linkcode serveTcpFiles}. */
export interface ServeTcpFilesOptions {
  /** The served directory. */
  root: string;
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
   * Classic raw mode: the client sends the bare name, the server sends the bytes and closes,
   * and closes without a byte for a missing or refused file.
   * @default {false}
   */
  raw?: boolean;
  /**
   * The whole request must arrive within this long after the connection is accepted, however
   * its bytes trickle in; else the connection is closed (`Request timeout: ...`).
   * @default {10000}
   */
  requestTimeoutMs?: number;
  /**
   * While the file is sent, a client that takes no byte for this long (it stopped reading)
   * is dropped (`Send timeout: ...`).
   * @default {30000}
   */
  sendTimeoutMs?: number;
  /**
   * A connection on which no byte moves for this long is closed (`No progress for N ms`):
   * no request byte arrives, or the client takes no byte of the file. While the file is sent
   * the smaller of this and `sendTimeoutMs` applies.
   * @default {30000}
   */
  idleTimeoutMs?: number;
  /**
   * Most connections served at once; more are refused (status `BUSY` in the log).
   * @default {1024}
   */
  maxConnections?: number;
  /**
   * Most connections served at once from one client address (IPv4-mapped IPv6 counts as the
   * IPv4 address); more from it are refused.
   * @default {32}
   */
  maxConnectionsPerClient?: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /**
   * Called once per connection when it ends, with what it asked for and what it got. A hook
   * that throws is ignored.
   */
  onRequest?: (record: TcpRequestRecord) => void;
  /**
   * Called when accepting a connection fails (for example out of file descriptors: EMFILE);
   * the server keeps listening and tries again after `retryInMs` (5 ms, doubling up to 1 s
   * while the failures go on). A hook that throws is ignored.
   */
  onAcceptError?: (error: Error, retryInMs: number) => void;
}

/** A running server. */
export interface TcpFileServer extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Connections being served right now. */
  readonly activeConnections: number;
  /** Stops accepting, closes every connection and waits for their tasks to end. */
  shutdown(): Promise<void>;
}

/** A whole number of at least 1 (a connection cap), or a RangeError naming `what`. */
function checkLimit(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a whole number of at least 1, got ${value}`);
  }
}

function checkOptions(options: ServeTcpFilesOptions): void {
  if (typeof options?.root !== "string" || options.root === "") {
    throw new TypeError(`root must be a non-empty string, got ${JSON.stringify(options?.root)}`);
  }
  checkPort(options.port ?? 0);
  checkMs("requestTimeoutMs", options.requestTimeoutMs ?? 10_000);
  checkMs("sendTimeoutMs", options.sendTimeoutMs ?? 30_000);
  checkMs("idleTimeoutMs", options.idleTimeoutMs ?? 30_000);
  checkLimit("maxConnections", options.maxConnections ?? 1024);
  checkLimit("maxConnectionsPerClient", options.maxConnectionsPerClient ?? 32);
}

/** What a refused connection is told (framed mode), and what the log says. */
const BUSY: Record<ConnectionLimit, { response: string; log: string }> = {
  total: { response: "Server busy: too many connections", log: "Too many connections" },
  client: {
    response: "Server busy: too many connections from your address",
    log: "Too many connections from this client",
  },
};

/**
 * Starts serving the files under `root` over TCP, framed (see `frame.ts`) or raw.
 *
 * @example
 * ```ts ignore
 * import { serveTcpFiles } from "./server.ts";
 * await using server = serveTcpFiles({
 *   root: "/srv/files",
 *   hostname: "127.0.0.1",
 *   maxConnectionsPerClient: 8,
 *   onRequest: (record) => console.log(record.name, record.status, record.bytes),
 * });
 * console.log(`listening on ${server.addr.hostname}:${server.addr.port}`);
 * ```
 *
 * @param options Where to listen, what to serve, the limits and timeouts, and the hooks.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 */
export function serveTcpFiles(options: ServeTcpFilesOptions): TcpFileServer {
  checkOptions(options);
  const { root, hostname = "0.0.0.0", port = 0, raw = false } = options;
  const { requestTimeoutMs = 10_000, sendTimeoutMs = 30_000, idleTimeoutMs = 30_000 } = options;
  const { maxConnections = 1024, maxConnectionsPerClient = 32 } = options;
  const { signal, onRequest, onAcceptError } = options;
  const limits = { total: maxConnections, client: maxConnectionsPerClient };
  const busy = (limit: ConnectionLimit) =>
    raw ? undefined : encodeResponseHeader({ status: "ERROR", message: BUSY[limit].response });
  const responses = { total: busy("total"), client: busy("client") };
  const admission = {
    maxConnections,
    maxPerClient: maxConnectionsPerClient,
    busyResponse: (limit: ConnectionLimit) => responses[limit],
    onRefused: (peer: Deno.NetAddr, limit: ConnectionLimit, durationMs: number) =>
      callHook(onRequest, {
        peer,
        status: "BUSY",
        bytes: 0,
        complete: false,
        durationMs,
        message: `${BUSY[limit].log} (limit ${limits[limit]})`,
      }),
  };
  const accept = { hostname, port, signal, admission, onAcceptError };
  return acceptConnections(accept, async (conn, server) => {
    const started = performance.now();
    const settings = {
      root,
      raw,
      requestTimeoutMs,
      sendTimeoutMs,
      idleTimeoutMs,
      stopping: () => server.stopping,
    };
    const outcome = await serveConnection(conn, settings);
    const durationMs = performance.now() - started;
    callHook(onRequest, { peer: conn.remoteAddr, ...outcome, durationMs });
  });
}
