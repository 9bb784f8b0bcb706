/**
 * Arguments of the `tcp` command line: the argument vector to a {@linkcode TcpCommand} and the
 * usage text. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseHostPort } from "../lib/tcp/client.ts";
import { encodeRequest } from "../lib/tcp/frame.ts";

/** A command line that cannot be run as written; the CLI exits with status 2. */
export class TcpUsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TcpUsageError";
  }
}

/** A parsed command line: serve a directory, get one file, or print the help. */
export type TcpCommand = { readonly command: "help" } | {
  readonly command: "serve";
  /** The served directory. */
  readonly root: string;
  /** Listen address. */
  readonly hostname: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
  /** Classic raw mode instead of the framed protocol. */
  readonly raw: boolean;
  /** Idle connections are closed after this long; undefined for the library's default. */
  readonly idleTimeoutMs?: number;
} | {
  readonly command: "get";
  /** The server, as given (`host:port` or `[v6]:port`). */
  readonly address: string;
  /** The file to fetch. */
  readonly name: string;
  /** Local path, or `-` for stdout. */
  readonly output: string;
  /** Classic raw mode instead of the framed protocol. */
  readonly raw: boolean;
  /** Connect and no-progress timeout; undefined for the library's default. */
  readonly timeoutMs?: number;
};

/** The port `serve` listens on when no `--port` is given. */
export const DEFAULT_TCP_PORT = 6000;

/** The longest timeout accepted, in seconds (one day). */
const MAX_TIMEOUT_S = 86_400;

const SERVE_OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  raw: { type: "boolean" },
  "idle-timeout": { type: "string" },
} as const;

const GET_OPTIONS = {
  raw: { type: "boolean" },
  timeout: { type: "string" },
} as const;

function parseFailure(command: string, error: unknown): TcpUsageError {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new TcpUsageError(`Unknown option ${JSON.stringify(flag)} for ${command}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (message.includes("does not take")) {
      return new TcpUsageError(`Option ${flag} takes no value`);
    }
    return new TcpUsageError(`Option ${flag} needs a value`);
  }
  return new TcpUsageError(message.split("\n")[0]);
}

function seconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^(?:[0-9]{1,10}(?:\.[0-9]{1,6})?|\.[0-9]{1,6})$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= MAX_TIMEOUT_S)) {
    throw new TcpUsageError(
      `${flag} must be a number of seconds above 0 and at most ${MAX_TIMEOUT_S}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return Math.max(1, Math.round(n * 1000));
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function serveCommand(args: string[]): TcpCommand {
  let parsed;
  try {
    parsed = parseArgs({ args, options: SERVE_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw parseFailure("serve", error);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new TcpUsageError("Missing <root>: serve <root>");
  if (positionals.length > 1) {
    throw new TcpUsageError(`Unexpected argument: ${JSON.stringify(positionals[1])}`);
  }
  const root = positionals[0];
  if (root === "") throw new TcpUsageError("<root> must not be empty");
  const hostname = unbracket(values.host ?? "0.0.0.0");
  if (hostname === "") throw new TcpUsageError("--host must not be empty");
  let port = DEFAULT_TCP_PORT;
  if (values.port !== undefined) {
    port = /^[0-9]{1,5}$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port <= 65535)) {
      throw new TcpUsageError(
        `--port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}`,
      );
    }
  }
  return {
    command: "serve",
    root,
    hostname,
    port,
    raw: !!values.raw,
    idleTimeoutMs: seconds("--idle-timeout", values["idle-timeout"]),
  };
}

/**
 * The local name for a fetched `name`: its last path segment. Throws
 * {@linkcode TcpUsageError} when that cannot name a local file.
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
    throw new TcpUsageError(
      `Cannot name a local file after ${JSON.stringify(name)}: give [output]`,
    );
  }
  return base;
}

function getCommand(args: string[]): TcpCommand {
  let parsed;
  try {
    parsed = parseArgs({ args, options: GET_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw parseFailure("get", error);
  }
  const { values, positionals } = parsed;
  if (positionals.length < 2) {
    throw new TcpUsageError(
      positionals.length === 0 ? "Missing <host:port> and <name>" : "Missing <name>",
    );
  }
  if (positionals.length > 3) {
    throw new TcpUsageError(`Unexpected argument: ${JSON.stringify(positionals[3])}`);
  }
  const [address, name, output] = positionals;
  try {
    parseHostPort(address);
  } catch (error) {
    throw new TcpUsageError(`<host:port> ${(error as Error).message.replace(/^address /, "")}`);
  }
  try {
    encodeRequest(name);
  } catch (error) {
    throw new TcpUsageError(`<name> ${(error as Error).message.replace(/^name /, "")}`);
  }
  if (output === "") throw new TcpUsageError("[output] must not be empty");
  return {
    command: "get",
    address,
    name,
    output: output ?? localBaseName(name),
    raw: !!values.raw,
    timeoutMs: seconds("--timeout", values.timeout),
  };
}

/**
 * Parses the arguments after `tcp.ts`. Throws {@linkcode TcpUsageError} for anything that
 * cannot run. `--help`/`-h` anywhere (before `--`) wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTcpCommandLine } from "./_tcp_args.ts";
 * const cmd = parseTcpCommandLine(["get", "127.0.0.1:6000", "boot/kernel"]);
 * assert.equal(cmd.command === "get" && cmd.output, "kernel");
 * ```
 */
export function parseTcpCommandLine(args: readonly string[]): TcpCommand {
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    return { command: "help" };
  }
  const [first, ...rest] = args;
  if (first === undefined) throw new TcpUsageError("Missing command: expected serve or get");
  if (first === "help" && rest.length === 0) return { command: "help" };
  if (first === "serve") return serveCommand(rest);
  if (first === "get") return getCommand(rest);
  throw new TcpUsageError(
    first.startsWith("-")
      ? `Expected a command (serve, get) before ${JSON.stringify(first)}`
      : `Unknown command ${JSON.stringify(first)}: expected serve or get`,
  );
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
  return `tcp.ts: serve a directory over TCP, or fetch one file from such a server

Usage:
  tcp.ts serve <root> [--host H] [--port P] [--raw] [--idle-timeout S]
  tcp.ts get <host:port> <name> [output] [--raw] [--timeout S]

serve  Serves the files under <root> (names cannot escape it) to any number of clients at
       once. When ready it prints "listening on HOST:PORT"; SIGINT or SIGTERM stops it.
get    Fetches <name> from the server at <host:port> ([v6]:port for IPv6) into [output]:
       "-" is stdout; default: the name's base name in the current directory, or inside
       [output] when it is a directory. The file is written to a temporary file and renamed
       only when every byte arrived.

Options:
  --host H             serve: address to listen on (default 0.0.0.0)
  --port P             serve: port to listen on; 0 picks a free one (default ${DEFAULT_TCP_PORT})
  --idle-timeout S     serve: close a connection that makes no progress for S seconds
                       (default 30)
  --timeout S          get: give up when connecting, or when no bytes arrive, for S seconds
                       (default 30)
  --raw                Classic raw mode: the client sends the bare name, the server sends the
                       bytes and closes (nothing at all for a missing file)
  -h, --help           Show this help

Exit status:
  0    get: the file arrived whole; serve: stopped by SIGINT or SIGTERM
  1    get: refused (not found, denied), dropped, timed out or not written; serve: could
       not listen or <root> is not a directory
  2    Usage error: unknown command or option, missing or extra argument, bad number or
       address
  130  get: interrupted by SIGINT (143: by SIGTERM)
`;
}
