/**
 * Validation of one job of a jobs file into a {@linkcode JobSpec}. Pure.
 *
 * @module
 */

import { parseTcpUrl } from "../tcp/url.ts";
import { parseTftpUrl } from "../tftp/url.ts";
import { describeValue, Fields, isObject } from "./_config_check.ts";
import { JobsConfigError } from "./_config_error.ts";
import { checkSchedule, checkTimezone } from "./_config_schedule.ts";
import { DEST_TOKENS, templateTokens } from "./template.ts";
import type { JobSpec, JobTransferOptions } from "./types.ts";

export type { JobSpec } from "./types.ts";

const JOB_FIELDS = [
  "name",
  "source",
  "options",
  "dest",
  "schedule",
  "timezone",
  "retries",
  "retryDelaySeconds",
  "maxRetryDelaySeconds",
  "timeoutSeconds",
  "sha256",
  "size",
  "keep",
  "onlyIfChanged",
];
const JOB_ALIASES = {
  timeout: "timeoutSeconds",
  timeoutMs: "timeoutSeconds",
  retryDelay: "retryDelaySeconds",
  retryDelayMs: "retryDelaySeconds",
  maxRetryDelay: "maxRetryDelaySeconds",
  maxRetryDelayMs: "maxRetryDelaySeconds",
  url: "source",
  cron: "schedule",
  tz: "timezone",
  blksize: "options",
  windowsize: "options",
};
/** Transfer options of a tftp:// source: the CLI's ranges (RFC 2348, 2349, 7440). */
const OPTION_RANGES: Record<keyof JobTransferOptions, readonly [number, number]> = {
  blksize: [8, 65464],
  windowsize: [1, 65535],
  timeout: [1, 255],
  retries: [0, 100],
};
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

function checkSource(fields: Fields): string {
  const source = fields.string("source", `like "tftp://192.0.2.10/sw1.cfg"`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source)?.[1].toLowerCase();
  try {
    if (scheme === "tftp") parseTftpUrl(source);
    else if (scheme === "tcp") parseTcpUrl(source);
    else fields.expect("source", "a tftp:// or tcp:// URL");
  } catch (cause) {
    if (cause instanceof JobsConfigError) throw cause;
    fields.fail("source", `must be a valid ${scheme}:// URL: ${(cause as Error).message}`, cause);
  }
  const options = fields.object.options;
  if (options !== undefined && scheme !== "tftp") {
    fields.fail("options", "is only for tftp:// sources");
  }
  return source;
}

function checkOptions(job: Fields): JobTransferOptions {
  const value = job.object.options;
  if (value === undefined) return {};
  if (!isObject(value)) job.expect("options", `an object like { "blksize": 1468 }`);
  const fields: Fields = new Fields(value, job.job, "options.");
  fields.rejectUnknown(Object.keys(OPTION_RANGES));
  const options: Record<string, number> = {};
  for (const [name, [min, max]] of Object.entries(OPTION_RANGES)) {
    const n = fields.whole(name, min, max);
    if (n !== undefined) options[name] = n;
  }
  return options;
}

function checkDest(fields: Fields): string {
  const dest = fields.string("dest", `a path template like "backups/{job}/{date}_{time}.cfg"`);
  const known: readonly string[] = DEST_TOKENS;
  const unknown = templateTokens(dest).find((token) => !known.includes(token));
  if (unknown !== undefined) {
    const list = DEST_TOKENS.map((token) => `{${token}}`).join(" ");
    fields.fail("dest", `has an unknown token "{${unknown}}" (known: ${list})`);
  }
  if (/[{}]/.test(dest.replace(/\{[^{}]*\}/g, ""))) {
    fields.fail(
      "dest",
      `has a "{" or "}" that is not part of a token, got ${JSON.stringify(dest)}`,
    );
  }
  if (/[/\\]$/.test(dest)) {
    fields.fail("dest", `must name a file, not a folder, got ${JSON.stringify(dest)}`);
  }
  return dest;
}

/**
 * Validates one entry of `jobs` (index 0-based) into a {@linkcode JobSpec} with defaults;
 * `names` maps the names seen so far to their index, for uniqueness.
 */
export function checkJob(value: unknown, index: number, names: Map<string, number>): JobSpec {
  const label = `#${index + 1}`;
  if (!isObject(value)) {
    throw new JobsConfigError(`job ${label}: must be an object, got ${describeValue(value)}`, {
      job: label,
    });
  }
  const unnamed: Fields = new Fields(value, label);
  const name = unnamed.string("name", `letters, digits, ".", "_" or "-"`);
  if (!NAME_RE.test(name) || name === "." || name === "..") {
    unnamed.expect("name", `1 to 64 letters, digits, ".", "_" or "-" (not "." or "..")`);
  }
  const fields: Fields = new Fields(value, name);
  const first = names.get(name);
  if (first !== undefined) fields.fail("name", `must be unique, job #${first + 1} has it too`);
  names.set(name, index);
  fields.rejectUnknown(JOB_FIELDS, JOB_ALIASES);
  const source = checkSource(fields);
  const options = checkOptions(fields);
  const dest = checkDest(fields);
  const zone = checkTimezone(fields.string("timezone", "", "UTC"));
  if ("problem" in zone) fields.fail("timezone", zone.problem);
  const cron = checkSchedule(fields.string("schedule", `like "30 2 * * *"`), zone.timezone);
  if ("problem" in cron) fields.fail("schedule", cron.problem);
  const retries = fields.whole("retries", 0, 20) ?? 2;
  const retryDelaySeconds = fields.seconds("retryDelaySeconds", 0.001) ?? 5;
  const maxRetryDelaySeconds = fields.seconds("maxRetryDelaySeconds", 0.001) ??
    Math.max(300, retryDelaySeconds);
  if (maxRetryDelaySeconds < retryDelaySeconds) {
    fields.expect("maxRetryDelaySeconds", `at least retryDelaySeconds (${retryDelaySeconds})`);
  }
  const timeoutSeconds = fields.seconds("timeoutSeconds", 1) ?? 120;
  const sha256 = fields.object.sha256;
  if (sha256 !== undefined && (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256))) {
    fields.expect("sha256", "64 hexadecimal digits");
  }
  const size = fields.whole("size", 0, Number.MAX_SAFE_INTEGER, "a whole number of bytes");
  const keep = fields.whole("keep", 0, 10000) ?? 0;
  const onlyIfChanged = fields.object.onlyIfChanged ?? false;
  if (typeof onlyIfChanged !== "boolean") fields.expect("onlyIfChanged", "true or false");
  return {
    name,
    source,
    options,
    dest,
    schedule: cron.schedule,
    timezone: zone.timezone,
    retries,
    retryDelayMs: Math.round(retryDelaySeconds * 1000),
    maxRetryDelayMs: Math.round(maxRetryDelaySeconds * 1000),
    timeoutMs: Math.round(timeoutSeconds * 1000),
    ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
    ...(size === undefined ? {} : { size }),
    keep,
    onlyIfChanged,
  };
}
