import assert from "node:assert/strict";
import { ipv6Bytes, readSockaddr, writeSockaddr } from "./_libc.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("ipv6Bytes: compressed, full, and embedded IPv4 forms", () => {
  const cases: [string, string][] = [
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["fe80::1", "fe800000000000000000000000000001"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["::1.2.3.4", "00000000000000000000000001020304"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["2001:DB8::A", "20010db800000000000000000000000a"],
  ];
  for (const [text, bytes] of cases) assert.equal(hex(ipv6Bytes(text)), bytes, text);
});

Deno.test("ipv6Bytes: anything else is a TypeError naming the text", () => {
  const bad = [
    "1::2::3",
    "::g",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::",
    "1.2.3.4",
    "::a1.2.3.4", // no colon before the dotted part
    "::ffff:01.2.3.4", // a leading zero
    "::ffff:1.2.3.256",
    "::1.2.3",
    "",
  ];
  for (const text of bad) {
    assert.throws(() => ipv6Bytes(text), {
      name: "TypeError",
      message: `Not an IPv6 address: ${JSON.stringify(text)}`,
    }, text);
  }
});

Deno.test("sockaddr: written and read back for both families; bad IPv4 refused", () => {
  const buffer = new Uint8Array(28);
  assert.equal(writeSockaddr(buffer, "192.0.2.7", 6969), 16);
  assert.equal(hex(buffer.subarray(0, 8)), "02001b39c0000207");
  assert.deepEqual({ ...readSockaddr(buffer) }, {
    transport: "udp",
    hostname: "192.0.2.7",
    port: 6969,
  });
  assert.equal(writeSockaddr(buffer, "::ffff:192.0.2.7", 69), 28);
  assert.equal(hex(buffer.subarray(0, 4)), "0a000045");
  assert.deepEqual({ ...readSockaddr(buffer) }, {
    transport: "udp",
    hostname: "::ffff:192.0.2.7",
    port: 69,
  });
  assert.equal(writeSockaddr(buffer, "2001:db8::0:1", 1), 28);
  assert.equal(readSockaddr(buffer).hostname, "2001:db8::1");
  for (const text of ["localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.x"]) {
    assert.throws(() => writeSockaddr(buffer, text, 1), TypeError, text);
  }
});
