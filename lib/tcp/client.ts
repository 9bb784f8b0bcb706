/**
 * The TCP file client: fetches one file from a framed server (checking the announced size) or
 * from a classic raw server (bytes until the server closes). A file target is written to a
 * temporary file beside it and renamed only when everything arrived.
 *
 * @module
 */

import { openAtomicFileSink, type Sink, streamSink } from "../tftp/_io.ts";
import { closeQuietly, writeAll } from "./_conn.ts";
import { TcpConnectionError, TcpFileError, TcpFrameError } from "./errors.ts";
import { encodeRequest, type ResponseHeader, responseParser } from "./frame.ts";
import { parseTcpUrl } from "./url.ts";

/** Options of {@linkcode tcpGet}. */
export interface TcpGetOptions {
  /**
   * Classic raw mode: send the bare name, take every byte until the server closes.
   * @default {false}
   */
  raw?: boolean;
  /**
   * Give up when connecting or when no bytes arrive for this long.
   * @default {30000}
   */
  timeoutMs?: number;
  /** Aborting it stops the transfer (the target file is not created). */
  signal?: AbortSignal;
}

/** What {@linkcode tcpGet} fetched. */
export interface TcpGetResult {
  /** Bytes written to the target. */
  bytes: number;
}

const READ_BYTES = 64 * 1024;

function encodeRawName(name: string): Uint8Array {
  return encodeRequest(name).subarray(4, -1); // same checks as a framed request
}

/**
 * Fetches the file a `tcp://host:port/name` URL names (see `url.ts`) into `target` (a file
 * path or a stream).
 *
 * Framed mode fails with {@linkcode TcpFileError} when the server answers NOT_FOUND, DENIED
 * or ERROR, with {@linkcode TcpConnectionError} `Connection dropped after N of M bytes` when
 * the body ends early, and with {@linkcode TcpFrameError} when the server breaks the protocol.
 * Raw mode fails with `Server sent nothing (file missing?)` when the server closes without
 * a byte. On failure no file is left behind and a stream target is aborted.
 *
 * @example
 * ```ts ignore
 * import { tcpGet } from "./client.ts";
 * const { bytes } = await tcpGet("tcp://127.0.0.1:7070/boot/kernel", "kernel");
 * console.log(`${bytes} bytes`);
 * ```
 *
 * @param source The file, as `tcp://host[:port]/name` (`[v6]` for IPv6; port 6000 when
 *   omitted); a malformed URL throws TypeError.
 * @param target A file path (written atomically) or a stream (closed on success).
 * @param options Mode, timeout and cancellation.
 * @returns How many bytes were written.
 */
export async function tcpGet(
  source: string | URL,
  target: string | WritableStream<Uint8Array>,
  options: TcpGetOptions = {},
): Promise<TcpGetResult> {
  const { raw = false, timeoutMs = 30_000, signal } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  if (typeof target !== "string" && !(target instanceof WritableStream)) {
    throw new TypeError("target must be a file path or a WritableStream");
  }
  const { hostname, port, name } = parseTcpUrl(source);
  const hostPort = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  const request = raw ? encodeRawName(name) : encodeRequest(name);
  signal?.throwIfAborted();

  let sink: Sink | undefined;
  const openSink = async () =>
    sink ??= typeof target === "string"
      ? await openAtomicFileSink(target, { replace: true })
      : streamSink(target);
  const connecting = new AbortController();
  const connectTimer = setTimeout(() => connecting.abort(), timeoutMs);
  const conn = await Deno.connect({
    hostname,
    port,
    signal: signal ? AbortSignal.any([signal, connecting.signal]) : connecting.signal,
  }).catch((cause) => {
    signal?.throwIfAborted();
    if (!connecting.signal.aborted) throw cause;
    throw new TcpConnectionError(`Timed out after ${timeoutMs} ms connecting to ${hostPort}`, {
      receivedBytes: 0,
      cause,
    });
  }).finally(() => clearTimeout(connectTimer));

  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      closeQuietly(conn);
    }, timeoutMs);
  };
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });

  let received = 0;
  let expected: number | undefined;
  const buffer = new Uint8Array(READ_BYTES);
  /** The next bytes (a copy), or `null` at end of stream. */
  const read = async (): Promise<Uint8Array | null> => {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (cause) {
      signal?.throwIfAborted();
      const counts = { receivedBytes: received, expectedBytes: expected, cause };
      if (timedOut) {
        throw new TcpConnectionError(`No data from the server for ${timeoutMs} ms`, counts);
      }
      return null; // reset by the peer: reported as a short body below
    }
    touch();
    return n === null ? null : buffer.slice(0, n);
  };

  try {
    touch();
    await writeAll(conn, request);
    let pending: Uint8Array | null = null;
    if (!raw) {
      const parser = responseParser();
      let header: ResponseHeader | undefined;
      while (!header) {
        const chunk = await read();
        if (chunk === null) {
          throw new TcpConnectionError("Connection closed before a response header", {
            receivedBytes: 0,
          });
        }
        const parsed = parser.push(chunk);
        if (parsed) ({ header, rest: pending } = parsed);
      }
      if (header.status !== "OK") throw new TcpFileError(header.status, header.message);
      expected = header.size;
      await openSink();
    }
    for (let chunk = pending ?? await read(); chunk !== null; chunk = await read()) {
      if (chunk.length === 0) continue;
      received += chunk.length;
      if (expected !== undefined && received > expected) {
        throw new TcpFrameError(`Server sent more than the announced ${expected} bytes`);
      }
      await (await openSink()).write(chunk);
    }
    if (expected !== undefined && received < expected) {
      throw new TcpConnectionError(`Connection dropped after ${received} of ${expected} bytes`, {
        receivedBytes: received,
        expectedBytes: expected,
      });
    }
    if (received === 0 && raw) {
      throw new TcpConnectionError("Server sent nothing (file missing?)", { receivedBytes: 0 });
    }
    await (await openSink()).commit();
    return { bytes: received };
  } catch (error) {
    if (sink) await sink.discard(error);
    else if (typeof target !== "string") target.abort(error).catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
  }
}
