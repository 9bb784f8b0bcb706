import assert from "node:assert/strict";
import { summarize } from "./summary.ts";

const URL = "tftp://127.0.0.1:6969/";

Deno.test("summarize: counts, must score and plural forms", () => {
  const row = { title: "t", rfc: "RFC 1350", detail: "", ms: 0 };
  const report = {
    server: URL,
    started: "2024-01-01T00:00:00.000Z",
    durationMs: 0,
    checks: [
      { ...row, id: "a", level: "must", status: "pass" },
      { ...row, id: "b", level: "must", status: "skip" },
      { ...row, id: "c", level: "must", status: "fail", serverDown: true },
      { ...row, id: "d", level: "should", status: "warn" },
      { ...row, id: "e", level: "interop", status: "warn" },
      { ...row, id: "f", level: "should", status: "pass" },
    ],
  } as const;
  const summary = summarize({ ...report, checks: report.checks.map((c) => ({ ...c })) });
  assert.deepEqual(summary, {
    counts: { pass: 2, fail: 1, warn: 2, skip: 1 },
    mustPassed: 1,
    mustRan: 2,
    serverDown: ["c"],
    score: "2 passed, 1 failed, 2 warnings, 1 skipped (must: 1/2)",
  });
  assert.equal(
    summarize({ ...report, checks: [] }).score,
    "0 passed, 0 failed, 0 warnings, 0 skipped (must: 0/0)",
  );
});
