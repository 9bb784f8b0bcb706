/**
 * Which conformance checks run: {@linkcode selectChecks} applies `--only` and `--skip` and
 * refuses unknown and duplicate ids.
 *
 * @module
 */

import type { ConformanceCheck } from "./check.ts";

/** Which checks run: {@linkcode selectChecks}. */
export interface SelectOptions {
  /** Run only these ids (in the checks' order). @default {undefined} (all) */
  only?: readonly string[];
  /** Leave these ids out. @default {undefined} (none) */
  skip?: readonly string[];
}

/**
 * The checks that `only` and `skip` select, in the order of `checks`. Throws a TypeError when
 * two checks share an id and a RangeError naming the known ids when `only` or `skip` names an
 * unknown one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineCheck } from "./check.ts";
 * import { selectChecks } from "./select.ts";
 * const make = (id: string) =>
 *   defineCheck({ id, title: id, rfc: "RFC 1350", level: "must", run: async () => ({ status: "pass", detail: "" }) });
 * const checks = [make("a"), make("b"), make("c")];
 * assert.deepEqual(selectChecks(checks, { only: ["c", "a"] }).map((c) => c.id), ["a", "c"]);
 * assert.deepEqual(selectChecks(checks, { skip: ["b"] }).map((c) => c.id), ["a", "c"]);
 * assert.throws(() => selectChecks(checks, { only: ["x"] }), {
 *   name: "RangeError",
 *   message: 'Unknown check id "x"; known ids: a, b, c',
 * });
 * ```
 *
 * @param checks Every known check.
 * @param options The selection.
 * @returns The selected checks.
 */
export function selectChecks(
  checks: readonly ConformanceCheck[],
  options: SelectOptions = {},
): ConformanceCheck[] {
  const known = new Set<string>();
  for (const check of checks) {
    if (known.has(check.id)) {
      throw new TypeError(`Check id ${JSON.stringify(check.id)} is used by two checks`);
    }
    known.add(check.id);
  }
  const unknown = [...options.only ?? [], ...options.skip ?? []].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const names = [...new Set(unknown)].map((id) => JSON.stringify(id)).join(", ");
    throw new RangeError(
      `Unknown check id${unknown.length > 1 ? "s" : ""} ${names}; known ids: ${
        known.size > 0 ? [...known].join(", ") : "(none)"
      }`,
    );
  }
  const only = options.only ? new Set(options.only) : undefined;
  const skip = new Set(options.skip ?? []);
  return checks.filter((check) => (only?.has(check.id) ?? true) && !skip.has(check.id));
}
