import assert from "node:assert/strict";
import { type CheckContext, type ConformanceCheck, defineCheck, type Liveness } from "./check.ts";
import {
  type CheckContextHandle,
  type ContextFactoryOptions,
  runConformance,
  type RunOptions,
} from "./runner.ts";
import { summarize } from "./summary.ts";

const SERVER = { hostname: "127.0.0.1", port: 6969 };
const URL = "tftp://127.0.0.1:6969/";

/** A fake context factory: counts contexts, records their options, scripts liveness. */
class FakeContexts {
  made: ContextFactoryOptions[] = [];
  disposed = 0;
  livenessCalls = 0;
  /** The answer of each liveness call, in order; `alive` once they run out. */
  liveness: (Liveness | Error)[] = [];

  factory = (options: ContextFactoryOptions): CheckContextHandle => {
    this.made.push(options);
    const ctx: Partial<CheckContext> & AsyncDisposable = {
      signal: options.signal,
      log: options.log,
      ms: (base: number) => base * options.timeoutScale,
      liveness: () => {
        const next = this.liveness[this.livenessCalls++] ?? { alive: true, detail: "ok" };
        options.log("fetched 512-byte.bin");
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      [Symbol.asyncDispose]: () => {
        this.disposed++;
        return Promise.resolve();
      },
    };
    return ctx as CheckContextHandle;
  };
}

function check(
  id: string,
  run: ConformanceCheck["run"],
  extra: Partial<ConformanceCheck> = {},
): ConformanceCheck {
  return defineCheck({
    id,
    title: `Title of ${id}`,
    rfc: "RFC 1350",
    level: "must",
    run,
    ...extra,
  });
}

/** A clock that advances 10 ms on each reading, from 2024-01-01T00:00:00Z. */
function fakeClock(): () => number {
  let t = Date.UTC(2024, 0, 1) - 10;
  return () => (t += 10);
}

function options(fake: FakeContexts, more: Partial<RunOptions> = {}): RunOptions {
  return { server: SERVER, url: URL, contextFactory: fake.factory, now: fakeClock(), ...more };
}

Deno.test("runner: checks run in order, one context each plus one per liveness request", async () => {
  const fake = new FakeContexts();
  const order: string[] = [];
  const seen: string[] = [];
  const checks = [
    check("first", (ctx) => {
      order.push("first");
      ctx.log("hello");
      return Promise.resolve({
        status: "pass",
        detail: "fine",
        measured: { blocks: 1, intervals: [1, 2] },
      });
    }),
    check("second", () => {
      order.push("second");
      return Promise.resolve({ status: "warn", detail: "meh" });
    }, { level: "should", rfc: "RFC 2348" }),
  ];
  const report = await runConformance(
    checks,
    options(fake, { timeoutScale: 2, onResult: (r) => seen.push(`${r.id}:${r.status}`) }),
  );
  assert.deepEqual(order, ["first", "second"]);
  assert.deepEqual(seen, ["first:pass", "second:warn"]);
  // clock readings: start 0, first 10..20 (ms 10), second 30..40 (ms 10), end 50.
  assert.deepEqual(report, {
    server: URL,
    started: "2024-01-01T00:00:00.000Z",
    durationMs: 50,
    checks: [
      {
        id: "first",
        title: "Title of first",
        rfc: "RFC 1350",
        level: "must",
        status: "pass",
        detail: "fine",
        measured: { blocks: 1, intervals: [1, 2] },
        ms: 10,
        log: ["hello"],
      },
      {
        id: "second",
        title: "Title of second",
        rfc: "RFC 2348",
        level: "should",
        status: "warn",
        detail: "meh",
        ms: 10,
      },
    ],
  });
  assert.equal(fake.made.length, 4);
  assert.equal(fake.disposed, 4);
  assert.equal(fake.livenessCalls, 2);
  for (const made of fake.made) {
    assert.deepEqual(made.server, SERVER);
    assert.equal(made.writable, false);
    assert.equal(made.timeoutScale, 2);
    assert.equal(made.signal.aborted, false);
  }
});

Deno.test("runner: only and skip select; unknown ids and duplicates are refused", async () => {
  const pass = () => Promise.resolve({ status: "pass" as const, detail: "" });
  const checks = ["a", "b", "c", "d"].map((id) => check(id, pass));
  const ids = async (more: Partial<RunOptions>) =>
    (await runConformance(checks, options(new FakeContexts(), more))).checks.map((c) => c.id);
  assert.deepEqual(await ids({}), ["a", "b", "c", "d"]);
  assert.deepEqual(await ids({ only: ["d", "b"] }), ["b", "d"]);
  assert.deepEqual(await ids({ skip: ["a", "c"] }), ["b", "d"]);
  assert.deepEqual(await ids({ only: ["a", "b"], skip: ["a"] }), ["b"]);
  assert.deepEqual(await ids({ only: [] }), []);
  await assert.rejects(ids({ only: ["a", "zz"] }), {
    name: "RangeError",
    message: 'Unknown check id "zz"; known ids: a, b, c, d',
  });
  await assert.rejects(ids({ skip: ["x", "y", "x"] }), {
    name: "RangeError",
    message: 'Unknown check ids "x", "y"; known ids: a, b, c, d',
  });
  await assert.rejects(runConformance([checks[0], checks[0]], options(new FakeContexts())), {
    name: "TypeError",
    message: 'Check id "a" is used by two checks',
  });
});

Deno.test("runner: a writable check is skipped without writable, and runs with it", async () => {
  let runs = 0;
  const upload = check("wrq-basic", () => {
    runs++;
    return Promise.resolve({ status: "pass", detail: "uploaded" });
  }, { writable: true });
  const fake = new FakeContexts();
  const skipped = await runConformance([upload], options(fake));
  assert.deepEqual(skipped.checks, [{
    id: "wrq-basic",
    title: "Title of wrq-basic",
    rfc: "RFC 1350",
    level: "must",
    status: "skip",
    detail: "needs --writable",
    ms: 0,
  }]);
  assert.equal(runs, 0);
  assert.equal(fake.made.length, 0, "no context and no liveness request for a skipped check");

  const fake2 = new FakeContexts();
  const ran = await runConformance([upload], options(fake2, { writable: true }));
  assert.equal(ran.checks[0].status, "pass");
  assert.equal(runs, 1);
  assert.deepEqual(fake2.made.map((made) => made.writable), [true, true]);
});

Deno.test("runner: throwing checks and invalid outcomes fail with a clear detail", async () => {
  const bad = (id: string, value: unknown) => check(id, () => Promise.resolve(value as never));
  const checks = [
    check("throws", () => Promise.reject(new TypeError("x is not a function"))),
    check("throws-sync", () => {
      throw "plain string";
    }),
    bad("not-object", 42),
    bad("null", null),
    bad("bad-status", { status: "PASS", detail: "ok" }),
    bad("no-detail", { status: "pass" }),
    bad("bigint-measured", { status: "pass", detail: "", measured: { n: 1n } }),
    bad("array-measured", { status: "pass", detail: "", measured: [1] }),
    bad("own-skip", { status: "skip", detail: "server does not support windowsize" }),
  ];
  const fake = new FakeContexts();
  const report = await runConformance(checks, options(fake));
  const prefix = "the check returned an invalid outcome: ";
  assert.deepEqual(report.checks.map((c) => [c.id, c.status, c.detail]), [
    ["throws", "fail", "x is not a function"],
    ["throws-sync", "fail", "plain string"],
    ["not-object", "fail", `${prefix}expected an object, got number`],
    ["null", "fail", `${prefix}expected an object, got null`],
    ["bad-status", "fail", `${prefix}status must be one of pass, fail, warn, skip, got "PASS"`],
    ["no-detail", "fail", `${prefix}detail must be a string, got undefined`],
    [
      "bigint-measured",
      "fail",
      `${prefix}measured is not plain JSON (Do not know how to serialize a BigInt)`,
    ],
    ["array-measured", "fail", `${prefix}measured must be an object`],
    ["own-skip", "skip", "server does not support windowsize"],
  ]);
  assert.equal(fake.livenessCalls, checks.length, "liveness after every check that ran");
  assert.equal(fake.disposed, fake.made.length);
});

Deno.test("runner: the time limit aborts the check's signal and fails it", async () => {
  let aborted: unknown;
  const slow = check("slow", (ctx) =>
    new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        aborted = ctx.signal.reason;
        reject(ctx.signal.reason);
      });
    }), { limitMs: 20 });
  const after = check("after", () => Promise.resolve({ status: "pass", detail: "still runs" }));
  const fake = new FakeContexts();
  const started = performance.now();
  const report = await runConformance([slow, after], options(fake, { timeoutScale: 1.5 }));
  const elapsed = performance.now() - started;
  assert.deepEqual(report.checks.map((c) => [c.id, c.status, c.detail]), [
    ["slow", "fail", "did not finish within 30 ms"],
    ["after", "pass", "still runs"],
  ]);
  assert.ok(aborted instanceof Error && aborted.message === "Time limit of 30 ms passed");
  assert.ok(elapsed >= 25 && elapsed < 900, `took ${elapsed} ms`);
  assert.equal(fake.disposed, fake.made.length);
});

Deno.test("runner: a check that ignores its signal is given up after one second", async () => {
  const stuck = check("stuck", () => new Promise(() => {}), { limitMs: 10 });
  const fake = new FakeContexts();
  const started = performance.now();
  const report = await runConformance([stuck], options(fake));
  const elapsed = performance.now() - started;
  assert.equal(report.checks[0].detail, "did not finish within 10 ms");
  assert.ok(elapsed >= 1000 && elapsed < 3000, `took ${elapsed} ms`);
  assert.equal(fake.disposed, 2);
});

Deno.test("runner: a failed liveness request fails the check and marks serverDown", async () => {
  const pass = (id: string) => check(id, () => Promise.resolve({ status: "pass", detail: "ok" }));
  const fake = new FakeContexts();
  fake.liveness = [
    { alive: true, detail: "fine" },
    { alive: false, detail: "no DATA 1 within 2000 ms" },
    new Error("socket closed"),
    { alive: true, detail: "back" },
  ];
  const checks = [
    pass("one"),
    pass("two"),
    check("three", () => Promise.resolve({ status: "fail", detail: "" })),
    pass("four"),
  ];
  const report = await runConformance(checks, options(fake));
  assert.deepEqual(report.checks.map((c) => [c.id, c.status, c.detail, c.serverDown, c.log]), [
    ["one", "pass", "ok", undefined, undefined],
    [
      "two",
      "fail",
      "ok; the server stopped answering after this check: no DATA 1 within 2000 ms",
      true,
      ["liveness: fetched 512-byte.bin"],
    ],
    [
      "three",
      "fail",
      "the server was still not answering after this check: the liveness request failed: " +
      "socket closed",
      true,
      ["liveness: fetched 512-byte.bin"],
    ],
    [
      "four",
      "fail",
      "not run: the server stopped answering (no liveness answer after the last 2 checks)",
      true,
      undefined,
    ],
  ]);
  assert.deepEqual(summarize(report).serverDown, ["two", "three", "four"]);
  assert.equal(fake.livenessCalls, 3, "no liveness request once the server is taken for down");
});

Deno.test("runner: one liveness failure, then an answer: the run goes on", async () => {
  const pass = (id: string) => check(id, () => Promise.resolve({ status: "pass", detail: "ok" }));
  const fake = new FakeContexts();
  fake.liveness = [
    { alive: false, detail: "no DATA 1 within 2000 ms" },
    { alive: true, detail: "back" },
    { alive: false, detail: "no DATA 1 within 2000 ms" },
  ];
  const checks = [pass("one"), pass("two"), pass("three"), pass("four")];
  const report = await runConformance(checks, options(fake));
  assert.deepEqual(report.checks.map((c) => [c.id, c.status, c.serverDown]), [
    ["one", "fail", true],
    ["two", "pass", undefined],
    ["three", "fail", true],
    ["four", "pass", undefined],
  ]);
  assert.equal(fake.livenessCalls, 4);
});

Deno.test("runner: a context that cannot be made fails the check", async () => {
  const fake = new FakeContexts();
  let calls = 0;
  const factory = (o: ContextFactoryOptions) => {
    if (calls++ === 0) throw new Error("no route to host");
    return fake.factory(o);
  };
  const report = await runConformance(
    [check("a", () => Promise.resolve({ status: "pass", detail: "" }))],
    options(fake, { contextFactory: factory }),
  );
  assert.equal(report.checks[0].status, "fail");
  assert.equal(report.checks[0].detail, "Cannot create the context: no route to host");
});

Deno.test("runner: aborting the signal stops the run and rejects with its reason", async () => {
  const controller = new AbortController();
  const reason = new Error("Interrupted by SIGINT");
  let secondRan = false;
  const checks = [
    check("first", (ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        controller.abort(reason);
      })),
    check("second", () => {
      secondRan = true;
      return Promise.resolve({ status: "pass", detail: "" });
    }),
  ];
  const fake = new FakeContexts();
  await assert.rejects(
    runConformance(checks, options(fake, { signal: controller.signal })),
    reason,
  );
  assert.equal(secondRan, false);
  assert.equal(fake.disposed, fake.made.length);
  assert.equal(fake.made.length, 1);
  await assert.rejects(
    runConformance(checks, options(fake, { signal: controller.signal })),
    reason,
  );
});

Deno.test("runner: bad options are refused before anything runs", async () => {
  const fake = new FakeContexts();
  const checks = [check("a", () => Promise.resolve({ status: "pass", detail: "" }))];
  await assert.rejects(runConformance(checks, options(fake, { timeoutScale: 0 })), {
    name: "RangeError",
    message: "timeoutScale must be a positive number, got 0",
  });
  await assert.rejects(
    runConformance(checks, options(fake, { server: { hostname: "h", port: 0 } })),
    { name: "RangeError", message: "server.port must be from 1 to 65535, got 0" },
  );
  await assert.rejects(
    runConformance(checks, options(fake, { server: { hostname: "", port: 69 } })),
    { name: "TypeError", message: "server.hostname must be a non-empty string" },
  );
  assert.equal(fake.made.length, 0);
});
