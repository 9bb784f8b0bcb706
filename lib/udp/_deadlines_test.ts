import assert from "node:assert/strict";
import { Deadline, DeadlineQueue } from "./_deadlines.ts";
import { monotonicNow } from "./clock.ts";
import { delay, within } from "./_wait.ts";
import { Prng } from "../sim/prng.ts";

/** Resolves when `deadline` fires, with the time it fired. */
function firing(): { deadline: Deadline; fired: Promise<number> } {
  let resolve!: (at: number) => void;
  const fired = new Promise<number>((r) => resolve = r);
  return { deadline: new Deadline(() => resolve(monotonicNow())), fired };
}

Deno.test("deadlines: many set in random order fire in order of their due times, none early", async () => {
  const queue = new DeadlineQueue();
  const prng = new Prng(7);
  const start = monotonicNow();
  const order: number[] = [];
  const late: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    const due = start + 5 + Math.floor(prng.next() * 60);
    let done!: () => void;
    all.push(new Promise((r) => done = r));
    const deadline = new Deadline(() => {
      const now = monotonicNow();
      if (now < due) late.push(due - now);
      order.push(due);
      done();
    });
    queue.set(deadline, due);
  }
  assert.equal(queue.size, 200);
  await within(Promise.all(all), 5_000, "200 deadlines");
  assert.deepEqual(late, [], "a deadline fired before it was due");
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.equal(queue.size, 0);
});

Deno.test("deadlines: a deadline moved later fires at its new time, one moved earlier at once", async () => {
  const queue = new DeadlineQueue();
  const a = firing();
  const now = monotonicNow();
  queue.set(a.deadline, now + 10);
  queue.set(a.deadline, now + 60);
  assert.equal(queue.size, 1);
  assert.ok(await within(a.fired, 5_000, "moved later") >= now + 60);

  const b = firing();
  const then = monotonicNow();
  queue.set(b.deadline, then + 10_000);
  queue.set(b.deadline, then + 5);
  const firedAt = await within(b.fired, 5_000, "moved earlier");
  assert.ok(firedAt >= then + 5 && firedAt < then + 5_000);
});

Deno.test("deadlines: NaN is refused and leaves the queue as it was", () => {
  const queue = new DeadlineQueue();
  const deadline = new Deadline(() => {});
  assert.throws(() => queue.set(deadline, NaN), {
    name: "RangeError",
    message: "A deadline must be a number, got NaN",
  });
  assert.equal(queue.size, 0);
  assert.equal(deadline.index, -1);
});

Deno.test("deadlines: a cleared deadline never fires; clearing the last clears the timer", async () => {
  const queue = new DeadlineQueue();
  let fired = 0;
  const a = new Deadline(() => fired++);
  const b = new Deadline(() => fired++);
  queue.set(a, monotonicNow() + 5);
  queue.set(b, monotonicNow() + 10);
  queue.clear(a);
  queue.clear(a); // twice: nothing
  assert.equal(a.index, -1);
  assert.equal(a.due, Infinity);
  queue.set(b, Infinity); // Infinity unsets
  assert.equal(queue.size, 0);
  await delay(30);
  assert.equal(fired, 0);
  // The test sanitizer fails this test if a timer were left armed.
});

Deno.test("deadlines: clearing from the middle keeps the heap in order", async () => {
  const queue = new DeadlineQueue();
  const now = monotonicNow();
  const fired: number[] = [];
  const deadlines = Array.from({ length: 31 }, (_, i) => new Deadline(() => fired.push(i)));
  deadlines.forEach((d, i) => queue.set(d, now + 5 + ((i * 17) % 31)));
  for (let i = 0; i < 31; i += 3) queue.clear(deadlines[i]);
  const kept = deadlines.map((_, i) => i).filter((i) => i % 3 !== 0);
  await within(
    (async () => {
      for (let tries = 0; fired.length < kept.length && tries < 500; tries++) await delay(5);
    })(),
    5_000,
    "the kept deadlines",
  );
  const expected = [...kept].sort((x, y) => (x * 17) % 31 - (y * 17) % 31);
  assert.deepEqual(fired, expected);
});

Deno.test("deadlines: a callback that throws does not stop the others", async () => {
  const queue = new DeadlineQueue();
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    errors.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    const ok = firing();
    const now = monotonicNow();
    queue.set(
      new Deadline(() => {
        throw new Error("boom");
      }),
      now + 5,
    );
    queue.set(ok.deadline, now + 5);
    await within(ok.fired, 5_000, "the second deadline");
    await delay(1);
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("deadlines: set again from its own callback for a past time, fires on the next turn", async () => {
  const queue = new DeadlineQueue();
  let count = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => done = r);
  const again: Deadline = new Deadline(() => {
    if (++count < 3) queue.set(again, 0);
    else done();
  });
  queue.set(again, monotonicNow() + 1);
  await within(finished, 5_000, "three firings");
  assert.equal(count, 3);
  assert.equal(queue.size, 0);
});
