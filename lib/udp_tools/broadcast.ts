/**
 * Sending one datagram to a broadcast (or any) address and collecting the replies for a
 * while: "who is there?" on a local network.
 *
 * `255.255.255.255` (written `<broadcast>`, as Python does) reaches the hosts of the link the
 * route for it leaves by, and is never forwarded by routers; a directed broadcast address such
 * as `192.0.2.255` reaches the hosts of that subnet. Every Deno UDP socket may send to
 * broadcast addresses: there is no option to set.
 *
 * @module
 */

import { localAddressFor, resolveHost } from "../udp/socket.ts";
import { checkPort, closeQuietly, openSocket, receiveDatagrams } from "./_datagrams.ts";

/** The name of the limited broadcast address accepted by {@linkcode resolveBroadcastHost}. */
export const BROADCAST_HOST = "<broadcast>";

/** The limited broadcast address (RFC 919): every host on the local link. */
export const LIMITED_BROADCAST = "255.255.255.255";

/**
 * `<broadcast>` becomes `255.255.255.255`; any other host is returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBroadcastHost } from "./broadcast.ts";
 * assert.equal(resolveBroadcastHost("<broadcast>"), "255.255.255.255");
 * assert.equal(resolveBroadcastHost("192.0.2.255"), "192.0.2.255");
 * ```
 *
 * @param host A host name, an address, or `<broadcast>`.
 * @returns The host to send to.
 */
export function resolveBroadcastHost(host: string): string {
  return host === BROADCAST_HOST ? LIMITED_BROADCAST : host;
}

/** A datagram that came back. */
export interface UdpReply {
  /** Its sender. */
  from: Deno.NetAddr;
  /** Its bytes (a copy, yours to keep). */
  bytes: Uint8Array;
}

/** Options of {@linkcode sendBroadcast}. */
export interface SendBroadcastOptions {
  /**
   * Local address to bind.
   * @default {"0.0.0.0" (the loopback address for a loopback target, "::" for IPv6)}
   */
  hostname?: string;
  /**
   * Local port; 0 picks a free one.
   * @default {0}
   */
  port?: number;
  /**
   * How long to collect replies after sending, in milliseconds.
   * @default {1000}
   */
  waitMs?: number;
  /**
   * Stop as soon as this many replies arrived.
   * @default {Infinity}
   */
  maxReplies?: number;
  /**
   * Called with each reply as it arrives; a throwing hook ends the wait and its error is
   * rethrown.
   * @default {undefined}
   */
  onReply?: (reply: UdpReply) => void;
  /**
   * Aborting it stops waiting; the promise then rejects with the abort reason.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

function hostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function checkOptions(to: { hostname: string; port: number }, options: SendBroadcastOptions) {
  const { waitMs = 1000, maxReplies = Infinity } = options;
  if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) {
    throw new RangeError(`to.port must be a whole number from 1 to 65535, got ${to.port}`);
  }
  if (!(Number.isFinite(waitMs) && waitMs >= 0)) {
    throw new RangeError(`waitMs must be a finite number of at least 0, got ${waitMs}`);
  }
  if (!(maxReplies === Infinity || (Number.isInteger(maxReplies) && maxReplies >= 1))) {
    throw new RangeError(`maxReplies must be a whole number of at least 1, got ${maxReplies}`);
  }
  checkPort("port", options.port ?? 0);
  return { waitMs, maxReplies };
}

/**
 * Sends `payload` as one datagram to `to` from a fresh socket, then collects the replies
 * that reach that socket until `waitMs` passed or `maxReplies` arrived. `to.hostname` may be
 * `<broadcast>`, a directed broadcast address, or any unicast address or name.
 *
 * @example
 * ```ts ignore
 * import { sendBroadcast } from "./broadcast.ts";
 * const replies = await sendBroadcast(
 *   { hostname: "<broadcast>", port: 6002 },
 *   new TextEncoder().encode("ping"),
 *   { waitMs: 500 },
 * );
 * for (const { from, bytes } of replies) console.log(from.hostname, bytes.length);
 * ```
 *
 * @throws {RangeError} For a port, `waitMs` or `maxReplies` out of range.
 * @throws {Error} When the host cannot be resolved, the socket cannot be bound, or the system
 * refuses the datagram (too long, no route).
 *
 * @param to The destination.
 * @param payload The datagram (at most 65507 bytes over IPv4).
 * @param options Local address, how long and how many replies to wait for, cancellation.
 * @returns The replies, in order of arrival.
 */
export async function sendBroadcast(
  to: { hostname: string; port: number },
  payload: Uint8Array,
  options: SendBroadcastOptions = {},
): Promise<UdpReply[]> {
  const { waitMs, maxReplies } = checkOptions(to, options);
  const { signal, onReply } = options;
  signal?.throwIfAborted();
  const address = await resolveHost(resolveBroadcastHost(to.hostname));
  signal?.throwIfAborted();
  const local = { hostname: options.hostname ?? localAddressFor(address), port: options.port ?? 0 };
  let conn: Deno.DatagramConn;
  try {
    conn = openSocket(local.hostname, local.port);
  } catch (cause) {
    throw new Error(
      `Cannot bind ${hostPort(local.hostname, local.port)}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const stop = () => closeQuietly(conn);
  signal?.addEventListener("abort", stop, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const replies: UdpReply[] = [];
  try {
    try {
      await conn.send(payload, { transport: "udp", hostname: address, port: to.port });
    } catch (cause) {
      signal?.throwIfAborted();
      const where = hostPort(address, to.port);
      const hint = address === LIMITED_BROADCAST && cause instanceof Deno.errors.NetworkUnreachable
        ? ` (${LIMITED_BROADCAST} needs a route: a default route, or one of its own such as` +
          ` "ip route add ${LIMITED_BROADCAST} dev <interface>")`
        : "";
      throw new Error(`Cannot send to ${where}: ${(cause as Error).message}${hint}`, { cause });
    }
    timer = setTimeout(stop, waitMs);
    for await (const [bytes, from] of receiveDatagrams(conn)) {
      const reply = { from, bytes: bytes.slice() };
      replies.push(reply);
      onReply?.(reply);
      if (replies.length >= maxReplies) break;
    }
    signal?.throwIfAborted();
    return replies;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
    stop();
  }
}
