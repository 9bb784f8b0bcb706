/**
 * The libc calls the busy-polling sockets use, through Deno's FFI (Linux), and the few
 * constants and conversions they need. Private to lib/udp/.
 *
 * @module
 */

import { canonicalIpv6 } from "./socket.ts";

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const EAGAIN = 11;
export const EINTR = 4;
/** A sockaddr_in6, the largest address a socket here sends to or hears from. */
export const SOCKADDR_BYTES = 28;
/** `struct msghdr` on 64-bit Linux: name, namelen, iov, iovlen, control, controllen, flags. */
export const MSGHDR_BYTES = 56;
/** `struct iovec` on 64-bit Linux: base and length. */
export const IOVEC_BYTES = 16;

/** The address of `bytes` in memory, for a struct that points at it (V8 never moves it). */
export function pointerOf(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}
const EPERM = 1;
const EACCES = 13;
const EADDRINUSE = 98;
const EADDRNOTAVAIL = 99;
const ECONNREFUSED = 111;
const ECONNRESET = 104;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  epoll_wait_blocking: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  sched_yield: { parameters: [], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** An open libc. */
export type Library = Deno.DynamicLibrary<typeof SYMBOLS>;
/** Its functions. */
export type Libc = Library["symbols"];

/**
 * Opens libc; the caller closes it. Throws NotCapable (with the flag to add) without
 * `--allow-ffi`, and an Error on anything but Linux.
 */
export function openLibc(): { library: Library; errno: () => number } {
  if (Deno.build.os !== "linux") {
    throw new Error(`Busy polling needs Linux (this is ${Deno.build.os})`);
  }
  let library: Library;
  try {
    library = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotCapable || cause instanceof Deno.errors.PermissionDenied) {
      throw new Deno.errors.NotCapable(
        "Busy polling drives the socket through libc: run with --allow-ffi",
        { cause },
      );
    }
    throw new Error("Busy polling could not load libc.so.6", { cause });
  }
  // errno is per thread: this is the JS thread's, read right after a synchronous call.
  const view = new Deno.UnsafePointerView(library.symbols.__errno_location()!);
  return { library, errno: () => view.getInt32() };
}

/** A Deno error class for `code`, so callers tell faults apart as with Deno's own sockets. */
export function errorFor(what: string, code: number): Error {
  const message = `${what} failed (errno ${code})`;
  switch (code) {
    case EPERM:
    case EACCES:
      return new Deno.errors.PermissionDenied(message);
    case EADDRINUSE:
      return new Deno.errors.AddrInUse(message);
    case EADDRNOTAVAIL:
      return new Deno.errors.AddrNotAvailable(message);
    case ECONNREFUSED:
      return new Deno.errors.ConnectionRefused(message);
    case ECONNRESET:
      return new Deno.errors.ConnectionReset(message);
    default:
      return new Error(message);
  }
}

/** Parses an IPv6 literal (no zone) into 16 bytes; TypeError when it is none. */
export function ipv6Bytes(text: string): Uint8Array {
  const fail = () => new TypeError(`Not an IPv6 address: ${JSON.stringify(text)}`);
  let body = text;
  const tail: number[] = [];
  // An embedded IPv4 address is the last group, after a colon: "::ffff:192.0.2.1".
  const dotted = /(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const parts = dotted.slice(1);
    if (parts.some((p) => p.length > 1 && p[0] === "0" || Number(p) > 255)) throw fail();
    const [a, b, c, d] = parts.map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    body = text.slice(0, dotted.index);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  } else if (text.includes(".")) {
    throw fail();
  }
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const halves = body.split("::");
  if (halves.length > 2) throw fail();
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw fail();
  const words = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...rest]
    .map((g) => /^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)
    .concat(tail);
  if (words.some(Number.isNaN)) throw fail();
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Writes `hostname`:`port` as a sockaddr into `into` (28 bytes); returns its length. */
export function writeSockaddr(into: Uint8Array, hostname: string, port: number): number {
  into.fill(0);
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  view.setUint16(2, port, false);
  if (hostname.includes(":")) {
    view.setUint16(0, AF_INET6, true);
    into.set(ipv6Bytes(hostname), 8);
    return 28;
  }
  const parts = hostname.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`Not an IPv4 address: ${JSON.stringify(hostname)}`);
  }
  view.setUint16(0, AF_INET, true);
  into.set(parts.map(Number), 4);
  return 16;
}

/** Reads a sockaddr the kernel wrote. */
export function readSockaddr(from: Uint8Array): Deno.NetAddr {
  const view = new DataView(from.buffer, from.byteOffset, from.byteLength);
  const port = view.getUint16(2, false);
  if (view.getUint16(0, true) === AF_INET) {
    return { transport: "udp", hostname: from.subarray(4, 8).join("."), port };
  }
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(view.getUint16(8 + 2 * i, false).toString(16));
  return { transport: "udp", hostname: canonicalIpv6(words.join(":")), port };
}
