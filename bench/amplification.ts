/**
 * How much a spoofed read request makes the server send to its victim:
 * `deno run --allow-all bench/amplification.ts [--flood N] [--rate R] [--json FILE]`.
 *
 * A spoofed RRQ carries the victim's address; the server sends DATA 1 there and, hearing
 * nothing, sends it again. Spoofing needs raw sockets, but the server cannot tell a spoofed
 * request from one sent by a socket that never answers: the victim here is such a socket on
 * 127.0.0.1. Two server configurations, one after the other, each over the same 1 MiB file:
 * `unlimited` (what the server did before its limits: the ordinary retries and give-up time
 * for every client, no budget per address) and `defaults` (first packet 3 times at most to a
 * client that never answered, 16 such transfers per address, then 1 a second; 100 requests a
 * second per address). Per configuration two scenarios: one request, and a flood of N
 * requests from N victim ports at R a second. Reported: request bytes sent, bytes the victim
 * received (UDP payload), their ratio (the amplification factor), datagrams, and time.
 *
 * @module
 */

import { type ServerOptions, serveTftp } from "../mod.ts";
import { parseOptions, rejectExtraOperands } from "../scripts/_cli_args.ts";
import { parseCount } from "./_proc.ts";
import { out, reportFailure } from "../scripts/_cli.ts";

const USAGE = `Usage: deno run --allow-all bench/amplification.ts [options]

  --flood N    Spoofed requests in the flood scenario, one per victim port (default 1000)
  --rate R     Requests a second in the flood (default 100)
  --json FILE  Also write the results as JSON to FILE`;

const CONFIGS: Record<string, ServerOptions> = {
  unlimited: {
    unansweredRetries: 1000,
    unansweredBurst: 1_000_000,
    requestsPerSecond: 1_000_000,
    maxTransfers: 1_000_000,
    maxTransfersPerClient: 1_000_000,
  },
  defaults: {},
};

interface Measured {
  config: string;
  scenario: string;
  requests: number;
  requestBytes: number;
  victimBytes: number;
  victimDatagrams: number;
  factor: number;
  seconds: number;
}

/** A read request for f.bin in octet mode without options: 2 + 6 + 6 = 14 bytes. */
const RRQ = new Uint8Array([0, 1, ...new TextEncoder().encode("f.bin\0octet\0")]);

/** A socket that never answers and counts what it receives until closed. */
class Victim {
  readonly conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  bytes = 0;
  datagrams = 0;
  readonly done: Promise<void>;

  constructor() {
    this.done = (async () => {
      const buffer = new Uint8Array(65536);
      for (let i = 0; i < 1_000_000; i++) {
        try {
          const [data] = await this.conn.receive(buffer);
          this.bytes += data.length;
          this.datagrams++;
        } catch {
          return;
        }
      }
    })();
  }
}

async function measure(
  config: string,
  scenario: string,
  root: string,
  requests: number,
  rate: number,
): Promise<Measured> {
  await using server = serveTftp({ root, hostname: "127.0.0.1", port: 0, ...CONFIGS[config] });
  const victims = Array.from({ length: requests }, () => new Victim());
  const started = performance.now();
  try {
    for (let i = 0; i < requests; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await victims[i].conn.send(RRQ, { ...server.addr, transport: "udp" });
    }
    // Until a transfer started, then until every transfer gave up (bounded: the unlimited
    // server gives up within ~20 s).
    for (let i = 0; i < 40 && server.activeTransfers === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    for (let i = 0; i < 1200 && server.activeTransfers > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    for (const victim of victims) victim.conn.close();
    await Promise.all(victims.map((victim) => victim.done));
  }
  const victimBytes = victims.reduce((sum, v) => sum + v.bytes, 0);
  const requestBytes = requests * RRQ.length;
  return {
    config,
    scenario,
    requests,
    requestBytes,
    victimBytes,
    victimDatagrams: victims.reduce((sum, v) => sum + v.datagrams, 0),
    factor: victimBytes / requestBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("amplification.ts", args, {
    flood: { type: "string", default: "1000" },
    rate: { type: "string", default: "100" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const flood = parseCount("--flood", values.flood, 1, 10_000);
  const rate = parseCount("--rate", values.rate, 1, 10_000);
  const root = await Deno.makeTempDir({ prefix: "tftpkit-amplification-" });
  const results: Measured[] = [];
  try {
    await Deno.writeFile(`${root}/f.bin`, new Uint8Array(1 << 20).fill(0x5a));
    out(`request: RRQ "f.bin" octet, no options, ${RRQ.length} bytes; file 1 MiB\n`);
    out("config     scenario        requests  request B  victim B  datagrams  factor  time\n");
    for (const config of Object.keys(CONFIGS)) {
      for (const [scenario, count] of [["one request", 1], [`flood ${rate}/s`, flood]] as const) {
        const m = await measure(config, scenario, root, count, rate);
        results.push(m);
        out(
          `${config.padEnd(10)} ${scenario.padEnd(15)} ${String(m.requests).padStart(8)} ${
            String(m.requestBytes).padStart(10)
          } ${String(m.victimBytes).padStart(9)} ${String(m.victimDatagrams).padStart(10)} ${
            m.factor.toFixed(2).padStart(7)
          } ${m.seconds.toFixed(1).padStart(5)} s\n`,
        );
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      `${JSON.stringify({ rrqBytes: RRQ.length, results }, null, 2)}\n`,
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    Deno.exit(reportFailure(error));
  }
}
