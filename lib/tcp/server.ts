/**
 * A concurrent TCP file server: each connection is its own async task that reads one request,
 * answers with a header (framed mode) and streams the file from disk to the socket with
 * back-pressure, so memory stays flat whatever the file size and a slow reader only slows
 * itself. Names are confined to the root exactly like the TFTP server's.
 *
 * @module
 */

import { resolveServedPath } from "../tftp/_resolve_path.ts";
import { fileErrorToTftp } from "../tftp/_io.ts";
import { acceptConnections } from "./_accept.ts";
import { callHook, checkMs, checkPort, closeQuietly, idleTimer, writeAll } from "./_conn.ts";
import { TcpFrameError, type TcpRefusal } from "./errors.ts";
import { decodeRawName, encodeResponseHeader, requestParser } from "./frame.ts";
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
   * A connection that makes no progress for this long (no complete request, or no body
   * bytes taken by the client) is closed.
   * @default {30000}
   */
  idleTimeoutMs?: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /**
   * Called once per connection when it ends, with what it asked for and what it got. A hook
   * that throws is ignored.
   */
  onRequest?: (record: TcpRequestRecord) => void;
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

/** What a connection came to, before the peer and the time are added. */
type Outcome = Omit<TcpRequestRecord, "peer" | "durationMs">;

const CHUNK_BYTES = 64 * 1024;

/** The header that answers a failed lookup or open. */
function refusal(error: unknown): { status: TcpRefusal; message: string } {
  const tftp = fileErrorToTftp(error, false);
  if (tftp.code === 1) return { status: "NOT_FOUND", message: tftp.message };
  if (tftp.code === 2) return { status: "DENIED", message: tftp.message };
  return { status: "ERROR", message: tftp.message };
}

/** Reads the request: the name, `undefined` at end of stream; TcpFrameError on garbage. */
async function readName(conn: Deno.Conn, raw: boolean): Promise<string | undefined> {
  const buffer = new Uint8Array(2048);
  if (raw) {
    const n = await conn.read(buffer);
    return n === null ? undefined : decodeRawName(buffer.subarray(0, n));
  }
  const parser = requestParser();
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    const parsed = parser.push(buffer.subarray(0, n));
    if (parsed) return parsed.header;
  }
}

interface Settings {
  root: string;
  raw: boolean;
  idleTimeoutMs: number;
  stopping: () => boolean;
}

async function serveConnection(conn: Deno.Conn, settings: Settings): Promise<Outcome> {
  const { root, raw, idleTimeoutMs } = settings;
  const idle = idleTimer(conn, idleTimeoutMs);
  const why = (error: unknown) =>
    idle.fired
      ? `No progress for ${idleTimeoutMs} ms`
      : settings.stopping()
      ? "Server shut down"
      : error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe
      ? "Connection closed by the client"
      : (error as Error)?.message ?? String(error);
  const failed = { bytes: 0, complete: false } as const;
  let file: Deno.FsFile | undefined;
  try {
    let name: string | undefined;
    try {
      name = await readName(conn, raw);
    } catch (error) {
      if (!(error instanceof TcpFrameError)) {
        return { status: "NO_REQUEST", ...failed, message: why(error) };
      }
      if (!raw) {
        const message = `Bad request: ${error.message}`.slice(0, 512);
        await writeAll(conn, encodeResponseHeader({ status: "ERROR", message })).catch(() => {});
      }
      return { status: "BAD_REQUEST", ...failed, message: error.message };
    }
    if (name === undefined) {
      return { status: "NO_REQUEST", ...failed, message: "Connection closed before a request" };
    }
    idle.touch();
    let size: number;
    try {
      const served = await resolveServedPath(root, name, "read");
      file = await Deno.open(served.path, { read: true });
      size = (await file.stat()).size;
    } catch (error) {
      const header = refusal(error);
      if (!raw) await writeAll(conn, encodeResponseHeader(header)).catch(() => {});
      return { name, ...header, ...failed };
    }
    let sent = 0;
    try {
      if (!raw) await writeAll(conn, encodeResponseHeader({ status: "OK", size }));
      // Exactly `size` bytes, even when the file grows while it is sent.
      const buffer = new Uint8Array(CHUNK_BYTES);
      while (sent < size) {
        const n = await file.read(buffer.subarray(0, Math.min(CHUNK_BYTES, size - sent)));
        if (n === null) break;
        for (let at = 0; at < n;) {
          const written = await conn.write(buffer.subarray(at, n));
          at += written;
          sent += written;
        }
        idle.touch();
      }
    } catch (error) {
      return { name, status: "OK", bytes: sent, size, complete: false, message: why(error) };
    }
    if (sent < size) {
      const message = `File shrank to ${sent} bytes while it was sent`;
      return { name, status: "OK", bytes: sent, size, complete: false, message };
    }
    return { name, status: "OK", bytes: sent, size, complete: true };
  } finally {
    idle.stop();
    if (file) closeQuietly(file);
    closeQuietly(conn);
  }
}

function checkOptions(options: ServeTcpFilesOptions): void {
  if (typeof options?.root !== "string" || options.root === "") {
    throw new TypeError(`root must be a non-empty string, got ${JSON.stringify(options?.root)}`);
  }
  checkPort(options.port ?? 0);
  checkMs("idleTimeoutMs", options.idleTimeoutMs ?? 30_000);
}

/**
 * Starts serving the files under `root` over TCP, framed (see `frame.ts`) or raw.
 *
 * @example
 * ```ts ignore
 * import { serveTcpFiles } from "./server.ts";
 * await using server = serveTcpFiles({
 *   root: "/srv/files",
 *   hostname: "127.0.0.1",
 *   onRequest: (record) => console.log(record.name, record.status, record.bytes),
 * });
 * console.log(`listening on ${server.addr.hostname}:${server.addr.port}`);
 * ```
 *
 * @param options Where to listen, what to serve and how.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 */
export function serveTcpFiles(options: ServeTcpFilesOptions): TcpFileServer {
  checkOptions(options);
  const { root, hostname = "0.0.0.0", port = 0, raw = false, idleTimeoutMs = 30_000 } = options;
  const { signal, onRequest } = options;
  return acceptConnections({ hostname, port, signal }, async (conn, server) => {
    const started = performance.now();
    const settings = { root, raw, idleTimeoutMs, stopping: () => server.stopping };
    const outcome = await serveConnection(conn, settings);
    const durationMs = performance.now() - started;
    callHook(onRequest, { peer: conn.remoteAddr, ...outcome, durationMs });
  });
}
