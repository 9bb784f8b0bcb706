/**
 * Arguments of the `impair` command line: the argument vector to an {@linkcode ImpairCommand},
 * the rule it asks for, and the usage text. Pure (no `Deno`), so it is tested without
 * permissions.
 *
 * @module
 */

import { isIP } from "node:net";
import { parseArgs } from "node:util";
import {
  combineRules,
  dropAck,
  dropBlock,
  dropFirstOfEachKind,
  type Faults,
  impairProfile,
  type ImpairRule,
} from "../lib/udp/impair_rules.ts";

/** A command line that cannot be run as written; the CLI exits with status 2. */
export class ImpairUsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ImpairUsageError";
  }
}

/** A parsed command line: run the proxy, or print the help. */
export type ImpairCommand = { readonly command: "help" } | {
  readonly command: "run";
  /** The server's request port. */
  readonly target: { readonly hostname: string; readonly port: number };
  /** Listen address. */
  readonly hostname: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
  readonly seed: number;
  /** Faults from the client to the server. */
  readonly up: Faults;
  /** Faults from the server to the client. */
  readonly down: Faults;
  readonly dropBlocks: readonly number[];
  readonly dropAcks: readonly number[];
  readonly dropFirst: boolean;
  /** Capture file, or undefined for none. */
  readonly pcap?: string;
  readonly json: boolean;
};

const OPTIONS = {
  target: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  seed: { type: "string" },
  loss: { type: "string" },
  "loss-up": { type: "string" },
  "loss-down": { type: "string" },
  dup: { type: "string" },
  reorder: { type: "string" },
  delay: { type: "string" },
  jitter: { type: "string" },
  "drop-block": { type: "string", multiple: true },
  "drop-ack": { type: "string", multiple: true },
  "drop-first": { type: "boolean" },
  pcap: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The longest delay or jitter accepted, in milliseconds (one minute). */
const MAX_DELAY_MS = 60_000;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^[0-9]{1,10}$/.test(text)) {
    throw new ImpairUsageError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new ImpairUsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  }
  return n;
}

function decimal(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = /^(?:[0-9]{1,10}(?:\.[0-9]{1,10})?|\.[0-9]{1,10})$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= max)) {
    throw new ImpairUsageError(
      `${flag} must be a number between 0 and ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `HOST:PORT` or `[V6]:PORT`, HOST an IP address (the proxy matches the server's replies). */
function parseTarget(text: string): { hostname: string; port: number } {
  const match = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(text);
  const hostname = match ? unbracket(match[1]) : "";
  if (!match || isIP(hostname) === 0 || (isIP(hostname) === 6) !== match[1].startsWith("[")) {
    throw new ImpairUsageError(
      `--target must be IP:PORT or [IPv6]:PORT, e.g. 127.0.0.1:69, got ${JSON.stringify(text)}`,
    );
  }
  return { hostname, port: wholeNumber("--target port", match[2], 1, 65535) };
}

function parseFailure(error: unknown): ImpairUsageError {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new ImpairUsageError(`Unknown option ${JSON.stringify(flag)}`);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return new ImpairUsageError(`Unexpected argument: ${message.split("'")[1] ?? message}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (message.includes("does not take")) {
      return new ImpairUsageError(`Option ${flag} takes no value`);
    }
    if (message.includes("ambiguous")) {
      return new ImpairUsageError(
        `Option ${flag} needs a value; write ${flag}=-VALUE for one with "-"`,
      );
    }
    return new ImpairUsageError(`Option ${flag} needs a value`);
  }
  return new ImpairUsageError(message.split("\n")[0]);
}

/**
 * Parses the arguments after `impair.ts`. Throws {@linkcode ImpairUsageError} for anything
 * that cannot run. `--help`/`-h` anywhere wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseImpairCommandLine } from "./_impair_args.ts";
 * const cmd = parseImpairCommandLine(["--target", "127.0.0.1:6969", "--loss", "0.1"]);
 * assert.equal(cmd.command === "run" && cmd.down.loss, 0.1);
 * ```
 */
export function parseImpairCommandLine(args: readonly string[]): ImpairCommand {
  if (args.some((arg) => arg === "--help" || arg === "-h")) return { command: "help" };
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: OPTIONS, strict: true }));
  } catch (error) {
    throw parseFailure(error);
  }
  if (values.target === undefined) throw new ImpairUsageError("Missing --target HOST:PORT");
  const hostname = unbracket(values.host ?? "127.0.0.1");
  if (hostname === "") throw new ImpairUsageError("--host must not be empty");
  if (values.pcap === "") throw new ImpairUsageError("--pcap must not be empty");
  const loss = decimal("--loss", values.loss, 1);
  const both: Faults = {
    duplicate: decimal("--dup", values.dup, 1),
    reorder: decimal("--reorder", values.reorder, 1),
    delayMs: decimal("--delay", values.delay, MAX_DELAY_MS),
    jitterMs: decimal("--jitter", values.jitter, MAX_DELAY_MS),
  };
  const faults = (lossThisWay: number | undefined): Faults =>
    Object.fromEntries(
      Object.entries({ loss: lossThisWay ?? loss, ...both }).filter(([, v]) => v !== undefined),
    );
  const blocks = (flag: string, list: string[] | undefined) =>
    (list ?? []).map((text) => wholeNumber(flag, text, 0, 65535));
  return {
    command: "run",
    target: parseTarget(values.target),
    hostname,
    port: values.port === undefined ? 0 : wholeNumber("--port", values.port, 0, 65535),
    seed: values.seed === undefined ? 1 : wholeNumber("--seed", values.seed, 0, 0xffffffff),
    up: faults(decimal("--loss-up", values["loss-up"], 1)),
    down: faults(decimal("--loss-down", values["loss-down"], 1)),
    dropBlocks: blocks("--drop-block", values["drop-block"]),
    dropAcks: blocks("--drop-ack", values["drop-ack"]),
    dropFirst: !!values["drop-first"],
    pcap: values.pcap,
    json: !!values.json,
  };
}

/**
 * The rule a parsed command asks for: the targeted drops first, then the seeded profile.
 * Every part sees every datagram, so the profile's random draws do not depend on them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../lib/tftp/packet/encode.ts";
 * import { impairRuleOf, parseImpairCommandLine } from "./_impair_args.ts";
 * const cmd = parseImpairCommandLine(["--target", "127.0.0.1:69", "--drop-ack", "1"]);
 * const rule = impairRuleOf(cmd as Extract<typeof cmd, { command: "run" }>);
 * assert.equal(rule({ direction: "up", bytes: encodeAck(1), index: 0 }), "drop");
 * ```
 */
export function impairRuleOf(cmd: Extract<ImpairCommand, { command: "run" }>): ImpairRule {
  return combineRules(
    ...(cmd.dropFirst ? [dropFirstOfEachKind()] : []),
    ...cmd.dropBlocks.map((block) => dropBlock(block)),
    ...cmd.dropAcks.map((block) => dropAck(block)),
    impairProfile(cmd.seed, { up: cmd.up, down: cmd.down }),
  );
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { impairUsage } from "./_impair_args.ts";
 * assert.ok(impairUsage().includes("--drop-block N"));
 * ```
 */
export function impairUsage(): string {
  return `impair.ts: a fault-injecting UDP proxy in front of a TFTP server

Usage:
  impair.ts --target HOST:PORT [options]

Clients send their requests to the proxy instead of the server; the proxy forwards every
datagram both ways (following the server's new port for each transfer) and loses,
duplicates, delays or reorders some of them, from a seeded generator: the same seed and
options give the same decisions for the same sequence of datagrams.

Options:
  --target HOST:PORT   The server's request port (IPv6: [::1]:69); required
  --host H             Address to listen on (default 127.0.0.1)
  --port P             Request port of the proxy; 0 picks a free one (default 0)
  --seed N             Seed of the random faults, 0-4294967295 (default 1)
  --loss P             Probability of losing a datagram, each way, 0-1 (default 0)
  --loss-up P          ... from the client to the server (overrides --loss)
  --loss-down P        ... from the server to the client (overrides --loss)
  --dup P              Probability of sending a datagram twice, each way
  --reorder P          Probability of holding a datagram back 20-40 ms so that later ones
                       overtake it, each way
  --delay MS           Delay every datagram by MS milliseconds, each way
  --jitter MS          Add a random 0-MS ms to each delay (keeps datagrams in order)
  --drop-block N       Drop the first DATA with block number N, once each way (repeatable)
  --drop-ack N         Drop the first ACK of block N, once each way (repeatable)
  --drop-first         Drop the first RRQ, WRQ, OACK, DATA, ACK and ERROR once each
  --pcap FILE          Capture every datagram received and sent (both legs) to FILE
  --json               Print the final counts as one JSON line
  -h, --help           Show this help

When ready the proxy prints "listening on HOST:PORT". SIGINT or SIGTERM stops it; it then
prints what it did to the datagrams going each way (pass, drop, duplicate, delay, reorder).
Targeted drops count from the start of the proxy, not per transfer.

Exit status:
  0    Stopped by SIGINT or SIGTERM
  1    Could not listen, or could not write the capture file
  2    Usage error: unknown option, missing --target, bad number or address
`;
}
