/**
 * Where transfer bytes come from and go to, behind two small interfaces: a file (atomic:
 * temporary file, then rename on success), a web stream, or bytes in memory. Shared by the
 * client and the server.
 *
 * @module
 */

import { ERROR_CODE } from "./packet/constants.ts";
import { TftpError } from "./errors.ts";
import { concatBytes } from "../bytes.ts";

/** Where received bytes go. */
export interface Sink {
  /**
   * Writes a chunk. The array is only lent for the call (it may be the driver's receive
   * buffer): a sink that keeps the bytes copies them. Returns a promise only when the caller
   * must wait (I/O in progress), and then the caller waits before it writes again; a chunk
   * only buffered is done at once.
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Makes everything written final (rename into place, close the stream). */
  commit(): Promise<void>;
  /** Throws everything away; a file sink leaves no file behind. Never throws. */
  discard(reason: unknown): Promise<void>;
}

/** Where sent bytes come from. */
export interface Source {
  /** Size in bytes when known in advance. */
  readonly size?: number;
  /**
   * The next chunk, or `null` at the end. The array is valid until the next call. `wanted`:
   * how many bytes the caller could use now (a hint: a file source reads at least one DATA
   * block at a time, so a 65464-byte block costs one read, not two).
   */
  read(wanted?: number): Promise<Uint8Array | null>;
  /** Releases the file or stream. Never throws. */
  close(): Promise<void>;
}

/** Bytes a file sink gathers before it writes them. */
const WRITE_CHUNK_BYTES = 64 * 1024;
/**
 * Bytes a file source reads at a time, at least, unless told otherwise: a file read is an
 * expensive operation in Deno (8 KiB reads cost 300 concurrent downloads a third of their
 * throughput, 16 KiB reads 1000 of them a sixth, `bench/concurrency.ts`), and a thousand
 * transfers at once still hold only 32 MiB at the usual window sizes (one that asks for more
 * holds up to MAX_READ_CHUNK_BYTES).
 */
export const READ_CHUNK_BYTES = 32 * 1024;
/**
 * The most a file source reads at a time when a caller wants more: a large window (say 64 x
 * 8192) holds that much data anyway.
 */
export const MAX_READ_CHUNK_BYTES = 256 * 1024;
/** The smallest read size a server may be told to use (one classic block). */
export const MIN_READ_CHUNK_BYTES = 512;

/**
 * Turns a file-system error into a TftpError whose message holds no path (the original error
 * stays in `cause`, for logs). `notFound` is the text for a missing file or directory.
 */
export function fileErrorToTftp(
  error: unknown,
  writing: boolean,
  notFound = "File not found",
): TftpError {
  if (error instanceof TftpError) return error;
  const code = (error as { code?: string })?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    return new TftpError(ERROR_CODE.DISK_FULL, "Disk full or allocation exceeded", {
      cause: error,
    });
  }
  if (
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable ||
    code === "EACCES" || code === "EPERM" || code === "EROFS"
  ) {
    return new TftpError(ERROR_CODE.ACCESS_VIOLATION, "Access violation: permission denied", {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return new TftpError(ERROR_CODE.FILE_NOT_FOUND, notFound, { cause: error });
  }
  if (error instanceof Deno.errors.FilesystemLoop) {
    return new TftpError(ERROR_CODE.ACCESS_VIOLATION, "Access violation: too many symbolic links", {
      cause: error,
    });
  }
  const what = writing ? "Could not write the file" : "Could not read the file";
  return new TftpError(ERROR_CODE.NOT_DEFINED, `${what} (${code ?? "I/O error"})`, {
    cause: error,
  });
}

/**
 * Bytes of the destination's name kept in the temporary name: a name has at most 255 bytes
 * on Linux, and the temporary one adds 19 (a dot, and `.`, 12 hex digits and `.part`).
 */
const TEMP_BASE_BYTES = 200;

/** `name` cut to at most `max` UTF-8 bytes, at a character boundary. */
function shortened(name: string, max: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(name).length <= max) return name;
  let cut = "";
  let bytes = 0;
  for (const char of name) {
    bytes += encoder.encode(char).length;
    if (bytes > max) break;
    cut += char;
  }
  return cut;
}

function tempNameFor(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = path.slice(0, slash + 1);
  const base = shortened(path.slice(slash + 1), TEMP_BASE_BYTES);
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${dir}.${base}.${random}.part`;
}

/** Options of {@linkcode openAtomicFileSink}. */
export interface AtomicFileSinkOptions {
  /**
   * Replace a file already at `path`. When false, commit fails with ERROR 6 "File already
   * exists" if a file appeared there meanwhile, and leaves that file alone.
   */
  replace: boolean;
}

/** The permission bits of the file at `path`, or `undefined` when there is none. */
async function permissionsOf(path: string): Promise<number | undefined> {
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? undefined : mode & 0o777;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * A sink that writes to a temporary file beside `path` and moves it to `path` only on
 * commit, after flushing it to disk. A failed transfer removes the temporary file, so it
 * never leaves a partial file and never damages an existing one. A replaced file keeps its
 * permission bits. After a failed write the sink stays failed: commit throws that error.
 *
 * @example
 * ```ts ignore
 * const sink = await openAtomicFileSink("out.bin", { replace: false });
 * await sink.write(new Uint8Array([1, 2, 3]));
 * await sink.commit();
 * ```
 */
export async function openAtomicFileSink(
  path: string,
  options: AtomicFileSinkOptions,
): Promise<Sink> {
  const { replace } = options;
  const temp = tempNameFor(path);
  let file: Deno.FsFile;
  try {
    const keep = replace ? await permissionsOf(path) : undefined;
    file = await Deno.open(temp, { write: true, createNew: true, mode: keep ?? 0o644 });
    // The umask may have cleared some of the kept bits: set them exactly.
    if (keep !== undefined) await Deno.chmod(temp, keep).catch(() => {});
  } catch (error) {
    throw fileErrorToTftp(error, true);
  }
  // Chunks are gathered into one buffer and written when it is full: no array per chunk.
  // The full buffer is written behind the transfer's back while the other one gathers what
  // follows (so a write is off the path of the ACK that follows it); the caller waits only
  // when that one fills too before the write ended. The second buffer is made only when the
  // first fills: a small file costs one.
  let gather = new Uint8Array(WRITE_CHUNK_BYTES);
  let spare: Uint8Array<ArrayBuffer> | undefined;
  let used = 0;
  /** The write of the other buffer, while it runs; settles when it ended (never rejects). */
  let writing: Promise<void> | undefined;
  let waiting = false; // a caller waits for `writing`
  let closed = false;
  let failure: TftpError | undefined;
  const writeAll = async (bytes: Uint8Array): Promise<void> => {
    try {
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    } catch (error) {
      failure ??= fileErrorToTftp(error, true);
      throw failure;
    }
  };
  /** Starts writing the full gather buffer and gathers `rest` into the spare one. */
  const writeBehind = (rest: Uint8Array): void => {
    const full = gather;
    spare ??= new Uint8Array(WRITE_CHUNK_BYTES);
    gather = rest.length <= spare.length ? spare : new Uint8Array(rest.length);
    spare = full;
    gather.set(rest);
    used = rest.length;
    writing = writeAll(full).then(() => writing = undefined, () => writing = undefined);
  };
  const take = (chunk: Uint8Array): Promise<void> | undefined => {
    const fits = Math.min(chunk.length, gather.length - used);
    gather.set(chunk.subarray(0, fits), used);
    used += fits;
    if (used < gather.length) return undefined;
    const rest = chunk.subarray(fits);
    if (failure) return Promise.reject(failure); // a write behind failed meanwhile
    if (!writing) {
      writeBehind(rest);
      return undefined;
    }
    // The spare buffer is still being written: wait for it (the rest of the chunk is lent
    // only for this call, so it is kept until then).
    const kept = rest.slice();
    waiting = true;
    return writing.then(() => {
      waiting = false;
      if (failure) throw failure;
      writeBehind(kept);
    });
  };
  const discard = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      try {
        file.close();
      } catch { /* already closed */ }
    }
    await Deno.remove(temp).catch(() => {});
  };
  /** Moves the finished temporary file to `path`. */
  const place = async (): Promise<void> => {
    if (replace) {
      await Deno.rename(temp, path);
      return;
    }
    // A hard link never replaces what is there, unlike a rename.
    try {
      await Deno.link(temp, path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new TftpError(ERROR_CODE.FILE_EXISTS, "File already exists", { cause: error });
      }
      throw error;
    }
    await Deno.remove(temp).catch(() => {});
  };
  return {
    write(chunk) {
      if (failure) return Promise.reject(failure);
      if (waiting) {
        // The caller did not wait for the previous write: taking this chunk would mix them up.
        return Promise.reject(new TypeError("Sink.write() before the previous write finished"));
      }
      return take(chunk);
    },
    async commit() {
      try {
        await writing;
        if (failure) throw failure;
        await writeAll(gather.subarray(0, used));
        used = 0;
        await file.syncData();
        file.close();
        closed = true;
        await place();
      } catch (error) {
        await discard();
        throw fileErrorToTftp(error, true);
      }
    },
    discard,
  };
}

/**
 * A sink that writes to a web stream; commit closes it, discard aborts it. Discard does not
 * wait for the stream's abort to finish: that waits for a write in progress, which may never
 * end when the stream stalled.
 */
export function streamSink(stream: WritableStream<Uint8Array>): Sink {
  const writer = stream.getWriter();
  return {
    write: (chunk) => writer.write(chunk.slice()),
    commit: () => writer.close(),
    discard: (reason) => {
      writer.abort(reason).catch(() => {});
      return Promise.resolve();
    },
  };
}

/** A sink that collects bytes in memory; `bytes()` joins them. */
export function memorySink(): Sink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write: (chunk) => {
      chunks.push(chunk.slice());
      return undefined;
    },
    commit: () => Promise.resolve(),
    discard: () => {
      chunks.length = 0;
      return Promise.resolve();
    },
    bytes: () => concatBytes(chunks),
  };
}

/**
 * ERROR 0 for a file that ended after `offset` of the `size` bytes it was promised as (it
 * changed while being read).
 */
export function fileChangedError(offset: number, size: number): TftpError {
  return new TftpError(
    ERROR_CODE.NOT_DEFINED,
    `File changed while being read: it ended after ${offset} of ${size} bytes`,
    { cause: new Deno.errors.UnexpectedEof(`End of file after ${offset} bytes`) },
  );
}

/**
 * ERROR 0 for a local file, stream or hook that gave no answer for too long (the driver's
 * watchdog, the file cache's read).
 */
export function stalledError(): TftpError {
  return new TftpError(ERROR_CODE.NOT_DEFINED, "Local data source or sink stalled");
}

/** Options of {@linkcode fileSource}. */
export interface FileSourceOptions {
  /** Bytes read at a time (a caller that wants more at once gets more). @default {32768} */
  chunkBytes?: number;
}

/**
 * A source reading an open file in chunks of `options.chunkBytes` (32 KiB), ahead of the
 * caller: once a chunk is handed out, the next is read into a second buffer while the caller
 * sends the first, so the read's latency (an operation on Deno's blocking threads) is hidden
 * behind the network round trip instead of adding to it. Two buffers, reused (each no larger
 * than the file when its `size` is known: a file that fits one chunk costs one buffer and no
 * read ahead). A caller that wants more at once (a 65464-byte block, a wide window: see
 * `read(wanted)`) gets chunks of up to 256 KiB.
 *
 * A known `size` is a promise (it went out as tsize, or the peer counts on it): the source
 * gives exactly that many bytes. A file that grows meanwhile is served as it was when the
 * transfer began (up to `size`); a file that ends early (truncated meanwhile) fails the read
 * with ERROR 0 "File changed while being read", so the transfer ends with an ERROR instead of
 * a short file the peer would take for complete. Content rewritten in place is not detected.
 * A read ahead that fails fails the read that wanted its bytes, not before.
 *
 * @example
 * ```ts ignore
 * const source = fileSource(await Deno.open("boot.img"), (await Deno.stat("boot.img")).size);
 * for (let chunk = await source.read(); chunk; chunk = await source.read()) {
 *   console.log(chunk.length);
 * }
 * await source.close();
 * ```
 */
export function fileSource(
  file: Deno.FsFile,
  size?: number,
  options: FileSourceOptions = {},
): Source {
  const chunkBytes = options.chunkBytes ?? READ_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`chunkBytes must be a whole number of bytes, got ${chunkBytes}`);
  }
  const sized = (bytes: number) =>
    new Uint8Array(Math.max(1, size === undefined ? bytes : Math.min(bytes, size)));
  /** The buffer of the chunk last handed out, and the one the read ahead fills. */
  let front = sized(chunkBytes);
  let back: Uint8Array<ArrayBuffer> | undefined;
  /** How large the buffers should be (grows when a caller wants more at once). */
  let target = front.length;
  let offset = 0; // bytes read from the file, a finished read ahead included
  let ahead: Promise<Uint8Array | null> | undefined;
  let closed = false;
  /** One read into `buffer` (one at a time: the ahead, or the caller's when none ran). */
  const readInto = async (buffer: Uint8Array): Promise<Uint8Array | null> => {
    const want = size === undefined ? buffer.length : Math.min(buffer.length, size - offset);
    if (want === 0) return null;
    let n: number | null;
    try {
      n = await file.read(buffer.subarray(0, want));
    } catch (error) {
      throw fileErrorToTftp(error, false);
    }
    if (n === null) {
      if (size === undefined) return null;
      throw fileChangedError(offset, size);
    }
    offset += n;
    return buffer.subarray(0, n);
  };
  return {
    size,
    async read(wanted = 0) {
      // A caller that can use more than a buffer holds gets larger buffers: a 65464-byte
      // block costs one read, not two.
      if (wanted > target && target < MAX_READ_CHUNK_BYTES) {
        target = Math.max(target, sized(Math.min(wanted, MAX_READ_CHUNK_BYTES)).length);
      }
      let chunk: Uint8Array | null;
      if (ahead) {
        const reading = ahead;
        ahead = undefined;
        chunk = await reading;
        [front, back] = [back!, front]; // the chunk is in the buffer the read ahead filled
      } else {
        if (front.length < target) front = new Uint8Array(target);
        chunk = await readInto(front);
      }
      if (chunk !== null && !closed && (size === undefined || offset < size)) {
        // The caller is done with the other buffer: it asked for the next chunk.
        if (!back || back.length < target) back = new Uint8Array(target);
        ahead = readInto(back);
        ahead.catch(() => {}); // seen by the read that awaits it; none may come
      }
      return chunk;
    },
    close() {
      closed = true;
      try {
        file.close();
      } catch { /* already closed */ }
      return Promise.resolve();
    },
  };
}

/** A source reading a web stream. */
export function streamSource(stream: ReadableStream<Uint8Array>, size?: number): Source {
  const reader = stream.getReader();
  return {
    size,
    async read() {
      const { done, value } = await reader.read();
      return done ? null : value;
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

/** Options of {@linkcode bytesSource}. */
export interface BytesSourceOptions {
  /**
   * Hand the bytes out as views of this many (more when the caller wants more at once);
   * undefined: all at once. Netascii converts a chunk at a time, so a large file in memory
   * is better served in chunks.
   * @default {undefined}
   */
  chunkBytes?: number;
}

/** A source over bytes in memory (views of them: nothing is copied). */
export function bytesSource(bytes: Uint8Array, options: BytesSourceOptions = {}): Source {
  const { chunkBytes } = options;
  let offset = 0;
  return {
    size: bytes.length,
    read(wanted = 0) {
      if (offset >= bytes.length) return Promise.resolve(null);
      const end = chunkBytes === undefined
        ? bytes.length
        : Math.min(bytes.length, offset + Math.max(chunkBytes, wanted));
      const chunk = offset === 0 && end === bytes.length ? bytes : bytes.subarray(offset, end);
      offset = end;
      return Promise.resolve(chunk);
    },
    close: () => Promise.resolve(),
  };
}
