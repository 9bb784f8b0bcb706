/**
 * Theory of operation: the sending side of a transfer (client upload, server RRQ).
 *
 * States: requesting (client only: WRQ sent), opening (server only: OACK sent, waiting for
 * ACK 0), sending, closed. Data comes in through `offer` / `finish` with back-pressure
 * (`wantsData`); the machine cuts it into DATA packets of blksize bytes, keeps the packets of
 * the current window, and never opens files.
 *
 * Rules (RFC 1350 §2/§6, RFC 1123 §4.2.3, RFC 2347, RFC 7440 §4):
 * - Up to `windowsize` unacknowledged blocks are in flight (1 = lock-step).
 * - An ACK for a block in flight acknowledges it and everything before it; sending resumes
 *   right after it (for an ACK inside the window, that re-sends the rest: RFC 7440).
 * - Congestion control (RFC 7440 §4 leaves it to the sender; see congestion.ts): the
 *   windowsize is the maximum. Blocks go out in bursts of `cwnd` blocks. A receiver ACKs only
 *   after a whole window (or a gap, or its timeout), so a window cannot be clocked by ACKs:
 *   when `cwnd` is smaller than the window, the rest of the window follows in bursts
 *   `paceMs` apart (a pacing deadline in `pollTimeout`), and the retransmit timer restarts
 *   with each burst, keeping its backoff and retry count. An ACK for everything sent is a
 *   clean round (cwnd grows); an ACK for a block before the last one sent shows a gap: the
 *   rest is resent at once from the block after it (fast recovery) and cwnd halves; a
 *   timeout resends from the first unacknowledged block with cwnd 1. Socket buffers that
 *   cannot take a whole window (Deno cannot size them) then cost a halving, not a collapse
 *   into timeouts. With windowsize 1 a burst is the whole window: plain lock-step.
 * - A duplicate ACK (for the block already acknowledged) never causes a retransmission:
 *   the Sorcerer's Apprentice bug (RFC 1123 §4.2.3.1). Only the timer does.
 * - On timeout the unacknowledged blocks are sent again, the identical bytes, with backoff.
 * - The last DATA is shorter than blksize; when the size is an exact multiple of blksize (or
 *   zero) it is a DATA with no payload. Its ACK completes the transfer.
 *
 * @module
 */

import { OPCODE } from "../packet/constants.ts";
import type { NegotiatedOptions } from "../packet/options.ts";
import type { Packet } from "../packet/packet.ts";
import { blockCycle, blockDistance, MAX_ENGINE_WINDOW, wireBlock } from "./_block.ts";
import { type CongestionStats, CongestionWindow } from "./congestion.ts";
import { type ClientOpening, Transfer, type TransferConfig } from "./transfer.ts";
import type { Peer } from "./types.ts";

export type { CongestionStats } from "./congestion.ts";

/** Bytes in the first burst of a window, unless `initialCwnd` says otherwise. */
const INITIAL_WINDOW_BYTES = 65536;

/** Timing and congestion control of a {@linkcode Sender}. */
export interface SenderConfig extends TransferConfig {
  /**
   * Blocks in the first burst (capped at the windowsize). Default: as many as fit in 64 KiB,
   * at least 1 (128 blocks of 512 bytes, 44 of 1468, 8 of 8192, 1 of 65464): a burst a
   * default Linux socket buffer (about 208 KiB) takes whole.
   */
  initialCwnd?: number;
  /**
   * False sends every window whole, without congestion control (for comparisons).
   * @default {true}
   */
  congestionControl?: boolean;
  /** Milliseconds between the bursts of a window larger than cwnd. @default {1} */
  paceMs?: number;
}

/** How a server-side sender opens. */
export interface ServerSenderOpening {
  /** The client (its TID). */
  readonly peer: Peer;
  /** Options agreed for the transfer. */
  readonly options: NegotiatedOptions;
  /** The OACK to send first (then wait for ACK 0), or `undefined` to start with DATA 1. */
  readonly oack?: Uint8Array;
}

/**
 * The sending side of a transfer. Offer it data while `wantsData` is true, call `finish`
 * at the end of the input, and drive it with datagrams and timeouts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck, Sender } from "../../../mod.ts";
 * const client = { hostname: "127.0.0.1", port: 50000 };
 * const tx = new Sender(0, { peer: client, options: { blksize: 512, windowsize: 1 } });
 * tx.offer(0, new Uint8Array(512)); // exactly one block...
 * tx.finish(0);                       // ...so a 0-byte DATA 2 must follow
 * assert.equal(tx.pollTransmit()?.bytes.length, 516);
 * tx.handleDatagram(1, client, encodeAck(1));
 * assert.equal(tx.pollTransmit()?.bytes.length, 4);
 * tx.handleDatagram(2, client, encodeAck(2));
 * assert.ok(tx.isClosed);
 * ```
 */
export class Sender extends Transfer {
  #blksize = 0;
  #windowsize = 1;
  #configured = false;
  #started = false;
  #oack: Uint8Array | undefined;
  #unsliced: Uint8Array[] = [];
  #finished = false;
  #packets: Uint8Array<ArrayBuffer>[] = []; // packets of blocks #base+1 ..., from index #head
  #head = 0;
  #partial = new Uint8Array(0);
  #partialSize = 0;
  /** Full-size packets the peer acknowledged: the next blocks are cut into them. */
  #spare: Uint8Array<ArrayBuffer>[] = [];
  #base = 0; // last acknowledged block
  #built = 0; // last block cut into a packet
  #next = 1; // next block to send
  #highestSent = 0;
  #finalBlock = Infinity;
  #congestion: CongestionWindow = new CongestionWindow(1);
  #initialCwnd: number | undefined;
  #adaptive: boolean;
  #paceMs: number;
  #burstLeft = 0; // blocks the current burst may still send
  #paceAt: number | undefined; // when the next burst of this window may go
  #flightResent = false; // the flight since the timer was armed holds a retransmission

  /** A client upload (`opening` holds the WRQ and the server) or a server's RRQ sender. */
  constructor(
    now: number,
    opening: ClientOpening | ServerSenderOpening,
    config: SenderConfig = {},
  ) {
    super(now, config, "request" in opening ? opening : opening.peer);
    const paceMs = config.paceMs ?? 1;
    if (!(paceMs >= 0) || !Number.isFinite(paceMs)) {
      throw new RangeError(`paceMs must be a finite number >= 0, got ${JSON.stringify(paceMs)}`);
    }
    this.#paceMs = paceMs;
    this.#initialCwnd = config.initialCwnd;
    this.#adaptive = config.congestionControl ?? true;
    const initial = this.#initialCwnd;
    if (initial !== undefined && !(Number.isInteger(initial) && initial >= 1)) {
      throw new RangeError(`initialCwnd must be an integer >= 1, got ${JSON.stringify(initial)}`);
    }
    if (!("request" in opening)) {
      this.settle(opening.options, opening.oack !== undefined);
      this.#oack = opening.oack;
      if (this.#oack) {
        this.send(this.#oack);
        this.timer.arm(now);
      } else {
        this.#started = true;
        this.#startBurst();
      }
    }
  }

  /** True when the machine can take more data without growing past its window. */
  get wantsData(): boolean {
    // Before the options are settled the block size is unknown: take nothing yet.
    if (this.#finished || this.isClosed || !this.#configured) return false;
    return this.#built - this.#base < this.#windowsize;
  }

  /**
   * How many more input bytes fill the window: offering more than this makes the machine
   * hold packets beyond its window (it takes them, but memory grows). 0 when it wants none.
   */
  get wantedBytes(): number {
    if (!this.wantsData) return 0;
    return (this.#windowsize - (this.#built - this.#base)) * this.#blksize - this.#partialSize;
  }

  /** What congestion control did so far (the window, its rounds, losses and timeouts). */
  get congestion(): CongestionStats {
    return this.#congestion.stats;
  }

  /** Payload bytes acknowledged so far. */
  get bytesAcknowledged(): number {
    return this.stats.bytes;
  }

  /** Adds input. The bytes are copied; the caller may reuse `chunk`. */
  offer(now: number, chunk: Uint8Array): void {
    if (this.#finished) throw new TypeError("Cannot offer data after finish()");
    if (!this.#configured) {
      this.#unsliced.push(chunk.slice());
      return;
    }
    this.#cut(chunk);
    this.#pump(now);
  }

  /** Marks the end of the input: the final (possibly empty) DATA can be built. */
  finish(now: number): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#configured) return;
    this.#cutFinal();
    this.#pump(now);
  }

  /** Sizes the machine for the negotiated options. */
  protected configure(options: NegotiatedOptions): void {
    this.#blksize = options.blksize;
    this.#windowsize = Math.min(options.windowsize, MAX_ENGINE_WINDOW);
    this.#congestion = new CongestionWindow(this.#windowsize, {
      initial: this.#initialCwnd ?? Math.max(1, Math.floor(INITIAL_WINDOW_BYTES / this.#blksize)),
      adaptive: this.#adaptive,
    });
    this.#configured = true;
    this.#partial = new Uint8Array(4 + this.#blksize);
    for (const chunk of this.#unsliced) this.#cut(chunk);
    this.#unsliced = [];
    if (this.#finished) this.#cutFinal();
  }

  #cut(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.#blksize - this.#partialSize, chunk.length - at);
      this.#partial.set(chunk.subarray(at, at + take), 4 + this.#partialSize);
      this.#partialSize += take;
      at += take;
      if (this.#partialSize === this.#blksize) {
        this.#seal(this.#partial);
        this.#partial = this.#spare.pop() ?? new Uint8Array(4 + this.#blksize);
        this.#partialSize = 0;
      }
    }
  }

  #cutFinal(): void {
    this.#seal(this.#partial.slice(0, 4 + this.#partialSize));
    this.#finalBlock = this.#built;
    this.#partial = new Uint8Array(0);
  }

  #seal(packet: Uint8Array<ArrayBuffer>): void {
    const block = wireBlock(++this.#built, this.rollover);
    packet[1] = OPCODE.DATA;
    packet[2] = block >> 8;
    packet[3] = block & 0xff;
    this.#packets.push(packet);
  }

  /** A new burst of up to cwnd blocks may go now. */
  #startBurst(): void {
    this.#burstLeft = this.#congestion.cwnd;
    this.#paceAt = undefined;
  }

  /**
   * Sends what the window and the burst allow; arms the timer when the flight starts now
   * (`arm`). When the burst ends before the window does, the next burst waits `paceMs`.
   */
  #pump(now: number, arm = true): void {
    if (!this.#started) return;
    const windowEnd = this.#base + this.#windowsize;
    const limit = Math.min(this.#built, windowEnd);
    const idle = this.#next === this.#base + 1;
    let resent = false;
    while (this.#next <= limit && this.#burstLeft > 0) {
      const again = this.#next <= this.#highestSent;
      this.send(this.#packets[this.#head + this.#next - this.#base - 1], again);
      if (again) resent = true;
      else this.#highestSent = this.#next;
      this.#next++;
      this.#burstLeft--;
    }
    if (arm && idle && this.#next > this.#base + 1) {
      this.timer.arm(now);
      this.#flightResent = false;
    }
    if (resent) {
      this.timer.noteRetransmission();
      this.#flightResent = true;
    }
    if (this.#burstLeft === 0 && this.#next <= windowEnd && this.#paceAt === undefined) {
      this.#paceAt = now + this.#paceMs;
    }
  }

  /** The next burst of a paced window: restart the timer for it, keeping the backoff. */
  #paceBurst(now: number): void {
    this.#startBurst();
    const before = this.#next;
    this.#pump(now, false);
    if (this.#next === before) return;
    this.timer.restart(now, this.#flightResent);
  }

  /** When `handleTimeout` must be called next: the retransmit or the pacing deadline. */
  override pollTimeout(): number | undefined {
    const deadline = super.pollTimeout();
    if (this.#paceAt === undefined || this.isClosed) return deadline;
    return deadline === undefined ? this.#paceAt : Math.min(deadline, this.#paceAt);
  }

  /** Tells the machine the time: sends the next paced burst or retransmits when due. */
  override handleTimeout(now: number): void {
    if (this.#paceAt !== undefined && now >= this.#paceAt && !this.isClosed) {
      this.#paceBurst(now);
    }
    super.handleTimeout(now);
  }

  /** Describes what the machine waits for, for timeout messages. */
  protected waitingFor(): string {
    if (this.requesting) return "the server's answer";
    if (!this.#started) return "ACK 0 to the OACK";
    return `ACK ${wireBlock(this.#base + 1, this.rollover)}`;
  }

  /** Handles a decoded packet from the peer. */
  protected onPacket(now: number, from: Peer, packet: Packet): void {
    if (this.requesting) {
      if (packet.opcode === OPCODE.OACK || (packet.opcode === OPCODE.ACK && packet.block === 0)) {
        if (!this.acceptFirstAnswer(now, from, packet)) return;
        this.#started = true;
        this.#startBurst();
        this.#pump(now);
        return;
      }
      this.pin(from);
      this.violation(now, 4, `Server answered the WRQ with opcode ${packet.opcode}`);
      return;
    }
    if (
      packet.opcode === OPCODE.OACK && this.stats.optionsAcknowledged && this.#oack === undefined
    ) {
      this.stats.duplicates++; // the server repeated its OACK; DATA 1 is already on its way
      return;
    }
    if (packet.opcode !== OPCODE.ACK) {
      this.violation(now, 4, `Expected an ACK, got opcode ${packet.opcode}`);
      return;
    }
    if (!this.#started) {
      if (packet.block !== 0) {
        this.violation(now, 4, `Expected ACK 0 to the OACK, got ACK ${packet.block}`);
        return;
      }
      this.#started = true;
      this.timer.acknowledge(now);
      this.timer.disarm();
      this.#startBurst();
      this.#pump(now);
      return;
    }
    this.#onAck(now, packet.block);
  }

  #onAck(now: number, block: number): void {
    const distance = blockDistance(this.#base, block, this.rollover);
    if (
      distance === 0 || distance > this.#highestSent - this.#base ||
      distance >= blockCycle(this.rollover) / 2
    ) {
      this.stats.duplicates++; // duplicate or stale: never retransmit because of it
      return;
    }
    for (let i = 0; i < distance; i++) {
      const packet = this.#packets[this.#head + i];
      this.stats.bytes += packet.length - 4;
      // Acknowledged: never sent again, so its array can carry a later block (no garbage
      // per block: with many transfers at once that garbage was most of the server's memory).
      if (packet.length === 4 + this.#blksize) this.#spare.push(packet);
    }
    this.#head += distance;
    this.#base += distance;
    this.stats.blocks = this.#base;
    if (this.#head >= 64) {
      // Let acknowledged packets go: memory stays at one window.
      this.#packets = this.#packets.slice(this.#head);
      this.#head = 0;
    }
    this.timer.acknowledge(now);
    // Everything sent acknowledged: a clean round. An ACK before the last block sent: the
    // blocks after it were lost (a gap), resent below at once.
    if (this.#base === this.#highestSent) this.#congestion.onCleanRound();
    else this.#congestion.onLoss();
    if (this.#base === this.#finalBlock) {
      this.complete(now, false);
      return;
    }
    // Resume right after the acknowledged block (RFC 7440 §4).
    this.#next = this.#base + 1;
    this.timer.disarm();
    this.#startBurst();
    this.#pump(now);
  }

  /** Retransmits after the timer expired. */
  protected onTimeout(now: number): void {
    if (!this.#started) {
      this.send(this.#oack!, true);
      return;
    }
    // Keep the backed-off deadline that expire() set: do not re-arm.
    this.#congestion.onTimeout();
    this.#next = this.#base + 1;
    this.#startBurst();
    this.#pump(now, false);
  }
}
