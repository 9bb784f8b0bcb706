// Packet captures (--pcap): the writer's file format, and real transfers captured by the
// server and the client, decoded by Wireshark's dissector (`tshark -r`). The captures must
// show every datagram of the transfer, in order, with the real addresses and ports.
// Run with: deno test --allow-all integration/pcap_test.ts
//
// Needs tshark (Debian package `tshark`) for the decoding tests; without it they are skipped
// and say so.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { concatBytes } from "../lib/bytes.ts";
import { encodePcapHeader, encodePcapRecord } from "../lib/pcap/format.ts";
import { openPcapWriter, type PcapWriter } from "../lib/pcap/writer.ts";
import { serveTftp, tftpGet, tftpPut, type TftpServer } from "../mod.ts";
import type { Peer } from "../lib/tftp/engine/types.ts";
import { canBindIpv6, content, within } from "./_fixture.ts";
import { CHILD_ENV } from "./_fixture.ts";

const TSHARK = "tshark";
/** Timers far beyond a loopback round trip: no retransmit can disturb the sequences. */
const CALM = { initialRtoMs: 3000, minRtoMs: 3000, maxRtoMs: 6000, dallyMs: 100 } as const;
const SIZE = 1300;
const FIELDS = [
  "tftp.opcode",
  "tftp.block",
  "tftp.error.code",
  "udp.srcport",
  "udp.dstport",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "ip.checksum.status",
  "udp.checksum.status",
  "frame.time_epoch",
];

function findTshark(): boolean {
  try {
    const { success } = new Deno.Command(TSHARK, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return success;
  } catch {
    return false;
  }
}

const hasTshark = findTshark();
if (!hasTshark) {
  console.log(
    `pcap_test: ${TSHARK} is not installed (Debian package "tshark"): decoding tests skipped`,
  );
}
const hasIpv6 = canBindIpv6();
if (!hasIpv6) console.log("pcap_test: cannot bind ::1 here: the IPv6 capture test is skipped");

/** One decoded packet. */
interface Row {
  /** `RRQ`, `WRQ`, `DATA 1`, `ACK 0`, `OACK`, `ERROR 1`. */
  packet: string;
  src: string;
  dst: string;
  ipChecksum: string;
  udpChecksum: string;
  timeS: number;
}

const NAMES: Record<string, string> = {
  1: "RRQ",
  2: "WRQ",
  3: "DATA",
  4: "ACK",
  5: "ERROR",
  6: "OACK",
};

/** Decodes `file` with tshark, TFTP on each of `ports`, checksums verified. */
async function decode(file: string, ports: readonly number[]): Promise<Row[]> {
  const args = [
    "-r",
    file,
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    ...[...new Set(ports)].flatMap((port) => ["-d", `udp.port==${port},tftp`]),
    "-T",
    "fields",
    ...FIELDS.flatMap((field) => ["-e", field]),
  ];
  const output = await new Deno.Command(TSHARK, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `tshark ${args.join(" ")}: ${stderr}`);
  const text = new TextDecoder().decode(output.stdout).trimEnd();
  return text === "" ? [] : text.split("\n").map((line) => {
    const [
      opcode,
      block,
      error,
      sport,
      dport,
      ip4src,
      ip4dst,
      ip6src,
      ip6dst,
      ipSum,
      udpSum,
      time,
    ] = line.split("\t");
    const name = NAMES[opcode] ?? `opcode ${JSON.stringify(opcode)}`;
    const number = name === "DATA" || name === "ACK"
      ? ` ${block}`
      : name === "ERROR"
      ? ` ${error}`
      : "";
    const host = (v4: string, v6: string) => v4 || (v6 ? `[${v6}]` : "?");
    return {
      packet: name + number,
      src: `${host(ip4src, ip6src)}:${sport}`,
      dst: `${host(ip4dst, ip6dst)}:${dport}`,
      ipChecksum: ipSum,
      udpChecksum: udpSum,
      timeS: Number(time),
    };
  });
}

/** `[packet, from, to]` for each row, where `from`/`to` are endpoint names. */
function conversation(rows: Row[], names: Record<string, string>): string[] {
  return rows.map((r) => `${r.packet} ${names[r.src] ?? r.src} -> ${names[r.dst] ?? r.dst}`);
}

/** Get of 3 blocks (windowsize 1) as both sides see it. */
function getSequence(): string[] {
  return [
    "RRQ client -> server",
    "OACK transfer -> client",
    "ACK 0 client -> transfer",
    "DATA 1 transfer -> client",
    "ACK 1 client -> transfer",
    "DATA 2 transfer -> client",
    "ACK 2 client -> transfer",
    "DATA 3 transfer -> client",
    "ACK 3 client -> transfer",
  ];
}

/** Put of 3 blocks as both sides see it. */
function putSequence(): string[] {
  return [
    "WRQ client -> server",
    "OACK transfer -> client",
    "DATA 1 client -> transfer",
    "ACK 1 transfer -> client",
    "DATA 2 client -> transfer",
    "ACK 2 transfer -> client",
    "DATA 3 client -> transfer",
    "ACK 3 transfer -> client",
  ];
}

/** The onDatagram hook that records into `pcap` (what `--pcap` does). */
function recordInto(pcap: PcapWriter) {
  return (direction: "send" | "recv", peer: Peer, bytes: Uint8Array, local: Peer) =>
    pcap.write(
      direction === "send" ? { from: local, to: peer, bytes } : { from: peer, to: local, bytes },
    );
}

function endpoint(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** Waits until the server has no transfer left (a put's receiver dallies after its ACK). */
async function idle(server: TftpServer): Promise<void> {
  for (let i = 0; i < 200 && server.activeTransfers > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(server.activeTransfers, 0, "transfers still running");
}

/**
 * Serves a temporary root on `hostname` with a capture, runs a get and a put with the client
 * capturing too, and checks both captures with tshark.
 */
async function captureGetAndPut(hostname: string): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_" });
  try {
    const file = content(SIZE, 0x5eed);
    await Deno.writeFile(join(base, "file.bin"), file);
    const serverPcap = await openPcapWriter(join(base, "server.pcap"));
    const clientPcap = await openPcapWriter(join(base, "client.pcap"));
    const startS = Date.now() / 1000;
    const clients: number[] = [];
    const transfers: number[] = [];
    let requestPort: number;
    {
      await using server = serveTftp({
        root: base,
        hostname,
        port: 0,
        allowCreate: true,
        ...CALM,
        onDatagram: recordInto(serverPcap),
        onTransfer: (record) => clients.push(record.peer.port),
      });
      requestPort = server.addr.port;
      const url = (name: string) => `tftp://${endpoint(hostname, requestPort)}/${name}`;
      const options = { blksize: 512, windowsize: 1, ...CALM, onDatagram: recordInto(clientPcap) };
      const got = await within(
        tftpGet(url("file.bin"), join(base, "copy.bin"), options),
        10_000,
        "get",
      );
      transfers.push(got.peer.port);
      assert.deepEqual(await Deno.readFile(join(base, "copy.bin")), file);
      await idle(server);
      const put = await within(tftpPut(file, url("upload.bin"), options), 10_000, "put");
      transfers.push(put.peer.port);
      await idle(server);
      assert.deepEqual(await Deno.readFile(join(base, "upload.bin")), file);
    }
    await serverPcap.close();
    await clientPcap.close();
    const endS = Date.now() / 1000;
    assert.equal(clients.length, 2, "two transfers logged");

    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    for (const side of ["server", "client"]) {
      const rows = await decode(join(base, `${side}.pcap`), [requestPort, ...transfers]);
      const names = (i: number): Record<string, string> => ({
        [`${host}:${clients[i]}`]: "client",
        [`${host}:${requestPort}`]: "server",
        [`${host}:${transfers[i]}`]: "transfer",
      });
      const getRows = rows.slice(0, 9);
      const putRows = rows.slice(9);
      assert.deepEqual(conversation(getRows, names(0)), getSequence(), `${side}: get`);
      assert.deepEqual(conversation(putRows, names(1)), putSequence(), `${side}: put`);
      for (const row of rows) {
        if (hostname.includes(":")) assert.equal(row.ipChecksum, "", "IPv6 has no header checksum");
        else assert.equal(row.ipChecksum, "1", `${side}: IPv4 header checksum good`);
        assert.equal(row.udpChecksum, "1", `${side}: UDP checksum good`);
        assert.ok(
          row.timeS >= startS - 0.001 && row.timeS <= endS + 0.001,
          `${side}: time ${row.timeS}`,
        );
      }
      const times = rows.map((r) => r.timeS);
      assert.deepEqual(times, times.toSorted((a, b) => a - b), `${side}: timestamps in order`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test({
  name: "pcap: an IPv4 get and put captured by server and client decode as the transfer",
  ignore: !hasTshark,
  fn: () => captureGetAndPut("127.0.0.1"),
});

Deno.test({
  name: "pcap: an IPv6 (::1) get and put captured by server and client decode as the transfer",
  ignore: !hasTshark || !hasIpv6,
  fn: () => captureGetAndPut("::1"),
});

Deno.test("openPcapWriter: the file is the header and the records, in order", async () => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_" });
  try {
    const path = join(base, "a.pcap");
    const records = [
      {
        from: { hostname: "127.0.0.1", port: 1 },
        to: { hostname: "127.0.0.1", port: 2 },
        timeMs: 1.5,
      },
      { from: { hostname: "::1", port: 3 }, to: { hostname: "::", port: 4 }, timeMs: 2 },
    ].map((r, i) => ({ ...r, bytes: content(100 + i, i) }));
    const pcap = await openPcapWriter(path);
    for (const record of records) pcap.write(record);
    records[0].bytes.fill(0); // written at once: later changes do not matter
    await pcap.close();
    const expected = [
      encodePcapHeader(),
      ...[
        { ...records[0], bytes: content(100, 0) },
        records[1],
      ].map(encodePcapRecord),
    ];
    assert.deepEqual(await Deno.readFile(path), concatBytes(expected));
    // Closing again gives the same outcome; writes after close are ignored.
    pcap.write(records[1]);
    await pcap.close();
    assert.equal((await Deno.stat(path)).size, concatBytes(expected).length);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("openPcapWriter: many datagrams are written in the background, all of them", async () => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_" });
  try {
    const path = join(base, "many.pcap");
    const payload = content(1468);
    const count = 3000; // about 4.5 MB: several background writes
    const before = performance.timeOrigin + performance.now();
    {
      await using pcap = await openPcapWriter(path);
      for (let i = 0; i < count; i++) {
        pcap.write({
          from: { hostname: "127.0.0.1", port: 5 },
          to: { hostname: "127.0.0.1", port: 6 },
          bytes: payload,
        });
      }
      // The background writes started before close.
      for (let i = 0; i < 100 && (await Deno.stat(path)).size <= 24; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok((await Deno.stat(path)).size > 24, "written before close");
    }
    const after = performance.timeOrigin + performance.now();
    const bytes = await Deno.readFile(path);
    assert.equal(bytes.length, 24 + count * (16 + 20 + 8 + 1468));
    const view = new DataView(bytes.buffer);
    let last = 0;
    for (let i = 0, at = 24; i < count; i++, at += 16 + 20 + 8 + 1468) {
      const timeMs = view.getUint32(at, true) * 1000 + view.getUint32(at + 4, true) / 1000;
      assert.ok(
        timeMs >= last && timeMs >= before - 1 && timeMs <= after + 1,
        `record ${i}: ${timeMs}`,
      );
      last = timeMs;
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("openPcapWriter: bad datagrams never throw into the caller; close reports them", async () => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_" });
  try {
    const path = join(base, "bad.pcap");
    const pcap = await openPcapWriter(path);
    const good = {
      from: { hostname: "127.0.0.1", port: 5 },
      to: { hostname: "127.0.0.1", port: 6 },
      bytes: new Uint8Array(4),
      timeMs: 0,
    };
    pcap.write({ ...good, from: { hostname: "localhost", port: 5 } });
    pcap.write({ ...good, bytes: new Uint8Array(70_000) });
    pcap.write(good);
    await assert.rejects(
      pcap.close(),
      new Error(
        `2 datagrams missing from capture file ${
          JSON.stringify(path)
        }: from must be an IPv4 or IPv6 address, got "localhost"`,
      ),
    );
    // The good one is there.
    assert.deepEqual(
      await Deno.readFile(path),
      concatBytes([encodePcapHeader(), encodePcapRecord(good)]),
    );
    await assert.rejects(openPcapWriter(join(base, "missing", "x.pcap")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// The command line: --pcap on serve, get and put.

const REPO = fileURLToPath(new URL("..", import.meta.url));
const ENV = CHILD_ENV;

function cli(args: string[], stdout: "piped" | "null" = "piped"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "scripts", "tftp.ts"),
      ...args,
    ],
    env: ENV,
    clearEnv: true,
    stdin: "null",
    stdout,
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  });
}

/** Runs the CLI to completion. */
async function run(args: string[]) {
  const output = await cli(args).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  };
}

Deno.test({
  name: "tftp CLI: --pcap on serve, get and put; files complete after SIGTERM and failures",
  ignore: !hasTshark,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_cli_" });
    const root = join(base, "root");
    await Deno.mkdir(root);
    const file = content(SIZE, 0xc11);
    await Deno.writeFile(join(root, "file.bin"), file);
    await Deno.writeFile(join(base, "upload.bin"), file);
    const server = cli([
      "serve",
      root,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--create",
      "--json",
      "--timeout",
      "3",
      "--pcap",
      join(base, "server.pcap"),
    ]).spawn();
    const stdout = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = new Response(server.stderr).text();
    let serverOut = "";
    try {
      for (let i = 0; i < 100 && !serverOut.includes("\n"); i++) {
        const { value, done } = await within(stdout.read(), 10_000, "listening line");
        if (done) break;
        serverOut += value;
      }
      const listening = /^listening on 127\.0\.0\.1:([0-9]+)\n/.exec(serverOut);
      assert.ok(listening, serverOut);
      const requestPort = Number(listening[1]);
      const url = (name: string) => `tftp://127.0.0.1:${requestPort}/${name}`;
      const flags = ["--blksize", "512", "--windowsize", "1", "--timeout", "3", "--json"];

      const get = await run([
        "get",
        url("file.bin"),
        join(base, "copy.bin"),
        ...flags,
        "--pcap",
        join(base, "get.pcap"),
      ]);
      assert.equal(get.code, 0, get.err);
      assert.deepEqual(await Deno.readFile(join(base, "copy.bin")), file);
      const put = await run([
        "put",
        join(base, "upload.bin"),
        url("upload.bin"),
        ...flags,
        "--pcap",
        join(base, "put.pcap"),
      ]);
      assert.equal(put.code, 0, put.err);
      const missing = await run([
        "get",
        url("missing.bin"),
        join(base, "m.bin"),
        ...flags,
        "--pcap",
        join(base, "missing.pcap"),
      ]);
      assert.equal(missing.code, 1, missing.err);
      assert.equal(missing.err, "error: File not found (TFTP error 1)\n");

      // The server's capture is complete once SIGTERM stopped it.
      server.kill("SIGTERM");
      for (;;) {
        const { value, done } = await within(stdout.read(), 10_000, "server output");
        if (done) break;
        serverOut += value;
      }
      const status = await within(server.status, 10_000, "server exit");
      assert.equal(status.code, 0, await stderr);

      const log = serverOut.trimEnd().split("\n").slice(1).map((line) => JSON.parse(line));
      assert.deepEqual(log.map((l) => [l.kind, l.status]), [["read", "complete"], [
        "write",
        "complete",
      ], ["read", "refused"]]);
      const clientPorts = log.map((l) => Number(/:([0-9]+)$/.exec(l.peer)![1]));
      const transferPorts = [get, put].map((r) =>
        Number(/:([0-9]+)$/.exec(JSON.parse(r.out).peer)![1])
      );
      const names = (i: number): Record<string, string> => ({
        [`127.0.0.1:${clientPorts[i]}`]: "client",
        [`127.0.0.1:${requestPort}`]: "server",
        [`127.0.0.1:${transferPorts[i]}`]: "transfer",
      });
      const refusal = ["RRQ client -> server", "ERROR 1 server -> client"];
      const ports = [requestPort, ...transferPorts];

      const serverRows = await decode(join(base, "server.pcap"), ports);
      assert.deepEqual(conversation(serverRows.slice(0, 9), names(0)), getSequence());
      assert.deepEqual(conversation(serverRows.slice(9, 17), names(1)), putSequence());
      assert.deepEqual(conversation(serverRows.slice(17), names(2)), refusal);
      assert.deepEqual(
        conversation(await decode(join(base, "get.pcap"), ports), names(0)),
        getSequence(),
      );
      assert.deepEqual(
        conversation(await decode(join(base, "put.pcap"), ports), names(1)),
        putSequence(),
      );
      assert.deepEqual(
        conversation(await decode(join(base, "missing.pcap"), ports), names(2)),
        refusal,
      );
    } finally {
      try {
        server.kill("SIGKILL");
      } catch { /* already ended */ }
      await server.status;
      await stdout.cancel().catch(() => {});
      await stderr;
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("tftp CLI: a --pcap file that cannot be created fails the command", async () => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_cli_" });
  try {
    const path = join(base, "no", "such", "dir.pcap");
    const get = await run(["get", "tftp://127.0.0.1:9/a", join(base, "a"), "--pcap", path]);
    assert.equal(get.code, 1);
    assert.match(
      get.err,
      new RegExp(
        `^error: Cannot open capture file ${JSON.stringify(path).replaceAll("/", "\\/")}: `,
      ),
    );
    const serve = await run(["serve", base, "--port", "0", "--pcap", path]);
    assert.equal(serve.code, 1);
    assert.match(serve.err, /^error: Cannot open capture file /);
    assert.equal(serve.out, "", "nothing listened");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test({
  name: "tftp CLI: get interrupted by SIGINT still leaves a complete --pcap file",
  ignore: !hasTshark,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "tftpkit_pcap_cli_" });
    const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (silent.addr as Deno.NetAddr).port;
    const path = join(base, "interrupted.pcap");
    const child = cli(
      ["get", `tftp://127.0.0.1:${port}/a`, join(base, "a"), "--pcap", path],
      "null",
    )
      .spawn();
    const stderr = new Response(child.stderr).text();
    try {
      const [, from] = await within(silent.receive(), 10_000, "the request");
      child.kill("SIGINT");
      const status = await within(child.status, 10_000, "client exit");
      assert.equal(status.code, 130, await stderr);
      const rows = await decode(path, [port]);
      assert.ok(rows.length >= 1, "at least the request");
      const client = `127.0.0.1:${(from as Deno.NetAddr).port}`;
      for (const row of rows) {
        assert.equal(
          `${row.packet} ${row.src} -> ${row.dst}`,
          `RRQ ${client} -> 127.0.0.1:${port}`,
        );
      }
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
      await child.status;
      await stderr;
      silent.close();
      await Deno.remove(base, { recursive: true });
    }
  },
});
