import assert from "node:assert/strict";
import {
  DEFAULT_CHAT_PORT,
  DEFAULT_ECHO_PORT,
  DEFAULT_TCP_PORT,
  localBaseName,
  parseTcpCommandLine,
  tcpUsage,
} from "./_tcp_args.ts";
import { UsageError } from "./_cli_args.ts";

function usageError(args: string[], message: string): void {
  assert.throws(
    () => parseTcpCommandLine(args),
    (error) => error instanceof UsageError && error.message === message,
    `${JSON.stringify(args)} -> ${message}`,
  );
}

const COMMANDS = "serve, get, echo, chat";

Deno.test("tcp args: serve defaults", () => {
  assert.deepEqual(parseTcpCommandLine(["serve", "files"]), {
    command: "serve",
    root: "files",
    hostname: "0.0.0.0",
    port: DEFAULT_TCP_PORT,
    raw: false,
    idleTimeoutMs: undefined,
    requestTimeoutMs: undefined,
    sendTimeoutMs: undefined,
    maxConnections: undefined,
    maxConnectionsPerClient: undefined,
    quiet: false,
  });
  assert.deepEqual([DEFAULT_TCP_PORT, DEFAULT_ECHO_PORT, DEFAULT_CHAT_PORT], [6000, 6007, 6001]);
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
      "--request-timeout=0.5",
      "--send-timeout",
      "7",
      "--max-connections",
      "1000000",
      "--max-per-client=1",
      "--quiet",
    ]),
    {
      command: "serve",
      root: "/srv",
      hostname: "::1",
      port: 0,
      raw: true,
      idleTimeoutMs: 2500,
      requestTimeoutMs: 500,
      sendTimeoutMs: 7000,
      maxConnections: 1_000_000,
      maxConnectionsPerClient: 1,
      quiet: true,
    },
  );
  const cmd = parseTcpCommandLine(["serve", "r", "--port", "65535", "--idle-timeout", ".0001"]);
  assert.equal(cmd.command === "serve" && cmd.port, 65535);
  assert.equal(cmd.command === "serve" && cmd.idleTimeoutMs, 1);
  const quiet = parseTcpCommandLine(["serve", "r", "-q"]);
  assert.equal(quiet.command === "serve" && quiet.quiet, true);
});

Deno.test("tcp args: get with host:port and name", () => {
  assert.deepEqual(parseTcpCommandLine(["get", "127.0.0.1:6000", "boot/kernel"]), {
    command: "get",
    url: "tcp://127.0.0.1:6000/boot/kernel",
    address: "127.0.0.1:6000",
    name: "boot/kernel",
    output: "kernel",
    raw: false,
    timeoutMs: undefined,
  });
  assert.deepEqual(
    parseTcpCommandLine(["get", "--raw", "[::1]:7", "a b.txt", "-", "--timeout", "3"]),
    {
      command: "get",
      url: "tcp://[::1]:7/a%20b.txt",
      address: "[::1]:7",
      name: "a b.txt",
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

Deno.test("tcp args: get with a tcp:// URL", () => {
  assert.deepEqual(parseTcpCommandLine(["get", "tcp://[::1]:7070/boot/my%20kernel"]), {
    command: "get",
    url: "tcp://[::1]:7070/boot/my%20kernel",
    address: "[::1]:7070",
    name: "boot/my kernel",
    output: "my kernel",
    raw: false,
    timeoutMs: undefined,
  });
  const cmd = parseTcpCommandLine(["get", "TCP://files.lan/a.bin", "out", "--raw"]);
  assert.equal(cmd.command === "get" && cmd.url, "tcp://files.lan:6000/a.bin");
  assert.equal(cmd.command === "get" && cmd.output, "out");
  usageError(["get", "tcp://h:1/a", "out", "extra"], 'Unexpected argument: "extra"');
  usageError(["get", "tcp://h:1/"], 'Invalid TCP URL "tcp://h:1/": the file name is empty');
  usageError(["get", "tcp://h:1/a?b"], 'Invalid TCP URL "tcp://h:1/a?b": a query is not allowed');
  usageError(
    ["get", "tcp://h:1/dir/"],
    'Cannot name a local file after "dir/": give [output]',
  );
});

Deno.test("tcp args: echo", () => {
  assert.deepEqual(parseTcpCommandLine(["echo"]), {
    command: "echo",
    hostname: "0.0.0.0",
    port: DEFAULT_ECHO_PORT,
    idleTimeoutMs: undefined,
    quiet: false,
  });
  assert.deepEqual(
    parseTcpCommandLine(["echo", "--host=127.0.0.1", "--port", "0", "--idle-timeout=1", "-q"]),
    { command: "echo", hostname: "127.0.0.1", port: 0, idleTimeoutMs: 1000, quiet: true },
  );
  usageError(["echo", "x"], 'Unexpected argument: "x"');
  usageError(["echo", "--raw"], 'Unknown option "--raw" for echo');
  usageError(
    ["echo", "--port=70000"],
    '--port must be a whole number from 0 to 65535, got "70000"',
  );
});

Deno.test("tcp args: chat connects or listens", () => {
  assert.deepEqual(parseTcpCommandLine(["chat", "127.0.0.1:6001"]), {
    command: "chat",
    listen: false,
    hostname: "127.0.0.1",
    port: 6001,
    encoding: "utf-8",
  });
  assert.deepEqual(parseTcpCommandLine(["chat", "[::1]:9", "--encoding", "CP936"]), {
    command: "chat",
    listen: false,
    hostname: "::1",
    port: 9,
    encoding: "gbk",
  });
  assert.deepEqual(parseTcpCommandLine(["chat", "--listen"]), {
    command: "chat",
    listen: true,
    hostname: "0.0.0.0",
    port: DEFAULT_CHAT_PORT,
    encoding: "utf-8",
  });
  assert.deepEqual(
    parseTcpCommandLine(["chat", "--listen", "--host", "::1", "--port=0", "--encoding=gb18030"]),
    { command: "chat", listen: true, hostname: "::1", port: 0, encoding: "gb18030" },
  );
  usageError(["chat"], "Missing <host:port> (or give --listen)");
  usageError(["chat", "h:1", "h:2"], 'Unexpected argument: "h:2"');
  usageError(["chat", "--listen", "h:1"], 'Unexpected argument: "h:1"');
  usageError(["chat", "h:1", "--port", "2"], "Option --port needs --listen");
  usageError(["chat", "h:1", "--host", "x"], "Option --host needs --listen");
  usageError(["chat", "h"], '<host:port> must be host:port or [v6]:port, got "h"');
  usageError(
    ["chat", "h:1", "--encoding", "big5"],
    '--encoding must be one of utf-8, gbk, gb18030, got "big5"',
  );
  usageError(["chat", "--listen", "--encoding"], "Option --encoding needs a value");
});

Deno.test("tcp args: help wins anywhere before --", () => {
  assert.deepEqual(parseTcpCommandLine(["--help"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["-h"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["help"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["get", "bad", "--bogus", "-h"]), { command: "help" });
  assert.deepEqual(parseTcpCommandLine(["nonsense", "--help"]), { command: "help" });
});

Deno.test("tcp args: commands and positionals", () => {
  usageError([], `Missing command: expected ${COMMANDS}`);
  usageError(["put"], `Unknown command "put": expected ${COMMANDS}`);
  usageError(["toString"], `Unknown command "toString": expected ${COMMANDS}`);
  usageError(["--raw", "get"], `Expected a command (${COMMANDS}) before "--raw"`);
  usageError(["help", "get"], `Unknown command "help": expected ${COMMANDS}`);
  usageError(["serve"], "Missing <root>: serve <root>");
  usageError(["serve", "a", "b"], 'Unexpected argument: "b"');
  usageError(["serve", ""], "<root> must not be empty");
  usageError(["get"], "Missing <host:port> and <name>, or <url>");
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
  for (const flag of ["--idle-timeout", "--request-timeout", "--send-timeout"]) {
    usageError(
      ["serve", "r", `${flag}=0`],
      `${flag} must be a number of seconds above 0 and at most 86400, got "0"`,
    );
  }
  for (const flag of ["--max-connections", "--max-per-client"]) {
    for (const value of ["0", "-1", "1.5", "abc", "", "1000001", "1e3", "0x10"]) {
      usageError(
        ["serve", "r", `${flag}=${value}`],
        `${flag} must be a whole number from 1 to 1000000, got ${JSON.stringify(value)}`,
      );
    }
  }
});

Deno.test("tcp args: address and name", () => {
  usageError(
    ["get", "127.0.0.1", "n"],
    '<host:port> must be host:port or [v6]:port, got "127.0.0.1"',
  );
  usageError(["get", "h:0", "n"], '<host:port> must be host:port or [v6]:port, got "h:0"');
  usageError(["get", "::1:69", "n"], '<host:port> must be host:port or [v6]:port, got "::1:69"');
  usageError(
    ["get", "a b:1", "n"],
    '<host:port> "a b:1" has no usable host: "a b" is not a valid host name',
  );
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
  assert.throws(() => localBaseName(""), UsageError);
  const usage = tcpUsage();
  for (
    const part of [
      "tcp.ts serve <root>",
      "tcp.ts get <host:port> <name> [output]",
      "tcp.ts get <tcp://host:port/name> [output]",
      "tcp.ts echo [--host H] [--port P] [--idle-timeout S]",
      "tcp.ts chat <host:port> [--encoding E]",
      "tcp.ts chat --listen [--host H] [--port P] [--encoding E]",
      "--raw",
      "--quiet",
      "--max-connections N",
      "--max-per-client N",
      "--request-timeout S",
      "--send-timeout S",
    ]
  ) {
    assert.ok(usage.includes(part), part);
  }
  assert.match(usage, /Exit status:\n {2}0 .*\n(?:.*\n)* {2}1 .*\n(?:.*\n)* {2}2 /);
  for (const line of usage.split("\n")) assert.ok(line.length <= 100, line);
});
