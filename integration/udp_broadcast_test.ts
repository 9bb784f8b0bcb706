// `udp.ts send` and `udp.ts ipmsg` to broadcast addresses, answered by `udp.ts listen --reply`,
// between two network namespaces of our own joined by a veth pair on 192.0.2.0/24 (TEST-NET-1):
// the limited broadcast 255.255.255.255 (which needs a route: without one the send fails with a
// clear error) and the directed broadcast 192.0.2.255.
// Run with: deno test --allow-all integration/udp_broadcast_test.ts (as root; skipped when
// network namespaces cannot be created).
//
// Never touches a real interface. Both namespaces are deleted in `finally`; every process has a
// time limit and is killed by its PID; every wait is bounded.
import assert from "node:assert/strict";
import { findPeer } from "./_peers.ts";
import { CHILD_ENV } from "./_fixture.ts";
import { runScript, ScriptProcess, type ScriptResult } from "./_script_process.ts";

const LIMIT_MS = 30_000;
const WAIT_MS = 10_000;

/** Runs `cmd` to its end within LIMIT_MS; returns what it did. */
async function exec(
  cmd: string,
  args: string[],
): Promise<ScriptResult> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    env: CHILD_ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(LIMIT_MS),
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Two namespaces joined by a veth pair: `a` has 192.0.2.1/24, `b` has 192.0.2.2/24. */
interface Pair extends AsyncDisposable {
  readonly a: string;
  readonly b: string;
  /** The interface in `b`. */
  readonly bLink: string;
  /** `udp.ts <args>` started inside `ns`. */
  start(ns: string, args: string[]): ScriptProcess;
  /** Runs `udp.ts <args>` inside `ns` to its end. */
  udp(ns: string, args: string[]): Promise<ScriptResult>;
  /** Runs `ip <args>` inside `ns`; throws when it fails. */
  ip(ns: string, args: string[]): Promise<void>;
}

/** Creates the pair, or returns why it cannot (not root, no `ip`, no namespaces). */
async function openPair(): Promise<Pair | string> {
  const ip = findPeer("ip");
  if (!ip) return "not installed: ip";
  // `ip netns exec` execs the command: the PID is deno's.
  const inside = (ns: string) => ({ prefix: [ip, "netns", "exec", ns], limitMs: LIMIT_MS });
  const id = crypto.randomUUID().slice(0, 8);
  const [a, b] = [`tftpkit-bc-${id}-a`, `tftpkit-bc-${id}-b`];
  const [aLink, bLink] = [`tkbca${id}`.slice(0, 15), `tkbcb${id}`.slice(0, 15)];
  const added: string[] = [];
  const remove = async () => {
    for (const ns of added.splice(0).reverse()) await exec(ip, ["netns", "delete", ns]);
  };
  const must = async (args: string[]) => {
    const got = await exec(ip, args);
    if (got.code !== 0) {
      throw new Error(`ip ${args.join(" ")} failed: ${got.stderr.trim() || `exit ${got.code}`}`);
    }
  };
  for (const ns of [a, b]) {
    const got = await exec(ip, ["netns", "add", ns]);
    if (got.code !== 0) {
      await remove();
      return `ip netns add failed (${got.stderr.trim() || `exit ${got.code}`})`;
    }
    added.push(ns);
  }
  try {
    await must([
      "link",
      "add",
      aLink,
      "netns",
      a,
      "type",
      "veth",
      "peer",
      "name",
      bLink,
      "netns",
      b,
    ]);
    for (const [ns, link, address] of [[a, aLink, "192.0.2.1/24"], [b, bLink, "192.0.2.2/24"]]) {
      await must(["-n", ns, "addr", "add", address, "dev", link]);
      await must(["-n", ns, "link", "set", link, "up"]);
      await must(["-n", ns, "link", "set", "lo", "up"]);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    a,
    b,
    bLink,
    start: (ns, args) => new ScriptProcess("udp.ts", args, { ...inside(ns), waitMs: WAIT_MS }),
    udp: (ns, args) => runScript("udp.ts", args, inside(ns)),
    ip: (ns, args) => must(["-n", ns, ...args]),
    [Symbol.asyncDispose]: remove,
  };
}

Deno.test("udp broadcast: send to <broadcast> and 192.0.2.255, listen --reply answers", async (t) => {
  const pair = await openPair();
  if (typeof pair === "string") {
    await t.step({ name: `skipped: no network namespaces (${pair})`, ignore: true, fn() {} });
    return;
  }
  await using _pair = pair;
  await using listener = pair.start(pair.a, [
    "listen",
    "--port",
    "0",
    "--reply",
    "pong",
    "--count",
    "3",
  ]);
  const port = await listener.listening("0.0.0.0");

  // Only 192.0.2.0/24 is routed in b: the limited broadcast has no route yet.
  const unrouted = await pair.udp(pair.b, ["send", `<broadcast>:${port}`, "lost"]);
  assert.deepEqual(unrouted, {
    code: 1,
    stdout: "",
    stderr: `error: Cannot send to 255.255.255.255:${port}: Network is unreachable (os error 101)` +
      ` (255.255.255.255 needs a route: a default route, or one of its own such as` +
      ` "ip route add 255.255.255.255 dev <interface>")\n`,
  });

  await pair.ip(pair.b, ["route", "add", "255.255.255.255", "dev", pair.bLink]);
  const limited = await pair.udp(pair.b, [
    "send",
    `<broadcast>:${port}`,
    "ping",
    "--wait",
    "5",
    "--count",
    "1",
  ]);
  assert.deepEqual(limited, { code: 0, stdout: `192.0.2.1:${port}: pong\n`, stderr: "" });

  const directed = await pair.udp(pair.b, [
    "send",
    `192.0.2.255:${port}`,
    "ping2",
    "--wait",
    "5",
    "--count",
    "1",
  ]);
  assert.deepEqual(directed, { code: 0, stdout: `192.0.2.1:${port}: pong\n`, stderr: "" });

  const ipmsg = await pair.udp(pair.b, ["ipmsg", "<broadcast>", "hello", "--port", String(port)]);
  assert.deepEqual(ipmsg, { code: 0, stdout: "", stderr: "" });

  assert.equal(await listener.exit(), 0);
  const lines = listener.out.split("\n");
  assert.equal(lines.length, 5, listener.out);
  assert.equal(lines[0], `listening on 0.0.0.0:${port}`);
  assert.match(lines[1], /^192\.0\.2\.2:[0-9]+: ping$/);
  assert.match(lines[2], /^192\.0\.2\.2:[0-9]+: ping2$/);
  assert.match(lines[3], /^192\.0\.2\.2:[0-9]+: 1:[0-9]+:tftpkit:tftpkit:32:hello$/);
  assert.equal(lines[4], "");
  assert.equal(listener.err, "");
});
