/**
 * TCP file URLs: `tcp://host[:port]/name`, the address of one file on a TCP file server.
 * Pure.
 *
 * The first `/` after the host only separates host and name, so `tcp://h:6000/boot/kernel`
 * names `boot/kernel`. Percent-escapes in the name are decoded as UTF-8; the name must be one
 * the framed protocol can carry (not empty, no NUL, CR or LF, at most 1024 bytes). IPv6
 * literals go in brackets (RFC 3986 §3.2.2). The port defaults to
 * {@linkcode DEFAULT_TCP_PORT}. User information, queries and fragments are refused.
 *
 * @module
 */

import { splitUrlAuthority, urlHostProblem } from "../ip/url_host.ts";
import { MAX_NAME_BYTES } from "./frame.ts";

/** The port of a TCP file server when a URL or command line names none. */
export const DEFAULT_TCP_PORT = 6000;

/** A parsed TCP file URL. */
export interface TcpUrl {
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  readonly hostname: string;
  /** TCP port, 1..65535. */
  readonly port: number;
  /** The decoded file name, without the `/` that separates it from the host. */
  readonly name: string;
}

/** RFC 3986 pchar plus `/`. */
const NAME_RE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const encoder = new TextEncoder();

function invalid(text: string, reason: string, cause?: unknown): TypeError {
  const message = `Invalid TCP URL ${JSON.stringify(text)}: ${reason}`;
  return cause === undefined ? new TypeError(message) : new TypeError(message, { cause });
}

/** Why `name` cannot be requested, or `undefined` when it can. */
function nameProblem(name: string): string | undefined {
  if (name === "") return "the file name is empty";
  if (/[\0\r\n]/.test(name)) return "the file name contains NUL, CR or LF";
  const size = encoder.encode(name).length;
  if (size > MAX_NAME_BYTES) {
    return `the file name is ${size} bytes, at most ${MAX_NAME_BYTES} are allowed`;
  }
  return undefined;
}

function parseAuthority(text: string, authority: string): { hostname: string; port: number } {
  const split = splitUrlAuthority(authority);
  if ("problem" in split) throw invalid(text, split.problem);
  const { hostname, port: portText } = split;
  if (portText === undefined) return { hostname, port: DEFAULT_TCP_PORT };
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw invalid(text, `the port must be 1 to 65535, got ${JSON.stringify(portText)}`);
  }
  return { hostname, port };
}

/**
 * Parses a `tcp://host[:port]/name` URL (a string or a `URL`). Throws a `TypeError` saying
 * what is wrong for anything else: another scheme, no name, a bad host or port, user
 * information, a query or fragment, a bad percent-escape, or a name the protocol cannot carry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTcpUrl } from "./url.ts";
 * assert.deepEqual(parseTcpUrl("tcp://[::1]:7070/boot/my%20kernel"), {
 *   hostname: "::1",
 *   port: 7070,
 *   name: "boot/my kernel",
 * });
 * assert.equal(parseTcpUrl("tcp://files.lan/a.bin").port, 6000);
 * assert.throws(() => parseTcpUrl("tcp://h:7070/"), /the file name is empty/);
 * ```
 *
 * @param url The URL.
 * @returns Host, port and decoded name.
 */
export function parseTcpUrl(url: string | URL): TcpUrl {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== "string") throw new TypeError(`TCP URL must be a string, got ${typeof url}`);
  if (!/^tcp:\/\//i.test(text)) throw invalid(text, `it must start with "tcp://"`);
  const rest = text.slice("tcp://".length);
  if (rest.includes("?")) throw invalid(text, "a query is not allowed");
  if (rest.includes("#")) throw invalid(text, "a fragment is not allowed");
  const slash = rest.indexOf("/");
  if (slash === -1) throw invalid(text, `there is no "/" and file name after the host`);
  const { hostname, port } = parseAuthority(text, rest.slice(0, slash));
  const rawName = rest.slice(slash + 1);
  if (!NAME_RE.test(rawName)) {
    const bad = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/u.exec(rawName)?.[0];
    throw invalid(
      text,
      bad === "%"
        ? "a % is not followed by two hex digits"
        : `${JSON.stringify(bad)} must be percent-encoded`,
    );
  }
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch (cause) {
    throw invalid(text, "percent-escapes are not valid UTF-8", cause);
  }
  const problem = nameProblem(name);
  if (problem !== undefined) throw invalid(text, problem);
  return { hostname, port, name };
}

/**
 * Formats a {@linkcode TcpUrl} as a URL that {@linkcode parseTcpUrl} reads back to the same
 * value: brackets around IPv6, the port always written, percent-escapes where needed (`/` is
 * kept). Throws a `TypeError` (a `RangeError` for the port) for a value that has no URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTcpUrl } from "./url.ts";
 * assert.equal(
 *   formatTcpUrl({ hostname: "::1", port: 6000, name: "pxe/boot menu?.cfg" }),
 *   "tcp://[::1]:6000/pxe/boot%20menu%3F.cfg",
 * );
 * ```
 *
 * @param url Host, port and name.
 * @returns The URL text.
 */
export function formatTcpUrl(url: TcpUrl): string {
  const { hostname, port, name } = url;
  const badHost = typeof hostname !== "string"
    ? "it is not a string"
    : hostname.startsWith("[")
    ? "give IPv6 addresses without brackets"
    : urlHostProblem(hostname);
  if (badHost !== undefined) {
    throw new TypeError(
      `Cannot format TCP URL: hostname ${JSON.stringify(hostname)} is invalid: ${badHost}`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `Cannot format TCP URL: port must be an integer between 1 and 65535, got ${port}`,
    );
  }
  const badName = typeof name !== "string"
    ? "it is not a string"
    : !name.isWellFormed()
    ? "it is not well-formed Unicode"
    : nameProblem(name);
  if (badName !== undefined) {
    throw new TypeError(
      `Cannot format TCP URL: name ${JSON.stringify(name)} is invalid: ${badName}`,
    );
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `tcp://${host}:${port}/${encodeURIComponent(name).replaceAll("%2F", "/")}`;
}
