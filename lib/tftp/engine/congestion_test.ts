import assert from "node:assert/strict";
import { CongestionWindow } from "./congestion.ts";

Deno.test("starts at min(windowsize, initial); slow start doubles up to the windowsize", () => {
  const w = new CongestionWindow(64, { initial: 4 });
  const seen = [w.cwnd];
  for (let i = 0; i < 6; i++) {
    w.onCleanRound();
    seen.push(w.cwnd);
  }
  assert.deepEqual(seen, [4, 8, 16, 32, 64, 64, 64]);
  assert.deepEqual(w.stats, {
    cwnd: 64,
    ssthresh: 64,
    peakCwnd: 64,
    cleanRounds: 6,
    fastRecoveries: 0,
    timeouts: 0,
  });
  assert.equal(new CongestionWindow(3).cwnd, 3, "the default initial 8 is capped");
  assert.equal(new CongestionWindow(20).cwnd, 8);
});

Deno.test("a loss halves (down to 1), then growth is one block per clean round", () => {
  const w = new CongestionWindow(64, { initial: 20 });
  w.onLoss();
  assert.equal(w.cwnd, 10);
  assert.equal(w.stats.ssthresh, 10);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    w.onCleanRound();
    seen.push(w.cwnd);
  }
  assert.deepEqual(seen, [11, 12, 13]);
  for (let i = 0; i < 10; i++) w.onLoss();
  assert.equal(w.cwnd, 1, "never below one block");
  assert.equal(w.stats.ssthresh, 2, "ssthresh keeps at least 2");
  w.onCleanRound();
  assert.equal(w.cwnd, 2, "below ssthresh: slow start again");
  w.onCleanRound();
  assert.equal(w.cwnd, 3);
  assert.equal(w.stats.fastRecoveries, 11);
  assert.equal(w.stats.peakCwnd, 20);
});

Deno.test("a timeout drops to one block; slow start returns to half the old window", () => {
  const w = new CongestionWindow(64, { initial: 32 });
  w.onTimeout();
  assert.equal(w.cwnd, 1);
  assert.equal(w.stats.ssthresh, 16);
  const seen = [];
  for (let i = 0; i < 6; i++) {
    w.onCleanRound();
    seen.push(w.cwnd);
  }
  assert.deepEqual(seen, [2, 4, 8, 16, 17, 18]);
  assert.equal(w.stats.timeouts, 1);
});

Deno.test("windowsize 1 stays 1 whatever happens (lock-step)", () => {
  const w = new CongestionWindow(1);
  for (const step of ["onCleanRound", "onLoss", "onTimeout", "onCleanRound"] as const) {
    w[step]();
    assert.equal(w.cwnd, 1, step);
    assert.ok(w.stats.ssthresh === 1, step);
  }
});

Deno.test("adaptive false keeps the whole window and only counts", () => {
  const w = new CongestionWindow(16, { initial: 2, adaptive: false });
  assert.equal(w.cwnd, 16);
  w.onLoss();
  w.onTimeout();
  w.onCleanRound();
  assert.deepEqual(w.stats, {
    cwnd: 16,
    ssthresh: 16,
    peakCwnd: 16,
    cleanRounds: 1,
    fastRecoveries: 1,
    timeouts: 1,
  });
});

Deno.test("stats is a copy; bad sizes are a RangeError", () => {
  const w = new CongestionWindow(8);
  w.stats.cwnd = 99;
  assert.equal(w.cwnd, 8);
  assert.throws(() => new CongestionWindow(0), {
    name: "RangeError",
    message: "windowsize must be an integer >= 1, got 0",
  });
  assert.throws(() => new CongestionWindow(4, { initial: 1.5 }), {
    name: "RangeError",
    message: "initial must be an integer >= 1, got 1.5",
  });
});
