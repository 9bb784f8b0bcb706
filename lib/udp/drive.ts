/**
 * The driver: the only loop that runs a {@linkcode TransferMachine} against a real socket.
 * It keeps exactly one `receive()` in flight, races it against the machine's next deadline
 * and an `AbortSignal`, feeds the result in, and drains what the machine wants done: events
 * first (so data is written before the ACK that confirms it goes out), then datagrams.
 *
 * Every awaited hook (a file write, a source read) is raced against the signal and a stall
 * watchdog, so a stuck disk or stream can neither hang a transfer nor a server's shutdown.
 * Each wait is one fresh promise that the signal, the watchdog or the deadline timer settle
 * through `wake`: racing one long-lived abort promise instead would leave a reaction on it
 * for every wait, about 300 bytes per block for the whole transfer.
 *
 * @module
 */

import { TftpAbortError, TftpError } from "../tftp/errors.ts";
import { OPCODE } from "../tftp/packet/constants.ts";
import type { Peer, TransferEvent, TransferMachine, Transmit } from "../tftp/engine/types.ts";
import { monotonicNow } from "./clock.ts";
import { stalledError } from "../tftp/_io.ts";
import { Deadline, deadlines } from "./_deadlines.ts";

/** Hooks the driver calls. */
export interface DriveHooks {
  /** Handles an event; awaited before datagrams go out (write data here). */
  onEvent?: (event: TransferEvent) => void | Promise<void>;
  /** Called before each waiting step; feed a sender here (awaited). */
  beforeWait?: () => void | Promise<void>;
  /**
   * Sees every datagram sent and received (for `--trace` and captures); errors are ignored.
   * `local` is the socket's own address as bound (a wildcard stays `0.0.0.0` or `::`).
   */
  onDatagram?: (direction: "send" | "recv", peer: Peer, bytes: Uint8Array, local: Peer) => void;
  /** Cancels the transfer, even while a hook is pending: the peer gets ERROR 0. */
  signal?: AbortSignal;
  /**
   * Receive buffer size in bytes. Default: what the machine's `receiveBytes` asks for (a
   * sender needs about 2 KiB for ACKs, a receiver 4 + blksize + 1), else 65540.
   */
  bufferBytes?: number;
  /**
   * Milliseconds an awaited hook may stay pending before the transfer fails with ERROR 0
   * "Local data source or sink stalled" (thrown by the driver). `Infinity` never gives up.
   * @default {60000}
   */
  stallTimeoutMs?: number;
}

/**
 * What the driver needs of a socket: the part of `Deno.DatagramConn` it uses (the libc
 * busy-polling socket has the same shape), and optionally:
 * - `sendMany`: several datagrams to one peer at once, in order, synchronously (throws as
 *   `send` rejects). The driver hands it everything a step sends, so a window can leave in
 *   one system call.
 * - `tryReceive`: a datagram at once, synchronously (the rest of a burst the socket took at
 *   once, or one that comes within its busy poll), or undefined; throws as `receive` rejects.
 *   The driver asks it before each `receive`, never while one is in flight: a window's
 *   datagrams, or a lock-step transfer's blocks, then cost no promise each.
 */
export type DatagramSocket = Pick<Deno.DatagramConn, "addr" | "send" | "receive"> & {
  sendMany?(datagrams: readonly Uint8Array[], to: Deno.NetAddr): void;
  tryReceive?(buffer: Uint8Array<ArrayBuffer>): [Uint8Array, Deno.NetAddr] | undefined;
};

/** What a receive gives: the socket's own result (no object of ours per datagram), or why not. */
type Received = [Uint8Array, Deno.Addr] | Closed;
/** The receive failed (the socket was closed, or an ICMP report). */
class Closed {
  constructor(readonly error: unknown) {}
}
/** What ended a wait: a receive, or one of the markers. */
type Wake = Received | Marker;
class Marker {
  constructor(readonly kind: "timer" | "interrupt" | "settled") {}
}

const TIMER = new Marker("timer");
const INTERRUPT = new Marker("interrupt");
const SETTLED = new Marker("settled");
const receiveFailed = (error: unknown): Closed => new Closed(error);
/** A timer this many milliseconds past its deadline shows a busy event loop. */
const LATE_TIMER_MS = 2;

/** Thrown inside the driver when the signal ends a wait; never escapes. */
const CANCELLED = new Error("Cancelled by the signal");

function abortErrorOf(signal: AbortSignal | undefined): TftpError {
  const reason = signal?.reason;
  if (reason instanceof TftpAbortError) return reason;
  const text = reason instanceof Error ? reason.message : "Transfer cancelled";
  return new TftpAbortError(text || "Transfer cancelled", { cause: reason });
}

function toTftpError(error: unknown): TftpError {
  if (error instanceof TftpError) return error;
  return new TftpAbortError(error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/**
 * A send can fail (ICMP unreachable reported on the socket, no route): for UDP that is a lost
 * datagram and the retransmit timer deals with it. Not being allowed to send, or a closed
 * socket, is no loss: it ends the transfer (rethrown), except in the final flush.
 */
function sendFailed(error: unknown, final: boolean): void {
  if (!final && isLocalFault(error)) throw error;
}

function samePeer(a: Peer, b: Peer): boolean {
  return a.port === b.port && a.hostname === b.hostname;
}

function isError(datagram: Uint8Array): boolean {
  return datagram[0] === 0 && datagram[1] === OPCODE.ERROR;
}

/** Send errors that mean "this socket may not send", not a lost datagram. */
function isLocalFault(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.BadResource;
}

/** Receive errors some systems report for an ICMP message about an earlier send. */
function isIcmpReport(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionRefused;
}

/**
 * Runs `machine` on `conn` until it closes. Resolves when the machine is closed (also after
 * the signal cancelled it); the caller owns `conn` and closes it afterwards. Errors thrown by
 * hooks abort the machine with that error when it is a TftpError (else ERROR 0) and are
 * rethrown, as is the stall error and a send refused for lack of permission.
 *
 * @example
 * ```ts ignore
 * const conn = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
 * await driveTransfer(machine, conn, { onEvent: (e) => console.log(e.type) });
 * conn.close();
 * ```
 */
export async function driveTransfer(
  machine: TransferMachine,
  conn: DatagramSocket,
  hooks: DriveHooks = {},
): Promise<void> {
  const { signal, onEvent, onDatagram } = hooks;
  const stallTimeoutMs = hooks.stallTimeoutMs ?? 60_000;
  if (!(stallTimeoutMs > 0)) {
    throw new RangeError(`stallTimeoutMs must be a number above 0, got ${stallTimeoutMs}`);
  }
  /** A buffer of the size the machine asks for now; a new one only when that changed. */
  let buffer = new Uint8Array(0);
  const receiveBuffer = (): Uint8Array<ArrayBuffer> => {
    const bytes = hooks.bufferBytes ?? machine.receiveBytes ?? 65540;
    if (buffer.length !== bytes) buffer = new Uint8Array(bytes);
    return buffer;
  };
  let pending: Promise<Received> | undefined;
  let aborted = signal?.aborted ?? false;
  let stalled = false;
  /** Settles the wait in progress, if any. */
  let wake: ((wake: Wake) => void) | undefined;
  const onAbort = () => {
    aborted = true;
    wake?.(INTERRUPT);
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  // The stall watchdog: a deadline in the process's queue, set while a hook's result is
  // awaited (Infinity, for a transfer that never gives up, leaves it unset).
  const watchdog = new Deadline(() => {
    stalled = true;
    wake?.(INTERRUPT);
  });
  const interruption = (): Error => stalled ? stalledError() : CANCELLED;

  /**
   * Waits for a hook's result, unless the signal or the watchdog ends the wait first. A hook
   * that returned no promise is done: then there is nothing to wait for (undefined), and the
   * caller does not pay for a promise.
   */
  const settle = (result: void | PromiseLike<void>): Promise<void> | undefined => {
    const work = result as PromiseLike<void> | undefined;
    return typeof work?.then === "function" ? settleWork(work) : undefined;
  };
  const settleWork = async (work: PromiseLike<void>): Promise<void> => {
    if (aborted || stalled) {
      Promise.resolve(work).catch(() => {});
      throw interruption();
    }
    deadlines.set(watchdog, monotonicNow() + stallTimeoutMs);
    try {
      const woke = await new Promise<Wake>((resolve, reject) => {
        wake = resolve;
        work.then(() => resolve(SETTLED), reject);
      });
      if (woke === INTERRUPT) throw interruption();
    } finally {
      deadlines.clear(watchdog);
      wake = undefined;
    }
  };

  const bound = conn.addr as Deno.NetAddr;
  const local: Peer = { hostname: bound.hostname, port: bound.port };
  const see = (direction: "send" | "recv", peer: Peer, bytes: Uint8Array) => {
    try {
      onDatagram?.(direction, peer, bytes, local);
    } catch { /* a tracing hook must not end the transfer */ }
  };

  /**
   * Feeds a received datagram to the machine. The socket's address object as it is: the
   * machine copies a peer it keeps. A tracing hook gets a plain { hostname, port }, as for
   * sends.
   */
  const handle = (bytes: Uint8Array, from: Deno.NetAddr) => {
    if (onDatagram) see("recv", { hostname: from.hostname, port: from.port }, bytes);
    machine.handleDatagram(monotonicNow(), from, bytes);
  };

  /** The address of the last peer sent to, as `send` takes it (a transfer has one peer). */
  let sendPeer: Peer | undefined;
  let sendAddr: Deno.NetAddr | undefined;
  const addrOf = (to: Peer): Deno.NetAddr => {
    if (to !== sendPeer) {
      sendAddr = { transport: "udp", hostname: to.hostname, port: to.port };
      sendPeer = to;
    }
    return sendAddr!;
  };

  /**
   * Events, then datagrams. `final`: the machine was just aborted; report its events, send
   * only its ERROR (not, say, the ACK of data a stalled sink never stored), never throw.
   * Returns a promise only when it has to wait (a hook's promise, Deno's `send`): a step
   * whose sink takes a block at once and whose socket sends synchronously costs no promise.
   */
  const flush = (final = false): Promise<void> | undefined => {
    for (let e = machine.pollEvent(); e; e = machine.pollEvent()) {
      if (!onEvent) continue;
      let waiting: Promise<void> | undefined;
      try {
        waiting = settle(onEvent(e));
      } catch (error) {
        if (final) continue; // the transfer ends anyway
        throw error;
      }
      if (waiting) return flushAfter(waiting, final);
    }
    const first = machine.pollTransmit();
    if (!first) return undefined;
    if (!conn.sendMany) return sendEach(first, final);
    for (let t: Transmit | undefined = first; t; t = machine.pollTransmit()) {
      if (final && !isError(t.bytes)) continue;
      see("send", t.to, t.bytes);
      if (batch.length > 0 && !samePeer(batchTo!, t.to)) sendBatch(final);
      batch.push(t.bytes);
      batchTo = t.to;
    }
    if (batch.length > 0) sendBatch(final);
    return undefined;
  };
  /** `flush` once the hook's promise `waiting` settled (its rejection ends the transfer). */
  const flushAfter = async (waiting: Promise<void>, final: boolean): Promise<void> => {
    try {
      await waiting;
    } catch (error) {
      if (!final) throw error;
    }
    const more = flush(final);
    if (more) await more;
  };
  /** Sends on a socket without `sendMany`: one awaited `send` per datagram. */
  const sendEach = async (first: Transmit, final: boolean): Promise<void> => {
    for (let t: Transmit | undefined = first; t; t = machine.pollTransmit()) {
      if (final && !isError(t.bytes)) continue;
      see("send", t.to, t.bytes);
      try {
        await conn.send(t.bytes, addrOf(t.to));
      } catch (error) {
        sendFailed(error, final);
      }
    }
  };
  /** Datagrams of this step for one peer, for a socket that sends them at once. */
  const batch: Uint8Array[] = [];
  let batchTo: Peer | undefined;
  const sendBatch = (final: boolean) => {
    const to = batchTo!;
    try {
      conn.sendMany!(batch, addrOf(to));
    } catch (error) {
      sendFailed(error, final); // the rest of the batch is lost
    } finally {
      batch.length = 0;
    }
  };

  // The machine's deadline, in the process's one deadline queue: moving it (a lock-step
  // transfer does with every ACK) costs no timer op and no allocation.
  /** True while the loop waits for a datagram or the deadline (not while a hook runs). */
  let waiting = false;
  const timer = new Deadline(() => {
    // During a hook's wait `wake` settles that wait: a timer must never end it. The loop
    // sets the deadline again (due at once) when it next waits.
    if (waiting) wake?.(TIMER);
  });
  try {
    // Cancelled before it began: nothing goes out, not even the request.
    if (aborted) throw CANCELLED;
    let flushing = flush();
    if (flushing) await flushing;
    while (!machine.isClosed) {
      if (aborted) throw CANCELLED;
      const feeding = settle(hooks.beforeWait?.());
      if (feeding) await feeding;
      flushing = flush();
      if (flushing) await flushing;
      if (machine.isClosed) break;
      if (aborted) throw CANCELLED;
      // A datagram the socket has at once (the rest of a window, or one its busy poll caught)
      // is handled at once: no promise, no deadline. While datagrams keep coming the deadline
      // does not matter; the wait after the last of them sets it.
      const queued = pending ? undefined : conn.tryReceive?.(receiveBuffer());
      if (queued) {
        handle(queued[0], queued[1] as Deno.NetAddr);
        flushing = flush();
        if (flushing) await flushing;
        continue;
      }
      const deadline = machine.pollTimeout();
      const receiving = pending ??= conn.receive(receiveBuffer()).catch(receiveFailed);
      waiting = true;
      deadlines.set(timer, deadline ?? Infinity);
      let woke = await new Promise<Wake>((resolve) => {
        wake = resolve;
        receiving.then(resolve);
      });
      wake = undefined;
      if (woke === TIMER && monotonicNow() - deadline! >= LATE_TIMER_MS) {
        // Timers run before the socket is polled: on a busy event loop an answer that came
        // in before the deadline would lose to it and count as a timeout, and the machine
        // would retransmit for nothing. A late timer first gives the socket one turn.
        deadlines.set(timer, 0);
        woke = await new Promise<Wake>((resolve) => {
          wake = resolve;
          receiving.then(resolve);
        });
        wake = undefined;
        if (woke !== TIMER) deadlines.clear(timer);
      }
      waiting = false;
      if (Array.isArray(woke)) {
        pending = undefined;
        handle(woke[0], woke[1] as Deno.NetAddr);
      } else if (woke instanceof Closed) {
        pending = undefined;
        // An ICMP report about an earlier send: the datagram was lost, receive again.
        if (isIcmpReport(woke.error)) continue;
        throw woke.error;
      } else if (woke === TIMER) {
        machine.handleTimeout(monotonicNow());
      }
      flushing = flush();
      if (flushing) await flushing;
    }
  } catch (error) {
    deadlines.clear(timer);
    if (!machine.isClosed) {
      machine.abort(
        monotonicNow(),
        error === CANCELLED ? abortErrorOf(signal) : toTftpError(error),
      );
      const flushing = flush(true);
      if (flushing) await flushing;
    }
    if (error !== CANCELLED) throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    deadlines.clear(timer);
    deadlines.clear(watchdog);
    wake = undefined;
    // A receive may stay in flight: the caller closes the socket, which settles it.
  }
}
