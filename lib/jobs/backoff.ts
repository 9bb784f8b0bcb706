/**
 * Retry delays of scheduled fetch jobs: exponential backoff with jitter. Pure: the random
 * source is passed in, so tests choose its values.
 *
 * Retry `n` (1-based) waits `min(maxMs, initialMs * 2^(n-1))`, moved up or down by at most
 * `jitter` of itself so that jobs failing together do not retry in lock-step; the result is
 * rounded to a whole millisecond and kept within `0..maxMs`, so once the cap is reached the
 * jitter only shortens the delay.
 *
 * @module
 */

/** Options of {@linkcode retryDelayMs}. */
export interface RetryDelayOptions {
  /** Delay before the first retry, in ms, before jitter. */
  readonly initialMs: number;
  /** Longest delay, in ms; never exceeded, jitter included. */
  readonly maxMs: number;
  /** Largest fraction the delay moves up or down, 0..1. @default {0.2} */
  readonly jitter?: number;
  /** Returns a number in [0, 1): 0 gives the shortest delay, 0.5 none of the jitter. */
  readonly random: () => number;
}

function check(name: string, value: number, ok: boolean, expected: string): void {
  if (typeof value !== "number" || !ok) {
    const got = typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value);
    throw new RangeError(`${name} must be ${expected}, got ${got}`);
  }
}

/**
 * The delay in ms before retry number `retry` (1 for the first retry). Throws a `RangeError`
 * for a `retry` below 1 or not whole, negative or non-finite times, `maxMs` below `initialMs`,
 * a `jitter` outside 0..1, or a `random()` result outside [0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryDelayMs } from "./backoff.ts";
 * const options = { initialMs: 5000, maxMs: 300_000, random: () => 0.5 };
 * assert.deepEqual([1, 2, 3, 10].map((n) => retryDelayMs(n, options)), [5000, 10000, 20000, 300000]);
 * assert.equal(retryDelayMs(1, { ...options, random: () => 0 }), 4000);
 * ```
 */
export function retryDelayMs(retry: number, options: RetryDelayOptions): number {
  const { initialMs, maxMs, jitter = 0.2, random } = options;
  check("retry", retry, Number.isInteger(retry) && retry >= 1, "a whole number from 1");
  check("initialMs", initialMs, Number.isFinite(initialMs) && initialMs >= 0, "0 or more");
  check(
    "maxMs",
    maxMs,
    Number.isFinite(maxMs) && maxMs >= initialMs,
    `a finite number of at least initialMs (${initialMs})`,
  );
  check("jitter", jitter, jitter >= 0 && jitter <= 1, "from 0 to 1");
  const r = random();
  check("random()", r, r >= 0 && r < 1, "in [0, 1)");
  // 2^1023 is the largest finite power of two; beyond it the cap applies anyway.
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(retry - 1, 1023));
  const delay = Math.round(base * (1 + jitter * (2 * r - 1)));
  return Math.min(maxMs, Math.max(0, delay));
}
