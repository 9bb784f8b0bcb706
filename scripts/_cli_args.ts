/**
 * Argument helpers every command-line script shares: one usage error, `node:util` parseArgs
 * with readable messages, and the checks for seconds, ports, hosts and `host:port` operands.
 * Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { parseHostPort } from "../lib/ip/host_port.ts";

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
