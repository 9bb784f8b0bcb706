/**
 * The conformance suite's raw UDP socket ({@linkcode Probe}): send crafted packets from a
 * known port, and wait for exact answers with deadlines.
 *
 * One receive loop reads every datagram into a reused buffer, copies it, decodes it with the
 * strict codec and stamps it with the time since the probe opened. A datagram goes to the
 * first waiting `receive` or `collect` that accepts it; if none is waiting it is queued for
 * the next call, and if the waiting calls all refuse it, it goes to `others`. The queue and
 * `others` keep at most {@linkcode MAX_KEPT_DATAGRAMS} datagrams each (the oldest go first).
 *
 * Addresses are compared after canonicalisation ({@linkcode canonicalHost}): `[::1]`,
 * `0:0:0:0:0:0:0:1` and `::1` are the same host, and so are `::ffff:127.0.0.1` and
 * `127.0.0.1`.
 *
 * @module
 */

import { decodePacket, encodePacket, type Packet } from "../tftp/packet/mod.ts";
import { localAddressFor } from "../udp/socket.ts";
import type { Address, Probe, ReceivedDatagram, ReceiveOptions } from "./check.ts";
import { canonicalHost, resolveAddress, sameAddress } from "./_address.ts";

export { canonicalHost, resolveAddress, sameAddress };

/** Most datagrams a probe keeps unclaimed, and most it keeps in `others`. */
export const MAX_KEPT_DATAGRAMS = 10_000;

/** Options of {@linkcode openProbe}. */
export interface ProbeOptions {
  /** Local port to bind; 0 picks a free one. @default {0} */
  port?: number;
  /**
   * Local address to bind. @default {the loopback address of the server's family for a
   * loopback server, else the wildcard address of its family}
   */
  hostname?: string;
}

function checkPort(what: string, port: number, low: number): void {
  if (!Number.isInteger(port) || port < low || port > 65535) {
    throw new RangeError(`${what} must be an integer between ${low} and 65535, got ${port}`);
  }
}

function checkWait(what: string, ms: number): void {
  if (typeof ms !== "number" || !(ms >= 0) || ms === Infinity) {
    throw new RangeError(`${what} must be a finite number of milliseconds >= 0, got ${ms}`);
  }
}

/** A receive or collect in progress. */
interface Waiter {
  /** Takes the datagram if it wants it. */
  offer(datagram: ReceivedDatagram): boolean;
  /** Ends the wait (timer or close). */
  end(): void;
}

function keep(list: ReceivedDatagram[], datagram: ReceivedDatagram): void {
  list.push(datagram);
  if (list.length > MAX_KEPT_DATAGRAMS) list.shift();
}

class UdpProbe implements Probe {
  readonly port: number;
  readonly #conn: Deno.DatagramConn;
  readonly #server: Address;
  readonly #openedAt = performance.now();
  readonly #buffer = new Uint8Array(65536);
  readonly #queue: ReceivedDatagram[] = [];
  readonly #others: ReceivedDatagram[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #loop: Promise<void>;
  #closed = false;

  constructor(conn: Deno.DatagramConn, server: Address) {
    this.#conn = conn;
    this.#server = server;
    this.port = (conn.addr as Deno.NetAddr).port;
    this.#loop = this.#run();
  }

  get others(): readonly ReceivedDatagram[] {
    return this.#others;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      let view: Uint8Array;
      let from: Deno.NetAddr;
      try {
        [view, from] = (await this.#conn.receive(this.#buffer)) as [Uint8Array, Deno.NetAddr];
      } catch (error) {
        if (this.#closed) return;
        // ICMP errors surface on some systems as failed receives: the socket still works.
        const transient = error instanceof Deno.errors.ConnectionRefused ||
          error instanceof Deno.errors.ConnectionReset;
        if (transient) continue;
        this.close();
        return;
      }
      this.#deliver(this.#datagram(view.slice(), from));
    }
  }

  #datagram(bytes: Uint8Array, from: Deno.NetAddr): ReceivedDatagram {
    const datagram: ReceivedDatagram = {
      from: { hostname: canonicalHost(from.hostname), port: from.port },
      bytes,
      atMs: this.nowMs(),
    };
    try {
      datagram.packet = decodePacket(bytes);
    } catch (error) {
      datagram.decodeError = error instanceof Error ? error.message : String(error);
    }
    return datagram;
  }

  #deliver(datagram: ReceivedDatagram): void {
    for (const waiter of this.#waiters) if (waiter.offer(datagram)) return;
    keep(this.#waiters.size > 0 ? this.#others : this.#queue, datagram);
  }

  async #target(to: Address | undefined): Promise<Address> {
    if (to === undefined) return this.#server;
    checkPort("Destination port", to.port, 1);
    return await resolveAddress(to);
  }

  async send(packet: Packet | Uint8Array, to?: Address): Promise<void> {
    if (this.#closed) throw new Error("The probe is closed");
    const bytes = packet instanceof Uint8Array ? packet : encodePacket(packet);
    const target = await this.#target(to);
    await this.#conn.send(bytes, { transport: "udp", ...target });
  }

  async receive(options: ReceiveOptions): Promise<ReceivedDatagram | undefined> {
    const { timeoutMs, match } = options;
    checkWait("timeoutMs", timeoutMs);
    const from = options.from === undefined ? undefined : await resolveAddress(options.from);
    const wanted = (datagram: ReceivedDatagram) =>
      (from === undefined || sameAddress(datagram.from, from)) &&
      (match === undefined || match(datagram));
    while (this.#queue.length > 0) {
      const datagram = this.#queue.shift()!;
      if (wanted(datagram)) return datagram;
      keep(this.#others, datagram);
    }
    if (this.#closed || timeoutMs === 0) return undefined;
    return await new Promise<ReceivedDatagram | undefined>((resolve, reject) => {
      const finish = (datagram: ReceivedDatagram | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(datagram);
      };
      const waiter: Waiter = {
        offer: (datagram) => {
          let accepted: boolean;
          try {
            accepted = wanted(datagram);
          } catch (error) {
            clearTimeout(timer);
            this.#waiters.delete(waiter);
            reject(error);
            return false;
          }
          if (accepted) finish(datagram);
          return accepted;
        },
        end: () => finish(undefined),
      };
      const timer = setTimeout(waiter.end, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async collect(windowMs: number, from?: Address): Promise<ReceivedDatagram[]> {
    checkWait("windowMs", windowMs);
    const source = from === undefined ? undefined : await resolveAddress(from);
    const wanted = (datagram: ReceivedDatagram) =>
      source === undefined || sameAddress(datagram.from, source);
    const got: ReceivedDatagram[] = [];
    for (const datagram of this.#queue.splice(0)) {
      if (wanted(datagram)) got.push(datagram);
      else keep(this.#others, datagram);
    }
    if (this.#closed || windowMs === 0) return got;
    return await new Promise<ReceivedDatagram[]>((resolve) => {
      const waiter: Waiter = {
        offer: (datagram) => wanted(datagram) && got.push(datagram) > 0,
        end: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(got);
        },
      };
      const timer = setTimeout(waiter.end, windowMs);
      this.#waiters.add(waiter);
    });
  }

  nowMs(): number {
    return performance.now() - this.#openedAt;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    for (const waiter of [...this.#waiters]) waiter.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#loop;
  }
}

/**
 * Opens a {@linkcode Probe} that talks to `server`: a UDP socket on the local address of the
 * server's family (loopback for a loopback server), on `port` or a free port. The server's
 * host is resolved once, here. Close it with `close()` or `await using`; pending `receive`
 * calls then resolve `undefined` and pending `collect` calls what they gathered.
 *
 * @example
 * ```ts ignore
 * import { openProbe } from "./probe.ts";
 * import { OPCODE } from "../tftp/packet/mod.ts";
 * await using probe = await openProbe({ hostname: "127.0.0.1", port: 69 });
 * await probe.send({ opcode: OPCODE.RRQ, filename: "512-byte.bin", mode: "octet", options: {} });
 * const answer = await probe.receive({ timeoutMs: 2000 });
 * console.log(answer?.packet);
 * ```
 *
 * @param server The server under test.
 * @param options Local port and address.
 * @returns The open probe.
 */
export async function openProbe(server: Address, options: ProbeOptions = {}): Promise<Probe> {
  checkPort("Server port", server.port, 1);
  checkPort("Probe port", options.port ?? 0, 0);
  const resolved = await resolveAddress(server);
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname ?? localAddressFor(resolved.hostname),
    port: options.port ?? 0,
  });
  return new UdpProbe(conn, resolved);
}
