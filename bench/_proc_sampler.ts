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
  }

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
    await sampler.#exchange(start, "started");
    return sampler;
  }

  /** Takes a last sample, stops the worker and returns what was seen (again when repeated). */
  stop(): Promise<ProcSample> {
    return this.#stopped ??= this.#exchange({ type: "stop" }, "sample").then(({ sample }) => {
      this.#worker.terminate();
      return sample as ProcSample;
    });
  }

  #exchange(message: unknown, answer: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#worker.onmessage = (event: MessageEvent) => {
        if (event.data?.type === answer) resolve(event.data);
      };
      this.#worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        reject(new Error(`The /proc sampler failed: ${event.message}`));
      };
      this.#worker.postMessage(message);
    });
  }
}
