/**
 * Arguments of the `jobs` command line: the argument vector to a {@linkcode JobsCommand} and
 * the usage text. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { parseOptions, parseSeconds, UsageError } from "./_cli_args.ts";

/** Seconds `run` lets running fetches finish after SIGINT/SIGTERM when no `--grace` is given. */
export const DEFAULT_GRACE_SECONDS = 30;
/** Run times `check` prints per job when no `--count` is given. */
export const DEFAULT_CHECK_COUNT = 3;
/** The most run times `check` prints per job. */
export const MAX_CHECK_COUNT = 1000;

/** A parsed command line. */
export type JobsCommand =
  | { readonly command: "help" }
  | {
    readonly command: "run";
    /** The jobs file. */
    readonly file: string;
    /** JSON lines instead of text. */
    readonly json: boolean;
    /** After SIGINT/SIGTERM, running fetches get this long before they are aborted. */
    readonly graceMs: number;
  }
  | {
    readonly command: "once";
    /** The jobs file. */
    readonly file: string;
    /** The jobs to run, in the order given (no duplicates); empty: every job. */
    readonly jobs: readonly string[];
    /** JSON lines instead of text. */
    readonly json: boolean;
  }
  | {
    readonly command: "check";
    /** The jobs file. */
    readonly file: string;
    /** Run times to print per job. */
    readonly count: number;
    /** JSON lines instead of text. */
    readonly json: boolean;
  }
  | {
    readonly command: "status";
    /** The jobs file. */
    readonly file: string;
    /** JSON lines instead of text. */
    readonly json: boolean;
  };

const JSON_ONLY = { json: { type: "boolean" } } as const;
const RUN_OPTIONS = { json: { type: "boolean" }, grace: { type: "string" } } as const;
const CHECK_OPTIONS = { json: { type: "boolean" }, count: { type: "string" } } as const;

function noMore(positionals: string[], allowed: number): void {
  if (positionals.length > allowed) {
    throw new UsageError(`Unexpected argument: ${JSON.stringify(positionals[allowed])}`);
  }
}

function jobsFile(command: string, positionals: string[]): string {
  const file = positionals[0];
  if (file === undefined) throw new UsageError(`Missing <file>: ${command} <file>`);
  if (file === "") throw new UsageError("<file> must not be empty");
  return file;
}

function parseCount(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CHECK_COUNT;
  const count = /^[0-9]{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_CHECK_COUNT)) {
    throw new UsageError(
      `--count must be a whole number from 1 to ${MAX_CHECK_COUNT}, got ${JSON.stringify(text)}`,
    );
  }
  return count;
}

function runCommand(args: string[]): JobsCommand {
  const { values, positionals } = parseOptions("run", args, RUN_OPTIONS);
  const file = jobsFile("run", positionals);
  noMore(positionals, 1);
  const graceMs = parseSeconds("--grace", values.grace) ?? DEFAULT_GRACE_SECONDS * 1000;
  return { command: "run", file, json: !!values.json, graceMs };
}

function onceCommand(args: string[]): JobsCommand {
  const { values, positionals } = parseOptions("once", args, JSON_ONLY);
  const file = jobsFile("once", positionals);
  const jobs: string[] = [];
  for (const name of positionals.slice(1)) {
    if (name === "") throw new UsageError("[job] must not be empty");
    if (jobs.includes(name)) throw new UsageError(`Job ${JSON.stringify(name)} given twice`);
    jobs.push(name);
  }
  return { command: "once", file, jobs, json: !!values.json };
}

function checkCommand(args: string[]): JobsCommand {
  const { values, positionals } = parseOptions("check", args, CHECK_OPTIONS);
  const file = jobsFile("check", positionals);
  noMore(positionals, 1);
  return { command: "check", file, count: parseCount(values.count), json: !!values.json };
}

function statusCommand(args: string[]): JobsCommand {
  const { values, positionals } = parseOptions("status", args, JSON_ONLY);
  const file = jobsFile("status", positionals);
  noMore(positionals, 1);
  return { command: "status", file, json: !!values.json };
}

const COMMANDS: Record<string, (args: string[]) => JobsCommand> = {
  run: runCommand,
  once: onceCommand,
  check: checkCommand,
  status: statusCommand,
};

/**
 * Parses the arguments after `jobs.ts`. Throws {@linkcode UsageError} for anything that
 * cannot run. `--help`/`-h` anywhere (before `--`) wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobsCommandLine } from "./_jobs_args.ts";
 * assert.deepEqual(parseJobsCommandLine(["once", "jobs.jsonc", "sw1", "--json"]), {
 *   command: "once",
 *   file: "jobs.jsonc",
 *   jobs: ["sw1"],
 *   json: true,
 * });
 * assert.throws(() => parseJobsCommandLine(["check", "j.json", "--count", "0"]), /--count/);
 * ```
 */
export function parseJobsCommandLine(args: readonly string[]): JobsCommand {
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    return { command: "help" };
  }
  const [first, ...rest] = args;
  const names = Object.keys(COMMANDS).join(", ");
  if (first === undefined) throw new UsageError(`Missing command: expected ${names}`);
  if (first === "help" && rest.length === 0) return { command: "help" };
  if (Object.hasOwn(COMMANDS, first)) return COMMANDS[first](rest);
  throw new UsageError(
    first.startsWith("-")
      ? `Expected a command (${names}) before ${JSON.stringify(first)}`
      : `Unknown command ${JSON.stringify(first)}: expected ${names}`,
  );
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobsUsage } from "./_jobs_args.ts";
 * assert.ok(jobsUsage().includes("--grace S"));
 * ```
 */
export function jobsUsage(): string {
  return `jobs.ts: scheduled fetches of configs and firmware over TFTP or the TCP file service

Usage:
  jobs.ts run <file> [--json] [--grace S]
  jobs.ts once <file> [job...] [--json]
  jobs.ts check <file> [--count N] [--json]
  jobs.ts status <file> [--json]

<file> is a jobs file (JSON or JSONC): see lib/jobs/types.ts for its fields.

run     Runs every job on its schedule until SIGINT or SIGTERM. Prints the schedule at start,
        then one line per attempt. On a stop signal it starts nothing new, lets running
        fetches finish for --grace seconds, then aborts them (no partial files are left).
once    Runs every job (or the jobs named) now, each with its retries, and exits: for system
        cron or CI. Prints one line per attempt.
check   Validates the jobs file and prints each job's next run times in its time zone.
status  Prints each job's last result from the log, or "never run".

An attempt line reads: time, job, status (ok, unchanged, failed, skipped), attempt number,
bytes, the first 12 hex digits of the SHA-256, changed or unchanged, then the file written
or the error.

Options:
  --json               JSON lines on stdout instead of text: run, once: one object per event
                       or attempt (the log record); check, status: one object per job
  --grace S            run: seconds running fetches may take after a stop signal (default
                       ${DEFAULT_GRACE_SECONDS})
  --count N            check: run times per job, 1 to ${MAX_CHECK_COUNT}
                       (default ${DEFAULT_CHECK_COUNT})
  -h, --help           Show this help

Exit status:
  0    once: every job ended ok or unchanged; check: the file is valid; status: no job's last
       result failed (jobs that never ran count as fine); run: stopped by SIGINT or SIGTERM
  1    once: a job's run failed; status: a job's last attempt failed or was skipped;
       status: the log could not be read
  2    Usage error (unknown command or option, missing or extra argument, bad number, unknown
       job name), or a jobs file that cannot be read or is invalid (the message names the job
       and the field)
  130  once: interrupted by SIGINT (143: by SIGTERM)
`;
}
