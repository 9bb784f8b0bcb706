/**
 * Arguments of the `conformance` command line: the argument vector to a
 * {@linkcode ConformanceCommand} and the usage text. Pure (no `Deno`), so it is tested
 * without permissions.
 *
 * @module
 */

import { parseTftpUrl } from "../lib/tftp/url.ts";
import { parseOptions, UsageError } from "./_cli_args.ts";

export { UsageError };

/** A parsed command line. */
export type ConformanceCommand = { readonly command: "help" } | {
  readonly command: "run";
  /** The server as `tftp://host:port/` (IPv6 in brackets), for the reports. */
  readonly url: string;
  /** The server's request address. */
  readonly server: { readonly hostname: string; readonly port: number };
  /** `--writable`: the WRQ checks may upload. */
  readonly writable: boolean;
  /** `--only`: run only these ids; undefined for all. */
  readonly only?: readonly string[];
  /** `--skip`: leave these ids out. */
  readonly skip: readonly string[];
  /** `--timeout-scale`. */
  readonly timeoutScale: number;
  /** `--plugin` files, in order. */
  readonly plugins: readonly string[];
  /** `--json`: a file, `-` for stdout, or undefined. */
  readonly json?: string;
  /** `--junit`: a file, or undefined. */
  readonly junit?: string;
  /** `--verbose`: print the checks' log lines. */
  readonly verbose: boolean;
  /** `--no-color`: never colour, even on a terminal. */
  readonly noColor: boolean;
} | {
  readonly command: "fixtures";
  /** Where to write the fixture tree. */
  readonly dir: string;
} | {
  readonly command: "list";
  /** `--plugin` files, in order. */
  readonly plugins: readonly string[];
};

/** The largest `--timeout-scale`. */
export const MAX_TIMEOUT_SCALE = 100;

const RUN_OPTIONS = {
  writable: { type: "boolean" },
  only: { type: "string", multiple: true },
  skip: { type: "string", multiple: true },
  "timeout-scale": { type: "string" },
  plugin: { type: "string", multiple: true },
  json: { type: "string" },
  junit: { type: "string" },
  verbose: { type: "boolean" },
  "no-color": { type: "boolean" },
} as const;
const LIST_OPTIONS = { plugin: { type: "string", multiple: true } } as const;
const COMMANDS = ["run", "fixtures", "list"];

/**
 * The server of a `tftp://host[:port]/` URL (port 69 by default), and the URL written the
 * same way every time (`tftp://host:port/`, IPv6 in brackets). The URL names a server, not a
 * file: a path or `;mode=` is a usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServerUrl } from "./_conformance_args.ts";
 * assert.deepEqual(parseServerUrl("tftp://[::1]:6969/"), {
 *   url: "tftp://[::1]:6969/",
 *   server: { hostname: "::1", port: 6969 },
 * });
 * assert.equal(parseServerUrl("TFTP://example.com").url, "tftp://example.com:69/");
 * assert.throws(() => parseServerUrl("tftp://h/boot.bin"), /must name only the server/);
 * ```
 */
export function parseServerUrl(
  text: string,
): { url: string; server: { hostname: string; port: number } } {
  const match = /^(tftp:\/\/[^/?#;]*)\/?$/i.exec(text);
  if (match === null && !/[?#]/.test(text) && /^tftp:\/\/[^/;]*[/;]/i.test(text)) {
    throw new UsageError(
      `<tftp-url> must name only the server, e.g. tftp://127.0.0.1:69/, got ${
        JSON.stringify(text)
      }`,
    );
  }
  // A file name is required by the parser; the server is all that is used.
  const probe = match === null ? text : `${match[1]}/x`;
  let parsed;
  try {
    parsed = parseTftpUrl(probe);
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(JSON.stringify(probe), JSON.stringify(text)),
    );
  }
  const { hostname, port } = parsed;
  const host = hostname.includes(":") ? `[${hostname.replace("%", "%25")}]` : hostname;
  return { url: `tftp://${host}:${port}/`, server: { hostname, port } };
}

/** `--only a,b --only c` as `["a", "b", "c"]`; an empty item is a usage error. */
function idList(flag: string, values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const ids = values.flatMap((value) => value.split(","));
  const empty = ids.findIndex((id) => id.trim() === "");
  if (empty !== -1) {
    throw new UsageError(
      `${flag} must be check ids separated by commas, got ${JSON.stringify(values.join(","))}`,
    );
  }
  return ids.map((id) => id.trim());
}

function timeoutScale(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = /^(?:[0-9]{1,6}(?:\.[0-9]{1,6})?|\.[0-9]{1,6})$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= MAX_TIMEOUT_SCALE)) {
    throw new UsageError(
      `--timeout-scale must be a number above 0 and at most ${MAX_TIMEOUT_SCALE}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return n;
}

function operands(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`Missing ${names[positionals.length]}: ${command} ${names.join(" ")}`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`Unexpected argument: ${JSON.stringify(positionals[names.length])}`);
  }
  return positionals;
}

function runCommand(args: string[]): ConformanceCommand {
  const { values, positionals } = parseOptions("run", args, RUN_OPTIONS);
  const [text] = operands("run", positionals, ["<tftp-url>"]);
  if (values.json === "") throw new UsageError("--json must be a file name or -");
  if (values.junit === "" || values.junit === "-") {
    throw new UsageError("--junit must be a file name (only --json can write to stdout)");
  }
  const plugins = values.plugin ?? [];
  if (plugins.includes("")) throw new UsageError("--plugin must not be empty");
  return {
    command: "run",
    ...parseServerUrl(text),
    writable: values.writable ?? false,
    only: idList("--only", values.only),
    skip: idList("--skip", values.skip) ?? [],
    timeoutScale: timeoutScale(values["timeout-scale"]),
    plugins,
    json: values.json,
    junit: values.junit,
    verbose: values.verbose ?? false,
    noColor: values["no-color"] ?? false,
  };
}

/**
 * Parses the arguments after `conformance.ts`. Throws {@linkcode UsageError} for anything that
 * cannot run; `--help`/`-h` anywhere before `--` wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConformanceCommandLine } from "./_conformance_args.ts";
 * const cmd = parseConformanceCommandLine(["run", "tftp://127.0.0.1:6969/", "--only", "rrq-basic"]);
 * assert.ok(cmd.command === "run" && cmd.server.port === 6969);
 * assert.deepEqual(cmd.command === "run" && cmd.only, ["rrq-basic"]);
 * ```
 */
export function parseConformanceCommandLine(args: readonly string[]): ConformanceCommand {
  const [first, ...rest] = args;
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    return { command: "help" };
  }
  if (first === undefined) throw new UsageError("Missing command: expected run, fixtures or list");
  if (first === "help") {
    if (rest.length > 0) throw new UsageError(`Unexpected argument: ${JSON.stringify(rest[0])}`);
    return { command: "help" };
  }
  if (!COMMANDS.includes(first)) {
    throw new UsageError(
      first.startsWith("-")
        ? `Expected a command (run, fixtures, list) before ${JSON.stringify(first)}`
        : `Unknown command ${JSON.stringify(first)}`,
    );
  }
  if (first === "run") return runCommand(rest);
  if (first === "fixtures") {
    const { positionals } = parseOptions("fixtures", rest, {});
    const [dir] = operands("fixtures", positionals, ["<dir>"]);
    if (dir === "") throw new UsageError("<dir> must not be empty");
    return { command: "fixtures", dir };
  }
  const { values, positionals } = parseOptions("list", rest, LIST_OPTIONS);
  operands("list", positionals, []);
  const plugins = values.plugin ?? [];
  if (plugins.includes("")) throw new UsageError("--plugin must not be empty");
  return { command: "list", plugins };
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { conformanceUsage } from "./_conformance_args.ts";
 * assert.ok(conformanceUsage().includes("--timeout-scale X"));
 * ```
 */
export function conformanceUsage(): string {
  return `conformance.ts: probe a running TFTP server for conformance to RFC 1350, RFC 1123 4.2,
RFC 2347, 2348, 2349, 7440 and 3617

Usage:
  conformance.ts run <tftp-url> [options]   Run the checks against the server
  conformance.ts fixtures <dir>             Write the files the server must serve into <dir>
  conformance.ts list [--plugin FILE]...    List the checks: id, level, RFC and title
  conformance.ts help                       Show this help (also: --help)

<tftp-url> is tftp://host[:port]/ (port 69 by default, IPv6 in brackets). The server must
serve the files of "conformance.ts fixtures <dir>" (the <dir>/root folder).

Options of run:
  --writable           Run the upload (WRQ) checks too; they write files named conformance-*
  --only ID,ID         Run only these checks (repeatable)
  --skip ID,ID         Leave these checks out (repeatable)
  --timeout-scale X    Multiply every deadline and time limit by X, above 0 and at most ${MAX_TIMEOUT_SCALE}
                       (default 1; e.g. 3 for a slow server)
  --plugin FILE        Also run the checks FILE exports (repeatable); FILE runs with this
                       program's permissions: load only code you trust
  --json FILE          Write the JSON report to FILE; "-" writes it to stdout (progress and
                       the table then go to stderr)
  --junit FILE         Write a JUnit XML report to FILE (one testsuite per RFC)
  --verbose            Also print what each check logged
  --no-color           No colours (they are used only on a terminal, and never with NO_COLOR)
  -h, --help           Show this help

While the checks run, one line per check is printed as it finishes; then a table grouped by
RFC and a score line. After each check a normal download tells whether the server still
answers; when it does not, that check fails and the report says so.

Exit status:
  0    Every check passed, warned or was skipped (list, fixtures: success)
  1    At least one check failed, or the run could not start (a plugin that does not load,
       a report file that cannot be written); one line on stderr
  2    Usage error: unknown command, option or check id, bad URL or number
  130  Interrupted by SIGINT (143: SIGTERM)
`;
}
