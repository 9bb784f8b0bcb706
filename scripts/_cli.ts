/**
 * What every command-line script shares: writing to stdout/stderr, the user's folder under
 * `deno task`, stop signals and interrupted clients, the `listening on` line of servers, the
 * `error: ...` line and exit status of a failure, and `host:port` text.
 *
 * @module
 */

import { formatPeer } from "../lib/tftp/engine/transfer.ts";
import { UsageError } from "./_cli_args.ts";

export { formatPeer as formatHostPort };

const encoder = new TextEncoder();

function writeAll(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/**
 * Writes text to stdout, all of it. When the reader went away (`jobs.ts check | head`), the
 * process ends quietly with status 0, as a command killed by SIGPIPE would.
 */
export function out(text: string): void {
  try {
    writeAll(Deno.stdout, text);
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    Deno.exit(0);
  }
}

/** Writes text to stderr, all of it. */
export function err(text: string): void {
  writeAll(Deno.stderr, text);
}

/** The signals that stop a command. */
export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * Calls `handler` on the first SIGINT or SIGTERM, then stops listening, so that a second
 * signal ends the process the default way. Returns a function that stops listening.
 */
export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const added: [StopSignal, () => void][] = [];
  const remove = () => {
    for (const [signal, listener] of added.splice(0)) Deno.removeSignalListener(signal, listener);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const listener = () => {
      remove();
      handler(signal);
    };
    try {
      Deno.addSignalListener(signal, listener);
      added.push([signal, listener]);
    } catch { /* SIGTERM cannot be caught on Windows */ }
  }
  return remove;
}

/**
 * `deno task` runs in the folder of deno.json; it passes the user's folder as INIT_CWD.
 * Entering it makes relative paths mean what the user typed.
 */
export function enterUserFolder(): void {
  const query = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" });
  const folder = query.state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
  if (folder) Deno.chdir(folder);
}

/** The exit status of a client stopped by a signal: 128 + the signal number. */
export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Resolves with the first SIGINT or SIGTERM.
 *
 * @example
 * ```ts ignore
 * await stopSignal();
 * await server.shutdown();
 * ```
 */
export function stopSignal(): Promise<StopSignal> {
  const { promise, resolve } = Promise.withResolvers<StopSignal>();
  onStopSignal(resolve);
  return promise;
}

/**
 * Starts a server with `start`, turning a failure into `Cannot listen on HOST:PORT: ...`
 * (`where` is what was asked for), then prints `listening on HOST:PORT` with the address it
 * got.
 *
 * @example
 * ```ts ignore
 * const server = await listen(cmd, () => serveTcpEcho({ hostname: cmd.hostname, port: cmd.port }));
 * ```
 */
export async function listen<T extends { addr: Deno.NetAddr }>(
  where: { hostname: string; port: number },
  start: () => T | Promise<T>,
): Promise<T> {
  let server: T;
  try {
    server = await start();
  } catch (error) {
    throw new Error(`Cannot listen on ${formatPeer(where)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  out(`listening on ${formatPeer(server.addr)}\n`);
  return server;
}

/** Settings of {@linkcode interruptible}. */
export interface InterruptibleOptions {
  /**
   * Print `error: Interrupted by SIGINT` (or the action's error) when a signal stopped it.
   *
   * @default {true}
   */
  report?: boolean;
}

/**
 * Runs a client action with an `AbortSignal` that SIGINT/SIGTERM abort (reason
 * `Interrupted by SIGINT`); returns 130/143 ({@linkcode SIGNAL_EXIT}) when one did, and
 * rethrows the action's other failures.
 *
 * @example
 * ```ts ignore
 * const code = await interruptible((signal) => tcpGet(url, path, { signal }).then(() => 0));
 * ```
 */
export async function interruptible(
  action: (signal: AbortSignal) => Promise<number>,
  options: InterruptibleOptions = {},
): Promise<number> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error(`Interrupted by ${signal}`));
  });
  try {
    return await action(controller.signal);
  } catch (error) {
    if (!stoppedBy) throw error;
    if (options.report ?? true) err(`error: ${(error as Error).message}\n`);
    return SIGNAL_EXIT[stoppedBy];
  } finally {
    stopListening();
  }
}

/**
 * Prints the one `error: <message>` line of a failure (followed by `Run with --help for
 * usage.` for a {@linkcode UsageError}) and returns the exit status: 2 for a usage error, 1
 * for any other.
 *
 * @example
 * ```ts ignore
 * try {
 *   return await run(parseArgs(args));
 * } catch (error) {
 *   return reportFailure(error);
 * }
 * ```
 */
export function reportFailure(
  error: unknown,
  message: string = (error as Error).message,
): 1 | 2 {
  const usage = error instanceof UsageError;
  err(`error: ${message}\n`);
  if (usage) err("Run with --help for usage.\n");
  return usage ? 2 : 1;
}
