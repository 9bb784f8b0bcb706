import assert from "node:assert/strict";
import { driveTransfer } from "./drive.ts";
import { delay, within } from "./_wait.ts";
import { deadlines } from "./_deadlines.ts";
import { Receiver } from "../tftp/engine/receiver.ts";
import { Sender } from "../tftp/engine/sender.ts";
import type { Peer, TransferEvent } from "../tftp/engine/types.ts";
import { decodePacket } from "../tftp/packet/decode.ts";
import { encodeAck, encodeData, encodePacket } from "../tftp/packet/encode.ts";
import { OPCODE } from "../tftp/packet/constants.ts";
import { TftpAbortError, TftpError } from "../tftp/errors.ts";

const SERVER: Peer = { hostname: "127.0.0.1", port: 69 };
const TID: Peer = { hostname: "127.0.0.1", port: 50001 };
const LOCAL: Peer = { hostname: "0.0.0.0", port: 40000 };

/** A datagram (or receive error) the fake socket delivers once `afterSends` went out. */
type Incoming = ({ bytes: Uint8Array; from: Peer } | { error: Error }) & { afterSends?: number };

/**
 * A scripted socket: `receive` hands out `incoming` in order (each once enough datagrams were
 * sent), then waits until `close`. `send` records what goes out, or throws what `sendError`
 * returns.
 */
class FakeConn {
  /** Where the socket is bound. */
  readonly addr: Deno.NetAddr = { transport: "udp", ...LOCAL };
  sent: { bytes: Uint8Array; to: Peer }[] = [];
  sendError: (() => Error | undefined) | undefined;
  #incoming: Incoming[];
  #closed = Promise.withResolvers<never>();
  #waiting: (() => void) | undefined;

  constructor(incoming: Incoming[] = []) {
    this.#incoming = incoming;
  }

  async receive(): Promise<[Uint8Array, Deno.NetAddr]> {
    const next = this.#incoming.shift();
    if (!next) return await this.#closed.promise;
    while (this.sent.length < (next.afterSends ?? 0)) {
      const sent = new Promise<void>((resolve) => (this.#waiting = resolve));
      await Promise.race([sent, this.#closed.promise]);
    }
    if ("error" in next) throw next.error;
    return [next.bytes, { transport: "udp", ...next.from }];
  }

  send(bytes: Uint8Array, to: Deno.NetAddr): Promise<number> {
    const error = this.sendError?.();
    if (error) return Promise.reject(error);
    this.sent.push({ bytes: bytes.slice(), to: { hostname: to.hostname, port: to.port } });
    this.#waiting?.();
    return Promise.resolve(bytes.length);
  }

  close(): void {
    this.#closed.reject(new Deno.errors.BadResource("closed"));
    this.#closed.promise.catch(() => {});
  }

  get conn(): Deno.DatagramConn {
    return this as unknown as Deno.DatagramConn;
  }

  opcodes(): number[] {
    return this.sent.map((s) => decodePacket(s.bytes).opcode);
  }
}

/** A lock-step client download without options. */
function download(config = {}): Receiver {
  const request = { opcode: OPCODE.RRQ, filename: "f", mode: "octet", options: {} } as const;
  return new Receiver(0, { server: SERVER, request }, { dallyMs: 0, ...config });
}

/** A lock-step client upload without options. */
function upload(config = {}): Sender {
  const request = { opcode: OPCODE.WRQ, filename: "f", mode: "octet", options: {} } as const;
  return new Sender(0, { server: SERVER, request }, config);
}

const never = () => new Promise<void>(() => {});

Deno.test("driveTransfer: an already-cancelled transfer sends nothing, not even its request", async () => {
  const fake = new FakeConn();
  const events: TransferEvent[] = [];
  await driveTransfer(download(), fake.conn, {
    signal: AbortSignal.abort(new TftpAbortError("Stop")),
    onEvent: (e) => void events.push(e),
  });
  fake.close();
  assert.deepEqual(fake.sent, []);
  assert.deepEqual(events.map((e) => e.type), ["failed"]);
  assert.equal(events[0].type === "failed" && events[0].error.message, "Stop");
});

Deno.test("driveTransfer: the signal ends a wait on a pending onEvent hook", async () => {
  const fake = new FakeConn([{ bytes: encodeData(1, new Uint8Array(512)), from: TID }]);
  const controller = new AbortController();
  let dataEvents = 0;
  const drive = driveTransfer(download(), fake.conn, {
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type !== "data") return;
      dataEvents++;
      setTimeout(() => controller.abort(new TftpAbortError("Stop")), 20);
      return never(); // a sink that never finishes its write
    },
  });
  try {
    await within(drive, 2000, "the cancelled transfer to end");
  } finally {
    fake.close();
  }
  assert.equal(dataEvents, 1);
  // The request, then ERROR 0 to the server's TID; never the ACK of the unwritten data.
  assert.deepEqual(fake.opcodes(), [OPCODE.RRQ, OPCODE.ERROR]);
  const error = decodePacket(fake.sent[1].bytes);
  assert.ok(error.opcode === OPCODE.ERROR);
  assert.deepEqual([error.code, error.message], [0, "Stop"]);
  assert.deepEqual(fake.sent[1].to, TID);
});

Deno.test("driveTransfer: a hook pending longer than stallTimeoutMs fails the transfer", async () => {
  const fake = new FakeConn([{ bytes: encodeAck(0), from: TID }]);
  let feeds = 0;
  const drive = driveTransfer(upload(), fake.conn, {
    stallTimeoutMs: 50,
    beforeWait: () => feeds++ === 0 ? undefined : never(), // the source stalls after the WRQ
  });
  try {
    await assert.rejects(within(drive, 2000, "the stalled transfer to fail"), (error) => {
      assert.ok(error instanceof TftpError);
      assert.deepEqual([error.code, error.message], [0, "Local data source or sink stalled"]);
      return true;
    });
  } finally {
    fake.close();
  }
  assert.deepEqual(fake.opcodes(), [OPCODE.WRQ, OPCODE.ERROR]);
  const error = decodePacket(fake.sent[1].bytes);
  assert.ok(error.opcode === OPCODE.ERROR);
  assert.deepEqual([error.code, error.message], [0, "Local data source or sink stalled"]);
});

Deno.test("driveTransfer: slow hooks that each settle in time are no stall", async () => {
  const fake = new FakeConn([
    { bytes: encodeAck(0), from: TID, afterSends: 1 },
    { bytes: encodeAck(1), from: TID, afterSends: 2 },
    { bytes: encodeAck(2), from: TID, afterSends: 3 },
  ]);
  const sender = upload({ initialRtoMs: 1000 });
  let offered = false;
  let calls = 0;
  const started = performance.now();
  await driveTransfer(sender, fake.conn, {
    stallTimeoutMs: 60,
    beforeWait: async () => {
      calls++;
      await delay(25);
      if (!sender.wantsData) return;
      if (offered) sender.finish(performance.now());
      else sender.offer(performance.now(), new Uint8Array(600));
      offered = true;
    },
  });
  fake.close();
  assert.ok(performance.now() - started > 60, "the hooks took longer than the stall limit");
  assert.ok(calls >= 3, `${calls} calls`);
  assert.deepEqual(fake.opcodes(), [OPCODE.WRQ, OPCODE.DATA, OPCODE.DATA]);
});

Deno.test("driveTransfer: stallTimeoutMs must be above 0", async () => {
  const fake = new FakeConn();
  await assert.rejects(
    driveTransfer(download(), fake.conn, { stallTimeoutMs: 0 }),
    new RangeError("stallTimeoutMs must be a number above 0, got 0"),
  );
  fake.close();
  assert.deepEqual(fake.sent, []);
});

Deno.test("driveTransfer: an onDatagram hook that throws changes nothing", async () => {
  const data = new Uint8Array([1, 2, 3]);
  const fake = new FakeConn([{ bytes: encodeData(1, data), from: TID }]);
  const events: TransferEvent[] = [];
  let seen = 0;
  await driveTransfer(download(), fake.conn, {
    onDatagram: () => {
      seen++;
      throw new Error("tracing broke");
    },
    onEvent: (e) => void events.push(e),
  });
  fake.close();
  assert.deepEqual(events.map((e) => e.type), ["negotiated", "data", "complete"]);
  assert.deepEqual(fake.opcodes(), [OPCODE.RRQ, OPCODE.ACK]);
  assert.equal(seen, 3);
});

Deno.test("driveTransfer: onDatagram sees each datagram with the socket's own address", async () => {
  const data = new Uint8Array([1, 2, 3]);
  const fake = new FakeConn([{ bytes: encodeData(1, data), from: TID }]);
  const seen: string[] = [];
  await driveTransfer(download(), fake.conn, {
    onDatagram: (direction, peer, bytes, local) => {
      const opcode = decodePacket(bytes).opcode;
      seen.push(
        `${direction} ${opcode} ${peer.hostname}:${peer.port} ${local.hostname}:${local.port}`,
      );
    },
  });
  fake.close();
  assert.deepEqual(seen, [
    "send 1 127.0.0.1:69 0.0.0.0:40000",
    "recv 3 127.0.0.1:50001 0.0.0.0:40000",
    "send 4 127.0.0.1:50001 0.0.0.0:40000",
  ]);
});

Deno.test("driveTransfer: a send the socket may not make ends the transfer", async () => {
  for (
    const make of [
      () => new Deno.errors.PermissionDenied("no"),
      () => new Deno.errors.NotCapable("no"),
      () => new Deno.errors.BadResource("closed"),
    ]
  ) {
    const fake = new FakeConn();
    fake.sendError = make;
    const drive = driveTransfer(download({ initialRtoMs: 20, retries: 1 }), fake.conn);
    await assert.rejects(within(drive, 2000, "the transfer to end"), make().constructor as never);
    fake.close();
  }
});

Deno.test("driveTransfer: other send errors count as lost datagrams", async () => {
  const fake = new FakeConn([
    { bytes: encodeData(1, new Uint8Array(5)), from: TID, afterSends: 1 },
  ]);
  let sends = 0;
  // The first RRQ is "lost" (say, no route yet); the timer sends it again.
  fake.sendError = () => sends++ === 0 ? new Deno.errors.ConnectionRefused("icmp") : undefined;
  const events: TransferEvent[] = [];
  await driveTransfer(download({ initialRtoMs: 20 }), fake.conn, {
    onEvent: (e) => void events.push(e),
  });
  fake.close();
  assert.deepEqual(fake.opcodes(), [OPCODE.RRQ, OPCODE.ACK]);
  assert.deepEqual(events.map((e) => e.type), ["negotiated", "data", "complete"]);
});

Deno.test("driveTransfer: ICMP reports on receive are lost datagrams, other errors end it", async () => {
  const data = new Uint8Array([7]);
  const fake = new FakeConn([
    { error: new Deno.errors.ConnectionReset("icmp") },
    { error: new Deno.errors.ConnectionRefused("icmp") },
    { bytes: encodeData(1, data), from: TID },
  ]);
  const events: TransferEvent[] = [];
  await driveTransfer(download(), fake.conn, { onEvent: (e) => void events.push(e) });
  fake.close();
  assert.deepEqual(events.map((e) => e.type), ["negotiated", "data", "complete"]);

  const broken = new FakeConn([{ error: new Deno.errors.Interrupted("gone") }]);
  await assert.rejects(driveTransfer(download(), broken.conn), Deno.errors.Interrupted);
  broken.close();
});

Deno.test("driveTransfer: a socket with sendMany gets each step's datagrams in one call", async () => {
  const fake = new FakeConn([
    { bytes: encodePacket({ opcode: OPCODE.OACK, options: { windowsize: "4" } }), from: TID },
    { bytes: encodeAck(4), from: TID, afterSends: 5 },
    { bytes: encodeAck(5), from: TID, afterSends: 6 },
  ]);
  const batches: number[][] = [];
  const conn = Object.assign(fake.conn, {
    sendMany(datagrams: readonly Uint8Array[], to: Deno.NetAddr) {
      batches.push(datagrams.map((d) => d[1] === OPCODE.DATA ? d[3] : -d[1])); // block or -opcode
      for (const d of datagrams) fake.send(d, to);
    },
  });
  const request = {
    opcode: OPCODE.WRQ,
    filename: "f",
    mode: "octet",
    options: { windowsize: "4" },
  } as const;
  const sender = new Sender(0, { server: SERVER, request }, {});
  const data = Uint8Array.from({ length: 4 * 512 + 100 }, (_, i) => i % 251);
  let fed = false;
  await within(
    driveTransfer(sender, conn, {
      beforeWait: () => {
        if (fed || !sender.wantsData) return;
        sender.offer(0, data);
        sender.finish(0);
        fed = true;
      },
    }),
    2000,
    "the upload",
  );
  fake.close();
  // The request, the window of four DATA, then the last one: three steps, three calls.
  assert.deepEqual(batches, [[-OPCODE.WRQ], [1, 2, 3, 4], [5]]);
  assert.deepEqual(fake.opcodes(), [OPCODE.WRQ, ...Array(5).fill(OPCODE.DATA)]);
  const payload = fake.sent.slice(1).map((s) => s.bytes.subarray(4));
  assert.deepEqual(new Uint8Array(payload.flatMap((p) => [...p])), data);
});

Deno.test("driveTransfer: a sendMany that throws: a lost step, or the end when the socket may not send", async () => {
  for (
    const [make, ends] of [[() => new Error("No buffer space"), false], [
      () => new Deno.errors.BadResource("closed"),
      true,
    ]] as const
  ) {
    const fake = new FakeConn([
      { bytes: encodeData(1, new Uint8Array(5)), from: TID, afterSends: 1 },
    ]);
    let calls = 0;
    const conn = Object.assign(fake.conn, {
      sendMany(datagrams: readonly Uint8Array[], to: Deno.NetAddr) {
        if (++calls === 1) throw make(); // the request
        for (const d of datagrams) fake.send(d, to);
      },
    });
    const drive = driveTransfer(download({ initialRtoMs: 20, retries: 2 }), conn);
    if (ends) {
      await assert.rejects(within(drive, 2000, "the transfer to end"), Deno.errors.BadResource);
      assert.deepEqual(fake.opcodes(), []);
    } else {
      await within(drive, 2000, "the transfer");
      // The request was lost; its retransmission went out, then the final ACK.
      assert.deepEqual(fake.opcodes(), [OPCODE.RRQ, OPCODE.ACK]);
    }
    fake.close();
  }
});

Deno.test("driveTransfer leaves no deadline behind, however the transfer ends", async () => {
  const endings: [string, () => Promise<unknown>][] = [
    ["complete", async () => {
      const conn = new FakeConn([{ bytes: encodeData(1, new Uint8Array(3)), from: TID }]);
      await driveTransfer(download(), conn.conn);
      conn.close();
    }],
    ["cancelled while waiting", async () => {
      const conn = new FakeConn();
      const controller = new AbortController();
      const done = driveTransfer(download(), conn.conn, { signal: controller.signal });
      await delay(5);
      assert.equal(deadlines.size, 1, "waiting: its deadline is set");
      controller.abort();
      await done;
      conn.close();
    }],
    ["the receive failed", async () => {
      const conn = new FakeConn([{ error: new Deno.errors.BadResource("gone") }]);
      await assert.rejects(driveTransfer(download(), conn.conn), Deno.errors.BadResource);
      conn.close();
    }],
    ["a hook threw", async () => {
      const conn = new FakeConn([{ bytes: encodeData(1, new Uint8Array(3)), from: TID }]);
      const onEvent = (e: TransferEvent) => {
        if (e.type === "data") throw new TftpError(3, "Disk full");
      };
      await assert.rejects(driveTransfer(download(), conn.conn, { onEvent }), {
        message: "Disk full",
      });
      conn.close();
    }],
  ];
  for (const [name, run] of endings) {
    await within(run(), 5_000, name);
    assert.equal(deadlines.size, 0, `${name}: a deadline is left`);
  }
});

/**
 * A socket that also holds a burst: after `receive` hands out the first datagram, the rest of
 * `burst` comes from `tryReceive` (or `queuedError` is thrown there). Asserts the driver
 * never asks for a queued datagram while a receive is in flight.
 */
class BurstConn extends FakeConn {
  receives = 0;
  /** Datagrams `receive` handed out. */
  delivered = 0;
  taken = 0;
  #inFlight = false;
  #burst: Uint8Array[];
  queuedError: Error | undefined;

  constructor(first: Uint8Array, burst: Uint8Array[]) {
    super([{ bytes: first, from: TID }]);
    this.#burst = burst;
  }

  override async receive(): Promise<[Uint8Array, Deno.NetAddr]> {
    this.receives++;
    this.#inFlight = true;
    try {
      const got = await super.receive();
      this.delivered++;
      return got;
    } finally {
      this.#inFlight = false;
    }
  }

  tryReceive(): [Uint8Array, Deno.NetAddr] | undefined {
    assert.equal(this.#inFlight, false, "tryReceive while a receive is in flight");
    if (this.receives === 0) return undefined; // nothing was taken from the kernel yet
    if (this.queuedError) throw this.queuedError;
    const bytes = this.#burst.shift();
    if (!bytes) return undefined;
    this.taken++;
    return [bytes, { transport: "udp", ...TID }];
  }
}

Deno.test("driveTransfer: datagrams the socket already holds are handled without a receive each", async () => {
  const blocks = [new Uint8Array(512).fill(1), new Uint8Array(512).fill(2), new Uint8Array(10)];
  const fake = new BurstConn(encodeData(1, blocks[0]), [
    encodeData(2, blocks[1]),
    encodeData(3, blocks[2]),
  ]);
  const written: number[] = [];
  try {
    await within(
      driveTransfer(download(), fake.conn, {
        onEvent: (e) => {
          if (e.type === "data") written.push(...e.data.subarray(0, 1), e.data.length);
        },
      }),
      2000,
      "the download",
    );
  } finally {
    fake.close();
  }
  assert.deepEqual([fake.delivered, fake.taken], [1, 2], "one received, two taken at once");
  assert.deepEqual(written, [1, 512, 2, 512, 0, 10]);
  assert.deepEqual(fake.sent.map((s) => [...s.bytes.subarray(0, 4)]), [
    [...fake.sent[0].bytes.subarray(0, 4)], // the RRQ
    [0, OPCODE.ACK, 0, 1],
    [0, OPCODE.ACK, 0, 2],
    [0, OPCODE.ACK, 0, 3],
  ]);
  assert.equal(fake.opcodes()[0], OPCODE.RRQ);
});

Deno.test("driveTransfer: a socket error on a held datagram ends the transfer with ERROR 0", async () => {
  const fake = new BurstConn(encodeData(1, new Uint8Array(512)), []);
  fake.queuedError = new Deno.errors.BadResource("Socket is closed");
  try {
    await assert.rejects(
      within(driveTransfer(download(), fake.conn), 2000, "the download"),
      Deno.errors.BadResource,
    );
  } finally {
    fake.close();
  }
  assert.deepEqual(fake.opcodes(), [OPCODE.RRQ, OPCODE.ACK, OPCODE.ERROR]);
});
