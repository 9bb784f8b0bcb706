/**
 * Theory of operation: the receiving side of a transfer (client download, server WRQ).
 *
 * States: requesting (client only: RRQ sent, no answer yet), receiving, dallying, closed.
 *
 * Rules (RFC 1350 §2/§6, RFC 1123 §4.2.3, RFC 2347, RFC 7440 §4):
 * - DATA with the expected block is delivered once (a `data` event), in order. A DATA shorter
 *   than blksize is the last: it is ACKed, `complete` is emitted, and the machine dallies,
 *   re-sending that final ACK if the final DATA comes again.
 * - The receiver ACKs after every `windowsize` in-order blocks (every block in lock-step).
 * - A block from ahead of the expected one (a gap in a window) is dropped and answered once
 *   with an ACK of the last in-order block, so the sender resumes from there.
 * - A repeated old block is answered by re-sending the last ACK when it is the last block we
 *   have (that is the block a sender that lost our ACK sends last or again); other repeats
 *   are counted and dropped, so a retransmitted window costs one ACK, not one per block.
 * - On timeout the last packet sent (request, ACK 0 / OACK, or last ACK) is sent again,
 *   identical, with backoff; after the retry cap the transfer fails.
 * - The client's request phase, TIDs, ERROR handling and OACK checks live in the base class.
 *
 * @module
 */

import { OPCODE } from "../packet/constants.ts";
import { encodeAck } from "../packet/encode.ts";
import type { NegotiatedOptions } from "../packet/options.ts";
import { RFC1350_OPTIONS } from "../packet/options.ts";
import type { DataPacket, Packet } from "../packet/packet.ts";
import { blockCycle, blockDistance, MAX_ENGINE_WINDOW, wireBlock } from "./_block.ts";
import { type ClientOpening, Transfer, type TransferConfig } from "./transfer.ts";
import type { Peer } from "./types.ts";

/** How a server-side receiver opens: the packet it answers the WRQ with. */
export interface ServerReceiverOpening {
  /** The client (its TID). */
  readonly peer: Peer;
  /** Options agreed for the transfer. */
  readonly options: NegotiatedOptions;
  /** The OACK to send, or `undefined` to send a plain ACK 0. */
  readonly oack?: Uint8Array;
}

/**
 * The receiving side of a transfer. Feed it datagrams and timeouts; drain `data` events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeData, OPCODE, Receiver } from "../../../mod.ts";
 * const client = { hostname: "127.0.0.1", port: 50000 };
 * const rx = new Receiver(0, { peer: client, options: { blksize: 512, windowsize: 1 } });
 * assert.ok(rx.pollTransmit()?.bytes.join() === "0,4,0,0"); // ACK 0 answers the WRQ
 * rx.handleDatagram(1, client, encodeData(1, new Uint8Array([104, 105])));
 * assert.ok(rx.pollTransmit()?.bytes.join() === "0,4,0,1");
 * const events = [rx.pollEvent(), rx.pollEvent(), rx.pollEvent()].map((e) => e?.type);
 * assert.ok(events.join() === "negotiated,data,complete");
 * ```
 */
export class Receiver extends Transfer {
  #blksize = RFC1350_OPTIONS.blksize;
  #windowsize = 1;
  #expected = 1;
  #sinceAck = 0;
  #lastSent: Uint8Array | undefined;
  #gapAckedFor = 0;
  #finalWire = -1;
  #isClient: boolean;

  /**
   * A client download (`opening` holds the RRQ and the server) or a server's WRQ receiver.
   */
  constructor(
    now: number,
    opening: ClientOpening | ServerReceiverOpening,
    config: TransferConfig = {},
  ) {
    super(now, config, "request" in opening ? opening : opening.peer);
    this.#isClient = "request" in opening;
    if (!("request" in opening)) {
      this.settle(opening.options, opening.oack !== undefined);
      this.#sendAck(now, opening.oack ?? encodeAck(0));
    }
  }

  /** Sizes the machine for the negotiated options. */
  protected configure(options: NegotiatedOptions): void {
    this.#blksize = options.blksize;
    this.#windowsize = Math.min(options.windowsize, MAX_ENGINE_WINDOW);
  }

  /** DATA of up to blksize bytes. */
  protected override largestExpected(): number {
    return 4 + this.#blksize;
  }

  /** Describes what the machine waits for, for timeout messages. */
  protected waitingFor(): string {
    if (this.requesting) return "the server's answer";
    return `DATA ${wireBlock(this.#expected, this.rollover)}`;
  }

  #sendAck(now: number, bytes: Uint8Array): void {
    this.#lastSent = bytes;
    this.#sinceAck = 0;
    this.send(bytes);
    this.timer.arm(now);
  }

  /** Handles a decoded packet from the peer. */
  protected onPacket(now: number, from: Peer, packet: Packet): void {
    if (this.dallying) {
      if (packet.opcode === OPCODE.DATA && packet.block === this.#finalWire) {
        this.stats.duplicates++;
        this.send(this.#lastSent!, true);
        this.extendDally(now);
      }
      return;
    }
    if (this.requesting) {
      if (packet.opcode !== OPCODE.DATA && packet.opcode !== OPCODE.OACK) {
        this.pin(from);
        this.violation(now, 4, `Server answered the RRQ with opcode ${packet.opcode}`);
        return;
      }
      if (packet.opcode === OPCODE.DATA && packet.block !== 1) {
        this.pin(from);
        this.violation(
          now,
          4,
          `Server answered the RRQ with DATA ${packet.block} instead of DATA 1`,
        );
        return;
      }
      if (!this.acceptFirstAnswer(now, from, packet)) return;
      if (packet.opcode === OPCODE.OACK) {
        this.#sendAck(now, encodeAck(0));
        return;
      }
    } else if (
      packet.opcode === OPCODE.OACK && this.#isClient && this.stats.optionsAcknowledged
    ) {
      // The server sent its OACK again. Before DATA 1 our ACK 0 was lost or late: send it
      // again. After DATA 1 it is a copy the network duplicated or delayed: ignore it.
      this.stats.duplicates++;
      if (this.#expected === 1) this.send(this.#lastSent!, true);
      return;
    }
    if (packet.opcode !== OPCODE.DATA) {
      this.violation(
        now,
        4,
        `Expected DATA ${wireBlock(this.#expected, this.rollover)}, got opcode ${packet.opcode}`,
      );
      return;
    }
    this.#onData(now, packet);
  }

  #onData(now: number, packet: DataPacket): void {
    const distance = blockDistance(this.#expected, packet.block, this.rollover);
    if (distance === 0) {
      const size = packet.data.length;
      if (size > this.#blksize) {
        this.violation(
          now,
          4,
          `DATA ${packet.block} carries ${size} bytes, more than blksize ${this.#blksize}`,
        );
        return;
      }
      this.emit({ type: "data", data: packet.data });
      this.stats.bytes += size;
      this.stats.blocks++;
      // Only the first DATA after an ACK measures a round trip; later ones in the same window
      // only show that the sender is alive.
      if (this.#sinceAck === 0) this.timer.acknowledge(now);
      else this.timer.progress(now);
      this.#expected++;
      this.#sinceAck++;
      if (size < this.#blksize) {
        this.#finalWire = packet.block;
        this.#sendAck(now, encodeAck(packet.block));
        this.complete(now, true);
      } else if (this.#sinceAck >= this.#windowsize) {
        this.#sendAck(now, encodeAck(packet.block));
      } else {
        this.timer.arm(now);
      }
      return;
    }
    if (distance < this.#windowsize && distance < blockCycle(this.rollover) / 2) {
      // A block from further ahead: something in this window was lost or reordered.
      if (this.#gapAckedFor !== this.#expected) {
        this.#gapAckedFor = this.#expected;
        this.#sendAck(now, encodeAck(wireBlock(this.#expected - 1, this.rollover)));
      }
      return;
    }
    this.stats.duplicates++;
    if (packet.block === wireBlock(this.#expected - 1, this.rollover) && this.#lastSent) {
      this.send(this.#lastSent, true);
    }
  }

  /**
   * The timer expired: in the middle of a window, acknowledge what did arrive so the sender
   * resumes from there (RFC 7440 §4); otherwise send the last packet again, identical.
   */
  protected onTimeout(_now: number): void {
    if (this.#sinceAck > 0) {
      this.#lastSent = encodeAck(wireBlock(this.#expected - 1, this.rollover));
      this.#sinceAck = 0;
    }
    this.send(this.#lastSent!, true);
  }
}
