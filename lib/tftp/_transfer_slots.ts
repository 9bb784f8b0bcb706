/**
 * The server's transfer slots: admission through {@linkcode RequestLimits}, and what happens
 * when every slot is taken. A transfer whose client has not answered at all (a spoofed
 * request?) for {@linkcode EVICT_UNANSWERED_MS} gives way to the new request; while younger
 * unanswered transfers hold the slots, the server is likely flooded and the refusal is
 * dropped in silence (a real client asks again). Told the time; the machines are the
 * engine's.
 *
 * @module
 */

import { type Admitted, type Refusal, RequestLimits } from "./_request_limits.ts";
import type { RequestLimitSettings } from "./_request_limits.ts";
import { TftpAbortError } from "./errors.ts";
import type { Receiver } from "./engine/receiver.ts";
import type { Sender } from "./engine/sender.ts";

/**
 * A transfer whose client has not answered for this long may give way to a new request
 * when every slot is taken: a real client answers the first packet within a round trip.
 */
export const EVICT_UNANSWERED_MS = 250;

/** An admitted transfer's place; its machine once it runs. */
export interface Slot {
  readonly admitted: Admitted;
  /** Aborted when the transfer gives way to a new request. */
  readonly evict: AbortController;
  machine?: Sender | Receiver;
  /** When the machine started (monotonic ms). */
  startedAt: number;
  released: boolean;
}

/** See the module comment. */
export class TransferSlots {
  readonly #limits: RequestLimits;
  /** Running transfers whose client may not have answered yet, oldest first. */
  readonly #unanswered = new Set<Slot>();

  /** Creates the slots under `settings`. */
  constructor(settings: RequestLimitSettings) {
    this.#limits = new RequestLimits(settings);
  }

  /** A datagram to be answered with an ERROR: true while the address is within its rate. */
  allowReply(now: number, address: string): boolean {
    return this.#limits.allowReply(now, address);
  }

  /** A request from `address`: its slot, or why not (a refusal when flooded is silent). */
  admit(now: number, address: string): Slot | Refusal {
    let pressure = false;
    const makeRoom = (): boolean => {
      for (const slot of this.#unanswered) {
        if (slot.machine!.answered) {
          this.#unanswered.delete(slot);
          continue;
        }
        if (now - slot.startedAt < EVICT_UNANSWERED_MS) {
          pressure = true;
          return false;
        }
        this.release(slot, false);
        slot.evict.abort(new TftpAbortError("Server busy: the client never answered"));
        return true;
      }
      return false;
    };
    const admitted = this.#limits.admit(now, address, makeRoom);
    if ("answer" in admitted) {
      return admitted.busy && pressure ? { ...admitted, answer: "silent" } : admitted;
    }
    return { admitted, evict: new AbortController(), startedAt: 0, released: false };
  }

  /** The slot's transfer started at `now`: until its client answers, it may give way. */
  start(slot: Slot, machine: Sender | Receiver, now: number): void {
    slot.machine = machine;
    slot.startedAt = now;
    this.#unanswered.add(slot);
  }

  /** Checks (cheaply, per loop turn) whether the client answered: then its budget returns. */
  noteAnswer(slot: Slot): void {
    if (!slot.admitted.refunded && slot.machine?.answered) this.#limits.answered(slot.admitted);
  }

  /** The transfer ended; `real`: its client answered, or it only got an ERROR. Idempotent. */
  release(slot: Slot, real: boolean): void {
    if (slot.released) return;
    slot.released = true;
    this.#unanswered.delete(slot);
    this.#limits.end(slot.admitted, real);
  }
}
