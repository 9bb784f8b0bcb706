// The busy-polling libc socket (lib/udp/_libc_udp.ts) on its own against Deno's socket, and
// the client driving whole transfers with it (`busyPollUs`), also through loss and
// duplication. Run with: deno test --allow-all integration/busy_poll_test.ts
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { join } from "node:path";
import { type ClientOptions, serveTftp, tftpGet, tftpGetBytes, tftpPut } from "../mod.ts";
import { startOurServerProcess } from "./_peers.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { batchPoolOf, LibcUdpSocket, MAX_BUSY_POLL_US } from "../lib/udp/_libc_udp.ts";
import { LibcReactor, MAX_HOLD_MS } from "../lib/udp/_libc_reactor.ts";
import { kernelSegments, SegmentedSender } from "../lib/udp/_libc_gso.ts";
import { openLibc } from "../lib/udp/_libc.ts";
import { MAX_FREE_BATCHES, ReceiveBatch } from "../lib/udp/_libc_mmsg.ts";
import type { Libc } from "../lib/udp/_libc.ts";
import { startImpairProxy } from "../lib/udp/impair.ts";
import {
  combineRules,
  duplicateEvery,
  isAck,
  isData,
  randomLoss,
} from "../lib/udp/impair_rules.ts";
import {
  canBindIpv6,
  CHILD_ENV,
  content,
  FAST,
  openFixture,
  waitUntil,
  within,
} from "./_fixture.ts";

const LOOPBACKS = canBindIpv6() ? ["127.0.0.1", "::1"] : ["127.0.0.1"];

Deno.test("libc socket: datagrams both ways with Deno's socket, exact bytes and addresses", async () => {
  const reactor = new LibcReactor({ busyPollUs: 50 });
  try {
    for (const hostname of LOOPBACKS) {
      const peer = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      const socket = new LibcUdpSocket(reactor, { hostname });
      try {
        assert.equal(socket.addr.hostname, hostname);
        assert.ok(socket.addr.port > 0);
        const peerAddr = peer.addr as Deno.NetAddr;
        for (const size of [0, 1, 516, 1472]) {
          const out = content(size, size + 7);
          assert.equal(await socket.send(out, peerAddr), size);
          const [got, from] = await within(peer.receive(), 1000, "peer receive");
          assert.deepEqual(got, out, `${hostname}: ${size} B to Deno's socket`);
          assert.deepEqual(
            [(from as Deno.NetAddr).hostname, (from as Deno.NetAddr).port],
            [hostname, socket.addr.port],
          );
          const back = content(size, size + 8);
          // Both before and after the receive starts waiting.
          const buffer = new Uint8Array(2048);
          const early = size % 2 === 0;
          if (early) await peer.send(back, from);
          const receiving = socket.receive(buffer);
          if (!early) await peer.send(back, from);
          const [received, sender] = await within(receiving, 1000, "libc receive");
          assert.deepEqual(received, back, `${hostname}: ${size} B from Deno's socket`);
          assert.equal(received.buffer, buffer.buffer, "a view of the caller's buffer");
          assert.deepEqual({ ...sender }, { ...peerAddr });
        }
      } finally {
        peer.close();
        socket.close();
      }
    }
  } finally {
    await reactor.close();
  }
});

Deno.test("libc socket: alternating peers both ways; a bad address does not spoil the next send", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
    const peers = [a, b, b, b, a, a]; // after the bad send (at 2) the same peer again
    for (const [i, peer] of peers.entries()) {
      await socket.send(new Uint8Array([i]), peer.addr as Deno.NetAddr);
      const [got, from] = await within(peer.receive(), 1000, `peer receive ${i}`);
      assert.deepEqual([...got], [i], `datagram ${i} went to its own peer`);
      await peer.send(new Uint8Array([100 + i]), from);
      const [back, sender] = await within(socket.receive(), 1000, `receive ${i}`);
      assert.deepEqual([...back], [100 + i]);
      assert.equal(sender.port, (peer.addr as Deno.NetAddr).port, `sender of ${i}`);
      if (i === 2) {
        await assert.rejects(
          socket.send(new Uint8Array([9]), { transport: "udp", hostname: "1.2.3.999", port: 1 }),
          TypeError,
        );
      }
    }
  } finally {
    a.close();
    b.close();
    await reactor.close();
  }
});

Deno.test("libc SegmentedSender: one sendmsg with the run back to back and UDP_SEGMENT; refusals told apart", () => {
  let errno = 0;
  let result = 0;
  const calls: { fd: number; bytes: Uint8Array; segment: number; name: Uint8Array }[] = [];
  const libc = {
    sendmsg(fd: number, message: Uint8Array) {
      const view = new DataView(message.buffer);
      const pointer = (at: number) => Deno.UnsafePointer.create(view.getBigUint64(at, true))!;
      const nameLength = view.getUint32(8, true);
      const iov = new DataView(Deno.UnsafePointerView.getArrayBuffer(pointer(16), 16));
      const length = Number(iov.getBigUint64(8, true));
      const base = Deno.UnsafePointer.create(iov.getBigUint64(0, true))!;
      const control = new DataView(Deno.UnsafePointerView.getArrayBuffer(pointer(32), 24));
      assert.deepEqual([control.getInt32(8, true), control.getInt32(12, true)], [17, 103]);
      calls.push({
        fd,
        bytes: new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(base, length)).slice(),
        segment: control.getUint16(16, true),
        name: new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer(0), nameLength))
          .slice(),
      });
      return BigInt(result);
    },
  } as unknown as Libc;
  const sender = new SegmentedSender(libc, () => errno);
  const datagrams = [[1, 1, 1], [2, 2, 2], [3]].map((b) => new Uint8Array(b));
  const to = new Uint8Array(28).fill(9);
  assert.deepEqual(sender.send(5, to, 16, datagrams, 0, 3), { kind: "sent" });
  assert.deepEqual(calls[0], {
    fd: 5,
    bytes: new Uint8Array([1, 1, 1, 2, 2, 2, 3]),
    segment: 3,
    name: new Uint8Array(16).fill(9),
  });
  result = -1;
  for (const [code, kind] of [[22, "refused"], [5, "refused"], [92, "refused"]] as const) {
    errno = code;
    assert.deepEqual(sender.send(5, to, 28, datagrams, 1, 3), { kind });
  }
  errno = 111;
  assert.deepEqual(sender.send(5, to, 28, datagrams, 1, 3), { kind: "failed", errno: 111 });
  assert.deepEqual(calls.at(-1)!.bytes, new Uint8Array([2, 2, 2, 3]));
  assert.equal(calls.at(-1)!.segment, 3);
});

/** Receives `count` datagrams on `peer` (each copied), within a second each. */
async function receiveAll(peer: Deno.DatagramConn, count: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const [bytes] = await within(peer.receive(), 1000, `datagram ${i + 1} of ${count}`);
    got.push(bytes.slice());
  }
  return got;
}

Deno.test("libc socket: sendMany sends runs segmented, as separate datagrams, in order, byte-exact", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const sends = SegmentedSender.prototype.send;
  let segmented = 0;
  SegmentedSender.prototype.send = function (this: SegmentedSender, ...args) {
    const result = sends.apply(this, args);
    if (result.kind === "sent") segmented++;
    return result;
  };
  try {
    for (const hostname of LOOPBACKS) {
      const peer = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      const socket = new LibcUdpSocket(reactor, { hostname });
      try {
        // A window of 16 full blocks and a short last one; a run longer than one send holds
        // (70 x 1472 bytes); then single ones; a 64 KiB block alone; a run of 516. In two
        // calls, so the receiving socket's buffer holds each.
        const calls = [
          [...Array(16).fill(1472), 700, ...Array(70).fill(1472)],
          [4, 516, 65468, ...Array(5).fill(516)],
        ];
        segmented = 0;
        for (const [call, sizes] of calls.entries()) {
          const datagrams = sizes.map((size, i) => content(size, 100 * call + i));
          socket.sendMany(datagrams, peer.addr as Deno.NetAddr);
          const got = await receiveAll(peer, datagrams.length);
          assert.deepEqual(got.map((b) => b.length), sizes, `${hostname}: one datagram each`);
          got.forEach((bytes, i) => assert.deepEqual(bytes, datagrams[i], `${hostname}: #${i}`));
        }
        // 17 | 44 + 26 || 4, 516 and 65468 alone (runs of one) | 5
        assert.equal(segmented, 4, `${hostname}: segmented sends`);
      } finally {
        peer.close();
        socket.close();
      }
    }
  } finally {
    SegmentedSender.prototype.send = sends;
    await reactor.close();
  }
});

Deno.test("libc socket: where the kernel refuses segmentation, sendMany sends one by one from then on", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const sends = SegmentedSender.prototype.send;
  let tries = 0;
  SegmentedSender.prototype.send = () => {
    tries++;
    return { kind: "refused" };
  };
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  try {
    for (let round = 0; round < 3; round++) {
      const datagrams = Array.from({ length: 8 }, (_, i) => content(516, 10 * round + i));
      socket.sendMany(datagrams, peer.addr as Deno.NetAddr);
      assert.deepEqual(await receiveAll(peer, 8), datagrams, `round ${round}`);
    }
    assert.equal(tries, 1, "asked the kernel once");
  } finally {
    SegmentedSender.prototype.send = sends;
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: a burst is taken in batches; bytes, order, senders and cutting as one by one", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const receives = ReceiveBatch.prototype.receive;
  const batches: number[] = [];
  ReceiveBatch.prototype.receive = function (this: ReceiveBatch, ...args) {
    const n = receives.apply(this, args);
    batches.push(n);
    return n;
  };
  try {
    for (const hostname of LOOPBACKS) {
      const a = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      const b = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      const socket = new LibcUdpSocket(reactor, { hostname });
      try {
        batches.length = 0;
        // 45 datagrams from two peers in turn, queued before the first receive; sizes around
        // the 1473-byte buffer: 1474 and 2000 are cut to 1473, as recvfrom cuts them.
        const sizes = Array.from({ length: 45 }, (_, i) => [0, 1, 516, 1473, 1474, 2000][i % 6]);
        const sent = sizes.map((size, i) => content(size, 300 + i));
        for (const [i, bytes] of sent.entries()) {
          await (i % 2 ? b : a).send(bytes, socket.addr);
        }
        const buffer = new Uint8Array(1473);
        for (const [i, bytes] of sent.entries()) {
          const [got, from] = await within(socket.receive(buffer), 1000, `receive ${i}`);
          assert.deepEqual(got, bytes.subarray(0, 1473), `${hostname}: datagram ${i}`);
          assert.equal(got.buffer, buffer.buffer, "a view of the caller's buffer");
          const peer = (i % 2 ? b : a).addr as Deno.NetAddr;
          assert.deepEqual([from.hostname, from.port], [peer.hostname, peer.port], `sender ${i}`);
        }
        // The first two one by one; then batches of up to 32 for the other 43.
        assert.deepEqual(batches, [32, 11], `${hostname}: batches`);
        // A smaller buffer for what is still queued cuts it to that buffer.
        await a.send(content(600, 1), socket.addr);
        await a.send(content(600, 2), socket.addr);
        await a.send(content(600, 3), socket.addr);
        const [first] = await within(socket.receive(buffer), 1000, "first");
        assert.deepEqual(first, content(600, 1));
        const [second] = await within(socket.receive(buffer), 1000, "second");
        assert.deepEqual(second, content(600, 2));
        const small = new Uint8Array(100);
        const [third] = await within(socket.receive(small), 1000, "third, into 100 bytes");
        assert.deepEqual(third, content(600, 3).subarray(0, 100));
        assert.deepEqual(batches, [32, 11, 3], `${hostname}: the three in one batch`);
      } finally {
        a.close();
        b.close();
        socket.close();
      }
    }
  } finally {
    ReceiveBatch.prototype.receive = receives;
    await reactor.close();
  }
});

Deno.test("libc socket: datagrams that each come after a wait (lock-step) are never batched", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const receives = ReceiveBatch.prototype.receive;
  let batched = 0;
  ReceiveBatch.prototype.receive = function (this: ReceiveBatch, ...args) {
    batched++;
    return receives.apply(this, args);
  };
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  try {
    for (let i = 0; i < 20; i++) {
      const receiving = socket.receive(new Uint8Array(1473)); // waits: nothing queued yet
      await peer.send(content(516, i), socket.addr);
      const [got] = await within(receiving, 1000, `receive ${i}`);
      assert.deepEqual(got, content(516, i));
    }
    assert.equal(batched, 0);
  } finally {
    ReceiveBatch.prototype.receive = receives;
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: a peer that keeps the queue full cannot hold the event loop", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  // Another process sends 1472-byte datagrams as fast as it can for 1.5 s (bounded in count).
  const flood = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--unstable-net",
      `const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const to = { transport: "udp", hostname: "127.0.0.1", port: ${socket.addr.port} };
      const d = new Uint8Array(1472);
      const end = performance.now() + 1500;
      for (let n = 0; n < 1e6 && performance.now() < end; n++) await s.send(d, to);
      s.close();`,
    ],
    env: CHILD_ENV,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const ticks: number[] = [];
  const interval = setInterval(() => ticks.push(performance.now()), 1);
  let received = 0;
  let from = 0;
  try {
    const buffer = new Uint8Array(2048);
    await within(socket.receive(buffer), 5000, "the first datagram");
    from = performance.now();
    // A slow consumer (30 µs of work per datagram): the queue stays full.
    while (performance.now() - from < 800 && received < 100_000) {
      await socket.receive(buffer);
      received++;
      const until = performance.now() + 0.03;
      while (performance.now() < until) { /* work */ }
    }
  } finally {
    clearInterval(interval);
    flood.kill();
    await flood.status;
    socket.close();
    await reactor.close();
  }
  const during = [from, ...ticks.filter((t) => t > from), performance.now()];
  const gaps = during.slice(1).map((t, i) => t - during[i]);
  const longest = Math.max(...gaps);
  assert.ok(received > 1000, `received ${received}`);
  assert.ok(longest < 100, `the event loop was held for ${longest.toFixed(0)} ms`);
});

Deno.test("libc: kernelSegments asks the kernel: yes for a UDP socket here, no for a TCP one", () => {
  const { library } = openLibc();
  const libc = library.symbols;
  const udp = libc.socket(2, 2, 0);
  const tcp = libc.socket(2, 1, 0);
  try {
    assert.ok(udp >= 0 && tcp >= 0);
    // This machine's kernel has UDP_SEGMENT (4.18+); a TCP socket has no SOL_UDP options.
    assert.equal(kernelSegments(libc, udp), true);
    assert.equal(kernelSegments(libc, tcp), false);
  } finally {
    libc.close(udp);
    libc.close(tcp);
    library.close();
  }
});

Deno.test("libc sockets: a batch is lent only while a burst is handed out, then serves the next socket", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const receives = ReceiveBatch.prototype.receive;
  const used = new Set<ReceiveBatch>();
  ReceiveBatch.prototype.receive = function (this: ReceiveBatch, ...args) {
    used.add(this);
    return receives.apply(this, args);
  };
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const sockets = Array.from(
    { length: 3 },
    () => new LibcUdpSocket(reactor, { hostname: "127.0.0.1" }),
  );
  const pool = batchPoolOf(reactor);
  try {
    assert.equal(pool.freeCount, 0);
    for (const [s, socket] of sockets.entries()) {
      for (let i = 0; i < 5; i++) await peer.send(content(100, 10 * s + i), socket.addr);
      // Two one by one, then a batch of three: held while two of them are still to come.
      for (let i = 0; i < 3; i++) {
        const [got] = await within(socket.receive(new Uint8Array(1473)), 1000, `receive ${i}`);
        assert.deepEqual(got, content(100, 10 * s + i));
      }
      assert.equal(pool.freeCount, 0, `socket ${s}: holds the batch mid-burst`);
      for (let i = 3; i < 5; i++) {
        const [got] = await within(socket.receive(new Uint8Array(1473)), 1000, `receive ${i}`);
        assert.deepEqual(got, content(100, 10 * s + i));
      }
      assert.equal(pool.freeCount, 1, `socket ${s}: gave it back after the last`);
    }
    assert.equal(used.size, 1, "the three sockets used one batch in turn");
    // Closed with a burst half handed out: the batch goes back too.
    for (let i = 0; i < 5; i++) await peer.send(content(100, i), sockets[0].addr);
    for (let i = 0; i < 3; i++) await within(sockets[0].receive(new Uint8Array(1473)), 1000, "r");
    assert.equal(pool.freeCount, 0);
    sockets[0].close();
    assert.equal(pool.freeCount, 1);
  } finally {
    ReceiveBatch.prototype.receive = receives;
    peer.close();
    for (const socket of sockets) socket.close();
    await reactor.close();
  }
});

Deno.test("libc sockets: the batch pool keeps at most MAX_FREE_BATCHES, whatever the slot sizes", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  const pool = batchPoolOf(reactor);
  try {
    // A burst of four at each of 20 buffer sizes: two one by one, then a batch of two, given
    // back after the last.
    for (let size = 600; size < 2600; size += 100) {
      for (let i = 0; i < 4; i++) await peer.send(content(100, size + i), socket.addr);
      for (let i = 0; i < 4; i++) {
        const [got] = await within(socket.receive(new Uint8Array(size)), 1000, `${size}/${i}`);
        assert.deepEqual(got, content(100, size + i));
      }
      assert.equal(pool.freeCount, Math.min((size - 500) / 100, MAX_FREE_BATCHES), `${size}`);
    }
    assert.equal(pool.freeCount, MAX_FREE_BATCHES);
  } finally {
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: closed while a batch is still queued, the next receive is refused", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  try {
    for (let i = 0; i < 6; i++) await peer.send(content(100, i), socket.addr);
    // Two one by one, then a batch of the other four: one handed out, three still held.
    for (let i = 0; i < 3; i++) {
      const [got] = await within(socket.receive(new Uint8Array(1473)), 1000, `receive ${i}`);
      assert.deepEqual(got, content(100, i));
    }
    socket.close();
    await assert.rejects(socket.receive(new Uint8Array(1473)), Deno.errors.BadResource);
  } finally {
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: a spin never runs past the 2 ms hold budget, whatever busyPollUs", async () => {
  const reactor = new LibcReactor({ busyPollUs: 10_000 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  try {
    const started = performance.now();
    const waiting = socket.receive().catch((e: Error) => e.name); // spins, then sleeps
    const spun = performance.now() - started;
    assert.equal(reactor.spins, 1);
    assert.ok(spun < 8, `spun ${spun.toFixed(1)} ms (10 ms asked, 2 ms allowed)`);
    socket.close();
    assert.equal(await waiting, "BadResource");
  } finally {
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc sockets: one set serves many; close ends a waiting receive at once", async () => {
  for (const busyPollUs of [0, 50]) {
    const reactor = new LibcReactor({ busyPollUs });
    const sockets = Array.from(
      { length: 8 },
      () => new LibcUdpSocket(reactor, { hostname: "127.0.0.1" }),
    );
    const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      // Every socket waits; datagrams come in reverse order; each gets its own.
      const receiving = sockets.map((s) => s.receive(new Uint8Array(16)));
      for (let i = sockets.length - 1; i >= 0; i--) {
        await peer.send(new Uint8Array([i]), sockets[i].addr);
      }
      const got = await within(Promise.all(receiving), 1000, "all receives");
      assert.deepEqual(got.map(([bytes]) => [...bytes]), sockets.map((_, i) => [i]));
      // Close one waiting socket: it rejects at once, the others keep waiting.
      const waiting = sockets.map((s) => s.receive());
      // Settled later, some by a rejection: observe them all now.
      const outcomes = waiting.map((w) => w.then(() => "datagram", (e: Error) => e.name));
      const started = performance.now();
      sockets[3].close();
      await assert.rejects(within(waiting[3], 500, "receive after close"), Deno.errors.BadResource);
      assert.ok(performance.now() - started < 500);
      await assert.rejects(sockets[3].receive(), Deno.errors.BadResource);
      await assert.rejects(
        sockets[3].send(new Uint8Array(1), { transport: "udp", hostname: "127.0.0.1", port: 9 }),
        Deno.errors.BadResource,
      );
      // Its port is free again.
      Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: sockets[3].addr.port })
        .close();
      await peer.send(new Uint8Array([9]), sockets[5].addr);
      const [five] = await within(waiting[5], 1000, "socket 5");
      assert.deepEqual([...five], [9]);
      // Closing the set ends the rest.
      // The eventfd wakes the blocking epoll_wait at once (its slice is 1000 ms).
      await within(reactor.close(), 300, "reactor close");
      assert.deepEqual(await Promise.all(outcomes), [
        ...Array(5).fill("BadResource"),
        "datagram",
        "BadResource",
        "BadResource",
      ]);
    } finally {
      peer.close();
      await reactor.close();
    }
  }
});

Deno.test("libc sockets: a wait spins only while every socket of the set waits", async () => {
  const reactor = new LibcReactor({ busyPollUs: 2000 });
  try {
    const [a, b] = [0, 1].map(() => new LibcUdpSocket(reactor, { hostname: "127.0.0.1" }));
    const waitingA = a.receive().catch((e: Error) => e.name);
    assert.equal(reactor.spins, 0, "b does not wait: a must not spin");
    const waitingB = b.receive().catch((e: Error) => e.name);
    assert.equal(reactor.spins, 1, "both wait: b spins");
    a.close();
    b.close();
    assert.deepEqual(await Promise.all([waitingA, waitingB]), ["BadResource", "BadResource"]);
  } finally {
    await reactor.close();
  }
});

Deno.test("libc sockets: a set's only socket spins on its own receive, once per wait", async () => {
  const reactor = new LibcReactor({ busyPollUs: 300 });
  try {
    // spinAlone tries until the attempt succeeds (no descriptor is touched: add() alone).
    const owner = {};
    reactor.add(1_000_000, owner);
    let tries = 0;
    const now = performance.now();
    assert.equal(reactor.spinAlone(1_000_000, owner, () => ++tries === 3, now), "found");
    assert.deepEqual([tries, reactor.spins], [3, 1]);
    assert.equal(reactor.spinAlone(1_000_000, {}, () => true, now), "skipped", "not its owner");
    // Nothing comes: it spins for the whole busy poll (the hold budget is longer).
    await reactor.turn();
    const before = performance.now();
    assert.equal(reactor.spinAlone(1_000_000, owner, () => false, before), "spun");
    assert.ok(performance.now() - before >= 0.3, "spun for busyPollUs");
    assert.equal(reactor.spins, 2);
    reactor.release(1_000_000, owner); // never added to epoll: only forgotten (and closed)
    // A lone socket's receive spins once on its own, then waits without spinning again.
    await reactor.turn();
    const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
    const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const receiving = socket.receive();
      assert.equal(reactor.spins, 3, "one spin, on its own");
      await peer.send(new Uint8Array([7]), socket.addr);
      const [got] = await within(receiving, 1000, "receive");
      assert.deepEqual([...got], [7]);
      assert.equal(reactor.spins, 3, "the wait after the spin did not spin again");
      // With a second socket in the set the first does not spin alone.
      const other = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
      const waiting = socket.receive().catch((e: Error) => e.name);
      assert.equal(reactor.spins, 3, "two sockets: no spin while the other does not wait");
      other.close();
      socket.close();
      assert.equal(await waiting, "BadResource");
    } finally {
      peer.close();
      socket.close();
    }
  } finally {
    await reactor.close();
  }
});

Deno.test("libc sockets: a busy poll longer than the hold budget lets the loop turn and spins on", async () => {
  // 10 ms of busy poll, 2 ms of hold: a spin stops at the hold ("held"); after a turn of the
  // event loop (an immediate, so timers run: the peer's send below is a timer) it goes on.
  const reactor = new LibcReactor({ busyPollUs: MAX_BUSY_POLL_US });
  try {
    const owner = {};
    reactor.add(1_000_000, owner);
    const since = performance.now();
    assert.equal(reactor.spinAlone(1_000_000, owner, () => false, since), "held");
    const held = performance.now() - since;
    assert.ok(held >= MAX_HOLD_MS && held < MAX_BUSY_POLL_US / 1000, `held after ${held} ms`);
    assert.equal(reactor.spinAlone(1_000_000, owner, () => false, since), "held", "no turn yet");
    assert.equal(reactor.spins, 1, "a spent hold does not spin");
    await reactor.turn();
    let outcome = reactor.spinAlone(1_000_000, owner, () => false, since);
    for (let turns = 0; outcome === "held" && turns < 10; turns++) {
      await reactor.turn();
      outcome = reactor.spinAlone(1_000_000, owner, () => false, since);
    }
    assert.equal(outcome, "spun", "the busy poll ends, however many turns it took");
    assert.ok(performance.now() - since >= MAX_BUSY_POLL_US / 1000);
    reactor.release(1_000_000, owner);
    // A receive whose datagram comes after the hold (sent by a timer, which only runs when
    // the loop turns) gets it by spinning: it never blocked in epoll_wait.
    const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
    const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await reactor.turn();
      const spinsBefore = reactor.spins;
      const sending = new Promise<void>((resolve, reject) =>
        setTimeout(
          () => peer.send(new Uint8Array([9]), socket.addr).then(() => resolve(), reject),
          3,
        )
      );
      const [got] = await within(socket.receive(), 1000, "receive");
      await sending;
      assert.deepEqual([...got], [9]);
      assert.ok(
        reactor.spins - spinsBefore >= 2,
        `spun on after a turn (${reactor.spins - spinsBefore} spins)`,
      );
    } finally {
      peer.close();
      socket.close();
    }
  } finally {
    await reactor.close();
  }
});

Deno.test("libc socket: answers just after the spin grow its busy poll (up to 8x); a long wait resets it", async () => {
  const reactor = new LibcReactor({ busyPollUs: 200 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    assert.equal(socket.busyPollMs, 0.2);
    const seen: number[] = [];
    // The spin holds the event loop: an immediate's send comes just after it ended.
    for (let i = 0; i < 8; i++) {
      setImmediate(() => void peer.send(new Uint8Array([i]), socket.addr));
      const [got] = await within(socket.receive(), 1000, "receive");
      assert.equal(got[0], i);
      seen.push(socket.busyPollMs);
      await reactor.turn(); // a fresh hold budget for the next spin
    }
    // Doubled after each late answer, never past 8 x 0.2 ms (at the cap an answer that comes
    // only after the spin is late enough to set it back).
    assert.ok(seen.every((ms) => [0.2, 0.4, 0.8, 1.6].includes(ms)), `${seen}`);
    assert.ok(seen.includes(1.6), `grew to the cap: ${seen}`);
    // An answer 20 ms later: a slow peer, back to the set's busy poll.
    setTimeout(() => void peer.send(new Uint8Array([9]), socket.addr), 20);
    await within(socket.receive(), 1000, "receive");
    assert.equal(socket.busyPollMs, 0.2);
  } finally {
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: tryReceive takes what the kernel has, else spins once; receive goes on from there", async () => {
  const reactor = new LibcReactor({ busyPollUs: 200 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const buffer = new Uint8Array(64);
    await peer.send(new Uint8Array([1]), socket.addr);
    assert.deepEqual([...socket.tryReceive(buffer)![0]], [1], "queued in the kernel: at once");
    assert.equal(reactor.spins, 0, "no spin for it");
    await reactor.turn();
    const before = performance.now();
    assert.equal(socket.tryReceive(buffer), undefined, "nothing within the busy poll");
    assert.ok(performance.now() - before >= 0.2, "it spun for the busy poll");
    assert.equal(reactor.spins, 1);
    assert.equal(socket.tryReceive(buffer), undefined, "a miss waits for receive: no spin");
    assert.equal(reactor.spins, 1);
    const receiving = socket.receive(buffer);
    assert.equal(reactor.spins, 1, "receive does not spin again after the miss");
    await peer.send(new Uint8Array([2]), socket.addr);
    assert.deepEqual([...(await within(receiving, 1000, "receive"))[0]], [2]);
    await peer.send(new Uint8Array([3]), socket.addr);
    assert.deepEqual([...socket.tryReceive(buffer)![0]], [3], "after the receive: at once again");
  } finally {
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: tryReceive hands out the rest of a burst, then undefined once nothing comes", async () => {
  const reactor = new LibcReactor({ busyPollUs: 50 });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const buffer = new Uint8Array(64);
    assert.equal(socket.tryReceive(buffer), undefined, "nothing came within the busy poll");
    for (let i = 0; i < 6; i++) await peer.send(new Uint8Array([i]), socket.addr);
    const got: number[] = [];
    // Two receives find a datagram waiting; the third takes the rest of the burst at once.
    for (let i = 0; i < 3; i++) {
      got.push((await within(socket.receive(buffer), 1000, "receive"))[0][0]);
    }
    for (let queued = socket.tryReceive(buffer); queued; queued = socket.tryReceive(buffer)) {
      got.push(queued[0][0]);
      assert.equal(queued[1].port, (peer.addr as Deno.NetAddr).port);
    }
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
    assert.equal(socket.tryReceive(buffer), undefined);
    socket.close();
    assert.throws(() => socket.tryReceive(buffer), Deno.errors.BadResource);
  } finally {
    peer.close();
    socket.close();
    await reactor.close();
  }
});

Deno.test("libc socket: a second receive at once is refused; bad addresses are TypeErrors", async () => {
  const reactor = new LibcReactor({ busyPollUs: 0 });
  try {
    const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1" });
    const first = socket.receive();
    await assert.rejects(socket.receive(), Deno.errors.Busy);
    socket.close();
    await assert.rejects(first, Deno.errors.BadResource);
    for (const hostname of ["300.1.1.1", "1.2.3", "1::2::3", "::1::", "1:2:3:4:5:6:7:8:9", "::g"]) {
      assert.throws(() => new LibcUdpSocket(reactor, { hostname }), TypeError, hostname);
    }
    const taken = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const port = (taken.addr as Deno.NetAddr).port;
      assert.throws(
        () => new LibcUdpSocket(reactor, { hostname: "127.0.0.1", port }),
        Deno.errors.AddrInUse,
      );
    } finally {
      taken.close();
    }
  } finally {
    await reactor.close();
  }
});

Deno.test("busy polling: get and put byte-exact, lock-step and windowed, clean and impaired", async () => {
  await using fx = await openFixture({ allowCreate: true });
  const bytes = content(300_000, 41);
  const digest = await sha256Hex(bytes);
  await Deno.writeFile(join(fx.root, "f"), bytes);
  const cases: [string, ClientOptions][] = [
    ["lock-step 512", { windowsize: 1, blksize: 512 }],
    ["windowsize 8", { windowsize: 8 }],
  ];
  const rules = [
    ["clean", undefined],
    ["10 % loss", () => randomLoss(77, 0.1)],
    [
      "duplicated",
      () => combineRules(duplicateEvery("both", isData()), duplicateEvery("both", isAck())),
    ],
  ] as const;
  for (const [name, options] of cases) {
    for (const [impairment, rule] of rules) {
      const what = `${name}, ${impairment}`;
      const settings = { ...FAST, ...options, busyPollUs: 50 };
      await using proxy = rule
        ? startImpairProxy({ target: fx.server.addr, rule: rule() })
        : undefined;
      const port = proxy?.addr.port;
      const target = join(fx.local, what.replaceAll(/\W/g, "_"));
      const got = await tftpGet(fx.url("f", port), target, settings);
      assert.equal(got.bytes, bytes.length, what);
      assert.equal(await sha256Hex(await Deno.readFile(target)), digest, `${what}: get`);
      const remote = `up_${what.replaceAll(/\W/g, "_")}`;
      await tftpPut(bytes, fx.url(remote, port), settings);
      assert.equal(
        await sha256Hex(await Deno.readFile(join(fx.root, remote))),
        digest,
        `${what}: put`,
      );
      if (rule) assert.ok(proxy!.counts.drop + proxy!.counts.duplicate > 10, `${what}: impaired`);
    }
  }
});

Deno.test("busy polling: out-of-range values are refused before anything is sent", async () => {
  for (const busyPollUs of [-1, 0.5, 10_001]) {
    await assert.rejects(
      tftpGet("tftp://127.0.0.1:9/f", "/nonexistent/x", { busyPollUs }),
      (error: Error) => error instanceof RangeError && /busyPollUs/.test(error.message),
    );
  }
});

Deno.test("busy-polling server: 24 transfers at once, both clients, clean and lossy, byte-exact", async () => {
  await using fx = await openFixture({
    allowCreate: true,
    busyPollUs: 50,
    portRange: [41000, 41999],
  });
  const files = [0, 1, 512, 70_000, 300_001].map((size, i) => ({
    name: `f${i}`,
    bytes: content(size, 90 + i),
  }));
  for (const f of files) await Deno.writeFile(join(fx.root, f.name), f.bytes);
  await using proxy = startImpairProxy({ target: fx.server.addr, rule: randomLoss(91, 0.05) });
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < 24; i++) {
    const f = files[i % files.length];
    const options: ClientOptions = {
      ...FAST,
      windowsize: [1, 4, 16][i % 3],
      busyPollUs: i % 2 === 0 ? 50 : 0,
    };
    const port = i % 4 === 0 ? proxy.addr.port : undefined;
    const what =
      `transfer ${i} (windowsize ${options.windowsize}, client busyPollUs ${options.busyPollUs}, ${
        port ? "through the lossy proxy" : "direct"
      }, ${f.bytes.length} B)`;
    const explained = async (step: string, transfer: Promise<unknown>) => {
      try {
        await transfer;
      } catch (error) {
        const late = fx.records.filter((r) => r.status !== "complete").map((r) => r.error);
        throw new Error(
          `${what}: ${step}: ${(error as Error).message}; failed server transfers: ` +
            JSON.stringify(late),
          { cause: error },
        );
      }
    };
    jobs.push((async () => {
      const target = join(fx.local, `get${i}`);
      await explained("get", tftpGet(fx.url(f.name, port), target, options));
      const digest = await sha256Hex(f.bytes);
      assert.equal(await sha256Hex(await Deno.readFile(target)), digest, `${what}: get`);
      await explained("put", tftpPut(f.bytes, fx.url(`put${i}`, port), options));
      const stored = await Deno.readFile(join(fx.root, `put${i}`));
      assert.equal(await sha256Hex(stored), digest, `${what}: put`);
    })());
  }
  await within(Promise.all(jobs), 60_000, "24 transfers");
  // Each of the 48 completed on the server too (a download's record may come just after the
  // client finished); a repeated request may have started (and failed) one more.
  const completed = () => fx.records.filter((r) => r.status === "complete").length;
  await waitUntil(() => completed() >= 48, 3000, "48 completed server records");
  assert.equal(completed(), 48);
  assert.ok(proxy.counts.drop > 0, "some loss through the proxy");
});

Deno.test("busy polling both ways keeps the event loop turning: timers fire during the transfer", async () => {
  const root = await Deno.makeTempDir({ prefix: "tftpkit_busy_" });
  const bytes = content(2_000_000, 17);
  // A long spin on both sides: every answer comes within it. An upload from memory does no
  // I/O of its own, so without the hold limit the client would not return to the event loop
  // until the transfer ended.
  await using server = await startOurServerProcess(root, {
    create: true,
    args: ["--busy-poll", "10000"],
  });
  let ticks = 0;
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    last = performance.now();
    const started = last;
    const options = { blksize: 512, windowsize: 1, busyPollUs: 10_000 };
    await tftpPut(bytes, `tftp://127.0.0.1:${server.port}/up`, options);
    const elapsed = performance.now() - started;
    longest = Math.max(longest, performance.now() - last);
    assert.equal(await sha256Hex(await Deno.readFile(join(root, "up"))), await sha256Hex(bytes));
    assert.ok(ticks > 0, `no timer ran in ${elapsed} ms`);
    assert.ok(longest < 100, `the event loop was held for ${longest.toFixed(1)} ms`);
  } finally {
    clearInterval(ticker);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("busy-polling server: a named host and the IPv6 wildcard (IPv4 clients mapped)", async () => {
  const root = await Deno.makeTempDir({ prefix: "tftpkit_busy_" });
  const bytes = content(5000, 18);
  await Deno.writeFile(join(root, "f"), bytes);
  try {
    const hosts = canBindIpv6() ? ["localhost", "::"] : ["localhost"];
    for (const hostname of hosts) {
      await using server = serveTftp({ root, hostname, port: 0, busyPollUs: 50 });
      for (const busyPollUs of [0, 50]) {
        const got = await tftpGetBytes(`tftp://127.0.0.1:${server.addr.port}/f`, {
          busyPollUs,
          localAddress: busyPollUs ? "localhost" : undefined,
        });
        assert.equal(await sha256Hex(got), await sha256Hex(bytes), `${hostname}, ${busyPollUs}`);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
