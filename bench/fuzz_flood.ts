/**
 * The long fuzz mode: `deno run --allow-all bench/fuzz_flood.ts [--datagrams N] [--seed S]
 * [--rate N] [--sockets N] [--real-every N] [--max-rss-growth BYTES] [--max-seconds S]
 * [--json FILE]`.
 *
 * Starts a server (`scripts/tftp.ts serve`, a child process so its memory can be read from
 * `/proc`) on 127.0.0.1, port 0, serving a temporary folder with one file; sends N seeded fuzz
 * datagrams (tests/_fuzz_gen.ts) at its request port from a few source sockets, paced to at
 * most `--rate` per second; then downloads the file normally and checks its SHA-256.
 *
 * The mix: most datagrams are malformed (ERROR 4 back) or ERRORs (ignored); well-formed
 * requests name files that do not exist or lie outside the root (ERROR 1 or 2, no transfer
 * starts), or write to a read-only server (ERROR 2). Every `--real-every` datagrams one real
 * RRQ for the served file starts a transfer whose DATA this script never acknowledges: the
 * server retransmits, then gives up after its retries (about 10 s), so at most
 * rate x 10 s / real-every of them run at once (2 at the defaults). All of it comes from
 * 127.0.0.1, so the server's per-address limits decide how many of these get an answer: the
 * reply counts show what came back, not what the server processed.
 *
 * Exit status 0 only when the final download succeeded byte-exact and the server's resident
 * memory (VmRSS, sampled every 100 ms) never grew more than `--max-rss-growth` above its
 * reading after a warm-up download; 1 otherwise; 2 for a usage error. The default bound,
 * 128 MiB, leaves room for V8 growing its heap under the allocation churn: 1,000,000
 * datagrams grew it 44-59 MiB, 2,000,000 by 79 MiB, while the live heap after a forced GC
 * stayed at about 7 MB (measured in-process with --expose-gc): sizing, not a leak.
 *
 * @module
 */

import { sha256Hex } from "../lib/bytes.ts";
import { Prng } from "../lib/sim/prng.ts";
import { OPCODE } from "../lib/tftp/packet/constants.ts";
import { encodePacket } from "../lib/tftp/packet/encode.ts";
import { tftpGetBytes } from "../mod.ts";
import { ScriptProcess } from "../integration/_script_process.ts";
import { parseOptions, rejectExtraOperands, UsageError } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import { FLOOD_TARGET_NAME, fuzzDatagram } from "../tests/_fuzz_gen.ts";
import {
  canReadProcMemory,
  counterDelta,
  mib,
  parseCount,
  parseSizeBytes,
  readProcessMemory,
  readUdpCounters,
} from "./_proc.ts";
import { ProcSampler } from "./_proc_sampler.ts";

const USAGE = `Usage: deno run --allow-all bench/fuzz_flood.ts [options]

  --datagrams N          Fuzz datagrams to send (default 1000000)
  --seed S               Seed of the generators (default 1)
  --rate N               At most N datagrams per second; 0: as fast as possible (default 20000)
  --sockets N            Source sockets, used in turn (default 4)
  --real-every N         One real RRQ for the served file every N datagrams; 0: none
                         (default 100000)
  --max-rss-growth BYTES Largest allowed growth of the server's RSS, e.g. 64M (default 128M)
  --max-seconds S        Stop the flood after S seconds, which fails the run (default 600)
  --json FILE            Also write the results as JSON to FILE`;

const FILE_BYTES = 256 * 1024;
const BATCH = 500;

function line(text: string): void {
  out(`${text}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts what comes back on one source socket until it is closed. */
async function countReplies(
  socket: Deno.DatagramConn,
  replies: Record<string, number>,
): Promise<void> {
  const buffer = new Uint8Array(65536);
  for (let i = 0; i < 1e9; i++) {
    let bytes: Uint8Array;
    try {
      [bytes] = await socket.receive(buffer);
    } catch {
      return; // closed (or an ICMP error after the server went away)
    }
    const opcode = bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : -1;
    const name = opcode === OPCODE.ERROR && bytes.length >= 4
      ? `ERROR ${(bytes[2] << 8) | bytes[3]}`
      : opcode === OPCODE.DATA
      ? "DATA"
      : `opcode ${opcode}`;
    replies[name] = (replies[name] ?? 0) + 1;
  }
}

interface Settings {
  datagrams: number;
  seed: number;
  rate: number;
  sockets: number;
  realEvery: number;
  maxRssGrowthBytes: number;
  maxSeconds: number;
}

async function flood(root: string, expectedSha: string, settings: Settings) {
  await using server = new ScriptProcess(
    "tftp.ts",
    ["serve", root, "--host", "127.0.0.1", "--port", "0", "--quiet"],
    { limitMs: (settings.maxSeconds + 120) * 1000, waitMs: 30_000 },
  );
  const port = await server.listening();
  const url = `tftp://127.0.0.1:${port}/${FLOOD_TARGET_NAME}`;
  const download = async () => {
    const bytes = await tftpGetBytes(url, { signal: AbortSignal.timeout(60_000) });
    return { bytes: bytes.length, sha256: await sha256Hex(bytes) };
  };
  // Warm up (compile the hot paths), let the server settle, then take the start reading.
  for (let i = 0; i < 3; i++) await download();
  await sleep(500);
  const startRss = readProcessMemory(server.pid)!.rssBytes;
  const sampler = await ProcSampler.start(server.pid, { everyMs: 100, countSockets: true });
  const udp0 = readUdpCounters();

  const sockets = Array.from(
    { length: settings.sockets },
    () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
  );
  const replies: Record<string, number> = {};
  const readers = sockets.map((socket) => countReplies(socket, replies));
  const prng = new Prng(settings.seed);
  const realRrq = encodePacket({
    opcode: OPCODE.RRQ,
    filename: FLOOD_TARGET_NAME,
    mode: "octet",
    options: {},
  });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  // Real RRQs in the middle of each stretch of --real-every (of the run, when shorter).
  const realAt = Math.floor(Math.min(settings.realEvery, settings.datagrams) / 2);
  const started = performance.now();
  const limitMs = settings.maxSeconds * 1000;
  let sent = 0, real = 0, sendErrors = 0, timedOut = false;
  // RSS after each tenth of the flood: a leak grows steadily, V8 sizing its heap levels off.
  const tenth = Math.max(1, Math.floor(settings.datagrams / 10));
  const rssByTenth: number[] = [];
  try {
    while (sent < settings.datagrams) {
      const elapsed = performance.now() - started;
      if (elapsed > limitMs) {
        timedOut = true;
        break;
      }
      if (settings.rate > 0) {
        const ahead = (sent / settings.rate) * 1000 - elapsed;
        if (ahead > 1) await sleep(ahead);
      }
      const end = Math.min(settings.datagrams, sent + BATCH);
      for (; sent < end; sent++) {
        const isReal = settings.realEvery > 0 && sent % settings.realEvery === realAt;
        const bytes = isReal ? realRrq : fuzzDatagram(prng);
        if (isReal) real++;
        try {
          await sockets[sent % sockets.length].send(bytes, to);
        } catch {
          sendErrors++;
        }
      }
      if (sent % tenth < BATCH && sent >= tenth) {
        rssByTenth.push(readProcessMemory(server.pid)?.rssBytes ?? 0);
      }
      if (sendErrors > 1000) throw new Error(`${sendErrors} sends failed: is the server gone?`);
    }
    const floodSeconds = (performance.now() - started) / 1000;
    await sleep(2000); // let the last replies arrive
    const afterFloodRss = readProcessMemory(server.pid)?.rssBytes ?? 0;
    let transfer: { ok: boolean; bytes?: number; sha256?: string; error?: string };
    try {
      const got = await download();
      transfer = { ok: got.sha256 === expectedSha && got.bytes === FILE_BYTES, ...got };
    } catch (error) {
      transfer = { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
    }
    const sample = await sampler.stop();
    const endRss = readProcessMemory(server.pid)?.rssBytes ?? 0;
    const udp = counterDelta(udp0, readUdpCounters());
    const code = await server.exit("SIGTERM");
    return {
      ...settings,
      sent,
      realRequests: real,
      sendErrors,
      timedOut,
      floodSeconds,
      datagramsPerSecond: Math.round(sent / floodSeconds),
      replies,
      udpRcvbufErrors: udp.RcvbufErrors,
      serverRssStartBytes: startRss,
      serverRssPeakBytes: sample.peakRssBytes,
      serverHighWaterBytes: sample.highWaterBytes,
      serverRssAfterFloodBytes: afterFloodRss,
      serverRssByTenthBytes: rssByTenth,
      serverRssEndBytes: endRss,
      mostOpenSockets: sample.maxActive,
      transfer,
      expectedSha256: expectedSha,
      serverExitCode: code,
      serverStderr: server.err.trim(),
    };
  } finally {
    await sampler.stop();
    for (const socket of sockets) socket.close();
    await Promise.all(readers);
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("fuzz_flood.ts", args, {
    datagrams: { type: "string", default: "1000000" },
    seed: { type: "string", default: "1" },
    rate: { type: "string", default: "20000" },
    sockets: { type: "string", default: "4" },
    "real-every": { type: "string", default: "100000" },
    "max-rss-growth": { type: "string", default: "128M" },
    "max-seconds": { type: "string", default: "600" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    line(USAGE);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  let maxRssGrowthBytes: number;
  try {
    maxRssGrowthBytes = parseSizeBytes("--max-rss-growth", values["max-rss-growth"]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const settings: Settings = {
    datagrams: parseCount("--datagrams", values.datagrams, 1, 1e9),
    seed: parseCount("--seed", values.seed, 0, 2 ** 32 - 1),
    rate: parseCount("--rate", values.rate, 0, 1e7),
    sockets: parseCount("--sockets", values.sockets, 1, 64),
    realEvery: parseCount("--real-every", values["real-every"], 0, 1e9),
    maxRssGrowthBytes,
    maxSeconds: parseCount("--max-seconds", values["max-seconds"], 1, 86_400),
  };
  if (!canReadProcMemory()) {
    line("skipped: no /proc here (Linux only)");
    return 0;
  }
  const root = await Deno.makeTempDir({ prefix: "tftpkit-bench-flood-" });
  let r: Awaited<ReturnType<typeof flood>>;
  try {
    const file = new Prng(settings.seed ^ 0xf100d).bytes(FILE_BYTES);
    await Deno.writeFile(`${root}/${FLOOD_TARGET_NAME}`, file);
    r = await flood(root, await sha256Hex(file), settings);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const growth = r.serverRssPeakBytes - r.serverRssStartBytes;
  const bounded = growth < settings.maxRssGrowthBytes;
  const replies = Object.entries(r.replies).sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`).join(", ");
  line(
    `sent ${r.sent} datagrams (seed ${r.seed}, ${r.realRequests} real RRQs) from ${r.sockets} ` +
      `sockets in ${r.floodSeconds.toFixed(1)} s: ${r.datagramsPerSecond} datagrams/s` +
      (r.timedOut ? ` (STOPPED at --max-seconds ${r.maxSeconds})` : "") +
      (r.sendErrors ? `, ${r.sendErrors} sends failed` : ""),
  );
  line(`replies: ${replies || "none"}; UDP RcvbufErrors ${r.udpRcvbufErrors} (whole namespace)`);
  line(
    `server RSS start ${mib(r.serverRssStartBytes)}, peak ${mib(r.serverRssPeakBytes)} ` +
      `(VmHWM ${mib(r.serverHighWaterBytes)}), after the flood ${
        mib(r.serverRssAfterFloodBytes)
      }, ` +
      `end ${mib(r.serverRssEndBytes)}; growth ${mib(growth)} ` +
      `(bound ${mib(settings.maxRssGrowthBytes)}: ${bounded ? "ok" : "EXCEEDED"}); ` +
      `most open sockets ${r.mostOpenSockets}`,
  );
  line(`server RSS after each tenth of the flood: ${r.serverRssByTenthBytes.map(mib).join(", ")}`);
  line(
    r.transfer.ok
      ? `transfer after the flood: ok, ${r.transfer.bytes} bytes, sha-256 ${r.transfer.sha256}`
      : `transfer after the flood: FAILED ${r.transfer.error ?? `sha-256 ${r.transfer.sha256}`}`,
  );
  if (r.serverExitCode !== 0) {
    line(`server exited with status ${r.serverExitCode}: ${r.serverStderr}`);
  }
  if (values.json) {
    const json = { ...r, rssGrowthBytes: growth, rssBounded: bounded };
    await Deno.writeTextFile(values.json, JSON.stringify(json, null, 2) + "\n");
  }
  return r.transfer.ok && bounded && !r.timedOut && r.serverExitCode === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
