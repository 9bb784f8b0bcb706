import assert from "node:assert/strict";
import {
  DEFAULT_CHAT_PORT,
  DEFAULT_ECHO_PORT,
  DEFAULT_LISTEN_PORT,
  DEFAULT_WAIT_MS,
  formatReceived,
  parseUdpCommandLine,
} from "./_udp_args.ts";
import { udpUsage } from "./_udp_usage.ts";
import { UsageError } from "./_cli_args.ts";

function usageError(args: string[], message: string): void {
  assert.throws(
    () => parseUdpCommandLine(args),
    (error) => {
      assert.ok(error instanceof UsageError, `${JSON.stringify(args)}: ${error}`);
      assert.equal(error.message, message, JSON.stringify(args));
      return true;
    },
  );
}

const COMMANDS = "echo, listen, send, chat, ipmsg";
const ascii = (text: string) => new TextEncoder().encode(text);

Deno.test("udp args: help anywhere before --, and the usage text", () => {
  for (const args of [["--help"], ["-h"], ["help"], ["send", "x", "-h"], ["nope", "--help"]]) {
    assert.deepEqual(parseUdpCommandLine(args), { command: "help" }, JSON.stringify(args));
  }
  const text = parseUdpCommandLine(["send", "127.0.0.1:9", "--", "--help"]);
  assert.equal(text.command === "send" && text.text, "--help");
  const usage = udpUsage();
  for (
    const line of [
      "  udp.ts echo   [--host H] [--port P] [--quiet]\n",
      "  udp.ts listen [--host H] [--port P] [--encoding E] [--reply TEXT] [--count N]\n",
      "  udp.ts chat   --listen [--host H] [--port P] [--encoding E]\n",
      "  udp.ts ipmsg  <host> <text> [--port P] [--user U] [--from-host NAME] [--encoding E]\n",
      "echo 6007, listen\n                       6002, chat --listen 6001",
    ]
  ) {
    assert.ok(usage.includes(line), line);
  }
  assert.ok(usage.endsWith("by SIGINT (143: by SIGTERM)\n"));
  assert.ok(usage.split("\n").every((line) => line.length <= 100));
});

Deno.test("udp args: commands and their defaults", () => {
  assert.deepEqual([DEFAULT_ECHO_PORT, DEFAULT_LISTEN_PORT, DEFAULT_CHAT_PORT], [6007, 6002, 6001]);
  assert.equal(DEFAULT_WAIT_MS, 1000);
  assert.deepEqual(parseUdpCommandLine(["echo"]), {
    command: "echo",
    hostname: "0.0.0.0",
    port: 6007,
    quiet: false,
  });
  assert.deepEqual(parseUdpCommandLine(["listen"]), {
    command: "listen",
    hostname: "0.0.0.0",
    port: 6002,
    encoding: "utf-8",
    reply: undefined,
    count: undefined,
  });
  assert.deepEqual(parseUdpCommandLine(["send", "<broadcast>:6002", "ping"]), {
    command: "send",
    to: { hostname: "<broadcast>", port: 6002 },
    text: "ping",
    payload: ascii("ping"),
    encoding: "utf-8",
    waitMs: 1000,
    count: undefined,
    hostname: undefined,
    port: 0,
  });
  assert.deepEqual(parseUdpCommandLine(["chat", "[::1]:7"]), {
    command: "chat",
    local: { hostname: undefined, port: 0 },
    peer: { hostname: "::1", port: 7 },
    encoding: "utf-8",
  });
  assert.deepEqual(parseUdpCommandLine(["chat", "--listen"]), {
    command: "chat",
    local: { hostname: "0.0.0.0", port: 6001 },
    encoding: "utf-8",
  });
  assert.deepEqual(parseUdpCommandLine(["ipmsg", "192.0.2.1", "你好"]), {
    command: "ipmsg",
    to: { hostname: "192.0.2.1", port: 2425 },
    text: "你好",
    user: "tftpkit",
    fromHost: "tftpkit",
    encoding: "gbk",
  });
});

Deno.test("udp args: every option", () => {
  assert.deepEqual(parseUdpCommandLine(["echo", "--host", "[::1]", "--port=0", "-q"]), {
    command: "echo",
    hostname: "::1",
    port: 0,
    quiet: true,
  });
  assert.deepEqual(
    parseUdpCommandLine([
      "listen",
      "--host=127.0.0.1",
      "--port",
      "9",
      "--encoding",
      "GB2312",
      "--reply",
      "收到",
      "--count",
      "3",
    ]),
    {
      command: "listen",
      hostname: "127.0.0.1",
      port: 9,
      encoding: "gbk",
      reply: "收到",
      count: 3,
    },
  );
  assert.deepEqual(
    parseUdpCommandLine([
      "send",
      "192.0.2.255:9",
      "你好",
      "--encoding",
      "gbk",
      "--wait",
      "0.25",
      "--count",
      "2",
      "--host",
      "192.0.2.2",
      "--port",
      "4000",
    ]),
    {
      command: "send",
      to: { hostname: "192.0.2.255", port: 9 },
      text: "你好",
      payload: new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]),
      encoding: "gbk",
      waitMs: 250,
      count: 2,
      hostname: "192.0.2.2",
      port: 4000,
    },
  );
  assert.deepEqual(
    parseUdpCommandLine([
      "chat",
      "h:1",
      "--host",
      "0.0.0.0",
      "--port",
      "5",
      "--encoding",
      "gb18030",
    ]),
    {
      command: "chat",
      local: { hostname: "0.0.0.0", port: 5 },
      peer: { hostname: "h", port: 1 },
      encoding: "gb18030",
    },
  );
  assert.deepEqual(
    parseUdpCommandLine([
      "ipmsg",
      "<broadcast>",
      "a:b",
      "--port",
      "2426",
      "--user",
      "张三",
      "--from-host",
      "PC-1",
      "--encoding",
      "utf-8",
    ]),
    {
      command: "ipmsg",
      to: { hostname: "<broadcast>", port: 2426 },
      text: "a:b",
      user: "张三",
      fromHost: "PC-1",
      encoding: "utf-8",
    },
  );
  // Text starting with "-" after "--".
  const dashed = parseUdpCommandLine(["send", "h:1", "--", "-5"]);
  assert.equal(dashed.command === "send" && dashed.text, "-5");
});

Deno.test("udp args: usage errors", () => {
  usageError([], `Missing command: expected ${COMMANDS}`);
  usageError(["nope"], `Unknown command "nope": expected ${COMMANDS}`);
  usageError(["--port", "1"], `Expected a command (${COMMANDS}) before "--port"`);
  usageError(["echo", "x"], 'Unexpected argument: "x"');
  usageError(["echo", "--nope"], 'Unknown option "--nope" for echo');
  usageError(
    ["echo", "--port", "65536"],
    '--port must be a whole number from 0 to 65535, got "65536"',
  );
  usageError(["echo", "--host", ""], "--host must not be empty");
  usageError(
    ["listen", "--encoding", "latin1"],
    '--encoding must be one of utf-8, gbk, gb18030, got "latin1"',
  );
  usageError(
    ["listen", "--count", "0"],
    '--count must be a whole number from 1 to 999999999, got "0"',
  );
  usageError(
    ["listen", "--count", "x"],
    '--count must be a whole number from 1 to 999999999, got "x"',
  );
  usageError(
    ["listen", "--encoding", "gbk", "--reply", "😀"],
    '--reply cannot be sent: Character "😀" (U+1F600) cannot be written in gbk',
  );
  usageError(["send"], "Missing <host:port> and <text>");
  usageError(["send", "h:1"], "Missing <text>");
  usageError(["send", "h:1", "a", "b"], 'Unexpected argument: "b"');
  usageError(["send", "h", "a"], '<host:port> must be host:port or [v6]:port, got "h"');
  usageError(["send", "h:0", "a"], '<host:port> must be host:port or [v6]:port, got "h:0"');
  usageError(
    ["send", "h:1", "a", "--wait", "0"],
    '--wait must be a number of seconds above 0 and at most 86400, got "0"',
  );
  usageError(
    ["send", "h:1", "x".repeat(65508)],
    "<text> is 65508 bytes in utf-8; a UDP datagram holds at most 65507",
  );
  usageError(["send", "h:1", "a", "--listen"], 'Unknown option "--listen" for send');
  usageError(["chat"], "Missing <host:port> (or give --listen)");
  usageError(["chat", "--listen", "h:1"], 'Unexpected argument: "h:1"');
  usageError(["chat", "h:1", "h:2"], 'Unexpected argument: "h:2"');
  usageError(["chat", "--listen", "--encoding"], "Option --encoding needs a value");
  usageError(["ipmsg", "h"], "Missing <text>");
  usageError(["ipmsg"], "Missing <host> and <text>");
  usageError(
    ["ipmsg", "h", "t", "--port", "0"],
    '--port must be a whole number from 1 to 65535, got "0"',
  );
  usageError(
    ["ipmsg", "h", "t", "--from-host", "a\0"],
    '--from-host must not contain ":" or NUL, got "a\\u0000"',
  );
  usageError(["ipmsg", "h", "a\0b"], "<text> must not contain NUL");
  usageError(
    ["ipmsg", "h", "😀"],
    'The message cannot be sent: Character "😀" (U+1F600) cannot be written in gbk',
  );
  usageError(
    ["ipmsg", "h", "t", "--encoding", "big5"],
    '--encoding must be one of utf-8, gbk, gb18030, got "big5"',
  );
});

Deno.test("udp args: a received datagram's line", () => {
  assert.equal(
    formatReceived({ hostname: "192.0.2.1", port: 6002 }, "pong"),
    "192.0.2.1:6002: pong\n",
  );
  assert.equal(formatReceived({ hostname: "::1", port: 7 }, ""), "[::1]:7: \n");
  assert.equal(
    formatReceived({ hostname: "127.0.0.1", port: 1 }, "a\tb\r\n\x1b[2J\x00\u009b你好"),
    "127.0.0.1:1: a\tb\\x0d\\x0a\\x1b[2J\\x00\\x9b你好\n",
  );
});
