import assert from "node:assert/strict";
import { JobScheduler, type SchedulerEvent } from "./scheduler.ts";
import type { JobSpec } from "./types.ts";

function job(name: string, schedule: string, timezone = "UTC"): JobSpec {
  return {
    name,
    source: `tftp://192.0.2.1/${name}.cfg`,
    options: {},
    dest: "{job}.cfg",
    schedule,
    timezone,
    retries: 0,
    retryDelayMs: 5000,
    maxRetryDelayMs: 300000,
    timeoutMs: 120000,
    keep: 0,
    onlyIfChanged: false,
  };
}

function at(time: string): Date {
  return new Date(`2024-01-01T${time}Z`);
}

/** Every pending event, with times as ISO strings (bounded). */
function drain(scheduler: JobScheduler): string[] {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const event: SchedulerEvent | undefined = scheduler.pollEvent();
    if (event === undefined) return out;
    const when = event.scheduled.toISOString().slice(11, 19);
    out.push(
      event.type === "start"
        ? `start ${event.job} ${when} missed=${event.missed}`
        : `skip ${event.job} ${when} ${event.reason}`,
    );
  }
  throw new Error("Too many events");
}

Deno.test("JobScheduler: next run times, early ticks are harmless", () => {
  const s = new JobScheduler(
    [job("a", "*/15 * * * *"), job("b", "@hourly")],
    at("10:20:00"),
    { concurrency: 4 },
  );
  assert.equal(s.pollTimeout()?.toISOString(), "2024-01-01T10:30:00.000Z");
  s.handleTick(at("10:29:59.999"));
  assert.deepEqual(drain(s), []);
  s.handleTick(at("10:30:00"));
  assert.deepEqual(drain(s), ["start a 10:30:00 missed=0"]);
  assert.equal(s.pollTimeout()?.toISOString(), "2024-01-01T10:45:00.000Z");
  s.handleFinished("a", at("10:30:02"));
  s.handleTick(at("10:45:30"));
  assert.deepEqual(drain(s), ["start a 10:45:00 missed=0"]);
  s.handleFinished("a", at("10:45:31"));
  assert.equal(s.pollTimeout()?.toISOString(), "2024-01-01T11:00:00.000Z");
  s.handleTick(at("11:00:00"));
  assert.deepEqual(drain(s), ["start a 11:00:00 missed=0", "start b 11:00:00 missed=0"]);
  assert.deepEqual([...s.running], ["a", "b"]);
});

Deno.test("JobScheduler: a job never overlaps itself", () => {
  const s = new JobScheduler([job("a", "*/15 * * * *")], at("10:00:00"), { concurrency: 4 });
  s.handleTick(at("10:15:00"));
  s.handleTick(at("10:30:00"));
  s.handleTick(at("10:45:00"));
  assert.deepEqual(drain(s), [
    "start a 10:15:00 missed=0",
    "skip a 10:30:00 previous run still going",
    "skip a 10:45:00 previous run still going",
  ]);
  s.handleFinished("a", at("10:50:00"));
  assert.deepEqual(drain(s), []);
  s.handleTick(at("11:00:00"));
  assert.deepEqual(drain(s), ["start a 11:00:00 missed=0"]);
  assert.throws(() => s.handleFinished("b", at("11:00:01")), {
    name: "RangeError",
    message: 'Job "b" is not running',
  });
});

Deno.test("JobScheduler: jobs beyond the limit wait in FIFO order", () => {
  const s = new JobScheduler(
    [job("slow", "0 * * * *"), job("b", "5 * * * *"), job("c", "0 * * * *"), job("d", "2 * * * *")],
    at("09:59:00"),
    { concurrency: 2 },
  );
  s.handleTick(at("10:00:00"));
  assert.deepEqual(drain(s), ["start slow 10:00:00 missed=0", "start c 10:00:00 missed=0"]);
  s.handleTick(at("10:02:00"));
  s.handleTick(at("10:05:00"));
  assert.deepEqual(drain(s), []);
  assert.deepEqual(s.queued, ["d", "b"]);
  s.handleFinished("c", at("10:06:00"));
  assert.deepEqual(drain(s), ["start d 10:02:00 missed=0"]);
  s.handleFinished("d", at("10:07:00"));
  assert.deepEqual(drain(s), ["start b 10:05:00 missed=0"]);
  assert.deepEqual(s.queued, []);
  assert.deepEqual([...s.running].sort(), ["b", "slow"]);
});

Deno.test("JobScheduler: a queued job's newer time replaces the old one and counts as missed", () => {
  const s = new JobScheduler(
    [job("slow", "0 0 * * *"), job("q", "*/15 * * * *")],
    new Date("2023-12-31T23:59:00Z"),
    { concurrency: 1 },
  );
  s.handleTick(at("00:00:00"));
  assert.deepEqual(drain(s), ["start slow 00:00:00 missed=0"]);
  assert.deepEqual(s.queued, ["q"]);
  s.handleTick(at("00:15:00"));
  s.handleTick(at("00:30:00"));
  assert.deepEqual(s.queued, ["q"]);
  s.handleFinished("slow", at("00:31:00"));
  assert.deepEqual(drain(s), ["start q 00:30:00 missed=2"]);
});

Deno.test("JobScheduler: a 3-hour forward jump runs once for the latest time", () => {
  const s = new JobScheduler(
    [job("q", "*/15 * * * *"), job("h", "0 * * * *")],
    at("10:00:00"),
    { concurrency: 4 },
  );
  s.handleTick(at("13:00:10"));
  // q: 10:15 .. 13:00 is 12 times: 11 coalesced, 13:00 itself on time (within the grace).
  assert.deepEqual(drain(s), ["start q 13:00:00 missed=11", "start h 13:00:00 missed=2"]);
  assert.equal(s.pollTimeout()?.toISOString(), "2024-01-01T13:15:00.000Z");
  s.handleFinished("q", at("13:00:20"));
  s.handleFinished("h", at("13:00:20"));
  // Found more than missedGraceMs late, the latest time counts as missed too.
  s.handleTick(at("16:05:00"));
  assert.deepEqual(drain(s), ["start q 16:00:00 missed=12", "start h 16:00:00 missed=3"]);
});

Deno.test("JobScheduler: a daily job found hours late runs once with missed 1", () => {
  const s = new JobScheduler([job("d", "30 2 * * *")], at("01:00:00"), {
    concurrency: 1,
    missedGraceMs: 120_000,
  });
  s.handleTick(at("02:31:59"));
  assert.deepEqual(drain(s), ["start d 02:30:00 missed=0"]);
  s.handleFinished("d", at("02:32:00"));
  s.handleTick(new Date("2024-01-02T09:00:00Z"));
  assert.deepEqual(drain(s), ["start d 02:30:00 missed=1"]);
});

Deno.test("JobScheduler: a backward clock jump repeats no run", () => {
  const s = new JobScheduler([job("q", "*/15 * * * *")], at("10:00:00"), { concurrency: 1 });
  s.handleTick(at("10:15:00"));
  assert.deepEqual(drain(s), ["start q 10:15:00 missed=0"]);
  s.handleFinished("q", at("10:15:05"));
  // The clock goes back an hour: 09:15 .. 10:15 must not run again.
  s.handleTick(at("09:14:00"));
  s.handleTick(at("09:30:00"));
  s.handleTick(at("10:15:00"));
  assert.deepEqual(drain(s), []);
  assert.equal(s.pollTimeout()?.toISOString(), "2024-01-01T10:30:00.000Z");
  s.handleTick(at("10:30:00"));
  assert.deepEqual(drain(s), ["start q 10:30:00 missed=0"]);
});

Deno.test("JobScheduler: stop skips queued runs, lets running ones finish", () => {
  const s = new JobScheduler(
    [job("a", "0 * * * *"), job("b", "0 * * * *"), job("c", "0 * * * *")],
    at("09:00:00"),
    { concurrency: 1 },
  );
  s.handleTick(at("10:00:00"));
  assert.deepEqual(s.queued, ["b", "c"]);
  s.stop();
  s.stop();
  assert.deepEqual(drain(s), [
    "start a 10:00:00 missed=0",
    "skip b 10:00:00 scheduler stopped",
    "skip c 10:00:00 scheduler stopped",
  ]);
  assert.equal(s.pollTimeout(), undefined);
  s.handleFinished("a", at("11:30:00"));
  s.handleTick(at("12:00:00"));
  assert.deepEqual(drain(s), []);
  assert.deepEqual(s.running.size, 0);
});

Deno.test("JobScheduler: a schedule that never fires has no timeout", () => {
  const s = new JobScheduler([job("never", "0 0 30 2 *")], at("00:00:00"), { concurrency: 1 });
  assert.equal(s.pollTimeout(), undefined);
  s.handleTick(new Date("2030-01-01T00:00:00Z"));
  assert.deepEqual(drain(s), []);
});

Deno.test("JobScheduler: bad options throw once, naming the value", () => {
  const now = at("00:00:00");
  assert.throws(() => new JobScheduler([], now, { concurrency: 0 }), {
    name: "RangeError",
    message: "concurrency must be an integer >= 1, got 0",
  });
  assert.throws(() => new JobScheduler([], now, { concurrency: 1, missedGraceMs: -1 }), {
    name: "RangeError",
    message: "missedGraceMs must be a finite number >= 0, got -1",
  });
  assert.throws(
    () => new JobScheduler([job("a", "@daily"), job("a", "@hourly")], now, { concurrency: 1 }),
    {
      name: "TypeError",
      message: 'Job names must be unique, got "a" twice',
    },
  );
  assert.throws(() => new JobScheduler([job("a", "@often")], now, { concurrency: 1 }), {
    name: "RangeError",
  });
});
