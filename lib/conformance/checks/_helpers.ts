/**
 * Helpers shared by the built-in checks: naming packets the way an engineer reads them,
 * comparing bytes, crafting raw requests, and a small lock-step download a check can start,
 * interrupt and finish by hand (the context's `download` runs a whole transfer at once).
 *
 * @module
 */

import { concatBytes } from "../../bytes.ts";
import { DEFAULT_BLKSIZE, OPCODE, type Packet, type RequestPacket } from "../../tftp/packet/mod.ts";
import type {
  Address,
  CheckContext,
  CheckOutcome,
  Liveness,
  Probe,
  ReceivedDatagram,
} from "../check.ts";
import { canonicalHost, resolveAddress } from "../probe.ts";

/** Retransmissions of our last ACK before {@linkcode finishDownload} gives up. */
export const ACK_RETRIES = 3;

/**
 * A packet as an engineer reads it: `RRQ "a.bin" octet blksize=8`, `DATA 1 (512 B)`,
 * `ACK 0`, `ERROR 1 "File not found"`, `OACK blksize=8`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describePacket } from "./_helpers.ts";
 * assert.equal(describePacket({ opcode: 3, block: 2, data: new Uint8Array(7) }), "DATA 2 (7 B)");
 * assert.equal(describePacket({ opcode: 6, options: { blksize: "8" } }), "OACK blksize=8");
 * ```
 *
 * @param packet A decoded packet.
 * @returns Its one-line description.
 */
export function describePacket(packet: Packet): string {
  const options = (o: Readonly<Record<string, string>>) =>
    Object.entries(o).map(([k, v]) => ` ${k}=${v}`).join("");
  switch (packet.opcode) {
    case OPCODE.RRQ:
    case OPCODE.WRQ: {
      const kind = packet.opcode === OPCODE.RRQ ? "RRQ" : "WRQ";
      return `${kind} ${JSON.stringify(packet.filename)} ${packet.mode}${options(packet.options)}`;
    }
    case OPCODE.DATA:
      return `DATA ${packet.block} (${packet.data.length} B)`;
    case OPCODE.ACK:
      return `ACK ${packet.block}`;
    case OPCODE.ERROR:
      return `ERROR ${packet.code} ${JSON.stringify(packet.message)}`;
    case OPCODE.OACK:
      return `OACK${options(packet.options)}`;
  }
}

/**
 * A received datagram as an engineer reads it; undecodable bytes say why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeDatagram } from "./_helpers.ts";
 * const from = { hostname: "127.0.0.1", port: 69 };
 * const bytes = new Uint8Array([0, 9]);
 * assert.equal(
 *   describeDatagram({ from, bytes, decodeError: "Too short", atMs: 0 }),
 *   "an undecodable 2-byte datagram (Too short)",
 * );
 * ```
 *
 * @param datagram What a probe received.
 * @returns Its one-line description.
 */
export function describeDatagram(datagram: ReceivedDatagram): string {
  if (datagram.packet !== undefined) return describePacket(datagram.packet);
  return `an undecodable ${datagram.bytes.length}-byte datagram (${datagram.decodeError})`;
}

/**
 * Datagrams in order, long runs shortened to the first few and the last:
 * `OACK blksize=8, DATA 1 (8 B) ... DATA 65 (0 B)`; `nothing` for none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeDatagrams } from "./_helpers.ts";
 * const from = { hostname: "127.0.0.1", port: 5000 };
 * const data = (block: number) => ({
 *   from, atMs: 0, bytes: new Uint8Array(4),
 *   packet: { opcode: 3 as const, block, data: new Uint8Array(block === 9 ? 0 : 8) },
 * });
 * const list = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(data);
 * assert.equal(describeDatagrams(list, 3), "DATA 1 (8 B), DATA 2 (8 B) ... DATA 9 (0 B)");
 * assert.equal(describeDatagrams([]), "nothing");
 * ```
 *
 * @param datagrams What arrived.
 * @param max Most datagrams named before shortening (at least 2).
 * @returns The description.
 */
export function describeDatagrams(datagrams: readonly ReceivedDatagram[], max = 6): string {
  if (datagrams.length === 0) return "nothing";
  const names = datagrams.map(describeDatagram);
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, Math.max(1, max - 1)).join(", ")} ... ${names[names.length - 1]}`;
}

/**
 * Why `got` is not `expected`, or `undefined` when they are equal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareBytes } from "./_helpers.ts";
 * assert.equal(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])), undefined);
 * assert.equal(compareBytes(new Uint8Array([1]), new Uint8Array([1, 2])), "1 bytes instead of 2");
 * assert.equal(
 *   compareBytes(new Uint8Array([1, 5]), new Uint8Array([1, 2])),
 *   "byte 1 is 0x05 instead of 0x02",
 * );
 * ```
 *
 * @param got The bytes received.
 * @param expected The bytes wanted.
 * @returns The first difference, in words.
 */
export function compareBytes(got: Uint8Array, expected: Uint8Array): string | undefined {
  const shorter = Math.min(got.length, expected.length);
  for (let i = 0; i < shorter; i++) {
    if (got[i] !== expected[i]) return `byte ${i} is ${hex(got[i])} instead of ${hex(expected[i])}`;
  }
  if (got.length !== expected.length) return `${got.length} bytes instead of ${expected.length}`;
  return undefined;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}

/**
 * Raw bytes of a request-like packet: a 16-bit `opcode`, then each field followed by a NUL,
 * except that the last field has no NUL when `terminated` is false. For malformed packets
 * the strict codec refuses to build.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawRequest } from "./_helpers.ts";
 * const bytes = rawRequest(1, ["a", "octet"], { terminated: false });
 * assert.deepEqual(bytes, new Uint8Array([0, 1, 97, 0, 111, 99, 116, 101, 116]));
 * ```
 *
 * @param opcode Any 16-bit number.
 * @param fields Filename, mode, option names and values, as text.
 * @param options Whether the last field ends in a NUL.
 * @returns The datagram.
 */
export function rawRequest(
  opcode: number,
  fields: readonly string[],
  options: {
    /** Whether the last field ends in a NUL. @default {true} */
    terminated?: boolean;
  } = {},
): Uint8Array {
  const terminated = options.terminated ?? true;
  const text = fields.join("\0") + (terminated && fields.length > 0 ? "\0" : "");
  const body = new TextEncoder().encode(text);
  return concatBytes([new Uint8Array([opcode >> 8, opcode & 0xff]), body]);
}

/**
 * Whether a datagram is DATA (numbered `block`, when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isData } from "./_helpers.ts";
 * const from = { hostname: "127.0.0.1", port: 5000 };
 * const data = { opcode: 3 as const, block: 1, data: new Uint8Array(0) };
 * assert.ok(isData({ from, bytes: new Uint8Array(4), packet: data, atMs: 0 }, 1));
 * assert.ok(!isData(undefined));
 * ```
 *
 * @param datagram What arrived, if anything.
 * @param block The block number wanted.
 * @returns Whether it matches.
 */
export function isData(
  datagram: ReceivedDatagram | undefined,
  block?: number,
): datagram is ReceivedDatagram & { packet: Packet & { opcode: typeof OPCODE.DATA } } {
  const packet = datagram?.packet;
  return packet?.opcode === OPCODE.DATA && (block === undefined || packet.block === block);
}

/**
 * Whether a datagram is an ERROR (with `code`, when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isError } from "./_helpers.ts";
 * const from = { hostname: "127.0.0.1", port: 5000 };
 * const error = { opcode: 5 as const, code: 1, message: "File not found" };
 * assert.ok(isError({ from, bytes: new Uint8Array(4), packet: error, atMs: 0 }, 1));
 * assert.ok(!isError({ from, bytes: new Uint8Array(4), packet: error, atMs: 0 }, 4));
 * ```
 *
 * @param datagram What arrived, if anything.
 * @param code The error code wanted.
 * @returns Whether it matches.
 */
export function isError(
  datagram: ReceivedDatagram | undefined,
  code?: number,
): datagram is ReceivedDatagram & { packet: Packet & { opcode: typeof OPCODE.ERROR } } {
  const packet = datagram?.packet;
  return packet?.opcode === OPCODE.ERROR && (code === undefined || packet.code === code);
}

/** One DATA block as first received. */
export interface Block {
  /** The 16-bit block number. */
  block: number;
  /** Its payload size in bytes. */
  size: number;
  /** How many copies arrived (1 without retransmissions). */
  copies: number;
}

/**
 * The DATA blocks among `received` (only those from `port`, when given), in order of their
 * first copy, with how many copies of each arrived. A block number counts as a copy when it
 * matches one of the last four entries, so numbers seen again after a wrap start new ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataBlocks } from "./_helpers.ts";
 * const from = { hostname: "127.0.0.1", port: 5000 };
 * const data = (block: number, size: number) => ({
 *   from, atMs: 0, bytes: new Uint8Array(4 + size),
 *   packet: { opcode: 3 as const, block, data: new Uint8Array(size) },
 * });
 * assert.deepEqual(dataBlocks([data(1, 512), data(1, 512), data(2, 1)]), [
 *   { block: 1, size: 512, copies: 2 },
 *   { block: 2, size: 1, copies: 1 },
 * ]);
 * ```
 *
 * @param received Datagrams in arrival order.
 * @param port Only datagrams from this port count.
 * @returns The blocks.
 */
export function dataBlocks(received: readonly ReceivedDatagram[], port?: number): Block[] {
  const blocks: Block[] = [];
  for (const datagram of received) {
    if (port !== undefined && datagram.from.port !== port) continue;
    const packet = datagram.packet;
    if (packet?.opcode !== OPCODE.DATA) continue;
    const recent = blocks.slice(-4).find((b) => b.block === packet.block);
    if (recent !== undefined) recent.copies++;
    else blocks.push({ block: packet.block, size: packet.data.length, copies: 1 });
  }
  return blocks;
}

/** What {@linkcode startDownload} saw. */
export interface Started {
  /** The client's socket the request went out on. */
  probe: Probe;
  /** The server's request address, host resolved. */
  server: Address;
  /** The first datagram from the server's host (any port), if one came. */
  first?: ReceivedDatagram;
}

/** Options of {@linkcode startDownload}. */
export interface StartOptions {
  /** The client's socket. @default {a fresh probe from `ctx.openProbe()`} */
  probe?: Probe;
  /** How long to wait for the first answer. @default {ctx.ms(3000)} */
  timeoutMs?: number;
}

/**
 * Sends `request` (a packet or raw bytes) to the server and waits for the first datagram
 * from the server's host, from any port. Sent once, never repeated: timing checks must not
 * start two transfers.
 *
 * @example
 * ```ts ignore
 * const { probe, first } = await startDownload(ctx, rrq("1024-byte.bin"));
 * ```
 *
 * @param ctx The check's context.
 * @param request The request.
 * @param options The socket and the wait.
 * @returns The socket, the server address and the first answer.
 */
export async function startDownload(
  ctx: CheckContext,
  request: Packet | Uint8Array,
  options: StartOptions = {},
): Promise<Started> {
  const server = await resolveAddress(ctx.server);
  const probe = options.probe ?? await ctx.openProbe();
  await probe.send(request);
  const first = await probe.receive({
    timeoutMs: options.timeoutMs ?? ctx.ms(3000),
    match: (d) => canonicalHost(d.from.hostname) === server.hostname,
  });
  return first === undefined ? { probe, server } : { probe, server, first };
}

/** A download held at DATA 2: DATA 1 acknowledged, DATA 2 received, not acknowledged. */
export interface HeldAtData2 {
  /** The client's socket. */
  probe: Probe;
  /** The server's request address, host resolved. */
  server: Address;
  /** The server's transfer address. */
  tid: Address;
  /** DATA 2 as received. */
  second: ReceivedDatagram;
}

/**
 * Starts an octet download of `name` (at least two blocks), acknowledges DATA 1 and waits for
 * DATA 2, which it leaves unacknowledged: where the timing checks start. A late copy of DATA 1
 * is passed over. When DATA 1 or DATA 2 does not come, `missing` says what came instead (the
 * transfer is cancelled with ERROR 0).
 *
 * @example
 * ```ts ignore
 * const held = await holdAtData2(ctx, "1024-byte.bin");
 * if ("missing" in held) return { status: "skip", detail: `${held.missing}: nothing to time` };
 * ```
 *
 * @param ctx The check's context.
 * @param name A fixture of more than 512 bytes.
 * @returns The held download, or what was missing.
 */
export async function holdAtData2(
  ctx: CheckContext,
  name: string,
): Promise<HeldAtData2 | { missing: string }> {
  const request = `RRQ ${JSON.stringify(name)} octet`;
  const { probe, first, server } = await startDownload(ctx, rrq(name));
  if (!isData(first, 1)) {
    if (first !== undefined && first.packet?.opcode !== OPCODE.ERROR) {
      await abandon(probe, first.from);
    }
    const got = first === undefined ? "no answer" : describeDatagram(first);
    return { missing: `${request} -> ${got}, not DATA 1` };
  }
  const tid = first.from;
  await probe.send({ opcode: OPCODE.ACK, block: 1 }, tid);
  const second = await probe.receive({
    timeoutMs: ctx.ms(3000),
    from: tid,
    match: (d) => !isData(d, 1), // a late DATA 1 is stale
  });
  if (!isData(second, 2)) {
    await abandon(probe, tid);
    const got = second === undefined ? "nothing" : describeDatagram(second);
    return { missing: `${request} -> DATA 1, ACK 1 -> ${got}, not DATA 2` };
  }
  return { probe, server, tid, second };
}

/**
 * An RRQ packet for `name` (octet unless told) with `options`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rrq } from "./_helpers.ts";
 * assert.deepEqual(rrq("a.bin"), { opcode: 1, filename: "a.bin", mode: "octet", options: {} });
 * assert.equal(rrq("a.txt", { mode: "netascii" }).mode, "netascii");
 * ```
 *
 * @param name The file name as sent.
 * @param request The mode and options as sent.
 * @returns The packet.
 */
export function rrq(
  name: string,
  request: {
    /** The mode. @default {"octet"} */
    mode?: string;
    /** The options. @default {{}} */
    options?: Record<string, string>;
  } = {},
): RequestPacket {
  return {
    opcode: OPCODE.RRQ,
    filename: name,
    mode: request.mode ?? "octet",
    options: request.options ?? {},
  };
}

/** A crafted datagram for {@linkcode sendSamples}. */
export interface Sample {
  /** What it is, e.g. `RRQ "512-byte.bin" without the final NUL`. */
  label: string;
  /** The exact bytes. */
  bytes: Uint8Array;
}

/** What came back for one {@linkcode Sample}. */
export interface SampleAnswer {
  /** The sample. */
  sample: Sample;
  /** Every datagram from the server's host within the window, in order. */
  answers: ReceivedDatagram[];
}

/**
 * Sends each sample from a port of its own, all at once, to the server's request port, and
 * gathers what the server's host sends back to each port within a window. Transfers the
 * server starts (DATA, OACK) are cancelled with ERROR 0 afterwards.
 *
 * @example
 * ```ts ignore
 * const [one] = await sendSamples(ctx, [{ label: "1 byte", bytes: new Uint8Array(1) }]);
 * console.log(one.answers.length === 0 ? "silence" : describeDatagram(one.answers[0]));
 * ```
 *
 * @param ctx The check's context.
 * @param samples The datagrams.
 * @param options How long to gather answers.
 * @returns One entry per sample, in order.
 */
export async function sendSamples(
  ctx: CheckContext,
  samples: readonly Sample[],
  options: {
    /** How long to gather answers. @default {ctx.ms(1000)} */
    windowMs?: number;
  } = {},
): Promise<SampleAnswer[]> {
  const server = await resolveAddress(ctx.server);
  const windowMs = options.windowMs ?? ctx.ms(1000);
  return await Promise.all(samples.map(async (sample) => {
    const probe = await ctx.openProbe();
    await probe.send(sample.bytes);
    const answers = (await probe.collect(windowMs)).filter((d) =>
      canonicalHost(d.from.hostname) === server.hostname
    );
    const started = answers.find((d) => d.packet !== undefined && !isError(d));
    if (started !== undefined) await abandon(probe, started.from);
    return { sample, answers };
  }));
}

/**
 * How a server answered a packet that is not a valid request: `silence`, `error-4`, another
 * `error` code, `served` (a DATA, OACK or ACK: it took the packet for a request) or `garbage`
 * (an undecodable datagram, or a request packet).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyAnswer } from "./_helpers.ts";
 * assert.equal(classifyAnswer([]), "silence");
 * ```
 *
 * @param answers What came back, in order.
 * @returns The class of the first answer.
 */
export function classifyAnswer(
  answers: readonly ReceivedDatagram[],
): "silence" | "error-4" | "error" | "served" | "garbage" {
  const first = answers[0];
  if (first === undefined) return "silence";
  if (isError(first, 4)) return "error-4";
  if (isError(first)) return "error";
  const opcode = first.packet?.opcode;
  const served = opcode === OPCODE.DATA || opcode === OPCODE.OACK || opcode === OPCODE.ACK;
  return served ? "served" : "garbage";
}

/** What {@linkcode trySamples} saw. */
export interface SampleRun {
  /** `label -> first answer` (or `silence`) for each sample, joined with `; `. */
  seen: string;
  /** The class of each sample's first answer ({@linkcode classifyAnswer}), in order. */
  classes: ReturnType<typeof classifyAnswer>[];
  /** The normal request made after them. */
  live: Liveness;
}

/**
 * Sends `samples` ({@linkcode sendSamples}), classifies the first answer to each, then makes
 * one normal request (`ctx.liveness()`): what the negative checks share.
 *
 * @example
 * ```ts ignore
 * const { seen, classes, live } = await trySamples(ctx, samples, { windowMs: ctx.ms(1000) });
 * if (!live.alive) return stoppedOutcome(seen, live);
 * ```
 *
 * @param ctx The check's context.
 * @param samples The datagrams.
 * @param options How long to gather answers.
 * @returns The answers, their classes and the liveness verdict.
 */
export async function trySamples(
  ctx: CheckContext,
  samples: readonly Sample[],
  options: {
    /** How long to gather answers. @default {ctx.ms(1000)} */
    windowMs?: number;
  } = {},
): Promise<SampleRun> {
  const results = await sendSamples(ctx, samples, options);
  const seen = results.map(({ sample, answers }) =>
    `${sample.label} -> ${answers.length === 0 ? "silence" : describeDatagram(answers[0])}`
  ).join("; ");
  const classes = results.map(({ answers }) => classifyAnswer(answers));
  return { seen, classes, live: await ctx.liveness() };
}

/**
 * The `fail` outcome of a check after which a normal request was no longer served.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stoppedOutcome } from "./_helpers.ts";
 * assert.deepEqual(stoppedOutcome("1 byte -> silence", { alive: false, detail: "no answer" }), {
 *   status: "fail",
 *   detail: "1 byte -> silence; then a normal RRQ: no answer: the server stopped serving",
 * });
 * ```
 *
 * @param seen What the check sent and got, in words.
 * @param live The failed liveness verdict.
 * @returns The outcome.
 */
export function stoppedOutcome(seen: string, live: Liveness): CheckOutcome {
  return {
    status: "fail",
    detail: `${seen}; then a normal RRQ: ${live.detail}: the server stopped serving`,
  };
}

/** Options of {@linkcode finishDownload}. */
export interface FinishOptions {
  /** The blocks already received, in order (their count gives the next block number). */
  chunks: Uint8Array[];
  /** The negotiated block size. @default {512} */
  blksize?: number;
  /** How long to wait for each DATA before our ACK is sent again. */
  timeoutMs: number;
  /**
   * Runs before each new ACK goes out (not before a repeated one), with its block number.
   * @default {undefined}
   */
  beforeAck?: (block: number) => Promise<void>;
}

/** What {@linkcode finishDownload} saw. */
export interface Finished {
  /** `ok` once a short DATA arrived. */
  result: "ok" | "error" | "timeout" | "protocol";
  /** One line on how it ended. */
  detail: string;
  /** Every block received, the ones given included. */
  data: Uint8Array;
  /** Every datagram from the TID during this call, duplicates included, in order. */
  received: ReceivedDatagram[];
}

/**
 * Goes on with a lock-step download whose first `chunks.length` blocks already arrived:
 * acknowledges the last of them, then ACKs each new block until a DATA shorter than
 * `blksize`. Only datagrams from `tid` count (others stay in `probe.others`); a duplicate
 * DATA is recorded and not answered at once (our ACK is repeated only on timeout), so
 * duplicate ACKs never come from us. Timeouts and duplicates together count against
 * {@linkcode ACK_RETRIES}, reset by each new block: a server that repeats a block forever
 * cannot keep the download going.
 *
 * @example
 * ```ts ignore
 * const done = await finishDownload(probe, first.from, { chunks: [first.packet.data], timeoutMs: 2000 });
 * ```
 *
 * @param probe The client's socket.
 * @param tid The server's transfer address.
 * @param options Blocks so far, blksize, timing, hook.
 * @returns How it ended.
 */
export async function finishDownload(
  probe: Probe,
  tid: Address,
  options: FinishOptions,
): Promise<Finished> {
  const blksize = options.blksize ?? DEFAULT_BLKSIZE;
  const chunks = [...options.chunks];
  const received: ReceivedDatagram[] = [];
  const end = (result: Finished["result"], detail: string): Finished => ({
    result,
    detail,
    data: concatBytes(chunks),
    received,
  });
  let retries = 0;
  await options.beforeAck?.(chunks.length & 0xffff);
  await probe.send({ opcode: OPCODE.ACK, block: chunks.length & 0xffff }, tid);
  for (;;) {
    const expected = (chunks.length + 1) & 0xffff;
    const got = await probe.receive({ timeoutMs: options.timeoutMs, from: tid });
    if (got === undefined) {
      if (retries === ACK_RETRIES) {
        return end("timeout", `no DATA ${expected} within ${options.timeoutMs} ms`);
      }
      retries++;
      await probe.send({ opcode: OPCODE.ACK, block: chunks.length & 0xffff }, tid);
      continue;
    }
    received.push(got);
    const packet = got.packet;
    if (isError(got)) return end("error", describeDatagram(got));
    if (packet?.opcode !== OPCODE.DATA) {
      return end("protocol", `expected DATA ${expected}, got ${describeDatagram(got)}`);
    }
    if (packet.block !== expected) {
      if (packet.block === (chunks.length & 0xffff)) {
        // A duplicate: not answered, but counted, so a server repeating it forever ends us.
        if (retries === ACK_RETRIES) {
          return end(
            "timeout",
            `DATA ${packet.block} came again and again, never DATA ${expected}`,
          );
        }
        retries++;
        continue;
      }
      return end("protocol", `expected DATA ${expected}, got ${describeDatagram(got)}`);
    }
    if (packet.data.length > blksize) {
      return end("protocol", `${describeDatagram(got)} is larger than the blksize ${blksize}`);
    }
    chunks.push(packet.data);
    retries = 0;
    if (packet.data.length < blksize) {
      await probe.send({ opcode: OPCODE.ACK, block: packet.block }, tid);
      return end("ok", `${concatBytes(chunks).length} bytes in ${chunks.length} DATA`);
    }
    await options.beforeAck?.(packet.block);
    await probe.send({ opcode: OPCODE.ACK, block: packet.block }, tid);
  }
}

/**
 * Ends a transfer the check no longer wants: ERROR 0 to the server's TID (never waits; a
 * failed send is ignored).
 *
 * @example
 * ```ts ignore
 * await abandon(probe, first.from);
 * ```
 *
 * @param probe The client's socket.
 * @param tid The server's transfer address.
 */
export async function abandon(probe: Probe, tid: Address): Promise<void> {
  const message = "Transfer cancelled by the conformance check";
  await probe.send({ opcode: OPCODE.ERROR, code: 0, message }, tid).catch(() => {});
}

/**
 * Milliseconds rounded to one decimal, for details and measurements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundMs } from "./_helpers.ts";
 * assert.equal(roundMs(12.345), 12.3);
 * ```
 *
 * @param ms A duration.
 * @returns It, rounded.
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
