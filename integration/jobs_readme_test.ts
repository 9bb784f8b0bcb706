// The jobs file printed in README.md is a valid jobs file, exactly as printed, and the error
// message README quotes is the one the parser gives.
// Run with: deno test --allow-all integration/jobs_readme_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JobsConfigError, parseJobsConfig } from "../lib/jobs/config.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

Deno.test("README's jobs file parses, and its quoted config error is the real one", async () => {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const block = /```jsonc\n\/\/ jobs\.jsonc\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "README.md has the jobs.jsonc example");
  const config = parseJobsConfig(block[1], { baseDir: "/srv/backups", fileName: "jobs.jsonc" });
  assert.deepEqual(config.jobs.map((job) => [job.name, job.schedule, job.timezone]), [
    ["sw1-config", "30 2 * * *", "Europe/Berlin"],
    ["fw", "@hourly", "UTC"],
  ]);
  assert.equal(config.concurrency, 2);
  assert.equal(config.jobs[1].retries, 3);

  const quoted = /for example:\s+`(job "sw1": field\s+"retries" must [^`]*)`/.exec(readme);
  assert.ok(quoted, "README quotes a config error");
  const bad = JSON.stringify({
    jobs: [{
      name: "sw1",
      source: "tftp://192.0.2.10/a",
      dest: "a",
      schedule: "@daily",
      retries: -1,
    }],
  });
  assert.throws(() => parseJobsConfig(bad, { baseDir: "/" }), (error) => {
    assert.ok(error instanceof JobsConfigError);
    assert.equal(error.message, quoted[1].replace(/\s+/g, " "));
    return true;
  });
});
