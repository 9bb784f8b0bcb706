/**
 * The driver of {@linkcode JobScheduler}: one timer at a time, the clock, the runs and the
 * shutdown. Everything it decides comes from the scheduler.
 *
 * @module
 */

import { JobScheduler, type SchedulerEvent } from "./scheduler.ts";
import type { JobsConfig, JobSpec } from "./types.ts";

/** How {@linkcode runScheduler} runs jobs and stops. */
export interface RunSchedulerOptions {
  /** Runs one job for one scheduled time; should settle soon after `signal` aborts. */
  runJob: (job: JobSpec, scheduled: Date, signal: AbortSignal) => Promise<unknown>;
  /** The wall clock. @default {() => new Date()} */
  now?: () => Date;
  /**
   * Waits `ms`, or less when `signal` aborts (resolving or rejecting).
   * @default {a setTimeout that an abort clears}
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborting it stops the scheduler. @default {undefined} */
  signal?: AbortSignal;
  /** How long running jobs may go on after the stop before they are aborted. @default {30000} */
  graceMs?: number;
  /**
   * Longest single wait: the clock is read again at least this often, because timers do not
   * count time spent suspended and do not follow clock changes. @default {60000}
   */
  maxSleepMs?: number;
  /** Sees every scheduler event (starts and skips). @default {undefined} */
  onEvent?: (event: SchedulerEvent) => void;
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(id);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const id = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * Runs the jobs of `config` on their schedules until `options.signal` aborts. On the stop it
 * starts nothing more, waits up to `graceMs` for running jobs, aborts their signals, waits for
 * them to settle and returns. Throws `RangeError` for a bad option or schedule; if `runJob`
 * throws, the scheduler stops the same way and then throws that error.
 *
 * @example
 * ```ts ignore
 * import { loadJobsConfig } from "./load.ts";
 * import { runJob } from "./run_job.ts";
 * import { runScheduler } from "./run_loop.ts";
 * const config = await loadJobsConfig("jobs.jsonc");
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGTERM", () => stop.abort());
 * await runScheduler(config, {
 *   signal: stop.signal,
 *   runJob: (job, scheduled, signal) =>
 *     runJob(job, { scheduled, signal, baseDir: config.baseDir, logPath: config.log }),
 * });
 * ```
 */
export async function runScheduler(
  config: JobsConfig,
  options: RunSchedulerOptions,
): Promise<void> {
  const { runJob, now = () => new Date(), sleep = realSleep, signal, onEvent } = options;
  const { graceMs = 30_000, maxSleepMs = 60_000 } = options;
  for (const [name, value] of [["graceMs", graceMs], ["maxSleepMs", maxSleepMs]] as const) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
    }
  }
  const scheduler = new JobScheduler(config.jobs, now(), { concurrency: config.concurrency });
  const specs = new Map(config.jobs.map((job) => [job.name, job]));
  const runs = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const failures: unknown[] = [];
  let wake = new AbortController();

  const drain = () => {
    for (let event = scheduler.pollEvent(); event; event = scheduler.pollEvent()) {
      onEvent?.(event);
      if (event.type !== "start") continue;
      const { job, scheduled } = event;
      const controller = new AbortController();
      const done = (async () => {
        try {
          await runJob(specs.get(job)!, scheduled, controller.signal);
        } catch (error) {
          failures.push(error);
        } finally {
          runs.delete(job);
          scheduler.handleFinished(job, now());
          wake.abort();
        }
      })();
      runs.set(job, { controller, done });
    }
  };

  for (;;) {
    drain();
    if (signal?.aborted || failures.length > 0) break;
    const timeout = scheduler.pollTimeout();
    const current = now();
    const waitMs = timeout === undefined
      ? maxSleepMs
      : Math.min(Math.max(timeout.getTime() - current.getTime(), 0), maxSleepMs);
    wake = new AbortController();
    const wakeSignal = signal ? AbortSignal.any([signal, wake.signal]) : wake.signal;
    await sleep(waitMs, wakeSignal).catch(() => {});
    if (signal?.aborted) break;
    scheduler.handleTick(now());
  }

  scheduler.stop();
  drain();
  if (runs.size > 0) {
    const settled = Promise.all([...runs.values()].map((run) => run.done));
    const graceOver = new AbortController();
    await Promise.race([settled, sleep(graceMs, graceOver.signal).catch(() => {})]);
    graceOver.abort();
    for (const run of runs.values()) run.controller.abort();
    await settled;
  }
  if (failures.length > 0) throw failures[0];
}
