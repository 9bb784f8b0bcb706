/**
 * The jobs scheduler as a sans-IO state machine: it is told the time (`handleTick`) and when a
 * run ends (`handleFinished`), and answers with events (`pollEvent`: start or skip a run) and
 * the instant it next wants to be told the time (`pollTimeout`). It never runs a job, reads a
 * clock or sets a timer; the driver in `run_loop.ts` does.
 *
 * ## Theory of operation
 *
 * Each job is idle, queued (due, waiting for a slot) or running. Per job the machine keeps the
 * next scheduled time, computed by croner in the job's time zone as an absolute instant (so
 * daylight saving changes cannot repeat or lose a run beyond what croner documents).
 *
 * 1. **Due.** On a tick, every scheduled time at or before `now` is due. All of a job's due
 *    times are coalesced into one: the latest. The next time is then computed after it.
 * 2. **No overlap.** When a job's time comes while it runs, that time is dropped with a
 *    `skip` event, reason `"previous run still going"`.
 * 3. **Concurrency.** At most `concurrency` jobs run at once. Due jobs beyond that wait in a
 *    FIFO queue (in order of scheduled time, then jobs-file order) and start as runs end. A job
 *    is queued once: a newer due time replaces its queued time and counts as coalesced.
 * 4. **Missed runs.** When the clock moves past several scheduled times at once (suspend,
 *    clock jump, stalled event loop), the job runs once, for the latest of them. The start
 *    event's `missed` counts the scheduled times that did not get their own timely run: the
 *    coalesced earlier ones, plus the run's own time when the tick that found it came more
 *    than `missedGraceMs` late. A timer that fires a few seconds late reports `missed: 0`; a
 *    daily job found six hours late reports `missed: 1`; an every-minute job after a
 *    three-hour suspend reports 180 (counting stops past 1000 scheduled times).
 * 5. **Clock going backward.** Next times are always computed after the later of `now` and
 *    the last scheduled time handled, so no run is repeated: the job waits until the clock
 *    passes its next time again.
 * 6. **Stop.** `stop()` drops the queue (a `skip` event per queued job, reason
 *    `"scheduler stopped"`), and no run starts after it; running jobs finish and are
 *    reported with `handleFinished` as usual.
 *
 * @module
 */

import { CronSchedule } from "./schedule.ts";
import type { JobSpec } from "./types.ts";

/** How the scheduler limits and classifies runs. */
export interface SchedulerOptions {
  /** Jobs running at the same time, at most; an integer >= 1. */
  concurrency: number;
  /**
   * How late a tick may find a scheduled time and still count it as on time, in ms.
   * @default {60000}
   */
  missedGraceMs?: number;
}

/** What the scheduler asks the driver to do. */
export type SchedulerEvent =
  /** Run `job` now, for the time `scheduled`; `missed` scheduled times were folded into it. */
  | { type: "start"; job: string; scheduled: Date; missed: number }
  /** The run of `job` for `scheduled` does not happen, because of `reason`. */
  | { type: "skip"; job: string; scheduled: Date; reason: string };

interface JobState {
  readonly name: string;
  readonly schedule: CronSchedule;
  /** The latest scheduled time handled (run, queued or skipped). */
  last: Date | undefined;
  /** The next scheduled time not yet handled; undefined when the schedule ended. */
  next: Date | undefined;
}

interface Pending {
  readonly job: string;
  /** The latest due time, the one the run is for. */
  scheduled: Date;
  /** How many scheduled times this run stands for. */
  count: number;
  /** 1 when the tick that found `scheduled` came more than the grace late. */
  late: 0 | 1;
}

/**
 * Decides when each job runs; see the module documentation for the rules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobScheduler } from "./scheduler.ts";
 * const job = {
 *   name: "sw1", source: "tftp://192.0.2.1/sw1.cfg", options: {}, dest: "{job}.cfg",
 *   schedule: "@hourly", timezone: "UTC", retries: 0, retryDelayMs: 5000,
 *   maxRetryDelayMs: 300000, timeoutMs: 120000, keep: 0, onlyIfChanged: false,
 * };
 * const scheduler = new JobScheduler([job], new Date("2024-01-01T10:30:00Z"), { concurrency: 1 });
 * assert.equal(scheduler.pollTimeout()?.toISOString(), "2024-01-01T11:00:00.000Z");
 * scheduler.handleTick(new Date("2024-01-01T11:00:01Z"));
 * assert.deepEqual(scheduler.pollEvent(), {
 *   type: "start", job: "sw1", scheduled: new Date("2024-01-01T11:00:00Z"), missed: 0,
 * });
 * scheduler.handleFinished("sw1", new Date("2024-01-01T11:00:05Z"));
 * ```
 */
export class JobScheduler {
  #jobs: JobState[];
  #concurrency: number;
  #graceMs: number;
  #running = new Set<string>();
  #queue: Pending[] = [];
  #events: SchedulerEvent[] = [];
  #stopped = false;

  /**
   * Computes each job's first time strictly after `now`. Throws `RangeError` for a bad
   * option, schedule or time zone, and `TypeError` for two jobs with the same name.
   */
  constructor(jobs: readonly JobSpec[], now: Date, options: SchedulerOptions) {
    const { concurrency, missedGraceMs = 60_000 } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    if (!(missedGraceMs >= 0) || !Number.isFinite(missedGraceMs)) {
      throw new RangeError(`missedGraceMs must be a finite number >= 0, got ${missedGraceMs}`);
    }
    this.#concurrency = concurrency;
    this.#graceMs = missedGraceMs;
    const names = new Set<string>();
    this.#jobs = jobs.map((job) => {
      if (names.has(job.name)) {
        throw new TypeError(`Job names must be unique, got ${JSON.stringify(job.name)} twice`);
      }
      names.add(job.name);
      const schedule = new CronSchedule(job);
      return { name: job.name, schedule, last: undefined, next: schedule.nextAfter(now) };
    });
  }

  /** Names of the jobs running now. */
  get running(): ReadonlySet<string> {
    return this.#running;
  }

  /** Names of the jobs waiting for a free slot, first to start first. */
  get queued(): readonly string[] {
    return this.#queue.map((pending) => pending.job);
  }

  /** Tells the scheduler the time: due jobs start, queue or skip. Harmless when early. */
  handleTick(now: Date): void {
    if (this.#stopped) return;
    const due: Pending[] = [];
    for (const job of this.#jobs) {
      if (job.next === undefined || job.next > now) continue;
      const rest = job.schedule.dueRuns(job.next, now);
      const latest = rest?.latest ?? job.next;
      const count = 1 + (rest?.count ?? 0);
      const late = now.getTime() - latest.getTime() > this.#graceMs ? 1 : 0;
      job.last = latest;
      job.next = rest ? rest.next : job.schedule.nextAfter(latest);
      if (this.#running.has(job.name)) {
        this.#events.push({
          type: "skip",
          job: job.name,
          scheduled: latest,
          reason: "previous run still going",
        });
        continue;
      }
      const queued = this.#queue.find((pending) => pending.job === job.name);
      if (queued) {
        queued.count += count;
        queued.late = late;
        queued.scheduled = latest;
      } else {
        due.push({ job: job.name, scheduled: latest, count, late });
      }
    }
    due.sort((a, b) => a.scheduled.getTime() - b.scheduled.getTime());
    this.#queue.push(...due);
    this.#startQueued();
  }

  /** A run of `job` ended (any status): frees its slot. Throws `RangeError` if it was not running. */
  handleFinished(job: string, now: Date): void {
    if (!this.#running.delete(job)) {
      throw new RangeError(`Job ${JSON.stringify(job)} is not running`);
    }
    this.handleTick(now);
  }

  /** The next thing for the driver to do, oldest first. */
  pollEvent(): SchedulerEvent | undefined {
    return this.#events.shift();
  }

  /** When to call `handleTick` next: the earliest next scheduled time, none after `stop()`. */
  pollTimeout(): Date | undefined {
    if (this.#stopped) return undefined;
    let earliest: Date | undefined;
    for (const job of this.#jobs) {
      if (job.next !== undefined && (earliest === undefined || job.next < earliest)) {
        earliest = job.next;
      }
    }
    return earliest;
  }

  /** Stops scheduling: queued runs are skipped, running ones finish. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const pending of this.#queue.splice(0)) {
      this.#events.push({
        type: "skip",
        job: pending.job,
        scheduled: pending.scheduled,
        reason: "scheduler stopped",
      });
    }
  }

  #startQueued(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const { job, scheduled, count, late } = this.#queue.shift()!;
      this.#running.add(job);
      this.#events.push({ type: "start", job, scheduled, missed: count - 1 + late });
    }
  }
}
