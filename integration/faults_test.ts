// Faults around a transfer: a disk that fills up or refuses writes (on the server's root and
// on the client's side), a file that shrinks or grows while it is served, a client that
// vanishes mid-transfer. Run with: deno test --allow-all integration/faults_test.ts
//
// A real ENOSPC needs a small filesystem: the tests mount a tmpfs (1 MiB) on a temporary
// directory, which needs root (CI and the dev machine run as root); without it they are
// ignored, with the reason in their name. Root bypasses permission bits, so "a directory the
// server cannot write" is a tmpfs remounted read-only (EROFS): the same path through
// fileErrorToTftp as EACCES. Every mount is undone in a `finally`; every wait is bounded.
import assert from "node:assert/strict";
import { join } from "node:path";
import { OPCODE, TftpError, tftpGet, tftpPut, TftpRemoteError } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import {
  content,
  FAST,
  type Fixture,
  GIVE_UP,
  isRemote,
  openFixture,
  RawPeer,
  request,
  waitUntil,
} from "./_fixture.ts";

const DISK_FULL = "Disk full or allocation exceeded";
const PERMISSION_DENIED = "Access violation: permission denied";

async function mount(args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("mount", { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function umount(dir: string): Promise<void> {
  const { success } = await new Deno.Command("umount", { args: [dir], stderr: "piped" }).output();
  if (!success) throw new Error(`Could not unmount ${JSON.stringify(dir)}`);
}

/** Whether this process may mount a tmpfs (root, not in a restricted container). */
async function canMountTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir({ prefix: "tftpkit_faults_probe_" });
  try {
    if (!(await mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]))) return false;
    await umount(dir);
    return true;
  } finally {
    await Deno.remove(dir);
  }
}

const CAN_MOUNT = await canMountTmpfs();
const SKIP = CAN_MOUNT ? "" : " (ignored: needs root to mount a tmpfs)";

/** Runs `fn` with a tmpfs of `sizeBytes` mounted on `dir` (an empty directory). */
async function withTmpfs(dir: string, sizeBytes: number, fn: () => Promise<void>): Promise<void> {
  assert.ok(await mount(["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0755`, "tmpfs", dir]));
  try {
    await fn();
  } finally {
    await umount(dir);
  }
}

/** Makes the filesystem mounted on `dir` read-only. */
async function remountReadOnly(dir: string): Promise<void> {
  assert.ok(await mount(["-o", "remount,ro", dir]), `remount ${dir} read-only`);
}

/** The names in `dir`, sorted: shows leftover temporary (`.part`) and partial files. */
async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

async function sha(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

/** Whether a UDP socket can bind 127.0.0.1:`port` now. */
function canBind(port: number): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/** The one transfer the server logged, once it logged it. */
async function onlyRecord(fx: Fixture, ms = 5000) {
  await waitUntil(() => fx.records.length > 0, ms, "the server's transfer record");
  assert.equal(fx.records.length, 1, "one transfer logged");
  return fx.records[0];
}

/** 1 MiB: the small filesystem that fills up. */
const SMALL_FS = 1024 * 1024;

Deno.test({
  name: `disk full during a WRQ: ERROR 3, no partial or temporary file, the old file intact${SKIP}`,
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fx = await openFixture({ allowCreate: true, allowOverwrite: true });
    await withTmpfs(fx.root, SMALL_FS, async () => {
      const old = content(200 * 1024, 1);
      await Deno.writeFile(join(fx.root, "fw.bin"), old);
      const oldSha = await sha256Hex(old);
      const big = content(4 * 1024 * 1024, 2);

      // Overwriting: the space runs out in the middle of the upload.
      await assert.rejects(tftpPut(big, fx.url("fw.bin"), FAST), isRemote(3, DISK_FULL));
      const first = await onlyRecord(fx);
      assert.deepEqual([first.kind, first.status, first.error], ["write", "failed", {
        code: 3,
        message: DISK_FULL,
      }]);
      assert.deepEqual(await names(fx.root), ["fw.bin"]);
      assert.equal(await sha(join(fx.root, "fw.bin")), oldSha);

      // Creating: the same, and no file of that name appears.
      fx.records.length = 0;
      await assert.rejects(tftpPut(big, fx.url("new.bin"), FAST), isRemote(3, DISK_FULL));
      assert.equal((await onlyRecord(fx)).error?.code, 3);
      assert.deepEqual(await names(fx.root), ["fw.bin"]);

      // Just too large: the last bytes fail when the upload is committed, after the final
      // DATA arrived. The client still gets ERROR 3 (not a timeout) and nothing is left.
      fx.records.length = 0;
      const free = SMALL_FS - old.length;
      const almost = content(free + 1000, 3);
      await assert.rejects(tftpPut(almost, fx.url("fw.bin"), FAST), isRemote(3, DISK_FULL));
      const last = await onlyRecord(fx);
      assert.deepEqual([last.error?.code, last.stats?.bytes], [3, almost.length]);
      assert.deepEqual(await names(fx.root), ["fw.bin"]);
      assert.equal(await sha(join(fx.root, "fw.bin")), oldSha);

      // The server still works, and what fits is stored.
      fx.records.length = 0;
      const small = content(100 * 1024, 4);
      await tftpPut(small, fx.url("fw.bin"), FAST);
      assert.equal((await onlyRecord(fx)).status, "complete");
      assert.equal(await sha(join(fx.root, "fw.bin")), await sha256Hex(small));
    });
  },
});

Deno.test({
  name: `disk full during a download: TftpError 3, the server gets ERROR 3, old file intact${SKIP}`,
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fx = await openFixture();
    const big = content(4 * 1024 * 1024, 5);
    await Deno.writeFile(join(fx.root, "big.bin"), big);
    await withTmpfs(fx.local, SMALL_FS, async () => {
      const target = join(fx.local, "big.bin");
      const old = content(100 * 1024, 6);
      await Deno.writeFile(target, old);
      const error = await tftpGet(fx.url("big.bin"), target, FAST).then(
        () => assert.fail("the download succeeded on a full disk"),
        (error) => error,
      );
      assert.ok(error instanceof TftpError && !(error instanceof TftpRemoteError), `${error}`);
      assert.deepEqual([error.code, error.message], [3, DISK_FULL]);
      const record = await onlyRecord(fx);
      assert.deepEqual([record.kind, record.status, record.error], ["read", "failed", {
        code: 3,
        message: `${DISK_FULL} (TFTP error 3)`,
      }]);
      assert.deepEqual(await names(fx.local), ["big.bin"]);
      assert.equal(await sha(target), await sha256Hex(old));

      // Just too large: the last bytes fail when the download is committed. The server gets
      // ERROR 3 instead of the final ACK, so it does not log the transfer as complete.
      fx.records.length = 0;
      const almost = content(SMALL_FS - old.length + 1000, 7);
      await Deno.writeFile(join(fx.root, "almost.bin"), almost);
      let received = 0;
      const get = tftpGet(fx.url("almost.bin"), target, {
        ...FAST,
        onProgress: ({ bytes }) => received = bytes,
      });
      await assert.rejects(get, (error) => {
        assert.ok(error instanceof TftpError && !(error instanceof TftpRemoteError), `${error}`);
        assert.deepEqual([error.code, error.message], [3, DISK_FULL]);
        return true;
      });
      assert.equal(received, almost.length, "every byte arrived before the failure");
      const last = await onlyRecord(fx);
      assert.deepEqual([last.status, last.error?.code], ["failed", 3]);
      assert.deepEqual(await names(fx.local), ["big.bin"]);
      assert.equal(await sha(target), await sha256Hex(old));
    });
  },
});

Deno.test({
  name: `a root the server cannot write: ERROR 2, nothing left; a local directory the client ` +
    `cannot write: error before any packet${SKIP}`,
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fx = await openFixture({ allowCreate: true, allowOverwrite: true });
    await withTmpfs(fx.root, SMALL_FS, async () => {
      const old = content(5000, 7);
      await Deno.writeFile(join(fx.root, "cfg.txt"), old);
      await remountReadOnly(fx.root);
      const upload = content(20_000, 8);
      await assert.rejects(
        tftpPut(upload, fx.url("cfg.txt"), FAST),
        isRemote(2, PERMISSION_DENIED),
      );
      await assert.rejects(
        tftpPut(upload, fx.url("new.txt"), FAST),
        isRemote(2, PERMISSION_DENIED),
      );
      await waitUntil(() => fx.records.length === 2, 5000, "two records");
      assert.deepEqual(fx.records.map((r) => [r.status, r.error?.code]), [
        ["refused", 2],
        ["refused", 2],
      ]);
      assert.deepEqual(await names(fx.root), ["cfg.txt"]);
      assert.equal(await sha(join(fx.root, "cfg.txt")), await sha256Hex(old));
    });

    fx.records.length = 0;
    await Deno.writeFile(join(fx.root, "cfg.txt"), content(5000, 9));
    await withTmpfs(fx.local, SMALL_FS, async () => {
      const old = content(300, 10);
      await Deno.writeFile(join(fx.local, "cfg.txt"), old);
      await remountReadOnly(fx.local);
      let sent = 0;
      const error = await tftpGet(fx.url("cfg.txt"), join(fx.local, "cfg.txt"), {
        ...FAST,
        onDatagram: (direction) => direction === "send" && sent++,
      }).then(() => assert.fail("the download succeeded into a read-only directory"), (e) => e);
      assert.ok(error instanceof TftpError, `${error}`);
      assert.deepEqual([error.code, error.message], [2, PERMISSION_DENIED]);
      assert.equal(sent, 0, "datagrams sent");
      assert.deepEqual(fx.records, []);
      assert.deepEqual(await names(fx.local), ["cfg.txt"]);
      assert.equal(await sha(join(fx.local, "cfg.txt")), await sha256Hex(old));
    });
  },
});

Deno.test("a file that shrinks while served: the client gets ERROR 0 and keeps nothing", async () => {
  await using fx = await openFixture();
  const path = join(fx.root, "log.bin");
  // Above the 4 MiB of the server's file cache: read as it is sent (a cached file would be
  // served as it was when cached).
  await Deno.writeFile(path, content(4 * 1024 * 1024 + 512, 11));
  let truncated = false;
  const target = join(fx.local, "log.bin");
  await assert.rejects(
    tftpGet(fx.url("log.bin"), target, {
      ...FAST,
      blksize: 512,
      windowsize: 1,
      onProgress: ({ bytes }) => {
        if (bytes < 256 * 1024 || truncated) return;
        truncated = true;
        Deno.truncateSync(path, 100 * 1024);
      },
    }),
    // Lock-step: the server had read up to the block the client just received, and the
    // 32 KiB chunk after it ahead (unless that read ahead was still waiting for a thread).
    isRemote(0, /^File changed while being read: it ended after (294912|262144) of 4194816 bytes$/),
  );
  assert.ok(truncated);
  const record = await onlyRecord(fx);
  assert.deepEqual([record.status, record.error?.code], ["failed", 0]);
  assert.deepEqual(await names(fx.local), []);
});

Deno.test("a file that shrinks while uploaded: the client sends ERROR 0, the server keeps nothing", async () => {
  await using fx = await openFixture({ allowCreate: true });
  const path = join(fx.local, "dump.bin");
  await Deno.writeFile(path, content(1024 * 1024, 17));
  let truncated = false;
  // Lock-step: at 128 KiB acknowledged, the client already read the next 32 KiB chunk, and
  // the one after it ahead (unless that read ahead was still waiting for a thread).
  const message =
    /^File changed while being read: it ended after (196608|163840) of 1048576 bytes$/;
  let sent = ""; // the message the client sent the server
  await assert.rejects(
    tftpPut(path, fx.url("dump.bin"), {
      ...FAST,
      blksize: 512,
      windowsize: 1,
      onProgress: ({ bytes }) => {
        if (bytes < 128 * 1024 || truncated) return;
        truncated = true;
        Deno.truncateSync(path, 1000);
      },
    }),
    (error) => {
      assert.ok(error instanceof TftpError && !(error instanceof TftpRemoteError), `${error}`);
      assert.equal(error.code, 0);
      assert.match(error.message, message);
      sent = error.message;
      return true;
    },
  );
  const record = await onlyRecord(fx);
  assert.deepEqual([record.status, record.error], ["failed", {
    code: 0,
    message: `${sent} (TFTP error 0)`,
  }]);
  assert.deepEqual(await names(fx.root), []);
});

Deno.test("a file replaced (renamed over) while served: the old content, whole", async () => {
  await using fx = await openFixture();
  const path = join(fx.root, "boot.img");
  const original = content(200 * 1024, 18);
  await Deno.writeFile(path, original);
  let replaced = false;
  const target = join(fx.local, "boot.img");
  await tftpGet(fx.url("boot.img"), target, {
    ...FAST,
    onProgress: ({ bytes }) => {
      if (bytes < 32 * 1024 || replaced) return;
      replaced = true;
      Deno.writeFileSync(join(fx.root, "next.img"), content(50 * 1024, 19));
      Deno.renameSync(join(fx.root, "next.img"), path);
    },
  });
  assert.ok(replaced);
  assert.equal(await sha(target), await sha256Hex(original));
});

Deno.test("a file that grows while served: exactly the size promised (tsize) is sent", async () => {
  await using fx = await openFixture();
  const path = join(fx.root, "grow.bin");
  const original = content(300 * 1024, 12);
  await Deno.writeFile(path, original);
  let grown = false;
  const target = join(fx.local, "grow.bin");
  const result = await tftpGet(fx.url("grow.bin"), target, {
    ...FAST,
    blksize: 512,
    windowsize: 1,
    onProgress: ({ bytes }) => {
      if (bytes < 64 * 1024 || grown) return;
      grown = true;
      Deno.writeFileSync(path, content(100 * 1024, 13), { append: true });
    },
  });
  assert.ok(grown);
  assert.deepEqual([result.bytes, result.stats.options.tsize], [original.length, original.length]);
  assert.equal(await sha(target), await sha256Hex(original));
  assert.equal((await onlyRecord(fx)).status, "complete");
});

Deno.test("a server whose tsize promised more than it sent: the client refuses the file", async () => {
  const body = content(3000, 14);
  await using fx = await openFixture({
    handler: () => ({ body: ReadableStream.from([body]), size: 5000 }),
  });
  const target = join(fx.local, "short.bin");
  const error = await tftpGet(fx.url("short.bin"), target, FAST).then(
    () => assert.fail("a short file was accepted"),
    (e) => e,
  );
  assert.ok(error instanceof TftpError, `${error}`);
  assert.deepEqual([error.code, error.message], [
    0,
    "The server sent 3000 bytes but announced 5000 (tsize)",
  ]);
  assert.deepEqual(await names(fx.local), []);
  const record = await onlyRecord(fx);
  assert.deepEqual([record.status, record.error?.code], ["failed", 0]);
});

Deno.test("a client that vanishes mid-download: the server gives up, frees the port", async () => {
  await using fx = await openFixture(GIVE_UP);
  const path = join(fx.root, "image.bin");
  const bytes = content(100_000, 15);
  await Deno.writeFile(path, bytes);
  let port: number;
  {
    await using peer = new RawPeer();
    await peer.send(request(OPCODE.RRQ, "image.bin"), fx.server.addr.port);
    const first = await peer.expect((p) => p.opcode === OPCODE.DATA, 3000, "DATA 1");
    port = first.from.port;
    await peer.send({ opcode: OPCODE.ACK, block: 1 }, port);
    await peer.expect((p) => p.opcode === OPCODE.DATA && p.block === 2, 3000, "DATA 2");
    assert.equal(fx.server.activeTransfers, 1);
  } // the socket closes without an ERROR
  const record = await onlyRecord(fx, 10_000);
  assert.deepEqual([record.kind, record.status, record.error?.code], ["read", "failed", 0]);
  assert.match(
    record.error!.message,
    /^No answer from 127\.0\.0\.1:\d+ after \d+ attempts while waiting for ACK 2$/,
  );
  await waitUntil(() => fx.server.activeTransfers === 0, 5000, "no active transfer");
  // Deno frees a socket when its pending receive is dropped, a moment after close().
  await waitUntil(() => canBind(port), 2000, `port ${port} free again`);
  assert.equal(await sha(path), await sha256Hex(bytes));
});

Deno.test("a client that vanishes mid-upload: the partial upload is discarded", async () => {
  await using fx = await openFixture({ ...GIVE_UP, allowOverwrite: true });
  const path = join(fx.root, "up.bin");
  const old = content(10_000, 16);
  await Deno.writeFile(path, old);
  {
    await using peer = new RawPeer();
    await peer.send(request(OPCODE.WRQ, "up.bin"), fx.server.addr.port);
    const ack0 = await peer.expect((p) => p.opcode === OPCODE.ACK, 3000, "ACK 0");
    const port = ack0.from.port;
    for (let block = 1; block <= 3; block++) {
      await peer.send({ opcode: OPCODE.DATA, block, data: content(512, block) }, port);
      await peer.expect((p) => p.opcode === OPCODE.ACK && p.block === block, 3000, `ACK ${block}`);
    }
    assert.equal((await names(fx.root)).length, 2, "the upload's temporary file exists");
  }
  const record = await onlyRecord(fx, 10_000);
  assert.deepEqual([record.kind, record.status, record.error?.code], ["write", "failed", 0]);
  await waitUntil(() => fx.server.activeTransfers === 0, 5000, "no active transfer");
  assert.deepEqual(await names(fx.root), ["up.bin"]);
  assert.equal(await sha(path), await sha256Hex(old));
});
