// The impair command line (scripts/impair.ts) as users run it: a child process in front of
// our server on loopback, our client through it.
// Run with: deno test --allow-all integration/impair_cli_test.ts
//
// Every process has a time limit and is killed by its PID in `finally`; every wait has a
// deadline.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tftpGet } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { content, openFixture, within } from "./_fixture.ts";
import { ScriptProcess } from "./_script_process.ts";

const PROCESS_LIMIT_MS = 60_000;
const WAIT_MS = 10_000;
/** Recovers quickly from the proxy's losses, and keeps trying through bursts of them. */
const TIMING = { initialRtoMs: 100, minRtoMs: 20, retries: 20 } as const;

/** An `impair.ts` child. */
function impairProcess(args: string[]): ScriptProcess {
  return new ScriptProcess("impair.ts", args, { limitMs: PROCESS_LIMIT_MS, waitMs: WAIT_MS });
}

/** The UDP payloads of a pcap file of IPv4 packets (link type raw), checking its layout. */
function pcapPayloads(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(view.getUint32(0, true), 0xa1b2c3d4, "pcap magic");
  assert.equal(view.getUint32(20, true), 101, "link type raw");
  const payloads: Uint8Array[] = [];
  for (let at = 24; at < file.length;) {
    const length = view.getUint32(at + 8, true);
    const packet = file.subarray(at + 16, at + 16 + length);
    assert.equal(packet.length, length, `record at ${at} is complete`);
    assert.equal(packet[0] >> 4, 4, "IPv4");
    payloads.push(packet.subarray(20 + 8));
    at += 16 + length;
  }
  return payloads;
}

Deno.test("impair CLI: a 300 KB get through seeded loss, duplication and reordering", async () => {
  await using fx = await openFixture();
  const bytes = content(300_000, 0x1badb002);
  await Deno.writeFile(join(fx.root, "big.bin"), bytes);
  const pcap = join(fx.base, "through.pcap");
  const target = `127.0.0.1:${fx.server.addr.port}`;
  await using proxy = impairProcess([
    ...["--target", target, "--seed", "7", "--loss", "0.1", "--dup", "0.05"],
    ...["--reorder", "0.05", "--drop-first", "--json", "--pcap", pcap],
  ]);
  const port = await proxy.listening();
  const output = join(fx.local, "big.bin");
  const result = await within(
    tftpGet(fx.url("big.bin", port), output, TIMING),
    40_000,
    "get through the proxy",
  );
  assert.equal(result.stats.bytes, bytes.length);
  assert.equal(await sha256Hex(await Deno.readFile(output)), await sha256Hex(bytes));
  assert.ok(result.stats.retransmits > 0, "the client had to send something again");

  assert.equal(await proxy.exit("SIGTERM"), 0, proxy.err);
  assert.equal(proxy.err, "");
  const lines = proxy.out.trimEnd().split("\n");
  assert.equal(lines.length, 2, proxy.out);
  const report = JSON.parse(lines[1]);
  assert.equal(report.seed, 7);
  for (const way of ["up", "down"] as const) {
    const r = report[way];
    assert.equal(
      r.seen,
      r.pass + r.drop + r.duplicate + r.delay + r.reorder,
      `${way}: ${lines[1]}`,
    );
    assert.ok(r.drop > 0, `${way}: datagrams dropped`);
    assert.equal(r.delay, 0, `${way}: no --delay or --jitter, so nothing is held back in order`);
  }
  assert.ok(report.down.duplicate > 0 && report.down.reorder > 0, lines[1]);
  // The first RRQ was dropped, so the client sent at least two; the server got DATA to send.
  assert.ok(report.up.drop >= 2 && report.down.seen > bytes.length / 1468, lines[1]);
  const forwarded = (r: typeof report.up) => r.pass + 2 * r.duplicate + r.reorder;
  assert.equal(report.sent, forwarded(report.up) + forwarded(report.down));
  assert.deepEqual([report.sessions, report.tids, report.foreign, report.errors], [1, 1, 0, 0]);
  // The capture holds every datagram received (dropped ones too) and every one sent.
  const payloads = pcapPayloads(await Deno.readFile(pcap));
  assert.equal(payloads.length, report.up.seen + report.down.seen + report.sent);
  assert.deepEqual([...payloads[0].subarray(0, 2)], [0, 1], "the first datagram is the RRQ");
  const captured = payloads.reduce((n, p) => n + p.length, 0);
  assert.ok(captured > 2 * bytes.length, `${captured} payload bytes captured`);
});

Deno.test("impair CLI: targeted drops are counted per direction in the table", async () => {
  await using fx = await openFixture();
  const bytes = content(10_000, 99);
  await Deno.writeFile(join(fx.root, "small.bin"), bytes);
  await using proxy = impairProcess([
    ...["--target", `127.0.0.1:${fx.server.addr.port}`, "--port", "0"],
    ...["--drop-block", "2", "--drop-block", "3", "--drop-ack", "1"],
  ]);
  const port = await proxy.listening();
  const output = join(fx.local, "small.bin");
  await within(tftpGet(fx.url("small.bin", port), output, TIMING), 20_000, "get");
  assert.equal(await sha256Hex(await Deno.readFile(output)), await sha256Hex(bytes));
  assert.equal(await proxy.exit("SIGINT"), 0, proxy.err);
  const lines = proxy.out.split("\n");
  assert.equal(lines[1], "direction  seen  pass  drop  duplicate  delay  reorder");
  // Up: only ACK 1 dropped; down: DATA 2 and DATA 3 dropped; everything else passes.
  const row = (way: string) => lines.find((l) => l.startsWith(`${way} `))!.trim().split(/ +/);
  const [, upSeen, upPass, ...upRest] = row("up");
  const [, downSeen, downPass, ...downRest] = row("down");
  assert.deepEqual(upRest, ["1", "0", "0", "0"], proxy.out);
  assert.deepEqual(downRest, ["2", "0", "0", "0"], proxy.out);
  assert.equal(Number(upPass), Number(upSeen) - 1);
  assert.equal(Number(downPass), Number(downSeen) - 2);
  assert.match(
    lines[4],
    /^seed 1; sent \d+ datagrams; 1 client, 1 server TID, 0 foreign, 0 errors$/,
  );
});

Deno.test("impair CLI: usage errors exit 2, a busy port exits 1", async () => {
  {
    await using proxy = impairProcess(["--target", "127.0.0.1:69", "--loss", "2"]);
    assert.equal(await proxy.exit(), 2);
    assert.equal(proxy.out, "");
    assert.equal(
      proxy.err,
      'error: --loss must be a number between 0 and 1, got "2"\nRun with --help for usage.\n',
    );
  }
  {
    await using proxy = impairProcess(["--help"]);
    assert.equal(await proxy.exit(), 0);
    assert.ok(proxy.out.startsWith("impair.ts: a fault-injecting UDP proxy"), proxy.out);
  }
  const busy = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const busyPort = (busy.addr as Deno.NetAddr).port;
    await using proxy = impairProcess(["--target", "127.0.0.1:69", "--port", String(busyPort)]);
    assert.equal(await proxy.exit(), 1);
    assert.match(proxy.err, new RegExp(`^error: Cannot listen on 127\\.0\\.0\\.1:${busyPort}: `));
  } finally {
    busy.close();
  }
});
