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
import { TcpFrameError } from "./errors.ts";
import {
  decodeRawName,
  encodeResponseHeader,
  requestParser,
  type ResponseHeader,
} from "./frame.ts";

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

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* already closed */ }
}

/** The header that answers a failed lookup or open. */
function refusal(error: unknown): ResponseHeader {
  const tftp = fileErrorToTftp(error, false);
  if (tftp.code === 1) return { status: "NOT_FOUND", message: tftp.message };
  if (tftp.code === 2) return { status: "DENIED", message: tftp.message };
  return { status: "ERROR", message: tftp.message };
}

/** A timer that closes the connection unless touched within `ms`. */
function idleTimer(conn: Deno.Conn, ms: number): { touch(): void; stop(): void } {
  let timer = setTimeout(() => closeQuietly(conn), ms);
  return {
    touch() {
      clearTimeout(timer);
      timer = setTimeout(() => closeQuietly(conn), ms);
    },
    stop: () => clearTimeout(timer),
  };
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

async function serveConnection(
  conn: Deno.Conn,
  options: { root: string; raw: boolean; idleTimeoutMs: number },
): Promise<void> {
  const { root, raw, idleTimeoutMs } = options;
  const idle = idleTimer(conn, idleTimeoutMs);
  let file: Deno.FsFile | undefined;
  try {
    let name: string | undefined;
    try {
      name = await readName(conn, raw);
    } catch (error) {
      if (!(error instanceof TcpFrameError) || raw) return;
      const message = `Bad request: ${error.message}`.slice(0, 512);
      await writeAll(conn, encodeResponseHeader({ status: "ERROR", message }));
      return;
    }
    if (name === undefined) return;
    idle.touch();
    let size: number;
    try {
      const served = await resolveServedPath(root, name, "read");
      file = await Deno.open(served.path, { read: true });
      size = (await file.stat()).size;
    } catch (error) {
      if (!raw) await writeAll(conn, encodeResponseHeader(refusal(error)));
      return;
    }
    if (!raw) await writeAll(conn, encodeResponseHeader({ status: "OK", size }));
    if (size === 0) return;
    // Exactly `size` bytes, even when the file grows while it is sent.
    let sent = 0;
    const limit = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        idle.touch();
        const room = size - sent;
        if (chunk.length < room) {
          sent += chunk.length;
          controller.enqueue(chunk);
          return;
        }
        sent = size;
        controller.enqueue(chunk.subarray(0, room));
        controller.terminate();
      },
    });
    const body = file.readable;
    file = undefined; // the stream owns it now and closes it at the end or on cancel
    await body.pipeThrough(limit).pipeTo(conn.writable, { preventClose: true });
  } catch {
    // The client went away or the idle timer closed the connection: nothing to tell anyone.
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
  const { port = 0, idleTimeoutMs = 30_000 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer between 0 and 65535, got ${port}`);
  }
  if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new RangeError(`idleTimeoutMs must be a positive number, got ${idleTimeoutMs}`);
  }
}

/**
 * Starts serving the files under `root` over TCP, framed (see `frame.ts`) or raw.
 *
 * @example
 * ```ts ignore
 * import { serveTcpFiles } from "./server.ts";
 * await using server = serveTcpFiles({ root: "/srv/files", hostname: "127.0.0.1" });
 * console.log(`listening on ${server.addr.hostname}:${server.addr.port}`);
 * ```
 *
 * @param options Where to listen, what to serve and how.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 */
export function serveTcpFiles(options: ServeTcpFilesOptions): TcpFileServer {
  checkOptions(options);
  const { root, hostname = "0.0.0.0", port = 0, raw = false, idleTimeoutMs = 30_000 } = options;
  const { signal } = options;
  const listener = Deno.listen({ transport: "tcp", hostname, port });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let stopping = false;

  const acceptLoop = (async () => {
    while (!stopping) {
      let conn: Deno.Conn;
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
      const task = serveConnection(conn, { root, raw, idleTimeoutMs }).finally(() => {
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
