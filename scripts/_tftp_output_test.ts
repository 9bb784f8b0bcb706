import assert from "node:assert/strict";
import {
  TftpAbortError,
  TftpError,
  TftpProtocolError,
  TftpRemoteError,
  TftpTimeoutError,
} from "../lib/tftp/errors.ts";
import type { TransferStats } from "../lib/tftp/engine/types.ts";
import type { TransferRecord } from "../lib/tftp/server.ts";
import { UsageError } from "./_tftp_args.ts";
import {
  describeFailure,
  failureJson,
  formatHostPort,
  formatSummary,
  formatTransferLog,
  resultJson,
  terminalSafe,
  transferLogJson,
} from "./_tftp_output.ts";

function stats(overrides: Partial<TransferStats> = {}): TransferStats {
  return {
    bytes: 1048576,
    blocks: 715,
    datagramsSent: 720,
    datagramsReceived: 180,
    retransmits: 0,
    timeouts: 0,
    duplicates: 0,
    strangers: 0,
    elapsedMs: 12.4,
    options: { blksize: 1468, windowsize: 4, tsize: 1048576 },
    optionsAcknowledged: true,
    ...overrides,
  };
}

const PEER = { hostname: "127.0.0.1", port: 40000 };

Deno.test("formatTransferLog: complete, refused and failed lines", () => {
  const base = { peer: PEER, kind: "read", filename: "boot.bin", mode: "octet" } as const;
  assert.equal(
    formatTransferLog({ ...base, status: "complete", stats: stats() }),
    "127.0.0.1:40000 read boot.bin octet complete 1048576 B in 12 ms (blksize 1468, windowsize 4, 0 retransmits)",
  );
  assert.equal(
    formatTransferLog({ ...base, status: "complete", stats: stats({ retransmits: 1 }) }),
    "127.0.0.1:40000 read boot.bin octet complete 1048576 B in 12 ms (blksize 1468, windowsize 4, 1 retransmit)",
  );
  assert.equal(
    formatTransferLog({
      ...base,
      status: "refused",
      error: { code: 1, message: "File not found" },
    }),
    "127.0.0.1:40000 read boot.bin octet refused: File not found (TFTP error 1)",
  );
  const failed: TransferRecord = {
    ...base,
    kind: "write",
    peer: { hostname: "fe80::1%eth0", port: 5 },
    status: "failed",
    error: { code: 0, message: "Cancelled (TFTP error 0)" },
    stats: stats({ bytes: 2936, elapsedMs: 1500.6 }),
  };
  assert.equal(
    formatTransferLog(failed),
    "[fe80::1%eth0]:5 write boot.bin octet failed after 2936 B in 1501 ms: Cancelled (TFTP error 0)",
  );
});

Deno.test("formatTransferLog: names and texts from the network cannot break the line", () => {
  const line = formatTransferLog({
    peer: PEER,
    kind: "read",
    filename: "a b\n127.0.0.1:1 read x octet complete\x1b[2J",
    mode: "octet",
    status: "refused",
    error: { code: 2, message: "bad\r\n\u202eevil" },
  });
  assert.equal(
    line,
    String
      .raw`127.0.0.1:40000 read "a b\n127.0.0.1:1 read x octet complete\u001b[2J" octet refused: bad\u000d\u000a\u202eevil (TFTP error 2)`,
  );
  assert.ok(!line.includes("\n") && !line.includes("\x1b"));
  assert.equal(terminalSafe("ok\u0085\u2028"), "ok\\u0085\\u2028");
  assert.equal(terminalSafe("plain text: ünïcode"), "plain text: ünïcode");
});

Deno.test("transferLogJson: one object with the record's facts", () => {
  const record: TransferRecord = {
    peer: { hostname: "::1", port: 7 },
    kind: "read",
    filename: "f\n",
    mode: "netascii",
    status: "complete",
    stats: stats({ elapsedMs: 1.23456 }),
  };
  const line = transferLogJson(record, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), {
    time: "2024-01-02T03:04:05.000Z",
    peer: "[::1]:7",
    kind: "read",
    filename: "f\n",
    mode: "netascii",
    status: "complete",
    bytes: 1048576,
    blocks: 715,
    retransmits: 0,
    timeouts: 0,
    elapsedMs: 1.235,
    options: { blksize: 1468, windowsize: 4, tsize: 1048576 },
    optionsAcknowledged: true,
  });
  const refused = transferLogJson({
    ...record,
    status: "refused",
    stats: undefined,
    error: { code: 1, message: "File not found" },
  });
  assert.deepEqual(JSON.parse(refused), {
    peer: "[::1]:7",
    kind: "read",
    filename: "f\n",
    mode: "netascii",
    status: "refused",
    error: { code: 1, message: "File not found" },
  });
});

Deno.test("resultJson and failureJson: the --json lines of get and put", () => {
  const result = { bytes: 1000, peer: PEER, mode: "netascii" as const, stats: stats() };
  assert.deepEqual(JSON.parse(resultJson("put", "tftp://h/a", result)), {
    ok: true,
    command: "put",
    url: "tftp://h/a",
    mode: "netascii",
    bytes: 1000,
    blocks: 715,
    retransmits: 0,
    timeouts: 0,
    elapsedMs: 12.4,
    options: { blksize: 1468, windowsize: 4, tsize: 1048576 },
    optionsAcknowledged: true,
    peer: "127.0.0.1:40000",
  });
  const report = describeFailure(new TftpTimeoutError("No answer from h:69 after 6 attempts", 6));
  assert.equal(
    failureJson("get", "tftp://h/a", report),
    '{"ok":false,"command":"get","url":"tftp://h/a","error":{"code":0,"name":"TftpTimeoutError","message":"No answer from h:69 after 6 attempts"}}',
  );
});

Deno.test("formatSummary: bytes, time, rate, peer and options; no rate for 0 ms", () => {
  const result = {
    bytes: 1048576,
    peer: PEER,
    mode: "octet" as const,
    stats: stats({ elapsedMs: 500 }),
  };
  assert.equal(
    formatSummary("get", "pxe/boot.bin", result),
    "get pxe/boot.bin: 1048576 B (1.0 MiB) in 500 ms, 2.0 MiB/s from 127.0.0.1:40000 (blksize 1468, windowsize 4, 0 retransmits)",
  );
  const instant = { ...result, bytes: 0, stats: stats({ elapsedMs: 0 }) };
  assert.equal(
    formatSummary("put", "a b", instant),
    'put "a b": 0 B in 0 ms to 127.0.0.1:40000 (blksize 1468, windowsize 4, 0 retransmits)',
  );
});

Deno.test("describeFailure: exit status, stderr text and JSON error for each kind", () => {
  const cases: [unknown, string | undefined, 1 | 2, string, number | undefined, string][] = [
    [
      new TftpRemoteError(1, "File not found"),
      "out",
      1,
      "File not found (TFTP error 1)",
      1,
      "TftpRemoteError",
    ],
    [
      new TftpRemoteError(0, ""),
      undefined,
      1,
      "Not defined (TFTP error 0)",
      0,
      "TftpRemoteError",
    ],
    [
      new TftpTimeoutError(
        "No answer from 127.0.0.1:69 after 6 attempts while waiting for DATA 3",
        6,
      ),
      "out",
      1,
      "No answer from 127.0.0.1:69 after 6 attempts while waiting for DATA 3",
      0,
      "TftpTimeoutError",
    ],
    [
      new TftpAbortError("Interrupted by SIGINT"),
      "out",
      1,
      "Interrupted by SIGINT",
      0,
      "TftpAbortError",
    ],
    [
      new TftpProtocolError(8, "Server sent blksize 2000, more than the 1468 asked for"),
      "out",
      1,
      "Server sent blksize 2000, more than the 1468 asked for (TFTP error 8)",
      8,
      "TftpProtocolError",
    ],
    [
      new TftpError(1, "File not found", { cause: new Deno.errors.NotFound("x") }),
      "in.bin",
      1,
      'Local file "in.bin": File not found',
      1,
      "TftpError",
    ],
    [
      new TftpError(3, "Disk full or allocation exceeded", { cause: new Error("ENOSPC") }),
      undefined,
      1,
      "Disk full or allocation exceeded (TFTP error 3)",
      3,
      "TftpError",
    ],
    [
      new TftpError(0, "Transfer ended without a result"),
      "out",
      1,
      "Transfer ended without a result (TFTP error 0)",
      0,
      "TftpError",
    ],
    [
      new Error('Cannot resolve host "nowhere"'),
      "out",
      1,
      'Cannot resolve host "nowhere"',
      undefined,
      "Error",
    ],
    ["a string", undefined, 1, "a string", undefined, "Error"],
    [
      new UsageError("--blksize must be between 8 and 65464, got 7"),
      undefined,
      2,
      "--blksize must be between 8 and 65464, got 7",
      undefined,
      "UsageError",
    ],
    [
      new RangeError("blksize must be an integer between 8 and 65464, got 7"),
      "out",
      2,
      "blksize must be an integer between 8 and 65464, got 7",
      undefined,
      "RangeError",
    ],
    [
      new TypeError('Invalid TFTP URL "x"'),
      "out",
      2,
      'Invalid TFTP URL "x"',
      undefined,
      "TypeError",
    ],
  ];
  for (const [error, local, exitCode, message, code, name] of cases) {
    const report = describeFailure(error, local);
    const hint = exitCode === 2 ? "Run with --help for usage.\n" : "";
    assert.equal(report.exitCode, exitCode, message);
    assert.equal(report.text, `error: ${message}\n${hint}`);
    assert.deepEqual(
      report.error,
      code === undefined ? { name, message } : { code, name, message },
    );
  }
});

Deno.test("describeFailure: a server's error text cannot inject terminal controls", () => {
  const report = describeFailure(new TftpRemoteError(2, "no\x1b]0;pwned\x07"));
  assert.equal(report.text, "error: no\\u001b]0;pwned\\u0007 (TFTP error 2)\n");
  assert.equal(report.error.message, "no\x1b]0;pwned\x07 (TFTP error 2)");
});

Deno.test("formatHostPort: brackets only for IPv6", () => {
  assert.equal(formatHostPort({ hostname: "0.0.0.0", port: 69 }), "0.0.0.0:69");
  assert.equal(formatHostPort({ hostname: "::", port: 6969 }), "[::]:6969");
});
