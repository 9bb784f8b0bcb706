// `jobs.ts run` end to end: the long-running scheduler really fetches when a job comes due,
// writes and logs it, and stops with exit status 0 on SIGTERM. Cron has minutes as its finest
// unit, so this waits for the next minute boundary: at most about 60 s.
// Run with: deno test --allow-all integration/jobs_run_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveTftp } from "../mod.ts";
import { sha256Hex } from "../lib/bytes.ts";
import { readJobLog } from "../lib/jobs/log.ts";
import { content } from "./_fixture.ts";
import { ScriptProcess } from "./_script_process.ts";

Deno.test("jobs.ts run fetches a job when it comes due, logs it, and stops on SIGTERM", async () => {
  const base = await Deno.makeTempDir({ prefix: "jobs_run_" });
  try {
    const root = join(base, "root");
    await Deno.mkdir(root);
    const bytes = content(70_000, 11);
    await Deno.writeFile(join(root, "fw.bin"), bytes);
    await using server = serveTftp({ root, hostname: "127.0.0.1", port: 0 });
    await Deno.writeTextFile(
      join(base, "jobs.jsonc"),
      JSON.stringify({
        jobs: [{
          name: "fw",
          source: `tftp://127.0.0.1:${server.addr.port}/fw.bin`,
          dest: "out/{job}-{date}_{time}.bin",
          schedule: "* * * * *",
        }],
      }),
    );
    await using run = new ScriptProcess("jobs.ts", ["run", "jobs.jsonc"], {
      cwd: base,
      limitMs: 120_000,
      waitMs: 80_000,
    });
    const [, path] = await run.waitFor(/ fw ok \(attempt 1\): 70000 B .*, wrote (\S+)\n/);
    assert.equal(await sha256Hex(await Deno.readFile(path)), await sha256Hex(bytes));
    assert.equal(await run.exit("SIGTERM"), 0);
    assert.match(run.out, /\nstopped\n$/);
    const log = await readJobLog(join(base, "jobs.log.jsonl"));
    assert.deepEqual(log.map((r) => [r.job, r.status, r.attempt, r.bytes, r.path]), [
      ["fw", "ok", 1, 70_000, path],
    ]);
    const scheduled = new Date(log[0].scheduled);
    assert.equal(scheduled.getUTCSeconds(), 0, "due on a minute boundary");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
