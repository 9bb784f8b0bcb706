/**
 * Memory of a child process, read from Linux `/proc/<pid>/status`: the resident set now and
 * its peak (`VmRSS`, `VmHWM`). Used to show that transfers keep memory flat whatever the file
 * size. Other systems have no `/proc`: callers skip with a message when
 * {@linkcode canReadProcMemory} is false.
 *
 * @module
 */

/** Resident memory of a process, in bytes. */
export interface ProcessMemory {
  /** Resident set size now. */
  rssBytes: number;
  /** The highest resident set size since the process started. */
  peakRssBytes: number;
}

/** Whether `/proc/<pid>/status` tells this process's memory (Linux). */
export function canReadProcMemory(): boolean {
  return readProcessMemory(Deno.pid) !== undefined;
}

/** The memory of process `pid`, or `undefined` when it has ended (or there is no `/proc`). */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+([0-9]+) kB$`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rssBytes = kib("VmRSS");
  const peakRssBytes = kib("VmHWM");
  return rssBytes === undefined || peakRssBytes === undefined
    ? undefined
    : { rssBytes, peakRssBytes };
}

/**
 * Samples the peak resident memory of `pid` every `everyMs` until `done` settles; returns the
 * last peak seen (the peak is monotonic, so the last reading before exit is the best one).
 */
export async function watchPeakRss(
  pid: number,
  done: Promise<unknown>,
  everyMs = 20,
): Promise<number> {
  let peak = 0;
  let finished = false;
  done.then(() => (finished = true), () => (finished = true));
  for (let i = 0; i < 1_000_000 && !finished; i++) {
    peak = Math.max(peak, readProcessMemory(pid)?.peakRssBytes ?? 0);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return peak;
}

/** Bytes as MiB with one decimal, for test output. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Open file descriptors of process `pid` (`"self"` for this one) from `/proc/<pid>/fd`, or
 * `undefined` without `/proc` or once the process ended.
 */
export function countOpenFds(pid: number | "self"): number | undefined {
  try {
    let count = 0;
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) count++;
    return count;
  } catch {
    return undefined;
  }
}
