/**
 * What every command-line script shares: writing to stdout/stderr, the user's folder under
 * `deno task`, stop signals, and `host:port` text.
 *
 * @module
 */

export { formatPeer as formatHostPort } from "../lib/tftp/engine/transfer.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/** Writes text to stdout, all of it. */
export function out(text: string): void {
  writeAll(Deno.stdout, text);
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
