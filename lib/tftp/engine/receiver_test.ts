import assert from "node:assert/strict";
import { TftpAbortError, TftpProtocolError, TftpRemoteError, TftpTimeoutError } from "../errors.ts";
import { OPCODE } from "../packet/constants.ts";
import { decodePacket } from "../packet/decode.ts";
import { encodeAck, encodeData, encodeError, encodePacket } from "../packet/encode.ts";
import type { NegotiatedOptions } from "../packet/options.ts";
import type { TftpOptions } from "../packet/packet.ts";
import { concatBytes } from "../../bytes.ts";
import { Prng } from "../../sim/prng.ts";
import {
  CLIENT,
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
import type { TransferConfig } from "./transfer.ts";
import type { TransferEvent } from "./types.ts";

/** A server-side receiver (WRQ) answering with ACK 0 or the given OACK. */
function serverReceiver(
  options: NegotiatedOptions = LOCKSTEP,
  config: TransferConfig = { timeoutMs: 1000 },
  oack?: TftpOptions,
): Receiver {
  const bytes = oack ? encodePacket({ opcode: OPCODE.OACK, options: oack }) : undefined;
  return new Receiver(0, { peer: CLIENT, options, oack: bytes }, config);
}

/** A client download (RRQ for `f`, octet) asking for `options`. */
function clientReceiver(options: TftpOptions, config: TransferConfig = { timeoutMs: 1000 }) {
  return new Receiver(0, {
    server: SERVER_PORT,
    request: { opcode: OPCODE.RRQ, filename: "f", mode: "octet", options },
  }, config);
}

function block(n: number, size: number, fill = n): Uint8Array {
  return encodeData(n, new Uint8Array(size).fill(fill));
}

/** Data events joined, and the non-data event types. */
function split(list: TransferEvent[]): { bytes: Uint8Array; other: string[] } {
  const parts: Uint8Array[] = [];
  const other: string[] = [];
  for (const e of list) {
    if (e.type === "data") parts.push(e.data);
    else other.push(e.type);
  }
  return { bytes: concatBytes(parts), other };
}

const TERMINATION: [number, number][] = [
  [512, 0],
  [512, 1],
  [512, 511],
  [512, 512],
  [512, 513],
  [512, 1024],
  [8, 16],
  [8, 15],
];

Deno.test("exact termination: complete only on the short DATA (0 bytes after an exact multiple)", () => {
  for (const [blksize, size] of TERMINATION) {
    const what = `blksize ${blksize}, ${size} bytes`;
    const data = new Prng(size + 1).bytes(size);
    const rx = serverReceiver({ blksize, windowsize: 1 });
    assert.deepEqual(sent(rx, CLIENT), ["ACK 0"], what);
    const blocks = Math.floor(size / blksize) + 1;
    const list: TransferEvent[] = [];
    for (let n = 1; n <= blocks; n++) {
      assert.ok(!list.some((e) => e.type === "complete"), `${what}: not complete before ${n}`);
      const payload = data.subarray((n - 1) * blksize, n * blksize);
      rx.handleDatagram(n, CLIENT, encodeData(n, payload));
      assert.deepEqual(sent(rx, CLIENT), [`ACK ${n}`], what);
      list.push(...takeEvents(rx));
    }
    const { bytes, other } = split(list);
    assert.deepEqual(bytes, data, what);
    assert.deepEqual(other, ["negotiated", "complete"], what);
    const done = list[list.length - 1];
    assert.ok(done.type === "complete");
    assert.equal(done.stats.blocks, blocks, what);
    assert.equal(done.stats.bytes, size, what);
  }
});

Deno.test("duplicate DATA is acknowledged again but delivered once", () => {
  const rx = serverReceiver();
  drain(rx);
  rx.handleDatagram(1, CLIENT, block(1, 512));
  const [ack1] = drain(rx);
  rx.handleDatagram(2, CLIENT, block(1, 512)); // our ACK 1 was lost; the sender timed out
  const [again] = drain(rx);
  assert.deepEqual(again.bytes, ack1.bytes);
  rx.handleDatagram(3, CLIENT, block(2, 10));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 2"]);
  assert.deepEqual(events(rx), ["negotiated 512/1", "data 512", "data 10", "complete"]);
});

Deno.test("a DATA larger than blksize is ERROR 4", () => {
  const rx = serverReceiver({ blksize: 8, windowsize: 1 });
  drain(rx);
  rx.handleDatagram(1, CLIENT, block(1, 9));
  assert.deepEqual(sent(rx, CLIENT), ["ERROR 4"]);
  assert.deepEqual(events(rx), ["negotiated 8/1", "failed TftpProtocolError 4"]);
});

Deno.test("receiveBytes: any DATA while requesting, then 4 + blksize + 1, at least 2048", () => {
  const rx = clientReceiver({ blksize: "8192" });
  assert.equal(rx.receiveBytes, 4 + 65464 + 1); // the server's first answer may be any DATA
  rx.handleDatagram(
    1,
    SERVER_TID,
    encodePacket({ opcode: OPCODE.OACK, options: { blksize: "8192" } }),
  );
  assert.equal(rx.receiveBytes, 4 + 8192 + 1); // one more byte shows an oversized DATA
  assert.equal(serverReceiver({ blksize: 512, windowsize: 1 }).receiveBytes, 2048);
  assert.equal(serverReceiver({ blksize: 65464, windowsize: 1 }).receiveBytes, 65469);
});

Deno.test("lost final ACK: the receiver dallies, re-sends it for a repeated final DATA, then closes", () => {
  const rx = serverReceiver(LOCKSTEP, { timeoutMs: 1000, dallyMs: 5000 });
  drain(rx);
  rx.handleDatagram(10, CLIENT, block(1, 100));
  const [finalAck] = drain(rx);
  assert.equal(finalAck.bytes.join(), "0,4,0,1");
  assert.deepEqual(events(rx), ["negotiated 512/1", "data 100", "complete"]);
  assert.equal(rx.isClosed, false, "still dallying");
  assert.equal(rx.pollTimeout(), 5010);

  rx.handleTimeout(1010); // no retransmission while dallying
  assert.deepEqual(drain(rx), []);
  rx.handleDatagram(1010, CLIENT, block(1, 100)); // the sender never saw our ACK 1
  const [again] = drain(rx);
  assert.deepEqual(again.bytes, finalAck.bytes);
  assert.equal(rx.pollTimeout(), 6010, "each repeat starts the dally period again");
  rx.handleDatagram(1011, CLIENT, block(7, 100)); // anything else is ignored
  assert.deepEqual(drain(rx), []);
  rx.handleDatagram(1012, STRANGER, encodeAck(1)); // strangers still get ERROR 5
  assert.deepEqual(sent(rx, CLIENT), ["ERROR 5 -> 127.0.0.1:9999"]);
  assert.deepEqual(events(rx), [], "no second complete");

  rx.handleTimeout(6009);
  assert.equal(rx.isClosed, false);
  rx.handleTimeout(6010);
  assert.equal(rx.isClosed, true);
  assert.equal(rx.pollTimeout(), undefined);
  rx.handleDatagram(6020, CLIENT, block(1, 100));
  assert.deepEqual(drain(rx), [], "closed: silent");
});

Deno.test("the default dally period: one fixed timeout, else 4 x RTO within minDallyMs..1000 ms", () => {
  const fixed = serverReceiver(LOCKSTEP, { timeoutMs: 3000 });
  drain(fixed);
  fixed.handleDatagram(10, CLIENT, block(1, 0));
  assert.equal(fixed.pollTimeout(), 3010, "one fixed timeout");
  const slow = serverReceiver(LOCKSTEP, {});
  drain(slow);
  slow.handleDatagram(900, CLIENT, block(1, 0)); // a 900 ms sample: RTO 2700 ms
  assert.equal(slow.pollTimeout(), 1900, "4 x 2700 ms, capped at 1000 ms");
  const fast = serverReceiver(LOCKSTEP, {});
  drain(fast);
  fast.handleDatagram(1, CLIENT, block(1, 512));
  fast.handleDatagram(2, CLIENT, block(2, 0)); // RTT samples of 1 ms: RTO at its 50 ms floor
  assert.equal(fast.pollTimeout(), 202, "4 x 50 ms floor = 200 ms");
  const floored = serverReceiver(LOCKSTEP, { minDallyMs: 1000 }); // what serveTftp uses
  drain(floored);
  floored.handleDatagram(1, CLIENT, block(1, 512));
  floored.handleDatagram(2, CLIENT, block(2, 0));
  assert.equal(floored.pollTimeout(), 1002, "at least minDallyMs");
  const longer = serverReceiver(LOCKSTEP, { minDallyMs: 3000 });
  drain(longer);
  longer.handleDatagram(900, CLIENT, block(1, 0));
  assert.equal(longer.pollTimeout(), 3900, "a floor above 1000 ms raises the cap too");
});

Deno.test("stray TID: ERROR 5 to the stranger, never to its ERROR; the transfer completes", () => {
  const rx = serverReceiver();
  drain(rx);
  rx.handleDatagram(1, STRANGER, block(1, 512));
  assert.deepEqual(sent(rx, CLIENT), ["ERROR 5 -> 127.0.0.1:9999"]);
  rx.handleDatagram(2, STRANGER, encodeError(5, "Unknown transfer ID"));
  assert.deepEqual(sent(rx, CLIENT), []);
  assert.deepEqual(events(rx), ["negotiated 512/1"], "nothing delivered from the stranger");
  rx.handleDatagram(3, CLIENT, block(1, 512));
  rx.handleDatagram(4, CLIENT, block(2, 1));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 1", "ACK 2"]);
  const list = takeEvents(rx);
  assert.deepEqual(list.map((e) => e.type), ["data", "data", "complete"]);
  const done = list[2];
  if (done.type === "complete") assert.equal(done.stats.strangers, 2);
});

Deno.test("receiver timeout: the last ACK again, identical, with backoff, then failure", () => {
  const rx = serverReceiver(LOCKSTEP, {
    initialRtoMs: 1000,
    maxRtoMs: 4000,
    retries: 2,
    giveUpMs: 0,
  });
  drain(rx);
  rx.handleDatagram(0, CLIENT, block(1, 512));
  const [ack1] = drain(rx);
  const deadlines: number[] = [];
  for (let i = 0; i < 10 && !rx.isClosed; i++) {
    const deadline = rx.pollTimeout()!;
    deadlines.push(deadline);
    rx.handleTimeout(deadline);
    const out = drain(rx);
    if (!rx.isClosed) assert.deepEqual(out.map((t) => t.bytes), [ack1.bytes]);
    else assert.deepEqual(out.map((t) => decodePacket(t.bytes).opcode), [OPCODE.ERROR]);
  }
  // The RTT sample of 0 ms set the timeout to minRtoMs (50).
  assert.deepEqual(deadlines, [50, 150, 350]);
  const failed = takeEvents(rx).find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed");
  assert.ok(failed.error instanceof TftpTimeoutError);
  assert.equal(failed.error.attempts, 3);
  assert.match(failed.error.message, /after 3 attempts while waiting for DATA 2$/);
});

Deno.test("malformed datagram from the peer: ERROR 4 and failed; abort(): ERROR 0", () => {
  const rx = serverReceiver();
  drain(rx);
  rx.handleDatagram(1, CLIENT, new Uint8Array([0, 3, 0])); // 3 bytes
  assert.deepEqual(sent(rx, CLIENT), ["ERROR 4"]);
  assert.deepEqual(events(rx), ["negotiated 512/1", "failed TftpProtocolError 4"]);
  assert.ok(rx.isClosed);

  const wrong = serverReceiver();
  drain(wrong);
  wrong.handleDatagram(1, CLIENT, encodeAck(1)); // a receiver expects DATA
  assert.deepEqual(sent(wrong, CLIENT), ["ERROR 4"]);

  const aborted = serverReceiver();
  drain(aborted);
  aborted.handleDatagram(1, CLIENT, block(1, 512));
  drain(aborted);
  aborted.abort(2, new TftpAbortError("Disk full"));
  assert.deepEqual(sent(aborted, CLIENT), ["ERROR 0"]);
  assert.deepEqual(events(aborted), ["negotiated 512/1", "data 512", "failed TftpAbortError 0"]);
  assert.ok(aborted.isClosed);
  assert.equal(aborted.pollTimeout(), undefined);

  const remote = serverReceiver();
  drain(remote);
  remote.handleDatagram(1, CLIENT, encodeError(3, "Disk full or allocation exceeded"));
  assert.deepEqual(sent(remote, CLIENT), [], "an ERROR is never answered");
  assert.deepEqual(events(remote), ["negotiated 512/1", "failed TftpRemoteError 3"]);
});

Deno.test("client: RRQ answered by OACK -> ACK 0; repeated OACK -> ACK 0 again; then data", () => {
  const rx = clientReceiver({ blksize: "1024", tsize: "0" });
  assert.deepEqual(sent(rx, SERVER_PORT), ["RRQ f octet blksize=1024 tsize=0"]);
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "1024", tsize: "2000" } });
  rx.handleDatagram(5, SERVER_TID, oack);
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 0"]);
  const [negotiated] = takeEvents(rx);
  assert.ok(negotiated.type === "negotiated");
  assert.deepEqual(negotiated.options, {
    blksize: 1024,
    windowsize: 1,
    timeoutS: undefined,
    tsize: 2000,
  });
  assert.deepEqual(negotiated.peer, SERVER_TID);
  rx.handleDatagram(6, SERVER_TID, oack); // our ACK 0 was lost
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 0"]);
  rx.handleDatagram(7, SERVER_TID, block(1, 1024));
  rx.handleDatagram(8, SERVER_TID, block(2, 976));
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 1", "ACK 2"]);
  const list = takeEvents(rx);
  assert.deepEqual(list.map((e) => e.type), ["data", "data", "complete"]);
  const done = list[2];
  assert.ok(done.type === "complete");
  assert.equal(done.stats.optionsAcknowledged, true);
  assert.equal(done.stats.bytes, 2000);
  assert.equal(done.stats.duplicates, 1);
});

Deno.test("client: an OACK repeated after DATA 1 (duplicated or delayed) is ignored", () => {
  // Regression: this was answered with ERROR 4 and killed the transfer (found by the sim
  // matrix: get seed=195, windowsize 4, faults on the server-to-client link).
  for (const windowsize of ["1", "4"]) {
    const rx = clientReceiver({ windowsize });
    drain(rx);
    const oack = encodePacket({ opcode: OPCODE.OACK, options: { windowsize } });
    rx.handleDatagram(1, SERVER_TID, oack);
    assert.deepEqual(sent(rx, SERVER_TID), ["ACK 0"], windowsize);
    rx.handleDatagram(2, SERVER_TID, block(1, 512));
    assert.deepEqual(sent(rx, SERVER_TID), windowsize === "1" ? ["ACK 1"] : [], windowsize);
    rx.handleDatagram(3, SERVER_TID, oack);
    assert.deepEqual(sent(rx, SERVER_TID), [], `${windowsize}: nothing, not even ACK 0`);
    rx.handleDatagram(4, SERVER_TID, block(2, 7));
    assert.deepEqual(sent(rx, SERVER_TID), ["ACK 2"], windowsize);
    const list = takeEvents(rx);
    assert.deepEqual(list.map((e) => e.type), ["negotiated", "data", "data", "complete"]);
    const done = list[3];
    assert.ok(done.type === "complete" && done.stats.duplicates === 1, windowsize);
  }
});

Deno.test("client: DATA 1 in answer to options means RFC 1350 (512-byte lock-step)", () => {
  const rx = clientReceiver({ blksize: "1024", windowsize: "8" });
  drain(rx);
  rx.handleDatagram(5, SERVER_TID, block(1, 512));
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 1"]);
  assert.deepEqual(events(rx), ["negotiated 512/1", "data 512"]);
  rx.handleDatagram(6, SERVER_TID, block(2, 0));
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 2"]);
  const [done] = takeEvents(rx).filter((e) => e.type === "complete");
  assert.ok(done?.type === "complete");
  assert.equal(done.stats.optionsAcknowledged, false);
  assert.deepEqual(done.stats.options, { blksize: 512, windowsize: 1 });
});

Deno.test("client: ERROR 8 to an RRQ with options -> the RRQ again without options, once", () => {
  const rx = clientReceiver({ blksize: "1468", tsize: "0" });
  assert.deepEqual(sent(rx, SERVER_PORT), ["RRQ f octet blksize=1468 tsize=0"]);
  rx.handleDatagram(5, SERVER_TID, encodeError(8, "No options here"));
  assert.deepEqual(sent(rx, SERVER_PORT), ["RRQ f octet"], "retried at the request port");
  assert.deepEqual(events(rx), []);
  assert.equal(rx.pollTimeout(), 1005, "the retried request has its own timer");
  rx.handleTimeout(1005);
  assert.deepEqual(sent(rx, SERVER_PORT), ["RRQ f octet"], "the retry is what gets re-sent");
  rx.handleDatagram(3000, SERVER_TID, encodeError(8, "Still no"));
  assert.deepEqual(drain(rx), [], "only once");
  const [failed] = takeEvents(rx);
  assert.ok(failed.type === "failed");
  assert.ok(failed.error instanceof TftpRemoteError);
  assert.equal(failed.error.code, 8);
  assert.ok(rx.isClosed);

  // The usual case: the retry succeeds.
  const ok = clientReceiver({ blksize: "1468" });
  drain(ok);
  ok.handleDatagram(5, SERVER_TID, encodeError(8, ""));
  drain(ok);
  ok.handleDatagram(10, { hostname: "127.0.0.1", port: 40002 }, block(1, 3));
  assert.deepEqual(sent(ok, { hostname: "127.0.0.1", port: 40002 }), ["ACK 1"]);
  assert.deepEqual(events(ok), ["negotiated 512/1", "data 3", "complete"]);

  // Without options, ERROR 8 is just an error.
  const plain = clientReceiver({});
  drain(plain);
  plain.handleDatagram(5, SERVER_TID, encodeError(8, ""));
  assert.deepEqual(drain(plain), []);
  assert.deepEqual(events(plain), ["failed TftpRemoteError 8"]);
});

Deno.test("client: a bad OACK -> ERROR 8 to the server and failed", () => {
  const cases: [TftpOptions, TftpOptions][] = [
    [{ blksize: "1024" }, { blksize: "2048" }],
    [{ blksize: "1024" }, { blksize: "1024", windowsize: "4" }],
    [{ windowsize: "4" }, { windowsize: "8" }],
    [{ timeout: "2" }, { timeout: "3" }],
  ];
  for (const [asked, answered] of cases) {
    const what = `${JSON.stringify(asked)} answered by ${JSON.stringify(answered)}`;
    const rx = clientReceiver(asked);
    drain(rx);
    rx.handleDatagram(5, SERVER_TID, encodePacket({ opcode: OPCODE.OACK, options: answered }));
    assert.deepEqual(sent(rx, SERVER_TID), ["ERROR 8"], what);
    const list = takeEvents(rx);
    assert.deepEqual(list.map((e) => e.type), ["failed"], what);
    const [failed] = list;
    assert.ok(failed.type === "failed" && failed.error instanceof TftpProtocolError, what);
    assert.equal(failed.error.code, 8, what);
    assert.ok(rx.isClosed, what);
  }
});

Deno.test("client: request phase timeouts, strangers and wrong answers", () => {
  const rx = clientReceiver({}, { timeoutMs: 1000, retries: 1, giveUpMs: 0 });
  const [rrq] = drain(rx);
  rx.handleDatagram(5, { hostname: "10.1.1.1", port: 69 }, block(1, 1)); // another host
  assert.deepEqual(sent(rx, SERVER_PORT), ["ERROR 5 -> 10.1.1.1:69"]);
  rx.handleTimeout(1000);
  const [again] = drain(rx);
  assert.deepEqual(again.bytes, rrq.bytes);
  rx.handleTimeout(3000);
  assert.deepEqual(drain(rx), [], "no peer yet, so no ERROR to anyone");
  const [failed] = takeEvents(rx);
  assert.ok(failed.type === "failed" && failed.error instanceof TftpTimeoutError);
  assert.equal(
    failed.error.message,
    "No answer from 127.0.0.1:69 after 2 attempts while waiting for the server's answer",
  );

  const acked = clientReceiver({});
  drain(acked);
  acked.handleDatagram(5, SERVER_TID, encodeAck(0)); // an ACK answers a WRQ, not an RRQ
  assert.deepEqual(sent(acked, SERVER_TID), ["ERROR 4"]);
  assert.deepEqual(events(acked), ["failed TftpProtocolError 4"]);

  const missing = clientReceiver({});
  drain(missing);
  missing.handleDatagram(5, SERVER_TID, encodeError(1, "File not found"));
  assert.deepEqual(drain(missing), []);
  const [notFound] = takeEvents(missing);
  assert.ok(notFound.type === "failed");
  assert.equal(notFound.error.message, "File not found (TFTP error 1)");
});

Deno.test("windowed receiver: one ACK per window, one ACK per gap, one per repeated window", () => {
  const rx = serverReceiver({ blksize: 8, windowsize: 4 }, { timeoutMs: 1000 }, {
    blksize: "8",
    windowsize: "4",
  });
  assert.deepEqual(sent(rx, CLIENT), ["OACK blksize=8 windowsize=4"]);
  const script = (blocks: number[], t: number) => {
    const out: string[] = [];
    for (const n of blocks) {
      rx.handleDatagram(t, CLIENT, block(n, 8));
      out.push(...sent(rx, CLIENT).map((s) => `${s} after DATA ${n}`));
    }
    return out;
  };
  assert.deepEqual(script([1, 2, 3, 4], 1), ["ACK 4 after DATA 4"]);
  // DATA 6 is lost: DATA 7 and 8 arrive out of order, answered by one ACK of block 5.
  assert.deepEqual(script([5, 7, 8], 2), ["ACK 5 after DATA 7"]);
  // The sender resumes after 5.
  assert.deepEqual(script([6, 7, 8, 9], 3), ["ACK 9 after DATA 9"]);
  // ACK 9 was lost: the sender times out and repeats the window 6..9. One ACK answers it.
  assert.deepEqual(script([6, 7, 8, 9], 1004), ["ACK 9 after DATA 9"]);
  rx.handleDatagram(1005, CLIENT, block(10, 3));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 10"]);
  const list = takeEvents(rx);
  const { bytes, other } = split(list);
  assert.deepEqual(other, ["negotiated", "complete"]);
  const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => new Array(8).fill(n));
  assert.deepEqual(bytes, new Uint8Array([...expected, 10, 10, 10]), "each block once, in order");
  const done = list[list.length - 1];
  assert.ok(done.type === "complete");
  assert.equal(done.stats.blocks, 10);
  assert.equal(done.stats.duplicates, 4);
});

Deno.test("windowed client download across the rollover: window 4 spanning 65535 -> 0", () => {
  const rx = clientReceiver({ blksize: "8", windowsize: "4" }, {});
  drain(rx);
  const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: "8", windowsize: "4" } });
  rx.handleDatagram(1, SERVER_TID, oack);
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 0"]);
  let acks = 0;
  for (let n = 1; n <= 65532; n++) {
    rx.handleDatagram(2, SERVER_TID, block(n, 8, n & 0xff));
    acks += drain(rx).length;
    takeEvents(rx); // keep the event queue short
  }
  assert.equal(acks, 65532 / 4);
  const tail: string[] = [];
  for (const wire of [65533, 65534, 65535, 0, 1, 3, 2]) {
    rx.handleDatagram(3, SERVER_TID, block(wire, 8));
    tail.push(...sent(rx, SERVER_TID).map((s) => `${s} after DATA ${wire}`));
  }
  // 0 follows 65535; 3 is ahead of the expected 2 (a gap) and so gets one ACK of 1.
  assert.deepEqual(tail, ["ACK 0 after DATA 0", "ACK 1 after DATA 3"]);
  rx.handleDatagram(4, SERVER_TID, block(3, 1));
  assert.deepEqual(sent(rx, SERVER_TID), ["ACK 3"]);
  const done = takeEvents(rx).find((e) => e.type === "complete");
  assert.ok(done?.type === "complete");
  assert.equal(done.stats.blocks, 65536 + 3);
  assert.equal(done.stats.bytes, (65536 + 2) * 8 + 1);
});

Deno.test("windowed receiver timeout mid-window: ACK what arrived, then the same ACK again", () => {
  const rx = serverReceiver({ blksize: 8, windowsize: 4 }, { timeoutMs: 1000 }, {
    blksize: "8",
    windowsize: "4",
  });
  assert.deepEqual(sent(rx, CLIENT), ["OACK blksize=8 windowsize=4"]);
  rx.handleDatagram(1, CLIENT, block(1, 8));
  rx.handleDatagram(2, CLIENT, block(2, 8));
  assert.deepEqual(sent(rx, CLIENT), [], "no ACK before the window is full");
  // DATA 3 and 4 are lost: the timer fires and the receiver acknowledges block 2.
  assert.equal(rx.pollTimeout(), 2 + 1000);
  rx.handleTimeout(2 + 1000);
  assert.deepEqual(sent(rx, CLIENT), ["ACK 2"]);
  const deadline = rx.pollTimeout()!;
  rx.handleTimeout(deadline);
  assert.deepEqual(sent(rx, CLIENT), ["ACK 2"], "the next expiry repeats the same ACK");
  // The sender resumes at 3; the window now counts from there.
  for (const n of [3, 4, 5]) rx.handleDatagram(deadline + 1, CLIENT, block(n, 8));
  assert.deepEqual(sent(rx, CLIENT), []);
  rx.handleDatagram(deadline + 2, CLIENT, block(6, 8));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 6"]);
});

Deno.test("windowed receiver: only the first DATA after an ACK is a round-trip sample", () => {
  const rx = serverReceiver({ blksize: 8, windowsize: 4 }, {}, { blksize: "8", windowsize: "4" });
  drain(rx); // OACK at t=0 arms the timer
  rx.handleDatagram(100, CLIENT, block(1, 8)); // 100 ms after the OACK: RTO 300
  rx.handleDatagram(101, CLIENT, block(2, 8)); // 1 ms gaps inside the window: no samples
  rx.handleDatagram(102, CLIENT, block(3, 8));
  assert.equal(rx.pollTimeout(), 402);
});

Deno.test("abort while the final ACK is still queued: no complete event, ERROR instead of ACK", () => {
  const rx = serverReceiver();
  drain(rx);
  rx.handleDatagram(1, CLIENT, block(1, 10));
  // The driver handles events first; say committing the file failed:
  const first = [rx.pollEvent()?.type, rx.pollEvent()?.type];
  assert.deepEqual(first, ["negotiated", "data"]);
  rx.abort(2, new TftpProtocolError(3, "Disk full or allocation exceeded"));
  assert.deepEqual(sent(rx, CLIENT), ["ERROR 3"]);
  assert.deepEqual(events(rx), ["failed TftpProtocolError 3"]);
});

Deno.test("abort after the final ACK went out: the transfer stays complete, dallying stops", () => {
  const rx = serverReceiver();
  drain(rx);
  rx.handleDatagram(1, CLIENT, block(1, 10));
  assert.deepEqual(sent(rx, CLIENT), ["ACK 1"]);
  takeEvents(rx);
  rx.abort(2, new TftpProtocolError(0, "Server shutting down"));
  assert.deepEqual(drain(rx), []);
  assert.deepEqual(events(rx), []);
  assert.ok(rx.isClosed);
});
