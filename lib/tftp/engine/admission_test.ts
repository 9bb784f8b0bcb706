import assert from "node:assert/strict";
import { OPCODE } from "../packet/constants.ts";
import { decodePacket } from "../packet/decode.ts";
import { encodeAck, encodeData, encodeError, encodePacket } from "../packet/encode.ts";
import type { TftpOptions } from "../packet/packet.ts";
import { drain, events, sent, takeEvents } from "./_script.ts";
import { type Admission, admitRequest, openServerTransfer, type TftpRequest } from "./admission.ts";
import { Receiver } from "./receiver.ts";
import { Sender } from "./sender.ts";
import type { Peer } from "./types.ts";

const CLIENT: Peer = { hostname: "192.0.2.7", port: 2070 };

function rrq(mode: string, options: TftpOptions = {}, filename = "boot.bin"): Uint8Array {
  return encodePacket({ opcode: OPCODE.RRQ, filename, mode, options });
}

/** The ERROR code and reason of a `reply` admission. */
function replied(admission: Admission): [number, string] {
  assert.equal(admission.kind, "reply");
  if (admission.kind !== "reply") return [-1, ""];
  const packet = decodePacket(admission.bytes);
  assert.equal(packet.opcode, OPCODE.ERROR);
  if (packet.opcode !== OPCODE.ERROR) return [-1, ""];
  assert.equal(packet.message, admission.reason, "the reason is what the client reads");
  return [packet.code, admission.reason];
}

Deno.test("admitRequest: RRQ and WRQ become requests; the mode is lower-cased", () => {
  assert.deepEqual(admitRequest(CLIENT, rrq("octet", { BlkSize: "1468" })), {
    kind: "request",
    request: {
      kind: "read",
      filename: "boot.bin",
      mode: "octet",
      options: { blksize: "1468" },
      peer: CLIENT,
    },
  });
  const wrq = encodePacket({ opcode: OPCODE.WRQ, filename: "up", mode: "NetASCII", options: {} });
  assert.deepEqual(admitRequest(CLIENT, wrq), {
    kind: "request",
    request: { kind: "write", filename: "up", mode: "netascii", options: {}, peer: CLIENT },
  });
  const octet = admitRequest(CLIENT, rrq("OcTeT"));
  assert.ok(octet.kind === "request" && octet.request.mode === "octet");
});

Deno.test("admitRequest: mail and unknown modes are refused with ERROR 4", () => {
  assert.deepEqual(replied(admitRequest(CLIENT, rrq("mail"))), [4, "Mail mode is not supported"]);
  assert.deepEqual(replied(admitRequest(CLIENT, rrq("MAIL"))), [4, "Mail mode is not supported"]);
  assert.deepEqual(replied(admitRequest(CLIENT, rrq("binary"))), [
    4,
    'Unknown transfer mode "binary"',
  ]);
  assert.deepEqual(replied(admitRequest(CLIENT, rrq("ascii"))), [
    4,
    'Unknown transfer mode "ascii"',
  ]);
  // A long mode is quoted, cut to 32 characters.
  const [, reason] = replied(admitRequest(CLIENT, rrq("x".repeat(400))));
  assert.equal(reason, `Unknown transfer mode "${"x".repeat(32)}"`);
});

Deno.test("admitRequest: malformed datagrams and non-requests get ERROR 4; ERROR is ignored", () => {
  const [code, reason] = replied(admitRequest(CLIENT, new TextEncoder().encode("\0\x01f\0octet")));
  assert.equal(code, 4);
  assert.equal(reason, "Malformed request: RRQ does not end with a NUL byte");
  assert.deepEqual(replied(admitRequest(CLIENT, new Uint8Array([0, 1])))[0], 4);
  assert.deepEqual(replied(admitRequest(CLIENT, new Uint8Array([0, 42, 0, 0])))[0], 4);
  assert.deepEqual(replied(admitRequest(CLIENT, encodeData(1, new Uint8Array(3)))), [
    4,
    "Expected RRQ or WRQ on the request port, got opcode 3",
  ]);
  assert.deepEqual(replied(admitRequest(CLIENT, encodeAck(0)))[0], 4);
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "8" } });
  assert.deepEqual(replied(admitRequest(CLIENT, oack))[0], 4);
  assert.deepEqual(admitRequest(CLIENT, encodeError(5, "Unknown transfer ID")), {
    kind: "ignore",
    reason: "ERROR on the request port",
  });
});

Deno.test("admitRequest: ERROR texts are printable ASCII and at most 200 characters", () => {
  // Found by tests/fuzz_packet_test.ts: the text echoed a non-ASCII mode or option name as is,
  // and a long option name without a value in full.
  assert.deepEqual(replied(admitRequest(CLIENT, rrq("öctet\x7f"))), [
    4,
    'Unknown transfer mode "\\u00f6ctet\\u007f"',
  ]);
  const long = new TextEncoder().encode(`\0\x01f\0octet\0${"ü".repeat(300)}\0`);
  const [code, reason] = replied(admitRequest(CLIENT, long));
  assert.equal(code, 4);
  assert.equal(reason.length, 200);
  assert.equal(reason, `Malformed request: RRQ option "${"\\u00fc".repeat(27)}\\u00...`);
  assert.match(reason, /^[\x20-\x7e]+$/);
});

function request(
  kind: "read" | "write",
  options: TftpOptions,
  mode: "octet" | "netascii" = "octet",
): TftpRequest {
  return { kind, filename: "f", mode, options, peer: CLIENT };
}

function oackOf(bytes: Uint8Array): TftpOptions | undefined {
  const packet = decodePacket(bytes);
  return packet.opcode === OPCODE.OACK ? packet.options : undefined;
}

Deno.test("openServerTransfer: the OACK holds only requested and accepted options", () => {
  const tx = openServerTransfer(
    0,
    request("read", { blksize: "1468", tsize: "0", timeout: "0", foo: "bar", windowsize: "0" }),
    { fileSize: 10 },
  );
  assert.ok(tx instanceof Sender);
  const [first] = drain(tx);
  assert.deepEqual(first.to, CLIENT);
  assert.deepEqual(oackOf(first.bytes), { blksize: "1468", tsize: "10" });
  assert.deepEqual(events(tx), ["negotiated 1468/1"]);

  const limited = openServerTransfer(0, request("read", { blksize: "9000", windowsize: "64" }), {
    maxBlksize: 1024,
    maxWindowsize: 8,
    fileSize: 10,
  });
  assert.deepEqual(oackOf(drain(limited)[0].bytes), { blksize: "1024", windowsize: "8" });

  // netascii: the size on the wire is unknown, so tsize is left out.
  const text = openServerTransfer(0, request("read", { tsize: "0", blksize: "8" }, "netascii"), {
    fileSize: 10,
  });
  assert.deepEqual(oackOf(drain(text)[0].bytes), { blksize: "8" });

  // A write echoes the client's tsize.
  const rx = openServerTransfer(0, request("write", { tsize: "777" }), { fileSize: 5 });
  assert.ok(rx instanceof Receiver);
  assert.deepEqual(oackOf(drain(rx)[0].bytes), { tsize: "777" });
});

Deno.test("openServerTransfer: receiving, the server grants a window of 64 KiB at most", () => {
  const oack = (kind: "read" | "write", options: TftpOptions) =>
    oackOf(drain(openServerTransfer(0, request(kind, options), { fileSize: 10 }))[0].bytes);
  // A write: the server receives, and its socket takes a 64 KiB burst whole.
  assert.deepEqual(oack("write", { blksize: "65464", windowsize: "16" }), {
    blksize: "65464",
    windowsize: "1",
  });
  assert.deepEqual(oack("write", { blksize: "8192", windowsize: "16" }), {
    blksize: "8192",
    windowsize: "8",
  });
  assert.deepEqual(oack("write", { blksize: "1468", windowsize: "16" }), {
    blksize: "1468",
    windowsize: "16",
  });
  // No blksize: 512-byte blocks, 128 of them.
  assert.deepEqual(oack("write", { windowsize: "200" }), { windowsize: "64" });
  // A read: the client receives and sizes its own window; the sender adapts (cwnd).
  assert.deepEqual(oack("read", { blksize: "65464", windowsize: "16" }), {
    blksize: "65464",
    windowsize: "16",
  });
});

Deno.test("openServerTransfer: no options -> DATA 1 first (read) or ACK 0 first (write)", () => {
  const tx = openServerTransfer(0, request("read", {}), { fileSize: 600 });
  assert.ok(tx instanceof Sender);
  tx.offer(0, new Uint8Array(600));
  tx.finish(0);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);

  // Only options nobody supports: the same as none.
  const ignored = openServerTransfer(0, request("read", { foo: "1", timeout: "999" }), {
    fileSize: 1,
  });
  assert.ok(ignored instanceof Sender);
  ignored.offer(0, new Uint8Array(1));
  ignored.finish(0);
  assert.deepEqual(sent(ignored, CLIENT), ["DATA 1 (1)"]);
  assert.deepEqual(events(ignored), ["negotiated 512/1"]);

  const rx = openServerTransfer(0, request("write", {}));
  assert.ok(rx instanceof Receiver);
  assert.deepEqual(sent(rx, CLIENT), ["ACK 0"]);
  rx.handleDatagram(1, CLIENT, encodeData(1, new Uint8Array(5)));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 1"]);
  assert.deepEqual(events(rx), ["negotiated 512/1", "data 5", "complete"]);
});

Deno.test("openServerTransfer: WRQ with options -> OACK, then DATA 1 at the agreed size", () => {
  const rx = openServerTransfer(0, request("write", { blksize: "8", windowsize: "2" }));
  assert.deepEqual(sent(rx, CLIENT), ["OACK blksize=8 windowsize=2"]);
  rx.handleDatagram(1, CLIENT, encodeData(1, new Uint8Array(8)));
  assert.deepEqual(sent(rx, CLIENT), []);
  rx.handleDatagram(1, CLIENT, encodeData(2, new Uint8Array(8)));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 2"]);
  rx.handleDatagram(2, CLIENT, encodeData(3, new Uint8Array(0)));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 3"]);
  const done = takeEvents(rx).find((e) => e.type === "complete");
  assert.ok(done?.type === "complete");
  assert.equal(done.stats.optionsAcknowledged, true);
  assert.equal(done.stats.bytes, 16);
});

Deno.test("openServerTransfer: the timeout option becomes the retransmit timeout", () => {
  for (const kind of ["read", "write"] as const) {
    const machine = openServerTransfer(1000, request(kind, { timeout: "3" }), { fileSize: 1 });
    const [oack] = drain(machine);
    assert.deepEqual(oackOf(oack.bytes), { timeout: "3" }, kind);
    assert.equal(machine.pollTimeout(), 4000, `${kind}: OACK re-sent 3 s later`);
    machine.handleTimeout(4000);
    assert.deepEqual(drain(machine).map((t) => t.bytes), [oack.bytes], kind);
    const [negotiated] = takeEvents(machine);
    assert.ok(negotiated.type === "negotiated" && negotiated.options.timeoutS === 3, kind);
  }
  // Without the option the server's own timing applies.
  const plain = openServerTransfer(0, request("write", {}), { timeoutMs: 250 });
  drain(plain);
  assert.equal(plain.pollTimeout(), 250);
  // The option wins over the server's configured timeout.
  const both = openServerTransfer(0, request("write", { timeout: "1" }), { timeoutMs: 250 });
  drain(both);
  assert.equal(both.pollTimeout(), 1000);
});
