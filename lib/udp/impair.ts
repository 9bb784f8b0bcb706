/**
 * A fault-injecting UDP proxy for TFTP tests: it sits in front of a real server, forwards
 * every datagram both ways, and lets an {@linkcode ImpairRule} drop, duplicate or delay any
 * of them. The decisions are pure (`impair_rules.ts`); this module only moves datagrams.
 *
 * TFTP transfer IDs are kept intact. Per client address there is a session: one upstream
 * socket that talks to the server (so the server sees one consistent client), and per server
 * TID one downstream socket that talks to the client (so the client sees one consistent
 * server TID):
 *
 * ```
 * client --RRQ--> proxy request port --> [upstream socket] --> server request port
 * client <--DATA-- [downstream socket for TID p] <-- [upstream socket] <-- server TID p
 * client --ACK--> [downstream socket for TID p] --> [upstream socket] --> server TID p
 * ```
 *
 * Answers from the server's request port itself (refusals) go back through the request port.
 *
 * @module
 */

import type { ImpairAction, ImpairDirection, ImpairRule } from "./impair_rules.ts";
import { isIP } from "node:net";

export type { ImpairAction, ImpairDatagram, ImpairDirection, ImpairRule } from "./impair_rules.ts";

/** Options of {@linkcode startImpairProxy}. */
export interface ImpairProxyOptions {
  /** The server's request port. */
  target: { readonly hostname: string; readonly port: number };
  /** Address the proxy listens on (and answers clients from). @default {"127.0.0.1"} */
  hostname?: string;
  /** Request port of the proxy; 0 picks a free one. @default {0} */
  port?: number;
  /** Decides the fate of every datagram. */
  rule: ImpairRule;
}

/** A running proxy. Stop it with `close()` or `await using`. */
export interface ImpairProxy extends AsyncDisposable {
  /** Where clients send their requests. */
  readonly addr: Deno.NetAddr;
  /**
   * Counters: `up` / `down` (datagrams seen each way), `pass`, `drop`, `duplicate`, `delay`
   * (decisions), `sessions` (clients seen), `tids` (server TIDs seen), `foreign` (datagrams
   * from unexpected sources, dropped), `errors` (failed receives or sends).
   */
  readonly counts: Record<string, number>;
  /** Closes every socket, cancels delayed datagrams and waits for the receive loops. */
  close(): Promise<void>;
}

interface Session {
  client: Deno.NetAddr;
  upstream: Deno.DatagramConn;
  downstream: Map<number, Deno.DatagramConn>;
}

/** Consecutive receive errors after which a loop gives up on its socket. */
const MAX_RECEIVE_ERRORS = 100;
const BUFFER_BYTES = 65536;

function keyOf(addr: Deno.NetAddr): string {
  return `${addr.hostname}|${addr.port}`;
}

/**
 * Starts a proxy in front of the TFTP server at `options.target`.
 *
 * @example
 * ```ts ignore
 * import { startImpairProxy } from "./impair.ts";
 * import { dropNth, isData } from "./impair_rules.ts";
 * await using proxy = startImpairProxy({
 *   target: { hostname: "127.0.0.1", port: 6969 },
 *   rule: dropNth("down", isData(1)),
 * });
 * // point the client at tftp://127.0.0.1:${proxy.addr.port}/file
 * ```
 */
export function startImpairProxy(options: ImpairProxyOptions): ImpairProxy {
  const { target, rule } = options;
  if (typeof rule !== "function") {
    throw new TypeError(`rule must be a function, got ${typeof rule}`);
  }
  if (!Number.isInteger(target?.port) || target.port < 1 || target.port > 65535) {
    throw new RangeError(`target.port must be an integer between 1 and 65535, got ${target?.port}`);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  const front = Deno.listenDatagram({ transport: "udp", hostname, port: options.port ?? 0 });
  const addr = front.addr as Deno.NetAddr;
  const counts: Record<string, number> = {
    up: 0,
    down: 0,
    pass: 0,
    drop: 0,
    duplicate: 0,
    delay: 0,
    sessions: 0,
    tids: 0,
    foreign: 0,
    errors: 0,
  };
  const sessions = new Map<string, Session>();
  const sockets = new Set<Deno.DatagramConn>([front]);
  const loops = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sends = new Set<Promise<void>>();
  let closed = false;

  /** Sends one datagram; failures count as errors (UDP: a lost datagram). */
  const send = (conn: Deno.DatagramConn, bytes: Uint8Array, to: Deno.NetAddr): Promise<void> => {
    if (closed) return Promise.resolve();
    const done = conn.send(bytes, to).then(
      () => {},
      () => void counts.errors++,
    );
    sends.add(done);
    return done.finally(() => sends.delete(done));
  };

  /**
   * Applies the rule to one datagram and forwards it (or not). Resolves when `bytes` (a view
   * into a receive buffer) is no longer needed.
   */
  const forward = (
    direction: ImpairDirection,
    bytes: Uint8Array,
    conn: Deno.DatagramConn,
    to: Deno.NetAddr,
  ): Promise<void> => {
    const index = counts[direction]++;
    let action: ImpairAction;
    try {
      action = rule({ direction, bytes, index });
    } catch {
      action = "drop"; // a broken rule loses the datagram; the counters show it
      counts.errors++;
    }
    if (action === "drop") {
      counts.drop++;
    } else if (action === "duplicate") {
      counts.duplicate++;
      return Promise.all([send(conn, bytes, to), send(conn, bytes, to)]).then(() => {});
    } else if (typeof action === "object") {
      counts.delay++;
      const copy = bytes.slice();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(conn, copy, to);
      }, Math.max(0, action.delayMs));
      timers.add(timer);
    } else {
      counts.pass++;
      return send(conn, bytes, to);
    }
    return Promise.resolve();
  };

  /** Receives on `conn` until it closes, handing each datagram to `handle`. */
  const loop = (
    conn: Deno.DatagramConn,
    handle: (bytes: Uint8Array, from: Deno.NetAddr) => Promise<void> | undefined,
  ): void => {
    const run = async () => {
      const buffer = new Uint8Array(BUFFER_BYTES);
      let failures = 0;
      while (!closed && failures < MAX_RECEIVE_ERRORS) {
        let bytes: Uint8Array, from: Deno.NetAddr;
        try {
          const [data, remote] = await conn.receive(buffer);
          bytes = data;
          from = remote as Deno.NetAddr;
        } catch (error) {
          if (closed || error instanceof Deno.errors.BadResource) break;
          counts.errors++;
          failures++;
          continue;
        }
        failures = 0;
        if (closed) break;
        // The buffer is reused by the next receive: wait until the sends are done with it.
        await handle(bytes, from);
      }
    };
    const done = run();
    loops.add(done);
  };

  const open = (bind: string): Deno.DatagramConn => {
    const conn = Deno.listenDatagram({ transport: "udp", hostname: bind, port: 0 });
    sockets.add(conn);
    return conn;
  };

  const fromTarget = (from: Deno.NetAddr) => from.hostname === target.hostname;
  const targetAt = (port: number): Deno.NetAddr => ({
    transport: "udp",
    hostname: target.hostname,
    port,
  });

  const openSession = (client: Deno.NetAddr): Session => {
    const session: Session = {
      client: { transport: "udp", hostname: client.hostname, port: client.port },
      upstream: open(isIP(target.hostname) === 6 ? "::" : "0.0.0.0"),
      downstream: new Map(),
    };
    sessions.set(keyOf(client), session);
    counts.sessions++;
    loop(session.upstream, (bytes, from) => {
      if (!fromTarget(from)) {
        counts.foreign++;
        return;
      }
      if (from.port === target.port) return forward("down", bytes, front, session.client);
      let facing = session.downstream.get(from.port);
      if (!facing) {
        const conn = open(hostname);
        const serverTid = from.port;
        session.downstream.set(serverTid, conn);
        counts.tids++;
        facing = conn;
        loop(conn, (up, sender) => {
          if (keyOf(sender) !== keyOf(session.client)) {
            counts.foreign++;
            return;
          }
          return forward("up", up, session.upstream, targetAt(serverTid));
        });
      }
      return forward("down", bytes, facing, session.client);
    });
    return session;
  };

  loop(front, (bytes, from) => {
    const session = sessions.get(keyOf(from)) ?? openSession(from);
    return forward("up", bytes, session.upstream, targetAt(target.port));
  });

  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const conn of sockets) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
    await Promise.all([...loops, ...sends]);
  };

  return { addr, counts, close, [Symbol.asyncDispose]: close };
}
