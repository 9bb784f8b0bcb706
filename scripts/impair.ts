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
import { formatImpairReport, impairReportJson, impairReportOf } from "./_impair_report.ts";

type RunCommand = Extract<ImpairCommand, { command: "run" }>;

const encoder = new TextEncoder();

function writeAll(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

function out(text: string): void {
  writeAll(Deno.stdout, text);
}

function err(text: string): void {
  writeAll(Deno.stderr, text);
}

function hostPort(addr: { hostname: string; port: number }): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** Resolves on the first SIGINT or SIGTERM, then stops listening for them. */
function stopSignal(): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const added: ["SIGINT" | "SIGTERM", () => void][] = [];
  const listener = () => {
    for (const [signal, l] of added.splice(0)) Deno.removeSignalListener(signal, l);
    resolve();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, listener);
      added.push([signal, listener]);
    } catch { /* SIGTERM cannot be caught on Windows */ }
  }
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
      `Cannot listen on ${hostPort({ hostname: cmd.hostname, port: cmd.port })}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const stopped = stopSignal();
  out(`listening on ${hostPort(proxy.addr)}\n`);
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

/**
 * `deno task` runs in the folder of deno.json; it passes the user's folder as INIT_CWD, so
 * that a relative `--pcap` path means what the user typed.
 */
function enterUserFolder(): void {
  const query = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" });
  const folder = query.state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
  if (folder) Deno.chdir(folder);
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
