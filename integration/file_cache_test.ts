// The server's cache of small files (lib/tftp/_file_cache.ts): one read for every client,
// versions checked against the disk, the budget kept. Real files in a temporary directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveTftp, TftpError, tftpGetBytes } from "../mod.ts";
import { FileCache } from "../lib/tftp/_file_cache.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { content } from "./_fixture.ts";

/** Counts the reads of every FsFile while `body` runs. */
async function countingReads<T>(body: (reads: () => number) => Promise<T>): Promise<T> {
  const read = Deno.FsFile.prototype.read;
  let count = 0;
  Deno.FsFile.prototype.read = function (this: Deno.FsFile, buffer: Uint8Array) {
    count++;
    return read.call(this, buffer);
  };
  try {
    return await body(() => count);
  } finally {
    Deno.FsFile.prototype.read = read;
  }
}

/** A temporary directory, removed with everything in it on dispose. */
async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "tftpkit_cache_" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Opens `path`, gets it through `cache`, closes it. */
async function viaCache(cache: FileCache, path: string): Promise<Uint8Array | undefined> {
  const file = await Deno.open(path);
  try {
    return await cache.get(path, file, await file.stat());
  } finally {
    file.close();
  }
}

Deno.test("FileCache: read once, then the same copy; a changed file is read again; too large is not kept", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = join(dir, "a.bin");
  await Deno.writeFile(path, content(1000, 1));
  const cache = new FileCache({ maxBytes: 10_000, maxFileBytes: 5000 });
  await countingReads(async (reads) => {
    const first = await viaCache(cache, path);
    assert.deepEqual(first, content(1000, 1));
    const afterFirst = reads();
    assert.ok(afterFirst >= 1);
    const second = await viaCache(cache, path);
    assert.equal(second, first, "the same copy");
    assert.equal(reads(), afterFirst, "no read for a hit");
    // Rewritten (another size): read again, and the old copy no longer counts.
    await Deno.writeFile(path, content(1200, 2));
    assert.deepEqual(await viaCache(cache, path), content(1200, 2));
    assert.deepEqual([cache.files, cache.bytes], [1, 1200]);
    // Same size, another modification time.
    await Deno.writeFile(path, content(1200, 3));
    await Deno.utime(path, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await viaCache(cache, path), content(1200, 3));
  });
  const big = join(dir, "big.bin");
  await Deno.writeFile(big, content(5001, 4));
  assert.equal(await viaCache(cache, big), undefined, "over maxFileBytes");
  assert.deepEqual([cache.files, cache.bytes], [1, 1200]);
});

Deno.test("FileCache: the least recently used go first; requests during a read share it", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const paths = ["a", "b", "c"].map((name) => join(dir, name));
  for (const [i, path] of paths.entries()) await Deno.writeFile(path, content(100, i));
  const cache = new FileCache({ maxBytes: 250, maxFileBytes: 250 });
  await viaCache(cache, paths[0]);
  await viaCache(cache, paths[1]);
  await viaCache(cache, paths[0]); // a is now the most recent
  await viaCache(cache, paths[2]); // over 250: b goes
  assert.deepEqual([cache.files, cache.bytes], [2, 200]);
  await countingReads(async (reads) => {
    await viaCache(cache, paths[0]);
    await viaCache(cache, paths[2]);
    assert.equal(reads(), 0, "a and c stayed");
    await viaCache(cache, paths[1]);
    assert.equal(reads(), 1, "b was read again");
  });
  // Ten requests at once for a file not cached yet: one read serves them all.
  const d = join(dir, "d");
  await Deno.writeFile(d, content(200, 9));
  const fresh = new FileCache({ maxBytes: 1000, maxFileBytes: 1000 });
  await countingReads(async (reads) => {
    const got = await Promise.all(Array.from({ length: 10 }, () => viaCache(fresh, d)));
    assert.ok(got.every((bytes) => bytes === got[0]), "one copy");
    assert.deepEqual(got[0], content(200, 9));
    assert.equal(reads(), 1);
  });
});

Deno.test("FileCache: a file shorter than its stat said fails as a file source does", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = join(dir, "a.bin");
  await Deno.writeFile(path, content(1000, 1));
  const cache = new FileCache({ maxBytes: 10_000, maxFileBytes: 10_000 });
  const file = await Deno.open(path);
  try {
    const info = await file.stat();
    await Deno.truncate(path, 300);
    await assert.rejects(cache.get(path, file, info), (error: Error) => {
      assert.ok(error instanceof TftpError);
      assert.equal(error.code, 0);
      assert.equal(
        error.message,
        "File changed while being read: it ended after 300 of 1000 bytes",
      );
      return true;
    });
  } finally {
    file.close();
  }
  assert.deepEqual([cache.files, cache.bytes], [0, 0]);
});

Deno.test("serveTftp file cache: byte-exact for many clients, octet and netascii, one read; a replaced file is served new", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  // Text with LF line ends and a lone CR, larger than a read chunk.
  const text = new TextEncoder().encode("line one\nline\rtwo\n".repeat(5000));
  await Deno.writeFile(join(dir, "f.txt"), text);
  await using server = serveTftp({ root: dir, hostname: "127.0.0.1", port: 0 });
  const url = `tftp://127.0.0.1:${server.addr.port}/f.txt`;
  await countingReads(async (reads) => {
    const octet = await Promise.all(
      Array.from({ length: 20 }, (_, i) => tftpGetBytes(url, { windowsize: 1 + (i % 4) })),
    );
    for (const got of octet) assert.equal(await sha256Hex(got), await sha256Hex(text));
    const ascii = await tftpGetBytes(`${url};mode=netascii`);
    assert.equal(await sha256Hex(ascii), await sha256Hex(text), "netascii back to local form");
    assert.ok(reads() <= 2, `${reads()} file reads for 21 downloads`);
  });
  // Replaced on disk: the next download gets the new file.
  const next = content(70_000, 5);
  await Deno.writeFile(join(dir, "f.txt"), next);
  assert.equal(await sha256Hex(await tftpGetBytes(url)), await sha256Hex(next));
});

Deno.test("serveTftp file cache: off with fileCacheBytes 0, files over the limit read as before", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const bytes = content(100_000, 6);
  await Deno.writeFile(join(dir, "f.bin"), bytes);
  for (
    const options of [{ fileCacheBytes: 0 }, { fileCacheMaxFileBytes: 99_999 }]
  ) {
    await using server = serveTftp({ root: dir, hostname: "127.0.0.1", port: 0, ...options });
    const url = `tftp://127.0.0.1:${server.addr.port}/f.bin`;
    await countingReads(async (reads) => {
      for (let i = 0; i < 2; i++) {
        const before = reads();
        assert.equal(await sha256Hex(await tftpGetBytes(url)), await sha256Hex(bytes));
        // 100,000 bytes in 32 KiB reads, plus the read that finds the end.
        assert.ok(reads() - before >= 4, `${JSON.stringify(options)}: download ${i} read`);
      }
    });
  }
  for (const fileCacheBytes of [-1, 0.5]) {
    assert.throws(
      () => serveTftp({ root: dir, hostname: "127.0.0.1", port: 0, fileCacheBytes }),
      (error: Error) => error instanceof RangeError && /fileCacheBytes/.test(error.message),
    );
  }
});

Deno.test("FileCache: a read that stalls fails the requests waiting for it; the next one reads again", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const read = Deno.FsFile.prototype.read;
  try {
    const path = join(dir, "a.bin");
    await Deno.writeFile(path, content(1000, 1));
    const cache = new FileCache({ maxBytes: 10_000, maxFileBytes: 10_000, stallMs: 50 });
    const never = Promise.withResolvers<number | null>();
    Deno.FsFile.prototype.read = () => never.promise;
    const waits = Promise.all([viaCache(cache, path), viaCache(cache, path)]);
    await assert.rejects(waits, (error: Error) => {
      assert.ok(error instanceof TftpError);
      assert.deepEqual([error.code, error.message], [0, "Local data source or sink stalled"]);
      return true;
    });
    Deno.FsFile.prototype.read = read;
    assert.deepEqual(await viaCache(cache, path), content(1000, 1));
    never.resolve(null);
  } finally {
    Deno.FsFile.prototype.read = read;
  }
});
