/**
 * Theory of operation: what a server does with a datagram on its request port, before any
 * file is touched. Pure: it decodes, checks the mode (RFC 1350 §5, RFC 1123 §4.2.2.1) and
 * returns either a request for the application to accept or refuse, or the ERROR to send
 * back, or nothing (ERROR packets are never answered). Once the application has decided,
 * {@linkcode openServerTransfer} negotiates options (RFC 2347) and builds the machine that
 * runs the transfer from a fresh port.
 *
 * @module
 */

import { ERROR_CODE, OPCODE } from "../packet/constants.ts";
import { decodePacket } from "../packet/decode.ts";
import { encodeError, encodePacket } from "../packet/encode.ts";
import {
  negotiateOptions,
  RECEIVE_WINDOW_BYTES,
  type ServerOptionPolicy,
} from "../packet/options.ts";
import type { TftpOptions } from "../packet/packet.ts";
import { PacketSyntaxError } from "../errors.ts";
import { errorText } from "./_error_text.ts";
import type { TransferConfig } from "./transfer.ts";
import { Receiver } from "./receiver.ts";
import { Sender } from "./sender.ts";
import type { Peer } from "./types.ts";

/** The two modes a server supports. */
export type TransferMode = "octet" | "netascii";

/** A well-formed read or write request. */
export interface TftpRequest {
  /** `read` for RRQ, `write` for WRQ. */
  readonly kind: "read" | "write";
  /** The file name as the client sent it. */
  readonly filename: string;
  /** The mode, lower-cased. */
  readonly mode: TransferMode;
  /** The requested options (names lower-cased). */
  readonly options: TftpOptions;
  /** The client's address and port (its TID). */
  readonly peer: Peer;
}

/** What to do with a datagram that arrived on the request port. */
export type Admission =
  | { readonly kind: "request"; readonly request: TftpRequest }
  | { readonly kind: "reply"; readonly bytes: Uint8Array; readonly reason: string }
  | { readonly kind: "ignore"; readonly reason: string };

/**
 * ERROR 4 with `text` as its reason, made fit for the wire (the text may echo a mode or an
 * option name the client sent): see {@linkcode errorText}.
 */
function illegal(text: string): Admission {
  const reason = errorText(text);
  return { kind: "reply", bytes: encodeError(ERROR_CODE.ILLEGAL_OPERATION, reason), reason };
}

/**
 * Classifies a datagram received on the server's request port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { admitRequest, encodePacket, OPCODE } from "../../../mod.ts";
 * const peer = { hostname: "127.0.0.1", port: 40000 };
 * const mail = encodePacket({ opcode: OPCODE.RRQ, filename: "x", mode: "mail", options: {} });
 * const result = admitRequest(peer, mail);
 * assert.equal(result.kind, "reply"); // ERROR 4: mail mode is refused
 * ```
 */
export function admitRequest(peer: Peer, bytes: Uint8Array): Admission {
  let packet;
  try {
    packet = decodePacket(bytes);
  } catch (error) {
    if (!(error instanceof PacketSyntaxError)) throw error;
    return illegal(`Malformed request: ${error.message}`);
  }
  if (packet.opcode === OPCODE.ERROR) {
    return { kind: "ignore", reason: "ERROR on the request port" };
  }
  if (packet.opcode !== OPCODE.RRQ && packet.opcode !== OPCODE.WRQ) {
    return illegal(`Expected RRQ or WRQ on the request port, got opcode ${packet.opcode}`);
  }
  const mode = packet.mode.toLowerCase();
  if (mode !== "octet" && mode !== "netascii") {
    const reason = mode === "mail"
      ? "Mail mode is not supported"
      : `Unknown transfer mode ${JSON.stringify(packet.mode.slice(0, 32))}`;
    return illegal(reason);
  }
  return {
    kind: "request",
    request: {
      kind: packet.opcode === OPCODE.RRQ ? "read" : "write",
      filename: packet.filename,
      mode,
      options: packet.options,
      peer,
    },
  };
}

/** Server limits and file facts for {@linkcode openServerTransfer}. */
export interface ServerTransferOptions extends TransferConfig {
  /** Largest blksize granted. @default {65464} */
  maxBlksize?: number;
  /** Largest windowsize granted. @default {64} */
  maxWindowsize?: number;
  /** Size of the file to send (read requests, octet mode), for the tsize option. */
  fileSize?: number;
}

/**
 * Builds the machine for an accepted request: a {@linkcode Sender} for a read, a
 * {@linkcode Receiver} for a write. Options are negotiated here; the OACK holds only those
 * asked for and accepted, and is left out entirely when none were. The RFC 2349 timeout
 * option, when agreed, becomes the retransmit timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openServerTransfer, Sender } from "../../../mod.ts";
 * const request = {
 *   kind: "read" as const, filename: "f", mode: "octet" as const,
 *   options: { blksize: "1468", tsize: "0" }, peer: { hostname: "::1", port: 5000 },
 * };
 * const machine = openServerTransfer(0, request, { fileSize: 10 });
 * assert.ok(machine instanceof Sender);
 * assert.equal(machine.pollTransmit()?.bytes[1], 6); // OACK first
 * ```
 */
export function openServerTransfer(
  now: number,
  request: TftpRequest,
  options: ServerTransferOptions = {},
): Sender | Receiver {
  const policy: ServerOptionPolicy = {
    maxBlksize: options.maxBlksize,
    maxWindowsize: options.maxWindowsize,
    fileSize: request.mode === "octet" ? options.fileSize : undefined,
    isWrite: request.kind === "write",
    // Receiving, the server keeps each window within what its socket buffer takes.
    maxWindowBytes: request.kind === "write" ? RECEIVE_WINDOW_BYTES : undefined,
  };
  const { oack, negotiated } = negotiateOptions(request.options, policy);
  const oackBytes = Object.keys(oack).length > 0
    ? encodePacket({ opcode: OPCODE.OACK, options: oack })
    : undefined;
  const config: TransferConfig = negotiated.timeoutS === undefined
    ? options
    : { ...options, timeoutMs: negotiated.timeoutS * 1000 };
  const opening = { peer: request.peer, options: negotiated, oack: oackBytes };
  return request.kind === "read"
    ? new Sender(now, opening, config)
    : new Receiver(now, opening, config);
}
