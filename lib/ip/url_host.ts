/**
 * The host part of a URL (`tcp://`, `tftp://`): split `host[:port]` or `[v6][:port]` and check
 * that the host is a usable host name, IPv4 address or IPv6 literal (RFC 3986 §3.2.2), with an
 * optional IPv6 zone (RFC 6874) where the scheme allows one. Pure.
 *
 * Both functions return what is wrong as a reason (`"the host is empty"`); the URL parsers put
 * it into their own error messages.
 *
 * @module
 */

import { parseIpv4Address } from "./ipv4.ts";

/** Settings of {@linkcode urlHostProblem} and {@linkcode splitUrlAuthority}. */
export interface UrlHostOptions {
  /**
   * Accept an IPv6 zone: `fe80::1%eth0` as a host, written `[fe80::1%25eth0]` in a URL
   * (RFC 6874).
   *
   * @default {false}
   */
  zone?: boolean;
}

/** The host and the port text of a URL authority, as {@linkcode splitUrlAuthority} finds. */
export interface UrlAuthority {
  /** The host: a name, an IPv4 address, or an IPv6 address without brackets. */
  readonly hostname: string;
  /** The text after the `:` that ends the host, unchecked; `undefined` when there is none. */
  readonly port: string | undefined;
}

const LABEL_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;
const ZONE_RE = /^[A-Za-z0-9\-._~]+$/;

function isIpv4(text: string): boolean {
  try {
    parseIpv4Address(text);
    return true;
  } catch {
    return false;
  }
}

function isIpv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  let count = 0;
  for (const [sideIndex, side] of groups.entries()) {
    for (const [index, group] of side.entries()) {
      const isLast = sideIndex === groups.length - 1 && index === side.length - 1;
      if (isLast && group.includes(".")) {
        if (!isIpv4(group)) return false; // an embedded IPv4 address ends the address
        count += 2;
      } else if (HEX_GROUP_RE.test(group)) {
        count += 1;
      } else {
        return false;
      }
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Why `host` (without brackets) is not a usable URL host, or `undefined` when it is: a host
 * name of LDH labels (`_` allowed) up to 254 characters, a strict dotted IPv4 address, or an
 * IPv6 address (with `%zone` when `options.zone`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { urlHostProblem } from "./url_host.ts";
 * assert.equal(urlHostProblem("files.lan"), undefined);
 * assert.equal(urlHostProblem("::ffff:10.0.0.1"), undefined);
 * assert.equal(urlHostProblem("fe80::1%eth0", { zone: true }), undefined);
 * assert.equal(urlHostProblem("fe80::1%eth0"), '"fe80::1%eth0" is not a valid IPv6 address');
 * assert.equal(urlHostProblem("10.0.0.256"), '"10.0.0.256" is not a valid IPv4 address');
 * assert.equal(urlHostProblem(""), "the host is empty");
 * ```
 *
 * @param host The host, IPv6 without brackets.
 * @param options Whether a zone is allowed.
 * @returns The reason, or `undefined`.
 */
export function urlHostProblem(host: string, options: UrlHostOptions = {}): string | undefined {
  if (host === "") return "the host is empty";
  if (host.includes(":")) {
    const [address, zone, ...extra] = options.zone ? host.split("%") : [host];
    if (!isIpv6(address)) return `${JSON.stringify(address)} is not a valid IPv6 address`;
    if (zone !== undefined && (extra.length > 0 || !ZONE_RE.test(zone))) {
      return `${JSON.stringify(zone)} is not a valid IPv6 zone`;
    }
    return undefined;
  }
  if (/^[0-9.]+$/.test(host)) {
    return isIpv4(host) ? undefined : `${JSON.stringify(host)} is not a valid IPv4 address`;
  }
  const labels = (host.endsWith(".") ? host.slice(0, -1) : host).split(".");
  if (host.length > 254 || !labels.every((label) => LABEL_RE.test(label))) {
    return `${JSON.stringify(host)} is not a valid host name`;
  }
  return undefined;
}

/**
 * Splits a URL authority (what stands between `scheme://` and the next `/`) into its host,
 * checked with {@linkcode urlHostProblem}, and its port text, left to the caller. Returns
 * `{ problem }` saying what is wrong instead: user information, a bracket without its pair,
 * an IPv6 address without brackets, text after `]`, a zone not written `%25zone`, or a bad
 * host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitUrlAuthority } from "./url_host.ts";
 * assert.deepEqual(splitUrlAuthority("[::1]:69"), { hostname: "::1", port: "69" });
 * assert.deepEqual(splitUrlAuthority("files.lan"), { hostname: "files.lan", port: undefined });
 * assert.deepEqual(splitUrlAuthority("[fe80::1%25eth0]", { zone: true }), {
 *   hostname: "fe80::1%eth0",
 *   port: undefined,
 * });
 * assert.deepEqual(splitUrlAuthority("::1:69"), {
 *   problem: "an IPv6 address must be in square brackets",
 * });
 * ```
 *
 * @param authority The authority, without `scheme://`.
 * @param options Whether a zone is allowed.
 * @returns The host and port text, or the problem.
 */
export function splitUrlAuthority(
  authority: string,
  options: UrlHostOptions = {},
): UrlAuthority | { readonly problem: string } {
  if (authority.includes("@")) return { problem: "user information is not allowed" };
  let host: string;
  let port: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close === -1) return { problem: `"[" of the IPv6 address has no "]"` };
    const inner = authority.slice(1, close);
    const zoneAt = options.zone ? inner.indexOf("%") : -1;
    if (zoneAt !== -1 && !inner.startsWith("%25", zoneAt)) {
      return { problem: `the IPv6 zone must be written as "%25zone"` };
    }
    host = zoneAt === -1 ? inner : `${inner.slice(0, zoneAt)}%${inner.slice(zoneAt + 3)}`;
    if (!host.includes(":")) {
      return { problem: `${JSON.stringify(inner)} in brackets is not an IPv6 address` };
    }
    const after = authority.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) {
      return { problem: `unexpected ${JSON.stringify(after)} after the IPv6 address` };
    }
    if (after !== "") port = after.slice(1);
  } else {
    const colon = authority.indexOf(":");
    if (colon !== -1 && authority.indexOf(":", colon + 1) !== -1) {
      return { problem: "an IPv6 address must be in square brackets" };
    }
    host = colon === -1 ? authority : authority.slice(0, colon);
    if (colon !== -1) port = authority.slice(colon + 1);
  }
  const problem = urlHostProblem(host, options);
  return problem === undefined ? { hostname: host, port } : { problem };
}
