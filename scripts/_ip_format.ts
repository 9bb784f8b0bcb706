/**
 * The `ip` command without its I/O: the command line, the text and JSON it prints, and the exit
 * status. `scripts/ip.ts` only writes what {@linkcode runIp} returns.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeIpv4, type Ipv4Description, type Ipv4Kinds } from "../lib/ip/ipv4.ts";
import { describePort, type PortDescription } from "../lib/ip/ports.ts";

/** A command line that cannot be run as written; the CLI exits with status 2. */
export class IpUsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "IpUsageError";
  }
}

/** A parsed command line. */
export type IpCommand = { readonly command: "help" } | {
  readonly command: "describe";
  /** The addresses and CIDR blocks, as typed. */
  readonly inputs: readonly string[];
  /** The `--port` numbers, in order. */
  readonly ports: readonly number[];
  /** One JSON line per input instead of a readable block. */
  readonly json: boolean;
};

/** What a run prints and its exit status. */
export interface IpResult {
  /** Text for stdout. */
  readonly stdout: string;
  /** Text for stderr. */
  readonly stderr: string;
  /** 0 when everything was described, 1 when an input was invalid, 2 on a usage error. */
  readonly code: number;
}

/** The help text. */
export function ipUsage(): string {
  return [
    "Usage: ip.ts <address|cidr>... [--port N]... [--json]",
    "",
    "Describes IPv4 addresses and blocks: 192.168.1.10, 10.0.0.0/8, 192.168.1.10/255.255.255.0.",
    "",
    "Options:",
    "  --port N   also describe port N (0-65535); may be repeated",
    "  --json     print one JSON object per line instead of readable blocks",
    "  -h, --help show this help",
    "",
  ].join("\n");
}

const PORT_RE = /^(0|[1-9][0-9]*)$/;

/** Parses the command line; throws {@linkcode IpUsageError} when it cannot be run. */
export function parseIpCommandLine(args: readonly string[]): IpCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        port: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new IpUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const ports = (values.port ?? []).map((text) => {
    const port = Number(text);
    if (!PORT_RE.test(text) || port > 65535) {
      throw new IpUsageError(`--port must be a whole number between 0 and 65535, got "${text}"`);
    }
    return port;
  });
  if (positionals.length === 0 && ports.length === 0) {
    throw new IpUsageError("Missing an address, a CIDR block or --port N");
  }
  return { command: "describe", inputs: positionals, ports, json: values.json };
}

function kindNames(kinds: Ipv4Kinds): string {
  const names = Object.entries(kinds).filter(([, on]) => on).map(([name]) => name);
  return names.length === 0 ? "none" : names.join(", ");
}

/** A title line, then `  key  value` lines with the values aligned two spaces after the keys. */
function rows(title: string, pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return `${title}\n${pairs.map(([k, v]) => `  ${k.padEnd(width)}${v}\n`).join("")}`;
}

/**
 * A readable block for one input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeIpv4 } from "../lib/ip/ipv4.ts";
 * import { formatIpv4Block } from "./_ip_format.ts";
 *
 * const text = formatIpv4Block("10.0.0.1/8", describeIpv4("10.0.0.1/8"));
 * assert.ok(text.includes("  network    10.0.0.0\n"));
 * ```
 */
export function formatIpv4Block(input: string, d: Ipv4Description): string {
  return rows(input, [
    ["address", d.address],
    ["prefix", `/${d.prefix}`],
    ["netmask", d.netmask],
    ["wildcard", d.wildcard],
    ["network", d.network],
    ["broadcast", d.broadcast],
    ["hosts", `${d.firstHost} - ${d.lastHost} (${d.hostCount})`],
    ["class", d.class],
    ["kinds", kindNames(d.kinds)],
  ]);
}

/**
 * A readable block for one port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describePort } from "../lib/ip/ports.ts";
 * import { formatPortBlock } from "./_ip_format.ts";
 *
 * assert.ok(formatPortBlock(describePort(69)).includes("  tftp   udp"));
 * ```
 */
export function formatPortBlock(d: PortDescription): string {
  const services: [string, string][] = d.services.map((s) => [
    s.name,
    `${s.protocols.join("/")}  ${s.description}`,
  ]);
  return rows(`port ${d.port}`, [
    ["range", d.range],
    ...(services.length === 0 ? [["service", "none known"] as [string, string]] : services),
  ]);
}

/** Describes everything the command asks for; errors on inputs make the status 1. */
export function describeAll(cmd: Extract<IpCommand, { command: "describe" }>): IpResult {
  const blocks: string[] = [];
  let stderr = "";
  for (const input of cmd.inputs) {
    try {
      const d = describeIpv4(input);
      blocks.push(cmd.json ? `${JSON.stringify({ input, ...d })}\n` : formatIpv4Block(input, d));
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      stderr += `error: ${error.message}\n`;
    }
  }
  for (const port of cmd.ports) {
    const d = describePort(port);
    blocks.push(cmd.json ? `${JSON.stringify(d)}\n` : formatPortBlock(d));
  }
  return { stdout: blocks.join(cmd.json ? "" : "\n"), stderr, code: stderr === "" ? 0 : 1 };
}

/**
 * Runs the command line: what to print and the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runIp } from "./_ip_format.ts";
 *
 * assert.equal(runIp(["--json", "10.0.0.1"]).code, 0);
 * assert.equal(runIp(["010.0.0.1"]).code, 1);
 * assert.equal(runIp(["--bogus"]).code, 2);
 * ```
 */
export function runIp(args: readonly string[]): IpResult {
  let cmd: IpCommand;
  try {
    cmd = parseIpCommandLine(args);
  } catch (error) {
    if (!(error instanceof IpUsageError)) throw error;
    return { stdout: "", stderr: `error: ${error.message}\nRun with --help for usage.\n`, code: 2 };
  }
  if (cmd.command === "help") return { stdout: ipUsage(), stderr: "", code: 0 };
  return describeAll(cmd);
}
