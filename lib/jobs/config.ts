/**
 * Reading a jobs file: JSON or JSONC text in, a validated {@linkcode JobsConfig} with every
 * default filled in out. Pure: {@linkcode ./load.ts} reads the file.
 *
 * Every mistake is a {@linkcode JobsConfigError} naming the job and the field, what was
 * expected and what was found; unknown fields are errors, with a suggestion when one is
 * close (`job "sw1": unknown field "schedul" (did you mean "schedule"?)`). Files hold seconds
 * (`timeoutSeconds`); a {@linkcode JobSpec} holds milliseconds (`timeoutMs`).
 *
 * Normalised on the way: `schedule` white space is collapsed and the shorthands lower-cased,
 * with `@midnight` read as `@daily` and `@annually` as `@yearly`; `timezone` gets its case
 * corrected (`europe/berlin` becomes `Europe/Berlin`); `sha256` is lower-cased;
 * `log` is joined to `baseDir` unless absolute. A `dest` without date or time tokens is
 * legal: each run then replaces the same file and `keep` has nothing to rotate.
 *
 * @module
 */

import { isAbsolute, join, parse } from "node:path";
import { describeValue, Fields, isObject } from "./_config_check.ts";
import { JobsConfigError } from "./_config_error.ts";
import { checkJob } from "./_config_job.ts";
import { JsoncSyntaxError, parseJsonc } from "./_jsonc.ts";
import { templateTokens } from "./template.ts";
import type { JobsConfig } from "./types.ts";

export { JobsConfigError, type JobsConfigErrorOptions } from "./_config_error.ts";
export type { JobsConfig, JobSpec, JobTransferOptions } from "./types.ts";

/** Options of {@linkcode parseJobsConfig}. */
export interface ParseJobsConfigOptions {
  /** Folder that relative `dest` and `log` paths are resolved against (the file's folder). */
  readonly baseDir: string;
  /** The file's name, for syntax errors and the default log name. @default {"jobs.json"} */
  readonly fileName?: string;
}

const TOP_FIELDS = ["concurrency", "log", "jobs"];

function parseText(text: string, fileName: string): unknown {
  try {
    return parseJsonc(text);
  } catch (cause) {
    if (!(cause instanceof JsoncSyntaxError)) throw cause;
    const { line, column, reason } = cause;
    const where = `${JSON.stringify(fileName)} at line ${line}, column ${column}`;
    const message = `Invalid JSON in ${where}: ${reason}`;
    throw new JobsConfigError(message, { cause });
  }
}

/**
 * Parses and validates the text of a jobs file (JSON, or JSONC with comments and trailing
 * commas; see {@linkcode JobsConfig} in `types.ts` for the format) into a
 * {@linkcode JobsConfig} with every default filled in. Throws a {@linkcode JobsConfigError}
 * naming the job and field for the first mistake.
 *
 * Job fields and defaults: `name`, `source`, `dest`, `schedule` (required); `options`
 * (tftp:// only: `blksize` 8..65464, `windowsize` 1..65535, `timeout` 1..255, `retries`
 * 0..100); `timezone` ("UTC"); `retries` 0..20 (2); `retryDelaySeconds` 0.001..86400 (5);
 * `maxRetryDelaySeconds` at least `retryDelaySeconds` (300, or `retryDelaySeconds` when
 * larger); `timeoutSeconds` 1..86400 (120); `sha256`; `size`; `keep` 0..10000 (0);
 * `onlyIfChanged` (false). Top level: `concurrency` 1..256 (4), `log` (the file's name
 * without extension + `.log.jsonl`), `jobs` (at least one). Two jobs may not share a `dest`
 * without `{job}` in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobsConfig } from "./config.ts";
 * const text = `{
 *   // nightly
 *   "jobs": [{ "name": "sw1", "source": "tftp://192.0.2.1/sw1.cfg",
 *              "dest": "b/{job}/{date}.cfg", "schedule": "30 2 * * *", "retries": 1, }],
 * }`;
 * const config = parseJobsConfig(text, { baseDir: "/etc/tftpkit", fileName: "jobs.jsonc" });
 * assert.equal(config.log, "/etc/tftpkit/jobs.log.jsonl");
 * assert.equal(config.jobs[0].retries, 1);
 * assert.equal(config.jobs[0].timeoutMs, 120_000);
 * assert.throws(
 *   () => parseJobsConfig(text.replace(`"retries": 1`, `"retries": -1`), { baseDir: "." }),
 *   { message: `job "sw1": field "retries" must be a whole number from 0 to 20, got -1` },
 * );
 * ```
 */
export function parseJobsConfig(text: string, options: ParseJobsConfigOptions): JobsConfig {
  const { baseDir, fileName = "jobs.json" } = options;
  const value = parseText(text, fileName);
  if (!isObject(value)) {
    throw new JobsConfigError(
      `The jobs file must hold an object with a "jobs" array, got ${describeValue(value)}`,
    );
  }
  const top: Fields = new Fields(value, undefined);
  top.rejectUnknown(TOP_FIELDS);
  const concurrency = top.whole("concurrency", 1, 256) ?? 4;
  const log = top.string("log", "", `${parse(fileName).name}.log.jsonl`);
  const list = value.jobs;
  if (!Array.isArray(list) || list.length === 0) top.expect("jobs", "a non-empty array of jobs");
  const names = new Map<string, number>();
  const dests = new Map<string, string>();
  const jobs = list.map((item, index) => {
    const job = checkJob(item, index, names);
    const other = dests.get(job.dest);
    if (other !== undefined) {
      const got = JSON.stringify(job.dest);
      new Fields({}, job.name).fail(
        "dest",
        `must contain {job} or differ from job ${JSON.stringify(other)}'s, got ${got}`,
      );
    }
    if (!templateTokens(job.dest).includes("job")) dests.set(job.dest, job.name);
    return job;
  });
  return { concurrency, log: isAbsolute(log) ? log : join(baseDir, log), baseDir, jobs };
}
