/**
 * What Deno itself costs per transfer, before any code of ours: `deno run --allow-all
 * bench/resource_memory.ts [--count N]` opens N UDP sockets, starts a receive on each (as a
 * transfer always has one waiting), opens N files and reads 32 KiB from each (a download's
 * read buffer), and prints the growth of RSS, V8 heap and external memory per item after
 * each step (after a full collection when run with `--v8-flags=--expose-gc`).
 *
 * This is the floor under `bench/concurrency.ts`'s "RSS growth per active transfer": a
 * transfer's socket, its pending receive and its open file, that no server on Deno avoids.
 *
 * @module
 */

import { parseOptions, rejectExtraOperands } from "../scripts/_cli_args.ts";
import { out, reportFailure } from "../scripts/_cli.ts";
import { parseCount } from "./_proc.ts";

const USAGE =
  `Usage: deno run --allow-all [--v8-flags=--expose-gc] bench/resource_memory.ts [--count N]

  --count N   Sockets and files to open, 1-10000 (default 1000)`;

interface Reading {
  rss: number;
  heap: number;
  external: number;
}

function read(): Reading {
  (globalThis as { gc?: () => void }).gc?.();
  const m = Deno.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions("resource_memory.ts", args, {
    count: { type: "string", default: "1000" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  rejectExtraOperands(positionals, 0);
  const count = parseCount("--count", values.count, 1, 10_000);
  const collected = typeof (globalThis as { gc?: unknown }).gc === "function";
  out(`${count} of each; ${collected ? "after a full collection" : "no --expose-gc: as is"}\n`);
  out(
    `${"step".padEnd(34)}${"RSS".padStart(10)}${"heap".padStart(10)}${"external".padStart(10)}\n`,
  );
  const dir = await Deno.makeTempDir({ prefix: "tftpkit-bench-res-" });
  const sockets: Deno.DatagramConn[] = [];
  const files: Deno.FsFile[] = [];
  const receives: Promise<unknown>[] = [];
  try {
    const path = `${dir}/f.bin`;
    await Deno.writeFile(path, new Uint8Array(64 * 1024).fill(7));
    let before = read();
    const step = (name: string) => {
      const now = read();
      out(
        `${name.padEnd(34)}${kib((now.rss - before.rss) / count)}${
          kib((now.heap - before.heap) / count)
        }${kib((now.external - before.external) / count)}\n`,
      );
      before = now;
    };
    for (let i = 0; i < count; i++) {
      sockets.push(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }));
    }
    step("a UDP socket each");
    for (const socket of sockets) {
      receives.push(socket.receive(new Uint8Array(2048)).catch(() => {}));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    step("+ a receive waiting (2 KiB buffer)");
    for (let i = 0; i < count; i++) files.push(await Deno.open(path));
    step("+ an open file each");
    const buffers = files.map(() => new Uint8Array(32 * 1024));
    await Promise.all(files.map((file, i) => file.read(buffers[i])));
    step("+ a 32 KiB read buffer each");
  } finally {
    for (const socket of sockets) socket.close();
    for (const file of files) file.close();
    await Promise.all(receives);
    await Deno.remove(dir, { recursive: true });
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
