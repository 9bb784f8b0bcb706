/**
 * `impair`: a fault-injecting UDP proxy in front of any TFTP server, on the command line.
 *
 * ```sh
 * deno task impair --target 127.0.0.1:6969 --port 7070 --seed 7 --loss 0.1 --reorder 0.05
 * deno task tftp get tftp://127.0.0.1:7070/pxelinux.0
 * ```
 *
 * Run `deno task impair --help` for the options. This file only wires the parsed command line
 * (`_impair_args.ts`) to the proxy (`lib/udp/impair.ts`) and prints what `_impair_report.ts`
 * formats.
 *
 * @module
 */

import { openPcapWriter, type PcapWriter } from "../lib/pcap/writer.ts";
import { type ImpairCapture, type ImpairProxy, startImpairProxy } from "../lib/udp/impair.ts";
import {
  type ImpairCommand,
  impairRuleOf,
  impairUsage,
  ImpairUsageError,
  parseImpairCommandLine,
} from "./_impair_args.ts";
import { enterUserFolder, err, formatHostPort, onStopSignal, out } from "./_cli.ts";
import { formatImpairReport, impairReportJson, impairReportOf } from "./_impair_report.ts";

type RunCommand = Extract<ImpairCommand, { command: "run" }>;

/** Resolves on the first SIGINT or SIGTERM, then stops listening for them. */
function stopSignal(): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  onStopSignal(() => resolve());
  return promise;
}

async function run(cmd: RunCommand): Promise<number> {
  const rule = impairRuleOf(cmd);
  let pcap: PcapWriter | undefined;
  if (cmd.pcap !== undefined) {
    try {
      pcap = await openPcapWriter(cmd.pcap);
    } catch (error) {
      throw new Error(
        `Cannot open capture file ${JSON.stringify(cmd.pcap)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const capture = pcap
    ? ({ from, to, bytes, timeMs }: ImpairCapture) => pcap.write({ from, to, bytes, timeMs })
    : undefined;
  let proxy: ImpairProxy;
  try {
    proxy = startImpairProxy({
      target: cmd.target,
      hostname: cmd.hostname,
      port: cmd.port,
      rule,
      onDatagram: capture,
    });
  } catch (error) {
    await pcap?.close().catch(() => {});
    throw new Error(
      `Cannot listen on ${formatHostPort({ hostname: cmd.hostname, port: cmd.port })}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const stopped = stopSignal();
  out(`listening on ${formatHostPort(proxy.addr)}\n`);
  await stopped;
  await proxy.close();
  const report = impairReportOf(cmd.seed, proxy);
  out(cmd.json ? `${impairReportJson(report)}\n` : formatImpairReport(report));
  await pcap?.close();
  return 0;
}

async function main(args: string[]): Promise<number> {
  try {
    const cmd = parseImpairCommandLine(args);
    if (cmd.command === "help") {
      out(impairUsage());
      return 0;
    }
    return await run(cmd);
  } catch (error) {
    const usage = error instanceof ImpairUsageError;
    err(`error: ${(error as Error).message}\n`);
    if (usage) err("Run with --help for usage.\n");
    return usage ? 2 : 1;
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
