/**
 * The transfer engine under hostile interleavings on the simulated network: a real client
 * machine against the real server machines, with loss, duplication and reordering, while a
 * {@linkcode HostileInjector} forges packets from each side's own peer and sends packets from
 * strangers. Every run is seeded; a failure message names the seed and every parameter, so
 * it can be replayed with `simulateTransfer` and `new HostileInjector(seed, ...)`.
 *
 * Properties: every transfer ends (complete or failed) within its virtual deadline; a
 * receiver that completes delivered the exact bytes; a failure is a TftpError with a code
 * 0-8 and a message; strangers get exactly one ERROR 5 per datagram that reached an open
 * machine and nothing else; no ERROR text leaves a machine that is not printable ASCII. With
 * only benign forgeries (replays, stale and far-ahead blocks) and strangers, every transfer
 * completes on both sides.
 */

import assert from "node:assert/strict";
import { type HostileCounters, HostileInjector, type HostileOptions } from "../lib/sim/hostile.ts";
import type { LinkProfile } from "../lib/sim/network.ts";
import { Prng } from "../lib/sim/prng.ts";
import { type SimOutcome, type SimResult, simulateTransfer } from "../lib/sim/transfer.ts";
import { TftpError } from "../lib/tftp/errors.ts";
import type { TftpOptions } from "../lib/tftp/packet/packet.ts";

const DEADLINE_MS = 600_000;
const DALLY_MS = 30_000;
/** Patient timing, as in the transfer matrix, plus an overall deadline. */
const TIMING = { retries: 30, dallyMs: DALLY_MS, deadlineMs: DEADLINE_MS };
const LINKS: Record<string, LinkProfile> = {
  clean: {},
  light: { loss: 0.05, duplicate: 0.05, reorder: 0.05, jitterMs: 2 },
  heavy: { loss: 0.2, duplicate: 0.1, reorder: 0.1, jitterMs: 3 },
};
const BLKSIZES = [8, 16, 64, 512, 1024, 1468];
const WINDOWSIZES = [1, 2, 4, 8, 16];

interface Run {
  seed: number;
  kind: "get" | "put";
  size: number;
  requestOptions: TftpOptions;
  link: string;
  hostile: HostileOptions;
}

function pick<T>(prng: Prng, list: readonly T[]): T {
  return list[prng.int(list.length)];
}

/** The parameters of seed `seed`: kind, size (0, exact multiples of blksize, around them), options. */
function runFor(seed: number, level: "benign" | "hostile"): Run {
  const prng = new Prng(seed);
  const kind = prng.chance(0.5) ? "get" : "put";
  const plain = prng.chance(0.15);
  const blksize = plain ? 512 : pick(prng, BLKSIZES);
  const blocks = prng.int(blksize <= 16 ? 1500 : blksize <= 64 ? 400 : 60);
  const r = prng.next();
  const size = r < 0.1
    ? 0
    : r < 0.4
    ? blocks * blksize
    : r < 0.6
    ? Math.max(0, blocks * blksize + (prng.chance(0.5) ? 1 : -1))
    : prng.int(blocks * blksize + 1);
  const requestOptions: Record<string, string> = {};
  if (!plain) {
    requestOptions.blksize = String(blksize);
    requestOptions.windowsize = String(pick(prng, WINDOWSIZES));
    if (prng.chance(0.5)) requestOptions.tsize = kind === "get" ? "0" : String(size);
    if (prng.chance(0.2)) requestOptions.timeout = String(1 + prng.int(3));
  }
  return {
    seed,
    kind,
    size,
    requestOptions,
    link: level === "benign" ? pick(prng, ["clean", "light"]) : pick(prng, Object.keys(LINKS)),
    hostile: {
      level,
      rate: pick(prng, [0.05, 0.2, 0.5]),
      budget: pick(prng, [20, 100, 300]),
      strangerShare: pick(prng, [0.2, 0.5, 0.9]),
    },
  };
}

function checkEnding(side: string, outcome: SimOutcome, what: string): void {
  assert.notEqual(outcome.status, "running", `${what}: ${side} still running`);
  if (outcome.status !== "failed") return;
  const error = outcome.error;
  assert.ok(error instanceof TftpError, `${what}: ${side} failed with ${error}`);
  assert.ok(error.code >= 0 && error.code <= 8, `${what}: ${side} error code ${error.code}`);
  assert.ok(error.message.trim().length > 0, `${what}: ${side} error without a message`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs one transfer with an injector and checks every property. */
function check(run: Run): { result: SimResult; counters: HostileCounters } {
  const what = `seed=${run.seed} ${run.kind} size=${run.size} options=${
    JSON.stringify(run.requestOptions)
  } link=${run.link} hostile=${JSON.stringify(run.hostile)}`;
  const data = new Prng(run.seed ^ 0x5a5a).bytes(run.size);
  const inject = new HostileInjector(run.seed, run.hostile);
  const link = LINKS[run.link];
  const result = simulateTransfer({
    kind: run.kind,
    data,
    seed: run.seed,
    requestOptions: run.requestOptions,
    client: TIMING,
    server: TIMING,
    up: link,
    down: link,
    inject,
  });
  const { client, server } = result;
  checkEnding("client", client, what);
  assert.ok(result.serverTransfers <= 1, `${what}: ${result.serverTransfers} server transfers`);
  if (result.serverTransfers === 1) checkEnding("server", server, what);
  else assert.equal(client.status, "failed", `${what}: no server transfer, yet the client ended`);
  assert.ok(
    result.elapsedMs <= DEADLINE_MS + DALLY_MS + 10_000,
    `${what}: ended at ${result.elapsedMs} ms`,
  );
  const receiver = run.kind === "get" ? client : server;
  if (receiver.status === "complete") {
    assert.ok(sameBytes(result.received, data), `${what}: received bytes differ`);
  }
  const c = inject.counters;
  assert.equal(c.unknownTidReplies, c.strangerArrivals, `${what}: ERROR 5 per stranger`);
  assert.equal(c.misdirected, 0, `${what}: packets to the wrong endpoint`);
  assert.equal(c.nonAsciiErrors, 0, `${what}: ERROR text that is not printable ASCII`);
  if (run.hostile.level === "benign") {
    assert.equal(client.status, "complete", `${what}: client ${client.error?.message}`);
    assert.equal(server.status, "complete", `${what}: server ${server.error?.message}`);
  }
  return { result, counters: c };
}

Deno.test("engine fuzz: 200 benign runs (replays, stale and far-ahead blocks, strangers) all complete byte-exact", () => {
  let strangers = 0, forged = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const { counters } = check(runFor(seed, "benign"));
    strangers += counters.strangerArrivals;
    forged += counters.forged;
  }
  // The injector really injected.
  assert.ok(strangers > 300 && forged > 300, `strangers ${strangers}, forged ${forged}`);
});

Deno.test("engine fuzz: 400 hostile runs end in time, complete byte-exact or fail with a TFTP error", () => {
  const endings = { complete: 0, failed: 0 };
  for (let seed = 1001; seed <= 1400; seed++) {
    const { result } = check(runFor(seed, "hostile"));
    endings[result.client.status === "complete" ? "complete" : "failed"]++;
  }
  assert.ok(endings.complete > 20 && endings.failed > 20, JSON.stringify(endings));
});
