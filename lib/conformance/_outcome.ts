/**
 * What the conformance report keeps of the value a check returned: a valid
 * {@linkcode CheckOutcome} with a plain JSON copy of `measured`, or a `fail` that says what
 * was wrong with the value. Plugins are untrusted code: nothing they return is kept as is.
 *
 * @module
 */

import type { CheckOutcome, CheckStatus } from "./check.ts";
import { messageOf } from "./_limit.ts";

const STATUSES: readonly CheckStatus[] = ["pass", "fail", "warn", "skip"];

/**
 * The outcome as the report keeps it, or a `fail` saying why `value` is not a valid outcome.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readOutcome } from "./_outcome.ts";
 * assert.deepEqual(readOutcome({ status: "pass", detail: "ok", measured: { n: 1 } }), {
 *   status: "pass",
 *   detail: "ok",
 *   measured: { n: 1 },
 * });
 * assert.deepEqual(readOutcome(null), {
 *   status: "fail",
 *   detail: "the check returned an invalid outcome: expected an object, got null",
 * });
 * ```
 *
 * @param value What the check's `run` resolved with.
 * @returns The outcome to report.
 */
export function readOutcome(value: unknown): CheckOutcome {
  const bad = (why: string): CheckOutcome => ({
    status: "fail",
    detail: `the check returned an invalid outcome: ${why}`,
  });
  if (typeof value !== "object" || value === null) {
    return bad(`expected an object, got ${value === null ? "null" : typeof value}`);
  }
  const { status, detail, measured } = value as Record<string, unknown>;
  if (!STATUSES.includes(status as CheckStatus)) {
    return bad(`status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(status)}`);
  }
  if (typeof detail !== "string") return bad(`detail must be a string, got ${typeof detail}`);
  if (measured === undefined) return { status: status as CheckStatus, detail };
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(measured) ?? "null");
  } catch (error) {
    return bad(`measured is not plain JSON (${messageOf(error)})`);
  }
  if (typeof copy !== "object" || copy === null || Array.isArray(copy)) {
    return bad("measured must be an object");
  }
  return { status: status as CheckStatus, detail, measured: copy as Record<string, unknown> };
}
