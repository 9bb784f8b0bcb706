/**
 * One timer for every transfer of a process. Each transfer keeps a {@linkcode Deadline} (the
 * next moment its machine must hear the time); a min-heap orders them, and a single
 * `setTimeout` waits for the earliest.
 *
 * A transfer moves its deadline with nearly every packet (a lock-step sender with each ACK);
 * with one timer per transfer that meant a new timer each time the old one fired early, and
 * under a thousand transfers those timers were a sixth of what the server allocated. Here a
 * move is a reorder of the heap, no allocation, and a deadline that moved later never fires
 * early: the heap always holds each transfer's real deadline. The timer is re-armed only
 * when the earliest deadline becomes earlier than the one it waits for, and cleared when
 * the heap empties (so a finished transfer leaves no timer behind).
 *
 * @module
 */

import { monotonicNow } from "./clock.ts";

/** setTimeout treats longer delays as 0. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * A transfer's deadline in a {@linkcode DeadlineQueue}: `fire` runs once the monotonic clock
 * reaches `due`, after which the deadline is unset until it is set again.
 *
 * @example
 * ```ts ignore
 * const deadline = new Deadline(() => console.log("due"));
 * queue.set(deadline, monotonicNow() + 100);
 * ```
 */
export class Deadline {
  /** When it is due (monotonic ms); Infinity while unset. Kept by the queue: do not write. */
  due: number = Infinity;
  /** Its place in the heap; -1 while unset. Kept by the queue: do not write. */
  index: number = -1;

  /** `fire` is called (synchronously, from the timer) when the deadline is reached. */
  constructor(readonly fire: () => void) {}
}

/**
 * Deadlines ordered by due time, served by one timer.
 *
 * @example
 * ```ts ignore
 * const queue = new DeadlineQueue();
 * const deadline = new Deadline(() => console.log("due"));
 * queue.set(deadline, monotonicNow() + 5);
 * queue.set(deadline, monotonicNow() + 50); // moved: still one timer
 * queue.clear(deadline);
 * ```
 */
export class DeadlineQueue {
  readonly #heap: Deadline[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer is meant to fire (monotonic ms); Infinity when none is armed. */
  #timerDue = Infinity;
  readonly #onTimer = () => this.#expire();

  /** Deadlines set now. */
  get size(): number {
    return this.#heap.length;
  }

  /** Sets (or moves) `deadline` to `due`; Infinity unsets it; NaN is a RangeError. */
  set(deadline: Deadline, due: number): void {
    if (due === Infinity) return this.clear(deadline);
    // NaN compares false both ways: it would stick at the top of the heap and stall the rest.
    if (Number.isNaN(due)) throw new RangeError("A deadline must be a number, got NaN");
    const heap = this.#heap;
    if (deadline.index < 0) {
      deadline.index = heap.length;
      heap.push(deadline);
    }
    const earlier = due < deadline.due;
    deadline.due = due;
    if (earlier) this.#up(deadline.index);
    else this.#down(deadline.index);
    this.#arm();
  }

  /** Unsets `deadline` (nothing happens when it is not set). */
  clear(deadline: Deadline): void {
    const i = deadline.index;
    if (i < 0) return;
    const heap = this.#heap;
    const last = heap.pop()!;
    deadline.index = -1;
    deadline.due = Infinity;
    if (last !== deadline) {
      heap[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
    if (heap.length === 0) this.#disarm();
  }

  /** Arms the timer for the earliest deadline unless it already fires no later. */
  #arm(): void {
    const first = this.#heap[0];
    if (first === undefined) return this.#disarm();
    if (this.#timer !== undefined && this.#timerDue <= first.due) return;
    clearTimeout(this.#timer);
    this.#timerDue = first.due;
    // Rounded up: a timer that fires a fraction of a millisecond early would find nothing due.
    const delay = Math.ceil(first.due - monotonicNow());
    this.#timer = setTimeout(this.#onTimer, Math.min(Math.max(0, delay), MAX_DELAY_MS));
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  /** The timer fired: every deadline that is due fires (earliest first), then re-arm. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = monotonicNow();
    const heap = this.#heap;
    // Bounded by the heap's size at the start: a deadline set again from `fire` for a time
    // already past waits for the next timer instead of looping here.
    for (let n = heap.length; n > 0 && heap.length > 0 && heap[0].due <= now; n--) {
      const deadline = heap[0];
      this.clear(deadline);
      try {
        deadline.fire();
      } catch (error) {
        // A throwing callback must not strand the others: report it outside the loop.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.#arm();
  }

  #up(i: number): void {
    const heap = this.#heap;
    const item = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].due <= item.due) break;
      heap[i] = heap[parent];
      heap[i].index = i;
      i = parent;
    }
    heap[i] = item;
    item.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const item = heap[i];
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right].due < heap[left].due ? right : left;
      if (heap[child].due >= item.due) break;
      heap[i] = heap[child];
      heap[i].index = i;
      i = child;
    }
    heap[i] = item;
    item.index = i;
  }
}

/**
 * The process's queue, shared by every transfer the driver runs.
 *
 * @example
 * ```ts ignore
 * deadlines.set(deadline, monotonicNow() + 100);
 * ```
 */
export const deadlines: DeadlineQueue = new DeadlineQueue();
