/**
 * The shapes of the six TFTP packets, as plain objects.
 *
 * @module
 */

import type { OPCODE } from "./constants.ts";

/**
 * Options of a request or OACK: lower-cased option name to the value as sent.
 * Names are case-insensitive on the wire (RFC 2347), so the decoder lower-cases them; when a
 * name appears twice, the first one wins.
 */
export type TftpOptions = Readonly<Record<string, string>>;

/** RRQ or WRQ (RFC 1350 §5, options per RFC 2347). */
export interface RequestPacket {
  /** {@linkcode OPCODE.RRQ} or {@linkcode OPCODE.WRQ}. */
  readonly opcode: typeof OPCODE.RRQ | typeof OPCODE.WRQ;
  /** The file name as sent (decoded from UTF-8). */
  readonly filename: string;
  /** The transfer mode as sent, e.g. `octet` or `NetASCII`; compare case-insensitively. */
  readonly mode: string;
  /** Requested options. */
  readonly options: TftpOptions;
}

/** DATA (RFC 1350 §5). */
export interface DataPacket {
  /** {@linkcode OPCODE.DATA}. */
  readonly opcode: typeof OPCODE.DATA;
  /** 16-bit block number as on the wire. */
  readonly block: number;
  /** Payload; after decoding it is a view into the decoded bytes. */
  readonly data: Uint8Array;
}

/** ACK (RFC 1350 §5). */
export interface AckPacket {
  /** {@linkcode OPCODE.ACK}. */
  readonly opcode: typeof OPCODE.ACK;
  /** 16-bit block number as on the wire. */
  readonly block: number;
}

/** ERROR (RFC 1350 §5). */
export interface ErrorPacket {
  /** {@linkcode OPCODE.ERROR}. */
  readonly opcode: typeof OPCODE.ERROR;
  /** 16-bit error code, see {@linkcode ERROR_CODE}. */
  readonly code: number;
  /** Human-readable text. */
  readonly message: string;
}

/** OACK (RFC 2347). */
export interface OackPacket {
  /** {@linkcode OPCODE.OACK}. */
  readonly opcode: typeof OPCODE.OACK;
  /** Accepted options. */
  readonly options: TftpOptions;
}

/**
 * Any TFTP packet; switch on `opcode` to narrow it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePacket, OPCODE } from "../../../mod.ts";
 * const packet = decodePacket(new Uint8Array([0, 4, 0, 7]));
 * if (packet.opcode === OPCODE.ACK) assert.ok(packet.block === 7);
 * ```
 */
export type Packet = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;
