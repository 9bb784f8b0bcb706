/**
 * The TFTP server for Deno: serves a directory (read-only unless told otherwise) or whatever
 * a handler decides, many transfers at once, each from its own port.
 *
 * @module
 */

import { ERROR_CODE, MAX_BLKSIZE, MAX_WINDOWSIZE, MIN_BLKSIZE } from "./packet/constants.ts";
import { resolveTimingOptions } from "./engine/timing.ts";
import { encodeError } from "./packet/encode.ts";
import { errorText } from "./engine/_error_text.ts";
import {
  admitRequest,
  openServerTransfer,
  type ServerTransferOptions,
  type TftpRequest,
} from "./engine/admission.ts";
import type { Sender } from "./engine/sender.ts";
import type { Peer, TransferStats } from "./engine/types.ts";
import { formatPeer } from "./engine/transfer.ts";
import { TftpAbortError, TftpError } from "./errors.ts";
import { fileErrorToTftp, MAX_READ_CHUNK_BYTES, MIN_READ_CHUNK_BYTES } from "./_io.ts";
import { SenderFeed, SinkWriter } from "./_pump.ts";
import { checkInteger } from "./_check.ts";
import { decideUnlessStopped, release, type TransferIo } from "./_server_decide.ts";
import { FileCache } from "./_file_cache.ts";
import { type Slot, TransferSlots } from "./_transfer_slots.ts";
import {
  type ResolvedServerLimits,
  resolveServerLimits,
  type ServerLimits,
} from "./server_limits.ts";
import type { TftpHandler } from "./handler.ts";
import { driveTransfer } from "../udp/drive.ts";
import { LibcReactor } from "../udp/_libc_reactor.ts";
import { MAX_BUSY_POLL_US, openTransferSocket, type TransferSocket } from "../udp/_libc_udp.ts";
import { monotonicNow } from "../udp/clock.ts";

/** One line of the server's transfer log. */
export interface TransferRecord {
  /** The client. */
  readonly peer: Peer;
  /** Read or write. */
  readonly kind: "read" | "write";
  /** The requested name. */
  readonly filename: string;
  /** The mode. */
  readonly mode: string;
  /** `complete`, `failed` (after it started) or `refused` (never started). */
  readonly status: "complete" | "failed" | "refused";
  /** The error sent or received, for failed and refused transfers. */
  readonly error?: { readonly code: number; readonly message: string };
  /** Protocol counters, for transfers that started. */
  readonly stats?: TransferStats;
}

/** Options of {@linkcode serveTftp}. */
export interface ServerOptions extends ServerTransferOptions, ServerLimits {
  /** Directory served. Needed unless a handler serves every request. */
  root?: string;
  /** Address to listen on. @default {"0.0.0.0"} */
  hostname?: string;
  /** Request port; 0 picks a free one. @default {69} */
  port?: number;
  /** Allow write requests to replace existing files. @default {false} */
  allowOverwrite?: boolean;
  /** Allow write requests to create new files. @default {false} */
  allowCreate?: boolean;
  /** Ports for transfers (each transfer gets its own); default: any free port. */
  portRange?: readonly [number, number];
  /** Serves or refuses requests before the root directory is consulted. */
  handler?: TftpHandler;
  /** Called once per finished, failed or refused transfer. */
  onTransfer?: (record: TransferRecord) => void;
  /**
   * Sees every datagram of every transfer, and those on the request port. `local` is the
   * server socket's address as bound: {@linkcode TftpServer.addr} for the request port, the
   * transfer's own port otherwise (a wildcard host stays `0.0.0.0` or `::`).
   */
  onDatagram?: (direction: "send" | "recv", peer: Peer, bytes: Uint8Array, local: Peer) => void;
  /**
   * Busy polling, in microseconds (Linux, needs `--allow-ffi`): transfers use libc sockets
   * in one epoll set, and while every transfer waits for the network the wait spins for up
   * to this long, yielding the CPU between tries, before it sleeps (a lone transfer's, up to
   * 8 times as long while its ACKs keep coming just after the spin). Lock-step transfers
   * then skip a sleep and wake-up per block, for CPU spent spinning; a server with work to
   * do never spins. 0 keeps Deno's own sockets. The request port stays a Deno socket.
   * @default {0}
   */
  busyPollUs?: number;
  /**
   * Bytes a download reads from its file at a time (a transfer that wants more at once, a
   * large block or window, reads more). Each transfer holds this much: smaller saves memory
   * under many transfers, at a file read (an expensive operation in Deno) per fewer blocks.
   * `bench/concurrency.ts` at 1000 downloads: 16 KiB held about 16 KiB less per transfer
   * and cost a sixth of the aggregate throughput.
   * @default {32768}
   */
  readChunkBytes?: number;
  /**
   * Bytes of small files kept in memory, all files together (0: none). A file up to
   * `fileCacheMaxFileBytes` is read once and sent to every client from that one copy while
   * it stays the same on disk (size, modification time and inode are checked on every
   * request): a boot storm of many clients fetching the same loader costs one read, not a
   * read buffer and file reads per transfer. The least recently used files go first.
   * @default {33554432}
   */
  fileCacheBytes?: number;
  /** The largest file the cache keeps. @default {4194304} */
  fileCacheMaxFileBytes?: number;
}

/** Options of {@linkcode TftpServer.shutdown}. */
export interface ShutdownOptions {
  /**
   * How long running transfers may go on to their end; those still running then are
   * aborted with ERROR 0. No new request is taken meanwhile. @default {0}
   */
  graceMs?: number;
}

/**
 * A running server. Stop it with `shutdown()` or `await using`.
 *
 * @example
 * ```ts ignore
 * import { serveTftp } from "./server.ts";
 * await using server = serveTftp({ root: "/srv/tftp", port: 0, hostname: "127.0.0.1" });
 * console.log(`listening on ${server.addr.hostname}:${server.addr.port}`);
 * ```
 */
export interface TftpServer extends AsyncDisposable {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Transfers in progress. */
  readonly activeTransfers: number;
  /**
   * Requests dropped without an answer so far: over the per-address request rate or the
   * budget of unanswered transfers (see {@linkcode ServerLimits}).
   */
  readonly droppedRequests: number;
  /** Resolves when the server stopped and every transfer ended. */
  readonly finished: Promise<void>;
  /**
   * Stops listening, lets running transfers finish within `graceMs`, then aborts the rest
   * (ERROR 0 to their clients). A second call with a shorter grace cuts the wait.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** Bytes of small files a server keeps in memory by default. */
const DEFAULT_FILE_CACHE_BYTES = 32 * 1024 * 1024;
/** The largest file the cache keeps by default. */
const DEFAULT_FILE_CACHE_MAX_FILE_BYTES = 4 * 1024 * 1024;
/** The most `fileCacheBytes` may ask for (1 TiB: a bound for the check, not advice). */
const MAX_FILE_CACHE_BYTES = 2 ** 40;

/** The server dallies at least this long after an upload's final ACK (no fixed timeout). */
const SERVER_MIN_DALLY_MS = 1000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks every option once, before anything listens; returns the settled limits. */
function checkServerOptions(options: ServerOptions): ResolvedServerLimits {
  checkInteger("port", options.port, 0, 65535);
  checkInteger("maxBlksize", options.maxBlksize, MIN_BLKSIZE, MAX_BLKSIZE);
  checkInteger("maxWindowsize", options.maxWindowsize, 1, MAX_WINDOWSIZE);
  checkInteger("busyPollUs", options.busyPollUs, 0, MAX_BUSY_POLL_US);
  checkInteger("fileCacheBytes", options.fileCacheBytes, 0, MAX_FILE_CACHE_BYTES);
  checkInteger("fileCacheMaxFileBytes", options.fileCacheMaxFileBytes, 1, MAX_FILE_CACHE_BYTES);
  checkInteger(
    "readChunkBytes",
    options.readChunkBytes,
    MIN_READ_CHUNK_BYTES,
    MAX_READ_CHUNK_BYTES,
  );
  if (options.portRange) {
    const [low, high] = options.portRange;
    checkInteger("portRange start", low, 1, 65535);
    checkInteger("portRange end", high, low, 65535);
  }
  if (options.root === undefined && options.handler === undefined) {
    throw new TypeError("serveTftp needs a root directory, a handler, or both");
  }
  resolveTimingOptions(options);
  return resolveServerLimits(options);
}

/** A decimal tsize over `max`, or undefined. */
function tsizeOver(options: TftpRequest["options"], max: number): number | undefined {
  const text = options.tsize;
  if (text === undefined || !/^[0-9]{1,20}$/.test(text)) return undefined;
  const size = Number(text);
  return size > max ? size : undefined;
}

/**
 * Starts a TFTP server.
 *
 * Requests that escape the root, name directories or missing files are refused with ERROR
 * 2 or 1 (messages never show server paths). The same request repeated from the same client
 * port while its transfer runs is ignored, so it starts one transfer; a different one is
 * served at once. Write requests need `allowOverwrite` and/or `allowCreate`; written files
 * appear atomically when complete, and without `allowOverwrite` never replace a file.
 *
 * @example
 * ```ts ignore
 * import { serveTftp } from "./server.ts";
 * const server = serveTftp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   handler: (req) => req.filename === "hello.txt" ? { body: new TextEncoder().encode("hi\n") } : undefined,
 * });
 * await server.shutdown();
 * ```
 */
export function serveTftp(options: ServerOptions = {}): TftpServer {
  const limitSettings = checkServerOptions(options);
  const slots = new TransferSlots(limitSettings);
  const transferOptions = {
    // An upload's final ACK lost: the client resends its last DATA after its own timeout,
    // which under load or over a slow path is far above the round trips the server saw.
    minDallyMs: SERVER_MIN_DALLY_MS,
    ...options,
    unansweredRetries: limitSettings.unansweredRetries,
  };
  let droppedRequests = 0;
  const cacheBytes = options.fileCacheBytes ?? DEFAULT_FILE_CACHE_BYTES;
  const decideOptions = {
    ...options,
    fileCache: cacheBytes > 0 && options.root !== undefined
      ? new FileCache({
        maxBytes: cacheBytes,
        maxFileBytes: options.fileCacheMaxFileBytes ?? DEFAULT_FILE_CACHE_MAX_FILE_BYTES,
      })
      : undefined,
  };

  const hostname = options.hostname ?? "0.0.0.0";
  const busyPollUs = options.busyPollUs ?? 0;
  // Opened first: without --allow-ffi the server fails before it listens.
  const reactor = busyPollUs > 0 ? new LibcReactor({ busyPollUs }) : undefined;
  let listener: Deno.DatagramConn;
  try {
    listener = Deno.listenDatagram({ transport: "udp", hostname, port: options.port ?? 69 });
  } catch (error) {
    void reactor?.close();
    throw error;
  }
  const addr = listener.addr as Deno.NetAddr;
  // libc binds IP literals only: its transfer sockets take the address the listener resolved.
  const transferHost = reactor ? addr.hostname : hostname;
  /** Aborted when the server stops taking requests. */
  const closing = new AbortController();
  /** Aborted when running transfers must end (at once, or after the grace period). */
  const stopping = new AbortController();
  /** Transfers until their first ending, by client address: which request each serves. */
  const active = new Map<string, { readonly bytes: Uint8Array }>();
  /** Every transfer until its cleanup ended. */
  const running = new Set<Promise<void>>();
  const log = (record: TransferRecord) => {
    try {
      options.onTransfer?.(record);
    } catch { /* a logging hook must not stop the server */ }
  };
  const requestPort: Peer = { hostname: addr.hostname, port: addr.port };
  const see = (direction: "send" | "recv", peer: Peer, bytes: Uint8Array) => {
    try {
      options.onDatagram?.(direction, peer, bytes, requestPort);
    } catch { /* a tracing hook must not stop the server */ }
  };

  const refuse = async (request: TftpRequest, error: TftpError) => {
    const bytes = encodeError(error.code, errorText(error.message));
    see("send", request.peer, bytes);
    await listener.send(bytes, { transport: "udp", ...request.peer }).catch(() => {});
    log({
      ...describe(request),
      status: "refused",
      error: { code: error.code, message: error.message },
    });
  };

  const describe = (r: TftpRequest) => ({
    peer: r.peer,
    kind: r.kind,
    filename: r.filename,
    mode: r.mode,
  });

  /**
   * Serves one request; `ended` runs once, at its first ending (or refusal). Resolves to
   * whether the client proved real (it answered, or nothing but an ERROR was sent to it).
   */
  const serve = async (
    request: TftpRequest,
    ended: () => void,
    slot: Slot,
  ): Promise<boolean> => {
    const maxWrite = limitSettings.maxWriteBytes;
    const tooBig = request.kind === "write" ? tsizeOver(request.options, maxWrite) : undefined;
    if (tooBig !== undefined) {
      ended();
      const message = `File too large: ${tooBig} bytes, this server takes at most ${maxWrite}`;
      await refuse(request, new TftpError(ERROR_CODE.DISK_FULL, message));
      return true;
    }
    let io: TransferIo;
    try {
      io = await decideUnlessStopped(request, decideOptions, stopping.signal);
    } catch (error) {
      ended();
      await refuse(request, fileErrorToTftp(error, request.kind === "write"));
      return true;
    }
    let conn: TransferSocket;
    try {
      conn = openTransferSocket(transferHost, options.portRange, reactor);
    } catch (error) {
      ended();
      await release(io, error);
      await refuse(
        request,
        new TftpError(ERROR_CODE.NOT_DEFINED, "Server busy: no free transfer port"),
      );
      return true;
    }
    const feed = io.source && new SenderFeed(io.source, request.mode);
    const writer = io.sink && new SinkWriter(io.sink, request.mode);
    let record: TransferRecord | undefined;
    let committed = false;
    let received = 0;
    // Log the first ending at once (a write's dally must not delay its log line).
    const end = (status: "complete" | "failed", error?: TftpError, stats?: TransferStats) => {
      if (record) return;
      record = {
        ...describe(request),
        status,
        stats,
        error: error && { code: error.code, message: error.message },
      };
      ended();
      log(record);
    };
    try {
      const machine = openServerTransfer(monotonicNow(), request, {
        ...transferOptions,
        fileSize: io.source?.size,
      });
      slots.start(slot, machine, monotonicNow());
      await driveTransfer(machine, conn, {
        signal: AbortSignal.any([stopping.signal, slot.evict.signal]),
        onDatagram: options.onDatagram,
        beforeWait: () => {
          // The client answered: it is real, give its address's unanswered token back now.
          slots.noteAnswer(slot);
          return feed?.feed(machine as Sender);
        },
        // A DATA block the sink only buffers costs no promise.
        onEvent: (event) => {
          if (event.type === "data") {
            received += event.data.length;
            if (received > maxWrite) {
              throw new TftpError(
                ERROR_CODE.DISK_FULL,
                `File too large: this server takes at most ${maxWrite} bytes`,
              );
            }
            return writer!.write(event.data);
          }
          if (event.type === "complete") {
            return (async () => {
              if (writer) await writer.commit();
              committed = true;
              end("complete", undefined, event.stats);
            })();
          }
          if (event.type === "failed") end("failed", event.error, event.stats);
          return undefined;
        },
      });
    } catch (error) {
      end("failed", fileErrorToTftp(error, request.kind === "write"));
    } finally {
      ended();
      conn.close();
      await io.source?.close();
      if (!committed) await writer?.discard(record?.error);
    }
    return (record?.stats?.datagramsReceived ?? 0) > 0;
  };

  /** Handles one datagram on the request port. Never throws. */
  const admit = async (bytes: Uint8Array, from: Deno.NetAddr): Promise<void> => {
    const peer = { hostname: from.hostname, port: from.port };
    see("recv", peer, bytes);
    const admission = admitRequest(peer, bytes);
    if (admission.kind === "reply") {
      if (!slots.allowReply(monotonicNow(), peer.hostname)) {
        droppedRequests++;
        return;
      }
      see("send", peer, admission.bytes);
      await listener.send(admission.bytes, { transport: "udp", ...peer }).catch(() => {});
      return;
    }
    if (admission.kind !== "request") return;
    const key = formatPeer(peer);
    // The same request again while its transfer runs: the client retransmitted it. Any other
    // request from that port (say, a retry without the options it was refused) is new.
    const current = active.get(key);
    if (current && sameBytes(current.bytes, bytes)) return;
    const slot = slots.admit(monotonicNow(), peer.hostname);
    if ("answer" in slot) {
      if (slot.answer === "silent") {
        droppedRequests++;
        return;
      }
      await refuse(admission.request, new TftpError(ERROR_CODE.NOT_DEFINED, slot.reason));
      return;
    }
    const entry = { bytes: bytes.slice() };
    active.set(key, entry);
    const ended = () => {
      if (active.get(key) === entry) active.delete(key);
    };
    const done = serve(admission.request, ended, slot).catch(() => false).then((real) => {
      slots.release(slot, real);
      running.delete(done);
    });
    running.add(done);
  };

  const accept = async (): Promise<void> => {
    const buffer = new Uint8Array(65536);
    let receiveErrors = 0;
    while (!closing.signal.aborted) {
      let bytes: Uint8Array, from: Deno.NetAddr;
      try {
        const [data, remote] = await listener.receive(buffer);
        bytes = data;
        from = remote as Deno.NetAddr;
      } catch (error) {
        if (closing.signal.aborted || error instanceof Deno.errors.BadResource) break;
        // e.g. an ICMP error reported on the socket: keep serving, but never spin.
        if (++receiveErrors % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      receiveErrors = 0;
      try {
        await admit(bytes, from);
      } catch { /* one bad datagram must not stop the server */ }
    }
  };

  const finished = accept().then(async () => {
    while (running.size > 0) await Promise.all([...running]);
    await reactor?.close();
  });

  const shutdown = async (shutdownOptions: ShutdownOptions = {}): Promise<void> => {
    const graceMs = shutdownOptions.graceMs ?? 0;
    if (!(graceMs >= 0)) throw new RangeError(`graceMs must be >= 0, got ${graceMs}`);
    if (!closing.signal.aborted) {
      closing.abort();
      try {
        listener.close();
      } catch { /* already closed */ }
    }
    if (graceMs > 0 && !stopping.signal.aborted) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(graceMs, 2 ** 31 - 1));
      });
      const cut = new Promise<void>((resolve) => {
        stopping.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.race([finished, graceOver, cut]);
      clearTimeout(timer);
    }
    if (!stopping.signal.aborted) stopping.abort(new TftpAbortError("Server shutting down"));
    await finished;
  };

  return {
    addr,
    get activeTransfers() {
      return running.size;
    },
    get droppedRequests() {
      return droppedRequests;
    },
    finished,
    shutdown,
    [Symbol.asyncDispose]: () => shutdown(),
  };
}
