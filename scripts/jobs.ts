/**
 * `jobs`: scheduled fetches of switch and router configs and firmware over TFTP or the TCP
 * file service, with a JSON-lines log of every attempt.
 *
 * ```sh
 * deno task jobs check jobs.jsonc
 * deno task jobs once jobs.jsonc core-sw1-config
 * deno task jobs run jobs.jsonc --grace 60
 * deno task jobs status jobs.jsonc --json
 * ```
 *
 * Run `deno task jobs --help` for the options. This file only wires the parsed command line
 * (`_jobs_args.ts`) and the printing (`_jobs_output.ts`) to `lib/jobs/`.
 *
 * @module
 */

import { resolve } from "node:path";
import { JobsConfigError } from "../lib/jobs/config.ts";
import { loadJobsConfig } from "../lib/jobs/load.ts";
import { appendJobLog, formatJobLogLine, lastResults, readJobLog } from "../lib/jobs/log.ts";
import { runJob } from "../lib/jobs/run_job.ts";
import { runScheduler } from "../lib/jobs/run_loop.ts";
import { nextRunTimes } from "../lib/jobs/schedule.ts";
import type { JobLogRecord, JobsConfig, JobSpec } from "../lib/jobs/types.ts";
import { type JobsCommand, jobsUsage, parseJobsCommandLine } from "./_jobs_args.ts";
import {
  checkJobJson,
  formatAttempt,
  formatCheckJob,
  formatRunEvent,
  formatScheduledJob,
  formatStatusJob,
  runEventJson,
  statusJobJson,
} from "./_jobs_output.ts";
import { UsageError } from "./_cli_args.ts";
import {
  enterUserFolder,
  err,
  onStopSignal,
  out,
  reportFailure,
  SIGNAL_EXIT,
  type StopSignal,
} from "./_cli.ts";
import { terminalSafe } from "./_tftp_output.ts";

type Command<K extends JobsCommand["command"]> = Extract<JobsCommand, { command: K }>;

/** The log's path, absolute. */
function logPath(config: JobsConfig): string {
  return resolve(config.baseDir, config.log);
}

function warnLog(error: unknown): void {
  err(`warning: ${terminalSafe((error as Error)?.message ?? String(error))}\n`);
}

/** An attempt as printed: text, or the log's JSON line. */
function attemptLine(record: JobLogRecord, json: boolean): string {
  return json ? formatJobLogLine(record) : `${formatAttempt(record)}\n`;
}

/** The jobs `once` runs: every job, or the named ones in the order given. */
function selectJobs(config: JobsConfig, names: readonly string[]): JobSpec[] {
  if (names.length === 0) return [...config.jobs];
  return names.map((name) => {
    const job = config.jobs.find((job) => job.name === name);
    if (!job) {
      const known = config.jobs.map((job) => job.name).join(", ");
      throw new UsageError(`Unknown job ${JSON.stringify(name)}: the jobs file has ${known}`);
    }
    return job;
  });
}

/** Runs `work` on every item, at most `limit` at a time, in order of start. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function once(cmd: Command<"once">): Promise<number> {
  const config = await loadJobsConfig(cmd.file);
  const jobs = selectJobs(config, cmd.jobs);
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error(`Interrupted by ${signal}`));
  });
  const scheduled = new Date();
  const results = new Map<string, JobLogRecord>();
  try {
    await eachLimited(jobs, config.concurrency, async (job) => {
      if (controller.signal.aborted) return;
      const record = await runJob(job, {
        scheduled,
        baseDir: config.baseDir,
        logPath: logPath(config),
        signal: controller.signal,
        onAttempt: (record) => out(attemptLine(record, cmd.json)),
        onLogError: warnLog,
      });
      results.set(job.name, record);
    });
  } finally {
    stopListening();
  }
  if (stoppedBy) {
    err(`error: Interrupted by ${stoppedBy}\n`);
    return SIGNAL_EXIT[stoppedBy];
  }
  const failed = jobs.filter((job) => !isGood(results.get(job.name)));
  if (failed.length === 0) return 0;
  const names = failed.map((job) => terminalSafe(job.name)).join(", ");
  err(`error: ${failed.length} of ${jobs.length} jobs failed: ${names}\n`);
  return 1;
}

/** Whether a run ended well: its last attempt is `ok` or `unchanged`. */
function isGood(record: JobLogRecord | undefined): boolean {
  return record?.status === "ok" || record?.status === "unchanged";
}

async function check(cmd: Command<"check">): Promise<number> {
  const config = await loadJobsConfig(cmd.file);
  const now = new Date();
  if (!cmd.json) out(configSummary(cmd.file, config));
  for (const job of config.jobs) {
    const runs = nextRunTimes(job, now, cmd.count);
    out(
      cmd.json ? `${JSON.stringify(checkJobJson(job, runs))}\n` : formatCheckJob(job, runs),
    );
  }
  return 0;
}

async function status(cmd: Command<"status">): Promise<number> {
  const config = await loadJobsConfig(cmd.file);
  const path = logPath(config);
  const records = await readJobLog(path, {
    onSkip: ({ line, reason }) =>
      err(`warning: ${terminalSafe(path)} line ${line} skipped: ${terminalSafe(reason)}\n`),
  });
  const last = lastResults(records);
  const failed: string[] = [];
  for (const job of config.jobs) {
    const record = last.get(job.name);
    if (record !== undefined && !isGood(record)) failed.push(terminalSafe(job.name));
    out(
      cmd.json
        ? `${JSON.stringify(statusJobJson(job.name, record))}\n`
        : `${formatStatusJob(job.name, record)}\n`,
    );
  }
  if (failed.length === 0) return 0;
  err(
    `error: the last run of ${failed.length} job${failed.length === 1 ? "" : "s"} failed: ${
      failed.join(", ")
    }\n`,
  );
  return 1;
}

/** The first line of `check` and `run`: the file, its job count, concurrency and log. */
function configSummary(file: string, config: JobsConfig): string {
  const count = config.jobs.length;
  return `${terminalSafe(file)}: ${count} job${
    count === 1 ? "" : "s"
  }, concurrency ${config.concurrency}, log ${terminalSafe(logPath(config))}\n`;
}

/** Prints `text`, or `object` as a JSON line. */
function printer(json: boolean): (text: string, object: unknown) => void {
  return (text, object) => out(json ? `${JSON.stringify(object)}\n` : `${text}\n`);
}

/** `run`'s start-up output: the summary (text only) and each job's schedule and next run. */
function printSchedule(cmd: Command<"run">, config: JobsConfig): void {
  const print = printer(cmd.json);
  const now = new Date();
  if (!cmd.json) out(configSummary(cmd.file, config));
  for (const job of config.jobs) {
    const next = nextRunTimes(job, now, 1)[0];
    const { name, schedule, timezone, source } = job;
    print(formatScheduledJob(job, next), {
      type: "schedule",
      job: name,
      schedule,
      timezone,
      source,
      next: next?.toISOString() ?? null,
    });
  }
}

async function run(cmd: Command<"run">): Promise<number> {
  const print = printer(cmd.json);
  // Listening from the start: a stop signal always means exit 0.
  const stop = new AbortController();
  let running = 0;
  const stopListening = onStopSignal((signal) => {
    const jobs = running === 0
      ? "no job running"
      : `${running} job${running === 1 ? "" : "s"} running`;
    print(`stopping on ${signal}: ${jobs}, waiting up to ${cmd.graceMs / 1000} s`, {
      type: "stopping",
      signal,
      running,
      graceMs: cmd.graceMs,
    });
    stop.abort();
  });
  try {
    const config = await loadJobsConfig(cmd.file);
    const specs = new Map(config.jobs.map((job) => [job.name, job]));
    printSchedule(cmd, config);
    await runScheduler(config, {
      signal: stop.signal,
      graceMs: cmd.graceMs,
      onEvent: (event) => {
        const at = new Date();
        const timezone = specs.get(event.job)?.timezone ?? "UTC";
        print(formatRunEvent(event, at, timezone), runEventJson(event, at));
        // A run that did not happen is in the log too (attempt 0), so `status` and the
        // history tell "skipped because the previous run was still going" from "never due".
        if (event.type === "skip") {
          appendJobLog(logPath(config), {
            type: "attempt",
            job: event.job,
            scheduled: event.scheduled.toISOString(),
            attempt: 0,
            start: at.toISOString(),
            end: at.toISOString(),
            bytes: 0,
            status: "skipped",
            error: event.reason,
          }).catch(warnLog);
        }
      },
      runJob: async (job, scheduled, signal) => {
        running++;
        try {
          await runJob(job, {
            scheduled,
            signal,
            baseDir: config.baseDir,
            logPath: logPath(config),
            onAttempt: (record) => out(attemptLine(record, cmd.json)),
            onLogError: warnLog,
          });
        } finally {
          running--;
        }
      },
    });
  } finally {
    stopListening();
  }
  print("stopped", { type: "stopped" });
  return 0;
}

async function main(args: string[]): Promise<number> {
  try {
    const cmd = parseJobsCommandLine(args);
    switch (cmd.command) {
      case "help":
        out(jobsUsage());
        return 0;
      case "run":
        return await run(cmd);
      case "once":
        return await once(cmd);
      case "check":
        return await check(cmd);
      case "status":
        return await status(cmd);
    }
  } catch (error) {
    const message = terminalSafe(error instanceof Error ? error.message : String(error));
    if (!(error instanceof JobsConfigError)) return reportFailure(error, message);
    err(`error: ${message}\n`); // a config error is a usage error without the --help hint
    return 2;
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
