/**
 * Two-way text chat over UDP: each message is one datagram of encoded text (UTF-8, GBK or
 * GB18030, for Windows "network assistant" tools), sent to a fixed peer or to whoever spoke
 * last, while messages arrive at the same time.
 *
 * @module
 */

import { decodeText, encodeText, type TextEncodingName } from "../text/encoding.ts";
import { localAddressFor, resolveHost } from "../udp/socket.ts";
import { closeQuietly, localAddr, openSocket, receiveDatagrams } from "./_datagrams.ts";

/** A message that arrived. */
export interface UdpChatMessage {
  /** Its sender. */
  from: Deno.NetAddr;
  /** Its text, decoded (malformed bytes read as U+FFFD). */
  text: string;
}

/** Options of {@linkcode openUdpChat}. */
export interface OpenUdpChatOptions {
  /**
   * Local address to bind.
   * @default {the peer's loopback address for a loopback peer, else the wildcard address of
   * its family; "0.0.0.0" without a peer}
   */
  hostname?: string;
  /**
   * Local port; 0 picks a free one.
   * @default {0}
   */
  port?: number;
  /**
   * Where `send()` goes. Without one, `send()` answers whoever sent the last message.
   * @default {undefined}
   */
  peer?: { hostname: string; port: number };
  /**
   * The encoding on the wire, both ways.
   * @default {"utf-8"}
   */
  encoding?: TextEncodingName;
  /**
   * `send()` throws a TextEncodingError for a character the encoding cannot write, instead
   * of sending "?" for it.
   * @default {false}
   */
  fatal?: boolean;
}

/** `send()` without a destination: no peer was given and no message has arrived yet. */
export class UdpNoPeerError extends Error {
  /** Creates the error. */
  constructor() {
    super("Nobody to send to yet: no peer was given and no message has arrived");
    this.name = "UdpNoPeerError";
  }
}

/** An open chat socket; see {@linkcode openUdpChat}. */
export interface UdpChat extends AsyncDisposable {
  /** The local address (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Where `send()` goes now: the peer, or the sender of the last message; else undefined. */
  readonly peer: Deno.NetAddr | undefined;
  /**
   * Sends `text` as one datagram to `to`, or else to {@linkcode UdpChat.peer}.
   *
   * @throws {UdpNoPeerError} When there is nobody to send to.
   */
  send(text: string, to?: { hostname: string; port: number }): Promise<void>;
  /**
   * The messages as they arrive, until `close()`. Only one iteration at a time: a second
   * concurrent call throws a TypeError.
   */
  messages(): AsyncIterableIterator<UdpChatMessage>;
  /** Closes the socket; `messages()` then ends. Harmless when called again. */
  close(): void;
}

class Chat implements UdpChat {
  readonly addr: Deno.NetAddr;
  readonly #conn: Deno.DatagramConn;
  readonly #fixed: Deno.NetAddr | undefined;
  readonly #encoding: TextEncodingName;
  readonly #fatal: boolean;
  #last: Deno.NetAddr | undefined;
  #iterating = false;

  constructor(
    conn: Deno.DatagramConn,
    peer: Deno.NetAddr | undefined,
    encoding: TextEncodingName,
    fatal: boolean,
  ) {
    this.#conn = conn;
    this.addr = localAddr(conn);
    this.#fixed = peer;
    this.#encoding = encoding;
    this.#fatal = fatal;
  }

  get peer(): Deno.NetAddr | undefined {
    return this.#fixed ?? this.#last;
  }

  async send(text: string, to?: { hostname: string; port: number }): Promise<void> {
    const target = to ?? this.peer;
    if (!target) throw new UdpNoPeerError();
    const bytes = encodeText(text, this.#encoding, { fatal: this.#fatal });
    await this.#conn.send(bytes, {
      transport: "udp",
      hostname: target.hostname,
      port: target.port,
    });
  }

  messages(): AsyncIterableIterator<UdpChatMessage> {
    if (this.#iterating) throw new TypeError("messages() is already being iterated");
    this.#iterating = true;
    return this.#receive();
  }

  async *#receive(): AsyncGenerator<UdpChatMessage> {
    try {
      for await (const [bytes, from] of receiveDatagrams(this.#conn)) {
        this.#last = from;
        yield { from, text: decodeText(bytes, this.#encoding) };
      }
    } finally {
      this.#iterating = false;
    }
  }

  close(): void {
    closeQuietly(this.#conn);
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/**
 * Opens a UDP chat socket. With a `peer`, `send()` goes there; without one (a listener),
 * `send()` answers the sender of the last message `messages()` yielded. Messages from any
 * address are yielded. Sending and receiving may run at the same time.
 *
 * @example
 * ```ts ignore
 * import { openUdpChat } from "./chat.ts";
 * await using listener = await openUdpChat({ hostname: "127.0.0.1", encoding: "gbk" });
 * await using talker = await openUdpChat({ peer: listener.addr, encoding: "gbk" });
 * await talker.send("你好");
 * for await (const { from, text } of listener.messages()) {
 *   console.log(from.port, text); // "你好"
 *   await listener.send("hi"); // back to the talker
 *   break;
 * }
 * ```
 *
 * @throws {RangeError} For an unknown encoding or a port out of range.
 * @throws {Error} When the peer's host name cannot be resolved, or the address cannot be
 * bound.
 *
 * @param options Local address, peer, encoding.
 * @returns The open chat; `close()` it or dispose of it.
 */
export async function openUdpChat(options: OpenUdpChatOptions = {}): Promise<UdpChat> {
  const { port = 0, encoding = "utf-8", fatal = false } = options;
  encodeText("", encoding); // checks the encoding name
  let peer: Deno.NetAddr | undefined;
  if (options.peer) {
    const peerPort = options.peer.port;
    if (!Number.isInteger(peerPort) || peerPort < 1 || peerPort > 65535) {
      throw new RangeError(`peer.port must be a whole number from 1 to 65535, got ${peerPort}`);
    }
    const hostname = await resolveHost(options.peer.hostname);
    peer = { transport: "udp", hostname, port: peerPort };
  }
  const hostname = options.hostname ?? (peer ? localAddressFor(peer.hostname) : "0.0.0.0");
  return new Chat(openSocket(hostname, port), peer, encoding, fatal);
}
