/**
 * The JSON report of a conformance run (`conformance.ts run URL --json FILE`). Its shape is a
 * contract:
 *
 * ```json
 * { "server": "tftp://127.0.0.1:69/", "started": "2024-01-01T00:00:00.000Z", "durationMs": 812,
 *   "checks": [ { "id": "rrq-basic", "title": "...", "rfc": "RFC 1350", "level": "must",
 *                 "status": "pass", "detail": "...", "ms": 12 } ] }
 * ```
 *
 * A check entry may also hold `measured` (what the check measured), `log` (its log lines) and
 * `serverDown` (`true` when the server stopped answering after it); nothing else is added
 * anywhere. Pure.
 *
 * @module
 */

import type { CheckResult, RunReport } from "./runner.ts";

/**
 * One check in a {@linkcode JsonReport}: the fields of a {@linkcode CheckResult}, with
 * `serverDown` present only as `true`.
 */
export type JsonCheck = Omit<CheckResult, "serverDown"> & {
  /** The server stopped answering after this check. */
  serverDown?: true;
};

/** The JSON report: exactly these keys, in this order. */
export interface JsonReport {
  /** The server's URL. */
  server: string;
  /** When the run started, ISO 8601. */
  started: string;
  /** How long the run took, in ms. */
  durationMs: number;
  /** The checks, in run order. */
  checks: JsonCheck[];
}

/**
 * The report as the JSON contract's object: fixed keys in a fixed order, optional keys only
 * when they hold something.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJsonReport } from "./report_json.ts";
 * const json = toJsonReport({
 *   server: "tftp://127.0.0.1:69/",
 *   started: "2024-01-01T00:00:00.000Z",
 *   durationMs: 5,
 *   checks: [{
 *     id: "rrq-empty", title: "An empty file", rfc: "RFC 1350", level: "must",
 *     status: "pass", detail: "ok", ms: 4, log: [],
 *   }],
 * });
 * assert.deepEqual(Object.keys(json.checks[0]), ["id", "title", "rfc", "level", "status", "detail", "ms"]);
 * ```
 *
 * @param report The run's report.
 * @returns The JSON object.
 */
export function toJsonReport(report: RunReport): JsonReport {
  return {
    server: report.server,
    started: report.started,
    durationMs: report.durationMs,
    checks: report.checks.map((check) => {
      const entry: JsonCheck = {
        id: check.id,
        title: check.title,
        rfc: check.rfc,
        level: check.level,
        status: check.status,
        detail: check.detail,
        ms: check.ms,
      };
      if (check.measured !== undefined) entry.measured = check.measured;
      if (check.log !== undefined && check.log.length > 0) entry.log = [...check.log];
      if (check.serverDown) entry.serverDown = true;
      return entry;
    }),
  };
}

/**
 * The JSON report as text: two-space indentation and a final newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReportJson } from "./report_json.ts";
 * const text = formatReportJson({
 *   server: "tftp://127.0.0.1:69/", started: "2024-01-01T00:00:00.000Z", durationMs: 0, checks: [],
 * });
 * assert.equal(
 *   text,
 *   '{\n  "server": "tftp://127.0.0.1:69/",\n  "started": "2024-01-01T00:00:00.000Z",\n' +
 *     '  "durationMs": 0,\n  "checks": []\n}\n',
 * );
 * ```
 *
 * @param report The run's report.
 * @returns The JSON text.
 */
export function formatReportJson(report: RunReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
