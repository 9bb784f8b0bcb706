/**
 * One of our command-line scripts running as a child process, its stdout and stderr
 * collected as they arrive: wait for its `listening on` line, signal it, and kill it by PID
 * on dispose. Every wait is bounded.
 *
 * @module
 */

import { join } from "node:path";
import { CHILD_ENV, within } from "./_fixture.ts";

const REPO = new URL("..", import.meta.url).pathname;

/** Settings of a {@linkcode ScriptProcess}. */
export interface ScriptProcessOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** The child is killed after this long. @default {60_000} */
  limitMs?: number;
  /** Bound of each wait (listening line, exit, output). @default {10_000} */
  waitMs?: number;
}

/** A running `deno run --allow-all scripts/<script> ...` child. */
export class ScriptProcess implements AsyncDisposable {
  /** Everything the child wrote to stdout so far. */
  out = "";
  /** Everything the child wrote to stderr so far. */
  err = "";
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<unknown>;
  readonly #name: string;
  readonly #waitMs: number;
  #exited = false;

  /** Starts `scripts/<script>` with `args`. */
  constructor(script: string, args: readonly string[], options: ScriptProcessOptions = {}) {
    this.#name = script;
    this.#waitMs = options.waitMs ?? 10_000;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--config",
        join(REPO, "deno.json"),
        join(REPO, "scripts", script),
        ...args,
      ],
      cwd: options.cwd,
      env: CHILD_ENV,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.limitMs ?? 60_000),
    }).spawn();
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

  /** The port from the `listening on 127.0.0.1:PORT` line. */
  async listening(): Promise<number> {
    const until = Date.now() + this.#waitMs;
    for (let i = 0; i < 10_000 && Date.now() < until && !this.#exited; i++) {
      const match = /^listening on 127\.0\.0\.1:([0-9]+)\n/.exec(this.out);
      if (match) return Number(match[1]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`No "listening on" line;\nstdout:\n${this.out}\nstderr:\n${this.err}`);
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
    await this.#pumps.catch(() => {});
  }
}
