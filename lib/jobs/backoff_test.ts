import assert from "node:assert/strict";
import { retryDelayMs } from "./backoff.ts";

const ALMOST_ONE = 1 - Number.EPSILON;

function delays(random: number, jitter?: number): number[] {
  const options = { initialMs: 5000, maxMs: 60_000, jitter, random: () => random };
  return [1, 2, 3, 4, 5, 6, 50, 2000].map((retry) => retryDelayMs(retry, options));
}

Deno.test("retryDelayMs doubles from initialMs up to maxMs, jitter centred at random 0.5", () => {
  assert.deepEqual(delays(0.5), [5000, 10000, 20000, 40000, 60000, 60000, 60000, 60000]);
  assert.deepEqual(delays(0.5, 0), [5000, 10000, 20000, 40000, 60000, 60000, 60000, 60000]);
});

Deno.test("retryDelayMs moves by at most the jitter fraction and never exceeds maxMs", () => {
  assert.deepEqual(delays(0), [4000, 8000, 16000, 32000, 48000, 48000, 48000, 48000]);
  assert.deepEqual(delays(ALMOST_ONE), [6000, 12000, 24000, 48000, 60000, 60000, 60000, 60000]);
  assert.deepEqual(delays(0.75), [5500, 11000, 22000, 44000, 60000, 60000, 60000, 60000]);
  assert.deepEqual(delays(0, 1), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(delays(ALMOST_ONE, 1), [10000, 20000, 40000, 60000, 60000, 60000, 60000, 60000]);
  assert.deepEqual(delays(0.25, 0.5), [3750, 7500, 15000, 30000, 45000, 45000, 45000, 45000]);
});

Deno.test("retryDelayMs rounds to whole milliseconds and handles zero delays", () => {
  const random = () => 0.123;
  assert.equal(retryDelayMs(1, { initialMs: 1, maxMs: 10, random }), 1);
  assert.equal(retryDelayMs(1, { initialMs: 333, maxMs: 1000, random }), 283); // 333 * 0.8492 = 282.78
  assert.equal(retryDelayMs(3, { initialMs: 0, maxMs: 0, random }), 0);
  assert.equal(retryDelayMs(1100, { initialMs: 0, maxMs: 100, random }), 0);
  assert.equal(retryDelayMs(1100, { initialMs: 7, maxMs: 100, jitter: 0, random }), 100);
});

Deno.test("retryDelayMs calls random once per delay", () => {
  let calls = 0;
  const random = () => (calls++, 0.5);
  retryDelayMs(2, { initialMs: 10, maxMs: 100, random });
  assert.equal(calls, 1);
});

Deno.test("retryDelayMs throws a RangeError for bad arguments", () => {
  const base = { initialMs: 1000, maxMs: 10_000, random: () => 0.5 };
  const cases: [number, Partial<Parameters<typeof retryDelayMs>[1]>, string][] = [
    [0, {}, "retry must be a whole number from 1, got 0"],
    [1.5, {}, "retry must be a whole number from 1, got 1.5"],
    [Number.NaN, {}, "retry must be a whole number from 1, got NaN"],
    [1, { initialMs: -1 }, "initialMs must be 0 or more, got -1"],
    [1, { initialMs: Infinity }, "initialMs must be 0 or more, got Infinity"],
    [1, { maxMs: 999 }, "maxMs must be a finite number of at least initialMs (1000), got 999"],
    [
      1,
      { maxMs: Infinity },
      "maxMs must be a finite number of at least initialMs (1000), got Infinity",
    ],
    [1, { jitter: 1.01 }, "jitter must be from 0 to 1, got 1.01"],
    [1, { jitter: -0.1 }, "jitter must be from 0 to 1, got -0.1"],
    [1, { random: () => 1 }, "random() must be in [0, 1), got 1"],
    [1, { random: () => -0.5 }, "random() must be in [0, 1), got -0.5"],
    [1, { random: () => Number.NaN }, "random() must be in [0, 1), got NaN"],
  ];
  for (const [retry, change, message] of cases) {
    assert.throws(() => retryDelayMs(retry, { ...base, ...change }), {
      name: "RangeError",
      message,
    });
  }
});
