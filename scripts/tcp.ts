/**
 * `tcp`: TCP tools on the command line: a file server and its client, an echo server, and a
 * two-way line chat.
 *
 * ```sh
 * deno task tcp serve ./files --port 6000
 * deno task tcp get 127.0.0.1:6000 boot/kernel
 * deno task tcp echo --port 0
 * deno task tcp chat --listen --encoding gbk
 * ```
 *
 * Run `deno task tcp --help` for the options. This file only wires the parsed command line
 * (`_tcp_args.ts`) to `lib/tcp/`.
 *
 * @module
 */

import { join } from "node:path";
import { chatOverConnection } from "../lib/tcp/chat.ts";
import { showControlCharacters } from "../lib/text/visible.ts";
import { serveTcpChat } from "../lib/tcp/chat_server.ts";
import { tcpGet } from "../lib/tcp/client.ts";
import { serveTcpEcho, type TcpEchoRecord } from "../lib/tcp/echo.ts";
import { formatTcpRequest } from "../lib/tcp/request_log.ts";
import { serveTcpFiles } from "../lib/tcp/server.ts";
import { readLines } from "../lib/text/lines.ts";
import { localBaseName, parseTcpCommandLine, type TcpCommand, tcpUsage } from "./_tcp_args.ts";
import {
  enterUserFolder,
  err,
  formatHostPort,
  interruptible,
  listen,
  onStopSignal,
  out,
  reportFailure,
  stopSignal,
} from "./_cli.ts";

type Command<K extends TcpCommand["command"]> = Extract<TcpCommand, { command: K }>;

async function serve(cmd: Command<"serve">): Promise<number> {
  let isDirectory = false;
  try {
    isDirectory = (await Deno.stat(cmd.root)).isDirectory;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!isDirectory) throw new Error(`Root ${JSON.stringify(cmd.root)} is not a directory`);
  const server = await listen(cmd, () =>
    serveTcpFiles({
      root: cmd.root,
      hostname: cmd.hostname,
      port: cmd.port,
      raw: cmd.raw,
      idleTimeoutMs: cmd.idleTimeoutMs,
      requestTimeoutMs: cmd.requestTimeoutMs,
      sendTimeoutMs: cmd.sendTimeoutMs,
      maxConnections: cmd.maxConnections,
      maxConnectionsPerClient: cmd.maxConnectionsPerClient,
      onRequest: cmd.quiet ? undefined : (record) => err(`${formatTcpRequest(record)}\n`),
      onAcceptError: (error, retryInMs) =>
        err(`accept failed: ${error.message}; retrying in ${retryInMs} ms\n`),
    }));
  await stopSignal();
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

function get(cmd: Command<"get">): Promise<number> {
  return interruptible(async (signal) => {
    const target = cmd.output === "-"
      ? Deno.stdout.writable
      : await resolveOutput(cmd.output, cmd.name);
    await tcpGet(cmd.url, target, { raw: cmd.raw, timeoutMs: cmd.timeoutMs, signal });
    return 0;
  });
}

function describeEcho(record: TcpEchoRecord): string {
  const { peer, bytes, durationMs, end, message } = record;
  const why = end === "peer" ? "" : `, ${end}${message === undefined ? "" : `: ${message}`}`;
  return `${formatHostPort(peer)} echoed ${bytes} B in ${Math.round(durationMs)} ms${why}\n`;
}

async function echo(cmd: Command<"echo">): Promise<number> {
  const server = await listen(cmd, () =>
    serveTcpEcho({
      hostname: cmd.hostname,
      port: cmd.port,
      idleTimeoutMs: cmd.idleTimeoutMs,
      onConnection: cmd.quiet ? undefined : (record) => err(describeEcho(record)),
    }));
  await stopSignal();
  await server.shutdown();
  return 0;
}

const printLine = (line: string) => out(`${showControlCharacters(line)}\n`);

async function chatListen(cmd: Command<"chat">): Promise<number> {
  const server = await listen(cmd, () =>
    serveTcpChat({
      input: readLines(Deno.stdin.readable),
      onLine: printLine,
      onPeer: ({ type, peer }) =>
        err(`peer ${formatHostPort(peer)} ${type === "busy" ? "turned away (busy)" : type}\n`),
      hostname: cmd.hostname,
      port: cmd.port,
      encoding: cmd.encoding,
    }));
  onStopSignal(() => void server.shutdown());
  await server.finished;
  return 0;
}

function chat(cmd: Command<"chat">): Promise<number> {
  if (cmd.listen) return chatListen(cmd);
  return interruptible(async (signal) => {
    const conn = await Deno.connect({ hostname: cmd.hostname, port: cmd.port, signal });
    const peer = formatHostPort(conn.remoteAddr);
    err(`connected to ${peer}\n`);
    const { endedBy } = await chatOverConnection(conn, {
      input: readLines(Deno.stdin.readable),
      onLine: printLine,
      encoding: cmd.encoding,
      signal,
    });
    if (endedBy === "peer") err(`peer ${peer} left\n`);
    return 0;
  }, { report: false });
}

/** One line for a failure: the library's message, or what a socket error means. */
function describe(error: unknown, cmd: TcpCommand): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.ConnectionRefused) {
    if (cmd.command === "get") return `Connection refused by ${cmd.address}`;
    if (cmd.command === "chat") return `Connection refused by ${formatHostPort(cmd)}`;
  }
  return message;
}

async function main(args: string[]): Promise<number> {
  let cmd: TcpCommand | undefined;
  try {
    cmd = parseTcpCommandLine(args);
    switch (cmd.command) {
      case "help":
        out(tcpUsage());
        return 0;
      case "serve":
        return await serve(cmd);
      case "get":
        return await get(cmd);
      case "echo":
        return await echo(cmd);
      case "chat":
        return await chat(cmd);
    }
  } catch (error) {
    return cmd ? reportFailure(error, describe(error, cmd)) : reportFailure(error);
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
