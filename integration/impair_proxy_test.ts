// The fault-injecting proxy (lib/udp/impair.ts) with raw sockets on both sides: delays keep
// their order, reordered datagrams are overtaken, nothing else waits for them, every
// decision is counted per direction, and the capture hook sees both legs with real ports.
// Run with: deno test --allow-all integration/impair_proxy_test.ts
import assert from "node:assert/strict";
import { encodeAck, encodeData } from "../lib/tftp/packet/encode.ts";
import { OPCODE } from "../lib/tftp/packet/constants.ts";
import { decodePacket } from "../lib/tftp/packet/decode.ts";
import { type ImpairAction, type ImpairCapture, startImpairProxy } from "../lib/udp/impair.ts";
import { RawPeer } from "./_fixture.ts";

const WAIT_MS = 3000;

/** The block numbers of the next `count` ACKs `peer` receives; `senders` gets their sources. */
async function acks(peer: RawPeer, count: number, senders: number[] = []): Promise<number[]> {
  const blocks: number[] = [];
  for (let i = 0; i < count; i++) {
    const got = await peer.expect((p) => p.opcode === OPCODE.ACK, WAIT_MS, `ACK #${i}`);
    if (got.packet.opcode === OPCODE.ACK) blocks.push(got.packet.block);
    senders.push(got.from.port);
  }
  return blocks;
}

Deno.test("impair proxy: in-order delays, reordering, duplicates, counts and both legs", async () => {
  await using server = new RawPeer();
  await using transfer = new RawPeer(); // the server's new TID for the transfer
  await using client = new RawPeer();
  // Upstream ACK n: what happens to it; anything else passes.
  const plan: Record<number, ImpairAction> = {
    1: { delayMs: 60 },
    2: { delayMs: 0 }, // in order: waits for ACK 1
    3: { delayMs: 60, reorder: true },
    4: { delayMs: 0 }, // overtakes ACK 3
    5: { delayMs: 60 },
    6: "pass", // not blocked by ACK 5
    7: { delayMs: 10, duplicate: true },
    8: "drop",
    9: "duplicate",
  };
  const captures: ImpairCapture[] = [];
  await using proxy = startImpairProxy({
    target: { hostname: "127.0.0.1", port: server.port },
    rule: ({ direction, bytes }) => {
      const packet = decodePacket(bytes);
      if (direction === "up" && packet.opcode === OPCODE.ACK) return plan[packet.block] ?? "pass";
      return "pass";
    },
    onDatagram: (capture) => captures.push({ ...capture, bytes: capture.bytes.slice() }),
  });
  const front = proxy.addr.port;

  const started = performance.now();
  await client.send(encodeAck(1), front);
  await client.send(encodeAck(2), front);
  const senders: number[] = [];
  assert.deepEqual(await acks(server, 2, senders), [1, 2]);
  const upstream = senders[0];
  assert.deepEqual(senders, [upstream, upstream], "one upstream socket per client");
  assert.ok(performance.now() - started >= 55, "ACK 2 waited for ACK 1's delay");
  await client.send(encodeAck(3), front);
  await client.send(encodeAck(4), front);
  assert.deepEqual(await acks(server, 2), [4, 3]);
  await client.send(encodeAck(5), front);
  await client.send(encodeAck(6), front);
  assert.deepEqual(await acks(server, 2), [6, 5]);
  await client.send(encodeAck(7), front);
  await client.send(encodeAck(8), front);
  await client.send(encodeAck(9), front);
  assert.deepEqual((await acks(server, 4)).sort(), [7, 7, 9, 9]);
  assert.equal(await server.receive(100), undefined, "ACK 8 was dropped");

  // The server answers from a new port; the client sees that port, the server its own.
  await transfer.send(encodeData(1, new Uint8Array([42])), upstream);
  const data = await client.expect((p) => p.opcode === OPCODE.DATA, WAIT_MS, "DATA 1");
  const facing = data.from.port;
  assert.notEqual(facing, front);
  await client.send(encodeAck(10), facing);
  assert.deepEqual(await acks(transfer, 1), [10]);

  assert.deepEqual(proxy.actions, {
    up: { pass: 2, drop: 1, duplicate: 2, delay: 4, reorder: 1 }, // ACK 6 and 10 pass
    down: { pass: 1, drop: 0, duplicate: 0, delay: 0, reorder: 0 },
  });
  assert.deepEqual(
    [proxy.counts.up, proxy.counts.down, proxy.counts.sent, proxy.counts.errors],
    [10, 1, 12, 0],
  );

  // Every datagram on both legs, with the real addresses: 11 received, 12 sent.
  const legs = captures.map((c) => `${c.leg} ${c.direction} ${c.from.port}>${c.to.port}`);
  assert.equal(captures.filter((c) => c.leg === "in").length, 11);
  assert.equal(captures.filter((c) => c.leg === "out").length, 12);
  assert.ok(
    captures.every((c) => c.from.hostname === "127.0.0.1" && c.to.hostname === "127.0.0.1"),
  );
  assert.ok(captures.every((c) => c.timeMs > 1.6e12), "wall-clock times");
  assert.ok(legs.includes(`in up ${client.port}>${front}`));
  assert.ok(legs.includes(`out up ${upstream}>${server.port}`));
  assert.ok(legs.includes(`in down ${transfer.port}>${upstream}`));
  assert.ok(legs.includes(`out down ${facing}>${client.port}`));
  assert.ok(legs.includes(`in up ${client.port}>${facing}`));
  assert.ok(legs.includes(`out up ${upstream}>${transfer.port}`));
  assert.equal(legs.filter((l) => l.startsWith("out down")).length, 1);
});

Deno.test("impair proxy: close cancels held-back datagrams", async () => {
  await using server = new RawPeer();
  await using client = new RawPeer();
  const proxy = startImpairProxy({
    target: { hostname: "127.0.0.1", port: server.port },
    rule: () => ({ delayMs: 10_000 }),
  });
  await client.send(encodeAck(1), proxy.addr.port);
  for (let i = 0; i < 100 && proxy.counts.delay === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(proxy.counts.delay, 1);
  await proxy.close(); // the sanitizers fail the test if the 10 s timer were left running
  assert.equal(proxy.counts.sent, 0);
});

Deno.test("impair proxy: a rule that throws or answers nonsense loses the datagram", async () => {
  await using server = new RawPeer();
  await using client = new RawPeer();
  const answers: unknown[] = [{ delayMs: -1 }, { delayMs: NaN }, "bogus", null, "pass"];
  let call = 0;
  await using proxy = startImpairProxy({
    target: { hostname: "127.0.0.1", port: server.port },
    rule: () => {
      if (call === answers.length) throw new Error("broken rule");
      return answers[call++] as ImpairAction;
    },
  });
  for (let block = 1; block <= answers.length + 1; block++) {
    await client.send(encodeAck(block), proxy.addr.port);
  }
  assert.deepEqual(await acks(server, 1), [5], "only the datagram the rule let pass");
  assert.equal(await server.receive(100), undefined);
  assert.deepEqual([proxy.counts.drop, proxy.counts.pass, proxy.counts.errors], [5, 1, 5]);
});
