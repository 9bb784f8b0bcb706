/**
 * Scheduled fetch jobs: configs and firmware pulled over TFTP or the TCP file service on a
 * cron schedule, verified, written atomically, versions kept, every attempt logged.
 *
 * - {@linkcode loadJobsConfig} / {@linkcode parseJobsConfig}: the jobs file (JSON or JSONC).
 * - {@linkcode runJob}: one run of one job, attempts with retries, logged.
 * - {@linkcode runScheduler}: the long-running scheduler ({@linkcode JobScheduler} underneath).
 * - {@linkcode readJobLog} / {@linkcode lastResults}: the JSON-lines log.
 *
 * @example
 * ```ts ignore
 * import { loadJobsConfig, runJob } from "./mod.ts";
 * const config = await loadJobsConfig("jobs.jsonc");
 * const record = await runJob(config.jobs[0], {
 *   scheduled: new Date(),
 *   baseDir: config.baseDir,
 *   logPath: config.log,
 * });
 * console.log(record.status, record.path);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./config.ts";
export * from "./load.ts";
export * from "./template.ts";
export * from "./backoff.ts";
export * from "./schedule.ts";
export * from "./scheduler.ts";
export * from "./run_loop.ts";
export * from "./log.ts";
export * from "./fetch.ts";
export * from "./run_job.ts";
