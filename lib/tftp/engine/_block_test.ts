import assert from "node:assert/strict";
import { blockDistance, wireBlock } from "./_block.ts";

Deno.test("wireBlock rolls over to 0 by default and to 1 on request", () => {
  assert.equal(wireBlock(65535, 0), 65535);
  assert.equal(wireBlock(65536, 0), 0);
  assert.equal(wireBlock(65537, 0), 1);
  assert.equal(wireBlock(65536 * 3 + 5, 0), 5);
  assert.equal(wireBlock(65536, 1), 1);
  assert.equal(wireBlock(65536 + 65534, 1), 65535);
  assert.equal(wireBlock(65536 + 65535, 1), 1);
});

Deno.test("blockDistance measures forward across the rollover", () => {
  assert.equal(blockDistance(65535, 0, 0), 1);
  assert.equal(blockDistance(65535, 65535, 0), 0);
  assert.equal(blockDistance(65536, 65535, 0), 65535);
  assert.equal(blockDistance(65535, 1, 1), 1);
  assert.equal(blockDistance(0, 1, 1), 1);
  assert.equal(blockDistance(10, 14, 0), 4);
  assert.equal(blockDistance(10, 9, 0), 65535);
  for (let n = 65500; n < 65600 * 2; n += 7) {
    for (const r of [0, 1] as const) {
      assert.equal(blockDistance(n, wireBlock(n + 3, r), r), 3, `n=${n} r=${r}`);
    }
  }
});
