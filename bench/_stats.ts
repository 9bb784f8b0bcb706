/**
 * Pure helpers of the peer benchmark: summaries of repeated measurements (median, min, max),
 * the ratio of two medians, the interleaved order of runs (A and B alternated, drift
 * cancelled) and a plain-text table. No clock, no sockets: tested without permissions.
 *
 * @module
 */

/** The median, minimum and maximum of some measurements, and how many there were. */
export interface Summary {
  /** How many measurements. */
  n: number;
  /** The middle value (the mean of the two middle values for an even count). */
  median: number;
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
}

/**
 * The summary of `values`, or `undefined` when there are none. Throws a `RangeError` for a
 * value that is not a finite number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./_stats.ts";
 * assert.deepEqual(summarize([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
 * assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, median: 2.5, min: 1, max: 4 });
 * assert.equal(summarize([]), undefined);
 * ```
 */
export function summarize(values: readonly number[]): Summary | undefined {
  for (const value of values) {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Measurements must be finite numbers, got ${JSON.stringify(value)}`);
    }
  }
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The ratio of the medians `a / b`, or `undefined` when either side has no measurement or
 * `b`'s median is 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ratioOfMedians, summarize } from "./_stats.ts";
 * assert.equal(ratioOfMedians(summarize([30, 10, 20]), summarize([10])), 2);
 * assert.equal(ratioOfMedians(summarize([1]), undefined), undefined);
 * ```
 */
export function ratioOfMedians(
  a: Summary | undefined,
  b: Summary | undefined,
): number | undefined {
  if (a === undefined || b === undefined || b.median === 0) return undefined;
  return a.median / b.median;
}

/**
 * Throughput in MB/s (10^6 bytes per second) of `bytes` moved in `ms` milliseconds. Throws a
 * `RangeError` unless `ms` is above 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { megabytesPerSecond } from "./_stats.ts";
 * assert.equal(megabytesPerSecond(16_000_000, 2000), 8);
 * assert.throws(() => megabytesPerSecond(1, 0), { name: "RangeError" });
 * ```
 */
export function megabytesPerSecond(bytes: number, ms: number): number {
  if (!(ms > 0)) throw new RangeError(`Duration must be above 0 ms, got ${JSON.stringify(ms)}`);
  return bytes / 1000 / ms;
}

/**
 * The order of runs: `rounds` rounds over `variants` variants, every other round reversed
 * (A B, B A, A B, ...), so that a slow drift of the machine weighs on every variant alike.
 * Each entry is a variant index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runOrder } from "./_stats.ts";
 * assert.deepEqual(runOrder(2, 3), [0, 1, 1, 0, 0, 1]);
 * assert.deepEqual(runOrder(3, 2), [0, 1, 2, 2, 1, 0]);
 * ```
 */
export function runOrder(variants: number, rounds: number): number[] {
  if (!Number.isInteger(variants) || variants < 1 || !Number.isInteger(rounds) || rounds < 0) {
    throw new RangeError(
      `runOrder needs at least 1 variant and 0 or more rounds, got ${
        JSON.stringify([variants, rounds])
      }`,
    );
  }
  const order: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants; i++) order.push(round % 2 === 0 ? i : variants - 1 - i);
  }
  return order;
}

/**
 * A summary as `median [min-max]` with `digits` decimals, or `-` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary, summarize } from "./_stats.ts";
 * assert.equal(formatSummary(summarize([7.25, 6, 9.5])), "7.3 [6.0-9.5]");
 * assert.equal(formatSummary(undefined), "-");
 * ```
 */
export function formatSummary(summary: Summary | undefined, digits = 1): string {
  if (summary === undefined) return "-";
  const f = (v: number) => v.toFixed(digits);
  return `${f(summary.median)} [${f(summary.min)}-${f(summary.max)}]`;
}

/** Options of {@linkcode formatTable}. */
export interface FormatTableOptions {
  /** Indexes of the columns aligned to the right (numbers). @default {[]} */
  rightAligned?: readonly number[];
  /** Text between two columns. @default {"  "} */
  gap?: string;
}

/**
 * Rows of cells as a plain-text table: the first row is the header, followed by a line of
 * dashes; every column as wide as its widest cell; no trailing spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./_stats.ts";
 * const text = formatTable([["cell", "MB/s"], ["a", "7.0"], ["bb", "12.5"]], {
 *   rightAligned: [1],
 * });
 * assert.equal(text, "cell  MB/s\n----  ----\na      7.0\nbb    12.5\n");
 * ```
 */
export function formatTable(
  rows: readonly (readonly string[])[],
  options: FormatTableOptions = {},
): string {
  if (rows.length === 0) return "";
  const right = new Set(options.rightAligned ?? []);
  const gap = options.gap ?? "  ";
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from(
    { length: columns },
    (_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length)),
  );
  const line = (row: readonly string[]) =>
    widths.map((width, c) => {
      const cell = row[c] ?? "";
      return right.has(c) ? cell.padStart(width) : cell.padEnd(width);
    }).join(gap).trimEnd();
  const dashes = widths.map((width) => "-".repeat(width));
  return [line(rows[0]), line(dashes), ...rows.slice(1).map(line)].join("\n") + "\n";
}

/** One line of a comparison table: variant `a` against variant `b` of a cell, by index. */
export interface Comparison {
  /** Its name in the table. */
  name: string;
  /** The index of the measured variant (A). */
  a: number;
  /** The index of the reference variant (B). */
  b: number;
  /** The ratio of medians A/B to reach; `undefined` for a line that only shows a baseline. */
  target?: number;
}

/** A {@linkcode Comparison} with its figures. */
export interface ComparedRow extends Comparison {
  /** The summary of A's measurements, if it has any. */
  aSummary?: Summary;
  /** The summary of B's measurements, if it has any. */
  bSummary?: Summary;
  /** The ratio of medians A/B, if both have measurements. */
  ratio?: number;
  /** Whether the ratio reaches the target; `undefined` without a target or a ratio. */
  met?: boolean;
}

/**
 * The figures of `rows`, given the measurements of every variant (`values[i]` for variant i).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVariants } from "./_stats.ts";
 * const [row] = compareVariants([[9, 11, 10], [5, 4]], [{ name: "x", a: 0, b: 1, target: 2 }]);
 * assert.equal(row.ratio, 10 / 4.5);
 * assert.equal(row.met, true);
 * assert.deepEqual(row.bSummary, { n: 2, median: 4.5, min: 4, max: 5 });
 * ```
 */
export function compareVariants(
  values: readonly (readonly number[])[],
  rows: readonly Comparison[],
): ComparedRow[] {
  const summaries = values.map((v) => summarize(v));
  return rows.map((row) => {
    const ratio = ratioOfMedians(summaries[row.a], summaries[row.b]);
    const met = row.target === undefined || ratio === undefined ? undefined : ratio >= row.target;
    return { ...row, aSummary: summaries[row.a], bSummary: summaries[row.b], ratio, met };
  });
}

/**
 * The verdict column of a compared row: `base` without a target, `FAILED` when a side has no
 * measurement, `yes` when the target is met, else `missed` (e.g. `no` or `COLLAPSE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdict } from "./_stats.ts";
 * assert.equal(verdict({ name: "x", a: 1, b: 0, target: 1, ratio: 0.5, met: false }), "no");
 * assert.equal(verdict({ name: "x", a: 1, b: 0, target: 1, met: false }, "COLLAPSE"), "FAILED");
 * assert.equal(verdict({ name: "x", a: 0, b: 0 }), "base");
 * ```
 */
export function verdict(row: ComparedRow, missed = "no"): string {
  if (row.target === undefined) return "base";
  if (row.ratio === undefined) return "FAILED";
  return row.met ? "yes" : missed;
}
