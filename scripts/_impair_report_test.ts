import assert from "node:assert/strict";
import { formatImpairReport, impairReportJson, impairReportOf } from "./_impair_report.ts";

const proxy = {
  counts: { up: 1204, down: 1310, sent: 2412, sessions: 1, tids: 2, foreign: 3, errors: 0 },
  actions: {
    up: { pass: 1090, drop: 112, duplicate: 2, delay: 0, reorder: 0 },
    down: { pass: 1100, drop: 120, duplicate: 60, delay: 0, reorder: 30 },
  },
};

Deno.test("impair report: table with aligned columns and a totals line", () => {
  const report = impairReportOf(7, proxy);
  assert.equal(
    formatImpairReport(report),
    [
      "direction  seen  pass  drop  duplicate  delay  reorder",
      "up         1204  1090   112          2      0        0",
      "down       1310  1100   120         60      0       30",
      "seed 7; sent 2412 datagrams; 1 client, 2 server TIDs, 3 foreign, 0 errors",
      "",
    ].join("\n"),
  );
});

Deno.test("impair report: one JSON line with every count", () => {
  const line = impairReportJson(impairReportOf(7, proxy));
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), {
    seed: 7,
    up: { seen: 1204, pass: 1090, drop: 112, duplicate: 2, delay: 0, reorder: 0 },
    down: { seen: 1310, pass: 1100, drop: 120, duplicate: 60, delay: 0, reorder: 30 },
    sent: 2412,
    sessions: 1,
    tids: 2,
    foreign: 3,
    errors: 0,
  });
});
