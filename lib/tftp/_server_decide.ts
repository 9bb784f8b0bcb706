/**
 * How the server turns an admitted request into something to read from or write to: the
 * handler first, then the served directory (confined, read-only unless allowed), all of it
 * cancelled when the server stops first.
 *
 * @module
 */

import { ERROR_CODE } from "./packet/constants.ts";
import type { TftpRequest } from "./engine/admission.ts";
import { TftpError } from "./errors.ts";
import type { TftpHandler, TftpHandlerResult } from "./handler.ts";
import {
  bytesSource,
  fileErrorToTftp,
  fileSource,
  openAtomicFileSink,
  READ_CHUNK_BYTES,
  type Sink,
  type Source,
  streamSink,
  streamSource,
} from "./_io.ts";
import { resolveServedPath } from "./_resolve_path.ts";
import type { FileCache } from "./_file_cache.ts";

/** The server options a decision needs. */
export interface DecideOptions {
  /** Directory served. */
  root?: string;
  /** Allow replacing existing files. */
  allowOverwrite?: boolean;
  /** Allow creating new files. */
  allowCreate?: boolean;
  /** The handler hook. */
  handler?: TftpHandler;
  /** Bytes a file download reads at a time (fileSource's default when undefined). */
  readChunkBytes?: number;
  /** Small files kept in memory for every transfer; none when undefined. */
  fileCache?: FileCache;
}

/** What a request is served from or stored to. */
export interface TransferIo {
  source?: Source;
  sink?: Sink;
}

/** Releases what a decision opened, when it will not be used. Never throws. */
export async function release(io: TransferIo, reason: unknown): Promise<void> {
  await io.source?.close();
  await io.sink?.discard(reason);
}

/** A handler's result, checked against the request's direction. */
function handlerIo(request: TftpRequest, custom: TftpHandlerResult): TransferIo | undefined {
  if ("body" in custom) {
    const body = custom.body;
    if (request.kind === "write") {
      const error = new TftpError(
        ERROR_CODE.NOT_DEFINED,
        "Server handler returned a body for a write request",
      );
      if (!(body instanceof Uint8Array)) body.cancel(error).catch(() => {});
      throw error;
    }
    return {
      source: body instanceof Uint8Array ? bytesSource(body) : streamSource(body, custom.size),
    };
  }
  if ("sink" in custom) {
    const error = new TftpError(
      ERROR_CODE.NOT_DEFINED,
      "Server handler returned a sink for a read request",
    );
    if (request.kind === "read") {
      custom.sink.abort(error).catch(() => {});
      throw error;
    }
    return { sink: streamSink(custom.sink) };
  }
  return undefined;
}

async function decide(request: TftpRequest, options: DecideOptions): Promise<TransferIo> {
  const custom = await options.handler?.(request);
  const io = custom && handlerIo(request, custom);
  if (io) return io;
  if (options.root === undefined) throw new TftpError(ERROR_CODE.FILE_NOT_FOUND, "File not found");
  if (request.kind === "read") {
    const { path } = await resolveServedPath(options.root, request.filename, "read");
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(path, { read: true });
      // The size of what was opened: the file may have been replaced since the path check.
      const info = await file.stat();
      const chunkBytes = options.readChunkBytes;
      const cached = await options.fileCache?.get(path, file, info);
      if (cached) {
        file.close();
        return { source: bytesSource(cached, { chunkBytes: chunkBytes ?? READ_CHUNK_BYTES }) };
      }
      return { source: fileSource(file, info.size, { chunkBytes }) };
    } catch (error) {
      file?.close();
      throw fileErrorToTftp(error, false);
    }
  }
  if (!options.allowOverwrite && !options.allowCreate) {
    throw new TftpError(ERROR_CODE.ACCESS_VIOLATION, "Access violation: this server is read-only");
  }
  const { path, exists } = await resolveServedPath(options.root, request.filename, "write");
  if (exists && !options.allowOverwrite) {
    throw new TftpError(ERROR_CODE.FILE_EXISTS, "File already exists");
  }
  if (!exists && !options.allowCreate) {
    throw new TftpError(
      ERROR_CODE.ACCESS_VIOLATION,
      "Access violation: creating files is not allowed",
    );
  }
  // A create-only server never replaces a file that appeared during the upload.
  return { sink: await openAtomicFileSink(path, { replace: options.allowOverwrite ?? false }) };
}

/**
 * Decides a request unless the server stops first; a decision that arrives after the stop
 * is released.
 */
export function decideUnlessStopped(
  request: TftpRequest,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<TransferIo> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const decision = decide(request, options);
    let settled = false;
    const onStop = () => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
      decision.then((io) => release(io, signal.reason), () => {});
    };
    const settle = () => {
      const first = !settled;
      settled = true;
      signal.removeEventListener("abort", onStop);
      return first;
    };
    signal.addEventListener("abort", onStop, { once: true });
    decision.then(
      (io) => settle() ? resolve(io) : undefined,
      (error) => settle() ? reject(error) : undefined,
    );
  });
}
