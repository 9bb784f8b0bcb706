/**
 * `deno task bench`: the pure codec and engine, in packets and transfers per second on one
 * core. No sockets: the simulated network delivers instantly, so this measures our code only.
 */

import { decodePacket, encodeAck, encodeData } from "../mod.ts";
import { simulateTransfer } from "../lib/sim/transfer.ts";

const payload = new Uint8Array(1468).fill(0x5a);
const data = encodeData(1, payload);
const ack = encodeAck(1);
const file = new Uint8Array(1024 * 1024).fill(7);

Deno.bench("encode DATA 1468 B", { group: "codec" }, () => {
  encodeData(1, payload);
});
Deno.bench("decode DATA 1468 B", { group: "codec" }, () => {
  decodePacket(data);
});
Deno.bench("decode ACK", { group: "codec" }, () => {
  decodePacket(ack);
});

for (const windowsize of [1, 16]) {
  Deno.bench(`1 MiB simulated transfer, blksize 1468, windowsize ${windowsize}`, {
    group: "engine",
  }, () => {
    const result = simulateTransfer({
      kind: "get",
      data: file,
      seed: 1,
      requestOptions: { blksize: "1468", windowsize: String(windowsize) },
      up: { delayMs: 0 },
      down: { delayMs: 0 },
      server: { dallyMs: 0 },
      client: { dallyMs: 0 },
    });
    if (result.received.length !== file.length) throw new Error("transfer incomplete");
  });
}
