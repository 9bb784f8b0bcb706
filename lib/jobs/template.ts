/**
 * Destination path templates of scheduled fetch jobs: `backups/{job}/{date}_{time}.cfg`.
 * Pure.
 *
 * Tokens are replaced with the job's name and the parts of a moment as a wall clock in an IANA
 * time zone shows it (24-hour, zero-padded). Around a daylight saving change the wall clock
 * repeats or skips an hour, so two runs an hour apart can render the same `{time}` in
 * autumn; a template with `{date}` and `{time}` in `UTC` never repeats.
 *
 * | token | value | example |
 * |---|---|---|
 * | `{job}` | the job's name | `core-sw1` |
 * | `{date}` | `{yyyy}-{mm}-{dd}` | `2026-03-29` |
 * | `{time}` | `{HH}{MM}{SS}` | `023000` |
 * | `{yyyy}` | year, at least 4 digits | `2026` |
 * | `{mm}` | month, 01-12 | `03` |
 * | `{dd}` | day of the month, 01-31 | `29` |
 * | `{HH}` | hour, 00-23 | `02` |
 * | `{MM}` | minute, 00-59 | `30` |
 * | `{SS}` | second, 00-59 | `00` |
 *
 * @module
 */

/** The tokens a destination template may contain, without braces. */
export const DEST_TOKENS = ["job", "date", "time", "yyyy", "mm", "dd", "HH", "MM", "SS"] as const;

/** One of {@linkcode DEST_TOKENS}. */
export type DestToken = typeof DEST_TOKENS[number];

/** What {@linkcode renderDest} fills in. */
export interface RenderDestValues {
  /** The job's name, for `{job}`. */
  readonly job: string;
  /** The moment the date and time tokens show (the run's scheduled time). */
  readonly at: Date;
  /** IANA time zone of the wall clock, like `Europe/Berlin` or `UTC`. */
  readonly timezone: string;
}

const TOKEN_RE = /\{([^{}]*)\}/g;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timezone, format);
  }
  return format;
}

function isDestToken(name: string): name is DestToken {
  return (DEST_TOKENS as readonly string[]).includes(name);
}

/**
 * The names between braces in a template, in order, known or not; for validation against
 * {@linkcode DEST_TOKENS}. A brace that does not enclose a token is not reported here: look
 * for `{` or `}` left after removing the tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { templateTokens } from "./template.ts";
 * assert.deepEqual(templateTokens("b/{job}/{date}_{hh}.cfg"), ["job", "date", "hh"]);
 * ```
 */
export function templateTokens(template: string): string[] {
  return [...template.matchAll(TOKEN_RE)].map((match) => match[1]);
}

/**
 * Replaces the tokens of a destination template (see {@linkcode DEST_TOKENS}) with the job's
 * name and `at` as a clock in `timezone` shows it. Throws a `RangeError` for an unknown
 * token, an unknown time zone or an invalid date. Text outside tokens is kept as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderDest } from "./template.ts";
 * const at = new Date("2026-03-29T00:30:00Z");
 * assert.equal(
 *   renderDest("backups/{job}/{date}_{time}.cfg", { job: "sw1", at, timezone: "Europe/Berlin" }),
 *   "backups/sw1/2026-03-29_013000.cfg",
 * );
 * ```
 */
export function renderDest(template: string, values: RenderDestValues): string {
  const { job, at, timezone } = values;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new RangeError(`Cannot render ${JSON.stringify(template)}: the date is invalid`);
  }
  const parts: Record<string, string> = {};
  for (const part of formatter(timezone).formatToParts(at)) parts[part.type] = part.value;
  const yyyy = parts.year.padStart(4, "0");
  const { month: mm, day: dd, hour: HH, minute: MM, second: SS } = parts;
  const tokens: Record<DestToken, string> = {
    job,
    date: `${yyyy}-${mm}-${dd}`,
    time: `${HH}${MM}${SS}`,
    yyyy,
    mm,
    dd,
    HH,
    MM,
    SS,
  };
  return template.replace(TOKEN_RE, (text, name: string) => {
    if (!isDestToken(name)) {
      throw new RangeError(
        `Cannot render ${JSON.stringify(template)}: unknown token ${JSON.stringify(text)}`,
      );
    }
    return tokens[name];
  });
}
