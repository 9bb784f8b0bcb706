/**
 * One scheduled run of a job: attempts 1 to 1 + `retries`, each logged, with exponential
 * backoff and jitter between failed ones. Time, randomness and sleeping are injected, so
 * tests run retries without waiting.
 *
 * Aborting the signal stops the run: a fetch in progress is aborted (nothing is written, see
 * `fetch.ts`) and its record says `Aborted`; during a wait before a retry, no further
 * attempt starts and a `skipped` record for it says so.
 *
 * @module
 */

import { retryDelayMs } from "./backoff.ts";
import { fetchAttempt } from "./fetch.ts";
import { appendJobLog, jobHistory, readJobLog } from "./log.ts";
import type { JobLogRecord, JobSpec } from "./types.ts";

/** Options of {@linkcode runJob}. */
export interface RunJobOptions {
  /** When the run was due: fills the `dest` tokens and every record. */
  scheduled: Date;
  /** Folder a relative `dest` is resolved against. */
  baseDir: string;
  /** The JSON-lines log: read for the job's history, appended once per attempt. */
  logPath: string;
  /** Aborting it stops the run (see the module comment). @default {undefined} */
  signal?: AbortSignal;
  /**
   * Waits before a retry; should end early when the signal aborts.
   * @default {a timer that the signal cancels}
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Random numbers in [0, 1) for the jitter. @default {Math.random} */
  random?: () => number;
  /** The clock for the records. @default {() => new Date()} */
  now?: () => Date;
  /** Called with each attempt's record once it is logged. @default {undefined} */
  onAttempt?: (record: JobLogRecord) => void;
  /**
   * Called when the log cannot be read or appended to; the run goes on (without history when
   * it could not be read).
   * @default {undefined}
   */
  onLogError?: (error: unknown) => void;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs `job` once: attempts until one ends `ok` or `unchanged`, the retries are used up, or
 * the signal aborts. Every attempt is appended to the log and passed to `onAttempt`. Never
 * throws; returns the last attempt's record.
 *
 * @example
 * ```ts ignore
 * import { runJob } from "./run_job.ts";
 * import { loadJobsConfig } from "./load.ts";
 * const config = await loadJobsConfig("jobs.jsonc");
 * const record = await runJob(config.jobs[0], {
 *   scheduled: new Date(),
 *   baseDir: config.baseDir,
 *   logPath: config.log,
 *   onAttempt: (r) => console.log(`${r.job} attempt ${r.attempt}: ${r.status}`),
 * });
 * Deno.exitCode = record.status === "failed" ? 1 : 0;
 * ```
 */
export async function runJob(job: JobSpec, options: RunJobOptions): Promise<JobLogRecord> {
  const { scheduled, baseDir, logPath, signal, onAttempt, onLogError } = options;
  const sleep = options.sleep ?? sleepUnlessAborted;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const report = (error: unknown) => {
    try {
      onLogError?.(error);
    } catch { /* a reporting hook must not end the run */ }
  };
  const finish = async (record: JobLogRecord) => {
    await appendJobLog(logPath, record).catch(report);
    try {
      onAttempt?.(record);
    } catch { /* a reporting hook must not end the run */ }
    return record;
  };
  let history: ReturnType<typeof jobHistory> = { written: [] };
  try {
    history = jobHistory(await readJobLog(logPath), job.name);
  } catch (error) {
    report(error);
  }
  const attempts = 1 + job.retries;
  let last: JobLogRecord | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal?.aborted) {
      const at = now().toISOString();
      const error = attempt === 1
        ? "Aborted before the first attempt"
        : `Aborted before attempt ${attempt} of ${attempts}`;
      return await finish({
        type: "attempt",
        job: job.name,
        scheduled: scheduled.toISOString(),
        attempt,
        start: at,
        end: at,
        bytes: 0,
        status: "skipped",
        error,
      });
    }
    last = await finish(
      await fetchAttempt(job, { scheduled, attempt, baseDir, history, signal, now }),
    );
    if (last.status !== "failed" || signal?.aborted || attempt === attempts) return last;
    const delay = retryDelayMs(attempt, {
      initialMs: job.retryDelayMs,
      maxMs: job.maxRetryDelayMs,
      random,
    });
    try {
      await sleep(delay, signal);
    } catch {
      // A sleep that rejects on abort: the check at the top of the loop records it.
    }
  }
  return last!;
}
