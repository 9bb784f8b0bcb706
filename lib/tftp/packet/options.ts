/**
 * Option negotiation (RFC 2347, 2348, 2349, 7440): what a server puts in its OACK, and how a
 * client checks the OACK it gets back. One table of limits serves both sides.
 *
 * @module
 */

import {
  DEFAULT_BLKSIZE,
  ERROR_CODE,
  MAX_BLKSIZE,
  MAX_TIMEOUT_S,
  MAX_WINDOWSIZE,
  MIN_BLKSIZE,
  MIN_TIMEOUT_S,
  MIN_WINDOWSIZE,
} from "./constants.ts";
import { TftpProtocolError } from "../errors.ts";
import type { TftpOptions } from "./packet.ts";

/** What a transfer runs with after negotiation. */
export interface NegotiatedOptions {
  /** Payload bytes per DATA block. */
  readonly blksize: number;
  /** Blocks sent before waiting for an ACK (1 = lock-step RFC 1350). */
  readonly windowsize: number;
  /** Agreed retransmit timeout in seconds (RFC 2349), when one was agreed. */
  readonly timeoutS?: number;
  /** Agreed transfer size in bytes (RFC 2349), when one was agreed. */
  readonly tsize?: number;
}

/**
 * The most bytes a receiving side of ours takes in one window (blksize x windowsize): a
 * default Linux socket buffer (about 208 KiB) holds a burst of 64 KiB of datagrams whole,
 * and Deno cannot make it larger. A larger window overflows it at once; a lost tail then
 * waits for a timeout. The client asks for no more, the server grants no more on a write.
 */
export const RECEIVE_WINDOW_BYTES = 65536;

/**
 * The largest windowsize that keeps a window of `blksize` blocks within
 * {@linkcode RECEIVE_WINDOW_BYTES}, at least 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { receiveWindowLimit } from "./options.ts";
 * assert.deepEqual([512, 1468, 8192, 65464].map(receiveWindowLimit), [128, 44, 8, 1]);
 * ```
 */
export function receiveWindowLimit(blksize: number): number {
  return Math.max(1, Math.floor(RECEIVE_WINDOW_BYTES / blksize));
}

/** The largest windowsize a server grants unless told otherwise. */
export const DEFAULT_MAX_WINDOWSIZE = 64;

/** Plain RFC 1350: 512-byte lock-step, nothing else. */
export const RFC1350_OPTIONS: NegotiatedOptions = { blksize: DEFAULT_BLKSIZE, windowsize: 1 };

/** Parses a decimal option value; anything but plain digits gives `undefined`. */
export function parseOptionNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,20}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The server's limits and facts for {@linkcode negotiateOptions}. */
export interface ServerOptionPolicy {
  /** Largest blksize granted. @default {65464} */
  maxBlksize?: number;
  /**
   * Largest windowsize granted. A window is buffered in memory (blksize x windowsize bytes),
   * so the default keeps one client from making the server hold megabytes.
   * @default {64}
   */
  maxWindowsize?: number;
  /**
   * For a read request: the size the client will receive, when known (octet mode). Leave it
   * out for netascii, where the size on the wire is not known in advance.
   */
  fileSize?: number;
  /** True for a write request: tsize then carries the client's size and is echoed. */
  isWrite?: boolean;
  /**
   * The most bytes a window may hold (blksize x windowsize); the windowsize is lowered to fit
   * the negotiated blksize, to 1 at least. For a write request, where the server receives.
   * @default {Infinity}
   */
  maxWindowBytes?: number;
}

/** Result of {@linkcode negotiateOptions}. */
export interface Negotiation {
  /** The OACK contents: only options that were asked for and accepted. Empty: send no OACK. */
  readonly oack: Record<string, string>;
  /** What the transfer then runs with. */
  readonly negotiated: NegotiatedOptions;
}

/**
 * Server side: decides which requested options to accept.
 *
 * Rules: unknown options and values that are not plain decimal numbers are left out.
 * `blksize` below 8 is left out; above the server's limit it is lowered to the limit (the
 * reply never exceeds the request). `windowsize` 0 is left out; above the limit it is
 * lowered. `timeout` outside 1..255 is left out (RFC 2349 allows no other value back).
 * `tsize` on a read is answered with `fileSize` when known; on a write it is echoed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { negotiateOptions } from "../../../mod.ts";
 * const { oack, negotiated } = negotiateOptions(
 *   { blksize: "70000", tsize: "0", foo: "1" },
 *   { maxBlksize: 1468, fileSize: 1234 },
 * );
 * assert.ok(oack.blksize === "1468" && oack.tsize === "1234" && !("foo" in oack));
 * assert.ok(negotiated.blksize === 1468 && negotiated.windowsize === 1);
 * ```
 */
export function negotiateOptions(
  requested: TftpOptions,
  policy: ServerOptionPolicy = {},
): Negotiation {
  const maxBlksize = Math.min(policy.maxBlksize ?? MAX_BLKSIZE, MAX_BLKSIZE);
  const maxWindowsize = Math.min(policy.maxWindowsize ?? DEFAULT_MAX_WINDOWSIZE, MAX_WINDOWSIZE);
  const oack: Record<string, string> = {};
  let blksize = DEFAULT_BLKSIZE;
  let windowsize = 1;
  let timeoutS: number | undefined;
  let tsize: number | undefined;
  for (const [name, value] of Object.entries(requested)) {
    const n = parseOptionNumber(value);
    if (n === undefined) continue;
    switch (name) {
      case "blksize":
        if (n >= MIN_BLKSIZE) blksize = Math.min(n, maxBlksize);
        else continue;
        oack.blksize = String(blksize);
        break;
      case "windowsize":
        if (n >= MIN_WINDOWSIZE) windowsize = Math.min(n, maxWindowsize);
        else continue;
        oack.windowsize = String(windowsize);
        break;
      case "timeout":
        if (n < MIN_TIMEOUT_S || n > MAX_TIMEOUT_S) continue;
        timeoutS = n;
        oack.timeout = String(n);
        break;
      case "tsize":
        if (policy.isWrite) tsize = n;
        else if (policy.fileSize !== undefined) tsize = policy.fileSize;
        else continue;
        oack.tsize = String(tsize);
        break;
    }
  }
  const fitting = Math.max(1, Math.floor((policy.maxWindowBytes ?? Infinity) / blksize));
  if (windowsize > fitting) {
    windowsize = fitting;
    oack.windowsize = String(windowsize);
  }
  return { oack, negotiated: { blksize, windowsize, timeoutS, tsize } };
}

/**
 * Client side: checks a server's OACK against what was asked and returns what the transfer
 * runs with. Throws {@linkcode TftpProtocolError} with code 8 when the OACK holds an option
 * that was not asked for, or a value the RFCs forbid (a larger blksize or windowsize than
 * asked, a different timeout, a non-numeric value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptOack } from "../../../mod.ts";
 * const n = acceptOack({ blksize: "1468", tsize: "0" }, { blksize: "1024", tsize: "99" });
 * assert.ok(n.blksize === 1024 && n.tsize === 99);
 * ```
 */
export function acceptOack(requested: TftpOptions, oack: TftpOptions): NegotiatedOptions {
  let blksize = DEFAULT_BLKSIZE;
  let windowsize = 1;
  let timeoutS: number | undefined;
  let tsize: number | undefined;
  const refuse = (why: string): never => {
    throw new TftpProtocolError(ERROR_CODE.OPTION_REFUSED, `Server's OACK ${why}`);
  };
  for (const [name, value] of Object.entries(oack)) {
    if (!Object.hasOwn(requested, name)) refuse(`holds option ${name}, which was not requested`);
    const n = parseOptionNumber(value);
    if (n === undefined) refuse(`gives ${name} the non-numeric value ${JSON.stringify(value)}`);
    const asked = parseOptionNumber(requested[name]) ?? 0;
    switch (name) {
      case "blksize":
        if (n! < MIN_BLKSIZE || n! > asked) {
          refuse(`gives blksize ${n}, outside ${MIN_BLKSIZE}..${asked}`);
        }
        blksize = n!;
        break;
      case "windowsize":
        if (n! < MIN_WINDOWSIZE || n! > asked) refuse(`gives windowsize ${n}, outside 1..${asked}`);
        windowsize = n!;
        break;
      case "timeout":
        if (n !== asked) refuse(`changes timeout from ${asked} to ${n}`);
        timeoutS = n;
        break;
      case "tsize":
        tsize = n;
        break;
    }
  }
  return { blksize, windowsize, timeoutS, tsize };
}
