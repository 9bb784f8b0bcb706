/**
 * The vocabulary shared by every sans-IO machine: peers, datagrams to send, events and
 * statistics. Times are plain numbers in milliseconds on any monotonic clock the driver
 * chooses; the machines never read a clock themselves.
 *
 * @module
 */

import type { TftpError } from "../errors.ts";
import type { NegotiatedOptions } from "../packet/options.ts";

/** A UDP endpoint: an IP address (v4 or v6, no brackets) and a port. */
export interface Peer {
  /** IP address as text, e.g. `127.0.0.1` or `::1`. */
  readonly hostname: string;
  /** UDP port. */
  readonly port: number;
}

/** A datagram a machine wants sent now. */
export interface Transmit {
  /** Destination. */
  readonly to: Peer;
  /**
   * Datagram bytes. The machine may send the same array again later, so do not modify it;
   * once the peer acknowledged it, the machine may reuse the array for a later block, so
   * copy it to keep it past the call that handles the next datagram.
   */
  readonly bytes: Uint8Array;
}

/** Counters of one transfer, reported when it ends. */
export interface TransferStats {
  /** Payload bytes delivered in order (receiver) or acknowledged (sender). */
  bytes: number;
  /** DATA blocks delivered (receiver) or acknowledged (sender). */
  blocks: number;
  /** Datagrams handed to the driver to send. */
  datagramsSent: number;
  /** Datagrams received from the peer. */
  datagramsReceived: number;
  /** Datagrams sent again because a timer ran out. */
  retransmits: number;
  /** Timer expiries. */
  timeouts: number;
  /** Duplicate DATA or ACK packets received. */
  duplicates: number;
  /** Datagrams from unknown transfer IDs (answered with ERROR 5). */
  strangers: number;
  /** Milliseconds from the first to the last event of the transfer. */
  elapsedMs: number;
  /** What the transfer ran with. */
  options: NegotiatedOptions;
  /** True when the options were negotiated by OACK; false for plain RFC 1350. */
  optionsAcknowledged: boolean;
}

/** Something a machine reports to its driver. */
export type TransferEvent =
  /**
   * Received payload, in order, each byte once: a view into the datagram given to
   * `handleDatagram`, valid while that array is (a driver that reuses its receive buffer
   * must use or copy it before the next receive).
   */
  | { readonly type: "data"; readonly data: Uint8Array }
  /** Options are settled (after an OACK, or plain RFC 1350 when the peer ignored them). */
  | { readonly type: "negotiated"; readonly options: NegotiatedOptions; readonly peer: Peer }
  /** The transfer succeeded. A receiver may still dally afterwards (see `pollTimeout`). */
  | { readonly type: "complete"; readonly stats: TransferStats }
  /** The transfer ended with an error; nothing more will be sent except what is queued. */
  | { readonly type: "failed"; readonly error: TftpError; readonly stats: TransferStats };

/**
 * The sans-IO surface every transfer machine offers its driver.
 *
 * The driver feeds datagrams and timeouts in, then drains `pollTransmit` and `pollEvent`,
 * then sleeps until `pollTimeout` (or the next datagram). When `pollTimeout` returns
 * `undefined` and `isClosed` is true, the machine is finished and its socket can close.
 */
export interface TransferMachine {
  /** Feeds one received datagram. */
  handleDatagram(now: number, from: Peer, bytes: Uint8Array): void;
  /** Tells the machine the time; acts only when a deadline has passed. */
  handleTimeout(now: number): void;
  /** The next datagram to send, if any. */
  pollTransmit(): Transmit | undefined;
  /** The next event, if any. */
  pollEvent(): TransferEvent | undefined;
  /** Absolute time at which `handleTimeout` must be called, if any. */
  pollTimeout(): number | undefined;
  /** Ends the transfer locally; the peer receives ERROR `code` unless it is already over. */
  abort(now: number, error: TftpError): void;
  /** True once nothing more will happen (after dallying, failure or completion). */
  readonly isClosed: boolean;
  /**
   * How many bytes a receive buffer needs: the largest datagram the machine can accept now,
   * plus one, so that an oversized datagram still shows as oversized after truncation. The
   * driver sizes its buffer by it (65540 when absent); it may change once options settle.
   */
  readonly receiveBytes?: number;
}

/**
 * True when two peers are the same endpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samePeer } from "../../../mod.ts";
 * assert.ok(samePeer({ hostname: "::1", port: 69 }, { hostname: "::1", port: 69 }));
 * ```
 */
export function samePeer(a: Peer, b: Peer): boolean {
  return a.port === b.port && a.hostname === b.hostname;
}
