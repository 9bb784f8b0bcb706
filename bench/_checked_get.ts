/**
 * A download whose bytes are checked as they arrive, for the load benchmarks
 * (bench/concurrency.ts, bench/_many_clients.ts): nothing is kept, so a thousand at once cost
 * no memory beyond the transfers themselves.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type ClientOptions, tftpGet } from "../mod.ts";

/** `chunk` equals `expected` at `at`: a native compare (a JS loop cost the client ~10 % CPU). */
function sameAt(expected: Uint8Array, at: number, chunk: Uint8Array): boolean {
  if (at + chunk.length > expected.length) return false;
  return Buffer.compare(chunk, expected.subarray(at, at + chunk.length)) === 0;
}

/**
 * Downloads `url` into a sink that compares each byte with `expected`; throws on the first
 * wrong offset or a wrong length, else returns the client's retransmits and timeouts.
 *
 * @example
 * ```ts ignore
 * const { retransmits } = await checkedGet("tftp://127.0.0.1:6969/f.bin", expected, {});
 * ```
 */
export async function checkedGet(
  url: string,
  expected: Uint8Array,
  options: ClientOptions,
): Promise<{ retransmits: number; timeouts: number }> {
  let at = 0;
  let wrong = -1;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      if (wrong < 0 && !sameAt(expected, at, chunk)) wrong = at;
      at += chunk.length;
    },
  });
  const result = await tftpGet(url, sink, options);
  if (wrong >= 0) throw new Error(`Wrong bytes at offset ${wrong}`);
  if (at !== expected.length) throw new Error(`Got ${at} bytes, expected ${expected.length}`);
  return { retransmits: result.stats.retransmits, timeouts: result.stats.timeouts };
}
