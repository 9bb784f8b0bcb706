/**
 * What the option, path and write checks share on top of `_helpers.ts`: a scripted
 * transfer described in one line, the OACK's spelling on the wire, verdict arithmetic and
 * unique upload names.
 *
 * @module
 */

import { OPCODE, type RequestPacket } from "../../tftp/packet/mod.ts";
import type {
  CheckContext,
  CheckStatus,
  ReceivedDatagram,
  ScriptedTransferRecord,
  TransferOptions,
} from "../check.ts";
import { compareBytes, describeDatagrams, describePacket } from "./_helpers.ts";

/**
 * A scripted download or upload in one line: the request, then what the server sent on its
 * TID (or the record's own detail when it sent nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeTransfer } from "./_option_helpers.ts";
 * const record = {
 *   result: "timeout", detail: "no answer", data: new Uint8Array(0),
 *   received: [], sent: 4, ms: 8000,
 * } as const;
 * const rrq = { opcode: 1, filename: "a.bin", mode: "octet", options: {} } as const;
 * assert.equal(describeTransfer(rrq, record), 'RRQ "a.bin" octet -> nothing (no answer)');
 * ```
 *
 * @param request The request as sent.
 * @param record What happened.
 * @returns One line.
 */
export function describeTransfer(request: RequestPacket, record: ScriptedTransferRecord): string {
  const seen = fromServer(record);
  const tail = record.result === "ok" || seen.length > 0 && record.result === "error"
    ? ""
    : ` (${record.detail})`;
  return `${describePacket(request)} -> ${describeDatagrams(seen)}${tail}`;
}

/**
 * The datagrams of a scripted transfer that came from the server's TID, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromServer } from "./_option_helpers.ts";
 * const at = (port: number) => ({ from: { hostname: "::1", port }, bytes: new Uint8Array(4), atMs: 0 });
 * const record = {
 *   result: "ok", detail: "", data: new Uint8Array(0), serverPort: 7,
 *   received: [at(7), at(8), at(7)], sent: 2, ms: 1,
 * } as const;
 * assert.equal(fromServer(record).length, 2);
 * ```
 *
 * @param record A download or upload.
 * @returns Those datagrams.
 */
export function fromServer(record: ScriptedTransferRecord): ReceivedDatagram[] {
  return record.received.filter((datagram) => datagram.from.port === record.serverPort);
}

/**
 * The option names of an OACK exactly as spelled on the wire (the decoder lower-cases
 * them), or `[]` when `bytes` is not an OACK.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oackSpellings } from "./_option_helpers.ts";
 * const oack = new TextEncoder().encode("\0\x06BLKSIZE\x001024\0TSize\x00512\0");
 * assert.deepEqual(oackSpellings(oack), ["BLKSIZE", "TSize"]);
 * ```
 *
 * @param bytes A datagram.
 * @returns The names, in order.
 */
export function oackSpellings(bytes: Uint8Array): string[] {
  if (bytes.length < 2 || bytes[0] !== 0 || bytes[1] !== OPCODE.OACK) return [];
  const fields = new TextDecoder().decode(bytes.subarray(2)).split("\0");
  if (fields[fields.length - 1] === "") fields.pop();
  return fields.filter((_, i) => i % 2 === 0);
}

/**
 * The worst of some verdicts: `fail`, then `warn`, then `pass`; `skip` only when all are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { worst } from "./_option_helpers.ts";
 * assert.equal(worst(["pass", "warn", "skip"]), "warn");
 * assert.equal(worst(["skip", "skip"]), "skip");
 * assert.equal(worst(["pass", "fail"]), "fail");
 * ```
 *
 * @param statuses Verdicts of the parts of a check.
 * @returns The verdict of the whole.
 */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  for (const status of ["fail", "warn", "pass"] as const) {
    if (statuses.includes(status)) return status;
  }
  return "skip";
}

/**
 * A name for an upload that no earlier run used: the context's write prefix, `tag`, and
 * random hex digits, e.g. `conformance-wrq-basic-1f3a9c0d.bin`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uniqueName } from "./_option_helpers.ts";
 * assert.match(uniqueName("conformance-", "wrq-basic"), /^conformance-wrq-basic-[0-9a-f]{8}\.bin$/);
 * ```
 *
 * @param prefix The context's `writePrefix`.
 * @param tag What the file is for.
 * @returns The name.
 */
export function uniqueName(prefix: string, tag: string): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  const hex = [...random].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${prefix}${tag}-${hex}.bin`;
}

/** A scripted transfer, the request as sent, and both in one line. */
export interface Described {
  /** The request as sent. */
  request: RequestPacket;
  /** What happened. */
  record: ScriptedTransferRecord;
  /** `RRQ "a.bin" octet blksize=8 -> OACK blksize=8, DATA 1 (8 B) ... DATA 65 (0 B)`. */
  line: string;
}

/**
 * Downloads `name` with the context's scripted client (which completes the transfer and
 * checks nothing about the content) and describes it in one line.
 *
 * @example
 * ```ts ignore
 * import { downloadDescribed } from "./_option_helpers.ts";
 * const { record, line } = await downloadDescribed(ctx, "1024-byte.bin", { options: { tsize: "0" } });
 * ```
 *
 * @param ctx The check's context.
 * @param name The file name as sent.
 * @param options Mode, request options, timing, probe.
 * @returns The request, the record and the line.
 */
export async function downloadDescribed(
  ctx: CheckContext,
  name: string,
  options: TransferOptions = {},
): Promise<Described> {
  const request: RequestPacket = {
    opcode: OPCODE.RRQ,
    filename: name,
    mode: options.mode ?? "octet",
    options: options.options ?? {},
  };
  const record = await ctx.download(name, options);
  return { request, record, line: describeTransfer(request, record) };
}

/**
 * Uploads `data` as `name` (needs a writable context) and describes it in one line, like
 * {@linkcode downloadDescribed}.
 *
 * @example
 * ```ts ignore
 * import { uploadDescribed } from "./_option_helpers.ts";
 * const { record, line } = await uploadDescribed(ctx, "conformance-x.bin", { data: new Uint8Array(9) });
 * ```
 *
 * @param ctx The check's context.
 * @param name The file name as sent.
 * @param options The bytes to send; mode, request options, timing, probe.
 * @returns The request, the record and the line.
 */
export async function uploadDescribed(
  ctx: CheckContext,
  name: string,
  options: TransferOptions & { data: Uint8Array },
): Promise<Described> {
  const request: RequestPacket = {
    opcode: OPCODE.WRQ,
    filename: name,
    mode: options.mode ?? "octet",
    options: options.options ?? {},
  };
  const { data, ...rest } = options;
  const record = await ctx.upload(name, data, rest);
  return { request, record, line: describeTransfer(request, record) };
}

/**
 * Why a download did not deliver `expected`: its own detail when it did not complete, the
 * first difference when it did; `undefined` when the bytes are exactly `expected`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notIntact } from "./_option_helpers.ts";
 * const record = {
 *   result: "ok", detail: "2 bytes in 1 DATA", data: new Uint8Array([1, 2]),
 *   received: [], sent: 2, ms: 1,
 * } as const;
 * assert.equal(notIntact(record, new Uint8Array([1, 2])), undefined);
 * assert.equal(notIntact(record, new Uint8Array([1, 2, 3])), "2 bytes instead of 3");
 * ```
 *
 * @param record A download.
 * @param expected The fixture's bytes.
 * @returns The reason, or `undefined`.
 */
export function notIntact(
  record: ScriptedTransferRecord,
  expected: Uint8Array,
): string | undefined {
  if (record.result !== "ok") return record.detail;
  return compareBytes(record.data, expected);
}

/** Pause before {@linkcode roundTrip} reads a file a second time, before scaling. */
const LATE_READ_MS = 500;

/** What {@linkcode roundTrip} saw. */
export interface RoundTrip {
  /** The upload. */
  up: Described;
  /** The download of the same name, when the upload completed. */
  down?: Described;
  /** Set when the server refused the WRQ itself (its first answer was an ERROR). */
  refused?: string;
  /** Set when the upload failed after it started, or the file read back differs. */
  problem?: string;
}

/**
 * Uploads `options.data` as `name`, then downloads `name` and compares: the WRQ checks'
 * round trip. A WRQ answered at once with ERROR is `refused` (writes not enabled, or the
 * name not allowed); anything else that goes wrong is a `problem`. A file read back wrong is
 * read once more after 500 ms (scaled): when that read is intact, the server only answered
 * the final DATA before writing the file (atftpd does), and `down.line` says so.
 *
 * @example
 * ```ts ignore
 * import { roundTrip } from "./_option_helpers.ts";
 * const trip = await roundTrip(ctx, "conformance-x.bin", { data: new Uint8Array(513) });
 * if (trip.problem) console.log(trip.problem);
 * ```
 *
 * @param ctx The check's context (writable).
 * @param name The name to write, starting with the write prefix.
 * @param options The bytes; mode, request options, timing of the upload.
 * @returns What happened.
 */
export async function roundTrip(
  ctx: CheckContext,
  name: string,
  options: TransferOptions & { data: Uint8Array },
): Promise<RoundTrip> {
  const up = await uploadDescribed(ctx, name, options);
  const answer = fromServer(up.record)[0];
  if (answer?.packet?.opcode === OPCODE.ERROR) return { up, refused: up.line };
  if (up.record.result !== "ok") return { up, problem: `the upload failed: ${up.line}` };
  const down = await downloadDescribed(ctx, name);
  const wrong = notIntact(down.record, options.data);
  if (wrong === undefined) return { up, down };
  // Some servers (atftpd) send the final ACK before the file is flushed: read once more.
  await new Promise((resolve) => setTimeout(resolve, ctx.ms(LATE_READ_MS)));
  const again = await downloadDescribed(ctx, name);
  if (notIntact(again.record, options.data) === undefined) {
    const line = `${again.line} (read again after ${ctx.ms(LATE_READ_MS)} ms: the first read, ` +
      `right after the final ACK, got ${wrong}; the server acknowledged before the file was ` +
      `written)`;
    return { up, down: { ...again, line } };
  }
  return { up, down, problem: `the file read back differs: ${wrong} (${down.line})` };
}
