/**
 * The plugin contract of the conformance suite: a check is a module exporting a
 * {@linkcode ConformanceCheck} (`export default` or a named export); the runner hands it a
 * {@linkcode CheckContext} and records the {@linkcode CheckOutcome} it returns.
 *
 * Built-in checks live in `lib/conformance/checks/`; users add theirs with
 * `conformance.ts run URL --plugin ./my_check.ts`. Ids are part of the JSON report contract:
 * never rename one.
 *
 * @module
 */

import type { Packet, TftpOptions } from "../tftp/packet/mod.ts";

/**
 * How binding a rule is: `must` (a MUST of the RFC: breaking it fails the check), `should`
 * (a SHOULD: breaking it warns) or `interop` (common practice that clients rely on: breaking
 * it warns).
 */
export type CheckLevel = "must" | "should" | "interop";

/** Every {@linkcode CheckLevel}, in report order. */
export const CHECK_LEVELS: readonly CheckLevel[] = ["must", "should", "interop"];

/**
 * The verdict of one check: `pass`, `fail` (a MUST broken, or the server stopped answering),
 * `warn` (a SHOULD or a common interop deviation) or `skip` (not applicable, with the reason).
 */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";

/** What a check's `run` returns. */
export interface CheckOutcome {
  /** The verdict. */
  status: CheckStatus;
  /**
   * One or two sentences a person understands: what was sent, what came back, and why that
   * is the verdict, e.g. `blksize 65465 was answered with OACK blksize 65464`.
   */
  detail: string;
  /**
   * What was measured, for the JSON report: negotiated options, retransmit intervals in ms,
   * packets seen, sizes. Plain JSON values only.
   */
  measured?: Readonly<Record<string, unknown>>;
}

/** A UDP address. */
export interface Address {
  /** IP address or host name. */
  hostname: string;
  /** UDP port. */
  port: number;
}

/** One datagram a probe received. */
export interface ReceivedDatagram {
  /** Where it came from (the server's TID is its port). */
  from: Address;
  /** The exact bytes (a copy the check may keep). */
  bytes: Uint8Array;
  /** The decoded packet, or `undefined` when the bytes are not a valid TFTP packet. */
  packet?: Packet;
  /** Why decoding failed, when it did. */
  decodeError?: string;
  /** Milliseconds since the probe was opened (monotonic). */
  atMs: number;
}

/** What {@linkcode Probe.receive} waits for. */
export interface ReceiveOptions {
  /** Give up after this long (already scaled by `--timeout-scale`: pass `ctx.ms(n)`). */
  timeoutMs: number;
  /** Only datagrams from this address count; others are kept in `probe.others`. */
  from?: Address;
  /** Only datagrams this accepts count; others are kept in `probe.others`. */
  match?: (datagram: ReceivedDatagram) => boolean;
}

/**
 * A raw UDP socket of the check's own: send crafted bytes from a known port and wait for
 * exact answers with deadlines. Closed by the runner when the check ends.
 */
export interface Probe extends AsyncDisposable {
  /** The local port (the client's TID). */
  readonly port: number;
  /** Datagrams that arrived but did not match a `receive` filter, in arrival order. */
  readonly others: readonly ReceivedDatagram[];
  /** Sends a packet (encoded with the strict codec) or raw bytes; default: the server. */
  send(packet: Packet | Uint8Array, to?: Address): Promise<void>;
  /** The next matching datagram, or `undefined` when `timeoutMs` passes without one. */
  receive(options: ReceiveOptions): Promise<ReceivedDatagram | undefined>;
  /** Every datagram (matching `from`, if given) that arrives within `windowMs`. */
  collect(windowMs: number, from?: Address): Promise<ReceivedDatagram[]>;
  /**
   * Milliseconds since the probe opened, on the clock that stamps
   * {@linkcode ReceivedDatagram.atMs}: take it right after a `send` to order that send
   * against what arrives.
   */
  nowMs(): number;
  /** Closes the socket (idempotent). */
  close(): void;
}

/** A fixture file the operator serves (written by `conformance.ts fixtures DIR`). */
export interface Fixture {
  /** Path relative to the served root, `/`-separated, e.g. `sub/nested.bin`. */
  name: string;
  /** Its exact size in bytes. */
  size: number;
  /** What it is for, e.g. `exactly 512 bytes: a final 0-byte DATA`. */
  purpose: string;
  /** Its exact content (generated, deterministic). */
  bytes(): Uint8Array;
}

/** What a scripted download or upload saw. */
export interface ScriptedTransferRecord {
  /** `ok` when it completed; otherwise why it stopped. */
  result: "ok" | "error" | "timeout" | "protocol";
  /** One line on what happened, e.g. `ERROR 1 "File not found"` or `no DATA 3 within 2000 ms`. */
  detail: string;
  /** The bytes received (download; netascii not converted) or sent (upload). */
  data: Uint8Array;
  /** The OACK options, when the server sent an OACK. */
  oack?: TftpOptions;
  /** The server's TID (its port for this transfer), once known. */
  serverPort?: number;
  /** The ERROR the server sent, if any. */
  error?: { code: number; message: string };
  /** Every datagram received during the transfer, in order. */
  received: readonly ReceivedDatagram[];
  /** How many datagrams the probe sent. */
  sent: number;
  /** Duration in ms. */
  ms: number;
}

/** Options of a scripted transfer: the request's options, as sent (any spelling). */
export interface TransferOptions {
  /** Transfer mode as sent. @default {"octet"} */
  mode?: string;
  /** Options to request, names and values exactly as sent. @default {{}} */
  options?: Record<string, string>;
  /** Wait this long for each answer (scaled). @default {ctx.ms(2000)} */
  timeoutMs?: number;
  /** Use this probe (e.g. to keep its port); default: a fresh one. */
  probe?: Probe;
}

/** The liveness of the server after a check: a normal RRQ of a small fixture. */
export interface Liveness {
  /** Whether the server answered the request correctly and completely. */
  alive: boolean;
  /** What happened, e.g. `512-byte.bin arrived intact in 3 ms`. */
  detail: string;
}

/** Everything a check may use. */
export interface CheckContext {
  /** The server under test (from the URL given to `run`). */
  readonly server: Address;
  /** The fixture catalogue; the files the operator serves. */
  readonly fixtures: FixtureCatalogue;
  /** Whether WRQ checks may write (`--writable`); uploads go under {@linkcode writePrefix}. */
  readonly writable: boolean;
  /** Prefix of every file a check writes: `conformance-`. */
  readonly writePrefix: string;
  /** `--timeout-scale`: every deadline is multiplied by it. */
  readonly timeoutScale: number;
  /** Aborted when the run is interrupted or the check's own time limit passes. */
  readonly signal: AbortSignal;
  /** `baseMs` multiplied by the timeout scale. */
  ms(baseMs: number): number;
  /** A fresh raw socket (port 0 unless given), closed automatically when the check ends. */
  openProbe(options?: { port?: number }): Promise<Probe>;
  /** A lock-step (or windowed, if negotiated) RRQ that ACKs everything in order. */
  download(name: string, options?: TransferOptions): Promise<ScriptedTransferRecord>;
  /** A WRQ that sends `data` (only when `writable`). */
  upload(
    name: string,
    data: Uint8Array,
    options?: TransferOptions,
  ): Promise<ScriptedTransferRecord>;
  /** A normal RRQ of a small fixture: is the server still answering correctly? */
  liveness(): Promise<Liveness>;
  /** Adds a line to the check's log (shown with `--verbose`, kept in the JSON report). */
  log(line: string): void;
}

/** The fixtures by name. */
export interface FixtureCatalogue {
  /** Every fixture, in a stable order. */
  readonly all: readonly Fixture[];
  /** The fixture called `name`; throws a RangeError naming the known ones otherwise. */
  get(name: string): Fixture;
}

/**
 * One conformance check. A plugin module exports one (default export) or several (named
 * exports); each must have a unique `id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ConformanceCheck, defineCheck } from "./check.ts";
 * const check: ConformanceCheck = defineCheck({
 *   id: "my-empty-file",
 *   title: "An empty file is one 0-byte DATA 1",
 *   rfc: "RFC 1350",
 *   level: "must",
 *   async run(ctx) {
 *     const got = await ctx.download(ctx.fixtures.get("0-byte.bin").name);
 *     if (got.result !== "ok") return { status: "fail", detail: got.detail };
 *     return got.data.length === 0
 *       ? { status: "pass", detail: "one DATA 1 with 0 bytes" }
 *       : { status: "fail", detail: `got ${got.data.length} bytes` };
 *   },
 * });
 * assert.equal(check.id, "my-empty-file");
 * ```
 */
export interface ConformanceCheck {
  /** Stable, unique, lower-case with dashes, e.g. `block-boundary`. */
  readonly id: string;
  /** What is checked, one line. */
  readonly title: string;
  /** The specification, e.g. `RFC 1350`, `RFC 1123 4.2.3.1`, `RFC 2348`. */
  readonly rfc: string;
  /** How binding the rule is. */
  readonly level: CheckLevel;
  /** Needs `--writable` (WRQ); skipped with a reason otherwise. @default {false} */
  readonly writable?: boolean;
  /** Time limit for the whole check in ms, before scaling. @default {30000} */
  readonly limitMs?: number;
  /** Runs the check against `ctx.server`. Throwing counts as `fail` with the error's message. */
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Validates a check (id format, fields, level) and returns it frozen; throws a TypeError
 * saying what is wrong, so a broken plugin fails at load time with a clear message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineCheck } from "./check.ts";
 * assert.throws(
 *   () => defineCheck({ id: "Bad Id", title: "x", rfc: "RFC 1350", level: "must", run: async () => ({ status: "pass", detail: "" }) }),
 *   /id must be lower-case words joined by dashes/,
 * );
 * ```
 *
 * @param check The check.
 * @returns The same check, frozen.
 */
export function defineCheck(check: ConformanceCheck): ConformanceCheck {
  const where = typeof check?.id === "string" ? `check ${JSON.stringify(check.id)}` : "check";
  if (typeof check !== "object" || check === null) throw new TypeError("a check must be an object");
  if (typeof check.id !== "string" || !ID.test(check.id)) {
    throw new TypeError(
      `${where}: id must be lower-case words joined by dashes, got ${JSON.stringify(check.id)}`,
    );
  }
  for (const field of ["title", "rfc"] as const) {
    if (typeof check[field] !== "string" || check[field].trim() === "") {
      throw new TypeError(`${where}: ${field} must be a non-empty string`);
    }
  }
  if (!CHECK_LEVELS.includes(check.level)) {
    throw new TypeError(
      `${where}: level must be one of ${CHECK_LEVELS.join(", ")}, got ${
        JSON.stringify(check.level)
      }`,
    );
  }
  if (typeof check.run !== "function") throw new TypeError(`${where}: run must be a function`);
  if (check.limitMs !== undefined && !(Number.isFinite(check.limitMs) && check.limitMs > 0)) {
    throw new TypeError(`${where}: limitMs must be a positive number, got ${check.limitMs}`);
  }
  return Object.freeze({ ...check });
}
