/**
 * Two-way line chat over one TCP connection: local lines go to the peer while the peer's
 * lines arrive, both at once, in UTF-8, GBK or GB18030 (for Windows "network assistant"
 * tools). Each line travels as its encoded text plus `\n`; `\r\n` from the peer is accepted.
 *
 * @module
 */

import { encodeLine, readLines } from "../text/lines.ts";
import type { TextEncodingName } from "../text/encoding.ts";
import { checkMs, closeQuietly, writeAll } from "./_conn.ts";

/** Options of {@linkcode chatOverConnection}. */
export interface TcpChatOptions {
  /** The lines to send, without terminators; the chat ends locally when it ends. */
  input: AsyncIterable<string>;
  /** Called with each line the peer sends, without its terminator. */
  onLine(line: string): void;
  /**
   * The encoding on the wire, both ways.
   * @default {"utf-8"}
   */
  encoding?: TextEncodingName;
  /**
   * After the input ended (and the sending half was shut), how long to wait for the peer's
   * last lines and its close.
   * @default {2000}
   */
  lingerMs?: number;
  /** Aborting it closes the connection; the chat then rejects with the abort reason. */
  signal?: AbortSignal;
}

/** How a chat went. */
export interface TcpChatResult {
  /** Lines written to the peer. */
  sentLines: number;
  /** Lines received from the peer. */
  receivedLines: number;
  /** `local`: the input ended; `peer`: the peer closed (or the connection failed) first. */
  endedBy: "local" | "peer";
}

const PEER_GONE = Symbol("peer gone");

/**
 * Chats over `conn` until the input ends or the peer closes, then closes `conn`.
 *
 * Sending and receiving run at the same time: a line from the peer is handed to `onLine` as
 * soon as it arrives, whatever the input is doing. When the input ends, the sending half is
 * shut (the peer reads end of stream) and the peer's remaining lines are taken for at most
 * `lingerMs`. When the peer closes first, the input is left with `return()` and its pending
 * read is not waited for. An error thrown by `onLine` ends the chat and is rethrown.
 *
 * @example
 * ```ts ignore
 * import { chatOverConnection } from "./chat.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 6000 });
 * const result = await chatOverConnection(conn, {
 *   input: ReadableStream.from(["你好", "bye"]),
 *   onLine: (line) => console.log(`peer: ${line}`),
 *   encoding: "gbk",
 * });
 * console.log(result.endedBy);
 * ```
 *
 * @param conn The connection; the chat owns it and closes it.
 * @param options Lines to send, where received lines go, encoding and cancellation.
 * @returns The line counts and which side ended the chat.
 */
export async function chatOverConnection(
  conn: Deno.Conn,
  options: TcpChatOptions,
): Promise<TcpChatResult> {
  const { input, onLine, encoding = "utf-8", lingerMs = 2000, signal } = options;
  checkMs("lingerMs", lingerMs);
  if (typeof onLine !== "function") throw new TypeError("onLine must be a function");
  const iterator = input[Symbol.asyncIterator]();
  let sentLines = 0;
  let receivedLines = 0;
  let lineError: { error: unknown } | undefined;
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });

  const receiving = (async () => {
    try {
      for await (const line of readLines(conn.readable, { encoding })) {
        receivedLines++;
        try {
          onLine(line);
        } catch (error) {
          lineError = { error };
          return;
        }
      }
    } catch { /* reset, or closed here: the peer is gone all the same */ }
  })();
  const peerGone = receiving.then((): typeof PEER_GONE => PEER_GONE);
  let lingering: ReturnType<typeof setTimeout> | undefined;

  try {
    signal?.throwIfAborted();
    let endedBy: TcpChatResult["endedBy"] = "peer";
    for (;;) {
      const next = iterator.next();
      const got = await Promise.race([next, peerGone]);
      if (got === PEER_GONE) {
        next.catch(() => {}); // a line read after the end has nowhere to go
        iterator.return?.()?.catch(() => {});
        break;
      }
      if (got.done) {
        endedBy = "local";
        break;
      }
      try {
        await writeAll(conn, encodeLine(got.value, { encoding }));
      } catch {
        break; // the peer is gone: its reader ends too
      }
      sentLines++;
    }
    if (endedBy === "local") {
      await conn.closeWrite().catch(() => {});
      const linger = new Promise<void>((resolve) => (lingering = setTimeout(resolve, lingerMs)));
      await Promise.race([receiving, linger]);
    }
    signal?.throwIfAborted();
    if (lineError) throw lineError.error;
    return { sentLines, receivedLines, endedBy };
  } finally {
    clearTimeout(lingering);
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    await receiving;
  }
}
