/**
 * TFTP URIs (RFC 3617) with the common `:port` extension:
 * `tftp://host[:port]/file[;mode=netascii|octet]`.
 *
 * The first `/` after the host only separates host and file, so `tftp://h/boot.bin` names
 * `boot.bin` and `tftp://h//srv/boot.bin` names `/srv/boot.bin` (RFC 3617 §2). Percent-escapes
 * in the file are decoded as UTF-8. IPv6 literals go in brackets (RFC 3986 §3.2.2), with an
 * optional zone as `%25zone` (RFC 6874). User information, queries and fragments have no
 * meaning for TFTP and are refused, as is `mail` mode (RFC 1123 §4.2.2.1).
 *
 * WHATWG `new URL()` is not used: it treats `tftp:` as an opaque scheme and would not check
 * the host.
 *
 * @module
 */

import { splitUrlAuthority, urlHostProblem } from "../ip/url_host.ts";

/** A parsed TFTP URI. */
export interface TftpUrl {
  /** Host name, IPv4 address, or IPv6 address without brackets (zone as `fe80::1%eth0`). */
  readonly hostname: string;
  /** UDP port, 1..65535; 69 when the URI has none. */
  readonly port: number;
  /** Decoded file name, without the `/` that separates it from the host. */
  readonly path: string;
  /** Transfer mode; `octet` when the URI has none. */
  readonly mode: "octet" | "netascii";
}

/** Well-known TFTP server port (RFC 1350 §4). */
const DEFAULT_PORT = 69;
/** RFC 3986 pchar without `;` (it starts the mode parameter), plus `/`. */
const PATH_RE = /^(?:[A-Za-z0-9\-._~!$&'()*+,=:@/]|%[0-9A-Fa-f]{2})*$/;

function invalid(text: string, reason: string, cause?: unknown): TypeError {
  const message = `Invalid TFTP URL ${JSON.stringify(text)}: ${reason}`;
  return cause === undefined ? new TypeError(message) : new TypeError(message, { cause });
}

function checkPath(path: string): string | undefined {
  if (path === "") return "the file name is empty";
  if (path.endsWith("/")) {
    return `the file name is empty after the last "/" in ${JSON.stringify(path)}`;
  }
  if (path.includes("\0")) return "the file name contains a NUL character";
  return undefined;
}

function parseHost(text: string, authority: string): { hostname: string; port: number } {
  const split = splitUrlAuthority(authority, { zone: true });
  if ("problem" in split) throw invalid(text, split.problem);
  const { hostname, port: portText } = split;
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^[0-9]{1,10}$/.test(portText)) {
      throw invalid(
        text,
        `port must be a number between 1 and 65535, got ${JSON.stringify(portText)}`,
      );
    }
    port = Number(portText);
    if (port < 1 || port > 65535) {
      throw invalid(text, `port must be between 1 and 65535, got ${port}`);
    }
  }
  return { hostname, port };
}

function parseMode(text: string, params: string[]): "octet" | "netascii" {
  if (params.length === 0) return "octet";
  if (params.length > 1) throw invalid(text, "only one ;mode= parameter is allowed");
  const match = /^mode=(.*)$/i.exec(params[0]);
  if (match === null) throw invalid(text, `unknown parameter ${JSON.stringify(params[0])}`);
  const mode = match[1].toLowerCase();
  if (mode === "octet" || mode === "netascii") return mode;
  if (mode === "mail") throw invalid(text, "mail mode is not supported");
  throw invalid(text, `unknown mode ${JSON.stringify(match[1])}, expected octet or netascii`);
}

/**
 * Parses a TFTP URI. Throws a `TypeError` saying what is wrong for anything that is not one:
 * another scheme, no file name, a bad host or port, userinfo, a query or fragment, an
 * unknown or `mail` mode, bad percent-escapes, or a file name with NUL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTftpUrl } from "./url.ts";
 * const url = parseTftpUrl("tftp://[::1]:6969/pxe/boot%20menu.cfg;mode=netascii");
 * assert.ok(url.hostname === "::1" && url.port === 6969);
 * assert.ok(url.path === "pxe/boot menu.cfg" && url.mode === "netascii");
 * ```
 */
export function parseTftpUrl(text: string): TftpUrl {
  if (typeof text !== "string") {
    throw new TypeError(`TFTP URL must be a string, got ${typeof text}`);
  }
  if (!/^tftp:\/\//i.test(text)) throw invalid(text, `it must start with "tftp://"`);
  const rest = text.slice("tftp://".length);
  if (rest.includes("?")) throw invalid(text, "a query is not allowed");
  if (rest.includes("#")) throw invalid(text, "a fragment is not allowed");
  const slash = rest.indexOf("/");
  if (slash === -1) throw invalid(text, `there is no "/" and file name after the host`);
  const { hostname, port } = parseHost(text, rest.slice(0, slash));
  const [rawPath, ...params] = rest.slice(slash + 1).split(";");
  if (!PATH_RE.test(rawPath)) {
    const bad = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,=:@/%]/u.exec(rawPath)?.[0];
    throw invalid(
      text,
      bad === "%"
        ? "a % is not followed by two hex digits"
        : `${JSON.stringify(bad)} must be percent-encoded`,
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch (cause) {
    throw invalid(text, "percent-escapes are not valid UTF-8", cause);
  }
  const pathProblem = checkPath(path);
  if (pathProblem !== undefined) throw invalid(text, pathProblem);
  return { hostname, port, path, mode: parseMode(text, params) };
}

/**
 * Formats a {@linkcode TftpUrl} as a URI that {@linkcode parseTftpUrl} reads back to the same
 * value: brackets around IPv6, no `:69`, percent-escapes where needed (`/` is kept), and
 * `;mode=netascii` only for netascii. Throws a `TypeError` (or `RangeError` for the port)
 * for a value that has no URI.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTftpUrl } from "./url.ts";
 * const text = formatTftpUrl({ hostname: "::1", port: 69, path: "a b;c", mode: "octet" });
 * assert.ok(text === "tftp://[::1]/a%20b%3Bc");
 * ```
 */
export function formatTftpUrl(url: TftpUrl): string {
  const { hostname, port, path, mode } = url;
  const hostProblem = typeof hostname !== "string"
    ? "it is not a string"
    : hostname.startsWith("[")
    ? "give IPv6 addresses without brackets"
    : urlHostProblem(hostname, { zone: true });
  if (hostProblem !== undefined) {
    throw new TypeError(
      `Cannot format TFTP URL: hostname ${JSON.stringify(hostname)} is invalid: ${hostProblem}`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `Cannot format TFTP URL: port must be an integer between 1 and 65535, got ${port}`,
    );
  }
  const pathProblem = typeof path === "string" ? checkPath(path) : "it is not a string";
  if (pathProblem !== undefined) {
    throw new TypeError(
      `Cannot format TFTP URL: path ${JSON.stringify(path)} is invalid: ${pathProblem}`,
    );
  }
  if (mode !== "octet" && mode !== "netascii") {
    throw new TypeError(
      `Cannot format TFTP URL: mode must be "octet" or "netascii", got ${JSON.stringify(mode)}`,
    );
  }
  let encodedPath: string;
  try {
    encodedPath = encodeURIComponent(path).replaceAll("%2F", "/");
  } catch (cause) {
    throw new TypeError(
      `Cannot format TFTP URL: path ${JSON.stringify(path)} is not valid Unicode`,
      { cause },
    );
  }
  const host = hostname.includes(":") ? `[${hostname.replace("%", "%25")}]` : hostname;
  const portPart = port === DEFAULT_PORT ? "" : `:${port}`;
  const modePart = mode === "netascii" ? ";mode=netascii" : "";
  return `tftp://${host}${portPart}/${encodedPath}${modePart}`;
}
