/**
 * The classic libpcap file format, for UDP datagrams: a 24-byte file header, then per
 * datagram a 16-byte record header and a synthesized IPv4 or IPv6 packet (link type
 * `LINKTYPE_RAW`), so Wireshark and `tshark -r` show real addresses and ports. Pure: the
 * caller supplies the timestamps.
 *
 * Both headers are written little-endian with microsecond timestamps (magic `0xa1b2c3d4`,
 * version 2.4). The UDP checksum is computed for both families (mandatory for IPv6,
 * RFC 8200 section 8.1). Packets longer than {@linkcode PCAP_SNAPLEN} are cut there: the
 * record then holds fewer bytes than its original length, as pcap allows.
 *
 * @module
 */

import type { Peer } from "../tftp/engine/types.ts";
import { isLoopback, isMappedIpv4, isWildcard, loopbackLike, parseIp } from "./_ip.ts";

/** Link type of records that start with an IPv4 or IPv6 header, no link layer. */
export const LINKTYPE_RAW = 101;
/** Most bytes of a packet a record holds (the file header's snapshot length). */
export const PCAP_SNAPLEN = 65535;
/** Bytes of the file header. */
export const PCAP_HEADER_BYTES = 24;
/** Bytes of each record header. */
export const PCAP_RECORD_HEADER_BYTES = 16;

const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const UDP_HEADER_BYTES = 8;
const UDP_PROTOCOL = 17;
const HOP_LIMIT = 64;
/** A pcap timestamp's seconds are an unsigned 32-bit count. */
const MAX_TIME_MS = 2 ** 32 * 1000;

/** One UDP datagram to record. */
export interface PcapRecord {
  /** Sender: an IPv4 or IPv6 literal and a port. */
  readonly from: Peer;
  /** Receiver: an IPv4 or IPv6 literal and a port. */
  readonly to: Peer;
  /** The UDP payload. */
  readonly bytes: Uint8Array;
  /** When it was sent or received, in milliseconds since the Unix epoch (fractions kept). */
  readonly timeMs: number;
}

/**
 * The pcap file header: version 2.4, microsecond timestamps, snapshot length
 * {@linkcode PCAP_SNAPLEN}, link type {@linkcode LINKTYPE_RAW}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePcapHeader } from "./format.ts";
 * const header = encodePcapHeader();
 * assert.equal(header.length, 24);
 * assert.deepEqual([...header.subarray(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1]);
 * ```
 */
export function encodePcapHeader(): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(PCAP_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  // thiszone and sigfigs stay 0 (timestamps are UTC).
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_RAW, true);
  return header;
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what} port must be a whole number from 0 to 65535, got ${port}`);
  }
}

/**
 * The two addresses as written: a wildcard (`0.0.0.0`, `::`) facing a loopback peer becomes
 * that loopback address (what the kernel really used), and IPv4-mapped IPv6 addresses facing
 * IPv4 ones become IPv4, as on the wire.
 */
function endpoints(from: Peer, to: Peer): [Uint8Array, Uint8Array] {
  let source = parseIp("from", from.hostname);
  let destination = parseIp("to", to.hostname);
  if (isWildcard(source) && isLoopback(destination)) source = loopbackLike(destination);
  if (isWildcard(destination) && isLoopback(source)) destination = loopbackLike(source);
  const v4 = (a: Uint8Array) => a.length === 4 || isMappedIpv4(a);
  if (v4(source) && v4(destination)) {
    source = source.subarray(source.length - 4);
    destination = destination.subarray(destination.length - 4);
  }
  if (source.length !== destination.length) {
    throw new TypeError(
      `from and to must be of one IP family, got ${JSON.stringify(from.hostname)} and ${
        JSON.stringify(to.hostname)
      }`,
    );
  }
  return [source, destination];
}

/** Adds `bytes` as big-endian 16-bit words to `sum` (an odd last byte is padded with 0). */
function addWords(sum: number, bytes: Uint8Array): number {
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (even < bytes.length) sum += bytes[even] << 8;
  // Fold now and then so the sum stays an exact small integer.
  return (sum & 0xffff) + Math.floor(sum / 0x10000);
}

/** The one's complement of the folded one's complement sum (RFC 1071). */
function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * One record: header, IP header, UDP header, payload. Throws a TypeError when an address is
 * not an IP literal or the two are of different families, a RangeError for a bad port or
 * time, or a payload larger than one IP packet can carry (65507 bytes over IPv4, 65527 over
 * IPv6). A wildcard address facing a loopback peer is written as that loopback address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePcapRecord } from "./format.ts";
 * const record = encodePcapRecord({
 *   from: { hostname: "127.0.0.1", port: 40000 },
 *   to: { hostname: "127.0.0.1", port: 69 },
 *   bytes: new Uint8Array([0, 4, 0, 1]),
 *   timeMs: 1_700_000_000_123.5,
 * });
 * assert.equal(record.length, 16 + 20 + 8 + 4);
 * const view = new DataView(record.buffer);
 * assert.equal(view.getUint32(4, true), 123_500); // microseconds
 * ```
 */
export function encodePcapRecord(record: PcapRecord): Uint8Array<ArrayBuffer> {
  const { from, to, bytes, timeMs } = record;
  checkPort("from", from.port);
  checkPort("to", to.port);
  if (!(timeMs >= 0 && timeMs < MAX_TIME_MS)) {
    throw new RangeError(`timeMs must be from 0 to ${MAX_TIME_MS} (exclusive), got ${timeMs}`);
  }
  const [source, destination] = endpoints(from, to);
  const ipv4 = source.length === 4;
  const ipBytes = ipv4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES;
  const udpLength = UDP_HEADER_BYTES + bytes.length;
  const maxPayload = 65535 - UDP_HEADER_BYTES - (ipv4 ? IPV4_HEADER_BYTES : 0);
  if (bytes.length > maxPayload) {
    throw new RangeError(
      `A UDP payload over IPv${ipv4 ? 4 : 6} is at most ${maxPayload} bytes, got ${bytes.length}`,
    );
  }
  const length = ipBytes + udpLength;
  const captured = Math.min(length, PCAP_SNAPLEN);
  const out = new Uint8Array(PCAP_RECORD_HEADER_BYTES + captured);
  const view = new DataView(out.buffer);

  let seconds = Math.floor(timeMs / 1000);
  let micros = Math.round((timeMs - seconds * 1000) * 1000);
  if (micros === 1_000_000) {
    seconds++;
    micros = 0;
  }
  view.setUint32(0, seconds, true);
  view.setUint32(4, micros, true);
  view.setUint32(8, captured, true);
  view.setUint32(12, length, true);

  const ip = PCAP_RECORD_HEADER_BYTES;
  if (ipv4) {
    view.setUint8(ip, 0x45); // version 4, header of 5 words
    view.setUint16(ip + 2, length);
    view.setUint8(ip + 8, HOP_LIMIT);
    view.setUint8(ip + 9, UDP_PROTOCOL);
    out.set(source, ip + 12);
    out.set(destination, ip + 16);
    view.setUint16(ip + 10, finish(addWords(0, out.subarray(ip, ip + IPV4_HEADER_BYTES))));
  } else {
    view.setUint8(ip, 0x60); // version 6, traffic class and flow label 0
    view.setUint16(ip + 4, udpLength);
    view.setUint8(ip + 6, UDP_PROTOCOL);
    view.setUint8(ip + 7, HOP_LIMIT);
    out.set(source, ip + 8);
    out.set(destination, ip + 24);
  }

  const udp = ip + ipBytes;
  view.setUint16(udp, from.port);
  view.setUint16(udp + 2, to.port);
  view.setUint16(udp + 4, udpLength);
  // Pseudo-header (RFC 768; RFC 8200 section 8.1), UDP header with checksum 0, payload.
  let sum = addWords(0, source);
  sum = addWords(sum, destination);
  sum += UDP_PROTOCOL + udpLength;
  sum = addWords(sum, out.subarray(udp, udp + UDP_HEADER_BYTES));
  sum = addWords(sum, bytes);
  view.setUint16(udp + 6, finish(sum) || 0xffff); // 0 would mean "no checksum"

  const room = out.length - (udp + UDP_HEADER_BYTES);
  out.set(room < bytes.length ? bytes.subarray(0, room) : bytes, udp + UDP_HEADER_BYTES);
  return out;
}
