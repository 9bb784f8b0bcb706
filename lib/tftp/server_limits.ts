/**
 * The server's limits against floods, spoofed requests and resource exhaustion, with their
 * defaults. A flood is dropped in silence; a client over a running-transfer cap gets ERROR 0
 * with a clear message; an upload over the size cap gets ERROR 3.
 *
 * @module
 */

import { checkInteger } from "./_check.ts";

/** Limits of {@linkcode serveTftp}; part of its options. */
export interface ServerLimits {
  /** Transfers running at once; more requests get ERROR 0 "Server busy". @default {1024} */
  maxTransfers?: number;
  /**
   * Transfers running at once for one client address (a NAT or a PXE relay shows many
   * machines as one address: raise it there). @default {64}
   */
  maxTransfersPerClient?: number;
  /**
   * Requests per second from one client address (bursts of twice that); the excess is
   * dropped without an answer. @default {100}
   */
  requestsPerSecond?: number;
  /**
   * Transfers one client address may have open without having answered any of them; then
   * one more a second. A spoofed request makes the server send to a victim that never
   * answers: this bounds what a victim gets. A real client's answer gives its token back.
   * @default {16}
   */
  unansweredBurst?: number;
  /**
   * How often the first packet is sent again to a client that has not answered at all
   * (a real client answers within a round trip). @default {2}
   */
  unansweredRetries?: number;
  /**
   * Largest upload in bytes: a WRQ whose tsize is larger is refused with ERROR 3, and an
   * upload that grows past it ends with ERROR 3 (nothing is kept). @default {Infinity}
   */
  maxWriteBytes?: number;
  /** Client addresses remembered for the rate limits. @default {10000} */
  maxClients?: number;
}

/** {@linkcode ServerLimits} with every field settled. */
export type ResolvedServerLimits = Readonly<Required<ServerLimits>>;

/**
 * Checks the limits and fills in the defaults; throws `RangeError` for impossible values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveServerLimits } from "./server_limits.ts";
 * const limits = resolveServerLimits({ maxTransfersPerClient: 500 });
 * assert.equal(limits.maxTransfers, 1024);
 * assert.equal(limits.maxTransfersPerClient, 500);
 * assert.throws(() => resolveServerLimits({ requestsPerSecond: 0 }), RangeError);
 * ```
 */
export function resolveServerLimits(limits: ServerLimits): ResolvedServerLimits {
  checkInteger("maxTransfers", limits.maxTransfers, 1, 1_000_000);
  checkInteger("maxTransfersPerClient", limits.maxTransfersPerClient, 1, 1_000_000);
  checkInteger("requestsPerSecond", limits.requestsPerSecond, 1, 1_000_000);
  checkInteger("unansweredBurst", limits.unansweredBurst, 1, 1_000_000);
  checkInteger("unansweredRetries", limits.unansweredRetries, 0, 1000);
  checkInteger("maxClients", limits.maxClients, 1, 10_000_000);
  const maxWriteBytes = limits.maxWriteBytes ?? Infinity;
  if (
    !(maxWriteBytes >= 0) || (Number.isFinite(maxWriteBytes) && !Number.isInteger(maxWriteBytes))
  ) {
    throw new RangeError(`maxWriteBytes must be a whole number of bytes, got ${maxWriteBytes}`);
  }
  return {
    maxTransfers: limits.maxTransfers ?? 1024,
    maxTransfersPerClient: limits.maxTransfersPerClient ?? 64,
    requestsPerSecond: limits.requestsPerSecond ?? 100,
    unansweredBurst: limits.unansweredBurst ?? 16,
    unansweredRetries: limits.unansweredRetries ?? 2,
    maxWriteBytes,
    maxClients: limits.maxClients ?? 10_000,
  };
}
