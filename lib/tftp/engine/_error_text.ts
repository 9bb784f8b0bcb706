/**
 * The text of an ERROR packet we send. Messages often quote what the peer sent (a mode, an
 * option name), which may be any Unicode and any length; RFC 1350 asks for netascii.
 *
 * @module
 */

/** The longest ERROR text sent, in characters. */
export const MAX_ERROR_TEXT_CHARS = 200;

/**
 * `message` made fit for the wire: characters outside printable ASCII escaped as `\uXXXX`
 * (UTF-16 code units), then cut to {@linkcode MAX_ERROR_TEXT_CHARS} with `...`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./_error_text.ts";
 * assert.equal(errorText('Unknown transfer mode "öctet"'), 'Unknown transfer mode "\\u00f6ctet"');
 * ```
 */
export function errorText(message: string): string {
  const ascii = message.replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return ascii.length > MAX_ERROR_TEXT_CHARS
    ? `${ascii.slice(0, MAX_ERROR_TEXT_CHARS - 3)}...`
    : ascii;
}
