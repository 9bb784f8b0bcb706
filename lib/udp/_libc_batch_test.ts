import assert from "node:assert/strict";
import { MAX_SEGMENTED_BYTES, MAX_SEGMENTS, segmentRun } from "./_libc_gso.ts";
import { batchSlots } from "./_libc_mmsg.ts";

const d = (n: number) => new Uint8Array(n);

Deno.test("segmentRun: equal sizes, then at most one shorter one, within the limits", () => {
  const of = (sizes: number[], start = 0) => segmentRun(sizes.map(d), start);
  assert.equal(of([516]), 1);
  assert.equal(of([516, 516, 516]), 3);
  assert.equal(of([516, 516, 100]), 3, "a short last block ends the run");
  assert.equal(of([516, 100, 100]), 2, "nothing after a shorter one");
  assert.equal(of([516, 600, 516]), 1, "a longer one cannot follow");
  assert.equal(of([516, 0, 516]), 1, "an empty datagram is never a segment");
  assert.equal(of([4, 516, 516, 516], 1), 3, "from `start`");
  assert.equal(of(Array(100).fill(516)), MAX_SEGMENTS);
  const big = 1472;
  assert.equal(of(Array(60).fill(big)), Math.floor(MAX_SEGMENTED_BYTES / big));
  assert.equal(of([65468, 65468]), 1, "one 65464-byte block is a send of its own");
});

Deno.test("batchSlots: up to 32 datagrams within 64 KiB of slots", () => {
  assert.equal(batchSlots(517), 32);
  assert.equal(batchSlots(2048), 32);
  assert.equal(batchSlots(2049), 31);
  assert.equal(batchSlots(8197), 7);
  assert.equal(batchSlots(32768), 2);
  assert.equal(batchSlots(32769), 1);
  assert.equal(batchSlots(65540), 1);
});
