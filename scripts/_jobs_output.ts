/**
 * What the `jobs` command line prints: attempt lines, the schedule, `check` and `status`
 * reports, as text or as JSON lines. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import type { JobLogRecord, JobSpec } from "../lib/jobs/types.ts";

export type * from "../lib/jobs/types.ts";
import { terminalSafe } from "./_tftp_output.ts";

/** Hex digits of the SHA-256 shown in text lines. */
export const SHA256_PREFIX_LENGTH = 12;

const ZONED_PARTS = new Map<string, Intl.DateTimeFormat>();

function zonedFormat(timezone: string): Intl.DateTimeFormat {
  let format = ZONED_PARTS.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    ZONED_PARTS.set(timezone, format);
  }
  return format;
}

/**
 * `date` as RFC 3339 wall-clock time in `timezone` with its UTC offset, to the second
 * (`Z` for UTC itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatZonedTime } from "./_jobs_output.ts";
 * const at = new Date("2025-01-02T01:30:00Z");
 * assert.equal(formatZonedTime(at, "Europe/Berlin"), "2025-01-02T02:30:00+01:00");
 * assert.equal(formatZonedTime(at, "America/St_Johns"), "2025-01-01T22:00:00-03:30");
 * assert.equal(formatZonedTime(at, "UTC"), "2025-01-02T01:30:00Z");
 * ```
 */
export function formatZonedTime(date: Date, timezone: string): string {
  const seconds = Math.floor(date.getTime() / 1000) * 1000;
  const parts: Record<string, string> = {};
  for (const { type, value } of zonedFormat(timezone).formatToParts(seconds)) parts[type] = value;
  const { year, month, day, hour, minute, second } = parts;
  const wall = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
  const offset = Math.round((wall - seconds) / 60_000);
  const local = `${year.padStart(4, "0")}-${month}-${day}T${hour}:${minute}:${second}`;
  if (timezone === "UTC" || timezone === "Etc/UTC") return `${local}Z`;
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${local}${offset < 0 ? "-" : "+"}${hh}:${mm}`;
}

/** An ISO 8601 time from the log without its milliseconds; other text unchanged. */
function logTime(iso: string): string {
  return iso.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z$/, "$1Z");
}

function fetched(record: JobLogRecord): string {
  const hash = record.sha256 === undefined
    ? ""
    : ` sha256 ${record.sha256.slice(0, SHA256_PREFIX_LENGTH)}`;
  return `${record.bytes} B${hash}`;
}

/** What became of the fetched bytes: changed or not, and the file written. */
function outcome(record: JobLogRecord): string {
  const parts: string[] = [];
  if (record.changed !== undefined) parts.push(record.changed ? "changed" : "unchanged");
  if (record.path !== undefined) parts.push(`wrote ${terminalSafe(record.path)}`);
  else if (record.status === "unchanged") parts.push("not written");
  const removed = record.removed?.length ?? 0;
  if (removed > 0) parts.push(`removed ${removed} old version${removed === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/**
 * One attempt as a text line (no newline): end time (UTC), job, status, attempt number,
 * bytes, the SHA-256 prefix, changed or unchanged, then the file written or the error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAttempt } from "./_jobs_output.ts";
 * const base = {
 *   type: "attempt", job: "sw1", scheduled: "2025-01-02T01:30:00.000Z",
 *   start: "2025-01-02T01:30:00.010Z", end: "2025-01-02T01:30:01.250Z",
 * } as const;
 * assert.equal(
 *   formatAttempt({ ...base, attempt: 1, bytes: 1234, sha256: "0123456789abcdef" + "0".repeat(48),
 *     changed: true, status: "ok", path: "backups/sw1.cfg" }),
 *   "2025-01-02T01:30:01Z sw1 ok (attempt 1): 1234 B sha256 0123456789ab, changed, " +
 *     "wrote backups/sw1.cfg",
 * );
 * assert.equal(
 *   formatAttempt({ ...base, attempt: 2, bytes: 0, status: "failed", error: "File not found" }),
 *   "2025-01-02T01:30:01Z sw1 failed (attempt 2): File not found",
 * );
 * ```
 */
export function formatAttempt(record: JobLogRecord): string {
  const head = `${logTime(record.end)} ${
    terminalSafe(record.job)
  } ${record.status} (attempt ${record.attempt})`;
  const error = record.error === undefined ? "" : terminalSafe(record.error);
  if (record.status === "failed" || record.status === "skipped") {
    return record.sha256 === undefined
      ? `${head}: ${error}`
      : `${head}: ${fetched(record)}, ${error}`;
  }
  const rest = outcome(record);
  return `${head}: ${fetched(record)}${rest === "" ? "" : `, ${rest}`}`;
}

/** A job's schedule in words: the cron expression and its time zone. */
function scheduleText(job: Pick<JobSpec, "schedule" | "timezone">): string {
  return `${JSON.stringify(job.schedule)} ${job.timezone}`;
}

/**
 * `check`'s text for one job: a heading line, then one indented line per run time in the
 * job's time zone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCheckJob } from "./_jobs_output.ts";
 * const job = { name: "sw1", schedule: "@daily", timezone: "Europe/Berlin" };
 * assert.equal(
 *   formatCheckJob(job, [new Date("2025-01-01T23:00:00Z"), new Date("2025-01-02T23:00:00Z")]),
 *   'sw1 "@daily" Europe/Berlin\n  2025-01-02T00:00:00+01:00\n  2025-01-03T00:00:00+01:00\n',
 * );
 * ```
 */
export function formatCheckJob(
  job: Pick<JobSpec, "name" | "schedule" | "timezone">,
  runs: readonly Date[],
): string {
  const lines = runs.map((at) => `  ${formatZonedTime(at, job.timezone)}\n`);
  return `${terminalSafe(job.name)} ${scheduleText(job)}\n${lines.join("")}`;
}

/**
 * `check --json`'s object for one job: name, schedule, time zone, and the run times both in
 * the job's time zone (`next`) and in UTC (`nextUtc`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkJobJson } from "./_jobs_output.ts";
 * const job = { name: "sw1", schedule: "@daily", timezone: "Europe/Berlin" };
 * assert.deepEqual(checkJobJson(job, [new Date("2025-01-01T23:00:00Z")]), {
 *   job: "sw1",
 *   schedule: "@daily",
 *   timezone: "Europe/Berlin",
 *   next: ["2025-01-02T00:00:00+01:00"],
 *   nextUtc: ["2025-01-01T23:00:00.000Z"],
 * });
 * ```
 */
export function checkJobJson(
  job: Pick<JobSpec, "name" | "schedule" | "timezone">,
  runs: readonly Date[],
): { job: string; schedule: string; timezone: string; next: string[]; nextUtc: string[] } {
  return {
    job: job.name,
    schedule: job.schedule,
    timezone: job.timezone,
    next: runs.map((at) => formatZonedTime(at, job.timezone)),
    nextUtc: runs.map((at) => at.toISOString()),
  };
}

/**
 * `run`'s start-up line for one job: its schedule and next run time (or that it has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatScheduledJob } from "./_jobs_output.ts";
 * const job = { name: "sw1", schedule: "30 2 * * *", timezone: "UTC", source: "tftp://h/c" };
 * assert.equal(
 *   formatScheduledJob(job, new Date("2025-01-02T02:30:00Z")),
 *   'sw1 "30 2 * * *" UTC from tftp://h/c, next 2025-01-02T02:30:00Z',
 * );
 * ```
 */
export function formatScheduledJob(
  job: Pick<JobSpec, "name" | "schedule" | "timezone" | "source">,
  next: Date | undefined,
): string {
  const when = next === undefined ? "no next run" : `next ${formatZonedTime(next, job.timezone)}`;
  return `${terminalSafe(job.name)} ${scheduleText(job)} from ${terminalSafe(job.source)}, ${when}`;
}

/**
 * `status`'s text line for one job: its last attempt, or `never run`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatusJob } from "./_jobs_output.ts";
 * assert.equal(formatStatusJob("sw2", undefined), "sw2 never run");
 * ```
 */
export function formatStatusJob(job: string, last: JobLogRecord | undefined): string {
  return last === undefined ? `${terminalSafe(job)} never run` : formatAttempt(last);
}

/**
 * `status --json`'s object for one job: the name, the last status (`never` when it never
 * ran), and the last log record (`null` when it never ran).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusJobJson } from "./_jobs_output.ts";
 * assert.deepEqual(statusJobJson("sw2", undefined), { job: "sw2", status: "never", last: null });
 * ```
 */
export function statusJobJson(
  job: string,
  last: JobLogRecord | undefined,
): { job: string; status: JobLogRecord["status"] | "never"; last: JobLogRecord | null } {
  return { job, status: last?.status ?? "never", last: last ?? null };
}

/** A scheduler event: a run starts, or a run does not happen. */
export type RunEvent =
  | { type: "start"; job: string; scheduled: Date; missed: number }
  | { type: "skip"; job: string; scheduled: Date; reason: string };

/**
 * `run`'s text line for a scheduler event: the time it happened (UTC), the job, and the
 * scheduled time in the job's time zone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRunEvent } from "./_jobs_output.ts";
 * const scheduled = new Date("2025-01-02T01:30:00Z");
 * const at = new Date("2025-01-02T01:30:00.200Z");
 * assert.equal(
 *   formatRunEvent({ type: "start", job: "sw1", scheduled, missed: 2 }, at, "Europe/Berlin"),
 *   "2025-01-02T01:30:00Z sw1 run for 2025-01-02T02:30:00+01:00 (2 missed runs folded in)",
 * );
 * assert.equal(
 *   formatRunEvent({ type: "skip", job: "sw1", scheduled, reason: "still going" }, at, "UTC"),
 *   "2025-01-02T01:30:00Z sw1 no run for 2025-01-02T01:30:00Z: still going",
 * );
 * ```
 */
export function formatRunEvent(event: RunEvent, at: Date, timezone: string): string {
  const head = `${formatZonedTime(at, "UTC")} ${terminalSafe(event.job)}`;
  const scheduled = formatZonedTime(event.scheduled, timezone);
  if (event.type === "skip") {
    return `${head} no run for ${scheduled}: ${terminalSafe(event.reason)}`;
  }
  const missed = event.missed === 0
    ? ""
    : ` (${event.missed} missed run${event.missed === 1 ? "" : "s"} folded in)`;
  return `${head} run for ${scheduled}${missed}`;
}

/**
 * `run --json`'s object for a scheduler event: the event with its times as ISO 8601 and the
 * time it happened as `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runEventJson } from "./_jobs_output.ts";
 * const scheduled = new Date("2025-01-02T01:30:00Z");
 * assert.deepEqual(
 *   runEventJson({ type: "start", job: "sw1", scheduled, missed: 0 }, new Date(scheduled)),
 *   {
 *     type: "start", job: "sw1", at: "2025-01-02T01:30:00.000Z",
 *     scheduled: "2025-01-02T01:30:00.000Z", missed: 0,
 *   },
 * );
 * ```
 */
export function runEventJson(
  event: RunEvent,
  at: Date,
): Record<string, string | number> {
  const common = {
    type: event.type,
    job: event.job,
    at: at.toISOString(),
    scheduled: event.scheduled.toISOString(),
  };
  return event.type === "start"
    ? { ...common, missed: event.missed }
    : { ...common, reason: event.reason };
}
