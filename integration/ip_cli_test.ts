// The ip command line (scripts/ip.ts) as users run it: a child process per case, checking
// the exit status, stdout and stderr.
// Run with: deno test --allow-all integration/ip_cli_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeIpv4 } from "../lib/ip/ipv4.ts";
import { describePort } from "../lib/ip/ports.ts";
import { CHILD_ENV } from "./_fixture.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(REPO, "scripts", "ip.ts");
const CONFIG = join(REPO, "deno.json");
const PROCESS_LIMIT_MS = 60_000;
const ENV = CHILD_ENV;

async function ip(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", CONFIG, SCRIPT, ...args],
    env: ENV,
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(PROCESS_LIMIT_MS),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("ip.ts prints a readable block per input and exits 0", async () => {
  const { code, stdout, stderr } = await ip("192.168.1.10/24", "--port", "69");
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.equal(
    stdout,
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
      "port 69",
      "  range  well-known",
      "  tftp   udp  Trivial File Transfer (RFC 1350)",
      "",
    ].join("\n"),
  );
});

Deno.test("ip.ts --json prints one JSON line per input", async () => {
  const { code, stdout, stderr } = await ip(
    "--json",
    "10.0.0.0/255.0.0.0",
    "100.64.0.1",
    "--port",
    "2425",
  );
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const lines = stdout.split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    { input: "10.0.0.0/255.0.0.0", ...describeIpv4("10.0.0.0/8") },
    { input: "100.64.0.1", ...describeIpv4("100.64.0.1") },
    describePort(2425),
  ]);
  assert.equal(JSON.parse(lines[1]).kinds.sharedAddressSpace, true);
});

Deno.test("ip.ts exits 1 with one error line per invalid input", async () => {
  const { code, stdout, stderr } = await ip("--json", "010.1.1.1", "8.8.8.8", "1.2.3.4/33");
  assert.equal(code, 1);
  assert.deepEqual(JSON.parse(stdout), { input: "8.8.8.8", ...describeIpv4("8.8.8.8") });
  assert.equal(
    stderr,
    'error: IPv4 octet must not have a leading zero (octal or decimal is ambiguous), got "010" in "010.1.1.1"\n' +
      'error: IPv4 prefix must be between 0 and 32, got 33 in "1.2.3.4/33"\n',
  );
});

Deno.test("ip.ts exits 2 on usage errors and 0 on --help", async () => {
  for (const args of [[], ["--bogus", "1.1.1.1"], ["--port", "70000"], ["--port"]]) {
    const { code, stdout, stderr } = await ip(...args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "", args.join(" "));
    assert.match(stderr, /^error: .+\nRun with --help for usage\.\n$/, args.join(" "));
  }
  const help = await ip("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: ip\.ts <address\|cidr>\.\.\. /);
});
