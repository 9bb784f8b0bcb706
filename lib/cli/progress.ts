/**
 * A dependency-free progress bar for a terminal, plus the byte, rate and duration formatters
 * it uses.
 *
 * Not pure: by default it reads `performance.now()` and writes to `Deno.stderr`. Show it only
 * when stderr is a terminal (`Deno.stderr.isTerminal()`); it draws with `\r` and `ESC [K`.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const;
/** Line prefix: carriage return, then erase to the end of the line. */
const CLEAR_LINE = "\r\x1b[K";

function checkNonNegative(value: number, what: string): void {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${value}`);
  }
}

/**
 * Formats a byte count with binary units: whole bytes below 1 KiB, one decimal for KiB and
 * MiB, two decimals from GiB up. Rounds to the shown precision and moves to the next unit
 * when the rounded value would reach 1024.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./progress.ts";
 * assert.ok(formatBytes(512) === "512 B");
 * assert.ok(formatBytes(1536) === "1.5 KiB");
 * assert.ok(formatBytes(4 * 1024 ** 3) === "4.00 GiB");
 * ```
 */
export function formatBytes(n: number): string {
  checkNonNegative(n, "Byte count");
  let unit = 0;
  let text = n.toFixed(0);
  while (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    text = (n / 1024 ** unit).toFixed(unit <= 2 ? 1 : 2);
  }
  return `${text} ${UNITS[unit]}`;
}

/**
 * Formats a transfer rate as {@linkcode formatBytes} per second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRate } from "./progress.ts";
 * assert.ok(formatRate(12.3 * 1024 * 1024) === "12.3 MiB/s");
 * ```
 */
export function formatRate(bytesPerSecond: number): string {
  checkNonNegative(bytesPerSecond, "Rate");
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * Formats a duration rounded to whole seconds as `m:ss`, or `h:mm:ss` from one hour up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert.ok(formatDuration(5_000) === "0:05");
 * assert.ok(formatDuration(3_723_000) === "1:02:03");
 * ```
 */
export function formatDuration(ms: number): string {
  checkNonNegative(ms, "Duration");
  const total = Math.round(ms / 1000);
  const s = String(total % 60).padStart(2, "0");
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Options of {@linkcode ProgressBar}. */
export interface ProgressOptions {
  /** Total bytes, when known; without it the line shows only bytes and rate. */
  total?: number;
  /** Text before the bar, e.g. the file name. @default {""} */
  label?: string;
  /** Clock in milliseconds. @default {performance.now} */
  now?: () => number;
  /** Where the text goes. @default {writes to Deno.stderr} */
  write?: (text: string) => void;
  /** Width of the bar between the brackets, in characters. @default {30} */
  width?: number;
  /** Least time between two redraws by {@linkcode ProgressBar.update}, in ms. @default {100} */
  intervalMs?: number;
}

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/**
 * A one-line progress bar. Each drawing starts with `\r\x1b[K` (return, clear line):
 *
 * ```text
 * boot.bin [#############.................]  45% 7.2 MiB/16.0 MiB  3.1 MiB/s  ETA 0:03
 * boot.bin [##############################] 100% 16.0 MiB/16.0 MiB  3.2 MiB/s  in 0:05
 * ```
 *
 * Without a total: `boot.bin 7.2 MiB  3.1 MiB/s` (and `  in 0:05` appended by `done()`).
 *
 * The rate is the average since the bar was created; the ETA assumes it holds (`--:--`
 * while the rate is 0). Percent and bar round down, so 100% means done. More bytes than
 * `total` fill the bar and show the true percentage. {@linkcode ProgressBar.done} replaces
 * the ETA with the elapsed time (`in m:ss`, also added without a total) and ends the line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * let clock = 0;
 * const out: string[] = [];
 * const bar = new ProgressBar({
 *   total: 2048, label: "a.bin", width: 4, now: () => clock, write: (t) => out.push(t),
 * });
 * clock = 1000;
 * bar.update(1024);
 * bar.done();
 * assert.ok(out[0] === "\r\x1b[Ka.bin [##..]  50% 1.0 KiB/2.0 KiB  1.0 KiB/s  ETA 0:01");
 * assert.ok(out[1] === "\r\x1b[Ka.bin [##..]  50% 1.0 KiB/2.0 KiB  1.0 KiB/s  in 0:01\n");
 * ```
 */
export class ProgressBar {
  #total: number | undefined;
  #label: string;
  #now: () => number;
  #write: (text: string) => void;
  #width: number;
  #intervalMs: number;
  #start: number;
  #bytes = 0;
  #lastDraw: number | undefined;
  #done = false;

  /** Creates the bar and starts its clock; nothing is drawn until the first update. */
  constructor(options: ProgressOptions = {}) {
    const { total, label = "", width = 30, intervalMs = 100 } = options;
    if (total !== undefined) checkNonNegative(total, "total");
    if (!Number.isInteger(width) || width < 1) {
      throw new RangeError(`width must be an integer >= 1, got ${width}`);
    }
    checkNonNegative(intervalMs, "intervalMs");
    this.#total = total;
    this.#label = label;
    this.#now = options.now ?? (() => performance.now());
    this.#write = options.write ?? writeStderr;
    this.#width = width;
    this.#intervalMs = intervalMs;
    this.#start = this.#now();
  }

  /**
   * Records the bytes transferred so far (a running total, not an increment) and redraws,
   * unless the last redraw was less than `intervalMs` ago. Ignored after `done()`.
   */
  update(bytes: number): void {
    checkNonNegative(bytes, "bytes");
    if (this.#done) return;
    this.#bytes = bytes;
    const now = this.#now();
    if (this.#lastDraw !== undefined && now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    this.#write(CLEAR_LINE + this.#render(now, false));
  }

  /** Draws the final line and a newline. Calling it again does nothing. */
  done(): void {
    if (this.#done) return;
    this.#done = true;
    this.#write(`${CLEAR_LINE}${this.#render(this.#now(), true)}\n`);
  }

  #render(now: number, final: boolean): string {
    const elapsedMs = Math.max(0, now - this.#start);
    const rate = elapsedMs > 0 ? (this.#bytes * 1000) / elapsedMs : 0;
    const parts = this.#label === "" ? [] : [this.#label];
    const total = this.#total;
    if (total === undefined) {
      const done = final ? `  in ${formatDuration(elapsedMs)}` : "";
      parts.push(`${formatBytes(this.#bytes)}  ${formatRate(rate)}${done}`);
      return parts.join(" ");
    }
    const fraction = total === 0 ? 1 : this.#bytes / total;
    const filled = Math.min(this.#width, Math.floor(fraction * this.#width));
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    let tail: string;
    if (final) tail = `in ${formatDuration(elapsedMs)}`;
    else if (this.#bytes >= total) tail = "ETA 0:00";
    else if (rate === 0) tail = "ETA --:--";
    else tail = `ETA ${formatDuration(((total - this.#bytes) / rate) * 1000)}`;
    parts.push(
      `[${"#".repeat(filled)}${".".repeat(this.#width - filled)}]`,
      `${percent} ${formatBytes(this.#bytes)}/${formatBytes(total)}  ${formatRate(rate)}  ${tail}`,
    );
    return parts.join(" ");
  }
}
