/**
 * A simulated datagram network in virtual time: seeded loss, duplication, reordering and
 * delay, separately per direction. Pure; nothing here waits.
 *
 * @module
 */

import type { Peer } from "../tftp/engine/types.ts";
import { Prng } from "./prng.ts";

/** Faults of one direction. Probabilities are 0..1; times are virtual milliseconds. */
export interface LinkProfile {
  /** Probability that a datagram is lost. @default {0} */
  loss?: number;
  /** Probability that a datagram arrives twice. @default {0} */
  duplicate?: number;
  /** Probability that a datagram is held back so later ones overtake it. @default {0} */
  reorder?: number;
  /** One-way delay. @default {1} */
  delayMs?: number;
  /** Extra random delay, up to this much. @default {0} */
  jitterMs?: number;
}

/** A datagram in flight. */
export interface Delivery {
  /** Arrival time. */
  readonly at: number;
  /** Sender. */
  readonly from: Peer;
  /** Receiver. */
  readonly to: Peer;
  /** Bytes (a copy made when sent). */
  readonly bytes: Uint8Array;
}

/** Counts of what the network did. */
export interface NetworkCounters {
  /** Datagrams handed to the network. */
  sent: number;
  /** Datagrams dropped. */
  lost: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Datagrams held back. */
  reordered: number;
}

/**
 * The network. `send` schedules deliveries; `takeDue(now)` returns those that have arrived.
 * Which direction a datagram takes is decided by `isUpstream(from)`: true uses `up`, false
 * uses `down` (for a client and server: client to server is up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SimNetwork } from "./network.ts";
 * const net = new SimNetwork(1, { up: { delayMs: 5 }, down: {}, isUpstream: () => true });
 * const a = { hostname: "127.0.0.1", port: 1 }, b = { hostname: "127.0.0.1", port: 2 };
 * net.send(0, a, b, new Uint8Array([1]));
 * assert.equal(net.nextArrival(), 5);
 * assert.equal(net.takeDue(5).length, 1);
 * ```
 */
export class SimNetwork {
  #prng: Prng;
  #up: Required<LinkProfile>;
  #down: Required<LinkProfile>;
  #isUpstream: (from: Peer) => boolean;
  #queue: Delivery[] = [];
  /** What happened so far. */
  readonly counters: NetworkCounters = { sent: 0, lost: 0, duplicated: 0, reordered: 0 };

  /** Creates a network with a seed and a profile per direction. */
  constructor(
    seed: number,
    options: { up: LinkProfile; down: LinkProfile; isUpstream: (from: Peer) => boolean },
  ) {
    this.#prng = new Prng(seed);
    const fill = (p: LinkProfile): Required<LinkProfile> => ({
      loss: p.loss ?? 0,
      duplicate: p.duplicate ?? 0,
      reorder: p.reorder ?? 0,
      delayMs: p.delayMs ?? 1,
      jitterMs: p.jitterMs ?? 0,
    });
    this.#up = fill(options.up);
    this.#down = fill(options.down);
    this.#isUpstream = options.isUpstream;
  }

  /** Hands a datagram to the network at time `now`. */
  send(now: number, from: Peer, to: Peer, bytes: Uint8Array): void {
    const p = this.#isUpstream(from) ? this.#up : this.#down;
    this.counters.sent++;
    if (this.#prng.chance(p.loss)) {
      this.counters.lost++;
      return;
    }
    const copies = this.#prng.chance(p.duplicate) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = now + p.delayMs + (p.jitterMs > 0 ? this.#prng.next() * p.jitterMs : 0);
      if (this.#prng.chance(p.reorder)) {
        this.counters.reordered++;
        at += p.delayMs * (1 + this.#prng.int(4)) + 0.5;
      }
      this.#insert({ at, from, to, bytes: bytes.slice() });
    }
  }

  /**
   * Schedules a datagram to arrive at `at` as it is: no loss, duplication or extra delay,
   * and not counted in {@linkcode SimNetwork.counters} (for injected traffic).
   */
  deliverAt(at: number, from: Peer, to: Peer, bytes: Uint8Array): void {
    this.#insert({ at, from, to, bytes: bytes.slice() });
  }

  #insert(delivery: Delivery): void {
    // Keep the queue sorted by arrival; equal times keep sending order.
    let lo = 0, hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#queue[mid].at <= delivery.at) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, delivery);
  }

  /** Arrival time of the next datagram, if any is in flight. */
  nextArrival(): number | undefined {
    return this.#queue[0]?.at;
  }

  /** Removes and returns every datagram that has arrived by `now`, in arrival order. */
  takeDue(now: number): Delivery[] {
    let n = 0;
    while (n < this.#queue.length && this.#queue[n].at <= now) n++;
    return this.#queue.splice(0, n);
  }

  /** Datagrams still in flight. */
  get inFlight(): number {
    return this.#queue.length;
  }
}
