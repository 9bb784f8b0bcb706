/**
 * Arguments of the `udp` command line: the argument vector to a {@linkcode UdpCommand} and the
 * line printed for a received datagram (the usage text is in `_udp_usage.ts`). Pure (no
 * `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { showControlCharacters } from "../lib/text/visible.ts";
import { encodeText, type TextEncodingName } from "../lib/text/encoding.ts";
import { encodeIpmsg, IPMSG_COMMAND, IPMSG_PORT } from "../lib/udp_tools/ipmsg.ts";
import {
  CHAT_OPTIONS,
  parseAddress,
  parseEncoding,
  parseHost,
  parseOptions,
  parsePort,
  parseSeconds,
  parseSubcommand,
  rejectExtraOperands,
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

const IPMSG_OPTIONS = {
  port: { type: "string" },
  user: { type: "string" },
  "from-host": { type: "string" },
  encoding: { type: "string" },
} as const;

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
  rejectExtraOperands(positionals, 0);
  return {
    command: "echo",
    hostname: parseHost("--host", values.host, "0.0.0.0"),
    port: parsePort("--port", values.port, DEFAULT_ECHO_PORT),
    quiet: !!values.quiet,
  };
}

function listenCommand(args: string[]): UdpCommand {
  const { values, positionals } = parseOptions("listen", args, LISTEN_OPTIONS);
  rejectExtraOperands(positionals, 0);
  const encoding = parseEncoding(values.encoding, "utf-8");
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
  rejectExtraOperands(positionals, 2);
  const [address, text] = positionals;
  const to = parseAddress("<host:port>", address);
  const encoding = parseEncoding(values.encoding, "utf-8");
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
  const encoding = parseEncoding(values.encoding, "utf-8");
  if (values.listen) {
    rejectExtraOperands(positionals, 0);
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
  rejectExtraOperands(positionals, 1);
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
  rejectExtraOperands(positionals, 2);
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
  const encoding = parseEncoding(values.encoding, "gbk");
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
  return parseSubcommand(args, COMMANDS);
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
