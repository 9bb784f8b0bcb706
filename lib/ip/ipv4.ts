/**
 * IPv4 addresses and CIDR blocks: strict parsing, and a description of the block an address
 * lies in (netmask, network, broadcast, host range, class and special-purpose kinds). Pure.
 *
 * Parsing is strict on purpose: an octet with a leading zero ("010") is refused, because some
 * tools read it as octal (8) and others as decimal (10). Shape errors are `TypeError`s; octets
 * above 255 and prefixes above 32 are `RangeError`s.
 *
 * @module
 */

/** The special-purpose kinds an IPv4 address can belong to (RFC 6890 and the RFCs below). */
export interface Ipv4Kinds {
  /** 10/8, 172.16/12, 192.168/16 (RFC 1918). */
  readonly private: boolean;
  /** 127/8 (RFC 1122 section 3.2.1.3). */
  readonly loopback: boolean;
  /** 169.254/16 (RFC 3927). */
  readonly linkLocal: boolean;
  /** 224/4 (RFC 5771). */
  readonly multicast: boolean;
  /** 240/4 except 255.255.255.255 (RFC 1112 section 4). */
  readonly reserved: boolean;
  /** 255.255.255.255, the limited broadcast address (RFC 919). */
  readonly broadcast: boolean;
  /** 0.0.0.0 (RFC 1122 section 3.2.1.3). */
  readonly unspecified: boolean;
  /** 100.64/10, carrier-grade NAT (RFC 6598). */
  readonly sharedAddressSpace: boolean;
  /** 192.0.2/24, 198.51.100/24, 203.0.113/24 (RFC 5737). */
  readonly documentation: boolean;
}

/** Everything {@linkcode describeIpv4} reports about an address and its block. */
export interface Ipv4Description {
  /** The address as given, in canonical dotted form. */
  readonly address: string;
  /** The prefix length, 0 to 32 (32 when the input has no `/`). */
  readonly prefix: number;
  /** The netmask in dotted form, e.g. `255.255.255.0`. */
  readonly netmask: string;
  /** The inverted netmask, e.g. `0.0.0.255`. */
  readonly wildcard: string;
  /** The first address of the block. */
  readonly network: string;
  /**
   * The last address of the block. On /31 and /32 there is no directed broadcast (RFC 3021):
   * it is then simply the last address.
   */
  readonly broadcast: string;
  /** The first usable host: network + 1, or the network itself on /31 and /32. */
  readonly firstHost: string;
  /** The last usable host: broadcast - 1, or the last address itself on /31 and /32. */
  readonly lastHost: string;
  /** Usable hosts: 2^(32 - prefix) - 2, with 2 on /31 (RFC 3021) and 1 on /32. */
  readonly hostCount: number;
  /** The classful class of the address, by its leading bits (RFC 791, RFC 1112). */
  readonly class: "A" | "B" | "C" | "D" | "E";
  /** The special-purpose kinds of the address. */
  readonly kinds: Ipv4Kinds;
}

/** An address and prefix length as parsed by {@linkcode parseIpv4Cidr}. */
export interface Ipv4Cidr {
  /** The address as an unsigned 32-bit integer. */
  readonly address: number;
  /** The prefix length, 0 to 32. */
  readonly prefix: number;
}

const DIGITS_RE = /^[0-9]+$/;

function requireString(what: string, text: unknown): string {
  if (typeof text !== "string") {
    throw new TypeError(`${what} must be a string, got ${typeof text}`);
  }
  return text;
}

/**
 * Parses a dotted IPv4 address into an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIpv4Address } from "./ipv4.ts";
 *
 * assert.equal(parseIpv4Address("192.168.1.10"), 0xc0a8010a);
 * assert.throws(() => parseIpv4Address("010.1.1.1"), TypeError);
 * ```
 */
export function parseIpv4Address(text: string): number {
  requireString("IPv4 address", text);
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new TypeError(
      `IPv4 address must have 4 dot-separated octets, got ${JSON.stringify(text)}`,
    );
  }
  let value = 0;
  for (const part of parts) {
    if (!DIGITS_RE.test(part)) {
      throw new TypeError(
        `IPv4 octet must be decimal digits, got ${JSON.stringify(part)} in ${JSON.stringify(text)}`,
      );
    }
    if (part.length > 1 && part[0] === "0") {
      throw new TypeError(
        `IPv4 octet must not have a leading zero (octal or decimal is ambiguous), got ${
          JSON.stringify(part)
        } in ${JSON.stringify(text)}`,
      );
    }
    const octet = Number(part);
    if (octet > 255) {
      throw new RangeError(
        `IPv4 octet must be between 0 and 255, got ${part} in ${JSON.stringify(text)}`,
      );
    }
    value = value * 256 + octet;
  }
  return value;
}

/**
 * Formats an unsigned 32-bit integer as a dotted IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpv4Address } from "./ipv4.ts";
 *
 * assert.equal(formatIpv4Address(0x0a000001), "10.0.0.1");
 * ```
 */
export function formatIpv4Address(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`IPv4 address value must be an integer in 0..2^32-1, got ${value}`);
  }
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The netmask of a prefix length as an unsigned 32-bit integer. */
function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * The prefix length of a dotted netmask; only contiguous masks (ones, then zeros) are valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixOfNetmask } from "./ipv4.ts";
 *
 * assert.equal(prefixOfNetmask("255.255.240.0"), 20);
 * assert.throws(() => prefixOfNetmask("255.0.255.0"), TypeError);
 * ```
 */
export function prefixOfNetmask(text: string): number {
  const mask = parseIpv4Address(text);
  const prefix = Math.clz32(~mask);
  if (maskOf(prefix) !== mask) {
    throw new TypeError(
      `IPv4 netmask must be contiguous (ones then zeros), got ${JSON.stringify(text)}`,
    );
  }
  return prefix;
}

/**
 * Parses `ADDRESS`, `ADDRESS/PREFIX` or `ADDRESS/NETMASK`. Without a `/` the prefix is 32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIpv4Cidr } from "./ipv4.ts";
 *
 * assert.deepEqual(parseIpv4Cidr("10.0.0.0/8"), { address: 0x0a000000, prefix: 8 });
 * assert.deepEqual(parseIpv4Cidr("10.1.2.3/255.255.0.0"), { address: 0x0a010203, prefix: 16 });
 * ```
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  requireString("IPv4 address or CIDR", text);
  const slash = text.indexOf("/");
  if (slash === -1) return { address: parseIpv4Address(text), prefix: 32 };
  const address = parseIpv4Address(text.slice(0, slash));
  const suffix = text.slice(slash + 1);
  if (suffix.includes(".")) return { address, prefix: prefixOfNetmask(suffix) };
  if (!DIGITS_RE.test(suffix) || (suffix.length > 1 && suffix[0] === "0")) {
    throw new TypeError(
      `IPv4 prefix must be a decimal number without leading zeros or a netmask, got ${
        JSON.stringify(suffix)
      } in ${JSON.stringify(text)}`,
    );
  }
  const prefix = Number(suffix);
  if (prefix > 32) {
    throw new RangeError(
      `IPv4 prefix must be between 0 and 32, got ${suffix} in ${JSON.stringify(text)}`,
    );
  }
  return { address, prefix };
}

/** Whether `address` lies in the block `base/prefix`. */
function within(address: number, base: number, prefix: number): boolean {
  return ((address & maskOf(prefix)) >>> 0) === base;
}

function kindsOf(a: number): Ipv4Kinds {
  return {
    private: within(a, 0x0a000000, 8) || within(a, 0xac100000, 12) || within(a, 0xc0a80000, 16),
    loopback: within(a, 0x7f000000, 8),
    linkLocal: within(a, 0xa9fe0000, 16),
    multicast: within(a, 0xe0000000, 4),
    reserved: within(a, 0xf0000000, 4) && a !== 0xffffffff,
    broadcast: a === 0xffffffff,
    unspecified: a === 0,
    sharedAddressSpace: within(a, 0x64400000, 10),
    documentation: within(a, 0xc0000200, 24) || within(a, 0xc6336400, 24) ||
      within(a, 0xcb007100, 24),
  };
}

function classOf(a: number): Ipv4Description["class"] {
  const top = a >>> 28;
  if (top < 0b1000) return "A";
  if (top < 0b1100) return "B";
  if (top < 0b1110) return "C";
  return top === 0b1110 ? "D" : "E";
}

/**
 * Describes an IPv4 address or CIDR block (see {@linkcode parseIpv4Cidr} for the accepted
 * forms). The kinds and class are those of the address itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeIpv4 } from "./ipv4.ts";
 *
 * const d = describeIpv4("192.168.1.10/24");
 * assert.equal(d.network, "192.168.1.0");
 * assert.equal(d.broadcast, "192.168.1.255");
 * assert.equal(d.hostCount, 254);
 * assert.equal(d.class, "C");
 * assert.ok(d.kinds.private);
 * ```
 */
export function describeIpv4(text: string): Ipv4Description {
  const { address, prefix } = parseIpv4Cidr(text);
  const mask = maskOf(prefix);
  const network = (address & mask) >>> 0;
  const last = (network | ~mask) >>> 0;
  const pointToPoint = prefix >= 31;
  return {
    address: formatIpv4Address(address),
    prefix,
    netmask: formatIpv4Address(mask),
    wildcard: formatIpv4Address(~mask >>> 0),
    network: formatIpv4Address(network),
    broadcast: formatIpv4Address(last),
    firstHost: formatIpv4Address(pointToPoint ? network : network + 1),
    lastHost: formatIpv4Address(pointToPoint ? last : last - 1),
    hostCount: prefix === 32 ? 1 : prefix === 31 ? 2 : 2 ** (32 - prefix) - 2,
    class: classOf(address),
    kinds: kindsOf(address),
  };
}
