/**
 * Reading a jobs file from disk: {@linkcode loadJobsConfig}. Not pure (it reads the file);
 * the parsing and validation are {@linkcode parseJobsConfig} in `config.ts`.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { JobsConfigError, parseJobsConfig } from "./config.ts";
import type { JobsConfig } from "./types.ts";

export type { JobsConfig } from "./types.ts";

/**
 * Reads and validates a jobs file (JSON or JSONC). `baseDir` is the file's folder as an
 * absolute path, so relative `dest` and `log` paths do not depend on the working folder
 * later. Throws a {@linkcode JobsConfigError} when the file cannot be read or is not valid.
 *
 * @example
 * ```ts ignore
 * import { loadJobsConfig } from "./load.ts";
 * const config = await loadJobsConfig("jobs.jsonc");
 * console.log(config.log, config.jobs.map((job) => job.name));
 * ```
 */
export async function loadJobsConfig(path: string): Promise<JobsConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "it does not exist"
      : cause instanceof Deno.errors.IsADirectory
      ? "it is a folder"
      : (cause as Error).message;
    throw new JobsConfigError(`Cannot read the jobs file ${JSON.stringify(path)}: ${reason}`, {
      cause,
    });
  }
  return parseJobsConfig(text, { baseDir: dirname(resolve(path)), fileName: basename(path) });
}
