import assert from "node:assert/strict";
import { encodeAck } from "./packet/encode.ts";
import { decodePacket } from "./packet/decode.ts";
import { OPCODE } from "./packet/constants.ts";
import { Sender } from "./engine/sender.ts";
import { CLIENT, drain } from "./engine/_script.ts";
import { bytesSource, type Source, streamSource } from "./_io.ts";
import { TftpError } from "./errors.ts";
import { SenderFeed } from "./_pump.ts";
import { Prng } from "../sim/prng.ts";
import { concatBytes } from "../bytes.ts";

/** Runs a feed against a sender to the end, ACKing each window; returns the DATA payloads. */
async function sendAll(feed: SenderFeed, tx: Sender, windowsize: number): Promise<Uint8Array> {
  const payloads: Uint8Array[] = [];
  for (let round = 0; round < 10_000 && !tx.isClosed; round++) {
    await feed.feed(tx);
    const packets = drain(tx).map((t) => decodePacket(t.bytes));
    assert.ok(packets.length <= windowsize, `${packets.length} DATA in one window`);
    let last = 0;
    for (const packet of packets) {
      assert.equal(packet.opcode, OPCODE.DATA);
      if (packet.opcode !== OPCODE.DATA) continue;
      payloads.push(packet.data.slice()); // the sender reuses acknowledged packets
      last = packet.block;
    }
    tx.handleDatagram(round + 1, CLIENT, encodeAck(last));
  }
  assert.ok(tx.isClosed);
  return concatBytes(payloads);
}

Deno.test("SenderFeed offers one window at a time from a chunk of any size", async () => {
  const data = new Prng(7).bytes(100 * 1024 + 17);
  const source = streamSource(ReadableStream.from([data]));
  const feed = new SenderFeed(source, "octet");
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 512, windowsize: 4 } });
  await feed.feed(tx);
  assert.equal(feed.bytesRead, data.length); // the whole chunk was read...
  assert.equal(tx.wantedBytes, 0); // ...but the sender holds one window, not 200 blocks
  assert.equal(drain(tx).length, 4);
  tx.handleDatagram(1, CLIENT, encodeAck(4));
  assert.equal(tx.wantedBytes, 4 * 512); // it was given nothing beyond that window
  await feed.feed(tx);
  assert.equal(drain(tx).length, 4);
  tx.handleDatagram(2, CLIENT, encodeAck(8));
  const rest = await sendAll(feed, tx, 4);
  assert.deepEqual(concatBytes([data.subarray(0, 8 * 512), rest]), data);
});

Deno.test("SenderFeed: netascii conversion and small chunks end exactly", async () => {
  const text = new TextEncoder().encode("line one\nline two\r\nend\r".repeat(40));
  const chunks = Array.from(
    { length: Math.ceil(text.length / 7) },
    (_, i) => text.subarray(i * 7, i * 7 + 7),
  );
  const feed = new SenderFeed(streamSource(ReadableStream.from(chunks)), "netascii");
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 8, windowsize: 3 } });
  const wire = await sendAll(feed, tx, 3);
  // RFC 1350 netascii: LF goes out as CR LF, a bare CR as CR NUL.
  const expected = [...text].flatMap((byte) =>
    byte === 10 ? [13, 10] : byte === 13 ? [13, 0] : [byte]
  );
  assert.deepEqual([...wire], expected);
  assert.equal(feed.bytesRead, text.length);
});

Deno.test("SenderFeed: an exact multiple of blksize ends with an empty DATA", async () => {
  const data = new Prng(3).bytes(4 * 512);
  const feed = new SenderFeed(bytesSource(data), "octet");
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 512, windowsize: 2 } });
  assert.deepEqual(await sendAll(feed, tx, 2), data);
  assert.equal(tx.bytesAcknowledged, data.length);
});

Deno.test("SenderFeed: a source that fails mid-way rejects and never ends the transfer", async () => {
  const failure = new TftpError(
    0,
    "File changed while being read: it ended after 1000 of 5000 bytes",
  );
  let reads = 0;
  const source: Source = {
    size: 5000,
    read: () => reads++ === 0 ? Promise.resolve(new Uint8Array(1000)) : Promise.reject(failure),
    close: () => Promise.resolve(),
  };
  const feed = new SenderFeed(source, "octet");
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 512, windowsize: 4 } });
  await assert.rejects(async () => await feed.feed(tx), (error) => error === failure);
  // Only the one full block went out: no short DATA that the client would take for the end.
  assert.deepEqual(drain(tx).map((t) => t.bytes.length), [516]);
  assert.equal(tx.isClosed, false);
  assert.equal(feed.bytesRead, 1000);
});

Deno.test("feed: done at once (no promise) while the chunk in hand covers the window", async () => {
  let reads = 0;
  const source: Source = {
    size: 2048,
    read: () => Promise.resolve(reads++ === 0 ? new Uint8Array(2048) : null),
    close: () => Promise.resolve(),
  };
  const feed = new SenderFeed(source, "octet");
  const tx = new Sender(0, { peer: CLIENT, options: { blksize: 512, windowsize: 1 } });
  const first = feed.feed(tx);
  assert.ok(first instanceof Promise, "the first block needs a read");
  await first;
  assert.equal(drain(tx).length, 1);
  tx.handleDatagram(1, CLIENT, encodeAck(1));
  assert.equal(feed.feed(tx), undefined, "block 2 comes from the chunk in hand");
  assert.equal(drain(tx).length, 1);
  assert.equal(reads, 1);
});
