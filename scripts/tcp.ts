/**
 * `tcp`: the TCP file service on the command line.
 *
 * ```sh
 * deno task tcp serve ./files --port 6000
 * deno task tcp get 127.0.0.1:6000 boot/kernel
 * ```
 *
 * Run `deno task tcp --help` for the options. This file only wires the parsed command line
 * (`_tcp_args.ts`) to the server and client of `lib/tcp/`.
 *
 * @module
 */

import { join } from "node:path";
import { tcpGet } from "../lib/tcp/client.ts";
import { serveTcpFiles, type TcpFileServer } from "../lib/tcp/server.ts";
import {
  localBaseName,
  parseTcpCommandLine,
  type TcpCommand,
  tcpUsage,
  TcpUsageError,
} from "./_tcp_args.ts";
import {
  enterUserFolder,
  err,
  formatHostPort,
  onStopSignal,
  out,
  type StopSignal,
} from "./_cli.ts";

type ServeCommand = Extract<TcpCommand, { command: "serve" }>;
type GetCommand = Extract<TcpCommand, { command: "get" }>;

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

async function serve(cmd: ServeCommand): Promise<number> {
  let isDirectory = false;
  try {
    isDirectory = (await Deno.stat(cmd.root)).isDirectory;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!isDirectory) throw new Error(`Root ${JSON.stringify(cmd.root)} is not a directory`);
  let server: TcpFileServer;
  try {
    server = serveTcpFiles({
      root: cmd.root,
      hostname: cmd.hostname,
      port: cmd.port,
      raw: cmd.raw,
      idleTimeoutMs: cmd.idleTimeoutMs,
    });
  } catch (error) {
    throw new Error(
      `Cannot listen on ${formatHostPort({ hostname: cmd.hostname, port: cmd.port })}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  onStopSignal(() => resolve());
  out(`listening on ${formatHostPort(server.addr)}\n`);
  await stopped;
  await server.shutdown();
  return 0;
}

/** Where get writes: the path given, or the name's base name inside a directory given. */
async function resolveOutput(output: string, name: string): Promise<string> {
  try {
    if ((await Deno.stat(output)).isDirectory) return join(output, localBaseName(name));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return output;
}

async function get(cmd: GetCommand): Promise<number> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error(`Interrupted by ${signal}`));
  });
  try {
    const target = cmd.output === "-"
      ? Deno.stdout.writable
      : await resolveOutput(cmd.output, cmd.name);
    await tcpGet(cmd.address, cmd.name, target, {
      raw: cmd.raw,
      timeoutMs: cmd.timeoutMs,
      signal: controller.signal,
    });
    return 0;
  } catch (error) {
    if (!stoppedBy) throw error;
    err(`error: ${(error as Error).message}\n`);
    return SIGNAL_EXIT[stoppedBy];
  } finally {
    stopListening();
  }
}

/** One line for a failure of `get`: the library's message, or what a socket error means. */
function describe(error: unknown, cmd: TcpCommand): string {
  const message = error instanceof Error ? error.message : String(error);
  if (cmd.command === "get" && error instanceof Deno.errors.ConnectionRefused) {
    return `Connection refused by ${cmd.address}`;
  }
  return message;
}

async function main(args: string[]): Promise<number> {
  let cmd: TcpCommand | undefined;
  try {
    cmd = parseTcpCommandLine(args);
    if (cmd.command === "help") {
      out(tcpUsage());
      return 0;
    }
    return cmd.command === "serve" ? await serve(cmd) : await get(cmd);
  } catch (error) {
    const usage = error instanceof TcpUsageError;
    err(`error: ${cmd ? describe(error, cmd) : (error as Error).message}\n`);
    if (usage) err("Run with --help for usage.\n");
    return usage ? 2 : 1;
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
