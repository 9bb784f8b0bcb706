/**
 * One human-readable line per datagram, for `--trace`.
 *
 * Line format (columns line up for peers up to 15 characters, e.g. any IPv4 peer):
 *
 * ```text
 * -> 127.0.0.1:69     RRQ  "boot.bin" octet blksize=1468 tsize=0  (31 B)
 * <- 127.0.0.1:40123  OACK blksize=1468 tsize=1048576
 * -> [::1]:40123      ACK  block=0
 * <- 127.0.0.1:40123  DATA block=1 len=1468
 * <- 127.0.0.1:40123  ERROR code=1 "File not found"
 * <- 127.0.0.1:40123  MALFORMED (3 B): Datagram of 3 bytes is too short for TFTP
 * ```
 *
 * - `->` is a datagram sent to the peer, `<-` one received from it.
 * - The peer is `host:port` (IPv6 in brackets), padded to 15 characters, then two spaces.
 * - The packet name is padded to 4 characters, then one space.
 * - RRQ/WRQ: quoted file name, mode as sent, options in wire order, then two spaces and the
 *   datagram size (requests must fit in 512 bytes, RFC 2347).
 * - DATA: block number as on the wire and payload length. ACK: block number.
 * - ERROR: code and quoted text. OACK: options in wire order.
 * - Bytes that do not decode: `MALFORMED`, the datagram size and the decoder's reason.
 *
 * File names and error texts are always quoted with JSON escapes, plus `\uXXXX` for DEL, C1
 * controls and bidi marks; modes, option names and values are quoted the same way when they
 * hold anything but printable ASCII other than `"` and `=`. A hostile peer thus cannot inject
 * terminal control sequences or forge a second line.
 *
 * @module
 */

import { PacketSyntaxError } from "./errors.ts";
import { OPCODE } from "./packet/constants.ts";
import { decodePacket } from "./packet/decode.ts";
import type { Packet, TftpOptions } from "./packet/packet.ts";

/** Printable ASCII without space, `"` or `=`: safe to print bare. */
const BARE_RE = /^[\x21\x23-\x3c\x3e-\x7e]+$/;

/** Characters a terminal may act on; JSON escapes only the first range (C0 controls). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const SNEAKY_RE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeSneaky(text: string): string {
  return text.replace(SNEAKY_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function quote(text: string): string {
  return escapeSneaky(JSON.stringify(text));
}

function token(text: string): string {
  return BARE_RE.test(text) ? text : quote(text);
}

function formatOptions(options: TftpOptions): string {
  return Object.entries(options).map(([name, value]) => `${token(name)}=${token(value)}`).join(" ");
}

function formatPeer(peer: { hostname: string; port: number }): string {
  const host = peer.hostname.includes(":") ? `[${peer.hostname}]` : peer.hostname;
  return `${host}:${peer.port}`;
}

function describe(bytes: Uint8Array): [kind: string, details: string] {
  let packet: Packet;
  try {
    packet = decodePacket(bytes);
  } catch (err) {
    if (!(err instanceof PacketSyntaxError)) throw err;
    return ["MALFORMED", `(${bytes.length} B): ${escapeSneaky(err.message)}`];
  }
  switch (packet.opcode) {
    case OPCODE.RRQ:
    case OPCODE.WRQ: {
      const kind = packet.opcode === OPCODE.RRQ ? "RRQ" : "WRQ";
      const words = [quote(packet.filename), token(packet.mode)];
      const options = formatOptions(packet.options);
      if (options !== "") words.push(options);
      return [kind, `${words.join(" ")}  (${bytes.length} B)`];
    }
    case OPCODE.DATA:
      return ["DATA", `block=${packet.block} len=${packet.data.length}`];
    case OPCODE.ACK:
      return ["ACK", `block=${packet.block}`];
    case OPCODE.ERROR:
      return ["ERROR", `code=${packet.code} ${quote(packet.message)}`];
    case OPCODE.OACK:
      return ["OACK", formatOptions(packet.options)];
  }
}

/**
 * Describes one datagram in one line (no trailing newline); see the module documentation for
 * the format. Bytes that are not a TFTP packet give a `MALFORMED` line, never an exception.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTrace } from "./trace.ts";
 * const line = formatTrace("send", { hostname: "::1", port: 40123 }, new Uint8Array([0, 4, 0, 1]));
 * assert.ok(line === "-> [::1]:40123      ACK  block=1");
 * ```
 */
export function formatTrace(
  direction: "send" | "recv",
  peer: { hostname: string; port: number },
  bytes: Uint8Array,
): string {
  if (direction !== "send" && direction !== "recv") {
    throw new TypeError(`Direction must be "send" or "recv", got ${JSON.stringify(direction)}`);
  }
  const arrow = direction === "send" ? "->" : "<-";
  const [kind, details] = describe(bytes);
  const head = `${arrow} ${formatPeer(peer).padEnd(15)}  ${kind.padEnd(4)}`;
  return details === "" ? head.trimEnd() : `${head} ${details}`;
}
