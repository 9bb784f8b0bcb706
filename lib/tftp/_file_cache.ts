/**
 * Small files a server serves often, kept in memory once for every transfer: a PXE boot storm
 * sends the same boot loader and configuration to hundreds of clients at once. Each transfer
 * of a cached file reads no file and holds no read buffer of its own; it sends views of the
 * one copy.
 *
 * A cached copy is served only while the file on disk still has the size, modification time
 * and inode it was read with (checked on every request, from the `stat` of the file the
 * request opened): a file replaced or rewritten is read again. Least recently used files go
 * first when the cache is over its budget; a transfer already sending an evicted copy keeps it
 * until it ends.
 *
 * @module
 */

import { fileChangedError, stalledError } from "./_io.ts";

/** Limits of a {@linkcode FileCache}. */
export interface FileCacheOptions {
  /** Bytes of file contents kept at most, all files together (0: no cache). */
  maxBytes: number;
  /** Largest file kept. */
  maxFileBytes: number;
  /**
   * Milliseconds a file may take to be read whole before the requests waiting for it fail
   * with ERROR 0 "Local data source or sink stalled" (a stuck disk must not hold them).
   * @default {60000}
   */
  stallMs?: number;
}

/** How long a whole-file read may take, by default (the driver's stall limit). */
const DEFAULT_STALL_MS = 60_000;

interface Entry {
  version: string;
  bytes: Uint8Array;
}

/**
 * The cache. {@linkcode FileCache.get} gives a file's contents from memory, reading them once
 * when they are not there (or changed).
 *
 * @example
 * ```ts ignore
 * const cache = new FileCache({ maxBytes: 32 << 20, maxFileBytes: 4 << 20 });
 * const file = await Deno.open("/srv/tftp/pxelinux.0");
 * const bytes = await cache.get("/srv/tftp/pxelinux.0", file, await file.stat());
 * file.close();
 * ```
 */
export class FileCache {
  readonly #options: FileCacheOptions;
  /** In order of use, least recent first (a hit moves its entry to the end). */
  readonly #entries = new Map<string, Entry>();
  /** Reads in progress, by path and version: requests that come meanwhile wait for them. */
  readonly #reading = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;

  /** An empty cache with these limits. */
  constructor(options: FileCacheOptions) {
    this.#options = options;
  }

  /** Bytes cached now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Files cached now. */
  get files(): number {
    return this.#entries.size;
  }

  /**
   * The contents of the file at `path`, which the caller opened as `file` and `stat`ed as
   * `info`: from memory when cached at this version, else read from `file` now (from its
   * current position: the caller has not read from it) and kept. Undefined when the file is
   * not to be cached (too large, no modification time to tell versions apart): then the
   * caller reads it as usual. Rejects as reading the file would (a file that ended before
   * `info.size`: ERROR 0). The caller still owns `file`.
   */
  async get(
    path: string,
    file: Deno.FsFile,
    info: Deno.FileInfo,
  ): Promise<Uint8Array | undefined> {
    const { maxBytes, maxFileBytes } = this.#options;
    if (info.size > Math.min(maxBytes, maxFileBytes) || info.mtime === null) return undefined;
    const version = `${info.size}:${info.mtime.getTime()}:${info.ino ?? ""}:${info.dev}`;
    const entry = this.#entries.get(path);
    if (entry?.version === version) {
      this.#entries.delete(path);
      this.#entries.set(path, entry);
      return entry.bytes;
    }
    const key = `${version}:${path}`;
    let reading = this.#reading.get(key);
    if (!reading) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(stalledError()), this.#options.stallMs ?? DEFAULT_STALL_MS);
      });
      reading = Promise.race([readExactly(file, info.size), stalled]).then((bytes) => {
        this.#keep(path, { version, bytes });
        return bytes;
      }).finally(() => {
        clearTimeout(timer);
        this.#reading.delete(key);
      });
      this.#reading.set(key, reading);
    }
    return await reading;
  }

  /** Keeps `entry` for `path` (replacing an older version), then evicts down to the budget. */
  #keep(path: string, entry: Entry): void {
    const old = this.#entries.get(path);
    if (old) {
      this.#entries.delete(path);
      this.#bytes -= old.bytes.length;
    }
    this.#entries.set(path, entry);
    this.#bytes += entry.bytes.length;
    for (const [oldest, { bytes }] of this.#entries) {
      if (this.#bytes <= this.#options.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.length;
    }
  }
}

/**
 * Reads `size` bytes from `file`. A file that ends first changed since its `stat`: ERROR 0, as
 * a file source reports it.
 */
async function readExactly(file: Deno.FsFile, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size;) {
    const n = await file.read(bytes.subarray(at));
    if (n === null) throw fileChangedError(at, size);
    at += n;
  }
  return bytes;
}
