/**
 * Checking and normalising a job's `schedule` and `timezone`, with croner doing the cron
 * parsing. Pure.
 *
 * @module
 */

import { Cron } from "croner";

/** Shorthands croner accepts, and the two aliases it does not (`@midnight`, `@annually`). */
const SHORTHANDS: Record<string, string> = {
  "@hourly": "@hourly",
  "@daily": "@daily",
  "@midnight": "@daily",
  "@weekly": "@weekly",
  "@monthly": "@monthly",
  "@yearly": "@yearly",
  "@annually": "@yearly",
};
const FIELDS = "minute hour day-of-month month day-of-week";
/** A moment to look for a first run from: a pattern with none after it never runs. */
const PROBE = "2000-01-01T00:00:00Z";

/**
 * An IANA time zone as given, with its case corrected (`europe/berlin` gives
 * `Europe/Berlin`), or an error message. Offsets like `+05:30` are refused: they ignore daylight saving time.
 */
export function checkTimezone(text: string): { timezone: string } | { problem: string } {
  const problem = {
    problem: `must be an IANA time zone like "Europe/Berlin" or "UTC", got ${JSON.stringify(text)}`,
  };
  if (!/^[A-Za-z]/.test(text)) return problem;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: text }).resolvedOptions();
    // Only the case is corrected: ICU would turn "Asia/Kolkata" into its "Asia/Calcutta".
    const same = resolved.timeZone.toLowerCase() === text.toLowerCase();
    return { timezone: same ? resolved.timeZone : text };
  } catch {
    return problem;
  }
}

/**
 * The schedule as croner and {@linkcode ../schedule.ts} get it (white space collapsed,
 * shorthands lower-cased and de-aliased), or an error message: not five fields, a croner
 * syntax error, or a pattern that never matches a date (like `0 0 30 2 *`).
 */
export function checkSchedule(
  text: string,
  timezone: string,
  options: { mustFire?: boolean } = {},
): { schedule: string } | { problem: string } {
  const got = JSON.stringify(text);
  const trimmed = text.trim().replace(/\s+/g, " ");
  let schedule = trimmed;
  if (trimmed.startsWith("@")) {
    schedule = SHORTHANDS[trimmed.toLowerCase()];
    if (schedule === undefined) {
      const list = Object.keys(SHORTHANDS).join(", ");
      return { problem: `must be a 5-field cron expression or one of ${list}, got ${got}` };
    }
  } else {
    const count = trimmed === "" ? 0 : trimmed.split(" ").length;
    if (count === 6) {
      return { problem: `must have 5 fields (${FIELDS}) without seconds, got ${got}` };
    }
    if (count !== 5) {
      return { problem: `must have 5 fields (${FIELDS}), got ${count} in ${got}` };
    }
  }
  let cron: Cron;
  try {
    cron = new Cron(schedule, { timezone, paused: true });
  } catch (error) {
    const reason = String((error as Error).message).replace(/^CronPattern: /, "");
    const lower = reason.charAt(0).toLowerCase() + reason.slice(1);
    return { problem: `must be a valid cron expression, got ${got} (${lower})` };
  }
  if ((options.mustFire ?? true) && cron.nextRun(PROBE) === null) {
    return { problem: `must match some date, got ${got}` };
  }
  return { schedule };
}
