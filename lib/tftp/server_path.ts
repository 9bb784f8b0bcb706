/**
 * Lexical confinement of requested file names (RFC 1123 §4.2.3.4: a TFTP server must
 * control which files it serves). Pure: no filesystem access. The filesystem side
 * (symlinks, regular files) is `_resolve_path.ts`.
 *
 * @module
 */

import { TftpError } from "./errors.ts";
import { ERROR_CODE } from "./packet/constants.ts";

/** Longest accepted name, in UTF-8 bytes. */
const MAX_NAME_BYTES = 1024;
/** Longest accepted segment (between slashes), in UTF-8 bytes. */
const MAX_SEGMENT_BYTES = 255;

const utf8 = new TextEncoder();
// General category Cc: C0 controls (NUL included), DEL and the C1 controls U+0080..U+009F.
const CONTROL = /\p{Cc}/u;
const DRIVE_PREFIX = /^[A-Za-z]:/;
const ONLY_DOTS = /^\.+$/;

function refuse(reason: string): TftpError {
  return new TftpError(ERROR_CODE.ACCESS_VIOLATION, `Access violation: ${reason}`);
}

/**
 * Turns a requested TFTP filename into safe relative path segments, or throws
 * {@linkcode TftpError} with code 2 (`ERROR_CODE.ACCESS_VIOLATION`).
 *
 * Rules, all lexical (no decoding: `%2e%2e` is a literal file name):
 * - `/` separates segments; a leading `/` means the served root (`/boot/x` is `boot/x`);
 *   `.` and empty segments are dropped; nothing left (`""`, `"/"`, `"."`) is refused.
 * - Refused: a `..` segment, a segment of three or more dots, a backslash anywhere, a
 *   drive prefix (`C:`) at the start of any segment, control characters (U+0000..U+001F,
 *   U+007F..U+009F), unpaired surrogates, a segment over 255 UTF-8 bytes, a name over
 *   1024 UTF-8 bytes.
 *
 * Messages name the reason only; they may quote a dot segment, never a server path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitRequestPath } from "./server_path.ts";
 * import { TftpError } from "./errors.ts";
 * const parts = splitRequestPath("/boot//./pxelinux.0");
 * assert.ok(parts.join("|") === "boot|pxelinux.0");
 * try {
 *   splitRequestPath("a/../../etc/passwd");
 *   assert.ok(false);
 * } catch (err) {
 *   assert.ok(err instanceof TftpError && err.code === 2);
 * }
 * ```
 *
 * @param name The filename from the RRQ or WRQ.
 * @returns The segments to join under the served root (at least one).
 */
export function splitRequestPath(name: string): string[] {
  if (typeof name !== "string") {
    throw new TypeError(`name must be a string, got ${typeof name}`);
  }
  if (name === "") throw refuse("empty file name");
  if (CONTROL.test(name)) throw refuse("control characters are not allowed");
  if (!name.isWellFormed()) throw refuse("name is not valid Unicode");
  if (name.includes("\\")) throw refuse("backslashes are not allowed");
  if (utf8.encode(name).length > MAX_NAME_BYTES) {
    throw refuse(`name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  const segments: string[] = [];
  for (const segment of name.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (utf8.encode(segment).length > MAX_SEGMENT_BYTES) {
      throw refuse(`a name segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
    if (ONLY_DOTS.test(segment)) throw refuse(`"${segment}" is not allowed`);
    if (DRIVE_PREFIX.test(segment)) throw refuse("drive prefixes are not allowed");
    segments.push(segment);
  }
  if (segments.length === 0) throw refuse("name does not name a file");
  return segments;
}
