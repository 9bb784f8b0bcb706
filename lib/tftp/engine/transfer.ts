/**
 * The part every transfer machine shares: the peer's transfer ID, the client's request phase
 * (RRQ/WRQ sent to the server's well-known port, the answer from a fresh port pins the TID,
 * OACK checked, ERROR 8 answered by one retry without options), ERROR 5 to strangers, one
 * decode boundary (malformed bytes become ERROR 4), the retransmit timer and its deadline,
 * failure, completion and dallying. Sender and receiver subclass it and add the data phase.
 *
 * @module
 */

import { ERROR_CODE, MAX_BLKSIZE, OPCODE } from "../packet/constants.ts";
import { decodePacket } from "../packet/decode.ts";
import { encodeError, encodePacket } from "../packet/encode.ts";
import { acceptOack, type NegotiatedOptions, RFC1350_OPTIONS } from "../packet/options.ts";
import type { OackPacket, Packet, RequestPacket } from "../packet/packet.ts";
import {
  PacketSyntaxError,
  TftpError,
  TftpProtocolError,
  TftpRemoteError,
  TftpTimeoutError,
} from "../errors.ts";
import type { Rollover } from "./_block.ts";
import { errorText } from "./_error_text.ts";
import { resolveTimingOptions, RetransmitTimer, type TimingOptions } from "./timing.ts";
import {
  type Peer,
  samePeer,
  type TransferEvent,
  type TransferMachine,
  type TransferStats,
  type Transmit,
} from "./types.ts";

/** Settings every transfer machine takes. */
export interface TransferConfig extends TimingOptions {
  /** Wire block number after 65535. @default {0} */
  rollover?: Rollover;
  /**
   * Servers: how often the first packet is sent again to a client that has not answered at
   * all. A spoofed request makes a server send to a victim that never answers; a real client
   * answers the first packet within a round trip. Clients ignore it.
   * @default {Infinity} (the retries and `giveUpMs` decide)
   */
  unansweredRetries?: number;
}

/** The client's opening: the request and where it goes. */
export interface ClientOpening {
  /** The server's request port (usually 69). */
  readonly server: Peer;
  /** RRQ or WRQ to send; its options are what the client asks for. */
  readonly request: RequestPacket;
}

/** Formats a peer as `host:port`, with brackets for IPv6. */
export function formatPeer(peer: Peer): string {
  return peer.hostname.includes(":")
    ? `[${peer.hostname}]:${peer.port}`
    : `${peer.hostname}:${peer.port}`;
}

type State = "open" | "dally" | "closed";

/**
 * The smallest receive buffer a transfer uses: room for an ACK, an OACK, or an ERROR with a
 * long message (a request is at most 512 bytes; messages are usually far shorter).
 */
export const CONTROL_DATAGRAM_BYTES = 2048;

/** Base class of {@linkcode Sender} and {@linkcode Receiver}; see the module comment. */
export abstract class Transfer implements TransferMachine {
  #tx: Transmit[] = [];
  #events: TransferEvent[] = [];
  #peer: Peer | undefined;
  #opening: ClientOpening | undefined;
  #state: State = "open";
  #dallyUntil = 0;
  #startedAt: number;
  #overallDeadline: number;
  #unansweredRetries: number;
  #answered = false;
  /** The retransmit timer. */
  protected readonly timer: RetransmitTimer;
  /** Counters reported at the end. */
  protected readonly stats: TransferStats;
  /** Block number rollover. */
  protected readonly rollover: Rollover;

  /** Creates the machine; a client opening queues its request at once. */
  constructor(now: number, config: TransferConfig, peerOrOpening: Peer | ClientOpening) {
    const timing = resolveTimingOptions(config);
    this.timer = new RetransmitTimer(timing);
    this.rollover = config.rollover ?? 0;
    this.#startedAt = now;
    this.#overallDeadline = now + timing.deadlineMs;
    this.#unansweredRetries = config.unansweredRetries ?? Infinity;
    if (!(this.#unansweredRetries >= 0)) {
      throw new RangeError(`unansweredRetries must be >= 0, got ${config.unansweredRetries}`);
    }
    this.stats = {
      bytes: 0,
      blocks: 0,
      datagramsSent: 0,
      datagramsReceived: 0,
      retransmits: 0,
      timeouts: 0,
      duplicates: 0,
      strangers: 0,
      elapsedMs: 0,
      options: RFC1350_OPTIONS,
      optionsAcknowledged: false,
    };
    if ("request" in peerOrOpening) {
      this.#opening = peerOrOpening;
      this.sendRequest(now);
    } else {
      this.#peer = peerOrOpening;
    }
  }

  /** The pinned peer (its TID), once known. */
  protected get peer(): Peer | undefined {
    return this.#peer;
  }

  /** Pins the peer's TID (a copy: the caller's object may carry more, or be reused). */
  protected pin(from: Peer): void {
    this.#peer = { hostname: from.hostname, port: from.port };
  }

  /** True while a client waits for the server's first answer. */
  protected get requesting(): boolean {
    return this.#opening !== undefined && this.#peer === undefined;
  }

  /** True while dallying after completion. */
  protected get dallying(): boolean {
    return this.#state === "dally";
  }

  /**
   * How many bytes a receive buffer needs (see {@linkcode TransferMachine}): while a client
   * waits for the server's first answer, room for any DATA; afterwards what the subclass
   * expects, and never less than {@linkcode CONTROL_DATAGRAM_BYTES}.
   */
  get receiveBytes(): number {
    if (this.requesting) return 4 + MAX_BLKSIZE + 1;
    return Math.max(CONTROL_DATAGRAM_BYTES, this.largestExpected() + 1);
  }

  /**
   * True once a datagram came from the peer's TID (for a server: the client is real, not a
   * spoofed address; for a client: the server answered).
   */
  get answered(): boolean {
    return this.#answered;
  }

  /** True once nothing more will happen. */
  get isClosed(): boolean {
    return this.#state === "closed";
  }

  /** Queues a datagram to the peer (or to `to`). */
  protected send(bytes: Uint8Array, retransmit = false, to: Peer | undefined = this.#peer): void {
    if (to === undefined) return;
    this.#tx.push({ to, bytes });
    this.stats.datagramsSent++;
    if (retransmit) this.stats.retransmits++;
  }

  /** Queues an event. */
  protected emit(event: TransferEvent): void {
    this.#events.push(event);
  }

  /** (Re)sends the client's request to the server's request port. */
  protected sendRequest(now: number, retransmit = false): void {
    const opening = this.#opening!;
    this.send(encodePacket(opening.request), retransmit, opening.server);
    if (!retransmit) this.timer.arm(now);
  }

  /** Settles options: emits `negotiated` and lets the subclass size itself. */
  protected settle(options: NegotiatedOptions, acknowledged: boolean): void {
    this.stats.options = options;
    this.stats.optionsAcknowledged = acknowledged;
    this.configure(options);
    this.emit({ type: "negotiated", options, peer: this.#peer! });
  }

  /**
   * The client got its first answer from `from`: pin the TID. For an OACK, check it against
   * the request (a bad OACK is refused with ERROR 8); for anything else the server ignored
   * the options. Returns false when the transfer failed.
   */
  protected acceptFirstAnswer(now: number, from: Peer, packet: Packet): boolean {
    this.pin(from);
    this.timer.acknowledge(now);
    if (packet.opcode !== OPCODE.OACK) {
      this.settle(RFC1350_OPTIONS, false);
      return true;
    }
    try {
      this.settle(acceptOack(this.#opening!.request.options, (packet as OackPacket).options), true);
      return true;
    } catch (error) {
      if (!(error instanceof TftpError)) throw error;
      this.fail(now, error, true);
      return false;
    }
  }

  /** Ends the transfer with `error`; with `notify`, the peer gets ERROR `error.code`. */
  protected fail(now: number, error: TftpError, notify: boolean): void {
    if (this.#state !== "open") return;
    // The peer reads the message as netascii; it may quote what the peer sent.
    if (notify) this.send(encodeError(error.code, errorText(error.message)));
    this.#finish(now, "closed");
    this.emit({ type: "failed", error, stats: this.#snapshot(now) });
  }

  /** Fails with a protocol error sent to the peer as ERROR `code`. */
  protected violation(now: number, code: number, message: string): void {
    this.fail(now, new TftpProtocolError(code, message), true);
  }

  /** While dallying: the final DATA came again, so wait a full dally period from now. */
  protected extendDally(now: number): void {
    if (this.#state === "dally") this.#dallyUntil = now + this.timer.dallyMs();
  }

  /** Ends the transfer successfully; a receiver then dallies. */
  protected complete(now: number, dally: boolean): void {
    if (this.#state !== "open") return;
    this.#finish(now, dally ? "dally" : "closed");
    if (dally) this.#dallyUntil = now + this.timer.dallyMs();
    this.emit({ type: "complete", stats: this.#snapshot(now) });
  }

  #finish(now: number, state: State): void {
    this.#state = state;
    this.timer.disarm();
    this.stats.elapsedMs = now - this.#startedAt;
  }

  #snapshot(now: number): TransferStats {
    return { ...this.stats, elapsedMs: now - this.#startedAt };
  }

  /** Feeds one received datagram (see {@linkcode TransferMachine}). */
  handleDatagram(now: number, from: Peer, bytes: Uint8Array): void {
    if (this.#state === "closed") return;
    const expected = this.#peer ?? this.#opening!.server;
    const known = this.#peer ? samePeer(from, expected) : from.hostname === expected.hostname;
    if (!known) {
      this.stats.strangers++;
      // Never answer an ERROR: two confused peers would bounce errors forever.
      if (bytes.length >= 2 && !(bytes[0] === 0 && bytes[1] === OPCODE.ERROR)) {
        this.send(encodeError(ERROR_CODE.UNKNOWN_TID, "Unknown transfer ID"), false, from);
      }
      return;
    }
    this.stats.datagramsReceived++;
    this.#answered = true;
    let packet: Packet;
    try {
      packet = decodePacket(bytes);
    } catch (error) {
      if (!(error instanceof PacketSyntaxError)) throw error;
      if (this.#state !== "open") return;
      if (this.requesting) this.pin(from);
      this.violation(
        now,
        ERROR_CODE.ILLEGAL_OPERATION,
        `Malformed packet from peer: ${error.message}`,
      );
      return;
    }
    if (packet.opcode === OPCODE.ERROR) {
      if (this.#state !== "open") return;
      const opening = this.#opening;
      if (
        this.requesting && packet.code === ERROR_CODE.OPTION_REFUSED &&
        Object.keys(opening!.request.options).length > 0
      ) {
        // RFC 2347: the server refused our options; ask once more as plain RFC 1350.
        this.#opening = { ...opening!, request: { ...opening!.request, options: {} } };
        this.sendRequest(now);
        return;
      }
      this.fail(now, new TftpRemoteError(packet.code, packet.message), false);
      return;
    }
    // A well-formed packet from the peer: it is alive, however slow (see giveUpMs).
    if (!this.requesting) this.timer.heard(now);
    this.onPacket(now, from, packet);
  }

  /** Tells the machine the time; acts only when a deadline passed. */
  handleTimeout(now: number): void {
    if (this.#state === "closed") return;
    if (this.#state === "dally") {
      if (now >= this.#dallyUntil) this.#finish(now, "closed");
      return;
    }
    if (now >= this.#overallDeadline) {
      const error = new TftpTimeoutError(
        `Transfer did not finish within its deadline while waiting for ${this.waitingFor()}`,
        this.timer.attempts + 1,
      );
      this.fail(now, error, this.#peer !== undefined);
      return;
    }
    const deadline = this.timer.deadline;
    if (deadline === undefined || now < deadline) return;
    if (!this.#opening && !this.#answered && this.timer.attempts >= this.#unansweredRetries) {
      // Never answered: maybe a spoofed request. Stop sending, and send no ERROR either.
      const attempts = this.timer.attempts + 1;
      const error = new TftpTimeoutError(
        `No answer from ${formatPeer(this.#peer!)} to the first packet after ${attempts} ${
          attempts === 1 ? "attempt" : "attempts"
        }`,
        attempts,
      );
      this.fail(now, error, false);
      return;
    }
    if (!this.timer.expire(now)) {
      const attempts = this.timer.attempts;
      const where = formatPeer(this.#peer ?? this.#opening!.server);
      const error = new TftpTimeoutError(
        `No answer from ${where} after ${attempts} ${
          attempts === 1 ? "attempt" : "attempts"
        } while waiting for ${this.waitingFor()}`,
        attempts,
      );
      this.fail(now, error, this.#peer !== undefined);
      return;
    }
    this.stats.timeouts++;
    if (this.requesting) this.sendRequest(now, true);
    else this.onTimeout(now);
  }

  /** The next datagram to send, if any. */
  pollTransmit(): Transmit | undefined {
    return this.#tx.shift();
  }

  /** The next event, if any. */
  pollEvent(): TransferEvent | undefined {
    return this.#events.shift();
  }

  /** When `handleTimeout` must be called next, if ever. */
  pollTimeout(): number | undefined {
    if (this.#state === "closed") return undefined;
    if (this.#state === "dally") return this.#dallyUntil;
    const deadline = Math.min(this.timer.deadline ?? Infinity, this.#overallDeadline);
    return Number.isFinite(deadline) ? deadline : undefined;
  }

  /** Ends the transfer locally; the peer gets ERROR `error.code`. */
  abort(now: number, error: TftpError): void {
    if (this.#state === "dally") {
      if (this.#tx.length === 0) {
        // The final ACK is out and the data is kept: the transfer succeeded; stop dallying.
        this.#finish(now, "closed");
        return;
      }
      // The data arrived but could not be kept (say, the disk filled while committing):
      // take back the final ACK that has not gone out yet and report the failure instead.
      this.#tx.length = 0;
      this.#events = this.#events.filter((event) => event.type !== "complete");
      this.#state = "open";
    }
    this.fail(now, error, true);
  }

  /** Sizes the machine for the negotiated options. */
  protected abstract configure(options: NegotiatedOptions): void;
  /** Handles a decoded, non-ERROR packet from the peer (or, while requesting, the server). */
  protected abstract onPacket(now: number, from: Peer, packet: Packet): void;
  /** The timer expired in the data phase: retransmit. */
  protected abstract onTimeout(now: number): void;
  /** Describes what the machine waits for, e.g. `ACK 17`. */
  protected abstract waitingFor(): string;
  /** The largest datagram the peer may send in the data phase (a sender: ACKs only). */
  protected largestExpected(): number {
    return 4;
  }
}
