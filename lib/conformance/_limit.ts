/**
 * Time limits of the conformance runner. {@linkcode withContext} opens a fresh context, runs
 * one piece of work on it within a time limit and always disposes of the context.
 *
 * Rules:
 * - The context's signal is aborted when the limit passes; the work then gets
 *   {@linkcode GRACE_MS} more to unwind before it is given up (`expired`).
 * - Aborting the run's signal stops the wait at once: the context is disposed and the promise
 *   rejects with the signal's reason.
 * - A context that cannot be opened, or work that throws, settles as `threw`; failing to
 *   dispose of the context only adds a line to the log.
 *
 * @module
 */

/** How long work that ran out of time gets to unwind after its signal is aborted, in ms. */
export const GRACE_MS = 1_000;
/** The longest timer the platform keeps (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How work run by {@linkcode withContext} ended. */
export type Settled<T> =
  | { kind: "done"; value: T }
  | { kind: "threw"; error: unknown }
  | { kind: "expired" };

/** Options of {@linkcode withContext}. */
export interface LimitOptions {
  /** The time limit, in ms (already scaled). */
  limitMs: number;
  /** The run's signal: aborting it rejects with its reason. @default {undefined} */
  signal?: AbortSignal;
  /** Receives a line when disposing of the context fails. */
  log: string[];
}

/**
 * The message of a thrown value: an Error's `message`, anything else as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageOf } from "./_limit.ts";
 * assert.equal(messageOf(new TypeError("bad")), "bad");
 * assert.equal(messageOf("plain"), "plain");
 * ```
 *
 * @param error What was thrown.
 * @returns Its message.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves with `promise`'s value, `"expired"` after `ms`, or `"aborted"` when `signal` is. */
function raceDeadline<T>(
  promise: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T | "expired" | "aborted"> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve("aborted");
    const finish = (value: T | "expired" | "aborted") => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = () => finish("aborted");
    const timer = setTimeout(() => finish("expired"), Math.min(ms, MAX_TIMER_MS));
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(finish);
  });
}

/**
 * Opens a context with `open` (given a signal that aborts when the limit passes or the run is
 * interrupted), runs `work` on it within `options.limitMs`, then disposes of the context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withContext } from "./_limit.ts";
 * const log: string[] = [];
 * const open = () => ({ [Symbol.asyncDispose]: () => Promise.reject(new Error("busy")) });
 * const done = await withContext(open, () => Promise.resolve(42), { limitMs: 1000, log });
 * assert.deepEqual(done, { kind: "done", value: 42 });
 * assert.deepEqual(log, ["closing the context failed: busy"]);
 * const broken = await withContext(() => { throw new Error("no route") }, async () => 1, {
 *   limitMs: 1000,
 *   log,
 * });
 * assert.equal(broken.kind === "threw" && String(broken.error), "Error: Cannot create the context: no route");
 * ```
 *
 * @param open Makes the context; its signal aborts when the limit passes.
 * @param work What to run on the context.
 * @param options The time limit, the run's signal and the log.
 * @returns How the work ended.
 */
export async function withContext<C extends AsyncDisposable, T>(
  open: (signal: AbortSignal) => C | Promise<C>,
  work: (ctx: C) => Promise<T>,
  options: LimitOptions,
): Promise<Settled<T>> {
  const { limitMs, signal: runSignal, log } = options;
  const limit = new AbortController();
  const signal = runSignal ? AbortSignal.any([runSignal, limit.signal]) : limit.signal;
  let ctx: C;
  try {
    ctx = await open(signal);
  } catch (error) {
    runSignal?.throwIfAborted();
    return { kind: "threw", error: new Error(`Cannot create the context: ${messageOf(error)}`) };
  }
  try {
    const settled: Promise<Settled<T>> = Promise.resolve()
      .then(() => work(ctx))
      .then((value) => ({ kind: "done", value }), (error) => ({ kind: "threw", error }));
    const first = await raceDeadline(settled, limitMs, runSignal);
    if (first !== "expired" && first !== "aborted") {
      runSignal?.throwIfAborted();
      return first;
    }
    limit.abort(new Error(`Time limit of ${Math.round(limitMs)} ms passed`));
    await raceDeadline(settled, GRACE_MS);
    runSignal?.throwIfAborted();
    return { kind: "expired" };
  } finally {
    try {
      await ctx[Symbol.asyncDispose]();
    } catch (error) {
      log.push(`closing the context failed: ${messageOf(error)}`);
    }
  }
}
