/**
 * Many downloads at once from one server process: `deno run --allow-all bench/concurrency.ts
 * [--clients 100,500,1000] [--size 1M] [--blksize 1468] [--windowsize 4]
 * [--server-v8-flags FLAGS] [--read-chunk BYTES] [--cache BYTES] [--json FILE]`.
 *
 * For each client count a fresh server (`scripts/tftp.ts serve`, a child process so its CPU
 * time and memory can be read from `/proc`) serves one file; this process runs that many
 * `tftpGet` at once in its one event loop and checks every byte as it arrives. One client
 * process, not one per download: a Deno process costs about 40 MB and a V8 start-up, so a
 * thousand of them would measure process creation, not the server; one client event loop
 * multiplexing every transfer is also how the library is meant to be used, and with 2 vCPUs
 * one server plus one client process keeps both busy. No limit is raised: the open-files
 * limit is printed.
 *
 * Reported per run: failures, aggregate throughput, server CPU time (utime + stime), server
 * idle and peak RSS, the most transfers active at once (the server's open sockets beyond
 * idle), and RSS growth per active transfer = (peak - idle) / most active, next to the
 * window's data (blksize x windowsize) that a transfer must hold anyway.
 *
 * @module
 */

import { Prng } from "../lib/sim/prng.ts";
import { checkedGet } from "./_checked_get.ts";
import { ScriptProcess } from "../integration/_script_process.ts";
import { taskV8Flags } from "../integration/_task_flags.ts";
import { parseOptions, rejectExtraOperands, UsageError } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";

function line(text: string): void {
  out(`${text}\n`);
}
import {
  canReadProcMemory,
  counterDelta,
  countOpenSockets,
  loadAverage,
  mib,
  openFilesLimit,
  parseCount,
  parseSizeBytes,
  readCpuSeconds,
  readProcessMemory,
  readUdpCounters,
} from "./_proc.ts";
import { ProcSampler } from "./_proc_sampler.ts";

/** The server's V8 flags as `deno task tftp` passes them (without `--v8-flags=`). */
const TASK_V8_FLAGS = taskV8Flags("tftp.ts").map((f) => f.slice("--v8-flags=".length)).join(",");

const USAGE = `Usage: deno run --allow-all bench/concurrency.ts [options]

  --clients N[,N...]  Concurrent downloads per run, one run each (default 1000)
  --size BYTES        File size, e.g. 1M, 64K (default 1M)
  --blksize N         Block size asked for (default 1468)
  --windowsize N      Window size asked for (default 4)
  --retries N         Timeouts in a row before a transfer fails, client and server (default 5)
  --give-up S         ...and seconds without hearing from the peer, both sides (default 5)
  --server-v8-flags=F V8 flags for the server process (with "="; empty for none), e.g.
                      --server-v8-flags=--heap-growing-percent=30,--max-semi-space-size=2
                      (default: those of the tftp task in deno.json, as users run it)
  --read-chunk BYTES  The server's --read-chunk, e.g. 16K (default: the server's, 32K)
  --cache BYTES       The server's --cache, e.g. 0 to read the file per transfer (default:
                      the server's, 32M: the 1 MiB file is served from memory)
  --json FILE         Also write the results as JSON to FILE`;

interface TransferOptions {
  blksize: number;
  windowsize: number;
  retries: number;
  giveUpMs: number;
  /** V8 flags for the server process ("" for none). */
  serverV8Flags: string;
  /** The server's `--read-chunk` (undefined: its default). */
  readChunk: string | undefined;
  /** The server's `--cache` (undefined: its default). */
  cache: string | undefined;
}

interface RunResult {
  clients: number;
  serverV8Flags: string;
  readChunk: string | undefined;
  cache: string | undefined;
  sizeBytes: number;
  blksize: number;
  windowsize: number;
  retries: number;
  giveUpMs: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  serverLog: Record<string, number>;
  serverRetransmits: number;
  udpInErrors: number;
  udpRcvbufErrors: number;
  wallSeconds: number;
  aggregateMBps: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  serverIdleRssBytes: number;
  serverPeakRssBytes: number;
  serverHighWaterBytes: number;
  maxActive: number;
  activeAtPeak: number;
  growthPerTransferBytes: number;
  windowDataBytes: number;
  beyondWindowBytes: number;
  retransmits: number;
  timeouts: number;
}

async function runOnce(
  root: string,
  expected: Uint8Array,
  clients: number,
  options: TransferOptions,
): Promise<RunResult> {
  await using server = new ScriptProcess(
    "tftp.ts",
    [
      "serve",
      root,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--retries",
      String(options.retries),
      "--give-up",
      String(options.giveUpMs / 1000),
      // Every client is on 127.0.0.1: lift the per-address limits above the run's count.
      ...["--max-transfers", "--max-per-client", "--rate", "--unanswered-burst"]
        .flatMap((flag) => [flag, String(Math.max(1024, clients))]),
      ...(options.readChunk === undefined ? [] : ["--read-chunk", options.readChunk]),
      ...(options.cache === undefined ? [] : ["--cache", options.cache]),
    ],
    {
      limitMs: 3_600_000,
      waitMs: 30_000,
      runFlags: options.serverV8Flags ? [`--v8-flags=${options.serverV8Flags}`] : [],
    },
  );
  const port = await server.listening();
  const url = `tftp://127.0.0.1:${port}/f.bin`;
  // Warm up (compile the hot paths), then let the server settle before the idle reading.
  for (let i = 0; i < 3; i++) await checkedGet(url, expected, options);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleRss = readProcessMemory(server.pid)!.rssBytes;
  const idleSockets = countOpenSockets(server.pid)!;
  const serverCpu0 = readCpuSeconds(server.pid)!;
  const clientCpu0 = readCpuSeconds(Deno.pid)!;
  const logStart = server.out.length;
  const udp0 = readUdpCounters();
  const sampler = await ProcSampler.start(server.pid, {
    countSockets: true,
    socketBaseline: idleSockets,
  });
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: clients }, () => checkedGet(url, expected, options)),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const sample = await sampler.stop();
  const serverCpuSeconds = readCpuSeconds(server.pid)! - serverCpu0;
  const clientCpuSeconds = readCpuSeconds(Deno.pid)! - clientCpu0;
  const udp = counterDelta(udp0, readUdpCounters());
  const code = await server.exit("SIGTERM");
  if (code !== 0) throw new Error(`The server exited with status ${code}:\n${server.err}`);

  const serverLog: Record<string, number> = {};
  let serverRetransmits = 0;
  for (const entry of server.out.slice(logStart).split("\n").filter((l) => l !== "")) {
    // "127.0.0.1:PORT read f.bin octet complete 1048576 B in ..." or "... failed ...: why"
    const [, status = "?", rest = ""] = / octet (complete|failed|refused)(.*)$/.exec(entry) ?? [];
    const why = rest.slice(rest.indexOf(": ") + 2);
    serverRetransmits += Number(/, ([0-9]+) retransmits?\)$/.exec(rest)?.[1] ?? 0);
    const text = normalize(status === "complete" ? status : `${status}: ${why}`);
    serverLog[text] = (serverLog[text] ?? 0) + 1;
  }
  const errors: Record<string, number> = {};
  let ok = 0, retransmits = 0, timeouts = 0;
  for (const r of results) {
    if (r.status === "fulfilled") {
      ok++;
      retransmits += r.value.retransmits;
      timeouts += r.value.timeouts;
    } else {
      const text = normalize(
        r.reason instanceof Error ? `${r.reason.name}: ${r.reason.message}` : String(r.reason),
      );
      errors[text] = (errors[text] ?? 0) + 1;
    }
  }
  const windowDataBytes = options.blksize * options.windowsize;
  const growth = sample.maxActive > 0 ? (sample.peakRssBytes - idleRss) / sample.maxActive : 0;
  return {
    clients,
    sizeBytes: expected.length,
    ...options,
    ok,
    failed: clients - ok,
    errors,
    serverLog,
    serverRetransmits,
    udpInErrors: udp.InErrors,
    udpRcvbufErrors: udp.RcvbufErrors,
    wallSeconds,
    aggregateMBps: (ok * expected.length) / 1e6 / wallSeconds,
    serverCpuSeconds,
    clientCpuSeconds,
    serverIdleRssBytes: idleRss,
    serverPeakRssBytes: sample.peakRssBytes,
    serverHighWaterBytes: sample.highWaterBytes,
    maxActive: sample.maxActive,
    activeAtPeak: sample.activeAtPeak,
    growthPerTransferBytes: Math.round(growth),
    windowDataBytes,
    beyondWindowBytes: Math.round(growth - windowDataBytes),
    retransmits,
    timeouts,
  };
}

/** An error text with ports and block numbers replaced, so that alike errors group. */
function normalize(text: string): string {
  return text.replace(/:[0-9]+\b/g, ":PORT").replace(/\b(DATA|ACK|block) [0-9]+/g, "$1 N")
    .replace(/after [0-9]+ B in [0-9]+ ms/g, "after N B in N ms");
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function report(r: RunResult): void {
  line(
    `${r.clients} x ${r.sizeBytes} B (blksize ${r.blksize}, windowsize ${r.windowsize}, retries ${r.retries}, ` +
      `give-up ${r.giveUpMs / 1000} s${
        r.serverV8Flags ? `, server V8 flags ${r.serverV8Flags}` : ""
      }${r.readChunk === undefined ? "" : `, read chunk ${r.readChunk}`}${
        r.cache === undefined ? "" : `, cache ${r.cache}`
      }): ` +
      `${r.ok} ok, ${r.failed} failed in ${r.wallSeconds.toFixed(2)} s, ` +
      `${r.aggregateMBps.toFixed(1)} MB/s aggregate`,
  );
  for (const [text, count] of Object.entries(r.errors)) line(`  client: ${count} x ${text}`);
  for (const [text, count] of Object.entries(r.serverLog)) line(`  server log: ${count} x ${text}`);
  line(`  UDP InErrors ${r.udpInErrors}, RcvbufErrors ${r.udpRcvbufErrors} (whole namespace)`);
  line(
    `  server CPU ${r.serverCpuSeconds.toFixed(2)} s ` +
      `(${((r.serverCpuSeconds * 1000) / ((r.ok * r.sizeBytes) / 2 ** 20)).toFixed(2)} ms/MiB), ` +
      `client CPU ${r.clientCpuSeconds.toFixed(2)} s; ` +
      `${r.retransmits} retransmits, ${r.timeouts} timeouts (client side); ` +
      `${r.serverRetransmits} retransmits (server side, completed transfers)`,
  );
  line(
    `  server RSS idle ${mib(r.serverIdleRssBytes)}, peak ${mib(r.serverPeakRssBytes)} ` +
      `(VmHWM ${mib(r.serverHighWaterBytes)}); most active ${r.maxActive} ` +
      `(${r.activeAtPeak} at the peak)`,
  );
  line(
    `  RSS growth per active transfer ${kib(r.growthPerTransferBytes)}; window's data ` +
      `${kib(r.windowDataBytes)}; beyond the window ${kib(r.beyondWindowBytes)} ` +
      `(target <= 64.0 KiB: ${r.beyondWindowBytes <= 65536 ? "met" : "MISSED"})`,
  );
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("concurrency.ts", args, {
    clients: { type: "string", default: "1000" },
    size: { type: "string", default: "1M" },
    blksize: { type: "string", default: "1468" },
    windowsize: { type: "string", default: "4" },
    retries: { type: "string", default: "5" },
    "give-up": { type: "string", default: "5" },
    "server-v8-flags": { type: "string", default: TASK_V8_FLAGS },
    "read-chunk": { type: "string" },
    cache: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    line(USAGE);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const counts = values.clients.split(",").map((c) => parseCount("--clients", c, 1, 10_000));
  let size: number;
  try {
    size = parseSizeBytes("--size", values.size);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options = {
    blksize: parseCount("--blksize", values.blksize, 8, 65464),
    windowsize: parseCount("--windowsize", values.windowsize, 1, 64),
    retries: parseCount("--retries", values.retries, 0, 1000),
    giveUpMs: parseCount("--give-up", values["give-up"], 0, 3600) * 1000,
    serverV8Flags: values["server-v8-flags"],
    readChunk: values["read-chunk"],
    cache: values.cache,
  };
  if (!canReadProcMemory()) {
    line("skipped: no /proc here (Linux only)");
    return 0;
  }
  line(`load average ${loadAverage()}; open files limit ${openFilesLimit()}; no limit raised`);
  line(
    `clients: one process (this one) running N tftpGet at once; server: scripts/tftp.ts serve`,
  );
  const root = await Deno.makeTempDir({ prefix: "tftpkit-bench-conc-" });
  const results: RunResult[] = [];
  try {
    const expected = new Prng(size).bytes(size);
    await Deno.writeFile(`${root}/f.bin`, expected);
    for (const clients of counts) {
      const result = await runOnce(root, expected, clients, options);
      results.push(result);
      report(result);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  line(`load average after ${loadAverage()}`);
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(results, null, 2) + "\n");
  return results.every((r) => r.failed === 0) ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
