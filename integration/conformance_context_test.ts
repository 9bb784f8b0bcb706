// The conformance suite's socket layer against our own server on loopback: the probe, the
// scripted transfers of the check context, and the fixtures as written to disk.
// Run with: deno test --allow-all integration/conformance_context_test.ts
//
// Every server, probe, fake peer and temporary directory is closed or removed by
// `await using`; every wait is bounded by a transfer timeout or `within`.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodePacket,
  encodePacket,
  NetasciiEncoder,
  OPCODE,
  type Packet,
  serveTftp,
} from "../mod.ts";
import type {
  Address,
  CheckContext,
  ReceivedDatagram,
  ScriptedTransferRecord,
} from "../lib/conformance/check.ts";
import { createCheckContext } from "../lib/conformance/context.ts";
import { FIXTURES, OUTSIDE_MARKER, writeFixtures } from "../lib/conformance/fixtures.ts";
import { openProbe } from "../lib/conformance/probe.ts";
import {
  download,
  MAX_SCRIPTED_BYTES,
  MAX_SCRIPTED_DATAGRAMS,
  type ScriptOptions,
  upload,
} from "../lib/conformance/_transfer.ts";
import { concatBytes } from "../lib/bytes.ts";
import { canBindIpv6, content, within } from "./_fixture.ts";

const SHUTDOWN_MS = 5000;
/**
 * Server timing with no spurious retransmits on loopback, so the tests can count every
 * datagram exactly (FAST's 20 ms minimum RTO fires during a GC pause of a 65549-block run).
 */
const PATIENT = { initialRtoMs: 1000, minRtoMs: 500, retries: 5 } as const;

/** A bare UDP socket on 127.0.0.1, closed by `using`. */
function bareSocket(): Disposable & { conn: Deno.DatagramConn; address: Address } {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const address = { hostname: "127.0.0.1", port: (conn.addr as Deno.NetAddr).port };
  return { conn, address, [Symbol.dispose]: () => conn.close() };
}
const SERVED = FIXTURES.all.filter((f) => f.kind === "file");

/** Our server over freshly written fixtures, and a context factory for it. */
async function served(
  options: { hostname?: string; allowCreate?: boolean } = {},
): Promise<AsyncDisposable & { base: string; root: string; port: number; host: string }> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_conformance_" });
  const { root } = await writeFixtures(base);
  const host = options.hostname ?? "127.0.0.1";
  const server = serveTftp({
    root,
    hostname: host,
    port: 0,
    allowCreate: options.allowCreate ?? false,
    maxWindowsize: 64,
    ...PATIENT,
  });
  return {
    base,
    root,
    host,
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      try {
        await within(server.shutdown(), SHUTDOWN_MS, "server shutdown");
      } finally {
        await Deno.remove(base, { recursive: true });
      }
    },
  };
}

function dataBlocks(record: ScriptedTransferRecord): number[] {
  return record.received.flatMap((d) => d.packet?.opcode === OPCODE.DATA ? [d.packet.block] : []);
}

async function assertDownload(
  ctx: CheckContext,
  name: string,
  options: Record<string, string>,
  blksize: number,
  windowsize: number,
): Promise<ScriptedTransferRecord> {
  const fixture = FIXTURES.get(name);
  const got = await ctx.download(name, { options });
  const what = `${name} ${JSON.stringify(options)}`;
  assert.equal(got.result, "ok", `${what}: ${got.detail}`);
  assert.deepEqual(got.data, fixture.bytes(), what);
  const blocks = Math.floor(fixture.size / blksize) + 1;
  const window = windowsize > 1 ? `, windowsize ${windowsize}` : "";
  assert.equal(got.detail, `${fixture.size} bytes in ${blocks} DATA, blksize ${blksize}${window}`);
  assert.equal(dataBlocks(got).length, blocks, `${what}: every DATA once (no loss)`);
  const acks = Math.ceil(blocks / windowsize) + (Object.keys(options).length > 0 ? 1 : 0);
  assert.equal(got.sent, 1 + acks, `${what}: RRQ and ACKs sent`);
  assert.notEqual(got.serverPort, ctx.server.port, `${what}: a new TID`);
  return got;
}

Deno.test("conformance context: fixtures on disk are served byte-exact", async (t) => {
  await using srv = await served();
  await using ctx = createCheckContext({ server: { hostname: srv.host, port: srv.port } });

  await t.step("writeFixtures lays out files, modes and the relative symlink", async () => {
    for (const fixture of FIXTURES.all) {
      const path = join(srv.root, ...fixture.name.split("/"));
      if (fixture.kind === "symlink") {
        assert.equal(await Deno.readLink(path), "../outside/secret.txt");
      } else {
        const info = await Deno.lstat(path);
        assert.ok(info.isFile, fixture.name);
        assert.equal(info.mode! & 0o777, 0o644, fixture.name);
      }
      assert.deepEqual(await Deno.readFile(path), fixture.bytes(), fixture.name);
    }
    for (const dir of ["root", "root/sub", "outside"]) {
      assert.equal((await Deno.stat(join(srv.base, dir))).mode! & 0o777, 0o755, dir);
    }
    // Idempotent: a second run rewrites a changed file and replaces the symlink.
    await Deno.writeTextFile(join(srv.root, "1-byte.bin"), "changed");
    assert.deepEqual(await writeFixtures(srv.base), {
      root: srv.root,
      outside: join(srv.base, "outside"),
    });
    assert.deepEqual(
      await Deno.readFile(join(srv.root, "1-byte.bin")),
      FIXTURES.get("1-byte.bin").bytes(),
    );
  });

  await t.step("every served fixture, lock-step with blksize 512", async () => {
    for (const fixture of SERVED) {
      const got = await assertDownload(ctx, fixture.name, {}, 512, 1);
      assert.equal(got.oack, undefined);
    }
  });

  await t.step("every served fixture, blksize 1468 and windowsize 8", async () => {
    for (const fixture of SERVED) {
      const options = { blksize: "1468", windowsize: "8" };
      const got = await assertDownload(ctx, fixture.name, options, 1468, 8);
      assert.deepEqual(got.oack, options);
    }
  });

  await t.step("rollover.bin at blksize 8: 65549 DATA, 65535 then 0", async () => {
    const got = await assertDownload(ctx, "rollover.bin", { BlkSize: "8" }, 8, 1);
    const blocks = dataBlocks(got);
    assert.equal(blocks.length, 65549);
    const wrapped = [65534, 65535, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    assert.deepEqual(blocks.slice(65533), wrapped);
  });

  await t.step("netascii.txt in netascii mode: the wire bytes, CR LF and CR NUL", async () => {
    const got = await ctx.download("netascii.txt", { mode: "netascii" });
    assert.equal(got.result, "ok", got.detail);
    const wire = new NetasciiEncoder().encode(FIXTURES.get("netascii.txt").bytes());
    assert.deepEqual(got.data, wire);
    assert.deepEqual([...got.data.subarray(511, 513), ...got.data.subarray(1023, 1025)], [
      13,
      10,
      13,
      0,
    ]);
  });

  await t.step("the escape symlink and the outside file are refused", async () => {
    for (const name of ["escape-link.bin", "../outside/secret.txt"]) {
      const got = await ctx.download(name);
      assert.equal(got.result, "error", name);
      assert.equal(got.error?.code, 2, `${name}: ${got.detail}`);
      assert.equal(got.data.length, 0);
      const text = new TextDecoder().decode(concatBytes(got.received.map((d) => d.bytes)));
      assert.ok(!text.includes(OUTSIDE_MARKER));
    }
  });

  await t.step("a missing file is ERROR 1", async () => {
    const got = await ctx.download("no-such-file.bin");
    assert.deepEqual([got.result, got.detail, got.error], [
      "error",
      'ERROR 1 "File not found"',
      { code: 1, message: "File not found" },
    ]);
    assert.equal(got.sent, 1);
    assert.equal(got.received.length, 1);
  });

  await t.step("liveness", async () => {
    const live = await ctx.liveness();
    assert.equal(live.alive, true, live.detail);
    assert.match(live.detail, /^512-byte\.bin arrived intact in \d+ ms$/);
  });
});

Deno.test("conformance context: a stranger port gets ERROR 5 from the server's TID", async () => {
  await using srv = await served();
  await using ctx = createCheckContext({ server: { hostname: srv.host, port: srv.port } });
  const client = await ctx.openProbe();
  const stranger = await ctx.openProbe();
  await client.send({ opcode: OPCODE.RRQ, filename: "1024-byte.bin", mode: "octet", options: {} });
  const first = await client.receive({ timeoutMs: 2000 });
  assert.equal(first?.packet?.opcode, OPCODE.DATA);
  const tid = first!.from;
  assert.equal(tid.hostname, "127.0.0.1");
  assert.notEqual(tid.port, srv.port);

  await stranger.send({ opcode: OPCODE.ACK, block: 1 }, tid);
  const answer = await stranger.receive({ timeoutMs: 2000, from: tid });
  assert.equal(answer?.packet?.opcode, OPCODE.ERROR);
  assert.equal(answer?.packet?.opcode === OPCODE.ERROR && answer.packet.code, 5);
  assert.equal(stranger.others.length, 0);
  // The real client's transfer went on: DATA 1 again (its ACK never came), then end it.
  const again = await client.receive({ timeoutMs: 2000, from: tid });
  assert.equal(again?.packet?.opcode === OPCODE.DATA && again.packet.block, 1);
  await client.send({ opcode: OPCODE.ERROR, code: 0, message: "done" }, tid);
});

Deno.test("conformance probe: queue, filters, others, timeouts and close", async () => {
  // A silent "server": a bound socket that never reads, so nothing answers and no ICMP.
  using silent = bareSocket();
  const server = silent.address;
  await using a = await openProbe(server);
  await using b = await openProbe(server);
  const toA = { hostname: "localhost", port: a.port };

  let started = performance.now();
  assert.equal(await a.receive({ timeoutMs: 60 }), undefined);
  let waited = performance.now() - started;
  assert.ok(waited >= 55 && waited < 1000, `receive waited ${waited} ms`);
  started = performance.now();
  assert.deepEqual(await a.collect(60), []);
  waited = performance.now() - started;
  assert.ok(waited >= 55 && waited < 1000, `collect waited ${waited} ms`);

  // Queued before anyone asks, then taken by receive; undecodable bytes are kept as sent.
  await b.send(new Uint8Array([0, 9, 1, 2]), toA);
  await b.send({ opcode: OPCODE.ACK, block: 7 }, toA);
  const deadline = performance.now() + 2000;
  const first = await a.receive({ timeoutMs: 2000 });
  const second = await a.receive({ timeoutMs: deadline - performance.now() });
  assert.deepEqual(first?.bytes, new Uint8Array([0, 9, 1, 2]));
  assert.equal(first?.packet, undefined);
  assert.equal(first?.decodeError, "Unknown opcode 9");
  assert.deepEqual(second?.packet, { opcode: OPCODE.ACK, block: 7 });
  assert.deepEqual(second?.from, { hostname: "127.0.0.1", port: b.port });
  assert.ok(second!.atMs >= first!.atMs && first!.atMs >= 0);

  // Filters: a datagram from elsewhere goes to `others`; `match` picks among the rest.
  await b.send({ opcode: OPCODE.ACK, block: 1 }, toA);
  assert.equal(await a.receive({ timeoutMs: 100, from: server }), undefined);
  assert.equal(a.others.length, 1);
  assert.deepEqual(a.others[0].packet, { opcode: OPCODE.ACK, block: 1 });
  await b.send({ opcode: OPCODE.ACK, block: 2 }, toA);
  await b.send({ opcode: OPCODE.ACK, block: 3 }, toA);
  const three = await a.receive({
    timeoutMs: 2000,
    from: { hostname: "[::ffff:127.0.0.1]", port: b.port },
    match: (d: ReceivedDatagram) => d.packet?.opcode === OPCODE.ACK && d.packet.block === 3,
  });
  assert.deepEqual(three?.packet, { opcode: OPCODE.ACK, block: 3 });
  assert.deepEqual(a.others.map((d) => d.bytes[3]), [1, 2]);

  // collect gathers what arrives from the given address within the window.
  const gathering = a.collect(300, { hostname: "127.0.0.1", port: b.port });
  for (const block of [4, 5, 6]) await b.send({ opcode: OPCODE.ACK, block }, toA);
  assert.deepEqual((await gathering).map((d) => d.bytes[3]), [4, 5, 6]);

  // send() goes to the server by default.
  await a.send({ opcode: OPCODE.ACK, block: 9 });
  const buffer = new Uint8Array(16);
  const [bytes, from] = await within(silent.conn.receive(buffer), 2000, "the probe's datagram");
  assert.deepEqual(decodePacket(bytes), { opcode: OPCODE.ACK, block: 9 });
  assert.equal((from as Deno.NetAddr).port, a.port);

  // Closing resolves a pending receive at once; close is idempotent; send then fails.
  const pending = a.receive({ timeoutMs: 10_000 });
  started = performance.now();
  a.close();
  a.close();
  assert.equal(await pending, undefined);
  assert.ok(performance.now() - started < 1000);
  await assert.rejects(a.send(new Uint8Array(4)), { message: "The probe is closed" });
  assert.equal(await a.receive({ timeoutMs: 10 }), undefined);
  await assert.rejects(a.receive({ timeoutMs: -1 }), {
    name: "RangeError",
    message: "timeoutMs must be a finite number of milliseconds >= 0, got -1",
  });
});

Deno.test("conformance context: timeouts, abort and disposal", async () => {
  using silent = bareSocket();
  const server = silent.address;
  const lines: string[] = [];
  const abort = new AbortController();
  {
    await using ctx = createCheckContext({
      server,
      timeoutScale: 0.05,
      signal: abort.signal,
      log: (line) => lines.push(line),
    });
    const started = performance.now();
    const got = await ctx.download("512-byte.bin");
    const took = performance.now() - started;
    assert.deepEqual([got.result, got.detail, got.sent], [
      "timeout",
      "no answer to the RRQ within 100 ms, after 3 retransmits",
      4,
    ]);
    assert.ok(took >= 390 && took < 3000, `4 x 100 ms, took ${took} ms`);
    assert.deepEqual(lines, [
      'RRQ "512-byte.bin" octet: timeout, no answer to the RRQ within 100 ms, after 3 retransmits',
    ]);
    const buffer = new Uint8Array(600);
    const [rrq] = await within(silent.conn.receive(buffer), 2000, "the RRQ");
    assert.deepEqual(decodePacket(rrq), {
      opcode: OPCODE.RRQ,
      filename: "512-byte.bin",
      mode: "octet",
      options: {},
    });

    // Aborting the signal stops a running transfer with the abort reason.
    const running = ctx.download("1-byte.bin", { timeoutMs: 10_000 });
    setTimeout(() => abort.abort(), 20);
    await assert.rejects(within(running, 2000, "the aborted download"), { name: "AbortError" });
    await assert.rejects(ctx.openProbe(), { name: "AbortError" });
  }
  // Disposing of a context closes its probes: a pending receive resolves at once.
  let probe;
  let pending;
  {
    await using ctx = createCheckContext({ server });
    probe = await ctx.openProbe();
    pending = probe.receive({ timeoutMs: 10_000 });
    await assert.rejects(ctx.upload("conformance-x", new Uint8Array(1)), {
      name: "TypeError",
      message: "Uploads need a writable context (run with --writable)",
    });
  }
  assert.equal(await within(pending, 1000, "the pending receive"), undefined);
  await assert.rejects(probe.send(new Uint8Array(4)), { message: "The probe is closed" });
  assert.throws(() => createCheckContext({ server, timeoutScale: 0 }), {
    name: "RangeError",
    message: "timeoutScale must be a positive number, got 0",
  });
});

/** Sends a packet to the client from the fake server's TID, or from a stranger port. */
type FakeSend = (packet: Packet | Uint8Array, via?: "tid" | "stranger") => Promise<void>;

/**
 * A fake server on 127.0.0.1: `run` starts a transfer against it; the request is answered
 * from a second socket (the TID) by `script`; then the `expect` packets the client sent to
 * the TID are read.
 */
async function fakeServer(
  expect: number,
  script: (send: FakeSend) => Promise<void>,
  run: (server: { hostname: string; port: number }) => Promise<ScriptedTransferRecord>,
): Promise<{ record: ScriptedTransferRecord; seen: Packet[] }> {
  using listener = bareSocket();
  using tid = bareSocket();
  using stranger = bareSocket();
  const server = listener.address;
  const transfer = run(server);
  const [, client] = await within(listener.conn.receive(new Uint8Array(600)), 2000, "the request");
  const send: FakeSend = async (packet, via = "tid") => {
    const bytes = packet instanceof Uint8Array ? packet : encodePacket(packet);
    await (via === "tid" ? tid : stranger).conn.send(bytes, client);
  };
  await script(send);
  const record = await within(transfer, 5000, "the scripted transfer");
  const seen: Packet[] = [];
  const buffer = new Uint8Array(600);
  for (let i = 0; i < expect; i++) {
    const [bytes] = await within(tid.conn.receive(buffer), 2000, `client packet ${i + 1}`);
    seen.push(decodePacket(bytes.slice()));
  }
  return { record, seen };
}

Deno.test("conformance transfers: protocol errors end with ERROR 4", async (t) => {
  const context = (server: { hostname: string; port: number }) =>
    createCheckContext({ server, timeoutScale: 0.25 });

  await t.step("DATA larger than the blksize", async () => {
    const { record, seen } = await fakeServer(
      1,
      (send) => send({ opcode: OPCODE.DATA, block: 1, data: new Uint8Array(600) }),
      async (server) => {
        await using ctx = context(server);
        return await ctx.download("x.bin");
      },
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      "DATA 1 carries 600 bytes, more than the blksize 512",
    ]);
    assert.deepEqual(seen, [{ opcode: OPCODE.ERROR, code: 4, message: "Illegal TFTP operation" }]);
  });

  await t.step("a block beyond the window", async () => {
    const { record, seen } = await fakeServer(
      1,
      (send) => send({ opcode: OPCODE.DATA, block: 2, data: new Uint8Array(512) }),
      async (server) => {
        await using ctx = context(server);
        return await ctx.download("x.bin");
      },
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      "DATA 2 arrived while DATA 1 was expected",
    ]);
    assert.deepEqual(seen, [{ opcode: OPCODE.ERROR, code: 4, message: "Illegal TFTP operation" }]);
  });

  await t.step("an undecodable answer", async () => {
    const { record, seen } = await fakeServer(
      1,
      (send) => send(new Uint8Array([0, 3, 0])),
      async (server) => {
        await using ctx = context(server);
        return await ctx.download("x.bin");
      },
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      "undecodable datagram from the server: Datagram of 3 bytes is too short for TFTP",
    ]);
    assert.deepEqual(seen, [{ opcode: OPCODE.ERROR, code: 4, message: "Illegal TFTP operation" }]);
  });

  await t.step("a duplicate DATA is acknowledged again; strangers get nothing", async () => {
    const block = content(512, 3);
    const { record, seen } = await fakeServer(
      3,
      async (send) => {
        await send({ opcode: OPCODE.DATA, block: 1, data: block });
        await send({ opcode: OPCODE.DATA, block: 2, data: new Uint8Array(1) }, "stranger");
        await send({ opcode: OPCODE.DATA, block: 1, data: block });
        await send({ opcode: OPCODE.DATA, block: 2, data: new Uint8Array(3) });
      },
      async (server) => {
        await using ctx = context(server);
        return await ctx.download("x.bin");
      },
    );
    assert.deepEqual([record.result, record.detail], ["ok", "515 bytes in 2 DATA, blksize 512"]);
    assert.deepEqual(record.data, concatBytes([block, new Uint8Array(3)]));
    assert.equal(record.sent, 4, "RRQ, ACK 1, ACK 1, ACK 2: nothing to the stranger");
    assert.deepEqual(record.received.map((d) => d.from.port === record.serverPort), [
      true,
      false,
      true,
      true,
    ]);
    assert.deepEqual(seen, [
      { opcode: OPCODE.ACK, block: 1 },
      { opcode: OPCODE.ACK, block: 1 },
      { opcode: OPCODE.ACK, block: 2 },
    ]);
  });
});

Deno.test("conformance transfers: a server that streams forever hits the size cap", async (t) => {
  const ERROR_3 = { opcode: OPCODE.ERROR, code: 3, message: "Disk full or allocation exceeded" };
  /** A scripted transfer straight from `_transfer.ts`, with lowered caps. */
  const scripted = (
    caps: Pick<ScriptOptions, "maxBytes" | "maxDatagrams">,
    go: (script: ScriptOptions) => Promise<ScriptedTransferRecord>,
  ) =>
  async (server: { hostname: string; port: number }) => {
    await using probe = await openProbe(server);
    return await go({ probe, server, mode: "octet", options: {}, timeoutMs: 500, ...caps });
  };

  await t.step("the defaults", () => {
    assert.equal(MAX_SCRIPTED_BYTES, 64 * 1024 * 1024);
    assert.equal(MAX_SCRIPTED_DATAGRAMS, 262_144);
  });

  await t.step("a download stops at maxBytes, keeping only whole blocks before it", async () => {
    const blocks = Array.from({ length: 3 }, (_, i) => content(512, i + 1));
    const { record, seen } = await fakeServer(
      4,
      async (send) => {
        // "Forever", bounded: far more DATA than the cap, sent without waiting for ACKs.
        for (let block = 1; block <= 40; block++) {
          await send({ opcode: OPCODE.DATA, block, data: content(512, block) });
        }
      },
      scripted({ maxBytes: 2048 }, (script) => download("endless.bin", script)),
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      "received 2064 bytes in 4 datagrams, more than a scripted transfer keeps (2048 bytes, " +
      "262144 datagrams)",
    ]);
    assert.deepEqual(record.data, concatBytes(blocks));
    assert.equal(record.received.length, 4);
    assert.equal(record.sent, 5, "RRQ, ACK 1 to 3, ERROR 3");
    assert.deepEqual(seen, [
      { opcode: OPCODE.ACK, block: 1 },
      { opcode: OPCODE.ACK, block: 2 },
      { opcode: OPCODE.ACK, block: 3 },
      ERROR_3,
    ]);
  });

  await t.step("datagrams from strangers count towards maxDatagrams", async () => {
    const { record, seen } = await fakeServer(
      2,
      async (send) => {
        await send({ opcode: OPCODE.DATA, block: 1, data: content(512, 9) });
        for (let i = 0; i < 10; i++) await send({ opcode: OPCODE.ACK, block: i }, "stranger");
      },
      scripted({ maxDatagrams: 4 }, (script) => download("endless.bin", script)),
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      `received 532 bytes in 5 datagrams, more than a scripted transfer keeps ` +
      `(${MAX_SCRIPTED_BYTES} bytes, 4 datagrams)`,
    ]);
    assert.deepEqual(record.data, content(512, 9));
    assert.deepEqual(seen, [{ opcode: OPCODE.ACK, block: 1 }, ERROR_3]);
  });

  await t.step("an upload stops when duplicate ACKs pass maxDatagrams", async () => {
    const bytes = content(1000, 7);
    const { record, seen } = await fakeServer(
      2,
      async (send) => {
        for (let i = 0; i < 20; i++) await send({ opcode: OPCODE.ACK, block: 0 });
      },
      scripted({ maxDatagrams: 3 }, (script) => upload("conformance-x.bin", bytes, script)),
    );
    assert.deepEqual([record.result, record.detail], [
      "protocol",
      `received 16 bytes in 4 datagrams, more than a scripted transfer keeps ` +
      `(${MAX_SCRIPTED_BYTES} bytes, 3 datagrams)`,
    ]);
    assert.equal(record.sent, 3, "WRQ, DATA 1, ERROR 3: duplicate ACKs resend nothing");
    assert.deepEqual(seen, [
      { opcode: OPCODE.DATA, block: 1, data: bytes.subarray(0, 512) },
      ERROR_3,
    ]);
  });

  await t.step("caps must be positive integers", async () => {
    using silent = bareSocket();
    const server = silent.address;
    await using probe = await openProbe(server);
    const script = { probe, server, mode: "octet", options: {}, timeoutMs: 100 };
    await assert.rejects(download("x.bin", { ...script, maxBytes: 0 }), {
      name: "RangeError",
      message: "maxBytes must be a positive integer, got 0",
    });
    await assert.rejects(
      upload("conformance-x", new Uint8Array(1), { ...script, maxDatagrams: 1.5 }),
      {
        name: "RangeError",
        message: "maxDatagrams must be a positive integer, got 1.5",
      },
    );
  });
});

Deno.test("conformance context: upload round trip, lock-step and windowed", async () => {
  await using srv = await served({ allowCreate: true });
  const lines: string[] = [];
  await using ctx = createCheckContext({
    server: { hostname: srv.host, port: srv.port },
    writable: true,
    log: (line) => lines.push(line),
  });
  const bytes = content(1536, 0x55);
  const got = await ctx.upload("conformance-up.bin", bytes);
  assert.deepEqual([got.result, got.detail, got.sent], [
    "ok",
    "1536 bytes in 4 DATA, blksize 512",
    5,
  ]);
  assert.deepEqual(await Deno.readFile(join(srv.root, "conformance-up.bin")), bytes);

  const big = content(20_000, 0x56);
  const options = { blksize: "1468", windowsize: "4" };
  const windowed = await ctx.upload("conformance-window.bin", big, { options });
  assert.equal(windowed.result, "ok", windowed.detail);
  assert.deepEqual(windowed.oack, options);
  assert.equal(windowed.sent, 1 + 14);
  assert.equal(windowed.detail, "20000 bytes in 14 DATA, blksize 1468, windowsize 4");
  assert.deepEqual(await Deno.readFile(join(srv.root, "conformance-window.bin")), big);
  assert.deepEqual(lines, [
    'WRQ "conformance-up.bin" octet: ok, 1536 bytes in 4 DATA, blksize 512',
    'WRQ "conformance-window.bin" octet blksize=1468 windowsize=4: ok, 20000 bytes in 14 DATA, ' +
    "blksize 1468, windowsize 4",
  ]);

  const again = await ctx.upload("conformance-up.bin", bytes);
  assert.equal(again.result, "error");
  assert.equal(again.error?.code, 6);
  await assert.rejects(ctx.upload("sub/boot.bin", bytes), {
    name: "RangeError",
    message:
      'Uploaded names must start with "conformance-" after the last slash, got "sub/boot.bin"',
  });
});

Deno.test({
  name: "conformance context: IPv6 loopback",
  ignore: !canBindIpv6(),
  fn: async () => {
    await using srv = await served({ hostname: "::1" });
    for (const hostname of ["::1", "[::1]", "0:0:0:0:0:0:0:1"]) {
      await using ctx = createCheckContext({ server: { hostname, port: srv.port } });
      const got = await ctx.download("513-byte.bin", { options: { blksize: "1024" } });
      assert.equal(got.result, "ok", got.detail);
      assert.deepEqual(got.data, FIXTURES.get("513-byte.bin").bytes());
      assert.ok(got.received.every((d) => d.from.hostname === "::1"));
      assert.equal((await ctx.liveness()).alive, true);
    }
  },
});
