/**
 * One connection of the TCP file server, from accept to close: read the request within its
 * deadline, look the name up under the root, send the header and the file with back-pressure
 * under the send limit, and say how it ended. The watchdog closes the connection when a
 * limit passes; the outcome then names that limit.
 *
 * @module
 */

import { resolveServedPath } from "../tftp/_resolve_path.ts";
import { fileErrorToTftp } from "../tftp/_io.ts";
import { closeQuietly, Watchdog, writeAll } from "./_conn.ts";
import { TcpFrameError, type TcpRefusal } from "./errors.ts";
import { decodeRawName, encodeResponseHeader, requestParser } from "./frame.ts";
import type { TcpRequestRecord } from "./request_log.ts";

/** What a connection came to, before the peer and the time are added. */
export type Outcome = Omit<TcpRequestRecord, "peer" | "durationMs">;

const CHUNK_BYTES = 64 * 1024;

/** The header that answers a failed lookup or open. */
function refusal(error: unknown): { status: TcpRefusal; message: string } {
  const tftp = fileErrorToTftp(error, false);
  if (tftp.code === 1) return { status: "NOT_FOUND", message: tftp.message };
  if (tftp.code === 2) return { status: "DENIED", message: tftp.message };
  return { status: "ERROR", message: tftp.message };
}

/**
 * Reads the request: the name, `undefined` at end of stream; TcpFrameError on garbage.
 * `progress` is called for every chunk that arrives.
 */
async function readName(
  conn: Deno.Conn,
  raw: boolean,
  progress: () => void,
): Promise<string | undefined> {
  const buffer = new Uint8Array(2048);
  if (raw) {
    const n = await conn.read(buffer);
    return n === null ? undefined : decodeRawName(buffer.subarray(0, n));
  }
  const parser = requestParser();
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    progress();
    const parsed = parser.push(buffer.subarray(0, n));
    if (parsed) return parsed.header;
  }
}

/** What {@linkcode serveConnection} needs to know. */
export interface Settings {
  /** The served directory. */
  root: string;
  /** Classic raw mode: a bare name in, the bytes out, no headers. */
  raw: boolean;
  /** The request must be complete this long after the accept. */
  requestTimeoutMs: number;
  /** A client taking no byte of the file for this long is dropped. */
  sendTimeoutMs: number;
  /** A connection on which no byte moves for this long is closed. */
  idleTimeoutMs: number;
  /** Whether the server is shutting down. */
  stopping: () => boolean;
}

/** Serves one connection to its end and closes it; never rejects. */
export async function serveConnection(conn: Deno.Conn, settings: Settings): Promise<Outcome> {
  const { root, raw, requestTimeoutMs, sendTimeoutMs, idleTimeoutMs } = settings;
  const watchdog = new Watchdog(conn);
  const idle = `No progress for ${idleTimeoutMs} ms`;
  watchdog.limit(
    requestTimeoutMs,
    `Request timeout: no complete request within ${requestTimeoutMs} ms`,
    idleTimeoutMs,
    idle,
  );
  const why = (error: unknown) =>
    watchdog.fired ??
      (settings.stopping()
        ? "Server shut down"
        : error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe
        ? "Connection closed by the client"
        : (error as Error)?.message ?? String(error));
  const failed = { bytes: 0, complete: false } as const;
  let file: Deno.FsFile | undefined;
  try {
    let name: string | undefined;
    try {
      name = await readName(conn, raw, () => watchdog.progress());
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
    // From here on only progress counts: the smaller of the send and idle limits applies.
    const stallMs = Math.min(sendTimeoutMs, idleTimeoutMs);
    const stalled = sendTimeoutMs <= idleTimeoutMs
      ? `Send timeout: the client took no bytes for ${sendTimeoutMs} ms`
      : idle;
    watchdog.limit(Infinity, "", stallMs, stalled);
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
          watchdog.progress();
        }
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
    watchdog.stop();
    if (file) closeQuietly(file);
    closeQuietly(conn);
  }
}
