/**
 * What the TCP file server reports about each connection once it ends, and the one-line text
 * the command line prints for it.
 *
 * @module
 */

/**
 * How a connection of the file server ended: `OK` (the file was sent, maybe not all of it:
 * see `complete`; a client dropped mid-file says why in `message`, e.g. `Send timeout: ...`),
 * a refusal the client was told about (`NOT_FOUND`, `DENIED`, `ERROR`), `BAD_REQUEST` (the
 * request broke the protocol), `NO_REQUEST` (the connection closed, went idle or ran out of
 * time before a whole request arrived: `Request timeout: ...`) or `BUSY` (refused unread
 * because a connection cap was reached: `Too many connections ...`).
 */
export type TcpRequestStatus =
  | "OK"
  | "NOT_FOUND"
  | "DENIED"
  | "ERROR"
  | "BAD_REQUEST"
  | "NO_REQUEST"
  | "BUSY";

/** One connection of the file server, reported when it ends. */
export interface TcpRequestRecord {
  /** The client's address. */
  peer: Deno.NetAddr;
  /** The requested name, once a request was read. */
  name?: string;
  /** How it ended. */
  status: TcpRequestStatus;
  /** Body bytes the client's socket accepted (0 unless `OK`). */
  bytes: number;
  /** The file's size, for `OK`. */
  size?: number;
  /** Whether the whole file was sent (`OK` only; `false` otherwise). */
  complete: boolean;
  /** From accepting the connection to closing it. */
  durationMs: number;
  /** Why it failed, was dropped or was refused; absent for a complete `OK`. */
  message?: string;
}

function formatPeer(peer: { hostname: string; port: number }): string {
  return peer.hostname.includes(":")
    ? `[${peer.hostname}]:${peer.port}`
    : `${peer.hostname}:${peer.port}`;
}

/** The name as typed, or quoted when it holds spaces, quotes or control characters. */
function formatName(name: string): string {
  return /[\s"\\\p{Cc}]/u.test(name) ? JSON.stringify(name) : name;
}

/**
 * One log line for a request (no newline): the peer, `GET` and the name when a request was
 * read, the status, then the byte count and time for `OK` or the message otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTcpRequest } from "./request_log.ts";
 * const peer = { transport: "tcp", hostname: "127.0.0.1", port: 53412 } as const;
 * assert.equal(
 *   formatTcpRequest({
 *     peer,
 *     name: "boot/kernel",
 *     status: "OK",
 *     bytes: 1048576,
 *     size: 1048576,
 *     complete: true,
 *     durationMs: 12.4,
 *   }),
 *   "127.0.0.1:53412 GET boot/kernel OK 1048576 B in 12 ms",
 * );
 * assert.equal(
 *   formatTcpRequest({
 *     peer,
 *     name: "nope",
 *     status: "NOT_FOUND",
 *     bytes: 0,
 *     complete: false,
 *     durationMs: 1,
 *     message: "File not found",
 *   }),
 *   "127.0.0.1:53412 GET nope NOT_FOUND File not found",
 * );
 * assert.equal(
 *   formatTcpRequest({
 *     peer,
 *     status: "BUSY",
 *     bytes: 0,
 *     complete: false,
 *     durationMs: 1,
 *     message: "Too many connections from this client (limit 32)",
 *   }),
 *   "127.0.0.1:53412 BUSY Too many connections from this client (limit 32)",
 * );
 * ```
 *
 * @param record What the server reported.
 * @returns The line.
 */
export function formatTcpRequest(record: TcpRequestRecord): string {
  const { peer, name, status, bytes, size, complete, durationMs, message } = record;
  const request = name === undefined ? "" : ` GET ${formatName(name)}`;
  const head = `${formatPeer(peer)}${request} ${status}`;
  const ms = Math.round(durationMs);
  if (status === "OK" && complete) return `${head} ${bytes} B in ${ms} ms`;
  if (status === "OK") {
    return `${head} ${bytes} of ${size} B in ${ms} ms, incomplete: ${message ?? "unknown cause"}`;
  }
  return message === undefined ? head : `${head} ${message}`;
}
