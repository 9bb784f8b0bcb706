// Memory stays flat on both ends of the TCP file service: a file far larger than any buffer
// is served by `tcp.ts serve` and fetched by `tcp.ts get` (child processes), byte-exact,
// while each process's peak resident memory is read from /proc. The figures are printed for
// the README; the assertion bounds the growth over each process's own idle baseline.
// Run with: deno test --allow-all integration/tcp_memory_test.ts
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHILD_ENV, content } from "./_fixture.ts";
import { canReadProcMemory, mib, readProcessMemory, watchPeakRss } from "./_memory.ts";
import { ScriptProcess } from "./_script_process.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const FILE_MIB = 256;
/** Allowed peak growth over the idle process: a small fraction of the file. */
const MAX_GROWTH_BYTES = 64 * 1024 * 1024;
const LIMIT_MS = 120_000;

/** Writes `mib` MiB (+3 bytes) of varied bytes to `path` and returns their sha-256. */
async function writeLargeFile(path: string, mib: number): Promise<string> {
  const block = content(1024 * 1024, 7);
  const hash = createHash("sha256");
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let i = 0; i < mib; i++) {
    block[i % block.length] ^= 0xa5; // every MiB differs from the one before
    hash.update(block);
    for (let at = 0; at < block.length;) at += await file.write(block.subarray(at));
  }
  const tail = new Uint8Array([1, 2, 3]);
  hash.update(tail);
  await file.write(tail);
  return hash.digest("hex");
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** Runs `tcp.ts get` and returns its exit code, stderr and peak resident memory. */
async function fetchWatched(
  port: number,
  name: string,
  output: string,
): Promise<{ code: number; stderr: string; peakRssBytes: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "scripts", "tcp.ts"),
      "get",
      `127.0.0.1:${port}`,
      name,
      output,
    ],
    env: CHILD_ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(LIMIT_MS),
  }).spawn();
  const result = child.output();
  const peakRssBytes = await watchPeakRss(child.pid, result);
  const { code, stderr } = await result;
  return { code, stderr: new TextDecoder().decode(stderr), peakRssBytes };
}

Deno.test({
  name: `tcp.ts serve and get move ${FILE_MIB} MiB byte-exact with flat memory on both ends`,
  ignore: !canReadProcMemory(),
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "tcp_memory_" });
    try {
      const root = join(base, "root");
      await Deno.mkdir(root);
      const expected = await writeLargeFile(join(root, "big.bin"), FILE_MIB);
      await Deno.writeFile(join(root, "tiny.bin"), new Uint8Array([42]));

      await using server = new ScriptProcess("tcp.ts", [
        "serve",
        root,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ], { limitMs: LIMIT_MS, waitMs: 30_000 });
      const port = await server.listening();

      // Baselines: the client fetching one byte, the server after serving it.
      const tiny = await fetchWatched(port, "tiny.bin", join(base, "tiny.bin"));
      assert.equal(tiny.code, 0, tiny.stderr);
      const serverIdle = readProcessMemory(server.pid);
      assert.ok(serverIdle, "server memory readable");

      const big = await fetchWatched(port, "big.bin", join(base, "big.bin"));
      assert.equal(big.code, 0, big.stderr);
      const serverAfter = readProcessMemory(server.pid);
      assert.ok(serverAfter, "server memory readable");
      assert.equal(await sha256File(join(base, "big.bin")), expected);

      const clientGrowth = big.peakRssBytes - tiny.peakRssBytes;
      const serverGrowth = serverAfter.peakRssBytes - serverIdle.peakRssBytes;
      console.log(
        `${FILE_MIB} MiB over TCP: client peak RSS ${mib(big.peakRssBytes)} (1-byte fetch ${
          mib(tiny.peakRssBytes)
        }), server peak RSS ${mib(serverAfter.peakRssBytes)} (idle ${
          mib(serverIdle.peakRssBytes)
        })`,
      );
      assert.ok(clientGrowth < MAX_GROWTH_BYTES, `client grew by ${mib(clientGrowth)}`);
      assert.ok(serverGrowth < MAX_GROWTH_BYTES, `server grew by ${mib(serverGrowth)}`);
      assert.equal(await server.exit("SIGTERM"), 0);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});
