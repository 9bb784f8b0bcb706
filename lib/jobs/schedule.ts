/**
 * When a job runs: its cron expression evaluated by the `croner` library in the job's IANA time
 * zone. Pure: the times are computed from the instants passed in, never read from a clock.
 *
 * Every time is an absolute instant (a `Date`), so daylight saving changes are croner's job:
 *
 * - Spring forward (Europe/Berlin, 2024-03-31, 02:00 CET becomes 03:00 CEST): a `30 2 * * *`
 *   job, whose wall time does not exist that day, runs one hour later at 03:30 CEST (01:30 UTC);
 *   it is not skipped. An every-30-minutes job limited to hours 1-3 simply has no 02:xx runs.
 * - Fall back (2024-10-27, 03:00 CEST becomes 02:00 CET): the 02:xx wall times happen twice and
 *   croner fires only in the second pass (CET): `30 2 * * *` runs once, at 02:30 CET (01:30
 *   UTC), and an every-15-minutes job has no runs from 02:00 to 02:59 CEST (a one-hour gap).
 *
 * @module
 */

import { Cron } from "croner";
import { checkSchedule, checkTimezone } from "./_config_schedule.ts";
import type { JobSpec } from "./types.ts";

/** The shorthands a schedule may use instead of five fields. */
export const SCHEDULE_SHORTHANDS = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly"] as const;

/** Most scheduled times {@linkcode CronSchedule.dueRuns} steps through one by one. */
const STEP_LIMIT = 1000;
/** Smallest look-back window of the search for the latest due time after a long gap. */
const MIN_WINDOW_MS = 60_000;

/** The scheduled times that came due between two instants, coalesced. */
export interface DueRuns {
  /** The latest scheduled time at or before `now`. */
  readonly latest: Date;
  /** How many scheduled times came due; saturates at 1000 after very long gaps. */
  readonly count: number;
  /** The first scheduled time after `now`, if the schedule fires again. */
  readonly next: Date | undefined;
}

/**
 * A job's schedule, checked once, answering "when next" questions quickly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CronSchedule } from "./schedule.ts";
 * const hourly = new CronSchedule({ schedule: "@hourly", timezone: "UTC" });
 * assert.equal(hourly.nextAfter(new Date("2024-01-01T10:20:00Z"))?.toISOString(), "2024-01-01T11:00:00.000Z");
 * ```
 */
export class CronSchedule {
  #cron: Cron;

  /**
   * Checks the expression and the time zone. Throws `RangeError` naming the bad value.
   *
   * @param job The `schedule` (five fields or a shorthand) and the IANA `timezone`.
   */
  constructor(job: Pick<JobSpec, "schedule" | "timezone">) {
    // The same checks as the jobs file's (config.ts), so the two never drift apart.
    const zone = checkTimezone(job.timezone);
    if ("problem" in zone) throw new RangeError(`timezone ${zone.problem}`);
    const checked = checkSchedule(job.schedule, zone.timezone, { mustFire: false });
    if ("problem" in checked) throw new RangeError(`schedule ${checked.problem}`);
    this.#cron = new Cron(checked.schedule, { timezone: zone.timezone, paused: true });
  }

  /**
   * The first scheduled time strictly after `after`, or `undefined` when the schedule never
   * fires again (`0 0 30 2 *`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CronSchedule } from "./schedule.ts";
   * const never = new CronSchedule({ schedule: "0 0 30 2 *", timezone: "UTC" });
   * assert.equal(never.nextAfter(new Date("2024-01-01T00:00:00Z")), undefined);
   * ```
   */
  nextAfter(after: Date): Date | undefined {
    return this.#cron.nextRun(after) ?? undefined;
  }

  /**
   * The next `count` scheduled times strictly after `after` (fewer if the schedule ends).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CronSchedule } from "./schedule.ts";
   * const s = new CronSchedule({ schedule: "0 12 * * *", timezone: "UTC" });
   * assert.equal(s.nextTimes(new Date("2024-01-01T12:00:00Z"), 2).length, 2);
   * ```
   */
  nextTimes(after: Date, count: number): Date[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    }
    return count === 0 ? [] : this.#cron.nextRuns(count, after);
  }

  /**
   * Coalesces the scheduled times after `after` up to and including `now`: the latest one,
   * how many there were, and the next one after `now`. `undefined` when none came due. After a
   * gap of more than 1000 scheduled times the latest is found by searching back from `now`
   * and `count` stays at 1000, so a long suspend costs little time.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CronSchedule } from "./schedule.ts";
   * const s = new CronSchedule({ schedule: "0,15,30,45 * * * *", timezone: "UTC" });
   * const due = s.dueRuns(new Date("2024-01-01T00:00:00Z"), new Date("2024-01-01T01:05:00Z"));
   * assert.equal(due?.latest.toISOString(), "2024-01-01T01:00:00.000Z");
   * assert.equal(due?.count, 4);
   * ```
   */
  dueRuns(after: Date, now: Date): DueRuns | undefined {
    let latest: Date | undefined;
    let count = 0;
    let cursor = after;
    while (count < STEP_LIMIT) {
      const next = this.nextAfter(cursor);
      if (next === undefined || next > now) return latest && { latest, count, next };
      latest = next;
      count++;
      cursor = next;
    }
    return { latest: this.#latestAtOrBefore(cursor, now), count, next: this.nextAfter(now) };
  }

  /** The latest scheduled time in (floor, now], given that one exists. */
  #latestAtOrBefore(floor: Date, now: Date): Date {
    let found = floor;
    for (let windowMs = MIN_WINDOW_MS;; windowMs *= 2) {
      const start = Math.max(floor.getTime(), now.getTime() - windowMs);
      let cursor = new Date(start);
      for (let step = 0; step < STEP_LIMIT; step++) {
        const next = this.nextAfter(cursor);
        if (next === undefined || next > now) break;
        found = cursor = next;
      }
      if (found > floor || start === floor.getTime()) return found;
    }
  }
}

/**
 * The next `count` times a job is scheduled, strictly after `after`, in its time zone; fewer
 * when the schedule ends. Throws `RangeError` for a bad schedule or time zone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextRunTimes } from "./schedule.ts";
 * const times = nextRunTimes(
 *   { schedule: "@daily", timezone: "Europe/Berlin" },
 *   new Date("2024-01-01T12:00:00Z"),
 *   2,
 * );
 * assert.deepEqual(times.map((t) => t.toISOString()), [
 *   "2024-01-01T23:00:00.000Z",
 *   "2024-01-02T23:00:00.000Z",
 * ]);
 * ```
 */
export function nextRunTimes(
  job: Pick<JobSpec, "schedule" | "timezone">,
  after: Date,
  count: number,
): Date[] {
  return new CronSchedule(job).nextTimes(after, count);
}
