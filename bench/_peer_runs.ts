/**
 * The moving parts of the peer benchmark: the servers (ours, tftpd-hpa, atftpd) serving one
 * file from a temporary root, pinned to vCPU 0; and one timed download by a client (ours,
 * busybox, atftp) pinned with `taskset` to vCPU 0 or 1, bounded in time, killed by PID,
 * checked byte for byte (SHA-256).
 *
 * @module
 */

import { join } from "node:path";
import {
  findPeer,
  type PeerServer,
  runPeer,
  spawnPeer,
  startAtftpd,
  startOnFreePort,
  startOurServerProcess,
  startTftpdHpa,
} from "../integration/_peers.ts";
import { taskV8Flags } from "../integration/_task_flags.ts";
import { within } from "../lib/udp/_wait.ts";
import type { Comparison } from "./_stats.ts";

export type { PeerProcess, PeerServer } from "../integration/_peers.ts";

/**
 * The clients the benchmark runs; `ours-busy` is ours with `--busy-poll 50` (libc socket,
 * spinning receives); `bare` is the floor of a Deno client (bench/_bare_client.ts: the least
 * work a download can take over Deno's UDP), a measuring stick, not a client; `bare-busy` the
 * same over our libc socket with a 50 µs busy poll (the floor of `ours-busy`).
 */
export type ClientName = "ours" | "ours-busy" | "busybox" | "atftp" | "bare" | "bare-busy";
/**
 * The servers the benchmark runs; `ours-busy` is ours with `--busy-poll 50`; `bare`: the
 * floor of a Deno server (bench/_bare_server.ts); `bare-busy` its libc, busy-polling form.
 */
export type ServerName = "ours" | "ours-busy" | "tftpd-hpa" | "atftpd" | "bare" | "bare-busy";

/** The busy poll of `ours-busy` and `bare-busy`, in microseconds. */
const BUSY_POLL_US = "50";

/** The binary each client and server needs (`deno` is always there). */
export const PEER_BINARY: Readonly<Record<ClientName | ServerName, string | undefined>> = {
  ours: undefined,
  "ours-busy": undefined,
  bare: undefined,
  "bare-busy": undefined,
  busybox: "busybox",
  atftp: "atftp",
  "tftpd-hpa": "in.tftpd",
  atftpd: "atftpd",
};

/** The vCPU every server is pinned to; the client runs on it too ("same") or on the next. */
export const SERVER_CPU = 0;

/** Where the client runs: on the servers' vCPU ("same") or the next one ("split"). */
export type Placement = "same" | "split";
/** One side of a comparison: a client downloading from a server with these options. */
export interface Variant {
  /** The client. */
  client: ClientName;
  /** The server. */
  server: ServerName;
  /** The block size asked for. */
  blksize: number;
  /** The window size asked for (1: lock-step). */
  windowsize: number;
}
/** Variants measured side by side (runs alternated), and the comparisons drawn from them. */
export interface Cell {
  /** Its group in the table. */
  group: string;
  /** Where its clients run. */
  placement: Placement;
  /** What it measures. */
  variants: Variant[];
  /** What it compares. */
  rows: Comparison[];
}

const v = (client: ClientName, server: ServerName, blksize: number, windowsize = 1): Variant => ({
  client,
  server,
  blksize,
  windowsize,
});
/**
 * A cell comparing `a` with `b`, plus `a` with busy polling (`ours-busy` for each of its
 * `ours` sides) against the same `b`.
 */
const withBusy = (
  group: string,
  name: string,
  p: Placement,
  a: Variant,
  b: Variant,
  target = 1,
) => {
  const busy: Variant = {
    ...a,
    client: a.client === "ours" ? "ours-busy" : a.client,
    server: a.server === "ours" ? "ours-busy" : a.server,
  };
  return {
    group,
    placement: p,
    variants: [a, b, busy],
    rows: [{ name, a: 0, b: 1, target }, { name: `${name} busy-poll`, a: 2, b: 1, target }],
  };
};
const WINDOWS = [1, 4, 16, 64];

/**
 * The cells of the issue's table (or of the quick subset), in the order they run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planCells } from "./_peer_runs.ts";
 * assert.equal(planCells(false).length, 24);
 * assert.equal(planCells(true)[0].rows[0].name, "server 1468 busybox");
 * ```
 */
export function planCells(quick: boolean): Cell[] {
  const placements: Placement[] = quick ? ["split"] : ["same", "split"];
  const cells: Cell[] = [];
  for (const bs of quick ? [1468] : [512, 1468]) {
    for (const p of placements) {
      for (const c of quick ? ["busybox"] as const : ["busybox", "atftp"] as const) {
        cells.push(
          withBusy("lock-step", `server ${bs} ${c}`, p, v(c, "ours", bs), v(c, "tftpd-hpa", bs)),
        );
      }
      const hpa = (c: ClientName) => v(c, "tftpd-hpa", bs);
      cells.push({
        group: "lock-step",
        placement: p,
        variants: [hpa("ours"), hpa("busybox"), hpa("ours-busy")],
        rows: [
          { name: `client ${bs}`, a: 0, b: 1, target: 1 },
          { name: `client ${bs} busy-poll`, a: 2, b: 1, target: 1 },
        ],
      });
    }
  }
  for (const w of quick ? [16] : [16, 64]) {
    for (const p of placements) {
      const pair = [v("ours", "ours", 1468, w), v("atftp", "atftpd", 1468, w)] as const;
      cells.push(withBusy("windowed", `1468 x ${w}`, p, ...pair, 1.5));
    }
  }
  for (const c of quick ? ["busybox"] as const : ["busybox", "atftp"] as const) {
    for (const p of placements) {
      cells.push(
        withBusy("65464", `server ${c}`, p, v(c, "ours", 65464), v(c, "tftpd-hpa", 65464)),
      );
    }
  }
  for (const bs of quick ? [1468] : [512, 1468, 8192, 65464]) {
    const windows = quick ? [1, 16] : WINDOWS;
    cells.push({
      group: "sweep",
      placement: "split",
      variants: windows.map((w) => v("ours", "ours", bs, w)),
      rows: windows.map((w, i) => ({
        name: `${bs} x ${w}`,
        a: i,
        b: 0,
        target: i ? 1 : undefined,
      })),
    });
  }
  return cells;
}

/**
 * The floor cells (`--floor`): each side of the issue's targets next to the least a Deno
 * program can do in its place, over Deno's UDP (`bare`) and over our busy-polling libc socket
 * (`bare-busy`). When a bare side is below the C peer, no Deno program on that socket can
 * meet that target; ours / bare shows what our engine costs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planFloorCells } from "./_peer_runs.ts";
 * const cells = planFloorCells();
 * assert.equal(cells.length, 14);
 * assert.deepEqual(cells[0].rows.map((r) => r.name), [
 *   "bare server 512",
 *   "ours / bare server 512",
 *   "bare-busy server 512",
 *   "ours-busy / bare-busy server 512",
 * ]);
 * ```
 */
export function planFloorCells(): Cell[] {
  /**
   * A cell: the C side `peer`, and in place of it the bare floor and ours, each plain and
   * busy-polling (`side` makes the variant of a name).
   */
  const floorCell = (
    group: string,
    p: Placement,
    what: string,
    peer: Variant,
    side: (name: "bare" | "ours", busy: boolean) => Variant,
    target: number,
  ): Cell => ({
    group,
    placement: p,
    variants: [
      side("bare", false),
      peer,
      side("ours", false),
      side("bare", true),
      side("ours", true),
    ],
    rows: [
      { name: `bare ${what}`, a: 0, b: 1, target },
      { name: `ours / bare ${what}`, a: 2, b: 0 },
      { name: `bare-busy ${what}`, a: 3, b: 1, target },
      { name: `ours-busy / bare-busy ${what}`, a: 4, b: 3 },
    ],
  });
  const named = (name: "bare" | "ours", busy: boolean) =>
    (busy ? `${name}-busy` : name) as ClientName & ServerName;
  const cells: Cell[] = [];
  for (const bs of [512, 1468, 65464]) {
    for (const p of ["same", "split"] as const) {
      cells.push(floorCell(
        "floor lock-step",
        p,
        `server ${bs}`,
        v("busybox", "tftpd-hpa", bs),
        (name, busy) => v("busybox", named(name, busy), bs),
        1,
      ));
      if (bs === 65464) continue; // the 65464 target is the server's alone
      cells.push(floorCell(
        "floor lock-step",
        p,
        `client ${bs}`,
        v("busybox", "tftpd-hpa", bs),
        (name, busy) => v(named(name, busy), "tftpd-hpa", bs),
        1,
      ));
    }
  }
  for (const w of [16, 64]) {
    for (const p of ["same", "split"] as const) {
      cells.push(floorCell(
        "floor windowed",
        p,
        `pair 1468 x ${w}`,
        v("atftp", "atftpd", 1468, w),
        (name, busy) => v(named(name, busy), named(name, busy), 1468, w),
        1.5,
      ));
    }
  }
  return cells;
}

/**
 * A variant's name in the table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { label } from "./_peer_runs.ts";
 * const x = { client: "ours", server: "ours", blksize: 1468, windowsize: 16 } as const;
 * assert.equal(label(x), "ours -> ours w16");
 * assert.equal(label({ ...x, client: "busybox", windowsize: 1 }), "busybox -> ours");
 * ```
 */
export const label = (x: Variant): string =>
  `${x.client} -> ${x.server}${x.windowsize > 1 ? ` w${x.windowsize}` : ""}`;

/**
 * The vCPU the client of a placement runs on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientCpu } from "./_peer_runs.ts";
 * assert.deepEqual([clientCpu("same"), clientCpu("split")], [0, 1]);
 * ```
 */
export const clientCpu = (p: Placement): number => p === "same" ? SERVER_CPU : SERVER_CPU + 1;

/** The served file, its size and digest. */
export interface BenchFile {
  /** The directory the servers serve. */
  root: string;
  /** The file's name in `root`. */
  name: string;
  /** Its size in bytes. */
  sizeBytes: number;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
}

/** Servers started for a benchmark, stopped together. */
export interface BenchServers extends AsyncDisposable {
  /** The running servers, by name; a missing peer is absent. */
  readonly servers: Partial<Record<ServerName, PeerServer>>;
  /** Why a server is absent, by name. */
  readonly missing: Partial<Record<ServerName, string>>;
}

/** The lowercase hex SHA-256 of `bytes`. */
async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes `sizeBytes` random bytes as `bench.bin` in `root` (world-readable) and hashes them.
 *
 * @example
 * ```ts ignore
 * const file = await writeBenchFile(await Deno.makeTempDir(), 16 * 1024 * 1024);
 * ```
 */
export async function writeBenchFile(root: string, sizeBytes: number): Promise<BenchFile> {
  const bytes = new Uint8Array(sizeBytes);
  for (let at = 0; at < sizeBytes; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, sizeBytes)));
  }
  const name = "bench.bin";
  await Deno.writeFile(join(root, name), bytes, { mode: 0o644 });
  return { root, name, sizeBytes, sha256: await sha256Hex(bytes) };
}

/** A file of this repository, as an absolute path. */
const repoPath = (path: string): string => new URL(`../${path}`, import.meta.url).pathname;

/** Pins every thread of process `pid` to `cpu` (`taskset -a -p -c`); throws when it fails. */
async function pinProcess(pid: number, cpu: number): Promise<void> {
  const got = await runPeer("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], {
    timeoutMs: 5000,
    group: false,
  });
  if (got.code !== 0) {
    throw new Error(`taskset could not pin ${pid} to vCPU ${cpu}: ${got.stderr.trim()}`);
  }
}

/**
 * Starts the servers named in `names` on 127.0.0.1 serving `root`, each pinned to
 * {@linkcode SERVER_CPU}. A peer that is not installed is listed in `missing`; one that does
 * not start is an error (the ones already started are stopped).
 *
 * @example
 * ```ts ignore
 * await using started = await startServers(root, ["ours", "tftpd-hpa"]);
 * const port = started.servers.ours!.port;
 * ```
 */
export async function startServers(
  root: string,
  names: readonly ServerName[],
): Promise<BenchServers> {
  const servers: Partial<Record<ServerName, PeerServer>> = {};
  const missing: Partial<Record<ServerName, string>> = {};
  const stopAll = async () => {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  };
  try {
    for (const name of names) {
      const binary = PEER_BINARY[name];
      if (binary !== undefined && findPeer(binary) === undefined) {
        missing[name] = `not installed: ${binary}`;
        continue;
      }
      const server = name === "ours"
        ? await startOurServerProcess(root)
        : name === "ours-busy"
        ? await startOurServerProcess(root, { args: ["--busy-poll", BUSY_POLL_US] })
        : name === "bare" || name === "bare-busy"
        ? await startOnFreePort(name, root, (port) => ({
          cmd: Deno.execPath(),
          args: [
            ...["run", "--allow-read", "--allow-net", "--allow-ffi"],
            repoPath("bench/_bare_server.ts"),
            ...[root, `${port}`, name === "bare" ? "0" : BUSY_POLL_US],
          ],
          options: { env: { NO_COLOR: "1" } },
        }), { readyMs: 10_000 })
        : name === "tftpd-hpa"
        ? await startTftpdHpa(root, { create: false })
        : await startAtftpd(root);
      servers[name] = server;
      await pinProcess(server.process.pid, SERVER_CPU);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { servers, missing, [Symbol.asyncDispose]: stopAll };
}

/** What a client is asked to do in one run. */
export interface ClientRequest {
  /** The server's request port on 127.0.0.1. */
  port: number;
  /** The remote file name. */
  remote: string;
  /** The local file to write. */
  local: string;
  /** The block size to ask for. */
  blksize: number;
  /** The window size to ask for (only ours and atftp can; 1 = lock-step, no option sent). */
  windowsize: number;
}

/**
 * The command line of `client` for `request` (before `taskset`).
 *
 * @example
 * ```ts ignore
 * const request = { port: 6969, remote: "f", local: "/tmp/f", blksize: 1468, windowsize: 1 };
 * const { cmd, args } = clientCommand("busybox", request);
 * // /usr/bin/busybox tftp -g -r f -l /tmp/f -b 1468 127.0.0.1 6969
 * ```
 */
export function clientCommand(
  client: ClientName,
  request: ClientRequest,
): { cmd: string; args: string[] } {
  const { port, remote, local, blksize, windowsize } = request;
  const repo = repoPath;
  if (client === "bare" || client === "bare-busy") {
    return {
      cmd: Deno.execPath(),
      args: [
        ...["run", "--allow-write", "--allow-net", "--allow-ffi", repo("bench/_bare_client.ts")],
        ...[`${port}`, remote, local, String(blksize), String(windowsize)],
        client === "bare" ? "0" : BUSY_POLL_US,
      ],
    };
  }
  if (client === "ours" || client === "ours-busy") {
    return {
      cmd: Deno.execPath(),
      args: [
        ...["run", ...taskV8Flags("tftp.ts"), "--allow-all", "--config", repo("deno.json")],
        repo("scripts/tftp.ts"),
        ...["get", `tftp://127.0.0.1:${port}/${remote}`, local, "-q", "--json"],
        ...["--blksize", String(blksize), "--windowsize", String(windowsize)],
        ...(client === "ours-busy" ? ["--busy-poll", BUSY_POLL_US] : []),
      ],
    };
  }
  if (windowsize !== 1 && client === "busybox") {
    throw new RangeError(`busybox cannot ask for windowsize ${windowsize}`);
  }
  if (client === "busybox") {
    return {
      cmd: findPeer("busybox") ?? "busybox",
      args: [
        "tftp",
        "-g",
        "-r",
        remote,
        "-l",
        local,
        "-b",
        String(blksize),
        "127.0.0.1",
        `${port}`,
      ],
    };
  }
  const options = ["--option", `blksize ${blksize}`];
  if (windowsize !== 1) options.push("--option", `windowsize ${windowsize}`);
  return {
    cmd: findPeer("atftp") ?? "atftp",
    args: ["-g", "-r", remote, "-l", local, ...options, "127.0.0.1", `${port}`],
  };
}

/** The outcome of one timed download. */
export type RunResult =
  | {
    ok: true;
    /** The transfer time the throughput is computed from. */
    ms: number;
    /** The client process's wall time, from spawn to exit. */
    wallMs: number;
  }
  | { ok: false; error: string; wallMs: number };

/** Options of {@linkcode runClient}. */
export interface RunClientOptions {
  /** The vCPU the client is pinned to. @default {1} */
  cpu?: number;
  /** The longest a run may take; the client is killed after that. @default {60000} */
  timeoutMs?: number;
  /** Stops the run (the client is killed). @default {undefined} */
  signal?: AbortSignal;
}

/**
 * Runs `client` once for `request`, pinned to a vCPU, and checks the file it wrote against
 * `file` (then deletes it). The time is the process's wall time for the C clients (their
 * start-up is about a millisecond), and for ours the transfer time it reports in `--json`
 * (`elapsedMs`: Deno's start-up of a few hundred milliseconds is not the protocol's).
 *
 * @example
 * ```ts ignore
 * const result = await runClient("atftp", request, file, { cpu: 1, timeoutMs: 60_000 });
 * if (result.ok) console.log(megabytesPerSecond(file.sizeBytes, result.ms));
 * ```
 */
export async function runClient(
  client: ClientName,
  request: ClientRequest,
  file: BenchFile,
  options: RunClientOptions = {},
): Promise<RunResult> {
  const { cmd, args } = clientCommand(client, request);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = performance.now();
  const child = spawnPeer("taskset", ["-c", String(options.cpu ?? 1), cmd, ...args], {
    env: { NO_COLOR: "1" },
    killAfterMs: 500,
  });
  const fail = (error: string): RunResult => ({
    ok: false,
    error,
    wallMs: performance.now() - started,
  });
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  aborted.catch(() => {}); // raced below; a late abort must not be an unhandled rejection
  const onAbort = () => reject(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let status: Deno.CommandStatus;
    try {
      status = await Promise.race([
        within(child.status, timeoutMs, `${client} to finish`),
        aborted,
      ]);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return fail(`timed out after ${timeoutMs} ms`);
    }
    const wallMs = performance.now() - started;
    const firstLine = async () => (await child.stderr).trim().split("\n")[0] ?? "";
    if (status.code !== 0) return fail(`exit ${status.code}: ${await firstLine()}`);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(request.local);
    } catch {
      return fail("no output file");
    }
    if (bytes.length !== file.sizeBytes || await sha256Hex(bytes) !== file.sha256) {
      return fail(`wrong bytes (${bytes.length} of ${file.sizeBytes})`);
    }
    let ms = wallMs;
    if (
      client === "ours" || client === "ours-busy" || client === "bare" || client === "bare-busy"
    ) {
      const report = JSON.parse((await child.stdout).trim().split("\n").at(-1) ?? "{}");
      if (typeof report.elapsedMs !== "number") return fail("no elapsedMs in its --json line");
      ms = report.elapsedMs;
    }
    return { ok: true, ms, wallMs };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await child.stop();
    await Deno.remove(request.local).catch(() => {});
  }
}
