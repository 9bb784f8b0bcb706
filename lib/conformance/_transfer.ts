/**
 * Scripted transfers for conformance checks: a download (RRQ) and an upload (WRQ) that
 * behave like a careful, strict client and record everything they see. Their shared state
 * (TID, negotiated options, records) is a `Session` of `_session.ts`.
 *
 * Rules of both:
 * - The first datagram from the server's host answers the request and pins the server's TID
 *   (its port). Datagrams from any other address are strangers: recorded, never answered.
 * - OACK options `blksize` and `windowsize` are followed as the server gives them (checks
 *   judge whether they were allowed); the OACK of a download is answered with ACK 0.
 * - Block numbers are 16-bit and wrap from 65535 to 0.
 * - Without progress for `timeoutMs`, the last packet (or window) is sent again, at most
 *   `RETRIES` (3) times; then the transfer ends with `timeout`.
 * - An ERROR from the server ends it with `error`. A datagram from the server that cannot be
 *   decoded, an unexpected opcode, DATA larger than the blksize, or a block beyond the
 *   window ends it with `protocol`, after an ERROR 4 to the server.
 * - Received datagrams are kept up to {@linkcode MAX_SCRIPTED_BYTES} bytes and
 *   {@linkcode MAX_SCRIPTED_DATAGRAMS} datagrams: a server that streams forever ends the
 *   transfer with `protocol`, after an ERROR 3 to the server.
 * - Duplicates never trigger retransmits of DATA (Sorcerer's Apprentice); a download answers
 *   a duplicate of the block it last acknowledged by acknowledging it again.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { ERROR_CODE, OPCODE, type Packet } from "../tftp/packet/mod.ts";
import type { ScriptedTransferRecord } from "./check.ts";
import { describe, RETRIES, Session, type SessionOptions } from "./_session.ts";

/** Most bytes of received datagrams one scripted transfer keeps (64 MiB). */
export const MAX_SCRIPTED_BYTES = 64 * 1024 * 1024;

/**
 * Most datagrams one scripted transfer keeps. Each kept datagram costs about 500 bytes of
 * bookkeeping besides its bytes, so 2^18 of them stay near the byte limit; they still hold a
 * 64 MiB download at blksize 512, or the largest fixture at blksize 8, twice over.
 */
export const MAX_SCRIPTED_DATAGRAMS = 2 ** 18;

/** Options of {@linkcode download} and {@linkcode upload}. */
export interface ScriptOptions extends Omit<SessionOptions, "maxBytes" | "maxDatagrams"> {
  /** Transfer mode as sent. */
  mode: string;
  /** Request options, names and values exactly as sent. */
  options: Readonly<Record<string, string>>;
  /** Most bytes of received datagrams kept (tests lower it). @default {MAX_SCRIPTED_BYTES} */
  maxBytes?: number;
  /** Most received datagrams kept (tests lower it). @default {MAX_SCRIPTED_DATAGRAMS} */
  maxDatagrams?: number;
}

function openSession(options: ScriptOptions): Session {
  const { maxBytes = MAX_SCRIPTED_BYTES, maxDatagrams = MAX_SCRIPTED_DATAGRAMS } = options;
  for (const [name, value] of [["maxBytes", maxBytes], ["maxDatagrams", maxDatagrams]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  return new Session({ ...options, maxBytes, maxDatagrams });
}

/**
 * Downloads `name` (RRQ) lock-step, or windowed when the OACK sets a windowsize: ACKs the
 * last block of each window and the final short block. `data` holds the bytes as received
 * (netascii is not converted).
 *
 * @example
 * ```ts ignore
 * import { download } from "./_transfer.ts";
 * import { openProbe } from "./probe.ts";
 * const server = { hostname: "127.0.0.1", port: 69 };
 * await using probe = await openProbe(server);
 * const got = await download("512-byte.bin", { probe, server, mode: "octet", options: {}, timeoutMs: 2000 });
 * console.log(got.result, got.data.length);
 * ```
 *
 * @param name The file name as sent.
 * @param options Socket, server, request and timing.
 * @returns What happened.
 */
export async function download(
  name: string,
  options: ScriptOptions,
): Promise<ScriptedTransferRecord> {
  const s = openSession(options);
  const chunks: Uint8Array[] = [];
  const data = () => concatBytes(chunks);
  const rrq: Packet = {
    opcode: OPCODE.RRQ,
    filename: name,
    mode: options.mode,
    options: options.options,
  };
  let next = 1; // absolute number of the next block expected
  let unacked = 0; // in-order blocks since our last ACK
  let started = false; // an OACK or DATA arrived
  let gapAcked = false; // we already asked the sender to resume after a lost block
  let retries = 0;
  let deadline = 0;
  const progress = () => {
    retries = 0;
    deadline = performance.now() + options.timeoutMs;
  };
  const ack = async (block: number) => {
    unacked = 0;
    await s.send({ opcode: OPCODE.ACK, block: block & 0xffff });
  };
  await s.send(rrq);
  progress();
  for (;;) {
    const datagram = await s.next(deadline);
    if (s.overflow !== undefined) {
      return await s.protocol(s.overflow, data(), ERROR_CODE.DISK_FULL);
    }
    const expected = next & 0xffff;
    if (datagram === undefined) {
      const what = started ? `DATA ${expected}` : "answer to the RRQ";
      if (retries === RETRIES) return s.timeout(what, data());
      retries++;
      deadline = performance.now() + options.timeoutMs;
      if (started) await ack(next - 1);
      else await s.send(rrq);
      continue;
    }
    const packet = datagram.packet;
    if (packet === undefined) {
      return await s.protocol(
        `undecodable datagram from the server: ${datagram.decodeError}`,
        data(),
      );
    }
    if (packet.opcode === OPCODE.ERROR) return s.remote(packet, data());
    if (packet.opcode === OPCODE.OACK) {
      if (!started) {
        started = true;
        const wrong = s.negotiate(packet.options);
        if (wrong !== undefined) return await s.protocol(wrong, data());
        progress();
        await ack(0);
      } else if (next === 1) {
        await ack(0); // our ACK 0 was lost
      }
      continue;
    }
    if (packet.opcode !== OPCODE.DATA) {
      return await s.protocol(`expected DATA ${expected}, got ${describe(packet)}`, data());
    }
    started = true;
    const ahead = (packet.block - expected) & 0xffff;
    if (ahead === 0) {
      const size = packet.data.length;
      if (size > s.blksize) {
        return await s.protocol(
          `DATA ${packet.block} carries ${size} bytes, more than the blksize ${s.blksize}`,
          data(),
        );
      }
      chunks.push(packet.data);
      next++;
      unacked++;
      gapAcked = false;
      progress();
      if (size < s.blksize) {
        await ack(packet.block);
        const blocks = next - 1;
        const all = data();
        return s.end("ok", `${all.length} bytes in ${blocks} DATA, ${s.settings()}`, all);
      }
      if (unacked >= s.windowsize) await ack(packet.block);
      continue;
    }
    const behind = (expected - packet.block) & 0xffff;
    if (behind >= 1 && behind <= s.windowsize && next - behind >= 1) {
      if (behind === 1 && unacked === 0) await ack(packet.block); // our ACK was lost
      continue;
    }
    if (ahead < s.windowsize) {
      if (!gapAcked) await ack(next - 1); // a block of the window was lost: resume after it
      gapAcked = true;
      continue;
    }
    const window = s.windowsize > 1 ? ` (windowsize ${s.windowsize})` : "";
    return await s.protocol(
      `DATA ${packet.block} arrived while DATA ${expected} was expected${window}`,
      data(),
    );
  }
}

/**
 * Uploads `data` as `name` (WRQ) lock-step, or windowed when the OACK sets a windowsize; the
 * last block is short (0 bytes when the size is a multiple of the blksize). Waits for the
 * final ACK. In netascii mode `data` is sent as given (pass wire bytes).
 *
 * @example
 * ```ts ignore
 * import { upload } from "./_transfer.ts";
 * import { openProbe } from "./probe.ts";
 * const server = { hostname: "127.0.0.1", port: 69 };
 * await using probe = await openProbe(server);
 * const bytes = new Uint8Array(1000);
 * const sent = await upload("conformance-x.bin", bytes, { probe, server, mode: "octet", options: {}, timeoutMs: 2000 });
 * console.log(sent.result);
 * ```
 *
 * @param name The file name as sent.
 * @param data The bytes to send.
 * @param options Socket, server, request and timing.
 * @returns What happened.
 */
export async function upload(
  name: string,
  data: Uint8Array,
  options: ScriptOptions,
): Promise<ScriptedTransferRecord> {
  const s = openSession(options);
  const wrq: Packet = {
    opcode: OPCODE.WRQ,
    filename: name,
    mode: options.mode,
    options: options.options,
  };
  let total = 0; // blocks to send, known once the blksize is
  let base = 1; // absolute number of the first unacknowledged block
  let sentUpTo = 0; // highest block sent
  let started = false;
  let retries = 0;
  let deadline = 0;
  const progress = () => {
    retries = 0;
    deadline = performance.now() + options.timeoutMs;
  };
  const sendWindow = async () => {
    while (sentUpTo < total && sentUpTo < base - 1 + s.windowsize) {
      sentUpTo++;
      const from = (sentUpTo - 1) * s.blksize;
      const block = data.subarray(from, from + s.blksize);
      await s.send({ opcode: OPCODE.DATA, block: sentUpTo & 0xffff, data: block });
    }
  };
  const start = async () => {
    started = true;
    total = Math.floor(data.length / s.blksize) + 1;
    progress();
    await sendWindow();
  };
  await s.send(wrq);
  progress();
  for (;;) {
    const datagram = await s.next(deadline);
    if (s.overflow !== undefined) return await s.protocol(s.overflow, data, ERROR_CODE.DISK_FULL);
    const acked = (base - 1) & 0xffff;
    if (datagram === undefined) {
      const what = started ? `ACK ${sentUpTo & 0xffff}` : "answer to the WRQ";
      if (retries === RETRIES) return s.timeout(what, data);
      retries++;
      deadline = performance.now() + options.timeoutMs;
      if (!started) await s.send(wrq);
      else {
        sentUpTo = base - 1;
        await sendWindow();
      }
      continue;
    }
    const packet = datagram.packet;
    if (packet === undefined) {
      return await s.protocol(
        `undecodable datagram from the server: ${datagram.decodeError}`,
        data,
      );
    }
    if (packet.opcode === OPCODE.ERROR) return s.remote(packet, data);
    if (packet.opcode === OPCODE.OACK) {
      if (!started) {
        const wrong = s.negotiate(packet.options);
        if (wrong !== undefined) return await s.protocol(wrong, data);
        await start();
      }
      continue; // a repeated OACK: our timeout resends the window
    }
    if (packet.opcode !== OPCODE.ACK) {
      const want = started ? `ACK ${sentUpTo & 0xffff}` : "ACK 0 or OACK";
      return await s.protocol(`expected ${want}, got ${describe(packet)}`, data);
    }
    if (!started) {
      if (packet.block !== 0) {
        return await s.protocol(`expected ACK 0 or OACK, got ACK ${packet.block}`, data);
      }
      await start();
      continue;
    }
    const ahead = (packet.block - acked) & 0xffff;
    if (ahead >= 1 && ahead <= sentUpTo - (base - 1)) {
      base += ahead;
      sentUpTo = base - 1; // blocks after an ACK inside the window are sent again
      progress();
      if (base > total) {
        return s.end("ok", `${data.length} bytes in ${total} DATA, ${s.settings()}`, data);
      }
      await sendWindow();
      continue;
    }
    const behind = (acked - packet.block) & 0xffff;
    if (behind <= s.windowsize) continue; // a duplicate or old ACK: never resend on it
    return await s.protocol(
      `ACK ${packet.block} acknowledges a block not sent yet (sent up to ${sentUpTo & 0xffff})`,
      data,
    );
  }
}
