/**
 * Version rotation for `keep`: after a successful write, remove the oldest files a job wrote
 * beyond the newest `keep`. Only files from the job's history are candidates, and never the
 * file just written.
 *
 * @module
 */

/** Which file was just written and how many files to keep. */
export interface KeepOptions {
  /** The file just written: always kept, and counted among the `keep`. */
  current: string;
  /** Files to keep, the current one included; 0 keeps all. */
  keep: number;
}

/**
 * The files to remove so that at most `keep` remain of `written` (oldest first) plus
 * `options.current` (the file just written, always kept); `keep` 0 keeps everything. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { filesBeyondKeep } from "./_rotate.ts";
 * assert.deepEqual(filesBeyondKeep(["/a", "/b", "/c"], { current: "/d", keep: 3 }), ["/a"]);
 * assert.deepEqual(filesBeyondKeep(["/a", "/d"], { current: "/d", keep: 2 }), []);
 * assert.deepEqual(filesBeyondKeep(["/a", "/b"], { current: "/d", keep: 0 }), []);
 * ```
 */
export function filesBeyondKeep(written: readonly string[], options: KeepOptions): string[] {
  const { current, keep } = options;
  if (keep <= 0) return [];
  const older = [...new Set(written)].filter((path) => path !== current);
  return older.slice(0, Math.max(0, older.length + 1 - keep));
}

/**
 * Removes {@linkcode filesBeyondKeep}, oldest first, and returns the paths that are gone
 * (including those already missing). A file that cannot be removed stays in the history
 * and is tried again after the next success.
 *
 * @example
 * ```ts ignore
 * import { removeBeyondKeep } from "./_rotate.ts";
 * const removed = await removeBeyondKeep(["/b/1.cfg", "/b/2.cfg"], { current: "/b/3.cfg", keep: 2 });
 * ```
 */
export async function removeBeyondKeep(
  written: readonly string[],
  options: KeepOptions,
): Promise<string[]> {
  const removed: string[] = [];
  for (const path of filesBeyondKeep(written, options)) {
    try {
      await Deno.remove(path);
      removed.push(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) removed.push(path);
    }
  }
  return removed;
}
