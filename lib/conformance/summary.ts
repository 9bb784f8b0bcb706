/**
 * The counts of a conformance run: {@linkcode summarize} turns a {@linkcode RunReport} into
 * per-status counts, the `must` score and the one-line score the reports print.
 *
 * @module
 */

import type { CheckStatus } from "./check.ts";
import type { RunReport } from "./runner.ts";

/** The counts of a {@linkcode RunReport}, from {@linkcode summarize}. */
export interface RunSummary {
  /** How many checks ended with each status. */
  counts: Record<CheckStatus, number>;
  /** `must` checks that passed. */
  mustPassed: number;
  /** `must` checks that were not skipped. */
  mustRan: number;
  /** Ids of the checks after which the server did not answer, in run order. */
  serverDown: string[];
  /** One line, e.g. `28 passed, 1 failed, 3 warnings, 2 skipped (must: 20/21)`. */
  score: string;
}

/**
 * Counts the verdicts of a report and writes the one-line score.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./summary.ts";
 * const row = { title: "t", rfc: "RFC 1350", detail: "", ms: 1 };
 * const summary = summarize({
 *   server: "tftp://127.0.0.1:69/",
 *   started: "2024-01-01T00:00:00.000Z",
 *   durationMs: 3,
 *   checks: [
 *     { ...row, id: "a", level: "must", status: "pass" },
 *     { ...row, id: "b", level: "must", status: "fail" },
 *     { ...row, id: "c", level: "should", status: "warn" },
 *   ],
 * });
 * assert.equal(summary.score, "1 passed, 1 failed, 1 warning, 0 skipped (must: 1/2)");
 * ```
 *
 * @param report A run's report.
 * @returns The counts and the score line.
 */
export function summarize(report: RunReport): RunSummary {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  let mustPassed = 0;
  let mustRan = 0;
  for (const check of report.checks) {
    counts[check.status]++;
    if (check.level === "must" && check.status !== "skip") {
      mustRan++;
      if (check.status === "pass") mustPassed++;
    }
  }
  const score = `${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warning${
    counts.warn === 1 ? "" : "s"
  }, ${counts.skip} skipped (must: ${mustPassed}/${mustRan})`;
  const serverDown = report.checks.filter((check) => check.serverDown).map((check) => check.id);
  return { counts, mustPassed, mustRan, serverDown, score };
}
