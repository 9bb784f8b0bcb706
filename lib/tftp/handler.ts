/**
 * The server's request handler hook: serve generated content, take an upload, or refuse.
 *
 * @module
 */

import type { TftpRequest } from "./engine/admission.ts";

/**
 * What a handler returns to serve a request itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TftpHandlerResult } from "./handler.ts";
 * const result: TftpHandlerResult = { body: new TextEncoder().encode("hello\n") };
 * assert.ok("body" in result);
 * ```
 */
export type TftpHandlerResult =
  /** Serve these bytes for a read request (`size` enables tsize for streams). */
  | { readonly body: Uint8Array | ReadableStream<Uint8Array>; readonly size?: number }
  /** Store a write request's bytes here (closed on success, aborted on failure). */
  | { readonly sink: WritableStream<Uint8Array> };

/**
 * Decides a request: return a result to serve it, `undefined` to fall back to the root
 * directory, or throw a {@linkcode TftpError} to refuse it with that code and message. A
 * `body` for a write request or a `sink` for a read request is refused with ERROR 0. When the
 * server stops first, the request is refused and a late result is released (streams
 * cancelled or aborted).
 */
export type TftpHandler = (
  request: TftpRequest,
) => TftpHandlerResult | undefined | Promise<TftpHandlerResult | undefined>;
