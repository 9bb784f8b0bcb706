/**
 * Typed errors raised by the codec, the engine and the Deno adapter.
 *
 * Every error sets `name`, so `err.name === "TftpRemoteError"` works across realms, and
 * carries the TFTP error code that describes it best (`code`).
 *
 * @module
 */

import { ERROR_CODE, ERROR_TEXT } from "./packet/constants.ts";

/**
 * A datagram that is not a well-formed TFTP packet.
 *
 * The engine catches it at one boundary and answers with ERROR 4; it never escapes a
 * socket loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePacket, PacketSyntaxError } from "../../mod.ts";
 * assert.throws(() => decodePacket(new Uint8Array([0, 9, 0, 0])), PacketSyntaxError);
 * ```
 */
export class PacketSyntaxError extends Error {
  /** Always {@linkcode ERROR_CODE.ILLEGAL_OPERATION}. */
  readonly code: number = ERROR_CODE.ILLEGAL_OPERATION;
  /** Creates the error with a message saying what is wrong with the bytes. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PacketSyntaxError";
  }
}

/**
 * Base class of the errors that end a transfer. `code` is the TFTP error code that
 * describes the failure (sent to the peer where that makes sense).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpError, TftpRemoteError } from "../../mod.ts";
 * const err = new TftpRemoteError(1, "File not found");
 * assert.ok(err instanceof TftpError && err.code === 1);
 * ```
 */
export class TftpError extends Error {
  /** TFTP error code (0..65535) that describes the failure. */
  readonly code: number;
  /** Creates the error. */
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TftpError";
    this.code = code;
  }
}

/**
 * The peer sent an ERROR packet. `code` and `remoteMessage` are what it sent; `message`
 * reads like `File not found (TFTP error 1)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpRemoteError } from "../../mod.ts";
 * const err = new TftpRemoteError(1, "");
 * assert.ok(err.message === "File not found (TFTP error 1)");
 * ```
 */
export class TftpRemoteError extends TftpError {
  /** The text the peer sent (may be empty). */
  readonly remoteMessage: string;
  /** Creates the error from the peer's code and text. */
  constructor(code: number, remoteMessage: string, options?: ErrorOptions) {
    const text = remoteMessage.trim() || ERROR_TEXT[code] || "Unknown error";
    super(code, `${text} (TFTP error ${code})`, options);
    this.name = "TftpRemoteError";
    this.remoteMessage = remoteMessage;
  }
}

/**
 * The peer broke the protocol (a malformed or unexpected packet, a bad OACK), or the local
 * side refused something on the wire. `code` is the code sent to the peer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpProtocolError } from "../../mod.ts";
 * const err = new TftpProtocolError(4, "Server sent DATA 7 before DATA 1");
 * assert.ok(err.code === 4);
 * ```
 */
export class TftpProtocolError extends TftpError {
  /** Creates the error. */
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "TftpProtocolError";
  }
}

/**
 * The peer stopped answering: retries were exhausted or the overall deadline passed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpTimeoutError } from "../../mod.ts";
 * const err = new TftpTimeoutError("No answer from 127.0.0.1:69 after 6 attempts", 6);
 * assert.ok(err.attempts === 6);
 * ```
 */
export class TftpTimeoutError extends TftpError {
  /** How many times the last packet was sent. */
  readonly attempts: number;
  /** Creates the error. */
  constructor(message: string, attempts: number, options?: ErrorOptions) {
    super(ERROR_CODE.NOT_DEFINED, message, options);
    this.name = "TftpTimeoutError";
    this.attempts = attempts;
  }
}

/**
 * The local side cancelled the transfer (an `AbortSignal` fired, or the server is shutting
 * down). The peer receives ERROR 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpAbortError } from "../../mod.ts";
 * assert.ok(new TftpAbortError("Cancelled").code === 0);
 * ```
 */
export class TftpAbortError extends TftpError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(ERROR_CODE.NOT_DEFINED, message, options);
    this.name = "TftpAbortError";
  }
}
