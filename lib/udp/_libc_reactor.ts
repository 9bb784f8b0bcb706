/**
 * One `epoll(7)` set for the busy-polling sockets of a client or a server, through libc.
 *
 * A socket's receive that finds nothing queued arms its descriptor (one-shot) and waits here.
 * When every socket of the set is waiting for the network (no transfer has work of its own:
 * a lock-step transfer between blocks), the wait first spins for up to `busyPollUs`: it asks
 * `epoll_wait` without blocking, yielding the CPU between tries, so an answer that comes
 * within microseconds is taken without a sleep and a wake-up. Otherwise, and after the spin,
 * one `epoll_wait` blocks on a helper thread for the whole set and wakes the sockets that
 * became readable. Spinning only while all sockets wait keeps a busy server from spinning
 * on one transfer while others have work.
 *
 * A spin that finds the answer lets its transfer go on without returning to the event loop
 * (the wake-up is a promise reaction, the send synchronous): a fast peer could then hold the
 * loop, and with it every timer, signal and Deno socket, indefinitely. So spins that follow
 * one another without a turn of the event loop (an immediate marks it) stop after
 * {@linkcode MAX_HOLD_MS} ms: the socket's receive then awaits a turn (a few microseconds:
 * `setImmediate`, not a zero-delay timer, which costs a millisecond or two here) and spins on.
 *
 * Clients share one set per `busyPollUs` (lib/udp/_libc_client_reactors.ts), so transfers in
 * one process follow the same rule and share one helper thread.
 *
 * @module
 */

import { clearImmediate, setImmediate } from "node:timers";
import { type Libc, type Library, openLibc } from "./_libc.ts";

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x001;
const EPOLLONESHOT = 1 << 30;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
/** `struct epoll_event` is packed on x86-64 (12 bytes), aligned elsewhere (16). */
const EVENT_BYTES = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
/** Events taken per epoll_wait. */
const MAX_EVENTS = 64;
/** The longest blocking epoll_wait: a close wakes it at once through the eventfd anyway. */
const WAIT_SLICE_MS = 1000;
/** Marks the eventfd in epoll data (descriptors are never negative). */
const WAKE_TAG = -1;
/**
 * The longest the event loop may go without a turn (ms) while waits keep spinning or a socket
 * hands out datagrams it found already queued (a peer that keeps the queue full cannot hold it
 * longer than this).
 */
export const MAX_HOLD_MS = 2;

/** Options of {@linkcode LibcReactor}. */
export interface LibcReactorOptions {
  /** Microseconds a wait may spin while every socket waits (0: never). */
  busyPollUs: number;
}

/**
 * What {@linkcode LibcReactor.spinAlone} did: `found` (an attempt succeeded); `spun` (it spun
 * for the whole busy poll: wait without spinning again); `held` (the hold budget ran out
 * first: let the event loop turn, then spin on); `skipped` (spinning is off, or the socket is
 * not alone in the set: wait as usual).
 */
export type SpinOutcome = "found" | "spun" | "held" | "skipped";

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The epoll set. Sockets {@linkcode LibcReactor.add | add} their descriptor, wait on it with
 * {@linkcode LibcReactor.wait}, and {@linkcode LibcReactor.release | release} it (which
 * closes it). The owner closes the reactor when done: that releases what is left.
 *
 * @example
 * ```ts ignore
 * const reactor = new LibcReactor({ busyPollUs: 50 });
 * const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
 * socket.close();
 * await reactor.close();
 * ```
 */
export class LibcReactor {
  /** libc's functions, for the sockets. */
  readonly libc: Libc;
  /** errno of the JS thread, right after a synchronous call. */
  readonly errno: () => number;
  readonly #library: Library;
  readonly #epoll: number;
  readonly #wakeFd: number;
  readonly #spinMs: number;
  /** Descriptors in the set: their socket, and whether epoll has them yet. */
  readonly #members = new Map<number, { owner: object; added: boolean }>();
  readonly #waiters = new Map<number, Waiter>();
  readonly #event = new Uint8Array(EVENT_BYTES);
  readonly #spinEvents = new Uint8Array(EVENT_BYTES * MAX_EVENTS);
  readonly #blockingEvents = new Uint8Array(EVENT_BYTES * MAX_EVENTS);
  #blocking: Promise<void> | undefined;
  /** Sockets waiting for the event loop to turn ({@linkcode LibcReactor.turn}). */
  #turnWaiters: (() => void)[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  #spins = 0;
  /** Pending until the event loop turns; set by the first spin since the last turn. */
  #turnMark: ReturnType<typeof setImmediate> | undefined;
  /** When the first spin since the event loop's last turn began. */
  #holdingSince = 0;
  readonly #markTurn = () => {
    this.#turnMark = undefined;
    this.#wakeTurnWaiters();
  };

  /** Opens libc, the epoll set and its wake-up eventfd. */
  constructor(options: LibcReactorOptions) {
    const { library, errno } = openLibc();
    this.#library = library;
    this.libc = library.symbols;
    this.errno = errno;
    this.#spinMs = options.busyPollUs / 1000;
    const epoll = this.libc.epoll_create1(EPOLL_CLOEXEC);
    const wakeFd = epoll < 0 ? -1 : this.libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll < 0 || wakeFd < 0) {
      const code = errno();
      if (epoll >= 0) this.libc.close(epoll);
      library.close();
      throw new Error(`${epoll < 0 ? "epoll_create1" : "eventfd"}() failed (errno ${code})`);
    }
    this.#epoll = epoll;
    this.#wakeFd = wakeFd;
    try {
      this.#control(EPOLL_CTL_ADD, wakeFd, EPOLLIN, WAKE_TAG);
    } catch (error) {
      this.libc.close(wakeFd);
      this.libc.close(epoll);
      library.close();
      throw error;
    }
  }

  /** The busy poll of a wait, in milliseconds (0: none). */
  get busyPollMs(): number {
    return this.#spinMs;
  }

  /** How many waits spun so far (for tests and diagnostics). */
  get spins(): number {
    return this.#spins;
  }

  /** Whether the set is closed (its sockets must not call libc any more). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Takes `fd`, opened by `owner`, into the set (not armed until it waits). */
  add(fd: number, owner: object): void {
    if (this.#closed) throw new Deno.errors.BadResource("The socket set is closed");
    this.#members.set(fd, { owner, added: false });
  }

  /**
   * Whether `owner`'s `fd` is still in the set: a descriptor number released once may come
   * back for another socket, so the owner is what tells them apart.
   */
  has(fd: number, owner: object): boolean {
    return this.#members.get(fd)?.owner === owner;
  }

  /**
   * Takes `fd` out of the set and closes it; its waiting receive rejects with BadResource.
   * Nothing happens when it is no member (released already, or the set was closed).
   */
  release(fd: number, owner: object): void {
    const member = this.#members.get(fd);
    if (member?.owner !== owner) return;
    this.#members.delete(fd);
    try {
      if (member.added) this.#control(EPOLL_CTL_DEL, fd, 0, fd);
    } catch { /* closing the descriptor takes it out of the set anyway */ }
    this.libc.close(fd);
    const waiter = this.#waiters.get(fd);
    this.#waiters.delete(fd);
    waiter?.reject(new Deno.errors.BadResource("Socket is closed"));
  }

  /**
   * Spins on `attempt` (a non-blocking receive of `owner`'s `fd`), yielding the CPU between
   * tries, when `fd` is the set's only socket: one system call per try, with no epoll
   * registration at all, for a client's transfer or a server's only one. `since` is when the
   * receive began to spin: it spins until `spinMs` (default: `busyPollUs`) after that, within
   * the hold budget.
   * See {@linkcode SpinOutcome} for what the caller does next.
   */
  spinAlone(
    fd: number,
    owner: object,
    attempt: () => boolean,
    since: number,
    spinMs = this.#spinMs,
  ): SpinOutcome {
    if (this.#spinMs <= 0 || this.#members.size !== 1 || !this.has(fd, owner)) return "skipped";
    if (this.#waiters.size > 0) return "skipped";
    const until = since + spinMs;
    if (this.#mayHold() && this.#spin(attempt, until)) return "found";
    return performance.now() < until ? "held" : "spun";
  }

  /**
   * Resolves when `fd` may be readable (or has an error to report). `spun`: the caller has
   * just spun on its own ({@linkcode LibcReactor.spinAlone}); the wait does not spin again.
   */
  wait(fd: number, owner: object, spun = false): Promise<void> {
    const member = this.#members.get(fd);
    if (member?.owner !== owner) {
      return Promise.reject(new Deno.errors.BadResource("Socket is closed"));
    }
    if (this.#waiters.has(fd)) {
      return Promise.reject(new Deno.errors.Busy("A receive is already in progress"));
    }
    const op = member.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    this.#control(op, fd, EPOLLIN | EPOLLONESHOT, fd);
    member.added = true;
    const ready = new Promise<void>((resolve, reject) => {
      this.#waiters.set(fd, { resolve, reject });
    });
    if (
      !spun && this.#spinMs > 0 && this.#waiters.size === this.#members.size && this.#mayHold()
    ) {
      this.#spin(this.#readyInSet);
    }
    if (this.#waiters.size > 0) this.#blocking ??= this.#block();
    return ready;
  }

  /**
   * Whether a socket may hand out a datagram it found already queued without letting the event
   * loop turn first: false once the loop has gone {@linkcode MAX_HOLD_MS} without a turn; then
   * the socket awaits {@linkcode LibcReactor.turn}.
   */
  mayHold(): boolean {
    return this.#mayHold();
  }

  /**
   * Resolves when the event loop has turned (timers, signals and Deno's sockets had their
   * chance): when the immediate that marks a turn has run, and a new hold budget begins.
   */
  turn(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("The socket set is closed"));
    }
    this.#turnMark ??= setImmediate(this.#markTurn);
    return new Promise((resolve) => this.#turnWaiters.push(resolve));
  }

  /**
   * Whether the event loop may be held on: the first hold since the loop last turned starts
   * the clock (and an immediate that stops it when the loop turns); holds may follow for
   * {@linkcode MAX_HOLD_MS}, then spins and queued datagrams wait for
   * {@linkcode LibcReactor.turn}.
   */
  #mayHold(): boolean {
    if (this.#turnMark === undefined) {
      this.#turnMark = setImmediate(this.#markTurn);
      this.#holdingSince = performance.now();
      return true;
    }
    return performance.now() - this.#holdingSince < MAX_HOLD_MS;
  }

  /**
   * Tries `attempt`, yielding the CPU between tries, until it succeeds or `busyPollUs` is over
   * (never past the hold budget). The caller has just found nothing: it yields first.
   */
  #spin(attempt: () => boolean, until = performance.now() + this.#spinMs): boolean {
    this.#spins++;
    const end = Math.min(until, this.#holdingSince + MAX_HOLD_MS);
    do {
      this.libc.sched_yield();
      if (attempt()) return true;
    } while (performance.now() < end);
    return false;
  }

  /** Asks epoll without blocking; wakes the sockets that are ready, if any. */
  readonly #readyInSet = (): boolean => {
    const n = this.libc.epoll_wait(this.#epoll, this.#spinEvents, MAX_EVENTS, 0);
    if (n > 0) this.#dispatch(this.#spinEvents, n);
    return n > 0;
  };

  /** Blocks in epoll_wait on a helper thread while anything waits. */
  async #block(): Promise<void> {
    try {
      while (this.#waiters.size > 0 && !this.#closed) {
        const n = await this.libc.epoll_wait_blocking(
          this.#epoll,
          this.#blockingEvents,
          MAX_EVENTS,
          WAIT_SLICE_MS,
        );
        if (n > 0) this.#dispatch(this.#blockingEvents, n);
      }
    } finally {
      this.#blocking = undefined;
    }
  }

  #wakeTurnWaiters(): void {
    if (this.#turnWaiters.length === 0) return;
    const waiters = this.#turnWaiters;
    this.#turnWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Wakes the waiters of the `n` events in `events`. */
  #dispatch(events: Uint8Array, n: number): void {
    const view = new DataView(events.buffer);
    for (let i = 0; i < n; i++) {
      const fd = view.getInt32(i * EVENT_BYTES + DATA_OFFSET, true);
      if (fd === WAKE_TAG) {
        this.libc.read(this.#wakeFd, this.#event, 8n); // clears it (8 bytes, non-blocking)
        continue;
      }
      const waiter = this.#waiters.get(fd);
      this.#waiters.delete(fd);
      waiter?.resolve();
    }
  }

  #control(op: number, fd: number, events: number, tag: number): void {
    const view = new DataView(this.#event.buffer);
    view.setUint32(0, events, true);
    view.setInt32(DATA_OFFSET, tag, true);
    view.setInt32(DATA_OFFSET + 4, 0, true);
    if (this.libc.epoll_ctl(this.#epoll, op, fd, this.#event) !== 0) {
      const code = this.errno();
      throw new Error(`epoll_ctl(${op}, ${fd}) failed (errno ${code})`);
    }
  }

  /**
   * Closes the set: releases its sockets, wakes a blocking wait and waits for it to return,
   * then closes epoll, the eventfd and libc.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearImmediate(this.#turnMark);
    this.#wakeTurnWaiters(); // their sockets are released below: they find them closed
    try {
      for (const [fd, { owner }] of [...this.#members]) this.release(fd, owner);
      if (this.#blocking) {
        const one = new Uint8Array(8);
        one[0] = 1;
        this.libc.write(this.#wakeFd, one, 8n);
        await this.#blocking;
      }
    } finally {
      this.libc.close(this.#wakeFd);
      this.libc.close(this.#epoll);
      this.#library.close();
    }
  }
}
