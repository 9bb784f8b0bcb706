/**
 * A request flood against a running server while well-behaved clients download:
 * `deno run --allow-all bench/flood.ts [--requests N] [--clients N] [--json FILE]`.
 *
 * The server is `scripts/tftp.ts serve` on `::` (a child process, so its memory and open
 * files can be read from `/proc`). The flood: N read requests for a 1 MiB file that exists,
 * each from its own source port on 127.0.0.1, never answered (the worst kind: each one that
 * is admitted opens the file and a transfer socket). Meanwhile the good clients, on ::1 (a
 * different address), download the file one after another in 4 lanes and check its sha-256.
 * First the good clients alone (baseline), then with the flood, for two server settings:
 * `defaults`, and `no per-address limits` (rate, unanswered budget and per-client cap lifted,
 * as if the flood came from as many addresses as ports; only the total cap, eviction of
 * silent transfers and the first-packet limit remain). Reported: good downloads ok/failed
 * and their MB/s against the baseline, flood requests answered, the server's peak RSS, peak
 * open files and peak transfers.
 *
 * @module
 */

import { tftpGet } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { Prng } from "../lib/sim/prng.ts";
import { ScriptProcess } from "../integration/_script_process.ts";
import { parseOptions, rejectExtraOperands } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import { parseCount } from "./_proc.ts";
import { ProcSampler } from "./_proc_sampler.ts";

const USAGE = `Usage: deno run --allow-all bench/flood.ts [options]

  --requests N  Flood requests, one per source port (default 10000)
  --clients N   Good downloads per phase, in 4 lanes (default 40)
  --json FILE   Also write the results as JSON to FILE`;

const SIZE = 1 << 20;
const LIFTED = ["--rate", "--unanswered-burst", "--max-per-client"]
  .flatMap((flag) => [flag, "1000000"]);

interface Phase {
  settings: string;
  flood: boolean;
  goodOk: number;
  goodFailed: number;
  goodMBps: number;
  floodRequests: number;
  floodAnswered: number;
  floodSeconds: number;
  peakRssMiB: number;
  peakOpenFiles: number;
  peakSockets: number;
}

/** Sends `count` RRQs, each from a fresh socket; counts sockets that got any answer. */
async function flood(port: number, count: number): Promise<{ answered: number; ms: number }> {
  const rrq = new Uint8Array([0, 1, ...new TextEncoder().encode("f.bin\0octet\0")]);
  const started = performance.now();
  let answered = 0;
  const batch = 250;
  for (let sent = 0; sent < count; sent += batch) {
    const sockets = Array.from(
      { length: Math.min(batch, count - sent) },
      () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
    );
    const heard = sockets.map((socket) =>
      socket.receive(new Uint8Array(600)).then(() => answered++, () => {})
    );
    for (const socket of sockets) {
      await socket.send(rrq, { transport: "udp", hostname: "127.0.0.1", port });
    }
    // Keep the batch open a moment (answers arrive), then close: its ports go away.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const socket of sockets) socket.close();
    await Promise.all(heard);
  }
  return { answered, ms: performance.now() - started };
}

async function goodClients(
  port: number,
  count: number,
  expected: string,
  until: () => boolean,
): Promise<{ ok: number; failed: number; bytes: number; ms: number }> {
  let ok = 0, failed = 0, next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = 0; i < 100_000 && (next < count || !until()); i++) {
      next++;
      try {
        const chunks: Uint8Array[] = [];
        const sink = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c.slice()) });
        await tftpGet(`tftp://[::1]:${port}/f.bin`, sink, { deadlineMs: 60_000 });
        const all = new Uint8Array(SIZE);
        let at = 0;
        for (const c of chunks) {
          all.set(c.subarray(0, Math.max(0, SIZE - at)), at);
          at += c.length;
        }
        if (at === SIZE && await sha256Hex(all) === expected) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  return { ok, failed, bytes: ok * SIZE, ms: performance.now() - started };
}

async function phase(
  root: string,
  settings: string,
  withFlood: boolean,
  requests: number,
  clients: number,
  expected: string,
): Promise<Phase> {
  await using server = new ScriptProcess(
    "tftp.ts",
    [
      "serve",
      root,
      "--host",
      "::",
      "--port",
      "0",
      "--quiet",
      ...(settings === "defaults" ? [] : LIFTED),
    ],
    { limitMs: 600_000, waitMs: 30_000 },
  );
  const port = await server.listening("[::]");
  const sampler = await ProcSampler.start(server.pid, {
    everyMs: 50,
    countFds: true,
    countSockets: true,
  });
  try {
    let flooding = withFlood;
    const floodRun = withFlood
      ? flood(port, requests).finally(() => flooding = false)
      : Promise.resolve({ answered: 0, ms: 0 });
    const good = await goodClients(port, clients, expected, () => !flooding);
    const floodResult = await floodRun;
    const sample = await sampler.stop();
    return {
      settings,
      flood: withFlood,
      goodOk: good.ok,
      goodFailed: good.failed,
      goodMBps: good.bytes / 1e6 / (good.ms / 1000),
      floodRequests: withFlood ? requests : 0,
      floodAnswered: floodResult.answered,
      floodSeconds: floodResult.ms / 1000,
      peakRssMiB: sample.peakRssBytes / 2 ** 20,
      peakOpenFiles: sample.peakFds,
      peakSockets: sample.peakSockets,
    };
  } finally {
    await sampler.stop();
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("flood.ts", args, {
    requests: { type: "string", default: "10000" },
    clients: { type: "string", default: "40" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const requests = parseCount("--requests", values.requests, 1, 100_000);
  const clients = parseCount("--clients", values.clients, 1, 10_000);
  const root = await Deno.makeTempDir({ prefix: "tftpkit-flood-" });
  const results: Phase[] = [];
  try {
    const bytes = new Prng(7).bytes(SIZE);
    await Deno.writeFile(`${root}/f.bin`, bytes);
    const expected = await sha256Hex(bytes);
    out(
      "settings                 flood   good ok/failed  good MB/s  answered  RSS MiB  files  sockets\n",
    );
    for (const settings of ["defaults", "no per-address limits"]) {
      for (const withFlood of [false, true]) {
        const p = await phase(root, settings, withFlood, requests, clients, expected);
        results.push(p);
        out(
          `${settings.padEnd(24)} ${(withFlood ? String(requests) : "none").padStart(5)} ${
            `${p.goodOk}/${p.goodFailed}`.padStart(15)
          } ${p.goodMBps.toFixed(1).padStart(10)} ${String(p.floodAnswered).padStart(9)} ${
            p.peakRssMiB.toFixed(1).padStart(8)
          } ${String(p.peakOpenFiles).padStart(6)} ${String(p.peakSockets).padStart(8)}\n`,
        );
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      `${JSON.stringify({ requests, clients, results }, null, 2)}\n`,
    );
  }
  const failed = results.reduce((sum, p) => sum + p.goodFailed, 0);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
