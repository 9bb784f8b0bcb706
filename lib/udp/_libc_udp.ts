/**
 * A UDP socket driven straight through libc with Deno's FFI (Linux), for busy polling. A
 * receive first asks the kernel without blocking; only when nothing is queued it waits in
 * its {@linkcode LibcReactor} (which may spin briefly before it sleeps); a burst is taken with
 * one `recvmmsg(2)`. Sends are synchronous: one `sendto(2)` each, or one segmented
 * `sendmsg(2)` for a run (`sendMany`): no asynchronous op per datagram.
 *
 * It has the shape the driver uses of a `Deno.DatagramConn` (`addr`, `receive`, `send`,
 * `close`). One receive at a time. Needs `--allow-ffi`.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  EAGAIN,
  EINTR,
  errorFor,
  MSG_DONTWAIT,
  readSockaddr,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCKADDR_BYTES,
  writeSockaddr,
} from "./_libc.ts";
import type { Libc } from "./_libc.ts";
import { kernelSegments, SegmentedSender, segmentRun } from "./_libc_gso.ts";
import { BatchPool, batchSlots, type ReceiveBatch } from "./_libc_mmsg.ts";
import type { LibcReactor, SpinOutcome } from "./_libc_reactor.ts";
import { bindInRange, openUdpSocket } from "./socket.ts";
import type { DatagramSocket } from "./drive.ts";

/** The longest busy poll allowed: 10 ms (spinning longer than a timer tick gains nothing). */
export const MAX_BUSY_POLL_US = 10_000;
/**
 * How far a socket's busy poll may grow above its set's (see `#adaptSpin`): answers that keep
 * coming just after the spin ended, as a window's ACK does, then find it still spinning.
 */
export const MAX_SPIN_GROWTH = 8;
/** Tries of a send the kernel had no room for (EAGAIN), a yield apart. */
const SEND_RETRIES = 1000;
/** Receives in a row that found a datagram waiting, after which receives are batched. */
const BURST = 2;
/**
 * What the sockets of one libc share: the segmented sender (sends are synchronous, so one
 * scratch buffer serves them all) and the pool receive batches are lent from.
 */
interface Shared {
  sender: SegmentedSender;
  pool: BatchPool;
}
const shared = new WeakMap<Libc, Shared>();

function sharedOf(libc: Libc, errno: () => number): Shared {
  let found = shared.get(libc);
  if (!found) {
    shared.set(
      libc,
      found = { sender: new SegmentedSender(libc, errno), pool: new BatchPool(libc) },
    );
  }
  return found;
}

/**
 * The batch pool of `reactor`'s sockets.
 *
 * @example
 * ```ts ignore
 * const pool = batchPoolOf(reactor);
 * console.log(pool.freeCount);
 * ```
 */
export function batchPoolOf(reactor: LibcReactor): BatchPool {
  return sharedOf(reactor.libc, reactor.errno).pool;
}

/** Where a {@linkcode LibcUdpSocket} binds. */
export interface LibcBind {
  /** Local address (an IP literal). */
  hostname: string;
  /** Local port; 0 for any free one. */
  port?: number;
}

/**
 * A UDP socket on libc, waiting through a {@linkcode LibcReactor}. See the module
 * documentation.
 *
 * @example
 * ```ts ignore
 * const reactor = new LibcReactor({ busyPollUs: 50 });
 * const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
 * await socket.send(new Uint8Array([1]), { transport: "udp", hostname: "127.0.0.1", port: 69 });
 * socket.close();
 * await reactor.close();
 * ```
 */
export class LibcUdpSocket {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  readonly #reactor: LibcReactor;
  readonly #fd: number;
  readonly #to = new Uint8Array(SOCKADDR_BYTES);
  readonly #from = new Uint8Array(SOCKADDR_BYTES);
  readonly #fromLength = new Uint8Array(4);
  readonly #fromLengthView = new DataView(this.#fromLength.buffer);
  /** The address in `#to` (a transfer sends to one peer: parsed once). */
  #toHost = "";
  #toPort = -1;
  #toLength = 0;
  /** The last sender, and its sockaddr bytes (a transfer hears from one peer). */
  #lastFrom: Deno.NetAddr | undefined;
  readonly #lastFromBytes = new Uint8Array(SOCKADDR_BYTES);
  /** Receives in a row that found a datagram waiting (0 after a wait). */
  #streak = 0;
  /** This socket's busy poll in ms: the set's, grown while answers come just after it. */
  #spinMs: number;
  /**
   * When a `tryReceive` that found nothing began to spin (-1: none did), and how its spin
   * ended: the next `receive` goes on from there.
   */
  #missedSince = -1;
  #missed: SpinOutcome = "skipped";
  /** The buffer a spin receives into, and what it caught (see `#spinFor`). */
  #spinBuffer = new Uint8Array(0);
  #caught: [Uint8Array<ArrayBuffer>, Deno.NetAddr] | undefined;
  readonly #attempt = (): boolean =>
    (this.#caught = this.#receiveNow(this.#spinBuffer)) !== undefined;
  /**
   * The batch lent by the pool while a burst is being handed out (`#taken` of `#queued`);
   * undefined otherwise.
   */
  #batch: ReceiveBatch | undefined;
  /** Where batches are borrowed from: shared by the sockets of this libc. */
  readonly #pool: BatchPool;
  /** Sends runs segmented: shared by the sockets of this libc. */
  readonly #segmented: SegmentedSender;
  #queued = 0;
  #taken = 0;
  /**
   * Whether runs of datagrams go out segmented: undefined until the kernel is asked (on the
   * first `sendMany`), false after it refused once.
   */
  #segmenting: boolean | undefined;

  /** Opens and binds the socket; throws AddrInUse, a TypeError for a bad address, etc. */
  constructor(reactor: LibcReactor, bind: LibcBind) {
    if (reactor.closed) throw new Deno.errors.BadResource("The socket set is closed");
    this.#reactor = reactor;
    this.#spinMs = reactor.busyPollMs;
    const { libc, errno } = reactor;
    ({ pool: this.#pool, sender: this.#segmented } = sharedOf(libc, errno));
    const length = writeSockaddr(this.#to, bind.hostname, bind.port ?? 0);
    const family = length === 16 ? AF_INET : AF_INET6;
    const fd = libc.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw errorFor("socket()", errno());
    try {
      if (libc.bind(fd, this.#to, length) !== 0) {
        const code = errno();
        throw errorFor(`bind(${bind.hostname}:${bind.port ?? 0})`, code);
      }
      this.#fromLengthView.setUint32(0, SOCKADDR_BYTES, true);
      if (libc.getsockname(fd, this.#from, this.#fromLength) !== 0) {
        const code = errno();
        throw errorFor("getsockname()", code);
      }
      this.addr = readSockaddr(this.#from);
      reactor.add(fd, this);
    } catch (error) {
      libc.close(fd);
      throw error;
    }
    this.#fd = fd;
  }

  /** This socket's busy poll now, in milliseconds (see `#adaptSpin`; for diagnostics). */
  get busyPollMs(): number {
    return this.#spinMs;
  }

  /** Sends one datagram, synchronously underneath. */
  send(bytes: Uint8Array, to: Deno.NetAddr): Promise<number> {
    try {
      this.#check();
      this.#target(to);
      return Promise.resolve(this.#sendOne(bytes, to));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends `datagrams` to `to`, in order and synchronously: the first with `sendto(2)`, then
   * runs of one size with one segmented `sendmsg(2)` each (`_libc_gso.ts`), the rest one
   * `sendto(2)` each. Throws as `send` does; what came before the failure went out.
   */
  sendMany(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void {
    this.#check();
    this.#target(to);
    // An old kernel would send a run as one datagram: ask it once.
    this.#segmenting ??= kernelSegments(this.#reactor.libc, this.#fd);
    for (let i = 0; i < datagrams.length;) {
      // The first one goes alone: the receiver can start on it while the rest are laid out
      // (on two vCPUs that overlap is worth more than the one system call it costs).
      const run = this.#segmenting && i > 0 ? segmentRun(datagrams, i) : 1;
      if (run > 1 && this.#sendRun(datagrams, i, i + run, to)) {
        i += run;
        continue;
      }
      this.#sendOne(datagrams[i], to);
      i++;
    }
  }

  /** Puts `to` into the destination sockaddr, unless it is there already. */
  #target(to: Deno.NetAddr): void {
    if (to.port === this.#toPort && to.hostname === this.#toHost) return;
    this.#toPort = -1; // until the new address is in place
    this.#toLength = writeSockaddr(this.#to, to.hostname, to.port);
    this.#toHost = to.hostname;
    this.#toPort = to.port;
  }

  /**
   * One sendto(2) to the current destination; a full send buffer (EAGAIN) is retried up to
   * SEND_RETRIES times, a yield apart (Deno's socket would wait too), rather than dropping the
   * datagram at once; after that it counts as lost. A loop of its own, not a shared helper:
   * this runs per datagram and must not make closures.
   */
  #sendOne(bytes: Uint8Array, to: Deno.NetAddr): number {
    const { libc, errno } = this.#reactor;
    const size = BigInt(bytes.length);
    let sent = Number(libc.sendto(this.#fd, bytes, size, 0, this.#to, this.#toLength));
    for (let tries = 0; sent < 0 && errno() === EAGAIN && tries < SEND_RETRIES; tries++) {
      libc.sched_yield();
      sent = Number(libc.sendto(this.#fd, bytes, size, 0, this.#to, this.#toLength));
    }
    if (sent < 0) throw errorFor(`sendto(${to.hostname}:${to.port})`, errno());
    return sent;
  }

  /**
   * One segmented send of `datagrams[start..end)`, retried on EAGAIN as `#sendOne` does; false
   * when the kernel refuses segmentation here (then this socket stops trying, and the caller
   * sends them one by one).
   */
  #sendRun(datagrams: readonly Uint8Array[], start: number, end: number, to: Deno.NetAddr) {
    const { libc } = this.#reactor;
    const sender = this.#segmented;
    let result = sender.send(this.#fd, this.#to, this.#toLength, datagrams, start, end);
    for (let tries = 0; result.kind === "failed" && result.errno === EAGAIN; tries++) {
      if (tries === SEND_RETRIES) break;
      libc.sched_yield();
      result = sender.send(this.#fd, this.#to, this.#toLength, datagrams, start, end);
    }
    if (result.kind === "sent") return true;
    if (result.kind === "refused") {
      this.#segmenting = false;
      return false;
    }
    throw errorFor(`sendmsg(${to.hostname}:${to.port})`, result.errno);
  }

  /** The next datagram, as a view of `buffer`, and who sent it. */
  async receive(
    buffer: Uint8Array<ArrayBuffer> = new Uint8Array(65536),
  ): Promise<[Uint8Array<ArrayBuffer>, Deno.NetAddr]> {
    let since = -1; // when this receive began to spin
    let slept = false; // it spun for its whole busy poll, then waited in epoll
    if (this.#missedSince >= 0) {
      // A `tryReceive` just asked the kernel and spun: go on from there.
      since = this.#missedSince;
      this.#missedSince = -1;
      if (this.#missed === "held") {
        await this.#reactor.turn();
        this.#check();
      } else {
        slept = this.#missed === "spun";
        await this.#reactor.wait(this.#fd, this, slept);
      }
    }
    for (;;) {
      const got = this.#receiveNow(buffer);
      if (got) {
        if (slept) this.#adaptSpin(performance.now() - since);
        // Datagrams that keep coming must not keep the event loop from turning.
        if (!this.#reactor.mayHold()) {
          await this.#reactor.turn();
          this.#check(); // closed meanwhile
        }
        return got;
      }
      if (since < 0) since = performance.now();
      const spin = this.#spinFor(buffer, since);
      if (typeof spin !== "string") return spin;
      if (spin === "held") {
        // The event loop is due a turn (cheap: an immediate); then the spin goes on.
        await this.#reactor.turn();
        this.#check();
        continue;
      }
      slept ||= spin === "spun";
      await this.#reactor.wait(this.#fd, this, spin === "spun");
    }
  }

  /**
   * Adapts this socket's busy poll after a receive that spun for all of it and then slept
   * `waitedMs` in all (as KVM does its halt polling): an answer that came soon after the spin
   * ended (within {@linkcode MAX_SPIN_GROWTH} times the set's busy poll: say a window's ACK,
   * which takes a whole window's round trip) doubles it, up to that; a longer wait (a slow or
   * idle peer) sets it back to the set's busy poll.
   */
  #adaptSpin(waitedMs: number): void {
    const base = this.#reactor.busyPollMs;
    const most = Math.min(base * MAX_SPIN_GROWTH, MAX_BUSY_POLL_US / 1000);
    this.#spinMs = waitedMs <= most ? Math.min(most, this.#spinMs * 2) : base;
  }

  /**
   * A datagram at once, synchronously: the next of a burst already taken from the kernel, or
   * one the kernel has or gets within this socket's busy poll (a lone socket spins here, as
   * `receive` would). Undefined when none came, or when the event loop is due a turn: then
   * `receive`, which goes on from where this left off (it neither asks nor spins again).
   * Throws BadResource once the socket is closed. Not while a `receive` is in progress (the
   * driver never does that). A lock-step transfer then costs no promise per block.
   */
  tryReceive(buffer: Uint8Array<ArrayBuffer>): [Uint8Array<ArrayBuffer>, Deno.NetAddr] | undefined {
    this.#check();
    if (this.#missedSince >= 0 || !this.#reactor.mayHold()) return undefined;
    if (this.#taken < this.#queued) return this.#nextOfBatch(buffer);
    const got = this.#receiveNow(buffer);
    if (got) return got;
    const since = performance.now();
    const spin = this.#spinFor(buffer, since);
    if (typeof spin !== "string") return spin;
    this.#missed = spin;
    this.#missedSince = since;
    return undefined;
  }

  /**
   * Spins alone for a datagram into `buffer` ({@linkcode LibcReactor.spinAlone}, for this
   * socket's busy poll from `since`): the datagram it caught, or how the spin ended. One
   * attempt function per socket, so a spin makes no closure.
   */
  #spinFor(
    buffer: Uint8Array<ArrayBuffer>,
    since: number,
  ): [Uint8Array<ArrayBuffer>, Deno.NetAddr] | SpinOutcome {
    this.#streak = 0;
    this.#spinBuffer = buffer;
    const outcome = this.#reactor.spinAlone(this.#fd, this, this.#attempt, since, this.#spinMs);
    const caught = this.#caught;
    this.#caught = undefined;
    return caught ?? outcome;
  }

  /**
   * One non-blocking receive: a datagram, or undefined when none is queued. After
   * {@linkcode BURST} receives in a row that found a datagram waiting, the next asks for all
   * that is queued at once (a window comes in a burst: `_libc_mmsg.ts`) and hands those out
   * one by one. A lock-step transfer, which waits for each datagram, never makes the slots.
   */
  #receiveNow(
    buffer: Uint8Array<ArrayBuffer>,
  ): [Uint8Array<ArrayBuffer>, Deno.NetAddr] | undefined {
    this.#check();
    if (this.#taken < this.#queued) return this.#nextOfBatch(buffer);
    const { libc, errno } = this.#reactor;
    const batched = this.#streak >= BURST && batchSlots(buffer.length) > 1;
    if (batched) {
      const pool = this.#pool;
      const batch = pool.take(buffer.length);
      const n = batch.receive(this.#fd, MSG_DONTWAIT);
      if (n > 0) {
        this.#batch = batch;
        this.#queued = n;
        this.#taken = 0;
        return this.#nextOfBatch(buffer);
      }
      const code = errno(); // before anything else can change it
      pool.give(batch);
      if (code === EAGAIN || code === EINTR) return undefined;
      throw errorFor("recvmmsg()", code);
    } else {
      this.#fromLengthView.setUint32(0, SOCKADDR_BYTES, true);
      const size = BigInt(buffer.length);
      const n = Number(
        libc.recvfrom(this.#fd, buffer, size, MSG_DONTWAIT, this.#from, this.#fromLength),
      );
      if (n >= 0) {
        this.#streak++;
        return [buffer.subarray(0, n), this.#sender()];
      }
    }
    const code = errno();
    if (code === EAGAIN || code === EINTR) return undefined;
    throw errorFor("recvfrom()", code);
  }

  /** The next datagram of the last batch, copied into `buffer` (cut to its size). */
  #nextOfBatch(buffer: Uint8Array<ArrayBuffer>): [Uint8Array<ArrayBuffer>, Deno.NetAddr] {
    const batch = this.#batch!;
    const i = this.#taken++;
    const bytes = batch.bytes(i);
    const n = Math.min(bytes.length, buffer.length);
    buffer.set(n === bytes.length ? bytes : bytes.subarray(0, n));
    this.#from.set(batch.sender(i));
    if (this.#taken === this.#queued) this.#releaseBatch();
    return [buffer.subarray(0, n), this.#sender()];
  }

  /** The sender of the datagram just received: the previous one's object when the same. */
  #sender(): Deno.NetAddr {
    const from = this.#from;
    const last = this.#lastFromBytes;
    let same = this.#lastFrom !== undefined;
    for (let i = 0; same && i < SOCKADDR_BYTES; i++) same = from[i] === last[i];
    if (same) return this.#lastFrom!;
    last.set(from);
    return this.#lastFrom = Object.freeze(readSockaddr(from));
  }

  #check(): void {
    if (!this.#reactor.has(this.#fd, this)) throw new Deno.errors.BadResource("Socket is closed");
  }

  /** Gives the batch back to the pool (its datagrams were all handed out, or dropped). */
  #releaseBatch(): void {
    if (this.#batch) this.#pool.give(this.#batch);
    this.#batch = undefined;
    this.#queued = this.#taken = 0;
  }

  /** Closes the socket; a receive in progress rejects with BadResource. */
  close(): void {
    this.#releaseBatch();
    this.#reactor.release(this.#fd, this);
  }
}

/** A socket a transfer runs on: Deno's or a {@linkcode LibcUdpSocket}. */
export type TransferSocket = DatagramSocket & { close(): void };

/**
 * Opens a transfer's socket on `hostname` (an IP literal when `reactor` is given), on port 0
 * or a free port of `range`: a busy-polling libc socket in `reactor`, else Deno's own.
 *
 * @example
 * ```ts ignore
 * const conn = openTransferSocket("127.0.0.1", undefined, reactor);
 * conn.close();
 * ```
 */
export function openTransferSocket(
  hostname: string,
  range: readonly [number, number] | undefined,
  reactor?: LibcReactor,
): TransferSocket {
  if (!reactor) return openUdpSocket(hostname, range);
  return bindInRange(range, (port) => new LibcUdpSocket(reactor, { hostname, port }));
}
