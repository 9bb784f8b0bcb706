/**
 * Several datagrams in one `recvmmsg(2)`: for a socket whose datagrams come in bursts (a
 * window of DATA), one system call takes what is queued instead of one `recvfrom` each. A
 * system call costs about 2 µs on the machines measured here (an empty `recvfrom` that
 * finds nothing), so a window of 16 saves most of the 16 calls it would otherwise take.
 *
 * The datagrams land in slots of one buffer, each with its sender's sockaddr; the socket
 * hands them out one at a time.
 *
 * @module
 */

import { IOVEC_BYTES, type Libc, MSGHDR_BYTES, pointerOf, SOCKADDR_BYTES } from "./_libc.ts";

/** `struct mmsghdr` on 64-bit Linux: a msghdr, then the received length, padded to 8. */
const MMSGHDR_BYTES = MSGHDR_BYTES + 8;
/** Where the received length sits in an mmsghdr. */
const LENGTH_OFFSET = MSGHDR_BYTES;
/** Most datagrams per call. */
export const MAX_BATCH = 32;
/** Most bytes of slots per batch: larger datagrams are received one at a time. */
const MAX_SLOTS_BYTES = 64 * 1024;

/**
 * How many datagrams of up to `slotBytes` one call takes: up to {@linkcode MAX_BATCH}, within
 * 64 KiB of slots; 1 means "not worth a batch".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchSlots } from "./_libc_mmsg.ts";
 * assert.equal(batchSlots(1473), 32);
 * assert.equal(batchSlots(8197), 7);
 * assert.equal(batchSlots(65469), 1);
 * ```
 */
export function batchSlots(slotBytes: number): number {
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_SLOTS_BYTES / slotBytes)));
}

/**
 * The buffers of a batched receive: slots of `slotBytes`, their message headers and senders.
 * Made for one slot size; sockets borrow one from a {@linkcode BatchPool} for a burst.
 *
 * @example
 * ```ts ignore
 * const batch = new ReceiveBatch(libc, 1473);
 * const n = batch.receive(fd, MSG_DONTWAIT); // datagrams now in slots 0..n-1
 * ```
 */
export class ReceiveBatch {
  /** Bytes per slot: a longer datagram is cut to this (as `recvfrom` would cut it). */
  readonly slotBytes: number;
  /** Slots per call. */
  readonly slots: number;
  readonly #libc: Libc;
  readonly #data: Uint8Array;
  readonly #headers: Uint8Array;
  readonly #headersView: DataView;
  readonly #names: Uint8Array;
  readonly #vectors: Uint8Array;

  /** Lays out the slots and the headers that point at them. */
  constructor(libc: Libc, slotBytes: number) {
    this.#libc = libc;
    this.slotBytes = slotBytes;
    this.slots = batchSlots(slotBytes);
    this.#data = new Uint8Array(slotBytes * this.slots);
    this.#headers = new Uint8Array(MMSGHDR_BYTES * this.slots);
    this.#headersView = new DataView(this.#headers.buffer);
    this.#names = new Uint8Array(SOCKADDR_BYTES * this.slots);
    this.#vectors = new Uint8Array(IOVEC_BYTES * this.slots);
    const vectors = new DataView(this.#vectors.buffer);
    const data = pointerOf(this.#data);
    const names = pointerOf(this.#names);
    const iov = pointerOf(this.#vectors);
    for (let i = 0; i < this.slots; i++) {
      vectors.setBigUint64(i * IOVEC_BYTES, data + BigInt(i * slotBytes), true);
      vectors.setBigUint64(i * IOVEC_BYTES + 8, BigInt(slotBytes), true);
      const at = i * MMSGHDR_BYTES;
      this.#headersView.setBigUint64(at, names + BigInt(i * SOCKADDR_BYTES), true);
      this.#headersView.setBigUint64(at + 16, iov + BigInt(i * IOVEC_BYTES), true);
      this.#headersView.setBigUint64(at + 24, 1n, true);
    }
  }

  /**
   * Takes what is queued on `fd` without blocking: the number of datagrams now in slots
   * 0..n-1, or -1 (then `errno` tells why; EAGAIN when nothing was queued).
   */
  receive(fd: number, flags: number): number {
    const view = this.#headersView;
    for (let i = 0; i < this.slots; i++) {
      view.setUint32(i * MMSGHDR_BYTES + 8, SOCKADDR_BYTES, true);
    }
    return this.#libc.recvmmsg(fd, this.#headers, this.slots, flags, null);
  }

  /** The bytes of slot `i`, as received (a view, valid until the next `receive`). */
  bytes(i: number): Uint8Array {
    const length = this.#headersView.getUint32(i * MMSGHDR_BYTES + LENGTH_OFFSET, true);
    const at = i * this.slotBytes;
    return this.#data.subarray(at, at + length);
  }

  /** The sockaddr of slot `i`'s sender (a view). */
  sender(i: number): Uint8Array {
    return this.#names.subarray(i * SOCKADDR_BYTES, (i + 1) * SOCKADDR_BYTES);
  }
}

/**
 * Free batches a pool keeps, all slot sizes together (at most 64 KiB of slots each); more are
 * left to the collector. Bounded in total: the slot size follows the block size a client asks
 * for, so a cap per size would let a server keep batches for every size it has seen.
 */
export const MAX_FREE_BATCHES = 8;

/**
 * Batches lent to the sockets of one libc: a socket holds one only while it has datagrams of
 * a burst left to hand out, so a thousand sockets that each saw a burst once do not keep
 * 64 KiB of slots apiece (they did: 64 MB under 1000 concurrent transfers).
 *
 * @example
 * ```ts ignore
 * const pool = new BatchPool(libc);
 * const batch = pool.take(1473);
 * pool.give(batch);
 * ```
 */
export class BatchPool {
  readonly #libc: Libc;
  /** Free batches, the most recently given last; at most MAX_FREE_BATCHES. */
  readonly #free: ReceiveBatch[] = [];

  /** A pool for sockets of `libc`. */
  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** A batch with slots of `slotBytes`: a free one of that size, else a new one. */
  take(slotBytes: number): ReceiveBatch {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      if (free[i].slotBytes !== slotBytes) continue;
      const batch = free[i];
      free.splice(i, 1);
      return batch;
    }
    return new ReceiveBatch(this.#libc, slotBytes);
  }

  /**
   * Returns a batch whose datagrams were all handed out. A full pool drops its oldest: the
   * sizes in use now are the likely ones.
   */
  give(batch: ReceiveBatch): void {
    if (this.#free.length === MAX_FREE_BATCHES) this.#free.shift();
    this.#free.push(batch);
  }

  /** Free batches kept now (all sizes). */
  get freeCount(): number {
    return this.#free.length;
  }
}
