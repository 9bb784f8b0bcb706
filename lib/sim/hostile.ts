/**
 * Injected traffic for {@linkcode simulateTransfer}: a {@linkcode SimInjector} watches every
 * datagram the machines send and may add datagrams of its own. {@linkcode HostileInjector}
 * forges packets from each side's own peer (its TID) and sends packets from strangers, to
 * show that a transfer either completes byte-exact or fails with a clear error, and that
 * strangers get ERROR 5 and change nothing. Pure; seeded.
 *
 * @module
 */

import { OPCODE } from "../tftp/packet/constants.ts";
import { encodeAck, encodeData, encodeError, encodePacket } from "../tftp/packet/encode.ts";
import type { Peer } from "../tftp/engine/types.ts";
import { Prng } from "./prng.ts";

/** A datagram on the simulated network. */
export interface SimDatagram {
  /** Sender. */
  readonly from: Peer;
  /** Receiver. */
  readonly to: Peer;
  /** Bytes; do not modify them. */
  readonly bytes: Uint8Array;
}

/** A datagram to inject, arriving `delayMs` after now, untouched by the network's faults. */
export interface SimInjection extends SimDatagram {
  /** Virtual milliseconds from now until it arrives (0 or more). */
  readonly delayMs: number;
}

/** Adds traffic to a simulation; see {@linkcode SimOptions.inject}. */
export interface SimInjector {
  /** Sees each datagram a machine or the request port sends (before faults); may add some. */
  onSend(now: number, datagram: SimDatagram): readonly SimInjection[];
  /** Sees each datagram as it arrives; `open` is true when a machine that is not closed takes it. */
  onArrive?(now: number, datagram: SimDatagram, open: boolean): void;
}

/** Settings of a {@linkcode HostileInjector}. */
export interface HostileOptions {
  /**
   * `benign` forges only what a correct machine must ignore: replays, DATA of blocks already
   * acknowledged, ACKs already sent, block numbers far ahead. `hostile` adds truncated and
   * malformed packets, unknown opcodes, OACKs and requests mid-transfer, ERRORs (codes 0-8),
   * oversized DATA, ACKs for blocks still in flight and packets of the wrong kind.
   * @default {"hostile"}
   */
  level?: "benign" | "hostile";
  /** Chance of injecting after each datagram sent. @default {0.2} */
  rate?: number;
  /** Most datagrams injected in all. @default {200} */
  budget?: number;
  /** Share of injections that come from strangers (other ports or hosts). @default {0.4} */
  strangerShare?: number;
  /** Injected datagrams arrive after 0 to this many virtual milliseconds. @default {20} */
  maxDelayMs?: number;
}

/** What a {@linkcode HostileInjector} did and saw. */
export interface HostileCounters {
  /** Datagrams forged from a side's own peer. */
  forged: number;
  /** Datagrams sent from strangers. */
  strangers: number;
  /** Stranger datagrams (not ERROR, 2 bytes or more) that reached a machine not yet closed. */
  strangerArrivals: number;
  /** ERROR 5 packets the machines sent to strangers. */
  unknownTidReplies: number;
  /** Other packets the machines sent to strangers, or ERROR 5 sent to a real peer. */
  misdirected: number;
  /** ERROR packets the machines sent whose text is not printable ASCII. */
  nonAsciiErrors: number;
}

interface Direction {
  history: Uint8Array[];
  maxData: number;
  maxAck: number;
}

const key = (peer: Peer) => `${peer.hostname}:${peer.port}`;
const opcodeOf = (bytes: Uint8Array) => bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : -1;
const FAR_BLOCK = 60000;
const utf8 = new TextEncoder();

/**
 * Forges and injects datagrams; see {@linkcode HostileOptions}. Pass it as `inject` to
 * `simulateTransfer`, then read {@linkcode HostileInjector.counters}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostileInjector } from "./hostile.ts";
 * import { simulateTransfer } from "./transfer.ts";
 * const data = new Uint8Array(3000).fill(1);
 * const inject = new HostileInjector(7, { level: "benign", rate: 0.5 });
 * const result = simulateTransfer({ kind: "get", data, seed: 7, inject });
 * assert.equal(result.client.status, "complete");
 * assert.deepEqual(result.received, data);
 * assert.equal(inject.counters.unknownTidReplies, inject.counters.strangerArrivals);
 * ```
 */
export class HostileInjector implements SimInjector {
  readonly #prng: Prng;
  readonly #hostile: boolean;
  readonly #rate: number;
  readonly #strangerShare: number;
  readonly #maxDelayMs: number;
  #budget: number;
  #blksize = 512;
  readonly #directions = new Map<string, Direction>();
  readonly #strangers = new Set<string>();
  /** What was injected and seen so far. */
  readonly counters: HostileCounters = {
    forged: 0,
    strangers: 0,
    strangerArrivals: 0,
    unknownTidReplies: 0,
    misdirected: 0,
    nonAsciiErrors: 0,
  };

  /** Creates an injector with its own seed. */
  constructor(seed: number, options: HostileOptions = {}) {
    this.#prng = new Prng(seed);
    this.#hostile = (options.level ?? "hostile") === "hostile";
    this.#rate = options.rate ?? 0.2;
    this.#budget = options.budget ?? 200;
    this.#strangerShare = options.strangerShare ?? 0.4;
    this.#maxDelayMs = options.maxDelayMs ?? 20;
  }

  /** Counts stranger datagrams that a machine had to answer. */
  onArrive(_now: number, datagram: SimDatagram, open: boolean): void {
    const op = opcodeOf(datagram.bytes);
    if (open && this.#strangers.has(key(datagram.from)) && op !== -1 && op !== OPCODE.ERROR) {
      this.counters.strangerArrivals++;
    }
  }

  /** Watches one datagram; may return datagrams to inject. */
  onSend(_now: number, datagram: SimDatagram): readonly SimInjection[] {
    const { from, to, bytes } = datagram;
    const op = opcodeOf(bytes);
    if (op === OPCODE.ERROR) this.#checkError(datagram);
    if (this.#strangers.has(key(to))) return [];
    if (op === OPCODE.RRQ || op === OPCODE.WRQ) return []; // to the request port
    if (op === OPCODE.OACK) {
      const text = String.fromCharCode(...bytes.subarray(2));
      const match = /(?:^|\0)blksize\0([0-9]+)\0/.exec(text);
      if (match) this.#blksize = Number(match[1]);
    }
    const forward = this.#direction(from, to);
    if (forward.history.length < 32) forward.history.push(bytes);
    else forward.history[this.#prng.int(32)] = bytes;
    const block = bytes.length >= 4 ? (bytes[2] << 8) | bytes[3] : 0;
    if (op === OPCODE.DATA) forward.maxData = Math.max(forward.maxData, block);
    if (op === OPCODE.ACK) forward.maxAck = Math.max(forward.maxAck, block);
    if (this.#budget <= 0 || !this.#prng.chance(this.#rate)) return [];
    this.#budget--;
    const delayMs = this.#prng.next() * this.#maxDelayMs;
    if (this.#prng.chance(this.#strangerShare)) {
      this.counters.strangers++;
      return [this.#fromStranger(datagram, delayMs)];
    }
    // Forge into a pair only once both sides spoke: the receiving side has pinned its peer.
    const backward = this.#directions.get(`${key(to)}>${key(from)}`);
    if (!backward) return [];
    this.counters.forged++;
    return [{ from, to, bytes: this.#forge(forward, backward), delayMs }];
  }

  #direction(from: Peer, to: Peer): Direction {
    const name = `${key(from)}>${key(to)}`;
    let direction = this.#directions.get(name);
    if (!direction) {
      direction = { history: [], maxData: -1, maxAck: -1 };
      this.#directions.set(name, direction);
    }
    return direction;
  }

  #checkError({ to, bytes }: SimDatagram): void {
    const stranger = this.#strangers.has(key(to));
    if (bytes.length >= 4 && bytes[2] === 0 && bytes[3] === 5) {
      if (stranger) this.counters.unknownTidReplies++;
      else this.counters.misdirected++;
    } else if (stranger) this.counters.misdirected++;
    if (!/^[\x20-\x7e]*\0$/.test(String.fromCharCode(...bytes.subarray(4)))) {
      this.counters.nonAsciiErrors++;
    }
  }

  /**
   * A datagram to the sender of `datagram` (pinned: it sends to a transfer port) from another
   * port of its peer's host, or to its receiver from another host (it may not have pinned its
   * peer yet, and then any port of the right host would count as the peer).
   */
  #fromStranger({ from, to, bytes }: SimDatagram, delayMs: number): SimInjection {
    const toSender = this.#prng.chance(0.5);
    const stranger = toSender ? { hostname: to.hostname, port: 30000 + this.#prng.int(9000) } : {
      hostname: "192.0.2.66",
      port: this.#prng.chance(0.5) ? from.port : 1 + this.#prng.int(65535),
    };
    this.#strangers.add(key(stranger));
    const r = this.#prng.next();
    const content = r < 0.5
      ? bytes.slice() // the very packet the real peer sent
      : r < 0.7
      ? encodeError(this.#prng.int(9), "go away")
      : this.#prng.bytes(this.#prng.int(40));
    return { from: stranger, to: toSender ? from : to, bytes: content, delayMs };
  }

  #forge(forward: Direction, backward: Direction): Uint8Array {
    const prng = this.#prng;
    const data = forward.maxData >= 0;
    const acks = forward.maxAck >= 0;
    const benign = (): Uint8Array => {
      const r = prng.int(5);
      if (r === 0 && data && backward.maxAck >= 1) {
        // DATA of a block the receiver has acknowledged already, any content.
        return encodeData(1 + prng.int(backward.maxAck), prng.bytes(prng.int(this.#blksize + 1)));
      }
      if (r === 1 && data) return encodeData(FAR_BLOCK + prng.int(5000), prng.bytes(prng.int(64)));
      if (r === 2 && acks) return encodeAck(prng.int(forward.maxAck + 1)); // sent already
      if (r === 3 && acks) return encodeAck(FAR_BLOCK + prng.int(5000));
      const old = forward.history[prng.int(forward.history.length)];
      return opcodeOf(old) === OPCODE.ERROR ? encodeAck(FAR_BLOCK) : old.slice();
    };
    if (!this.#hostile || prng.chance(0.5)) return benign();
    const old = forward.history[prng.int(forward.history.length)];
    switch (prng.int(9)) {
      case 0: // truncated: too short for TFTP, or a control packet cut anywhere
        return opcodeOf(old) === OPCODE.DATA
          ? old.slice(0, prng.int(4))
          : old.slice(0, prng.int(old.length));
      case 1: // unknown opcode, or an OACK whose non-ASCII option has no value
        if (prng.chance(0.3)) return new Uint8Array([0, 6, ...utf8.encode("größe✓"), 0]);
        return new Uint8Array([0, prng.chance(0.5) ? 0 : 7 + prng.int(249), ...prng.bytes(8)]);
      case 2:
        return encodePacket({
          opcode: OPCODE.OACK,
          options: { blksize: String(8 + prng.int(65457)) },
        });
      case 3:
        return encodePacket({
          opcode: prng.chance(0.5) ? OPCODE.RRQ : OPCODE.WRQ,
          filename: "file.bin",
          mode: "octet",
          options: {},
        });
      case 4:
        return encodeError(prng.int(9), prng.chance(0.3) ? "" : "Forged error");
      case 5: // oversized DATA of a block that may be the expected one: never accepted
        return encodeData(
          backward.maxAck + 1 + prng.int(3),
          prng.bytes(this.#blksize + 1 + prng.int(16)),
        );
      case 6: // an ACK for a block sent but perhaps not received
        return encodeAck(forward.maxAck + 1 + prng.int(4));
      case 7: // the wrong kind: ACK to a receiver, DATA to a sender (never DATA otherwise)
        if (data) return encodeAck(prng.int(0x10000));
        return acks ? encodeData(prng.int(0x10000), prng.bytes(8)) : prng.bytes(3);
      default:
        return prng.bytes(prng.int(24));
    }
  }
}
