// Our client against real third-party TFTP servers (tftpd-hpa, atftpd, dnsmasq) and against
// our own server, as one matrix: sizes, block and window sizes, netascii, uploads, injected
// loss (the impair proxy between client and server), and errors. Every cell checks the bytes
// (sha-256), the outcome (resolved / exit status) and that no partial file is left.
//
// The library client runs in this process against tftpd-hpa, atftpd and ours. dnsmasq only
// listens on port 69, so it runs in a network namespace of its own, and our CLI runs there
// too. What each peer does differently is recorded in `PEERS` below and in the notes.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ClientOptions,
  decodePacket,
  OPCODE,
  receiveWindowLimit,
  serveTftp,
  tftpGet,
  tftpPut,
  TftpRemoteError,
  TftpTimeoutError,
} from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { startImpairProxy } from "../lib/udp/impair.ts";
import {
  combineRules,
  dropFinalAck,
  dropNth,
  duplicateEvery,
  impairProfile,
  type ImpairRule,
  isAck,
  isData,
  isOack,
  isRrq,
  randomLoss,
} from "../lib/udp/impair_rules.ts";
import { content, exists, GIVE_UP, partFiles, waitUntil, within } from "./_fixture.ts";
import { Matrix } from "./_matrix.ts";
import {
  isRoot,
  missingPeer,
  type Netns,
  openNetns,
  type PeerServer,
  runOurCli,
  spawnOurCli,
  startAtftpd,
  startDnsmasq,
  startOurServerProcess,
  startTftpdHpa,
} from "./_peers.ts";

const matrix = new Matrix("Our client against TFTP servers");

/** Short retransmit timing for the loss cases: the peers' own timers are seconds long. */
const LOSSY = { initialRtoMs: 100, minRtoMs: 20, retries: 20 } as const;
const SIZES = [0, 1, 511, 512, 513, 1024, 1536, 2936] as const; // 2936 = 2 x 1468
const BLKSIZES = [8, 1428, 1468, 8192, 65464] as const;
const WINDOWSIZES = [4, 16, 64] as const;
const PUT_SIZES = [0, 512, 513, 102_400] as const;

// netascii: a text with LF, CR LF and bare CR; the LF after the x's is the 512th byte on the
// wire (RFC form), so its CR LF straddles two blocks at blksize 512.
const TEXT = `a\nb\r\nc\rd\n${"x".repeat(497)}\nend\r`;
/** RFC 1350 netascii: LF -> CR LF, CR -> CR NUL (tftpd-hpa, atftpd, ours). */
function rfcNetascii(text: string): string {
  return text.replace(/\r/g, "\r\0").replace(/\n/g, "\r\n");
}
/** dnsmasq's netascii: LF -> CR LF only; a bare CR goes out unchanged. */
function lfOnlyNetascii(text: string): string {
  return text.replace(/\n/g, "\r\n");
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running server the library client talks to. */
interface Running extends AsyncDisposable {
  readonly port: number;
  url(path: string, port?: number): string;
}

/** What differs between the servers driven through the library. */
interface LibraryPeer {
  label: string;
  /** Why the whole peer is skipped, or undefined. */
  unavailable(): string | undefined;
  /** The server on `root`; `create` lets WRQ create files. */
  start(root: string, create: boolean): Promise<Running>;
  /** A separate server process that `kill()` ends with SIGKILL (its whole group). */
  startKillable(root: string): Promise<PeerServer>;
  /** The block size it grants when asked for `requested`. */
  grants(requested: number): number;
  /** Whether it negotiates windowsize (RFC 7440). */
  windowsize: boolean;
  /** Its answer to `../x`. */
  escapeCode: number;
  /** Its answer to a WRQ it may not write, and how the refusing server is set up. */
  refused: { code: number; setup: string };
  /** Options for the file of more than 65535 blocks. */
  rollover: { blksize: number; windowsize: number };
  /** Block size of the random-loss case. @default {8192} */
  lossBlksize?: number;
  /**
   * Also run 30 % random loss both ways on a 1 MB file: only servers with an adaptive
   * retransmit timer finish that in seconds (fixed multi-second timers would take many
   * minutes). Even so half the rounds fail, so backoff often reaches its 4 s ceiling: 18-42 s
   * for 1 MB here (a 2 MB file took 48-93 s, too close to the case's 90 s bound).
   */
  heavyLoss?: boolean;
  /** Known bugs: case name -> reason. */
  xfail: Record<string, string>;
}

function running(server: PeerServer): Running {
  return {
    port: server.port,
    url: (path, port) => server.url(path, port),
    [Symbol.asyncDispose]: () => server.stop(),
  };
}

const ATFTPD_NO_DALLY = "atftpd 0.8.0 does not dally after the final block of an upload " +
  "(RFC 1350 section 6): when its final ACK is lost the sender times out, though the file is " +
  "complete on the server";

const PEERS: LibraryPeer[] = [
  {
    label: "tftpd-hpa server",
    unavailable: () =>
      missingPeer("in.tftpd") ??
        (isRoot() ? undefined : "needs root (it calls chroot and setgroups before serving)"),
    start: async (root, create) => running(await startTftpdHpa(root, { create })),
    startKillable: (root) => startTftpdHpa(root),
    grants: (blksize) => blksize,
    windowsize: false,
    escapeCode: 1, // chrooted, "../x" is "/x": not found
    refused: { code: 1, setup: "without -c, a new file is 'File not found'" },
    rollover: { blksize: 8, windowsize: 1 },
    // It never re-sends DATA on a duplicate ACK (no Sorcerer's Apprentice), only after its
    // 1 s timer: 2 MB in 31 blocks keeps the random-loss case within seconds.
    lossBlksize: 65464,
    xfail: {},
  },
  {
    label: "atftpd server",
    unavailable: () => missingPeer("atftpd"),
    start: async (root, create) => {
      if (create) return running(await startAtftpd(root));
      // It has no read-only switch: drop to a user that cannot write the root (once started:
      // the readiness probe is written there first).
      const server = await startAtftpd(root, { user: isRoot() ? "nobody.nogroup" : undefined });
      await Deno.chmod(root, 0o555);
      return running(server);
    },
    startKillable: (root) => startAtftpd(root),
    grants: (blksize) => blksize,
    windowsize: true,
    escapeCode: 2,
    refused: { code: 2, setup: "root not writable by its user" },
    rollover: { blksize: 64, windowsize: 16 }, // it refuses blksize < 64
    xfail: {
      "get blksize 8": "atftpd 0.8.0 answers blksize < 64 with ERROR 8 (RFC 2348 allows 8); " +
        "our client then retries without options (512)",
      "put, lost final ACK": ATFTPD_NO_DALLY,
      "put windowsize 1, lost final ACK": ATFTPD_NO_DALLY,
    },
  },
  {
    label: "tftpkit server",
    unavailable: () => undefined,
    start: (root, create) => {
      // Patient enough for the 30 % loss case (a block may be lost many times in a row).
      const server = serveTftp({
        root,
        hostname: "127.0.0.1",
        port: 0,
        allowCreate: create,
        retries: 30,
      });
      return Promise.resolve({
        port: server.addr.port,
        url: (path, port = server.addr.port) => `tftp://127.0.0.1:${port}/${path}`,
        [Symbol.asyncDispose]: () => within(server.shutdown(), 5000, "server shutdown"),
      });
    },
    startKillable: (root) => startOurServerProcess(root),
    grants: (blksize) => blksize,
    windowsize: true,
    escapeCode: 2,
    refused: { code: 2, setup: "without allowCreate" },
    rollover: { blksize: 8, windowsize: 16 },
    heavyLoss: true,
    xfail: {},
  },
];

/** A served root and a local folder, removed on dispose. */
interface Dirs extends AsyncDisposable {
  base: string;
  root: string;
  local: string;
}

async function openDirs(): Promise<Dirs> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_peers_" });
  await Deno.chmod(base, 0o755); // servers that drop privileges must reach the root
  const root = join(base, "root");
  const local = join(base, "local");
  await Deno.mkdir(root);
  await Deno.mkdir(local);
  await Deno.chmod(root, 0o777);
  return {
    base,
    root,
    local,
    [Symbol.asyncDispose]: async () => {
      await Deno.chmod(root, 0o755).catch(() => {});
      await Deno.remove(base, { recursive: true });
    },
  };
}

/** Writes `bytes` as `root/name`, readable by any server user. */
async function serve(root: string, name: string, bytes: Uint8Array): Promise<Uint8Array> {
  await Deno.writeFile(join(root, name), bytes, { mode: 0o644 });
  await Deno.chmod(join(root, name), 0o644);
  return bytes;
}

/** No file at `path` and no temporary file beside it. */
async function assertNoLeftover(dir: string, path: string): Promise<void> {
  assert.equal(await exists(path), false, `no file at ${path}`);
  assert.deepEqual(await partFiles(dir), [], "no temporary files");
}

/** Downloads `name` to `dir`, checks its sha-256 against `expected`, removes it. */
async function getAndCheck(
  url: string,
  dir: string,
  expected: Uint8Array,
  options: ClientOptions = {},
): Promise<ClientResult> {
  const target = join(dir, "got");
  const result = await tftpGet(url, target, options);
  assert.equal(result.bytes, expected.length, "bytes reported");
  assert.equal(await sha256Hex(await Deno.readFile(target)), await sha256Hex(expected));
  assert.deepEqual(await partFiles(dir), [], "no temporary files");
  await Deno.remove(target);
  return result;
}
type ClientResult = Awaited<ReturnType<typeof tftpGet>>;

/** Downloads in netascii, returning the DATA payload as sent (by block) and the local text. */
async function netasciiGet(url: string, dir: string): Promise<{ wire: string; local: string }> {
  const blocks = new Map<number, Uint8Array>();
  const target = join(dir, "text");
  await tftpGet(url, target, {
    mode: "netascii",
    blksize: 512,
    windowsize: 1,
    onDatagram: (direction, _peer, bytes) => {
      if (direction !== "recv") return;
      const packet = decodePacket(bytes);
      if (packet.opcode === OPCODE.DATA) blocks.set(packet.block, packet.data.slice());
    },
  });
  const wire = [...blocks.keys()].sort((a, b) => a - b).map((b) => blocks.get(b)!);
  const local = decoder.decode(await Deno.readFile(target));
  await Deno.remove(target);
  return { wire: wire.map((b) => String.fromCharCode(...b)).join(""), local };
}

/** Runs `fn` with the impair proxy in front of `server`; the rule must have acted. */
async function throughProxy(
  server: Running,
  rule: ImpairRule,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  await using proxy = startImpairProxy({
    target: { hostname: "127.0.0.1", port: server.port },
    rule,
  });
  await fn(proxy.addr.port);
  const acted = proxy.counts.drop + proxy.counts.duplicate + proxy.counts.reorder;
  assert.ok(
    acted > 0,
    `the proxy dropped, duplicated or reordered nothing: ${JSON.stringify(proxy.counts)}`,
  );
}

/** One cell: its name, its body, and optionally a bound on its time. */
interface Case<C> {
  name: string;
  run(ctx: C): Promise<void>;
  limitMs?: number;
  skip?: string;
}

interface LibraryCtx {
  peer: LibraryPeer;
  dirs: Dirs;
  server: Running;
}

function libraryCases(peer: LibraryPeer): Case<LibraryCtx>[] {
  const cases: Case<LibraryCtx>[] = [];
  for (const size of SIZES) {
    const optionSets: [string, ClientOptions][] = [
      ["blksize 512 windowsize 1", { blksize: 512, windowsize: 1 }],
      ["default options", {}],
    ];
    for (const [label, options] of optionSets) {
      cases.push({
        name: `get ${size} B ${label}`,
        run: async ({ dirs, server }) => {
          const bytes = await serve(dirs.root, `size-${size}`, content(size));
          const result = await getAndCheck(server.url(`size-${size}`), dirs.local, bytes, options);
          assert.equal(result.stats.options.blksize, options.blksize ?? 1468);
        },
      });
    }
  }
  const { blksize: rb, windowsize: rw } = peer.rollover;
  const rollSize = rb * 65536 + 100;
  cases.push({
    name: `get ${rollSize} B = ${Math.ceil(rollSize / rb)} blocks (rollover), blksize ${rb}`,
    limitMs: 60_000,
    run: async ({ dirs, server }) => {
      const bytes = await serve(dirs.root, "rollover", content(rollSize, 1));
      const result = await getAndCheck(server.url("rollover"), dirs.local, bytes, {
        blksize: rb,
        windowsize: rw,
      });
      assert.equal(result.stats.options.blksize, rb);
      assert.equal(result.stats.blocks, Math.floor(rollSize / rb) + 1);
    },
  });
  for (const blksize of BLKSIZES) {
    cases.push({
      name: `get blksize ${blksize}`,
      run: async ({ dirs, server }) => {
        const size = blksize * 3 + 7;
        const bytes = await serve(dirs.root, `blk-${blksize}`, content(size));
        const result = await getAndCheck(server.url(`blk-${blksize}`), dirs.local, bytes, {
          blksize,
        });
        assert.equal(result.stats.options.blksize, peer.grants(blksize), "granted blksize");
      },
    });
  }
  for (const windowsize of WINDOWSIZES) {
    cases.push({
      name: `get windowsize ${windowsize}`,
      run: async ({ dirs, server }) => {
        const bytes = await serve(dirs.root, `win-${windowsize}`, content(1_000_000, windowsize));
        const result = await getAndCheck(server.url(`win-${windowsize}`), dirs.local, bytes, {
          windowsize,
        });
        // Our client asks for 64 KiB per window at most (44 blocks of 1468); without
        // windowsize support the OACK leaves it out.
        const granted = peer.windowsize ? Math.min(windowsize, receiveWindowLimit(1468)) : 1;
        assert.equal(result.stats.options.windowsize, granted, "granted windowsize");
      },
    });
  }
  cases.push({
    name: "get netascii (LF, CR LF, bare CR)",
    run: async ({ dirs, server }) => {
      await serve(dirs.root, "text", encoder.encode(TEXT));
      const got = await netasciiGet(server.url("text"), dirs.local);
      assert.equal(JSON.stringify(got.wire), JSON.stringify(rfcNetascii(TEXT)), "wire bytes");
      assert.equal(JSON.stringify(got.local), JSON.stringify(TEXT), "local text");
    },
  });
  for (const size of PUT_SIZES) {
    cases.push({
      name: `put ${size} B`,
      run: async ({ dirs, server }) => {
        const bytes = content(size, size + 1);
        const result = await tftpPut(bytes, server.url(`up-${size}`));
        assert.equal(result.bytes, size);
        const stored = await readStored(join(dirs.root, `up-${size}`), size);
        assert.equal(await sha256Hex(stored), await sha256Hex(bytes));
        assert.deepEqual(await partFiles(dirs.root), [], "no temporary files on the server");
      },
    });
  }
  cases.push(...lossCases(peer.lossBlksize, peer.heavyLoss ?? false), ...errorCases(peer));
  return cases;
}

/**
 * The loss cases. `lossBlksize` keeps the random-loss case short: a server that only
 * retransmits on its own timer (tftpd-hpa: 1 s) costs that much per lost DATA.
 */
function lossCases(lossBlksize = 8192, heavyLoss = false): Case<LibraryCtx>[] {
  const size = 5 * 1468 + 100; // 6 blocks at the default blksize
  const getCase = (name: string, rule: () => ImpairRule): Case<LibraryCtx> => ({
    name,
    limitMs: 20_000,
    run: async ({ dirs, server }) => {
      const bytes = await serve(dirs.root, "lossy", content(size, 77));
      await throughProxy(server, rule(), async (port) => {
        await getAndCheck(server.url("lossy", port), dirs.local, bytes, LOSSY);
      });
    },
  });
  return [
    getCase("get, lost first request", () => dropNth("up", isRrq)),
    getCase("get, lost OACK", () => dropNth("down", isOack)),
    getCase("get, lost DATA 3", () => dropNth("down", isData(3))),
    getCase(
      "get, lost first ACK of DATA",
      () => dropNth("up", (p) => p.opcode === OPCODE.ACK && p.block > 0),
    ),
    getCase("get, lost final ACK", dropFinalAck),
    getCase(
      "get, every DATA and ACK duplicated",
      () => combineRules(duplicateEvery("down", isData()), duplicateEvery("up", isAck())),
    ),
    {
      name: `get 2 MB, 10 % random loss (seed 3), blksize ${lossBlksize}`,
      limitMs: 30_000,
      run: async ({ dirs, server }) => {
        const bytes = await serve(dirs.root, "lossy-2mb", content(2_000_000, 3));
        await throughProxy(server, randomLoss(3, 0.1), async (port) => {
          await getAndCheck(server.url("lossy-2mb", port), dirs.local, bytes, {
            ...LOSSY,
            blksize: lossBlksize,
          });
        });
      },
    },
    {
      // Where the server grants windows, datagrams held back inside a window arrive after
      // later ones; elsewhere (windowsize 1) they only arrive late.
      name: "get windowsize 8, 20 % of DATA reordered inside the window (seed 5)",
      limitMs: 20_000,
      run: async ({ dirs, server }) => {
        const bytes = await serve(dirs.root, "reordered", content(200_000, 5));
        const rule = impairProfile(5, { down: { reorder: 0.2, reorderMs: 6 } });
        await throughProxy(server, rule, async (port) => {
          await getAndCheck(server.url("reordered", port), dirs.local, bytes, {
            ...LOSSY,
            windowsize: 8,
          });
        });
      },
    },
    ...(heavyLoss
      ? [{
        name: "get 1 MB, 30 % random loss both ways (seed 9), blksize 1468 x windowsize 16",
        limitMs: 90_000,
        run: async ({ dirs, server }: LibraryCtx) => {
          const bytes = await serve(dirs.root, "lossy30", content(1_000_000, 9));
          await throughProxy(server, randomLoss(9, 0.3), async (port) => {
            await getAndCheck(server.url("lossy30", port), dirs.local, bytes, {
              ...LOSSY,
              blksize: 1468,
              windowsize: 16,
              retries: 30,
            });
          });
        },
      }]
      : []),
    putFinalAckCase("put, lost final ACK", {}),
    putFinalAckCase("put windowsize 1, lost final ACK", { windowsize: 1 }),
  ];
}

/**
 * An upload whose final ACK is lost: the client re-sends from the last acknowledged block and
 * the server must acknowledge the final block again. Gives up within about a second.
 */
function putFinalAckCase(name: string, options: ClientOptions): Case<LibraryCtx> {
  return {
    name,
    run: async ({ dirs, server }) => {
      const bytes = content(5 * 1468 + 100, 78);
      const remote = `lossy-up-${options.windowsize ?? 4}`;
      await throughProxy(server, dropFinalAck(), async (port) => {
        await tftpPut(bytes, server.url(remote, port), { ...LOSSY, maxRtoMs: 200, retries: 5 });
      });
      const stored = await readStored(join(dirs.root, remote), bytes.length);
      assert.equal(await sha256Hex(stored), await sha256Hex(bytes));
    },
  };
}

/**
 * Reads a file a peer server wrote. Third-party servers may send the final ACK before they
 * flush and close the file (atftpd does), so wait, bounded, until it has the expected size.
 */
async function readStored(path: string, size: number): Promise<Uint8Array> {
  await waitUntil(
    () => {
      try {
        return Deno.statSync(path).size >= size;
      } catch {
        return false;
      }
    },
    2000,
    `${path} to reach ${size} bytes`,
  ).catch(() => {});
  return await Deno.readFile(path);
}

const AFTER = content(700, 5);

/** After a refusal the server must still serve a normal request: `after`, served beforehand. */
async function stillServes(server: Running, dirs: Dirs): Promise<void> {
  await getAndCheck(server.url("after"), dirs.local, AFTER, { dallyMs: 0 });
}

function isRemoteCode(code: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TftpRemoteError, `expected TftpRemoteError, got ${error}`);
    assert.equal(error.code, code, `error code (${error.message})`);
    return true;
  };
}

function errorCases(peer: LibraryPeer): Case<LibraryCtx>[] {
  return [
    {
      name: "missing file -> ERROR 1",
      run: async ({ dirs, server }) => {
        const target = join(dirs.local, "missing");
        await serve(dirs.root, "after", AFTER);
        await assert.rejects(tftpGet(server.url("no-such-file"), target), isRemoteCode(1));
        await assertNoLeftover(dirs.local, target);
        await stillServes(server, dirs);
      },
    },
    {
      name: `path escape ../x -> ERROR ${peer.escapeCode}`,
      run: async ({ dirs, server }) => {
        await Deno.writeFile(join(dirs.base, "x"), content(10)); // what an escape would reach
        await serve(dirs.root, "after", AFTER);
        const target = join(dirs.local, "escaped");
        await assert.rejects(tftpGet(server.url("../x"), target), isRemoteCode(peer.escapeCode));
        await assertNoLeftover(dirs.local, target);
        await stillServes(server, dirs);
      },
    },
    {
      name: `write refused (${peer.refused.setup}) -> ERROR ${peer.refused.code}`,
      run: async () => {
        await using ro = await openDirs();
        await serve(ro.root, "after", AFTER); // before the root may become read-only
        await using server = await peer.start(ro.root, false);
        await assert.rejects(
          tftpPut(content(600), server.url("refused")),
          isRemoteCode(peer.refused.code),
        );
        assert.equal(await exists(join(ro.root, "refused")), false, "no file on the server");
        await stillServes(server, ro);
      },
    },
    {
      name: "server killed mid-transfer: bounded give-up, no partial file",
      limitMs: 30_000,
      run: async ({ dirs }) => {
        await using own = await openDirs();
        await serve(own.root, "big", content(8_000_000, 9));
        await using server = await peer.startKillable(own.root);
        const target = join(dirs.local, "killed");
        let killedAt: number | undefined;
        const attempt = tftpGet(server.url("big"), target, {
          ...GIVE_UP,
          blksize: 512,
          windowsize: 1,
          onProgress: () => {
            if (killedAt !== undefined) return;
            killedAt = performance.now();
            server.process.kill("SIGKILL");
          },
        });
        await assert.rejects(attempt, (error) => {
          assert.ok(error instanceof TftpTimeoutError, `expected TftpTimeoutError, got ${error}`);
          assert.match(error.message, /^No answer from 127\.0\.0\.1:\d+ after \d+ attempts/);
          return true;
        });
        assert.ok(killedAt !== undefined, "the transfer had started");
        const gaveUpMs = performance.now() - killedAt;
        assert.ok(gaveUpMs < 5000, `gave up ${gaveUpMs.toFixed(0)} ms after the kill`);
        await assertNoLeftover(dirs.local, target);
      },
    },
  ];
}

/** Runs every case of `cases` as a cell, or records them all as skipped. */
async function runCells<C>(
  t: Deno.TestContext,
  label: string,
  cases: Case<C>[],
  xfail: Record<string, string>,
  ctx: C | string,
): Promise<void> {
  for (const c of cases) {
    const skip = typeof ctx === "string" ? ctx : c.skip;
    await matrix.step(
      t,
      label,
      c.name,
      () => within(c.run(ctx as C), c.limitMs ?? 15_000, c.name),
      { skip, expectFailure: xfail[c.name] },
    );
  }
}

for (const peer of PEERS) {
  Deno.test(peer.label, async (t) => {
    const cases = libraryCases(peer);
    const reason = peer.unavailable();
    if (reason !== undefined) return await runCells(t, peer.label, cases, peer.xfail, reason);
    await using dirs = await openDirs();
    let server: Running | undefined;
    await matrix.step(t, peer.label, "start", async () => {
      server = await peer.start(dirs.root, true);
    });
    if (!server) return await runCells(t, peer.label, cases, {}, "the server did not start");
    await using _stop = server;
    await runCells(t, peer.label, cases, peer.xfail, { peer, dirs, server });
  });
}

// ---- dnsmasq: the CLI inside a namespace of our own ----

interface DnsmasqCtx {
  netns: Netns;
  dirs: Dirs;
  server: PeerServer;
}

/** Runs `tftp.ts get` in the namespace; checks exit 0, the bytes and no leftover. */
async function cliGet(
  ctx: DnsmasqCtx,
  name: string,
  expected: Uint8Array,
  args: string[] = [],
): Promise<{ options: { blksize: number; windowsize: number }; blocks: number }> {
  const target = join(ctx.dirs.local, "got");
  const run = await runOurCli(ctx.netns, ["get", ctx.server.url(name), target, "--json", ...args]);
  assert.equal(run.code, 0, `exit status (stderr: ${run.stderr.trim()})`);
  assert.equal(await sha256Hex(await Deno.readFile(target)), await sha256Hex(expected));
  assert.deepEqual(await partFiles(ctx.dirs.local), [], "no temporary files");
  await Deno.remove(target);
  return JSON.parse(run.stdout);
}

/** Runs `tftp.ts get` in the namespace expecting failure with TFTP error `code`. */
async function cliGetFails(ctx: DnsmasqCtx, name: string, code: number): Promise<void> {
  const target = join(ctx.dirs.local, "failed");
  const run = await runOurCli(ctx.netns, ["get", ctx.server.url(name), target]);
  assert.equal(run.code, 1, "exit status");
  assert.match(run.stderr, new RegExp(`^error: .*\\(TFTP error ${code}\\)\\n$`));
  await assertNoLeftover(ctx.dirs.local, target);
}

/** Bytes in the temporary files of atomic downloads in `dir`. */
async function bytesWritten(dir: string): Promise<number> {
  let total = 0;
  for (const name of await partFiles(dir)) {
    total += await Deno.stat(join(dir, name)).then((info) => info.size, () => 0);
  }
  return total;
}

/** The netascii DATA payload dnsmasq sends, seen by our library inside the namespace. */
async function dnsmasqNetasciiWire(ctx: DnsmasqCtx): Promise<string> {
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = `import { decodePacket, tftpGetBytes } from ${JSON.stringify(mod)};
const blocks = new Map();
await tftpGetBytes(${JSON.stringify(ctx.server.url("text"))}, {
  mode: "netascii", blksize: 512, windowsize: 1,
  onDatagram: (d, _p, b) => { if (d === "recv") { const p = decodePacket(b);
    if (p.opcode === 3) blocks.set(p.block, [...p.data]); } },
});
const all = [...blocks.keys()].sort((a, b) => a - b).flatMap((k) => blocks.get(k));
console.log(JSON.stringify(String.fromCharCode(...all)));`;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const run = await ctx.netns.run(Deno.execPath(), ["eval", "--config", config, code], {
    timeoutMs: 20_000,
  });
  assert.equal(run.code, 0, `wire probe failed: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout);
}

const DNSMASQ_BLKSIZE_CAP = 2263; // without --edns-packet-max

function dnsmasqCases(): Case<DnsmasqCtx>[] {
  const cases: Case<DnsmasqCtx>[] = [];
  for (const size of SIZES) {
    for (
      const [label, args] of [
        ["blksize 512 windowsize 1", ["--blksize", "512", "--windowsize", "1"]],
        ["default options", []],
      ] as const
    ) {
      cases.push({
        name: `get ${size} B ${label}`,
        run: async (ctx) => {
          const bytes = await serve(ctx.dirs.root, `size-${size}`, content(size));
          const result = await cliGet(ctx, `size-${size}`, bytes, [...args]);
          assert.equal(result.options.blksize, args.length > 0 ? 512 : 1468);
        },
      });
    }
  }
  const rollSize = 8 * 65536 + 100;
  cases.push({
    name: `get ${rollSize} B = ${Math.ceil(rollSize / 8)} blocks (rollover), blksize 8`,
    limitMs: 60_000,
    run: async (ctx) => {
      const bytes = await serve(ctx.dirs.root, "rollover", content(rollSize, 1));
      const result = await cliGet(ctx, "rollover", bytes, ["--blksize", "8"]);
      assert.equal(result.options.blksize, 8);
      assert.equal(result.blocks, Math.floor(rollSize / 8) + 1);
    },
  });
  for (const blksize of BLKSIZES) {
    const granted = Math.min(blksize, DNSMASQ_BLKSIZE_CAP);
    cases.push({
      name: `get blksize ${blksize}`,
      run: async (ctx) => {
        const bytes = await serve(ctx.dirs.root, `blk-${blksize}`, content(blksize * 3 + 7));
        const result = await cliGet(ctx, `blk-${blksize}`, bytes, ["--blksize", String(blksize)]);
        assert.equal(result.options.blksize, granted, "granted blksize (the OACK lowers it)");
      },
    });
  }
  for (const windowsize of WINDOWSIZES) {
    cases.push({
      name: `get windowsize ${windowsize}`,
      run: async (ctx) => {
        const bytes = await serve(ctx.dirs.root, `win-${windowsize}`, content(1_000_000, 2));
        const result = await cliGet(ctx, `win-${windowsize}`, bytes, [
          "--windowsize",
          String(windowsize),
        ]);
        assert.equal(result.options.windowsize, 1, "no RFC 7440: the OACK leaves it out");
      },
    });
  }
  cases.push({
    name: "get netascii (LF, CR LF, bare CR)",
    run: async (ctx) => {
      await serve(ctx.dirs.root, "text", encoder.encode(TEXT));
      const wire = await dnsmasqNetasciiWire(ctx);
      assert.equal(JSON.stringify(wire), JSON.stringify(lfOnlyNetascii(TEXT)), "wire bytes");
      // Our reader keeps a CR that is followed by neither LF nor NUL: the text survives.
      await cliGet(ctx, "text", encoder.encode(TEXT), ["--mode", "netascii"]);
    },
  });
  for (const size of PUT_SIZES) {
    cases.push({
      name: `put ${size} B`,
      skip: "dnsmasq is read-only (no WRQ)",
      run: () => Promise.resolve(),
    });
  }
  const notHere = "loss cases run against tftpd-hpa, atftpd and ours (dnsmasq is in a namespace)";
  for (const name of lossCases().map((c) => c.name)) {
    cases.push({ name, skip: notHere, run: () => Promise.resolve() });
  }
  cases.push(
    { name: "missing file -> ERROR 1", run: (ctx) => cliGetFails(ctx, "no-such-file", 1) },
    { name: "path escape ../x -> ERROR 2", run: (ctx) => cliGetFails(ctx, "../x", 2) },
    {
      name: "write refused (read-only server) -> ERROR 4",
      run: async (ctx) => {
        const input = join(ctx.dirs.local, "upload");
        await Deno.writeFile(input, content(600));
        const run = await runOurCli(ctx.netns, ["put", input, ctx.server.url("refused")]);
        assert.equal(run.code, 1, "exit status");
        assert.match(run.stderr, /^error: .*\(TFTP error 4\)\n$/);
        assert.equal(await exists(join(ctx.dirs.root, "refused")), false);
        await Deno.remove(input);
      },
    },
    {
      name: "server killed mid-transfer: bounded give-up, no partial file",
      limitMs: 30_000,
      run: async (ctx) => {
        await serve(ctx.dirs.root, "big", content(32_000_000, 9));
        const target = join(ctx.dirs.local, "killed");
        await using cli = spawnOurCli(ctx.netns, [
          "get",
          ctx.server.url("big"),
          target,
          "--blksize",
          "512",
          "--windowsize",
          "1",
          "--retries",
          "2",
          "--give-up",
          "1",
          "-q",
        ]);
        // Kill once data flows (the client has measured the round trip), not before the request.
        for (let i = 0; i < 1000 && !cli.exited; i++) {
          if (await bytesWritten(ctx.dirs.local) > 200_000) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(cli.exited, false, "the download was still running");
        const killedAt = performance.now();
        ctx.server.process.kill("SIGKILL");
        const status = await within(cli.status, 10_000, "the CLI to give up");
        const gaveUpMs = performance.now() - killedAt;
        assert.equal(status.code, 1, "exit status");
        assert.match(
          await cli.stderr,
          /^error: No answer from 127\.0\.0\.1:\d+ after \d+ attempts/,
        );
        assert.ok(gaveUpMs < 5000, `gave up ${gaveUpMs.toFixed(0)} ms after the kill`);
        await assertNoLeftover(ctx.dirs.local, target);
      },
    },
  );
  return cases;
}

Deno.test("dnsmasq server", async (t) => {
  const label = "dnsmasq server";
  const cases = dnsmasqCases();
  const missing = missingPeer("dnsmasq", "ip");
  if (missing) return await runCells(t, label, cases, {}, missing);
  let netns: Netns;
  try {
    netns = await openNetns();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return await runCells(t, label, cases, {}, `no network namespace: ${why}`);
  }
  await using _ns = netns;
  await using dirs = await openDirs();
  let server: PeerServer | undefined;
  await matrix.step(t, label, "start", async () => {
    server = await startDnsmasq(netns, dirs.root);
  });
  if (!server) return await runCells(t, label, cases, {}, "the server did not start");
  await using _stop = server;
  await runCells(t, label, cases, {}, { netns, dirs, server });
});

Deno.test("summary: our client against TFTP servers", () => {
  matrix.print();
});
