/**
 * Addresses as the conformance suite compares them: {@linkcode canonicalHost} spells an IP
 * literal one way, {@linkcode resolveAddress} looks a host name up once, and
 * {@linkcode sameAddress} compares canonical spellings. `[::1]`, `0:0:0:0:0:0:0:1` and `::1`
 * are the same host, and so are `::ffff:127.0.0.1` and `127.0.0.1`.
 *
 * The public path of these functions is `probe.ts`, which re-exports them.
 *
 * @module
 */

import { isIP } from "node:net";
import { canonicalIpv6, resolveHost } from "../udp/socket.ts";
import type { Address } from "./check.ts";

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

/**
 * The canonical spelling of an IP literal: brackets dropped, IPv6 in lower-case compressed
 * form, IPv4-mapped IPv6 as plain IPv4. Anything else (a host name) is returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalHost } from "./probe.ts";
 * assert.equal(canonicalHost("[0:0:0:0:0:0:0:1]"), "::1");
 * assert.equal(canonicalHost("::FFFF:127.0.0.1"), "127.0.0.1");
 * assert.equal(canonicalHost("::ffff:7f00:1"), "127.0.0.1");
 * assert.equal(canonicalHost("tftp.example"), "tftp.example");
 * ```
 *
 * @param hostname An address or host name.
 * @returns The canonical form.
 */
export function canonicalHost(hostname: string): string {
  const bare = hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
  if (isIP(bare) !== 6) return isIP(bare) === 4 ? bare : hostname;
  const text = canonicalIpv6(bare);
  return MAPPED.exec(text)?.[1] ?? text;
}

/**
 * `address` with its host resolved to one canonical IP address (see
 * {@linkcode canonicalHost}); IP literals need no lookup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveAddress } from "./probe.ts";
 * assert.deepEqual(await resolveAddress({ hostname: "[::1]", port: 69 }), {
 *   hostname: "::1",
 *   port: 69,
 * });
 * assert.deepEqual(await resolveAddress({ hostname: "localhost", port: 69 }), {
 *   hostname: "127.0.0.1",
 *   port: 69,
 * });
 * ```
 *
 * @param address Host (name or literal, brackets allowed) and port.
 * @returns The same port on the canonical address.
 */
export async function resolveAddress(address: Address): Promise<Address> {
  const literal = canonicalHost(address.hostname);
  const hostname = isIP(literal) ? literal : canonicalHost(await resolveHost(literal));
  return { hostname, port: address.port };
}

/**
 * Whether two addresses are the same host and port, comparing canonical spellings (host
 * names are not looked up: resolve them first with {@linkcode resolveAddress}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameAddress } from "./probe.ts";
 * assert.ok(sameAddress({ hostname: "[::1]", port: 69 }, { hostname: "::1", port: 69 }));
 * assert.ok(!sameAddress({ hostname: "127.0.0.1", port: 69 }, { hostname: "127.0.0.1", port: 70 }));
 * ```
 *
 * @param a One address.
 * @param b The other.
 * @returns `true` when host and port are equal.
 */
export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && canonicalHost(a.hostname) === canonicalHost(b.hostname);
}
