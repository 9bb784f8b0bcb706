/**
 * The worker behind {@linkcode ProcSampler} (bench/_proc_sampler.ts): reads `/proc` of one
 * process on a timer, on its own thread, so that the synchronous reads (a `readlink` per open
 * descriptor when sockets are counted: thousands during a concurrency run) never hold up the
 * event loop of the benchmark process, which runs transfers itself.
 *
 * Messages in: `{ type: "start", pid, everyMs, countSockets, countFds, socketBaseline }`, then
 * `{ type: "stop" }`. Messages out: `{ type: "started" }`, then `{ type: "sample", sample }`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { countOpenFds, countOpenSockets, readProcessMemory } from "./_proc.ts";
import type { ProcSample, ProcSamplerStart } from "./_proc_sampler.ts";

let timer: ReturnType<typeof setInterval> | undefined;
let started: ProcSamplerStart | undefined;
const sample: ProcSample = {
  peakRssBytes: 0,
  highWaterBytes: 0,
  activeAtPeak: 0,
  maxActive: 0,
  peakFds: 0,
  peakSockets: 0,
  samples: 0,
};

function take(start: ProcSamplerStart): void {
  const memory = readProcessMemory(start.pid);
  if (!memory) return;
  const sockets = start.countSockets ? countOpenSockets(start.pid) ?? 0 : 0;
  const active = Math.max(0, sockets - start.socketBaseline);
  sample.samples++;
  sample.highWaterBytes = memory.peakRssBytes;
  sample.maxActive = Math.max(sample.maxActive, active);
  sample.peakSockets = Math.max(sample.peakSockets, sockets);
  if (start.countFds) sample.peakFds = Math.max(sample.peakFds, countOpenFds(start.pid) ?? 0);
  if (memory.rssBytes > sample.peakRssBytes) {
    sample.peakRssBytes = memory.rssBytes;
    sample.activeAtPeak = active;
  }
}

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ProcSamplerStart | { type: "stop" };
  if (message.type === "start") {
    started = message;
    take(message);
    timer = setInterval(() => take(message), message.everyMs);
    self.postMessage({ type: "started" });
    return;
  }
  clearInterval(timer);
  if (started) take(started);
  self.postMessage({ type: "sample", sample });
  self.close();
};
