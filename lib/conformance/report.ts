/**
 * The terminal report of a conformance run: a table grouped by RFC, a one-line score, and a
 * line that cannot be missed when the server stopped answering; plus the one-line progress
 * shown as each check finishes. Pure: text in, text out.
 *
 * Every text that comes from a check (titles, details, log lines, and the server's error
 * messages they quote) is printed with `\uXXXX` in place of control characters and bidi
 * marks, so a hostile server cannot drive the terminal or forge a line.
 *
 * @module
 */

import type { CheckStatus } from "./check.ts";
import type { CheckResult, RunReport } from "./runner.ts";
import { summarize } from "./summary.ts";

/** RFCs in report order; any other specification follows them, alphabetically. */
const RFC_ORDER = ["1350", "1123", "2347", "2348", "2349", "7440", "3617"];

const LABEL: Record<CheckStatus, string> = {
  pass: "PASS",
  fail: "FAIL",
  warn: "WARN",
  skip: "SKIP",
};
const COLOR: Record<CheckStatus, string> = {
  pass: "\x1b[32m",
  fail: "\x1b[31m",
  warn: "\x1b[33m",
  skip: "\x1b[90m",
};
const BOLD = "\x1b[1m";
const ALERT = "\x1b[1;31m";
const RESET = "\x1b[0m";
/** Status (4) and two spaces each side. */
const INDENT = " ".repeat(8);

// deno-lint-ignore no-control-regex -- matching control characters is the point
const SNEAKY_RE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function safe(text: string): string {
  return text.replace(SNEAKY_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function paint(text: string, code: string, color: boolean): string {
  return color ? `${code}${text}${RESET}` : text;
}

/** `text` (lines kept) broken at spaces into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = "";
    for (let word of safe(paragraph).split(" ")) {
      while (word.length > width) {
        if (line !== "") lines.push(line);
        line = "";
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** The group of a check's `rfc`: `RFC 1123 4.2.3.2` and `rfc1123` are both `RFC 1123`. */
function groupName(rfc: string): string {
  const match = /^rfc\s*-?\s*([0-9]+)/i.exec(rfc.trim());
  return match ? `RFC ${Number(match[1])}` : rfc.trim();
}

function groupRank(name: string): number {
  const index = RFC_ORDER.indexOf(name.replace(/^RFC /, ""));
  return index === -1 ? RFC_ORDER.length : index;
}

/**
 * The checks grouped by RFC (`RFC 1123 4.2.3.2` is in `RFC 1123`), groups in report order:
 * RFC 1350, 1123, 2347, 2348, 2349, 7440, 3617, then the others alphabetically; checks keep
 * their order within a group.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupByRfc } from "./report.ts";
 * const row = { title: "t", level: "must", status: "pass", detail: "", ms: 0 } as const;
 * const groups = groupByRfc([
 *   { ...row, id: "a", rfc: "RFC 2348" },
 *   { ...row, id: "b", rfc: "RFC 1123 4.2.3.2" },
 *   { ...row, id: "c", rfc: "RFC 1350" },
 *   { ...row, id: "d", rfc: "common practice" },
 * ]);
 * assert.deepEqual(groups.map((g) => g.rfc), ["RFC 1350", "RFC 1123", "RFC 2348", "common practice"]);
 * ```
 *
 * @param checks The results, in run order.
 * @returns The groups.
 */
export function groupByRfc(
  checks: readonly CheckResult[],
): { rfc: string; checks: CheckResult[] }[] {
  const groups = new Map<string, CheckResult[]>();
  for (const check of checks) {
    const name = groupName(check.rfc);
    groups.set(name, [...groups.get(name) ?? [], check]);
  }
  return [...groups].map(([rfc, checks]) => ({ rfc, checks })).sort((a, b) =>
    groupRank(a.rfc) - groupRank(b.rfc) ||
    (a.rfc < b.rfc ? -1 : a.rfc > b.rfc ? 1 : 0)
  );
}

/** Options of {@linkcode formatReportTable} and {@linkcode formatResultLine}. */
export interface ReportTextOptions {
  /** ANSI colours for the statuses and the score. @default {false} */
  color?: boolean;
  /** Also print each check's log lines. @default {false} */
  log?: boolean;
  /** Wrap details at this many characters. @default {100} */
  width?: number;
}

function logLines(result: CheckResult, options: ReportTextOptions): string[] {
  if (!options.log || !result.log) return [];
  return result.log.flatMap((line) => line.split(/\r?\n/)).map((line) =>
    `${INDENT}| ${safe(line)}`
  );
}

/**
 * One line for a check that just finished (live progress): status, id, time and detail; with
 * `log`, its log lines follow, indented.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatResultLine } from "./report.ts";
 * const line = formatResultLine({
 *   id: "rrq-basic", title: "t", rfc: "RFC 1350", level: "must",
 *   status: "fail", detail: "got ERROR 1\n\"x\"", ms: 12,
 * }, { color: false });
 * assert.equal(line, 'FAIL  rrq-basic  12 ms  got ERROR 1 / "x"\n');
 * ```
 *
 * @param result The check's result.
 * @param options Colour and log lines.
 * @returns The line(s), each ending with a newline.
 */
export function formatResultLine(result: CheckResult, options: ReportTextOptions = {}): string {
  const status = paint(LABEL[result.status], COLOR[result.status], options.color ?? false);
  const detail = safe(result.detail.split(/\r?\n/).join(" / "));
  const lines = [`${status}  ${safe(result.id)}  ${result.ms} ms  ${detail}`.trimEnd()];
  return [...lines, ...logLines(result, options)].map((line) => `${line}\n`).join("");
}

/**
 * The report as a table grouped by RFC: per check the status, id, level, title and time, the
 * detail wrapped below; then the score, e.g.
 * `28 passed, 1 failed, 3 warnings, 2 skipped (must: 20/21)`, and when the server stopped
 * answering a line saying after which check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReportTable } from "./report.ts";
 * const text = formatReportTable({
 *   server: "tftp://127.0.0.1:69/",
 *   started: "2024-01-01T00:00:00.000Z",
 *   durationMs: 1500,
 *   checks: [{
 *     id: "rrq-empty", title: "An empty file", rfc: "RFC 1350", level: "must",
 *     status: "pass", detail: "one DATA 1 with 0 bytes", ms: 4,
 *   }],
 * }, { color: false });
 * assert.equal(text, [
 *   "Conformance of tftp://127.0.0.1:69/ (started 2024-01-01T00:00:00.000Z, 1.5 s)",
 *   "",
 *   "RFC 1350",
 *   "  PASS  rrq-empty  must  An empty file  4 ms",
 *   "        one DATA 1 with 0 bytes",
 *   "",
 *   "1 passed, 0 failed, 0 warnings, 0 skipped (must: 1/1)",
 *   "",
 * ].join("\n"));
 * ```
 *
 * @param report The run's report.
 * @param options Colour, log lines and width.
 * @returns The table, ending with a newline.
 */
export function formatReportTable(report: RunReport, options: ReportTextOptions = {}): string {
  const color = options.color ?? false;
  const width = options.width ?? 100;
  const checks = report.checks;
  const idWidth = Math.max(0, ...checks.map((c) => safe(c.id).length));
  const levelWidth = Math.max(0, ...checks.map((c) => c.level.length));
  const msWidth = Math.max(0, ...checks.map((c) => `${c.ms} ms`.length));
  const titleRoom = width - (8 + idWidth + 2 + levelWidth + 2 + 2 + msWidth);
  const titleWidth = Math.min(Math.max(0, ...checks.map((c) => safe(c.title).length)), titleRoom);
  const took = report.durationMs < 1000
    ? `${report.durationMs} ms`
    : `${Math.round(report.durationMs / 100) / 10} s`;
  const lines = [
    `Conformance of ${safe(report.server)} (started ${safe(report.started)}, ${took})`,
  ];
  if (checks.length === 0) lines.push("", "No checks ran.");
  for (const group of groupByRfc(checks)) {
    lines.push("", paint(safe(group.rfc), BOLD, color));
    for (const check of group.checks) {
      const status = paint(LABEL[check.status], COLOR[check.status], color);
      const columns = [
        safe(check.id).padEnd(idWidth),
        check.level.padEnd(levelWidth),
        safe(check.title).padEnd(titleWidth),
        `${check.ms} ms`.padStart(msWidth),
      ];
      lines.push(`  ${status}  ${columns.join("  ")}`);
      if (check.detail !== "") {
        lines.push(...wrap(check.detail, width - INDENT.length).map((line) => INDENT + line));
      }
      lines.push(...logLines(check, options));
    }
  }
  const summary = summarize(report);
  lines.push("", paint(summary.score, BOLD, color));
  const [first, ...later] = summary.serverDown;
  if (first !== undefined) {
    const more = later.length === 0
      ? ""
      : ` (and did not answer after ${later.length} later check${later.length > 1 ? "s" : ""})`;
    lines.push(
      paint(
        `SERVER DOWN: the server stopped answering after check ${
          JSON.stringify(first)
        }${more}; the verdicts after it are not reliable`,
        ALERT,
        color,
      ),
    );
  }
  return lines.map((line) => `${line.trimEnd()}\n`).join("");
}
