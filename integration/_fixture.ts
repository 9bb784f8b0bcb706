// What the integration tests share: timing presets, deterministic content, bounded waits,
// filesystem checks, a served temporary directory with the server's transfer log, a raw UDP
// peer for crafted packets and a matcher for remote errors.
//
// Every wait is bounded; the fixture and the raw peer close what they opened when disposed.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodePacket,
  encodePacket,
  type OPCODE,
  type Packet,
  type ServerOptions,
  serveTftp,
  TftpRemoteError,
  type TftpServer,
  type TransferRecord,
} from "../mod.ts";
import { Prng } from "../lib/sim/prng.ts";
import { within } from "../lib/udp/_wait.ts";

export { delay, waitUntil, within } from "../lib/udp/_wait.ts";

/** Quick recovery from lost packets on loopback. */
export const FAST = { initialRtoMs: 100, minRtoMs: 20, retries: 10 } as const;
/** Gives up quickly when the peer is gone. */
export const GIVE_UP = {
  initialRtoMs: 50,
  minRtoMs: 20,
  maxRtoMs: 200,
  retries: 3,
  giveUpMs: 1000,
} as const;

/** `size` deterministic pseudo-random bytes; the same seed gives the same bytes. */
export function content(size: number, seed = size): Uint8Array {
  return new Prng(seed).bytes(size);
}

/** Whether anything (a file, a directory, a dangling link) exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, (e) => {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  });
}

/** The temporary files (`.<name>.<random>.part`) of atomic writes left in `dir`. */
export async function partFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") && entry.name.endsWith(".part")) names.push(entry.name);
  }
  return names;
}

/** Whether a UDP socket can be bound to ::1 here (some containers have no IPv6). */
export function canBindIpv6(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** A server on a temporary root, a local directory for the client, and the server's log. */
export interface Fixture extends AsyncDisposable {
  /** The temporary directory holding `root` and `local`, removed on dispose. */
  base: string;
  /** The directory the server serves. */
  root: string;
  /** A directory for the client's files. */
  local: string;
  server: TftpServer;
  /** Every transfer the server logged, in order. */
  records: TransferRecord[];
  /** The URL of `name` on the server, or on `port` (a proxy in front of it). */
  url(name: string, port?: number): string;
}

/**
 * Starts a server on 127.0.0.1 (port 0, {@linkcode FAST} timing unless `server` says
 * otherwise) over a fresh temporary root. Disposing shuts the server down (within 5 s) and
 * removes the directories.
 */
export async function openFixture(server: ServerOptions = {}): Promise<Fixture> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_fixture_" });
  const root = join(base, "root");
  const local = join(base, "local");
  await Deno.mkdir(root);
  await Deno.mkdir(local);
  const records: TransferRecord[] = [];
  let running: TftpServer;
  try {
    running = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      ...FAST,
      ...server,
      onTransfer: (record) => records.push(record),
    });
  } catch (error) {
    await Deno.remove(base, { recursive: true });
    throw error;
  }
  const host = running.addr.hostname.includes(":")
    ? `[${running.addr.hostname}]`
    : running.addr.hostname;
  return {
    base,
    root,
    local,
    server: running,
    records,
    url: (name, port = running.addr.port) => `tftp://${host}:${port}/${name}`,
    async [Symbol.asyncDispose]() {
      try {
        await within(running.shutdown(), 5000, "server shutdown");
      } finally {
        await Deno.remove(base, { recursive: true });
      }
    },
  };
}

/**
 * A raw UDP socket (on 127.0.0.1 unless `hostname` says otherwise) for crafted packets and for
 * checking bytes on the wire; at most one receive in flight.
 */
export class RawPeer implements AsyncDisposable {
  readonly conn: Deno.DatagramConn;
  readonly #hostname: string;
  #buffer = new Uint8Array(65536);
  #pending: Promise<{ bytes: Uint8Array; from: Deno.NetAddr } | undefined> | undefined;

  constructor(hostname = "127.0.0.1") {
    this.#hostname = hostname;
    this.conn = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  }

  /** The local address. */
  get addr(): Deno.NetAddr {
    return this.conn.addr as Deno.NetAddr;
  }

  /** The local port. */
  get port(): number {
    return this.addr.port;
  }

  /**
   * Sends a packet (encoded here) or raw bytes to `port` on this peer's own host, or to the
   * address `to`.
   */
  async send(
    packet: Packet | Uint8Array,
    to: number | { hostname: string; port: number },
  ): Promise<void> {
    const bytes = packet instanceof Uint8Array ? packet : encodePacket(packet);
    const { hostname, port } = typeof to === "number" ? { hostname: this.#hostname, port: to } : to;
    await this.conn.send(bytes, { transport: "udp", hostname, port });
  }

  /** The next datagram as bytes (a copy), or `undefined` after `ms` without one. */
  async receiveBytes(ms: number): Promise<{ bytes: Uint8Array; from: Deno.NetAddr } | undefined> {
    this.#pending ??= this.conn.receive(this.#buffer).then(
      ([bytes, from]) => ({ bytes: bytes.slice(), from: from as Deno.NetAddr }),
      () => undefined,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
    const got = await Promise.race([this.#pending, timeout]);
    clearTimeout(timer);
    if (got === "timeout") return undefined;
    this.#pending = undefined;
    if (got === undefined) throw new Error("Socket closed");
    return got;
  }

  /** The next datagram, decoded, or `undefined` after `ms` without one. */
  async receive(ms: number): Promise<{ packet: Packet; from: Deno.NetAddr } | undefined> {
    const got = await this.receiveBytes(ms);
    return got && { packet: decodePacket(got.bytes), from: got.from };
  }

  /** The next datagram matching `match` within `ms`; others are skipped. */
  async expect(
    match: (packet: Packet) => boolean,
    ms: number,
    what: string,
  ): Promise<{ packet: Packet; from: Deno.NetAddr }> {
    const until = performance.now() + ms;
    for (let i = 0; i < 100; i++) {
      const left = until - performance.now();
      const got = left > 0 ? await this.receive(left) : undefined;
      if (!got) break;
      if (match(got.packet)) return got;
    }
    throw new Error(`No ${what} within ${ms} ms`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.conn.close();
    await this.#pending;
  }
}

/** A read or write request for `filename` in octet mode. */
export function request(
  opcode: typeof OPCODE.RRQ | typeof OPCODE.WRQ,
  filename: string,
  options: Record<string, string> = {},
): Packet {
  return { opcode, filename, mode: "octet", options };
}

/**
 * For `assert.rejects`: the error is a {@linkcode TftpRemoteError} with `code` (and, when
 * given, the peer's exact `message`, or one that matches it).
 */
export function isRemote(code: number, message?: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TftpRemoteError, `expected TftpRemoteError, got ${error}`);
    assert.equal(error.code, code, `error code (${error.message})`);
    if (typeof message === "string") assert.equal(error.remoteMessage, message);
    if (message instanceof RegExp) assert.match(error.remoteMessage, message);
    return true;
  };
}

/**
 * Environment for child processes of the tests: this one's, without RUST_BACKTRACE (Deno
 * would append a backtrace to its errors) and without INIT_CWD (set by `deno task`; our CLIs
 * would enter that folder instead of the test's working directory), and with NO_COLOR.
 */
export const CHILD_ENV: Record<string, string> = Object.fromEntries(
  Object.entries({ ...Deno.env.toObject(), NO_COLOR: "1" })
    .filter(([k]) => k !== "RUST_BACKTRACE" && k !== "INIT_CWD"),
);
