/**
 * One of our command-line scripts running as a child process, its stdout and stderr
 * collected as they arrive: wait for its `listening on` line or any output, type on its stdin,
 * signal it, and kill it by PID on dispose. It can run under a command prefix such as
 * `ip netns exec NS` (which execs deno: the PID stays deno's). Every wait is bounded.
 *
 * @module
 */

import { join } from "node:path";
import { CHILD_ENV, waitUntil, within } from "./_fixture.ts";
import { taskV8Flags } from "./_task_flags.ts";

const REPO = new URL("..", import.meta.url).pathname;

/** Settings of a {@linkcode ScriptProcess}. */
export interface ScriptProcessOptions {
  /** Working directory of the child. @default {undefined} (this process's) */
  cwd?: string;
  /** The child is killed after this long. @default {60_000} */
  limitMs?: number;
  /** Bound of each wait (listening line, output, exit). @default {10_000} */
  waitMs?: number;
  /**
   * `"piped"` to type on the child's stdin with {@linkcode ScriptProcess.write} and end it
   * with {@linkcode ScriptProcess.closeStdin}; `"null"` gives it an empty stdin.
   * @default {"null"}
   */
  stdin?: "null" | "piped";
  /**
   * A command and its arguments that run deno, e.g. `["/usr/sbin/ip", "netns", "exec", ns]`.
   * @default {[]}
   */
  prefix?: readonly string[];
  /**
   * Flags for `deno run` itself, e.g. `["--v8-flags=--max-semi-space-size=2"]`.
   * @default {taskV8Flags(script)} (the child runs as `deno task` would run it)
   */
  runFlags?: readonly string[];
}

/** What a script run to its end did: see {@linkcode runScript}. */
export interface ScriptResult {
  /** The exit status. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

const encoder = new TextEncoder();

/** A running `deno run --allow-all scripts/<script> ...` child. */
export class ScriptProcess implements AsyncDisposable {
  /** Everything the child wrote to stdout so far. */
  out = "";
  /** Everything the child wrote to stderr so far. */
  err = "";
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #pumps: Promise<unknown>;
  readonly #name: string;
  readonly #waitMs: number;
  #exited = false;

  /** Starts `scripts/<script>` with `args`. */
  constructor(script: string, args: readonly string[], options: ScriptProcessOptions = {}) {
    this.#name = script;
    this.#waitMs = options.waitMs ?? 10_000;
    const deno = [
      Deno.execPath(),
      "run",
      ...(options.runFlags ?? taskV8Flags(script)),
      "--allow-all",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "scripts", script),
      ...args,
    ];
    const [command, ...commandArgs] = [...(options.prefix ?? []), ...deno];
    this.#child = new Deno.Command(command, {
      args: commandArgs,
      cwd: options.cwd,
      env: CHILD_ENV,
      clearEnv: true,
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.limitMs ?? 60_000),
    }).spawn();
    this.#stdin = options.stdin === "piped" ? this.#child.stdin.getWriter() : undefined;
    const pump = async (stream: ReadableStream<Uint8Array>, into: "out" | "err") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this[into] += text;
    };
    this.#pumps = Promise.all([pump(this.#child.stdout, "out"), pump(this.#child.stderr, "err")]);
    this.#child.status.then(() => (this.#exited = true));
  }

  /** The child's process ID (for `/proc/<pid>/status`). */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Waits until stdout (or stderr) matches `pattern`; returns the match. Fails when the child
   * exits without it or after `waitMs`, showing both outputs.
   */
  async waitFor(pattern: RegExp, where: "out" | "err" = "out"): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await waitUntil(
      () => (match = this[where].match(pattern)) !== null || this.#exited,
      this.#waitMs,
      `${pattern} on std${where} of ${this.#name}`,
    ).catch((error) => {
      throw new Error(`${error.message}\nstdout:\n${this.out}\nstderr:\n${this.err}`);
    });
    if (!match) {
      // It exited: its last output may still be on the way.
      await within(this.#pumps, this.#waitMs, `${this.#name} output`).catch(() => {});
      match = this[where].match(pattern);
    }
    if (!match) {
      throw new Error(`Exited before ${pattern};\nstdout:\n${this.out}\nstderr:\n${this.err}`);
    }
    return match;
  }

  /** The port from the first line, `listening on <host>:PORT`. */
  async listening(host = "127.0.0.1"): Promise<number> {
    const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return Number((await this.waitFor(new RegExp(`^listening on ${escaped}:([0-9]+)\\n`)))[1]);
  }

  /** Writes `text` (UTF-8, as a terminal would) to the child's stdin (`stdin: "piped"`). */
  async write(text: string): Promise<void> {
    await this.#input().write(encoder.encode(text));
  }

  /** Ends the child's stdin (`stdin: "piped"`). */
  async closeStdin(): Promise<void> {
    await this.#input().close();
  }

  #input(): WritableStreamDefaultWriter<Uint8Array> {
    if (!this.#stdin) throw new TypeError(`${this.#name} was not started with stdin "piped"`);
    return this.#stdin;
  }

  /** Sends `signal` unless the child already ended, and waits for its status and output. */
  async exit(signal?: Deno.Signal): Promise<number> {
    if (signal && !this.#exited) {
      try {
        Deno.kill(this.#child.pid, signal);
      } catch { /* exited meanwhile */ }
    }
    const { code } = await within(this.#child.status, this.#waitMs, `${this.#name} to exit`);
    await within(this.#pumps, this.#waitMs, `${this.#name} output`);
    return code;
  }

  /** Kills the child by its PID if it still runs, and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) {
      try {
        Deno.kill(this.#child.pid, "SIGKILL");
      } catch { /* exited meanwhile */ }
    }
    await this.#child.status;
    await this.#stdin?.close().catch(() => {});
    await this.#pumps.catch(() => {});
  }
}

/**
 * Runs `scripts/<script>` with `args` to its end (stdin empty unless `options.stdin`; killed
 * after `limitMs`) and returns its status and output.
 */
export async function runScript(
  script: string,
  args: readonly string[],
  options: ScriptProcessOptions = {},
): Promise<ScriptResult> {
  const limitMs = options.limitMs ?? 60_000;
  await using child = new ScriptProcess(script, args, { waitMs: limitMs, ...options });
  const code = await child.exit();
  return { code, stdout: child.out, stderr: child.err };
}
