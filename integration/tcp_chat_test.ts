// `tcp.ts echo` and `tcp.ts chat` as users run them: child processes on loopback, stdin
// piped, gbk on the wire checked byte for byte with Deno.listen / Deno.connect peers here.
// Run with: deno test --allow-all integration/tcp_chat_test.ts
//
// Every process has a time limit and is killed by its PID on dispose; every wait is bounded.
import assert from "node:assert/strict";
import { serveTcpChat } from "../lib/tcp/chat_server.ts";
import { serveTcpEcho, type TcpEchoRecord } from "../lib/tcp/echo.ts";
import { content, delay, waitUntil, within } from "./_fixture.ts";
import { ScriptProcess } from "./_script_process.ts";

const LIMIT_MS = 30_000;
const WAIT_MS = 10_000;
const gbk = (text: string) => new Uint8Array([...text].flatMap((c) => GBK[c] ?? [c.charCodeAt(0)]));
/** The gbk codes used here (from the Encoding Standard's index), checked against TextDecoder. */
const GBK: Record<string, number[]> = {
  "你": [0xc4, 0xe3],
  "好": [0xba, 0xc3],
  "中": [0xd6, 0xd0],
  "文": [0xce, 0xc4],
};
const ascii = (text: string) => new TextEncoder().encode(text);

/** `tcp.ts <args>` with stdin piped. */
function tcp(args: string[]): ScriptProcess {
  return new ScriptProcess("tcp.ts", args, { stdin: "piped", limitMs: LIMIT_MS, waitMs: WAIT_MS });
}

/** Reads until end of stream (bounded by the caller). */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return all;
}

/** Reads exactly `size` bytes (bounded by the caller). */
async function readExactly(conn: Deno.Conn, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  for (let at = 0; at < size;) {
    const n = await conn.read(out.subarray(at));
    if (n === null) throw new Error(`End of stream after ${at} of ${size} bytes`);
    at += n;
  }
  return out;
}

/** Sends `bytes` through an echo server and reads them back at the same time. */
async function roundTrip(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const writing = (async () => {
      for (let at = 0; at < bytes.length; at += 65536) {
        const piece = bytes.subarray(at, at + 65536);
        for (let w = 0; w < piece.length;) w += await conn.write(piece.subarray(w));
      }
      await conn.closeWrite();
    })();
    const [, back] = await Promise.all([writing, readAll(conn)]);
    return back;
  } finally {
    conn.close();
  }
}

Deno.test("tcp.ts echo: 1 MB back byte-exact; a client that never reads blocks nobody", async () => {
  await using echo = tcp(["echo", "--host", "127.0.0.1", "--port", "0"]);
  const port = await echo.listening();
  const bytes = content(1 << 20, 0xec40);
  assert.deepEqual(await within(roundTrip(port, bytes), WAIT_MS, "1 MB echo"), bytes);

  // The hog writes and never reads: once the buffers are full its writes stall.
  const hog = await Deno.connect({ hostname: "127.0.0.1", port });
  let hogWritten = 0;
  const hogging = (async () => {
    const chunk = content(65536, 1);
    for (let i = 0; i < 1024; i++) hogWritten += await hog.write(chunk);
  })().catch(() => {});
  let last = -1;
  await waitUntil(
    () => {
      const stalled = hogWritten === last && hogWritten > 0;
      last = hogWritten;
      return stalled;
    },
    WAIT_MS,
    "the hog's writes to stall",
  );
  assert.ok(hogWritten < 1024 * 65536, `${hogWritten}`);
  for (let i = 0; i < 3; i++) {
    const small = content(100_000, i);
    assert.deepEqual(await within(roundTrip(port, small), 5000, "echo beside the hog"), small);
  }
  hog.close();
  await within(hogging, 5000, "the hog's pending write");

  assert.equal(await echo.exit("SIGTERM"), 0);
  assert.match(echo.out, /^listening on 127\.0\.0\.1:[0-9]+\n$/);
  const lines = echo.err.split("\n");
  assert.match(lines[0], /^127\.0\.0\.1:[0-9]+ echoed 1048576 B in [0-9]+ ms$/);
  assert.equal(lines.filter((l) => / echoed 100000 B in [0-9]+ ms$/.test(l)).length, 3);
  assert.equal(lines.length, 6); // 1 MB, 3 small, the hog, and the final ""
});

Deno.test("serveTcpEcho: idle timeout, the per-connection record, shutdown", async () => {
  const records: TcpEchoRecord[] = [];
  await using server = serveTcpEcho({
    hostname: "127.0.0.1",
    idleTimeoutMs: 200,
    onConnection: (record) => records.push(record),
  });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await idle.write(ascii("hi"));
  assert.deepEqual(await readExactly(idle, 2), ascii("hi"));
  const started = performance.now();
  assert.equal((await within(readAll(idle), 5000, "the idle close")).length, 0);
  assert.ok(performance.now() - started >= 150);
  idle.close();
  await waitUntil(() => records.length === 1, 5000, "the idle record");
  assert.deepEqual({ ...records[0], durationMs: 0 }, {
    peer: records[0].peer,
    bytes: 2,
    durationMs: 0,
    end: "idle",
  });
  const open = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await waitUntil(() => server.activeConnections === 1, 5000, "the open connection");
  await within(server.shutdown(), 5000, "shutdown");
  assert.equal(records.at(-1)?.end, "shutdown");
  assert.equal(server.activeConnections, 0);
  open.close();
});

Deno.test("tcp.ts chat: gbk both ways at once, peers one after another, busy", async () => {
  await using listener = tcp([
    "chat",
    "--listen",
    "--host=127.0.0.1",
    "--port=0",
    "--encoding=gbk",
  ]);
  const port = await listener.listening();
  await using first = tcp(["chat", `127.0.0.1:${port}`, "--encoding", "gbk"]);
  await first.waitFor(/^connected to 127\.0\.0\.1:[0-9]+\n$/, "err");
  await listener.waitFor(/peer 127\.0\.0\.1:[0-9]+ connected\n/, "err");

  // Each side receives while its own stdin is idle, then both type at the same moment.
  await first.write("中文 from the client\n");
  await listener.waitFor(/^listening on .*\n中文 from the client\n$/);
  await listener.write("你好 from the listener\n");
  await first.waitFor(/^你好 from the listener\n$/);
  await Promise.all([listener.write("你好 2\n"), first.write("中文 2\n")]);
  await Promise.all([listener.waitFor(/中文 2\n$/), first.waitFor(/你好 2\n$/)]);

  // The client's stdin ends: it exits 0; the listener waits for the next peer.
  await first.closeStdin();
  assert.equal(await first.exit(), 0);
  assert.equal(first.out, "你好 from the listener\n你好 2\n");
  await listener.waitFor(/peer 127\.0\.0\.1:[0-9]+ left\n$/, "err");

  await using second = tcp(["chat", `127.0.0.1:${port}`, "--encoding=gbk"]);
  await second.waitFor(/^connected to /, "err");
  await listener.waitFor(/connected\n.*left\n.*connected\n$/s, "err");
  await second.write("second peer\n");
  await listener.waitFor(/second peer\n$/);

  // A third arrives during the chat: one busy line, then end of stream.
  const third = await Deno.connect({ hostname: "127.0.0.1", port });
  const busy = await within(readAll(third), WAIT_MS, "the busy answer");
  third.close();
  assert.deepEqual(busy, ascii("Busy: already chatting with someone else, try again later\n"));
  await listener.waitFor(/turned away \(busy\)\n$/, "err");

  // The listener's stdin ends: the chat ends (the client sees the peer leave) and it stops.
  await listener.write("last line\n");
  await listener.closeStdin();
  assert.equal(await second.exit(), 0);
  assert.equal(second.out, "last line\n");
  assert.match(second.err, /^connected to 127\.0\.0\.1:[0-9]+\npeer 127\.0\.0\.1:[0-9]+ left\n$/);
  assert.equal(await listener.exit(), 0);
  assert.equal(
    listener.out.replace(/^listening on 127\.0\.0\.1:[0-9]+\n/, ""),
    "中文 from the client\n中文 2\nsecond peer\n",
  );
  const events = listener.err.replace(/127\.0\.0\.1:[0-9]+/g, "P");
  assert.equal(
    events,
    "peer P connected\npeer P left\npeer P connected\npeer P turned away (busy)\npeer P left\n",
  );
});

Deno.test("tcp.ts chat: the bytes on the wire are gbk, both as client and as listener", async () => {
  for (
    const [text, bytes] of [["你好", [0xc4, 0xe3, 0xba, 0xc3]], ["中文", [
      0xd6,
      0xd0,
      0xce,
      0xc4,
    ]]] as const
  ) {
    assert.deepEqual(gbk(text), new Uint8Array(bytes));
    assert.equal(new TextDecoder("gbk").decode(new Uint8Array(bytes)), text);
  }
  // Client side, against a raw peer here.
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await using client = tcp(["chat", `127.0.0.1:${server.addr.port}`, "--encoding", "gbk"]);
    const conn = await within(server.accept(), WAIT_MS, "the client to connect");
    try {
      await client.write("你好 a\n");
      assert.deepEqual(await within(readExactly(conn, 7), WAIT_MS, "gbk line"), gbk("你好 a\n"));
      await conn.write(new Uint8Array([...gbk("中文\r\n"), ...ascii("\x1b[31mred\tend\n")]));
      await client.waitFor(/^中文\n\\x1b\[31mred\tend\n$/);
      conn.close();
    } catch (error) {
      conn.close();
      throw error;
    }
    // The peer left while stdin is still open: exit 0.
    assert.equal(await client.exit(), 0);
    assert.match(client.err, /peer 127\.0\.0\.1:[0-9]+ left\n$/);
  } finally {
    server.close();
  }

  // Listener side, with a raw client here.
  await using listener = tcp([
    "chat",
    "--listen",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--encoding",
    "gbk",
  ]);
  const port = await listener.listening();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await listener.waitFor(/connected\n$/, "err");
    await conn.write(gbk("中文 b\n"));
    await listener.waitFor(/\n中文 b\n$/);
    await listener.write("你好 c\n");
    assert.deepEqual(await within(readExactly(conn, 7), WAIT_MS, "gbk line"), gbk("你好 c\n"));
    await listener.closeStdin();
    // The listener shuts its half and stops; this peer reads end of stream.
    assert.equal((await within(readAll(conn), WAIT_MS, "end of stream")).length, 0);
  } finally {
    conn.close();
  }
  assert.equal(await listener.exit(), 0);
});

Deno.test("tcp.ts chat: exit codes for EOF, signals, refused and usage", async () => {
  // --listen with stdin already at its end: nothing to say, it stops at once.
  await using quiet = tcp(["chat", "--listen", "--host", "127.0.0.1", "--port", "0"]);
  await quiet.closeStdin();
  assert.equal(await quiet.exit(), 0);
  assert.match(quiet.out, /^listening on 127\.0\.0\.1:[0-9]+\n$/);

  // SIGINT stops a listener with 0; a connected client with 130 (SIGTERM: 143).
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    await using listener = tcp(["chat", "--listen", "--host", "127.0.0.1", "--port", "0"]);
    const port = await listener.listening();
    await using client = tcp(["chat", `127.0.0.1:${port}`]);
    await client.waitFor(/^connected to /, "err");
    assert.equal(await client.exit(signal), code);
    await listener.waitFor(/left\n$/, "err");
    assert.equal(await listener.exit("SIGINT"), 0);
  }

  // Nobody listens.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await using refused = tcp(["chat", `127.0.0.1:${port}`]);
  assert.equal(await refused.exit(), 1);
  assert.equal(refused.err, `error: Connection refused by 127.0.0.1:${port}\n`);

  await using usage = tcp(["chat", "127.0.0.1:1", "--encoding", "big5"]);
  assert.equal(await usage.exit(), 2);
  assert.equal(
    usage.err,
    'error: --encoding must be one of utf-8, gbk, gb18030, got "big5"\nRun with --help for usage.\n',
  );
  await delay(0);
});

Deno.test("serveTcpChat: lines with the peer's address, peer events, abort stops it", async () => {
  let typing!: ReadableStreamDefaultController<string>;
  const input = new ReadableStream<string>({ start: (c) => void (typing = c) });
  const lines: string[] = [];
  const events: string[] = [];
  const controller = new AbortController();
  const server = serveTcpChat({
    input,
    onLine: (line, peer) => lines.push(`${peer.port === local ? "peer" : "?"}: ${line}`),
    onPeer: ({ type, result }) => events.push(`${type} ${JSON.stringify(result ?? null)}`),
    hostname: "127.0.0.1",
    signal: controller.signal,
  });
  let local = 0;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    local = conn.localAddr.port;
    await waitUntil(() => server.peer?.port === local, WAIT_MS, "the chat to start");
    await conn.write(ascii("one\r\ntwo\n"));
    typing.enqueue("typed before or after, it goes to the peer");
    assert.deepEqual(
      await within(readExactly(conn, 43), WAIT_MS, "the typed line"),
      ascii("typed before or after, it goes to the peer\n"),
    );
    await waitUntil(() => lines.length === 2, WAIT_MS, "two lines");
    assert.deepEqual(lines, ["peer: one", "peer: two"]);
    controller.abort();
    await within(server.finished, WAIT_MS, "the server to finish");
    assert.equal((await within(readAll(conn), WAIT_MS, "end of stream")).length, 0);
    assert.deepEqual(events, [
      "connected null",
      'left {"sentLines":1,"receivedLines":2,"endedBy":"peer"}',
    ]);
    assert.equal(server.peer, undefined);
  } finally {
    conn.close();
    typing.close();
    await server.shutdown();
  }
});
