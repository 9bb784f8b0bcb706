import assert from "node:assert/strict";
import { DelayLine } from "./_delay_line.ts";
import { delay, waitUntil } from "./_wait.ts";

Deno.test("DelayLine keeps each line in order and lets others overtake", async () => {
  const order: string[] = [];
  const delays = new DelayLine();
  try {
    delays.add(40, () => order.push("a1"), "a");
    delays.add(5, () => order.push("a2"), "a"); // waits behind a1
    delays.add(5, () => order.push("b1"), "b"); // another line: not blocked by a1
    delays.add(20, () => order.push("solo")); // no line
    assert.equal(delays.pending, 4);
    await waitUntil(() => order.length === 4, 2000, "all four callbacks");
    assert.deepEqual(order, ["b1", "solo", "a1", "a2"]);
    assert.equal(delays.pending, 0);
  } finally {
    delays.close();
  }
});

Deno.test("DelayLine.close cancels what is waiting and ignores later adds", async () => {
  let ran = 0;
  const delays = new DelayLine();
  delays.add(5, () => ran++, "x");
  delays.add(5, () => ran++);
  delays.close();
  delays.add(0, () => ran++);
  assert.equal(delays.pending, 0);
  await delay(20);
  assert.equal(ran, 0);
});
