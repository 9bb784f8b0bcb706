/**
 * Bounded waits on real timers for the adapter's tests (unit and integration): sleep, give a
 * promise a deadline, poll a condition. Every timer is cleared, so the test sanitizers stay
 * quiet.
 *
 * @module
 */

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { delay } from "./_wait.ts";
 * assert.equal(await delay(1), undefined);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves with `promise`, or fails after `ms` with `Timed out after <ms> ms: <what>` (the
 * timer is always cleared).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { within } from "./_wait.ts";
 * assert.equal(await within(Promise.resolve(7), 100, "a resolved promise"), 7);
 * await assert.rejects(within(new Promise(() => {}), 10, "never"), {
 *   message: "Timed out after 10 ms: never",
 * });
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` every 10 ms until it returns true; fails after `ms` with
 * `Timed out after <ms> ms waiting for <what>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitUntil } from "./_wait.ts";
 * let calls = 0;
 * await waitUntil(() => ++calls === 3, 1000, "the third call");
 * assert.equal(calls, 3);
 * await assert.rejects(waitUntil(() => false, 20, "nothing"), {
 *   message: "Timed out after 20 ms waiting for nothing",
 * });
 * ```
 */
export async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited >= ms) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await delay(10);
  }
}
