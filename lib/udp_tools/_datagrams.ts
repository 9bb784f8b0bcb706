/**
 * What the UDP tools share: option checks, opening a socket, and a receive loop over one
 * reused buffer that survives transient receive errors and ends when the socket is closed.
 *
 * @module
 */

/** The receive buffer: larger than any UDP payload (65507 bytes over IPv4). */
export const RECEIVE_BUFFER_BYTES = 64 * 1024;

/** Receive errors in a row skipped at once; after that the loop pauses before each retry. */
const ERRORS_BEFORE_PAUSE = 10;
/** The pause between retries after many receive errors in a row. */
const ERROR_PAUSE_MS = 10;

/** Throws a RangeError unless `port` is a whole number from 0 to 65535. */
export function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${name} must be a whole number from 0 to 65535, got ${port}`);
  }
  return port;
}

/** Opens a UDP socket on `hostname`:`port` (0 picks a free port). */
export function openSocket(hostname: string, port: number): Deno.DatagramConn {
  checkPort("port", port);
  return Deno.listenDatagram({ transport: "udp", hostname, port });
}

/** The socket's local address. */
export function localAddr(conn: Deno.DatagramConn): Deno.NetAddr {
  return conn.addr as Deno.NetAddr;
}

/** Closes `conn` unless it is already closed. */
export function closeQuietly(conn: Deno.DatagramConn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** Calls a user hook; an exception it throws is ignored (it must not stop a server). */
export function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  try {
    hook?.(value);
  } catch { /* the hook's problem */ }
}

/**
 * Yields each datagram arriving on `conn` as `[bytes, from]`, where `bytes` is a view into a
 * reused buffer, valid until the next iteration: copy what you keep. Ends when `conn` is
 * closed. A receive error on an open socket (an ICMP error reported by the system, say) is
 * skipped, so the loop never throws; after many in a row it retries only every 10 ms.
 */
export async function* receiveDatagrams(
  conn: Deno.DatagramConn,
): AsyncGenerator<[Uint8Array, Deno.NetAddr]> {
  const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  let errors = 0;
  for (;;) {
    let got: [Uint8Array, Deno.Addr];
    try {
      got = await conn.receive(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return; // closed
      }
      if (++errors > ERRORS_BEFORE_PAUSE) {
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
      continue;
    }
    errors = 0;
    yield [got[0], got[1] as Deno.NetAddr];
  }
}
