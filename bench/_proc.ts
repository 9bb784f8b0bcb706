/**
 * What the scale benchmarks read about a child process from Linux `/proc`: CPU time
 * (`utime + stime` of `/proc/<pid>/stat`), resident memory (`VmRSS`, `VmHWM` of
 * `/proc/<pid>/status`, via integration/_memory.ts), open file descriptors, the load average
 * and the open-files limit. Sampling them over a run is bench/_proc_sampler.ts.
 *
 * @module
 */

import { UsageError } from "../scripts/_cli_args.ts";

export {
  canReadProcMemory,
  countOpenFds,
  mib,
  type ProcessMemory,
  readProcessMemory,
} from "../integration/_memory.ts";

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds process `pid` used so far, user plus system (fields 14 and 15 of
 * `/proc/<pid>/stat`), or `undefined` when it has ended.
 *
 * @example
 * ```ts ignore
 * import { readCpuSeconds } from "./_proc.ts";
 * console.log(`${readCpuSeconds(Deno.pid)} s of CPU so far`);
 * ```
 */
export function readCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/**
 * Open sockets of `pid` (entries of `/proc/<pid>/fd` that link to `socket:[...]`), or
 * `undefined` when it has ended. A server transfer holds exactly one: its own UDP port.
 */
export function countOpenSockets(pid: number): number | undefined {
  try {
    let count = 0;
    for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith("socket:")) count++;
      } catch { /* closed meanwhile */ }
    }
    return count;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average (`/proc/loadavg`). */
export function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** The soft limit of open files of this process (`ulimit -n`), from `/proc/self/limits`. */
export function openFilesLimit(): string {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  return match ? `${match[1]} (hard ${match[2]})` : "unknown";
}

/**
 * Median, min and max of `values` (which must not be empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spread } from "./_proc.ts";
 * assert.deepEqual(spread([3, 1, 2, 10]), { median: 2.5, min: 1, max: 10 });
 * ```
 */
export function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * A byte count from the command line: digits with an optional binary suffix `K`, `M` or `G`
 * (KiB, MiB, GiB), e.g. `4G`, `1M`, `65536`. Throws a RangeError for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSizeBytes } from "./_proc.ts";
 * assert.equal(parseSizeBytes("--size", "4G"), 4294967296);
 * assert.equal(parseSizeBytes("--size", "64k"), 65536);
 * assert.throws(() => parseSizeBytes("--size", "1.5M"), /--size must be a byte count/);
 * ```
 */
export function parseSizeBytes(flag: string, text: string): number {
  const match = /^([0-9]+)([KMG]?)$/i.exec(text);
  if (!match) {
    throw new RangeError(`${flag} must be a byte count like 1M or 4G, got ${JSON.stringify(text)}`);
  }
  const shift = { "": 0, K: 10, M: 20, G: 30 }[match[2].toUpperCase() as "" | "K" | "M" | "G"];
  return Number(match[1]) * 2 ** shift;
}

/** UDP counters of this network namespace (`Udp:` lines of `/proc/net/snmp`). */
export type UdpCounters = Record<string, number>;

/**
 * The `Udp:` counters of `/proc/net/snmp` (InDatagrams, NoPorts, InErrors, RcvbufErrors, ...):
 * take two readings and subtract to see datagrams dropped for full receive buffers.
 */
export function readUdpCounters(): UdpCounters {
  const lines = Deno.readTextFileSync("/proc/net/snmp").split("\n")
    .filter((l) => l.startsWith("Udp: "));
  const names = lines[0].split(" ").slice(1);
  const values = lines[1].split(" ").slice(1).map(Number);
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/** `after - before` for every counter. */
export function counterDelta(before: UdpCounters, after: UdpCounters): UdpCounters {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}

/**
 * A whole number from the command line within `min..max`; a {@linkcode UsageError} naming
 * `flag` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCount } from "./_proc.ts";
 * assert.equal(parseCount("--runs", "5", 1, 100), 5);
 * assert.throws(() => parseCount("--runs", "0", 1, 100), /--runs must be an integer between 1 and 100, got 0/);
 * ```
 */
export function parseCount(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer between ${min} and ${max}, got ${text}`);
  }
  return n;
}
