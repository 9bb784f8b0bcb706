// loadJobsConfig against real files. Run with: deno test --allow-all integration/jobs_load_test.ts
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { JobsConfigError } from "../lib/jobs/config.ts";
import { loadJobsConfig } from "../lib/jobs/load.ts";

const JOBS = `{
  // one job
  "jobs": [{ "name": "sw1", "source": "tcp://127.0.0.1/sw1.cfg", "dest": "b/{job}.cfg",
             "schedule": "@daily", },],
}`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tftpkit_jobs_load_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadJobsConfig reads a JSONC file and resolves against its folder", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "conf"));
    const path = join(dir, "conf", "site.jsonc");
    await Deno.writeTextFile(path, JOBS);
    const config = await loadJobsConfig(path);
    assert.equal(config.baseDir, join(dir, "conf"));
    assert.equal(config.log, join(dir, "conf", "site.log.jsonl"));
    assert.deepEqual(config.jobs.map((job) => [job.name, job.schedule]), [["sw1", "@daily"]]);
    // A relative path gives the same absolute folder.
    const again = await loadJobsConfig(relative(Deno.cwd(), path));
    assert.equal(again.baseDir, join(dir, "conf"));
  });
});

Deno.test("loadJobsConfig turns read failures and syntax errors into JobsConfigError", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "none.json");
    await assert.rejects(loadJobsConfig(missing), (error: unknown) => {
      assert.ok(error instanceof JobsConfigError);
      assert.equal(
        error.message,
        `Cannot read the jobs file ${JSON.stringify(missing)}: it does not exist`,
      );
      assert.ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
    await assert.rejects(loadJobsConfig(dir), {
      name: "JobsConfigError",
      message: `Cannot read the jobs file ${JSON.stringify(dir)}: it is a folder`,
    });
    const broken = join(dir, "broken.json");
    await Deno.writeTextFile(broken, '{\n  "jobs": [,]\n}\n');
    await assert.rejects(loadJobsConfig(broken), {
      name: "JobsConfigError",
      message: 'Invalid JSON in "broken.json" at line 2, column 12: expected a value, found ","',
    });
  });
});
