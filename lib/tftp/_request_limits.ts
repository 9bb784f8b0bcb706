/**
 * Theory of operation: what the server's request port admits before it opens anything.
 * Pure: it is told the time. Per client address it keeps a token bucket of requests (a flood
 * from one address is dropped in silence), a token bucket of transfers that address has not
 * answered yet (a spoofed request makes the server send to a victim: each address gets a small
 * budget of such transfers, refunded when the client turns out to be real), and a count of
 * running transfers; across addresses, a cap on running transfers. The address table is
 * bounded: addresses with nothing running are forgotten oldest first.
 *
 * @module
 */

/** Limits of the request port; every field is settled (see `ServerLimits` for defaults). */
export interface RequestLimitSettings {
  /** Transfers running at once, in total. */
  readonly maxTransfers: number;
  /** Transfers running at once for one client address. */
  readonly maxTransfersPerClient: number;
  /** Requests per second one client address may send (its burst is twice that). */
  readonly requestsPerSecond: number;
  /** Transfers a client address may have started without answering (refilled 1 a second). */
  readonly unansweredBurst: number;
  /** Client addresses remembered at most. */
  readonly maxClients: number;
}

/** Why a request was not admitted, and whether to answer it. */
export interface Refusal {
  /** `silent`: drop it (a flood must not be answered); `error`: answer with ERROR 0. */
  readonly answer: "silent" | "error";
  /** A sentence for the log and, when answered, the ERROR message. */
  readonly reason: string;
  /** Set when every transfer slot is taken. */
  readonly busy?: true;
}

interface ClientState {
  requestTokens: number;
  unansweredTokens: number;
  refilledAt: number;
  running: number;
}

/** A transfer the limits counted; hand it back to {@linkcode RequestLimits.end}. */
export interface Admitted {
  /** The client address it counts against. */
  readonly address: string;
  /** Its unanswered token came back (the client answered). */
  refunded: boolean;
}

/**
 * The request port's admission limits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestLimits } from "./_request_limits.ts";
 * const limits = new RequestLimits({
 *   maxTransfers: 10, maxTransfersPerClient: 1, requestsPerSecond: 100,
 *   unansweredBurst: 8, maxClients: 100,
 * });
 * const first = limits.admit(0, "192.0.2.1");
 * assert.ok("address" in first);
 * assert.equal((limits.admit(0, "192.0.2.1") as { answer: string }).answer, "error");
 * limits.end(first, true);
 * assert.ok("address" in limits.admit(1, "192.0.2.1"));
 * ```
 */
export class RequestLimits {
  readonly #settings: RequestLimitSettings;
  readonly #clients = new Map<string, ClientState>();
  #running = 0;

  /** Creates the limits. */
  constructor(settings: RequestLimitSettings) {
    this.#settings = settings;
  }

  /** Transfers counted as running. */
  get running(): number {
    return this.#running;
  }

  /** Client addresses remembered. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Counts a datagram from `address` that would be answered with an ERROR (a malformed or
   * refused request): true when the address is within its request rate.
   */
  allowReply(now: number, address: string): boolean {
    const client = this.#client(now, address);
    if (!client || client.requestTokens < 1) return false;
    client.requestTokens -= 1;
    return true;
  }

  /**
   * Counts a request from `address` at `now` (ms); admits it or says why not. When every
   * transfer slot is taken, `makeRoom` may end one (calling {@linkcode RequestLimits.end})
   * and return true.
   */
  admit(now: number, address: string, makeRoom?: () => boolean): Admitted | Refusal {
    const s = this.#settings;
    const client = this.#client(now, address);
    if (!client) return { answer: "silent", reason: "Too many client addresses remembered" };
    if (client.requestTokens < 1) {
      return { answer: "silent", reason: `Request rate over ${s.requestsPerSecond}/s` };
    }
    client.requestTokens -= 1;
    if (client.unansweredTokens < 1) {
      return { answer: "silent", reason: "Too many unanswered transfers to this address" };
    }
    if (this.#running >= s.maxTransfers && !(makeRoom?.() && this.#running < s.maxTransfers)) {
      return {
        answer: "error",
        reason: `Server busy: ${s.maxTransfers} transfers running, try again later`,
        busy: true,
      };
    }
    if (client.running >= s.maxTransfersPerClient) {
      return {
        answer: "error",
        reason: `Too many transfers from your address (${s.maxTransfersPerClient} at once)`,
      };
    }
    client.unansweredTokens -= 1;
    client.running++;
    this.#running++;
    return { address, refunded: false };
  }

  /** The client of an admitted transfer answered: it is real, its unanswered token returns. */
  answered(admitted: Admitted): void {
    if (admitted.refunded) return;
    admitted.refunded = true;
    const client = this.#clients.get(admitted.address);
    if (client) {
      client.unansweredTokens = Math.min(
        this.#settings.unansweredBurst,
        client.unansweredTokens + 1,
      );
    }
  }

  /**
   * An admitted transfer ended (or never started). `answered`: the client sent anything from
   * its port, so it is real: its unanswered token comes back.
   */
  end(admitted: Admitted, answered: boolean): void {
    if (answered) this.answered(admitted);
    this.#running--;
    const client = this.#clients.get(admitted.address);
    if (client) client.running--;
  }

  /** The address's state, refilled to `now` and moved to the young end of the table. */
  #client(now: number, address: string): ClientState | undefined {
    const s = this.#settings;
    let client = this.#clients.get(address);
    if (client) {
      const seconds = Math.max(0, now - client.refilledAt) / 1000;
      client.requestTokens = Math.min(
        2 * s.requestsPerSecond,
        client.requestTokens + seconds * s.requestsPerSecond,
      );
      client.unansweredTokens = Math.min(s.unansweredBurst, client.unansweredTokens + seconds);
      client.refilledAt = now;
      this.#clients.delete(address);
    } else {
      if (this.#clients.size >= s.maxClients && !this.#forgetOne()) return undefined;
      client = {
        requestTokens: 2 * s.requestsPerSecond,
        unansweredTokens: s.unansweredBurst,
        refilledAt: now,
        running: 0,
      };
    }
    this.#clients.set(address, client);
    return client;
  }

  /** Forgets the least recently seen address with nothing running; false if there is none. */
  #forgetOne(): boolean {
    for (const [address, client] of this.#clients) {
      if (client.running === 0) {
        this.#clients.delete(address);
        return true;
      }
    }
    return false;
  }
}
