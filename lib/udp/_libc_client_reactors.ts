/**
 * The epoll sets busy-polling client transfers share: one per `busyPollUs` in a process, so
 * concurrent transfers follow one spin rule and share one helper thread. Private to lib/.
 *
 * @module
 */

import { LibcReactor } from "./_libc_reactor.ts";

/** The shared client sets, by `busyPollUs`, with how many transfers use each. */
const clientReactors = new Map<number, { reactor: LibcReactor; users: number }>();

/**
 * The set every busy-polling client transfer of this process with `busyPollUs` uses;
 * give it back with {@linkcode releaseClientReactor} (the last one closes it).
 *
 * @example
 * ```ts ignore
 * const reactor = acquireClientReactor(50);
 * try {
 *   // ... a LibcUdpSocket on it ...
 * } finally {
 *   await releaseClientReactor(reactor);
 * }
 * ```
 */
export function acquireClientReactor(busyPollUs: number): LibcReactor {
  let entry = clientReactors.get(busyPollUs);
  if (!entry) {
    entry = { reactor: new LibcReactor({ busyPollUs }), users: 0 };
    clientReactors.set(busyPollUs, entry);
  }
  entry.users++;
  return entry.reactor;
}

/** Gives back a set from {@linkcode acquireClientReactor}; closes it after its last user. */
export async function releaseClientReactor(reactor: LibcReactor): Promise<void> {
  for (const [key, entry] of clientReactors) {
    if (entry.reactor !== reactor) continue;
    if (--entry.users > 0) return;
    clientReactors.delete(key);
    return await reactor.close();
  }
}
