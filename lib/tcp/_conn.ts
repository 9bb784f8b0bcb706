/**
 * Small socket helpers every TCP module shares: write everything, close without caring
 * whether it is already closed, an idle timer that closes a connection making no progress,
 * and a watchdog that also enforces an absolute deadline.
 *
 * @module
 */

/** Writes all of `bytes`, however many calls that takes; rejects when the socket fails. */
export async function writeAll(
  conn: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Closes `resource`, ignoring that it may already be closed. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* already closed */ }
}

/** What {@linkcode idleTimer} returns. */
export interface IdleTimer {
  /** Progress was made: the deadline starts again. */
  touch(): void;
  /** Stops the timer for good. */
  stop(): void;
  /** Whether the timer fired (and closed the connection). */
  readonly fired: boolean;
}

/** A timer that closes `conn` unless touched within `ms`. */
export function idleTimer(conn: { close(): void }, ms: number): IdleTimer {
  let fired = false;
  const fire = () => {
    fired = true;
    closeQuietly(conn);
  };
  let timer = setTimeout(fire, ms);
  return {
    touch() {
      clearTimeout(timer);
      if (!fired) timer = setTimeout(fire, ms);
    },
    stop: () => clearTimeout(timer),
    get fired() {
      return fired;
    },
  };
}

/** A positive finite number of milliseconds, or a RangeError naming `what`. */
export function checkMs(what: string, ms: number): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`${what} must be a positive number, got ${ms}`);
  }
}

/** A port 0..65535 (0 = any free port), or a RangeError. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer between 0 and 65535, got ${port}`);
  }
}

/** Calls a user hook; nothing it does (throw, reject) reaches the server. */
export function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  try {
    const result: unknown = hook?.(value);
    if (result instanceof Promise) result.catch(() => {});
  } catch { /* a broken hook must not break the server */ }
}

/**
 * Closes a connection when one of its limits passes: an absolute deadline (the request must
 * be complete by then, however its bytes trickle) and a no-progress limit (restarted by
 * {@linkcode Watchdog.progress}). One timer per connection, re-armed only when it fires, so
 * reporting progress costs a clock read.
 */
export class Watchdog {
  #conn: { close(): void };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline = Infinity;
  #deadlineReason = "";
  #stallMs = Infinity;
  #stallReason = "";
  #last = performance.now();
  #fired: string | undefined;

  /** Watches `conn`; no limit is set yet. */
  constructor(conn: { close(): void }) {
    this.#conn = conn;
  }

  /** Why the watchdog closed the connection, or `undefined` while it has not. */
  get fired(): string | undefined {
    return this.#fired;
  }

  /**
   * Sets both limits, replacing the previous ones: close `deadlineMs` from now (Infinity:
   * never) for `deadlineReason`, or after `stallMs` without progress for `stallReason`.
   * Progress counts from now.
   */
  limit(deadlineMs: number, deadlineReason: string, stallMs: number, stallReason: string): void {
    const now = performance.now();
    this.#last = now;
    this.#deadline = now + deadlineMs;
    this.#deadlineReason = deadlineReason;
    this.#stallMs = stallMs;
    this.#stallReason = stallReason;
    this.#arm(now);
  }

  /** Bytes moved: the no-progress limit counts from now. */
  progress(): void {
    this.#last = performance.now();
  }

  /** Stops watching for good. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = Infinity;
    this.#stallMs = Infinity;
  }

  #arm(now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const due = Math.min(this.#deadline, this.#last + this.#stallMs);
    if (this.#fired !== undefined || due === Infinity) return;
    this.#timer = setTimeout(() => this.#check(), Math.max(1, Math.ceil(due - now)));
  }

  #check(): void {
    this.#timer = undefined;
    const now = performance.now();
    const stalled = this.#last + this.#stallMs;
    if (Math.min(this.#deadline, stalled) > now) return this.#arm(now);
    this.#fire(this.#deadline <= stalled ? this.#deadlineReason : this.#stallReason);
  }

  #fire(reason: string): void {
    this.#fired = reason;
    closeQuietly(this.#conn);
  }
}
