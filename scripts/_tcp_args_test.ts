import assert from "node:assert/strict";
import {
  DEFAULT_TCP_PORT,
  localBaseName,
  parseTcpCommandLine,
  tcpUsage,
  TcpUsageError,
} from "./_tcp_args.ts";

function usageError(args: string[], message: string): void {
  assert.throws(
    () => parseTcpCommandLine(args),
    (error) => error instanceof TcpUsageError && error.message === message,
    `${JSON.stringify(args)} -> ${message}`,
  );
}

Deno.test("tcp args: serve defaults", () => {
  assert.deepEqual(parseTcpCommandLine(["serve", "files"]), {
    command: "serve",
    root: "files",
    hostname: "0.0.0.0",
    port: DEFAULT_TCP_PORT,
    raw: false,
    idleTimeoutMs: undefined,
  });
  assert.equal(DEFAULT_TCP_PORT, 6000);
});

Deno.test("tcp args: serve with every option", () => {
  assert.deepEqual(
    parseTcpCommandLine([
      "serve",
      "--host",
      "[::1]",
      "/srv",
      "--port=0",
      "--raw",
      "--idle-timeout",
      "2.5",
    ]),
    {
      command: "serve",
      root: "/srv",
      hostname: "::1",
      port: 0,
      raw: true,
      idleTimeoutMs: 2500,
    },
  );
  const cmd = parseTcpCommandLine(["serve", "r", "--port", "65535", "--idle-timeout", ".0001"]);
  assert.equal(cmd.command === "serve" && cmd.port, 65535);
  assert.equal(cmd.command === "serve" && cmd.idleTimeoutMs, 1);
});

Deno.test("tcp args: get defaults and output", () => {
  assert.deepEqual(parseTcpCommandLine(["get", "127.0.0.1:6000", "boot/kernel"]), {
    command: "get",
    address: "127.0.0.1:6000",
    name: "boot/kernel",
    output: "kernel",
    raw: false,
    timeoutMs: undefined,
  });
  assert.deepEqual(
    parseTcpCommandLine(["get", "--raw", "[::1]:7", "a.txt", "-", "--timeout", "3"]),
    {
      command: "get",
      address: "[::1]:7",
      name: "a.txt",
      output: "-",
      raw: true,
      timeoutMs: 3000,
    },
  );
  // An explicit output makes any name usable.
  const cmd = parseTcpCommandLine(["get", "h:1", "dir/..", "out.bin"]);
  assert.equal(cmd.command === "get" && cmd.output, "out.bin");
  // Options after "--" are positionals.
  const dashed = parseTcpCommandLine(["get", "h:1", "--", "--help"]);
  assert.equal(dashed.command === "get" && dashed.name, "--help");
});

Deno.test("tcp args: help wins anywhere before --", () => {
  assert.deepEqual(parseTcpCommandLine(["--help"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["-h"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["help"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["get", "bad", "--bogus", "-h"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["nonsense", "--help"]), { command: "help" });
});

Deno.test("tcp args: commands and positionals", () => {
  usageError([], "Missing command: expected serve or get");
  usageError(["put"], 'Unknown command "put": expected serve or get');
  usageError(["--raw", "get"], 'Expected a command (serve, get) before "--raw"');
  usageError(["help", "get"], 'Unknown command "help": expected serve or get');
  usageError(["serve"], "Missing <root>: serve <root>");
  usageError(["serve", "a", "b"], 'Unexpected argument: "b"');
  usageError(["serve", ""], "<root> must not be empty");
  usageError(["get"], "Missing <host:port> and <name>");
  usageError(["get", "h:1"], "Missing <name>");
  usageError(["get", "h:1", "n", "o", "extra"], 'Unexpected argument: "extra"');
  usageError(["get", "h:1", "n", ""], "[output] must not be empty");
});

Deno.test("tcp args: options", () => {
  usageError(["serve", "r", "--timeout", "1"], 'Unknown option "--timeout" for serve');
  usageError(["get", "h:1", "n", "--port", "1"], 'Unknown option "--port" for get');
  usageError(["serve", "r", "--port"], "Option --port needs a value");
  usageError(["get", "h:1", "n", "--raw=yes"], "Option --raw takes no value");
  usageError(["serve", "r", "--host", ""], "--host must not be empty");
  for (const port of ["65536", "-1", "1e3", "", "123456", "0x10"]) {
    usageError(
      ["serve", "r", `--port=${port}`],
      `--port must be a whole number from 0 to 65535, got ${JSON.stringify(port)}`,
    );
  }
  for (const value of ["0", "-1", "abc", "86401", "1e3", ""]) {
    usageError(
      ["get", "h:1", "n", `--timeout=${value}`],
      `--timeout must be a number of seconds above 0 and at most 86400, got ${
        JSON.stringify(value)
      }`,
    );
  }
  usageError(
    ["serve", "r", "--idle-timeout=0"],
    '--idle-timeout must be a number of seconds above 0 and at most 86400, got "0"',
  );
});

Deno.test("tcp args: address and name", () => {
  usageError(
    ["get", "127.0.0.1", "n"],
    '<host:port> must be host:port or [v6]:port, got "127.0.0.1"',
  );
  usageError(["get", "h:0", "n"], '<host:port> must be host:port or [v6]:port, got "h:0"');
  usageError(["get", "::1:69", "n"], '<host:port> must be host:port or [v6]:port, got "::1:69"');
  usageError(["get", "h:1", ""], "<name> must not be empty");
  usageError(["get", "h:1", "a\nb"], '<name> must not contain NUL, CR or LF, got "a\\nb"');
  usageError(["get", "h:1", "x".repeat(1025)], "<name> must be at most 1024 bytes, got 1025");
  for (const name of ["dir/", "a/.", "a/..", "..", "a\\b"]) {
    usageError(
      ["get", "h:1", name],
      `Cannot name a local file after ${JSON.stringify(name)}: give [output]`,
    );
  }
});

Deno.test("tcp args: localBaseName and usage", () => {
  assert.equal(localBaseName("a/b/c.bin"), "c.bin");
  assert.equal(localBaseName("plain"), "plain");
  assert.throws(() => localBaseName(""), TcpUsageError);
  const usage = tcpUsage();
  for (const part of ["tcp.ts serve <root>", "tcp.ts get <host:port> <name> [output]", "--raw"]) {
    assert.ok(usage.includes(part), part);
  }
  assert.match(usage, /Exit status:\n {2}0 .*\n {2}1 .*\n(?:.*\n)* {2}2 /);
});
