/**
 * Opening UDP sockets for transfers, and turning host names into addresses.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * The canonical text of an IPv6 literal, as Deno reports peers: lower case, zeros
 * compressed, IPv4-mapped addresses in dotted form (`::ffff:192.0.2.1`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalIpv6 } from "./socket.ts";
 * assert.equal(canonicalIpv6("0:0:0:0:0:0:0:1"), "::1");
 * assert.equal(canonicalIpv6("::FFFF:c000:0201"), "::ffff:192.0.2.1");
 * ```
 */
export function canonicalIpv6(literal: string): string {
  const text = new URL(`http://[${literal}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!mapped) return text;
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Resolves a host name to one IP address (IPv4 preferred for names). IP literals are
 * returned without a lookup, IPv6 ones in canonical form (`0:0:0:0:0:0:0:1` is `::1`);
 * `localhost` is 127.0.0.1. IPv6 zone IDs (`fe80::1%eth0`) are refused with a TypeError.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHost } from "./socket.ts";
 * assert.equal(await resolveHost("::1"), "::1");
 * assert.equal(await resolveHost("0000::0001"), "::1");
 * ```
 */
export async function resolveHost(hostname: string): Promise<string> {
  const zone = hostname.indexOf("%");
  if (zone > 0 && isIP(hostname.slice(0, zone)) === 6) {
    throw new TypeError(
      `IPv6 zone IDs are not supported yet, got ${
        JSON.stringify(hostname)
      }: use an address without "%"`,
    );
  }
  const family = isIP(hostname);
  if (family === 6) return canonicalIpv6(hostname);
  if (family === 4) return hostname;
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
  return bindInRange(range, (port) => Deno.listenDatagram({ transport: "udp", hostname, port }));
}

/**
 * Calls `bind` with port 0 when there is no `range`, else with ports of `range` in random
 * order until one is not in use (Deno.errors.AddrInUse), at most 256 tries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindInRange } from "./socket.ts";
 * assert.equal(bindInRange(undefined, (port) => port), 0);
 * const taken = new Set([7000, 7001]);
 * const port = bindInRange([7000, 7002], (port) => {
 *   if (taken.has(port)) throw new Deno.errors.AddrInUse(`${port}`);
 *   return port;
 * });
 * assert.equal(port, 7002);
 * ```
 */
export function bindInRange<T>(
  range: readonly [number, number] | undefined,
  bind: (port: number) => T,
): T {
  if (!range) return bind(0);
  const [low, high] = range;
  const span = high - low + 1;
  const start = Math.floor(Math.random() * span);
  const tries = Math.min(span, 256);
  for (let i = 0; i < tries; i++) {
    const port = low + ((start + i) % span);
    try {
      return bind(port);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(`No free UDP port in ${low}-${high}`);
}
