/**
 * The TFTP client for Deno: download to a file, a stream or memory; upload from a file, a
 * stream or bytes. Downloads to a file are atomic: a temporary file is renamed into place
 * only after the whole transfer succeeded.
 *
 * @module
 */

import {
  ERROR_CODE,
  MAX_BLKSIZE,
  MAX_REQUEST_BYTES,
  MAX_TIMEOUT_S,
  MAX_WINDOWSIZE,
  MIN_BLKSIZE,
  MIN_TIMEOUT_S,
  OPCODE,
} from "./packet/constants.ts";
import { receiveWindowLimit } from "./packet/options.ts";
import { encodePacket } from "./packet/encode.ts";
import { SenderFeed, SinkWriter } from "./_pump.ts";
import type { RequestPacket } from "./packet/packet.ts";
import type { TransferMode } from "./engine/admission.ts";
import type { TransferConfig } from "./engine/transfer.ts";
import { Receiver } from "./engine/receiver.ts";
import { resolveTimingOptions } from "./engine/timing.ts";
import { Sender } from "./engine/sender.ts";
import type { Peer, TransferEvent, TransferMachine, TransferStats } from "./engine/types.ts";
import { TftpError, TftpProtocolError } from "./errors.ts";
import { checkInteger } from "./_check.ts";
import { parseTftpUrl, type TftpUrl } from "./url.ts";
import {
  bytesSource,
  fileErrorToTftp,
  fileSource,
  memorySink,
  openAtomicFileSink,
  type Sink,
  type Source,
  streamSink,
  streamSource,
} from "./_io.ts";
import { type DriveHooks, driveTransfer } from "../udp/drive.ts";
import { MAX_BUSY_POLL_US, openTransferSocket, type TransferSocket } from "../udp/_libc_udp.ts";
import { acquireClientReactor, releaseClientReactor } from "../udp/_libc_client_reactors.ts";
import { monotonicNow } from "../udp/clock.ts";
import { localAddressFor, resolveHost } from "../udp/socket.ts";

/** Progress of a transfer, for progress bars. */
export interface TransferProgress {
  /** Bytes received (download) or acknowledged (upload) so far, as on the wire. */
  readonly bytes: number;
  /** Total size when the server told it (tsize) or the source knows it. */
  readonly total?: number;
}

/** Options of {@linkcode tftpGet} and {@linkcode tftpPut}. */
export interface ClientOptions extends TransferConfig {
  /** Block size to ask for (RFC 2348). @default {1468} */
  blksize?: number;
  /** Window size to ask for (RFC 7440); 1 means lock-step. @default {4} */
  windowsize?: number;
  /**
   * Retransmit timeout in whole seconds, also sent as the RFC 2349 option. Unless `dallyMs`
   * is given, the wait after the final ACK of a download is then this timeout, at most 1 s.
   */
  timeoutS?: number;
  /**
   * Ask for / announce the transfer size (RFC 2349). A download whose length differs from
   * the size the server announced fails (a `TftpProtocolError`, ERROR 0 to the server) and
   * keeps nothing: a file shortened while served must not pass for the whole file.
   * @default {true}
   */
  tsize?: boolean;
  /** Send no options at all: plain RFC 1350. @default {false} */
  noOptions?: boolean;
  /** Transfer mode; overrides the URL's `;mode=`. @default {"octet"} */
  mode?: TransferMode;
  /** Local address to bind; default: loopback for a loopback server, else any. */
  localAddress?: string;
  /** Cancels the transfer; the server receives ERROR 0. */
  signal?: AbortSignal;
  /** Called as the transfer progresses. */
  onProgress?: (progress: TransferProgress) => void;
  /**
   * Sees every datagram sent and received (for tracing and captures); `local` is the
   * client socket's address as bound (see `localAddress`).
   */
  onDatagram?: (direction: "send" | "recv", peer: Peer, bytes: Uint8Array, local: Peer) => void;
  /**
   * Busy polling, in microseconds (Linux, needs `--allow-ffi`): each receive keeps asking
   * the socket for up to this long, yielding the CPU between tries, before it sleeps (up to
   * 8 times as long while answers keep coming just after the spin). A lock-step transfer
   * then skips a sleep and wake-up per block and goes faster, for CPU spent spinning; 0
   * keeps Deno's own socket. Meant for one transfer at a time, not for
   * hundreds in one process. 50 is a good value on loopback and LANs.
   * @default {0}
   */
  busyPollUs?: number;
}

/** What a finished transfer reports. */
export interface TransferResult {
  /** Bytes of the local file (after netascii conversion). */
  readonly bytes: number;
  /** Where the server answered from (its transfer ID). */
  readonly peer: Peer;
  /** The mode used. */
  readonly mode: TransferMode;
  /** Protocol counters, negotiated options and elapsed time. */
  readonly stats: TransferStats;
}

/** Builds the request the client sends; validates the options once. */
function buildRequest(
  opcode: 1 | 2,
  url: TftpUrl,
  options: ClientOptions,
  size?: number,
): RequestPacket {
  checkInteger("blksize", options.blksize, MIN_BLKSIZE, MAX_BLKSIZE);
  checkInteger("windowsize", options.windowsize, 1, MAX_WINDOWSIZE);
  checkInteger("timeoutS", options.timeoutS, MIN_TIMEOUT_S, MAX_TIMEOUT_S);
  checkInteger("busyPollUs", options.busyPollUs, 0, MAX_BUSY_POLL_US);
  resolveTimingOptions(timingOf(options));
  const mode = options.mode ?? url.mode;
  const wanted: Record<string, string> = {};
  if (!options.noOptions) {
    wanted.blksize = String(options.blksize ?? 1468);
    if (options.timeoutS !== undefined) wanted.timeout = String(options.timeoutS);
    if ((options.tsize ?? true) && mode === "octet") {
      if (opcode === OPCODE.RRQ) wanted.tsize = "0";
      else if (size !== undefined) wanted.tsize = String(size);
    }
    // Receiving (RRQ), ask for no larger a window than the socket buffer takes whole.
    const blksize = options.blksize ?? 1468;
    const windowsize = opcode === OPCODE.RRQ
      ? Math.min(options.windowsize ?? 4, receiveWindowLimit(blksize))
      : options.windowsize ?? 4;
    if (windowsize > 1) wanted.windowsize = String(windowsize);
  }
  const request: RequestPacket = { opcode, filename: url.path, mode, options: wanted };
  const length = encodePacket(request).length;
  if (length > MAX_REQUEST_BYTES) {
    throw new RangeError(
      `The request would be ${length} bytes, more than ${MAX_REQUEST_BYTES}: use a shorter file name`,
    );
  }
  return request;
}

/** Longest dally a fixed `timeoutS` brings by default: a download must not end slowly. */
const MAX_DEFAULT_DALLY_MS = 1000;

function timingOf(options: ClientOptions): TransferConfig {
  if (options.timeoutS === undefined) return options;
  const timeoutMs = options.timeoutS * 1000;
  const dallyMs = options.dallyMs ?? Math.min(timeoutMs, MAX_DEFAULT_DALLY_MS);
  return { ...options, timeoutMs, dallyMs };
}

/** Runs a client machine on a fresh socket; returns its stats or throws its error. */
async function run(
  url: TftpUrl,
  options: ClientOptions,
  create: (server: Peer) => TransferMachine,
  hooks: Pick<DriveHooks, "onEvent" | "beforeWait">,
): Promise<{ stats: TransferStats; peer: Peer }> {
  const address = await resolveHost(url.hostname);
  const machine = create({ hostname: address, port: url.port });
  const local = options.localAddress ?? localAddressFor(address);
  const busyPollUs = options.busyPollUs ?? 0;
  // libc binds IP literals only: a named local address is resolved first.
  const bindTo = busyPollUs > 0 ? await resolveHost(local) : local;
  const reactor = busyPollUs > 0 ? acquireClientReactor(busyPollUs) : undefined;
  let conn: TransferSocket;
  try {
    conn = openTransferSocket(bindTo, undefined, reactor);
  } catch (error) {
    if (reactor) await releaseClientReactor(reactor);
    throw error;
  }
  let outcome: { stats: TransferStats; peer: Peer } | undefined;
  let failure: TftpError | undefined;
  let peer: Peer = { hostname: address, port: url.port };
  const fail = (error: unknown) => {
    failure = fileErrorToTftp(error, true);
    machine.abort(monotonicNow(), failure);
  };
  /** The hook is done with `event`: a completed transfer has its outcome. */
  const handled = (event: TransferEvent) => {
    if (event.type === "complete") outcome = { stats: event.stats, peer };
  };
  try {
    await driveTransfer(machine, conn, {
      signal: options.signal,
      onDatagram: options.onDatagram,
      beforeWait: hooks.beforeWait,
      // Synchronous unless the hook waits for I/O: a DATA block only buffered costs no
      // promise, and no closure.
      onEvent: (event) => {
        if (event.type === "negotiated") peer = event.peer;
        if (event.type === "failed") failure = event.error;
        let waiting: void | Promise<void>;
        try {
          waiting = hooks.onEvent?.(event);
        } catch (error) {
          fail(error);
          return;
        }
        if (typeof waiting?.then !== "function") return handled(event);
        return waiting.then(() => handled(event), fail);
      },
    });
  } finally {
    conn.close();
    if (reactor) await releaseClientReactor(reactor);
  }
  if (failure) throw failure;
  if (!outcome) throw new TftpError(0, "Transfer ended without a result");
  return outcome;
}

function toUrl(url: string | TftpUrl): TftpUrl {
  return typeof url === "string" ? parseTftpUrl(url) : url;
}

/**
 * Downloads a file. `target` is a local path (written atomically: a temporary file renamed
 * on success; on failure no file is left and an existing one is untouched) or a
 * `WritableStream` (closed on success, aborted on failure). A local write that fails (disk
 * full: code 3, permission denied: code 2) rejects with a `TftpError` and sends the server
 * that ERROR; a target that cannot be created fails before any packet is sent.
 *
 * @example
 * ```ts ignore
 * import { tftpGet } from "./client.ts";
 * const result = await tftpGet("tftp://127.0.0.1/pxelinux.0", "pxelinux.0", { blksize: 1468 });
 * console.log(`${result.bytes} bytes in ${result.stats.elapsedMs} ms`);
 * ```
 */
export async function tftpGet(
  url: string | TftpUrl,
  target: string | WritableStream<Uint8Array>,
  options: ClientOptions = {},
): Promise<TransferResult> {
  const parsed = toUrl(url);
  const request = buildRequest(OPCODE.RRQ, parsed, options);
  const sink = typeof target === "string"
    ? await openAtomicFileSink(target, { replace: true })
    : streamSink(target);
  return await download(parsed, request, sink, options);
}

/**
 * Downloads a file into memory.
 *
 * @example
 * ```ts ignore
 * import { tftpGetBytes } from "./client.ts";
 * const config = await tftpGetBytes("tftp://[::1]:6969/switch.cfg;mode=netascii");
 * ```
 */
export async function tftpGetBytes(
  url: string | TftpUrl,
  options: ClientOptions = {},
): Promise<Uint8Array> {
  const parsed = toUrl(url);
  const sink = memorySink();
  await download(parsed, buildRequest(OPCODE.RRQ, parsed, options), sink, options);
  return sink.bytes();
}

async function download(
  url: TftpUrl,
  request: RequestPacket,
  sink: Sink,
  options: ClientOptions,
): Promise<TransferResult> {
  const writer = new SinkWriter(sink, request.mode as TransferMode);
  let total: number | undefined;
  const progress = (): void => {
    options.onProgress?.({ bytes: writer.wireBytes, total });
  };
  const complete = async () => {
    // A short (or long) file against the size the server announced is no file to keep.
    if (total !== undefined && request.mode === "octet" && writer.wireBytes !== total) {
      throw new TftpProtocolError(
        ERROR_CODE.NOT_DEFINED,
        `The server sent ${writer.wireBytes} bytes but announced ${total} (tsize)`,
      );
    }
    await writer.commit();
  };
  try {
    const create = (server: Peer) =>
      new Receiver(monotonicNow(), { server, request }, timingOf(options));
    const { stats, peer } = await run(url, options, create, {
      // A DATA block the sink only buffers costs no promise.
      onEvent: (event) => {
        if (event.type === "negotiated") total = event.options.tsize;
        if (event.type === "complete") return complete();
        if (event.type !== "data") return;
        const writing = writer.write(event.data);
        if (!writing) return progress();
        return writing.then(progress);
      },
    });
    return { bytes: writer.bytesWritten, peer, mode: request.mode as TransferMode, stats };
  } catch (error) {
    await writer.discard(error);
    throw error;
  }
}

/**
 * Uploads a file. `source` is a local path, a `ReadableStream` or bytes.
 *
 * @example
 * ```ts ignore
 * import { tftpPut } from "./client.ts";
 * await tftpPut(new TextEncoder().encode("hostname sw1\n"), "tftp://192.0.2.1/sw1.cfg");
 * ```
 */
export async function tftpPut(
  source: string | ReadableStream<Uint8Array> | Uint8Array,
  url: string | TftpUrl,
  options: ClientOptions = {},
): Promise<TransferResult> {
  const parsed = toUrl(url);
  let input: Source;
  if (typeof source === "string") {
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(source, { read: true });
      const info = await file.stat();
      if (!info.isFile) {
        throw new TftpError(ERROR_CODE.NOT_DEFINED, "Only regular files can be uploaded", {
          cause: new TypeError(`${JSON.stringify(source)} is not a regular file`),
        });
      }
      input = fileSource(file, info.size);
    } catch (error) {
      file?.close();
      throw fileErrorToTftp(error, false);
    }
  } else {
    input = source instanceof Uint8Array ? bytesSource(source) : streamSource(source);
  }
  try {
    const request = buildRequest(OPCODE.WRQ, parsed, options, input.size);
    const feed = new SenderFeed(input, request.mode as TransferMode);
    let sender: Sender | undefined;
    const create = (
      server: Peer,
    ) => (sender = new Sender(monotonicNow(), { server, request }, timingOf(options)));
    const { stats, peer } = await run(parsed, options, create, {
      beforeWait: async () => {
        await feed.feed(sender!);
        const total = request.mode === "octet" ? input.size : undefined;
        options.onProgress?.({ bytes: sender!.bytesAcknowledged, total });
      },
    });
    options.onProgress?.({
      bytes: stats.bytes,
      total: request.mode === "octet" ? input.size : undefined,
    });
    return { bytes: feed.bytesRead, peer, mode: request.mode as TransferMode, stats };
  } finally {
    await input.close();
  }
}
