// Scheduled fetch jobs against our real TFTP and TCP file servers on 127.0.0.1: one run of a
// job (runJob) with its attempts, the files it leaves, and the exact lines of its log.
//
// Time, jitter and the waits between retries are injected: no test sleeps for a retry.
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveTcpFiles, type TcpFileServer } from "../lib/tcp/server.ts";
import { formatTcpUrl } from "../lib/tcp/url.ts";
import type { TftpHandler } from "../lib/tftp/handler.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { appendJobLog, readJobLog } from "../lib/jobs/log.ts";
import { runJob, type RunJobOptions } from "../lib/jobs/run_job.ts";
import type { JobLogRecord, JobSpec } from "../lib/jobs/types.ts";
import {
  content,
  exists,
  type Fixture,
  openFixture,
  partFiles,
  waitUntil,
  within,
} from "./_fixture.ts";

const T0 = Date.parse("2025-03-30T00:30:00.000Z");
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A TFTP fixture plus a TCP file server on the same root and an output folder. */
interface JobsFixture extends AsyncDisposable {
  fx: Fixture;
  tcp: TcpFileServer;
  /** The jobs file's folder: `dest` and the log are relative to it. */
  out: string;
  logPath: string;
  tftpUrl(name: string): string;
  tcpUrl(name: string): string;
  /** A job with short timeouts and retry delays; `overrides` win. */
  job(overrides: Partial<JobSpec>): JobSpec;
  /** Runs `job` due at `scheduled`, with a clock that ticks 250 ms per reading. */
  run(job: JobSpec, scheduled: number, extra?: Partial<RunJobOptions>): Promise<JobLogRecord>;
  /** The log's text. */
  logText(): Promise<string>;
  /** What `dest` folder holds, sorted (temporary files included). */
  list(folder: string): Promise<string[]>;
}

async function openJobsFixture(
  handler?: TftpHandler,
): Promise<JobsFixture> {
  const fx = await openFixture(handler ? { handler } : {});
  const tcp = serveTcpFiles({ root: fx.root, hostname: "127.0.0.1", port: 0 });
  const out = join(fx.base, "jobs");
  const logPath = join(out, "logs", "jobs.log.jsonl");
  return {
    fx,
    tcp,
    out,
    logPath,
    tftpUrl: (name) => fx.url(name),
    tcpUrl: (name) => formatTcpUrl({ hostname: "127.0.0.1", port: tcp.addr.port, name }),
    job: (overrides) => ({
      name: "sw1",
      source: fx.url("sw1.cfg"),
      options: { blksize: 1468, windowsize: 4 },
      dest: "backups/{job}/{date}_{time}.cfg",
      schedule: "30 * * * *",
      timezone: "UTC",
      retries: 0,
      retryDelayMs: 10,
      maxRetryDelayMs: 100,
      timeoutMs: 5000,
      keep: 0,
      onlyIfChanged: false,
      ...overrides,
    }),
    run(job, scheduled, extra = {}) {
      let t = scheduled;
      return within(
        runJob(job, {
          scheduled: new Date(scheduled),
          baseDir: out,
          logPath,
          now: () => new Date(t += 250),
          sleep: () => Promise.resolve(),
          random: () => 0.5,
          ...extra,
        }),
        20_000,
        `run of ${job.name}`,
      );
    },
    logText: () => Deno.readTextFile(logPath),
    async list(folder) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(join(out, folder))) names.push(entry.name);
      return names.sort();
    },
    async [Symbol.asyncDispose]() {
      try {
        await within(tcp.shutdown(), 5000, "TCP server shutdown");
      } finally {
        await fx[Symbol.asyncDispose]();
      }
    },
  };
}

/** The exact log line of an attempt; `rest` is the JSON after `bytes` (without braces). */
function line(scheduled: number, attempt: number, start: number, bytes: number, rest: string) {
  return `{"type":"attempt","job":"sw1","scheduled":"${iso(scheduled)}","attempt":${attempt},` +
    `"start":"${iso(start)}","end":"${iso(start + 250)}","bytes":${bytes},${rest}}\n`;
}

for (const kind of ["tftp", "tcp"] as const) {
  Deno.test(`${kind}: a run writes the file atomically and logs one exact line`, async () => {
    await using j = await openJobsFixture();
    const body = content(70_000, 1);
    await Deno.writeFile(join(j.fx.root, "sw1.cfg"), body);
    const source = kind === "tftp" ? j.tftpUrl("sw1.cfg") : j.tcpUrl("sw1.cfg");
    const seen: JobLogRecord[] = [];
    const record = await j.run(j.job({ source }), T0, { onAttempt: (r) => seen.push(r) });
    const path = join(j.out, "backups", "sw1", "2025-03-30_003000.cfg");
    const sha = await sha256Hex(body);
    assert.deepEqual(record, {
      type: "attempt",
      job: "sw1",
      scheduled: iso(T0),
      attempt: 1,
      start: iso(T0 + 250),
      end: iso(T0 + 500),
      bytes: 70_000,
      sha256: sha,
      changed: true,
      status: "ok",
      path,
    });
    assert.deepEqual(seen, [record]);
    assert.equal(await sha256Hex(await Deno.readFile(path)), sha);
    assert.deepEqual(await j.list("backups/sw1"), ["2025-03-30_003000.cfg"]);
    assert.equal(
      await j.logText(),
      line(
        T0,
        1,
        T0 + 250,
        70_000,
        `"sha256":"${sha}","changed":true,"status":"ok",` +
          `"path":${JSON.stringify(path)}`,
      ),
    );
  });

  Deno.test(`${kind}: a missing file fails every attempt with the server's error`, async () => {
    await using j = await openJobsFixture();
    const source = kind === "tftp" ? j.tftpUrl("nope.cfg") : j.tcpUrl("nope.cfg");
    const delays: number[] = [];
    const record = await j.run(j.job({ source, retries: 2 }), T0, {
      sleep: (ms) => Promise.resolve(void delays.push(ms)),
    });
    const error = kind === "tftp" ? "TFTP error 1: File not found" : "File not found (NOT_FOUND)";
    assert.equal(record.status, "failed");
    assert.equal(record.error, error);
    assert.deepEqual(delays, [10, 20]);
    const rest = `"status":"failed","error":${JSON.stringify(error)}`;
    assert.equal(
      await j.logText(),
      line(T0, 1, T0 + 250, 0, rest) + line(T0, 2, T0 + 750, 0, rest) +
        line(T0, 3, T0 + 1250, 0, rest),
    );
    assert.equal(await exists(join(j.out, "backups", "sw1")), true);
    assert.deepEqual(await j.list("backups/sw1"), []);
  });
}

Deno.test("server down: a closed TCP port fails at once, a silent TFTP port times out", async () => {
  await using j = await openJobsFixture();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedTcp = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const closedUdp = (udp.addr as Deno.NetAddr).port;
  udp.close();

  const tcpJob = j.job({ source: `tcp://127.0.0.1:${closedTcp}/sw1.cfg`, retries: 2 });
  const tcpRecord = await j.run(tcpJob, T0);
  assert.equal(tcpRecord.attempt, 3);
  assert.equal(tcpRecord.error, "Connection refused (os error 111)");

  const started = performance.now();
  const tftpJob = j.job({
    source: `tftp://127.0.0.1:${closedUdp}/sw1.cfg`,
    retries: 1,
    timeoutMs: 300,
  });
  const tftpRecord = await j.run(tftpJob, T0 + HOUR);
  assert.deepEqual([tftpRecord.attempt, tftpRecord.status], [2, "failed"]);
  assert.equal(tftpRecord.error, "Timed out after 300 ms");
  assert.ok(performance.now() - started < 3000, "two 300 ms attempts took too long");
  const records = await readJobLog(j.logPath);
  assert.deepEqual(records.map((r) => [r.attempt, r.status, r.bytes]), [
    [1, "failed", 0],
    [2, "failed", 0],
    [3, "failed", 0],
    [1, "failed", 0],
    [2, "failed", 0],
  ]);
  assert.deepEqual(await partFiles(join(j.out, "backups", "sw1")), []);
});

Deno.test("onlyIfChanged: unchanged content writes nothing, changed content a new file", async () => {
  await using j = await openJobsFixture();
  const served = join(j.fx.root, "sw1.cfg");
  const v1 = new TextEncoder().encode("hostname sw1\n");
  await Deno.writeFile(served, v1);
  const job = j.job({ onlyIfChanged: true });
  const sha1 = await sha256Hex(v1);

  assert.equal((await j.run(job, T0)).status, "ok");
  const second = await j.run(job, T0 + HOUR);
  assert.deepEqual(
    [second.status, second.changed, second.sha256, second.path],
    ["unchanged", false, sha1, undefined],
  );
  assert.deepEqual(await j.list("backups/sw1"), ["2025-03-30_003000.cfg"]);

  const v2 = new TextEncoder().encode("hostname sw1\nvlan 20\n");
  await Deno.writeFile(served, v2);
  const third = await j.run(job, T0 + 2 * HOUR);
  assert.deepEqual([third.status, third.changed], ["ok", true]);
  assert.deepEqual(await j.list("backups/sw1"), ["2025-03-30_003000.cfg", "2025-03-30_023000.cfg"]);

  // Without onlyIfChanged the same content is written again, marked unchanged.
  const fourth = await j.run({ ...job, onlyIfChanged: false }, T0 + 3 * HOUR);
  assert.deepEqual([fourth.status, fourth.changed], ["ok", false]);

  const log = (await j.logText()).split("\n");
  assert.equal(
    log[1] + "\n",
    line(
      T0 + HOUR,
      1,
      T0 + HOUR + 250,
      13,
      `"sha256":"${sha1}","changed":false,"status":"unchanged"`,
    ),
  );
  assert.equal(log.length, 5);
});

Deno.test("a checksum or size mismatch fails and leaves the previous file intact", async () => {
  await using j = await openJobsFixture();
  const served = join(j.fx.root, "sw1.cfg");
  const good = content(3000, 5);
  const goodSha = await sha256Hex(good);
  await Deno.writeFile(served, good);
  const dest = "backups/sw1.cfg";
  assert.equal((await j.run(j.job({ dest, sha256: goodSha, size: 3000 }), T0)).status, "ok");

  const bad = content(3000, 6);
  const badSha = await sha256Hex(bad);
  await Deno.writeFile(served, bad);
  const shaRecord = await j.run(j.job({ dest, sha256: goodSha }), T0 + HOUR);
  assert.equal(shaRecord.error, `sha-256 ${badSha} differs from the expected ${goodSha}`);
  assert.deepEqual([shaRecord.status, shaRecord.bytes, shaRecord.sha256], ["failed", 3000, badSha]);

  const sizeRecord = await j.run(j.job({ dest, size: 1024 }), T0 + 2 * HOUR);
  assert.equal(sizeRecord.error, "size 3000 differs from the expected 1024");
  assert.equal(
    (await j.logText()).split("\n")[2] + "\n",
    line(
      T0 + 2 * HOUR,
      1,
      T0 + 2 * HOUR + 250,
      3000,
      `"sha256":"${badSha}","status":"failed",` +
        `"error":"size 3000 differs from the expected 1024"`,
    ),
  );

  assert.deepEqual(await Deno.readFile(join(j.out, dest)), good);
  assert.deepEqual(await j.list("backups"), ["sw1.cfg"]);
});

Deno.test("keep 3 over 5 runs: exactly the 3 newest files remain", async () => {
  await using j = await openJobsFixture();
  const served = join(j.fx.root, "sw1.cfg");
  const stray = join(j.out, "backups", "sw1", "2025-03-29_003000.cfg"); // not in the history
  await Deno.mkdir(join(j.out, "backups", "sw1"), { recursive: true });
  await Deno.writeTextFile(stray, "written by hand\n");
  const job = j.job({ keep: 3, source: j.tcpUrl("sw1.cfg") });
  const names = [0, 1, 2, 3, 4].map((i) => `2025-03-30_0${i}3000.cfg`);
  const paths = names.map((n) => join(j.out, "backups", "sw1", n));
  const removed: (readonly string[] | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    await Deno.writeTextFile(served, `version ${i}\n`);
    const record = await j.run(job, T0 + i * HOUR);
    assert.deepEqual([record.status, record.path], ["ok", paths[i]]);
    removed.push(record.removed);
  }
  assert.deepEqual(removed, [undefined, undefined, undefined, [paths[0]], [paths[1]]]);
  assert.deepEqual(await j.list("backups/sw1"), ["2025-03-29_003000.cfg", ...names.slice(2)]);
  for (let i = 2; i < 5; i++) assert.equal(await Deno.readTextFile(paths[i]), `version ${i}\n`);
  assert.ok((await j.logText()).endsWith(
    `"path":${JSON.stringify(paths[4])},` +
      `"removed":[${JSON.stringify(paths[1])}]}\n`,
  ));
});

Deno.test("a fetch slower than timeoutMs fails, leaves no temporary file, then retries", async () => {
  const stall = stallingHandler();
  await using j = await openJobsFixture(stall.handler);
  const record = await j.run(
    j.job({ source: j.tftpUrl("big.bin"), timeoutMs: 400, retries: 1 }),
    T0,
  );
  assert.deepEqual([record.attempt, record.status, record.error], [
    2,
    "failed",
    "Timed out after 400 ms",
  ]);
  assert.equal(record.bytes, 44 * 1468); // full blocks of the 64 KiB; the rest waits for more
  assert.deepEqual(await j.list("backups/sw1"), []);
  assert.equal(stall.requests(), 2);
});

Deno.test("aborting during a fetch stops the run: no temporary file, no destination", async () => {
  const stall = stallingHandler();
  await using j = await openJobsFixture(stall.handler);
  const controller = new AbortController();
  const folder = join(j.out, "backups", "sw1");
  const running = j.run(j.job({ source: j.tftpUrl("big.bin"), retries: 3 }), T0, {
    signal: controller.signal,
  });
  await waitUntil(() => stall.sent() > 0, 5000, "the first bytes");
  await waitUntil(
    () => {
      try {
        return [...Deno.readDirSync(folder)].some((e) => e.name.endsWith(".part"));
      } catch {
        return false;
      }
    },
    5000,
    "the temporary file",
  );
  controller.abort();
  const record = await running;
  assert.deepEqual([record.attempt, record.status, record.error], [1, "failed", "Aborted"]);
  assert.deepEqual(await j.list("backups/sw1"), []);
  assert.equal(stall.requests(), 1);
  assert.equal((await readJobLog(j.logPath)).length, 1);
});

Deno.test("aborting while waiting to retry logs a skipped attempt and starts no other", async () => {
  await using j = await openJobsFixture();
  const controller = new AbortController();
  const record = await j.run(j.job({ source: j.tftpUrl("nope.cfg"), retries: 3 }), T0, {
    signal: controller.signal,
    sleep: () => Promise.resolve(controller.abort()),
  });
  assert.equal(record.error, "Aborted before attempt 2 of 4");
  assert.equal(
    (await j.logText()).split("\n")[1] + "\n",
    `{"type":"attempt","job":"sw1","scheduled":"${iso(T0)}","attempt":2,` +
      `"start":"${iso(T0 + 750)}","end":"${iso(T0 + 750)}","bytes":0,"status":"skipped",` +
      `"error":"Aborted before attempt 2 of 4"}\n`,
  );
  const log = await readJobLog(j.logPath);
  assert.deepEqual(log.map((r) => [r.attempt, r.status]), [[1, "failed"], [2, "skipped"]]);
});

Deno.test("appendJobLog creates the folder and survives a torn last line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobs_log_" });
  try {
    const path = join(dir, "a", "b", "jobs.log.jsonl");
    const at = iso(T0);
    const record: JobLogRecord = {
      type: "attempt",
      job: "sw1",
      scheduled: at,
      attempt: 1,
      start: at,
      end: at,
      bytes: 0,
      status: "failed",
      error: "x",
    };
    assert.deepEqual(await readJobLog(path), []);
    await appendJobLog(path, record);
    await Deno.writeTextFile(path, '{"type":"attempt","job":"sw', { append: true }); // a crash
    await appendJobLog(path, { ...record, attempt: 2 });
    const skipped: unknown[] = [];
    const records = await readJobLog(path, { onSkip: (s) => skipped.push(s) });
    assert.deepEqual(records.map((r) => r.attempt), [1, 2]);
    assert.deepEqual(skipped, [{ line: 2, reason: "not JSON (a torn or damaged line)" }]);
    assert.equal((await Deno.readTextFile(path)).split("\n").length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A TFTP handler serving `big.bin` as a stream that sends 64 KiB and then stalls until the
 * server cancels it; counts requests and bytes handed out.
 */
function stallingHandler() {
  let requests = 0;
  let sent = 0;
  return {
    requests: () => requests,
    sent: () => sent,
    handler: ((request) => {
      if (request.filename !== "big.bin") return undefined;
      requests++;
      let pulled = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled) return new Promise<void>(() => {}); // stalls; cancel ends it
          pulled = true;
          sent += 65_536;
          controller.enqueue(content(65_536, 9));
          return Promise.resolve();
        },
      }, { highWaterMark: 0 });
      return { body };
    }) as TftpHandler,
  };
}
