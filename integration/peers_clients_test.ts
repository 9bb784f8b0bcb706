// Real third-party TFTP clients (tftp-hpa, atftp, curl, busybox) against our server, as one
// row of the interoperability matrix per client. Every cell checks the bytes (sha-256 of the
// downloaded file, or of the file our server stored), the client's exit status and our
// server's transfer log (status, mode, bytes, blocks and the negotiated options).
//
// Losses go through the impairment proxy; on a download our server recovers them with its own
// timer, so the cells stay quick even though these clients wait seconds on their timers.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  NetasciiDecoder,
  NetasciiEncoder,
  receiveWindowLimit,
  type TransferRecord,
} from "../mod.ts";
import { startImpairProxy } from "../lib/udp/impair.ts";
import { dropNth, type ImpairRule, isAck, isData } from "../lib/udp/impair_rules.ts";
import { content, exists, type Fixture, openFixture, partFiles, waitUntil } from "./_fixture.ts";
import { Matrix } from "./_matrix.ts";
import { findPeer, missingPeer, runPeer } from "./_peers.ts";

const matrix = new Matrix("Third-party clients against our server");

/** The server's timing: its defaults, with a shorter first timeout (before any RTT sample). */
const SERVER_TIMING = { initialRtoMs: 500, minRtoMs: 50, retries: 5 } as const;
/** Longest a client may run before it is killed (a case, not the whole file). */
const CLIENT_TIMEOUT_MS = 20_000;
const HOST = "127.0.0.1";

/** What a client is asked to do beyond the file names. */
interface Transfer {
  /** The blksize asked for (clients that send no options always run at 512). */
  blksize: number;
  /** The windowsize asked for (atftp only). */
  windowsize?: number;
  /** netascii instead of octet. */
  netascii?: boolean;
  /** curl: `--tftp-no-options`. */
  noOptions?: boolean;
  /** More arguments, before the address. */
  extra?: string[];
}

/** Where a transfer goes: our server's (or the proxy's) port and the two file names. */
interface Files {
  port: number;
  remote: string;
  local: string;
}

/** What our server should log about the options of a transfer. */
interface Negotiated {
  blksize: number;
  windowsize: number;
  acknowledged: boolean;
}

/** One client: how to call it and what it is known to do. */
interface ClientPeer {
  /** The matrix row. */
  peer: string;
  /** The binary looked for on PATH. */
  bin: string;
  /** The blksize of the size cases. */
  blksize: number;
  /** Whether it can ask for a blksize / windowsize / netascii. */
  supports: { blksize: boolean; windowsize: boolean; netascii: boolean };
  /** Arguments of a download of `remote` (through `port`) into `local`. */
  get(files: Files, t: Transfer): string[];
  /** Arguments of an upload of `local` to `remote` (through `port`). */
  put(files: Files, t: Transfer): string[];
  /** What our server should negotiate for `t`. */
  negotiated(t: Transfer): Negotiated;
  /** The name a path escape is asked with (curl squashes a literal `../`). */
  escape(name: string): string;
  /** Its exit status after an ERROR from the server with TFTP `code`. */
  errorExit(code: number): number;
  /**
   * What it prints (on stdout or stderr) for an ERROR with `code` and `message` (undefined:
   * nothing useful).
   */
  errorText(code: number, message: string): string | undefined;
  /** Whether a failed download leaves an empty local file behind. */
  leavesEmptyFile: boolean;
  /** Local bytes of a netascii download of `original` (the server encodes it on the wire). */
  netasciiGot(original: Uint8Array): Uint8Array;
  /** The netascii wire bytes of an upload of `original`. */
  netasciiSent(original: Uint8Array): Uint8Array;
}

function netasciiEncode(bytes: Uint8Array): Uint8Array {
  return new NetasciiEncoder().encode(bytes).slice();
}

function netasciiDecode(bytes: Uint8Array): Uint8Array {
  const decoder = new NetasciiDecoder();
  const head = decoder.decode(bytes).slice();
  const tail = decoder.flush();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

const lockStep = (blksize: number): Negotiated => ({
  blksize,
  windowsize: 1,
  acknowledged: true,
});

const CLIENTS: ClientPeer[] = [
  {
    peer: "tftp-hpa client",
    bin: "tftp",
    blksize: 512,
    supports: { blksize: false, windowsize: false, netascii: true },
    get: ({ port, remote, local }, t) => [
      "-m",
      t.netascii ? "netascii" : "binary",
      HOST,
      String(port),
      "-c",
      "get",
      remote,
      local,
    ],
    put: ({ port, remote, local }, t) => [
      "-m",
      t.netascii ? "netascii" : "binary",
      HOST,
      String(port),
      "-c",
      "put",
      local,
      remote,
    ],
    negotiated: () => ({ blksize: 512, windowsize: 1, acknowledged: false }),
    escape: (name) => `../${name}`,
    errorExit: () => 0, // it prints the ERROR on stdout but exits 0
    errorText: (code, message) => `Error code ${code}: ${message}`,
    leavesEmptyFile: true,
    netasciiGot: (original) => original,
    netasciiSent: netasciiEncode,
  },
  {
    peer: "atftp client",
    bin: "atftp",
    blksize: 1468,
    supports: { blksize: true, windowsize: true, netascii: true },
    get: (f, t) => atftpArgs("-g", f, t),
    put: (f, t) => atftpArgs("-p", f, t),
    negotiated: (t) => ({ blksize: t.blksize, windowsize: t.windowsize ?? 1, acknowledged: true }),
    escape: (name) => `../${name}`,
    errorExit: () => 255,
    errorText: (_code, message) => `error received from server <${message}>`,
    leavesEmptyFile: true,
    netasciiGot: (original) => original,
    netasciiSent: netasciiEncode,
  },
  {
    peer: "curl client",
    bin: "curl",
    blksize: 1468,
    supports: { blksize: true, windowsize: false, netascii: true },
    get: (f, t) => ["-sS", "-o", f.local, ...curlOptions(t), curlUrl(f, t)],
    put: (f, t) => ["-sS", "-T", f.local, ...curlOptions(t), curlUrl(f, t)],
    negotiated: (t) =>
      t.noOptions ? { blksize: 512, windowsize: 1, acknowledged: false } : lockStep(t.blksize),
    escape: (name) => `%2e%2e/${name}`,
    // CURLE_TFTP_NOTFOUND and CURLE_TFTP_PERM; its message is a getpeername() error instead
    // of the server's.
    errorExit: (code) => code === 1 ? 68 : code === 2 ? 69 : -1,
    errorText: () => undefined,
    leavesEmptyFile: false,
    // curl sends the mode but converts nothing: it writes the wire bytes as they come and
    // sends the local bytes as they are.
    netasciiGot: netasciiEncode,
    netasciiSent: (original) => original,
  },
  {
    peer: "busybox client",
    bin: "busybox",
    blksize: 1468,
    supports: { blksize: true, windowsize: false, netascii: false },
    get: (f, t) => busyboxArgs("-g", f, t),
    put: (f, t) => busyboxArgs("-p", f, t),
    negotiated: (t) => lockStep(t.blksize),
    escape: (name) => `../${name}`,
    errorExit: () => 1,
    errorText: (code, message) => `server error: (${code}) ${message}`,
    leavesEmptyFile: false,
    netasciiGot: (original) => original,
    netasciiSent: netasciiEncode,
  },
];

function atftpArgs(op: "-g" | "-p", f: Files, t: Transfer): string[] {
  return ["-r", f.remote, "-l", f.local, op, ...atftpOptions(t), HOST, String(f.port)];
}

function busyboxArgs(op: "-g" | "-p", f: Files, t: Transfer): string[] {
  const blksize = String(t.blksize);
  return ["tftp", op, "-r", f.remote, "-l", f.local, "-b", blksize, HOST, String(f.port)];
}

function atftpOptions(t: Transfer): string[] {
  return [
    ...(t.netascii ? ["--option", "mode netascii"] : []),
    "--option",
    `blksize ${t.blksize}`,
    ...(t.windowsize !== undefined ? ["--option", `windowsize ${t.windowsize}`] : []),
    ...(t.extra ?? []),
  ];
}

function curlOptions(t: Transfer): string[] {
  return [
    ...(t.noOptions ? ["--tftp-no-options"] : ["--tftp-blksize", String(t.blksize)]),
    ...(t.extra ?? []),
  ];
}

function curlUrl(f: Files, t: Transfer): string {
  return `tftp://${HOST}:${f.port}/${f.remote}${t.netascii ? ";mode=netascii" : ""}`;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string) {
  assert.equal(
    await sha256(actual),
    await sha256(expected),
    `${what}: sha-256 differs (${actual.length} bytes, expected ${expected.length})`,
  );
}

/** Text whose netascii form has a CR LF split across blocks 1 and 2 and bare CRs. */
function netasciiText(): Uint8Array {
  const text = "a".repeat(511) + "\nline two\r\nbare\rcr\n" + "b".repeat(600) + "\rend\n" +
    "c".repeat(400) + "\r";
  return new TextEncoder().encode(text);
}

/** Everything one client's cases share. */
class Bench {
  readonly client: ClientPeer;
  /** The client's binary. */
  readonly path: string;
  /** Our server, writable (create and overwrite). */
  readonly fx: Fixture;
  /** Our server, read-only. */
  readonly readOnly: Fixture;
  #files = 0;

  constructor(client: ClientPeer, parts: { path: string; fx: Fixture; readOnly: Fixture }) {
    this.client = client;
    this.path = parts.path;
    this.fx = parts.fx;
    this.readOnly = parts.readOnly;
  }

  /** A fresh file name for a case. */
  name(): string {
    return `f${++this.#files}.bin`;
  }

  /** Runs the client with `args`; it is killed after `timeoutMs`. */
  async run(args: string[], timeoutMs = CLIENT_TIMEOUT_MS) {
    return await runPeer(this.path, args, { timeoutMs, env: { LC_ALL: "C" } });
  }
}

/** Which server record to wait for: the first for `filename` after record number `since`. */
interface RecordQuery {
  kind: "read" | "write";
  filename: string;
  since: number;
}

/** The record `fx`'s server logged for `query`, waited for (a record comes at the end). */
async function serverRecord(fx: Fixture, query: RecordQuery): Promise<TransferRecord> {
  const { kind, filename, since } = query;
  const find = () =>
    fx.records.slice(since).find((r) => r.kind === kind && r.filename === filename);
  await waitUntil(() => find() !== undefined, 5000, `the server's ${kind} record of ${filename}`);
  return find()!;
}

function describeRun(run: { code: number; stdout: string; stderr: string }): string {
  return `exit ${run.code}, output: ${(run.stdout + run.stderr).trim().slice(0, 300)}`;
}

function assertComplete(
  record: TransferRecord,
  expected: { mode: string; bytes: number } & Negotiated,
): void {
  assert.equal(
    record.status,
    "complete",
    `server logged ${record.status}: ${record.error?.message ?? ""}`,
  );
  assert.equal(record.mode, expected.mode);
  const stats = record.stats!;
  assert.deepEqual(
    {
      bytes: stats.bytes,
      blocks: stats.blocks,
      blksize: stats.options.blksize,
      windowsize: stats.options.windowsize,
      acknowledged: stats.optionsAcknowledged,
    },
    {
      bytes: expected.bytes,
      blocks: Math.floor(expected.bytes / expected.blksize) + 1,
      blksize: expected.blksize,
      windowsize: expected.windowsize,
      acknowledged: expected.acknowledged,
    },
  );
}

/** Options of {@linkcode checkGet}: the transfer, and how it runs. */
interface GetOptions extends Transfer {
  /** Sends the transfer through a proxy applying this rule. */
  rule?: ImpairRule;
  /** Kills the client after this long. @default {CLIENT_TIMEOUT_MS} */
  timeoutMs?: number;
}

/** Downloads `data` and checks the local file, the exit status and the server's record. */
async function checkGet(b: Bench, data: Uint8Array, t: GetOptions): Promise<TransferRecord> {
  const remote = b.name();
  await Deno.writeFile(join(b.fx.root, remote), data);
  const local = join(b.fx.local, remote);
  const since = b.fx.records.length;
  await using proxy = t.rule
    ? startImpairProxy({
      target: { hostname: HOST, port: b.fx.server.addr.port },
      rule: t.rule,
    })
    : undefined;
  const port = proxy?.addr.port ?? b.fx.server.addr.port;
  const run = await b.run(b.client.get({ port, remote, local }, t), t.timeoutMs);
  assert.equal(run.code, 0, describeRun(run));
  const expected = t.netascii ? b.client.netasciiGot(data) : data;
  await assertSameBytes(await Deno.readFile(local), expected, "downloaded file");
  const record = await serverRecord(b.fx, { kind: "read", filename: remote, since });
  assertComplete(record, {
    mode: t.netascii ? "netascii" : "octet",
    bytes: t.netascii ? netasciiEncode(data).length : data.length,
    ...b.client.negotiated(t),
  });
  if (proxy) {
    assert.equal(proxy.counts.drop, 1, `proxy drops: ${JSON.stringify(proxy.counts)}`);
    assert.ok(record.stats!.retransmits >= 1, "our server retransmitted the lost block");
  }
  return record;
}

/** Uploads `data` and checks the stored file, the exit status and the server's record. */
async function checkPut(b: Bench, data: Uint8Array, t: Transfer): Promise<void> {
  const remote = b.name();
  const local = join(b.fx.local, remote);
  await Deno.writeFile(local, data);
  const since = b.fx.records.length;
  const run = await b.run(b.client.put({ port: b.fx.server.addr.port, remote, local }, t));
  assert.equal(run.code, 0, describeRun(run));
  const record = await serverRecord(b.fx, { kind: "write", filename: remote, since });
  const wire = t.netascii ? b.client.netasciiSent(data) : data;
  const negotiated = b.client.negotiated(t);
  assertComplete(record, {
    mode: t.netascii ? "netascii" : "octet",
    bytes: wire.length,
    ...negotiated,
    // Receiving, our server grants 64 KiB per window at most (44 blocks of 1468).
    windowsize: Math.min(negotiated.windowsize, receiveWindowLimit(negotiated.blksize)),
  });
  const expected = t.netascii ? netasciiDecode(wire) : data;
  await assertSameBytes(await Deno.readFile(join(b.fx.root, remote)), expected, "stored file");
  assert.deepEqual(await partFiles(b.fx.root), [], "no temporary file left");
}

/** The client printed `text` (when there is one) on stdout or stderr. */
function assertSays(run: { stdout: string; stderr: string }, text: string | undefined): void {
  if (text === undefined) return;
  const output = run.stdout + run.stderr;
  assert.ok(output.includes(text), `the client says "${text}"; it said: ${output.trim()}`);
}

/** Checks a download the server refuses with `code`. */
async function checkRefusedGet(
  b: Bench,
  refused: { remote: string; asked: string; code: number },
): Promise<void> {
  const { remote, asked, code } = refused;
  const local = join(b.fx.local, b.name());
  const since = b.fx.records.length;
  const run = await b.run(
    b.client.get({ port: b.fx.server.addr.port, remote: asked, local }, {
      blksize: b.client.blksize,
    }),
  );
  const record = await serverRecord(b.fx, { kind: "read", filename: remote, since });
  assert.equal(record.status, "refused");
  assert.equal(record.error?.code, code, `server error: ${record.error?.message}`);
  assert.equal(run.code, b.client.errorExit(code), describeRun(run));
  const text = b.client.errorText(code, record.error!.message);
  assertSays(run, text);
  if (b.client.leavesEmptyFile) {
    assert.equal((await Deno.stat(local)).size, 0, "the client left an empty file");
  } else {
    assert.equal(await exists(local), false, "no local file");
  }
}

/** Checks an upload to the read-only server: refused with ERROR 2, nothing stored. */
async function checkRefusedPut(b: Bench): Promise<void> {
  const remote = b.name();
  const local = join(b.fx.local, remote);
  await Deno.writeFile(local, content(3000));
  const since = b.readOnly.records.length;
  const run = await b.run(
    b.client.put({ port: b.readOnly.server.addr.port, remote, local }, {
      blksize: b.client.blksize,
    }),
  );
  const record = await serverRecord(b.readOnly, { kind: "write", filename: remote, since });
  assert.equal(record.status, "refused");
  assert.equal(record.error?.code, 2, `server error: ${record.error?.message}`);
  assert.equal(run.code, b.client.errorExit(2), describeRun(run));
  const text = b.client.errorText(2, record.error!.message);
  assertSays(run, text);
  assert.equal(await exists(join(b.readOnly.root, remote)), false, "nothing stored");
  assert.deepEqual(await partFiles(b.readOnly.root), [], "no temporary file left");
}

interface Case {
  name: string;
  run: (b: Bench) => Promise<void>;
  skip?: string;
  expectFailure?: string;
}

const SIZES = [0, 1, 511, 512, 513, 1024, 1536];
const BLKSIZES = [512, 1428, 1468, 8192, 65464];
const WINDOWSIZES = [4, 16, 64];
/** More than 65535 blocks at blksize 512: the block number rolls over. */
const ROLLOVER_BYTES = 33_600_000;

function casesOf(client: ClientPeer): Case[] {
  const cases: Case[] = [];
  const base: Transfer = { blksize: client.blksize };
  const multiple = 5 * client.blksize;
  const sizes = [...SIZES.map((n) => ({ n, label: `${n} B` })), {
    n: multiple,
    label: `${multiple} B (5 x ${client.blksize})`,
  }];
  const isCurl = client.bin === "curl";

  for (const { n, label } of sizes) {
    cases.push({
      name: `get ${label}`,
      run: async (b) => void await checkGet(b, content(n), base),
      expectFailure: isCurl && n === 0
        ? "curl 7.88 fails every 0-byte download with options (exit 71)"
        : undefined,
    });
  }
  if (isCurl) {
    cases.push({
      name: "get 0 B --tftp-no-options",
      run: async (b) => void await checkGet(b, content(0), { ...base, noOptions: true }),
    });
  }
  for (const { n, label } of sizes) {
    cases.push({ name: `put ${label}`, run: (b) => checkPut(b, content(n), base) });
  }

  if (client.supports.blksize) {
    for (const blksize of BLKSIZES) {
      const n = 2 * blksize + 77;
      cases.push({
        name: `get blksize ${blksize} (${n} B)`,
        run: async (b) => void await checkGet(b, content(n), { blksize }),
      });
      cases.push({
        name: `put blksize ${blksize} (${n} B)`,
        run: (b) => checkPut(b, content(n), { blksize }),
      });
    }
  } else {
    cases.push({
      name: `blksize ${BLKSIZES.slice(1).join("/")}`,
      run: () => Promise.resolve(),
      skip: `${client.peer} sends no options`,
    });
  }

  if (client.supports.windowsize) {
    for (const windowsize of WINDOWSIZES) {
      const t = { blksize: 1468, windowsize };
      cases.push({
        name: `get windowsize ${windowsize} (1 MB, blksize 1468)`,
        run: async (b) => void await checkGet(b, content(1_000_000), t),
      });
      cases.push({
        name: `put windowsize ${windowsize} (1 MB, blksize 1468)`,
        run: (b) => checkPut(b, content(1_000_000), t),
      });
    }
  } else {
    cases.push({
      name: `windowsize ${WINDOWSIZES.join("/")}`,
      run: () => Promise.resolve(),
      skip: `${client.peer} has no windowsize option`,
    });
  }

  if (client.supports.netascii) {
    const t = { ...base, netascii: true };
    const note = isCurl ? " (curl converts nothing)" : "";
    cases.push({
      name: `get netascii${note}`,
      run: async (b) => void await checkGet(b, netasciiText(), t),
    });
    cases.push({ name: `put netascii${note}`, run: (b) => checkPut(b, netasciiText(), t) });
  } else {
    cases.push({
      name: "netascii get/put",
      run: () => Promise.resolve(),
      skip: `${client.peer} has no netascii mode`,
    });
  }

  cases.push({
    name: "get missing file -> ERROR 1",
    run: (b) => checkRefusedGet(b, { remote: "missing.bin", asked: "missing.bin", code: 1 }),
  });
  cases.push({
    name: "get ../ path escape -> ERROR 2",
    run: async (b) => {
      // The file exists just outside the root, so an escape would succeed.
      await Deno.writeFile(join(b.fx.base, "secret.bin"), content(100));
      await checkRefusedGet(b, {
        remote: "../secret.bin",
        asked: client.escape("secret.bin"),
        code: 2,
      });
    },
  });
  cases.push({ name: "put to a read-only server -> ERROR 2", run: checkRefusedPut });

  // curl asks for a 6 s timeout, which our server then uses: ask for 1 s instead.
  const lossy: Transfer = { ...base, extra: isCurl ? ["--connect-timeout", "1"] : undefined };
  const lossSize = 5 * client.blksize + 100;
  cases.push({
    name: "get, DATA 2 lost once",
    run: async (b) =>
      void await checkGet(b, content(lossSize), { ...lossy, rule: dropNth("down", isData(2)) }),
  });
  cases.push({
    name: "get, ACK 1 lost once",
    run: async (b) =>
      void await checkGet(b, content(lossSize), { ...lossy, rule: dropNth("up", isAck(1)) }),
  });
  if (client.supports.windowsize) {
    cases.push({
      name: "get windowsize 8, DATA 2 lost once",
      run: async (b) =>
        void await checkGet(b, content(20 * 1468), {
          blksize: 1468,
          windowsize: 8,
          rule: dropNth("down", isData(2)),
        }),
    });
  }

  if (client.bin === "busybox") {
    const blocks = Math.floor(ROLLOVER_BYTES / 512) + 1;
    cases.push({
      name: `get ${ROLLOVER_BYTES} B blksize 512 (${blocks} blocks, rollover)`,
      run: async (b) => {
        const record = await checkGet(b, content(ROLLOVER_BYTES), {
          blksize: 512,
          timeoutMs: 60_000,
        });
        assert.ok(record.stats!.blocks > 65535);
      },
    });
  }
  return cases;
}

for (const client of CLIENTS) {
  Deno.test(client.peer, async (t) => {
    const path = findPeer(client.bin);
    const missing = missingPeer(client.bin);
    const cases = casesOf(client);
    if (path === undefined) {
      for (const c of cases) {
        await matrix.step(t, client.peer, c.name, () => Promise.resolve(), { skip: missing });
      }
      return;
    }
    await using fx = await openFixture({
      ...SERVER_TIMING,
      allowCreate: true,
      allowOverwrite: true,
    });
    await using readOnly = await openFixture(SERVER_TIMING);
    const bench = new Bench(client, { path, fx, readOnly });
    for (const c of cases) {
      await matrix.step(t, client.peer, c.name, () => c.run(bench), {
        skip: c.skip,
        expectFailure: c.expectFailure,
      });
    }
  });
}

Deno.test("third-party clients: summary table", () => {
  matrix.print();
  assert.ok(matrix.cells.length > 0, "the matrix ran");
});
