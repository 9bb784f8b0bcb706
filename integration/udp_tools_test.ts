// The UDP tools (lib/udp_tools, scripts/udp.ts) on real sockets: the echo server byte for
// byte on 127.0.0.1 and ::1, chat and send from the library, and the command line as users
// run it (echo, send, listen, chat both ways in gbk, gb18030, ipmsg), with raw Deno sockets
// here checking the exact bytes on the wire.
// Run with: deno test --allow-all integration/udp_tools_test.ts
//
// Loopback only, port 0 everywhere. Every process has a time limit and is killed by its PID on
// dispose; every socket is closed; every wait is bounded.
import assert from "node:assert/strict";
import { sendBroadcast } from "../lib/udp_tools/broadcast.ts";
import { openUdpChat, UdpNoPeerError } from "../lib/udp_tools/chat.ts";
import { serveUdpEcho, type UdpEchoDatagram } from "../lib/udp_tools/echo.ts";
import { decodeIpmsg, encodeIpmsg } from "../lib/udp_tools/ipmsg.ts";
import { canBindIpv6, content, RawPeer, within } from "./_fixture.ts";
import { runScript, ScriptProcess, type ScriptResult } from "./_script_process.ts";

const LIMIT_MS = 30_000;
const WAIT_MS = 10_000;
const IPV6 = canBindIpv6();
const ascii = (text: string) => new TextEncoder().encode(text);
const NIHAO_GBK = [0xc4, 0xe3, 0xba, 0xc3]; // "你好"
const ZHONGWEN_GBK = [0xd6, 0xd0, 0xce, 0xc4]; // "中文"

/** The next datagram `peer` gets (a copy) and its sender; fails after WAIT_MS. */
async function received(peer: RawPeer, what: string): Promise<[Uint8Array, Deno.NetAddr]> {
  const got = await peer.receiveBytes(WAIT_MS);
  if (!got) throw new Error(`No datagram within ${WAIT_MS} ms: ${what}`);
  return [got.bytes, got.from];
}

/** `udp.ts <args>` with stdin piped. */
function udp(args: string[]): ScriptProcess {
  return new ScriptProcess("udp.ts", args, { stdin: "piped", limitMs: LIMIT_MS, waitMs: WAIT_MS });
}

/** Runs `udp.ts <args>` to its end (stdin empty) and returns what it did. */
function run(args: string[]): Promise<ScriptResult> {
  return runScript("udp.ts", args, { limitMs: LIMIT_MS });
}

async function echoRoundTrip(hostname: string, sizes: number[]): Promise<void> {
  const seen: UdpEchoDatagram[] = [];
  await using server = serveUdpEcho({ hostname, port: 0, onDatagram: (d) => seen.push(d) });
  assert.equal(server.addr.hostname, hostname);
  assert.notEqual(server.addr.port, 0);
  await using peer = new RawPeer(hostname);
  for (const size of sizes) {
    const bytes = content(size, 0xec40 + size);
    await peer.send(bytes, server.addr);
    const [back, from] = await received(peer, `echo of ${size} bytes`);
    assert.deepEqual(back, bytes, `${size} bytes over ${hostname}`);
    assert.deepEqual([from.hostname, from.port], [hostname, server.addr.port]);
  }
  assert.deepEqual(
    seen.map((d) => [d.from.hostname, d.from.port, d.bytes, d.error]),
    sizes.map((size) => [hostname, peer.addr.port, size, undefined]),
  );
}

Deno.test("udp echo: byte-exact for 0, 1, 1400, 65507 and random sizes on 127.0.0.1", async () => {
  await echoRoundTrip("127.0.0.1", [0, 1, 1400, 65507, 3, 512, 9000, 65000]);
});

Deno.test({
  name: "udp echo: byte-exact on ::1, up to 65527 bytes (the IPv6 maximum)",
  ignore: !IPV6,
  fn: () => echoRoundTrip("::1", [0, 1, 1400, 65507, 65527]),
});

Deno.test("udp echo: keeps serving after its sender is gone; signal and shutdown stop it", async () => {
  const controller = new AbortController();
  const server = serveUdpEcho({ hostname: "127.0.0.1", signal: controller.signal });
  try {
    {
      await using gone = new RawPeer();
      await gone.send(ascii("bye"), server.addr);
    } // closed before the echo comes back: the echo goes to a closed port
    await using peer = new RawPeer();
    for (let i = 0; i < 3; i++) {
      await peer.send(ascii(`n${i}`), server.addr);
      assert.deepEqual((await received(peer, `echo ${i}`))[0], ascii(`n${i}`));
    }
    controller.abort();
    await within(server.finished, WAIT_MS, "the server to stop on abort");
    await peer.send(ascii("late"), server.addr);
    assert.equal(await peer.receiveBytes(200), undefined, "no echo after abort");
  } finally {
    await server.shutdown();
    await server.shutdown(); // harmless twice
  }
});

Deno.test("udp chat library: gbk both ways, answers the last sender, no peer yet", async () => {
  await using listener = await openUdpChat({ hostname: "127.0.0.1", encoding: "gbk" });
  assert.equal(listener.peer, undefined);
  await assert.rejects(listener.send("x"), (error: Error) => {
    assert.ok(error instanceof UdpNoPeerError);
    assert.equal(error.name, "UdpNoPeerError");
    assert.equal(
      error.message,
      "Nobody to send to yet: no peer was given and no message has arrived",
    );
    return true;
  });
  await using peer = new RawPeer();
  const messages = listener.messages();
  assert.throws(() => listener.messages(), {
    name: "TypeError",
    message: "messages() is already being iterated",
  });
  await peer.send(new Uint8Array([...NIHAO_GBK, 0x3a, 0xff]), listener.addr);
  const first = await within(messages.next(), WAIT_MS, "first message");
  assert.equal(first.done, false);
  assert.equal(first.value!.text, "你好:\uFFFD");
  assert.deepEqual({ ...listener.peer! }, {
    transport: "udp",
    hostname: "127.0.0.1",
    port: peer.addr.port,
  });
  await listener.send("中文");
  assert.deepEqual((await received(peer, "the answer"))[0], new Uint8Array(ZHONGWEN_GBK));

  // A talker with a fixed peer; sending and receiving at the same time.
  await using talker = await openUdpChat({ peer: listener.addr, encoding: "gbk" });
  assert.equal(talker.addr.hostname, "127.0.0.1"); // bound on loopback for a loopback peer
  const talkerMessages = talker.messages();
  const [, second] = await Promise.all([
    talker.send("你好"),
    within(messages.next(), WAIT_MS, "second message"),
  ]);
  assert.equal(second.value!.text, "你好");
  assert.equal(second.value!.from.port, talker.addr.port);
  const [, back] = await Promise.all([
    listener.send("中文"),
    within(talkerMessages.next(), WAIT_MS, "the talker's message"),
  ]);
  assert.equal(back.value!.text, "中文");
  listener.close();
  assert.equal((await within(messages.next(), WAIT_MS, "end")).done, true);
  talker.close();
  assert.equal((await within(talkerMessages.next(), WAIT_MS, "end")).done, true);
});

Deno.test("udp send library: replies until maxReplies or waitMs; abort rejects", async () => {
  await using peer = new RawPeer();
  const started = performance.now();
  const none = await sendBroadcast(peer.addr, ascii("ping"), { waitMs: 100 });
  assert.deepEqual(none, []);
  assert.ok(performance.now() - started >= 90, "waited about waitMs");
  const [ping, from] = await received(peer, "the ping");
  assert.deepEqual(ping, ascii("ping"));

  const answering = (async () => {
    const [, sender] = await received(peer, "the second ping");
    for (const text of ["a", "b", "c"]) await peer.send(ascii(text), sender);
  })();
  const seen: string[] = [];
  const replies = await sendBroadcast(peer.addr, ascii("ping"), {
    waitMs: WAIT_MS,
    maxReplies: 2,
    onReply: ({ bytes }) => seen.push(new TextDecoder().decode(bytes)),
  });
  await answering;
  assert.deepEqual(replies.map((r) => new TextDecoder().decode(r.bytes)), ["a", "b"]);
  assert.deepEqual(seen, ["a", "b"]);
  assert.equal(replies[0].from.port, peer.addr.port);
  assert.notEqual(from.port, 0);

  const controller = new AbortController();
  const reason = new Error("stop now");
  const pending = sendBroadcast(peer.addr, ascii("x"), {
    waitMs: WAIT_MS,
    signal: controller.signal,
  });
  await received(peer, "the third ping");
  controller.abort(reason);
  await assert.rejects(within(pending, WAIT_MS, "abort"), (error) => error === reason);
  await assert.rejects(sendBroadcast(peer.addr, ascii("x"), { waitMs: -1 }), {
    name: "RangeError",
    message: "waitMs must be a finite number of at least 0, got -1",
  });
});

Deno.test("udp CLI: echo server, send round trip, no replies, usage error, SIGTERM", async () => {
  await using echo = udp(["echo", "--host", "127.0.0.1", "--port", "0"]);
  const port = await echo.listening();
  const sent = await run(["send", `127.0.0.1:${port}`, "hello 你好", "--count", "1"]);
  assert.deepEqual(sent, { code: 0, stdout: `127.0.0.1:${port}: hello 你好\n`, stderr: "" });
  await echo.waitFor(/^127\.0\.0\.1:[0-9]+ echoed 12 B\n$/, "err");

  // Nobody answers: exit 0, "no replies" on stderr.
  await using silent = new RawPeer();
  const unanswered = await run(["send", `127.0.0.1:${silent.addr.port}`, "x", "--wait", "0.2"]);
  assert.deepEqual(unanswered, { code: 0, stdout: "", stderr: "no replies\n" });
  assert.deepEqual((await received(silent, "the unanswered datagram"))[0], ascii("x"));

  const bad = await run(["send", `127.0.0.1:${port}`, "x", "--encoding", "latin1"]);
  assert.deepEqual(bad, {
    code: 2,
    stdout: "",
    stderr: 'error: --encoding must be one of utf-8, gbk, gb18030, got "latin1"\n' +
      "Run with --help for usage.\n",
  });
  const unencodable = await run(["send", `127.0.0.1:${port}`, "😀", "--encoding", "gbk"]);
  assert.equal(unencodable.code, 2);
  assert.equal(
    unencodable.stderr.split("\n")[0],
    'error: <text> cannot be sent: Character "😀" (U+1F600) cannot be written in gbk',
  );

  assert.equal(await echo.exit("SIGTERM"), 0);
  assert.equal(echo.out, `listening on 127.0.0.1:${port}\n`);
});

Deno.test({
  name: "udp CLI: send over IPv6 to an echo server on ::1",
  ignore: !IPV6,
  fn: async () => {
    await using server = serveUdpEcho({ hostname: "::1" });
    const sent = await run(["send", `[::1]:${server.addr.port}`, "six", "--count", "1"]);
    assert.deepEqual(sent, { code: 0, stdout: `[::1]:${server.addr.port}: six\n`, stderr: "" });
  },
});

Deno.test("udp CLI: listen prints each datagram, control characters visible, replies, --count", async () => {
  await using listen = udp([
    "listen",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--encoding",
    "gbk",
    "--reply",
    "中文",
    "--count",
    "2",
  ]);
  const port = await listen.listening();
  await using peer = new RawPeer();
  const to = { hostname: "127.0.0.1", port };
  await peer.send(new Uint8Array([...NIHAO_GBK, 0x0a, 0x1b, 0x5b, 0x09]), to);
  assert.deepEqual((await received(peer, "the reply"))[0], new Uint8Array(ZHONGWEN_GBK));
  await peer.send(new Uint8Array(0), to);
  assert.deepEqual((await received(peer, "the second reply"))[0], new Uint8Array(ZHONGWEN_GBK));
  assert.equal(await listen.exit(), 0);
  const from = `127.0.0.1:${peer.addr.port}`;
  assert.equal(
    listen.out,
    `listening on 127.0.0.1:${port}\n${from}: 你好\\x0a\\x1b[\t\n${from}: \n`,
  );
  assert.equal(listen.err, "");
});

Deno.test("udp CLI: two chat processes exchange gbk text both ways at once", async () => {
  await using listener = udp([
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
  await using talker = udp(["chat", `127.0.0.1:${port}`, "--encoding", "gbk"]);
  const local = await talker.waitFor(
    new RegExp(`^chatting with 127\\.0\\.0\\.1:${port} from 127\\.0\\.0\\.1:([0-9]+)\\n`),
    "err",
  );
  const talkerAddr = `127.0.0.1:${local[1]}`;
  await talker.write("你好: first\n");
  await listener.waitFor(new RegExp(`^${talkerAddr}: 你好: first\\n`, "m"));

  // Both ways at the same time.
  await Promise.all([
    ...[1, 2, 3].map((i) => talker.write(`t${i} 中文\n`)),
    ...[1, 2, 3].map((i) => listener.write(`l${i} 你好\r\n`)),
  ]);
  await listener.waitFor(/t3 中文\n/);
  await talker.waitFor(/l3 你好\n/);
  await talker.closeStdin();
  assert.equal(await talker.exit(), 0);
  await listener.closeStdin();
  assert.equal(await listener.exit(), 0);
  assert.equal(
    listener.out,
    `listening on 127.0.0.1:${port}\n` +
      [": 你好: first", ": t1 中文", ": t2 中文", ": t3 中文"].map((l) => `${talkerAddr}${l}\n`)
        .join(""),
  );
  assert.equal(
    talker.out,
    ["l1 你好", "l2 你好", "l3 你好"].map((l) => `127.0.0.1:${port}: ${l}\n`).join(""),
  );
  assert.equal(listener.err, "");
});

Deno.test("udp CLI: chat puts gbk and gb18030 bytes on the wire, reads them back", async () => {
  await using peer = new RawPeer();
  const peerAddr = `127.0.0.1:${peer.addr.port}`;
  for (
    const [encoding, text, bytes, back, backText] of [
      ["gbk", "你好", NIHAO_GBK, ZHONGWEN_GBK, "中文"],
      ["gb18030", "😀", [0x94, 0x39, 0xfc, 0x36], [0x95, 0x32, 0x82, 0x36], "𠀀"],
    ] as const
  ) {
    await using chat = udp(["chat", peerAddr, "--encoding", encoding]);
    await chat.write(`${text}\n`);
    const [got, from] = await received(peer, `${encoding} line`);
    assert.deepEqual(got, new Uint8Array(bytes), encoding);
    await peer.send(new Uint8Array(back), from);
    await chat.waitFor(new RegExp(`^${peerAddr}: ${backText}\\n`));
    await chat.closeStdin();
    assert.equal(await chat.exit(), 0);
    assert.equal(chat.out, `${peerAddr}: ${backText}\n`);
  }

  // gbk cannot write 😀: the line is reported and not sent; the chat goes on.
  await using chat = udp(["chat", peerAddr, "--encoding", "gbk"]);
  await chat.write("😀\nok\n");
  assert.deepEqual((await received(peer, "the line after"))[0], ascii("ok"));
  await chat.closeStdin();
  assert.equal(await chat.exit(), 0);
  assert.match(
    chat.err,
    /^chatting with .*\nwarning: line not sent: Character "😀" \(U\+1F600\) cannot be written in gbk\n$/,
  );
});

Deno.test("udp CLI: chat --listen warns early; SIGINT/SIGTERM end clients with 130/143; busy port", async () => {
  await using listener = udp(["chat", "--listen", "--host", "127.0.0.1", "--port", "0"]);
  await listener.listening();
  await listener.write("too early\n");
  await listener.waitFor(
    /^warning: line not sent: Nobody to send to yet: no peer was given and no message has arrived\n/,
    "err",
  );
  assert.equal(await listener.exit("SIGTERM"), 0);

  await using peer = new RawPeer();
  await using talker = udp(["chat", `127.0.0.1:${peer.addr.port}`]);
  await talker.waitFor(/^chatting with /, "err");
  assert.equal(await talker.exit("SIGINT"), 130);
  assert.equal(talker.out, "");

  // send waiting for replies: SIGTERM interrupts it (143).
  await using sender = udp(["send", `127.0.0.1:${peer.addr.port}`, "hi", "--wait", "20"]);
  assert.deepEqual((await received(peer, "the datagram of send"))[0], ascii("hi"));
  assert.equal(await sender.exit("SIGTERM"), 143);
  assert.deepEqual([sender.out, sender.err], ["", "error: Interrupted by SIGTERM\n"]);

  // A port in use: exit 1, one line.
  const busy = await run(["listen", "--host", "127.0.0.1", "--port", String(peer.addr.port)]);
  assert.deepEqual(busy, {
    code: 1,
    stdout: "",
    stderr:
      `error: Cannot listen on 127.0.0.1:${peer.addr.port}: Address already in use (os error 98)\n`,
  });
});

Deno.test("udp CLI: ipmsg sends one gbk IPMSG_SENDMSG, parsed back exactly", async () => {
  await using peer = new RawPeer();
  const before = Date.now() % 2 ** 32; // milliseconds within 32 bits
  const sent = await run([
    "ipmsg",
    "127.0.0.1",
    "你好: 10:30",
    "--port",
    String(peer.addr.port),
    "--user",
    "alice",
    "--from-host",
    "pc1",
  ]);
  const after = Date.now() % 2 ** 32;
  assert.deepEqual(sent, { code: 0, stdout: "", stderr: "" });
  const [bytes] = await received(peer, "the IPMSG packet");
  const message = decodeIpmsg(bytes);
  const inRange = before <= after
    ? message.packetNo >= before && message.packetNo <= after
    : message.packetNo >= before || message.packetNo <= after; // wrapped at 2^32
  assert.ok(inRange, `${message.packetNo} not in ${before}..${after}`);
  assert.deepEqual(message, {
    version: "1",
    packetNo: message.packetNo,
    user: "alice",
    host: "pc1",
    command: 32,
    text: "你好: 10:30",
  });
  assert.deepEqual(
    bytes,
    new Uint8Array([
      ...ascii(`1:${message.packetNo}:alice:pc1:32:`),
      ...NIHAO_GBK,
      ...ascii(": 10:30"),
    ]),
  );
  assert.deepEqual(bytes, encodeIpmsg(message));

  const bad = await run(["ipmsg", "127.0.0.1", "x", "--user", "a:b"]);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'error: --user must not contain ":" or NUL, got "a:b"\nRun with --help for usage.\n',
  );
});
