/**
 * The listening side of a two-way TCP chat: one peer at a time, the local input shared by the
 * peers that come one after another, and a one-line "busy" answer to anyone who arrives while
 * a chat is on.
 *
 * @module
 */

import { encodeLine } from "../text/lines.ts";
import type { TextEncodingName } from "../text/encoding.ts";
import { acceptConnections } from "./_accept.ts";
import { callHook, checkMs, checkPort, closeQuietly, writeAll } from "./_conn.ts";
import { SharedInput } from "./_shared_input.ts";
import { chatOverConnection, type TcpChatResult } from "./chat.ts";

/** A peer came, left, or was turned away because a chat was on. */
export interface TcpChatPeerEvent {
  /** What happened. */
  type: "connected" | "left" | "busy";
  /** The peer's address. */
  peer: Deno.NetAddr;
  /** For `left`: how the chat went (absent when it failed). */
  result?: TcpChatResult;
}

/** Options of {@linkcode serveTcpChat}. */
export interface ServeTcpChatOptions {
  /**
   * The local lines, sent to whichever peer is connected. Lines that come while nobody is
   * connected wait for the next peer (at most one is read ahead). When it ends, the current
   * chat ends and the server stops.
   */
  input: AsyncIterable<string>;
  /** Called with each line a peer sends. */
  onLine(line: string, peer: Deno.NetAddr): void;
  /** Called when a peer connects, leaves, or is turned away; a throwing hook is ignored. */
  onPeer?: (event: TcpChatPeerEvent) => void;
  /**
   * Address to listen on.
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default {0}
   */
  port?: number;
  /**
   * The encoding on the wire, both ways.
   * @default {"utf-8"}
   */
  encoding?: TextEncodingName;
  /**
   * The line sent to a peer that arrives while another is connected, before closing.
   * @default {"Busy: already chatting with someone else, try again later"}
   */
  busyMessage?: string;
  /**
   * How long a chat waits for the peer's last lines after the input ended.
   * @default {2000}
   */
  lingerMs?: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
}

/** A running chat server. */
export interface TcpChatServer extends AsyncDisposable {
  /** The address it listens on (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** The peer chatting now, if any. */
  readonly peer: Deno.NetAddr | undefined;
  /** Settles when the server has stopped: the input ended, or it was shut down. */
  readonly finished: Promise<void>;
  /** Stops accepting, ends the current chat and waits for everything to close. */
  shutdown(): Promise<void>;
}

const BUSY_DRAIN_MS = 500;

/** Sends the busy line, shuts our half, and reads what the peer sent for a moment so that
 * closing does not reset the connection before the line is read. */
async function turnAway(conn: Deno.Conn, line: Uint8Array): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), BUSY_DRAIN_MS);
  try {
    await writeAll(conn, line);
    await conn.closeWrite();
    const buffer = new Uint8Array(4096);
    while ((await conn.read(buffer)) !== null) { /* discard */ }
  } catch {
    /* closed by the timer or the peer */
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

/**
 * Listens for chat peers: the first one to connect chats with the local input (see
 * {@linkcode chatOverConnection}); when it leaves, the server waits for the next. A peer
 * arriving during a chat gets `busyMessage` and is closed. The server stops by itself when
 * the input ends.
 *
 * @example
 * ```ts ignore
 * import { serveTcpChat } from "./chat_server.ts";
 * import { readLines } from "../text/lines.ts";
 * await using server = serveTcpChat({
 *   input: readLines(Deno.stdin.readable),
 *   onLine: (line) => console.log(line),
 *   onPeer: ({ type, peer }) => console.error(type, peer.hostname, peer.port),
 *   hostname: "127.0.0.1",
 *   encoding: "gbk",
 * });
 * await server.finished;
 * ```
 *
 * @param options The input, where lines and peer events go, where to listen, the encoding.
 * @returns The running server.
 */
export function serveTcpChat(options: ServeTcpChatOptions): TcpChatServer {
  const { input, onLine, onPeer, hostname = "0.0.0.0", port = 0, signal } = options;
  const { encoding = "utf-8", lingerMs = 2000 } = options;
  const { busyMessage = "Busy: already chatting with someone else, try again later" } = options;
  checkPort(port);
  checkMs("lingerMs", lingerMs);
  if (typeof onLine !== "function") throw new TypeError("onLine must be a function");
  const busyLine = encodeLine(busyMessage, { encoding });
  const shared = new SharedInput(input);
  let current: { peer: Deno.NetAddr; chat: Promise<unknown> } | undefined;

  const server = acceptConnections({ hostname, port }, async (conn) => {
    const peer = conn.remoteAddr;
    if (current) {
      callHook(onPeer, { type: "busy", peer });
      return await turnAway(conn, busyLine);
    }
    const chat = chatOverConnection(conn, {
      input: shared.view(),
      onLine: (line) => onLine(line, peer),
      encoding,
      lingerMs,
    });
    current = { peer, chat };
    callHook(onPeer, { type: "connected", peer });
    let result: TcpChatResult | undefined;
    try {
      result = await chat;
    } finally {
      current = undefined;
      callHook(onPeer, { type: "left", peer, result });
    }
  });

  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
  let stopped: Promise<void> | undefined;
  const onAbort = () => void shutdown();
  const shutdown = () =>
    stopped ??= server.shutdown().finally(() => {
      signal?.removeEventListener("abort", onAbort);
      finish();
    });
  void shared.ended().then(async () => {
    await current?.chat.catch(() => {});
    await shutdown();
  });
  if (signal?.aborted) void shutdown();
  else signal?.addEventListener("abort", onAbort, { once: true });

  return {
    addr: server.addr,
    get peer() {
      return current?.peer;
    },
    finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
