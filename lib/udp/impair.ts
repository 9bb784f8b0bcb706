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
 * Delayed datagrams are held back without blocking anything else; those sharing a socket and
 * destination leave in arrival order unless the rule asks to reorder them. Every decision is
 * counted per direction (`actions`), and `onDatagram` sees every datagram on both legs, for
 * packet captures.
 *
 * @module
 */

import type { ImpairAction, ImpairDirection, ImpairRule } from "./impair_rules.ts";
import { isIP } from "node:net";
import { DelayLine } from "./_delay_line.ts";

export type {
  ImpairAction,
  ImpairDatagram,
  ImpairDelay,
  ImpairDirection,
  ImpairRule,
} from "./impair_rules.ts";

/** A UDP endpoint as the proxy saw it. */
export interface ImpairEndpoint {
  /** IP address; `0.0.0.0` or `::` for a proxy socket bound to every address. */
  readonly hostname: string;
  /** UDP port. */
  readonly port: number;
}

/** One datagram crossing one of the proxy's sockets, for captures and traces. */
export interface ImpairCapture {
  /** `in`: the proxy received it; `out`: the proxy sent it (each copy of a duplicate). */
  readonly leg: "in" | "out";
  /** `up`: on its way from the client to the server; `down`: the other way. */
  readonly direction: ImpairDirection;
  /** Sender. */
  readonly from: ImpairEndpoint;
  /** Receiver. */
  readonly to: ImpairEndpoint;
  /** The datagram; valid only during the call (copy what you keep). */
  readonly bytes: Uint8Array;
  /** Wall-clock time in milliseconds since the epoch, fractions kept. */
  readonly timeMs: number;
}

/** Options of {@linkcode startImpairProxy}. */
export interface ImpairProxyOptions {
  /** The server's request port. */
  target: { readonly hostname: string; readonly port: number };
  /** Address the proxy listens on (and answers clients from). @default {"127.0.0.1"} */
  hostname?: string;
  /** Request port of the proxy; 0 picks a free one. @default {0} */
  port?: number;
  /**
   * Decides the fate of every datagram. A rule that throws or answers something else than an
   * {@linkcode ImpairAction} (a delay must be a finite number >= 0) loses the datagram and
   * counts an error.
   */
  rule: ImpairRule;
  /**
   * Sees every datagram the proxy receives (`in`, dropped ones included) and every one it
   * sends (`out`), with the real addresses and ports of both legs. Sockets towards a
   * loopback server are bound to the loopback address; towards any other server they are
   * bound to every address, and `from` then shows the wildcard. Errors thrown are counted
   * in `errors`. @default {undefined}
   */
  onDatagram?: (capture: ImpairCapture) => void;
}

/** What the proxy did to the datagrams going one way; each is counted under one action. */
export interface ImpairActionCounts {
  /** Forwarded once, at once. */
  pass: number;
  /** Lost on purpose. */
  drop: number;
  /** Sent twice (at once or after a delay). */
  duplicate: number;
  /** Held back, in order with the other held-back datagrams. */
  delay: number;
  /** Held back so that later datagrams overtake it. */
  reorder: number;
}

/** A running proxy. Stop it with `close()` or `await using`. */
export interface ImpairProxy extends AsyncDisposable {
  /** Where clients send their requests. */
  readonly addr: Deno.NetAddr;
  /**
   * Counters: `up` / `down` (datagrams seen each way), `pass`, `drop`, `duplicate`, `delay`,
   * `reorder` (decisions, both ways; see {@linkcode ImpairActionCounts}), `sent` (datagrams
   * handed to a socket), `sessions` (clients seen), `tids` (server TIDs seen), `foreign`
   * (datagrams from unexpected sources, dropped), `errors` (failed receives or sends, rules
   * or hooks that threw).
   */
  readonly counts: Record<string, number>;
  /** The decisions of each direction. */
  readonly actions: { readonly up: ImpairActionCounts; readonly down: ImpairActionCounts };
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

function endpoint(addr: Deno.Addr): ImpairEndpoint {
  const { hostname, port } = addr as Deno.NetAddr;
  return { hostname, port };
}

function noActions(): ImpairActionCounts {
  return { pass: 0, drop: 0, duplicate: 0, delay: 0, reorder: 0 };
}

/** Whether a rule's answer is an action the proxy can carry out. */
function isAction(action: unknown): action is ImpairAction {
  if (action === "pass" || action === "drop" || action === "duplicate") return true;
  if (typeof action !== "object" || action === null) return false;
  const { delayMs } = action as { delayMs?: unknown };
  return typeof delayMs === "number" && delayMs >= 0 && Number.isFinite(delayMs);
}

/** Where sockets towards `target` bind: its loopback address, or every address. */
function upstreamBind(target: string): string {
  if (isIP(target) === 6) return target === "::1" ? "::1" : "::";
  return target.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
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
  const { target, rule, onDatagram } = options;
  if (typeof rule !== "function") {
    throw new TypeError(`rule must be a function, got ${typeof rule}`);
  }
  if (onDatagram !== undefined && typeof onDatagram !== "function") {
    throw new TypeError(`onDatagram must be a function, got ${typeof onDatagram}`);
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
    reorder: 0,
    sent: 0,
    sessions: 0,
    tids: 0,
    foreign: 0,
    errors: 0,
  };
  const actions = { up: noActions(), down: noActions() };
  const sessions = new Map<string, Session>();
  const sockets = new Set<Deno.DatagramConn>([front]);
  const loops = new Set<Promise<void>>();
  const sends = new Set<Promise<void>>();
  const delays = new DelayLine();
  let closed = false;

  const capture = (
    leg: "in" | "out",
    direction: ImpairDirection,
    from: Deno.Addr,
    to: Deno.Addr,
    bytes: Uint8Array,
  ) => {
    if (!onDatagram) return;
    try {
      onDatagram({
        leg,
        direction,
        from: endpoint(from),
        to: endpoint(to),
        bytes,
        timeMs: performance.timeOrigin + performance.now(),
      });
    } catch {
      counts.errors++;
    }
  };

  /** Sends one datagram; failures count as errors (UDP: a lost datagram). */
  const send = (
    direction: ImpairDirection,
    conn: Deno.DatagramConn,
    bytes: Uint8Array,
    to: Deno.NetAddr,
  ): Promise<void> => {
    if (closed) return Promise.resolve();
    counts.sent++;
    capture("out", direction, conn.addr, to, bytes);
    const done = conn.send(bytes, to).then(
      () => {},
      () => void counts.errors++,
    );
    sends.add(done);
    return done.finally(() => sends.delete(done));
  };

  const tally = (direction: ImpairDirection, action: keyof ImpairActionCounts) => {
    actions[direction][action]++;
    counts[action]++;
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
      if (!isAction(action)) throw new TypeError(`Not an impair action: ${action}`);
    } catch {
      action = "drop"; // a broken rule loses the datagram; the counters show it
      counts.errors++;
    }
    if (action === "drop") {
      tally(direction, "drop");
    } else if (action === "duplicate") {
      tally(direction, "duplicate");
      return Promise.all([send(direction, conn, bytes, to), send(direction, conn, bytes, to)])
        .then(() => {});
    } else if (typeof action === "object") {
      const { delayMs, duplicate = false, reorder = false } = action;
      tally(direction, duplicate ? "duplicate" : reorder ? "reorder" : "delay");
      const copy = bytes.slice();
      const release = () => {
        send(direction, conn, copy, to);
        if (duplicate) send(direction, conn, copy, to);
      };
      // In-order datagrams share one line per socket and destination.
      const line = reorder ? undefined : `${keyOf(conn.addr as Deno.NetAddr)}>${keyOf(to)}`;
      delays.add(delayMs, release, line);
    } else {
      tally(direction, "pass");
      return send(direction, conn, bytes, to);
    }
    return Promise.resolve();
  };

  /** Receives on `conn` until it closes, handing each datagram to `handle`. */
  const loop = (
    conn: Deno.DatagramConn,
    direction: ImpairDirection,
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
        capture("in", direction, from, conn.addr, bytes);
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
      upstream: open(upstreamBind(target.hostname)),
      downstream: new Map(),
    };
    sessions.set(keyOf(client), session);
    counts.sessions++;
    loop(session.upstream, "down", (bytes, from) => {
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
        loop(conn, "up", (up, sender) => {
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

  loop(front, "up", (bytes, from) => {
    const session = sessions.get(keyOf(from)) ?? openSession(from);
    return forward("up", bytes, session.upstream, targetAt(target.port));
  });

  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      delays.close();
      for (const conn of sockets) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
    await Promise.all([...loops, ...sends]);
  };

  return { addr, counts, actions, close, [Symbol.asyncDispose]: close };
}
