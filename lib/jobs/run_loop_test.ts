import assert from "node:assert/strict";
import { runScheduler } from "./run_loop.ts";
import type { SchedulerEvent } from "./scheduler.ts";
import type { JobsConfig, JobSpec } from "./types.ts";

function job(name: string, schedule: string): JobSpec {
  return {
    name,
    source: `tftp://192.0.2.1/${name}.cfg`,
    options: {},
    dest: "{job}.cfg",
    schedule,
    timezone: "UTC",
    retries: 0,
    retryDelayMs: 5000,
    maxRetryDelayMs: 300000,
    timeoutMs: 120000,
    keep: 0,
    onlyIfChanged: false,
  };
}

function config(jobs: JobSpec[], concurrency = 4): JobsConfig {
  return { concurrency, log: "/tmp/unused.jsonl", baseDir: "/tmp", jobs };
}

/** A fake clock whose sleep returns at once, moving the clock; bounded to 1000 sleeps. */
function fakeClock(start: string) {
  let ms = Date.parse(start);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(ms),
    advance: (by: number) => {
      ms += by;
    },
    sleep: (by: number): Promise<void> => {
      sleeps.push(by);
      if (sleeps.length > 1000) throw new Error("Too many sleeps");
      ms += by;
      return Promise.resolve();
    },
  };
}

function show(event: SchedulerEvent): string {
  const when = event.scheduled.toISOString().slice(11, 19);
  return event.type === "start"
    ? `start ${event.job} ${when} missed=${event.missed}`
    : `skip ${event.job} ${when} ${event.reason}`;
}

Deno.test("runScheduler: runs jobs at their times with one capped timer at a time", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  const stop = new AbortController();
  const calls: string[] = [];
  await runScheduler(config([job("a", "*/15 * * * *"), job("b", "2 * * * *")]), {
    now: clock.now,
    sleep: clock.sleep,
    signal: stop.signal,
    maxSleepMs: 600_000,
    runJob: (spec, scheduled, signal) => {
      calls.push(`${spec.name} ${scheduled.toISOString()} ${clock.now().toISOString()}`);
      assert.equal(signal.aborted, false);
      clock.advance(1000);
      if (calls.length === 3) stop.abort();
      return Promise.resolve();
    },
  });
  assert.deepEqual(calls, [
    "b 2024-01-01T10:02:00.000Z 2024-01-01T10:02:00.000Z",
    "a 2024-01-01T10:15:00.000Z 2024-01-01T10:15:00.000Z",
    "a 2024-01-01T10:30:00.000Z 2024-01-01T10:30:00.000Z",
  ]);
  // 10:00 -> 10:02, then 10:02:01 -> 10:12:01 (capped), -> 10:15, 10:15:01 -> 10:25:01, -> 10:30;
  // the stop came while the last run was still in flight: one grace wait (30 s default).
  assert.deepEqual(clock.sleeps, [120_000, 600_000, 179_000, 600_000, 299_000, 30_000]);
});

Deno.test("runScheduler: a clock jump during a wait coalesces; overlaps are skipped", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  const stop = new AbortController();
  const events: string[] = [];
  let release = () => {};
  await runScheduler(config([job("a", "*/15 * * * *")]), {
    now: clock.now,
    sleep: (ms) => {
      if (clock.sleeps.length === 0) clock.advance(3 * 3600_000); // suspended for 3 hours
      return clock.sleep(ms);
    },
    signal: stop.signal,
    onEvent: (event) => {
      events.push(show(event));
      if (event.type === "skip") release();
    },
    runJob: (_spec, _scheduled, signal) => {
      if (events.length === 3) stop.abort();
      return new Promise<void>((resolve) => {
        release = resolve;
        signal.addEventListener("abort", () => resolve());
      });
    },
  });
  assert.deepEqual(events, [
    // Woken at 13:01 (3 h jump + one 60 s capped wait): 10:15..12:45 coalesced, 13:00 on time.
    "start a 13:00:00 missed=11",
    "skip a 13:15:00 previous run still going",
    "start a 13:30:00 missed=0",
  ]);
});

Deno.test("runScheduler: on stop, runs that end within the grace are not aborted", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  const stop = new AbortController();
  const graceWaits: AbortSignal[] = [];
  let finish = () => {};
  let runSignal: AbortSignal | undefined;
  const events: string[] = [];
  await runScheduler(config([job("a", "0 * * * *"), job("b", "0 * * * *")], 1), {
    now: clock.now,
    signal: stop.signal,
    graceMs: 5000,
    onEvent: (event) => events.push(show(event)),
    sleep: (ms, signal) => {
      if (!stop.signal.aborted) return clock.sleep(ms);
      graceWaits.push(signal);
      assert.equal(ms, 5000);
      finish();
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
    },
    runJob: (_spec, _scheduled, signal) => {
      runSignal = signal;
      stop.abort();
      return new Promise<void>((resolve) => finish = resolve);
    },
  });
  assert.deepEqual(events, ["start a 11:00:00 missed=0", "skip b 11:00:00 scheduler stopped"]);
  assert.equal(runSignal?.aborted, false);
  assert.equal(graceWaits.length, 1);
  assert.equal(graceWaits[0].aborted, true); // the grace wait was cancelled
});

Deno.test("runScheduler: runs still going after the grace are aborted and awaited", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  const stop = new AbortController();
  const order: string[] = [];
  await runScheduler(config([job("a", "0 * * * *"), job("b", "0 * * * *")]), {
    now: clock.now,
    sleep: (ms) => {
      if (stop.signal.aborted) order.push(`grace ${ms}`);
      return clock.sleep(ms);
    },
    signal: stop.signal,
    runJob: (spec, _scheduled, signal) => {
      order.push(`run ${spec.name}`);
      if (spec.name === "b") stop.abort();
      return new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => {
          order.push(`aborted ${spec.name}`);
          queueMicrotask(resolve);
        })
      );
    },
  });
  assert.deepEqual(order, ["run a", "run b", "grace 30000", "aborted a", "aborted b"]);
});

Deno.test("runScheduler: a throwing runJob stops the scheduler, then rejects", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  const calls: string[] = [];
  await assert.rejects(
    runScheduler(config([job("a", "*/15 * * * *")]), {
      now: clock.now,
      sleep: clock.sleep,
      runJob: (spec) => {
        calls.push(spec.name);
        return Promise.reject(new Error("Boom"));
      },
    }),
    { message: "Boom" },
  );
  assert.deepEqual(calls, ["a"]);
});

Deno.test("runScheduler: an already aborted signal returns at once; bad options throw", async () => {
  const clock = fakeClock("2024-01-01T10:00:00Z");
  await runScheduler(config([job("a", "@hourly")]), {
    now: clock.now,
    sleep: clock.sleep,
    signal: AbortSignal.abort(),
    runJob: () => Promise.reject(new Error("Must not run")),
  });
  assert.deepEqual(clock.sleeps, []);
  await assert.rejects(
    runScheduler(config([]), { runJob: () => Promise.resolve(), graceMs: -1 }),
    { name: "RangeError", message: "graceMs must be a finite number >= 0, got -1" },
  );
});

Deno.test("runScheduler: the real timer wakes on the stop signal", async () => {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 20);
  try {
    await runScheduler(config([job("a", "@yearly")]), {
      signal: stop.signal,
      runJob: () => Promise.reject(new Error("Must not run")),
    });
  } finally {
    clearTimeout(timer);
  }
  assert.equal(stop.signal.aborted, true);
});
