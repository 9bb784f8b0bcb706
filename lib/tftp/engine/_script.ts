/**
 * Test helpers for timestamped engine scripts: they drain a machine's datagrams and events
 * into short strings ("DATA 2 (512)", "ACK 1", "ERROR 5", "failed TftpRemoteError 8"), so a
 * test reads like the exchange it checks. Used only by the engine's tests.
 *
 * @module
 */

import { OPCODE } from "../packet/constants.ts";
import { decodePacket } from "../packet/decode.ts";
import type { NegotiatedOptions } from "../packet/options.ts";
import type { TftpOptions } from "../packet/packet.ts";
import type { Peer, TransferEvent, TransferMachine, Transmit } from "./types.ts";
import { samePeer } from "./types.ts";

/** The client's address in the engine tests. */
export const CLIENT: Peer = { hostname: "127.0.0.1", port: 50000 };
/** The server's well-known port, where requests go. */
export const SERVER_PORT: Peer = { hostname: "127.0.0.1", port: 69 };
/** The server's transfer ID: the port a transfer runs on. */
export const SERVER_TID: Peer = { hostname: "127.0.0.1", port: 40001 };
/** Someone who is not part of the transfer. */
export const STRANGER: Peer = { hostname: "127.0.0.1", port: 9999 };
/** Plain RFC 1350: 512-byte blocks, one at a time. */
export const LOCKSTEP: NegotiatedOptions = { blksize: 512, windowsize: 1 };

function describeOptions(options: TftpOptions): string {
  return Object.entries(options).map(([name, value]) => ` ${name}=${value}`).join("");
}

/** One datagram as a short string, e.g. `DATA 2 (512)`, `ACK 1`, `ERROR 5`, `OACK blksize=8`. */
export function describePacket(bytes: Uint8Array): string {
  let packet;
  try {
    packet = decodePacket(bytes);
  } catch {
    return `MALFORMED (${bytes.length} bytes)`;
  }
  switch (packet.opcode) {
    case OPCODE.RRQ:
    case OPCODE.WRQ: {
      const kind = packet.opcode === OPCODE.RRQ ? "RRQ" : "WRQ";
      return `${kind} ${packet.filename} ${packet.mode}${describeOptions(packet.options)}`;
    }
    case OPCODE.DATA:
      return `DATA ${packet.block} (${packet.data.length})`;
    case OPCODE.ACK:
      return `ACK ${packet.block}`;
    case OPCODE.ERROR:
      return `ERROR ${packet.code}`;
    case OPCODE.OACK:
      return `OACK${describeOptions(packet.options)}`;
  }
}

/** Drains every queued datagram (bounded: a machine that never stops queueing fails fast). */
export function drain(machine: TransferMachine): Transmit[] {
  const out: Transmit[] = [];
  for (let t = machine.pollTransmit(); t; t = machine.pollTransmit()) {
    out.push(t);
    if (out.length > 100_000) throw new Error("Machine queued more than 100000 datagrams");
  }
  return out;
}

/**
 * Drains the queued datagrams as strings. Datagrams to `to` read plainly; any other
 * destination is appended (` -> 127.0.0.1:9999`), so a misdirected packet fails the script.
 */
export function sent(machine: TransferMachine, to: Peer): string[] {
  return drain(machine).map((t) =>
    samePeer(t.to, to)
      ? describePacket(t.bytes)
      : `${describePacket(t.bytes)} -> ${t.to.hostname}:${t.to.port}`
  );
}

/** Drains every queued event. */
export function takeEvents(machine: TransferMachine): TransferEvent[] {
  const out: TransferEvent[] = [];
  for (let e = machine.pollEvent(); e; e = machine.pollEvent()) {
    out.push(e);
    if (out.length > 100_000) throw new Error("Machine queued more than 100000 events");
  }
  return out;
}

/**
 * Drains the queued events as strings: `negotiated 512/1` (blksize/windowsize), `data 3`
 * (bytes), `complete`, `failed TftpRemoteError 8`.
 */
export function events(machine: TransferMachine): string[] {
  return takeEvents(machine).map((e) => {
    switch (e.type) {
      case "negotiated":
        return `negotiated ${e.options.blksize}/${e.options.windowsize}`;
      case "data":
        return `data ${e.data.length}`;
      case "complete":
        return "complete";
      case "failed":
        return `failed ${e.error.name} ${e.error.code}`;
    }
  });
}
