/**
 * Encoders: packet objects to datagram bytes.
 *
 * @module
 */

import { OPCODE } from "./constants.ts";
import type { Packet, TftpOptions } from "./packet.ts";

const utf8 = new TextEncoder();

function pushString(parts: Uint8Array[], text: string, what: string): void {
  const bytes = utf8.encode(text);
  if (bytes.includes(0)) {
    throw new TypeError(`${what} must not contain NUL, got ${JSON.stringify(text)}`);
  }
  parts.push(bytes, new Uint8Array(1));
}

function join(opcode: number, parts: Uint8Array[]): Uint8Array {
  let size = 2;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  out[1] = opcode;
  let at = 2;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function optionParts(parts: Uint8Array[], options: TftpOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (name === "") throw new TypeError("Option names must not be empty");
    pushString(parts, name, "Option name");
    pushString(parts, value, `Value of option ${name}`);
  }
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${what} must be an integer between 0 and 65535, got ${value}`);
  }
}

/**
 * Encodes a DATA packet: `00 03`, the 16-bit block number, then the payload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeData } from "../../../mod.ts";
 * assert.ok(encodeData(1, new Uint8Array([65])).length === 5);
 * ```
 */
export function encodeData(block: number, data: Uint8Array): Uint8Array {
  checkUint16(block, "Block number");
  const out = new Uint8Array(4 + data.length);
  out[1] = OPCODE.DATA;
  out[2] = block >> 8;
  out[3] = block & 0xff;
  out.set(data, 4);
  return out;
}

/**
 * Encodes an ACK packet (always 4 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../../../mod.ts";
 * assert.ok(encodeAck(258).join() === "0,4,1,2");
 * ```
 */
export function encodeAck(block: number): Uint8Array {
  checkUint16(block, "Block number");
  return new Uint8Array([0, OPCODE.ACK, block >> 8, block & 0xff]);
}

/**
 * Encodes any packet object.
 *
 * Throws `TypeError` when a string holds a NUL byte or an option name is empty, and
 * `RangeError` when a number does not fit in 16 bits. Requests longer than 512 bytes are
 * encoded as asked; the client refuses to send them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePacket, OPCODE } from "../../../mod.ts";
 * const rrq = encodePacket({
 *   opcode: OPCODE.RRQ,
 *   filename: "a.txt",
 *   mode: "octet",
 *   options: { blksize: "1468" },
 * });
 * assert.ok(new TextDecoder().decode(rrq.subarray(2)) === "a.txt\0octet\0blksize\x001468\0");
 * ```
 */
export function encodePacket(packet: Packet): Uint8Array {
  switch (packet.opcode) {
    case OPCODE.RRQ:
    case OPCODE.WRQ: {
      if (packet.filename === "") throw new TypeError("Filename must not be empty");
      const parts: Uint8Array[] = [];
      pushString(parts, packet.filename, "Filename");
      pushString(parts, packet.mode, "Mode");
      optionParts(parts, packet.options);
      return join(packet.opcode, parts);
    }
    case OPCODE.DATA:
      return encodeData(packet.block, packet.data);
    case OPCODE.ACK:
      return encodeAck(packet.block);
    case OPCODE.ERROR: {
      checkUint16(packet.code, "Error code");
      const message = utf8.encode(packet.message.replaceAll("\0", " "));
      const out = new Uint8Array(5 + message.length);
      out[1] = OPCODE.ERROR;
      out[2] = packet.code >> 8;
      out[3] = packet.code & 0xff;
      out.set(message, 4);
      return out;
    }
    case OPCODE.OACK: {
      if (Object.keys(packet.options).length === 0) {
        throw new TypeError("An OACK must carry at least one option (RFC 2347)");
      }
      const parts: Uint8Array[] = [];
      optionParts(parts, packet.options);
      return join(OPCODE.OACK, parts);
    }
  }
}

/**
 * Encodes an ERROR packet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeError } from "../../../mod.ts";
 * assert.ok(encodeError(1, "File not found").length === 19);
 * ```
 */
export function encodeError(code: number, message: string): Uint8Array {
  return encodePacket({ opcode: OPCODE.ERROR, code, message });
}
