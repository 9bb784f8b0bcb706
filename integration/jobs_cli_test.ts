// The jobs command line (scripts/jobs.ts) as users run it: `once`, `check`, `status` and
// `run` as child processes, fetching from our TFTP server and TCP file server on 127.0.0.1.
// Run with: deno test --allow-all integration/jobs_cli_test.ts
//
// Every process has a time limit and is killed by its PID when the test ends; every wait has
// a deadline.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Cron } from "croner";
import { OPCODE, serveTcpFiles, serveTftp } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { content, exists, partFiles, RawPeer, within } from "./_fixture.ts";
import { runScript, ScriptProcess, type ScriptResult } from "./_script_process.ts";

const LIMIT_MS = 30_000;
const WAIT_MS = 10_000;

/** Runs `jobs.ts` to its end in `cwd`. */
function jobs(args: string[], cwd: string): Promise<ScriptResult> {
  return runScript("jobs.ts", args, { cwd, limitMs: LIMIT_MS });
}

/** Both servers over a temporary `root/`, and a `work/` folder for the jobs file and backups. */
async function servers() {
  const base = await Deno.makeTempDir({ prefix: "jobs_cli_" });
  const root = join(base, "root");
  const work = join(base, "work");
  await Deno.mkdir(root);
  await Deno.mkdir(work);
  const tftp = serveTftp({ root, hostname: "127.0.0.1", port: 0 });
  const tcp = serveTcpFiles({ root, hostname: "127.0.0.1", port: 0 });
  return {
    root,
    work,
    tftpPort: tftp.addr.port,
    tftpUrl: (name: string) => `tftp://127.0.0.1:${tftp.addr.port}/${name}`,
    tcpUrl: (name: string) => `tcp://127.0.0.1:${tcp.addr.port}/${name}`,
    /** Writes `jobs.jsonc` in `work/` and returns its path. */
    async jobsFile(text: string): Promise<string> {
      const path = join(work, "jobs.jsonc");
      await Deno.writeTextFile(path, text);
      return path;
    },
    async [Symbol.asyncDispose]() {
      try {
        await within(Promise.all([tftp.shutdown(), tcp.shutdown()]), 5000, "server shutdown");
      } finally {
        await Deno.remove(base, { recursive: true });
      }
    },
  };
}

/** The files under `dir`, relative, sorted. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  if (!(await exists(dir))) return names;
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (entry.isDirectory) names.push(...await listFiles(join(dir, entry.name), `${path}/`));
    else names.push(path);
  }
  return names.sort();
}

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`;
const FILE_TIME = String.raw`\d{4}-\d\d-\d\d_\d{6}`;

Deno.test("jobs CLI: once fetches over TFTP and TCP, then unchanged, then status", async () => {
  await using s = await servers();
  const config = await s.jobsFile(`{
    // Two devices, one over each protocol.
    "log": "jobs.log.jsonl",
    "jobs": [
      { "name": "sw1", "source": "${
    s.tftpUrl("sw1.cfg")
  }", "dest": "backups/{job}/{date}_{time}.cfg",
        "schedule": "30 2 * * *", "retries": 0, "onlyIfChanged": true },
      { "name": "fw", "source": "${s.tcpUrl("fw.bin")}", "dest": "backups/{job}/{date}_{time}.bin",
        "schedule": "@daily", "retries": 0, "onlyIfChanged": true },
      { "name": "later", "source": "${s.tftpUrl("later.cfg")}", "dest": "later.cfg",
        "schedule": "@hourly" },
    ],
  }`);
  const cfg = content(3000, 1);
  const fw = content(200_000, 2);
  await Deno.writeFile(join(s.root, "sw1.cfg"), cfg);
  await Deno.writeFile(join(s.root, "fw.bin"), fw);

  const first = await jobs(["once", config, "sw1", "fw"], s.work);
  assert.equal(first.stderr, "");
  assert.equal(first.code, 0);
  const lines = first.stdout.split("\n");
  assert.equal(lines.length, 3, first.stdout);
  assert.equal(lines[2], "");
  const cfgSha = await sha256Hex(cfg);
  const fwSha = await sha256Hex(fw);
  const written = await listFiles(join(s.work, "backups"));
  assert.equal(written.length, 2, written.join());
  assert.match(written[0], new RegExp(`^fw/${FILE_TIME}\\.bin$`));
  assert.match(written[1], new RegExp(`^sw1/${FILE_TIME}\\.cfg$`));
  assert.equal(await sha256Hex(await Deno.readFile(join(s.work, "backups", written[0]))), fwSha);
  assert.equal(await sha256Hex(await Deno.readFile(join(s.work, "backups", written[1]))), cfgSha);
  const path = (name: string) => join(s.work, "backups", name).replace(/[.]/g, "[.]");
  const fwLine = lines.find((line) => line.includes(" fw ")) ?? "";
  const swLine = lines.find((line) => line.includes(" sw1 ")) ?? "";
  assert.match(
    fwLine,
    new RegExp(
      `^${TIME} fw ok \\(attempt 1\\): 200000 B sha256 ${fwSha.slice(0, 12)}, changed, ` +
        `wrote ${path(written[0])}$`,
    ),
  );
  assert.match(
    swLine,
    new RegExp(
      `^${TIME} sw1 ok \\(attempt 1\\): 3000 B sha256 ${cfgSha.slice(0, 12)}, changed, ` +
        `wrote ${path(written[1])}$`,
    ),
  );

  // The same content again: unchanged, nothing written; JSON lines this time.
  const second = await jobs(["once", config, "sw1", "--json"], s.work);
  assert.deepEqual([second.code, second.stderr], [0, ""]);
  const record = JSON.parse(second.stdout);
  assert.equal(second.stdout.split("\n").length, 2);
  assert.deepEqual(
    { ...record, scheduled: 0, start: 0, end: 0 },
    {
      type: "attempt",
      job: "sw1",
      scheduled: 0,
      attempt: 1,
      start: 0,
      end: 0,
      bytes: 3000,
      sha256: cfgSha,
      changed: false,
      status: "unchanged",
    },
  );
  assert.deepEqual(await listFiles(join(s.work, "backups")), written);

  // status: the last result of each job, "never run" for the third.
  const status = await jobs(["status", config], s.work);
  assert.deepEqual([status.code, status.stderr], [0, ""]);
  const statusLines = status.stdout.split("\n");
  assert.equal(statusLines.length, 4, status.stdout);
  assert.match(
    statusLines[0],
    new RegExp(
      `^${TIME} sw1 unchanged \\(attempt 1\\): 3000 B sha256 ${
        cfgSha.slice(0, 12)
      }, unchanged, not written$`,
    ),
  );
  assert.match(statusLines[1], new RegExp(`^${TIME} fw ok \\(attempt 1\\): 200000 B `));
  assert.equal(statusLines[2], "later never run");
  const statusJson = await jobs(["status", config, "--json"], s.work);
  assert.deepEqual([statusJson.code, statusJson.stderr], [0, ""]);
  const objects = statusJson.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(objects.map((o) => [o.job, o.status, o.last?.sha256 ?? null]), [
    ["sw1", "unchanged", cfgSha],
    ["fw", "ok", fwSha],
    ["later", "never", null],
  ]);
});

Deno.test("jobs CLI: a missing file fails once (exit 1) and status (exit 1)", async () => {
  await using s = await servers();
  const config = await s.jobsFile(JSON.stringify({
    log: "log/jobs.jsonl",
    jobs: [
      {
        name: "gone",
        source: s.tftpUrl("gone.cfg"),
        dest: "gone.cfg",
        schedule: "@daily",
        retries: 0,
      },
      {
        name: "gone-tcp",
        source: s.tcpUrl("gone.bin"),
        dest: "gone.bin",
        schedule: "@daily",
        retries: 0,
      },
    ],
  }));
  const result = await jobs(["once", config], s.work);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, "error: 2 of 2 jobs failed: gone, gone-tcp\n");
  const lines = result.stdout.trimEnd().split("\n").sort();
  assert.equal(lines.length, 2, result.stdout);
  assert.match(lines[0], new RegExp(`^${TIME} gone failed \\(attempt 1\\): .*not found`, "i"));
  assert.match(lines[1], new RegExp(`^${TIME} gone-tcp failed \\(attempt 1\\): .*not found`, "i"));
  assert.equal(await exists(join(s.work, "gone.cfg")), false);
  assert.equal(await exists(join(s.work, "gone.bin")), false);
  assert.deepEqual(await partFiles(s.work), []);

  const status = await jobs(["status", config], s.work);
  assert.equal(status.code, 1);
  assert.equal(status.stderr, "error: the last run of 2 jobs failed: gone, gone-tcp\n");
  assert.deepEqual(status.stdout.trimEnd().split("\n").sort(), lines);
});

/** The next `count` runs of `schedule` in `timezone` after `at`, as `check` prints them. */
function expectedRuns(schedule: string, timezone: string, at: Date, count: number): string {
  const cron = new Cron(schedule, { timezone, paused: true });
  return cron.nextRuns(count, at).map((date) => {
    const local = new Date(date.getTime() + 540 * 60_000).toISOString().slice(0, 19);
    return `  ${local}+09:00\n`;
  }).join("");
}

Deno.test("jobs CLI: check prints the next run times; a bad file exits 2", async () => {
  await using s = await servers();
  const config = await s.jobsFile(JSON.stringify({
    jobs: [{
      name: "daily",
      source: s.tftpUrl("x.cfg"),
      dest: "x.cfg",
      schedule: "@daily",
      timezone: "Asia/Tokyo",
    }],
  }));
  const before = new Date();
  const result = await jobs(["check", config, "--count", "4"], s.work);
  const after = new Date();
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  const heading = `${config}: 1 job, concurrency 4, log ${join(s.work, "jobs.log.jsonl")}\n` +
    `daily "@daily" Asia/Tokyo\n`;
  // A midnight in Tokyo may pass while the child runs: either answer is right.
  assert.ok(
    [before, after].some((at) =>
      result.stdout === heading + expectedRuns("@daily", "Asia/Tokyo", at, 4)
    ),
    result.stdout,
  );

  const json = await jobs(["check", config, "--json"], s.work);
  assert.deepEqual([json.code, json.stderr], [0, ""]);
  const object = JSON.parse(json.stdout);
  assert.deepEqual(Object.keys(object), ["job", "schedule", "timezone", "next", "nextUtc"]);
  assert.equal(object.next.length, 3);
  assert.ok(object.next.every((t: string) => /^\d{4}-\d\d-\d\dT00:00:00\+09:00$/.test(t)));
  assert.ok(object.nextUtc.every((t: string) => /^\d{4}-\d\d-\d\dT15:00:00\.000Z$/.test(t)));

  // An invalid job: exit 2, one line naming the job and the field, no usage hint.
  await s.jobsFile(JSON.stringify({
    jobs: [{ name: "bad", source: s.tftpUrl("x"), dest: "x", schedule: "61 * * * *" }],
  }));
  for (const command of ["check", "once", "status", "run"]) {
    const bad = await jobs([command, config], s.work);
    assert.equal(bad.code, 2, command);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /^error: [^\n]*"bad"[^\n]*schedule[^\n]*\n$/, command);
  }

  // A usage error: exit 2 with the hint.
  const usage = await jobs(["once", config, "--count", "2"], s.work);
  assert.deepEqual(usage, {
    code: 2,
    stdout: "",
    stderr: 'error: Unknown option "--count" for once\nRun with --help for usage.\n',
  });
  // A missing jobs file: exit 2.
  const missing = await jobs(["check", join(s.work, "nope.jsonc")], s.work);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: [^\n]*nope\.jsonc[^\n]*\n$/);
});

Deno.test("jobs CLI: run prints its schedule and exits 0 on SIGTERM", async () => {
  await using s = await servers();
  const config = await s.jobsFile(JSON.stringify({
    jobs: [{
      name: "yearly",
      source: s.tftpUrl("x.cfg"),
      dest: "x.cfg",
      schedule: "0 0 1 1 *",
      timezone: "UTC",
    }],
  }));
  const year = new Date().getUTCFullYear() + 1;
  const port = s.tftpPort;
  {
    await using child = new ScriptProcess("jobs.ts", ["run", config, "--grace", "5"], {
      cwd: s.work,
      limitMs: LIMIT_MS,
      waitMs: WAIT_MS,
    });
    await child.waitFor(/^yearly .*\n/m);
    assert.equal(await child.exit("SIGTERM"), 0);
    assert.equal(
      child.out,
      `${config}: 1 job, concurrency 4, log ${join(s.work, "jobs.log.jsonl")}\n` +
        `yearly "0 0 1 1 *" UTC from tftp://127.0.0.1:${port}/x.cfg, ` +
        `next ${year}-01-01T00:00:00Z\n` +
        "stopping on SIGTERM: no job running, waiting up to 5 s\nstopped\n",
    );
    assert.equal(child.err, "");
  }
  await using child = new ScriptProcess("jobs.ts", ["run", config, "--json"], {
    cwd: s.work,
    limitMs: LIMIT_MS,
    waitMs: WAIT_MS,
  });
  await child.waitFor(/"type":"schedule".*\n/);
  assert.equal(await child.exit("SIGINT"), 0);
  assert.deepEqual(child.out.trimEnd().split("\n").map((line) => JSON.parse(line)), [
    {
      type: "schedule",
      job: "yearly",
      schedule: "0 0 1 1 *",
      timezone: "UTC",
      source: `tftp://127.0.0.1:${port}/x.cfg`,
      next: `${year}-01-01T00:00:00.000Z`,
    },
    { type: "stopping", signal: "SIGINT", running: 0, graceMs: 30_000 },
    { type: "stopped" },
  ]);
  assert.equal(child.err, "");
});

Deno.test("jobs CLI: SIGTERM during a fetch aborts it: exit 143, nothing written", async () => {
  await using s = await servers();
  // A "server" that takes the request and never answers.
  await using silent = new RawPeer();
  const config = await s.jobsFile(JSON.stringify({
    jobs: [{
      name: "hang",
      source: `tftp://127.0.0.1:${silent.port}/big.bin`,
      dest: "out/{job}.bin",
      schedule: "@daily",
      retries: 0,
    }],
  }));
  await using child = new ScriptProcess("jobs.ts", ["once", config], {
    cwd: s.work,
    limitMs: LIMIT_MS,
    waitMs: WAIT_MS,
  });
  await silent.expect((packet) => packet.opcode === OPCODE.RRQ, WAIT_MS, "RRQ");
  assert.equal(await child.exit("SIGTERM"), 143);
  assert.equal(child.err, "error: Interrupted by SIGTERM\n");
  assert.match(child.out, new RegExp(`^${TIME} hang failed \\(attempt 1\\): [^\\n]+\\n$`));
  assert.deepEqual(await listFiles(s.work), ["jobs.jsonc", "jobs.log.jsonl"]);
  const status = await jobs(["status", config, "--json"], s.work);
  assert.equal(status.code, 1);
  assert.equal(JSON.parse(status.stdout).status, "failed");
});
