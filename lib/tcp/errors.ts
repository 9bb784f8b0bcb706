/**
 * Typed errors of the TCP file service. Each sets `name`, so checks work across realms.
 *
 * @module
 */

/** A refusal status the server can answer with (everything but `OK`). */
export type TcpRefusal = "NOT_FOUND" | "DENIED" | "ERROR";

/**
 * Bytes that break the framed protocol: a malformed or over-long header line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TcpFrameError } from "./errors.ts";
 * const err = new TcpFrameError("Header line is longer than 1100 bytes");
 * assert.equal(err.name, "TcpFrameError");
 * ```
 */
export class TcpFrameError extends Error {
  /** Creates the error with a message saying what is wrong with the bytes. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TcpFrameError";
  }
}

/**
 * The server refused the request: `status` is what it answered, `remoteMessage` its text;
 * `message` reads like `File not found (NOT_FOUND)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TcpFileError } from "./errors.ts";
 * const err = new TcpFileError("NOT_FOUND", "File not found");
 * assert.equal(err.status, "NOT_FOUND");
 * assert.equal(err.message, "File not found (NOT_FOUND)");
 * ```
 */
export class TcpFileError extends Error {
  /** The status line's first word. */
  readonly status: TcpRefusal;
  /** The text the server sent after the status. */
  readonly remoteMessage: string;
  /** Creates the error from the server's status and message. */
  constructor(status: TcpRefusal, remoteMessage: string, options?: ErrorOptions) {
    super(`${remoteMessage} (${status})`, options);
    this.name = "TcpFileError";
    this.status = status;
    this.remoteMessage = remoteMessage;
  }
}

/** Options of {@linkcode TcpConnectionError}. */
export interface TcpConnectionErrorOptions extends ErrorOptions {
  /** Body bytes received before the failure. */
  receivedBytes: number;
  /** The size the server announced, when it announced one. */
  expectedBytes?: number;
}

/**
 * The connection failed before the whole file arrived: dropped mid-file, nothing sent in
 * raw mode, or no progress within the timeout. `receivedBytes` counts the body bytes that
 * arrived; `expectedBytes` is the announced size (framed mode only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TcpConnectionError } from "./errors.ts";
 * const err = new TcpConnectionError("Connection dropped after 3 of 10 bytes", {
 *   receivedBytes: 3,
 *   expectedBytes: 10,
 * });
 * assert.equal(err.receivedBytes, 3);
 * assert.equal(err.expectedBytes, 10);
 * ```
 */
export class TcpConnectionError extends Error {
  /** Body bytes received before the failure. */
  readonly receivedBytes: number;
  /** The size the server announced, when it announced one. */
  readonly expectedBytes?: number;
  /** Creates the error; `options` carries the byte counts and an optional `cause`. */
  constructor(message: string, options: TcpConnectionErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "TcpConnectionError";
    this.receivedBytes = options.receivedBytes;
    this.expectedBytes = options.expectedBytes;
  }
}
