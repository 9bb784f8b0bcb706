// The tcp command line (scripts/tcp.ts) as users run it: `serve` and `get` as child processes
// on loopback.
// Run with: deno test --allow-all integration/tcp_cli_test.ts
//
// Every process has a time limit and is killed by its PID in `finally`; every wait has a
// deadline.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../lib/bytes.ts";
import { CHILD_ENV, content, exists, partFiles } from "./_fixture.ts";
import { ScriptProcess } from "./_script_process.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(REPO, "scripts", "tcp.ts");
const CONFIG = join(REPO, "deno.json");
const PROCESS_LIMIT_MS = 30_000;
const WAIT_MS = 10_000;
const ENV = CHILD_ENV;

function command(args: string[], cwd?: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", CONFIG, SCRIPT, ...args],
    cwd,
    env: ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROCESS_LIMIT_MS),
  });
}

/** Runs `tcp.ts` to its end (killed after PROCESS_LIMIT_MS) and returns what it did. */
async function run(
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const { code, stdout, stderr } = await command(args, cwd).output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/** A `tcp.ts serve` child. */
function serveProcess(args: string[]): ScriptProcess {
  return new ScriptProcess("tcp.ts", ["serve", ...args], {
    limitMs: PROCESS_LIMIT_MS,
    waitMs: WAIT_MS,
  });
}

/** A temporary directory with `root/` (served) and `local/` (the client's folder). */
async function tempDirs(): Promise<AsyncDisposable & { root: string; local: string }> {
  const base = await Deno.makeTempDir({ prefix: "tcp_cli_" });
  const root = join(base, "root");
  const local = join(base, "local");
  await Deno.mkdir(root);
  await Deno.mkdir(local);
  return {
    root,
    local,
    [Symbol.asyncDispose]: () => Deno.remove(base, { recursive: true }),
  };
}

Deno.test("tcp CLI: serve, get to a file and to stdout, missing file, SIGTERM", async () => {
  await using dirs = await tempDirs();
  const bytes = content(1_500_000, 0x7cb);
  await Deno.mkdir(join(dirs.root, "boot"));
  await Deno.writeFile(join(dirs.root, "boot", "big.bin"), bytes);
  await Deno.writeFile(join(dirs.root, "empty"), new Uint8Array(0));
  await using server = serveProcess([dirs.root, "--host", "127.0.0.1", "--port", "0"]);
  const address = `127.0.0.1:${await server.listening()}`;

  // Default output: the name's base name in the current folder.
  const got = await run(["get", address, "boot/big.bin"], dirs.local);
  assert.deepEqual([got.code, got.stderr, got.stdout.length], [0, "", 0]);
  const written = await Deno.readFile(join(dirs.local, "big.bin"));
  assert.equal(await sha256Hex(written), await sha256Hex(bytes));

  // "-": the bytes on stdout, nothing else.
  const piped = await run(["get", address, "boot/big.bin", "-"]);
  assert.deepEqual([piped.code, piped.stderr], [0, ""]);
  assert.equal(await sha256Hex(piped.stdout), await sha256Hex(bytes));

  // The same file by URL.
  const byUrl = await run(["get", `tcp://${address}/boot/big.bin`, join(dirs.local, "u.bin")]);
  assert.deepEqual([byUrl.code, byUrl.stderr], [0, ""]);
  assert.deepEqual(await Deno.readFile(join(dirs.local, "u.bin")), bytes);

  // An empty file is a success, and is created.
  const empty = await run(["get", address, "empty", join(dirs.local, "e")]);
  assert.deepEqual([empty.code, empty.stderr], [0, ""]);
  assert.equal((await Deno.stat(join(dirs.local, "e"))).size, 0);

  // A missing file: exit 1, one line, no file and no temporary file left.
  const missing = await run(["get", address, "nope.bin"], dirs.local);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "error: File not found (NOT_FOUND)\n");
  assert.equal(await exists(join(dirs.local, "nope.bin")), false);
  assert.deepEqual(await partFiles(dirs.local), []);

  // Outside the root.
  const escape = await run(["get", address, "../x", join(dirs.local, "x")]);
  assert.equal(escape.code, 1);
  assert.match(escape.stderr, /^error: .*\((?:DENIED|NOT_FOUND)\)\n$/);

  assert.equal(await server.exit("SIGTERM"), 0);
  assert.match(server.out, /^listening on 127\.0\.0\.1:[0-9]+\n$/);
  // One line per request on stderr, peer port and time made fixed.
  const log = server.err.replace(/^127\.0\.0\.1:[0-9]+ /gm, "P ").replace(
    / in [0-9]+ ms$/gm,
    " in T",
  );
  assert.deepEqual(log.split("\n").sort(), [
    "",
    'P GET ../x DENIED Access violation: ".." is not allowed',
    "P GET boot/big.bin OK 1500000 B in T",
    "P GET boot/big.bin OK 1500000 B in T",
    "P GET boot/big.bin OK 1500000 B in T",
    "P GET empty OK 0 B in T",
    "P GET nope.bin NOT_FOUND File not found",
  ]);

  // Nobody listens any more.
  const refused = await run(["get", address, "boot/big.bin", "-"]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `error: Connection refused by ${address}\n`);
});

Deno.test("tcp CLI: raw mode serve and get; SIGINT stops the server", async () => {
  await using dirs = await tempDirs();
  const bytes = content(300_000, 0x5a5);
  await Deno.writeFile(join(dirs.root, "raw.bin"), bytes);
  await using server = serveProcess([
    dirs.root,
    "--quiet",
    "--raw",
    "--host=127.0.0.1",
    "--port=0",
    "--idle-timeout=5",
  ]);
  const address = `127.0.0.1:${await server.listening()}`;

  const got = await run(["get", "--raw", address, "raw.bin", join(dirs.local, "copy")]);
  assert.deepEqual([got.code, got.stderr], [0, ""]);
  assert.equal(
    await sha256Hex(await Deno.readFile(join(dirs.local, "copy"))),
    await sha256Hex(bytes),
  );

  const missing = await run(["get", "--raw", address, "nope", join(dirs.local, "nope")]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "error: Server sent nothing (file missing?)\n");
  assert.equal(await exists(join(dirs.local, "nope")), false);

  assert.equal(await server.exit("SIGINT"), 0);
  assert.equal(server.err, "");
});

Deno.test("tcp CLI: usage errors exit 2, --help exits 0, a bad root exits 1", async () => {
  const usage = await run(["get", "127.0.0.1", "a"]);
  assert.equal(usage.code, 2);
  assert.equal(
    usage.stderr,
    'error: <host:port> must be host:port or [v6]:port, got "127.0.0.1"\n' +
      "Run with --help for usage.\n",
  );
  const unknown = await run(["serve", ".", "--bogus"]);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    'error: Unknown option "--bogus" for serve\nRun with --help for usage.\n',
  );
  const help = await run(["--help"]);
  assert.deepEqual([help.code, help.stderr], [0, ""]);
  assert.match(new TextDecoder().decode(help.stdout), /^tcp\.ts: .*\n(?:.*\n)*Exit status:/);

  await using dirs = await tempDirs();
  const badRoot = join(dirs.local, "absent");
  const serve = await run(["serve", badRoot, "--host", "127.0.0.1", "--port", "0"]);
  assert.equal(serve.code, 1);
  assert.equal(serve.stderr, `error: Root ${JSON.stringify(badRoot)} is not a directory\n`);
  assert.equal(serve.stdout.length, 0);
});
