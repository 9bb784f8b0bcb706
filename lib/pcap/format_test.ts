import assert from "node:assert/strict";
import { Prng } from "../sim/prng.ts";
import { encodePcapHeader, encodePcapRecord, type PcapRecord } from "./format.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const RRQ = new Uint8Array([0, 1, 0x61, 0, ...new TextEncoder().encode("octet"), 0]);

/** Sum of 16-bit big-endian words folded to 16 bits; 0xffff when a checksum verifies. */
function onesSum(parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i] << 8) + (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Checks the IPv4 header checksum and the UDP checksum of a whole (uncut) record. */
function assertChecksums(record: Uint8Array): void {
  const packet = record.subarray(16);
  const ipv4 = packet[0] >> 4 === 4;
  const [src, dst] = ipv4
    ? [packet.subarray(12, 16), packet.subarray(16, 20)]
    : [packet.subarray(8, 24), packet.subarray(24, 40)];
  const segment = packet.subarray(ipv4 ? 20 : 40);
  if (ipv4) assert.equal(onesSum([packet.subarray(0, 20)]), 0xffff, "IPv4 header checksum");
  const pseudo = new Uint8Array([0, 17, segment.length >> 8, segment.length & 0xff]);
  assert.equal(onesSum([src, dst, pseudo, segment]), 0xffff, "UDP checksum");
}

Deno.test("encodePcapHeader: libpcap 2.4, microseconds, snaplen 65535, LINKTYPE_RAW", () => {
  assert.equal(
    hex(encodePcapHeader()),
    "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "65000000",
  );
});

Deno.test("encodePcapRecord: an IPv4 datagram, byte for byte", () => {
  const record = encodePcapRecord({
    from: { hostname: "127.0.0.1", port: 40000 },
    to: { hostname: "127.0.0.1", port: 69 },
    bytes: RRQ,
    timeMs: 1_700_000_000_123.5,
  });
  assert.equal(
    hex(record),
    // seconds, microseconds, captured and original length
    "00f15365" + "6ce20100" + "26000000" + "26000000" +
      // IPv4: 0x45, length 38, id 0, no flags, TTL 64, UDP, checksum 0x7cc5, addresses
      "45000026" + "00000000" + "40117cc5" + "7f000001" + "7f000001" +
      // UDP: 40000 -> 69, length 18, checksum 0xac77
      "9c400045" + "0012ac77" +
      "000161006f6374657400",
  );
});

Deno.test("encodePcapRecord: an IPv6 datagram, byte for byte, with its mandatory checksum", () => {
  const record = encodePcapRecord({
    from: { hostname: "::1", port: 69 },
    to: { hostname: "0:0:0:0:0:0:0:1", port: 50000 },
    bytes: new Uint8Array([0, 4, 0, 1]),
    timeMs: 1_700_000_001_999.999,
  });
  assert.equal(
    hex(record),
    "01f15365" + "3f420f00" + "34000000" + "34000000" +
      // IPv6: version 6, payload length 12, next header UDP, hop limit 64, addresses
      "60000000" + "000c1140" + "00000000000000000000000000000001".repeat(2) +
      // UDP: 69 -> 50000, length 12, checksum 0x3c3a
      "0045c350" + "000c3c3a" +
      "00040001",
  );
});

Deno.test("encodePcapRecord: microseconds round, carrying into the seconds", () => {
  const at = (timeMs: number) => {
    const view = new DataView(
      encodePcapRecord({
        from: { hostname: "10.0.0.1", port: 1 },
        to: { hostname: "10.0.0.2", port: 2 },
        bytes: new Uint8Array(0),
        timeMs,
      }).buffer,
    );
    return [view.getUint32(0, true), view.getUint32(4, true)];
  };
  assert.deepEqual(at(0), [0, 0]);
  assert.deepEqual(at(1999.9996), [2, 0]);
  assert.deepEqual(at(1000.0004), [1, 0]);
  assert.deepEqual(at(1000.0006), [1, 1]);
});

Deno.test("encodePcapRecord: a wildcard facing loopback is written as loopback", () => {
  const addresses = (from: string, to: string) => {
    const packet = encodePcapRecord({
      from: { hostname: from, port: 69 },
      to: { hostname: to, port: 1069 },
      bytes: RRQ,
      timeMs: 0,
    }).subarray(16);
    return packet[0] === 0x45 ? hex(packet.subarray(12, 20)) : hex(packet.subarray(8, 40));
  };
  assert.equal(addresses("0.0.0.0", "127.0.0.1"), "7f000001" + "7f000001");
  assert.equal(addresses("127.0.0.9", "0.0.0.0"), "7f000009" + "7f000001");
  assert.equal(addresses("::", "::1"), "00".repeat(15) + "01" + "00".repeat(15) + "01");
  // Not loopback: the wildcard stays, nothing better is known.
  assert.equal(addresses("0.0.0.0", "192.0.2.7"), "00000000" + "c0000207");
  // IPv4-mapped peers on a dual-stack socket were IPv4 on the wire.
  assert.equal(addresses("::", "::ffff:127.0.0.1"), "7f000001" + "7f000001");
  assert.equal(addresses("::ffff:192.0.2.1", "192.0.2.2"), "c0000201" + "c0000202");
});

Deno.test("encodePcapRecord: checksums verify for odd and even payloads of many sizes", () => {
  const prng = new Prng(7);
  for (const size of [0, 1, 2, 3, 511, 512, 513, 1469, 65464]) {
    const bytes = prng.bytes(size);
    for (const [a, b] of [["192.0.2.1", "198.51.100.2"], ["2001:db8::1", "fe80::1:2"]]) {
      const record = encodePcapRecord({
        from: { hostname: a, port: 65535 },
        to: { hostname: b, port: 0 },
        bytes,
        timeMs: 5,
      });
      assertChecksums(record);
      assert.deepEqual(record.subarray(record.length - size), bytes);
    }
  }
});

Deno.test("encodePcapRecord: an IPv6 packet over 65535 bytes is cut, its length kept", () => {
  const bytes = new Prng(3).bytes(65527);
  const record = encodePcapRecord({
    from: { hostname: "::1", port: 69 },
    to: { hostname: "::1", port: 2000 },
    bytes,
    timeMs: 0,
  });
  const view = new DataView(record.buffer);
  assert.equal(record.length, 16 + 65535);
  assert.equal(view.getUint32(8, true), 65535, "captured length");
  assert.equal(view.getUint32(12, true), 40 + 8 + 65527, "original length");
  assert.equal(view.getUint16(16 + 4), 8 + 65527, "IPv6 payload length");
  assert.deepEqual(record.subarray(16 + 48), bytes.subarray(0, 65535 - 48));
  // The checksum still covers the whole payload.
  const full = new Uint8Array(16 + 48 + bytes.length);
  full.set(record.subarray(0, 16 + 48));
  full.set(bytes, 16 + 48);
  assertChecksums(full);
});

Deno.test("encodePcapRecord: refuses what no UDP datagram can be", () => {
  const base: PcapRecord = {
    from: { hostname: "127.0.0.1", port: 1 },
    to: { hostname: "127.0.0.1", port: 2 },
    bytes: new Uint8Array(1),
    timeMs: 0,
  };
  assert.throws(
    () => encodePcapRecord({ ...base, bytes: new Uint8Array(65508) }),
    new RangeError("A UDP payload over IPv4 is at most 65507 bytes, got 65508"),
  );
  assert.equal(encodePcapRecord({ ...base, bytes: new Uint8Array(65507) }).length, 16 + 65535);
  assert.throws(
    () =>
      encodePcapRecord({
        ...base,
        from: { hostname: "::1", port: 1 },
        to: { hostname: "::1", port: 2 },
        bytes: new Uint8Array(65528),
      }),
    new RangeError("A UDP payload over IPv6 is at most 65527 bytes, got 65528"),
  );
  assert.throws(
    () => encodePcapRecord({ ...base, to: { hostname: "localhost", port: 2 } }),
    new TypeError('to must be an IPv4 or IPv6 address, got "localhost"'),
  );
  for (
    const hostname of [
      "1.2.3",
      "256.0.0.1",
      "01.2.3.4",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "fe80::1%eth0",
      ":1::",
    ]
  ) {
    assert.throws(
      () => encodePcapRecord({ ...base, from: { hostname, port: 1 } }),
      new TypeError(`from must be an IPv4 or IPv6 address, got ${JSON.stringify(hostname)}`),
    );
  }
  assert.throws(
    () => encodePcapRecord({ ...base, to: { hostname: "::1", port: 2 } }),
    new TypeError('from and to must be of one IP family, got "127.0.0.1" and "::1"'),
  );
  assert.throws(
    () => encodePcapRecord({ ...base, from: { hostname: "127.0.0.1", port: 65536 } }),
    new RangeError("from port must be a whole number from 0 to 65535, got 65536"),
  );
  assert.throws(
    () => encodePcapRecord({ ...base, timeMs: -1 }),
    new RangeError("timeMs must be from 0 to 4294967296000 (exclusive), got -1"),
  );
  assert.throws(() => encodePcapRecord({ ...base, timeMs: NaN }), RangeError);
});
