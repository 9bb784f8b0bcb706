// The tftp command line (scripts/tftp.ts) as users run it: real processes on loopback.
// Run with: deno test --allow-all integration/cli_test.ts
//
// One `serve --create` child (read-write) and one read-only `serve --json` child run for
// the main test; each step runs the client as its own process with the permissions of
// `deno task tftp`. Every process has a time limit, every wait a deadline.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../lib/bytes.ts";
import { content, delay, exists } from "./_fixture.ts";
import { CHILD_ENV } from "./_fixture.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(REPO, "scripts", "tftp.ts");
const CONFIG = join(REPO, "deno.json");
/** The permissions `deno task tftp` grants. */
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write"];
const PROCESS_LIMIT_MS = 15_000;
const WAIT_MS = 8_000;
const ENV = CHILD_ENV;

const decoder = new TextDecoder();

function command(args: string[], cwd?: string, stdin: "piped" | "null" = "null"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "--config", CONFIG, SCRIPT, ...args],
    cwd,
    env: ENV,
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROCESS_LIMIT_MS),
  });
}

interface Run {
  code: number;
  stdout: Uint8Array;
  out: string;
  err: string;
}

/** Runs the CLI to completion, optionally feeding `stdin`. */
async function tftp(args: string[], options: { cwd?: string; stdin?: Uint8Array } = {}) {
  const child = command(args, options.cwd, options.stdin ? "piped" : "null").spawn();
  const feed = async () => {
    if (!options.stdin) return;
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin).catch(() => {}); // the child may exit early
    await writer.close().catch(() => {});
  };
  const [, output] = await Promise.all([feed(), child.output()]);
  return {
    code: output.code,
    stdout: output.stdout,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  } satisfies Run;
}

async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    for (let nl = rest.indexOf("\n"); nl !== -1; nl = rest.indexOf("\n")) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
  if (rest !== "") onLine(rest);
}

/** A CLI process whose stdout and stderr lines are collected as they arrive. */
class LiveProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  #child: Deno.ChildProcess;
  #pumps: Promise<unknown>;
  #wake = new Set<() => void>();

  constructor(args: string[], cwd?: string) {
    this.#child = command(args, cwd).spawn();
    const collect = (lines: string[]) => (line: string) => {
      lines.push(line);
      for (const wake of this.#wake) wake();
    };
    this.#pumps = Promise.all([
      pumpLines(this.#child.stdout, collect(this.out)),
      pumpLines(this.#child.stderr, collect(this.err)),
    ]).finally(() => {
      for (const wake of this.#wake) wake();
    });
    this.#pumps.catch(() => {});
  }

  /** The first line of `stream` matching `pattern`, waiting up to `timeoutMs` for it. */
  async waitFor(stream: "out" | "err", pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    this.#pumps.finally(() => (done = true));
    for (;;) {
      const line = this[stream].find((l) => pattern.test(l));
      if (line !== undefined) return line;
      const left = deadline - Date.now();
      if (left <= 0 || done) {
        throw new Error(
          `No ${stream} line matching ${pattern} (${done ? "process ended" : "timed out"});\n` +
            `stdout:\n${this.out.join("\n")}\nstderr:\n${this.err.join("\n")}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      let wake: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#wake.add(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake.delete(wake!);
    }
  }

  /** Sends `signal` and returns the exit code once the process and its pipes are done. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    try {
      this.#child.kill(signal);
    } catch { /* already exited */ }
    const { code } = await this.#child.status;
    await this.#pumps;
    return code;
  }
}

/** A `serve` child and the port it reported. */
async function startServer(root: string, flags: string[]) {
  const proc = new LiveProcess(["serve", root, "--host", "127.0.0.1", "--port", "0", ...flags]);
  try {
    const line = await proc.waitFor("out", /^listening on /);
    const match = /^listening on 127\.0\.0\.1:([0-9]+)$/.exec(line);
    assert.ok(match, `unexpected first line ${JSON.stringify(line)}`);
    assert.equal(proc.out[0], line, "the listening line comes first");
    return { proc, port: Number(match[1]) };
  } catch (error) {
    await proc.stop("SIGKILL");
    throw error;
  }
}

async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names.sort();
}

/** Deterministic bytes that are not a repeating pattern. */
const BOOT = content(300_000, 0x2545f491);
const TEXT = new TextEncoder().encode("one\ntwo\r\nbare\rcr\n\nlast line without newline");
const RETRANSMITS = String.raw`\d+ retransmits?`;

Deno.test("tftp CLI: get, put, errors and logs against `tftp serve` children", async (t) => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_cli_" });
  const root = join(base, "root");
  const readOnlyRoot = join(base, "ro");
  const work = join(base, "work");
  for (const dir of [root, readOnlyRoot, work]) await Deno.mkdir(dir);
  await Deno.writeFile(join(root, "boot.bin"), BOOT);
  await Deno.writeFile(join(root, "text.txt"), TEXT);
  await Deno.writeTextFile(join(base, "secret.txt"), "outside the root");
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    const rw = await startServer(root, ["--create"]);
    servers.push(rw);
    const ro = await startServer(readOnlyRoot, ["--json"]);
    servers.push(ro);
    const url = (path: string) => `tftp://127.0.0.1:${rw.port}/${path}`;

    await t.step("get to a file: same bytes, --json result, one server log line", async () => {
      const r = await tftp(["get", url("boot.bin"), "copy.bin", "--json", "--blksize", "1024"], {
        cwd: work,
      });
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, "");
      assert.equal(
        await sha256Hex(await Deno.readFile(join(work, "copy.bin"))),
        await sha256Hex(BOOT),
      );
      assert.ok(r.out.endsWith("}\n") && r.out.indexOf("\n") === r.out.length - 1, r.out);
      const json = JSON.parse(r.out);
      assert.equal(json.ok, true);
      assert.equal(json.command, "get");
      assert.equal(json.url, url("boot.bin"));
      assert.equal(json.mode, "octet");
      assert.equal(json.bytes, BOOT.length);
      assert.equal(json.blocks, Math.ceil(BOOT.length / 1024) + (BOOT.length % 1024 === 0 ? 1 : 0));
      assert.deepEqual(json.options, { blksize: 1024, windowsize: 4, tsize: BOOT.length });
      assert.equal(json.optionsAcknowledged, true);
      assert.match(json.peer, /^127\.0\.0\.1:[0-9]+$/);
      assert.equal(typeof json.elapsedMs, "number");
      assert.equal(typeof json.retransmits, "number");
      assert.equal(typeof json.timeouts, "number");
      await rw.proc.waitFor(
        "out",
        new RegExp(
          String.raw`^127\.0\.0\.1:\d+ read boot\.bin octet complete 300000 B in \d+ ms ` +
            String.raw`\(blksize 1024, windowsize 4, ${RETRANSMITS}\)$`,
        ),
      );
    });

    await t.step("get with no output: the remote base name, a summary on stderr", async () => {
      const r = await tftp(["get", url("boot.bin")], { cwd: work });
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, "");
      assert.match(
        r.err,
        new RegExp(
          String.raw`^get boot\.bin: 300000 B \(293\.0 KiB\) in \d+ ms(, [0-9.]+ [KMG]?i?B/s)? ` +
            String.raw`from 127\.0\.0\.1:\d+ \(blksize 1468, windowsize 4, ${RETRANSMITS}\)\n$`,
        ),
      );
      assert.deepEqual(await Deno.readFile(join(work, "boot.bin")), BOOT);
    });

    await t.step(
      "get to stdout: stdout holds exactly the file, --json goes to stderr",
      async () => {
        const plain = await tftp(["get", url("boot.bin"), "-", "-q"], { cwd: work });
        assert.equal(plain.code, 0, plain.err);
        assert.equal(plain.err, "");
        assert.deepEqual(plain.stdout, BOOT);
        const json = await tftp(["get", url("text.txt"), "-", "--json"], { cwd: work });
        assert.equal(json.code, 0, json.err);
        assert.deepEqual(json.stdout, TEXT);
        const result = JSON.parse(json.err);
        assert.deepEqual([result.ok, result.bytes], [true, TEXT.length]);
        assert.ok(!(await exists(join(work, "-"))));
      },
    );

    await t.step("put from a file and from stdin", async () => {
      await Deno.writeFile(join(work, "upload.bin"), BOOT.subarray(0, 70_001));
      const file = await tftp(["put", "upload.bin", url("uploaded.bin")], { cwd: work });
      assert.equal(file.code, 0, file.err);
      assert.equal(file.out, "");
      assert.match(
        file.err,
        /^put uploaded\.bin: 70001 B \(68\.4 KiB\) in \d+ ms.* to 127\.0\.0\.1:/,
      );
      assert.deepEqual(await Deno.readFile(join(root, "uploaded.bin")), BOOT.subarray(0, 70_001));
      const piped = await tftp(["put", "-", url("from-stdin.txt"), "--json"], { stdin: TEXT });
      assert.equal(piped.code, 0, piped.err);
      const json = JSON.parse(piped.out);
      assert.deepEqual([json.ok, json.command, json.bytes], [true, "put", TEXT.length]);
      assert.equal(json.options.tsize, undefined, "a stream has no size to announce");
      assert.deepEqual(await Deno.readFile(join(root, "from-stdin.txt")), TEXT);
      await rw.proc.waitFor("out", /^127\.0\.0\.1:\d+ write uploaded\.bin octet complete 70001 B /);
      await rw.proc.waitFor("out", /^127\.0\.0\.1:\d+ write from-stdin\.txt octet complete /);
    });

    await t.step("missing file: exit 1, one exact error line, no output file", async () => {
      const before = await listDir(work);
      const r = await tftp(["get", url("missing.bin")], { cwd: work });
      assert.equal(r.code, 1);
      assert.equal(r.err, "error: File not found (TFTP error 1)\n");
      assert.equal(r.out, "");
      assert.deepEqual(await listDir(work), before, "no missing.bin and no temporary file");
      await rw.proc.waitFor(
        "out",
        /^127\.0\.0\.1:\d+ read missing\.bin octet refused: File not found \(TFTP error 1\)$/,
      );
      const json = await tftp(["get", url("missing.bin"), "--json"], { cwd: work });
      assert.equal(json.code, 1);
      assert.equal(json.err, "error: File not found (TFTP error 1)\n");
      assert.deepEqual(JSON.parse(json.out), {
        ok: false,
        command: "get",
        url: url("missing.bin"),
        error: { code: 1, name: "TftpRemoteError", message: "File not found (TFTP error 1)" },
      });
    });

    await t.step("a failed get leaves an existing output file untouched", async () => {
      await Deno.writeTextFile(join(work, "keep.bin"), "precious");
      const before = await listDir(work);
      const r = await tftp(["get", url("missing.bin"), "keep.bin"], { cwd: work });
      assert.equal(r.code, 1);
      assert.equal(await Deno.readTextFile(join(work, "keep.bin")), "precious");
      assert.deepEqual(await listDir(work), before);
    });

    await t.step("a path out of the root: exit 1 with TFTP error 2", async () => {
      const r = await tftp(["get", url("../secret.txt"), "secret.txt"], { cwd: work });
      assert.equal(r.code, 1);
      assert.match(r.err, /^error: Access violation[^\n]* \(TFTP error 2\)\n$/);
      assert.ok(!r.err.includes(base), "the server's paths stay private");
      assert.ok(!(await exists(join(work, "secret.txt"))));
    });

    await t.step("put to a read-only server: exit 1, nothing written, JSON log", async () => {
      const r = await tftp(["put", "upload.bin", `tftp://127.0.0.1:${ro.port}/new.bin`], {
        cwd: work,
      });
      assert.equal(r.code, 1);
      assert.equal(r.err, "error: Access violation: this server is read-only (TFTP error 2)\n");
      assert.deepEqual(await listDir(readOnlyRoot), []);
      const line = await ro.proc.waitFor("out", /"filename":"new\.bin"/);
      const record = JSON.parse(line);
      assert.match(record.peer, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        [record.kind, record.mode, record.status, record.error],
        ["write", "octet", "refused", {
          code: 2,
          message: "Access violation: this server is read-only",
        }],
      );
    });

    await t.step("--trace: one line per datagram on stderr", async () => {
      const r = await tftp(["get", url("text.txt"), "-", "--trace", "-q"], { cwd: work });
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(r.stdout, TEXT);
      const lines = r.err.trimEnd().split("\n");
      assert.match(
        lines[0],
        /^-> 127\.0\.0\.1:\d+ +RRQ {2}"text\.txt" octet blksize=1468 tsize=0 /,
      );
      assert.ok(lines.some((l) => /^<- 127\.0\.0\.1:\d+ +OACK /.test(l)), r.err);
      assert.ok(lines.some((l) => /^<- 127\.0\.0\.1:\d+ +DATA block=1 len=43$/.test(l)), r.err);
      assert.match(lines.at(-1)!, /^-> 127\.0\.0\.1:\d+ +ACK {2}block=1$/);
      assert.ok(lines.every((l) => /^(->|<-) /.test(l)), "nothing but trace lines with -q");
    });

    await t.step("netascii: the URL mode or --mode, same bytes back", async () => {
      const viaUrl = await tftp(["get", `${url("text.txt")};mode=netascii`, "a.txt", "--json"], {
        cwd: work,
      });
      assert.equal(viaUrl.code, 0, viaUrl.err);
      assert.deepEqual(await Deno.readFile(join(work, "a.txt")), TEXT);
      const json = JSON.parse(viaUrl.out);
      assert.deepEqual([json.mode, json.bytes, json.options.tsize], [
        "netascii",
        TEXT.length,
        undefined,
      ]);
      const viaFlag = await tftp(["get", url("text.txt"), "b.txt", "--mode", "netascii"], {
        cwd: work,
      });
      assert.equal(viaFlag.code, 0, viaFlag.err);
      assert.deepEqual(await Deno.readFile(join(work, "b.txt")), TEXT);
      // 43 bytes; on the wire each of the 4 LF is CR LF and each of the 2 CR is CR NUL: 49.
      await rw.proc.waitFor("out", /^127\.0\.0\.1:\d+ read text\.txt netascii complete 49 B /);
    });

    await t.step("option flags reach the wire: --no-options, --windowsize, --timeout", async () => {
      const plain = await tftp(["get", url("boot.bin"), "-", "--no-options", "--json"]);
      assert.equal(plain.code, 0, plain.err);
      assert.deepEqual(plain.stdout, BOOT);
      const a = JSON.parse(plain.err);
      assert.deepEqual([a.options, a.optionsAcknowledged], [
        { blksize: 512, windowsize: 1 },
        false,
      ]);
      const wide = await tftp([
        "get",
        url("boot.bin"),
        "-",
        "--windowsize=8",
        "--no-tsize",
        "--json",
      ]);
      assert.equal(wide.code, 0, wide.err);
      assert.deepEqual(wide.stdout, BOOT);
      assert.deepEqual(JSON.parse(wide.err).options, { blksize: 1468, windowsize: 8 });
      // --timeout on a put: the receiver of a get dallies for a while after its last ACK.
      const args = ["put", "upload.bin", url("timed.bin"), "--timeout", "2", "--windowsize", "2"];
      const timed = await tftp([...args, "--blksize", "8192", "--json"], { cwd: work });
      assert.equal(timed.code, 0, timed.err);
      assert.deepEqual(JSON.parse(timed.out).options, {
        blksize: 8192,
        windowsize: 2,
        timeoutS: 2,
        tsize: 70_001,
      });
      assert.deepEqual(await Deno.readFile(join(root, "timed.bin")), BOOT.subarray(0, 70_001));
    });

    await t.step("the servers wrote nothing to stderr", () => {
      assert.deepEqual([rw.proc.err, ro.proc.err], [[], []]);
    });
  } finally {
    const codes = [];
    for (const server of servers) codes.push(await server.proc.stop("SIGTERM"));
    await Deno.remove(base, { recursive: true });
    assert.deepEqual(codes, servers.map(() => 0), "SIGTERM stops the server with status 0");
  }
});

Deno.test("tftp CLI: no answer gives a timeout error; SIGINT interrupts with 130", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (silent.addr as Deno.NetAddr).port;
  const work = await Deno.makeTempDir({ prefix: "tftpkit_cli_" });
  try {
    const r = await tftp(
      ["get", `tftp://127.0.0.1:${port}/x`, "--timeout", "1", "--retries", "0"],
      {
        cwd: work,
      },
    );
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(String.raw`^error: No answer from 127\.0\.0\.1:${port} .*\n$`));
    const proc = new LiveProcess(["get", `tftp://127.0.0.1:${port}/y`, "--trace"], work);
    await proc.waitFor("err", /RRQ/);
    assert.equal(await proc.stop("SIGINT"), 130);
    assert.equal(proc.err.at(-1), "error: Interrupted by SIGINT");
    assert.deepEqual(await listDir(work), [], "no output and no temporary file");
  } finally {
    silent.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("tftp CLI: --busy-poll without --allow-ffi says what to add, sends nothing", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (silent.addr as Deno.NetAddr).port;
  const work = await Deno.makeTempDir({ prefix: "tftpkit_cli_" });
  try {
    const r = await tftp(["get", `tftp://127.0.0.1:${port}/x`, "--busy-poll", "50"], { cwd: work });
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      "error: Busy polling drives the socket through libc: run with --allow-ffi\n",
    );
    const nothing = await Promise.race([
      silent.receive().then(() => "a datagram", () => "closed"),
      delay(200).then(() => "nothing"),
    ]);
    assert.equal(nothing, "nothing");
    assert.deepEqual(await listDir(work), []);
  } finally {
    silent.close();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("tftp CLI: usage errors exit 2 with the reason and a hint", async () => {
  const cases: [string[], string][] = [
    [["get", "tftp://127.0.0.1:9/x", "--bogus"], 'Unknown option "--bogus" for get'],
    [
      ["get", "tftp://127.0.0.1:9/x", "--blksize", "7"],
      "--blksize must be between 8 and 65464, got 7",
    ],
    [
      ["get", "tftp:/127.0.0.1/x"],
      'Invalid TFTP URL "tftp:/127.0.0.1/x": it must start with "tftp://"',
    ],
    [["get"], "Missing arguments: expected get <url> [output]"],
    [["put", "only-one"], "Missing arguments: expected put <input> <url>"],
    [["serve"], "Missing arguments: expected serve <root>"],
    [["fetch", "x"], 'Unknown command "fetch"'],
    [[], "Missing command: expected get, put or serve"],
  ];
  const runs = await Promise.all(cases.map(([args]) => tftp(args)));
  for (const [i, r] of runs.entries()) {
    const [args, message] = cases[i];
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.out, "");
    assert.equal(r.err, `error: ${message}\nRun with --help for usage.\n`);
  }
});

Deno.test("tftp CLI: --help, help and <command> --help print usage and exit 0", async () => {
  const cases: [string[], string, string][] = [
    [["--help"], "tftp.ts serve <root>", "--max-windowsize N"],
    [["help"], "tftp.ts put <input> <url>", "Exit status:"],
    [["get", "--help"], "tftp.ts get <url> [output]", "--blksize N"],
    [["serve", "-h"], "tftp.ts serve <root>", "--port-range A-B"],
  ];
  const runs = await Promise.all(cases.map(([args]) => tftp(args)));
  for (const [i, r] of runs.entries()) {
    const [args, ...expected] = cases[i];
    assert.equal(r.code, 0, args.join(" "));
    assert.equal(r.err, "");
    assert.ok(r.out.startsWith("tftp.ts: TFTP client and server"), r.out);
    for (const text of expected) assert.ok(r.out.includes(text), `${args.join(" ")}: ${text}`);
  }
});
