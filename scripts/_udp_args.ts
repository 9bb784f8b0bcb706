/**
 * Arguments of the `udp` command line: the argument vector to a {@linkcode UdpCommand}, the
 * usage text, and the line printed for a received datagram. Pure (no `Deno`), so it is tested
 * without permissions.
 *
 * @module
 */

import { showControlCharacters } from "../lib/text/visible.ts";
import { encodeText, parseTextEncoding, type TextEncodingName } from "../lib/text/encoding.ts";
import { encodeIpmsg, IPMSG_COMMAND, IPMSG_PORT } from "../lib/udp_tools/ipmsg.ts";
import {
  parseAddress,
  parseHost,
  parseOptions,
  parsePort,
  parseSeconds,
  UsageError,
} from "./_cli_args.ts";
import { formatHostPort } from "./_cli.ts";

/** The port `echo` listens on when no `--port` is given. */
export const DEFAULT_ECHO_PORT = 6007;
/** The port `chat --listen` listens on when no `--port` is given. */
export const DEFAULT_CHAT_PORT = 6001;
/** The port `listen` listens on when no `--port` is given. */
export const DEFAULT_LISTEN_PORT = 6002;
/** How long `send` waits for replies when no `--wait` is given. */
export const DEFAULT_WAIT_MS = 1000;
/** The user and host names `ipmsg` sends when none are given. */
export const DEFAULT_IPMSG_NAME = "tftpkit";
/** The largest UDP payload over IPv4. */
export const MAX_DATAGRAM_BYTES = 65507;

/** A local address: where a server listens, or what a client binds. */
interface Local {
  /** Local address. */
  readonly hostname: string;
  /** Local port; 0 picks a free one. */
  readonly port: number;
}

/** A destination. */
interface Target {
  /** Host or address as given (`<broadcast>` allowed where said). */
  readonly hostname: string;
  /** Port, 1 to 65535. */
  readonly port: number;
}

/** A parsed command line. */
export type UdpCommand =
  | { readonly command: "help" }
  | Local & {
    readonly command: "echo";
    /** No per-datagram lines on stderr. */
    readonly quiet: boolean;
  }
  | Local & {
    readonly command: "listen";
    /** The encoding of received text and of the reply. */
    readonly encoding: TextEncodingName;
    /** Sent back to each sender; undefined for none. */
    readonly reply?: string;
    /** Stop after this many datagrams; undefined to run until stopped. */
    readonly count?: number;
  }
  | {
    readonly command: "send";
    /** The destination; `<broadcast>` allowed. */
    readonly to: Target;
    /** The text, for messages. */
    readonly text: string;
    /** The text, encoded: the datagram. */
    readonly payload: Uint8Array;
    /** The encoding of the text and of the replies. */
    readonly encoding: TextEncodingName;
    /** How long to wait for replies. */
    readonly waitMs: number;
    /** Stop after this many replies; undefined for no limit. */
    readonly count?: number;
    /** Local address to bind; undefined for the default of the destination's family. */
    readonly hostname?: string;
    /** Local port; 0 picks a free one. */
    readonly port: number;
  }
  | {
    readonly command: "chat";
    /** Where to listen (`--listen`) or what to bind (undefined: chosen for the peer). */
    readonly local: { readonly hostname?: string; readonly port: number };
    /** The peer to talk to; undefined with `--listen`. */
    readonly peer?: Target;
    /** The encoding on the wire. */
    readonly encoding: TextEncodingName;
  }
  | {
    readonly command: "ipmsg";
    /** The destination; `<broadcast>` allowed. */
    readonly to: Target;
    /** The message. */
    readonly text: string;
    /** The user name sent. */
    readonly user: string;
    /** The host name sent. */
    readonly fromHost: string;
    /** The encoding of the packet. */
    readonly encoding: TextEncodingName;
  };

const LISTEN_OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  encoding: { type: "string" },
  reply: { type: "string" },
  count: { type: "string" },
} as const;

const SEND_OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  encoding: { type: "string" },
  wait: { type: "string" },
  count: { type: "string" },
} as const;

const CHAT_OPTIONS = {
  listen: { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  encoding: { type: "string" },
} as const;

const IPMSG_OPTIONS = {
  port: { type: "string" },
  user: { type: "string" },
  "from-host": { type: "string" },
  encoding: { type: "string" },
} as const;

function noMore(positionals: string[], allowed: number): void {
  if (positionals.length > allowed) {
    throw new UsageError(`Unexpected argument: ${JSON.stringify(positionals[allowed])}`);
  }
}

function encodingOption(text: string | undefined, fallback: TextEncodingName): TextEncodingName {
  if (text === undefined) return fallback;
  try {
    return parseTextEncoding(text);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
}

function countOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : 0;
  if (n < 1) {
    throw new UsageError(
      `--count must be a whole number from 1 to 999999999, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** The text encoded, or a usage error naming `what` when a character cannot be written. */
function encodeOperand(what: string, text: string, encoding: TextEncodingName): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeText(text, encoding, { fatal: true });
  } catch (error) {
    throw new UsageError(`${what} cannot be sent: ${(error as Error).message}`);
  }
  if (bytes.length > MAX_DATAGRAM_BYTES) {
    throw new UsageError(
      `${what} is ${bytes.length} bytes in ${encoding}; a UDP datagram holds at most ${MAX_DATAGRAM_BYTES}`,
    );
  }
  return bytes;
}

function echoCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("echo", args, {
    host: { type: "string" },
    port: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  });
  noMore(positionals, 0);
  return {
    command: "echo",
    hostname: parseHost("--host", values.host, "0.0.0.0"),
    port: parsePort("--port", values.port, DEFAULT_ECHO_PORT),
    quiet: !!values.quiet,
  };
}

function listenCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("listen", args, LISTEN_OPTIONS);
  noMore(positionals, 0);
  const encoding = encodingOption(values.encoding, "utf-8");
  if (values.reply !== undefined) encodeOperand("--reply", values.reply, encoding);
  return {
    command: "listen",
    hostname: parseHost("--host", values.host, "0.0.0.0"),
    port: parsePort("--port", values.port, DEFAULT_LISTEN_PORT),
    encoding,
    reply: values.reply,
    count: countOption(values.count),
  };
}

function sendCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("send", args, SEND_OPTIONS);
  if (positionals.length < 2) {
    throw new UsageError(
      positionals.length === 0 ? "Missing <host:port> and <text>" : "Missing <text>",
    );
  }
  noMore(positionals, 2);
  const [address, text] = positionals;
  const to = parseAddress("<host:port>", address);
  const encoding = encodingOption(values.encoding, "utf-8");
  return {
    command: "send",
    to,
    text,
    payload: encodeOperand("<text>", text, encoding),
    encoding,
    waitMs: parseSeconds("--wait", values.wait) ?? DEFAULT_WAIT_MS,
    count: countOption(values.count),
    hostname: values.host === undefined ? undefined : parseHost("--host", values.host, ""),
    port: parsePort("--port", values.port, 0),
  };
}

function chatCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("chat", args, CHAT_OPTIONS);
  const encoding = encodingOption(values.encoding, "utf-8");
  if (values.listen) {
    noMore(positionals, 0);
    return {
      command: "chat",
      local: {
        hostname: parseHost("--host", values.host, "0.0.0.0"),
        port: parsePort("--port", values.port, DEFAULT_CHAT_PORT),
      },
      encoding,
    };
  }
  if (positionals.length === 0) throw new UsageError("Missing <host:port> (or give --listen)");
  noMore(positionals, 1);
  return {
    command: "chat",
    local: {
      hostname: values.host === undefined ? undefined : parseHost("--host", values.host, ""),
      port: parsePort("--port", values.port, 0),
    },
    peer: parseAddress("<host:port>", positionals[0]),
    encoding,
  };
}

function ipmsgCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("ipmsg", args, IPMSG_OPTIONS);
  if (positionals.length < 2) {
    throw new UsageError(positionals.length === 0 ? "Missing <host> and <text>" : "Missing <text>");
  }
  noMore(positionals, 2);
  const [host, text] = positionals;
  const port = values.port === undefined ? IPMSG_PORT : Number(values.port);
  if (
    values.port !== undefined && !(/^[0-9]{1,5}$/.test(values.port) && port >= 1 && port <= 65535)
  ) {
    throw new UsageError(
      `--port must be a whole number from 1 to 65535, got ${JSON.stringify(values.port)}`,
    );
  }
  const user = values.user ?? DEFAULT_IPMSG_NAME;
  const fromHost = values["from-host"] ?? DEFAULT_IPMSG_NAME;
  for (const [flag, value] of [["--user", user], ["--from-host", fromHost]]) {
    if (/[:\0]/.test(value)) {
      throw new UsageError(`${flag} must not contain ":" or NUL, got ${JSON.stringify(value)}`);
    }
  }
  if (text.includes("\0")) throw new UsageError("<text> must not contain NUL");
  const encoding = encodingOption(values.encoding, "gbk");
  const sample = { packetNo: 0, user, host: fromHost, command: IPMSG_COMMAND.SENDMSG, text };
  let bytes: Uint8Array;
  try {
    bytes = encodeIpmsg(sample, { encoding, fatal: true });
  } catch (error) {
    throw new UsageError(`The message cannot be sent: ${(error as Error).message}`);
  }
  if (bytes.length + 16 > MAX_DATAGRAM_BYTES) {
    throw new UsageError(`<text> is too long for one datagram (${bytes.length} bytes)`);
  }
  return {
    command: "ipmsg",
    to: { hostname: parseHost("<host>", host, ""), port },
    text,
    user,
    fromHost,
    encoding,
  };
}

const COMMANDS: Record<string, (args: string[]) => UdpCommand> = {
  echo: echoCommand,
  listen: listenCommand,
  send: sendCommand,
  chat: chatCommand,
  ipmsg: ipmsgCommand,
};

/**
 * Parses the arguments after `udp.ts`. Throws {@linkcode UsageError} for anything that
 * cannot run, including text the chosen encoding cannot write. `--help`/`-h` anywhere (before
 * `--`) wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUdpCommandLine } from "./_udp_args.ts";
 * const cmd = parseUdpCommandLine(["send", "<broadcast>:6002", "ping", "--wait", "2"]);
 * assert.deepEqual(cmd.command === "send" && [cmd.to, cmd.waitMs], [
 *   { hostname: "<broadcast>", port: 6002 },
 *   2000,
 * ]);
 * ```
 *
 * @param args The arguments.
 * @returns The command to run.
 */
export function parseUdpCommandLine(args: readonly string[]): UdpCommand {
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    return { command: "help" };
  }
  const [first, ...rest] = args;
  const names = Object.keys(COMMANDS).join(", ");
  if (first === undefined) throw new UsageError(`Missing command: expected ${names}`);
  if (first === "help" && rest.length === 0) return { command: "help" };
  if (Object.hasOwn(COMMANDS, first)) return COMMANDS[first](rest);
  throw new UsageError(
    first.startsWith("-")
      ? `Expected a command (${names}) before ${JSON.stringify(first)}`
      : `Unknown command ${JSON.stringify(first)}: expected ${names}`,
  );
}

/**
 * The line printed for a received datagram: `host:port: text`, control characters made
 * visible (`\x0a` for a line feed), then a line feed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReceived } from "./_udp_args.ts";
 * assert.equal(formatReceived({ hostname: "::1", port: 7 }, "hi\n"), "[::1]:7: hi\\x0a\n");
 * ```
 *
 * @param from The sender.
 * @param text The decoded text.
 * @returns The line, with its line feed.
 */
export function formatReceived(from: { hostname: string; port: number }, text: string): string {
  return `${formatHostPort(from)}: ${showControlCharacters(text)}\n`;
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { udpUsage } from "./_udp_args.ts";
 * assert.ok(udpUsage().includes("udp.ts ipmsg  <host> <text>"));
 * ```
 *
 * @returns The text, ending with a line feed.
 */
export function udpUsage(): string {
  return `udp.ts: UDP tools: echo server, listener, sender (broadcast too), chat, IP Messenger

Usage:
  udp.ts echo   [--host H] [--port P] [--quiet]
  udp.ts listen [--host H] [--port P] [--encoding E] [--reply TEXT] [--count N]
  udp.ts send   <host:port> <text> [--encoding E] [--wait S] [--count N] [--host H] [--port P]
  udp.ts chat   <host:port> [--host H] [--port P] [--encoding E]
  udp.ts chat   --listen [--host H] [--port P] [--encoding E]
  udp.ts ipmsg  <host> <text> [--port P] [--user U] [--from-host NAME] [--encoding E]

echo    Sends every datagram back to its sender, byte for byte (RFC 862); one line per
        datagram on stderr unless --quiet.
listen  Prints each datagram as "HOST:PORT: TEXT" (control characters shown as \\xHH);
        with --reply, answers each sender with TEXT (so "send" to a broadcast address sees
        who is there).
send    Sends <text> as one datagram to <host:port> ([v6]:port for IPv6). The host may be
        "<broadcast>" (255.255.255.255, this link) or a directed broadcast address such as
        192.168.1.255. Then prints the replies as listen does, for --wait seconds; says
        "no replies" on stderr when none came.
chat    Each line typed on stdin goes to the peer as one datagram (without the line feed)
        while the datagrams that arrive are printed as listen does; end of stdin ends it.
        With --listen: waits for peers and answers whoever spoke last.
ipmsg   Sends one IP Messenger / Feiq message (IPMSG_SENDMSG) to <host> on UDP port 2425;
        <host> may be "<broadcast>". Prints nothing when sent.

Servers (echo, listen, chat --listen) print "listening on HOST:PORT" on stdout when ready;
SIGINT or SIGTERM stops them.

Options:
  --host H             Address to listen on (default 0.0.0.0; "::" for IPv6); send and chat
                       <host:port>: local address to bind (default: chosen for the peer)
  --port P             Port to listen on; 0 picks a free one (default: echo ${DEFAULT_ECHO_PORT}, listen
                       ${DEFAULT_LISTEN_PORT}, chat --listen ${DEFAULT_CHAT_PORT}); send and chat <host:port>: local port
                       (default 0); ipmsg: the destination port (default ${IPMSG_PORT})
  --encoding E         Text encoding on the wire: utf-8, gbk or gb18030 (default utf-8; ipmsg
                       gbk)
  --reply TEXT         listen: answer each datagram with TEXT
  --count N            listen: stop after N datagrams; send: stop after N replies
  --wait S             send: seconds to wait for replies (default ${DEFAULT_WAIT_MS / 1000})
  --user U             ipmsg: user name sent (default ${DEFAULT_IPMSG_NAME})
  --from-host NAME     ipmsg: host name sent (default ${DEFAULT_IPMSG_NAME})
  -q, --quiet          echo: no line per datagram
  -h, --help           Show this help

Exit status:
  0    Done; send: with or without replies; servers: stopped by SIGINT or SIGTERM
  1    Could not listen, resolve the host or send (no route, say)
  2    Usage error: unknown command or option, missing or extra argument, bad number,
       address or encoding, text the encoding cannot write
  130  send, chat <host:port>: interrupted by SIGINT (143: by SIGTERM)
`;
}
