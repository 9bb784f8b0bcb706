/**
 * The error of an unusable jobs file; exported from {@linkcode ./config.ts}. Pure.
 *
 * @module
 */

/** Options of {@linkcode JobsConfigError}. */
export interface JobsConfigErrorOptions extends ErrorOptions {
  /** The job's name (or `#3` when it has no valid name yet), when the mistake is in a job. */
  readonly job?: string;
  /** The field, like `retries` or `options.blksize`, when the mistake is in one. */
  readonly field?: string;
}

/**
 * A jobs file that cannot be used: invalid JSON, a missing, unknown or wrong field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobsConfigError } from "./config.ts";
 * const err = new JobsConfigError("Bad", { job: "sw1", field: "retries" });
 * assert.ok(err.name === "JobsConfigError" && err.job === "sw1" && err.field === "retries");
 * ```
 */
export class JobsConfigError extends Error {
  /** The job's name (or `#3` when it has no valid name yet), when the mistake is in a job. */
  readonly job?: string;
  /** The field, like `retries` or `options.blksize`, when the mistake is in one. */
  readonly field?: string;
  /** Creates the error; `job` and `field` say where the mistake is. */
  constructor(message: string, options: JobsConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "JobsConfigError";
    if (options.job !== undefined) this.job = options.job;
    if (options.field !== undefined) this.field = options.field;
  }
}
