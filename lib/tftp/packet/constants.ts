/**
 * Wire constants of TFTP: opcodes, error codes and size limits.
 *
 * @module
 */

/**
 * TFTP opcodes (RFC 1350 §5; OACK from RFC 2347).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPCODE } from "./constants.ts";
 * assert.ok(OPCODE.DATA === 3);
 * ```
 */
export const OPCODE = {
  /** Read request (RFC 1350 §5). */
  RRQ: 1,
  /** Write request (RFC 1350 §5). */
  WRQ: 2,
  /** Data block (RFC 1350 §5). */
  DATA: 3,
  /** Acknowledgment (RFC 1350 §5). */
  ACK: 4,
  /** Error (RFC 1350 §5). */
  ERROR: 5,
  /** Option acknowledgment (RFC 2347). */
  OACK: 6,
} as const;

/** One of the {@linkcode OPCODE} values. */
export type Opcode = typeof OPCODE[keyof typeof OPCODE];

/**
 * TFTP error codes (RFC 1350 appendix; code 8 from RFC 2347).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_CODE } from "./constants.ts";
 * assert.ok(ERROR_CODE.FILE_NOT_FOUND === 1);
 * ```
 */
export const ERROR_CODE = {
  /** Not defined, see error message (RFC 1350). */
  NOT_DEFINED: 0,
  /** File not found (RFC 1350). */
  FILE_NOT_FOUND: 1,
  /** Access violation (RFC 1350). */
  ACCESS_VIOLATION: 2,
  /** Disk full or allocation exceeded (RFC 1350). */
  DISK_FULL: 3,
  /** Illegal TFTP operation (RFC 1350). */
  ILLEGAL_OPERATION: 4,
  /** Unknown transfer ID (RFC 1350). */
  UNKNOWN_TID: 5,
  /** File already exists (RFC 1350). */
  FILE_EXISTS: 6,
  /** No such user (RFC 1350). */
  NO_SUCH_USER: 7,
  /** Option negotiation refused (RFC 2347). */
  OPTION_REFUSED: 8,
} as const;

/** One of the {@linkcode ERROR_CODE} values (the wire carries any 16-bit number). */
export type ErrorCode = typeof ERROR_CODE[keyof typeof ERROR_CODE];

/**
 * Standard texts for each error code, used when a message is not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_CODE, ERROR_TEXT } from "./constants.ts";
 * assert.ok(ERROR_TEXT[ERROR_CODE.FILE_NOT_FOUND] === "File not found");
 * ```
 */
export const ERROR_TEXT: Readonly<Record<number, string>> = {
  0: "Not defined",
  1: "File not found",
  2: "Access violation",
  3: "Disk full or allocation exceeded",
  4: "Illegal TFTP operation",
  5: "Unknown transfer ID",
  6: "File already exists",
  7: "No such user",
  8: "Option negotiation refused",
};

/** Block size of plain RFC 1350 transfers, in bytes. */
export const DEFAULT_BLKSIZE = 512;
/** Smallest blksize a peer may ask for (RFC 2348). */
export const MIN_BLKSIZE = 8;
/** Largest blksize a peer may ask for (RFC 2348). */
export const MAX_BLKSIZE = 65464;
/** Smallest timeout option, in seconds (RFC 2349). */
export const MIN_TIMEOUT_S = 1;
/** Largest timeout option, in seconds (RFC 2349). */
export const MAX_TIMEOUT_S = 255;
/** Smallest windowsize (RFC 7440). */
export const MIN_WINDOWSIZE = 1;
/** Largest windowsize (RFC 7440). */
export const MAX_WINDOWSIZE = 65535;
/** Largest request datagram a peer must accept, in bytes (RFC 2347). */
export const MAX_REQUEST_BYTES = 512;
