/**
 * Moving bytes between a {@linkcode Source} / {@linkcode Sink} and a machine, with netascii
 * conversion at the edge. Shared by the client and the server.
 *
 * @module
 */

import type { Sender } from "./engine/sender.ts";
import { NetasciiDecoder, NetasciiEncoder } from "./packet/netascii.ts";
import type { TransferMode } from "./engine/admission.ts";
import type { Sink, Source } from "./_io.ts";
import { monotonicNow } from "../udp/clock.ts";

/**
 * Feeds a sender from a source while it wants data; counts local bytes read. It offers only
 * what fills the sender's window and keeps the rest of a chunk for later, so a transfer holds
 * one window of packets, whatever the source's chunk size.
 */
export class SenderFeed {
  #source: Source;
  #encoder: NetasciiEncoder | undefined;
  #rest: Uint8Array = new Uint8Array(0);
  /** Bytes read from the source (local form). */
  bytesRead = 0;

  /** Creates a feed; netascii mode converts LF to CR LF on the way out. */
  constructor(source: Source, mode: TransferMode) {
    this.#source = source;
    this.#encoder = mode === "netascii" ? new NetasciiEncoder() : undefined;
  }

  /**
   * Offers bytes until the sender's window is covered or the input ends. Returns a promise
   * only when it has to read (once a chunk is used up); otherwise it is done at once, so a
   * lock-step transfer does not pay for a promise per block.
   */
  feed(sender: Sender): Promise<void> | undefined {
    while (sender.wantsData) {
      if (this.#rest.length === 0) return this.#readThenFeed(sender);
      const take = Math.min(this.#rest.length, sender.wantedBytes);
      sender.offer(monotonicNow(), this.#rest.subarray(0, take));
      this.#rest = this.#rest.subarray(take);
    }
    return undefined;
  }

  async #readThenFeed(sender: Sender): Promise<void> {
    // The chunk is valid until the next read, and that only happens once it is used up.
    const chunk = await this.#source.read(sender.wantedBytes);
    if (chunk === null) {
      if (this.#encoder) sender.offer(monotonicNow(), this.#encoder.flush());
      sender.finish(monotonicNow());
      return;
    }
    this.bytesRead += chunk.length;
    this.#rest = this.#encoder ? this.#encoder.encode(chunk) : chunk;
    await this.feed(sender);
  }
}

/** Writes a receiver's data into a sink; netascii mode converts CR LF back to LF. */
export class SinkWriter {
  #sink: Sink;
  #decoder: NetasciiDecoder | undefined;
  /** Bytes written to the sink (local form). */
  bytesWritten = 0;
  /** Bytes received on the wire. */
  wireBytes = 0;

  /** Creates a writer. */
  constructor(sink: Sink, mode: TransferMode) {
    this.#sink = sink;
    this.#decoder = mode === "netascii" ? new NetasciiDecoder() : undefined;
  }

  #write(chunk: Uint8Array): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    this.bytesWritten += chunk.length;
    return this.#sink.write(chunk);
  }

  /** Writes one DATA payload; a promise only when the sink is doing I/O (see `Sink`). */
  write(data: Uint8Array): Promise<void> | undefined {
    this.wireBytes += data.length;
    return this.#write(this.#decoder ? this.#decoder.decode(data) : data);
  }

  /** Flushes and commits the sink. */
  async commit(): Promise<void> {
    if (this.#decoder) await this.#write(this.#decoder.flush());
    await this.#sink.commit();
  }

  /** Discards the sink. */
  discard(reason: unknown): Promise<void> {
    return this.#sink.discard(reason);
  }
}
