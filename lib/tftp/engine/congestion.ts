/**
 * Theory of operation: the sender's congestion window (RFC 7440 §4 leaves congestion control
 * to the sender; the rules follow TCP's, RFC 5681).
 *
 * The negotiated windowsize is the most blocks a window may hold. `cwnd` (1 <= cwnd <=
 * windowsize) is how many blocks the sender sends in one burst. It starts at
 * `min(windowsize, initial)` and changes once per round (one flight of blocks, ended by an
 * ACK or a timeout):
 * - a clean round (the ACK acknowledges everything sent) grows it: doubling while below
 *   `ssthresh` (slow start), then by one block (additive increase);
 * - a round that lost blocks (an ACK for a block before the last one sent) halves it:
 *   `cwnd = max(1, floor(cwnd / 2))` (multiplicative decrease);
 * - a timeout sets `cwnd = 1`.
 * Both set `ssthresh = max(2, floor(cwnd / 2))` (at most the windowsize), so slow start can
 * double the window again after a timeout.
 *
 * With windowsize 1 the window is always 1: lock-step RFC 1350 is unchanged. A fixed window
 * (`adaptive: false`) keeps `cwnd = windowsize` whatever happens, and only counts.
 *
 * @module
 */

/** Settings of a {@linkcode CongestionWindow}. */
export interface CongestionOptions {
  /** Blocks in the first burst (capped at the windowsize). @default {8} */
  initial?: number;
  /** False keeps the window at the windowsize, as a sender without congestion control. @default {true} */
  adaptive?: boolean;
}

/** What the congestion window did during a transfer. */
export interface CongestionStats {
  /** The current window, in blocks. */
  cwnd: number;
  /** The slow-start threshold, in blocks. */
  ssthresh: number;
  /** The largest window used, in blocks. */
  peakCwnd: number;
  /** Rounds that ended with an ACK acknowledging everything sent. */
  cleanRounds: number;
  /** Rounds that ended with an ACK showing a gap: blocks resent at once (fast recovery). */
  fastRecoveries: number;
  /** Rounds that ended with a timeout. */
  timeouts: number;
}

/**
 * A sender's congestion window: additive increase, multiplicative decrease, slow start.
 * Pure: no clock, no I/O.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CongestionWindow } from "./congestion.ts";
 * const w = new CongestionWindow(64);
 * assert.equal(w.cwnd, 8);
 * w.onCleanRound(); // slow start doubles
 * assert.equal(w.cwnd, 16);
 * w.onLoss(); // a gap: halve
 * assert.equal(w.cwnd, 8);
 * w.onCleanRound(); // above ssthresh: one more block per round
 * assert.equal(w.cwnd, 9);
 * w.onTimeout();
 * assert.equal(w.cwnd, 1);
 * ```
 */
export class CongestionWindow {
  #max: number;
  #adaptive: boolean;
  #stats: CongestionStats;

  /**
   * A window of at most `windowsize` blocks. Throws `RangeError` for a windowsize or an
   * initial window that is not an integer of at least 1.
   */
  constructor(windowsize: number, options: CongestionOptions = {}) {
    const initial = options.initial ?? 8;
    for (const [name, value] of [["windowsize", windowsize], ["initial", initial]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be an integer >= 1, got ${JSON.stringify(value)}`);
      }
    }
    this.#max = windowsize;
    this.#adaptive = options.adaptive ?? true;
    const cwnd = this.#adaptive ? Math.min(windowsize, initial) : windowsize;
    this.#stats = {
      cwnd,
      ssthresh: windowsize,
      peakCwnd: cwnd,
      cleanRounds: 0,
      fastRecoveries: 0,
      timeouts: 0,
    };
  }

  /** Blocks the sender may send in one burst. */
  get cwnd(): number {
    return this.#stats.cwnd;
  }

  /** A copy of the counters. */
  get stats(): CongestionStats {
    return { ...this.#stats };
  }

  /** Everything sent was acknowledged: grow. */
  onCleanRound(): void {
    const s = this.#stats;
    s.cleanRounds++;
    if (!this.#adaptive) return;
    const grown = s.cwnd < s.ssthresh ? Math.min(s.cwnd * 2, s.ssthresh) : s.cwnd + 1;
    this.#set(grown);
  }

  /** An ACK showed a gap: blocks after it were lost and are resent at once. Halve. */
  onLoss(): void {
    const s = this.#stats;
    s.fastRecoveries++;
    if (!this.#adaptive) return;
    const half = Math.max(1, Math.floor(s.cwnd / 2));
    s.ssthresh = Math.min(this.#max, Math.max(2, half));
    this.#set(half);
  }

  /** The retransmit timer ran out: start again from one block. */
  onTimeout(): void {
    const s = this.#stats;
    s.timeouts++;
    if (!this.#adaptive) return;
    s.ssthresh = Math.min(this.#max, Math.max(2, Math.floor(s.cwnd / 2)));
    this.#set(1);
  }

  #set(cwnd: number): void {
    const s = this.#stats;
    s.cwnd = Math.max(1, Math.min(this.#max, cwnd));
    if (s.cwnd > s.peakCwnd) s.peakCwnd = s.cwnd;
  }
}
