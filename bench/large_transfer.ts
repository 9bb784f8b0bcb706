/**
 * One very large download between two of our processes: `deno run --allow-all
 * bench/large_transfer.ts [--size 4G] [--blksize 1468] [--windowsize 4] [--dir DIR]`.
 *
 * Writes a file of `--size` bytes (a deterministic pattern, each 64 MiB chunk stamped with its
 * index so misplaced chunks show, written chunk by chunk while its SHA-256 is computed) into a
 * temporary directory, serves it with `scripts/tftp.ts serve` and downloads it with
 * `scripts/tftp.ts get` (both child processes), sampling both peak RSS values (target: under
 * 100 MB each), then hashes the copy and compares. Skips with a message when the file system
 * has less than twice the size plus 2 GiB free (10 GiB for 4 GiB). Everything is deleted
 * afterwards.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { Prng } from "../lib/sim/prng.ts";
import { ScriptProcess } from "../integration/_script_process.ts";
import { parseOptions, rejectExtraOperands, UsageError } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import {
  canReadProcMemory,
  loadAverage,
  mib,
  parseCount,
  parseSizeBytes,
  readCpuSeconds,
  readProcessMemory,
} from "./_proc.ts";
import { ProcSampler } from "./_proc_sampler.ts";

const USAGE = `Usage: deno run --allow-all bench/large_transfer.ts [options]

  --size BYTES      File size, e.g. 4G, 256M (default 4G)
  --blksize N       Block size asked for (default 1468)
  --windowsize N    Window size asked for (default 4)
  --dir DIR         Where the temporary directory goes (default: the system's)
  --json FILE       Also write the result as JSON to FILE`;

const CHUNK_BYTES = 64 * 2 ** 20;
const RSS_TARGET_BYTES = 100e6;

function line(text: string): void {
  out(`${text}\n`);
}

/** Free bytes of the file system holding `dir`, from `df`. */
async function freeBytes(dir: string): Promise<number> {
  const { stdout } = await new Deno.Command("df", {
    args: ["-B1", "--output=avail", dir],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(stdout).trim().split("\n").pop());
}

/** Writes `size` pattern bytes to `path` in 64 MiB chunks; returns their SHA-256. */
async function writePattern(path: string, size: number): Promise<string> {
  const base = new Prng(64).bytes(CHUNK_BYTES);
  const hash = createHash("sha256");
  using file = await Deno.open(path, { write: true, createNew: true });
  for (let index = 0, at = 0; at < size; index++, at += CHUNK_BYTES) {
    new DataView(base.buffer).setFloat64(0, index);
    const chunk = base.subarray(0, Math.min(CHUNK_BYTES, size - at));
    hash.update(chunk);
    for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
  }
  return hash.digest("hex");
}

/** SHA-256 of the file at `path`, read in 64 MiB chunks. */
async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  const buffer = new Uint8Array(CHUNK_BYTES);
  using file = await Deno.open(path);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

async function transfer(
  base: string,
  size: number,
  options: { blksize: string; windowsize: string },
): Promise<Record<string, unknown>> {
  const root = join(base, "root");
  const local = join(base, "local");
  await Deno.mkdir(root);
  await Deno.mkdir(local);
  let started = performance.now();
  const expected = await writePattern(join(root, "big.bin"), size);
  line(`wrote ${size} B in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const limitMs = 4 * 3_600_000;
  await using server = new ScriptProcess(
    "tftp.ts",
    ["serve", root, "--host", "127.0.0.1", "--port", "0", "-q"],
    { limitMs, waitMs: 30_000 },
  );
  const port = await server.listening();
  const serverRss = await ProcSampler.start(server.pid, { everyMs: 100 });
  started = performance.now();
  await using client = new ScriptProcess("tftp.ts", [
    "get",
    `tftp://127.0.0.1:${port}/big.bin`,
    join(local, "big.bin"),
    "--blksize",
    options.blksize,
    "--windowsize",
    options.windowsize,
    "--json",
    "-q",
  ], { limitMs, waitMs: limitMs });
  const clientRss = await ProcSampler.start(client.pid, { everyMs: 100 });
  // The client's last readings, just before it exits: wait for its JSON line first.
  await client.waitFor(/\n/);
  const clientSample = await clientRss.stop();
  const clientCpuSeconds = readCpuSeconds(client.pid);
  const clientCode = await client.exit();
  const wallSeconds = (performance.now() - started) / 1000;
  const serverSample = await serverRss.stop();
  const serverCpuSeconds = readCpuSeconds(server.pid);
  const serverHwm = readProcessMemory(server.pid)?.peakRssBytes ?? serverSample.highWaterBytes;
  await server.exit("SIGTERM");
  if (clientCode !== 0) {
    throw new Error(`The client exited with status ${clientCode}: ${client.err}`);
  }
  const json = JSON.parse(client.out);

  started = performance.now();
  const actual = await hashFile(join(local, "big.bin"));
  line(`hashed the copy in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const transferSeconds = json.elapsedMs / 1000;
  return {
    sizeBytes: size,
    blksize: json.options?.blksize,
    windowsize: json.options?.windowsize,
    bytes: json.bytes,
    transferSeconds,
    wallSeconds,
    throughputMBps: size / 1e6 / transferSeconds,
    retransmits: json.retransmits,
    timeouts: json.timeouts,
    serverPeakRssBytes: Math.max(serverSample.peakRssBytes, serverHwm),
    clientPeakRssBytes: Math.max(clientSample.peakRssBytes, clientSample.highWaterBytes),
    serverCpuSeconds,
    clientCpuSeconds,
    expectedSha256: expected,
    actualSha256: actual,
    sha256Equal: expected === actual,
  };
}

/** CPU seconds, or why there are none (a process that exited before /proc was read). */
function seconds(value: number | undefined): string {
  return value === undefined ? "not read (the process had exited)" : `${value.toFixed(2)} s`;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("large_transfer.ts", args, {
    size: { type: "string", default: "4G" },
    blksize: { type: "string", default: "1468" },
    windowsize: { type: "string", default: "4" },
    dir: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    line(USAGE);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  let size: number;
  try {
    size = parseSizeBytes("--size", values.size);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  parseCount("--blksize", values.blksize, 8, 65464);
  parseCount("--windowsize", values.windowsize, 1, 65535);
  if (!canReadProcMemory()) {
    line("skipped: no /proc here (Linux only)");
    return 0;
  }
  const base = await Deno.makeTempDir({ dir: values.dir, prefix: "tftpkit-bench-large-" });
  try {
    const free = await freeBytes(base);
    const needed = 2 * size + 2 * 2 ** 30;
    if (free < needed) {
      line(`skipped: ${mib(free)} free in ${base}, ${mib(needed)} needed`);
      return 0;
    }
    line(`load average ${loadAverage()}; ${mib(free)} free`);
    const r = await transfer(base, size, {
      blksize: values.blksize,
      windowsize: values.windowsize,
    });
    const serverPeak = r.serverPeakRssBytes as number;
    const clientPeak = r.clientPeakRssBytes as number;
    line(
      `${r.bytes} B (blksize ${r.blksize}, windowsize ${r.windowsize}) in ` +
        `${(r.transferSeconds as number).toFixed(1)} s: ` +
        `${(r.throughputMBps as number).toFixed(1)} MB/s; ${r.retransmits} retransmits, ` +
        `${r.timeouts} timeouts`,
    );
    line(
      `peak RSS server ${mib(serverPeak)}, client ${mib(clientPeak)} (target < 100 MB: ` +
        `${Math.max(serverPeak, clientPeak) < RSS_TARGET_BYTES ? "met" : "MISSED"}); CPU ` +
        `server ${seconds(r.serverCpuSeconds as number | undefined)}, client ${
          seconds(r.clientCpuSeconds as number | undefined)
        }`,
    );
    line(`sha-256 ${r.sha256Equal ? "equal" : "DIFFERENT"}: ${r.actualSha256}`);
    line(`load average after ${loadAverage()}`);
    if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(r, null, 2) + "\n");
    return r.sha256Equal ? 0 : 1;
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
