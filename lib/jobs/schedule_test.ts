import assert from "node:assert/strict";
import { CronSchedule, nextRunTimes } from "./schedule.ts";

function iso(dates: readonly Date[]): string[] {
  return dates.map((d) => d.toISOString());
}

Deno.test("nextRunTimes: @daily in UTC and in Europe/Berlin", () => {
  const after = new Date("2024-01-01T00:00:00Z");
  assert.deepEqual(iso(nextRunTimes({ schedule: "@daily", timezone: "UTC" }, after, 2)), [
    "2024-01-02T00:00:00.000Z",
    "2024-01-03T00:00:00.000Z",
  ]);
  assert.deepEqual(iso(nextRunTimes({ schedule: "@daily", timezone: "Europe/Berlin" }, after, 2)), [
    "2024-01-01T23:00:00.000Z",
    "2024-01-02T23:00:00.000Z",
  ]);
});

Deno.test("nextRunTimes: every 15 minutes, strictly after the start", () => {
  const job = { schedule: "*/15 * * * *", timezone: "UTC" };
  assert.deepEqual(iso(nextRunTimes(job, new Date("2024-01-01T00:00:00Z"), 3)), [
    "2024-01-01T00:15:00.000Z",
    "2024-01-01T00:30:00.000Z",
    "2024-01-01T00:45:00.000Z",
  ]);
  assert.deepEqual(iso(nextRunTimes(job, new Date("2024-01-01T00:14:59.999Z"), 1)), [
    "2024-01-01T00:15:00.000Z",
  ]);
  assert.deepEqual(nextRunTimes(job, new Date("2024-01-01T00:00:00Z"), 0), []);
});

Deno.test("nextRunTimes: Europe/Berlin spring forward runs the missing 02:30 at 03:30 CEST", () => {
  const job = { schedule: "30 2 * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(iso(nextRunTimes(job, new Date("2024-03-30T00:00:00Z"), 3)), [
    "2024-03-30T01:30:00.000Z", // 02:30 CET
    "2024-03-31T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
    "2024-04-01T00:30:00.000Z", // 02:30 CEST
  ]);
});

Deno.test("nextRunTimes: Europe/Berlin fall back runs 02:30 once, in the second (CET) pass", () => {
  const daily = { schedule: "30 2 * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(iso(nextRunTimes(daily, new Date("2024-10-26T00:00:00Z"), 3)), [
    "2024-10-26T00:30:00.000Z", // 02:30 CEST
    "2024-10-27T01:30:00.000Z", // 02:30 CET; 02:30 CEST (00:30 UTC) does not run
    "2024-10-28T01:30:00.000Z",
  ]);
  const quarter = { schedule: "*/15 * * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(iso(nextRunTimes(quarter, new Date("2024-10-26T23:30:00Z"), 3)), [
    "2024-10-26T23:45:00.000Z", // 01:45 CEST
    "2024-10-27T01:00:00.000Z", // 02:00 CET: the 02:xx CEST hour has no runs
    "2024-10-27T01:15:00.000Z",
  ]);
});

Deno.test("nextRunTimes: 29 February runs in leap years only", () => {
  const job = { schedule: "0 0 29 2 *", timezone: "UTC" };
  assert.deepEqual(iso(nextRunTimes(job, new Date("2023-01-01T00:00:00Z"), 3)), [
    "2024-02-29T00:00:00.000Z",
    "2028-02-29T00:00:00.000Z",
    "2032-02-29T00:00:00.000Z",
  ]);
  // 2100 is not a leap year.
  assert.deepEqual(iso(nextRunTimes(job, new Date("2097-01-01T00:00:00Z"), 1)), [
    "2104-02-29T00:00:00.000Z",
  ]);
});

Deno.test("nextRunTimes: a schedule that never fires gives no times", () => {
  const job = { schedule: "0 0 30 2 *", timezone: "UTC" };
  assert.deepEqual(nextRunTimes(job, new Date("2024-01-01T00:00:00Z"), 3), []);
});

Deno.test("CronSchedule: bad schedules and time zones are RangeErrors naming the value", () => {
  // The jobs file's own checks (_config_schedule.ts): one set of rules, one set of messages.
  const fields = "minute hour day-of-month month day-of-week";
  const cases: [string, string, string | RegExp][] = [
    ["* * * *", "UTC", `schedule must have 5 fields (${fields}), got 4 in "* * * *"`],
    [
      "0 * * * * *",
      "UTC",
      `schedule must have 5 fields (${fields}) without seconds, got "0 * * * * *"`,
    ],
    [
      "2025-01-01T00:00:00",
      "UTC",
      `schedule must have 5 fields (${fields}), got 1 in "2025-01-01T00:00:00"`,
    ],
    [
      "@reboot",
      "UTC",
      'schedule must be a 5-field cron expression or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, got "@reboot"',
    ],
    ["61 * * * *", "UTC", /^schedule must be a valid cron expression, got "61 \* \* \* \*" \(/],
    [
      "* * * * *",
      "Mars/Base",
      'timezone must be an IANA time zone like "Europe/Berlin" or "UTC", got "Mars/Base"',
    ],
  ];
  for (const [schedule, timezone, message] of cases) {
    assert.throws(() => new CronSchedule({ schedule, timezone }), { name: "RangeError", message });
  }
  assert.throws(
    () => nextRunTimes({ schedule: "@hourly", timezone: "UTC" }, new Date(0), -1),
    { name: "RangeError", message: "count must be a non-negative integer, got -1" },
  );
});

Deno.test("CronSchedule.dueRuns: coalesces, and stays cheap after a year-long gap", () => {
  const every = new CronSchedule({ schedule: "* * * * *", timezone: "Europe/Berlin" });
  const start = new Date("2024-01-01T00:00:00Z");
  assert.equal(every.dueRuns(start, new Date("2024-01-01T00:00:59Z")), undefined);
  const hours = every.dueRuns(start, new Date("2024-01-01T03:00:30Z"));
  assert.deepEqual(hours && { ...hours, latest: iso([hours.latest]), next: iso([hours.next!]) }, {
    latest: ["2024-01-01T03:00:00.000Z"],
    count: 180,
    next: ["2024-01-01T03:01:00.000Z"],
  });
  const year = every.dueRuns(start, new Date("2025-01-01T12:34:56Z"));
  assert.equal(year?.latest.toISOString(), "2025-01-01T12:34:00.000Z");
  assert.equal(year?.count, 1000);
  assert.equal(year?.next?.toISOString(), "2025-01-01T12:35:00.000Z");
  const yearly = new CronSchedule({ schedule: "@yearly", timezone: "UTC" });
  const decades = yearly.dueRuns(start, new Date("2050-06-01T00:00:00Z"));
  assert.equal(decades?.latest.toISOString(), "2050-01-01T00:00:00.000Z");
  assert.equal(decades?.count, 26);
});
