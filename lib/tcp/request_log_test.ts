import assert from "node:assert/strict";
import { formatTcpRequest, type TcpRequestRecord } from "./request_log.ts";

const v4 = { transport: "tcp", hostname: "127.0.0.1", port: 5 } as const;
const v6 = { transport: "tcp", hostname: "::1", port: 6 } as const;
const base: TcpRequestRecord = { peer: v4, status: "OK", bytes: 0, complete: false, durationMs: 0 };

Deno.test("formatTcpRequest: every status", () => {
  const cases: [Partial<TcpRequestRecord>, string][] = [
    [
      { peer: v6, name: "a", bytes: 10, size: 10, complete: true, durationMs: 0.4 },
      "[::1]:6 GET a OK 10 B in 0 ms",
    ],
    [
      {
        name: "big",
        bytes: 1000,
        size: 5000,
        durationMs: 301.6,
        message: "No progress for 300 ms",
      },
      "127.0.0.1:5 GET big OK 1000 of 5000 B in 302 ms, incomplete: No progress for 300 ms",
    ],
    [
      { name: "../x", status: "DENIED", message: 'Access violation: ".." is not allowed' },
      '127.0.0.1:5 GET ../x DENIED Access violation: ".." is not allowed',
    ],
    [{ name: "x", status: "ERROR", message: "Disk full" }, "127.0.0.1:5 GET x ERROR Disk full"],
    [
      { status: "BAD_REQUEST", message: 'Request must start with "GET ", got "PUT x"' },
      '127.0.0.1:5 BAD_REQUEST Request must start with "GET ", got "PUT x"',
    ],
    [
      { status: "NO_REQUEST", message: "Connection closed before a request" },
      "127.0.0.1:5 NO_REQUEST Connection closed before a request",
    ],
    [{ status: "NO_REQUEST" }, "127.0.0.1:5 NO_REQUEST"],
  ];
  for (const [change, line] of cases) assert.equal(formatTcpRequest({ ...base, ...change }), line);
});

Deno.test("formatTcpRequest: names with spaces, quotes or control characters are quoted", () => {
  const line = (name: string) =>
    formatTcpRequest({ ...base, name, status: "NOT_FOUND", message: "File not found" });
  assert.equal(line("文件/ü.bin"), "127.0.0.1:5 GET 文件/ü.bin NOT_FOUND File not found");
  assert.equal(line("a b"), '127.0.0.1:5 GET "a b" NOT_FOUND File not found');
  assert.equal(line('a"b'), '127.0.0.1:5 GET "a\\"b" NOT_FOUND File not found');
  assert.equal(line("a\x1b[2Jb"), '127.0.0.1:5 GET "a\\u001b[2Jb" NOT_FOUND File not found');
});
