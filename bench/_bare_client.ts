/**
 * The floor of a TFTP client in Deno, for `bench/peers.ts --floor`: the least work a Deno
 * program can do to download over `Deno.listenDatagram`. It asks for blksize (and windowsize
 * when above 1), acknowledges the OACK, then ACKs every DATA (lock-step) or the last block of
 * each window, copying each block into one reused 64 KiB buffer that is written to the file
 * with a synchronous write whenever it fills (and at the end), as a C client writes: a fresh
 * buffer as large as the file would cost a page fault per 4 KiB, which on these virtual
 * machines is most of a fast transfer. The clock starts at the request (our client's `--json
 * elapsedMs` leaves out start-up too).
 * No timer per packet, no loss recovery beyond resending the last ACK after 1 s. A measuring
 * stick, not a client.
 *
 * With BUSY_POLL_US above 0 it runs on our libc socket instead (`lib/udp/_libc_udp.ts`, what
 * `--busy-poll` uses): the floor of a Deno program over that socket.
 *
 * `deno run --allow-write --allow-net [--allow-ffi] bench/_bare_client.ts PORT REMOTE LOCAL
 * BLKSIZE WINDOWSIZE [BUSY_POLL_US]` prints `{"elapsedMs":N}`.
 *
 * @module
 */

import { closeBareSockets, openBareSocket } from "./_bare_socket.ts";

const [portText, remote, local, blksizeText, windowText, busyText] = Deno.args;
const blksize = Number(blksizeText);
const windowsize = Number(windowText);
const conn = openBareSocket(0, Number(busyText ?? 0));
const options = [`blksize\0${blksize}\0`, windowsize > 1 ? `windowsize\0${windowsize}\0` : ""];
const rrq = new TextEncoder().encode(`\0\x01${remote}\0octet\0${options.join("")}`);
const buffer = new Uint8Array(4 + blksize + 1);
const file = Deno.openSync(local, { write: true, create: true, truncate: true });
const pending = new Uint8Array(65536);
let pendingBytes = 0;
/** Writes what `pending` holds. */
function writePending(): void {
  for (let at = 0; at < pendingBytes;) at += file.writeSync(pending.subarray(at, pendingBytes));
  pendingBytes = 0;
}
const ackPacket = new Uint8Array([0, 4, 0, 0]);
let server: Deno.NetAddr | undefined;
let lastAck = ackPacket.slice();

// One receive stays in flight and one lazy timer checks the wait: a timer (or a race) per
// packet would cost more than the rest of the loop.
type Got = [Uint8Array, Deno.NetAddr] | undefined;
let receiving: Promise<Got> | undefined;
let waitingSince = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let wake: ((got: Got) => void) | undefined;
function onTimer(): void {
  const left = waitingSince + 1000 - performance.now();
  timer = setTimeout(onTimer, left > 0 ? left : 1000);
  if (left <= 0) wake?.(undefined);
}

/** The next datagram, or undefined after 1 s without one. */
async function receive(): Promise<Got> {
  waitingSince = performance.now();
  // A receive still in flight when the socket closes at the end settles as undefined.
  const next = receiving ??= (conn.receive(buffer) as Promise<Got>).catch(() => {
    receiving = undefined; // not kept: the next wait receives again
    return undefined;
  });
  timer ??= setTimeout(onTimer, 1000);
  const got = await new Promise<Got>((resolve) => {
    wake = resolve;
    next.then(resolve);
  });
  wake = undefined;
  if (got) receiving = undefined;
  return got;
}

async function sendAck(block: number): Promise<void> {
  ackPacket[2] = (block >> 8) & 0xff;
  ackPacket[3] = block & 0xff;
  lastAck = ackPacket;
  await conn.send(ackPacket, server!);
}

const started = performance.now();
await conn.send(rrq, { transport: "udp", hostname: "127.0.0.1", port: Number(portText) });
let expected = 1;
let done = false;
for (let i = 0, silent = 0; !done && i < 100_000_000 && silent < 10; i++) {
  const got = await receive();
  if (!got) {
    silent++;
    if (server) await conn.send(lastAck, server);
    continue;
  }
  silent = 0;
  const [data, from] = got;
  server ??= from;
  if (data[1] === 6) {
    await sendAck(0);
    continue;
  }
  if (data[1] !== 3) throw new Error(`Unexpected opcode ${data[1]}`);
  const block = (data[2] << 8) | data[3];
  if (block !== (expected & 0xffff)) continue;
  const payload = data.length - 4;
  if (pendingBytes + payload > pending.length) writePending();
  pending.set(data.subarray(4), pendingBytes);
  pendingBytes += payload;
  done = payload < blksize;
  if (done || windowsize === 1 || expected % windowsize === 0) await sendAck(block);
  expected++;
}
writePending();
file.close();
const elapsedMs = performance.now() - started;
clearTimeout(timer);
conn.close();
await closeBareSockets();
if (!done) throw new Error("Transfer did not finish");
console.log(JSON.stringify({ elapsedMs }));
