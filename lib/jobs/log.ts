/**
 * The JSON-lines log of the scheduled fetch jobs: one {@linkcode JobLogRecord} per attempt,
 * one line each, appended with a single write so concurrent jobs never interleave. Reading
 * tolerates damage: a line torn by a crash and lines that are not records are skipped and
 * reported, never fatal.
 *
 * {@linkcode lastResults} and {@linkcode jobHistory} are pure: they fold the records into
 * what `status` shows and what a run needs (the last hash, the files `keep` manages).
 *
 * @module
 */

import { dirname } from "node:path";
import type { JobLogRecord, JobStatus } from "./types.ts";

/** A line {@linkcode parseJobLog} could not use. */
export interface SkippedLine {
  /** 1-based line number. */
  readonly line: number;
  /** Why it was skipped, one line. */
  readonly reason: string;
}

/** What {@linkcode parseJobLog} found. */
export interface ParsedJobLog {
  /** The valid records, in file order. */
  readonly records: JobLogRecord[];
  /** The lines that were skipped (blank lines are ignored, not listed). */
  readonly skipped: SkippedLine[];
}

/** Options of {@linkcode readJobLog}. */
export interface ReadJobLogOptions {
  /** Called once per skipped line, in file order. @default {undefined} */
  onSkip?: (skipped: SkippedLine) => void;
}

const STATUSES: readonly JobStatus[] = ["ok", "unchanged", "failed", "skipped"];
const encoder = new TextEncoder();

/**
 * Formats a record as one log line, `\n` included, with the fields in a fixed order
 * (`type`, `job`, `scheduled`, `attempt`, `start`, `end`, `bytes`, `sha256`, `changed`,
 * `status`, `path`, `removed`, `error`); absent fields are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatJobLogLine } from "./log.ts";
 * const line = formatJobLogLine({
 *   status: "failed", type: "attempt", job: "sw1", scheduled: "2025-01-01T00:00:00.000Z",
 *   attempt: 1, start: "2025-01-01T00:00:00.010Z", end: "2025-01-01T00:00:01.010Z", bytes: 0,
 *   error: "Timed out after 1000 ms",
 * });
 * assert.equal(
 *   line,
 *   '{"type":"attempt","job":"sw1","scheduled":"2025-01-01T00:00:00.000Z","attempt":1,' +
 *     '"start":"2025-01-01T00:00:00.010Z","end":"2025-01-01T00:00:01.010Z","bytes":0,' +
 *     '"status":"failed","error":"Timed out after 1000 ms"}\n',
 * );
 * ```
 */
export function formatJobLogLine(record: JobLogRecord): string {
  const { type, job, scheduled, attempt, start, end, bytes, sha256, changed, status } = record;
  const { path, removed, error } = record;
  return JSON.stringify({
    type,
    job,
    scheduled,
    attempt,
    start,
    end,
    bytes,
    sha256,
    changed,
    status,
    path,
    removed,
    error,
  }) + "\n";
}

const isString = (v: unknown): v is string => typeof v === "string";
const isTime = (v: unknown): boolean => isString(v) && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** Why `value` is not a {@linkcode JobLogRecord}, or `undefined` when it is one. */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const r = value as Record<string, unknown>;
  const checks: [string, boolean][] = [
    ["type", r.type === "attempt"],
    ["job", isString(r.job) && r.job !== ""],
    ["scheduled", isTime(r.scheduled)],
    [
      "attempt",
      // 0: a run skipped without an attempt (the previous run was still going).
      isCount(r.attempt) && ((r.attempt as number) >= 1 ||
        (r.attempt === 0 && r.status === "skipped")),
    ],
    ["start", isTime(r.start)],
    ["end", isTime(r.end)],
    ["bytes", isCount(r.bytes)],
    ["sha256", r.sha256 === undefined || (isString(r.sha256) && /^[0-9a-f]{64}$/.test(r.sha256))],
    ["changed", r.changed === undefined || typeof r.changed === "boolean"],
    ["status", STATUSES.includes(r.status as JobStatus)],
    ["path", r.path === undefined || isString(r.path)],
    ["removed", r.removed === undefined || (Array.isArray(r.removed) && r.removed.every(isString))],
    ["error", r.error === undefined || isString(r.error)],
  ];
  const bad = checks.find(([, ok]) => !ok);
  return bad && `field ${JSON.stringify(bad[0])} is missing or invalid`;
}

/**
 * Parses the text of a log. Blank lines are ignored; lines that are not JSON (such as a last
 * line torn by a crash) or not a valid record are skipped and listed with the reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatJobLogLine, parseJobLog } from "./log.ts";
 * const good = formatJobLogLine({
 *   type: "attempt", job: "sw1", scheduled: "2025-01-01T00:00:00.000Z", attempt: 1,
 *   start: "2025-01-01T00:00:00.000Z", end: "2025-01-01T00:00:00.500Z", bytes: 12,
 *   status: "ok", path: "/backups/sw1.cfg",
 * });
 * const { records, skipped } = parseJobLog(good + "\n[1]\n" + good.slice(0, 20));
 * assert.equal(records.length, 1);
 * assert.deepEqual(skipped, [
 *   { line: 3, reason: "not a JSON object" },
 *   { line: 4, reason: "not JSON (a torn or damaged line)" },
 * ]);
 * ```
 */
export function parseJobLog(text: string): ParsedJobLog {
  const records: JobLogRecord[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, reason: "not JSON (a torn or damaged line)" });
      continue;
    }
    const problem = recordProblem(value);
    if (problem === undefined) records.push(value as JobLogRecord);
    else skipped.push({ line: i + 1, reason: problem });
  }
  return { records, skipped };
}

/**
 * Appends one record to the log at `path`, creating the file and its folder when needed.
 * The line goes out in one write on a file opened for appending, so lines of jobs that
 * finish together never interleave. When the file ends in a line torn by a crash, a line
 * break is written first so the new record stays readable.
 *
 * @example
 * ```ts ignore
 * import { appendJobLog } from "./log.ts";
 * await appendJobLog("jobs.log.jsonl", {
 *   type: "attempt", job: "sw1", scheduled: "2025-01-01T00:00:00.000Z", attempt: 1,
 *   start: "2025-01-01T00:00:00.000Z", end: "2025-01-01T00:00:00.500Z", bytes: 0,
 *   status: "failed", error: "TFTP error 1: File not found",
 * });
 * ```
 */
export async function appendJobLog(path: string, record: JobLogRecord): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  using file = await Deno.open(path, { read: true, append: true, create: true });
  const size = (await file.stat()).size;
  let torn = false;
  if (size > 0) {
    const last = new Uint8Array(1);
    await file.seek(size - 1, Deno.SeekMode.Start);
    torn = (await file.read(last)) === 1 && last[0] !== 0x0a;
  }
  const bytes = encoder.encode((torn ? "\n" : "") + formatJobLogLine(record));
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * Reads the log at `path` (see {@linkcode parseJobLog}); a missing file is an empty log.
 * Skipped lines are reported through `onSkip`.
 *
 * @example
 * ```ts ignore
 * import { readJobLog } from "./log.ts";
 * let bad = 0;
 * const records = await readJobLog("jobs.log.jsonl", { onSkip: () => bad++ });
 * console.log(`${records.length} attempts, ${bad} bad lines skipped`);
 * ```
 */
export async function readJobLog(
  path: string,
  options: ReadJobLogOptions = {},
): Promise<JobLogRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const { records, skipped } = parseJobLog(text);
  if (options.onSkip) { for (const line of skipped) options.onSkip(line); }
  return records;
}

/**
 * The last record of each job, by job name, in the order the jobs first appear.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastResults } from "./log.ts";
 * import type { JobLogRecord } from "./types.ts";
 * const at = "2025-01-01T00:00:00.000Z";
 * const base = { type: "attempt", scheduled: at, start: at, end: at, bytes: 0 } as const;
 * const records: JobLogRecord[] = [
 *   { ...base, job: "a", attempt: 1, status: "failed", error: "Timed out after 10 ms" },
 *   { ...base, job: "b", attempt: 1, status: "ok" },
 *   { ...base, job: "a", attempt: 2, status: "ok" },
 * ];
 * const last = lastResults(records);
 * assert.deepEqual([...last.keys()], ["a", "b"]);
 * assert.equal(last.get("a")?.attempt, 2);
 * ```
 */
export function lastResults(records: readonly JobLogRecord[]): Map<string, JobLogRecord> {
  const last = new Map<string, JobLogRecord>();
  for (const record of records) last.set(record.job, record);
  return last;
}

/**
 * What a new run of `job` needs from the log: `lastSha256`, the hash of its last `ok` or
 * `unchanged` attempt, and `written`, the files its `ok` attempts wrote that no later
 * attempt removed, oldest first (a path written again counts at its latest write).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobHistory } from "./log.ts";
 * import type { JobLogRecord } from "./types.ts";
 * const at = "2025-01-01T00:00:00.000Z";
 * const base = { type: "attempt", job: "sw1", scheduled: at, start: at, end: at } as const;
 * const sha = (c: string) => c.repeat(64);
 * const records: JobLogRecord[] = [
 *   { ...base, attempt: 1, bytes: 5, status: "ok", sha256: sha("a"), path: "/b/1" },
 *   { ...base, attempt: 1, bytes: 5, status: "ok", sha256: sha("b"), path: "/b/2" },
 *   { ...base, attempt: 1, bytes: 5, status: "ok", sha256: sha("c"), path: "/b/3", removed: ["/b/1"] },
 *   { ...base, attempt: 1, bytes: 0, status: "failed", error: "Timed out after 10 ms" },
 * ];
 * assert.deepEqual(jobHistory(records, "sw1"), { lastSha256: sha("c"), written: ["/b/2", "/b/3"] });
 * assert.deepEqual(jobHistory(records, "other"), { written: [] });
 * ```
 */
export function jobHistory(
  records: readonly JobLogRecord[],
  job: string,
): { lastSha256?: string; written: string[] } {
  let lastSha256: string | undefined;
  const written = new Set<string>();
  for (const record of records) {
    if (record.job !== job) continue;
    if ((record.status === "ok" || record.status === "unchanged") && record.sha256) {
      lastSha256 = record.sha256;
    }
    if (record.status === "ok" && record.path !== undefined) {
      written.delete(record.path);
      written.add(record.path);
    }
    for (const path of record.removed ?? []) written.delete(path);
  }
  return lastSha256 === undefined
    ? { written: [...written] }
    : { lastSha256, written: [...written] };
}
