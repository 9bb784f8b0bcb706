/**
 * Filesystem side of the server's path confinement (RFC 1123 §4.2.3.4). Not pure: uses
 * `Deno.realPath`, `Deno.lstat` and `Deno.stat` (needs read permission for the root).
 *
 * A request is split lexically by {@linkcode splitRequestPath}, then resolved one segment at
 * a time: each prefix's real path must stay inside the root's real path, so a symlink that
 * leads out is refused even when nothing exists behind it (no probing outside the root).
 * Messages never contain a server path; the original Deno error is kept as `cause` for logs.
 *
 * @module
 */

import { join, sep } from "node:path";
import { TftpError } from "./errors.ts";
import { ERROR_CODE } from "./packet/constants.ts";
import { splitRequestPath } from "./server_path.ts";
import { fileErrorToTftp } from "./_io.ts";

/** Where a request resolved to. */
export interface ServedPath {
  /** Absolute path to open: the real path of an existing file, else parent's real path + name. */
  path: string;
  /** Whether the file exists (always `true` for reads). */
  exists: boolean;
  /** Size in bytes of the existing file. */
  size?: number;
}

function violation(reason: string, cause?: unknown): TftpError {
  return new TftpError(ERROR_CODE.ACCESS_VIOLATION, `Access violation: ${reason}`, { cause });
}

/** Maps a Deno filesystem error to a TftpError whose message holds no path. */
function fsError(err: unknown, notFound = "File not found"): TftpError {
  return fileErrorToTftp(err, false, notFound);
}

/** `real` is `realRoot` or below it (a trailing separator keeps `/srv/tftp-x` out of `/srv/tftp`). */
function isInside(realRoot: string, real: string): boolean {
  const prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  return real === realRoot || real.startsWith(prefix);
}

/** Real path of `path` (whose parent is real and inside), which must stay inside the root. */
async function realPathInside(realRoot: string, path: string, notFound?: string): Promise<string> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (err) {
    // A dangling symlink: its target cannot be checked, and writing through it would create it.
    const dangling = err instanceof Deno.errors.NotFound &&
      await Deno.lstat(path).then((info) => info.isSymlink, () => false);
    throw dangling ? violation("broken symbolic link", err) : fsError(err, notFound);
  }
  if (!isInside(realRoot, real)) throw violation("name leaves the served directory");
  return real;
}

/** Stats an existing file; anything but a regular file is refused. */
async function regularFile(real: string): Promise<ServedPath> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(real);
  } catch (err) {
    throw fsError(err);
  }
  return asRegularFile(real, info);
}

function asRegularFile(path: string, info: Deno.FileInfo): ServedPath {
  if (!info.isFile) throw violation("not a regular file");
  return { path, exists: true, size: info.size };
}

/**
 * Resolves a requested name under the served `root`.
 *
 * - `"read"`: the file must exist (else ERROR 1 `File not found`) and be a regular file
 *   (else ERROR 2), and its real path must be inside the root's real path (else ERROR 2).
 *   Symlinks that stay inside the root are followed.
 * - `"write"`: the parent directory must exist (else ERROR 1 `Directory not found`) and
 *   resolve inside the root; an existing target must be a regular file, or a symlink to a
 *   regular file inside the root; a dangling symlink is refused (ERROR 2).
 *
 * Lexical checks ({@linkcode splitRequestPath}) run first, without touching the filesystem.
 * `root` may be a symlink; it is resolved once per call. Permission errors become ERROR 2.
 * Checks and the later open are not atomic: a root writable by others can still race them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveServedPath } from "./_resolve_path.ts";
 * import { TftpError } from "./errors.ts";
 * const err = await resolveServedPath("/srv/tftp", "../etc/passwd", "read").catch((e) => e);
 * assert.ok(err instanceof TftpError && err.code === 2 && !err.message.includes("/"));
 * ```
 *
 * @param root The served directory.
 * @param name The filename from the request.
 * @param access `"read"` for an RRQ, `"write"` for a WRQ.
 * @returns The path to open, whether it exists and its size.
 */
export async function resolveServedPath(
  root: string,
  name: string,
  access: "read" | "write",
): Promise<ServedPath> {
  if (typeof root !== "string" || root === "") {
    throw new TypeError(`root must be a non-empty string, got ${JSON.stringify(root)}`);
  }
  if (access !== "read" && access !== "write") {
    throw new TypeError(`access must be "read" or "write", got ${JSON.stringify(access)}`);
  }
  const segments = splitRequestPath(name);
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch (cause) {
    throw new TftpError(ERROR_CODE.NOT_DEFINED, "Served directory is not available", { cause });
  }
  const last = segments.pop()!;
  const missingDir = access === "read" ? "File not found" : "Directory not found";
  let dir = realRoot;
  for (const segment of segments) {
    dir = await realPathInside(realRoot, join(dir, segment), missingDir);
  }
  const target = join(dir, last);
  if (access === "read") return regularFile(await realPathInside(realRoot, target));
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(target);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path: target, exists: false };
    throw fsError(err, missingDir);
  }
  if (!info.isSymlink) return asRegularFile(target, info);
  return regularFile(await realPathInside(realRoot, target));
}
