/**
 * Retransmission timing: an RTT-estimated timeout (RFC 6298 style, as RFC 1123 §4.2.3.2 asks
 * of TFTP) with exponential backoff, a retry cap and an optional overall deadline.
 *
 * @module
 */

/** How a transfer times its retransmissions. All times in milliseconds. */
export interface TimingOptions {
  /**
   * A fixed retransmit timeout instead of the adaptive one (what `--timeout S` and the
   * RFC 2349 option set). Backoff still doubles it after each expiry, up to `maxRtoMs`.
   */
  timeoutMs?: number;
  /** First timeout before any round trip was measured. @default {1000} */
  initialRtoMs?: number;
  /** Lower bound of the adaptive timeout. @default {50} */
  minRtoMs?: number;
  /** Upper bound of the timeout after backoff. @default {4000} */
  maxRtoMs?: number;
  /** Timer expiries in a row before the transfer fails (see also `giveUpMs`). @default {5} */
  retries?: number;
  /**
   * The least time without an answer before the transfer fails. A peer whose round trip
   * was measured in microseconds would otherwise be given up after `retries` short timeouts
   * (about 3 s from 50 ms), though a busy machine or a loaded peer can pause for longer:
   * once the retries are used up, the timer goes on at the backed-off timeout until this
   * long has passed since the peer was last heard from (any well-formed packet from it,
   * even a repeated one: a peer that still retransmits is alive). 0 counts the retries
   * alone.
   * @default {5000}
   */
  giveUpMs?: number;
  /** Overall limit for the whole transfer, from its start. @default {Infinity} */
  deadlineMs?: number;
  /**
   * How long the side that sent the final ACK waits for a repeated final DATA; each repeat
   * starts the wait again. Default: `timeoutMs` when that is fixed (one timeout, as RFC 1350
   * suggests), else four times the measured timeout, between `minDallyMs` (200; the server:
   * 1000) and 1000 ms.
   */
  dallyMs?: number;
  /**
   * The shortest default dally (when neither `dallyMs` nor `timeoutMs` is given); the
   * longest is 1000 ms or this, whichever is more. The server uses 1000: the peer whose final
   * ACK was lost retransmits after its own timeout, which may be well above ours.
   * @default {200}
   */
  minDallyMs?: number;
}

/** {@linkcode TimingOptions} with every field settled. */
export type ResolvedTiming = Required<Omit<TimingOptions, "timeoutMs" | "dallyMs">> & {
  timeoutMs: number | undefined;
  dallyMs: number | undefined;
};

function checkMs(
  name: string,
  value: number | undefined,
  min: number,
  allowInfinity = false,
): void {
  if (value === undefined) return;
  if (!(value >= min) || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number of milliseconds >= ${min}, got ${value}`);
  }
}

/**
 * Checks and fills in timing options. Throws `RangeError` for impossible values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTimingOptions } from "./timing.ts";
 * assert.ok(resolveTimingOptions({ retries: 2 }).initialRtoMs === 1000);
 * ```
 */
export function resolveTimingOptions(options: TimingOptions = {}): ResolvedTiming {
  checkMs("timeoutMs", options.timeoutMs, 1);
  checkMs("initialRtoMs", options.initialRtoMs, 1);
  checkMs("minRtoMs", options.minRtoMs, 1);
  checkMs("maxRtoMs", options.maxRtoMs, 1);
  checkMs("deadlineMs", options.deadlineMs, 1, true);
  checkMs("dallyMs", options.dallyMs, 0);
  checkMs("minDallyMs", options.minDallyMs, 0);
  checkMs("giveUpMs", options.giveUpMs, 0);
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0 || retries > 1000) {
    throw new RangeError(`retries must be an integer between 0 and 1000, got ${retries}`);
  }
  return {
    timeoutMs: options.timeoutMs,
    initialRtoMs: options.initialRtoMs ?? 1000,
    minRtoMs: options.minRtoMs ?? 50,
    maxRtoMs: Math.max(options.maxRtoMs ?? 4000, options.timeoutMs ?? 0),
    retries,
    giveUpMs: options.giveUpMs ?? 5000,
    deadlineMs: options.deadlineMs ?? Infinity,
    dallyMs: options.dallyMs,
    minDallyMs: options.minDallyMs ?? 200,
  };
}

/**
 * The retransmit timer of one transfer. Pure: it is told the time.
 *
 * `arm(now)` after sending something new; `expire()` when the deadline passed (returns false
 * once retries are used up); `acknowledge(now)` when the peer answered (samples the round trip
 * unless a retransmission happened since `arm`, per Karn's rule).
 */
export class RetransmitTimer {
  #timing: ResolvedTiming;
  #srtt: number | undefined;
  #rttvar = 0;
  #rto: number;
  #estimate: number; // the timeout the round-trip estimate alone gives
  #backoff = 1;
  #sentAt = 0;
  #retransmitted = false;
  #deadline: number | undefined;
  #answeredAt: number | undefined; // when the peer last answered (or the timer first armed)
  /** Expiries since the peer last made progress. */
  attempts = 0;

  /** Creates a timer. */
  constructor(timing: ResolvedTiming) {
    this.#timing = timing;
    this.#rto = timing.timeoutMs ?? timing.initialRtoMs;
    this.#estimate = this.#rto;
  }

  /** The current timeout, without backoff. */
  get rtoMs(): number {
    return this.#rto;
  }

  /** Absolute time at which the timer fires, if armed. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** Starts (or restarts) the timer for something sent now for the first time. */
  arm(now: number): void {
    this.#answeredAt ??= now;
    this.#sentAt = now;
    this.#retransmitted = false;
    this.#backoff = 1;
    this.attempts = 0;
    this.#deadline = now + this.#rto;
  }

  /**
   * Restarts the deadline from `now` for another burst of the same flight (a paced window):
   * the attempts and the backoff stay, so a dead peer still fails after `retries` expiries;
   * the round trip is timed from now, and no sample is taken from this flight when any of it
   * was sent again (`resent`) or the timer already expired (Karn's rule).
   */
  restart(now: number, resent: boolean): void {
    this.#sentAt = now;
    this.#retransmitted = resent || this.attempts > 0;
    this.#deadline = now +
      (this.attempts === 0
        ? this.#rto
        : Math.min(this.#rto * this.#backoff, this.#timing.maxRtoMs));
  }

  /** Stops the timer. */
  disarm(): void {
    this.#deadline = undefined;
  }

  /**
   * The peer answered what was sent at `arm`: sample the round trip and reset the backoff.
   * After a retransmission no sample is taken (Karn's rule) and the backed-off timeout is
   * kept until the next sample (RFC 6298 §5.7), so a round trip that grew past the timeout
   * is learnt, not retransmitted into forever. The kept value is the estimate times this
   * backoff, never compounded across packets: under heavy random loss it would otherwise
   * grow without bound.
   */
  acknowledge(now: number): void {
    if (this.#retransmitted && this.#timing.timeoutMs === undefined) {
      this.#rto = Math.min(this.#timing.maxRtoMs, this.#estimate * this.#backoff);
    } else if (this.#timing.timeoutMs === undefined) {
      const rtt = Math.max(0, now - this.#sentAt);
      if (this.#srtt === undefined) {
        this.#srtt = rtt;
        this.#rttvar = rtt / 2;
      } else {
        this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
        this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
      }
      const { minRtoMs, maxRtoMs } = this.#timing;
      this.#estimate = Math.min(maxRtoMs, Math.max(minRtoMs, this.#srtt + 4 * this.#rttvar));
      this.#rto = this.#estimate;
    }
    this.#backoff = 1;
    this.attempts = 0;
    this.#answeredAt = now;
  }

  /** The peer made progress but this is no round-trip sample: only reset the retry count. */
  progress(now: number): void {
    this.#backoff = 1;
    this.attempts = 0;
    this.#answeredAt = now;
  }

  /**
   * A datagram came from the peer, though maybe no progress (a repeated ACK or DATA: it is
   * alive, only slow or losing packets). It restarts the silence that `giveUpMs` measures;
   * the attempts and the backoff stay.
   */
  heard(now: number): void {
    if (this.#answeredAt !== undefined) this.#answeredAt = Math.max(this.#answeredAt, now);
  }

  /** Something already sent was sent again since `arm`: the next answer is no sample. */
  noteRetransmission(): void {
    this.#retransmitted = true;
  }

  /**
   * The timer fired at `now`. Returns true when the caller should retransmit (the timer is
   * re-armed with a doubled timeout), false when the retries are used up and the peer has
   * been silent for `giveUpMs`.
   */
  expire(now: number): boolean {
    this.attempts++;
    const silentMs = now - (this.#answeredAt ?? now);
    if (this.attempts > this.#timing.retries && silentMs >= this.#timing.giveUpMs) {
      this.#deadline = undefined;
      return false;
    }
    this.#retransmitted = true;
    this.#backoff = Math.min(this.#backoff * 2, 64);
    this.#deadline = now + Math.min(this.#rto * this.#backoff, this.#timing.maxRtoMs);
    return true;
  }

  /** How long to dally after the final ACK. */
  dallyMs(): number {
    const { dallyMs, timeoutMs, minDallyMs } = this.#timing;
    if (dallyMs !== undefined) return dallyMs;
    if (timeoutMs !== undefined) return timeoutMs;
    return Math.min(Math.max(4 * this.#rto, minDallyMs), Math.max(1000, minDallyMs));
  }
}
