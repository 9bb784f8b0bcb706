/**
 * The state a scripted transfer ({@linkcode download} or {@linkcode upload} of
 * `_transfer.ts`) shares between its two directions: the socket and the server's TID, the
 * negotiated blksize and windowsize, every datagram received, the limits on what it keeps,
 * and the {@linkcode ScriptedTransferRecord} it ends with.
 *
 * Rules:
 * - The first datagram from the server's host pins the server's TID (its port). Datagrams
 *   from any other address are strangers: recorded, never answered.
 * - Every datagram received is kept in `received`, strangers included; once they pass
 *   `maxBytes` or `maxDatagrams`, {@linkcode Session.overflow} says so and the transfer must
 *   end (memory stays bounded whatever the server sends).
 *
 * @module
 */

import {
  DEFAULT_BLKSIZE,
  ERROR_CODE,
  ERROR_TEXT,
  type ErrorCode,
  MAX_BLKSIZE,
  MAX_WINDOWSIZE,
  MIN_BLKSIZE,
  OPCODE,
  type Packet,
  type TftpOptions,
} from "../tftp/packet/mod.ts";
import type { Address, Probe, ReceivedDatagram, ScriptedTransferRecord } from "./check.ts";
import { canonicalHost } from "./probe.ts";

/** Retransmissions after a timeout before a transfer gives up. */
export const RETRIES = 3;

/** What a {@linkcode Session} needs; every field is required. */
export interface SessionOptions {
  /** The socket to use. */
  probe: Probe;
  /** The server's request address, host already resolved. */
  server: Address;
  /** How long to wait for progress before a retransmit. */
  timeoutMs: number;
  /** Stops the transfer by throwing its reason. */
  signal?: AbortSignal;
  /** Most bytes of received datagrams kept. */
  maxBytes: number;
  /** Most received datagrams kept. */
  maxDatagrams: number;
}

/**
 * One line on a packet, e.g. `DATA 3 (512 bytes)` or `ERROR 1 "File not found"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describe } from "./_session.ts";
 * assert.equal(describe({ opcode: 3, block: 3, data: new Uint8Array(512) }), "DATA 3 (512 bytes)");
 * assert.equal(describe({ opcode: 5, code: 1, message: "File not found" }), 'ERROR 1 "File not found"');
 * ```
 *
 * @param packet A decoded packet.
 * @returns The line.
 */
export function describe(packet: Packet): string {
  switch (packet.opcode) {
    case OPCODE.RRQ:
      return `RRQ ${JSON.stringify(packet.filename)}`;
    case OPCODE.WRQ:
      return `WRQ ${JSON.stringify(packet.filename)}`;
    case OPCODE.DATA:
      return `DATA ${packet.block} (${packet.data.length} bytes)`;
    case OPCODE.ACK:
      return `ACK ${packet.block}`;
    case OPCODE.ERROR:
      return `ERROR ${packet.code} ${JSON.stringify(packet.message)}`;
    case OPCODE.OACK:
      return `OACK ${JSON.stringify(packet.options)}`;
  }
}

/** State and records shared by both directions of a scripted transfer. */
export class Session {
  /** Every datagram received, strangers included, in order. */
  readonly received: ReceivedDatagram[] = [];
  /** Datagrams sent. */
  sent = 0;
  /** Datagrams from other addresses than the server's TID. */
  strangers = 0;
  /** The server's TID, once an answer came. */
  serverPort?: number;
  /** The OACK's options, once one came. */
  oack?: TftpOptions;
  /** The ERROR the server sent. */
  error?: { code: number; message: string };
  /** The negotiated blksize. */
  blksize: number = DEFAULT_BLKSIZE;
  /** The negotiated windowsize. */
  windowsize = 1;
  /** Why the transfer must end because `received` passed a limit, once it has. */
  overflow?: string;
  readonly #o: SessionOptions;
  readonly #start = performance.now();
  readonly #host: string;
  #receivedBytes = 0;

  /** A session with the server at `options.server`, its clock starting now. */
  constructor(options: SessionOptions) {
    this.#o = options;
    this.#host = canonicalHost(options.server.hostname);
  }

  /** Sends to the server's TID, or to its request port until the TID is known. */
  async send(packet: Packet): Promise<void> {
    const port = this.serverPort ?? this.#o.server.port;
    await this.#o.probe.send(packet, { hostname: this.#o.server.hostname, port });
    this.sent++;
  }

  /**
   * The next datagram from the server (pinning its TID), or `undefined` at `deadline`. Check
   * {@linkcode overflow} after each call: it is set when this datagram passed a limit.
   */
  async next(deadline: number): Promise<ReceivedDatagram | undefined> {
    for (;;) {
      const left = Math.max(0, deadline - performance.now());
      const datagram = await this.#o.probe.receive({ timeoutMs: left });
      this.#o.signal?.throwIfAborted();
      if (datagram === undefined) return undefined;
      this.#keep(datagram);
      if (canonicalHost(datagram.from.hostname) === this.#host) {
        this.serverPort ??= datagram.from.port;
        if (datagram.from.port === this.serverPort) return datagram;
      }
      this.strangers++;
      if (this.overflow !== undefined) return datagram;
    }
  }

  #keep(datagram: ReceivedDatagram): void {
    this.received.push(datagram);
    this.#receivedBytes += datagram.bytes.length;
    const { maxBytes, maxDatagrams } = this.#o;
    if (this.#receivedBytes <= maxBytes && this.received.length <= maxDatagrams) return;
    this.overflow ??= `received ${this.#receivedBytes} bytes in ${this.received.length} ` +
      `datagrams, more than a scripted transfer keeps (${maxBytes} bytes, ` +
      `${maxDatagrams} datagrams)`;
  }

  /** Reads blksize and windowsize from an OACK; a message when one is out of range. */
  negotiate(options: TftpOptions): string | undefined {
    this.oack = options;
    const read = (name: string, low: number, high: number): number | string | undefined => {
      const text = options[name];
      if (text === undefined) return undefined;
      const value = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
      if (value >= low && value <= high) return value;
      return `OACK ${name} ${JSON.stringify(text)} is not a number between ${low} and ${high}`;
    };
    const blksize = read("blksize", MIN_BLKSIZE, MAX_BLKSIZE);
    const windowsize = read("windowsize", 1, MAX_WINDOWSIZE);
    if (typeof blksize === "string") return blksize;
    if (typeof windowsize === "string") return windowsize;
    this.blksize = blksize ?? DEFAULT_BLKSIZE;
    this.windowsize = windowsize ?? 1;
    return undefined;
  }

  /**
   * Tells the server why we stop (ERROR 4, or `code`) once its TID is known, then ends with
   * `protocol`.
   */
  async protocol(
    detail: string,
    data: Uint8Array,
    code: ErrorCode = ERROR_CODE.ILLEGAL_OPERATION,
  ): Promise<ScriptedTransferRecord> {
    if (this.serverPort !== undefined) {
      const message = ERROR_TEXT[code];
      await this.send({ opcode: OPCODE.ERROR, code, message }).catch(() => {});
    }
    return this.end("protocol", detail, data);
  }

  /** Ends with `error`: the server sent `packet`. */
  remote(
    packet: Packet & { opcode: typeof OPCODE.ERROR },
    data: Uint8Array,
  ): ScriptedTransferRecord {
    this.error = { code: packet.code, message: packet.message };
    return this.end("error", `ERROR ${packet.code} ${JSON.stringify(packet.message)}`, data);
  }

  /** The record of the transfer. */
  end(
    result: ScriptedTransferRecord["result"],
    detail: string,
    data: Uint8Array,
  ): ScriptedTransferRecord {
    return {
      result,
      detail,
      data,
      ...(this.oack === undefined ? {} : { oack: this.oack }),
      ...(this.serverPort === undefined ? {} : { serverPort: this.serverPort }),
      ...(this.error === undefined ? {} : { error: this.error }),
      received: this.received,
      sent: this.sent,
      ms: performance.now() - this.#start,
    };
  }

  /** Ends with `timeout`: no `what` came after {@linkcode RETRIES} retransmits. */
  timeout(what: string, data: Uint8Array): ScriptedTransferRecord {
    const ms = this.#o.timeoutMs;
    const ignored = this.strangers > 0
      ? ` (ignored ${this.strangers} datagrams from other addresses)`
      : "";
    return this.end(
      "timeout",
      `no ${what} within ${ms} ms, after ${RETRIES} retransmits${ignored}`,
      data,
    );
  }

  /** The negotiated settings, e.g. `blksize 1468, windowsize 8`. */
  settings(): string {
    const window = this.windowsize > 1 ? `, windowsize ${this.windowsize}` : "";
    return `blksize ${this.blksize}${window}`;
  }
}
