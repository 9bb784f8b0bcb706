/**
 * What the `tftp` command line prints: server log lines, `--json` results, the success
 * summary and failure reports. Pure (no `Deno`), so it is tested without permissions.
 *
 * @module
 */

import {
  TftpAbortError,
  TftpError,
  TftpRemoteError,
  TftpTimeoutError,
} from "../lib/tftp/errors.ts";
import type { TransferStats } from "../lib/tftp/engine/types.ts";
import type { TransferResult } from "../lib/tftp/client.ts";
import type { TransferRecord } from "../lib/tftp/server.ts";
import { formatBytes, formatRate } from "../lib/cli/progress.ts";
import { UsageError } from "./_tftp_args.ts";

/** Characters a terminal may act on (C0, DEL, C1, bidi controls, line separators). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const SNEAKY_RE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text from the network safe to print on one terminal line: control and bidi
 * characters become `\uXXXX`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { terminalSafe } from "./_tftp_output.ts";
 * assert.equal(terminalSafe("a\nb\x1b[2J"), "a\\u000ab\\u001b[2J");
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(SNEAKY_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A file name bare when it is printable ASCII without spaces or quotes, else JSON-quoted. */
function fileToken(name: string): string {
  return /^[\x21\x23-\x7e]+$/.test(name) ? name : terminalSafe(JSON.stringify(name));
}

import { formatHostPort } from "./_cli.ts";
export { formatHostPort };

/** `message (TFTP error N)`, adding the suffix only when the message lacks it. */
function withCode(message: string, code: number): string {
  return message.endsWith(`(TFTP error ${code})`) ? message : `${message} (TFTP error ${code})`;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function statsFields(stats: TransferStats) {
  return {
    blocks: stats.blocks,
    retransmits: stats.retransmits,
    timeouts: stats.timeouts,
    elapsedMs: roundMs(stats.elapsedMs),
    options: stats.options,
    optionsAcknowledged: stats.optionsAcknowledged,
  };
}

function statsText(stats: TransferStats): string {
  const { blksize, windowsize } = stats.options;
  const retransmits = `${stats.retransmits} retransmit${stats.retransmits === 1 ? "" : "s"}`;
  return `(blksize ${blksize}, windowsize ${windowsize}, ${retransmits})`;
}

/**
 * The server's log line for one transfer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTransferLog } from "./_tftp_output.ts";
 * const line = formatTransferLog({
 *   peer: { hostname: "127.0.0.1", port: 40000 }, kind: "read", filename: "no such",
 *   mode: "octet", status: "refused", error: { code: 1, message: "File not found" },
 * });
 * assert.equal(line, `127.0.0.1:40000 read "no such" octet refused: File not found (TFTP error 1)`);
 * ```
 */
export function formatTransferLog(record: TransferRecord): string {
  const head = `${formatHostPort(record.peer)} ${record.kind} ${fileToken(record.filename)} ${
    fileToken(record.mode)
  } ${record.status}`;
  const stats = record.stats;
  if (record.status === "complete" && stats) {
    return `${head} ${stats.bytes} B in ${Math.round(stats.elapsedMs)} ms ${statsText(stats)}`;
  }
  const error = record.error ?? { code: 0, message: "Unknown error" };
  const after = stats ? ` after ${stats.bytes} B in ${Math.round(stats.elapsedMs)} ms` : "";
  return `${head}${after}: ${terminalSafe(withCode(error.message, error.code))}`;
}

/**
 * The server's log line for one transfer as a JSON object (`--json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferLogJson } from "./_tftp_output.ts";
 * const peer = { hostname: "::1", port: 5 };
 * const line = transferLogJson({ peer, kind: "write", filename: "a", mode: "octet", status: "refused" });
 * assert.equal(JSON.parse(line).peer, "[::1]:5");
 * ```
 */
export function transferLogJson(record: TransferRecord, time?: Date): string {
  return JSON.stringify({
    time: time?.toISOString(),
    peer: formatHostPort(record.peer),
    kind: record.kind,
    filename: record.filename,
    mode: record.mode,
    status: record.status,
    bytes: record.stats?.bytes,
    ...(record.stats ? statsFields(record.stats) : {}),
    error: record.error,
  });
}

/**
 * The `--json` line of a successful get or put.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultJson } from "./_tftp_output.ts";
 * const stats = {
 *   bytes: 3, blocks: 1, datagramsSent: 2, datagramsReceived: 2, retransmits: 0, timeouts: 0,
 *   duplicates: 0, strangers: 0, elapsedMs: 1.25, optionsAcknowledged: true,
 *   options: { blksize: 512, windowsize: 1, tsize: 3 },
 * };
 * const result = { bytes: 3, peer: { hostname: "127.0.0.1", port: 4000 }, mode: "octet" as const, stats };
 * const json = JSON.parse(resultJson("get", "tftp://127.0.0.1/a", result));
 * assert.deepEqual([json.ok, json.bytes, json.peer, json.options.blksize], [true, 3, "127.0.0.1:4000", 512]);
 * ```
 */
export function resultJson(command: "get" | "put", url: string, result: TransferResult): string {
  return JSON.stringify({
    ok: true,
    command,
    url,
    mode: result.mode,
    bytes: result.bytes,
    ...statsFields(result.stats),
    peer: formatHostPort(result.peer),
  });
}

/**
 * The one-line summary of a successful get or put, for stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary } from "./_tftp_output.ts";
 * const stats = {
 *   bytes: 2048, blocks: 4, datagramsSent: 5, datagramsReceived: 5, retransmits: 1, timeouts: 1,
 *   duplicates: 0, strangers: 0, elapsedMs: 1000, optionsAcknowledged: true,
 *   options: { blksize: 512, windowsize: 1 },
 * };
 * const result = { bytes: 2048, peer: { hostname: "::1", port: 4000 }, mode: "octet" as const, stats };
 * assert.equal(
 *   formatSummary("get", "a.bin", result),
 *   "get a.bin: 2048 B (2.0 KiB) in 1000 ms, 2.0 KiB/s from [::1]:4000 (blksize 512, windowsize 1, 1 retransmit)",
 * );
 * ```
 */
export function formatSummary(
  command: "get" | "put",
  name: string,
  result: TransferResult,
): string {
  const { stats } = result;
  const ms = stats.elapsedMs;
  const rate = ms > 0 ? `, ${formatRate((result.bytes * 1000) / ms)}` : "";
  const direction = command === "get" ? "from" : "to";
  const size = result.bytes < 1024
    ? `${result.bytes} B`
    : `${result.bytes} B (${formatBytes(result.bytes)})`;
  return `${command} ${fileToken(name)}: ${size} in ${Math.round(ms)} ms${rate} ${direction} ${
    formatHostPort(result.peer)
  } ${statsText(stats)}`;
}

/** How a failure is reported: exit status, the stderr text, and the `--json` error. */
export interface FailureReport {
  /** 1 for a failed transfer, 2 for a usage error. */
  readonly exitCode: 1 | 2;
  /** What goes to stderr, ending with a newline. */
  readonly text: string;
  /** The `error` member of the `--json` line. */
  readonly error: { readonly code?: number; readonly name: string; readonly message: string };
}

/**
 * Turns anything `tftpGet`, `tftpPut` or the parser threw into a report. `localFile` names
 * the local side (`"out.bin"`, `"stdout"`) so that a local file error is not mistaken for
 * the server's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpRemoteError } from "../lib/tftp/errors.ts";
 * import { describeFailure } from "./_tftp_output.ts";
 * const report = describeFailure(new TftpRemoteError(1, "File not found"));
 * assert.equal(report.text, "error: File not found (TFTP error 1)\n");
 * assert.equal(report.exitCode, 1);
 * ```
 */
export function describeFailure(failure: unknown, localFile?: string): FailureReport {
  const error = failure instanceof Error ? failure : new Error(String(failure));
  if (error instanceof UsageError || error instanceof RangeError || error instanceof TypeError) {
    const message = terminalSafe(error.message);
    return {
      exitCode: 2,
      text: `error: ${message}\nRun with --help for usage.\n`,
      error: { name: error.name, message: error.message },
    };
  }
  let message: string;
  if (
    error instanceof TftpTimeoutError || error instanceof TftpRemoteError ||
    error instanceof TftpAbortError
  ) {
    // Says what timed out, or already ends with (TFTP error N), or was our own choice.
    message = error.message;
  } else if (error instanceof TftpError) {
    const local = error.name === "TftpError" && error.cause instanceof Error &&
      !(error.cause instanceof TftpError);
    const prefix = local && localFile !== undefined
      ? `Local file ${JSON.stringify(localFile)}: `
      : "";
    // Nothing went over the wire for a local file error: no TFTP error code to quote.
    message = prefix ? prefix + error.message : withCode(error.message, error.code);
  } else {
    message = error.message;
  }
  const code = error instanceof TftpError ? error.code : undefined;
  return {
    exitCode: 1,
    text: `error: ${terminalSafe(message)}\n`,
    error: code === undefined ? { name: error.name, message } : { code, name: error.name, message },
  };
}

/**
 * The `--json` line of a failed get or put.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TftpRemoteError } from "../lib/tftp/errors.ts";
 * import { describeFailure, failureJson } from "./_tftp_output.ts";
 * const report = describeFailure(new TftpRemoteError(2, "Access violation"));
 * const json = JSON.parse(failureJson("put", "tftp://h/f", report));
 * assert.deepEqual(json.error, {
 *   code: 2, name: "TftpRemoteError", message: "Access violation (TFTP error 2)",
 * });
 * ```
 */
export function failureJson(command: "get" | "put", url: string, report: FailureReport): string {
  return JSON.stringify({ ok: false, command, url, error: report.error });
}
