/**
 * Text from the network made safe to print on a terminal. Pure.
 *
 * @module
 */

/**
 * Makes control characters visible for printing a line from the network: every character
 * of Unicode category Cc except tab becomes `\xHH` (escape, bell, CR, NUL, DEL, C1 codes),
 * so a peer cannot move the cursor or recolour the terminal. Everything else is unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showControlCharacters } from "./visible.ts";
 * assert.equal(showControlCharacters("a\tb\x1b[31mc\r\u009b"), "a\tb\\x1b[31mc\\x0d\\x9b");
 * assert.equal(showControlCharacters("你好"), "你好");
 * ```
 *
 * @param line The text.
 * @returns The text with control characters escaped.
 */
export function showControlCharacters(line: string): string {
  return line.replace(
    /(?!\t)\p{Cc}/gu,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
