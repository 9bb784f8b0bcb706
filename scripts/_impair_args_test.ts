import assert from "node:assert/strict";
import { encodeAck, encodeData, encodePacket } from "../lib/tftp/packet/encode.ts";
import { OPCODE } from "../lib/tftp/packet/constants.ts";
import type { ImpairDirection } from "../lib/udp/impair_rules.ts";
import {
  type ImpairCommand,
  impairRuleOf,
  impairUsage,
  ImpairUsageError,
  parseImpairCommandLine,
} from "./_impair_args.ts";

type Run = Extract<ImpairCommand, { command: "run" }>;

function run(args: string[]): Run {
  const cmd = parseImpairCommandLine(args);
  assert.equal(cmd.command, "run");
  return cmd as Run;
}

Deno.test("impair args: defaults", () => {
  assert.deepEqual(run(["--target", "127.0.0.1:6969"]), {
    command: "run",
    target: { hostname: "127.0.0.1", port: 6969 },
    hostname: "127.0.0.1",
    port: 0,
    seed: 1,
    up: {},
    down: {},
    dropBlocks: [],
    dropAcks: [],
    dropFirst: false,
    pcap: undefined,
    json: false,
  });
});

Deno.test("impair args: every option; per-direction loss overrides --loss", () => {
  const cmd = run([
    "--target=[::1]:69",
    "--host",
    "[::1]",
    "--port",
    "7070",
    "--seed",
    "4294967295",
    "--loss",
    "0.1",
    "--loss-down",
    ".25",
    "--dup",
    "0.05",
    "--reorder",
    "1",
    "--delay",
    "20",
    "--jitter",
    "2.5",
    "--drop-block",
    "3",
    "--drop-block=0",
    "--drop-ack",
    "65535",
    "--drop-first",
    "--pcap",
    "out.pcap",
    "--json",
  ]);
  const both = { duplicate: 0.05, reorder: 1, delayMs: 20, jitterMs: 2.5 };
  assert.deepEqual(cmd, {
    command: "run",
    target: { hostname: "::1", port: 69 },
    hostname: "::1",
    port: 7070,
    seed: 4294967295,
    up: { loss: 0.1, ...both },
    down: { loss: 0.25, ...both },
    dropBlocks: [3, 0],
    dropAcks: [65535],
    dropFirst: true,
    pcap: "out.pcap",
    json: true,
  });
  assert.deepEqual(run(["--target", "10.0.0.1:69", "--loss-up", "0"]).up, { loss: 0 });
});

Deno.test("impair args: help wins over every problem", () => {
  assert.deepEqual(parseImpairCommandLine(["--bogus", "-h"]), { command: "help" });
  assert.deepEqual(parseImpairCommandLine(["--help"]), { command: "help" });
  const text = impairUsage();
  for (const flag of ["--target HOST:PORT", "--loss-up P", "--drop-first", "--pcap FILE"]) {
    assert.ok(text.includes(flag), flag);
  }
});

Deno.test("impair args: usage errors say what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [[], /^Missing --target HOST:PORT$/],
    [["--target", "localhost:69"], /--target must be IP:PORT or \[IPv6\]:PORT.*"localhost:69"/],
    [["--target", "::1:69"], /--target must be IP:PORT/],
    [["--target", "[127.0.0.1]:69"], /--target must be IP:PORT/],
    [["--target", "127.0.0.1"], /--target must be IP:PORT/],
    [["--target", "127.0.0.1:0"], /--target port must be between 1 and 65535, got 0/],
    [["--target", "127.0.0.1:x"], /--target port must be a whole number, got "x"/],
    [
      ["--target", "127.0.0.1:69", "--loss", "1.5"],
      /--loss must be a number between 0 and 1, got "1.5"/,
    ],
    [
      ["--target", "127.0.0.1:69", "--dup", "-0.1"],
      /^Option --dup needs a value; write --dup=-VALUE/,
    ],
    [
      ["--target", "127.0.0.1:69", "--dup=-0.1"],
      /^--dup must be a number between 0 and 1, got "-0.1"$/,
    ],
    [["--target", "127.0.0.1:69", "--reorder", "5%"], /--reorder must be a number between 0 and 1/],
    [
      ["--target", "127.0.0.1:69", "--delay", "60001"],
      /--delay must be a number between 0 and 60000/,
    ],
    [["--target", "127.0.0.1:69", "--jitter", "1e3"], /--jitter must be a number/],
    [
      ["--target", "127.0.0.1:69", "--seed", "4294967296"],
      /--seed must be between 0 and 4294967295/,
    ],
    [["--target", "127.0.0.1:69", "--port", "65536"], /--port must be between 0 and 65535/],
    [["--target", "127.0.0.1:69", "--drop-block", "65536"], /--drop-block must be between/],
    [["--target", "127.0.0.1:69", "--drop-ack", "one"], /--drop-ack must be a whole number/],
    [["--target", "127.0.0.1:69", "--host", ""], /--host must not be empty/],
    [["--target", "127.0.0.1:69", "--pcap", ""], /--pcap must not be empty/],
    [["--target", "127.0.0.1:69", "--lose", "0.1"], /^Unknown option "--lose"$/],
    [["--target", "127.0.0.1:69", "--drop-first=yes"], /^Option --drop-first takes no value$/],
    [["--target", "127.0.0.1:69", "extra"], /^Unexpected argument: extra$/],
    [["--target"], /^Option --target needs a value$/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseImpairCommandLine(args), (error: unknown) => {
      assert.ok(error instanceof ImpairUsageError, `${args.join(" ")}: ${error}`);
      assert.match(error.message, message, args.join(" "));
      return true;
    });
  }
});

Deno.test("impair args: the rule applies the targeted drops, then the seeded profile", () => {
  const rrq = encodePacket({ opcode: OPCODE.RRQ, filename: "f", mode: "octet", options: {} });
  const list: [ImpairDirection, Uint8Array][] = [
    ["up", rrq], // --drop-first
    ["up", rrq],
    ["down", encodeData(1, new Uint8Array(512))], // --drop-first (first DATA)
    ["down", encodeData(1, new Uint8Array(512))],
    ["up", encodeAck(1)], // --drop-first (first ACK)
    ["down", encodeData(2, new Uint8Array(512))], // --drop-block 2
    ["up", encodeAck(1)],
    ["down", encodeData(2, new Uint8Array(512))],
    ["up", encodeAck(2)], // --drop-ack 2
    ["up", encodeAck(2)], // the retransmission: only the profile acts
  ];
  const rule = impairRuleOf(
    run([
      "--target",
      "127.0.0.1:69",
      "--drop-first",
      "--drop-block",
      "2",
      "--drop-ack",
      "2",
      "--dup",
      "1",
    ]),
  );
  const index = { up: 0, down: 0 };
  const actions = list.map(([direction, bytes]) =>
    rule({ direction, bytes, index: index[direction]++ })
  );
  assert.deepEqual(actions, [
    "drop",
    "duplicate",
    "drop",
    "duplicate",
    "drop",
    "drop",
    "duplicate",
    "duplicate",
    "drop",
    "duplicate",
  ]);
});
