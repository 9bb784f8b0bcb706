/**
 * `udp`: UDP tools on the command line: an echo server, a listener, a sender that also
 * reaches broadcast addresses and prints the replies, a two-way chat, and IP Messenger.
 *
 * ```sh
 * deno task udp listen --port 6002 --reply pong
 * deno task udp send '<broadcast>:6002' ping --wait 2
 * deno task udp chat 192.168.1.20:8080 --encoding gbk
 * deno task udp ipmsg 192.168.1.20 你好
 * ```
 *
 * Run `deno task udp --help` for the options. This file only wires the parsed command line
 * (`_udp_args.ts`) to `lib/udp_tools/`.
 *
 * @module
 */

import { decodeText, TextEncodingError } from "../lib/text/encoding.ts";
import { readLines } from "../lib/text/lines.ts";
import { sendBroadcast } from "../lib/udp_tools/broadcast.ts";
import { openUdpChat, type UdpChat, UdpNoPeerError } from "../lib/udp_tools/chat.ts";
import { serveUdpEcho, type UdpEchoDatagram } from "../lib/udp_tools/echo.ts";
import { encodeIpmsg, IPMSG_COMMAND } from "../lib/udp_tools/ipmsg.ts";
import { formatReceived, parseUdpCommandLine, type UdpCommand, udpUsage } from "./_udp_args.ts";
import { UsageError } from "./_cli_args.ts";
import { err, formatHostPort, onStopSignal, out, type StopSignal } from "./_cli.ts";

type Command<K extends UdpCommand["command"]> = Extract<UdpCommand, { command: K }>;

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Opens a server socket, saying where it could not listen; prints the listening line. */
async function listen<T extends { addr: Deno.NetAddr }>(
  where: { hostname: string; port: number },
  start: () => T | Promise<T>,
): Promise<T> {
  let server: T;
  try {
    server = await start();
  } catch (error) {
    throw new Error(`Cannot listen on ${formatHostPort(where)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  out(`listening on ${formatHostPort(server.addr)}\n`);
  return server;
}

/** Resolves with the first SIGINT or SIGTERM. */
function stopSignal(): Promise<StopSignal> {
  const { promise, resolve } = Promise.withResolvers<StopSignal>();
  onStopSignal(resolve);
  return promise;
}

function describeEcho({ from, bytes, error }: UdpEchoDatagram): string {
  const what = error === undefined ? "echoed" : "not echoed";
  return `${formatHostPort(from)} ${what} ${bytes} B${error === undefined ? "" : `: ${error}`}\n`;
}

async function echo(cmd: Command<"echo">): Promise<number> {
  const server = await listen(cmd, () =>
    serveUdpEcho({
      hostname: cmd.hostname,
      port: cmd.port,
      onDatagram: cmd.quiet ? undefined : (datagram) => err(describeEcho(datagram)),
    }));
  await stopSignal();
  await server.shutdown();
  return 0;
}

async function listenCommand(cmd: Command<"listen">): Promise<number> {
  const chat = await listen(
    cmd,
    () => openUdpChat({ hostname: cmd.hostname, port: cmd.port, encoding: cmd.encoding }),
  );
  onStopSignal(() => chat.close());
  try {
    let received = 0;
    for await (const { from, text } of chat.messages()) {
      out(formatReceived(from, text));
      if (cmd.reply !== undefined) {
        await chat.send(cmd.reply, from).catch((error) =>
          err(`warning: no reply to ${formatHostPort(from)}: ${(error as Error).message}\n`)
        );
      }
      if (cmd.count !== undefined && ++received >= cmd.count) break;
    }
  } finally {
    chat.close();
  }
  return 0;
}

/** Runs a client action that SIGINT/SIGTERM abort; returns 130/143 when one did. */
async function interruptible(action: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error(`Interrupted by ${signal}`));
  });
  try {
    return await action(controller.signal);
  } catch (error) {
    if (!stoppedBy) throw error;
    err(`error: ${(error as Error).message}\n`);
    return SIGNAL_EXIT[stoppedBy];
  } finally {
    stopListening();
  }
}

function send(cmd: Command<"send">): Promise<number> {
  return interruptible(async (signal) => {
    const replies = await sendBroadcast(cmd.to, cmd.payload, {
      hostname: cmd.hostname,
      port: cmd.port,
      waitMs: cmd.waitMs,
      maxReplies: cmd.count,
      signal,
      onReply: ({ from, bytes }) => out(formatReceived(from, decodeText(bytes, cmd.encoding))),
    });
    if (replies.length === 0) err("no replies\n");
    return 0;
  });
}

/** Sends each stdin line; a line that cannot go (encoding, nobody yet) is reported and skipped. */
async function sendLines(chat: UdpChat): Promise<void> {
  for await (const line of readLines(Deno.stdin.readable)) {
    try {
      await chat.send(line);
    } catch (error) {
      if (!(error instanceof UdpNoPeerError || error instanceof TextEncodingError)) throw error;
      err(`warning: line not sent: ${error.message}\n`);
    }
  }
}

async function chat(cmd: Command<"chat">): Promise<number> {
  const open = () =>
    openUdpChat({ ...cmd.local, peer: cmd.peer, encoding: cmd.encoding, fatal: true });
  let chat: UdpChat;
  if (cmd.peer) {
    chat = await open().catch((error) => {
      if (
        !(error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable)
      ) {
        throw error;
      }
      const local = formatHostPort({ hostname: cmd.local.hostname ?? "*", port: cmd.local.port });
      throw new Error(`Cannot bind ${local}: ${error.message}`, { cause: error });
    });
    err(`chatting with ${formatHostPort(chat.peer!)} from ${formatHostPort(chat.addr)}\n`);
  } else {
    chat = await listen({ hostname: cmd.local.hostname!, port: cmd.local.port }, open);
  }
  const stopped = stopSignal().then((signal) => cmd.peer ? SIGNAL_EXIT[signal] : 0);
  const receiving = (async () => {
    for await (const { from, text } of chat.messages()) out(formatReceived(from, text));
  })();
  try {
    return await Promise.race([sendLines(chat).then(() => 0), stopped]);
  } finally {
    chat.close();
    await receiving;
  }
}

async function ipmsg(cmd: Command<"ipmsg">): Promise<number> {
  const bytes = encodeIpmsg({
    packetNo: Math.floor(Date.now() / 1000),
    user: cmd.user,
    host: cmd.fromHost,
    command: IPMSG_COMMAND.SENDMSG,
    text: cmd.text,
  }, { encoding: cmd.encoding, fatal: true });
  await sendBroadcast(cmd.to, bytes, { waitMs: 0 });
  return 0;
}

async function main(args: string[]): Promise<number> {
  try {
    const cmd = parseUdpCommandLine(args);
    switch (cmd.command) {
      case "help":
        out(udpUsage());
        return 0;
      case "echo":
        return await echo(cmd);
      case "listen":
        return await listenCommand(cmd);
      case "send":
        return await send(cmd);
      case "chat":
        return await chat(cmd);
      case "ipmsg":
        return await ipmsg(cmd);
    }
  } catch (error) {
    const usage = error instanceof UsageError;
    err(`error: ${(error as Error).message}\n`);
    if (usage) err("Run with --help for usage.\n");
    return usage ? 2 : 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
