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
import {
  type ClientOptions,
  formatTrace,
  serveTftp,
  TftpAbortError,
  tftpGet,
  tftpPut,
  type TftpServer,
  type TransferResult,
} from "../mod.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
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
type StopSignal = "SIGINT" | "SIGTERM";

/** Exit status after a signal interrupted get or put: 128 + the signal number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

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

/**
 * Calls `handler` on the first SIGINT or SIGTERM, then stops listening, so that a second
 * signal ends the process the default way. Returns a function that stops listening.
 */
function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const added: [StopSignal, () => void][] = [];
  const remove = () => {
    for (const [signal, listener] of added.splice(0)) Deno.removeSignalListener(signal, listener);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const listener = () => {
      remove();
      handler(signal);
    };
    try {
      Deno.addSignalListener(signal, listener);
      added.push([signal, listener]);
    } catch { /* SIGTERM cannot be caught on Windows */ }
  }
  return remove;
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
  const report = toStdout ? err : out;
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
  const options: ClientOptions = {
    ...cmd.transfer,
    signal: controller.signal,
    onProgress: !cmd.quiet && !cmd.trace && Deno.stderr.isTerminal()
      ? ({ bytes, total }) => {
        bar ??= new ProgressBar({ label: name, total });
        bar.update(bytes);
      }
      : undefined,
    onDatagram: cmd.trace
      ? (direction, peer, bytes) => err(`${formatTrace(direction, peer, bytes)}\n`)
      : undefined,
  };
  let result: TransferResult;
  try {
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
    if (bar) err("\n"); // end the unfinished bar line
    const failure = describeFailure(error, localName);
    if (cmd.json && failure.exitCode === 1) {
      report(`${failureJson(cmd.command, cmd.urlText, failure)}\n`);
    }
    err(failure.text);
    return stoppedBy ? SIGNAL_EXIT[stoppedBy] : failure.exitCode;
  } finally {
    stopListening();
  }
  bar?.update(result.stats.bytes); // tftpPut reports no progress after the last ACK
  bar?.done();
  if (cmd.json) report(`${resultJson(cmd.command, cmd.urlText, result)}\n`);
  else if (!cmd.quiet) err(`${formatSummary(cmd.command, cmd.url.path, result)}\n`);
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
  let server: TftpServer;
  try {
    server = serveTftp({
      root: cmd.root,
      ...cmd.server,
      onTransfer: cmd.quiet ? undefined : (record) => {
        out(`${cmd.json ? transferLogJson(record, new Date()) : formatTransferLog(record)}\n`);
      },
      onDatagram: cmd.trace
        ? (direction, peer, bytes) => err(`${formatTrace(direction, peer, bytes)}\n`)
        : undefined,
    });
  } catch (error) {
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
  try {
    out(`listening on ${formatHostPort(server.addr)}\n`);
    const stopped = await Promise.race([stop.promise.then(() => true), server.finished]);
    await server.shutdown();
    if (stopped !== true) throw new Error("The server stopped unexpectedly");
  } finally {
    stopListening();
  }
  return 0;
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

/**
 * `deno task` runs in the folder of deno.json; it passes the user's folder as INIT_CWD.
 * Relative paths (outputs, inputs, the served root) then mean what the user typed.
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
