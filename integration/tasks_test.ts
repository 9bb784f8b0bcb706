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

Deno.test("the tftp task grants what --busy-poll needs (FFI): a get reaches the network", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (silent.addr as Deno.NetAddr).port;
  const elsewhere = await Deno.makeTempDir({ prefix: "tasks_" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...["task", "-q", "--config", join(REPO, "deno.json"), "tftp", "get"],
        ...[
          `tftp://127.0.0.1:${port}/x`,
          "--busy-poll",
          "50",
          "--timeout",
          "1",
          "--retries",
          "0",
          "--give-up",
          "0",
        ],
      ],
      cwd: elsewhere,
      env: CHILD_ENV,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const { code, stderr } = await child;
    assert.match(new TextDecoder().decode(stderr), /^error: No answer from 127\.0\.0\.1:/);
    assert.equal(code, 1);
    // The RRQ waits in the socket's queue.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const request = await Promise.race([
      silent.receive().then(([bytes]) => bytes),
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 1000)),
    ]);
    clearTimeout(timer);
    assert.equal(new TextDecoder().decode(request?.subarray(2, 4)), "x\0", "an RRQ for x came");
  } finally {
    silent.close();
    await Deno.remove(elsewhere, { recursive: true });
  }
});
