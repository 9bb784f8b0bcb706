/**
 * The driver: the only loop that runs a {@linkcode TransferMachine} against a real socket.
 * It keeps exactly one `receive()` in flight, races it against the machine's next deadline
 * and an `AbortSignal`, feeds the result in, and drains what the machine wants done: events
 * first (so data is written before the ACK that confirms it goes out), then datagrams.
 *
 * @module
 */

import { TftpAbortError, TftpError } from "../tftp/errors.ts";
import type { Peer, TransferEvent, TransferMachine, Transmit } from "../tftp/engine/types.ts";
import { monotonicNow } from "./clock.ts";

/** Hooks the driver calls. */
export interface DriveHooks {
  /** Handles an event; awaited before datagrams go out (write data here). */
  onEvent?: (event: TransferEvent) => void | Promise<void>;
  /** Called before each waiting step; feed a sender here (awaited). */
  beforeWait?: () => void | Promise<void>;
  /** Sees every datagram sent and received (for `--trace` and captures). */
  onDatagram?: (direction: "send" | "recv", peer: Peer, bytes: Uint8Array) => void;
  /** Cancels the transfer: the peer gets ERROR 0 with the reason. */
  signal?: AbortSignal;
  /** Receive buffer size in bytes. @default {65540} */
  bufferBytes?: number;
}

type Wake =
  | { kind: "datagram"; bytes: Uint8Array; from: Peer }
  | { kind: "closed"; error: unknown }
  | { kind: "timer" }
  | { kind: "abort" };

function abortErrorOf(signal: AbortSignal): TftpError {
  const reason = signal.reason;
  if (reason instanceof TftpAbortError) return reason;
  const text = reason instanceof Error ? reason.message : "Transfer cancelled";
  return new TftpAbortError(text || "Transfer cancelled", { cause: reason });
}

/**
 * Runs `machine` on `conn` until it closes. Resolves when the machine is closed; the
 * caller owns `conn` and closes it afterwards. Errors thrown by hooks abort the machine with
 * that error when it is a TftpError (else ERROR 0) and are rethrown.
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
  conn: Deno.DatagramConn,
  hooks: DriveHooks = {},
): Promise<void> {
  const buffer = new Uint8Array(hooks.bufferBytes ?? 65540);
  let pending: Promise<Wake> | undefined;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    wakeAbort?.();
  };
  let wakeAbort: (() => void) | undefined;
  hooks.signal?.addEventListener("abort", onAbort, { once: true });
  if (hooks.signal?.aborted) aborted = true;

  const flush = async (): Promise<void> => {
    for (let e = machine.pollEvent(); e; e = machine.pollEvent()) await hooks.onEvent?.(e);
    for (let t: Transmit | undefined = machine.pollTransmit(); t; t = machine.pollTransmit()) {
      hooks.onDatagram?.("send", t.to, t.bytes);
      try {
        await conn.send(t.bytes, { transport: "udp", hostname: t.to.hostname, port: t.to.port });
      } catch {
        // A send can fail (ICMP unreachable reported on the socket, no route): for UDP
        // that is a lost datagram; the retransmit timer deals with it.
      }
    }
  };

  try {
    await flush();
    while (!machine.isClosed) {
      if (aborted) {
        machine.abort(monotonicNow(), abortErrorOf(hooks.signal!));
        await flush();
        break;
      }
      await hooks.beforeWait?.();
      await flush();
      if (machine.isClosed) break;
      const deadline = machine.pollTimeout();
      pending ??= conn.receive(buffer).then(
        ([bytes, addr]): Wake => ({ kind: "datagram", bytes, from: addr as Deno.NetAddr }),
        (error): Wake => ({ kind: "closed", error }),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waits: Promise<Wake>[] = [
        pending,
        new Promise((resolve) => (wakeAbort = () => resolve({ kind: "abort" }))),
      ];
      if (deadline !== undefined) {
        const delay = Math.max(0, deadline - monotonicNow());
        waits.push(
          new Promise((resolve) => (timer = setTimeout(() => resolve({ kind: "timer" }), delay))),
        );
      }
      const wake = await Promise.race(waits);
      clearTimeout(timer);
      wakeAbort = undefined;
      if (wake.kind === "datagram") {
        pending = undefined;
        const from = { hostname: wake.from.hostname, port: wake.from.port };
        hooks.onDatagram?.("recv", from, wake.bytes);
        machine.handleDatagram(monotonicNow(), from, wake.bytes);
      } else if (wake.kind === "closed") {
        pending = undefined;
        throw wake.error;
      } else if (wake.kind === "timer") {
        machine.handleTimeout(monotonicNow());
      }
      await flush();
    }
  } catch (error) {
    if (!machine.isClosed) {
      const tftpError = error instanceof TftpError
        ? error
        : new TftpAbortError(error instanceof Error ? error.message : String(error), {
          cause: error,
        });
      machine.abort(monotonicNow(), tftpError);
      await flush().catch(() => {});
    }
    throw error;
  } finally {
    hooks.signal?.removeEventListener("abort", onAbort);
    if (pending) {
      // Leave no receive in flight: the caller closes the socket, which settles it.
      pending.catch(() => {});
    }
  }
}
