/**
 * What the `impair` command prints when it stops: the proxy's counts as a small table, or as
 * one JSON line. Pure, so it is tested without permissions.
 *
 * @module
 */

import type { ImpairActionCounts, ImpairProxy } from "../lib/udp/impair.ts";

/** The decisions of one direction, with the number of datagrams seen. */
export interface DirectionReport extends ImpairActionCounts {
  /** Datagrams that arrived going this way. */
  seen: number;
}

/** Everything the proxy did, for the final table or JSON line. */
export interface ImpairReport {
  seed: number;
  up: DirectionReport;
  down: DirectionReport;
  /** Datagrams sent (each copy of a duplicate counts). */
  sent: number;
  /** Clients seen. */
  sessions: number;
  /** Server transfer IDs (ports) seen. */
  tids: number;
  /** Datagrams from unexpected sources, dropped. */
  foreign: number;
  /** Failed receives or sends. */
  errors: number;
}

const ACTIONS = ["pass", "drop", "duplicate", "delay", "reorder"] as const;

/**
 * Collects the report from a proxy's counters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { impairReportOf } from "./_impair_report.ts";
 * const none = { pass: 0, drop: 0, duplicate: 0, delay: 0, reorder: 0 };
 * const report = impairReportOf(3, {
 *   counts: { up: 2, down: 1, sent: 2, sessions: 1, tids: 1, foreign: 0, errors: 0 },
 *   actions: { up: { ...none, pass: 1, drop: 1 }, down: { ...none, pass: 1 } },
 * });
 * assert.deepEqual(report.up, { seen: 2, pass: 1, drop: 1, duplicate: 0, delay: 0, reorder: 0 });
 * ```
 */
export function impairReportOf(
  seed: number,
  proxy: Pick<ImpairProxy, "counts" | "actions">,
): ImpairReport {
  const { counts, actions } = proxy;
  return {
    seed,
    up: { seen: counts.up, ...actions.up },
    down: { seen: counts.down, ...actions.down },
    sent: counts.sent,
    sessions: counts.sessions,
    tids: counts.tids,
    foreign: counts.foreign,
    errors: counts.errors,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The report as a table, one row per direction, then one line of totals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatImpairReport } from "./_impair_report.ts";
 * const up = { seen: 3, pass: 2, drop: 1, duplicate: 0, delay: 0, reorder: 0 };
 * const down = { seen: 2, pass: 1, drop: 0, duplicate: 1, delay: 0, reorder: 0 };
 * const text = formatImpairReport({
 *   seed: 7, up, down, sent: 5, sessions: 1, tids: 1, foreign: 0, errors: 0,
 * });
 * assert.equal(text.split("\n")[1], "up            3     2     1          0      0        0");
 * ```
 */
export function formatImpairReport(report: ImpairReport): string {
  const header = ["direction", "seen", ...ACTIONS];
  const rows = (["up", "down"] as const).map((way) => [
    way,
    ...[report[way].seen, ...ACTIONS.map((action) => report[way][action])].map(String),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  ");
  return [
    line(header),
    ...rows.map(line),
    `seed ${report.seed}; sent ${plural(report.sent, "datagram")}; ${
      plural(report.sessions, "client")
    }, ${plural(report.tids, "server TID")}, ${report.foreign} foreign, ${
      plural(report.errors, "error")
    }`,
    "",
  ].join("\n");
}

/**
 * The report as one JSON line (no newline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { impairReportJson } from "./_impair_report.ts";
 * const way = { seen: 0, pass: 0, drop: 0, duplicate: 0, delay: 0, reorder: 0 };
 * const report = { seed: 1, up: way, down: way, sent: 0, sessions: 0, tids: 0, foreign: 0, errors: 0 };
 * assert.deepEqual(JSON.parse(impairReportJson(report)), report);
 * ```
 */
export function impairReportJson(report: ImpairReport): string {
  return JSON.stringify(report);
}
