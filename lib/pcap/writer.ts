/**
 * A pcap file writer for `--pcap`: `write()` is synchronous and cheap (it encodes the record
 * and queues it), the file is written in the background in large chunks, and nothing about
 * the file ever throws into the transfer that is being captured. `close()` reports what went
 * wrong, if anything.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import type { Peer } from "../tftp/engine/types.ts";
import { encodePcapHeader, encodePcapRecord } from "./format.ts";

/** One datagram for {@linkcode PcapWriter.write}. */
export interface PcapDatagram {
  /** Sender address (IP literal) and port. */
  from: Peer;
  /** Receiver address (IP literal) and port. */
  to: Peer;
  /** The UDP payload; copied at once, so the caller may reuse the array. */
  bytes: Uint8Array;
  /** Milliseconds since the Unix epoch, fractions kept. @default {the current time} */
  timeMs?: number;
}

/** An open capture file. Close it with `close()` or `await using`. */
export interface PcapWriter extends AsyncDisposable {
  /**
   * Queues one datagram. Never throws: a datagram that cannot be recorded (an address that
   * is not an IP literal, a payload too large for UDP) or a failed file write is reported by
   * `close()`. Ignored after `close()`.
   */
  write(record: PcapDatagram): void;
  /** Writes what is queued and closes the file; rejects with the first error, if any. */
  close(): Promise<void>;
}

/** Queued bytes that start a write at once. */
const CHUNK_BYTES = 1 << 20;
/** Queued bytes beyond which datagrams are dropped (the disk cannot keep up). */
const MAX_QUEUED_BYTES = 64 << 20;
/** How long a few queued datagrams may wait before they are written. */
const FLUSH_DELAY_MS = 200;

/** The current time in milliseconds since the epoch, with sub-millisecond precision. */
function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

class FilePcapWriter implements PcapWriter {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Datagrams not recorded: not encodable, or the queue was full. */
  #skipped = 0;
  /** Why the first datagram that could not be encoded was refused. */
  #unencodable: Error | undefined;
  #error: Error | undefined;
  #draining: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;

  constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  write(record: PcapDatagram): void {
    if (this.#closing || this.#error) return;
    let bytes: Uint8Array;
    try {
      bytes = encodePcapRecord({ ...record, timeMs: record.timeMs ?? epochNowMs() });
    } catch (error) {
      this.#unencodable ??= error as Error;
      this.#skipped++;
      return;
    }
    if (this.#queuedBytes + bytes.length > MAX_QUEUED_BYTES) {
      this.#skipped++;
      return;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes >= CHUNK_BYTES) this.#drain();
    this.#schedule();
  }

  /** Makes sure queued datagrams are written soon even when few more arrive. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0 || this.#closing) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, FLUSH_DELAY_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Starts writing the queue unless a write is under way; resolves when that one ends. */
  #drain(): Promise<void> {
    this.#draining ??= this.#writeQueue().finally(() => {
      this.#draining = undefined;
      // Datagrams queued while the last write was ending.
      if (this.#queuedBytes >= CHUNK_BYTES) this.#drain();
      this.#schedule();
    });
    return this.#draining;
  }

  async #writeQueue(): Promise<void> {
    while (this.#queue.length > 0 && !this.#error) {
      const chunk = concatBytes(this.#queue);
      this.#queue = [];
      this.#queuedBytes = 0;
      try {
        await writeAll(this.#file, chunk);
      } catch (error) {
        this.#error = new Error(
          `Cannot write capture file ${JSON.stringify(this.#path)}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      try {
        // Writes are ignored from now on, so this ends.
        while (this.#draining || (this.#queue.length > 0 && !this.#error)) await this.#drain();
      } finally {
        this.#file.close();
      }
      if (this.#error) throw this.#error;
      if (this.#skipped > 0) {
        const why = this.#unencodable?.message ?? "writing the file could not keep up";
        const count = `${this.#skipped} datagram${this.#skipped === 1 ? "" : "s"}`;
        throw new Error(
          `${count} missing from capture file ${JSON.stringify(this.#path)}: ${why}`,
          { cause: this.#unencodable },
        );
      }
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates (or truncates) the pcap file at `path`, writes its header and returns a writer.
 * Rejects when the file cannot be opened or the header not written.
 *
 * @example
 * ```ts ignore
 * import { openPcapWriter } from "./writer.ts";
 * await using pcap = await openPcapWriter("transfer.pcap");
 * pcap.write({
 *   from: { hostname: "127.0.0.1", port: 50123 },
 *   to: { hostname: "127.0.0.1", port: 69 },
 *   bytes: new Uint8Array([0, 1, 0x61, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0]),
 * });
 * ```
 */
export async function openPcapWriter(path: string): Promise<PcapWriter> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, encodePcapHeader());
  } catch (error) {
    file.close();
    throw error;
  }
  return new FilePcapWriter(file, path);
}
