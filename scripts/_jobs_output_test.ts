import assert from "node:assert/strict";
import type { JobLogRecord } from "../lib/jobs/types.ts";
import {
  checkJobJson,
  formatAttempt,
  formatCheckJob,
  formatScheduledJob,
  formatStatusJob,
  formatZonedTime,
  SHA256_PREFIX_LENGTH,
  statusJobJson,
} from "./_jobs_output.ts";

const SHA = "0123456789abcdef".repeat(4);
const BASE = {
  type: "attempt",
  job: "sw1",
  scheduled: "2025-01-02T01:30:00.000Z",
  attempt: 1,
  start: "2025-01-02T01:30:00.010Z",
  end: "2025-01-02T01:30:01.999Z",
  bytes: 0,
} as const;

Deno.test("jobs output: zoned times across offsets and DST", () => {
  assert.equal(SHA256_PREFIX_LENGTH, 12);
  const cases: [string, string, string][] = [
    ["2025-01-02T01:30:00Z", "UTC", "2025-01-02T01:30:00Z"],
    ["2025-01-02T01:30:00Z", "Etc/UTC", "2025-01-02T01:30:00Z"],
    ["2025-01-02T01:30:59.999Z", "UTC", "2025-01-02T01:30:59Z"],
    ["2025-07-02T01:30:00Z", "Europe/Berlin", "2025-07-02T03:30:00+02:00"],
    ["2025-03-30T00:59:59Z", "Europe/Berlin", "2025-03-30T01:59:59+01:00"],
    ["2025-03-30T01:00:00Z", "Europe/Berlin", "2025-03-30T03:00:00+02:00"],
    ["2025-01-02T00:00:00Z", "Asia/Kolkata", "2025-01-02T05:30:00+05:30"],
    ["2025-01-02T00:00:00Z", "America/Los_Angeles", "2025-01-01T16:00:00-08:00"],
    ["2025-01-02T00:00:00Z", "Asia/Kathmandu", "2025-01-02T05:45:00+05:45"],
    ["2024-12-31T23:00:00Z", "Europe/Berlin", "2025-01-01T00:00:00+01:00"],
  ];
  for (const [utc, zone, expected] of cases) {
    assert.equal(formatZonedTime(new Date(utc), zone), expected, `${utc} ${zone}`);
  }
});

Deno.test("jobs output: attempt lines for every status", () => {
  const lines = [
    formatAttempt({
      ...BASE,
      bytes: 1234,
      sha256: SHA,
      changed: true,
      status: "ok",
      path: "/b/sw1/2025-01-02.cfg",
      removed: ["/b/sw1/old1.cfg", "/b/sw1/old2.cfg"],
    }),
    formatAttempt({
      ...BASE,
      bytes: 1234,
      sha256: SHA,
      changed: false,
      status: "ok",
      path: "/b/x",
    }),
    formatAttempt({ ...BASE, bytes: 1, sha256: SHA, status: "ok", path: "/b/x", removed: ["/a"] }),
    formatAttempt({ ...BASE, bytes: 1234, sha256: SHA, changed: false, status: "unchanged" }),
    formatAttempt({
      ...BASE,
      attempt: 3,
      status: "failed",
      error: "File not found (TFTP error 1)",
    }),
    formatAttempt({
      ...BASE,
      bytes: 5,
      sha256: SHA,
      status: "failed",
      error: "SHA-256 mismatch",
    }),
    formatAttempt({ ...BASE, status: "skipped", error: "Previous run still running" }),
    formatAttempt({ ...BASE, job: "a\x1bb", status: "failed", error: "bad\nline" }),
    formatAttempt({ ...BASE, end: "not a time", status: "ok" }),
  ];
  assert.deepEqual(lines, [
    "2025-01-02T01:30:01Z sw1 ok (attempt 1): 1234 B sha256 0123456789ab, changed, " +
    "wrote /b/sw1/2025-01-02.cfg, removed 2 old versions",
    "2025-01-02T01:30:01Z sw1 ok (attempt 1): 1234 B sha256 0123456789ab, unchanged, wrote /b/x",
    "2025-01-02T01:30:01Z sw1 ok (attempt 1): 1 B sha256 0123456789ab, wrote /b/x, " +
    "removed 1 old version",
    "2025-01-02T01:30:01Z sw1 unchanged (attempt 1): 1234 B sha256 0123456789ab, unchanged, " +
    "not written",
    "2025-01-02T01:30:01Z sw1 failed (attempt 3): File not found (TFTP error 1)",
    "2025-01-02T01:30:01Z sw1 failed (attempt 1): 5 B sha256 0123456789ab, SHA-256 mismatch",
    "2025-01-02T01:30:01Z sw1 skipped (attempt 1): Previous run still running",
    "2025-01-02T01:30:01Z a\\u001bb failed (attempt 1): bad\\u000aline",
    "not a time sw1 ok (attempt 1): 0 B",
  ]);
});

Deno.test("jobs output: check text and JSON", () => {
  const job = { name: "core-sw1", schedule: "30 2 * * *", timezone: "Europe/Berlin" };
  const runs = [new Date("2025-03-29T01:30:00Z"), new Date("2025-03-31T00:30:00Z")];
  assert.equal(
    formatCheckJob(job, runs),
    'core-sw1 "30 2 * * *" Europe/Berlin\n' +
      "  2025-03-29T02:30:00+01:00\n" +
      "  2025-03-31T02:30:00+02:00\n",
  );
  assert.equal(formatCheckJob(job, []), 'core-sw1 "30 2 * * *" Europe/Berlin\n');
  assert.equal(
    JSON.stringify(checkJobJson(job, runs)),
    '{"job":"core-sw1","schedule":"30 2 * * *","timezone":"Europe/Berlin",' +
      '"next":["2025-03-29T02:30:00+01:00","2025-03-31T02:30:00+02:00"],' +
      '"nextUtc":["2025-03-29T01:30:00.000Z","2025-03-31T00:30:00.000Z"]}',
  );
});

Deno.test("jobs output: run's schedule lines", () => {
  const job = {
    name: "fw",
    schedule: "@hourly",
    timezone: "Asia/Kolkata",
    source: "tcp://10.0.0.1:6000/fw.bin",
  };
  assert.equal(
    formatScheduledJob(job, new Date("2025-01-02T00:30:00Z")),
    'fw "@hourly" Asia/Kolkata from tcp://10.0.0.1:6000/fw.bin, next 2025-01-02T06:00:00+05:30',
  );
  assert.equal(
    formatScheduledJob(job, undefined),
    'fw "@hourly" Asia/Kolkata from tcp://10.0.0.1:6000/fw.bin, no next run',
  );
});

Deno.test("jobs output: status text and JSON", () => {
  const last: JobLogRecord = { ...BASE, attempt: 2, status: "failed", error: "Timed out" };
  assert.equal(
    formatStatusJob("sw1", last),
    "2025-01-02T01:30:01Z sw1 failed (attempt 2): Timed out",
  );
  assert.equal(formatStatusJob("sw2", undefined), "sw2 never run");
  assert.deepEqual(statusJobJson("sw1", last), { job: "sw1", status: "failed", last });
  assert.equal(
    JSON.stringify(statusJobJson("sw2", undefined)),
    '{"job":"sw2","status":"never","last":null}',
  );
});
