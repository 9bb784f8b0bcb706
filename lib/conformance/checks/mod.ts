/**
 * The built-in conformance checks, in run order. `conformance.ts run` runs these plus the
 * `--plugin` checks; `conformance.ts list` lists them.
 *
 * @module
 */

import type { ConformanceCheck } from "../check.ts";

/**
 * Every built-in check, in run order (cheap, harmless checks first; checks that send unusual
 * packets later).
 *
 * Empty for now: the checks of issue 5 (`rrq-basic`, `rrq-empty`, `block-boundary`, ...) are
 * written next, one file per check in this folder, and listed here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CHECKS } from "./mod.ts";
 * assert.equal(new Set(BUILTIN_CHECKS.map((check) => check.id)).size, BUILTIN_CHECKS.length);
 * ```
 */
export const BUILTIN_CHECKS: readonly ConformanceCheck[] = Object.freeze([]);
