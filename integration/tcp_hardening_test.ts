// The TCP file service against hostile and broken clients: slowloris requests, clients that
// never read, thousands of idle connections, more connections than the caps allow, and
// (through `tcp.ts serve` in a child process) running out of file descriptors. Limits and
// timeouts are set small so the file runs fast; every wait is bounded, every socket closed.
// Run with: deno test --allow-all integration/tcp_hardening_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256Hex } from "../lib/bytes.ts";
import { tcpGet } from "../lib/tcp/client.ts";
import type { TcpRequestRecord } from "../lib/tcp/request_log.ts";
import { serveTcpFiles, type TcpFileServer } from "../lib/tcp/server.ts";
import { formatTcpUrl } from "../lib/tcp/url.ts";
import { content, delay, waitUntil, within } from "./_fixture.ts";
import { canReadProcMemory, countOpenFds, mib, readProcessMemory } from "./_memory.ts";
import { runScript, ScriptProcess } from "./_script_process.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);
const SMALL = 5 * 1024 * 1024 + 3;
const BIG = 32 * 1024 * 1024;

/** A served root with `small.bin` (5 MiB) and `big.bin` (32 MiB), removed on dispose. */
async function fixture(): Promise<{ root: string; out: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "tcp_hard_root_" });
  const out = await Deno.makeTempDir({ prefix: "tcp_hard_out_" });
  await Deno.writeFile(join(root, "small.bin"), content(SMALL, 5));
  const block = content(1024 * 1024, 32);
  using file = await Deno.open(join(root, "big.bin"), { write: true, create: true });
  for (let i = 0; i < BIG / block.length; i++) {
    block[i] ^= 0x5a; // every MiB differs
    for (let at = 0; at < block.length;) at += await file.write(block.subarray(at));
  }
  return {
    root,
    out,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(out, { recursive: true });
    },
  };
}

/** Open file descriptors of this process (Linux), or `undefined` without `/proc`. */
const openFds = () => countOpenFds("self");

/** The soft limit on open files of this process (Linux), or `undefined`. */
function fdLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").match(/^Max open files +(\S+)/m);
    return line ? (line[1] === "unlimited" ? Infinity : Number(line[1])) : undefined;
  } catch {
    return undefined;
  }
}

function connect(server: TcpFileServer): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
}

/** Everything the peer sends until it closes; a reset counts as a close. Never rejects. */
async function untilClosed(conn: Deno.Conn): Promise<{ data: Uint8Array; reset: boolean }> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  let reset = false;
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(buffer.slice(0, n));
    }
  } catch {
    reset = true;
  }
  const data = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) at += (data.set(chunk, at), chunk.length);
  return { data, reset };
}

/** `tcpGet`s `name` into `out` within 15 s and checks it byte for byte (sha-256). */
async function fetchIntact(server: TcpFileServer, name: string, out: string, root: string) {
  const url = formatTcpUrl({ hostname: "127.0.0.1", port: server.addr.port, name });
  const target = join(out, `got_${name}`);
  const { bytes: n } = await within(tcpGet(url, target), 15_000, `fetching ${name}`);
  assert.equal(n, (await Deno.stat(join(root, name))).size);
  assert.equal(
    await sha256Hex(await Deno.readFile(target)),
    await sha256Hex(await Deno.readFile(join(root, name))),
  );
  await Deno.remove(target);
}

/** The records without peer and duration, for exact comparison. */
function outcomes(records: TcpRequestRecord[]): Omit<TcpRequestRecord, "peer" | "durationMs">[] {
  return records.map(({ peer: _peer, durationMs: _ms, ...rest }) => rest);
}

Deno.test("50 slowloris clients are dropped at the request deadline while a download goes on", async () => {
  await using fx = await fixture();
  const fdsBefore = openFds();
  const records: TcpRequestRecord[] = [];
  const REQUEST_MS = 1500;
  const server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    requestTimeoutMs: REQUEST_MS,
    maxConnectionsPerClient: 64, // 51 clients, all from 127.0.0.1
    onRequest: (record) => records.push(record),
  });
  try {
    // One byte every 100 ms of a request far too long to finish before the deadline.
    const request = bytes(`GET ${"s".repeat(300)}.bin\n`);
    const slowloris = async () => {
      const conn = await connect(server);
      try {
        const closed = untilClosed(conn);
        let ended = false;
        void closed.then(() => (ended = true));
        let sent = 0;
        for (; sent < request.length && !ended; sent++) {
          try {
            await conn.write(request.subarray(sent, sent + 1));
          } catch {
            break; // the server is gone
          }
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([new Promise((r) => (timer = setTimeout(r, 100))), closed]);
          clearTimeout(timer);
        }
        const { data } = await within(closed, 15_000, "a slowloris close");
        return { sent, received: data.length };
      } finally {
        conn.close();
      }
    };
    const trickling = Array.from({ length: 50 }, slowloris);
    await waitUntil(() => server.activeConnections === 50, 10_000, "50 slowloris connections");
    await fetchIntact(server, "small.bin", fx.out, fx.root);
    const results = await within(Promise.all(trickling), 20_000, "50 slowloris clients");
    for (const { sent, received } of results) {
      assert.ok(sent >= 5 && sent < request.length, `sent ${sent} bytes`); // it did trickle
      assert.equal(received, 0); // closed without a response
    }
    await waitUntil(() => records.length === 51, 5000, "51 records");
    const dropped = records.filter((r) => r.status === "NO_REQUEST");
    assert.deepEqual(
      outcomes(dropped),
      Array(50).fill({
        status: "NO_REQUEST",
        bytes: 0,
        complete: false,
        message: `Request timeout: no complete request within ${REQUEST_MS} ms`,
      }),
    );
    for (const r of dropped) assert.ok(r.durationMs >= REQUEST_MS - 1, `${r.durationMs} ms`);
    assert.deepEqual(outcomes(records.filter((r) => r.status !== "NO_REQUEST")), [
      { name: "small.bin", status: "OK", bytes: SMALL, size: SMALL, complete: true },
    ]);
    assert.equal(server.activeConnections, 0);
  } finally {
    await within(server.shutdown(), 5000, "shutdown");
  }
  if (fdsBefore !== undefined) assert.equal(openFds(), fdsBefore, "open descriptors");
});

Deno.test("clients that never read are dropped after the send timeout; others are served", async () => {
  await using fx = await fixture();
  const fdsBefore = openFds();
  const records: TcpRequestRecord[] = [];
  const SEND_MS = 1000;
  const server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    sendTimeoutMs: SEND_MS,
    onRequest: (record) => records.push(record),
  });
  const stalled: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const conn = await connect(server);
      stalled.push(conn);
      await conn.write(bytes("GET big.bin\n")); // and never read
    }
    await waitUntil(() => server.activeConnections === 4, 5000, "4 stalled clients");
    await fetchIntact(server, "big.bin", fx.out, fx.root);
    await fetchIntact(server, "small.bin", fx.out, fx.root);
    await waitUntil(() => records.length === 6, 10_000, "the stalled clients to be dropped");
    const drops = records.filter((r) => !r.complete);
    assert.equal(drops.length, 4);
    for (const drop of drops) {
      assert.deepEqual(
        { ...drop, peer: undefined, durationMs: undefined, bytes: undefined },
        {
          peer: undefined,
          durationMs: undefined,
          bytes: undefined,
          name: "big.bin",
          status: "OK",
          size: BIG,
          complete: false,
          message: `Send timeout: the client took no bytes for ${SEND_MS} ms`,
        },
      );
      assert.ok(drop.bytes > 0 && drop.bytes < BIG, `${drop.bytes} bytes sent`);
      assert.ok(drop.durationMs >= SEND_MS - 1, `${drop.durationMs} ms`);
    }
    // What reached each stalled client: the header and the part that was sent, then the end.
    for (const conn of stalled) {
      const { data } = await within(untilClosed(conn), 10_000, "a stalled client's bytes");
      const header = `OK ${BIG}\n`;
      assert.equal(text(data.subarray(0, header.length)), header);
      assert.ok(data.length - header.length < BIG, `${data.length} bytes`);
    }
    assert.equal(server.activeConnections, 0);
  } finally {
    for (const conn of stalled) conn.close();
    await within(server.shutdown(), 5000, "shutdown");
  }
  if (fdsBefore !== undefined) assert.equal(openFds(), fdsBefore, "open descriptors");
});

Deno.test("2,000 idle connections: a download still succeeds, then the idle ones are closed", async () => {
  await using fx = await fixture();
  const fdsBefore = openFds() ?? 0;
  // Both ends of every connection live in this process: two descriptors each.
  const limit = fdLimit() ?? 4200;
  const count = Math.min(2000, Math.floor((limit - fdsBefore - 200) / 2));
  if (count < 2000) console.log(`open-file limit ${limit}: ${count} idle connections`);
  assert.ok(count >= 200, `open-file limit ${limit} is too low for this test`);
  const records: TcpRequestRecord[] = [];
  const IDLE_MS = 5000;
  const server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    idleTimeoutMs: IDLE_MS,
    requestTimeoutMs: 60_000,
    maxConnections: 4096,
    maxConnectionsPerClient: 4096,
    onRequest: (record) => records.push(record),
  });
  const idle: Deno.TcpConn[] = [];
  const ends: Promise<{ data: Uint8Array; reset: boolean }>[] = [];
  try {
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, () => connect(server)),
      );
      idle.push(...batch);
      ends.push(...batch.map(untilClosed));
    }
    await waitUntil(() => server.activeConnections === count, 20_000, `${count} idle ones`);
    await fetchIntact(server, "small.bin", fx.out, fx.root);
    const closed = await within(Promise.all(ends), IDLE_MS + 20_000, "the idle close");
    assert.equal(closed.filter(({ data }) => data.length === 0).length, count);
    await waitUntil(() => records.length === count + 1, 5000, "every record");
    const counts = new Map<string, number>();
    for (const r of records) {
      const key = `${r.status} ${r.message ?? r.name}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), {
      [`NO_REQUEST No progress for ${IDLE_MS} ms`]: count,
      "OK small.bin": 1,
    });
    assert.equal(server.activeConnections, 0);
  } finally {
    for (const conn of idle) conn.close();
    await within(server.shutdown(), 5000, "shutdown");
  }
  if (openFds() !== undefined) assert.equal(openFds(), fdsBefore, "open descriptors");
});

/** Opens `n` connections one by one, each admitted (counted) before the next. */
async function hold(server: TcpFileServer, n: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < n; i++) {
    const before = server.activeConnections;
    conns.push(await connect(server));
    await waitUntil(() => server.activeConnections === before + 1, 5000, "an admitted one");
  }
  return conns;
}

/** Sends a request on `conn` and returns the whole answer. */
async function ask(conn: Deno.Conn, request: string): Promise<string> {
  await conn.write(bytes(request));
  const { data } = await within(untilClosed(conn), 5000, JSON.stringify(request));
  return text(data);
}

Deno.test("the connection caps refuse exactly the excess, with a busy response", async () => {
  await using fx = await fixture();
  await Deno.writeFile(join(fx.root, "hi.txt"), bytes("hi"));
  const fdsBefore = openFds();
  const records: TcpRequestRecord[] = [];
  const onRequest = (record: TcpRequestRecord) => records.push(record);
  const options = { root: fx.root, hostname: "127.0.0.1", onRequest };
  const total = serveTcpFiles({ ...options, maxConnections: 5, maxConnectionsPerClient: 100 });
  const perClient = serveTcpFiles({ ...options, maxConnections: 100, maxConnectionsPerClient: 3 });
  const raw = serveTcpFiles({ ...options, raw: true, maxConnectionsPerClient: 1 });
  const held: Deno.TcpConn[] = [];
  try {
    // maxConnections 5: five are served, the next three are refused, one by one.
    held.push(...await hold(total, 5));
    for (let i = 0; i < 3; i++) {
      const extra = await connect(total);
      try {
        assert.equal(await ask(extra, "GET hi.txt\n"), "ERROR Server busy: too many connections\n");
      } finally {
        extra.close();
      }
    }
    assert.equal(total.activeConnections, 5);
    // The admitted ones are served; a freed slot admits the next one.
    assert.equal(await ask(held[0], "GET hi.txt\n"), "OK 2\nhi");
    await waitUntil(() => total.activeConnections === 4, 5000, "a freed slot");
    held.push(...await hold(total, 1));
    const busy = await connect(total);
    const answer = await ask(busy, "GET hi.txt\n");
    busy.close();
    assert.equal(answer, "ERROR Server busy: too many connections\n");

    // maxConnectionsPerClient 3: the fourth and fifth from 127.0.0.1 are refused.
    held.push(...await hold(perClient, 3));
    for (let i = 0; i < 2; i++) {
      const extra = await connect(perClient);
      const refused = await ask(extra, "GET hi.txt\n");
      extra.close();
      assert.equal(refused, "ERROR Server busy: too many connections from your address\n");
    }
    assert.equal(perClient.activeConnections, 3);

    // Raw mode has no error response: closed without a byte.
    held.push(...await hold(raw, 1));
    const extra = await connect(raw);
    const nothing = await ask(extra, "hi.txt");
    extra.close();
    assert.equal(nothing, "");

    await waitUntil(() => records.length === 8, 5000, "the refusal records");
    assert.deepEqual(
      records.map(({ status, message, name }) => `${status} ${message ?? name}`),
      [
        ...Array(3).fill("BUSY Too many connections (limit 5)"),
        "OK hi.txt",
        "BUSY Too many connections (limit 5)",
        ...Array(2).fill("BUSY Too many connections from this client (limit 3)"),
        "BUSY Too many connections from this client (limit 1)",
      ],
    );
    for (const r of records.filter((r) => r.status === "BUSY")) {
      assert.deepEqual([r.peer.hostname, r.bytes, r.complete], ["127.0.0.1", 0, false]);
    }
  } finally {
    for (const conn of held) conn.close();
    await within(
      Promise.all([total.shutdown(), perClient.shutdown(), raw.shutdown()]),
      5000,
      "shutdown",
    );
  }
  if (fdsBefore !== undefined) assert.equal(openFds(), fdsBefore, "open descriptors");
});

/** The `tcp.ts serve` log with peer ports, byte counts of cut-off files and times made fixed. */
function normalizeLog(log: string): string[] {
  return log
    .replace(/^127\.0\.0\.1:[0-9]+ /gm, "P ")
    .replace(/ OK [0-9]+ of /g, " OK N of ")
    .replace(/ in [0-9]+ ms/g, " in T ms")
    .split("\n")
    .filter((line) => line !== "")
    .sort();
}

/** Open file descriptors of process `pid` (Linux). */
const openFdsOf = (pid: number): number => countOpenFds(pid) ?? 0;

Deno.test({
  name: "tcp.ts serve: the flags reach the server; never-readers leave memory flat",
  ignore: !canReadProcMemory(),
  async fn() {
    await using fx = await fixture();
    await using server = new ScriptProcess("tcp.ts", [
      "serve",
      fx.root,
      "--host=127.0.0.1",
      "--port=0",
      "--max-connections=100",
      "--max-per-client=8",
      "--request-timeout=2",
      "--send-timeout=1",
    ], { limitMs: 60_000, waitMs: 15_000 });
    const port = await server.listening();
    const url = (name: string) => formatTcpUrl({ hostname: "127.0.0.1", port, name });
    await within(tcpGet(url("small.bin"), join(fx.out, "warm.bin")), 15_000, "a first fetch");
    const idle = readProcessMemory(server.pid);
    assert.ok(idle, "server memory readable");

    // Eight clients ask for 32 MiB each and never read.
    const stalled: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        stalled.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        await stalled[i].write(bytes("GET big.bin\n"));
      }
      const drops = () => server.err.match(/Send timeout/g)?.length ?? 0;
      await waitUntil(() => drops() === 8, 15_000, "8 send timeouts");
    } finally {
      for (const conn of stalled) conn.close();
    }
    const after = readProcessMemory(server.pid);
    assert.ok(after, "server memory readable");
    const growth = after.peakRssBytes - idle.peakRssBytes;
    console.log(
      `8 never-readers of 32 MiB: server peak RSS ${mib(after.peakRssBytes)} (idle ${
        mib(idle.peakRssBytes)
      })`,
    );
    assert.ok(growth < 32 * 1024 * 1024, `server grew by ${mib(growth)}`);

    // Eight silent connections fill the per-client cap: the ninth is refused.
    const silent: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 8; i++) silent.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      const ninth = await Deno.connect({ hostname: "127.0.0.1", port });
      const answer = await within(untilClosed(ninth), 10_000, "the ninth's answer");
      ninth.close();
      assert.equal(
        text(answer.data),
        "ERROR Server busy: too many connections from your address\n",
      );
      const ends = await within(Promise.all(silent.map(untilClosed)), 15_000, "the deadline");
      assert.deepEqual(ends.map(({ data }) => data.length), Array(8).fill(0));
    } finally {
      for (const conn of silent) conn.close();
    }
    assert.equal(await server.exit("SIGTERM"), 0);
    assert.deepEqual(normalizeLog(server.err), [
      ...Array(8).fill("P BUSY Too many connections from this client (limit 8)").slice(7),
      ...Array(8).fill(
        "P GET big.bin OK N of 33554432 B in T ms, incomplete: " +
          "Send timeout: the client took no bytes for 1000 ms",
      ),
      "P GET small.bin OK 5242883 B in T ms",
      ...Array(8).fill("P NO_REQUEST Request timeout: no complete request within 2000 ms"),
    ]);
  },
});

Deno.test({
  name: "tcp.ts serve out of file descriptors backs off, keeps serving and frees them all",
  ignore: !canReadProcMemory(),
  async fn() {
    await using fx = await fixture();
    await using server = new ScriptProcess("tcp.ts", [
      "serve",
      fx.root,
      "--host=127.0.0.1",
      "--port=0",
      "--max-per-client=1000",
      "--request-timeout=60",
    ], {
      limitMs: 60_000,
      waitMs: 15_000,
      prefix: ["/bin/sh", "-c", 'ulimit -n 64 && exec "$0" "$@"'],
    });
    const port = await server.listening();
    const baseline = openFdsOf(server.pid);
    const idle: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 60; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      await server.waitFor(/^accept failed: .*\(os error 24\); retrying in 5 ms$/m, "err");
      await delay(1500);
      // No accept succeeds meanwhile: the waits double and the loop does not spin.
      const waits = [...server.err.matchAll(/^accept failed: .*; retrying in ([0-9]+) ms$/gm)]
        .map((m) => Number(m[1]));
      const doubling = [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000];
      assert.ok(waits.length >= 5 && waits.length <= 10, `${waits.length} accept failures`);
      assert.deepEqual(waits, doubling.slice(0, waits.length));
    } finally {
      for (const conn of idle) conn.close();
    }
    // The descriptors come back: the backlog drains and a download works.
    await fetchIntact({ addr: { port } } as TcpFileServer, "small.bin", fx.out, fx.root);
    await waitUntil(() => openFdsOf(server.pid) === baseline, 10_000, "the server's descriptors");
    await waitUntil(
      () => (server.err.match(/ NO_REQUEST /g)?.length ?? 0) === 60,
      10_000,
      "60 records",
    );
    assert.equal(await server.exit("SIGTERM"), 0);
    // Deno itself may warn that it could not load CA certificates while descriptors ran out.
    const log = normalizeLog(server.err)
      .filter((line) => !line.startsWith("accept failed") && !line.startsWith("Warning: "));
    assert.deepEqual(
      log,
      [
        ...Array(60).fill("P NO_REQUEST Connection closed before a request"),
        "P GET small.bin OK 5242883 B in T ms",
      ].sort(),
    );
  },
});

Deno.test("tcp.ts serve: bad limit and timeout values are usage errors", async () => {
  const cases: [string[], string][] = [
    [
      ["--max-connections", "0"],
      '--max-connections must be a whole number from 1 to 1000000, got "0"',
    ],
    [
      ["--max-per-client=many"],
      '--max-per-client must be a whole number from 1 to 1000000, got "many"',
    ],
    [
      ["--request-timeout", "0"],
      '--request-timeout must be a number of seconds above 0 and at most 86400, got "0"',
    ],
    [
      ["--send-timeout=-1"],
      '--send-timeout must be a number of seconds above 0 and at most 86400, got "-1"',
    ],
    [["--max-connections"], "Option --max-connections needs a value"],
  ];
  const results = await Promise.all(
    cases.map(([flags]) => runScript("tcp.ts", ["serve", ".", ...flags], { limitMs: 30_000 })),
  );
  for (const [i, [, message]] of cases.entries()) {
    assert.deepEqual(results[i], {
      code: 2,
      stdout: "",
      stderr: `error: ${message}\nRun with --help for usage.\n`,
    });
  }
  const help = await runScript("tcp.ts", ["serve", "--help"], { limitMs: 30_000 });
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--max-connections N",
      "--max-per-client N",
      "--request-timeout S",
      "--send-timeout S",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
