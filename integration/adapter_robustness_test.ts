// The Deno adapter under stress: stalled handlers, sources and sinks, throwing hooks, handler
// results for the wrong direction, files that appear or fail mid-way, repeated requests,
// IPv6 spellings. Run with: deno test --allow-all integration/adapter_robustness_test.ts
//
// Every wait is bounded; every server, socket and temporary directory is closed or removed.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeAck,
  encodeData,
  OPCODE,
  serveTftp,
  TftpError,
  tftpGet,
  tftpGetBytes,
  tftpPut,
} from "../mod.ts";
import { fileSource, openAtomicFileSink } from "../lib/tftp/_io.ts";
import { concatBytes, sha256Hex } from "../lib/bytes.ts";
import { Receiver } from "../lib/tftp/engine/receiver.ts";
import { decodePacket } from "../lib/tftp/packet/decode.ts";
import { driveTransfer } from "../lib/udp/drive.ts";
import { startImpairProxy } from "../lib/udp/impair.ts";
import {
  canBindIpv6,
  content,
  delay,
  exists,
  FAST,
  isRemote,
  openFixture,
  partFiles,
  RawPeer,
  request,
  waitUntil,
  within,
} from "./_fixture.ts";

/** A client that keeps waiting for a stuck server (until it says ERROR). */
const PATIENT = { initialRtoMs: 100, minRtoMs: 20, maxRtoMs: 200, retries: 100 } as const;

const never = () => new Promise<never>(() => {});

Deno.test("shutdown() ends transfers stuck on a stalled handler, source or sink", async () => {
  let handlerWaits = false;
  let sourceGiven = false;
  let sinkWrites = 0;
  await using fx = await openFixture({
    allowCreate: true,
    handler: (request) => {
      if (request.filename === "slow-handler") {
        handlerWaits = true;
        return never();
      }
      if (request.filename === "slow-source") {
        sourceGiven = true;
        return { body: new ReadableStream<Uint8Array>({ pull: () => never() }) };
      }
      if (request.filename === "slow-sink") {
        return {
          sink: new WritableStream<Uint8Array>({
            write: () => {
              sinkWrites++;
              return never();
            },
          }),
        };
      }
      return undefined;
    },
  });
  await using raw = new RawPeer();
  await raw.send(request(OPCODE.RRQ, "slow-handler"), fx.server.addr.port);
  const get = tftpGetBytes(fx.url("slow-source"), PATIENT).then(() => "complete", (e) => e);
  const put = tftpPut(content(3000), fx.url("slow-sink"), { ...PATIENT, blksize: 512 }).then(
    () => "complete",
    (e) => e,
  );
  await waitUntil(() => handlerWaits && sourceGiven && sinkWrites > 0, 3000, "all three stalls");
  await delay(100);
  assert.equal(fx.server.activeTransfers, 3);
  await within(fx.server.shutdown(), 3000, "shutdown with stalled transfers");
  isRemote(0, "Server shutting down")(await within(get, 3000, "the download to fail"));
  isRemote(0, "Server shutting down")(await within(put, 3000, "the upload to fail"));
  const outcome = new Map(fx.records.map((r) => [r.filename, [r.status, r.error?.code]]));
  assert.deepEqual(Object.fromEntries(outcome), {
    "slow-handler": ["refused", 0],
    "slow-source": ["failed", 0],
    "slow-sink": ["failed", 0],
  });
});

Deno.test("a throwing onDatagram hook neither stops the server nor fails a transfer", async () => {
  let serverCalls = 0;
  let clientCalls = 0;
  await using fx = await openFixture({
    onDatagram: () => {
      serverCalls++;
      throw new Error("server trace broke");
    },
  });
  const bytes = content(5000, 1);
  await Deno.writeFile(join(fx.root, "f"), bytes);
  const options = {
    ...FAST,
    onDatagram: () => {
      clientCalls++;
      throw new Error("client trace broke");
    },
  };
  assert.deepEqual(await tftpGetBytes(fx.url("f"), options), bytes);
  // The server still answers (requests, refusals, transfers).
  assert.deepEqual(await tftpGetBytes(fx.url("f"), options), bytes);
  await assert.rejects(tftpGetBytes(fx.url("missing"), options), isRemote(1));
  assert.ok(serverCalls > 10 && clientCalls > 10, `${serverCalls} and ${clientCalls} calls`);
});

Deno.test("a handler's body for a write or sink for a read is refused with ERROR 0", async () => {
  let cancelled: unknown;
  let aborted: unknown;
  await using fx = await openFixture({
    allowCreate: true,
    handler: (request) => {
      if (request.filename === "body") {
        return {
          body: new ReadableStream<Uint8Array>({ cancel: (reason) => void (cancelled = reason) }),
        };
      }
      if (request.filename === "bytes") return { body: new Uint8Array(10) };
      if (request.filename === "sink") {
        return { sink: new WritableStream({ abort: (reason) => void (aborted = reason) }) };
      }
      return undefined;
    },
  });
  const bodyForWrite = "Server handler returned a body for a write request";
  const sinkForRead = "Server handler returned a sink for a read request";
  await assert.rejects(tftpPut(content(100), fx.url("body"), FAST), isRemote(0, bodyForWrite));
  await assert.rejects(tftpPut(content(100), fx.url("bytes"), FAST), isRemote(0, bodyForWrite));
  await assert.rejects(tftpGetBytes(fx.url("sink"), FAST), isRemote(0, sinkForRead));
  await waitUntil(() => cancelled !== undefined && aborted !== undefined, 1000, "release");
  assert.ok(cancelled instanceof TftpError && cancelled.message === bodyForWrite);
  assert.ok(aborted instanceof TftpError && aborted.message === sinkForRead);
  assert.deepEqual(fx.records.map((r) => [r.filename, r.status, r.error?.message]), [
    ["body", "refused", bodyForWrite],
    ["bytes", "refused", bodyForWrite],
    ["sink", "refused", sinkForRead],
  ]);
  assert.equal(fx.server.activeTransfers, 0);
  assert.deepEqual(await partFiles(fx.root), []);
});

Deno.test({
  name: "IPv6 literals in any spelling reach a server on ::1; zone IDs are refused",
  ignore: !canBindIpv6(),
  fn: async () => {
    await using fx = await openFixture({ hostname: "::1" });
    const bytes = content(2000, 2);
    await Deno.writeFile(join(fx.root, "six"), bytes);
    for (const spelling of ["0:0:0:0:0:0:0:1", "0000::0001", "::1"]) {
      const url = `tftp://[${spelling}]:${fx.server.addr.port}/six`;
      assert.deepEqual(await tftpGetBytes(url, FAST), bytes, spelling);
    }
    await assert.rejects(
      tftpGetBytes(`tftp://[fe80::1%25eth0]:${fx.server.addr.port}/six`, FAST),
      TypeError,
    );
  },
});

Deno.test("a create-only server keeps a file that appeared during the upload", async () => {
  await using fx = await openFixture({ allowCreate: true });
  const theirs = new TextEncoder().encode("written by someone else\n");
  const target = join(fx.root, "race.bin");
  await using proxy = startImpairProxy({
    target: fx.server.addr,
    rule: (d) => {
      // After the WRQ and the first DATA: another writer creates the file.
      if (d.direction === "up" && d.index === 2) Deno.writeFileSync(target, theirs);
      return "pass";
    },
  });
  await assert.rejects(
    tftpPut(content(5000, 3), fx.url("race.bin", proxy.addr.port), {
      ...FAST,
      blksize: 512,
      windowsize: 1,
    }),
    isRemote(6, "File already exists"),
  );
  assert.deepEqual(await Deno.readFile(target), theirs);
  await waitUntil(() => fx.records.length === 1, 3000, "server log");
  assert.deepEqual([fx.records[0].status, fx.records[0].error?.code], ["failed", 6]);
  assert.deepEqual(await partFiles(fx.root), []);
});

Deno.test("openAtomicFileSink: replace false never overwrites, replace true does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_sink_" });
  try {
    const path = join(dir, "f");
    const ours = new TextEncoder().encode("ours");
    const theirs = new TextEncoder().encode("theirs");

    const first = await openAtomicFileSink(path, { replace: false });
    await first.write(ours);
    await first.commit();
    assert.deepEqual(await Deno.readFile(path), ours, "a new file is created");

    const second = await openAtomicFileSink(join(dir, "g"), { replace: false });
    await second.write(ours);
    await Deno.writeFile(join(dir, "g"), theirs); // appears meanwhile
    await assert.rejects(second.commit(), (error) => {
      assert.ok(error instanceof TftpError);
      assert.deepEqual([error.code, error.message], [6, "File already exists"]);
      return true;
    });
    assert.deepEqual(await Deno.readFile(join(dir, "g")), theirs);

    const third = await openAtomicFileSink(join(dir, "g"), { replace: true });
    await third.write(ours);
    await third.commit();
    assert.deepEqual(await Deno.readFile(join(dir, "g")), ours);
    assert.deepEqual(await partFiles(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a replaced file keeps its permission bits (download and upload)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using fx = await openFixture({ allowOverwrite: true });
    const bytes = content(3000, 4);
    const local = join(fx.local, "private.bin");
    await Deno.writeFile(local, new Uint8Array(1));
    await Deno.chmod(local, 0o600);
    await Deno.writeFile(join(fx.root, "private.bin"), bytes);
    await tftpGet(fx.url("private.bin"), local, FAST);
    assert.deepEqual(await Deno.readFile(local), bytes);
    assert.equal((await Deno.stat(local)).mode! & 0o777, 0o600);

    const remote = join(fx.root, "shared.bin");
    await Deno.writeFile(remote, new Uint8Array(1));
    await Deno.chmod(remote, 0o664);
    await tftpPut(bytes, fx.url("shared.bin"), FAST);
    await waitUntil(() => fx.records.length === 2, 3000, "server log");
    assert.deepEqual(await Deno.readFile(remote), bytes);
    assert.equal((await Deno.stat(remote)).mode! & 0o777, 0o664);
  },
});

Deno.test("fileSource in block-sized chunks: byte-exact, known size or not, and a file that shrinks fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_source_" });
  try {
    const path = join(dir, "f");
    const bytes = content(1024 * 1024 + 17, 5);
    await Deno.writeFile(path, bytes);
    for (const size of [bytes.length, undefined]) {
      const source = fileSource(await Deno.open(path), size);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 100; i++) {
        const chunk = await source.read(65464); // one 65464-byte block wanted
        if (chunk === null) break;
        chunks.push(chunk.slice());
      }
      await source.close();
      assert.ok(chunks.length > 1 && chunks[0].length === 65464, `chunks of ${chunks[0].length}`);
      assert.deepEqual(concatBytes(chunks), bytes, `size ${size}`);
    }
    for (const chunkBytes of [0, NaN, 1.5]) {
      const file = await Deno.open(path);
      try {
        assert.throws(() => fileSource(file, bytes.length, { chunkBytes }), {
          name: "RangeError",
          message: `chunkBytes must be a whole number of bytes, got ${chunkBytes}`,
        });
      } finally {
        file.close();
      }
    }
    // A chunk size of its own: reads of that much, whatever the caller wants below it.
    const small = fileSource(await Deno.open(path), bytes.length, { chunkBytes: 1000 });
    const sizes: number[] = [];
    const read: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const chunk = await small.read(512);
      if (chunk === null) break;
      sizes.push(chunk.length);
      read.push(chunk.slice());
    }
    await small.close();
    assert.equal(sizes.length, Math.ceil(bytes.length / 1000));
    assert.ok(sizes.slice(0, -1).every((n) => n === 1000), "chunks of 1000 bytes");
    assert.deepEqual(concatBytes(read), bytes);
    // The file shrinks while it is read: the promised size cannot be kept.
    const source = fileSource(await Deno.open(path), bytes.length);
    assert.equal((await source.read(65464))?.length, 65464);
    await Deno.truncate(path, 100_000);
    const failure = await (async () => {
      for (let i = 0; i < 100; i++) if (await source.read(65464) === null) return undefined;
    })().catch((error) => error);
    await source.close();
    assert.ok(failure instanceof TftpError, `got ${failure}`);
    assert.match(
      failure.message,
      /^File changed while being read: it ended after [0-9]+ of 1048593 bytes$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileSource reads the next chunk ahead; its failure comes with the read that wanted it", async () => {
  /** A file of `bytes` whose reads are recorded; read number `failAt` (1-based) fails. */
  const fakeFile = (bytes: Uint8Array, failAt = Infinity) => {
    const calls: number[] = [];
    let at = 0;
    const file = {
      read(buffer: Uint8Array): Promise<number | null> {
        calls.push(buffer.length);
        if (calls.length === failAt) return Promise.reject(new Deno.errors.PermissionDenied("no"));
        if (at >= bytes.length) return Promise.resolve(null);
        const n = Math.min(buffer.length, bytes.length - at);
        buffer.set(bytes.subarray(at, at + n));
        at += n;
        return Promise.resolve(n);
      },
      close() {},
    };
    return { file: file as unknown as Deno.FsFile, calls };
  };
  const bytes = content(10_000, 9);
  const { file, calls } = fakeFile(bytes);
  const source = fileSource(file, bytes.length, { chunkBytes: 4096 });
  const first = (await source.read())!.slice();
  assert.deepEqual(calls, [4096, 4096], "the second chunk is read ahead at once");
  const second = (await source.read())!.slice();
  assert.deepEqual(calls, [4096, 4096, 10_000 - 8192], "then the rest of the promised size");
  const third = (await source.read())!.slice();
  assert.equal(calls.length, 3, "nothing is left to read ahead");
  assert.equal(await source.read(), null);
  assert.deepEqual(concatBytes([first, second, third]), bytes);
  await source.close();

  // The read ahead fails: the first read still gets its bytes; the next one gets the error.
  const failing = fakeFile(bytes, 2);
  const source2 = fileSource(failing.file, bytes.length, { chunkBytes: 4096 });
  assert.deepEqual((await source2.read())?.length, 4096);
  await assert.rejects(source2.read(), (error: Error) => error instanceof TftpError);
  await source2.close();

  // Closed with a read ahead pending that then fails: nothing is left unhandled.
  const abandoned = fakeFile(bytes, 2);
  const source3 = fileSource(abandoned.file, bytes.length, { chunkBytes: 4096 });
  await source3.read();
  await source3.close();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // A file that fits one chunk: one buffer, no read ahead.
  const small = fakeFile(bytes.subarray(0, 100));
  const source4 = fileSource(small.file, 100, { chunkBytes: 4096 });
  assert.equal((await source4.read())?.length, 100);
  assert.deepEqual(small.calls, [100]);
  await source4.close();
});

Deno.test("serveTftp readChunkBytes: small file reads serve byte-exact; out-of-range sizes refused", async () => {
  for (const readChunkBytes of [511, 262_145, 1000.5]) {
    assert.throws(
      () => serveTftp({ root: ".", hostname: "127.0.0.1", port: 0, readChunkBytes }),
      (error: Error) => error instanceof RangeError && /readChunkBytes/.test(error.message),
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_chunk_" });
  try {
    const bytes = content(100_003, 21);
    await Deno.writeFile(join(dir, "f.bin"), bytes);
    await using server = serveTftp({
      root: dir,
      hostname: "127.0.0.1",
      port: 0,
      readChunkBytes: 600,
      fileCacheBytes: 0, // the file would be cached: one read, not reads of 600
    });
    // The server's file reads, seen by their buffer sizes (this test's own reads of the file
    // are done before the patch).
    const reads = Deno.FsFile.prototype.read;
    const sizes: number[] = [];
    Deno.FsFile.prototype.read = function (this: Deno.FsFile, buffer: Uint8Array) {
      sizes.push(buffer.length);
      return reads.call(this, buffer);
    };
    try {
      for (const [blksize, windowsize] of [[512, 1], [1468, 4], [8192, 2]]) {
        sizes.length = 0;
        const got = await tftpGetBytes(`tftp://127.0.0.1:${server.addr.port}/f.bin`, {
          blksize,
          windowsize,
        });
        assert.equal(await sha256Hex(got), await sha256Hex(bytes), `${blksize} x ${windowsize}`);
        // 600 bytes a read, unless the window wants more at once (8192 x 2: 16384).
        const expected = Math.max(600, blksize * windowsize);
        assert.equal(sizes[0], expected, `${blksize} x ${windowsize}: first read`);
      }
    } finally {
      Deno.FsFile.prototype.read = reads;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openAtomicFileSink copies each chunk: one reused caller buffer, any sizes, byte-exact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_sink_" });
  try {
    const path = join(dir, "f");
    const sink = await openAtomicFileSink(path, { replace: false });
    // Sizes around and beyond the sink's 64 KiB buffer, and a block size that never divides it.
    const sizes = [1, 1468, 1468, 65464, 65535, 65536, 65537, 70_000, 200_000, 0, 512, 3];
    const expected = content(sizes.reduce((a, b) => a + b, 0), 11);
    const lent = new Uint8Array(200_000); // like the driver's receive buffer: reused each time
    let at = 0;
    for (const size of sizes) {
      lent.set(expected.subarray(at, at + size));
      const writing = sink.write(lent.subarray(0, size));
      lent.fill(0xee); // the caller reuses its buffer at once: the sink must have copied
      if (writing) await writing;
      at += size;
    }
    assert.equal(await exists(path), false, "nothing in place before commit");
    await sink.commit();
    assert.deepEqual(await Deno.readFile(path), expected);
    assert.deepEqual(await partFiles(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openAtomicFileSink writes a full buffer behind the caller, and makes it wait only when both are full", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_sink_" });
  const write = Deno.FsFile.prototype.write;
  try {
    const path = join(dir, "f");
    const sink = await openAtomicFileSink(path, { replace: false });
    // The disk answers only when the test says so.
    const held: (() => void)[] = [];
    Deno.FsFile.prototype.write = function (this: Deno.FsFile, p: Uint8Array) {
      return new Promise<void>((resolve) => held.push(resolve)).then(() => write.call(this, p));
    };
    const KIB64 = 64 * 1024;
    // The first buffer fills: it is written behind, the caller goes on at once.
    assert.equal(sink.write(new Uint8Array(KIB64).fill(1)), undefined);
    assert.equal(held.length, 1);
    // The second fills while the first is still being written: now the caller waits.
    const second = sink.write(new Uint8Array(KIB64 + 3).fill(2));
    assert.ok(second instanceof Promise);
    await assert.rejects(
      sink.write(new Uint8Array(10))!,
      new TypeError("Sink.write() before the previous write finished"),
    );
    let waited = false;
    const done = second.then(() => waited = true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(waited, false, "still waiting for the first write");
    held.shift()!();
    await done;
    assert.equal(held.length, 1, "the second buffer is being written");
    held.shift()!();
    assert.equal(sink.write(new Uint8Array(10).fill(4)), undefined); // buffered
    const committing = sink.commit();
    for (let i = 0; i < 100 && !(await Promise.race([committing.then(() => true), tick()])); i++) {
      held.splice(0).forEach((release) => release());
    }
    await committing;
    const got = await Deno.readFile(path);
    const expected = concatBytes([
      new Uint8Array(KIB64).fill(1),
      new Uint8Array(KIB64 + 3).fill(2),
      new Uint8Array(10).fill(4),
    ]);
    assert.deepEqual(got, expected);
  } finally {
    Deno.FsFile.prototype.write = write;
    await Deno.remove(dir, { recursive: true });
  }
});

function tick(): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), 1));
}

Deno.test("openAtomicFileSink: a failed write of the last full buffer fails commit; nothing is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_sink_" });
  const write = Deno.FsFile.prototype.write;
  try {
    const sink = await openAtomicFileSink(join(dir, "f"), { replace: false });
    Deno.FsFile.prototype.write = () =>
      Promise.reject(Object.assign(new Error("I/O"), { code: "EIO" }));
    assert.equal(sink.write(new Uint8Array(64 * 1024)), undefined, "written behind, no wait");
    assert.equal(sink.write(new Uint8Array(10)), undefined, "buffered: the failure not seen yet");
    await assert.rejects(sink.commit(), /^TftpError: Could not write the file \(EIO\)$/);
    assert.deepEqual(await partFiles(dir), []);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    Deno.FsFile.prototype.write = write;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openAtomicFileSink: after a failed write, commit rethrows it and writes nothing more", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_sink_" });
  const write = Deno.FsFile.prototype.write;
  try {
    const path = join(dir, "f");
    const sink = await openAtomicFileSink(path, { replace: true });
    let calls = 0;
    // The disk fails once, on the third write (a transient error, as on a network share).
    Deno.FsFile.prototype.write = function (this: Deno.FsFile, p: Uint8Array) {
      if (++calls === 3) return Promise.reject(Object.assign(new Error("I/O"), { code: "EIO" }));
      return write.call(this, p);
    };
    // Chunks of 32 KiB: the sink writes once per 64 KiB gathered, behind the caller, so the
    // third write is the sixth chunk's, and its failure comes back on a chunk after it.
    const chunks = Array.from({ length: 20 }, (_, i) => new Uint8Array(32 * 1024).fill(i));
    let failure: unknown;
    for (const chunk of chunks) {
      try {
        await sink.write(chunk);
      } catch (error) {
        failure = error;
        break;
      }
    }
    assert.ok(failure instanceof TftpError, `write failed with ${failure}`);
    assert.equal(failure.message, "Could not write the file (EIO)");
    assert.equal(calls, 3);
    await assert.rejects(sink.commit(), (error) => error === failure);
    assert.equal(calls, 3, "no chunk was written again");
    assert.equal(await exists(path), false);
    assert.deepEqual(await partFiles(dir), []);
  } finally {
    Deno.FsFile.prototype.write = write;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a different request from the same client port is served at once", async () => {
  await using fx = await openFixture();
  const bytes = content(100, 5);
  await Deno.writeFile(join(fx.root, "boot.efi"), bytes);
  await using raw = new RawPeer();
  // The UEFI pattern: ask for the size, refuse the OACK, ask again without options.
  await raw.send(request(OPCODE.RRQ, "boot.efi", { tsize: "0" }), fx.server.addr.port);
  const oack = await raw.expect((p) => p.opcode === OPCODE.OACK, 2000, "OACK");
  await raw.send(request(OPCODE.RRQ, "boot.efi"), fx.server.addr.port);
  const data = await raw.expect((p) => p.opcode === OPCODE.DATA, 2000, "DATA 1");
  assert.notEqual(data.from.port, oack.from.port, "a second transfer, on its own port");
  assert.ok(data.packet.opcode === OPCODE.DATA && data.packet.block === 1);
  assert.deepEqual(data.packet.data, bytes);
  await raw.send({ opcode: OPCODE.ERROR, code: 8, message: "tsize refused" }, oack.from.port);
  await raw.send(encodeAck(1), data.from.port);
  await waitUntil(() => fx.records.length === 2, 3000, "server log");
  const outcome = fx.records.map((r) => [r.status, r.error?.code]).sort();
  assert.deepEqual(outcome, [["complete", undefined], ["failed", 8]]);
});

Deno.test("a request repeated after its transfer ended is answered, even during the dally", async () => {
  await using fx = await openFixture({ allowCreate: true });
  await using raw = new RawPeer();
  const wrq = request(OPCODE.WRQ, "new.txt");
  await raw.send(wrq, fx.server.addr.port);
  const ack0 = await raw.expect((p) => p.opcode === OPCODE.ACK, 2000, "ACK 0");
  await raw.send(encodeData(1, new TextEncoder().encode("hello\n")), ack0.from.port);
  const ack1 = await raw.expect((p) => p.opcode === OPCODE.ACK && p.block === 1, 2000, "ACK 1");
  assert.equal(ack1.from.port, ack0.from.port);
  // The server now dallies on that port; the same request again is a new one.
  await raw.send(wrq, fx.server.addr.port);
  const refused = await raw.expect((p) => p.opcode === OPCODE.ERROR, 1000, "answer");
  assert.ok(refused.packet.opcode === OPCODE.ERROR);
  assert.deepEqual([refused.packet.code, refused.packet.message], [6, "File already exists"]);
  assert.equal(refused.from.port, fx.server.addr.port);
  assert.equal(await Deno.readTextFile(join(fx.root, "new.txt")), "hello\n");
});

Deno.test("with timeoutS, a download is not slowed down by the client's dally", async () => {
  await using fx = await openFixture();
  const bytes = content(3000, 6);
  await Deno.writeFile(join(fx.root, "f"), bytes);
  const started = performance.now();
  assert.deepEqual(await tftpGetBytes(fx.url("f"), { timeoutS: 4 }), bytes);
  const elapsed = performance.now() - started;
  // The dally is at most one second now; it used to be the whole 4 s timeout.
  assert.ok(elapsed < 2500, `took ${elapsed} ms`);
  const quick = performance.now();
  assert.deepEqual(await tftpGetBytes(fx.url("f"), { timeoutS: 4, dallyMs: 0 }), bytes);
  assert.ok(performance.now() - quick < 1000, "an explicit dallyMs is kept");
});

Deno.test("tftpPut refuses a path that is not a regular file before sending anything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_put_" });
  try {
    await using server = new RawPeer();
    await assert.rejects(tftpPut(dir, `tftp://127.0.0.1:${server.port}/x`, FAST), (error) => {
      assert.ok(error instanceof TftpError);
      assert.equal(error.message, "Only regular files can be uploaded");
      return true;
    });
    assert.equal(await server.receive(200), undefined, "nothing was sent");
    await assert.rejects(
      tftpPut(join(dir, "missing"), `tftp://127.0.0.1:${server.port}/x`, FAST),
      (error) => error instanceof TftpError && error.code === 1,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("driveTransfer: the receive buffer follows the machine (2048 bytes at blksize 512)", async () => {
  const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const peer = { hostname: "127.0.0.1", port: (b.addr as Deno.NetAddr).port };
    // A server receiving a WRQ at blksize 512: it sends ACK 0, then gets a 3004-byte DATA 1.
    const rx = new Receiver(0, { peer, options: { blksize: 512, windowsize: 1 } }, {
      timeoutMs: 5000,
    });
    const failures: string[] = [];
    const driving = driveTransfer(rx, a, {
      onEvent: (e) => void (e.type === "failed" && failures.push(e.error.message)),
    });
    const [ack] = await within(b.receive(), 5000, "ACK 0");
    assert.deepEqual(ack, encodeAck(0));
    await b.send(
      encodeData(1, new Uint8Array(3000)),
      a.addr,
    );
    await within(driving, 5000, "the transfer to end");
    // Truncated to the machine's 2048-byte buffer: 2044 bytes of payload, still oversized.
    assert.deepEqual(failures, ["DATA 1 carries 2044 bytes, more than blksize 512"]);
    const [error] = await within(b.receive(), 5000, "ERROR 4");
    assert.equal(decodePacket(error).opcode, OPCODE.ERROR);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("the client asks for a window of 64 KiB at most when it receives, not when it sends", async () => {
  await using raw = new RawPeer();
  const url = (name: string) => `tftp://127.0.0.1:${raw.port}/${name}`;
  const asked = async (run: () => Promise<unknown>) => {
    const transfer = run().catch(() => {});
    const got = await raw.expect(
      (p) => p.opcode === OPCODE.RRQ || p.opcode === OPCODE.WRQ,
      3000,
      "the request",
    );
    await raw.send({ opcode: OPCODE.ERROR, code: 1, message: "File not found" }, got.from.port);
    await transfer;
    return got.packet.opcode === OPCODE.RRQ || got.packet.opcode === OPCODE.WRQ
      ? got.packet.options.windowsize
      : undefined;
  };
  assert.equal(
    await asked(() => tftpGetBytes(url("a"), { blksize: 65464, windowsize: 16 })),
    undefined,
  );
  assert.equal(await asked(() => tftpGetBytes(url("b"), { blksize: 8192, windowsize: 64 })), "8");
  assert.equal(await asked(() => tftpGetBytes(url("c"), { blksize: 1468, windowsize: 16 })), "16");
  const bytes = new Uint8Array(10);
  assert.equal(
    await asked(() => tftpPut(bytes, url("d"), { blksize: 65464, windowsize: 16 })),
    "16",
  );
});
