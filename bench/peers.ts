/**
 * `deno task bench:peers`: the comparison table of issue 7 — our server and client against
 * tftpd-hpa, atftpd, busybox and atftp on 127.0.0.1, pinned with `taskset` (servers on vCPU 0,
 * the client on vCPU 0 or 1), A and B runs alternated, every download checked byte for byte.
 * Prints median [min-max] MB/s, the ratio of medians and whether the target is met; writes
 * the whole record as JSON.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { findPeer } from "../integration/_peers.ts";
import { enterUserFolder, err, interruptible, out, reportFailure } from "../scripts/_cli.ts";
import { parseOptions, rejectExtraOperands, UsageError } from "../scripts/_cli_args.ts";
import {
  type BenchFile,
  type BenchServers,
  type Cell,
  clientCpu,
  label,
  PEER_BINARY,
  planCells,
  planFloorCells,
  runClient,
  type RunResult,
  SERVER_CPU,
  type ServerName,
  startServers,
  writeBenchFile,
} from "./_peer_runs.ts";
import {
  compareVariants,
  formatSummary,
  formatTable,
  megabytesPerSecond,
  runOrder,
  verdict,
} from "./_stats.ts";

const HELP = `peers.ts: our TFTP client and server against the C peers (issue 7)

Usage: deno task bench:peers [options]

Options:
  --runs N       Runs of each side of each cell, 1-100 (default 5; 1 with --quick)
  --quick        A small subset with a 4 MiB file, for a smoke test
  --floor        Instead of the targets: each target's sides next to the floor of a Deno
                 program (bench/_bare_*.ts: the least work over Deno's UDP, and over our
                 busy-polling libc socket), to see which targets any Deno program could
                 reach and what our engine costs
  --only TEXT    Only the cells whose "group cell placement" contains TEXT
  --timeout S    Longest time of one run in seconds; the client is killed (default 60)
  --json FILE    Where to write the results (default bench/results/peers-<date>.json)
  -h, --help     Show this help

Servers run on vCPU 0; the client on vCPU 0 ("same") or 1 ("split"). MB/s is 10^6 bytes per
second: process wall time for the C clients, the transfer time our client reports (--json
elapsedMs, without Deno's start-up) for ours. Load average should be below 0.5.
Exit status: 0 every run completed byte-exact, 1 a run failed, 2 usage error, 130/143 stopped.
`;

function parse(args: string[]) {
  const { values, positionals } = parseOptions("peers.ts", args, {
    runs: { type: "string" },
    quick: { type: "boolean" },
    floor: { type: "boolean" },
    only: { type: "string" },
    timeout: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  rejectExtraOperands(positionals, 0);
  const quick = values.quick ?? false;
  const runs = values.runs === undefined ? (quick ? 1 : 5) : Number(values.runs);
  if (!/^[0-9]{1,3}$/.test(values.runs ?? "1") || runs < 1 || runs > 100) {
    throw new UsageError(
      `--runs must be a whole number from 1 to 100, got ${JSON.stringify(values.runs)}`,
    );
  }
  const timeoutS = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!(timeoutS >= 1 && timeoutS <= 3600)) {
    throw new UsageError(
      `--timeout must be from 1 to 3600 seconds, got ${JSON.stringify(values.timeout)}`,
    );
  }
  return {
    help: values.help ?? false,
    quick,
    floor: values.floor ?? false,
    runs,
    only: values.only,
    timeoutMs: timeoutS * 1000,
    json: values.json,
  };
}

const load = () => Deno.loadavg().map((n) => Number(n.toFixed(2)));

async function main(args: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    return reportFailure(error);
  }
  if (options.help) {
    out(HELP);
    return 0;
  }
  enterUserFolder();
  const date = new Date().toISOString().slice(0, 10);
  const jsonPath = options.json !== undefined ? resolve(options.json) : new URL(
    `results/peers-${options.floor ? "floor-" : ""}${date}${options.quick ? "-quick" : ""}.json`,
    import.meta.url,
  ).pathname;
  const cells = (options.floor ? planFloorCells() : planCells(options.quick)).filter((cell) =>
    options.only === undefined ||
    cell.rows.some((row) => `${cell.group} ${row.name} ${cell.placement}`.includes(options.only!))
  );
  if (cells.length === 0) {
    return reportFailure(new UsageError(`No cell matches --only ${JSON.stringify(options.only)}`));
  }
  try {
    return await interruptible((signal) => bench(cells, { ...options, jsonPath, signal }));
  } catch (error) {
    return reportFailure(error);
  }
}

/** What every run of a benchmark shares. */
interface Context {
  file: BenchFile;
  servers: BenchServers["servers"];
  outDir: string;
  timeoutMs: number;
  signal: AbortSignal;
  runs: number;
}

const describe = (cell: Cell) =>
  `${cell.group} ${cell.rows.map((r) => r.name).join(", ")} ${cell.placement}`;

async function bench(
  cells: Cell[],
  options: ReturnType<typeof parse> & { jsonPath: string; signal: AbortSignal },
): Promise<number> {
  const loadBefore = load();
  if (loadBefore[0] > 0.5) err(`warning: load average ${loadBefore[0]} is above 0.5\n`);
  const sizeBytes = (options.quick ? 4 : 16) * 1024 * 1024;
  const root = await Deno.makeTempDir({ prefix: "tftpkit_bench_root_" });
  const outDir = await Deno.makeTempDir({ prefix: "tftpkit_bench_out_" });
  try {
    const file = await writeBenchFile(root, sizeBytes);
    const wanted = new Set(cells.flatMap((c) => c.variants.map((x) => x.server)));
    await using started = await startServers(root, [...wanted]);
    const ctx = { ...options, file, servers: started.servers, outDir };
    const records = [];
    const failures: string[] = [];
    for (const [index, cell] of cells.entries()) {
      const skipped = skipReason(cell, started.missing);
      const results = skipped ? cell.variants.map(() => []) : await runCell(cell, ctx);
      for (const [i, runs] of results.entries()) {
        for (const r of runs) {
          if (!r.ok) failures.push(`${describe(cell)}, ${label(cell.variants[i])}: ${r.error}`);
        }
      }
      const record = summarizeCell(cell, results, sizeBytes, skipped);
      records.push(record);
      const ratios = record.rows.map((r) => `${r.name} ${r.ratio?.toFixed(2) ?? "-"}`);
      err(`[${index + 1}/${cells.length}] ${describe(cell)}: ${skipped ?? ratios.join(", ")}\n`);
    }
    const loadAfter = load();
    out(
      `\nfile ${sizeBytes} bytes, ${options.runs} runs a side, load average before ${
        loadBefore.join(" ")
      }, after ${loadAfter.join(" ")}\n`,
    );
    out(renderTable(records));
    const total = records.reduce(
      (n, r) => n + r.variants.reduce((m, x) => m + x.runs.length, 0),
      0,
    );
    const record = {
      tool: "bench/peers.ts",
      args: Deno.args,
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      kernel: Deno.osRelease(),
      vcpus: navigator.hardwareConcurrency,
      loadBefore,
      loadAfter,
      sizeBytes,
      runs: options.runs,
      timeoutMs: options.timeoutMs,
      timeBasis: "C clients: process wall time; ours: elapsedMs from its --json",
      cells: records,
    };
    await Deno.mkdir(dirname(options.jsonPath), { recursive: true });
    await Deno.writeTextFile(options.jsonPath, JSON.stringify(record, null, 2) + "\n");
    out(`results written to ${options.jsonPath}\n`);
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${total} runs failed, first: ${failures[0]}`);
    }
    return 0;
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
}

function skipReason(cell: Cell, missing: Partial<Record<ServerName, string>>): string | undefined {
  for (const x of cell.variants) {
    const binary = PEER_BINARY[x.client];
    const reason = missing[x.server] ??
      (binary !== undefined && findPeer(binary) === undefined ? `not installed: ${binary}` : "");
    if (reason) return `skipped (${reason})`;
  }
  return undefined;
}

let runCount = 0;

/** The runs of one cell, its variants alternated; it gives up after two failed runs. */
async function runCell(cell: Cell, ctx: Context): Promise<RunResult[][]> {
  const results: RunResult[][] = cell.variants.map(() => []);
  let failed = 0;
  for (const i of runOrder(cell.variants.length, ctx.runs)) {
    if (failed >= 2) break; // a broken cell must not eat the whole benchmark
    const x = cell.variants[i];
    const request = {
      port: ctx.servers[x.server]!.port,
      remote: ctx.file.name,
      local: join(ctx.outDir, `run-${++runCount}.bin`),
      blksize: x.blksize,
      windowsize: x.windowsize,
    };
    const { timeoutMs, signal } = ctx;
    const cpu = clientCpu(cell.placement);
    const result = await runClient(x.client, request, ctx.file, { cpu, timeoutMs, signal });
    results[i].push(result);
    if (!result.ok) failed++;
  }
  return results;
}

function summarizeCell(cell: Cell, results: RunResult[][], sizeBytes: number, skipped?: string) {
  const mbps = results.map((runs) =>
    runs.flatMap((r) => r.ok ? [Number(megabytesPerSecond(sizeBytes, r.ms).toFixed(3))] : [])
  );
  return {
    group: cell.group,
    placement: cell.placement,
    cpus: `${SERVER_CPU}/${clientCpu(cell.placement)}`,
    skipped,
    variants: cell.variants.map((x, i) => ({
      label: label(x),
      ...x,
      mbps: mbps[i],
      runs: results[i],
    })),
    rows: compareVariants(mbps, cell.rows),
  };
}

const HEADER = "group|cell|cpus s/c|A|A MB/s|B|B MB/s|A/B|target|met".split("|");

function renderTable(records: ReturnType<typeof summarizeCell>[]): string {
  const rows = [HEADER];
  for (const r of records) {
    for (const row of r.rows) {
      const met = r.skipped ?? verdict(row, r.group === "sweep" ? "COLLAPSE" : "no");
      const target = row.target === undefined ? "" : `>= ${row.target}`;
      const [a, b] = [r.variants[row.a].label, r.variants[row.b].label];
      const [aMBps, bMBps] = [formatSummary(row.aSummary), formatSummary(row.bSummary)];
      rows.push([
        r.group,
        row.name,
        r.cpus,
        a,
        aMBps,
        b,
        bMBps,
        row.ratio?.toFixed(2) ?? "-",
        target,
        met,
      ]);
    }
  }
  return formatTable(rows, { rightAligned: [4, 6, 7] });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
