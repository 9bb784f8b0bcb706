import assert from "node:assert/strict";
import { resolveTimingOptions, RetransmitTimer } from "./timing.ts";

Deno.test("timing options: finite, positive milliseconds; deadlineMs may be Infinity", () => {
  assert.throws(() => resolveTimingOptions({ timeoutMs: Infinity }), RangeError);
  assert.throws(() => resolveTimingOptions({ maxRtoMs: Infinity }), RangeError);
  assert.throws(() => resolveTimingOptions({ initialRtoMs: 0 }), RangeError);
  assert.throws(() => resolveTimingOptions({ retries: 1.5 }), RangeError);
  assert.equal(resolveTimingOptions({ deadlineMs: Infinity }).deadlineMs, Infinity);
});

Deno.test("RTT estimate: first sample sets the timeout, floor at minRtoMs", () => {
  const timer = new RetransmitTimer(resolveTimingOptions({}));
  assert.equal(timer.rtoMs, 1000);
  timer.arm(0);
  timer.acknowledge(100); // srtt 100, rttvar 50
  assert.equal(timer.rtoMs, 300);
  timer.arm(100);
  timer.acknowledge(101); // rttvar 62.25, srtt 87.625
  assert.equal(timer.rtoMs, 87.625 + 4 * 62.25);
  const floor = new RetransmitTimer(resolveTimingOptions({ minRtoMs: 50 }));
  floor.arm(0);
  floor.acknowledge(1);
  assert.equal(floor.rtoMs, 50);
});

Deno.test("after a retransmission no sample is taken and the backed-off timeout is kept", () => {
  const timer = new RetransmitTimer(resolveTimingOptions({}));
  timer.arm(0);
  timer.acknowledge(100); // RTO 300
  timer.arm(100);
  assert.equal(timer.deadline, 400);
  assert.ok(timer.expire(400)); // backoff 2: next deadline 400 + 600
  assert.equal(timer.deadline, 1000);
  timer.acknowledge(950); // the answer to the retransmission: ambiguous, no sample
  assert.equal(timer.rtoMs, 600, "RFC 6298 5.7: keep the backed-off value");
  assert.equal(timer.attempts, 0);
});

Deno.test("retries: expire() returns false after `retries` expiries in a row", () => {
  const timer = new RetransmitTimer(
    resolveTimingOptions({ timeoutMs: 100, retries: 2, giveUpMs: 0 }),
  );
  timer.arm(0);
  assert.ok(timer.expire(100));
  assert.ok(timer.expire(300));
  assert.equal(timer.expire(700), false);
  assert.equal(timer.deadline, undefined);
});

Deno.test("giveUpMs: after the retries, expiries go on until the peer was silent that long", () => {
  const timer = new RetransmitTimer(resolveTimingOptions({ minRtoMs: 50, retries: 2 }));
  timer.arm(0);
  timer.acknowledge(1); // RTO 50: two retries alone would give up 350 ms after the answer
  timer.arm(1);
  const expiries: number[] = [];
  for (let i = 0; i < 20 && timer.deadline !== undefined; i++) {
    const at = timer.deadline;
    expiries.push(at);
    if (!timer.expire(at)) break;
  }
  // Backoff 2, 4, ... capped at maxRtoMs (4000); silent since 1: gives up at 5000 or later.
  assert.deepEqual(expiries, [51, 151, 351, 751, 1551, 3151, 6351]);
  assert.equal(timer.deadline, undefined);
  assert.equal(timer.attempts, 7);
  // An answer starts the silence again.
  const again = new RetransmitTimer(resolveTimingOptions({ timeoutMs: 1000, retries: 1 }));
  again.arm(0);
  assert.ok(again.expire(1000));
  assert.ok(again.expire(3000)); // retries used up, silent 3000 < 5000
  again.acknowledge(3500);
  again.arm(3500);
  assert.ok(again.expire(4500));
  assert.ok(again.expire(6500)); // silent 3000 since the answer at 3500
  assert.equal(again.expire(10_500), false);
  assert.throws(() => resolveTimingOptions({ giveUpMs: -1 }), RangeError);
});

Deno.test("the kept backed-off timeout never compounds across packets (heavy random loss)", () => {
  const timer = new RetransmitTimer(resolveTimingOptions({}));
  timer.arm(0);
  timer.acknowledge(100); // estimate 300
  let now = 100;
  for (let i = 0; i < 10; i++) {
    timer.arm(now);
    now = timer.deadline!;
    assert.ok(timer.expire(now)); // one loss per packet, backoff 2
    now += 1;
    timer.acknowledge(now);
    assert.equal(timer.rtoMs, 600, `packet ${i}: estimate x 2, not x 2^${i + 1}`);
  }
});

Deno.test("restart keeps attempts and backoff; Karn's rule holds for a resent flight", () => {
  const timer = new RetransmitTimer(resolveTimingOptions({ retries: 3, giveUpMs: 0 }));
  timer.arm(0); // RTO 1000
  timer.restart(10, false);
  assert.deepEqual([timer.deadline, timer.attempts], [1010, 0]);
  timer.acknowledge(110); // a sample from the restart: 100 ms -> RTO 300
  assert.equal(timer.rtoMs, 300);
  timer.arm(200);
  assert.equal(timer.expire(500), true);
  assert.equal(timer.expire(1100), true); // backoff 4: deadline 1100 + 1200
  timer.restart(1200, false);
  assert.deepEqual([timer.deadline, timer.attempts], [2400, 2]);
  assert.equal(timer.expire(2400), true);
  assert.equal(timer.expire(4800), false); // still fails after `retries` expiries
  const resent = new RetransmitTimer(resolveTimingOptions({}));
  resent.arm(0);
  resent.acknowledge(100); // RTO 300
  resent.arm(200);
  resent.restart(210, true);
  resent.acknowledge(900); // no sample: the RTO stays
  assert.equal(resent.rtoMs, 300);
});

Deno.test("heard: a peer that still sends (even repeats) restarts the give-up silence, not the attempts", () => {
  const timing = resolveTimingOptions({
    timeoutMs: 1000,
    maxRtoMs: 1000,
    retries: 2,
    giveUpMs: 3000,
  });
  const silent = new RetransmitTimer(timing);
  silent.arm(0);
  assert.deepEqual([1000, 2000, 3000].map((now) => silent.expire(now)), [true, true, false]);

  const talking = new RetransmitTimer(timing);
  talking.arm(0);
  const going: boolean[] = [];
  for (let now = 1000; now <= 6000; now += 1000) {
    talking.heard(now - 500); // a repeated ACK half-way through each wait
    going.push(talking.expire(now));
  }
  assert.deepEqual(going, [true, true, true, true, true, true], "never given up while it talks");
  assert.equal(talking.attempts, 6, "the attempts still count: only progress resets them");
  assert.equal(talking.expire(9000), false, "silent again for 3.5 s: given up");
});
