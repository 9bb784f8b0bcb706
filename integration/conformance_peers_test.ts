// The whole conformance suite against real servers: our own (every check must pass), and
// tftpd-hpa, atftpd and dnsmasq, whose deviations are pinned below with the reason for each,
// so a change in a check's verdict on any server shows up here. Each server prints its table
// (check -> verdict, detail); README's conformance table is copied from these runs.
// Run with: deno test --allow-all integration/conformance_peers_test.ts
//
// A server that is not installed (or needs root here) is skipped with the reason. dnsmasq
// only listens on port 69, so it runs in a network namespace of its own and the suite runs
// there too, through `conformance.ts run --json -`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveTftp } from "../mod.ts";
import type { CheckStatus } from "../lib/conformance/check.ts";
import { BUILTIN_CHECKS } from "../lib/conformance/checks/mod.ts";
import { writeFixtures } from "../lib/conformance/fixtures.ts";
import { type CheckResult, runConformance } from "../lib/conformance/runner.ts";
import {
  isRoot,
  missingPeer,
  type Netns,
  openNetns,
  type PeerServer,
  startAtftpd,
  startDnsmasq,
  startTftpdHpa,
} from "./_peers.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/** Verdicts other than `pass`, per server, each with what the packets showed. */
type Deviations = Readonly<Record<string, { status: CheckStatus; why: string }>>;

/** Seen by every third-party server here: each is a real deviation, shown by the packets. */
const COMMON: Deviations = {
  "duplicate-request": {
    status: "warn",
    why: "an RRQ repeated from the same port starts a second transfer from a second TID",
  },
  "malformed-request": {
    status: "warn",
    why: "a request without its final NUL (or without a mode) is served instead of ERROR 4",
  },
};

/** tftpd-hpa 5.2 (Debian 12). */
const TFTPD_HPA: Deviations = {
  ...COMMON,
  "tsize-rrq": {
    status: "warn",
    why: "netascii + tsize=0 is refused with ERROR 8 instead of leaving tsize out of the OACK",
  },
  windowsize: { status: "skip", why: "no RFC 7440 support: DATA 1 without an OACK" },
  "unknown-tid": {
    status: "warn",
    why: "its socket is connected to the client, so a stranger gets no ERROR 5 (a SHOULD)",
  },
};

/** atftpd 0.8.0 (Debian 12). */
const ATFTPD: Deviations = {
  ...COMMON,
  "tsize-rrq": {
    status: "fail",
    why: "netascii + tsize=0 is answered with OACK tsize=0 for a 1512-byte file",
  },
  "unknown-tid": { status: "warn", why: "a stranger gets no ERROR 5 (a SHOULD)" },
  "retransmit-identical": {
    status: "fail",
    why: "DATA 1 is retransmitted as the 3-byte datagram 00 03 00 every 5 s (log: timeout block 0)",
  },
  backoff: { status: "fail", why: "fixed 5 s retransmit interval, no backoff (a MUST)" },
  "sorcerers-apprentice": {
    status: "fail",
    why: "a duplicate ACK n is answered with DATA n+1 again (RFC 1123 4.2.3.1)",
  },
  "mode-mail-rejected": { status: "warn", why: "serves mode mail" },
  "path-traversal": {
    status: "warn",
    why: "cuts a 500-byte name short (at about 256 bytes) and serves the served directory as " +
      "an empty DATA 1 instead of refusing the name; no escape",
  },
  "mode-unknown-rejected": { status: "warn", why: "serves modes binary and ascii as octet" },
  "symlink-escape": {
    status: "warn",
    why: "follows a symlink out of its root and serves the outside file",
  },
};

/** dnsmasq 2.90 (Debian 12), read-only: the upload checks need --writable and are skipped. */
const DNSMASQ: Deviations = {
  ...COMMON,
  netascii: {
    status: "fail",
    why: "a bare CR goes out as CR instead of CR NUL (LF -> CR LF only)",
  },
  "blksize-range": { status: "fail", why: "blksize 7 is acknowledged as OACK blksize=7" },
  windowsize: { status: "skip", why: "no RFC 7440 support" },
  "timeout-option": { status: "skip", why: "the timeout option is never acknowledged" },
  "symlink-escape": {
    status: "warn",
    why: "follows a symlink out of its root and serves the outside file",
  },
  "path-leak": {
    status: "warn",
    why: "error messages carry the absolute path of the file on the server",
  },
  "wrq-basic": { status: "skip", why: "read-only server: run without --writable" },
  "wrq-boundary": { status: "skip", why: "read-only server: run without --writable" },
  "wrq-duplicate-data": { status: "skip", why: "read-only server: run without --writable" },
  "wrq-tsize": { status: "skip", why: "read-only server: run without --writable" },
};

/** Prints the table of one run. */
function printTable(server: string, results: readonly CheckResult[]): void {
  const width = Math.max(...results.map((r) => r.id.length));
  const lines = results.map((r) =>
    `${r.status.toUpperCase().padEnd(4)}  ${r.id.padEnd(width)}  ${r.detail}`
  );
  console.log(`\n${server}:\n${lines.join("\n")}`);
}

/** Asserts every verdict: `pass` unless `expected` names the deviation. */
function assertVerdicts(
  server: string,
  results: readonly CheckResult[],
  expected: Deviations,
): void {
  assert.deepEqual(
    results.map((r) => r.id),
    BUILTIN_CHECKS.map((c) => c.id),
    `${server}: every built-in check ran`,
  );
  const wrong = results.filter((r) => r.status !== (expected[r.id]?.status ?? "pass"));
  assert.deepEqual(
    wrong.map((r) => `${r.id}: ${r.status} (${r.detail})`),
    [],
    `${server}: verdicts differ from the pinned ones`,
  );
  assert.ok(!results.some((r) => r.serverDown), `${server} stopped answering`);
}

/** A temporary directory with the fixtures written; removed on dispose. */
async function fixtureDir(): Promise<AsyncDisposable & { root: string }> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_conformance_" });
  await Deno.chmod(base, 0o755); // servers that drop privileges must reach root/
  const { root } = await writeFixtures(base);
  return {
    root,
    [Symbol.asyncDispose]: () => Deno.remove(base, { recursive: true }),
  };
}

async function runAgainst(server: { hostname: string; port: number }): Promise<CheckResult[]> {
  const report = await runConformance(BUILTIN_CHECKS, {
    server,
    url: `tftp://${server.hostname}:${server.port}/`,
    writable: true,
  });
  return report.checks;
}

Deno.test("conformance: our server passes every check", async () => {
  await using dir = await fixtureDir();
  await using server = serveTftp({
    root: dir.root,
    hostname: "127.0.0.1",
    port: 0,
    allowCreate: true,
  });
  const results = await runAgainst({ hostname: "127.0.0.1", port: server.addr.port });
  printTable("tftpkit", results);
  assertVerdicts("tftpkit", results, {});
});

for (
  const [name, start, expected] of [
    ["tftpd-hpa", (root: string) => startTftpdHpa(root, { create: true }), TFTPD_HPA],
    ["atftpd", (root: string) => startAtftpd(root), ATFTPD],
  ] as const
) {
  const binary = name === "tftpd-hpa" ? "in.tftpd" : "atftpd";
  const why = missingPeer(binary) ??
    (name === "tftpd-hpa" && !isRoot() ? "tftpd-hpa needs root here" : undefined);
  Deno.test({
    name: `conformance: ${name}${why ? ` (skipped: ${why})` : ""}`,
    ignore: why !== undefined,
    async fn() {
      await using dir = await fixtureDir();
      let server: PeerServer;
      await using _server = server = await start(dir.root);
      const results = await runAgainst(server);
      printTable(name, results);
      assertVerdicts(name, results, expected);
    },
  });
}

const dnsmasqMissing = missingPeer("dnsmasq", "ip") ??
  (isRoot() ? undefined : "network namespaces need root");
Deno.test({
  name: `conformance: dnsmasq${dnsmasqMissing ? ` (skipped: ${dnsmasqMissing})` : ""}`,
  ignore: dnsmasqMissing !== undefined,
  async fn() {
    await using dir = await fixtureDir();
    let netns: Netns;
    await using _ns = netns = await openNetns();
    await using server = await startDnsmasq(netns, dir.root);
    const run = await netns.run(Deno.execPath(), [
      "run",
      "--allow-all",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "scripts", "conformance.ts"),
      "run",
      server.url(""),
      "--json",
      "-",
    ], { timeoutMs: 300_000, env: { NO_COLOR: "1" } });
    const report = JSON.parse(run.stdout) as { checks: CheckResult[] };
    printTable("dnsmasq", report.checks);
    assertVerdicts("dnsmasq", report.checks, DNSMASQ);
    assert.equal(run.code, Object.values(DNSMASQ).some((d) => d.status === "fail") ? 1 : 0);
  },
});
