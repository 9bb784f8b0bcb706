import assert from "node:assert/strict";
import {
  describeIpv4,
  formatIpv4Address,
  type Ipv4Kinds,
  parseIpv4Address,
  parseIpv4Cidr,
  prefixOfNetmask,
} from "./ipv4.ts";

const NO_KINDS: Ipv4Kinds = {
  private: false,
  loopback: false,
  linkLocal: false,
  multicast: false,
  reserved: false,
  broadcast: false,
  unspecified: false,
  sharedAddressSpace: false,
  documentation: false,
};

Deno.test("describeIpv4 reports the exact block of each input", () => {
  const cases = [
    {
      input: "192.168.1.10/24",
      want: {
        address: "192.168.1.10",
        prefix: 24,
        netmask: "255.255.255.0",
        wildcard: "0.0.0.255",
        network: "192.168.1.0",
        broadcast: "192.168.1.255",
        firstHost: "192.168.1.1",
        lastHost: "192.168.1.254",
        hostCount: 254,
        class: "C",
        kinds: { ...NO_KINDS, private: true },
      },
    },
    {
      input: "10.0.0.0/8",
      want: {
        address: "10.0.0.0",
        prefix: 8,
        netmask: "255.0.0.0",
        wildcard: "0.255.255.255",
        network: "10.0.0.0",
        broadcast: "10.255.255.255",
        firstHost: "10.0.0.1",
        lastHost: "10.255.255.254",
        hostCount: 16777214,
        class: "A",
        kinds: { ...NO_KINDS, private: true },
      },
    },
    {
      input: "172.20.5.6/255.255.240.0",
      want: {
        address: "172.20.5.6",
        prefix: 20,
        netmask: "255.255.240.0",
        wildcard: "0.0.15.255",
        network: "172.20.0.0",
        broadcast: "172.20.15.255",
        firstHost: "172.20.0.1",
        lastHost: "172.20.15.254",
        hostCount: 4094,
        class: "B",
        kinds: { ...NO_KINDS, private: true },
      },
    },
    {
      input: "8.8.8.8",
      want: {
        address: "8.8.8.8",
        prefix: 32,
        netmask: "255.255.255.255",
        wildcard: "0.0.0.0",
        network: "8.8.8.8",
        broadcast: "8.8.8.8",
        firstHost: "8.8.8.8",
        lastHost: "8.8.8.8",
        hostCount: 1,
        class: "A",
        kinds: NO_KINDS,
      },
    },
    {
      input: "203.0.113.7/31",
      want: {
        address: "203.0.113.7",
        prefix: 31,
        netmask: "255.255.255.254",
        wildcard: "0.0.0.1",
        network: "203.0.113.6",
        broadcast: "203.0.113.7",
        firstHost: "203.0.113.6",
        lastHost: "203.0.113.7",
        hostCount: 2,
        class: "C",
        kinds: { ...NO_KINDS, documentation: true },
      },
    },
    {
      input: "0.0.0.0/0",
      want: {
        address: "0.0.0.0",
        prefix: 0,
        netmask: "0.0.0.0",
        wildcard: "255.255.255.255",
        network: "0.0.0.0",
        broadcast: "255.255.255.255",
        firstHost: "0.0.0.1",
        lastHost: "255.255.255.254",
        hostCount: 4294967294,
        class: "A",
        kinds: { ...NO_KINDS, unspecified: true },
      },
    },
    {
      input: "224.0.0.251/30",
      want: {
        address: "224.0.0.251",
        prefix: 30,
        netmask: "255.255.255.252",
        wildcard: "0.0.0.3",
        network: "224.0.0.248",
        broadcast: "224.0.0.251",
        firstHost: "224.0.0.249",
        lastHost: "224.0.0.250",
        hostCount: 2,
        class: "D",
        kinds: { ...NO_KINDS, multicast: true },
      },
    },
  ] as const;
  for (const { input, want } of cases) {
    assert.deepEqual(describeIpv4(input), want, input);
  }
});

Deno.test("describeIpv4 classifies addresses by leading bits and special-purpose block", () => {
  const cases: [string, string, Partial<Ipv4Kinds>][] = [
    ["127.0.0.1", "A", { loopback: true }],
    ["127.255.255.255", "A", { loopback: true }],
    ["128.0.0.0", "B", {}],
    ["169.254.10.20", "B", { linkLocal: true }],
    ["169.255.0.1", "B", {}],
    ["172.15.255.255", "B", {}],
    ["172.16.0.0", "B", { private: true }],
    ["172.31.255.255", "B", { private: true }],
    ["172.32.0.0", "B", {}],
    ["191.255.255.255", "B", {}],
    ["192.0.2.1", "C", { documentation: true }],
    ["192.0.3.1", "C", {}],
    ["198.51.100.200", "C", { documentation: true }],
    ["192.167.255.255", "C", {}],
    ["223.255.255.255", "C", {}],
    ["100.63.255.255", "A", {}],
    ["100.64.0.0", "A", { sharedAddressSpace: true }],
    ["100.127.255.255", "A", { sharedAddressSpace: true }],
    ["100.128.0.0", "A", {}],
    ["224.0.0.0", "D", { multicast: true }],
    ["239.255.255.255", "D", { multicast: true }],
    ["240.0.0.0", "E", { reserved: true }],
    ["255.255.255.254", "E", { reserved: true }],
    ["255.255.255.255", "E", { broadcast: true }],
    ["0.0.0.1", "A", {}],
  ];
  for (const [input, klass, kinds] of cases) {
    const d = describeIpv4(input);
    assert.equal(d.class, klass, input);
    assert.deepEqual(d.kinds, { ...NO_KINDS, ...kinds }, input);
  }
});

Deno.test("parseIpv4Address and formatIpv4Address round-trip the edges", () => {
  const cases: [string, number][] = [
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["192.168.1.10", 0xc0a8010a],
    ["1.2.3.4", 0x01020304],
  ];
  for (const [text, value] of cases) {
    assert.equal(parseIpv4Address(text), value, text);
    assert.equal(formatIpv4Address(value), text, text);
  }
  assert.throws(() => formatIpv4Address(2 ** 32), {
    name: "RangeError",
    message: "IPv4 address value must be an integer in 0..2^32-1, got 4294967296",
  });
});

Deno.test("parseIpv4Cidr accepts a prefix or a contiguous netmask", () => {
  const cases: [string, number, number][] = [
    ["10.0.0.0/8", 0x0a000000, 8],
    ["10.0.0.0/0", 0x0a000000, 0],
    ["10.0.0.1/32", 0x0a000001, 32],
    ["10.0.0.1", 0x0a000001, 32],
    ["192.168.1.10/255.255.255.0", 0xc0a8010a, 24],
    ["192.168.1.10/0.0.0.0", 0xc0a8010a, 0],
    ["192.168.1.10/255.255.255.255", 0xc0a8010a, 32],
    ["192.168.1.10/255.255.255.128", 0xc0a8010a, 25],
  ];
  for (const [text, address, prefix] of cases) {
    assert.deepEqual(parseIpv4Cidr(text), { address, prefix }, text);
  }
  assert.equal(prefixOfNetmask("255.128.0.0"), 9);
});

Deno.test("describeIpv4 refuses malformed input with a typed error naming the value", () => {
  const cases: [unknown, string, string][] = [
    [
      "010.1.1.1",
      "TypeError",
      'IPv4 octet must not have a leading zero (octal or decimal is ambiguous), got "010" in "010.1.1.1"',
    ],
    [
      "1.1.1.00",
      "TypeError",
      'IPv4 octet must not have a leading zero (octal or decimal is ambiguous), got "00" in "1.1.1.00"',
    ],
    ["256.1.1.1", "RangeError", 'IPv4 octet must be between 0 and 255, got 256 in "256.1.1.1"'],
    ["1.2.3", "TypeError", 'IPv4 address must have 4 dot-separated octets, got "1.2.3"'],
    ["1.2.3.4.5", "TypeError", 'IPv4 address must have 4 dot-separated octets, got "1.2.3.4.5"'],
    ["", "TypeError", 'IPv4 address must have 4 dot-separated octets, got ""'],
    ["1.2..4", "TypeError", 'IPv4 octet must be decimal digits, got "" in "1.2..4"'],
    ["1.2.3.-4", "TypeError", 'IPv4 octet must be decimal digits, got "-4" in "1.2.3.-4"'],
    [" 1.2.3.4", "TypeError", 'IPv4 octet must be decimal digits, got " 1" in " 1.2.3.4"'],
    ["0x7f.0.0.1", "TypeError", 'IPv4 octet must be decimal digits, got "0x7f" in "0x7f.0.0.1"'],
    ["10.0.0.0/33", "RangeError", 'IPv4 prefix must be between 0 and 32, got 33 in "10.0.0.0/33"'],
    [
      "10.0.0.0/08",
      "TypeError",
      'IPv4 prefix must be a decimal number without leading zeros or a netmask, got "08" in "10.0.0.0/08"',
    ],
    [
      "10.0.0.0/",
      "TypeError",
      'IPv4 prefix must be a decimal number without leading zeros or a netmask, got "" in "10.0.0.0/"',
    ],
    [
      "10.0.0.0/8/8",
      "TypeError",
      'IPv4 prefix must be a decimal number without leading zeros or a netmask, got "8/8" in "10.0.0.0/8/8"',
    ],
    [
      "10.0.0.0/255.0.255.0",
      "TypeError",
      'IPv4 netmask must be contiguous (ones then zeros), got "255.0.255.0"',
    ],
    [
      "10.0.0.0/0.255.255.255",
      "TypeError",
      'IPv4 netmask must be contiguous (ones then zeros), got "0.255.255.255"',
    ],
    [
      "10.0.0.0/255.256.0.0",
      "RangeError",
      'IPv4 octet must be between 0 and 255, got 256 in "255.256.0.0"',
    ],
    [42, "TypeError", "IPv4 address or CIDR must be a string, got number"],
  ];
  for (const [input, name, message] of cases) {
    assert.throws(() => describeIpv4(input as string), { name, message }, String(input));
  }
});
