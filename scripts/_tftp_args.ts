/**
 * Arguments of the `tftp` command line: the argument vector to a {@linkcode Command}, and
 * the usage text. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  MAX_BLKSIZE,
  MAX_TIMEOUT_S,
  MAX_WINDOWSIZE,
  MIN_BLKSIZE,
  MIN_TIMEOUT_S,
  MIN_WINDOWSIZE,
} from "../lib/tftp/packet/constants.ts";
import { parseTftpUrl, type TftpUrl } from "../lib/tftp/url.ts";
import { MAX_BUSY_POLL_US } from "../lib/udp/_libc_udp.ts";
import { MAX_READ_CHUNK_BYTES, MIN_READ_CHUNK_BYTES } from "../lib/tftp/_io.ts";

/** A command line that cannot be run as written; the CLI exits with status 2. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The three commands. */
export type CommandName = "get" | "put" | "serve";

/** Flags that decide what get, put and serve print or record. */
export interface OutputFlags {
  /** `--json`: results or log lines as JSON. */
  readonly json: boolean;
  /** `--quiet`: no progress bar, summary or transfer log. */
  readonly quiet: boolean;
  /** `--trace`: every datagram on stderr. */
  readonly trace: boolean;
  /** `--pcap FILE`: every datagram sent and received, recorded in a pcap file. */
  readonly pcap?: string;
}

/** Client transfer settings, as `ClientOptions` fields. */
export interface TransferFlags {
  readonly blksize?: number;
  readonly windowsize?: number;
  readonly timeoutS?: number;
  readonly retries?: number;
  readonly giveUpMs?: number;
  readonly tsize: boolean;
  readonly noOptions: boolean;
  readonly mode?: "octet" | "netascii";
  readonly busyPollUs?: number;
}

/** Server settings, as `ServerOptions` fields. */
export interface ServeFlags {
  readonly hostname: string;
  readonly port: number;
  readonly allowOverwrite: boolean;
  readonly allowCreate: boolean;
  readonly portRange?: readonly [number, number];
  readonly maxBlksize?: number;
  readonly maxWindowsize?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly giveUpMs?: number;
  readonly maxTransfers?: number;
  readonly maxTransfersPerClient?: number;
  readonly requestsPerSecond?: number;
  readonly unansweredBurst?: number;
  readonly maxWriteBytes?: number;
  /** Milliseconds running transfers get to finish after SIGINT/SIGTERM. */
  readonly graceMs: number;
  readonly busyPollUs?: number;
  readonly readChunkBytes?: number;
  readonly fileCacheBytes?: number;
  readonly fileCacheMaxFileBytes?: number;
}

/** A parsed command line. */
export type Command =
  | { readonly command: "help"; readonly topic?: CommandName }
  | OutputFlags & {
    readonly command: "get";
    readonly urlText: string;
    readonly url: TftpUrl;
    /** Local path, or `-` for stdout. */
    readonly output: string;
    readonly transfer: TransferFlags;
  }
  | OutputFlags & {
    readonly command: "put";
    /** Local path, or `-` for stdin. */
    readonly input: string;
    readonly urlText: string;
    readonly url: TftpUrl;
    readonly transfer: TransferFlags;
  }
  | OutputFlags & { readonly command: "serve"; readonly root: string; readonly server: ServeFlags };

const OUTPUT = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  trace: { type: "boolean" },
  pcap: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const TIMING = {
  timeout: { type: "string" },
  retries: { type: "string" },
  "give-up": { type: "string" },
} as const;
const CLIENT = {
  ...OUTPUT,
  ...TIMING,
  blksize: { type: "string" },
  windowsize: { type: "string" },
  tsize: { type: "boolean" },
  "no-tsize": { type: "boolean" },
  "no-options": { type: "boolean" },
  mode: { type: "string" },
  "busy-poll": { type: "string" },
} as const;
const SERVER = {
  ...OUTPUT,
  ...TIMING,
  host: { type: "string" },
  port: { type: "string" },
  write: { type: "boolean" },
  create: { type: "boolean" },
  "port-range": { type: "string" },
  "max-blksize": { type: "string" },
  "max-windowsize": { type: "string" },
  "max-transfers": { type: "string" },
  "max-per-client": { type: "string" },
  rate: { type: "string" },
  "unanswered-burst": { type: "string" },
  "max-write-size": { type: "string" },
  grace: { type: "string" },
  "busy-poll": { type: "string" },
  "read-chunk": { type: "string" },
  cache: { type: "string" },
  "cache-file-max": { type: "string" },
} as const;
const POSITIONALS = { get: [1, 2], put: [2, 2], serve: [1, 1] } as const;
const NAMES = { get: "<url> [output]", put: "<input> <url>", serve: "<root>" } as const;

function isCommand(word: string | undefined): word is CommandName {
  return word === "get" || word === "put" || word === "serve";
}

function wholeNumber(flag: string, text: string | undefined, min: number, max: number) {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(text)) {
    throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  }
  return n;
}

/** Rewrites `node:util` parse errors into short messages that name the command. */
function parseFailure(command: CommandName, error: unknown): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new UsageError(`Unknown option ${JSON.stringify(flag)} for ${command}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (message.includes("does not take")) return new UsageError(`Option ${flag} takes no value`);
    if (message.includes("ambiguous")) {
      return new UsageError(`Option ${flag} needs a value; write ${flag}=-VALUE for one with "-"`);
    }
    return new UsageError(`Option ${flag} needs a value`);
  }
  return new UsageError(message.split("\n")[0]);
}

function parseUrl(text: string): TftpUrl {
  try {
    return parseTftpUrl(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function timing(values: { timeout?: string; retries?: string; "give-up"?: string }) {
  const timeoutS = wholeNumber("--timeout", values.timeout, MIN_TIMEOUT_S, MAX_TIMEOUT_S);
  const retries = wholeNumber("--retries", values.retries, 0, 1000);
  const giveUpS = wholeNumber("--give-up", values["give-up"], 0, 3600);
  return { timeoutS, retries, giveUpMs: giveUpS === undefined ? undefined : giveUpS * 1000 };
}

function portRange(text: string | undefined): readonly [number, number] | undefined {
  if (text === undefined) return undefined;
  const match = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(text);
  const [low, high] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || low < 1 || high > 65535 || low > high) {
    throw new UsageError(
      `--port-range must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535, got ${JSON.stringify(text)}`,
    );
  }
  return [low, high];
}

/**
 * The remote file's base name, for a local output path. Throws {@linkcode UsageError} when
 * it cannot name a file (`.`, `..`, or a backslash that some systems read as a separator).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { remoteBaseName } from "./_tftp_args.ts";
 * assert.equal(remoteBaseName("pxe/boot.0"), "boot.0");
 * assert.throws(() => remoteBaseName("a/.."), /give \[output\]/);
 * ```
 */
export function remoteBaseName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (base === "." || base === ".." || base.includes("\\")) {
    throw new UsageError(`Cannot name a local file after ${JSON.stringify(path)}: give [output]`);
  }
  return base;
}

/** `parseArgs` in strict mode, its errors rewritten to name the command. */
function parseFlags<T extends typeof CLIENT | typeof SERVER>(
  command: CommandName,
  args: string[],
  options: T,
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw parseFailure(command, error);
  }
  const [min, max] = POSITIONALS[command];
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const what = count < min ? "Missing arguments" : "Too many arguments";
    throw new UsageError(`${what}: expected ${command} ${NAMES[command]}`);
  }
  return parsed;
}

function outputFlags(
  values: { json?: boolean; quiet?: boolean; trace?: boolean; pcap?: string },
): OutputFlags {
  const pcap = values.pcap;
  if (pcap === "" || pcap === "-") {
    throw new UsageError(`--pcap needs a file name, got ${JSON.stringify(pcap)}`);
  }
  return { json: !!values.json, quiet: !!values.quiet, trace: !!values.trace, pcap };
}

function clientCommand(command: "get" | "put", args: string[]): Command {
  const { values, positionals, tokens } = parseFlags(command, args, CLIENT);
  const mode = values.mode;
  if (mode !== undefined && mode !== "octet" && mode !== "netascii") {
    throw new UsageError(`--mode must be octet or netascii, got ${JSON.stringify(mode)}`);
  }
  // --tsize and --no-tsize: the last one given wins.
  const lastTsize = tokens.findLast((t) =>
    t.kind === "option" && (t.name === "tsize" || t.name === "no-tsize")
  );
  const transfer: TransferFlags = {
    blksize: wholeNumber("--blksize", values.blksize, MIN_BLKSIZE, MAX_BLKSIZE),
    windowsize: wholeNumber("--windowsize", values.windowsize, MIN_WINDOWSIZE, MAX_WINDOWSIZE),
    ...timing(values),
    tsize: lastTsize?.kind !== "option" || lastTsize.name === "tsize",
    noOptions: !!values["no-options"],
    mode,
    busyPollUs: wholeNumber("--busy-poll", values["busy-poll"], 0, MAX_BUSY_POLL_US),
  };
  const output = outputFlags(values);
  if (command === "get") {
    const [urlText, target] = positionals;
    const url = parseUrl(urlText);
    return {
      command,
      urlText,
      url,
      output: target ?? remoteBaseName(url.path),
      transfer,
      ...output,
    };
  }
  const [input, urlText] = positionals;
  return { command, input, urlText, url: parseUrl(urlText), transfer, ...output };
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
};

/** A byte count above 0. */
function positiveByteCount(flag: string, text: string | undefined): number | undefined {
  const bytes = byteCount(flag, text);
  if (bytes === 0) throw new UsageError(`${flag} must be above 0 bytes, got ${text}`);
  return bytes;
}

/** `--read-chunk`: a byte count within what the server accepts. */
function readChunk(text: string | undefined): number | undefined {
  const bytes = byteCount("--read-chunk", text);
  if (bytes !== undefined && (bytes < MIN_READ_CHUNK_BYTES || bytes > MAX_READ_CHUNK_BYTES)) {
    throw new UsageError(
      `--read-chunk must be between ${MIN_READ_CHUNK_BYTES} and ${MAX_READ_CHUNK_BYTES} bytes, got ${text}`,
    );
  }
  return bytes;
}

/** A byte count: digits with an optional binary unit (K, M, G, T; KiB and so on too). */
function byteCount(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^([0-9]{1,15})(?:([KMGT])(?:i?B)?)?$/i.exec(text);
  if (!match) {
    throw new UsageError(
      `${flag} must be a number of bytes like 1048576, 512K or 4G, got ${JSON.stringify(text)}`,
    );
  }
  const bytes = Number(match[1]) * SIZE_UNITS[(match[2] ?? "").toUpperCase()];
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${flag} is too large: ${text}`);
  return bytes;
}

function serveCommand(args: string[]): Command {
  const { values, positionals } = parseFlags("serve", args, SERVER);
  const host = values.host ?? "0.0.0.0";
  if (host === "") throw new UsageError("--host must not be empty");
  const { timeoutS, retries, giveUpMs } = timing(values);
  const server: ServeFlags = {
    hostname: host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host,
    port: wholeNumber("--port", values.port, 0, 65535) ?? 69,
    allowOverwrite: !!values.write,
    allowCreate: !!values.create,
    portRange: portRange(values["port-range"]),
    maxBlksize: wholeNumber("--max-blksize", values["max-blksize"], MIN_BLKSIZE, MAX_BLKSIZE),
    maxWindowsize: wholeNumber(
      "--max-windowsize",
      values["max-windowsize"],
      MIN_WINDOWSIZE,
      MAX_WINDOWSIZE,
    ),
    timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    retries,
    giveUpMs,
    maxTransfers: wholeNumber("--max-transfers", values["max-transfers"], 1, 1_000_000),
    maxTransfersPerClient: wholeNumber(
      "--max-per-client",
      values["max-per-client"],
      1,
      1_000_000,
    ),
    requestsPerSecond: wholeNumber("--rate", values.rate, 1, 1_000_000),
    unansweredBurst: wholeNumber(
      "--unanswered-burst",
      values["unanswered-burst"],
      1,
      1_000_000,
    ),
    maxWriteBytes: byteCount("--max-write-size", values["max-write-size"]),
    graceMs: (wholeNumber("--grace", values.grace, 0, 3600) ?? 5) * 1000,
    busyPollUs: wholeNumber("--busy-poll", values["busy-poll"], 0, MAX_BUSY_POLL_US),
    readChunkBytes: readChunk(values["read-chunk"]),
    fileCacheBytes: byteCount("--cache", values.cache),
    fileCacheMaxFileBytes: positiveByteCount("--cache-file-max", values["cache-file-max"]),
  };
  return { command: "serve", root: positionals[0], server, ...outputFlags(values) };
}

/**
 * Parses the arguments after `tftp.ts`. Throws {@linkcode UsageError} for anything that
 * cannot run: an unknown command or option, a missing or extra argument, a bad number or URL.
 * `--help`/`-h` anywhere before `--` wins over every other problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./_tftp_args.ts";
 * const cmd = parseCommandLine(["get", "tftp://127.0.0.1:6969/boot/pxe.0", "--blksize", "512"]);
 * assert.equal(cmd.command, "get");
 * assert.equal(cmd.command === "get" && cmd.output, "pxe.0");
 * assert.equal(cmd.command === "get" && cmd.transfer.blksize, 512);
 * ```
 */
export function parseCommandLine(args: readonly string[]): Command {
  const [first, ...rest] = args;
  const end = args.indexOf("--");
  const wantsHelp = (end === -1 ? args : args.slice(0, end))
    .some((arg) => arg === "--help" || arg === "-h");
  if (first === undefined) throw new UsageError("Missing command: expected get, put or serve");
  if (first === "help") {
    const topic = rest[0];
    if (rest.length > 1) throw new UsageError("Too many arguments: expected help [command]");
    if (topic !== undefined && !isCommand(topic)) {
      throw new UsageError(`Unknown command ${JSON.stringify(topic)}`);
    }
    return { command: "help", topic };
  }
  if (!isCommand(first)) {
    if (wantsHelp) return { command: "help", topic: undefined };
    throw new UsageError(
      first.startsWith("-")
        ? `Expected a command (get, put, serve) before ${JSON.stringify(first)}`
        : `Unknown command ${JSON.stringify(first)}`,
    );
  }
  if (wantsHelp) return { command: "help", topic: first };
  return first === "serve" ? serveCommand(rest) : clientCommand(first, rest);
}

// ---------------------------------------------------------------------------------------
// Usage text

const LINES = {
  get: `  tftp.ts get <url> [output]   Download <url> to [output]: "-" is stdout; default: the
                               remote file's base name in the current directory, or in
                               [output] when that is a directory`,
  put: `  tftp.ts put <input> <url>    Upload <input> ("-" is stdin) to <url>`,
  serve: `  tftp.ts serve <root>         Serve the directory <root> (read-only unless --write or
                               --create)`,
} as const;

const URL_TEXT =
  `<url> is tftp://host[:port]/path[;mode=netascii|octet] (RFC 3617); port 69 by default,
IPv6 addresses in brackets: tftp://[::1]:6969/boot.bin. Escape spaces and ";" as %20, %3B.`;

const CLIENT_TEXT = `Transfer options (get, put):
  --blksize N          Block size to ask for, ${MIN_BLKSIZE}-${MAX_BLKSIZE} (default 1468)
  --windowsize N       Window size to ask for, 1-${MAX_WINDOWSIZE}; 1 is lock-step (default 4);
                       get asks for at most 64 KiB per window (blksize 8192: 8)
  --timeout S          Retransmit timeout in seconds, ${MIN_TIMEOUT_S}-${MAX_TIMEOUT_S}, also sent as the timeout
                       option (default: adaptive, not sent)
  --retries N          Timeouts in a row before giving up, 0-1000 (default 5)...
  --give-up S          ...and at least S seconds without an answer, 0-3600 (default 5)
  --tsize, --no-tsize  Ask for (get) or announce (put) the size; octet only (default on)
  --no-options         Send no options at all: plain RFC 1350, 512-byte lock-step
  --mode M             Transfer mode, octet or netascii; overrides the URL's ;mode=
                       (default octet)
  --busy-poll US       Spin up to US microseconds, 0-${MAX_BUSY_POLL_US}, on each receive before sleeping:
                       faster lock-step for CPU time (Linux; needs --allow-ffi, which
                       deno task tftp grants; 50 is a good value; default 0: off)
  --json               Print the result as one JSON line on stdout (on stderr when get
                       writes the file to stdout); failures too, as {"ok":false,...}
  --trace              Print every datagram sent and received on stderr
  --pcap FILE          Record every datagram sent and received in FILE (pcap, for
                       Wireshark or tshark -r); FILE is replaced
  -q, --quiet          No progress bar and no summary line; errors are still printed
  -h, --help           Show this help`;

const SERVER_TEXT = `Server options (serve):
  --host H             Address to listen on (default 0.0.0.0; "::" for IPv6)
  --port P             Request port; 0 picks a free one (default 69)
  --write              Let clients replace existing files
  --create             Let clients create new files
  --port-range A-B     Ports for transfers, one each (default: any free port)
  --max-blksize N      Largest block size granted, ${MIN_BLKSIZE}-${MAX_BLKSIZE} (default ${MAX_BLKSIZE})
  --max-windowsize N   Largest window size granted, 1-${MAX_WINDOWSIZE} (default 64); a write
                       gets at most 64 KiB per window
  --timeout S          Retransmit timeout in seconds, ${MIN_TIMEOUT_S}-${MAX_TIMEOUT_S} (default: adaptive); a
                       client's timeout option overrides it for its transfer
  --retries N          Timeouts in a row before a transfer fails, 0-1000 (default 5)...
  --give-up S          ...and at least S seconds without an answer, 0-3600 (default 5)
  --max-transfers N    Transfers at once; more get ERROR 0 "Server busy" (default 1024)
  --max-per-client N   Transfers at once from one client address (default 64)
  --rate N             Requests a second from one address, bursts of twice that; the
                       excess is dropped without an answer (default 100)
  --unanswered-burst N Transfers one address may have open before it answered any;
                       then one more a second (default 16): bounds what a spoofed
                       request's victim receives
  --max-write-size B   Largest upload, in bytes or with K, M, G (default: no limit); a
                       larger tsize or upload gets ERROR 3 and nothing is kept
  --grace S            On SIGINT/SIGTERM, let running transfers finish for up to S
                       seconds, then abort them with ERROR 0; a second signal aborts at
                       once (0-3600, default 5)
  --busy-poll US       While every transfer waits for the network, spin up to US
                       microseconds, 0-${MAX_BUSY_POLL_US}, before sleeping: faster lock-step for CPU
                       time (Linux; needs --allow-ffi; default 0: off)
  --read-chunk B       Bytes a download reads from its file at a time, ${MIN_READ_CHUNK_BYTES}-256K
                       (default 32K): less memory per transfer, more file reads
  --cache B            Bytes of small files kept in memory and sent to every client
                       from one copy, checked against the disk on each request
                       (default 32M; 0: off)
  --cache-file-max B   The largest file kept (default 4M)
  --json               Log each transfer as one JSON object per line
  --trace              Print every datagram sent and received on stderr
  --pcap FILE          Record every datagram of every transfer in FILE (pcap); FILE is
                       replaced, and complete once the server stopped
  -q, --quiet          Print only the "listening on HOST:PORT" line, no transfer log
  -h, --help           Show this help

When ready the server prints "listening on HOST:PORT", then one line per finished,
failed or refused transfer, on stdout. SIGINT or SIGTERM stops it (exit status 0).
A client that never answers (a spoofed request?) gets the first packet 3 times at most.`;

const EXIT_TEXT = `Exit status:
  0    Success
  1    The transfer failed or the server could not start; one line on stderr, e.g.
       "error: File not found (TFTP error 1)"
  2    Usage error: unknown command or option, missing argument, bad number or URL,
       or a serve root that is not a directory
  130  get or put interrupted by SIGINT (143: SIGTERM); a server that answered gets ERROR 0`;

/**
 * The help text: everything, or only what concerns one command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usage } from "./_tftp_args.ts";
 * assert.ok(usage("serve").includes("--port-range A-B"));
 * assert.ok(!usage("serve").includes("--blksize N"));
 * ```
 */
export function usage(topic?: CommandName): string {
  const header = "tftp.ts: TFTP client and server (RFC 1350, 2347, 2348, 2349, 7440, 3617)";
  const commands = topic === undefined
    ? [
      LINES.get,
      LINES.put,
      LINES.serve,
      "  tftp.ts help [command]       Show help (also: --help, <command> --help)",
    ]
    : [LINES[topic]];
  const sections = [header, `Usage:\n${commands.join("\n")}`];
  if (topic !== "serve") sections.push(URL_TEXT, CLIENT_TEXT);
  if (topic === undefined || topic === "serve") sections.push(SERVER_TEXT);
  sections.push(EXIT_TEXT);
  return `${sections.join("\n\n")}\n`;
}
