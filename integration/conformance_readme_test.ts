// The plugin example of README.md, exactly as printed there: it type-checks against mod.ts and
// both of its checks pass against our server through `conformance.ts run --plugin`.
// Run with: deno test --allow-all integration/conformance_readme_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFixtures } from "../lib/conformance/fixtures.ts";
import { serveTftp } from "../mod.ts";
import { CHILD_ENV } from "./_fixture.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/** The fenced code between the README's plugin-example markers. */
async function readmeExample(): Promise<string> {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const match = /<!-- plugin-example -->\s*```ts\n([\s\S]*?)```\s*<!-- \/plugin-example -->/
    .exec(readme);
  assert.ok(match, "README.md has a plugin example between its markers");
  return match[1];
}

async function deno(args: string[], cwd: string): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: CHILD_ENV,
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
}

Deno.test("README's plugin example type-checks and passes against our server", async () => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_readme_plugin_" });
  try {
    const code = await readmeExample();
    assert.ok(code.includes('from "./mod.ts"'), "the example imports tftpkit's types");
    const plugin = join(base, "site_checks.ts");
    // Beside a checkout of tftpkit, "./mod.ts" is its mod.ts: point it there to type-check.
    await Deno.writeTextFile(
      plugin,
      code.replace('from "./mod.ts"', `from ${JSON.stringify(join(REPO, "mod.ts"))}`),
    );
    const config = join(REPO, "deno.json");
    const checked = await deno(["check", "--config", config, plugin], base);
    assert.equal(checked.code, 0, new TextDecoder().decode(checked.stderr));

    const { root } = await writeFixtures(base);
    await using server = serveTftp({ root, hostname: "127.0.0.1", port: 0 });
    const run = await deno([
      "run",
      "--allow-all",
      "--config",
      config,
      join(REPO, "scripts", "conformance.ts"),
      "run",
      `tftp://127.0.0.1:${server.addr.port}/`,
      "--plugin",
      plugin,
      "--only",
      "site-blksize-1468,site-quick-answer",
      "--json",
      "-",
    ], base);
    const report = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.deepEqual(
      report.checks.map((c: { id: string; status: string }) => [c.id, c.status]),
      [["site-blksize-1468", "pass"], ["site-quick-answer", "pass"]],
    );
    assert.match(report.checks[0].detail, /^\d+ datagrams, file intact$/);
    assert.equal(run.code, 0);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
