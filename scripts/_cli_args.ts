/**
 * Argument helpers every command-line script shares: one usage error, the choice of a
 * subcommand, `node:util` parseArgs with readable messages, and the checks for operands,
 * seconds, ports, hosts, `host:port` operands and text encodings.
 * Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { parseHostPort } from "../lib/ip/host_port.ts";
import { parseTextEncoding, type TextEncodingName } from "../lib/text/encoding.ts";

/** A command line that cannot be run as written; the CLI exits with status 2. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The longest timeout accepted, in seconds (one day). */
export const MAX_SECONDS = 86_400;

/** What {@linkcode parseOptions} returns: flag values by name, and the operands. */
export interface ParsedOptions<T extends ParseArgsOptionsConfig> {
  /** The flags given, by name. */
  values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>["values"];
  /** The operands, in order. */
  positionals: string[];
}

/**
 * `parseArgs` in strict mode, with its errors turned into a {@linkcode UsageError} naming the
 * flag and the command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptions } from "./_cli_args.ts";
 * const options = { port: { type: "string" } } as const;
 * const { values, positionals } = parseOptions("echo", ["--port", "7", "x"], options);
 * assert.equal(values.port, "7");
 * assert.deepEqual(positionals, ["x"]);
 * assert.throws(() => parseOptions("echo", ["--nope"], options), /Unknown option "--nope" for echo/);
 * ```
 */
export function parseOptions<T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
): ParsedOptions<T> {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(`Unknown option ${JSON.stringify(flag)} for ${command}`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(
        message.includes("does not take")
          ? `Option ${flag} takes no value`
          : `Option ${flag} needs a value`,
      );
    }
    throw new UsageError(message.split("\n")[0]);
  }
}

/**
 * A `--flag S` number of seconds (above 0, at most a day, up to 6 decimals) in milliseconds;
 * `undefined` when the flag was not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeconds } from "./_cli_args.ts";
 * assert.equal(parseSeconds("--timeout", "1.5"), 1500);
 * assert.equal(parseSeconds("--timeout", undefined), undefined);
 * assert.throws(() => parseSeconds("--timeout", "0"), /--timeout must be a number of seconds/);
 * ```
 */
export function parseSeconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^(?:[0-9]{1,10}(?:\.[0-9]{1,6})?|\.[0-9]{1,6})$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= MAX_SECONDS)) {
    throw new UsageError(
      `${flag} must be a number of seconds above 0 and at most ${MAX_SECONDS}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return Math.max(1, Math.round(n * 1000));
}

/**
 * A port flag: a whole number from 0 to 65535 (0 = any free port), or `fallback` when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePort } from "./_cli_args.ts";
 * assert.equal(parsePort("--port", "0", 7), 0);
 * assert.equal(parsePort("--port", undefined, 7), 7);
 * assert.throws(() => parsePort("--port", "65536", 7), /--port must be a whole number/);
 * ```
 */
export function parsePort(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port <= 65535)) {
    throw new UsageError(
      `${flag} must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return port;
}

/**
 * A `--host` value without IPv6 brackets, or `fallback` when absent; never empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHost } from "./_cli_args.ts";
 * assert.equal(parseHost("--host", "[::1]", "0.0.0.0"), "::1");
 * assert.equal(parseHost("--host", undefined, "0.0.0.0"), "0.0.0.0");
 * ```
 */
export function parseHost(flag: string, text: string | undefined, fallback: string): string {
  const host = text ?? fallback;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare === "") throw new UsageError(`${flag} must not be empty`);
  return bare;
}

/**
 * A `host:port` operand (`[v6]:port` for IPv6), checked; `label` names it in the error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAddress } from "./_cli_args.ts";
 * assert.deepEqual(parseAddress("<host:port>", "[::1]:7"), { hostname: "::1", port: 7 });
 * assert.throws(() => parseAddress("<host:port>", "nope"), /<host:port> must be host:port/);
 * ```
 */
export function parseAddress(label: string, text: string): { hostname: string; port: number } {
  try {
    return parseHostPort(text);
  } catch (error) {
    throw new UsageError(`${label} ${(error as Error).message.replace(/^address /, "")}`);
  }
}

/**
 * Throws {@linkcode UsageError} naming the first operand beyond the `allowed` count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rejectExtraOperands } from "./_cli_args.ts";
 * rejectExtraOperands(["a"], 1);
 * assert.throws(() => rejectExtraOperands(["a", "b"], 1), {
 *   name: "UsageError",
 *   message: 'Unexpected argument: "b"',
 * });
 * ```
 */
export function rejectExtraOperands(positionals: readonly string[], allowed: number): void {
  if (positionals.length > allowed) {
    throw new UsageError(`Unexpected argument: ${JSON.stringify(positionals[allowed])}`);
  }
}

/**
 * The subcommand named by `args[0]`, parsed from the rest by its entry in `commands`.
 * `--help`/`-h` anywhere (before `--`), or a lone `help`, gives `{ command: "help" }` and wins
 * over every other problem; a missing or unknown command is a {@linkcode UsageError} listing
 * the commands.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSubcommand } from "./_cli_args.ts";
 * const commands = { ping: (rest: string[]) => ({ command: "ping", rest }) };
 * assert.deepEqual(parseSubcommand(["ping", "x"], commands), { command: "ping", rest: ["x"] });
 * assert.deepEqual(parseSubcommand(["pong", "-h"], commands), { command: "help" });
 * assert.throws(() => parseSubcommand(["pong"], commands), {
 *   message: 'Unknown command "pong": expected ping',
 * });
 * ```
 *
 * @param args The arguments after the script name.
 * @param commands The parser of each subcommand, by name.
 * @returns What the chosen parser returns, or the help command.
 */
export function parseSubcommand<T>(
  args: readonly string[],
  commands: Readonly<Record<string, (args: string[]) => T>>,
): T | { command: "help" } {
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    return { command: "help" };
  }
  const [first, ...rest] = args;
  const names = Object.keys(commands).join(", ");
  if (first === undefined) throw new UsageError(`Missing command: expected ${names}`);
  if (first === "help" && rest.length === 0) return { command: "help" };
  if (Object.hasOwn(commands, first)) return commands[first](rest);
  throw new UsageError(
    first.startsWith("-")
      ? `Expected a command (${names}) before ${JSON.stringify(first)}`
      : `Unknown command ${JSON.stringify(first)}: expected ${names}`,
  );
}

/**
 * An `--encoding` value (a WHATWG label of utf-8, gbk or gb18030), or `fallback` when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEncoding } from "./_cli_args.ts";
 * assert.equal(parseEncoding("CP936", "utf-8"), "gbk");
 * assert.equal(parseEncoding(undefined, "utf-8"), "utf-8");
 * assert.throws(() => parseEncoding("big5", "utf-8"), {
 *   name: "UsageError",
 *   message: '--encoding must be one of utf-8, gbk, gb18030, got "big5"',
 * });
 * ```
 */
export function parseEncoding(
  text: string | undefined,
  fallback: TextEncodingName,
): TextEncodingName {
  if (text === undefined) return fallback;
  try {
    return parseTextEncoding(text);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
}

/**
 * The flags of `chat` in both `tcp.ts` and `udp.ts` (the same on purpose): `--listen`,
 * `--host`, `--port` and `--encoding`, for {@linkcode parseOptions}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHAT_OPTIONS, parseOptions } from "./_cli_args.ts";
 * const { values } = parseOptions("chat", ["--listen", "--port", "0"], CHAT_OPTIONS);
 * assert.deepEqual({ ...values }, { listen: true, port: "0" });
 * ```
 */
export const CHAT_OPTIONS = {
  listen: { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  encoding: { type: "string" },
} as const;
