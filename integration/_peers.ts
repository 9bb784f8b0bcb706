// Third-party TFTP peers for the integration matrix: finding their binaries, running them as
// child processes (each in its own process group, stopped by PID), starting the servers on
// 127.0.0.1 and a free high port with a readiness probe, and a network namespace of our own
// for dnsmasq (which only listens on port 69).
//
// Every wait is bounded, every process started here is stopped by its PID or process group
// when its handle is disposed, and every namespace created here is deleted.
import { basename, join } from "node:path";
import { tftpGetBytes, TftpRemoteError } from "../mod.ts";
import { delay, within } from "../lib/udp/_wait.ts";
import { taskV8Flags } from "./_task_flags.ts";

/** Where `.ci/run` unpacks packages that cannot be installed beside others (atftpd). */
export function peersDir(): string {
  return Deno.env.get("TFTPKIT_PEERS_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "tftpkit-peers");
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function searchPath(name: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  // A user's PATH often lacks the sbin folders, where the servers are.
  for (const extra of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The path of a peer's binary, or `undefined` when it is not installed. Looks in `PATH` and
 * the sbin folders; `atftpd` is looked for first where `.ci/run` unpacks it
 * ({@linkcode peersDir}). `in.tftpd` is only tftpd-hpa's: when it is atftpd's alias (the
 * `atftpd` package installed instead), the answer is `undefined`.
 */
export function findPeer(name: string): string | undefined {
  if (name === "atftpd") {
    const unpacked = join(peersDir(), "atftpd", "usr", "sbin", "atftpd");
    if (isExecutableFile(unpacked)) return unpacked;
  }
  const found = searchPath(name);
  if (found && name === "in.tftpd") {
    try {
      if (basename(Deno.realPathSync(found)) === "atftpd") return undefined;
    } catch {
      return undefined;
    }
  }
  return found;
}

/** The reason to skip cells of a peer that is missing, or `undefined` when it is there. */
export function missingPeer(...names: string[]): string | undefined {
  const missing = names.filter((name) => findPeer(name) === undefined);
  return missing.length > 0 ? `not installed: ${missing.join(", ")}` : undefined;
}

/** Whether this process runs as root (chroot, setgroups and network namespaces need it). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/**
 * A UDP port on `hostname` that was free a moment ago: bound with port 0, then closed. Another
 * process may take it before you bind it, so retry with a new one when binding fails.
 */
export function freeUdpPort(hostname = "127.0.0.1"): number {
  const conn = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const port = (conn.addr as Deno.NetAddr).port;
  conn.close();
  return port;
}

/** Options of {@linkcode spawnPeer}. */
export interface SpawnPeerOptions {
  /** Working directory. @default {the current one} */
  cwd?: string;
  /** Variables added to the environment. @default {{}} */
  env?: Record<string, string>;
  /**
   * Start the child in a session and process group of its own, so that `stop()` reaches
   * every process it forks (tftpd-hpa forks one per transfer). @default {true}
   */
  group?: boolean;
  /** The signal `stop()` sends first. @default {"SIGTERM"} */
  stopSignal?: Deno.Signal;
  /** How long `stop()` waits after `stopSignal` before sending SIGKILL. @default {2000} */
  killAfterMs?: number;
}

/** A running child process. Stop it with `stop()` or `await using`. */
export interface PeerProcess extends AsyncDisposable {
  /** Its process ID (also its process group ID with `group: true`). */
  readonly pid: number;
  /** Everything it wrote on stdout, once it ended. */
  readonly stdout: Promise<string>;
  /** Everything it wrote on stderr, once it ended. */
  readonly stderr: Promise<string>;
  /** Its exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Whether it has exited. */
  readonly exited: boolean;
  /** Sends `signal` to it (to its whole process group with `group: true`). */
  kill(signal?: Deno.Signal): void;
  /**
   * Sends `stopSignal`, then SIGKILL after `killAfterMs`, then SIGKILL to the group again in
   * case forked children outlived the leader; resolves once it exited and its output closed.
   */
  stop(): Promise<void>;
}

/**
 * Starts `cmd` with `args` as a child process (stdin closed, stdout and stderr collected).
 */
export function spawnPeer(
  cmd: string,
  args: readonly string[],
  options: SpawnPeerOptions = {},
): PeerProcess {
  const group = options.group ?? true;
  const stopSignal = options.stopSignal ?? "SIGTERM";
  const killAfterMs = options.killAfterMs ?? 2000;
  const child = new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: group, // setsid(): a new session and process group led by the child
  }).spawn();
  const pid = child.pid;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stdout = new Response(child.stdout).text().catch(() => "");
  const stderr = new Response(child.stderr).text().catch(() => "");
  const signalAll = (signal: Deno.Signal) => {
    try {
      // A negative PID signals the process group; it outlives its leader while children run.
      Deno.kill(group ? -pid : pid, signal);
    } catch { /* nothing left to signal */ }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      if (!exited) signalAll(stopSignal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), killAfterMs)));
      const first = await Promise.race([status, late]);
      clearTimeout(timer);
      if (first === "late") signalAll("SIGKILL");
      if (group) signalAll("SIGKILL"); // forked children that ignored the first signal
      await status;
      await Promise.all([stdout, stderr]);
    })();
  return {
    pid,
    stdout,
    stderr,
    status,
    get exited() {
      return exited;
    },
    kill: (signal: Deno.Signal = "SIGTERM") => {
      if (!exited || group) signalAll(signal);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs `cmd` to completion within `timeoutMs` (killed after that); returns what it did. */
export async function runPeer(
  cmd: string,
  args: readonly string[],
  options: SpawnPeerOptions & { timeoutMs?: number } = {},
): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }> {
  const child = spawnPeer(cmd, args, options);
  try {
    const status = await within(child.status, options.timeoutMs ?? 30_000, `${cmd} to exit`);
    return {
      code: status.code,
      signal: status.signal,
      stdout: await child.stdout,
      stderr: await child.stderr,
    };
  } finally {
    await child.stop();
  }
}

/** A third-party server running on a loopback address. */
export interface PeerServer extends AsyncDisposable {
  /** Its name in the matrix, e.g. `tftpd-hpa`. */
  readonly name: string;
  /** The address it listens on. */
  readonly hostname: string;
  /** Its request port. */
  readonly port: number;
  /** The directory it serves. */
  readonly root: string;
  /** The process. */
  readonly process: PeerProcess;
  /** `tftp://host:port/<path>`, on `port` when given (a proxy in front of it). */
  url(path: string, port?: number): string;
  /** Stops the process (and its forked children). */
  stop(): Promise<void>;
}

/** The file the readiness probe downloads; removed once the server answered. */
const READY_NAME = "tftpkit-ready.probe";
const READY_BYTES = new TextEncoder().encode("ready\n");

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Starts a server on a free port: `build(port)` gives the command line. Retries with another
 * port (at most `attempts` times) when the process exits before it answers. Ready means a
 * real RRQ for a probe file got the right bytes back, within `readyMs`.
 */
/**
 * Starts a server built by `build` on a free port of 127.0.0.1 serving `root`, and waits until
 * it serves a probe file (a real RRQ); tries a few ports when one is taken meanwhile.
 */
export async function startOnFreePort(
  name: string,
  root: string,
  build: (port: number) => { cmd: string; args: string[]; options?: SpawnPeerOptions },
  limits: { attempts?: number; readyMs?: number } = {},
): Promise<PeerServer> {
  const hostname = "127.0.0.1";
  const probe = join(root, READY_NAME);
  await Deno.writeFile(probe, READY_BYTES, { mode: 0o644 });
  await Deno.chmod(probe, 0o644); // the umask must not hide it from a server without -p
  const failures: string[] = [];
  try {
    for (let attempt = 0; attempt < (limits.attempts ?? 5); attempt++) {
      const port = freeUdpPort(hostname);
      const { cmd, args, options } = build(port);
      const process = spawnPeer(cmd, args, options);
      const server: PeerServer = {
        name,
        hostname,
        port,
        root,
        process,
        url: (path, at = port) => `tftp://${hostname}:${at}/${path}`,
        stop: () => process.stop(),
        [Symbol.asyncDispose]: () => process.stop(),
      };
      const answered = await waitForAnswer(server, limits.readyMs ?? 5000);
      if (answered === true) return server;
      const exited = process.exited;
      await process.stop();
      failures.push(
        `port ${port}: ${answered}; stderr: ${(await process.stderr).trim().slice(0, 300)}`,
      );
      if (!exited) break; // it runs but does not serve: another port would not help
    }
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
  throw new Error(`${name} did not start: ${failures.join(" | ")}`);
}

/** Polls with a real RRQ until the probe file comes back; `true` or why not. */
async function waitForAnswer(server: PeerServer, readyMs: number): Promise<true | string> {
  const until = performance.now() + readyMs;
  let last = "no answer";
  for (let i = 0; i < 200 && performance.now() < until; i++) {
    if (server.process.exited) return `exited with ${(await server.process.status).code}`;
    try {
      const got = await tftpGetBytes(server.url(READY_NAME), {
        noOptions: true,
        initialRtoMs: 50,
        minRtoMs: 20,
        maxRtoMs: 100,
        retries: 2,
        deadlineMs: 1000,
      });
      if (sameBytes(got, READY_BYTES)) return true;
      last = `probe returned ${got.length} wrong bytes`;
    } catch (error) {
      // It answered, but with an error: it is up and will not serve the probe.
      if (error instanceof TftpRemoteError) return `answered the probe with ${error.message}`;
      last = error instanceof Error ? error.message : String(error);
    }
    await delay(20);
  }
  return `not ready within ${readyMs} ms (${last})`;
}

/** Options of {@linkcode startTftpdHpa}. */
export interface TftpdHpaOptions {
  /** `-c`: allow creating files with WRQ. @default {true} */
  create?: boolean;
  /** `-p`: no permission checks beyond the system's (no world-readable rule). @default {true} */
  permissive?: boolean;
  /** `-B`: the largest block size granted. @default {65464} */
  maxBlksize?: number;
  /** `-T`: first retransmit timeout in microseconds. @default {the server's, 1000000} */
  retransmitUs?: number;
  /** More arguments. @default {[]} */
  args?: string[];
}

/**
 * Starts tftpd-hpa (`in.tftpd -L`) in the foreground on 127.0.0.1 and a free port, chrooted
 * to `root`, as root (it needs root for chroot and setgroups). Throws when it is missing or
 * does not answer.
 */
export async function startTftpdHpa(
  root: string,
  options: TftpdHpaOptions = {},
): Promise<PeerServer> {
  const bin = findPeer("in.tftpd");
  if (!bin) throw new Error("not installed: in.tftpd");
  return await startOnFreePort("tftpd-hpa", root, (port) => ({
    cmd: bin,
    args: [
      "-L",
      "-s",
      root,
      "-a",
      `127.0.0.1:${port}`,
      "-B",
      String(options.maxBlksize ?? 65464),
      "-u",
      "root",
      ...(options.create ?? true ? ["-c"] : []),
      ...(options.permissive ?? true ? ["-p"] : []),
      ...(options.retransmitUs !== undefined ? ["-T", String(options.retransmitUs)] : []),
      ...(options.args ?? []),
    ],
  }));
}

/** Options of {@linkcode startAtftpd}. */
export interface AtftpdOptions {
  /** `--user user.group` it drops to. @default {"root.root" as root, else the current user} */
  user?: string;
  /** `--retry-timeout`: seconds before it retransmits. @default {the server's, 5} */
  retryTimeoutS?: number;
  /** More arguments. @default {[]} */
  args?: string[];
}

/**
 * Starts atftpd (`--daemon --no-fork`) on 127.0.0.1 and a free port, serving `root`, its log
 * on stdout. Throws when it is missing or does not answer.
 */
export async function startAtftpd(root: string, options: AtftpdOptions = {}): Promise<PeerServer> {
  const bin = findPeer("atftpd");
  if (!bin) throw new Error("not installed: atftpd");
  const user = options.user ?? (isRoot() ? "root.root" : await currentUserGroup());
  return await startOnFreePort("atftpd", root, (port) => ({
    cmd: bin,
    args: [
      "--daemon",
      "--no-fork",
      "--port",
      String(port),
      "--bind-address",
      "127.0.0.1",
      "--user",
      user,
      "--logfile",
      "-",
      ...(options.retryTimeoutS !== undefined
        ? ["--retry-timeout", String(options.retryTimeoutS)]
        : []),
      ...(options.args ?? []),
      root,
    ],
  }));
}

/** `user.group` of this process, for servers that insist on dropping privileges. */
async function currentUserGroup(): Promise<string> {
  const user = await runPeer("id", ["-un"], { timeoutMs: 5000 });
  const group = await runPeer("id", ["-gn"], { timeoutMs: 5000 });
  return `${user.stdout.trim()}.${group.stdout.trim()}`;
}

/** Options of {@linkcode startOurServerProcess}. */
export interface OurServerOptions {
  /** `--create`: allow WRQ to create files. @default {false} */
  create?: boolean;
  /** More arguments for `tftp.ts serve`. @default {[]} */
  args?: string[];
}

/**
 * Starts our own server as a separate process (`scripts/tftp.ts serve`) on 127.0.0.1 and a
 * free port, for cases that kill a server.
 */
export async function startOurServerProcess(
  root: string,
  options: OurServerOptions = {},
): Promise<PeerServer> {
  return await startOnFreePort("tftpkit", root, (port) => ({
    cmd: Deno.execPath(),
    args: [
      "run",
      ...taskV8Flags("tftp.ts"),
      "--allow-all",
      "--config",
      repoFile("deno.json"),
      repoFile("scripts/tftp.ts"),
      "serve",
      root,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "-q",
      ...(options.create ? ["--create"] : []),
      ...(options.args ?? []),
    ],
    options: { env: { NO_COLOR: "1" } },
  }), { readyMs: 10_000 });
}

/** A network namespace of our own, with only `lo` (up). Disposing deletes it. */
export interface Netns extends AsyncDisposable {
  /** Its name, `tftpkit-<random>`. */
  readonly name: string;
  /** Spawns `cmd` inside the namespace (through `ip netns exec`). */
  spawn(cmd: string, args: readonly string[], options?: SpawnPeerOptions): PeerProcess;
  /** Runs `cmd` inside the namespace to completion within `timeoutMs`. */
  run(
    cmd: string,
    args: readonly string[],
    options?: SpawnPeerOptions & { timeoutMs?: number },
  ): ReturnType<typeof runPeer>;
}

/**
 * Bound of each `ip netns` step. Namespace teardown is asynchronous in the kernel, and after
 * several tests in a row an `ip netns add` was seen to wait more than 5 s for it.
 */
const NETNS_MS = 30_000;

/**
 * Creates a network namespace with `lo` up. Throws with the reason when that is not possible
 * (not root, no `ip`).
 */
export async function openNetns(): Promise<Netns> {
  const ip = findPeer("ip");
  if (!ip) throw new Error("not installed: ip");
  const name = `tftpkit-${crypto.randomUUID().slice(0, 8)}`;
  const added = await runPeer(ip, ["netns", "add", name], { timeoutMs: NETNS_MS });
  if (added.code !== 0) {
    throw new Error(`ip netns add failed (${added.stderr.trim() || `exit ${added.code}`})`);
  }
  const remove = async () => {
    await runPeer(ip, ["netns", "delete", name], { timeoutMs: NETNS_MS });
  };
  const up = await runPeer(ip, ["netns", "exec", name, ip, "link", "set", "lo", "up"], {
    timeoutMs: NETNS_MS,
  });
  if (up.code !== 0) {
    await remove();
    throw new Error(`lo up failed in ${name} (${up.stderr.trim() || `exit ${up.code}`})`);
  }
  return {
    name,
    spawn: (cmd, args, options) => spawnPeer(ip, ["netns", "exec", name, cmd, ...args], options),
    run: (cmd, args, options) => runPeer(ip, ["netns", "exec", name, cmd, ...args], options),
    [Symbol.asyncDispose]: remove,
  };
}

/** Options of {@linkcode startDnsmasq}. */
export interface DnsmasqOptions {
  /** More arguments, e.g. `--edns-packet-max=65000` to lift its blksize cap. @default {[]} */
  args?: string[];
  /**
   * How long to wait for it to bind port 69 and serve a probe file (each probe is a Deno
   * process started inside the namespace, which took over 5 s on a loaded CI machine).
   * @default {30000}
   */
  readyMs?: number;
}

/**
 * Starts dnsmasq (TFTP only, DNS off) in the foreground inside `netns`, on 127.0.0.1 port 69,
 * serving `root`, its log on stderr. Ready when a download of a probe file with our CLI inside
 * the namespace returns the right bytes.
 */
export async function startDnsmasq(
  netns: Netns,
  root: string,
  options: DnsmasqOptions = {},
): Promise<PeerServer> {
  const bin = findPeer("dnsmasq");
  if (!bin) throw new Error("not installed: dnsmasq");
  const probe = join(root, READY_NAME);
  await Deno.writeFile(probe, READY_BYTES, { mode: 0o644 });
  const base = await Deno.makeTempDir({ prefix: "tftpkit_dnsmasq_" });
  // An empty configuration of its own: not /dev/null, which need not be what it should be.
  const conf = join(base, "dnsmasq.conf");
  await Deno.writeFile(conf, new Uint8Array(0));
  const process = netns.spawn(bin, [
    "--keep-in-foreground",
    `--conf-file=${conf}`,
    "--port=0",
    "--enable-tftp",
    `--tftp-root=${root}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    `--pid-file=${join(base, "dnsmasq.pid")}`,
    "--log-facility=-",
    `--user=${isRoot() ? "root" : Deno.env.get("USER") ?? "nobody"}`,
    ...(options.args ?? []),
  ]);
  const server: PeerServer = {
    name: "dnsmasq",
    hostname: "127.0.0.1",
    port: 69,
    root,
    process,
    url: (path, at = 69) => `tftp://127.0.0.1:${at}/${path}`,
    stop: async () => {
      await process.stop();
      await Deno.remove(base, { recursive: true }).catch(() => {});
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
    },
  };
  try {
    const until = performance.now() + (options.readyMs ?? 30_000);
    let last = "no answer";
    for (let i = 0; i < 20 && performance.now() < until; i++) {
      if (process.exited) {
        last = `exited with ${(await process.status).code}`;
        break;
      }
      if (!(await udpPortBound(netns, 69))) {
        last = "port 69 not bound yet";
        await delay(100);
        continue;
      }
      // A short retransmit budget: an RRQ that raced the bind is retried within seconds.
      const out = join(base, "probe");
      const args = ["get", server.url(READY_NAME), out, "-q", "--timeout", "1", "--retries", "3"];
      try {
        const got = await runOurCli(netns, args, 30_000);
        if (got.code === 0 && sameBytes(await Deno.readFile(out), READY_BYTES)) return server;
        last = got.stderr.trim() || `exit ${got.code}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await delay(50);
    }
    await server.stop();
    const log = (await process.stderr).trim().slice(-600);
    throw new Error(`dnsmasq did not start: ${last}; its log: ${log || "(empty)"}`);
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

/** Whether something in `netns` has a UDP socket bound to `port` (asks `ss`). */
async function udpPortBound(netns: Netns, port: number): Promise<boolean> {
  const ss = findPeer("ss");
  if (!ss) return true; // cannot tell: let the download probe decide
  const listed = await netns.run(ss, ["-Hlun", `sport = :${port}`], { timeoutMs: NETNS_MS });
  return listed.code === 0 && listed.stdout.trim() !== "";
}

/**
 * Runs our CLI (`scripts/tftp.ts`) with `args` inside `netns`, with this Deno and this
 * repository's deno.json, within `timeoutMs`.
 */
export async function runOurCli(
  netns: Netns,
  args: readonly string[],
  timeoutMs = 30_000,
): ReturnType<typeof runPeer> {
  return await netns.run(Deno.execPath(), ourCliArgs(args), { timeoutMs, env: { NO_COLOR: "1" } });
}

/** Spawns our CLI inside `netns` without waiting for it (to act on it while it runs). */
export function spawnOurCli(netns: Netns, args: readonly string[]): PeerProcess {
  return netns.spawn(Deno.execPath(), ourCliArgs(args), { env: { NO_COLOR: "1" } });
}

/** `deno run` arguments for scripts/tftp.ts with this repository's config. */
function ourCliArgs(args: readonly string[]): string[] {
  return [
    "run",
    ...taskV8Flags("tftp.ts"),
    "--allow-all",
    "--config",
    repoFile("deno.json"),
    repoFile("scripts/tftp.ts"),
    ...args,
  ];
}

function repoFile(path: string): string {
  return new URL(`../${path}`, import.meta.url).pathname;
}
