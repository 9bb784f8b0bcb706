// The option, path and write checks of the conformance suite (group B): every one passes
// against our own server, and every one fails or warns against a small fake server that
// misbehaves in exactly the way the check is about.
// Run with: deno test --allow-all integration/conformance_checks_options_test.ts
//
// The fake server is a raw UDP loop: one socket for requests, a fresh socket (the TID) per
// transfer, every transfer a task with bounded retries. Disposing it closes every socket and
// awaits every task. Every wait is bounded by a retry count and a timeout.
import assert from "node:assert/strict";
import { decodePacket, OPCODE, type Packet, type RequestPacket, serveTftp } from "../mod.ts";
import type { CheckOutcome, ConformanceCheck } from "../lib/conformance/check.ts";
import { createCheckContext } from "../lib/conformance/context.ts";
import { FIXTURES, writeFixtures } from "../lib/conformance/fixtures.ts";
import blksizeHonoured from "../lib/conformance/checks/blksize_honoured.ts";
import blksizeRange from "../lib/conformance/checks/blksize_range.ts";
import oackOnlyRequested from "../lib/conformance/checks/oack_only_requested.ts";
import oackRefused from "../lib/conformance/checks/oack_refused.ts";
import optionCaseInsensitive from "../lib/conformance/checks/option_case_insensitive.ts";
import pathLeak from "../lib/conformance/checks/path_leak.ts";
import pathTraversal from "../lib/conformance/checks/path_traversal.ts";
import symlinkEscape from "../lib/conformance/checks/symlink_escape.ts";
import timeoutOption from "../lib/conformance/checks/timeout_option.ts";
import tsizeRrq from "../lib/conformance/checks/tsize_rrq.ts";
import windowsize from "../lib/conformance/checks/windowsize.ts";
import wrqBasic from "../lib/conformance/checks/wrq_basic.ts";
import wrqBoundary from "../lib/conformance/checks/wrq_boundary.ts";
import wrqDuplicateData from "../lib/conformance/checks/wrq_duplicate_data.ts";
import wrqTsize from "../lib/conformance/checks/wrq_tsize.ts";
import { FAST, RawPeer, within } from "./_fixture.ts";

const CHECKS: readonly ConformanceCheck[] = [
  oackOnlyRequested,
  optionCaseInsensitive,
  blksizeRange,
  blksizeHonoured,
  timeoutOption,
  tsizeRrq,
  windowsize,
  oackRefused,
  pathTraversal,
  symlinkEscape,
  pathLeak,
  wrqBasic,
  wrqBoundary,
  wrqDuplicateData,
  wrqTsize,
];

/** Runs `check` against 127.0.0.1:`port` in a writable context, within its time limit. */
async function runCheck(
  check: ConformanceCheck,
  port: number,
  timeoutScale = 1,
): Promise<CheckOutcome> {
  await using ctx = createCheckContext({
    server: { hostname: "127.0.0.1", port },
    writable: true,
    timeoutScale,
  });
  return await within(check.run(ctx), check.limitMs ?? 30_000, check.id);
}

Deno.test("options checks: every one passes against our server", async (t) => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_checks_b_" });
  try {
    const { root } = await writeFixtures(base);
    await using server = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      allowCreate: true,
      maxWindowsize: 64,
      ...FAST,
    });
    for (const check of CHECKS) {
      await t.step(check.id, async () => {
        const outcome = await runCheck(check, server.addr.port);
        assert.equal(outcome.status, "pass", `${check.id}: ${outcome.detail}`);
      });
    }
    await t.step("details name what was seen", async () => {
      const range = await runCheck(blksizeRange, server.addr.port);
      assert.match(range.detail, /^blksize 7: ignored \(512-byte blocks\) \(RRQ "1024-byte\.bin"/);
      assert.deepEqual(range.measured, {
        7: "no OACK",
        8: "OACK blksize=8",
        65464: "OACK blksize=65464",
        65465: "OACK blksize=65464",
      });
      const window = await runCheck(windowsize, server.addr.port);
      assert.match(window.detail, /^RRQ "4404-byte\.bin" octet windowsize=4 -> OACK windowsize=4;/);
      assert.match(window.detail, /; ACK 2 -> DATA 3-6[;,]/);
      assert.match(window.detail, /; 4404 bytes intact$/);
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// A misbehaving fake server.

const SECRET = FIXTURES.get("escape-link.bin").bytes();

/**
 * A {@linkcode RawPeer} on 127.0.0.1 for the fake server: sends that never throw, a receive
 * that gives `undefined` on timeout and once closed, and an idempotent close.
 */
class Udp extends RawPeer {
  closed = false;

  async sendTo(packet: Packet | Uint8Array, to: Deno.NetAddr): Promise<void> {
    if (!this.closed) await this.send(packet, to).catch(() => {});
  }

  /** The next datagram, or `undefined` after `ms` (or once closed). */
  async next(ms: number): Promise<{ bytes: Uint8Array; from: Deno.NetAddr } | undefined> {
    if (this.closed) return undefined;
    return await this.receiveBytes(ms).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this[Symbol.asyncDispose]();
  }
}

/** One transfer of the fake: the request, the client, and a socket of its own (the TID). */
class Transfer {
  readonly socket = new Udp();
  readonly request: RequestPacket;
  /** Option names exactly as the client spelled them. */
  readonly rawNames: string[];
  readonly client: Deno.NetAddr;
  readonly files: Map<string, Uint8Array>;

  constructor(bytes: Uint8Array, client: Deno.NetAddr, files: Map<string, Uint8Array>) {
    this.request = decodePacket(bytes) as RequestPacket;
    const fields = new TextDecoder().decode(bytes.subarray(2)).split("\0").slice(2, -1);
    this.rawNames = fields.filter((_, i) => i % 2 === 0);
    this.client = client;
    this.files = files;
  }

  async send(packet: Packet): Promise<void> {
    await this.socket.sendTo(packet, this.client);
  }

  /** The next packet from the client, or `undefined` after `ms`. */
  async next(ms: number): Promise<Packet | undefined> {
    const until = performance.now() + ms;
    for (let i = 0; i < 50; i++) {
      const got = await this.socket.next(Math.max(0, until - performance.now()));
      if (got === undefined) return undefined;
      if (got.from.port === this.client.port) return decodePacket(got.bytes);
    }
    return undefined;
  }

  /** Sends `packet` until `accept` approves an answer; `undefined` on ERROR or silence. */
  async exchange(
    packet: Packet,
    accept: (answer: Packet) => boolean,
    timing: Timing = {},
  ): Promise<Packet | undefined> {
    for (let attempt = 0; attempt <= (timing.retries ?? 4); attempt++) {
      await this.send(packet);
      const until = performance.now() + (timing.rtoMs ?? 150);
      for (let i = 0; i < 20; i++) {
        const answer = await this.next(until - performance.now());
        if (answer === undefined) break;
        if (answer.opcode === OPCODE.ERROR) return undefined;
        if (accept(answer)) return answer;
      }
    }
    return undefined;
  }
}

interface Timing {
  rtoMs?: number;
  retries?: number;
}

/** Lock-step read: optional OACK, then `bytes` in DATA of `chunk` bytes. */
async function sendFile(
  t: Transfer,
  bytes: Uint8Array,
  options: { oack?: Record<string, string>; chunk?: number } & Timing = {},
): Promise<void> {
  const chunk = options.chunk ?? 512;
  const isAck = (block: number) => (p: Packet) => p.opcode === OPCODE.ACK && p.block === block;
  if (options.oack !== undefined && Object.keys(options.oack).length > 0) {
    const oack = { opcode: OPCODE.OACK, options: options.oack } as const;
    if (await t.exchange(oack, isAck(0), options) === undefined) return;
  }
  const blocks = Math.floor(bytes.length / chunk) + 1;
  for (let block = 1; block <= blocks; block++) {
    const data = bytes.subarray((block - 1) * chunk, block * chunk);
    const packet = { opcode: OPCODE.DATA, block, data } as const;
    if (await t.exchange(packet, isAck(block), options) === undefined) return;
  }
}

/** Lock-step write: optional OACK (else ACK 0), then DATA until a short one. */
async function receiveFile(
  t: Transfer,
  options: { oack?: Record<string, string>; appendDuplicates?: boolean; ackEmpty?: boolean } = {},
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let first: Packet = { opcode: OPCODE.ACK, block: 0 };
  if (options.oack !== undefined) first = { opcode: OPCODE.OACK, options: options.oack };
  let answer: Packet = first;
  for (let block = 1; block < 100; block++) {
    const data = await t.exchange(answer, (p) => p.opcode === OPCODE.DATA);
    if (data?.opcode !== OPCODE.DATA) return undefined;
    if (data.block === block - 1) {
      if (options.appendDuplicates) chunks.push(data.data.slice());
      block--;
      continue;
    }
    chunks.push(data.data.slice());
    if (data.data.length === 0 && options.ackEmpty === false) return undefined;
    answer = { opcode: OPCODE.ACK, block };
    if (data.data.length < 512) {
      await t.send(answer);
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
      return all;
    }
  }
  return undefined;
}

/** A fake server: `handle` runs once per request, on the request's own transfer socket. */
class FakeServer implements AsyncDisposable {
  readonly main = new Udp();
  readonly files = new Map(
    FIXTURES.all.filter((f) => f.kind === "file").map((f) => [f.name, f.bytes()]),
  );
  readonly #transfers = new Set<Transfer>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;

  constructor(handle: (t: Transfer) => Promise<void>) {
    this.#loop = (async () => {
      for (let i = 0; i < 1000 && !this.main.closed; i++) {
        const got = await this.main.next(60_000);
        if (got === undefined) continue;
        const t = new Transfer(got.bytes, got.from, this.files);
        this.#transfers.add(t);
        const task = handle(t).catch(() => {}).finally(() => t.socket.close());
        this.#tasks.add(task);
      }
    })();
  }

  get port(): number {
    return this.main.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.main.close();
    await this.#loop;
    await Promise.all([...this.#transfers].map((t) => t.socket.close()));
    await Promise.all(this.#tasks);
  }
}

/** Reads as a plain lock-step server would, options answered by `oack(request)`. */
function reads(
  oack: (t: Transfer, size: number) => Record<string, string> | undefined,
  more: { chunk?: (t: Transfer) => number } = {},
): (t: Transfer) => Promise<void> {
  return async (t) => {
    const bytes = t.files.get(t.request.filename);
    if (t.request.opcode !== OPCODE.RRQ || bytes === undefined) {
      await t.send({ opcode: OPCODE.ERROR, code: 1, message: "File not found" });
      return;
    }
    const granted = oack(t, bytes.length);
    const chunk = more.chunk?.(t) ?? Number(granted?.blksize ?? 512);
    await sendFile(t, bytes, { oack: granted, chunk });
  };
}

/** Echoes every requested option that `keep` accepts, tsize answered with `size`. */
function echo(
  t: Transfer,
  size: number,
  keep: (name: string, value: string) => boolean = () => true,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(t.request.options)) {
    if (keep(name, value)) out[name] = name === "tsize" ? String(size) : value;
  }
  return out;
}

async function againstFake(
  check: ConformanceCheck,
  handle: (t: Transfer) => Promise<void>,
  timeoutScale = 0.5,
): Promise<CheckOutcome> {
  await using fake = new FakeServer(handle);
  return await runCheck(check, fake.port, timeoutScale);
}

function assertVerdict(outcome: CheckOutcome, status: string, detail: RegExp): void {
  assert.equal(outcome.status, status, outcome.detail);
  assert.match(outcome.detail, detail);
}

Deno.test("oack-only-requested fails on an OACK with unrequested options", async () => {
  const outcome = await againstFake(
    oackOnlyRequested,
    reads((t, size) => ({ ...echo(t, size), blksize: "512" })),
  );
  assertVerdict(outcome, "fail", /^an OACK answered a request without options \(RRQ /);
  assert.match(
    outcome.detail,
    /the OACK names blksize, which was not requested \(RRQ "1024-byte\.bin" octet tsize=0 -> OACK tsize=1024 blksize=512/,
  );
});

Deno.test("option-case-insensitive fails when only lower-case names are understood", async () => {
  const lowerOnly = (t: Transfer, size: number) =>
    echo(t, size, (name) => t.rawNames.includes(name));
  const outcome = await againstFake(optionCaseInsensitive, reads(lowerOnly));
  assertVerdict(
    outcome,
    "fail",
    /^BLKSIZE and TSIZE not acknowledged, though blksize and tsize in lower case were: /,
  );
  assert.match(outcome.detail, /; BlkSize and TSize not acknowledged, though/);
});

Deno.test("blksize-range fails when 7 and 65465 are accepted as such", async () => {
  const outcome = await againstFake(blksizeRange, reads(echo));
  assertVerdict(outcome, "fail", /^blksize 7: the OACK gives blksize "7", outside 8\.\.65464 /);
  assert.match(outcome.detail, /blksize 65465: the OACK gives blksize "65465", outside 8\.\.65464/);
  assert.equal(outcome.measured?.[8], "OACK blksize=8");
});

Deno.test("blksize-range fails when 8 is raised", async () => {
  const raise = (t: Transfer, size: number) => {
    const out = echo(t, size);
    if (out.blksize === "8") out.blksize = "512";
    return out;
  };
  const outcome = await againstFake(blksizeRange, reads(raise));
  assertVerdict(outcome, "fail", /blksize 8: the OACK raises blksize 8 to 512 /);
});

Deno.test("blksize-honoured fails when DATA ignores the negotiated size", async () => {
  const outcome = await againstFake(blksizeHonoured, reads(echo, { chunk: () => 512 }));
  assertVerdict(outcome, "fail", /^DATA 1 carries 512 bytes where 1468 were due at blksize 1468: /);
});

Deno.test("timeout-option fails when the OACK changes the value", async () => {
  const change = (t: Transfer, size: number) => {
    const out = echo(t, size);
    if (out.timeout === "1") out.timeout = "2";
    return out;
  };
  const outcome = await againstFake(timeoutOption, reads(change));
  assertVerdict(
    outcome,
    "fail",
    /the OACK changes timeout 1 to "2": RRQ "1-byte\.bin" octet timeout=1 -> OACK timeout=2/,
  );
});

Deno.test("timeout-option fails when 0 and 256 are acknowledged", async () => {
  const outcome = await againstFake(timeoutOption, reads(echo));
  assertVerdict(outcome, "fail", /the out-of-range timeout 0 was acknowledged: /);
  assert.match(outcome.detail, /the out-of-range timeout 256 was acknowledged/);
});

Deno.test("timeout-option warns when timeout 1 is acknowledged but not used", async () => {
  const valid = (t: Transfer, size: number) =>
    echo(t, size, (_, value) => Number(value) >= 1 && Number(value) <= 255);
  const handle = async (t: Transfer) => {
    const bytes = t.files.get(t.request.filename)!;
    await sendFile(t, bytes, { oack: valid(t, bytes.length), rtoMs: 300, retries: 3 });
  };
  const outcome = await againstFake(timeoutOption, handle, 1);
  assertVerdict(
    outcome,
    "warn",
    /timeout 1 acknowledged but not used: OACK timeout=1, ACK 0, DATA 1, then DATA 1 again after \d+ ms/,
  );
  const [first] = outcome.measured?.retransmitIntervalsMs as number[];
  assert.ok(first >= 250 && first < 700, `first retransmission after ${first} ms`);
});

Deno.test("tsize-rrq fails on a wrong size", async () => {
  const wrong = (t: Transfer, size: number) => echo(t, size + 1);
  const outcome = await againstFake(tsizeRrq, reads(wrong));
  assertVerdict(outcome, "fail", /^tsize "4405" for a file of 4404 bytes: /);
});

/** Windowed read of 4404-byte.bin: the OACK says `oackW`, `sendW` blocks go per window. */
function windowed(
  oackW: number,
  sendW: number,
  honourInsideAck: boolean,
): (t: Transfer) => Promise<void> {
  return async (t) => {
    const bytes = t.files.get(t.request.filename)!;
    const total = Math.floor(bytes.length / 512) + 1;
    const oack = { opcode: OPCODE.OACK, options: { windowsize: String(oackW) } } as const;
    const ack0 = await t.exchange(oack, (p) => p.opcode === OPCODE.ACK && p.block === 0);
    if (ack0 === undefined) return;
    let base = 1;
    for (let round = 0; round < 40 && base <= total; round++) {
      const last = Math.min(base + sendW - 1, total);
      for (let block = base; block <= last; block++) {
        const data = bytes.subarray((block - 1) * 512, block * 512);
        await t.send({ opcode: OPCODE.DATA, block, data });
      }
      const ack = await t.next(300);
      if (ack?.opcode === OPCODE.ERROR) return;
      if (ack?.opcode !== OPCODE.ACK || ack.block < base - 1) continue;
      base = honourInsideAck || ack.block >= last ? ack.block + 1 : last + 1;
    }
  };
}

Deno.test("windowsize fails when more blocks than the window are sent", async () => {
  const outcome = await againstFake(windowsize, windowed(4, 9, true));
  assertVerdict(
    outcome,
    "fail",
    /^DATA 5 was sent before any ACK allowed it \(windowsize 4\): RRQ /,
  );
});

Deno.test("windowsize fails when an ACK inside the window is ignored", async () => {
  const outcome = await againstFake(windowsize, windowed(4, 4, false));
  assertVerdict(
    outcome,
    "fail",
    /^after ACK 2 the server did not send DATA 3-4 \(a window starting/,
  );
});

Deno.test("windowsize fails when the OACK raises the value, and skips without support", async () => {
  const raised = await againstFake(windowsize, windowed(8, 8, true));
  assertVerdict(raised, "fail", /OACK windowsize=8: the OACK value must be between 1 and the 4/);
  const plain = await againstFake(windowsize, reads(() => undefined));
  assertVerdict(
    plain,
    "skip",
    /^server does not support windowsize: answered the RRQ with DATA 1, no OACK/,
  );
});

Deno.test("oack-refused fails when the OACK keeps coming after ERROR 8", async () => {
  const handle = async (t: Transfer) => {
    const bytes = t.files.get(t.request.filename)!;
    const oack = echo(t, bytes.length);
    if (t.request.options.timeout === undefined) return await sendFile(t, bytes, { oack });
    for (let i = 0; i < 6; i++) {
      await t.send({ opcode: OPCODE.OACK, options: oack });
      await t.next(200); // ERROR 8 or not: keep going
    }
  };
  const outcome = await againstFake(oackRefused, handle);
  assertVerdict(
    outcome,
    "fail",
    /^the server went on after ERROR 8: OACK tsize=1024 blksize=1468 timeout=1 came \d+ ms after its OACK/,
  );
});

Deno.test("oack-refused warns, not fails, when ERROR 8 is answered with an ERROR", async () => {
  const handle = async (t: Transfer) => {
    const bytes = t.files.get(t.request.filename)!;
    const oack = echo(t, bytes.length);
    if (t.request.options.timeout === undefined) return await sendFile(t, bytes, { oack });
    await t.send({ opcode: OPCODE.OACK, options: oack });
    const answer = await t.next(1000);
    if (answer?.opcode === OPCODE.ERROR) {
      await t.send({ opcode: OPCODE.ERROR, code: 0, message: "Transfer aborted" });
    }
  };
  const outcome = await againstFake(oackRefused, handle);
  assertVerdict(
    outcome,
    "warn",
    /^the server answered the ERROR 8 with ERROR 0 "Transfer aborted" \(an ERROR is never answered, RFC 1350 §7\), but the transfer stopped \(RRQ "1024-byte\.bin" octet tsize=0 blksize=1468 timeout=1 -> OACK/,
  );
});

Deno.test("path-traversal fails when a name escapes", async () => {
  const handle = async (t: Transfer) => {
    const name = t.request.filename;
    if (name.includes("..") || name.startsWith("/")) return await sendFile(t, SECRET);
    await t.send({ opcode: OPCODE.ERROR, code: 1, message: "File not found" });
  };
  const outcome = await againstFake(pathTraversal, handle);
  assertVerdict(
    outcome,
    "fail",
    /^20 of 24 names escaped the root: "\.\.\/outside\/secret\.txt" -> DATA 1 \(158 B\) \(the outside marker\)/,
  );
});

Deno.test("symlink-escape warns when the link is followed", async () => {
  const handle = (t: Transfer) => sendFile(t, SECRET);
  const outcome = await againstFake(symlinkEscape, handle);
  assertVerdict(
    outcome,
    "warn",
    /^the link to \.\.\/outside\/secret\.txt was followed: RRQ "escape-link\.bin" octet -> DATA 1 \(158 B\) carries the outside file's content/,
  );
});

Deno.test("path-leak warns when an error message names a server path", async () => {
  const handle = async (t: Transfer) => {
    const message = `open /srv/tftp/${t.request.filename}: no such file`;
    await t.send({ opcode: OPCODE.ERROR, code: 1, message });
  };
  const outcome = await againstFake(pathLeak, handle);
  assertVerdict(
    outcome,
    "warn",
    /^7 of 7 error messages reveal a server path: "conformance-missing-[0-9a-f]{8}\.bin" -> ERROR 1 "open \/srv\/tftp\/conformance-missing-[0-9a-f]{8}\.bin: no such file" reveals "\/srv\/tftp\/"; likewise the answers to "sub\/conformance-missing-/,
  );
  assert.match(
    outcome.detail,
    /, "sub", "\.\.\/outside\/secret\.txt", "escape-link\.bin", "\/no-such-directory\//,
  );
});

/** Writes through `store` (which may damage the bytes), reads back what was stored. */
function storing(
  store: (bytes: Uint8Array) => Uint8Array,
  options: Parameters<typeof receiveFile>[1] = {},
  oack: (t: Transfer) => Record<string, string> | undefined = () => undefined,
): (t: Transfer) => Promise<void> {
  return async (t) => {
    if (t.request.opcode === OPCODE.RRQ) return await reads(() => undefined)(t);
    const bytes = await receiveFile(t, { ...options, oack: oack(t) });
    if (bytes !== undefined) t.files.set(t.request.filename, store(bytes));
  };
}

Deno.test("wrq-basic fails when the file is stored damaged", async () => {
  const outcome = await againstFake(wrqBasic, storing((bytes) => bytes.subarray(0, -1)));
  assertVerdict(
    outcome,
    "fail",
    /^the file read back differs: 1499 bytes instead of 1500 \(RRQ "conformance-wrq-basic-/,
  );
});

Deno.test("wrq-boundary fails when a 0-byte DATA is never acknowledged", async () => {
  const outcome = await againstFake(
    wrqBoundary,
    storing((bytes) => bytes, { ackEmpty: false }),
    0.2,
  );
  assertVerdict(
    outcome,
    "fail",
    /^0 bytes: the upload failed: WRQ "conformance-wrq-boundary-0-[0-9a-f]{8}\.bin" octet -> ACK 0 \(no ACK 1 within 400 ms, after 3 retransmits\); 512 bytes: the upload failed/,
  );
  assert.equal(outcome.measured?.["513 bytes"], "ok");
});

Deno.test("wrq-duplicate-data fails when the duplicate is written twice", async () => {
  const outcome = await againstFake(
    wrqDuplicateData,
    storing((bytes) => bytes, { appendDuplicates: true }),
  );
  assertVerdict(
    outcome,
    "fail",
    /^the file read back differs from the 1124 bytes sent \(byte 512 is 0x[0-9a-f]{2} instead of 0x[0-9a-f]{2}\)/,
  );
});

Deno.test("wrq-tsize fails when the OACK gives another size", async () => {
  const outcome = await againstFake(
    wrqTsize,
    storing((bytes) => bytes, {}, () => ({ tsize: "0" })),
  );
  assertVerdict(outcome, "fail", /^the OACK gives tsize "0" for a WRQ with tsize 2000: WRQ /);
});

Deno.test("wrq-tsize skips when every WRQ is refused, fails when only tsize is", async () => {
  const refuseWrq = (refuse: (t: Transfer) => boolean) => async (t: Transfer) => {
    if (t.request.opcode === OPCODE.WRQ && refuse(t)) {
      await t.send({ opcode: OPCODE.ERROR, code: 4, message: "unsupported request" });
      return;
    }
    await storing((bytes) => bytes)(t);
  };
  const all = await againstFake(wrqTsize, refuseWrq(() => true));
  assertVerdict(
    all,
    "skip",
    /^server refused the upload, with and without tsize: WRQ "conformance-wrq-tsize-[0-9a-f]{8}\.bin" octet tsize=2000 -> ERROR 4 "unsupported request"; without tsize: WRQ "conformance-wrq-control-[0-9a-f]{8}\.bin" octet -> ERROR 4 "unsupported request"$/,
  );
  const tsize = await againstFake(wrqTsize, refuseWrq((t) => "tsize" in t.request.options));
  assertVerdict(
    tsize,
    "fail",
    /^the tsize option caused an ERROR, while the same upload without it was accepted: WRQ "conformance-wrq-tsize-[0-9a-f]{8}\.bin" octet tsize=2000 -> ERROR 4 "unsupported request"; without tsize: WRQ "conformance-wrq-control-[0-9a-f]{8}\.bin" octet -> ACK 0/,
  );
});

Deno.test("tsize-rrq does not blame tsize when netascii is refused anyway", async () => {
  const outcome = await againstFake(tsizeRrq, async (t) => {
    if (t.request.mode.toLowerCase() === "netascii") {
      await t.send({ opcode: OPCODE.ERROR, code: 4, message: "unsupported mode" });
      return;
    }
    await reads(echo)(t);
  });
  assertVerdict(
    outcome,
    "pass",
    /; netascii not judged: without tsize it fails too \(the netascii check judges that\): RRQ "netascii\.txt" netascii -> ERROR 4 "unsupported mode"$/,
  );
});

Deno.test("path-traversal fails on a bare prefix test of the resolved path", async () => {
  // Resolves the name under /srv/root and accepts it when it starts with "/srv/root".
  const handle = async (t: Transfer) => {
    const parts: string[] = ["srv", "root"];
    for (const part of t.request.filename.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== "." && part !== "") parts.push(part);
    }
    const resolved = `/${parts.join("/")}`;
    if (resolved.startsWith("/srv/root") && resolved.includes("root-private")) {
      return await sendFile(t, SECRET);
    }
    await t.send({ opcode: OPCODE.ERROR, code: 2, message: "Access violation" });
  };
  const outcome = await againstFake(pathTraversal, handle);
  assertVerdict(
    outcome,
    "fail",
    /^2 of 24 names escaped the root: "\.\.\/root-private\/secret\.txt" -> DATA 1 \(158 B\) \(the outside marker\); "sub\/\.\.\/\.\.\/root-private\/secret\.txt" -> DATA 1 \(158 B\) \(the outside marker\)$/,
  );
});

Deno.test("path-traversal warns when an over-long name is cut short and served", async () => {
  // Like atftpd: names are cut at 256 bytes; what remains here names the served directory.
  const handle = async (t: Transfer) => {
    if (t.request.filename.length > 256) return await sendFile(t, new Uint8Array(0));
    await t.send({ opcode: OPCODE.ERROR, code: 2, message: "Access violation" });
  };
  const outcome = await againstFake(pathTraversal, handle);
  assertVerdict(
    outcome,
    "warn",
    /^no name escaped the root, but "[/.]+\/outside\/secret\.txt" \(500 bytes\) -> DATA 1 \(0 B\) without the outside content: the server cuts over-long names short/,
  );
});

Deno.test("wrq-basic reads again when the file is written after the final ACK", async () => {
  // Like atftpd: the last ACK goes out before the file is flushed.
  const handle = async (t: Transfer) => {
    if (t.request.opcode === OPCODE.RRQ) return await reads(() => undefined)(t);
    const bytes = await receiveFile(t);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (bytes !== undefined) t.files.set(t.request.filename, bytes);
  };
  const outcome = await againstFake(wrqBasic, handle);
  assertVerdict(
    outcome,
    "pass",
    /\(read again after 250 ms: the first read, right after the final ACK, got [^;]+; the server acknowledged before the file was written\)/,
  );
});
