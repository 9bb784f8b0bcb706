/**
 * Strict decoder: datagram bytes to packet objects, or a {@linkcode PacketSyntaxError}.
 *
 * @module
 */

import { PacketSyntaxError } from "../errors.ts";
import { OPCODE } from "./constants.ts";
import type { Packet, TftpOptions } from "./packet.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** Splits NUL-terminated strings; the bytes must end with NUL. Trailing NUL padding is ignored. */
function splitStrings(bytes: Uint8Array, what: string): string[] {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) {
    throw new PacketSyntaxError(`${what} does not end with a NUL byte`);
  }
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    try {
      fields.push(strictUtf8.decode(bytes.subarray(start, i)));
    } catch (cause) {
      throw new PacketSyntaxError(`${what} holds a string that is not valid UTF-8`, { cause });
    }
    start = i + 1;
  }
  return fields;
}

function decodeOptions(fields: string[], what: string): TftpOptions {
  // Some clients pad requests with extra NUL bytes. Padding reads as empty fields at the end;
  // drop them in empty pairs (an empty name is never a real option), then one stray empty
  // field when the count is odd. An option with an empty value (RFC 2090 sends `multicast`
  // with "") stays valid wherever it appears, so decode(encode(p)) always equals p.
  let end = fields.length;
  while (end >= 2 && fields[end - 1] === "" && fields[end - 2] === "") end -= 2;
  if (end % 2 !== 0 && fields[end - 1] === "") end--;
  if (end % 2 !== 0) {
    throw new PacketSyntaxError(`${what} option ${JSON.stringify(fields[end - 1])} has no value`);
  }
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < end; i += 2) {
    const name = fields[i].toLowerCase();
    if (name === "") throw new PacketSyntaxError(`${what} has an option with an empty name`);
    if (seen.has(name)) continue; // the first occurrence wins
    seen.add(name);
    entries.push([name, fields[i + 1]]);
  }
  return Object.fromEntries(entries);
}

function readUint16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

/**
 * Decodes one datagram.
 *
 * Throws {@linkcode PacketSyntaxError} for anything that is not a well-formed packet:
 * fewer than 4 bytes, an unknown opcode, a request without its final NUL, an option without a value. An ACK longer than 4 bytes is accepted (padding is ignored). Option names
 * are lower-cased and the first of a repeated option wins. An ERROR packet whose text lacks
 * the final NUL is accepted (many embedded servers send it that way).
 *
 * `DATA.data` is a view into `bytes`: copy it before reusing the buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePacket, OPCODE } from "../../../mod.ts";
 * const bytes = new TextEncoder().encode("\0\x01boot.bin\0OCTET\0BlkSize\x001468\0");
 * const packet = decodePacket(bytes);
 * if (packet.opcode === OPCODE.RRQ) {
 *   assert.ok(packet.filename === "boot.bin" && packet.options.blksize === "1468");
 * }
 * ```
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < 4) {
    throw new PacketSyntaxError(`Datagram of ${bytes.length} bytes is too short for TFTP`);
  }
  const opcode = readUint16(bytes, 0);
  switch (opcode) {
    case OPCODE.RRQ:
    case OPCODE.WRQ: {
      const what = opcode === OPCODE.RRQ ? "RRQ" : "WRQ";
      const fields = splitStrings(bytes.subarray(2), what);
      if (fields.length < 2) throw new PacketSyntaxError(`${what} has no mode`);
      const [filename, mode] = fields;
      if (filename === "") throw new PacketSyntaxError(`${what} has an empty filename`);
      if (mode === "") throw new PacketSyntaxError(`${what} has an empty mode`);
      return { opcode, filename, mode, options: decodeOptions(fields.slice(2), what) };
    }
    case OPCODE.DATA:
      return { opcode, block: readUint16(bytes, 2), data: bytes.subarray(4) };
    case OPCODE.ACK:
      // Some embedded stacks pad short datagrams; the block number is all an ACK carries.
      return { opcode, block: readUint16(bytes, 2) };
    case OPCODE.ERROR: {
      let end = bytes.indexOf(0, 4);
      if (end === -1) end = bytes.length;
      return {
        opcode,
        code: readUint16(bytes, 2),
        message: lenientUtf8.decode(bytes.subarray(4, end)),
      };
    }
    case OPCODE.OACK: {
      const options = decodeOptions(splitStrings(bytes.subarray(2), "OACK"), "OACK");
      // RFC 2347: an OACK acknowledges at least one option; a server with none sends DATA/ACK.
      if (Object.keys(options).length === 0) throw new PacketSyntaxError("OACK carries no options");
      return { opcode, options };
    }
    default:
      throw new PacketSyntaxError(`Unknown opcode ${opcode}`);
  }
}
