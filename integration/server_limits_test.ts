// The server's limits with real sockets: per-address and total transfer caps, the request
// rate, the budget of transfers to addresses that never answer (spoofed requests), the upload
// size cap, and the graceful shutdown.
// Run with: deno test --allow-all integration/server_limits_test.ts
import assert from "node:assert/strict";
import { ERROR_CODE, OPCODE, type Packet, tftpGet, tftpPut } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import {
  content,
  exists,
  isRemote,
  openFixture,
  partFiles,
  RawPeer,
  request,
  within,
} from "./_fixture.ts";

const isError = (code: number) => (p: Packet) => p.opcode === OPCODE.ERROR && p.code === code;

/** Every datagram `peer` receives within `ms` (bounded count). */
async function collect(peer: RawPeer, ms: number): Promise<Packet[]> {
  const until = performance.now() + ms;
  const got: Packet[] = [];
  for (let i = 0; i < 10_000; i++) {
    const left = until - performance.now();
    const one = left > 0 ? await peer.receive(left) : undefined;
    if (!one) break;
    got.push(one.packet);
  }
  return got;
}

Deno.test("per-address cap: the request over it gets ERROR 0; another address is served", async () => {
  await using fx = await openFixture({ maxTransfersPerClient: 2, hostname: "::" });
  await Deno.writeFile(`${fx.root}/f.bin`, content(5000));
  const port = fx.server.addr.port;
  await using a = new RawPeer();
  await using b = new RawPeer();
  await using c = new RawPeer();
  await a.send(request(OPCODE.RRQ, "f.bin"), port);
  await a.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1 to a");
  await b.send(request(OPCODE.RRQ, "f.bin"), port);
  await b.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1 to b");
  await c.send(request(OPCODE.RRQ, "f.bin"), port);
  const refused = await c.expect(isError(0), 2000, "ERROR 0 to c");
  assert.deepEqual(refused.packet, {
    opcode: OPCODE.ERROR,
    code: 0,
    message: "Too many transfers from your address (2 at once)",
  });
  // ::1 is another address: it has its own allowance.
  const got = await tftpGet(`tftp://[::1]:${port}/f.bin`, `${fx.local}/f.bin`, { dallyMs: 0 });
  assert.equal(got.bytes, 5000);
  const log = fx.records.find((r) => r.status === "refused");
  assert.equal(log?.error?.message, "Too many transfers from your address (2 at once)");
});

Deno.test("total cap: a full server evicts a transfer whose client never answered", async () => {
  await using fx = await openFixture({ maxTransfers: 2, unansweredRetries: 100 });
  await Deno.writeFile(`${fx.root}/f.bin`, content(200_000));
  const port = fx.server.addr.port;
  await using silent1 = new RawPeer();
  await using silent2 = new RawPeer();
  await silent1.send(request(OPCODE.RRQ, "f.bin"), port);
  await silent2.send(request(OPCODE.RRQ, "f.bin"), port);
  await silent1.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1");
  await silent2.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1");
  // Two silent clients hold both slots; a real client still gets its file.
  const got = await tftpGet(fx.url("f.bin"), `${fx.local}/a.bin`, { dallyMs: 0 });
  assert.equal(got.bytes, 200_000);
  const evictedMessage = "Server busy: the client never answered";
  const isEvicted = (p: Packet) => p.opcode === OPCODE.ERROR && p.message === evictedMessage;
  const [heard1, heard2] = await Promise.all([collect(silent1, 300), collect(silent2, 300)]);
  const evicted = [heard1.some(isEvicted), heard2.some(isEvicted)];
  assert.equal(evicted.filter(Boolean).length, 1, "exactly one silent client gave way");
  const other = evicted[0] ? silent2 : silent1;
  // Clients that answered keep their slots: the request over the cap gets ERROR 0.
  await using real1 = new RawPeer();
  await using real2 = new RawPeer();
  for (const real of [real1, real2]) {
    await real.send(request(OPCODE.RRQ, "f.bin"), port);
    const first = await real.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1");
    await real.send({ opcode: OPCODE.ACK, block: 1 }, first.from.port);
    await real.expect((p) => p.opcode === OPCODE.DATA && p.block === 2, 2000, "DATA 2");
  }
  await other.expect(isEvicted, 2000, "ERROR 0 to the other silent client");
  await using late = new RawPeer();
  await late.send(request(OPCODE.RRQ, "f.bin"), port);
  const busy = await late.expect(isError(0), 2000, "ERROR 0 to the late client");
  assert.equal(
    (busy.packet as { message: string }).message,
    "Server busy: 2 transfers running, try again later",
  );
});

Deno.test("request rate: a burst of twice the rate is answered, the rest dropped in silence", async () => {
  await using fx = await openFixture({ requestsPerSecond: 5 });
  const port = fx.server.addr.port;
  const peers = Array.from({ length: 30 }, () => new RawPeer());
  try {
    for (const peer of peers) await peer.send(request(OPCODE.RRQ, "missing.bin"), port);
    const answers = await Promise.all(peers.map((peer) => collect(peer, 300)));
    const answered = answers.filter((list) => list.length > 0);
    // Within the test's few hundred ms the bucket refills by at most a couple of tokens.
    assert.ok(answered.length >= 10 && answered.length <= 13, `${answered.length} answered`);
    for (const list of answered) {
      assert.deepEqual(list, [{ opcode: OPCODE.ERROR, code: 1, message: "File not found" }]);
    }
    assert.equal(fx.server.droppedRequests, 30 - answered.length);
  } finally {
    for (const peer of peers) await peer[Symbol.asyncDispose]();
  }
});

Deno.test("spoofed requests: a victim gets the first packet 3 times per transfer, then 1 a second", async () => {
  await using fx = await openFixture({ unansweredBurst: 3, initialRtoMs: 50, minRtoMs: 50 });
  await Deno.writeFile(`${fx.root}/f.bin`, content(100_000));
  const port = fx.server.addr.port;
  // "Spoofed" requests for the victim's address from 10 ports; the victim never answers.
  const victims = Array.from({ length: 10 }, () => new RawPeer());
  try {
    for (const victim of victims) await victim.send(request(OPCODE.RRQ, "f.bin"), port);
    const got = (await Promise.all(victims.map((victim) => collect(victim, 1500)))).flat();
    const data = got.filter((p) => p.opcode === OPCODE.DATA);
    assert.equal(data.length, 3 * 3, "3 transfers x (1 + 2 retransmissions) of DATA 1");
    assert.ok(data.every((p) => p.opcode === OPCODE.DATA && p.block === 1));
    assert.ok(got.every((p) => p.opcode === OPCODE.DATA), "no ERROR is sent to a silent client");
    await within(
      (async () => {
        for (let i = 0; i < 150 && fx.server.activeTransfers > 0; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      4000,
      "the unanswered transfers end",
    );
    assert.equal(fx.server.activeTransfers, 0);
    assert.equal(fx.server.droppedRequests, 7);
    const failed = fx.records.filter((r) => r.status === "failed");
    assert.equal(failed.length, 3);
    for (const record of failed) {
      assert.equal(
        record.error?.message,
        `No answer from 127.0.0.1:${record.peer.port} to the first packet after 3 attempts`,
      );
    }
  } finally {
    for (const victim of victims) await victim[Symbol.asyncDispose]();
  }
});

Deno.test("upload size cap: tsize over it is ERROR 3 at once; an upload growing past it too", async () => {
  await using fx = await openFixture({
    allowCreate: true,
    allowOverwrite: true,
    maxWriteBytes: 10_000,
  });
  await Deno.writeFile(`${fx.local}/big.bin`, content(30_000));
  await Deno.writeFile(`${fx.root}/keep.bin`, content(500, 1));
  await assert.rejects(
    tftpPut(`${fx.local}/big.bin`, fx.url("keep.bin"), { dallyMs: 0 }),
    isRemote(ERROR_CODE.DISK_FULL, "File too large: 30000 bytes, this server takes at most 10000"),
  );
  await assert.rejects(
    tftpPut(`${fx.local}/big.bin`, fx.url("new.bin"), { dallyMs: 0, tsize: false }),
    isRemote(ERROR_CODE.DISK_FULL, "File too large: this server takes at most 10000 bytes"),
  );
  assert.equal(await exists(`${fx.root}/new.bin`), false);
  assert.deepEqual(await partFiles(fx.root), []);
  assert.equal(
    await sha256Hex(await Deno.readFile(`${fx.root}/keep.bin`)),
    await sha256Hex(content(500, 1)),
  );
  await Deno.writeFile(`${fx.local}/ok.bin`, content(10_000));
  await tftpPut(`${fx.local}/ok.bin`, fx.url("ok.bin"), { dallyMs: 0 });
  assert.deepEqual(await Deno.readFile(`${fx.root}/ok.bin`), content(10_000));
});

Deno.test("graceful shutdown: a running transfer finishes within the grace; after it, ERROR 0", async () => {
  await using fx = await openFixture();
  await Deno.writeFile(`${fx.root}/f.bin`, content(3000));
  const port = fx.server.addr.port;
  await using slow = new RawPeer();
  await slow.send(request(OPCODE.RRQ, "f.bin"), port);
  await slow.expect((p) => p.opcode === OPCODE.DATA && p.block === 1, 2000, "DATA 1");
  const stopping = fx.server.shutdown({ graceMs: 3000 });
  // No new request is taken during the grace period.
  await using late = new RawPeer();
  await late.send(request(OPCODE.RRQ, "f.bin"), port).catch(() => {});
  // The running transfer goes on: ACK each block until the short last one.
  let from = 0;
  for (let block = 1; block <= 6; block++) {
    const got = await slow.expect(
      (p) => p.opcode === OPCODE.DATA && p.block === block,
      2000,
      `DATA ${block}`,
    );
    from = got.from.port;
    await slow.send({ opcode: OPCODE.ACK, block }, from);
    if (got.packet.opcode === OPCODE.DATA && got.packet.data.length < 512) break;
  }
  await within(stopping, 2000, "shutdown after the last transfer ended");
  assert.equal(await late.receive(100), undefined, "the late request got no answer");
  assert.equal(fx.records.at(-1)?.status, "complete");
});

Deno.test("graceful shutdown: a transfer still running when the grace ends gets ERROR 0", async () => {
  await using fx = await openFixture();
  await Deno.writeFile(`${fx.root}/f.bin`, content(3000));
  await using stuck = new RawPeer();
  await stuck.send(request(OPCODE.RRQ, "f.bin"), fx.server.addr.port);
  await stuck.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1");
  const started = performance.now();
  await within(fx.server.shutdown({ graceMs: 300 }), 3000, "shutdown");
  assert.ok(performance.now() - started >= 290, "it waited for the grace period");
  const error = await stuck.expect(isError(0), 2000, "ERROR 0");
  assert.equal((error.packet as { message: string }).message, "Server shutting down");
  assert.equal(fx.records.at(-1)?.status, "failed");
  await assert.rejects(fx.server.shutdown({ graceMs: -1 }), RangeError);
});
