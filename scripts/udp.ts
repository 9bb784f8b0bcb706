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
import { formatReceived, parseUdpCommandLine, type UdpCommand } from "./_udp_args.ts";
import { udpUsage } from "./_udp_usage.ts";
import {
  err,
  formatHostPort,
  interruptible,
  listen,
  onStopSignal,
  out,
  reportFailure,
  SIGNAL_EXIT,
  stopSignal,
} from "./_cli.ts";

type Command<K extends UdpCommand["command"]> = Extract<UdpCommand, { command: K }>;

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
    // Milliseconds, within 32 bits: clients drop a repeated packet number as a duplicate, and
    // two messages sent within one second must both arrive.
    packetNo: Date.now() % 2 ** 32,
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
    return reportFailure(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
