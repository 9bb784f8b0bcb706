/**
 * `tftp`: a TFTP client and server on the command line.
 *
 * ```sh
 * deno task tftp get tftp://192.0.2.1/pxelinux.0
 * deno task tftp put config.txt "tftp://[2001:db8::1]:6969/sw1.cfg;mode=netascii"
 * deno task tftp serve ./public --port 6969 --create
 * ```
 *
 * Run `deno task tftp --help` for the options. This file only wires the parsed command line
 * (`_tftp_args.ts`) to the library and prints what `_tftp_output.ts` formats.
 *
 * @module
 */

import { join } from "node:path";
import { type ClientOptions, tftpGet, tftpPut, type TransferResult } from "../lib/tftp/client.ts";
import { TftpAbortError } from "../lib/tftp/errors.ts";
import { serveTftp, type TftpServer } from "../lib/tftp/server.ts";
import { formatTrace } from "../lib/tftp/trace.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { openPcapWriter, type PcapWriter } from "../lib/pcap/writer.ts";
import type { Peer } from "../lib/tftp/engine/types.ts";
import { enterUserFolder, err, onStopSignal, out, type StopSignal } from "./_cli.ts";
import { type Command, parseCommandLine, remoteBaseName, usage, UsageError } from "./_tftp_args.ts";
import {
  describeFailure,
  failureJson,
  formatHostPort,
  formatSummary,
  formatTransferLog,
  resultJson,
  transferLogJson,
} from "./_tftp_output.ts";

type ClientCommand = Extract<Command, { command: "get" | "put" }>;
type ServeCommand = Extract<Command, { command: "serve" }>;

/** Exit status after a signal interrupted get or put: 128 + the signal number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Opens the `--pcap` file, if one was asked for. */
async function openCapture(path: string | undefined): Promise<PcapWriter | undefined> {
  if (path === undefined) return undefined;
  try {
    return await openPcapWriter(path);
  } catch (error) {
    throw new Error(
      `Cannot open capture file ${JSON.stringify(path)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Closes the capture file; returns what went wrong instead of throwing. */
async function closeCapture(pcap: PcapWriter | undefined): Promise<Error | undefined> {
  return await pcap?.close().then(
    () => undefined,
    (error: unknown) => error instanceof Error ? error : new Error(String(error)),
  );
}

/** The `onDatagram` hook for `--trace` and `--pcap`, or none when neither is on. */
function datagramHook(trace: boolean, pcap: PcapWriter | undefined) {
  if (!trace && !pcap) return undefined;
  return (direction: "send" | "recv", peer: Peer, bytes: Uint8Array, local: Peer) => {
    pcap?.write(
      direction === "send" ? { from: local, to: peer, bytes } : { from: peer, to: local, bytes },
    );
    if (trace) err(`${formatTrace(direction, peer, bytes)}\n`);
  };
}

/** Where get writes: the path given, or the remote base name inside a directory given. */
async function resolveOutput(output: string, remotePath: string): Promise<string> {
  try {
    if ((await Deno.stat(output)).isDirectory) return join(output, remoteBaseName(remotePath));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return output;
}

async function runClient(cmd: ClientCommand): Promise<number> {
  const toStdout = cmd.command === "get" && cmd.output === "-";
  // With get to stdout, stdout holds only the file: the JSON line goes to stderr instead.
  const reportTo = toStdout ? err : out;
  const name = cmd.url.path.slice(cmd.url.path.lastIndexOf("/") + 1);
  let localName = cmd.command === "get" ? cmd.output : cmd.input;
  if (localName === "-") localName = cmd.command === "get" ? "stdout" : "stdin";
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new TftpAbortError(`Interrupted by ${signal}`));
  });
  let bar: ProgressBar | undefined;
  let pcap: PcapWriter | undefined;
  let result: TransferResult | undefined;
  let failure: { error: unknown } | undefined;
  try {
    pcap = await openCapture(cmd.pcap);
    const options: ClientOptions = {
      ...cmd.transfer,
      signal: controller.signal,
      onProgress: !cmd.quiet && !cmd.trace && Deno.stderr.isTerminal()
        ? ({ bytes, total }) => {
          bar ??= new ProgressBar({ label: name, total });
          bar.update(bytes);
        }
        : undefined,
      onDatagram: datagramHook(cmd.trace, pcap),
    };
    if (cmd.command === "get") {
      const target = toStdout
        ? Deno.stdout.writable
        : await resolveOutput(cmd.output, cmd.url.path);
      if (typeof target === "string") localName = target;
      result = await tftpGet(cmd.url, target, options);
    } else {
      const source = cmd.input === "-" ? Deno.stdin.readable : cmd.input;
      result = await tftpPut(source, cmd.url, options);
    }
  } catch (error) {
    failure = { error };
  } finally {
    stopListening();
  }
  const captureFailure = await closeCapture(pcap);
  if (failure || !result) {
    if (bar) err("\n"); // end the unfinished bar line
    const report = describeFailure(failure?.error, localName);
    if (cmd.json && report.exitCode === 1) {
      reportTo(`${failureJson(cmd.command, cmd.urlText, report)}\n`);
    }
    err(report.text);
    if (captureFailure) err(describeFailure(captureFailure).text);
    return stoppedBy ? SIGNAL_EXIT[stoppedBy] : report.exitCode;
  }
  bar?.update(result.stats.bytes); // tftpPut reports no progress after the last ACK
  bar?.done();
  if (cmd.json) reportTo(`${resultJson(cmd.command, cmd.urlText, result)}\n`);
  else if (!cmd.quiet) err(`${formatSummary(cmd.command, cmd.url.path, result)}\n`);
  // The file arrived, but the capture asked for is incomplete: say so, exit 1.
  if (captureFailure) {
    err(describeFailure(captureFailure).text);
    return 1;
  }
  return 0;
}

async function checkRoot(root: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`Root directory ${JSON.stringify(root)} does not exist`);
    }
    throw error;
  }
  if (!info.isDirectory) throw new UsageError(`Root ${JSON.stringify(root)} is not a directory`);
}

async function runServe(cmd: ServeCommand): Promise<number> {
  await checkRoot(cmd.root);
  const { hostname, port } = cmd.server;
  const pcap = await openCapture(cmd.pcap);
  let server: TftpServer;
  try {
    server = serveTftp({
      root: cmd.root,
      ...cmd.server,
      onTransfer: cmd.quiet ? undefined : (record) => {
        out(`${cmd.json ? transferLogJson(record, new Date()) : formatTransferLog(record)}\n`);
      },
      onDatagram: datagramHook(cmd.trace, pcap),
    });
  } catch (error) {
    await closeCapture(pcap);
    if (error instanceof Deno.errors.NotCapable) throw error; // --busy-poll without --allow-ffi
    const hint = error instanceof Deno.errors.PermissionDenied && port > 0 && port < 1024
      ? `; ports below 1024 need privileges, try --port 6969`
      : "";
    throw new Error(
      `Cannot listen on ${formatHostPort({ hostname, port })}: ${(error as Error).message}${hint}`,
      { cause: error },
    );
  }
  const stop = Promise.withResolvers<void>();
  const stopListening = onStopSignal(() => stop.resolve());
  let failure: { error: unknown } | undefined;
  try {
    out(`listening on ${formatHostPort(server.addr)}\n`);
    const stopped = await Promise.race([stop.promise.then(() => true), server.finished]);
    const { graceMs } = cmd.server;
    if (stopped === true && graceMs > 0 && server.activeTransfers > 0) {
      const count = server.activeTransfers;
      err(
        `stopping: ${count} ${count === 1 ? "transfer" : "transfers"} may finish within ${
          graceMs / 1000
        } s (signal again to abort them)\n`,
      );
      const abortNow = onStopSignal(() => server.shutdown());
      try {
        await server.shutdown({ graceMs });
      } finally {
        abortNow();
      }
    }
    await server.shutdown();
    if (stopped !== true) throw new Error("The server stopped unexpectedly");
  } catch (error) {
    failure = { error };
  } finally {
    stopListening();
  }
  const captureFailure = await closeCapture(pcap);
  if (!failure) {
    if (captureFailure) throw captureFailure;
    return 0;
  }
  if (captureFailure) err(describeFailure(captureFailure).text);
  throw failure.error;
}

async function main(args: string[]): Promise<number> {
  try {
    const command = parseCommandLine(args);
    switch (command.command) {
      case "help":
        out(usage(command.topic));
        return 0;
      case "serve":
        return await runServe(command);
      default:
        return await runClient(command);
    }
  } catch (error) {
    const failure = describeFailure(error);
    err(failure.text);
    return failure.exitCode;
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
