// The TCP file service over loopback: concurrency, sizes, refusals, dropped and idle clients,
// restart on the same port, and raw mode against classic-style peers written here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveTcpFiles, type TcpFileServer } from "../lib/tcp/server.ts";
import type { TcpRequestRecord } from "../lib/tcp/request_log.ts";
import { tcpGet } from "../lib/tcp/client.ts";
import { formatTcpUrl } from "../lib/tcp/url.ts";
import { TcpConnectionError, TcpFileError } from "../lib/tcp/errors.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { content, delay, exists, partFiles, waitUntil, within } from "./_fixture.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** A temporary served root with some files, removed on dispose. */
async function fixture(): Promise<{ root: string; out: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "tcp_root_" });
  const out = await Deno.makeTempDir({ prefix: "tcp_out_" });
  await Deno.writeFile(join(root, "empty.bin"), new Uint8Array());
  await Deno.writeFile(join(root, "big.bin"), content(5 * 1024 * 1024 + 3, 7));
  await Deno.mkdir(join(root, "dir"));
  for (let i = 0; i < 20; i++) {
    await Deno.writeFile(join(root, "dir", `f${i}.bin`), content(i * 7919 + 1, i));
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

/** The URL of `name` on `server` (or on a port). */
function at(server: TcpFileServer | number, name: string): string {
  const port = typeof server === "number" ? server : server.addr.port;
  return formatTcpUrl({ hostname: "127.0.0.1", port, name });
}

/** Reads a connection to its end (bounded by the caller). */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let offset = 0;
  for (const c of chunks) all.set(c, (offset += c.length) - c.length);
  return all;
}

Deno.test("200 concurrent clients each get their file intact", async () => {
  await using fx = await fixture();
  // All 200 come from 127.0.0.1: lift the per-address cap (32 by default).
  await using server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    maxConnectionsPerClient: 200,
  });
  const picks = Array.from({ length: 200 }, (_, i) => (i * 7) % 20);
  await within(
    Promise.all(picks.map(async (f, i) => {
      const target = join(fx.out, `c${i}.bin`);
      const { bytes: n } = await tcpGet(at(server, `dir/f${f}.bin`), target);
      assert.equal(n, f * 7919 + 1);
      assert.equal(await sha256Hex(await Deno.readFile(target)), await sha256Hex(content(n, f)));
    })),
    30_000,
    "200 clients",
  );
  assert.deepEqual(await partFiles(fx.out), []);
});

Deno.test("a multi-MB file, an empty file, a missing file and a path escape", async () => {
  await using fx = await fixture();
  await using server = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1" });
  const big = join(fx.out, "big.bin");
  assert.deepEqual(await tcpGet(at(server, "big.bin"), big), { bytes: 5 * 1024 * 1024 + 3 });
  assert.deepEqual(await Deno.readFile(big), content(5 * 1024 * 1024 + 3, 7));

  const empty = join(fx.out, "empty.bin");
  assert.deepEqual(await tcpGet(at(server, "empty.bin"), empty), { bytes: 0 });
  assert.equal((await Deno.stat(empty)).size, 0);

  const missing = join(fx.out, "missing.bin");
  await assert.rejects(tcpGet(at(server, "nope.bin"), missing), (err) => {
    assert.ok(err instanceof TcpFileError);
    assert.equal(err.status, "NOT_FOUND");
    assert.equal(err.message, "File not found (NOT_FOUND)");
    return true;
  });
  assert.equal(await exists(missing), false);

  await assert.rejects(tcpGet(at(server, "../../etc/passwd"), missing), (err) => {
    assert.ok(err instanceof TcpFileError && err.status === "DENIED");
    return true;
  });
  await assert.rejects(tcpGet(at(server, "dir"), missing), { name: "TcpFileError" });
  assert.equal(await exists(missing), false);
  assert.deepEqual(await partFiles(fx.out), []);

  // Exact bytes on the wire.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await conn.write(bytes("GET empty.bin\n"));
  assert.equal(text(await within(readAll(conn), 5000, "OK 0")), "OK 0\n");
  conn.close();
  const bad = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await bad.write(bytes("PUT x\n"));
  assert.equal(
    text(await within(readAll(bad), 5000, "bad request")),
    'ERROR Bad request: Request must start with "GET ", got "PUT x"\n',
  );
  bad.close();
});

Deno.test("a slow reader does not block others; a dropped client leaves the server serving", async () => {
  await using fx = await fixture();
  const records: TcpRequestRecord[] = [];
  await using server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    onRequest: (record) => records.push(record),
  });
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await slow.write(bytes("GET big.bin\n"));
  const quitter = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await quitter.write(bytes("GET big.bin\n"));
  await quitter.read(new Uint8Array(1000));
  quitter.close(); // mid-file
  await waitUntil(() => server.activeConnections === 1, 5000, "the quitter's task to end");
  for (let i = 0; i < 5; i++) {
    const target = join(fx.out, `o${i}.bin`);
    await within(tcpGet(at(server, "big.bin"), target), 10_000, "a fetch beside a slow reader");
    assert.equal((await Deno.stat(target)).size, 5 * 1024 * 1024 + 3);
  }
  assert.equal(server.activeConnections, 1);
  // Shutdown does not wait for the slow reader: its pending write is cut off.
  await within(server.shutdown(), 5000, "shutdown with a slow reader connected");
  assert.equal(server.activeConnections, 0);
  slow.close();
  const summary = records.map(({ status, complete, message }) => [status, complete, message]);
  assert.deepEqual(summary, [
    ["OK", false, "Connection closed by the client"],
    ...Array(5).fill(["OK", true, undefined]),
    ["OK", false, "Server shut down"],
  ]);
});

Deno.test("the client reports a connection dropped mid-file and leaves no file", async () => {
  await using fx = await fixture();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peer = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(100));
    await conn.write(bytes("OK 10\nabc"));
    conn.close();
  })();
  const target = join(fx.out, "dropped.bin");
  await assert.rejects(tcpGet(at(listener.addr.port, "x"), target), (err) => {
    assert.ok(err instanceof TcpConnectionError);
    assert.equal(err.message, "Connection dropped after 3 of 10 bytes");
    return true;
  });
  await peer;
  listener.close();
  assert.equal(await exists(target), false);
  assert.deepEqual(await partFiles(fx.out), []);
});

Deno.test("an idle connection is closed after idleTimeoutMs", async () => {
  await using fx = await fixture();
  await using server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    idleTimeoutMs: 200,
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await conn.write(bytes("GET emp")); // never finished
  const started = performance.now();
  assert.equal((await within(readAll(conn), 5000, "the idle close")).length, 0);
  assert.ok(performance.now() - started >= 150);
  conn.close();
  await waitUntil(() => server.activeConnections === 0, 5000, "the idle task to end");
});

Deno.test("restarting on the same port right after shutdown works", async () => {
  await using fx = await fixture();
  const first = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1" });
  const port = first.addr.port;
  await tcpGet(at(first, "dir/f1.bin"), join(fx.out, "a.bin"));
  const open = await Deno.connect({ hostname: "127.0.0.1", port }); // still connected
  await waitUntil(() => first.activeConnections === 1, 5000, "the open connection");
  await within(first.shutdown(), 5000, "shutdown");
  open.close();
  await using second = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1", port });
  assert.equal(second.addr.port, port);
  const { bytes: n } = await tcpGet(at(second, "dir/f2.bin"), join(fx.out, "b.bin"));
  assert.equal(n, 2 * 7919 + 1);
});

Deno.test("raw server against a classic client: bare name in, bytes out, nothing for a miss", async () => {
  await using fx = await fixture();
  await using server = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1", raw: true });
  const classicGet = async (name: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      await conn.write(bytes(name)); // no newline, then wait for the bytes
      return await within(readAll(conn), 10_000, `raw ${name}`);
    } finally {
      conn.close();
    }
  };
  assert.deepEqual(await classicGet("dir/f3.bin"), content(3 * 7919 + 1, 3));
  assert.deepEqual(await classicGet("dir/f4.bin\r\n"), content(4 * 7919 + 1, 4));
  assert.equal((await classicGet("big.bin")).length, 5 * 1024 * 1024 + 3);
  assert.equal((await classicGet("nope.bin")).length, 0);
  assert.equal((await classicGet("../x")).length, 0);

  const target = join(fx.out, "raw.bin");
  assert.deepEqual(await tcpGet(at(server, "dir/f5.bin"), target, { raw: true }), {
    bytes: 5 * 7919 + 1,
  });
  await assert.rejects(tcpGet(at(server, "nope.bin"), join(fx.out, "m.bin"), { raw: true }), {
    name: "TcpConnectionError",
    message: "Server sent nothing (file missing?)",
  });
  assert.equal(await exists(join(fx.out, "m.bin")), false);
});

Deno.test("raw client against a classic server", async () => {
  await using fx = await fixture();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const payload = content(300_000, 11);
  const names: string[] = [];
  const classic = (async () => {
    for (let i = 0; i < 2; i++) {
      const conn = await listener.accept();
      const buffer = new Uint8Array(1024);
      const n = (await conn.read(buffer)) ?? 0;
      const name = text(buffer.subarray(0, n));
      names.push(name);
      if (name === "good.bin") {
        for (let off = 0; off < payload.length;) off += await conn.write(payload.subarray(off));
      }
      conn.close();
    }
  })();
  const port = listener.addr.port;
  const good = join(fx.out, "good.bin");
  assert.deepEqual(await tcpGet(at(port, "good.bin"), good, { raw: true, timeoutMs: 5000 }), {
    bytes: payload.length,
  });
  assert.deepEqual(await Deno.readFile(good), payload);
  const bad = join(fx.out, "bad.bin");
  await assert.rejects(tcpGet(at(port, "bad.bin"), bad, { raw: true, timeoutMs: 5000 }), {
    message: "Server sent nothing (file missing?)",
  });
  await within(classic, 5000, "the classic server");
  listener.close();
  assert.deepEqual(names, ["good.bin", "bad.bin"]);
  assert.equal(await exists(bad), false);
  await delay(0);
});

Deno.test("the client times out when the server never answers", async () => {
  await using fx = await fixture();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const silent = listener.accept();
  const target = join(fx.out, "t.bin");
  await assert.rejects(
    tcpGet(at(listener.addr.port, "x"), target, { timeoutMs: 200 }),
    { name: "TcpConnectionError", message: "No data from the server for 200 ms" },
  );
  (await silent).close();
  listener.close();
  assert.equal(await exists(target), false);
});

Deno.test("onRequest reports every connection once, with status, bytes and message", async () => {
  await using fx = await fixture();
  const records: TcpRequestRecord[] = [];
  await using server = serveTcpFiles({
    root: fx.root,
    hostname: "127.0.0.1",
    idleTimeoutMs: 300,
    onRequest: (record) => records.push(record),
  });
  const next = async (what: string): Promise<TcpRequestRecord> => {
    await waitUntil(() => records.length > 0, 5000, what);
    const record = records.shift()!;
    assert.equal(record.peer.hostname, "127.0.0.1");
    assert.ok(record.durationMs >= 0 && record.durationMs < 5000, `${record.durationMs}`);
    const { peer: _peer, durationMs: _ms, ...rest } = record;
    return rest as TcpRequestRecord;
  };
  const size = 5 * 1024 * 1024 + 3;

  await tcpGet(at(server, "big.bin"), join(fx.out, "big.bin"));
  assert.deepEqual(await next("OK"), {
    name: "big.bin",
    status: "OK",
    bytes: size,
    size,
    complete: true,
  });
  await assert.rejects(tcpGet(at(server, "nope.bin"), join(fx.out, "n")));
  assert.deepEqual(await next("NOT_FOUND"), {
    name: "nope.bin",
    status: "NOT_FOUND",
    bytes: 0,
    complete: false,
    message: "File not found",
  });
  await assert.rejects(tcpGet(at(server, "../x"), join(fx.out, "n")));
  assert.equal((await next("DENIED")).status, "DENIED");

  const raw = async (send: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      if (send) await conn.write(bytes(send));
      await conn.closeWrite();
      return text(await within(readAll(conn), 5000, JSON.stringify(send)));
    } finally {
      conn.close();
    }
  };
  assert.equal(
    await raw("PUT x\n"),
    'ERROR Bad request: Request must start with "GET ", got "PUT x"\n',
  );
  assert.deepEqual(await next("BAD_REQUEST"), {
    status: "BAD_REQUEST",
    bytes: 0,
    complete: false,
    message: 'Request must start with "GET ", got "PUT x"',
  });
  assert.equal(await raw(""), "");
  assert.deepEqual(await next("NO_REQUEST"), {
    status: "NO_REQUEST",
    bytes: 0,
    complete: false,
    message: "Connection closed before a request",
  });

  // Idle before a whole request.
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await idle.write(bytes("GET bi"));
  assert.equal((await within(readAll(idle), 5000, "idle close")).length, 0);
  idle.close();
  assert.deepEqual(await next("idle NO_REQUEST"), {
    status: "NO_REQUEST",
    bytes: 0,
    complete: false,
    message: "No progress for 300 ms",
  });

  // A client that takes part of the file and stops reading: incomplete after the idle time.
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await stalled.write(bytes("GET big.bin\n"));
  const first = new Uint8Array(1000);
  assert.ok((await stalled.read(first)) !== null);
  const partial = await next("incomplete OK");
  stalled.close();
  assert.equal(partial.status, "OK");
  assert.equal(partial.complete, false);
  assert.equal(partial.size, size);
  assert.ok(partial.bytes > 0 && partial.bytes < size, `${partial.bytes}`);
  assert.equal(partial.message, "No progress for 300 ms");
  assert.equal(records.length, 0);
});

Deno.test("a throwing or rejecting onRequest hook does not break the server", async () => {
  await using fx = await fixture();
  let calls = 0;
  for (
    const hook of [
      () => {
        calls++;
        throw new Error("hook broke");
      },
      // deno-lint-ignore require-await
      async () => {
        calls++;
        throw new Error("async hook broke");
      },
    ]
  ) {
    await using server = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1", onRequest: hook });
    for (let i = 0; i < 3; i++) {
      const { bytes: n } = await tcpGet(at(server, "dir/f2.bin"), join(fx.out, `h${i}.bin`));
      assert.equal(n, 2 * 7919 + 1);
    }
    await assert.rejects(tcpGet(at(server, "nope"), join(fx.out, "n")), { name: "TcpFileError" });
    await waitUntil(() => server.activeConnections === 0, 5000, "the tasks to end");
  }
  assert.equal(calls, 8);
  await delay(10); // a rejection would surface as an unhandled error by now
});
