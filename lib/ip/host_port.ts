/**
 * `host:port` operands: the form every client command takes for a server address. Pure.
 *
 * @module
 */

/**
 * Splits `host:port` (`[v6]:port` for IPv6) into its parts; throws TypeError when malformed
 * or when the port is not 1 to 65535.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostPort } from "./host_port.ts";
 * assert.deepEqual(parseHostPort("[::1]:6969"), { hostname: "::1", port: 6969 });
 * assert.deepEqual(parseHostPort("localhost:80"), { hostname: "localhost", port: 80 });
 * assert.throws(() => parseHostPort("::1:69"), TypeError);
 * ```
 *
 * @param hostPort The text to split.
 * @returns The host name (without brackets) and the port.
 */
export function parseHostPort(hostPort: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):([0-9]{1,5})$/.exec(hostPort);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(`address must be host:port or [v6]:port, got ${JSON.stringify(hostPort)}`);
  }
  return { hostname: match[1] ?? match[2], port };
}
