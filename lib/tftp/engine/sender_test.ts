import assert from "node:assert/strict";
import { TftpAbortError, TftpRemoteError, TftpTimeoutError } from "../errors.ts";
import { OPCODE } from "../packet/constants.ts";
import { encodeAck, encodeData, encodeError, encodePacket } from "../packet/encode.ts";
import type { NegotiatedOptions } from "../packet/options.ts";
import { concatBytes } from "../../bytes.ts";
import { Prng } from "../../sim/prng.ts";
import {
  CLIENT,
  describePacket,
  drain,
  events,
  LOCKSTEP,
  sent,
  SERVER_PORT,
  SERVER_TID,
  STRANGER,
  takeEvents,
} from "./_script.ts";
import { Receiver } from "./receiver.ts";
import { Sender, type SenderConfig } from "./sender.ts";
import type { TransferEvent } from "./types.ts";

/** A server-side sender (RRQ) that already holds all of `data`. */
function serverSender(
  data: Uint8Array,
  options: NegotiatedOptions = LOCKSTEP,
  config: SenderConfig = { timeoutMs: 1000 },
): Sender {
  const tx = new Sender(0, { peer: CLIENT, options }, config);
  tx.offer(0, data);
  tx.finish(0);
  return tx;
}

function lastEvent(list: TransferEvent[]): TransferEvent | undefined {
  return list[list.length - 1];
}

Deno.test("duplicate ACK: exactly one next DATA (Sorcerer's Apprentice), timeout re-sends it", () => {
  const tx = serverSender(new Prng(1).bytes(1500));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  assert.deepEqual(events(tx), ["negotiated 512/1"]);

  tx.handleDatagram(10, CLIENT, encodeAck(1));
  const [data2] = drain(tx);
  assert.deepEqual(data2.to, CLIENT);
  assert.equal(data2.bytes.length, 516);
  assert.deepEqual([...data2.bytes.subarray(0, 4)], [0, 3, 0, 2]);

  tx.handleDatagram(11, CLIENT, encodeAck(1)); // the network duplicated ACK 1
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.handleDatagram(12, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), []);
  assert.equal(tx.pollTimeout(), 1010, "duplicates do not move the deadline");

  tx.handleTimeout(1009); // early: nothing
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.handleTimeout(1010);
  const again = drain(tx);
  assert.equal(again.length, 1);
  assert.deepEqual(again[0].bytes, data2.bytes, "the retransmission is the identical datagram");

  tx.handleDatagram(1020, CLIENT, encodeAck(2));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 3 (476)"]);
  tx.handleDatagram(1030, CLIENT, encodeAck(3));
  assert.deepEqual(sent(tx, CLIENT), []);
  const done = takeEvents(tx);
  assert.equal(done.length, 1);
  assert.equal(done[0].type, "complete");
  if (done[0].type !== "complete") return;
  const { stats } = done[0];
  assert.equal(stats.duplicates, 2);
  assert.equal(stats.retransmits, 1);
  assert.equal(stats.timeouts, 1);
  assert.equal(stats.blocks, 3);
  assert.equal(stats.bytes, 1500);
  assert.equal(stats.datagramsSent, 4);
  assert.equal(stats.datagramsReceived, 5);
  assert.equal(stats.elapsedMs, 1030);
  assert.ok(tx.isClosed);
  assert.equal(tx.pollTimeout(), undefined);
});

const TERMINATION: [number, number, string[]][] = [
  [512, 0, ["DATA 1 (0)"]],
  [512, 1, ["DATA 1 (1)"]],
  [512, 511, ["DATA 1 (511)"]],
  [512, 512, ["DATA 1 (512)", "DATA 2 (0)"]],
  [512, 513, ["DATA 1 (512)", "DATA 2 (1)"]],
  [512, 1024, ["DATA 1 (512)", "DATA 2 (512)", "DATA 3 (0)"]],
  [8, 16, ["DATA 1 (8)", "DATA 2 (8)", "DATA 3 (0)"]],
  [8, 17, ["DATA 1 (8)", "DATA 2 (8)", "DATA 3 (1)"]],
];

Deno.test("exact termination: a short DATA ends it, a 0-byte DATA after an exact multiple", () => {
  for (const [blksize, size, expected] of TERMINATION) {
    for (const chunk of [size || 1, 7]) {
      const what = `blksize ${blksize}, ${size} bytes offered in chunks of ${chunk}`;
      const data = new Prng(size).bytes(size);
      const tx = new Sender(0, { peer: CLIENT, options: { blksize, windowsize: 1 } });
      for (let at = 0; at < size; at += chunk) tx.offer(0, data.subarray(at, at + chunk));
      tx.finish(0);
      const script: string[] = [];
      const payload: number[] = [];
      for (let block = 1; block <= expected.length; block++) {
        const out = drain(tx);
        assert.equal(out.length, 1, `${what}: one DATA per ACK`);
        script.push(
          ...out.map((t) => `DATA ${(t.bytes[2] << 8) | t.bytes[3]} (${t.bytes.length - 4})`),
        );
        payload.push(...out[0].bytes.subarray(4));
        assert.ok(!tx.isClosed, `${what}: open before the final ACK`);
        tx.handleDatagram(block, CLIENT, encodeAck(block));
      }
      assert.deepEqual(script, expected, what);
      assert.deepEqual(new Uint8Array(payload), data, what);
      assert.deepEqual(sent(tx, CLIENT), [], what);
      assert.equal(lastEvent(takeEvents(tx))?.type, "complete", what);
      assert.ok(tx.isClosed, what);
    }
  }
});

Deno.test("the final DATA of an exact multiple is a 4-byte packet", () => {
  const tx = serverSender(new Uint8Array(512));
  drain(tx);
  tx.handleDatagram(1, CLIENT, encodeAck(1));
  const [last] = drain(tx);
  assert.deepEqual(last.bytes, new Uint8Array([0, 3, 0, 2]));
});

Deno.test("stray TID: ERROR 5 to the stranger only, never to an ERROR; the transfer goes on", () => {
  const tx = serverSender(new Uint8Array(600));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  tx.handleDatagram(5, STRANGER, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 5 -> 127.0.0.1:9999"]);
  tx.handleDatagram(6, STRANGER, encodeError(0, "go away"));
  assert.deepEqual(sent(tx, CLIENT), [], "an ERROR from a stranger is not answered");
  tx.handleDatagram(7, { hostname: "10.0.0.9", port: CLIENT.port }, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 5 -> 10.0.0.9:50000"], "same port, other host");
  tx.handleDatagram(8, STRANGER, new Uint8Array([0, 9, 0, 0])); // garbage from a stranger
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 5 -> 127.0.0.1:9999"]);
  tx.handleDatagram(8, STRANGER, new Uint8Array([0])); // too short to tell it is no ERROR
  assert.deepEqual(sent(tx, CLIENT), []);
  assert.deepEqual(events(tx), ["negotiated 512/1"], "the transfer is undisturbed");

  tx.handleDatagram(9, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (88)"]);
  tx.handleDatagram(10, CLIENT, encodeAck(2));
  const [done] = takeEvents(tx);
  assert.equal(done.type, "complete");
  if (done.type === "complete") {
    assert.equal(done.stats.strangers, 5);
    assert.equal(done.stats.datagramsReceived, 2, "strangers are not counted as received");
  }
});

Deno.test("OACK first: lost OACK re-sent identically, ACK 0 starts DATA 1, duplicate ACK 0 ignored", () => {
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "1024", tsize: "1500" } });
  const tx = new Sender(0, {
    peer: CLIENT,
    options: { blksize: 1024, windowsize: 1, tsize: 1500 },
    oack,
  }, { timeoutMs: 1000 });
  tx.offer(0, new Uint8Array(1500));
  tx.finish(0);
  const [first] = drain(tx);
  assert.equal(first.bytes, oack);
  assert.deepEqual(events(tx), ["negotiated 1024/1"]);
  tx.handleTimeout(1000);
  const [again] = drain(tx);
  assert.deepEqual(again.bytes, oack);
  tx.handleDatagram(1005, CLIENT, encodeAck(0));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (1024)"]);
  tx.handleDatagram(1006, CLIENT, encodeAck(0));
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.handleDatagram(1007, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (476)"]);
  tx.handleDatagram(1008, CLIENT, encodeAck(2));
  const [done] = takeEvents(tx);
  assert.equal(done.type, "complete");
  if (done.type === "complete") {
    assert.equal(done.stats.optionsAcknowledged, true);
    assert.equal(done.stats.retransmits, 1);
    assert.equal(done.stats.duplicates, 1);
  }
});

Deno.test("OACK refused by the client with ERROR 8: the sender fails cleanly and goes quiet", () => {
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { tsize: "3000" } });
  const tx = new Sender(0, {
    peer: CLIENT,
    options: { blksize: 512, windowsize: 1, tsize: 3000 },
    oack,
  }, { timeoutMs: 1000 });
  tx.offer(0, new Uint8Array(3000));
  assert.deepEqual(sent(tx, CLIENT), ["OACK tsize=3000"]);
  tx.handleDatagram(3, CLIENT, encodeError(8, "Only wanted the size"));
  assert.deepEqual(sent(tx, CLIENT), [], "an ERROR is never answered");
  const list = takeEvents(tx);
  assert.deepEqual(list.map((e) => e.type), ["negotiated", "failed"]);
  const failed = list[1];
  if (failed.type !== "failed") return;
  assert.ok(failed.error instanceof TftpRemoteError);
  assert.equal(failed.error.code, 8);
  assert.equal(failed.error.remoteMessage, "Only wanted the size");
  assert.equal(failed.error.message, "Only wanted the size (TFTP error 8)");
  assert.ok(tx.isClosed);
  assert.equal(tx.pollTimeout(), undefined);
  assert.equal(tx.wantsData, false);
  tx.handleDatagram(4, CLIENT, encodeAck(0));
  tx.handleTimeout(100_000);
  tx.abort(100_001, new TftpAbortError("late"));
  assert.deepEqual(sent(tx, CLIENT), [], "nothing more after the failure");
  assert.deepEqual(events(tx), []);
});

Deno.test("an ACK other than 0 before the OACK was acknowledged is ERROR 4", () => {
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "8" } });
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 8, windowsize: 1 }, oack });
  tx.offer(0, new Uint8Array(20));
  drain(tx);
  tx.handleDatagram(1, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 4"]);
  assert.deepEqual(events(tx), ["negotiated 8/1", "failed TftpProtocolError 4"]);
});

Deno.test("timeout with backoff: deadlines double up to maxRtoMs, identical packet, then failure", () => {
  const tx = serverSender(new Uint8Array(100), LOCKSTEP, {
    initialRtoMs: 1000,
    maxRtoMs: 4000,
    retries: 4,
  });
  const [original] = drain(tx);
  const deadlines: number[] = [];
  let last: Uint8Array[] = [];
  for (let i = 0; i < 20 && !tx.isClosed; i++) {
    const deadline = tx.pollTimeout();
    assert.ok(deadline !== undefined);
    deadlines.push(deadline);
    tx.handleTimeout(deadline - 1);
    assert.deepEqual(drain(tx), [], "nothing happens before the deadline");
    tx.handleTimeout(deadline);
    last = drain(tx).map((t) => t.bytes);
    if (!tx.isClosed) assert.deepEqual(last, [original.bytes], `retransmission ${i + 1}`);
  }
  // retries: 4 means four retransmissions; the fifth expiry fails the transfer.
  assert.deepEqual(deadlines, [1000, 3000, 7000, 11000, 15000]);
  const message = "No answer from 127.0.0.1:50000 after 5 attempts while waiting for ACK 1";
  assert.deepEqual(last, [encodeError(0, message)], "the peer is told");
  const failed = lastEvent(takeEvents(tx));
  assert.ok(failed?.type === "failed");
  assert.ok(failed.error instanceof TftpTimeoutError);
  assert.equal(failed.error.message, message);
  assert.equal(failed.error.attempts, 5);
  assert.equal(failed.error.code, 0);
  assert.equal(failed.stats.timeouts, 4);
  assert.equal(failed.stats.retransmits, 4);
  assert.equal(tx.pollTimeout(), undefined);
});

Deno.test("unansweredRetries: a client that never answered gets the first packet 3 times, no ERROR", () => {
  const tx = serverSender(new Uint8Array(600), LOCKSTEP, {
    initialRtoMs: 1000,
    unansweredRetries: 2,
  });
  const [first] = drain(tx);
  const times: number[] = [];
  for (let i = 0; i < 10 && !tx.isClosed; i++) {
    const deadline = tx.pollTimeout()!;
    times.push(deadline);
    tx.handleTimeout(deadline);
    for (const t of drain(tx)) assert.deepEqual(t.bytes, first.bytes, "only DATA 1 again");
  }
  assert.deepEqual(times, [1000, 3000, 7000], "two retransmissions, then it stops");
  const failed = lastEvent(takeEvents(tx));
  assert.ok(failed?.type === "failed" && failed.error instanceof TftpTimeoutError);
  assert.equal(
    failed.error.message,
    "No answer from 127.0.0.1:50000 to the first packet after 3 attempts",
  );
  assert.equal(failed.stats.retransmits, 2);

  // A client that answered once is real: the ordinary retries and give-up time apply.
  const real = serverSender(new Uint8Array(600), LOCKSTEP, {
    initialRtoMs: 1000,
    unansweredRetries: 0,
    retries: 3,
    giveUpMs: 0,
  });
  drain(real);
  real.handleDatagram(5, CLIENT, encodeAck(1));
  assert.equal(drain(real).length, 1, "DATA 2");
  let resent = 0;
  for (let i = 0; i < 10 && !real.isClosed; i++) {
    real.handleTimeout(real.pollTimeout()!);
    resent += drain(real).filter((t) => t.bytes[1] === OPCODE.DATA).length;
  }
  assert.equal(resent, 3);
  assert.throws(
    () => new Sender(0, { peer: CLIENT, options: LOCKSTEP }, { unansweredRetries: -1 }),
    RangeError,
  );
});

Deno.test("progress resets the backoff; a fixed timeoutMs is used as is", () => {
  const tx = serverSender(new Uint8Array(2000), LOCKSTEP, { timeoutMs: 300, retries: 3 });
  drain(tx);
  assert.equal(tx.pollTimeout(), 300);
  tx.handleTimeout(300);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  assert.equal(tx.pollTimeout(), 900, "doubled: 300 + 600");
  tx.handleDatagram(950, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (512)"]);
  assert.equal(tx.pollTimeout(), 1250, "back to 300 after progress");
});

Deno.test("an overall deadlineMs fails the transfer even while the peer answers", () => {
  const tx = serverSender(new Uint8Array(2000), LOCKSTEP, {
    initialRtoMs: 1000,
    deadlineMs: 2500,
  });
  drain(tx);
  tx.handleTimeout(1000);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  tx.handleDatagram(2000, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (512)"]);
  assert.equal(tx.pollTimeout(), 2500, "the overall deadline comes before the retransmit");
  tx.handleTimeout(2500);
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 0"]);
  const list = takeEvents(tx);
  const failed = lastEvent(list);
  assert.ok(failed?.type === "failed");
  assert.ok(failed.error instanceof TftpTimeoutError);
  assert.equal(
    failed.error.message,
    "Transfer did not finish within its deadline while waiting for ACK 2",
  );
  assert.ok(tx.isClosed);
});

Deno.test("malformed datagram from the peer: ERROR 4 and failed", () => {
  for (const bytes of [new Uint8Array([0, 4, 0]), new Uint8Array([0, 9, 0, 1])]) {
    const tx = serverSender(new Uint8Array(600));
    drain(tx);
    tx.handleDatagram(1, CLIENT, bytes);
    assert.deepEqual(sent(tx, CLIENT), ["ERROR 4"]);
    const failed = lastEvent(takeEvents(tx));
    assert.ok(failed?.type === "failed");
    assert.equal(failed.error.name, "TftpProtocolError");
    assert.equal(failed.error.code, 4);
    assert.match(failed.error.message, /^Malformed packet from peer: /);
    assert.ok(tx.isClosed);
  }
  // A well-formed packet of the wrong kind is a protocol error too.
  const tx = serverSender(new Uint8Array(600));
  drain(tx);
  tx.handleDatagram(1, CLIENT, encodeData(1, new Uint8Array(3)));
  assert.deepEqual(sent(tx, CLIENT), ["ERROR 4"]);
  assert.deepEqual(events(tx), ["negotiated 512/1", "failed TftpProtocolError 4"]);
});

Deno.test("abort() sends ERROR 0 to the peer once and fails with the given error", () => {
  const tx = serverSender(new Uint8Array(600));
  drain(tx);
  const error = new TftpAbortError("Server is shutting down");
  tx.abort(5, error);
  assert.deepEqual(drain(tx).map((t) => [t.to, t.bytes]), [
    [CLIENT, encodeError(0, "Server is shutting down")],
  ]);
  const failed = lastEvent(takeEvents(tx));
  assert.ok(failed?.type === "failed");
  assert.equal(failed.error, error);
  tx.abort(6, error);
  tx.handleDatagram(7, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), []);
  assert.deepEqual(events(tx), []);
});

Deno.test("windowed: 4 DATA then wait; ACK inside the window resumes after it; timeout resends", () => {
  const data = new Prng(4).bytes(80); // 10 blocks of 8 and a 0-byte DATA 11
  const fixed = { timeoutMs: 1000, congestionControl: false }; // whole windows, as RFC 7440
  const tx = serverSender(data, { blksize: 8, windowsize: 4 }, fixed);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (8)", "DATA 2 (8)", "DATA 3 (8)", "DATA 4 (8)"]);
  tx.handleDatagram(1, CLIENT, encodeAck(2)); // gap signal: 3 was lost
  assert.deepEqual(sent(tx, CLIENT), ["DATA 3 (8)", "DATA 4 (8)", "DATA 5 (8)", "DATA 6 (8)"]);
  tx.handleDatagram(2, CLIENT, encodeAck(1)); // stale
  tx.handleDatagram(3, CLIENT, encodeAck(2)); // duplicate
  tx.handleDatagram(4, CLIENT, encodeAck(20)); // beyond anything sent
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.handleDatagram(5, CLIENT, encodeAck(6));
  const window = drain(tx);
  assert.deepEqual(window.map((t) => t.bytes[3]), [7, 8, 9, 10]);
  assert.equal(tx.pollTimeout(), 1005);
  tx.handleTimeout(1005);
  const resent = drain(tx);
  assert.deepEqual(resent.map((t) => t.bytes), window.map((t) => t.bytes), "identical bytes");
  tx.handleDatagram(1010, CLIENT, encodeAck(9));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 10 (8)", "DATA 11 (0)"]);
  tx.handleDatagram(1011, CLIENT, encodeAck(11));
  const [done] = takeEvents(tx).filter((e) => e.type !== "negotiated");
  assert.equal(done.type, "complete");
  if (done.type !== "complete") return;
  assert.equal(done.stats.retransmits, 2 + 4 + 1);
  assert.equal(done.stats.duplicates, 3);
  assert.equal(done.stats.blocks, 11);
  assert.equal(done.stats.bytes, 80);
});

Deno.test("back-pressure: wantsData is false once a window is cut, true again after an ACK", () => {
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 8, windowsize: 2 } });
  assert.equal(tx.wantsData, true);
  tx.offer(0, new Uint8Array(8).fill(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (8)"]);
  assert.equal(tx.wantsData, true);
  tx.offer(0, new Uint8Array(8).fill(2));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (8)"]);
  assert.equal(tx.wantsData, false);
  tx.handleDatagram(1, CLIENT, encodeAck(2)); // the receiver ACKs a whole window
  assert.deepEqual(sent(tx, CLIENT), []);
  assert.equal(tx.wantsData, true);
  tx.offer(1, new Uint8Array(3).fill(3)); // a partial block waits for more input or finish()
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.finish(1);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 3 (3)"]);
  assert.equal(tx.wantsData, false);
  assert.throws(() => tx.offer(2, new Uint8Array(1)), TypeError);
  tx.handleDatagram(2, CLIENT, encodeAck(3));
  assert.equal(lastEvent(takeEvents(tx))?.type, "complete");
});

Deno.test("wantedBytes: what fills the window, less a partial block; a sender receives ACKs", () => {
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 8, windowsize: 3 } });
  assert.equal(tx.wantedBytes, 24);
  assert.equal(tx.receiveBytes, 2048); // ACKs, an OACK or an ERROR: never a DATA
  tx.offer(0, new Uint8Array(11)); // one block and 3 bytes of the next
  assert.equal(tx.wantedBytes, 13);
  tx.offer(0, new Uint8Array(13));
  assert.equal(tx.wantedBytes, 0);
  assert.equal(tx.wantsData, false);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (8)", "DATA 2 (8)", "DATA 3 (8)"]);
  tx.handleDatagram(1, CLIENT, encodeAck(2));
  assert.equal(tx.wantedBytes, 16);
  tx.finish(1);
  assert.equal(tx.wantedBytes, 0);
});

const WRQ = { opcode: OPCODE.WRQ, filename: "up.bin", mode: "octet" } as const;

Deno.test("client upload: WRQ re-sent on timeout, OACK from the new TID starts DATA 1", () => {
  const tx = new Sender(0, {
    server: SERVER_PORT,
    request: { ...WRQ, options: { blksize: "8", tsize: "10" } },
  }, { timeoutMs: 1000 });
  tx.offer(0, new Uint8Array(10));
  tx.finish(0);
  const [wrq] = drain(tx);
  assert.deepEqual(wrq.to, SERVER_PORT);
  assert.equal(
    new TextDecoder().decode(wrq.bytes),
    "\0\x02up.bin\0octet\0blksize\x008\0tsize\x0010\0",
  );
  tx.handleTimeout(1000);
  const [again] = drain(tx);
  assert.deepEqual(again.bytes, wrq.bytes);
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "8", tsize: "10" } });
  tx.handleDatagram(1005, SERVER_TID, oack);
  assert.deepEqual(sent(tx, SERVER_TID), ["DATA 1 (8)"]);
  assert.deepEqual(events(tx), ["negotiated 8/1"]);
  tx.handleDatagram(1006, SERVER_TID, oack); // repeated OACK: DATA 1 is already out
  assert.deepEqual(sent(tx, SERVER_TID), []);
  tx.handleDatagram(1007, SERVER_PORT, encodeAck(1)); // port 69 is not the TID any more
  assert.deepEqual(sent(tx, SERVER_TID), ["ERROR 5 -> 127.0.0.1:69"]);
  tx.handleDatagram(1008, SERVER_TID, encodeAck(1));
  assert.deepEqual(sent(tx, SERVER_TID), ["DATA 2 (2)"]);
  tx.handleDatagram(1009, SERVER_TID, encodeAck(2));
  const [done] = takeEvents(tx);
  assert.equal(done.type, "complete");
  if (done.type === "complete") {
    assert.deepEqual(done.stats.options, {
      blksize: 8,
      windowsize: 1,
      timeoutS: undefined,
      tsize: 10,
    });
    assert.equal(done.stats.optionsAcknowledged, true);
  }
});

Deno.test("client upload: a plain ACK 0 means RFC 1350; DATA or ERROR in reply end it", () => {
  const plain = new Sender(0, {
    server: SERVER_PORT,
    request: { ...WRQ, options: { blksize: "8" } },
  });
  plain.offer(0, new Uint8Array(600));
  plain.finish(0);
  drain(plain);
  plain.handleDatagram(1, SERVER_TID, encodeAck(0));
  assert.deepEqual(sent(plain, SERVER_TID), ["DATA 1 (512)"]);
  const [negotiated] = takeEvents(plain);
  assert.ok(negotiated.type === "negotiated");
  assert.deepEqual(negotiated.peer, SERVER_TID);
  assert.equal(negotiated.options.blksize, 512);

  const wrong = new Sender(0, { server: SERVER_PORT, request: { ...WRQ, options: {} } });
  drain(wrong);
  wrong.handleDatagram(1, SERVER_TID, encodeData(1, new Uint8Array(1)));
  assert.deepEqual(sent(wrong, SERVER_TID), ["ERROR 4"]);
  assert.deepEqual(events(wrong), ["failed TftpProtocolError 4"]);

  const refused = new Sender(0, { server: SERVER_PORT, request: { ...WRQ, options: {} } });
  drain(refused);
  refused.handleDatagram(1, SERVER_TID, encodeError(2, "Access violation"));
  assert.deepEqual(sent(refused, SERVER_TID), []);
  assert.deepEqual(events(refused), ["failed TftpRemoteError 2"]);
});

/** Runs a server Sender against a client Receiver with no loss; returns what was seen. */
function runPair(size: number, windowsize: number, rollover: 0 | 1) {
  const data = new Prng(size).bytes(size);
  const options = { blksize: "8", windowsize: String(windowsize) };
  const oack = encodePacket({ opcode: OPCODE.OACK, options });
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 8, windowsize }, oack }, {
    rollover,
  });
  const rx = new Receiver(0, {
    server: SERVER_PORT,
    request: { opcode: OPCODE.RRQ, filename: "big", mode: "octet", options },
  }, { rollover });
  drain(rx); // the RRQ: the server machine above already answers it
  const wires: number[] = [];
  const chunks: Uint8Array[] = [];
  let offered = 0;
  let rxEnd: TransferEvent | undefined;
  let txEnd: TransferEvent | undefined;
  let now = 0;
  for (let step = 0; step < 2_000_000; step++) {
    now++;
    while (tx.wantsData) {
      if (offered >= size) tx.finish(now);
      else tx.offer(now, data.subarray(offered, offered += 4096));
    }
    let moved = 0;
    for (const t of drain(tx)) {
      if (t.bytes[1] === OPCODE.DATA) wires.push((t.bytes[2] << 8) | t.bytes[3]);
      rx.handleDatagram(now, SERVER_TID, t.bytes);
      moved++;
    }
    for (const t of drain(rx)) {
      tx.handleDatagram(now, CLIENT, t.bytes);
      moved++;
    }
    for (const e of takeEvents(rx)) {
      // A view into the sender's packet, which it reuses once acknowledged: copy it.
      if (e.type === "data") chunks.push(e.data.slice());
      else if (e.type !== "negotiated") rxEnd = e;
    }
    for (const e of takeEvents(tx)) if (e.type !== "negotiated") txEnd = e;
    if (moved === 0) {
      // Only a pacing deadline (1 ms away) may be pending: the link loses nothing.
      const due = tx.pollTimeout();
      if (due === undefined || due > now + 1) break;
      now = due;
      tx.handleTimeout(now);
    }
  }
  const received = concatBytes(chunks);
  return { data, wires, received, rxEnd, txEnd };
}

Deno.test("rollover: 65536*8+5 bytes at blksize 8, wire block after 65535 is 0 (or 1)", () => {
  for (const [windowsize, rollover] of [[1, 0], [1, 1], [16, 0]] as const) {
    const what = `windowsize ${windowsize}, rollover ${rollover}`;
    const { data, wires, received, rxEnd, txEnd } = runPair(65536 * 8 + 5, windowsize, rollover);
    assert.equal(txEnd?.type, "complete", what);
    assert.equal(rxEnd?.type, "complete", what);
    assert.equal(wires.length, 65537, `${what}: one DATA per block, no retransmission`);
    assert.deepEqual(wires.slice(65533), [65534, 65535, rollover, rollover + 1], what);
    assert.ok(received.length === data.length && received.every((b, i) => b === data[i]), what);
    if (rxEnd?.type === "complete") assert.equal(rxEnd.stats.blocks, 65537, what);
  }
});

Deno.test("a window larger than half the block cycle is capped; a very late ACK is stale", () => {
  const tx = serverSender(new Uint8Array(8 * 40000), { blksize: 8, windowsize: 65535 }, {
    timeoutMs: 1000,
    initialCwnd: 65535,
  });
  assert.equal(sent(tx, CLIENT).length, 32767, "at most 32767 blocks in flight");
  tx.handleDatagram(1, CLIENT, encodeAck(32767));
  assert.equal(sent(tx, CLIENT).length, 40001 - 32767, "the rest, ending with a 0-byte DATA");
  // An ACK from long ago is stale, never taken as tens of thousands of blocks acknowledged.
  tx.handleDatagram(2, CLIENT, encodeAck(90));
  assert.deepEqual(sent(tx, CLIENT), []);
  tx.handleDatagram(3, CLIENT, encodeAck(40001));
  const done = lastEvent(takeEvents(tx));
  assert.ok(done?.type === "complete");
  assert.equal(done.stats.blocks, 40001);
  assert.equal(done.stats.bytes, 8 * 40000);
});

Deno.test("resuming inside a window re-sends old blocks: the next ACK is no RTT sample (Karn)", () => {
  const fixed = { congestionControl: false }; // whole windows: 3..6 go at once
  const tx = serverSender(new Uint8Array(8 * 8), { blksize: 8, windowsize: 4 }, fixed);
  drain(tx); // DATA 1..4 at t=0
  tx.handleDatagram(2, CLIENT, encodeAck(2)); // a gap signal: resume at 3 (3 and 4 again)
  assert.deepEqual(sent(tx, CLIENT), ["DATA 3 (8)", "DATA 4 (8)", "DATA 5 (8)", "DATA 6 (8)"]);
  const before = tx.pollTimeout()!;
  // A late ACK 6 at t=900 must not be taken as a 898 ms round trip: RTO keeps its value.
  tx.handleDatagram(900, CLIENT, encodeAck(6));
  drain(tx);
  assert.equal(tx.pollTimeout()! - 900, before - 2, "same RTO as before the retransmission");
});

// Congestion control (congestion.ts): bursts of cwnd blocks, paced 1 ms apart inside a window.

Deno.test("congestion: clean rounds grow cwnd by slow start up to the windowsize, paced bursts", () => {
  const tx = serverSender(new Uint8Array(8 * 100), { blksize: 8, windowsize: 16 }, {
    timeoutMs: 1000,
    initialCwnd: 4,
  });
  const blocks = () => drain(tx).map((t) => (t.bytes[2] << 8) | t.bytes[3]);
  assert.deepEqual(blocks(), [1, 2, 3, 4]);
  assert.equal(tx.pollTimeout(), 1, "the next burst of the window waits 1 ms");
  tx.handleTimeout(1);
  assert.deepEqual(blocks(), [5, 6, 7, 8]);
  tx.handleTimeout(2);
  tx.handleTimeout(3);
  assert.deepEqual(blocks(), [9, 10, 11, 12, 13, 14, 15, 16]);
  assert.equal(
    tx.pollTimeout(),
    1003,
    "window sent: the retransmit timer runs from the last burst",
  );
  tx.handleDatagram(4, CLIENT, encodeAck(16));
  assert.deepEqual(blocks(), [17, 18, 19, 20, 21, 22, 23, 24], "cwnd 4 -> 8");
  assert.equal(tx.pollTimeout(), 5);
  tx.handleTimeout(5);
  assert.deepEqual(blocks(), [25, 26, 27, 28, 29, 30, 31, 32]);
  tx.handleDatagram(6, CLIENT, encodeAck(32));
  assert.deepEqual(blocks().length, 16, "cwnd 8 -> 16: the whole window at once");
  assert.equal(tx.pollTimeout(), 1006, "no pacing deadline");
  tx.handleDatagram(7, CLIENT, encodeAck(48));
  assert.deepEqual(tx.congestion, {
    cwnd: 16,
    ssthresh: 16,
    peakCwnd: 16,
    cleanRounds: 3,
    fastRecoveries: 0,
    timeouts: 0,
  });
});

Deno.test("congestion: a gap ACK resends from the block after it at once and halves cwnd", () => {
  const tx = serverSender(new Uint8Array(8 * 100), { blksize: 8, windowsize: 16 }, {
    timeoutMs: 1000,
    initialCwnd: 16,
  });
  assert.equal(drain(tx).length, 16);
  tx.handleDatagram(1, CLIENT, encodeAck(10)); // 11 was lost: the receiver ACKs what it has
  assert.deepEqual(
    drain(tx).map((t) => t.bytes[3]),
    [11, 12, 13, 14, 15, 16, 17, 18],
    "resent at once, 8 blocks: cwnd halved",
  );
  assert.equal(tx.pollTimeout(), 2);
  tx.handleTimeout(2);
  assert.deepEqual(drain(tx).map((t) => t.bytes[3]), [19, 20, 21, 22, 23, 24, 25, 26]);
  const retransmitsBefore = 6; // 11..16
  tx.handleDatagram(3, CLIENT, encodeAck(26));
  assert.equal(drain(tx).length, 9, "above ssthresh: one more block per clean round");
  assert.deepEqual(tx.congestion, {
    cwnd: 9,
    ssthresh: 8,
    peakCwnd: 16,
    cleanRounds: 1,
    fastRecoveries: 1,
    timeouts: 0,
  });
  // A duplicate ACK: nothing sent, no deadline moved, the window unchanged.
  const deadline = tx.pollTimeout();
  tx.handleDatagram(4, CLIENT, encodeAck(26));
  assert.deepEqual(sent(tx, CLIENT), []);
  assert.equal(tx.pollTimeout(), deadline);
  assert.equal(tx.congestion.cwnd, 9);
  assert.equal(tx.congestion.fastRecoveries, 1);
  tx.abort(5, new TftpAbortError("done"));
  const failed = lastEvent(takeEvents(tx));
  assert.ok(failed?.type === "failed");
  assert.equal(failed.stats.retransmits, retransmitsBefore);
  assert.equal(failed.stats.duplicates, 1);
});

Deno.test("congestion: a timeout resends from one block; pacing keeps the backoff, a dead peer still fails", () => {
  const tx = serverSender(new Uint8Array(8 * 100), { blksize: 8, windowsize: 4 }, {
    timeoutMs: 1000,
    retries: 2,
  });
  assert.equal(drain(tx).length, 4);
  const log: string[] = [];
  for (let i = 0; i < 100 && !tx.isClosed; i++) {
    const at = tx.pollTimeout()!;
    tx.handleTimeout(at);
    const blocks = drain(tx).map((t) => describePacket(t.bytes)).join(", ");
    log.push(`${at}: ${blocks}`);
  }
  assert.deepEqual(log, [
    "1000: DATA 1 (8)", // cwnd 1; backoff: the timer now runs 2000 ms
    "1001: DATA 2 (8)",
    "1002: DATA 3 (8)",
    "1003: DATA 4 (8)", // the last burst restarts the timer: 1003 + 2000
    "3003: DATA 1 (8)",
    "3004: DATA 2 (8)",
    "3005: DATA 3 (8)",
    "3006: DATA 4 (8)", // 3006 + 4000
    "7006: ERROR 0",
  ]);
  assert.deepEqual(events(tx).slice(-1), ["failed TftpTimeoutError 0"]);
  assert.equal(tx.congestion.cwnd, 1);
  assert.equal(tx.congestion.timeouts, 2);
});

Deno.test("congestion: windowsize 1 stays lock-step, with no pacing deadline", () => {
  const tx = serverSender(new Prng(2).bytes(1500));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  assert.equal(tx.pollTimeout(), 1000);
  tx.handleTimeout(1000);
  assert.deepEqual(sent(tx, CLIENT), ["DATA 1 (512)"]);
  assert.equal(tx.pollTimeout(), 3000);
  tx.handleDatagram(1001, CLIENT, encodeAck(1));
  assert.deepEqual(sent(tx, CLIENT), ["DATA 2 (512)"]);
  assert.equal(tx.pollTimeout(), 2001);
  assert.deepEqual(tx.congestion, {
    cwnd: 1,
    ssthresh: 1,
    peakCwnd: 1,
    cleanRounds: 1,
    fastRecoveries: 0,
    timeouts: 1,
  });
});

Deno.test("congestion: the first burst is 64 KiB of blocks by default; bad settings are RangeErrors", () => {
  const first = (blksize: number, windowsize: number) =>
    drain(serverSender(new Uint8Array(blksize * 200), { blksize, windowsize })).length;
  assert.equal(first(8192, 64), 8);
  assert.equal(first(1468, 64), 44);
  assert.equal(first(65464, 16), 1);
  assert.equal(first(512, 64), 64);
  assert.throws(() => serverSender(new Uint8Array(1), LOCKSTEP, { paceMs: -1 }), {
    name: "RangeError",
    message: "paceMs must be a finite number >= 0, got -1",
  });
  assert.throws(() => serverSender(new Uint8Array(1), LOCKSTEP, { initialCwnd: 0 }), {
    name: "RangeError",
    message: "initialCwnd must be an integer >= 1, got 0",
  });
});

Deno.test("acknowledged packets carry later blocks: no new array per block, bytes exact", () => {
  const data = new Prng(3).bytes(512 * 9 + 100);
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 512, windowsize: 4 } });
  const arrays = new Set<ArrayBufferLike>();
  const payloads: Uint8Array[] = [];
  let offered = 0;
  for (let round = 0; round < 10 && !tx.isClosed; round++) {
    while (tx.wantsData) {
      if (offered >= data.length) tx.finish(round);
      else tx.offer(round, data.subarray(offered, offered += 700));
    }
    let last = 0;
    for (const t of drain(tx)) {
      arrays.add(t.bytes.buffer);
      payloads.push(t.bytes.slice(4)); // copied: the array is reused once acknowledged
      last = (t.bytes[2] << 8) | t.bytes[3];
    }
    tx.handleDatagram(round, CLIENT, encodeAck(last));
  }
  assert.ok(tx.isClosed);
  assert.deepEqual(concatBytes(payloads), data);
  // 10 blocks through a window of 4: four full-size arrays (plus a partial's and the final
  // short one), not one per block.
  assert.ok(arrays.size <= 6, `${arrays.size} arrays for 10 blocks`);
});
