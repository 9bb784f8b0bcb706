/**
 * The shapes shared by the scheduled fetch jobs: a validated job, the result of one attempt and
 * of one run, and the records of the JSON-lines log. Pure types and constants.
 *
 * A jobs file (JSON or JSONC) looks like:
 *
 * ```jsonc
 * {
 *   "concurrency": 4,                       // jobs fetching at once (default 4)
 *   "log": "jobs.log.jsonl",                 // relative to the jobs file
 *   "jobs": [
 *     {
 *       "name": "core-sw1-config",
 *       "source": "tftp://192.0.2.10/sw1.cfg;mode=netascii",
 *       "options": { "blksize": 1468, "windowsize": 4 },
 *       "dest": "backups/{job}/{date}_{time}.cfg",
 *       "schedule": "30 2 * * *",
 *       "timezone": "Europe/Berlin",
 *       "retries": 3,
 *       "timeoutSeconds": 60,
 *       "keep": 30,
 *       "onlyIfChanged": true
 *     }
 *   ]
 * }
 * ```
 *
 * @module
 */

/** Transfer options of a `tftp://` source (RFC 2348, 2349, 7440). */
export interface JobTransferOptions {
  /** Block size to ask for, 8..65464. */
  readonly blksize?: number;
  /** Blocks per window, 1..65535. */
  readonly windowsize?: number;
  /** Retransmit timeout in seconds, 1..255, also sent as the option. */
  readonly timeout?: number;
  /** Retransmissions before an attempt gives up. */
  readonly retries?: number;
}

/** One job, validated, with every default filled in. */
export interface JobSpec {
  /** Unique name: letters, digits, `.`, `_`, `-`; used in `{job}` and the log. */
  readonly name: string;
  /** `tftp://host[:port]/path[;mode=netascii|octet]` or `tcp://host[:port]/name`. */
  readonly source: string;
  /** Transfer options for a `tftp://` source. */
  readonly options: JobTransferOptions;
  /**
   * Where a fetched file goes, relative to the jobs file's folder unless absolute; tokens
   * `{job}`, `{date}` (yyyy-mm-dd), `{time}` (hhmmss), `{yyyy}`, `{mm}`, `{dd}`, `{HH}`,
   * `{MM}`, `{SS}` are replaced with the scheduled time in the job's time zone.
   */
  readonly dest: string;
  /** Five-field cron expression, or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. */
  readonly schedule: string;
  /** IANA time zone of the schedule and of the `dest` tokens. @default {"UTC"} */
  readonly timezone: string;
  /** Attempts after the first failed one, with exponential backoff and jitter. @default {2} */
  readonly retries: number;
  /** First retry delay in ms; doubles each retry. @default {5000} */
  readonly retryDelayMs: number;
  /** Longest retry delay in ms. @default {300000} */
  readonly maxRetryDelayMs: number;
  /** Time limit of one attempt in ms. @default {120000} */
  readonly timeoutMs: number;
  /** Expected SHA-256 (lower-case hex); a mismatch fails the attempt. */
  readonly sha256?: string;
  /** Expected size in bytes; a mismatch fails the attempt. */
  readonly size?: number;
  /** Keep the last N files this job wrote; 0 keeps all. @default {0} */
  readonly keep: number;
  /** Skip writing when the content hash equals the last file written. @default {false} */
  readonly onlyIfChanged: boolean;
}

/** A validated jobs file. */
export interface JobsConfig {
  /** Jobs fetching at the same time, at most. @default {4} */
  readonly concurrency: number;
  /** Path of the JSON-lines log (resolved against the jobs file's folder). */
  readonly log: string;
  /** Folder that relative `dest` and `log` paths are resolved against. */
  readonly baseDir: string;
  /** The jobs, in file order. */
  readonly jobs: readonly JobSpec[];
}

/** How one attempt or one run ended. */
export type JobStatus = "ok" | "unchanged" | "failed" | "skipped";

/** One line of the JSON-lines log: one attempt of one job. */
export interface JobLogRecord {
  /** Always `attempt`. */
  readonly type: "attempt";
  /** The job's name. */
  readonly job: string;
  /** When the run was due (ISO 8601). */
  readonly scheduled: string;
  /** 1 for the first attempt of a run; 0 for a run that was skipped without an attempt. */
  readonly attempt: number;
  /** ISO 8601 start and end of the attempt. */
  readonly start: string;
  /** ISO 8601. */
  readonly end: string;
  /** Bytes fetched. */
  readonly bytes: number;
  /** SHA-256 of the fetched bytes, when fetched. */
  readonly sha256?: string;
  /** Whether the content differs from the last file written. */
  readonly changed?: boolean;
  /** `ok` (written), `unchanged` (onlyIfChanged and same hash), `failed`, `skipped`. */
  readonly status: JobStatus;
  /** The file written, when written. */
  readonly path?: string;
  /** Files removed by `keep` after this success. */
  readonly removed?: readonly string[];
  /** What went wrong, one line, when failed or skipped. */
  readonly error?: string;
}
