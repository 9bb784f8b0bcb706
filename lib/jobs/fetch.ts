/**
 * One attempt of a job: fetch the source into a temporary file beside the destination,
 * hashing the bytes as they stream through, check them, then either drop them (a mismatch,
 * or unchanged content with `onlyIfChanged`) or flush and rename them into place and rotate
 * old versions (`keep`).
 *
 * Guarantees: a failed, aborted or timed-out attempt leaves no temporary file and never
 * touches the previous good file; rotation runs only after a successful write, removes only
 * files from the job's history and never the one just written.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import { openAtomicFileSink, type Sink } from "../tftp/_io.ts";
import { type ClientOptions, tftpGet } from "../tftp/client.ts";
import { TftpRemoteError } from "../tftp/errors.ts";
import { tcpGet } from "../tcp/client.ts";
import { renderDest } from "./template.ts";
import { removeBeyondKeep } from "./_rotate.ts";
import type { JobLogRecord, JobSpec } from "./types.ts";

/** What a run knows of a job's past (see `jobHistory` in `log.ts`). */
export interface JobHistory {
  /** SHA-256 of the last content fetched successfully. */
  readonly lastSha256?: string;
  /** Files the job wrote that still exist, oldest first. */
  readonly written: readonly string[];
}

/** Options of {@linkcode fetchAttempt}. */
export interface FetchAttemptOptions {
  /** When the run was due: fills the `dest` tokens and the record. */
  scheduled: Date;
  /** 1 for the first attempt of a run. */
  attempt: number;
  /** Folder a relative `dest` is resolved against. */
  baseDir: string;
  /** The job's past, for `onlyIfChanged` and `keep`. */
  history: JobHistory;
  /** Aborting it stops the fetch; nothing is written. @default {undefined} */
  signal?: AbortSignal;
  /** The clock for `start` and `end`. @default {() => new Date()} */
  now?: () => Date;
}

/** The longest delay a timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A reason to fail an attempt that is not an error of the transfer itself. */
class AttemptFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AttemptFailure";
  }
}

/** Client options of a `tftp://` job. */
function tftpOptions(job: JobSpec, signal: AbortSignal): ClientOptions {
  const { blksize, windowsize, timeout, retries } = job.options;
  const options: ClientOptions = { signal };
  if (blksize !== undefined) options.blksize = blksize;
  if (windowsize !== undefined) options.windowsize = windowsize;
  if (timeout !== undefined) options.timeoutS = timeout;
  if (retries !== undefined) options.retries = retries;
  return options;
}

/** One line saying what went wrong. */
function describeError(error: unknown): string {
  let text: string;
  if (error instanceof TftpRemoteError) {
    text = `TFTP error ${error.code}: ${error.message.replace(/ \(TFTP error \d+\)$/, "")}`;
  } else if (error instanceof Error) {
    text = error.message || error.name;
  } else {
    text = String(error);
  }
  return text.replace(/\s+/g, " ").trim() || "Unknown error";
}

/** The bytes fetched so far and their running hash. */
interface Progress {
  bytes: number;
  sha256?: string;
}

/**
 * Runs one attempt of `job` and returns its log record (it does not write the log). Never
 * throws: every failure becomes a `failed` record with a one-line `error`, such as
 * `TFTP error 1: File not found`, `Timed out after 60000 ms`, `Aborted` or
 * `size 1200 differs from the expected 1024`.
 *
 * @example
 * ```ts ignore
 * import { fetchAttempt } from "./fetch.ts";
 * import { loadJobsConfig } from "./load.ts";
 * const config = await loadJobsConfig("jobs.jsonc");
 * const record = await fetchAttempt(config.jobs[0], {
 *   scheduled: new Date(),
 *   attempt: 1,
 *   baseDir: config.baseDir,
 *   history: { written: [] },
 * });
 * console.log(record.status, record.path ?? record.error);
 * ```
 */
export async function fetchAttempt(
  job: JobSpec,
  options: FetchAttemptOptions,
): Promise<JobLogRecord> {
  const now = options.now ?? (() => new Date());
  const start = now();
  const head = {
    type: "attempt",
    job: job.name,
    scheduled: options.scheduled.toISOString(),
    attempt: options.attempt,
    start: start.toISOString(),
  } as const;
  const progress: Progress = { bytes: 0 };
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), Math.min(job.timeoutMs, MAX_TIMER_MS));
  const signal = options.signal
    ? AbortSignal.any([options.signal, timeout.signal])
    : timeout.signal;
  try {
    const done = await fetchInto(job, options, signal, progress);
    return { ...head, end: now().toISOString(), ...done };
  } catch (error) {
    const message = options.signal?.aborted
      ? "Aborted"
      : timeout.signal.aborted
      ? `Timed out after ${job.timeoutMs} ms`
      : describeError(error);
    return {
      ...head,
      end: now().toISOString(),
      bytes: progress.bytes,
      ...(progress.sha256 === undefined ? {} : { sha256: progress.sha256 }),
      status: "failed",
      error: message,
    };
  } finally {
    clearTimeout(timer);
  }
}

type Done = Pick<JobLogRecord, "bytes" | "sha256" | "changed" | "status" | "path" | "removed">;

async function fetchInto(
  job: JobSpec,
  options: FetchAttemptOptions,
  signal: AbortSignal,
  progress: Progress,
): Promise<Done> {
  const rendered = renderDest(job.dest, {
    job: job.name,
    at: options.scheduled,
    timezone: job.timezone,
  });
  const dest = resolve(options.baseDir, rendered);
  signal.throwIfAborted();
  await Deno.mkdir(dirname(dest), { recursive: true });
  const sink: Sink = await openAtomicFileSink(dest, { replace: true });
  let committed = false;
  let writing: Promise<void> = Promise.resolve();
  try {
    const hash = createHash("sha256");
    const target = new WritableStream<Uint8Array>({
      write(chunk) {
        hash.update(chunk);
        progress.bytes += chunk.length;
        writing = sink.write(chunk) ?? writing;
        return writing;
      },
    });
    if (/^tftp:/i.test(job.source)) {
      await tftpGet(job.source, target, tftpOptions(job, signal));
    } else {
      await tcpGet(job.source, target, { timeoutMs: job.timeoutMs, signal });
    }
    await writing;
    signal.throwIfAborted();
    const sha256 = hash.digest("hex");
    progress.sha256 = sha256;
    const { bytes } = progress;
    if (job.size !== undefined && bytes !== job.size) {
      throw new AttemptFailure(`size ${bytes} differs from the expected ${job.size}`);
    }
    if (job.sha256 !== undefined && sha256 !== job.sha256) {
      throw new AttemptFailure(`sha-256 ${sha256} differs from the expected ${job.sha256}`);
    }
    const changed = sha256 !== options.history.lastSha256;
    if (!changed && job.onlyIfChanged) {
      return { bytes, sha256, changed, status: "unchanged" };
    }
    await sink.commit();
    committed = true;
    const removed = await removeBeyondKeep(options.history.written, {
      current: dest,
      keep: job.keep,
    });
    return {
      bytes,
      sha256,
      changed,
      status: "ok",
      path: dest,
      ...(removed.length > 0 ? { removed } : {}),
    };
  } finally {
    if (!committed) {
      await writing.catch(() => {});
      await sink.discard(undefined);
    }
  }
}
