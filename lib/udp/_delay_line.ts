/**
 * Held-back work for the fault-injecting proxy: callbacks run after a delay, those sharing
 * a line strictly in the order they were added (a short delay waits behind a longer one, as
 * on a real link), the others on their own timers.
 *
 * @module
 */

interface Line {
  items: { due: number; release: () => void }[];
  timer?: ReturnType<typeof setTimeout>;
}

/** Slack for timers that fire a little before their due time, in milliseconds. */
const EARLY_MS = 1;

/**
 * Delayed callbacks, in order per line. `close()` cancels everything still waiting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DelayLine } from "./_delay_line.ts";
 * const order: string[] = [];
 * const delays = new DelayLine();
 * delays.add(30, () => order.push("a"), "to-client");
 * delays.add(0, () => order.push("b"), "to-client"); // waits for "a"
 * delays.add(0, () => order.push("c")); // on its own
 * await new Promise((resolve) => setTimeout(resolve, 60));
 * assert.deepEqual(order, ["c", "a", "b"]);
 * delays.close();
 * ```
 */
export class DelayLine {
  #lines = new Map<string, Line>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  /** Callbacks still waiting. */
  get pending(): number {
    let n = this.#timers.size;
    for (const line of this.#lines.values()) n += line.items.length - (line.timer ? 1 : 0);
    return n;
  }

  /**
   * Runs `release` after `delayMs`; with a `line`, also not before everything added to that
   * line earlier. Ignored after `close()`.
   */
  add(delayMs: number, release: () => void, line?: string): void {
    if (this.#closed) return;
    if (line === undefined) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        release();
      }, delayMs);
      this.#timers.add(timer);
      return;
    }
    let queue = this.#lines.get(line);
    if (!queue) this.#lines.set(line, queue = { items: [] });
    const last = queue.items.at(-1)?.due ?? -Infinity;
    queue.items.push({ due: Math.max(performance.now() + delayMs, last), release });
    if (!queue.timer) this.#arm(line, queue);
  }

  #arm(name: string, line: Line): void {
    const wait = Math.max(0, line.items[0].due - performance.now());
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      line.timer = undefined;
      const now = performance.now() + EARLY_MS;
      try {
        while (line.items.length > 0 && line.items[0].due <= now) line.items.shift()!.release();
      } finally {
        if (this.#closed) { /* nothing left to run */ }
        else if (line.items.length > 0) this.#arm(name, line);
        else this.#lines.delete(name);
      }
    }, wait);
    line.timer = timer;
    this.#timers.add(timer);
  }

  /** Cancels every waiting callback; later `add` calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#lines.clear();
  }
}
