import assert from "node:assert/strict";
import { describeIpv4 } from "../lib/ip/ipv4.ts";
import { describePort } from "../lib/ip/ports.ts";
import {
  formatIpv4Block,
  formatPortBlock,
  ipUsage,
  parseIpCommandLine,
  runIp,
} from "./_ip_format.ts";

Deno.test("formatIpv4Block prints every field, aligned", () => {
  assert.equal(
    formatIpv4Block("192.168.1.10/24", describeIpv4("192.168.1.10/24")),
    [
      "192.168.1.10/24",
      "  address    192.168.1.10",
      "  prefix     /24",
      "  netmask    255.255.255.0",
      "  wildcard   0.0.0.255",
      "  network    192.168.1.0",
      "  broadcast  192.168.1.255",
      "  hosts      192.168.1.1 - 192.168.1.254 (254)",
      "  class      C",
      "  kinds      private",
      "",
    ].join("\n"),
  );
  assert.ok(formatIpv4Block("8.8.8.8", describeIpv4("8.8.8.8")).endsWith("  kinds      none\n"));
  assert.ok(
    formatIpv4Block("0.0.0.0", describeIpv4("0.0.0.0")).endsWith("  kinds      unspecified\n"),
  );
});

Deno.test("formatPortBlock lists each service, or says none is known", () => {
  assert.equal(
    formatPortBlock(describePort(514)),
    "port 514\n  range   well-known\n  shell   tcp  Remote shell (rsh)\n  syslog  udp  Syslog (RFC 5426)\n",
  );
  assert.equal(
    formatPortBlock(describePort(50000)),
    "port 50000\n  range    dynamic\n  service  none known\n",
  );
});

Deno.test("parseIpCommandLine reads inputs, ports and --json", () => {
  const cases: [string[], ReturnType<typeof parseIpCommandLine>][] = [
    [["10.0.0.1"], { command: "describe", inputs: ["10.0.0.1"], ports: [], json: false }],
    [["--json", "a", "b"], { command: "describe", inputs: ["a", "b"], ports: [], json: true }],
    [["--port", "0", "--port=65535"], {
      command: "describe",
      inputs: [],
      ports: [0, 65535],
      json: false,
    }],
    [["-h"], { command: "help" }],
    [["--json", "1.1.1.1", "--help"], { command: "help" }],
  ];
  for (const [args, want] of cases) assert.deepEqual(parseIpCommandLine(args), want, args.join());
});

Deno.test("parseIpCommandLine refuses what it cannot run", () => {
  const cases: [string[], string][] = [
    [[], "Missing an address, a CIDR block or --port N"],
    [["--json"], "Missing an address, a CIDR block or --port N"],
    [["--port", "65536"], '--port must be a whole number between 0 and 65535, got "65536"'],
    [["--port", "069"], '--port must be a whole number between 0 and 65535, got "069"'],
    [["--port=-1"], '--port must be a whole number between 0 and 65535, got "-1"'],
    [["--port", ""], '--port must be a whole number between 0 and 65535, got ""'],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseIpCommandLine(args), { name: "IpUsageError", message }, args.join());
  }
  assert.throws(() => parseIpCommandLine(["--bogus"]), { name: "IpUsageError" });
  assert.throws(() => parseIpCommandLine(["--port"]), { name: "IpUsageError" });
});

Deno.test("runIp: status 0, 1 per invalid input, 2 on usage errors", () => {
  const ok = runIp(["--json", "10.0.0.0/8", "--port", "69"]);
  assert.equal(ok.code, 0);
  assert.equal(ok.stderr, "");
  const lines = ok.stdout.split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  assert.deepEqual(JSON.parse(lines[0]), { input: "10.0.0.0/8", ...describeIpv4("10.0.0.0/8") });
  assert.deepEqual(JSON.parse(lines[1]), describePort(69));

  const bad = runIp(["1.2.3.4", "010.1.1.1", "1.2.3.4/33"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, formatIpv4Block("1.2.3.4", describeIpv4("1.2.3.4")));
  assert.equal(
    bad.stderr,
    'error: IPv4 octet must not have a leading zero (octal or decimal is ambiguous), got "010" in "010.1.1.1"\n' +
      'error: IPv4 prefix must be between 0 and 32, got 33 in "1.2.3.4/33"\n',
  );

  const two = runIp(["1.1.1.1", "2.2.2.2"]);
  assert.equal(two.code, 0);
  assert.equal(
    two.stdout,
    `${formatIpv4Block("1.1.1.1", describeIpv4("1.1.1.1"))}\n${
      formatIpv4Block("2.2.2.2", describeIpv4("2.2.2.2"))
    }`,
  );

  const usage = runIp(["--nope", "1.1.1.1"]);
  assert.equal(usage.code, 2);
  assert.equal(usage.stdout, "");
  assert.match(usage.stderr, /^error: Unknown option '--nope'.*\nRun with --help for usage\.\n$/);
  assert.deepEqual(runIp(["--help"]), { stdout: ipUsage(), stderr: "", code: 0 });
});
