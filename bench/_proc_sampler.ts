/**
 * Peak memory, sockets and descriptors of a process, sampled from `/proc` on a worker thread
 * (bench/_proc_sampler_worker.ts). The benchmarks run transfers in their own event loop: a
 * sampler on that loop (it once read every `/proc/<pid>/fd` link of a server with 2,000
 * sockets, 40 times a second) stalled those transfers until they timed out, and the
 * benchmark measured itself.
 *
 * @module
 */

/** What a {@linkcode ProcSampler} saw. */
export interface ProcSample {
  /** The highest VmRSS sampled, in bytes. */
  peakRssBytes: number;
  /** The kernel's VmHWM at the last sample, in bytes (covers moments between samples). */
  highWaterBytes: number;
  /** Open sockets beyond `socketBaseline` at the sample with the highest VmRSS. */
  activeAtPeak: number;
  /** The most open sockets beyond `socketBaseline` (one per server transfer). */
  maxActive: number;
  /** The most open descriptors (when `countFds`). */
  peakFds: number;
  /** The most open sockets (when `countSockets`). */
  peakSockets: number;
  /** Samples taken. */
  samples: number;
}

/** How to sample. */
export interface ProcSamplerOptions {
  /** Milliseconds between samples. @default {25} */
  everyMs?: number;
  /** Count open sockets (a `readlink` per descriptor). @default {false} */
  countSockets?: boolean;
  /** Count open descriptors. @default {false} */
  countFds?: boolean;
  /** Sockets open before the measured activity (an idle server's). @default {0} */
  socketBaseline?: number;
}

/** The worker's start message. */
export interface ProcSamplerStart extends Required<ProcSamplerOptions> {
  type: "start";
  pid: number;
}

/**
 * Samples process `pid` on a worker thread until stopped.
 *
 * @example
 * ```ts ignore
 * const sampler = await ProcSampler.start(pid, { countSockets: true });
 * // ... the measured work ...
 * const { peakRssBytes, maxActive } = await sampler.stop();
 * ```
 */
export class ProcSampler {
  readonly #worker: Worker;
  #stopped: Promise<ProcSample> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    // One handler for the worker's whole life: a sampling tick that throws after start()
    // must fail the exchange then waiting (stop()), not go unnoticed and leave it hanging.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failure = new Error(`The /proc sampler failed: ${event.message}`);
      worker.terminate();
      this.#pending?.reject(this.#failure);
      this.#pending = undefined;
    };
    worker.onmessage = (event: MessageEvent) => {
      if (this.#pending && event.data?.type === this.#pending.answer) {
        this.#pending.resolve(event.data);
        this.#pending = undefined;
      }
    };
  }

  #failure: Error | undefined;
  #pending:
    | (PromiseWithResolvers<Record<string, unknown>> & { answer: string })
    | undefined;

  /** Starts sampling; resolves once the first sample was taken. */
  static async start(pid: number, options: ProcSamplerOptions = {}): Promise<ProcSampler> {
    const worker = new Worker(new URL("./_proc_sampler_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const start: ProcSamplerStart = {
      type: "start",
      pid,
      everyMs: options.everyMs ?? 25,
      countSockets: options.countSockets ?? false,
      countFds: options.countFds ?? false,
      socketBaseline: options.socketBaseline ?? 0,
    };
    const sampler = new ProcSampler(worker);
    try {
      await sampler.#exchange(start, "started");
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return sampler;
  }

  /**
   * Takes a last sample, stops the worker and returns what was seen (again when repeated).
   * Rejects when the worker failed, or gave no answer within 10 s.
   */
  stop(): Promise<ProcSample> {
    return this.#stopped ??= this.#exchange({ type: "stop" }, "sample").then(
      ({ sample }) => sample as ProcSample,
    ).finally(() => this.#worker.terminate());
  }

  #exchange(message: unknown, answer: string): Promise<Record<string, unknown>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const pending = { ...Promise.withResolvers<Record<string, unknown>>(), answer };
    this.#pending = pending;
    const timer = setTimeout(() => {
      if (this.#pending === pending) this.#pending = undefined;
      pending.reject(new Error(`The /proc sampler did not answer "${answer}" within 10 s`));
    }, 10_000);
    this.#worker.postMessage(message);
    return pending.promise.finally(() => clearTimeout(timer));
  }
}
