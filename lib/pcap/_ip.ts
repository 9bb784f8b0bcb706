/**
 * IP address literals as bytes, for the headers of captured packets. Pure.
 *
 * @module
 */

const IPV4_RE =
  /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
const GROUP_RE = /^[0-9a-fA-F]{1,4}$/;

/** The 4 bytes of a dotted IPv4 literal, or `undefined` when `text` is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (!IPV4_RE.test(text)) return undefined;
  return new Uint8Array(text.split(".").map(Number));
}

/** The 16-bit groups of one side of `::`, or `undefined` when one is not valid. */
function groupsOf(text: string, lastMayBeIpv4: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (lastMayBeIpv4 && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (GROUP_RE.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * The 16 bytes of an IPv6 literal (no brackets, no zone), or `undefined` when `text` is not
 * one. Accepts `::` compression and a dotted IPv4 tail (`::ffff:192.0.2.1`).
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0], false);
    const tail = groupsOf(halves[1], true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groupsOf(text, true);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** The bytes of an IPv4 or IPv6 literal; a TypeError names `what` when it is neither. */
export function parseIp(what: string, text: string): Uint8Array {
  const bytes = parseIpv4(text) ?? parseIpv6(text);
  if (!bytes) {
    throw new TypeError(`${what} must be an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
  }
  return bytes;
}

/** True for `::ffff:a.b.c.d`. */
export function isMappedIpv4(address: Uint8Array): boolean {
  if (address.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (address[i] !== 0) return false;
  return address[10] === 0xff && address[11] === 0xff;
}

/** True for `0.0.0.0` and `::`. */
export function isWildcard(address: Uint8Array): boolean {
  return address.every((b) => b === 0);
}

/** True for 127.0.0.0/8, `::1` and `::ffff:127.x.y.z`. */
export function isLoopback(address: Uint8Array): boolean {
  if (address.length === 4) return address[0] === 127;
  if (isMappedIpv4(address)) return address[12] === 127;
  return address[15] === 1 && address.subarray(0, 15).every((b) => b === 0);
}

/** The usual loopback address of the family (and form) of `address`. */
export function loopbackLike(address: Uint8Array): Uint8Array {
  if (address.length === 4) return new Uint8Array([127, 0, 0, 1]);
  const out = new Uint8Array(16);
  if (isMappedIpv4(address)) out.set([0xff, 0xff, 127, 0, 0, 1], 10);
  else out[15] = 1;
  return out;
}
