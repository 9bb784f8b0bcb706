/**
 * Arguments of the `tcp` command line: the argument vector to a {@linkcode TcpCommand} and the
 * usage text. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { encodeRequest } from "../lib/tcp/frame.ts";
import { DEFAULT_TCP_PORT, formatTcpUrl, parseTcpUrl } from "../lib/tcp/url.ts";
import type { TextEncodingName } from "../lib/text/encoding.ts";
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

export { DEFAULT_TCP_PORT };

/** The port `echo` listens on when no `--port` is given. */
export const DEFAULT_ECHO_PORT = 6007;
/** The port `chat --listen` listens on when no `--port` is given. */
export const DEFAULT_CHAT_PORT = 6001;

/** Where a server command listens. */
interface Listen {
  /** Listen address. */
  readonly hostname: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
}

/** A parsed command line. */
export type TcpCommand =
  | { readonly command: "help" }
  | Listen & {
    readonly command: "serve";
    /** The served directory. */
    readonly root: string;
    /** Classic raw mode instead of the framed protocol. */
    readonly raw: boolean;
    /** Idle connections are closed after this long; undefined for the library's default. */
    readonly idleTimeoutMs?: number;
    /** Time from connect to a complete request; undefined for the library's default. */
    readonly requestTimeoutMs?: number;
    /** A client taking no byte this long is dropped; undefined for the library's default. */
    readonly sendTimeoutMs?: number;
    /** Most connections at once; undefined for the library's default. */
    readonly maxConnections?: number;
    /** Most connections at once from one address; undefined for the library's default. */
    readonly maxConnectionsPerClient?: number;
    /** No per-request lines on stderr. */
    readonly quiet: boolean;
  }
  | {
    readonly command: "get";
    /** The file, as a `tcp://host:port/name` URL. */
    readonly url: string;
    /** The server, as `host:port` (`[v6]:port`), for messages. */
    readonly address: string;
    /** The file to fetch. */
    readonly name: string;
    /** Local path, or `-` for stdout. */
    readonly output: string;
    /** Classic raw mode instead of the framed protocol. */
    readonly raw: boolean;
    /** Connect and no-progress timeout; undefined for the library's default. */
    readonly timeoutMs?: number;
  }
  | Listen & {
    readonly command: "echo";
    /** Idle connections are closed after this long; undefined for the library's default. */
    readonly idleTimeoutMs?: number;
    /** No per-connection lines on stderr. */
    readonly quiet: boolean;
  }
  | Listen & {
    readonly command: "chat";
    /** `true`: wait for peers on hostname:port; `false`: connect to hostname:port. */
    readonly listen: boolean;
    /** The encoding on the wire. */
    readonly encoding: TextEncodingName;
  };

const SERVE_OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  raw: { type: "boolean" },
  "idle-timeout": { type: "string" },
  "request-timeout": { type: "string" },
  "send-timeout": { type: "string" },
  "max-connections": { type: "string" },
  "max-per-client": { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

/** The largest connection cap accepted. */
const MAX_LIMIT = 1_000_000;

/** A connection cap flag: a whole number from 1 to 1000000, or `undefined` when absent. */
function parseLimit(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw new UsageError(
      `${flag} must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

const GET_OPTIONS = {
  raw: { type: "boolean" },
  timeout: { type: "string" },
} as const;

const ECHO_OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  "idle-timeout": { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

function serveCommand(args: string[]): TcpCommand {
  const { values, positionals } = parseOptions("serve", args, SERVE_OPTIONS);
  if (positionals.length === 0) throw new UsageError("Missing <root>: serve <root>");
  rejectExtraOperands(positionals, 1);
  const root = positionals[0];
  if (root === "") throw new UsageError("<root> must not be empty");
  return {
    command: "serve",
    root,
    hostname: parseHost("--host", values.host, "0.0.0.0"),
    port: parsePort("--port", values.port, DEFAULT_TCP_PORT),
    raw: !!values.raw,
    idleTimeoutMs: parseSeconds("--idle-timeout", values["idle-timeout"]),
    requestTimeoutMs: parseSeconds("--request-timeout", values["request-timeout"]),
    sendTimeoutMs: parseSeconds("--send-timeout", values["send-timeout"]),
    maxConnections: parseLimit("--max-connections", values["max-connections"]),
    maxConnectionsPerClient: parseLimit("--max-per-client", values["max-per-client"]),
    quiet: !!values.quiet,
  };
}

/**
 * The local name for a fetched `name`: its last path segment. Throws
 * {@linkcode UsageError} when that cannot name a local file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localBaseName } from "./_tcp_args.ts";
 * assert.equal(localBaseName("boot/kernel"), "kernel");
 * assert.throws(() => localBaseName("a/.."), /give \[output\]/);
 * ```
 */
export function localBaseName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (base === "" || base === "." || base === ".." || base.includes("\\")) {
    throw new UsageError(`Cannot name a local file after ${JSON.stringify(name)}: give [output]`);
  }
  return base;
}

/** The file a `get` names: from a `tcp://` URL, or from `<host:port> <name>`. */
function getSource(positionals: string[]): { url: string; address: string; name: string } {
  const [first, second] = positionals;
  let source: { hostname: string; port: number; name: string };
  if (/^tcp:\/\//i.test(first)) {
    try {
      source = parseTcpUrl(first);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } else {
    if (positionals.length < 2) throw new UsageError("Missing <name>");
    const { hostname, port } = parseAddress("<host:port>", first);
    try {
      encodeRequest(second);
    } catch (error) {
      throw new UsageError(`<name> ${(error as Error).message.replace(/^name /, "")}`);
    }
    source = { hostname, port, name: second };
  }
  let url: string;
  try {
    url = formatTcpUrl(source);
  } catch (error) {
    throw new UsageError(
      `<host:port> ${JSON.stringify(first)} has no usable host: ${
        (error as Error).message.replace(/^.*is invalid: /, "")
      }`,
    );
  }
  const { hostname, port, name } = source;
  const address = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  return { url, address, name };
}

function getCommand(args: string[]): TcpCommand {
  const { values, positionals } = parseOptions("get", args, GET_OPTIONS);
  if (positionals.length === 0) throw new UsageError("Missing <host:port> and <name>, or <url>");
  const { url, address, name } = getSource(positionals);
  const operands = /^tcp:\/\//i.test(positionals[0]) ? 1 : 2;
  rejectExtraOperands(positionals, operands + 1);
  const output = positionals[operands];
  if (output === "") throw new UsageError("[output] must not be empty");
  return {
    command: "get",
    url,
    address,
    name,
    output: output ?? localBaseName(name),
    raw: !!values.raw,
    timeoutMs: parseSeconds("--timeout", values.timeout),
  };
}

function echoCommand(args: string[]): TcpCommand {
  const { values, positionals } = parseOptions("echo", args, ECHO_OPTIONS);
  rejectExtraOperands(positionals, 0);
  return {
    command: "echo",
    hostname: parseHost("--host", values.host, "0.0.0.0"),
    port: parsePort("--port", values.port, DEFAULT_ECHO_PORT),
    idleTimeoutMs: parseSeconds("--idle-timeout", values["idle-timeout"]),
    quiet: !!values.quiet,
  };
}

function chatCommand(args: string[]): TcpCommand {
  const { values, positionals } = parseOptions("chat", args, CHAT_OPTIONS);
  const encoding = parseEncoding(values.encoding, "utf-8");
  if (values.listen) {
    rejectExtraOperands(positionals, 0);
    return {
      command: "chat",
      listen: true,
      hostname: parseHost("--host", values.host, "0.0.0.0"),
      port: parsePort("--port", values.port, DEFAULT_CHAT_PORT),
      encoding,
    };
  }
  if (values.host !== undefined || values.port !== undefined) {
    throw new UsageError(
      `Option ${values.host !== undefined ? "--host" : "--port"} needs --listen`,
    );
  }
  if (positionals.length === 0) throw new UsageError("Missing <host:port> (or give --listen)");
  rejectExtraOperands(positionals, 1);
  return {
    command: "chat",
    listen: false,
    ...parseAddress("<host:port>", positionals[0]),
    encoding,
  };
}

const COMMANDS: Record<string, (args: string[]) => TcpCommand> = {
  serve: serveCommand,
  get: getCommand,
  echo: echoCommand,
  chat: chatCommand,
};

/**
 * Parses the arguments after `tcp.ts`. Throws {@linkcode UsageError} for anything that
 * cannot run. `--help`/`-h` anywhere (before `--`) wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTcpCommandLine } from "./_tcp_args.ts";
 * const cmd = parseTcpCommandLine(["get", "127.0.0.1:6000", "boot/kernel"]);
 * assert.equal(cmd.command === "get" && cmd.url, "tcp://127.0.0.1:6000/boot/kernel");
 * assert.equal(cmd.command === "get" && cmd.output, "kernel");
 * ```
 */
export function parseTcpCommandLine(args: readonly string[]): TcpCommand {
  return parseSubcommand(args, COMMANDS);
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcpUsage } from "./_tcp_args.ts";
 * assert.ok(tcpUsage().includes("--idle-timeout S"));
 * ```
 */
export function tcpUsage(): string {
  return `tcp.ts: TCP tools: a file server and its client, an echo server, a two-way line chat

Usage:
  tcp.ts serve <root> [--host H] [--port P] [--raw] [--quiet] [--max-connections N]
               [--max-per-client N] [--request-timeout S] [--send-timeout S] [--idle-timeout S]
  tcp.ts get <host:port> <name> [output] [--raw] [--timeout S]
  tcp.ts get <tcp://host:port/name> [output] [--raw] [--timeout S]
  tcp.ts echo [--host H] [--port P] [--idle-timeout S] [--quiet]
  tcp.ts chat <host:port> [--encoding E]
  tcp.ts chat --listen [--host H] [--port P] [--encoding E]

serve  Serves the files under <root> (names cannot escape it) to many clients at once.
       Prints one line per connection on stderr, e.g.
       "127.0.0.1:53412 GET boot/kernel OK 1048576 B in 12 ms" (--quiet: none); dropped
       and refused clients say why, e.g. "... NO_REQUEST Request timeout: ...",
       "... BUSY Too many connections from this client (limit 32)". A failing accept (out
       of file descriptors) prints "accept failed: ..." and is retried, even with --quiet.
get    Fetches <name> from the server at <host:port> ([v6]:port for IPv6), or the file a
       tcp:// URL names (port ${DEFAULT_TCP_PORT} when omitted; escape spaces as %20), into
       [output]: "-" is stdout; default: the name's base name in the current directory, or
       inside [output] when it is a directory. The file is written to a temporary file and
       renamed only when every byte arrived.
echo   Sends every byte each client sends back to it, to any number of clients at once.
       Prints one line per connection on stderr (--quiet: none).
chat   Two-way line chat: lines typed on stdin go to the peer while the peer's lines are
       printed on stdout (control characters other than tab shown as \\xHH). End of stdin
       ends the chat. With --listen: waits for a peer, chats with one at a time (a second
       one is told it is busy and closed), and waits again when the peer leaves; "peer
       HOST:PORT connected" and "peer HOST:PORT left" go to stderr.

Servers print "listening on HOST:PORT" on stdout when ready; SIGINT or SIGTERM stops them.

Options:
  --host H             Address to listen on (default 0.0.0.0)
  --port P             Port to listen on; 0 picks a free one (default: serve ${DEFAULT_TCP_PORT}, echo
                       ${DEFAULT_ECHO_PORT}, chat --listen ${DEFAULT_CHAT_PORT})
  --max-connections N  serve: most connections served at once; more are answered
                       "ERROR Server busy: too many connections" and closed (default 1024)
  --max-per-client N   serve: most connections served at once from one client address; more
                       are answered "ERROR Server busy: ..." and closed (default 32)
  --request-timeout S  serve: drop a connection whose request is not complete S seconds after
                       it was accepted, however slowly it trickles in (default 10)
  --send-timeout S     serve: drop a client that takes no byte of the file for S seconds
                       (default 30)
  --idle-timeout S     serve, echo: close a connection that makes no progress for S seconds
                       (default 30)
  --timeout S          get: give up when connecting, or when no bytes arrive, for S seconds
                       (default 30)
  --raw                Classic raw mode: the client sends the bare name, the server sends the
                       bytes and closes (nothing at all for a missing file)
  --encoding E         chat: text encoding on the wire: utf-8 (default), gbk or gb18030
                       (Windows "network assistant" tools); stdin and stdout stay UTF-8
  --listen             chat: wait for peers instead of connecting
  -q, --quiet          serve, echo: no per-request or per-connection lines on stderr
  -h, --help           Show this help

Exit status:
  0    get: the file arrived whole; chat: stdin ended or the peer left; servers: stopped by
       SIGINT or SIGTERM (chat --listen: also when stdin ends)
  1    get: refused (not found, denied), dropped, timed out or not written; chat: could not
       connect; servers: could not listen, or <root> is not a directory
  2    Usage error: unknown command or option, missing or extra argument, bad number,
       address, URL, limit or encoding
  130  get, chat: interrupted by SIGINT (143: by SIGTERM)
`;
}
