// Every command task of deno.json starts with exactly the permissions its task line grants:
// `deno task -q NAME --help` from another folder (so `deno task` sets INIT_CWD) must exit 0
// and print the usage. Scripts run with --allow-all in the other tests, so only this test
// catches a task line that lacks a permission the script needs at startup.
// Run with: deno test --allow-all integration/tasks_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHILD_ENV } from "./_fixture.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const COMMANDS = ["tftp", "tcp", "udp", "ip", "impair", "conformance", "jobs"] as const;

Deno.test("every command task starts with its own permissions and prints its usage", async (t) => {
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  const elsewhere = await Deno.makeTempDir({ prefix: "tasks_" });
  try {
    for (const name of COMMANDS) {
      await t.step(name, async () => {
        assert.ok(config.tasks[name], `deno.json has no "${name}" task`);
        const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
          args: ["task", "-q", "--config", join(REPO, "deno.json"), name, "--help"],
          cwd: elsewhere,
          env: CHILD_ENV,
          clearEnv: true,
          stdin: "null",
          signal: AbortSignal.timeout(30_000),
        }).output();
        const text = new TextDecoder().decode(stdout);
        assert.equal(code, 0, `${name}: ${new TextDecoder().decode(stderr)}`);
        assert.match(text, /^Usage:|\nUsage:|usage:/i, `${name} printed no usage:\n${text}`);
      });
    }
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});
