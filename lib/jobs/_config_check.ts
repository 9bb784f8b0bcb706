/**
 * Building blocks of the jobs file validation: how a wrong value is shown, which known field
 * a misspelt one probably meant, and {@linkcode Fields}, which reads one object's fields and
 * fails with messages naming the job and the field. Pure.
 *
 * @module
 */

import { JobsConfigError } from "./_config_error.ts";

/** Longest time in a seconds field: one day. */
const MAX_SECONDS = 86400;

/** How a value that failed a check is shown after `got`: JSON for scalars, a kind otherwise. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (value !== null && typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 76)}..."` : text;
}

/** Edit distance (insertions, deletions, substitutions), for spelling suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * The known field an unknown one most likely meant, or `undefined`: the same name in another
 * case or with `_`/`-` (`only_if_changed`), a listed alias (`timeout` for `timeoutSeconds`), or
 * a misspelling within two edits (`schedul`).
 */
export function suggestField(
  unknown: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const squashed = squash(unknown);
  const same = known.find((name) => squash(name) === squashed);
  if (same !== undefined) return same;
  const alias = Object.entries(aliases).find(([from]) => squash(from) === squashed)?.[1];
  if (alias !== undefined) return alias;
  if (squashed.length < 3) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const distance = editDistance(squashed, squash(name));
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Reads and checks the fields of one object (the file or one job), failing with its label. */
export class Fields {
  /** Wraps `object`; `job` labels messages (`undefined` at the top level). */
  constructor(
    readonly object: Record<string, unknown>,
    readonly job: string | undefined,
    readonly prefix = "",
  ) {}

  /** `job "sw1": ` or `job #3: `, or nothing at the top level. */
  where(): string {
    if (this.job === undefined) return "";
    return `job ${this.job.startsWith("#") ? this.job : JSON.stringify(this.job)}: `;
  }

  /** Throws a {@linkcode JobsConfigError} about `field` (prefixed) of this object. */
  fail(field: string, text: string, cause?: unknown): never {
    const name = this.prefix + field;
    throw new JobsConfigError(`${this.where()}field ${JSON.stringify(name)} ${text}`, {
      job: this.job,
      field: name,
      cause,
    });
  }

  /** Throws `field "x" must be <expected>, got <value>`. */
  expect(field: string, expected: string): never {
    return this.fail(field, `must be ${expected}, got ${describeValue(this.object[field])}`);
  }

  /** Throws for the first key not in `known`, suggesting the closest known one. */
  rejectUnknown(known: readonly string[], aliases: Record<string, string> = {}): void {
    for (const key of Object.keys(this.object)) {
      if (known.includes(key)) continue;
      const hint = suggestField(key, known, aliases);
      const tail = hint === undefined
        ? ` (known fields: ${known.join(", ")})`
        : hint === "options"
        ? ` (transfer options go in "options")`
        : ` (did you mean ${JSON.stringify(hint)}?)`;
      throw new JobsConfigError(
        `${this.where()}unknown field ${JSON.stringify(this.prefix + key)}${tail}`,
        {
          job: this.job,
          field: this.prefix + key,
        },
      );
    }
  }

  /** A non-empty string without NUL; `fallback` when missing, required when no fallback. */
  string(field: string, example: string, fallback?: string): string {
    const value = this.object[field];
    if (value === undefined && fallback !== undefined) return fallback;
    if (value === undefined) this.fail(field, `is required (${example})`);
    if (typeof value !== "string" || value === "") this.expect(field, `a non-empty string`);
    if (value.includes("\0")) this.fail(field, "must not contain a NUL character");
    return value;
  }

  /** A whole number in `min..max`, or `undefined` when missing. */
  whole(field: string, min: number, max: number, expected?: string): number | undefined {
    const value = this.object[field];
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      this.expect(field, expected ?? `a whole number from ${min} to ${max}`);
    }
    return value as number;
  }

  /** A number of seconds in `min..86400`, or `undefined` when missing. */
  seconds(field: string, min: number): number | undefined {
    const value = this.object[field];
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !(value >= min && value <= MAX_SECONDS)) {
      this.expect(field, `a number of seconds from ${min} to ${MAX_SECONDS}`);
    }
    return value;
  }
}
