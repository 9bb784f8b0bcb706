/**
 * The clock the Deno adapter feeds to the sans-IO machines: monotonic milliseconds.
 *
 * @module
 */

/**
 * Current monotonic time in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monotonicNow } from "./clock.ts";
 * assert.ok(monotonicNow() >= 0);
 * ```
 */
export function monotonicNow(): number {
  return performance.now();
}
