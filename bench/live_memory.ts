/**
 * What a transfer really holds on the server: `deno task bench:live [--clients 1000]
 * [--size 1M] [--blksize 1468] [--windowsize 4] [--json FILE]` (the task passes
 * `--v8-flags=--expose-gc`).
 *
 * bench/concurrency.ts reports RSS growth per active transfer, and most of that is the
 * garbage collector's headroom: V8 lets the heap grow to a multiple of what is alive before
 * it collects. This benchmark runs the server in its own process (this one) and the clients
 * in a child process (bench/_many_clients.ts, every byte compared), and every 250 ms forces a
 * full collection and reads what survived: the JS heap in use plus the external memory
 * (ArrayBuffers: read buffers, packets, receive buffers). That growth over the idle reading,
 * divided by `server.activeTransfers` at the same moment, is the memory a transfer keeps
 * alive. The RSS of the same moments is reported beside it. The forced collections cost the
 * server time, so throughput here is not a figure to quote.
 *
 * @module
 */

import { join } from "node:path";
import { serveTftp, tftpGetBytes } from "../mod.ts";
import { Prng } from "../lib/sim/prng.ts";
import { parseOptions, rejectExtraOperands, UsageError } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import { mib, parseCount, parseSizeBytes } from "./_proc.ts";

const USAGE = `Usage: deno task bench:live [options]

  --clients N     Concurrent downloads (default 1000)
  --size BYTES    File size, e.g. 1M (default 1M)
  --blksize N     Block size asked for (default 1468)
  --windowsize N  Window size asked for (default 4)
  --json FILE     Also write the result as JSON to FILE`;

/** Live memory: JS heap in use plus external (ArrayBuffer) memory, after a full collection. */
function liveBytes(gc: () => void): { live: number; rss: number } {
  gc();
  const m = Deno.memoryUsage();
  return { live: m.heapUsed + m.external, rss: m.rss };
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("live_memory.ts", args, {
    clients: { type: "string", default: "1000" },
    size: { type: "string", default: "1M" },
    blksize: { type: "string", default: "1468" },
    windowsize: { type: "string", default: "4" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new UsageError("run with --v8-flags=--expose-gc (deno task bench:live does)");
  const clients = parseCount("--clients", values.clients, 1, 10_000);
  const blksize = parseCount("--blksize", values.blksize, 8, 65464);
  const windowsize = parseCount("--windowsize", values.windowsize, 1, 64);
  let size: number;
  try {
    size = parseSizeBytes("--size", values.size);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const root = await Deno.makeTempDir({ prefix: "tftpkit-bench-live-" });
  try {
    const expected = new Prng(size).bytes(size);
    const file = join(root, "f.bin");
    await Deno.writeFile(file, expected);
    const lifted = Math.max(1024, clients);
    await using server = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      maxTransfers: lifted,
      maxTransfersPerClient: lifted,
      requestsPerSecond: lifted,
      unansweredBurst: lifted,
    });
    const url = `tftp://127.0.0.1:${server.addr.port}/f.bin`;
    // Warm up (compile the hot paths), then the idle reading.
    for (let i = 0; i < 3; i++) await tftpGetBytes(url, { blksize, windowsize });
    const idle = liveBytes(gc);
    let peak = { live: idle.live, rss: idle.rss, active: 0 };
    let peakPerTransfer = { perTransfer: 0, active: 0 };
    let mostActive = 0;
    const sample = () => {
      const active = server.activeTransfers;
      const now = liveBytes(gc);
      mostActive = Math.max(mostActive, active);
      if (now.live > peak.live) peak = { ...now, active };
      // Per transfer only while most of them run: a few stragglers over a fixed cost
      // would say nothing about a transfer.
      if (active >= clients / 2) {
        const perTransfer = (now.live - idle.live) / active;
        if (perTransfer > peakPerTransfer.perTransfer) peakPerTransfer = { perTransfer, active };
      }
    };
    const timer = setInterval(sample, 250);
    const started = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        new URL("./_many_clients.ts", import.meta.url).pathname,
        url,
        file,
        String(clients),
        String(blksize),
        String(windowsize),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const result = await child.finally(() => clearInterval(timer));
    const wallSeconds = (performance.now() - started) / 1000;
    const lastLine = new TextDecoder().decode(result.stdout).trim().split("\n").at(-1) ?? "";
    if (!result.success || !lastLine.startsWith("{")) {
      throw new Error(
        `The client process (bench/_many_clients.ts) failed with status ${result.code}` +
          (lastLine ? `: ${lastLine}` : ", printing nothing (its errors are above)"),
      );
    }
    const load = JSON.parse(lastLine);
    const windowBytes = blksize * windowsize;
    const report = {
      clients,
      sizeBytes: size,
      blksize,
      windowsize,
      ok: load.ok as number,
      failed: load.failed as number,
      errors: load.errors as Record<string, number>,
      wallSeconds,
      mostActive,
      idleLiveBytes: idle.live,
      idleRssBytes: idle.rss,
      peakLiveBytes: peak.live,
      activeAtPeakLive: peak.active,
      rssAtPeakLiveBytes: peak.rss,
      livePerTransferBytes: Math.round(peakPerTransfer.perTransfer),
      activeAtLivePerTransfer: peakPerTransfer.active,
      windowDataBytes: windowBytes,
    };
    out(
      `${clients} x ${size} B (blksize ${blksize}, windowsize ${windowsize}): ` +
        `${report.ok} ok, ${report.failed} failed in ${wallSeconds.toFixed(1)} s` +
        ` (full collections every 250 ms slow the server: no throughput figure)\n`,
    );
    for (const [text, count] of Object.entries(report.errors)) out(`  ${count} x ${text}\n`);
    out(
      `  live (heap in use + external, after a full GC): idle ${mib(idle.live)}, ` +
        `peak ${mib(peak.live)} with ${peak.active} active (RSS then ${mib(peak.rss)}, ` +
        `idle ${mib(idle.rss)})\n`,
    );
    out(
      `  live memory per active transfer: ${(report.livePerTransferBytes / 1024).toFixed(1)} KiB ` +
        `(at ${report.activeAtLivePerTransfer} active; most active ${mostActive}); ` +
        `window's data ${(windowBytes / 1024).toFixed(1)} KiB\n`,
    );
    if (values.json) {
      await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2) + "\n");
    }
    return report.failed === 0 && result.success ? 0 : 1;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
