/**
 * The transfer matrix: a real client machine against the real server admission and machines
 * over the simulated network, in virtual time. Every run is deterministic (seeded); every
 * assertion message names the seed and parameters, so a failure can be replayed with
 * `simulateTransfer` directly.
 *
 * Bounds: a clean link (no faults, no jitter) must need no retransmission and at most one
 * round trip (2 ms) per block.
 * On lossy links the retransmissions must stay linear in the faults the network injected, and
 * the time to completion must be explained by the timeouts (at most `maxRtoMs` each) plus a
 * few milliseconds per block. The factors below are about twice the worst seen over 200 seeds.
 */

import assert from "node:assert/strict";
import type { LinkProfile } from "../lib/sim/network.ts";
import { Prng } from "../lib/sim/prng.ts";
import { type SimOptions, type SimResult, simulateTransfer } from "../lib/sim/transfer.ts";
import type { TransferStats } from "../lib/tftp/engine/types.ts";
import type { TftpOptions } from "../lib/tftp/packet/packet.ts";

const BLKSIZES = [8, 512, 1468, 65464];
const WINDOWSIZES = [1, 4, 16];
const PROFILES: Record<string, LinkProfile> = {
  clean: {},
  light: { loss: 0.05, duplicate: 0.05, reorder: 0.05, jitterMs: 2 },
  heavy: { loss: 0.3, duplicate: 0.1, reorder: 0.1, jitterMs: 2 },
};
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
/** Lossy runs need patience: a lost final ACK is inherent to TFTP, hence the long dally. */
const TIMING = { retries: 30, dallyMs: 30_000 };
const MAX_RTO_MS = 4000;
const MAX_VIRTUAL_MS = 3_600_000;

function sizesFor(blksize: number): number[] {
  const n = blksize >= 1468 ? 3 : 5;
  return [0, 1, 511, 512, 513, 1024, n * blksize - 1, n * blksize, n * blksize + 1];
}

/** Index of the first difference, or -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

interface Run {
  kind: "get" | "put";
  seed: number;
  size: number;
  blksize: number;
  /** Expected blksize on the wire (512 when no options are asked for). */
  wireBlksize?: number;
  requestOptions: TftpOptions;
  up: LinkProfile;
  down: LinkProfile;
  profile: string;
  extra?: Partial<SimOptions>;
}

function label(run: Run): string {
  return `${run.kind} seed=${run.seed} size=${run.size} options=${
    JSON.stringify(run.requestOptions)
  } profile=${run.profile} up=${JSON.stringify(run.up)} down=${JSON.stringify(run.down)}`;
}

/** Runs one transfer and checks everything that must hold for it. */
function check(run: Run): SimResult {
  const what = label(run);
  const data = new Prng(run.seed * 7919 + run.size).bytes(run.size);
  const result = simulateTransfer({
    kind: run.kind,
    data,
    seed: run.seed,
    requestOptions: run.requestOptions,
    client: TIMING,
    server: TIMING,
    up: run.up,
    down: run.down,
    maxVirtualMs: MAX_VIRTUAL_MS,
    ...run.extra,
  });
  const { client, server } = result;
  assert.equal(client.status, "complete", `${what}: client ${client.error?.message}`);
  assert.equal(server.status, "complete", `${what}: server ${server.error?.message}`);
  assert.equal(result.serverTransfers, 1, `${what}: server transfers`);
  const diff = firstDifference(result.received, data);
  assert.equal(diff, -1, `${what}: received ${result.received.length} bytes, differs at ${diff}`);
  assert.ok(result.elapsedMs < MAX_VIRTUAL_MS, `${what}: hit the virtual time bound`);

  const sender = (run.kind === "get" ? server.stats : client.stats) as TransferStats;
  const receiver = (run.kind === "get" ? client.stats : server.stats) as TransferStats;
  const blksize = run.wireBlksize ?? run.blksize;
  const blocks = Math.floor(run.size / blksize) + 1;
  assert.equal(sender.options.blksize, blksize, `${what}: negotiated blksize`);
  assert.equal(receiver.blocks, blocks, `${what}: blocks delivered`);
  assert.equal(sender.blocks, blocks, `${what}: blocks acknowledged`);
  assert.equal(receiver.bytes, run.size, `${what}: bytes delivered`);

  const windowsize = sender.options.windowsize;
  const done = Math.max(sender.elapsedMs, receiver.elapsedMs);
  const timeouts = sender.timeouts + receiver.timeouts;
  const faults = result.network.lost + result.network.duplicated + result.network.reordered;
  const jitter = Math.max(run.up.jitterMs ?? 0, run.down.jitterMs ?? 0);
  if (faults === 0 && jitter === 0) {
    assert.equal(sender.retransmits + receiver.retransmits, 0, `${what}: retransmits`);
    assert.equal(timeouts, 0, `${what}: timeouts`);
    assert.ok(done <= 2 * (blocks + 2), `${what}: ${done} ms for ${blocks} blocks`);
  } else {
    assert.ok(
      sender.retransmits <= 5 * windowsize * (faults + 1),
      `${what}: sender retransmits ${sender.retransmits} for ${faults} faults`,
    );
    assert.ok(
      receiver.retransmits <= 6 * (faults + 1),
      `${what}: receiver retransmits ${receiver.retransmits} for ${faults} faults`,
    );
    assert.ok(timeouts <= 12 * (blocks + 2), `${what}: ${timeouts} timeouts`);
    assert.ok(
      done <= MAX_RTO_MS * timeouts + 12 * (blocks + 2),
      `${what}: ${done} ms with ${timeouts} timeouts for ${blocks} blocks`,
    );
  }
  return result;
}

function matrix(kind: "get" | "put", profile: string): number {
  let runs = 0;
  for (const seed of SEEDS) {
    for (const blksize of BLKSIZES) {
      for (const windowsize of WINDOWSIZES) {
        for (const size of sizesFor(blksize)) {
          const link = PROFILES[profile];
          check({
            kind,
            seed,
            size,
            blksize,
            requestOptions: {
              blksize: String(blksize),
              windowsize: String(windowsize),
              tsize: kind === "get" ? "0" : String(size),
            },
            up: link,
            down: link,
            profile,
          });
          runs++;
        }
      }
    }
  }
  return runs;
}

for (const kind of ["get", "put"] as const) {
  for (const profile of Object.keys(PROFILES)) {
    Deno.test(`matrix ${kind} ${profile}: sizes x blksize x windowsize x ${SEEDS.length} seeds`, () => {
      const runs = matrix(kind, profile);
      assert.equal(runs, SEEDS.length * BLKSIZES.length * WINDOWSIZES.length * 9);
    });
  }
}

Deno.test("plain RFC 1350 (no options) and a timeout option, over every profile", () => {
  for (const kind of ["get", "put"] as const) {
    for (const [profile, link] of Object.entries(PROFILES)) {
      for (const seed of SEEDS) {
        for (const size of sizesFor(512)) {
          check({
            kind,
            seed,
            size,
            blksize: 512,
            requestOptions: {},
            up: link,
            down: link,
            profile,
          });
          check({
            kind,
            seed,
            size,
            blksize: 512,
            requestOptions: { timeout: "1", blksize: "512" },
            up: link,
            down: link,
            profile,
          });
        }
      }
    }
  }
});

Deno.test("asymmetric faults: heavy loss one way only, and small offered chunks", () => {
  const heavy = PROFILES.heavy;
  for (const kind of ["get", "put"] as const) {
    for (const seed of SEEDS) {
      for (
        const [up, down, profile] of [[heavy, {}, "heavy-up"], [{}, heavy, "heavy-down"]] as const
      ) {
        check({
          kind,
          seed,
          size: 3000,
          blksize: 512,
          requestOptions: { blksize: "512", windowsize: "4" },
          up,
          down,
          profile,
          extra: { chunkBytes: 100 },
        });
      }
    }
  }
});

Deno.test("regressions found by this matrix (replayed with their seeds)", () => {
  // A duplicate RRQ delayed past the end of the transfer opened a second server transfer.
  check({
    kind: "get",
    seed: 17,
    size: 0,
    blksize: 512,
    requestOptions: {},
    up: { duplicate: 0.5, reorder: 0.5, jitterMs: 2 },
    down: {},
    profile: "late duplicate RRQ",
  });
  check({
    kind: "get",
    seed: 8,
    size: 0,
    blksize: 512,
    requestOptions: {},
    up: PROFILES.heavy,
    down: PROFILES.heavy,
    profile: "heavy",
  });
  // A duplicated OACK arriving after DATA 1 made the client fail with ERROR 4.
  check({
    kind: "get",
    seed: 195,
    size: 3000,
    blksize: 512,
    requestOptions: { blksize: "512", windowsize: "4" },
    up: {},
    down: PROFILES.heavy,
    profile: "heavy-down",
    extra: { chunkBytes: 100 },
  });
});

Deno.test("rollover: more than 65535 blocks at blksize 8 with a little loss", () => {
  const link: LinkProfile = { loss: 0.01, duplicate: 0.01, reorder: 0.01 };
  const size = 65536 * 8 + 100; // 65549 blocks
  const runs: [string, "get" | "put", number, 0 | 1][] = [
    ["get", "get", 1, 0],
    ["put", "put", 4, 0],
    ["get rollover 1", "get", 4, 1],
  ];
  for (const [profile, kind, windowsize, rollover] of runs) {
    const result = check({
      kind,
      seed: 5,
      size,
      blksize: 8,
      requestOptions: { blksize: "8", windowsize: String(windowsize) },
      up: link,
      down: link,
      profile,
      extra: { client: { ...TIMING, rollover }, server: { ...TIMING, rollover } },
    });
    assert.ok(result.network.lost > 100, `${profile}: the link really lost datagrams`);
  }
});
