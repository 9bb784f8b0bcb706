/**
 * The {@linkcode CheckContext} a conformance check runs with: probes that close with the
 * context, scripted downloads and uploads, the fixture catalogue, scaled deadlines, the
 * liveness test and the check's log. The runner makes one context per check and disposes of
 * it when the check ends.
 *
 * @module
 */

import type {
  Address,
  CheckContext,
  FixtureCatalogue,
  Liveness,
  Probe,
  ScriptedTransferRecord,
  TransferOptions,
} from "./check.ts";
import { FIXTURES } from "./fixtures.ts";
import { openProbe, resolveAddress } from "./probe.ts";
import { download, upload } from "./_transfer.ts";

/** Prefix of every file a check uploads. */
export const WRITE_PREFIX = "conformance-";

/** The fixture {@linkcode CheckContext.liveness} downloads. */
export const LIVENESS_FIXTURE = "512-byte.bin";

/** Options of {@linkcode createCheckContext}. */
export interface CheckContextOptions {
  /** The server under test. */
  server: Address;
  /** The fixtures the server serves. @default {FIXTURES} */
  fixtures?: FixtureCatalogue;
  /** Whether uploads are allowed (`--writable`). @default {false} */
  writable?: boolean;
  /** Every deadline is multiplied by this (`--timeout-scale`). @default {1} */
  timeoutScale?: number;
  /** Aborting it closes the context's probes and stops its transfers. @default {a signal that never aborts} */
  signal?: AbortSignal;
  /** Receives each line of the check's log. @default {lines are dropped} */
  log?(line: string): void;
}

/** Default wait for each answer of a scripted transfer, before scaling. */
const TRANSFER_TIMEOUT_MS = 2000;

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) if (a[i] !== b[i]) return i;
  return shorter;
}

class Context implements CheckContext, AsyncDisposable {
  readonly server: Address;
  readonly fixtures: FixtureCatalogue;
  readonly writable: boolean;
  readonly writePrefix = WRITE_PREFIX;
  readonly timeoutScale: number;
  readonly signal: AbortSignal;
  readonly #log: (line: string) => void;
  readonly #probes = new Set<Probe>();
  readonly #onAbort = () => this.#closeProbes();
  #resolved?: Promise<Address>;
  #disposed = false;

  constructor(options: CheckContextOptions) {
    this.server = Object.freeze({ ...options.server });
    this.fixtures = options.fixtures ?? FIXTURES;
    this.writable = options.writable ?? false;
    this.timeoutScale = options.timeoutScale ?? 1;
    this.signal = options.signal ?? new AbortController().signal;
    this.#log = options.log ?? (() => {});
    this.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  ms(baseMs: number): number {
    return baseMs * this.timeoutScale;
  }

  log(line: string): void {
    this.#log(line);
  }

  async openProbe(options: { port?: number } = {}): Promise<Probe> {
    this.#usable();
    const probe = await openProbe(this.server, options);
    if (this.#disposed || this.signal.aborted) {
      await probe[Symbol.asyncDispose]();
      this.#usable();
    }
    this.#probes.add(probe);
    return probe;
  }

  async download(name: string, options: TransferOptions = {}): Promise<ScriptedTransferRecord> {
    return await this.#transfer("RRQ", name, undefined, options);
  }

  async upload(
    name: string,
    data: Uint8Array,
    options: TransferOptions = {},
  ): Promise<ScriptedTransferRecord> {
    if (!this.writable) {
      throw new TypeError("Uploads need a writable context (run with --writable)");
    }
    const last = name.split(/[/\\]/).pop() ?? "";
    if (!last.startsWith(this.writePrefix)) {
      throw new RangeError(
        `Uploaded names must start with ${JSON.stringify(this.writePrefix)} after the last ` +
          `slash, got ${JSON.stringify(name)}`,
      );
    }
    return await this.#transfer("WRQ", name, data, options);
  }

  async liveness(): Promise<Liveness> {
    const fixture = this.fixtures.get(LIVENESS_FIXTURE);
    const got = await this.download(fixture.name);
    if (got.result !== "ok") return { alive: false, detail: `${fixture.name}: ${got.detail}` };
    const expected = fixture.bytes();
    const at = firstDifference(got.data, expected);
    if (at === expected.length && got.data.length === expected.length) {
      return { alive: true, detail: `${fixture.name} arrived intact in ${Math.round(got.ms)} ms` };
    }
    const detail = got.data.length === expected.length
      ? `${fixture.name} arrived with a wrong byte at offset ${at}`
      : `${fixture.name} arrived with ${got.data.length} bytes instead of ${expected.length}`;
    return { alive: false, detail };
  }

  async #transfer(
    kind: "RRQ" | "WRQ",
    name: string,
    data: Uint8Array | undefined,
    options: TransferOptions,
  ): Promise<ScriptedTransferRecord> {
    const timeoutMs = options.timeoutMs ?? this.ms(TRANSFER_TIMEOUT_MS);
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.#usable();
    this.#resolved ??= resolveAddress(this.server);
    const server = await this.#resolved;
    const probe = options.probe ?? await this.openProbe();
    const script = {
      probe,
      server,
      mode: options.mode ?? "octet",
      options: options.options ?? {},
      timeoutMs,
      signal: this.signal,
    };
    try {
      const record = data === undefined
        ? await download(name, script)
        : await upload(name, data, script);
      const asked = Object.entries(script.options).map(([k, v]) => ` ${k}=${v}`).join("");
      this.log(
        `${kind} ${
          JSON.stringify(name)
        } ${script.mode}${asked}: ${record.result}, ${record.detail}`,
      );
      return record;
    } finally {
      if (options.probe === undefined) {
        this.#probes.delete(probe);
        await probe[Symbol.asyncDispose]();
      }
    }
  }

  #usable(): void {
    this.signal.throwIfAborted();
    if (this.#disposed) throw new Error("The check context is disposed");
  }

  #closeProbes(): void {
    for (const probe of this.#probes) probe.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    this.signal.removeEventListener("abort", this.#onAbort);
    const probes = [...this.#probes];
    this.#probes.clear();
    await Promise.all(probes.map((probe) => probe[Symbol.asyncDispose]()));
  }
}

/**
 * Creates the context for one check against `options.server`. Disposing it closes every
 * probe opened through it; so does aborting `signal`, which also makes running transfers
 * throw the abort reason. Scripted transfers wait `ms(2000)` for each answer unless told
 * otherwise, use a fresh probe unless given one, and log one line each. Uploads are refused
 * unless `writable`, and only names whose last segment starts with `conformance-` are
 * uploaded.
 *
 * @example
 * ```ts ignore
 * import { createCheckContext } from "./context.ts";
 * await using ctx = createCheckContext({ server: { hostname: "127.0.0.1", port: 69 } });
 * const { alive, detail } = await ctx.liveness();
 * console.log(alive, detail);
 * ```
 *
 * @example Scaled deadlines
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCheckContext } from "./context.ts";
 * await using ctx = createCheckContext({
 *   server: { hostname: "127.0.0.1", port: 69 },
 *   timeoutScale: 2.5,
 * });
 * assert.equal(ctx.ms(2000), 5000);
 * assert.equal(ctx.writePrefix, "conformance-");
 * assert.equal(ctx.fixtures.get("0-byte.bin").size, 0);
 * ```
 *
 * @param options The server, fixtures, permissions, timing, signal and log.
 * @returns The context, to be disposed of when the check ends.
 */
export function createCheckContext(options: CheckContextOptions): CheckContext & AsyncDisposable {
  const { server, timeoutScale = 1 } = options;
  if (typeof server?.hostname !== "string" || server.hostname === "") {
    throw new TypeError(
      `server.hostname must be a non-empty string, got ${JSON.stringify(server?.hostname)}`,
    );
  }
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
    throw new RangeError(`server.port must be an integer between 1 and 65535, got ${server.port}`);
  }
  if (!(timeoutScale > 0 && Number.isFinite(timeoutScale))) {
    throw new RangeError(`timeoutScale must be a positive number, got ${timeoutScale}`);
  }
  return new Context(options);
}
