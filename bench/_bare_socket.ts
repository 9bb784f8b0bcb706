/**
 * The socket of the floor programs (`_bare_client.ts`, `_bare_server.ts`): Deno's own, or with
 * a busy poll our libc socket (what `--busy-poll` runs on), in one set per process that lives
 * as long as the process (opening libc per transfer would cost the server milliseconds).
 *
 * @module
 */

import { LibcReactor } from "../lib/udp/_libc_reactor.ts";
import { LibcUdpSocket } from "../lib/udp/_libc_udp.ts";
import type { DatagramSocket } from "../lib/udp/drive.ts";

/** A socket of a floor program. */
export type BareSocket = DatagramSocket & { close(): void };

let reactor: LibcReactor | undefined;

/**
 * Binds 127.0.0.1:`port`: Deno's socket when `busyPollUs` is 0, else a libc socket spinning
 * that long.
 *
 * @example
 * ```ts ignore
 * const conn = openBareSocket(0, 50);
 * conn.close();
 * ```
 */
export function openBareSocket(port: number, busyPollUs: number): BareSocket {
  if (!(busyPollUs > 0)) {
    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
    return conn;
  }
  reactor ??= new LibcReactor({ busyPollUs });
  const socket = new LibcUdpSocket(reactor, { hostname: "127.0.0.1", port });
  return {
    addr: socket.addr,
    send: (bytes, to) => socket.send(bytes, to as Deno.NetAddr),
    receive: (buffer) => socket.receive(buffer as Uint8Array<ArrayBuffer>),
    sendMany: (datagrams, to) => socket.sendMany(datagrams, to),
    close: () => socket.close(),
  };
}

/**
 * Closes the libc socket set, if one was opened (a program that ends calls it last).
 *
 * @example
 * ```ts ignore
 * await closeBareSockets();
 * ```
 */
export async function closeBareSockets(): Promise<void> {
  await reactor?.close();
  reactor = undefined;
}
