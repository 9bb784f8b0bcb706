// A flood of read requests that are never answered, from a thousand source ports, while
// well-behaved clients on another address download: they all get their files byte-exact, the
// server never holds more transfers than its cap, and it is idle again soon after.
// (bench/flood.ts measures the same at 10,000 requests with the server in its own process.)
// Run with: deno test --allow-all integration/server_flood_test.ts
import assert from "node:assert/strict";
import { serveTftp, tftpGet } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { canBindIpv6, content, within } from "./_fixture.ts";

const RRQ = new Uint8Array([0, 1, ...new TextEncoder().encode("f.bin\0octet\0")]);

async function flood(port: number, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 100) {
    const sockets = Array.from(
      { length: 100 },
      () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
    );
    try {
      for (const socket of sockets) {
        await socket.send(RRQ, { transport: "udp", hostname: "127.0.0.1", port });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      for (const socket of sockets) socket.close();
    }
  }
}

for (const limits of ["defaults", "no per-address limits"] as const) {
  Deno.test({
    name: `1,000 unanswered requests (${limits}): good clients on ::1 get every byte`,
    ignore: !canBindIpv6(),
    async fn() {
      const root = await Deno.makeTempDir({ prefix: "tftpkit-flood-" });
      try {
        const bytes = content(300_000, 9);
        await Deno.writeFile(`${root}/f.bin`, bytes);
        const lifted = limits === "defaults" ? {} : {
          requestsPerSecond: 1_000_000,
          unansweredBurst: 1_000_000,
          maxTransfersPerClient: 1_000_000,
        };
        await using server = serveTftp({
          root,
          hostname: "::",
          port: 0,
          maxTransfers: 64,
          initialRtoMs: 200,
          ...lifted,
        });
        const port = server.addr.port;
        let most = 0;
        const sampler = setInterval(() => most = Math.max(most, server.activeTransfers), 5);
        try {
          const flooding = flood(port, 1000);
          const good = Array.from({ length: 8 }, async (_, i) => {
            const chunks: Uint8Array[] = [];
            const sink = new WritableStream<Uint8Array>({
              write: (c) => void chunks.push(c.slice()),
            });
            await tftpGet(`tftp://[::1]:${port}/f.bin`, sink, { deadlineMs: 60_000, dallyMs: 0 });
            const got = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const c of chunks) got.set(c, (at += c.length) - c.length);
            assert.equal(await sha256Hex(got), await sha256Hex(bytes), `good client ${i}`);
          });
          await within(Promise.all([flooding, ...good]), 60_000, "flood and good clients");
          await within(
            (async () => {
              for (let i = 0; i < 400 && server.activeTransfers > 0; i++) {
                await new Promise((resolve) => setTimeout(resolve, 25));
              }
            })(),
            15_000,
            "the server is idle again",
          );
          assert.equal(server.activeTransfers, 0);
          // An evicted transfer gives its slot at once and closes its socket a moment later.
          assert.ok(most <= 64 + 16, `about 64 transfers at once at most, saw ${most}`);
          if (limits === "defaults") assert.ok(server.droppedRequests > 900, "dropped in silence");
        } finally {
          clearInterval(sampler);
        }
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}
