/**
 * The floor of a TFTP server in Deno, for `bench/peers.ts --floor`: the least work a Deno
 * program can do to serve a read request over `Deno.listenDatagram`, one transfer at a time.
 * Every DATA packet of the file is laid out once in one buffer (header + block, back to back),
 * so sending block n is a `subarray`: no allocation, no copy, no file read, no engine, no
 * checks beyond the block number of an ACK, no timer per packet. Lost packets are resent after
 * 1 s. Not a server to use: a measuring stick for what the runtime allows, so our server and
 * the C servers can be compared with it.
 *
 * With BUSY_POLL_US above 0 each transfer runs on our libc socket instead
 * (`lib/udp/_libc_udp.ts`, what `--busy-poll` uses), and a window leaves in one `sendMany`.
 *
 * `deno run --allow-read --allow-net [--allow-ffi] bench/_bare_server.ts ROOT PORT
 * [BUSY_POLL_US]`
 *
 * @module
 */

import { openBareSocket } from "./_bare_socket.ts";

const [root, portText, busyText] = Deno.args;
const busyPollUs = Number(busyText ?? 0);
const listener = Deno.listenDatagram({
  transport: "udp",
  hostname: "127.0.0.1",
  port: Number(portText),
});
const decoder = new TextDecoder();

/** Every DATA packet of `file` at `blksize`, back to back, and where each starts. */
function wireImage(file: Uint8Array, blksize: number): { wire: Uint8Array; starts: number[] } {
  const blocks = Math.floor(file.length / blksize) + 1;
  const wire = new Uint8Array(file.length + 4 * blocks);
  const starts: number[] = [];
  let at = 0;
  for (let n = 1; n <= blocks; n++) {
    const from = (n - 1) * blksize;
    const part = file.subarray(from, Math.min(from + blksize, file.length));
    starts.push(at);
    wire.set([0, 3, (n >> 8) & 0xff, n & 0xff], at);
    wire.set(part, at + 4);
    at += 4 + part.length;
  }
  starts.push(at);
  return { wire, starts };
}

const images = new Map<string, { wire: Uint8Array; starts: number[] }>();
// Lay out the big files at start-up, so no request waits for it (a client would resend it).
for (const entry of Deno.readDirSync(root)) {
  if (!entry.isFile || Deno.statSync(`${root}/${entry.name}`).size < 1 << 20) continue;
  const file = Deno.readFileSync(`${root}/${entry.name}`);
  for (const blksize of [512, 1468, 8192, 65464]) {
    images.set(`${entry.name}\0${blksize}`, wireImage(file, blksize));
  }
}

async function serve(request: Uint8Array, peer: Deno.NetAddr): Promise<void> {
  const fields = decoder.decode(request.subarray(2)).split("\0");
  const name = fields[0];
  const options = new Map<string, string>();
  for (let i = 2; i + 1 < fields.length; i += 2) {
    options.set(fields[i].toLowerCase(), fields[i + 1]);
  }
  const blksize = Number(options.get("blksize") ?? 512);
  const windowsize = Number(options.get("windowsize") ?? 1);
  const key = `${name}\0${blksize}`;
  let image = images.get(key);
  if (!image) {
    image = wireImage(Deno.readFileSync(`${root}/${name}`), blksize);
    images.set(key, image);
  }
  const { wire, starts } = image;
  const conn = openBareSocket(0, busyPollUs);
  const buffer = new Uint8Array(516);
  const to = { transport: "udp" as const, hostname: peer.hostname, port: peer.port };
  // One receive stays in flight and one lazy timer checks the wait: a timer (or a race) per
  // packet would cost more than the rest of this loop.
  let receiving: Promise<number> | undefined;
  let waitingSince = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: ((block: number) => void) | undefined;
  const onTimer = () => {
    const left = waitingSince + 1000 - performance.now();
    timer = setTimeout(onTimer, left > 0 ? left : 1000);
    if (left <= 0) wake?.(-1);
  };
  /** The next ACK's block number (-2 for another packet), or -1 after 1 s. */
  const ack = async (): Promise<number> => {
    waitingSince = performance.now();
    // A failed receive is not kept: the next wait receives again.
    const next = receiving ??= conn.receive(buffer).then(
      ([data]) => (data[0] === 0 && data[1] === 4 ? (data[2] << 8) | data[3] : -2),
      () => {
        receiving = undefined;
        return -1;
      },
    );
    timer ??= setTimeout(onTimer, 1000);
    const got = await new Promise<number>((resolve) => {
      wake = resolve;
      next.then(resolve);
    });
    wake = undefined;
    if (got !== -1) receiving = undefined;
    return got;
  };
  try {
    if (options.size > 0) {
      const parts: string[] = [];
      if (options.has("blksize")) parts.push("blksize", String(blksize));
      if (options.has("windowsize")) parts.push("windowsize", String(windowsize));
      if (options.has("tsize")) parts.push("tsize", String(wire.length - 4 * (starts.length - 1)));
      const oack = new Uint8Array([0, 6, ...new TextEncoder().encode(parts.join("\0") + "\0")]);
      for (let tries = 0; tries < 5; tries++) {
        await conn.send(oack, to);
        if (await ack() === 0) break;
      }
    }
    const blocks = starts.length - 1;
    let next = 1;
    for (let tries = 0; next <= blocks && tries < 10;) {
      const last = Math.min(blocks, next + windowsize - 1);
      if (conn.sendMany) {
        const window: Uint8Array[] = [];
        for (let n = next; n <= last; n++) window.push(wire.subarray(starts[n - 1], starts[n]));
        conn.sendMany(window, to);
      } else {
        for (let n = next; n <= last; n++) {
          await conn.send(wire.subarray(starts[n - 1], starts[n]), to);
        }
      }
      const got = await ack();
      if (got < 0) {
        tries++;
        continue;
      }
      tries = 0;
      // Wire block numbers wrap at 65536 (files here are far smaller than 32 MiB at 512).
      if (got === (last & 0xffff)) next = last + 1;
    }
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

const buffer = new Uint8Array(1024);
const active = new Set<string>();
for (let i = 0; i < 1_000_000; i++) {
  const [data, peer] = await listener.receive(buffer);
  const { hostname, port } = peer as Deno.NetAddr;
  const key = `${hostname}:${port}`;
  if (data[0] !== 0 || data[1] !== 1 || active.has(key)) continue; // a repeated request
  active.add(key);
  serve(data.slice(), peer as Deno.NetAddr).catch(() => {}).finally(() => active.delete(key));
}
