import assert from "node:assert/strict";
import { formatJobLogLine, jobHistory, lastResults, parseJobLog } from "./log.ts";
import { filesBeyondKeep } from "./_rotate.ts";
import type { JobLogRecord } from "./types.ts";

const T0 = "2025-03-30T00:30:00.000Z";
const sha = (c: string) => c.repeat(64);

function record(fields: Partial<JobLogRecord> & Pick<JobLogRecord, "status">): JobLogRecord {
  return {
    type: "attempt",
    job: "sw1",
    scheduled: T0,
    attempt: 1,
    start: T0,
    end: T0,
    bytes: 0,
    ...fields,
  };
}

Deno.test("formatJobLogLine writes every field in the fixed order, whatever the input order", () => {
  const line = formatJobLogLine({
    error: undefined,
    removed: ["/b/sw1/1.cfg"],
    path: "/b/sw1/4.cfg",
    status: "ok",
    changed: true,
    sha256: sha("e"),
    bytes: 1200,
    end: "2025-03-30T00:30:01.250Z",
    start: "2025-03-30T00:30:00.004Z",
    attempt: 2,
    scheduled: T0,
    job: "sw1",
    type: "attempt",
  });
  assert.equal(
    line,
    `{"type":"attempt","job":"sw1","scheduled":"${T0}","attempt":2,` +
      `"start":"2025-03-30T00:30:00.004Z","end":"2025-03-30T00:30:01.250Z","bytes":1200,` +
      `"sha256":"${sha("e")}","changed":true,"status":"ok","path":"/b/sw1/4.cfg",` +
      `"removed":["/b/sw1/1.cfg"]}\n`,
  );
});

Deno.test("parseJobLog reads back what formatJobLogLine wrote", () => {
  const records = [
    record({ status: "ok", bytes: 5, sha256: sha("a"), changed: true, path: '/x\n"y"' }),
    record({ status: "failed", attempt: 2, error: "TFTP error 1: File not found" }),
    record({ status: "unchanged", bytes: 5, sha256: sha("a"), changed: false }),
    record({ status: "skipped", attempt: 3, error: "Aborted before attempt 3 of 3" }),
  ];
  const parsed = parseJobLog(records.map(formatJobLogLine).join(""));
  assert.deepEqual(parsed, { records, skipped: [] });
});

Deno.test("parseJobLog skips a torn last line and bad lines, and counts them", () => {
  const good = formatJobLogLine(record({ status: "ok", path: "/a" }));
  const text = [
    good.trimEnd(),
    "",
    "   ",
    "not json",
    "42",
    JSON.stringify({ ...record({ status: "ok" }), status: "done" }),
    JSON.stringify({ ...record({ status: "ok" }), sha256: "ABC" }),
    JSON.stringify({ ...record({ status: "ok" }), attempt: 0 }),
    JSON.stringify({ ...record({ status: "ok" }), start: "yesterday" }),
    JSON.stringify({ ...record({ status: "ok" }), removed: [1] }),
    good.trimEnd() + "\r",
    good.slice(0, 40),
  ].join("\n");
  const { records, skipped } = parseJobLog(text);
  assert.equal(records.length, 2);
  assert.deepEqual(skipped, [
    { line: 4, reason: "not JSON (a torn or damaged line)" },
    { line: 5, reason: "not a JSON object" },
    { line: 6, reason: 'field "status" is missing or invalid' },
    { line: 7, reason: 'field "sha256" is missing or invalid' },
    { line: 8, reason: 'field "attempt" is missing or invalid' },
    { line: 9, reason: 'field "start" is missing or invalid' },
    { line: 10, reason: 'field "removed" is missing or invalid' },
    { line: 12, reason: "not JSON (a torn or damaged line)" },
  ]);
  assert.deepEqual(parseJobLog(""), { records: [], skipped: [] });
  const skip = { ...record({ status: "skipped", error: "previous run still going" }), attempt: 0 };
  assert.deepEqual(parseJobLog(JSON.stringify(skip)).records, [skip]);
});

Deno.test("lastResults keeps the last record of each job in first-seen order", () => {
  const records = [
    record({ job: "b", status: "failed", error: "x" }),
    record({ job: "a", status: "ok", bytes: 1 }),
    record({ job: "b", status: "ok", bytes: 2 }),
    record({ job: "a", status: "failed", attempt: 3, error: "Timed out after 10 ms" }),
  ];
  const last = lastResults(records);
  assert.deepEqual([...last.entries()], [["b", records[2]], ["a", records[3]]]);
  assert.equal(lastResults([]).size, 0);
});

Deno.test("jobHistory: last good hash, written files minus removed ones, rewrites move last", () => {
  const records = [
    record({ status: "ok", sha256: sha("1"), path: "/b/1" }),
    record({ job: "other", status: "ok", sha256: sha("9"), path: "/o/1" }),
    record({ status: "ok", sha256: sha("2"), path: "/b/2" }),
    record({ status: "ok", sha256: sha("3"), path: "/b/1" }), // the same path written again
    record({ status: "unchanged", sha256: sha("3") }),
    record({ status: "ok", sha256: sha("4"), path: "/b/3", removed: ["/b/2"] }),
    record({ status: "failed", sha256: sha("5"), error: "size 9 differs from the expected 8" }),
    record({ status: "skipped", error: "Aborted before attempt 2 of 2" }),
  ];
  assert.deepEqual(jobHistory(records, "sw1"), { lastSha256: sha("4"), written: ["/b/1", "/b/3"] });
  assert.deepEqual(jobHistory(records, "other"), { lastSha256: sha("9"), written: ["/o/1"] });
  assert.deepEqual(jobHistory(records.slice(6), "sw1"), { written: [] });
  const unchangedOnly = [record({ status: "unchanged", sha256: sha("7") })];
  assert.deepEqual(jobHistory(unchangedOnly, "sw1"), { lastSha256: sha("7"), written: [] });
});

Deno.test("filesBeyondKeep removes the oldest beyond keep, never the current file", () => {
  const written = ["/b/1", "/b/2", "/b/3", "/b/4"];
  assert.deepEqual(filesBeyondKeep(written, { current: "/b/5", keep: 3 }), ["/b/1", "/b/2"]);
  assert.deepEqual(filesBeyondKeep(written, { current: "/b/5", keep: 1 }), written);
  assert.deepEqual(filesBeyondKeep(written, { current: "/b/4", keep: 3 }), ["/b/1"]);
  assert.deepEqual(filesBeyondKeep(written, { current: "/b/5", keep: 5 }), []);
  assert.deepEqual(filesBeyondKeep(written, { current: "/b/5", keep: 0 }), []);
  assert.deepEqual(filesBeyondKeep(["/b/1", "/b/1"], { current: "/b/2", keep: 1 }), ["/b/1"]);
});
