/**
 * Segmented sends against one `sendto` per datagram, on loopback:
 * `deno run --allow-all bench/gso.ts [--windows N] [--windowsize N] [--blksize N]`.
 *
 * Two busy-polling libc sockets on 127.0.0.1 (lib/udp/_libc_udp.ts). Per window, one sends
 * `windowsize` DATA-sized datagrams (4 + blksize bytes) and the other receives them all,
 * checking each one's length and first bytes; A sends them with `sendMany` (one segmented
 * `sendmsg(2)` per run, lib/udp/_libc_gso.ts), B with one `send` each. A and B alternate in
 * rounds of `windows` windows, five rounds each; printed: microseconds per window (median
 * [min-max]) and the ratio B / A. Bounded: each round stops after 10 s, and a datagram that
 * has not come a second after that (a window larger than the receive buffer holds) ends the
 * run with an error.
 *
 * @module
 */

import { LibcReactor } from "../lib/udp/_libc_reactor.ts";
import { LibcUdpSocket } from "../lib/udp/_libc_udp.ts";
import { parseOptions, rejectExtraOperands } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import { parseCount } from "./_proc.ts";

const USAGE = `Usage: deno run --allow-all bench/gso.ts [options]

  --windows N     Windows per round (default 5000)
  --windowsize N  Datagrams per window (default 16)
  --blksize N     Bytes of data per datagram (default 1468)`;

const ROUNDS = 5;
const ROUND_LIMIT_MS = 10_000;

async function round(
  sender: LibcUdpSocket,
  receiver: LibcUdpSocket,
  window: Uint8Array[],
  windows: number,
  segmented: boolean,
): Promise<number> {
  const to = receiver.addr;
  const buffer = new Uint8Array(65536);
  const started = performance.now();
  let done = 0;
  // One deadline for the round, which closes the receiver: its receive then fails (a timer per
  // datagram would cost more than what is measured).
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    receiver.close();
  }, ROUND_LIMIT_MS + 1000);
  try {
    for (; done < windows && performance.now() - started < ROUND_LIMIT_MS; done++) {
      if (segmented) sender.sendMany(window, to);
      else for (const datagram of window) await sender.send(datagram, to);
      for (const [i, datagram] of window.entries()) {
        const [got] = await receiver.receive(buffer).catch((error) => {
          if (!timedOut) throw error;
          throw new Error(`datagram ${i} of window ${done} never came (window too large?)`);
        });
        if (got.length !== datagram.length || got[3] !== datagram[3]) {
          throw new Error(`datagram ${i} of window ${done}: ${got.length} bytes, #${got[3]}`);
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return (performance.now() - started) * 1000 / done;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  return `${f(sorted[sorted.length >> 1])} [${f(sorted[0])}-${f(sorted.at(-1)!)}]`;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("gso.ts", args, {
    windows: { type: "string", default: "5000" },
    windowsize: { type: "string", default: "16" },
    blksize: { type: "string", default: "1468" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const windows = parseCount("--windows", values.windows, 1, 1_000_000);
  const windowsize = parseCount("--windowsize", values.windowsize, 1, 64);
  const blksize = parseCount("--blksize", values.blksize, 8, 65464);
  const window = Array.from({ length: windowsize }, (_, i) => {
    const datagram = new Uint8Array(4 + blksize).fill(0xa5);
    datagram.set([0, 3, 0, i & 0xff]);
    return datagram;
  });
  const reactor = new LibcReactor({ busyPollUs: 50 });
  const sender = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  const receiver = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  try {
    const a: number[] = [];
    const b: number[] = [];
    await round(sender, receiver, window, Math.min(windows, 500), true); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      a.push(await round(sender, receiver, window, windows, true));
      b.push(await round(sender, receiver, window, windows, false));
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
    out(`${windows} windows of ${windowsize} x ${4 + blksize} bytes, ${ROUNDS} rounds each\n`);
    out(`segmented (sendMany)   ${summary(a)} us/window\n`);
    out(`one sendto each        ${summary(b)} us/window\n`);
    out(`ratio one-each / segmented: ${(median(b) / median(a)).toFixed(2)}\n`);
  } finally {
    sender.close();
    receiver.close();
    await reactor.close();
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
