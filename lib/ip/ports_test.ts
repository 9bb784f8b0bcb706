import assert from "node:assert/strict";
import { describePort, type PortDescription } from "./ports.ts";

Deno.test("describePort names the services of well-known ports", () => {
  const cases: PortDescription[] = [
    {
      port: 69,
      range: "well-known",
      services: [{
        name: "tftp",
        protocols: ["udp"],
        description: "Trivial File Transfer (RFC 1350)",
      }],
    },
    {
      port: 53,
      range: "well-known",
      services: [{
        name: "domain",
        protocols: ["tcp", "udp"],
        description: "Domain Name System (RFC 1035)",
      }],
    },
    {
      port: 514,
      range: "well-known",
      services: [
        { name: "shell", protocols: ["tcp"], description: "Remote shell (rsh)" },
        { name: "syslog", protocols: ["udp"], description: "Syslog (RFC 5426)" },
      ],
    },
    {
      port: 8080,
      range: "registered",
      services: [{ name: "http-alt", protocols: ["tcp"], description: "HTTP alternate" }],
    },
    { port: 0, range: "well-known", services: [] },
    { port: 1023, range: "well-known", services: [] },
    { port: 1024, range: "registered", services: [] },
    { port: 49151, range: "registered", services: [] },
    { port: 49152, range: "dynamic", services: [] },
    { port: 65535, range: "dynamic", services: [] },
  ];
  for (const want of cases) assert.deepEqual(describePort(want.port), want, String(want.port));
});

Deno.test("describePort knows the names of the common ports", () => {
  const cases: [number, string, string][] = [
    [20, "ftp-data", "tcp"],
    [21, "ftp", "tcp"],
    [22, "ssh", "tcp"],
    [23, "telnet", "tcp"],
    [25, "smtp", "tcp"],
    [67, "bootps", "udp"],
    [68, "bootpc", "udp"],
    [80, "http", "tcp"],
    [110, "pop3", "tcp"],
    [123, "ntp", "udp"],
    [143, "imap", "tcp"],
    [161, "snmp", "udp"],
    [162, "snmptrap", "udp"],
    [443, "https", "tcp,udp"],
    [2425, "ipmsg", "tcp,udp"],
    [3306, "mysql", "tcp"],
    [5432, "postgresql", "tcp"],
  ];
  for (const [port, name, protocols] of cases) {
    const [service, ...rest] = describePort(port).services;
    assert.equal(rest.length, 0, String(port));
    assert.equal(service.name, name, String(port));
    assert.equal(service.protocols.join(), protocols, String(port));
  }
});

Deno.test("describePort refuses numbers that are not ports", () => {
  for (const port of [-1, 65536, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => describePort(port), {
      name: "RangeError",
      message: `Port must be an integer between 0 and 65535, got ${port}`,
    });
  }
});
