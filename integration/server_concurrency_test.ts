// Many transfers at once against one server, and transfers confined to a port range.
// Run with: deno test --allow-all integration/server_concurrency_test.ts
import assert from "node:assert/strict";
import { serveTftp, tftpGet, tftpPut, type TransferRecord } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { Prng } from "../lib/sim/prng.ts";

Deno.test("64 concurrent downloads and 16 concurrent uploads: every byte arrives", async () => {
  const root = await Deno.makeTempDir({ prefix: "tftpkit-conc-root-" });
  const out = await Deno.makeTempDir({ prefix: "tftpkit-conc-out-" });
  try {
    const prng = new Prng(64);
    const expected: string[] = [];
    for (let i = 0; i < 64; i++) {
      const bytes = prng.bytes(1000 + prng.int(200_000));
      await Deno.writeFile(`${root}/f${i}.bin`, bytes);
      expected.push(await sha256Hex(bytes));
    }
    const records: TransferRecord[] = [];
    await using server = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      allowCreate: true,
      onTransfer: (r) => records.push(r),
      dallyMs: 0,
      maxTransfersPerClient: 80, // all 80 come from 127.0.0.1
    });
    const base = `tftp://127.0.0.1:${server.addr.port}`;
    const gets = expected.map((_, i) =>
      tftpGet(`${base}/f${i}.bin`, `${out}/f${i}.bin`, {
        windowsize: 1 + (i % 8),
        blksize: [512, 1468, 8192][i % 3],
        dallyMs: 0,
        deadlineMs: 30_000,
      })
    );
    const puts = Array.from(
      { length: 16 },
      (_, i) =>
        tftpPut(`${root}/f${i}.bin`, `${base}/up${i}.bin`, { dallyMs: 0, deadlineMs: 30_000 }),
    );
    const results = await Promise.allSettled([...gets, ...puts]);
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, JSON.stringify(failed.slice(0, 3)));
    for (let i = 0; i < 64; i++) {
      assert.equal(
        await sha256Hex(await Deno.readFile(`${out}/f${i}.bin`)),
        expected[i],
        `f${i}.bin`,
      );
    }
    for (let i = 0; i < 16; i++) {
      assert.equal(
        await sha256Hex(await Deno.readFile(`${root}/up${i}.bin`)),
        expected[i],
        `up${i}.bin`,
      );
    }
    assert.equal(records.filter((r) => r.status === "complete").length, 80);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("transfers use ports from --port-range only", async () => {
  const root = await Deno.makeTempDir({ prefix: "tftpkit-range-" });
  try {
    await Deno.writeFile(`${root}/a.bin`, new Uint8Array(3000).fill(1));
    // Find 8 consecutive free ports by asking the OS for one and trying the ones after it.
    const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const low = Math.min((probe.addr as Deno.NetAddr).port + 1, 65520);
    probe.close();
    const range = [low, low + 7] as const;
    await using server = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      portRange: range,
      dallyMs: 0,
    });
    const base = `tftp://127.0.0.1:${server.addr.port}`;
    const peers = await Promise.all(
      Array.from(
        { length: 4 },
        () => tftpGet(`${base}/a.bin`, new WritableStream(), { dallyMs: 0 }),
      ),
    );
    for (const { peer } of peers) {
      assert.ok(
        peer.port >= range[0] && peer.port <= range[1],
        `transfer port ${peer.port} outside ${range}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
