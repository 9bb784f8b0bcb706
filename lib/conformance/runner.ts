/**
 * The conformance runner: runs checks one at a time, in order, each with a fresh
 * {@linkcode CheckContext} and its own time limit, and collects the verdicts into a
 * {@linkcode RunReport}.
 *
 * Rules:
 * - A `writable` check without `writable: true` is `skip` with `needs --writable`; it does not
 *   run and no liveness request follows it.
 * - The time limit is the check's `limitMs` (30 s when unset) x `timeoutScale`. When it
 *   passes, the context's signal is aborted, the check gets one more second to unwind, and the
 *   verdict is `fail` with `did not finish within N ms`.
 * - A check that throws fails with the error's message; an outcome that is not an object with
 *   a known status and a string detail fails and says what was wrong with it.
 * - After every check that ran, `liveness()` runs on a fresh context. When the server no
 *   longer answers, that check fails, its detail says so and it is marked `serverDown`; the
 *   following checks still run. After {@linkcode DOWN_IN_A_ROW} liveness failures in a row
 *   the server is taken for down: the remaining checks are not run but reported as `fail`
 *   ("not run: the server stopped answering ...", `serverDown`), instead of each waiting
 *   out its own timeouts.
 * - Aborting `signal` stops the run: the current check is aborted and disposed, and the
 *   returned promise rejects with the signal's reason.
 *
 * Which checks run is decided in `select.ts`, the time limits are kept by `_limit.ts`, and
 * `summary.ts` counts the verdicts of a report.
 *
 * @module
 */

import type {
  Address,
  CheckContext,
  CheckLevel,
  CheckOutcome,
  CheckStatus,
  ConformanceCheck,
  FixtureCatalogue,
  Liveness,
} from "./check.ts";
import { createCheckContext } from "./context.ts";
import { selectChecks, type SelectOptions } from "./select.ts";
import { messageOf, type Settled, withContext } from "./_limit.ts";
import { readOutcome } from "./_outcome.ts";

/** The verdict of one check in a {@linkcode RunReport}. */
export interface CheckResult {
  /** The check's id. */
  id: string;
  /** The check's title. */
  title: string;
  /** The specification, e.g. `RFC 1350`. */
  rfc: string;
  /** How binding the rule is. */
  level: CheckLevel;
  /** The verdict. */
  status: CheckStatus;
  /** Why; for a skipped check, the reason. */
  detail: string;
  /** How long the check ran, in ms (0 when it did not run). */
  ms: number;
  /** What the check measured (a plain JSON copy). */
  measured?: Record<string, unknown>;
  /** The lines the check logged, when it logged any. */
  log?: string[];
  /** Set when the server stopped answering after this check. */
  serverDown?: boolean;
}

/** The result of {@linkcode runConformance}. */
export interface RunReport {
  /** The server's URL, as given in the options. */
  server: string;
  /** When the run started, ISO 8601. */
  started: string;
  /** How long the whole run took, in ms. */
  durationMs: number;
  /** Every selected check's verdict, in run order. */
  checks: CheckResult[];
}

/** What a {@linkcode ContextFactory} is given. */
export interface ContextFactoryOptions {
  /** The server under test. */
  server: Address;
  /** The fixture catalogue; the factory's own when absent. */
  fixtures?: FixtureCatalogue;
  /** Whether checks may write. */
  writable: boolean;
  /** Every deadline is multiplied by it. */
  timeoutScale: number;
  /** Aborted when the check's time limit passes or the run is interrupted. */
  signal: AbortSignal;
  /** Receives the lines the check logs. */
  log(line: string): void;
}

/** A context the runner disposes of when the check ends. */
export type CheckContextHandle = CheckContext & AsyncDisposable;

/** Makes the context of one check (or of one liveness request). */
export type ContextFactory = (
  options: ContextFactoryOptions,
) => CheckContextHandle | Promise<CheckContextHandle>;

/** Options of {@linkcode runConformance}. */
export interface RunOptions extends SelectOptions {
  /** The server under test. */
  server: Address;
  /** The server's URL, recorded in the report. */
  url: string;
  /** Let `writable` checks run (they upload files). @default {false} */
  writable?: boolean;
  /** Multiplies every deadline and time limit; above 0. @default {1} */
  timeoutScale?: number;
  /** Stops the run; the promise then rejects with its reason. @default {undefined} */
  signal?: AbortSignal;
  /** Passed to the context factory. @default {undefined} (the factory's own catalogue) */
  fixtures?: FixtureCatalogue;
  /** Makes each check's context. @default {createCheckContext} (from `context.ts`) */
  contextFactory?: ContextFactory;
  /** Called with each result as soon as it is final. @default {undefined} */
  onResult?: (result: CheckResult) => void;
  /** The clock, in ms since the epoch. @default {Date.now} */
  now?: () => number;
}

/** A check's time limit when it sets none, in ms before scaling. */
export const DEFAULT_LIMIT_MS = 30_000;
/** Time limit of a liveness request, in ms before scaling. */
const LIVENESS_LIMIT_MS = 15_000;
const NEEDS_WRITABLE = "needs --writable";

/** Liveness failures in a row after which the remaining checks are not run. */
export const DOWN_IN_A_ROW = 2;

interface Run {
  server: Address;
  fixtures?: FixtureCatalogue;
  writable: boolean;
  timeoutScale: number;
  signal?: AbortSignal;
  factory: ContextFactory;
  now: () => number;
}

/** Runs `work` on a fresh context from the run's factory within `limitMs`. */
function inContext<T>(
  run: Run,
  log: string[],
  limitMs: number,
  work: (ctx: CheckContext) => Promise<T>,
): Promise<Settled<T>> {
  const open = (signal: AbortSignal) =>
    run.factory({
      server: run.server,
      fixtures: run.fixtures,
      writable: run.writable,
      timeoutScale: run.timeoutScale,
      signal,
      log: (line) => void log.push(String(line)),
    });
  return withContext(open, work, { limitMs, signal: run.signal, log });
}

async function runCheck(check: ConformanceCheck, run: Run, log: string[]): Promise<CheckOutcome> {
  const limitMs = (check.limitMs ?? DEFAULT_LIMIT_MS) * run.timeoutScale;
  const settled = await inContext(run, log, limitMs, (ctx) => check.run(ctx));
  if (settled.kind === "expired") {
    return { status: "fail", detail: `did not finish within ${Math.round(limitMs)} ms` };
  }
  if (settled.kind === "threw") return { status: "fail", detail: messageOf(settled.error) };
  return readOutcome(settled.value);
}

async function checkLiveness(run: Run, log: string[]): Promise<Liveness> {
  const lines: string[] = [];
  const limitMs = LIVENESS_LIMIT_MS * run.timeoutScale;
  const settled = await inContext(run, lines, limitMs, (ctx) => ctx.liveness());
  let liveness: Liveness;
  if (settled.kind === "expired") {
    liveness = { alive: false, detail: `no liveness answer within ${Math.round(limitMs)} ms` };
  } else if (settled.kind === "threw") {
    liveness = { alive: false, detail: `the liveness request failed: ${messageOf(settled.error)}` };
  } else if (typeof settled.value?.alive !== "boolean") {
    liveness = { alive: false, detail: "liveness() returned no verdict" };
  } else {
    liveness = { alive: settled.value.alive, detail: String(settled.value.detail) };
  }
  if (!liveness.alive) log.push(...lines.map((line) => `liveness: ${line}`));
  return liveness;
}

/** Runs one check and the liveness request after it; `undefined` when it may not run. */
async function runOne(
  check: ConformanceCheck,
  run: Run,
  wasUp: boolean,
): Promise<CheckResult | undefined> {
  if (check.writable && !run.writable) return undefined;
  const { id, title, rfc, level } = check;
  const log: string[] = [];
  const started = run.now();
  const outcome = await runCheck(check, run, log);
  const ms = Math.max(0, Math.round(run.now() - started));
  const liveness = await checkLiveness(run, log);
  const result: CheckResult = { id, title, rfc, level, ...outcome, ms };
  if (!liveness.alive) {
    const note = `the server ${
      wasUp ? "stopped" : "was still not"
    } answering after this check: ${liveness.detail}`;
    result.status = "fail";
    result.detail = result.detail === "" ? note : `${result.detail}; ${note}`;
    result.serverDown = true;
  }
  if (log.length > 0) result.log = log;
  return result;
}

/**
 * Runs `checks` (those `only` and `skip` select) one at a time against `options.server`.
 * Throws a RangeError for an unknown id in `only` or `skip`, a TypeError for duplicate ids or
 * bad options; rejects with the signal's reason when `signal` is aborted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineCheck } from "./check.ts";
 * import { type CheckContextHandle, runConformance } from "./runner.ts";
 * const check = defineCheck({
 *   id: "always-passes",
 *   title: "Passes",
 *   rfc: "RFC 1350",
 *   level: "must",
 *   run: async () => ({ status: "pass", detail: "fine" }),
 * });
 * const fake = {
 *   liveness: async () => ({ alive: true, detail: "ok" }),
 *   [Symbol.asyncDispose]: async () => {},
 * } as unknown as CheckContextHandle;
 * const report = await runConformance([check], {
 *   server: { hostname: "127.0.0.1", port: 69 },
 *   url: "tftp://127.0.0.1:69/",
 *   contextFactory: () => fake,
 * });
 * assert.equal(report.checks[0].status, "pass");
 * assert.equal(report.checks[0].detail, "fine");
 * ```
 *
 * @param checks The checks, in run order.
 * @param options The server, the selection and the run's settings.
 * @returns The report.
 */
export async function runConformance(
  checks: readonly ConformanceCheck[],
  options: RunOptions,
): Promise<RunReport> {
  const { server, url, timeoutScale = 1 } = options;
  if (typeof server?.hostname !== "string" || server.hostname === "") {
    throw new TypeError("server.hostname must be a non-empty string");
  }
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
    throw new RangeError(`server.port must be from 1 to 65535, got ${server.port}`);
  }
  if (typeof url !== "string") throw new TypeError("url must be a string");
  if (!(Number.isFinite(timeoutScale) && timeoutScale > 0)) {
    throw new RangeError(`timeoutScale must be a positive number, got ${timeoutScale}`);
  }
  const selected = selectChecks(checks, options);
  const run: Run = {
    server,
    fixtures: options.fixtures,
    writable: options.writable ?? false,
    timeoutScale,
    signal: options.signal,
    factory: options.contextFactory ?? createCheckContext,
    now: options.now ?? Date.now,
  };
  run.signal?.throwIfAborted();
  const startedAt = run.now();
  const results: CheckResult[] = [];
  let down = 0;
  for (const check of selected) {
    run.signal?.throwIfAborted();
    const { id, title, rfc, level } = check;
    if (down >= DOWN_IN_A_ROW && (!check.writable || run.writable)) {
      const detail = `not run: the server stopped answering (no liveness answer after the ` +
        `last ${down} checks)`;
      const result: CheckResult = { id, title, rfc, level, status: "fail", detail, ms: 0 };
      result.serverDown = true;
      results.push(result);
      options.onResult?.(result);
      continue;
    }
    const ran = await runOne(check, run, down === 0);
    const result = ran ?? { id, title, rfc, level, status: "skip", detail: NEEDS_WRITABLE, ms: 0 };
    if (ran) down = ran.serverDown ? down + 1 : 0;
    results.push(result);
    options.onResult?.(result);
  }
  return {
    server: url,
    started: new Date(startedAt).toISOString(),
    durationMs: Math.max(0, Math.round(run.now() - startedAt)),
    checks: results,
  };
}
