/**
 * Congestion control over a simulated receiver socket buffer: the receiving process reads one
 * datagram every `serviceMs`, its socket holds at most `bufferDatagrams` unread ones, and
 * anything arriving at a full socket is dropped (what Linux does once blksize x windowsize
 * overflows the ~208 KiB default receive buffer, which Deno cannot resize). Virtual time.
 */
import assert from "node:assert/strict";
import { Prng } from "../lib/sim/prng.ts";
import { Receiver } from "../lib/tftp/engine/receiver.ts";
import { Sender, type SenderConfig } from "../lib/tftp/engine/sender.ts";
import type { Peer, TransferMachine } from "../lib/tftp/engine/types.ts";
import type { CongestionStats } from "../lib/tftp/engine/congestion.ts";

const SENDER: Peer = { hostname: "127.0.0.1", port: 40001 };
const RECEIVER: Peer = { hostname: "127.0.0.1", port: 50000 };

interface Link {
  /** One-way delay, both directions. */
  delayMs: number;
  /** Unread datagrams the receiver's socket holds; Infinity for no limit. */
  bufferDatagrams: number;
  /** Time the receiving process takes per datagram. */
  serviceMs: number;
}

interface Run {
  complete: boolean;
  /** Virtual time when the sender completed (the receiver dallies after that). */
  elapsedMs: number;
  dropped: number;
  dataSent: number;
  congestion: CongestionStats;
  received: Uint8Array;
}

/** A server-side sender of `data` and a receiver, over `link`, until both close. */
function run(data: Uint8Array, windowsize: number, link: Link, config: SenderConfig = {}): Run {
  const options = { blksize: 8192, windowsize };
  const tx = new Sender(0, { peer: RECEIVER, options }, { ...config });
  const rx = new Receiver(0, { peer: SENDER, options });
  tx.offer(0, data);
  tx.finish(0);
  // Deliveries sorted by time; FIFO per direction since the delay is constant.
  const queue: { at: number; to: TransferMachine; bytes: Uint8Array }[] = [];
  const unread: number[] = []; // times at which datagrams in the socket will be read
  let lastReadAt = -Infinity;
  let dropped = 0;
  let dataSent = 0;
  const chunks: Uint8Array[] = [];
  const insert = (at: number, to: TransferMachine, bytes: Uint8Array) => {
    let i = queue.length;
    while (i > 0 && queue[i - 1].at > at) i--;
    queue.splice(i, 0, { at, to, bytes: bytes.slice() });
  };
  const flush = (now: number) => {
    for (let t = tx.pollTransmit(); t; t = tx.pollTransmit()) {
      dataSent++;
      const arrival = now + link.delayMs;
      while (unread.length > 0 && unread[0] < arrival) unread.shift();
      if (unread.length >= link.bufferDatagrams) {
        dropped++;
        continue;
      }
      const readAt = Math.max(arrival, lastReadAt + link.serviceMs);
      lastReadAt = readAt;
      unread.push(readAt);
      insert(readAt, rx, t.bytes);
    }
    for (let t = rx.pollTransmit(); t; t = rx.pollTransmit()) {
      insert(now + link.delayMs, tx, t.bytes);
    }
    for (let e = rx.pollEvent(); e; e = rx.pollEvent()) if (e.type === "data") chunks.push(e.data);
    while (tx.pollEvent());
  };
  let now = 0;
  let senderDoneMs = NaN;
  flush(now);
  for (let step = 0; step < 1_000_000 && !(tx.isClosed && rx.isClosed); step++) {
    const deadlines = [tx.pollTimeout(), rx.pollTimeout(), queue[0]?.at]
      .filter((d): d is number => d !== undefined);
    if (deadlines.length === 0) break;
    now = Math.max(now, Math.min(...deadlines));
    while (queue.length > 0 && queue[0].at <= now) {
      const d = queue.shift()!;
      d.to.handleDatagram(now, d.to === rx ? SENDER : RECEIVER, d.bytes);
      flush(now);
    }
    for (const m of [tx, rx]) {
      const at = m.pollTimeout();
      if (at !== undefined && at <= now) m.handleTimeout(now);
    }
    flush(now);
    if (tx.isClosed && Number.isNaN(senderDoneMs)) senderDoneMs = now;
  }
  const received = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) received.set(c, (at += c.length) - c.length);
  return {
    complete: tx.isClosed && rx.isClosed,
    elapsedMs: senderDoneMs,
    dropped,
    dataSent,
    congestion: tx.congestion,
    received,
  };
}

const DATA = new Prng(7).bytes(8192 * 400 + 100); // 401 blocks
const TINY: Link = { delayMs: 0.5, bufferDatagrams: 8, serviceMs: 0.05 };
const ROOMY: Link = { ...TINY, bufferDatagrams: Infinity };

Deno.test("congestion: windowsize 64 into an 8-datagram (64 KiB) socket buffer stays above lock-step", () => {
  const lockstep = run(DATA, 1, TINY);
  const adaptive = run(DATA, 64, TINY);
  const fixed = run(DATA, 64, TINY, { congestionControl: false });
  const roomy = run(DATA, 64, ROOMY);
  const report = JSON.stringify(
    { lockstep, adaptive, fixed, roomy },
    (key, value) => key === "received" ? undefined : value,
  );
  for (const r of [lockstep, adaptive, fixed, roomy]) {
    assert.ok(r.complete, report);
    assert.deepEqual(r.received, DATA, report);
  }
  assert.equal(lockstep.dropped, 0, report);
  assert.equal(roomy.dropped, 0, report);
  // Lock-step: one round trip (1 ms) per block.
  assert.equal(lockstep.elapsedMs, 401, report);
  // With congestion control the small buffer costs drops, but the transfer stays faster than
  // lock-step and far faster than sending whole windows into it (which waits on timeouts).
  assert.ok(adaptive.elapsedMs < lockstep.elapsedMs / 4, report);
  assert.ok(adaptive.elapsedMs * 10 < fixed.elapsedMs, report);
  assert.ok(adaptive.dropped < 401 / 4, report);
  assert.ok(adaptive.congestion.fastRecoveries > 0, report);
  assert.equal(adaptive.congestion.timeouts, 0, report);
  assert.ok(fixed.congestion.timeouts > 0 || fixed.congestion.fastRecoveries > 0, report);
  // No buffer limit: the window grows to 64 and nothing is lost or resent.
  assert.equal(roomy.congestion.cwnd, 64, report);
  assert.equal(roomy.dataSent, 401, report);
  assert.ok(roomy.elapsedMs < adaptive.elapsedMs, report);
});
