/**
 * Opening UDP sockets for transfers, and turning host names into addresses.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Resolves a host name to one IP address (IPv4 preferred for names). IP literals are
 * returned as they are; `localhost` is 127.0.0.1 without a lookup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHost } from "./socket.ts";
 * assert.equal(await resolveHost("::1"), "::1");
 * ```
 */
export async function resolveHost(hostname: string): Promise<string> {
  if (isIP(hostname)) return hostname;
  if (hostname.toLowerCase() === "localhost") return "127.0.0.1";
  try {
    const { address } = await lookup(hostname, { family: 0, order: "ipv4first" });
    return address;
  } catch (cause) {
    throw new Error(`Cannot resolve host ${JSON.stringify(hostname)}`, { cause });
  }
}

/**
 * The local address a client binds to for talking to `address`: the loopback address of the
 * same family for a loopback server (so nothing listens beyond the machine), else the
 * wildcard address of its family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localAddressFor } from "./socket.ts";
 * assert.equal(localAddressFor("127.0.0.1"), "127.0.0.1");
 * assert.equal(localAddressFor("2001:db8::1"), "::");
 * ```
 */
export function localAddressFor(address: string): string {
  if (isIP(address) === 6) return address === "::1" ? "::1" : "::";
  return address.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}

/**
 * Opens a UDP socket on `hostname`, on port 0 (any free port) or on a free port of
 * `range` (tried in random order, a bounded number of times).
 *
 * @example
 * ```ts ignore
 * const conn = openUdpSocket("127.0.0.1", [50000, 50100]);
 * conn.close();
 * ```
 */
export function openUdpSocket(
  hostname: string,
  range?: readonly [number, number],
): Deno.DatagramConn {
  if (!range) return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const [low, high] = range;
  const span = high - low + 1;
  const start = Math.floor(Math.random() * span);
  const tries = Math.min(span, 256);
  for (let i = 0; i < tries; i++) {
    const port = low + ((start + i) % span);
    try {
      return Deno.listenDatagram({ transport: "udp", hostname, port });
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(`No free UDP port in ${low}-${high}`);
}
