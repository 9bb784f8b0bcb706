// The conformance command line (scripts/conformance.ts) as users run it: `list`, `run` with
// plugin checks against our server (in this process) and against a port where nothing
// answers, `fixtures`, usage errors and SIGINT.
// Run with: deno test --allow-all integration/conformance_cli_test.ts
//
// Every process has a time limit and is killed by its PID in `finally`; every wait has a
// deadline.
import { BUILTIN_CHECKS } from "../lib/conformance/checks/mod.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FIXTURES, writeFixtures } from "../lib/conformance/fixtures.ts";
import { loadPlugins } from "../lib/conformance/plugins.ts";
import { CHILD_ENV, type Fixture, openFixture, waitUntil } from "./_fixture.ts";
import { ScriptProcess } from "./_script_process.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(REPO, "scripts", "conformance.ts");
const CONFIG = join(REPO, "deno.json");
const CHECK_TS = pathToFileURL(join(REPO, "lib", "conformance", "check.ts")).href;
const PROCESS_LIMIT_MS = 60_000;
const WAIT_MS = 20_000;

/** Runs `conformance.ts` in `cwd` to its end (killed after PROCESS_LIMIT_MS). */
async function conformance(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", CONFIG, SCRIPT, ...args],
    cwd,
    env: CHILD_ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROCESS_LIMIT_MS),
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** A plugin with a default and a named check that download fixtures from the server. */
const TINY_PLUGIN = `
import { defineCheck, type CheckContext } from ${JSON.stringify(CHECK_TS)};

export default defineCheck({
  id: "tiny-empty",
  title: "An empty file is one 0-byte DATA 1",
  rfc: "RFC 1350",
  level: "must",
  async run(ctx: CheckContext) {
    const got = await ctx.download("0-byte.bin");
    if (got.result !== "ok") return { status: "fail", detail: got.detail };
    return { status: "pass", detail: "0 bytes", measured: { bytes: got.data.length } };
  },
});

export const missing = {
  id: "tiny-missing",
  title: "A missing file gets ERROR 1",
  rfc: "RFC 1350 section 7",
  level: "should",
  async run(ctx: CheckContext) {
    const got = await ctx.download("no-such-file.bin");
    ctx.log("asked for no-such-file.bin");
    return got.error?.code === 1
      ? { status: "pass", detail: "ERROR 1" }
      : { status: "fail", detail: got.detail };
  },
};
`;

const FAILING_PLUGIN = `
export default {
  id: "always-fails",
  title: "Fails on purpose",
  rfc: "RFC 2348",
  level: "must",
  run: () => Promise.resolve({ status: "fail", detail: "failed on purpose" }),
};
export const writes = {
  id: "needs-write",
  title: "Needs --writable",
  rfc: "RFC 1350",
  level: "must",
  writable: true,
  run: () => Promise.resolve({ status: "pass", detail: "wrote" }),
};
`;

const WAITING_PLUGIN = `
export default {
  id: "waits",
  title: "Waits until aborted",
  rfc: "RFC 1350",
  level: "must",
  limitMs: 60000,
  run: (ctx) => new Promise((_, reject) => {
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
  }),
};
`;

/** Our server on the fixture tree, and the plugins in its `local` folder (the CLI's cwd). */
async function setUp(): Promise<Fixture & { url: string }> {
  const fixture = await openFixture();
  try {
    await writeFixtures(fixture.base);
    await Deno.writeTextFile(join(fixture.local, "tiny.ts"), TINY_PLUGIN);
    await Deno.writeTextFile(join(fixture.local, "failing.js"), FAILING_PLUGIN);
    await Deno.writeTextFile(join(fixture.local, "waiting.js"), WAITING_PLUGIN);
  } catch (error) {
    await fixture[Symbol.asyncDispose]();
    throw error;
  }
  return Object.assign(fixture, { url: `tftp://127.0.0.1:${fixture.server.addr.port}/` });
}

function assertJsonShape(json: Record<string, unknown>, url: string): void {
  assert.deepEqual(Object.keys(json), ["server", "started", "durationMs", "checks"]);
  assert.equal(json.server, url);
  assert.match(json.started as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Number.isInteger(json.durationMs) && (json.durationMs as number) >= 0);
  for (const check of json.checks as Record<string, unknown>[]) {
    const keys = Object.keys(check);
    assert.deepEqual(keys.slice(0, 7), ["id", "title", "rfc", "level", "status", "detail", "ms"]);
    for (const key of keys.slice(7)) assert.ok(["measured", "log", "serverDown"].includes(key));
  }
}

Deno.test("conformance CLI: list shows built-in and plugin checks", async () => {
  await using fixture = await setUp();
  const listed = await conformance(
    ["list", "--plugin", "./tiny.ts", "--plugin", "failing.js"],
    fixture.local,
  );
  assert.equal(listed.stderr, "");
  assert.equal(listed.code, 0);
  // The built-in checks first, then the plugins' in load order; columns padded to the longest.
  const squeeze = (line: string) => line.replace(/ {2,}/g, "|");
  const lines = listed.stdout.trimEnd().split("\n").map(squeeze);
  assert.deepEqual(lines.slice(-4), [
    "tiny-empty|must|RFC 1350|An empty file is one 0-byte DATA 1",
    "tiny-missing|should|RFC 1350 section 7|A missing file gets ERROR 1",
    "always-fails|must|RFC 2348|Fails on purpose",
    "needs-write|must|RFC 1350|Needs --writable (needs --writable)",
  ]);
  const none = await conformance(["list"], fixture.local);
  assert.deepEqual([none.code, none.stderr], [0, ""]);
  const builtin = none.stdout.trimEnd().split("\n").map(squeeze);
  assert.deepEqual(lines.slice(0, -4), builtin);
  assert.equal(builtin.length, BUILTIN_CHECKS.length);
  assert.equal(builtin[0], `rrq-basic|must|${BUILTIN_CHECKS[0].rfc}|${BUILTIN_CHECKS[0].title}`);
});

Deno.test("conformance CLI: run with a plugin against our server writes JSON and JUnit", async () => {
  await using fixture = await setUp();
  const got = await conformance([
    "run",
    fixture.url,
    "--plugin",
    "tiny.ts",
    "--only",
    "tiny-empty,tiny-missing",
    "--json",
    "report.json",
    "--junit",
    "junit.xml",
  ], fixture.local);
  assert.equal(got.stderr, "");
  assert.equal(got.code, 0, got.stdout);
  const lines = got.stdout.split("\n");
  assert.equal(lines[0], `Running 2 checks against ${fixture.url}`);
  assert.match(lines[1], /^PASS {2}tiny-empty {2}\d+ ms {2}0 bytes$/);
  assert.match(lines[2], /^PASS {2}tiny-missing {2}\d+ ms {2}ERROR 1$/);
  assert.ok(got.stdout.includes(`\nConformance of ${fixture.url} (started `));
  assert.ok(got.stdout.endsWith("\n2 passed, 0 failed, 0 warnings, 0 skipped (must: 1/1)\n"));

  const json = JSON.parse(await Deno.readTextFile(join(fixture.local, "report.json")));
  assertJsonShape(json, fixture.url);
  const checks = json.checks.map((c: Record<string, unknown>) => ({ ...c, ms: typeof c.ms }));
  assert.deepEqual(checks, [
    {
      id: "tiny-empty",
      title: "An empty file is one 0-byte DATA 1",
      rfc: "RFC 1350",
      level: "must",
      status: "pass",
      detail: "0 bytes",
      ms: "number",
      measured: { bytes: 0 },
      log: checks[0].log,
    },
    {
      id: "tiny-missing",
      title: "A missing file gets ERROR 1",
      rfc: "RFC 1350 section 7",
      level: "should",
      status: "pass",
      detail: "ERROR 1",
      ms: "number",
      log: checks[1].log,
    },
  ]);
  assert.ok(checks[1].log.includes("asked for no-such-file.bin"), String(checks[1].log));
  const junit = await Deno.readTextFile(join(fixture.local, "junit.xml"));
  assert.ok(junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name='));
  assert.ok(junit.includes('<testsuite name="RFC 1350" tests="2" failures="0" errors="0"'));
  assert.ok(junit.endsWith("</testsuites>\n"));
  // The server saw the two checks' downloads and one liveness download after each.
  await waitUntil(() => fixture.records.length >= 4, 5000, "four transfer records");
  assert.deepEqual(fixture.records.map((r) => r.filename), [
    "0-byte.bin",
    "512-byte.bin",
    "no-such-file.bin",
    "512-byte.bin",
  ]);
});

Deno.test("conformance CLI: a failing check exits 1; --json - keeps stdout for JSON", async () => {
  await using fixture = await setUp();
  const got = await conformance(
    [
      "run",
      fixture.url,
      "--plugin",
      "failing.js",
      "--only",
      "always-fails,needs-write",
      "--json",
      "-",
      "--no-color",
    ],
    fixture.local,
  );
  assert.equal(got.code, 1);
  const json = JSON.parse(got.stdout);
  assertJsonShape(json, fixture.url);
  assert.deepEqual(json.checks.map((c: Record<string, unknown>) => [c.id, c.status, c.detail]), [
    ["always-fails", "fail", "failed on purpose"],
    ["needs-write", "skip", "needs --writable"],
  ]);
  assert.match(got.stderr, /^Running 2 checks against tftp:\/\/127\.0\.0\.1:\d+\/\nFAIL {2}always/);
  assert.ok(got.stderr.includes("\nRFC 2348\n  FAIL  always-fails  must  Fails on purpose"));
  assert.ok(got.stderr.endsWith("0 passed, 1 failed, 0 warnings, 1 skipped (must: 0/1)\n"));

  const writable = await conformance(
    ["run", fixture.url, "--plugin", "failing.js", "--writable", "--only", "needs-write"],
    fixture.local,
  );
  assert.equal(writable.code, 0, writable.stdout + writable.stderr);
  assert.ok(writable.stdout.includes("\nPASS  needs-write  "));
});

Deno.test("conformance CLI: a server that does not answer fails every check prominently", async () => {
  await using fixture = await setUp();
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  const url = `tftp://127.0.0.1:${port}/`;
  const got = await conformance(
    [
      "run",
      url,
      "--plugin",
      "failing.js",
      "--only",
      "always-fails",
      "--timeout-scale",
      "0.05",
      "--json",
      "r.json",
    ],
    fixture.local,
  );
  assert.equal(got.code, 1);
  assert.equal(got.stderr, "");
  const json = JSON.parse(await Deno.readTextFile(join(fixture.local, "r.json")));
  assert.equal(json.checks[0].serverDown, true);
  assert.match(
    json.checks[0].detail,
    /^failed on purpose; the server stopped answering after this check: ./,
  );
  assert.ok(
    got.stdout.endsWith(
      '\nSERVER DOWN: the server stopped answering after check "always-fails"; ' +
        "the verdicts after it are not reliable\n",
    ),
    got.stdout,
  );
});

Deno.test("conformance CLI: usage errors exit 2, a broken plugin exits 1", async () => {
  await using fixture = await setUp();
  const cases: [string[], number, string][] = [
    [
      ["run", `${fixture.url}boot.bin`],
      2,
      `error: <tftp-url> must name only the server, e.g. tftp://127.0.0.1:69/, got ${
        JSON.stringify(`${fixture.url}boot.bin`)
      }\nRun with --help for usage.\n`,
    ],
    [
      ["run", fixture.url, "--plugin", "tiny.ts", "--only", "tiny-empty,nope"],
      2,
      `error: Unknown check id "nope" in --only; known ids: ${
        [...BUILTIN_CHECKS.map((c) => c.id), "tiny-empty", "tiny-missing"].join(", ")
      }\nRun with --help for usage.\n`,
    ],
    [
      ["run", fixture.url, "--skip", "x"],
      2,
      `error: Unknown check id "x" in --skip; known ids: ${
        BUILTIN_CHECKS.map((c) => c.id).join(", ")
      }\nRun with --help for usage.\n`,
    ],
    [["lst"], 2, 'error: Unknown command "lst"\nRun with --help for usage.\n'],
  ];
  for (const [args, code, stderr] of cases) {
    const got = await conformance(args, fixture.local);
    assert.deepEqual([got.code, got.stderr], [code, stderr], args.join(" "));
    if (code === 2) assert.equal(got.stdout, "");
  }
  // The same plugin twice is one module; --verbose shows what the checks logged, live only.
  const twice = await conformance(
    [
      "run",
      fixture.url,
      "--plugin",
      "tiny.ts",
      "--plugin",
      "./tiny.ts",
      "--only",
      "tiny-empty,tiny-missing",
      "--verbose",
    ],
    fixture.local,
  );
  assert.deepEqual([twice.code, twice.stderr], [0, ""]);
  assert.equal(twice.stdout.split("\n        | asked for no-such-file.bin\n").length, 2);
  assert.ok(twice.stdout.includes("2 passed, 0 failed"));
  const missing = await conformance(["list", "--plugin", "absent.ts"], fixture.local);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^error: Cannot load plugin "absent\.ts": Module not found "file:\/\/.*\/absent\.ts"\.\n$/,
  );
  await Deno.writeTextFile(join(fixture.local, "dup.js"), FAILING_PLUGIN);
  const dup = await conformance(
    ["list", "--plugin", "failing.js", "--plugin", "dup.js"],
    fixture.local,
  );
  assert.equal(dup.code, 1);
  assert.equal(
    dup.stderr,
    'error: Check id "always-fails" is defined twice: by plugin "failing.js" (export default) ' +
      'and by plugin "dup.js" (export default)\n',
  );
  const help = await conformance(["--help"], fixture.local);
  assert.deepEqual([help.code, help.stderr], [0, ""]);
  assert.ok(help.stdout.startsWith("conformance.ts: probe a running TFTP server"));
});

Deno.test("conformance CLI: SIGINT stops a run with exit status 130", async () => {
  await using fixture = await setUp();
  await using child = new ScriptProcess(
    "conformance.ts",
    ["run", fixture.url, "--plugin", "waiting.js", "--only", "waits"],
    { cwd: fixture.local, limitMs: PROCESS_LIMIT_MS, waitMs: WAIT_MS },
  );
  await waitUntil(() => child.out.includes("Running 1 check against"), WAIT_MS, "the run to start");
  assert.equal(await child.exit("SIGINT"), 130);
  assert.equal(child.err, "error: Interrupted by SIGINT\n");
  assert.equal(child.out, `Running 1 check against ${fixture.url}\n`);
});

Deno.test("conformance CLI: fixtures writes the tree the suite expects", async () => {
  await using fixture = await setUp();
  const dir = join(fixture.base, "fresh");
  const got = await conformance(["fixtures", "fresh"], fixture.base);
  assert.equal(got.stderr, "");
  assert.equal(got.code, 0);
  const lines = got.stdout.split("\n");
  assert.equal(lines[0], `Wrote ${FIXTURES.all.length} fixtures:`);
  assert.match(lines[1], /^ {2}fresh\/root\/0-byte\.bin +0 bytes +empty/);
  assert.ok(got.stdout.endsWith(
    "\nServe fresh/root with the server under test, for example:\n" +
      "  deno task tftp serve fresh/root --host 127.0.0.1 --port 6969 --create\n" +
      "Then run (--writable: the upload checks, which need a server that creates files):\n" +
      "  deno task conformance run tftp://127.0.0.1:6969/ --writable\n",
  ));
  for (const one of FIXTURES.all) {
    const path = join(dir, "root", ...one.name.split("/"));
    if (one.kind === "symlink") assert.equal(await Deno.readLink(path), one.target);
    assert.deepEqual(await Deno.readFile(path), one.bytes(), one.name);
  }
});

Deno.test("loadPlugins: files relative to cwd, default and named exports", async () => {
  await using fixture = await setUp();
  const checks = await loadPlugins(["tiny.ts", join(fixture.local, "failing.js")], {
    cwd: fixture.local,
  });
  assert.deepEqual(checks.map((c) => c.id), [
    "tiny-empty",
    "tiny-missing",
    "always-fails",
    "needs-write",
  ]);
  await assert.rejects(loadPlugins(["nope.ts"], { cwd: fixture.local }), {
    name: "TypeError",
    message: `Cannot load plugin "nope.ts": Module not found "${
      pathToFileURL(join(fixture.local, "nope.ts")).href
    }".`,
  });
});
